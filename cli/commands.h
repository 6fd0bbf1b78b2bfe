/* The zone CLI's command table.  A command is one line here plus its
 * function, int cmd_<name>(struct zone_cli *, int argc, char **argv), in
 * cli/<name>.c.  argv[0] is the command name.  Return 0 for success, -1
 * after zerr() (main prints the one-line error and exits 1), or another
 * exit status when the command printed its own report. */
#ifndef ZONE_CLI_COMMANDS_H
#define ZONE_CLI_COMMANDS_H

struct zone_cli {
	const char *root; /* --root DIR, else $ZONE_ROOT, else /var/lib/zone */
	const char *prog;
};

#define ZONE_COMMANDS(X) \
	X(image, "import, list, inspect and remove images") \
	X(pull, "pull an image from a registry") \
	X(login, "log in to a registry") \
	X(logout, "log out of a registry") \
	X(exec, "run a process in a running zone") \
	X(run, "run a container in a new zone") \
	X(ps, "list containers (-a: also exited ones)") \
	X(logs, "show a container's output") \
	X(stop, "stop containers (StopSignal, then SIGKILL)") \
	X(kill, "send a signal to containers") \
	X(rm, "remove containers") \
	X(wait, "wait for containers to exit; print exit codes") \
	X(inspect, "show containers' state as JSON") \
	X(network, "create, list and remove container networks")

#define ZONE_DECLARE_CMD(name, help) int cmd_##name(struct zone_cli *cli, int argc, char **argv);
ZONE_COMMANDS(ZONE_DECLARE_CMD)
#undef ZONE_DECLARE_CMD

#endif
