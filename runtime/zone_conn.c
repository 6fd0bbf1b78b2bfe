#include "runtime/zone_conn.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"
#include "runtime/state.h"

#include <errno.h>

int zone_connect(const struct ctr_state *st, struct idm_conn **out)
{
	char sock[4096];

	if (ctr_vsock_path(st->id, sock, sizeof(sock)) < 0)
		return -1;
	return idm_conn_connect(sock, IDM_VSOCK_PORT, out);
}

int zone_signal(const struct ctr_state *st, int signo)
{
	struct idm_conn *c;
	int r;

	if (!st->proc)
		return zerr(EAGAIN, "container %.12s is still starting", st->id);
	if (zone_connect(st, &c) < 0)
		return -1;
	r = idm_signal(c, st->proc, signo);
	idm_conn_close(c);
	return r;
}
