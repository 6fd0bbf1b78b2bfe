/* A hostile IDM server for tests/integration/idm.sh, built static and run
 * in a zone from a test disk.  It listens on vsock ports BASE+0 ...
 * BASE+N-1, one per kind of misbehaviour, and treats every connection on
 * port BASE+i with kind i (printed at start: "PORT KIND" lines):
 *   magic       16 bytes with the wrong magic
 *   hugelen     a HELLO header declaring a 0xffffffff byte payload
 *   trunc       a header declaring 100 bytes, 10 of them, then close
 *   type        a header with an unknown message type (0xee)
 *   eof         close without a byte
 *   silent      read everything, never answer
 *   hello-junk  a correct HELLO reply, then 64 bytes of 0xff
 *   hello-tlv   a correct HELLO reply, then STARTED with an unknown tag
 *   hello-ver   a HELLO reply choosing version 7
 *   overrun     correct HELLO and STARTED, then 300 KiB of stdout DATA
 *               in one frame (beyond the 256 KiB window)
 *   flood       unsolicited 1 MiB LIST_REPLY frames until the host leaves
 * Usage: idm-garbage BASEPORT */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *const kinds[] = {
	"magic", "hugelen", "trunc", "type", "eof", "silent",
	"hello-junk", "hello-tlv", "hello-ver", "overrun", "flood",
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

enum { HELLO = 1, STARTED = 7, DATA = 8, LIST_REPLY = 16 };

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

static void le16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

static void hdr(uint8_t *p, const char *magic, unsigned type, uint32_t id, uint32_t len)
{
	memcpy(p, magic, 4);
	p[4] = 1; /* version */
	p[5] = type;
	le16(p + 6, 0);
	le32(p + 8, id);
	le32(p + 12, len);
}

/* Append a u32 TLV. */
static size_t tlv32(uint8_t *p, uint16_t tag, uint32_t v)
{
	le16(p, tag);
	le32(p + 2, 4);
	le32(p + 6, v);
	return 10;
}

/* Read one frame from the host; its id, or -1. */
static int64_t read_frame(int fd)
{
	static uint8_t payload[1 << 20];
	uint8_t h[16];
	uint32_t len;

	if (read_all(fd, h, 16) < 0)
		return -1;
	len = rd32(h + 12);
	if (len > sizeof(payload) || read_all(fd, payload, len) < 0)
		return -1;
	return rd32(h + 8);
}

static int send_hello(int fd, uint32_t version)
{
	uint8_t f[16 + 20];
	int64_t id = read_frame(fd);

	if (id < 0)
		return -1;
	hdr(f, "ZIDM", HELLO, id, 20);
	tlv32(f + 16, 1, version);
	tlv32(f + 26, 2, version);
	return write_all(fd, f, sizeof(f));
}

static void serve(int fd, const char *kind)
{
	static uint8_t f[16 + (1 << 20)];
	int64_t id;
	size_t n;

	if (!strcmp(kind, "magic")) {
		hdr(f, "ZIDN", HELLO, 1, 0);
		write_all(fd, f, 16);
	} else if (!strcmp(kind, "hugelen")) {
		hdr(f, "ZIDM", HELLO, 1, 0xffffffff);
		write_all(fd, f, 16);
	} else if (!strcmp(kind, "trunc")) {
		hdr(f, "ZIDM", HELLO, 1, 100);
		memset(f + 16, 0, 10);
		write_all(fd, f, 26);
	} else if (!strcmp(kind, "type")) {
		hdr(f, "ZIDM", 0xee, 1, 0);
		write_all(fd, f, 16);
	} else if (!strcmp(kind, "eof")) {
		/* nothing */
	} else if (!strcmp(kind, "silent")) {
		while (read(fd, f, sizeof(f)) > 0)
			;
	} else if (!strcmp(kind, "hello-junk")) {
		if (send_hello(fd, 1) == 0) {
			memset(f, 0xff, 64);
			write_all(fd, f, 64);
		}
	} else if (!strcmp(kind, "hello-tlv")) {
		if (send_hello(fd, 1) == 0 && (id = read_frame(fd)) >= 0) {
			n = tlv32(f + 16, 1, 1);
			n += tlv32(f + 16 + n, 2, 42);
			n += tlv32(f + 16 + n, 0x77, 0); /* not optional, unknown */
			hdr(f, "ZIDM", STARTED, id, n);
			write_all(fd, f, 16 + n);
		}
	} else if (!strcmp(kind, "hello-ver")) {
		send_hello(fd, 7);
	} else if (!strcmp(kind, "overrun")) {
		if (send_hello(fd, 1) == 0 && (id = read_frame(fd)) >= 0) {
			uint32_t len = 300 * 1024;

			n = tlv32(f + 16, 1, 1);
			n += tlv32(f + 16 + n, 2, 42);
			hdr(f, "ZIDM", STARTED, id, n);
			write_all(fd, f, 16 + n);
			n = tlv32(f + 16, 1, 1);
			n += tlv32(f + 16 + n, 2, 1);
			le16(f + 16 + n, 3);
			le32(f + 16 + n + 2, len);
			memset(f + 16 + n + 6, 'x', len);
			n += 6 + len;
			hdr(f, "ZIDM", DATA, 0, n);
			write_all(fd, f, 16 + n);
		}
	} else if (!strcmp(kind, "flood")) {
		/* LIST_REPLY: repeated tag 1, each a proc info of proc, pid, state */
		n = 0;
		while (16 + n + 36 <= sizeof(f)) {
			uint8_t *p = f + 16 + n;

			le16(p, 1);
			le32(p + 2, 30);
			tlv32(p + 6, 1, 1 + n / 36);
			tlv32(p + 16, 2, 100);
			tlv32(p + 26, 3, 1);
			n += 36;
		}
		for (uint32_t i = 0;; i++) {
			hdr(f, "ZIDM", LIST_REPLY, 0x40000000 + i, n);
			if (write_all(fd, f, 16 + n) < 0)
				break;
		}
	}
	/* linger until the host goes away, so the host sees its own error */
	shutdown(fd, SHUT_WR);
	while (read(fd, f, 4096) > 0)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	struct pollfd pfd[NKINDS];
	unsigned base;

	if (argc != 2 || (base = atoi(argv[1])) == 0) {
		fprintf(stderr, "usage: idm-garbage BASEPORT\n");
		return 2;
	}
	signal(SIGCHLD, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (unsigned i = 0; i < NKINDS; i++) {
		struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
					  .svm_port = base + i };
		int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
			perror("idm-garbage: listen");
			return 1;
		}
		pfd[i] = (struct pollfd){ fd, POLLIN, 0 };
		printf("%u %s\n", base + i, kinds[i]);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(pfd, NKINDS, -1) < 0)
			continue;
		for (unsigned i = 0; i < NKINDS; i++) {
			int c;

			if (!(pfd[i].revents & POLLIN) || (c = accept(pfd[i].fd, NULL, NULL)) < 0)
				continue;
			if (fork() == 0) {
				for (unsigned j = 0; j < NKINDS; j++)
					close(pfd[j].fd);
				serve(c, kinds[i]);
			}
			close(c);
		}
	}
}
