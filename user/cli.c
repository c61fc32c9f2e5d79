// SPDX-License-Identifier: GPL-2.0-only
/* cli — argument checks shared by the commands (see cli.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

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

int kk_parse_pid(const char *s, int *pid)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > INT_MAX)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

int kk_require_root(const char *cmd)
{
	if (geteuid() == 0)
		return 0;
	kk_err(cmd, "must run as root (loading BPF programs and writing their maps needs "
		    "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
	return -EPERM;
}

void kk_getopt_reset(void)
{
	optind = 0; /* 0, not 1: also resets glibc's internal state between commands */
	opterr = 0; /* we report unknown options ourselves, in one line */
}

int kk_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return kk_usage_error(cmd, "option '%s' needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return kk_usage_error(cmd, "unknown option '-%c'", optopt);
	return kk_usage_error(cmd, "unknown option '%s'", arg);
}
