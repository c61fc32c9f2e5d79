/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics — the status model (op.h) and, in the daemon, what only the daemon knows, as
 * Prometheus text (prom.h). `status --format prometheus` and the daemon's /metrics render the
 * kernel-derived families with the same function, so the two agree. What each family counts:
 *
 *   kakunin_loaded                        1 when the programs are pinned and of this ABI
 *   kakunin_programs                      pinned links (attached programs)
 *   kakunin_bindings                      live bindings
 *   kakunin_identities{state}             distinct identities of live bindings per state
 *   kakunin_decisions_total{agent,serial,binding,hook,decision}
 *                                         the kernel's per-binding, per-hook counters (kk_counts):
 *                                         every allowed/denied decision of a bound task; a
 *                                         binding's series start at 0 at its bind and end with it
 *   kakunin_denials_total                 every denial of any binding (KK_STAT_DENIED)
 *   kakunin_audited_total                 would-be denials of audit-mode policies
 *   kakunin_events_lost_total             events the kernel could not queue (ring full)
 *   kakunin_fail_closed_total{reason}     decisions denied because the kernel could not decide
 *   kakunin_ring_used_bytes, kakunin_ring_size_bytes
 *                                         the event ring: reserved and not yet consumed; size
 *   kakunin_consumer_records_consumed_total, kakunin_consumer_records_written_total,
 *   kakunin_consumer_records_failed_total{reason}
 *                                         the daemon's account of the records it took from
 *                                         the ring, as it saved it (loss.h, once a second):
 *                                         consumed = written + failed; the kernel produced
 *                                         consumed + kakunin_events_lost_total
 * and in the daemon only:
 *   kakunin_daemon_events_written_total   events written to the audit file
 *   kakunin_daemon_events_lost_total{reason}
 *                                         events taken from the ring and not written
 *   kakunin_ocsp_response_age_seconds{agent,serial,binding}
 *                                         seconds since the last good OCSP answer (since the
 *                                         bind until the first), for bindings the daemon polls
 */
#ifndef KK_METRICS_H
#define KK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loss.h"
#include "op.h"
#include "prom.h"

struct kk_metrics_daemon {
	uint64_t written;		    /* events written to the audit file */
	uint64_t lost[KK_LOST_KINDS];	    /* taken from the ring and not written, cumulative */
	int64_t ocsp_age[KK_MAX_BINDINGS];  /* seconds; < 0: the slot is not polled */
	uint32_t ocsp_gen[KK_MAX_BINDINGS]; /* the binding generation ocsp_age is about */
};

/* s (and d, NULL outside the daemon) as exposition text into p. */
void kk_metrics_render(struct kk_prom *p, const struct kk_status *s,
		       const struct kk_metrics_daemon *d);

/*
 * The "metrics": {"listen": ...} value of daemon.json: "HOST:PORT" with HOST an IPv4 loopback
 * address (127.0.0.0/8) or "[::1]", or "unix:PATH". Fills *ss, *len. -EINVAL and why[] (one
 * line) otherwise: the metrics are never served beyond this host.
 */
struct sockaddr_storage;
int kk_metrics_listen_parse(const char *spec, struct sockaddr_storage *ss, unsigned int *len,
			    char *why, size_t wlen);

/* --- the /metrics server in the daemon (metrics_http.c) --- */

struct kk_metrics_srv;
/* Called for each request: the text to answer with, into p; -errno answers 500. */
typedef int (*kk_metrics_fill_fn)(struct kk_prom *p, void *ctx);
/* Listen on spec (parsed above), add to epfd. NULL when it cannot (reported). */
struct kk_metrics_srv *kk_metrics_srv_open(const char *spec, int epfd, kk_metrics_fill_fn fill,
					   void *ctx);
/* Readiness or hang-up on fd: false when fd is not the server's. */
bool kk_metrics_srv_io(struct kk_metrics_srv *s, int fd, uint32_t events);
/* Once a second: drop a client that has not finished within its time. */
void kk_metrics_srv_tick(struct kk_metrics_srv *s);
void kk_metrics_srv_close(struct kk_metrics_srv *s);

#endif
