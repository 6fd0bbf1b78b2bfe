/* OCI hooks run on the host, as runc runs them: the container's state JSON
 * on stdin, the hook's own args and env, an optional timeout. */
#include "runtime/runc.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run_one(const struct oci_hook *h, const char *state, const char *kind, size_t index)
{
	int in[2], status;
	uint64_t deadline = h->timeout > 0 ? monotonic_ms() + (uint64_t)h->timeout * 1000 : 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return zerr(errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return zerr(errno, "fork");
	}
	if (pid == 0) {
		char *path_only[] = { h->path, NULL };
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], 0);
		dup2(2, 1); /* stdout is the caller's (state, create's output) */
		execve(h->path, h->args && h->args[0] ? h->args : path_only, h->env);
		dprintf(2, "hook %s: %s\n", h->path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	/* a hook that does not read its stdin must not block us */
	signal(SIGPIPE, SIG_IGN);
	write_all(in[1], state, strlen(state));
	close(in[1]);
	for (;;) {
		pid_t w = waitpid(pid, &status, deadline ? WNOHANG : 0);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return zerr(errno, "waiting for %s hook #%zu", kind, index);
		if (deadline && monotonic_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return zerr(0, "error running %s hook #%zu: timeout after %d seconds", kind, index,
				    h->timeout);
		}
		usleep(5000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return zerr(0, "error running %s hook #%zu: signal: %s", kind, index,
			    strsignal(WTERMSIG(status)));
	return zerr(0, "error running %s hook #%zu: exit status %d", kind, index, WEXITSTATUS(status));
}

int runc_hooks_run(const struct oci_spec *spec, enum oci_hook_kind kind, const struct ctr_state *st)
{
	const struct oci_hook_list *list = &spec->hooks[kind];
	json_t *j;
	char *state;
	int r = 0;

	if (!list->n)
		return 0;
	static const char *const status_for[OCI_HOOK_KINDS] = {
		[OCI_HOOK_PRESTART] = "creating",	 [OCI_HOOK_CREATE_RUNTIME] = "creating",
		[OCI_HOOK_CREATE_CONTAINER] = "creating", [OCI_HOOK_START_CONTAINER] = "created",
		[OCI_HOOK_POSTSTART] = "running",	 [OCI_HOOK_POSTSTOP] = "stopped",
	};

	j = runc_state_json(st);
	if (j)
		json_object_set_new(j, "status", json_string(status_for[kind]));
	state = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!state)
		return zerr(ENOMEM, "state for hooks");
	for (size_t i = 0; i < list->n && r == 0; i++)
		r = run_one(&list->hooks[i], state, oci_hook_kind_name(kind), i);
	free(state);
	return r;
}
