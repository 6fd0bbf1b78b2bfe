/* Runs zone-vmm's `-- CMD` in the zone through IDM, like any host client:
 * a socketpair is handed to the vsock device as a connection to zone-init's
 * port, and an IDM client on the other end starts the process, relays its
 * stdio and collects its exit status, then asks zone-init to shut down. */
#ifndef ZONE_VMM_CMD_RUNNER_H
#define ZONE_VMM_CMD_RUNNER_H

#include <pthread.h>
#include <stdbool.h>
#include "devices/virtio_vsock.h"
#include "vmm/vm.h"

struct cmd_runner {
	struct vm *vm;
	struct virtio_vsock *vsock;
	char **argv;
	bool interactive; /* -i: relay stdin (else the process gets EOF) */
	bool tty;	  /* -t: a pty in the zone */
	int exit_code;	  /* -1 until the process has exited */
	char error[256];  /* why it could not run, if it could not */
	volatile bool stopping;
	pthread_t thread;
	bool started;
};

int cmd_runner_start(struct cmd_runner *r);
/* After the VM has stopped: unblock and join the runner thread. */
void cmd_runner_join(struct cmd_runner *r);

#endif
