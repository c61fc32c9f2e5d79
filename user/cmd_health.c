// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_health — `kakunin-bpf health [--json] [--no-daemon] [--config FILE] [--socket PATH]
 * [--timeout MS]`: the checks of op_health.c as one line (or one JSON object) and an exit code,
 * for a Kubernetes readiness or liveness probe.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "daemon.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf health [--json] [--no-daemon] [--config FILE] [--socket PATH]\n"
	"                          [--timeout MS]\n\n"
	"Ready when the programs are pinned with this build's ABI stamp, at least one is\n"
	"attached, and the daemon answers on its events socket within MS milliseconds (default\n"
	"2000; the socket of --config FILE, default " KK_DAEMON_CONFIG " if it exists, or\n"
	"--socket PATH). --no-daemon checks the kernel side only. Exit 0 and 'ready' when\n"
	"ready; exit 1 and one line naming the first check that failed when not (also when not\n"
	"root); --json prints {\"ready\", \"loaded\", \"programs\", \"daemon\", \"reason\"}.\n";

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "no-daemon", no_argument, NULL, 'n' },
	{ "config", required_argument, NULL, 'c' },
	{ "socket", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print(const struct kk_health *h, bool json)
{
	cJSON *o;
	char *text;

	if (!json) {
		if (h->ready)
			printf("ready: loaded, %d programs attached%s\n", h->programs,
			       h->asked ? ", daemon answering" : "");
		else
			fprintf(stderr, "kakunin-bpf: health: not ready: %s\n", h->reason);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ready", h->ready);
	cJSON_AddBoolToObject(o, "loaded", h->loaded);
	cJSON_AddNumberToObject(o, "programs", h->programs < 0 ? 0 : h->programs);
	if (h->asked)
		cJSON_AddBoolToObject(o, "daemon", h->daemon);
	else
		cJSON_AddNullToObject(o, "daemon");
	cJSON_AddStringToObject(o, "reason", h->reason);
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{\"ready\":false}");
	free(text);
	cJSON_Delete(o);
}

/* The daemon's socket: --socket, else the configuration's (which must then be valid). */
static int daemon_socket(const char *config, const char *socket, char *out, size_t len)
{
	struct kk_daemon_cfg cfg;

	if (socket) {
		snprintf(out, len, "%s", socket);
		return 0;
	}
	if (!config && access(KK_DAEMON_CONFIG, F_OK) == 0)
		config = KK_DAEMON_CONFIG;
	if (kk_daemon_config(config, &cfg))
		return -EINVAL; /* reported, one line */
	snprintf(out, len, "%s", cfg.socket_path);
	return 0;
}

int cmd_health(int argc, char **argv)
{
	struct kk_health_req req = { .timeout_ms = 2000 };
	bool json = kk_argv_has(argc, argv, "--json"), no_daemon = false;
	const char *config = NULL, *socket = NULL;
	char path[sizeof(((struct kk_daemon_cfg *)0)->socket_path)];
	struct kk_health h;
	struct kk_error e;
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'n') {
			no_daemon = true;
		} else if (c == 'c') {
			config = optarg;
		} else if (c == 's') {
			socket = optarg;
		} else if (c == 't') {
			v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > 60000) {
				kk_error_set(&e, -EINVAL, "--timeout",
					     "'%s' is not a number of milliseconds from 1 to 60000",
					     optarg);
				return kk_usage_print("health", &e, json);
			}
			req.timeout_ms = (int)v;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return KK_EXIT_OK;
		} else {
			return kk_bad_option_json("health", c, argv, json);
		}
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("health", &e, json);
	}
	if (!no_daemon) {
		if (daemon_socket(config, socket, path, sizeof(path)))
			return KK_EXIT_FAIL;
		req.socket = path;
	}
	if (kk_op_health(&req, &h, &e)) {
		kk_error_print("health", &e, json);
		return KK_EXIT_FAIL;
	}
	print(&h, json);
	return h.ready ? KK_EXIT_OK : KK_EXIT_FAIL;
}
