/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daemon — `kakunin-bpf daemon`: the single consumer of the kernel's event ring. It writes the
 * hash-chained audit file (and syslog), serves `events` clients on a unix socket, turns lost
 * ring records into events.lost, stops the tasks of identities the in-kernel tripwire revoked,
 * and runs the timers: OCSP polling, DNS refresh of bound policies, rotation grace periods,
 * reaping ended bindings. Enforcement (the kernel's refusals) never depends on it.
 */
#ifndef KK_DAEMON_H
#define KK_DAEMON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "kakunin.h"
#include "loss.h"
#include "output.h"

#define KK_DAEMON_CONFIG "/etc/kakunin/daemon.json"
#define KK_AUDIT_FILE "/var/log/kakunin/audit.jsonl"
#define KK_EVENTS_SOCKET "/run/kakunin/events.sock"

#define KK_DAEMON_CRL_URLS 16 /* at most this many crl_urls */

struct kk_daemon_cfg {
	char audit_file[PATH_MAX];
	uint64_t max_file_bytes; /* rotate when the file grows past this */
	int keep_files;		 /* rotated files kept: audit.jsonl.1 .. .N */
	bool syslog;		 /* also send every line to syslog (LOG_AUTHPRIV) */
	char socket_path[108];
	int ocsp_timeout_ms;
	char ocsp_url[512];	      /* "" = each certificate's AIA URL */
	int dns_refresh_s;	      /* 0 = never */
	uint64_t max_unwritten_bytes; /* lines kept while the file cannot be written; 0: default */
	int64_t expiry_warning_s;     /* agent.expiring this long before not_after; 0 = never */
	char metrics_listen[120];     /* "" = no metrics; else metrics.h's listen address */
	/* CRLs the daemon fetches (daemon_crl.c): http:// URLs, and the bound certificates' CDPs */
	char crl_urls[KK_DAEMON_CRL_URLS][512];
	int n_crl_urls;
	bool crl_from_certificates; /* default true */
};
#define KK_EXPIRY_WARNING_S (7 * 86400) /* expiry_warning_seconds' default */

/*
 * Defaults, then FILE if given: JSONC validated like a policy (duplicate and unknown keys, wrong
 * types, values out of range), every problem reported as "FILE:LINE:COL: key: reason". -errno.
 */
int kk_daemon_config(const char *file, struct kk_daemon_cfg *c);
struct kk_errors;
/* The same over text (len bytes) named file, reporting nothing: the problems go to errs. */
int kk_daemon_config_parse(const char *file, const char *text, size_t len,
			   struct kk_daemon_cfg *c, struct kk_errors *errs);
/* Run until SIGTERM/SIGINT. Returns the exit code. */
int kk_daemon_run(const struct kk_daemon_cfg *c);

/* --- the audit file (daemon_sink.c) --- */

#define KK_SINK_UNWRITTEN_MAX (16ull << 20) /* default of max_unwritten_bytes */
#define KK_SINK_CHUNK	      (1u << 20)     /* lines are written once this many are queued */

struct kk_sink {
	const struct kk_daemon_cfg *cfg;
	int fd;
	uint64_t size;
	struct kk_audit_chain chain;
	uint64_t last_seq;    /* seq of the last line written before we started */
	struct kk_obuf q;     /* chained lines not yet written */
	size_t max;	      /* the bound on q.len (max_unwritten_bytes) */
	int werr;	      /* errno of the last failed write or open */
	bool failing;	      /* the last write failed: reported once until it works again */
	bool dirty;	      /* written since the last fdatasync */
};

int kk_sink_open(struct kk_sink *s, const struct kk_daemon_cfg *cfg);
/*
 * Make the event's line (kk_event_line, in place in the queue), chain it and queue it: true,
 * or false with *why (the line is then not chained, so the file never lacks a line the chain
 * has). The queue is written once it holds KK_SINK_CHUNK bytes; unwritten lines past the
 * bound are first written; while the file cannot be written they are refused (KK_LOST_WRITE,
 * s->werr).
 */
bool kk_sink_event(struct kk_sink *s, const struct kk_event *ev, uint64_t seq,
		   const struct kk_clock *c, const struct kk_who *who, struct kk_loss *why);
/* Write what is queued; keep it on failure (reported once, retried by the next call). */
void kk_sink_flush(struct kk_sink *s);
/* Once a second: fdatasync what was written, rotate past max_file_bytes. */
void kk_sink_tick(struct kk_sink *s);
/* SIGHUP: reopen the file by name (after an outside rotation), keeping the chain. */
void kk_sink_reopen(struct kk_sink *s);
/* Write what is queued, sync, close; lines that still cannot be written are reported. */
void kk_sink_close(struct kk_sink *s);

/* --- `events` clients (daemon_clients.c) --- */

struct kk_who;
struct kk_clock;
struct kk_clients;

struct kk_clients *kk_clients_open(const char *path);
int kk_clients_listen_fd(const struct kk_clients *c);
/* A new connection on the listening socket. */
void kk_clients_accept(struct kk_clients *c, int epfd);
/* Data or hang-up on client fd; false when fd is not a client. */
bool kk_clients_io(struct kk_clients *c, int fd, int epfd);
/* Offer one event to every client whose filter matches. */
void kk_clients_send(struct kk_clients *c, const struct kk_event *ev, uint64_t seq,
		     const struct kk_clock *clk, const struct kk_who *who);
void kk_clients_close(struct kk_clients *c);

/* --- revocations on request (daemon_control.c) --- */

struct kk_control;
/*
 * Serve control.sock in the directory of cfg's events socket from a thread of its own; NULL,
 * said on stderr, when it cannot (the daemon runs on without).
 */
struct kk_control *kk_control_start(const struct kk_daemon_cfg *cfg);
void kk_control_stop(struct kk_control *k);
void kk_control_free(struct kk_control *k);

#endif
