/* What a container runs: the image config (Entrypoint, Cmd, Env,
 * WorkingDir, User, StopSignal) merged with the run flags as docker does. */
#ifndef ZONE_RUNTIME_SPEC_H
#define ZONE_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "runtime/net_spec.h"

struct run_flags {
	bool rm, detach, interactive, tty, read_only;
	const char *name, *workdir, *user, *hostname;
	const char *entrypoint; /* NULL: the image's; "" clears it */
	char **env;		/* -e K=V or -e K (from our environment) */
	int nenv;
	char **env_files;
	int nenv_files;
	unsigned cpus;
	uint64_t memory;
	uint64_t log_max_size; /* --log-opt max-size= / max-file= */
	unsigned log_max_files;
	const char *image;
	char **cmd; /* CMD [ARGS...] after the image, may be empty */
	int ncmd;
	struct net_flags net; /* --network, -p, --dns, --add-host */
};

/* Parse a signal name or number ("SIGTERM", "TERM", "15"); -1 if bad. */
int parse_signal(const char *s);

struct ctr_config;

/* Build the container's config: argv, env, cwd, user, tty, interactive,
 * hostname, cpus, memory, read_only, rm, stop_signal.  image_config is
 * the image's config section (may be NULL). */
int spec_build(const struct run_flags *f, json_t *image_config, const char *id,
	       struct ctr_config *out);

#endif
