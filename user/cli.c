// SPDX-License-Identifier: GPL-2.0-only
/* cli — argument checks shared by the commands (see cli.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "log.h"
#include "op.h"

int kk_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kakunin-bpf: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'kakunin-bpf %s --help')\n", cmd);
	return KK_EXIT_USAGE;
}

int kk_require_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	kk_err(cmd, "%s", KK_NEED_ROOT);
	return -EPERM;
}

void kk_getopt_reset(void)
{
	optind = 0; /* 0, not 1: also resets glibc's internal state between commands */
	opterr = 0; /* we report unknown options ourselves, in one line */
}

void kk_cli_debug_env(void)
{
	const char *dbg = getenv("KAKUNIN_DEBUG");

	kk_log_set_verbose(dbg && *dbg && strcmp(dbg, "0") != 0);
}

int kk_cli_run(const char *name, int (*fn)(int argc, char **argv), int argc, char **argv)
{
	int rc;

	kk_log_capture_libbpf();
	kk_getopt_reset();
	rc = fn(argc, argv);
	/* What the operations noticed on the way, under this command's name. */
	kk_warnings_flush(name);
	return rc;
}

/* What getopt_long rejected, as a usage error record (what: the option). */
static void bad_option(struct kk_error *e, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		kk_error_set(e, -EINVAL, NULL, "option '%s' needs a value", arg);
	else if (optopt && arg[0] == '-' && arg[1] != '-')
		kk_error_set(e, -EINVAL, NULL, "unknown option '-%c'", optopt);
	else
		kk_error_set(e, -EINVAL, NULL, "unknown option '%s'", arg);
}

int kk_bad_option(const char *cmd, int c, char **argv)
{
	return kk_bad_option_json(cmd, c, argv, false);
}

int kk_bad_option_json(const char *cmd, int c, char **argv, bool json)
{
	struct kk_error e;

	bad_option(&e, c, argv);
	return kk_usage_print(cmd, &e, json);
}

int kk_usage_print(const char *cmd, const struct kk_error *e, bool json)
{
	if (json)
		kk_error_print(cmd, e, true);
	else
		fprintf(stderr, "kakunin-bpf: %s: %s%s%s (see 'kakunin-bpf %s --help')\n", cmd,
			e->what, *e->what ? ": " : "", e->why, cmd);
	return KK_EXIT_USAGE;
}

bool kk_argv_has(int argc, char **argv, const char *opt)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], opt))
			return true;
	return false;
}
