/* --console-socket: the container's terminal is a host pty whose master
 * goes to the caller over an AF_UNIX socket with SCM_RIGHTS, exactly as
 * runc sends it (one message: "/dev/ptmx" as data, the fd as rights);
 * the monitor relays the slave side to the zone's pty over IDM. */
#include "runtime/runc.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_fd(int sock, int fd, const char *name)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return zerr(errno, "sending the console to the console socket");
	return 0;
}

int runc_console_open(const char *socket_path, unsigned rows, unsigned cols)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int sock, master, slave;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return zerr(ENAMETOOLONG, "console socket path %s", socket_path);
	strcpy(addr.sun_path, socket_path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return zerr(errno, "socket");
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(sock);
		return zerr(e, "dial unix %s", socket_path);
	}
	if (openpty(&master, &slave, NULL, NULL, rows && cols ? &ws : NULL) < 0) {
		int e = errno;
		close(sock);
		return zerr(e, "openpty");
	}
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	/* runc names the master by the file it opened */
	if (send_fd(sock, master, "/dev/ptmx") < 0) {
		close(sock);
		close(master);
		close(slave);
		return -1;
	}
	close(sock);
	close(master); /* the caller holds it now */
	return slave;
}
