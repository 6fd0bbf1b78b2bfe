#include "runtime/nft.h"
#include "common/util.h"
#include "common/zerr.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NFT_OUT_MAX (16u << 20)

static const char *nft_path(void)
{
	return access("/usr/sbin/nft", X_OK) == 0 ? "/usr/sbin/nft" : "nft";
}

/* Run nft with args, stdin from `in` (may be NULL); stdout into *out
 * (malloc'd, NUL-terminated) when out is given.  0 or -1 (zerr). */
static int run_nft(char *const args[], const char *in, char **out)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, status;
	char *obuf = NULL, ebuf[512] = "";
	size_t olen = 0, elen = 0;
	pid_t pid;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		zerr(errno, "pipe");
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		zerr(errno, "fork");
		goto fail;
	}
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		execvp(nft_path(), args);
		dprintf(2, "cannot run nft: %s (install Debian's nftables)\n", strerror(errno));
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	/* scripts are small: written whole before reading (nft reads all of
	 * stdin before it prints anything) */
	if (in)
		write_all(pin[1], in, strlen(in));
	close(pin[1]);
	pin[1] = -1;
	struct pollfd p[2] = { { pout[0], POLLIN, 0 }, { perr[0], POLLIN, 0 } };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			char buf[65536];
			ssize_t n = read(pout[0], buf, sizeof(buf));
			if (n <= 0) {
				p[0].fd = -1;
			} else if (olen + n < NFT_OUT_MAX) {
				char *nb = realloc(obuf, olen + n + 1);
				if (nb) {
					obuf = nb;
					memcpy(obuf + olen, buf, n);
					olen += n;
				}
			}
		}
		if (p[1].revents) {
			ssize_t n = read(perr[0], ebuf + elen, sizeof(ebuf) - 1 - elen);
			if (n <= 0)
				p[1].fd = -1;
			else
				elen += n;
		}
	}
	close(pout[0]);
	close(perr[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ebuf[elen] = 0;
	ebuf[strcspn(ebuf, "\n")] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(obuf);
		return zerr(0, "nft: %s", ebuf[0] ? ebuf : "failed");
	}
	if (out) {
		*out = obuf ? obuf : strdup("");
		if (obuf)
			obuf[olen] = 0;
	} else {
		free(obuf);
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	return -1;
}

/* The table's JSON listing, reused between nft_cache(true) and
 * nft_cache(false) until something changes the table (each nft run costs
 * a few milliseconds; a container start needs the listing several times). */
static bool caching;
static char *cached;	   /* NULL: not listed yet */
static bool cached_absent; /* listed: no table */

void nft_cache(bool on)
{
	caching = on;
	free(cached);
	cached = NULL;
	cached_absent = false;
}

/* 0 with *out (malloc'd) or -1 (zerr) when the table does not exist. */
static int list_table(char **out)
{
	char *const list[] = { "nft", "-j", "list", "table", "inet", "zone", NULL };

	if (caching && cached) {
		*out = strdup(cached);
		return *out ? 0 : zerr(ENOMEM, "nft listing");
	}
	if (caching && cached_absent)
		return zerr(ENOENT, "no table " NFT_TABLE);
	if (run_nft(list, NULL, out) < 0) {
		cached_absent = caching;
		return -1;
	}
	if (caching)
		cached = strdup(*out);
	return 0;
}

int nft_apply(const char *script)
{
	char *const args[] = { "nft", "-f", "-", NULL };

	nft_cache(caching); /* the table changes: list it again next time */
	return run_nft(args, script, NULL);
}

int nft_ensure_table(void)
{
	/* the jump rules exist once, with the chains, so they are only
	 * added with a new table */
	char *out = NULL;

	if (list_table(&out) == 0) {
		free(out);
		return 0;
	}
	zerr_clear();
	return nft_apply(
		"add table " NFT_TABLE "\n"
		/* published ports: DNAT traffic to a local address, from outside
		 * (prerouting) and from the host itself (output) */
		"add chain " NFT_TABLE " published\n"
		"add chain " NFT_TABLE " prerouting { type nat hook prerouting priority dstnat; }\n"
		"add chain " NFT_TABLE " output { type nat hook output priority -100; }\n"
		"add rule " NFT_TABLE " prerouting fib daddr type local jump published\n"
		"add rule " NFT_TABLE " output fib daddr type local jump published\n"
		"add chain " NFT_TABLE " postrouting { type nat hook postrouting priority srcnat; }\n"
		"add chain " NFT_TABLE " forward { type filter hook forward priority filter; }\n"
		"add chain " NFT_TABLE " input { type filter hook input priority filter; }\n");
}

/* Calls fn(chain, handle, comment) for every rule with a comment. */
static int each_rule(void (*fn)(const char *, json_int_t, const char *, void *), void *arg)
{
	json_t *doc, *items, *it;
	char *out;
	size_t i;

	if (list_table(&out) < 0) {
		zerr_clear(); /* no table: no rules */
		return 0;
	}
	doc = json_loads(out, 0, NULL);
	free(out);
	items = json_object_get(doc, "nftables");
	if (!json_is_array(items)) {
		json_decref(doc);
		return zerr(EPROTO, "nft -j: unexpected output");
	}
	json_array_foreach(items, i, it) {
		json_t *r = json_object_get(it, "rule");
		const char *comment = json_string_value(json_object_get(r, "comment"));
		const char *chain = json_string_value(json_object_get(r, "chain"));
		if (r && comment && chain)
			fn(chain, json_integer_value(json_object_get(r, "handle")), comment, arg);
	}
	json_decref(doc);
	return 0;
}

struct del_ctx {
	bool (*match)(const char *, void *);
	void *arg;
	char *script;
	size_t len;
	int count;
};

static void collect(const char *chain, json_int_t handle, const char *comment, void *arg)
{
	struct del_ctx *d = arg;
	char line[160];
	int n;

	if (!d->match(comment, d->arg) || strchr(chain, ' ') || strchr(chain, ';'))
		return;
	n = snprintf(line, sizeof(line), "delete rule " NFT_TABLE " %s handle %lld\n", chain,
		     (long long)handle);
	char *s = realloc(d->script, d->len + n + 1);
	if (!s)
		return;
	memcpy(s + d->len, line, n + 1);
	d->script = s;
	d->len += n;
	d->count++;
}

int nft_delete_rules(bool (*match)(const char *, void *), void *arg)
{
	struct del_ctx d = { match, arg, NULL, 0, 0 };
	int r;

	if (each_rule(collect, &d) < 0)
		return -1;
	r = d.count ? nft_apply(d.script) : 0;
	free(d.script);
	return r < 0 ? -1 : d.count;
}

static void find(const char *chain, json_int_t handle, const char *comment, void *arg)
{
	const char **want = arg;
	if (*want && !strcmp(comment, *want))
		*want = NULL; /* found */
}

bool nft_has_rule(const char *comment)
{
	const char *want = comment;
	return each_rule(find, &want) == 0 && want == NULL;
}

static void count_all(const char *chain, json_int_t handle, const char *comment, void *arg)
{
	++*(int *)arg;
}

int nft_drop_table_if_empty(void)
{
	int n = 0;

	if (each_rule(count_all, &n) < 0)
		return -1;
	if (n)
		return 0;
	char *out = NULL;
	if (list_table(&out) < 0) {
		zerr_clear();
		return 0;
	}
	free(out);
	return nft_apply("delete table " NFT_TABLE "\n");
}
