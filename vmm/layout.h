/* Where the VMM puts things in the guest's physical address space. */
#ifndef ZONE_VMM_LAYOUT_H
#define ZONE_VMM_LAYOUT_H

#define PVH_START_INFO_ADDR 0x6000ULL
#define PVH_MODLIST_ADDR    0x6100ULL
#define PVH_MEMMAP_ADDR     0x7000ULL
#define PVH_MEMMAP_MAX      64
#define CMDLINE_ADDR        0x20000ULL
#define CMDLINE_MAX         2048 /* x86 COMMAND_LINE_SIZE, incl. NUL */
#define EBDA_START          0x9fc00ULL /* MP table lives here */
#define HIGH_MEM_START      0x100000ULL

#define IOAPIC_ADDR 0xfec00000ULL
#define LAPIC_ADDR  0xfee00000ULL

/* virtio-mmio windows: one page each from here, GSIs from VIRTIO_IRQ_BASE */
#define VIRTIO_MMIO_BASE 0xd0000000ULL
#define VIRTIO_IRQ_BASE  5
#define VIRTIO_IRQ_MAX   23

#define MIN_GUEST_MEM (64ULL << 20)

#endif
