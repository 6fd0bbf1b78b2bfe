/* zone login [--username U] [--password-stdin] [--tls-verify=false] [--ca-file F] REGISTRY
 * zone logout REGISTRY
 * Credentials go to containers' auth.json (oci/registry_auth.h) after the
 * registry accepted them. */
#include "cli/commands.h"
#include "cli/pull_flags.h"
#include "oci/registry.h"
#include "oci/registry_auth.h"
#include "oci/reference.h"
#include "common/zerr.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define SECRET_MAX 4096

/* "https://Host:5000/" -> "host:5000"; "index.docker.io" -> "docker.io" */
static int registry_arg(const char *in, char *out, size_t cap)
{
	const char *p = in;
	size_t n;

	if (!strncmp(p, "https://", 8))
		p += 8;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	n = strcspn(p, "/");
	if (n == 0 || n >= cap)
		return zerr(EINVAL, "'%.200s' is not a registry host", in);
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
			    p[i]))
			return zerr(EINVAL, "'%.200s' is not a registry host", in);
	snprintf(out, cap, "%.*s", (int)n, p);
	if (!strcmp(out, "index.docker.io") || !strcmp(out, "registry-1.docker.io"))
		snprintf(out, cap, "%s", REF_DEFAULT_REGISTRY);
	return 0;
}

/* A line from f without its newline; echo off when f is a terminal. */
static int read_secret_line(FILE *f, const char *prompt, bool hide, char *buf, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(fileno(f));
	bool restore = false;

	if (tty && prompt) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
	}
	if (tty && hide && tcgetattr(fileno(f), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~ECHO;
		restore = tcsetattr(fileno(f), TCSAFLUSH, &quiet) == 0;
	}
	if (!fgets(buf, cap, f))
		buf[0] = 0;
	if (restore) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (strlen(buf) == cap - 1 && buf[cap - 2] != '\n')
		return zerr(E2BIG, "input longer than %zu bytes", cap - 2);
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

int cmd_login(struct zone_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "tls-verify", optional_argument, NULL, 'T' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ 0 },
	};
	struct registry_opts ro = { .tls_verify = true };
	char host[256], user[256] = "", pass[SECRET_MAX];
	bool from_stdin = false;
	struct registry *reg;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+u:", opts, NULL)) != -1) {
		switch (c) {
		case 'u': snprintf(user, sizeof(user), "%s", optarg); break;
		case 'P': from_stdin = true; break;
		case 'T':
			if (parse_tls_verify(optarg ? optarg : "true", &ro.tls_verify) < 0)
				return -1;
			break;
		case 'C': ro.ca_file = optarg; break;
		default:
			fprintf(stderr, "usage: zone login [-u|--username USER] [--password-stdin] "
					"[--tls-verify=false] [--ca-file FILE] REGISTRY\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: zone login [-u|--username USER] [--password-stdin] "
				"[--tls-verify=false] [--ca-file FILE] REGISTRY\n");
		return 2;
	}
	if (registry_arg(argv[optind], host, sizeof(host)) < 0)
		return -1;
	if (!user[0]) {
		if (from_stdin || !isatty(0))
			return zerr(EINVAL, "give the user name with --username");
		if (read_secret_line(stdin, "Username: ", false, user, sizeof(user)) < 0)
			return -1;
	}
	if (!from_stdin && !isatty(0))
		return zerr(EINVAL, "no terminal to ask the password on: use --password-stdin");
	if (read_secret_line(stdin, "Password: ", true, pass, sizeof(pass)) < 0)
		return -1;
	if (!user[0] || !pass[0])
		return zerr(EINVAL, "empty user name or password");
	ro.username = user;
	ro.password = pass;
	rc = registry_open(host, NULL, &ro, &reg);
	if (rc == 0) {
		rc = registry_check_login(reg);
		registry_close(reg);
	}
	if (rc == 0)
		rc = auth_store(host, user, pass);
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0)
		return zerr_prefix("login %s", host);
	printf("Login Succeeded!\n");
	return 0;
}

int cmd_logout(struct zone_cli *cli, int argc, char **argv)
{
	char host[256];

	if (argc != 2) {
		fprintf(stderr, "usage: zone logout REGISTRY\n");
		return 2;
	}
	if (registry_arg(argv[1], host, sizeof(host)) < 0 || auth_remove(host) < 0)
		return zerr_prefix("logout");
	printf("Removed login credentials for %s\n", host);
	return 0;
}
