// SPDX-License-Identifier: GPL-2.0-only
/* cmd_daemon — `kakunin-bpf daemon [--config FILE]` (its configuration file: daemon_config.c). */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"

static const char usage[] =
	"usage: kakunin-bpf daemon [--config FILE]\n\n"
	"Consume the kernel's events: write the hash-chained audit file (default\n"
	KK_AUDIT_FILE ", mode 0600) and syslog if configured, serve 'kakunin-bpf events' on\n"
	KK_EVENTS_SOCKET ", report lost events, end bindings whose processes are gone, and\n"
	"block an identity when its certificate expires (agent.expired; agent.expiring ahead).\n"
	"Config (JSON, default " KK_DAEMON_CONFIG " if it exists): audit_file, max_file_bytes,\n"
	"keep_files, max_unwritten_bytes, syslog, socket, ocsp_timeout_ms, ocsp_url,\n"
	"dns_refresh_seconds, expiry_warning_seconds. While the audit file\n"
	"cannot be written (disk full, file size limit) events are kept in memory up to\n"
	"max_unwritten_bytes and written later; past that they are counted and reported as\n"
	"events.lost with the reason.\n"
	"SIGTERM flushes and exits; SIGHUP reopens the audit file.\n";

static const struct option opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

int cmd_daemon(int argc, char **argv)
{
	struct kk_daemon_cfg cfg;
	const char *file = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'c')
			file = optarg;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option("daemon", c, argv);
	}
	if (optind < argc)
		return kk_usage_error("daemon", "unexpected argument '%s'", argv[optind]);
	if (!file && access(KK_DAEMON_CONFIG, F_OK) == 0)
		file = KK_DAEMON_CONFIG;
	if (kk_daemon_config(file, &cfg))
		return KK_EXIT_FAIL;
	if (kk_require_root("daemon"))
		return KK_EXIT_FAIL;
	return kk_daemon_run(&cfg);
}
