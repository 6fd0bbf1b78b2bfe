/* Intel MP table: how a guest without ACPI finds its CPUs and IOAPIC. */
#ifndef ZONE_VMM_MPTABLE_H
#define ZONE_VMM_MPTABLE_H

#include "base/guest_memory.h"

int mptable_write(struct guest_mem *m, int ncpus);

#endif
