#include "devices/serial.h"
#include "common/util.h"

#include <string.h>

#define UART_LSR_TEMT 0x40
#define UART_LSR_THRE 0x20
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10

void serial_init(struct serial *s, int out_fd)
{
	memset(s, 0, sizeof(*s));
	s->out_fd = out_fd;
	s->lcr = 0x03;
	s->mcr = 0x08;
}

static uint8_t modem_status(const struct serial *s)
{
	if (s->mcr & UART_MCR_LOOP) {
		/* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
		uint8_t m = s->mcr;
		return ((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) |
		       ((m & 0x08) << 4);
	}
	return 0xb0; /* DCD, DSR, CTS */
}

void serial_io(struct serial *s, uint16_t port, uint8_t *data, bool is_write)
{
	unsigned reg = port - SERIAL_BASE;
	bool dlab = s->lcr & UART_LCR_DLAB;

	if (is_write) {
		uint8_t v = *data;
		switch (reg) {
		case 0:
			if (dlab)
				s->dll = v;
			else if (!(s->mcr & UART_MCR_LOOP) && s->out_fd >= 0)
				write_all(s->out_fd, &v, 1);
			break;
		case 1:
			if (dlab)
				s->dlm = v;
			else
				s->ier = v & 0x0f;
			break;
		case 3: s->lcr = v; break;
		case 4: s->mcr = v & 0x1f; break;
		case 7: s->scr = v; break;
		default: break;
		}
		return;
	}
	switch (reg) {
	case 0: *data = dlab ? s->dll : 0; break;
	case 1: *data = dlab ? s->dlm : s->ier; break;
	case 2: *data = 0x01; break; /* IIR: no interrupt pending */
	case 3: *data = s->lcr; break;
	case 4: *data = s->mcr; break;
	case 5: *data = UART_LSR_TEMT | UART_LSR_THRE; break;
	case 6: *data = modem_status(s); break;
	case 7: *data = s->scr; break;
	default: *data = 0xff;
	}
}
