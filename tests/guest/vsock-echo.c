/* Guest-side vsock helper for tests/integration/vsock.sh, built static and
 * put on a test disk (the guest's busybox has no vsock tool).
 *   vsock-echo serve PORT           echo every connection back until EOF
 *   vsock-echo connect CID PORT MSG send MSG, half-close, print the reply */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
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

static void echo(int fd)
{
	static char buf[256 * 1024];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, n) < 0)
			_exit(1);
	shutdown(fd, SHUT_WR);
	_exit(n < 0);
}

static int serve(unsigned port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		perror("vsock-echo: listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	fprintf(stderr, "vsock-echo: listening on %u\n", port);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(fd);
			echo(c);
		}
		close(c);
	}
}

static int do_connect(unsigned cid, unsigned port, const char *msg)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = cid, .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	char buf[4096];
	ssize_t n;

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("connect failed: %s\n", strerror(errno));
		return 1;
	}
	if (write_all(fd, msg, strlen(msg)) < 0 || shutdown(fd, SHUT_WR) < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	printf("\n");
	return n < 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return do_connect(atoi(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: vsock-echo serve PORT | connect CID PORT MSG\n");
	return 2;
}
