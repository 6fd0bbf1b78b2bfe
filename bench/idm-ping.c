/* IDM ping round trips for bench/idm: connects to a zone's vsock socket
 * with the IDM client library and times N idm_ping calls.
 *   idm-ping SOCK [N]   prints "median_us p99_us min_us max_us" */
#include "common/util.h"
#include "common/zerr.h"
#include "idm/client.h"
#include "idm/ports.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	struct idm_conn *c;
	uint64_t n = 10000;
	double *t;

	if (argc < 2 || argc > 3 || (argc == 3 && parse_uint(argv[2], 1, 10000000, &n) < 0)) {
		fprintf(stderr, "usage: idm-ping SOCK [N]\n");
		return 2;
	}
	t = calloc(n, sizeof(*t));
	if (!t || idm_conn_connect(argv[1], IDM_VSOCK_PORT, &c) < 0) {
		zerr_print("idm-ping");
		return 1;
	}
	for (int i = 0; i < 100; i++) /* warm up */
		if (idm_ping(c) < 0)
			goto fail;
	for (uint64_t i = 0; i < n; i++) {
		double t0 = now_us();

		if (idm_ping(c) < 0)
			goto fail;
		t[i] = now_us() - t0;
	}
	idm_conn_close(c);
	qsort(t, n, sizeof(*t), cmp);
	printf("%.1f %.1f %.1f %.1f\n", t[n / 2], t[n * 99 / 100], t[0], t[n - 1]);
	free(t);
	return 0;
fail:
	zerr_print("idm-ping");
	return 1;
}
