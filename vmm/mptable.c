#include "vmm/mptable.h"
#include "vmm/layout.h"
#include "common/zerr.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

struct __attribute__((packed)) mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length, specification, checksum, feature[5];
};

struct __attribute__((packed)) mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec, checksum;
	char oem[8], productid[12];
	uint32_t oemptr;
	uint16_t oemsize, oemcount;
	uint32_t lapic, reserved;
};

struct __attribute__((packed)) mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
};

struct __attribute__((packed)) mpc_entry8 { /* bus, ioapic, intsrc, lintsrc */
	uint8_t b[8];
};

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
#define MP_IRQ_INT    0
#define MP_IRQ_NMI    1
#define MP_IRQ_EXTINT 3
#define APIC_VERSION   0x14
#define IOAPIC_VERSION 0x11
#define NUM_IOAPIC_PINS 24

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return (uint8_t)-s;
}

int mptable_write(struct guest_mem *m, int ncpus)
{
	size_t size = sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
		      ncpus * sizeof(struct mpc_cpu) +
		      (4 + NUM_IOAPIC_PINS) * 8; /* bus, IOAPIC, 2 LINTs, IRQs */
	uint8_t *base = gmem_ptr(m, EBDA_START, size);
	struct mpf_intel *mpf = (void *)base;
	struct mpc_table *t = (void *)(base + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(t + 1);
	uint8_t ioapic_id = ncpus + 1;
	uint16_t count = 0;

	if (!base || ncpus < 1 || ncpus > 254 || EBDA_START + size > HIGH_MEM_START)
		return zerr(EINVAL, "MP table for %d CPUs does not fit", ncpus);
	memset(base, 0, size);

	for (int i = 0; i < ncpus; i++, count++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR,
			.apicid = i,
			.apicver = APIC_VERSION,
			.cpuflag = 1 | (i == 0 ? 2 : 0), /* enabled, boot processor */
			.cpufeature = 0x600,
			.featureflag = 0x201, /* FPU, APIC */
		};
		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
	}
	/* ISA bus 0 */
	memcpy(p, (uint8_t[8]){ MP_BUS, 0, 'I', 'S', 'A', ' ', ' ', ' ' }, 8);
	p += 8, count++;
	/* one IOAPIC */
	memcpy(p, (uint8_t[8]){ MP_IOAPIC, ioapic_id, IOAPIC_VERSION, 1, 0, 0, 0xc0, 0xfe }, 8);
	p += 8, count++;
	/* ISA IRQ i -> IOAPIC pin i, default (edge, active high) */
	for (int i = 0; i < NUM_IOAPIC_PINS; i++, count++) {
		memcpy(p, (uint8_t[8]){ MP_INTSRC, MP_IRQ_INT, 0, 0, 0, i, ioapic_id, i }, 8);
		p += 8;
	}
	/* LINT0 = ExtINT (8259 through the LAPIC), LINT1 = NMI on all CPUs */
	memcpy(p, (uint8_t[8]){ MP_LINTSRC, MP_IRQ_EXTINT, 0, 0, 0, 0, 0, 0 }, 8);
	p += 8, count++;
	memcpy(p, (uint8_t[8]){ MP_LINTSRC, MP_IRQ_NMI, 0, 0, 0, 0, 0xff, 1 }, 8);
	p += 8, count++;

	memcpy(t->signature, "PCMP", 4);
	t->length = p - (uint8_t *)t;
	t->spec = 4;
	memcpy(t->oem, "ZONE    ", 8);
	memcpy(t->productid, "ZONE-VMM    ", 12);
	t->oemcount = count;
	t->lapic = LAPIC_ADDR;
	t->checksum = checksum((uint8_t *)t, t->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = EBDA_START + sizeof(*mpf);
	mpf->length = 1; /* in 16-byte units */
	mpf->specification = 4;
	mpf->checksum = checksum((uint8_t *)mpf, sizeof(*mpf));
	return 0;
}
