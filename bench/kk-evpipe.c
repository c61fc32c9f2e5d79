// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-evpipe — the daemon's per-event work without a kernel: decode a ring record, make its JSON
 * line in the sink's queue, chain it (SHA-256), keep it in the `events` clients' history, write
 * the queue to the audit file per MiB — the code the daemon runs (daemon.c's on_record and
 * publish), on this machine's real CPU. It bounds the daemon's events/s from above where the
 * ring cannot be measured (a host without BPF-LSM) and shows what the consumer costs per event.
 *
 *   kk-evpipe EVENTS FILE    prints {"events", "seconds", "events_per_s", "cpu_seconds",
 *                            "events_per_cpu_s"}
 *
 * cpu_seconds is this process's user + system time: on a shared, loaded host the wall clock
 * also counts the time other processes had the CPU, the CPU time does not.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "events.h"
#include "output.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	static const char path[] = "/tmp/kkbench/denied/f";
	struct kk_daemon_cfg cfg = { .max_file_bytes = 1ULL << 40, .keep_files = 1 };
	struct kk_who who = { .agent_id = "bench", .serial = "4b0102030405060708",
			      .policy_version = "bench-10" };
	static struct kk_event raw, ev;
	char sock[PATH_MAX + 8];
	struct kk_clients *clients;
	struct kk_clock clk;
	struct kk_sink sink;
	struct kk_loss why;
	long i, n;
	double t0, t1, c0, c1;

	if (argc != 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: kk-evpipe EVENTS FILE\n");
		return 2;
	}
	snprintf(cfg.audit_file, sizeof(cfg.audit_file), "%s", argv[2]);
	unlink(cfg.audit_file);
	if (kk_sink_open(&sink, &cfg))
		return 1;
	/* The clients' history is per-event work too; nobody connects. */
	snprintf(sock, sizeof(sock), "%s.sock", cfg.audit_file);
	clients = kk_clients_open(sock);
	if (!clients)
		return 1;
	kk_clock_sync(&clk);
	raw.type = KK_EV_ACTION_DENIED;
	raw.hook = KK_HOOK_FILE_OPEN;
	raw.pid = raw.tid = 4242;
	raw.access = KK_ACCESS_READ;
	raw.reason = KK_REASON_NOT_IN_SCOPE;
	raw.err = 13;
	snprintf(raw.comm, sizeof(raw.comm), "kk-bench");
	memcpy(raw.path, path, sizeof(path));
	raw.path_len = sizeof(path);
	t0 = now();
	c0 = cpu();
	for (i = 0; i < n; i++) {
		raw.ktime_ns = (uint64_t)(t0 * 1e9) + i;
		if (kk_event_decode(&raw, KK_EVENT_HDR_SIZE + raw.path_len, &ev) ||
		    !kk_sink_event(&sink, &ev, i + 1, &clk, &who, &why))
			return 1;
		kk_clients_send(clients, &ev, i + 1, &clk, &who);
	}
	kk_sink_flush(&sink);
	t1 = now();
	c1 = cpu();
	kk_sink_close(&sink);
	kk_clients_close(clients);
	unlink(sock);
	printf("{\"events\": %ld, \"seconds\": %.4f, \"events_per_s\": %.0f, \"cpu_seconds\": "
	       "%.4f, \"events_per_cpu_s\": %.0f}\n",
	       n, t1 - t0, n / (t1 - t0), c1 - c0, n / (c1 - c0));
	return 0;
}
