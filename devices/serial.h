/* A 16550-compatible UART at 0x3f8, output only: enough for the kernel's
 * polled console (early boot logs).  No interrupts are raised. */
#ifndef ZONE_DEVICES_SERIAL_H
#define ZONE_DEVICES_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#define SERIAL_BASE 0x3f8
#define SERIAL_PORTS 8

struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	int out_fd; /* -1: output is discarded */
	bool first_line_seen;
	void (*on_first_byte)(void *arg);
	void *arg;
};

void serial_init(struct serial *s, int out_fd);
void serial_io(struct serial *s, uint16_t port, uint8_t *data, bool is_write);

#endif
