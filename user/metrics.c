// SPDX-License-Identifier: GPL-2.0-only
/* metrics — the status model as Prometheus text, and the listen address check (metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "events.h"
#include "metrics.h"

#define L(n, v) ((struct kk_prom_label){ (n), (v) })

static const char *const fail_closed[] = {
	"path_unresolved", "binding_invalid", "inherit_failed",
	"conn_table_full", "file_table_full", "object_table_full", "peer_unattested",
};
static const int fail_closed_stat[] = {
	KK_STAT_PATH_FAIL,	 KK_STAT_BINDING_INVALID, KK_STAT_INHERIT_FAIL,
	KK_STAT_CONN_TABLE_FULL, KK_STAT_FILE_TABLE_FULL, KK_STAT_OBJ_TABLE_FULL,
	KK_STAT_PEER_FAIL,
};

static const char *state_name(uint32_t s)
{
	return s == KK_STATE_ACTIVE ? "active" : s == KK_STATE_REVOKED ? "revoked" : "blocked";
}

static void gauge(struct kk_prom *p, const char *name, const char *help, uint64_t v)
{
	kk_prom_family(p, name, "gauge", help);
	kk_prom_u64(p, name, NULL, 0, v);
}

static void counter(struct kk_prom *p, const char *name, const char *help, uint64_t v)
{
	kk_prom_family(p, name, "counter", help);
	kk_prom_u64(p, name, NULL, 0, v);
}

/* Distinct identities of live bindings, per state (every state printed, 0 included). */
static void identities(struct kk_prom *p, const struct kk_status *s)
{
	static const uint32_t states[] = { KK_STATE_ACTIVE, KK_STATE_REVOKED, KK_STATE_BLOCKED };
	uint64_t n[3] = { 0 };
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < i && s->bindings[j].b.ident != s->bindings[i].b.ident; j++)
			;
		if (j == i)
			n[s->bindings[i].state <= KK_STATE_BLOCKED ? s->bindings[i].state
								   : KK_STATE_BLOCKED]++;
	}
	kk_prom_family(p, "kakunin_identities", "gauge",
		       "Distinct identities (certificates) of live bindings, by state.");
	for (i = 0; i < 3; i++) {
		struct kk_prom_label l = L("state", state_name(states[i]));

		kk_prom_u64(p, "kakunin_identities", &l, 1, n[states[i]]);
	}
}

static void decisions(struct kk_prom *p, const struct kk_status *s)
{
	static const char *const dec[2] = { "allowed", "denied" };
	const char *name = "kakunin_decisions_total";
	char slot[16];
	size_t i;
	uint32_t h;
	int k;

	kk_prom_family(p, name, "counter",
		       "Decisions on bound tasks per binding and hook, counted by the kernel since "
		       "the bind.");
	for (i = 0; i < s->n; i++) {
		const struct kk_status_binding *b = &s->bindings[i];

		snprintf(slot, sizeof(slot), "%u", b->slot);
		for (h = 1; h < KK_HOOK_MAX; h++) {
			for (k = 0; k < 2; k++) {
				struct kk_prom_label l[] = {
					L("agent", b->b.agent_id), L("serial", b->serial),
					L("binding", slot),	   L("hook", kk_hook_name(h)),
					L("decision", dec[k]),
				};

				if (b->counts[h][k])
					kk_prom_u64(p, name, l, 5, b->counts[h][k]);
			}
		}
	}
}

static void kernel_counters(struct kk_prom *p, const struct kk_status *s)
{
	const char *fc = "kakunin_fail_closed_total";
	size_t i;

	counter(p, "kakunin_denials_total", "Denials of every binding, counted by the kernel.",
		s->stats[KK_STAT_DENIED]);
	counter(p, "kakunin_audited_total",
		"Would-be denials of audit-mode policies, counted by the kernel.",
		s->stats[KK_STAT_AUDITED]);
	counter(p, "kakunin_events_lost_total",
		"Events the kernel could not queue because the event ring was full.",
		s->stats[KK_STAT_EVENTS_LOST]);
	kk_prom_family(p, fc, "counter",
		       "Accesses denied because the kernel could not decide them, by reason.");
	for (i = 0; i < sizeof(fail_closed_stat) / sizeof(fail_closed_stat[0]); i++) {
		struct kk_prom_label l = L("reason", fail_closed[i]);

		kk_prom_u64(p, fc, &l, 1, s->stats[fail_closed_stat[i]]);
	}
	gauge(p, "kakunin_ring_used_bytes",
	      "Bytes of the event ring reserved by the kernel and not yet consumed.", s->ring_used);
	gauge(p, "kakunin_ring_size_bytes", "Size of the event ring.", s->ring_size);
}

/* The daemon's account of the records it consumed, as it last saved it (loss.h). */
static void records(struct kk_prom *p, const struct kk_status *s)
{
	const char *f = "kakunin_consumer_records_failed_total";
	unsigned int i;

	if (!s->has_records)
		return;
	counter(p, "kakunin_consumer_records_consumed_total",
		"Records the daemon took from the event ring (saved once a second).",
		s->records.consumed);
	counter(p, "kakunin_consumer_records_written_total",
		"Records the daemon took from the event ring and wrote to the audit file.",
		s->records.written);
	kk_prom_family(p, f, "counter",
		       "Records the daemon took from the event ring and did not write, by reason.");
	for (i = KK_LOST_WRITE; i < KK_LOST_KINDS; i++) {
		struct kk_prom_label l = L("reason", kk_lost_kind_name(i));

		kk_prom_u64(p, f, &l, 1, s->records.failed[i]);
	}
}

static void daemon_counters(struct kk_prom *p, const struct kk_status *s,
			    const struct kk_metrics_daemon *d)
{
	const char *age = "kakunin_ocsp_response_age_seconds";
	char slot[16];
	size_t i;

	counter(p, "kakunin_daemon_events_written_total",
		"Events the daemon wrote to the audit file.", d->written);
	kk_prom_family(p, "kakunin_daemon_events_lost_total", "counter",
		       "Events the daemon took from the ring and could not write, by reason.");
	for (i = KK_LOST_WRITE; i < KK_LOST_KINDS; i++) {
		struct kk_prom_label l = L("reason", kk_lost_kind_name(i));

		kk_prom_u64(p, "kakunin_daemon_events_lost_total", &l, 1, d->lost[i]);
	}
	kk_prom_family(p, age, "gauge",
		       "Seconds since the last good OCSP answer for a polled binding (since the "
		       "bind before the first).");
	for (i = 0; i < s->n; i++) {
		const struct kk_status_binding *b = &s->bindings[i];
		struct kk_prom_label l[3];

		if (d->ocsp_age[b->slot] < 0 || d->ocsp_gen[b->slot] != b->b.gen)
			continue;
		snprintf(slot, sizeof(slot), "%u", b->slot);
		l[0] = L("agent", b->b.agent_id);
		l[1] = L("serial", b->serial);
		l[2] = L("binding", slot);
		kk_prom_u64(p, age, l, 3, (uint64_t)d->ocsp_age[b->slot]);
	}
}

void kk_metrics_render(struct kk_prom *p, const struct kk_status *s,
		       const struct kk_metrics_daemon *d)
{
	gauge(p, "kakunin_loaded",
	      "1 when the BPF-LSM programs are pinned by a build of this ABI, else 0.", s->loaded);
	if (!s->loaded)
		return;
	gauge(p, "kakunin_programs", "Attached programs (pinned links).",
	      s->programs < 0 ? 0 : (uint64_t)s->programs);
	gauge(p, "kakunin_bindings", "Live bindings.", s->n);
	identities(p, s);
	decisions(p, s);
	kernel_counters(p, s);
	records(p, s);
	if (d)
		daemon_counters(p, s, d);
}

static int bad(char *why, size_t wlen, const char *spec)
{
	snprintf(why, wlen,
		 "'%s' is not a loopback address: use 127.0.0.1:PORT (127.0.0.0/8), "
		 "[::1]:PORT or unix:PATH",
		 spec);
	return -EINVAL;
}

static int parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = htons((in_port_t)v);
	return 0;
}

int kk_metrics_listen_parse(const char *spec, struct sockaddr_storage *ss, unsigned int *len,
			    char *why, size_t wlen)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_un *su = (struct sockaddr_un *)ss;
	const char *colon = strrchr(spec, ':');
	char host[64];

	memset(ss, 0, sizeof(*ss));
	if (!strncmp(spec, "unix:", 5)) {
		if (spec[5] != '/' || strlen(spec + 5) >= sizeof(su->sun_path)) {
			snprintf(why, wlen,
				 "'%s': unix: needs an absolute path shorter than %zu bytes", spec,
				 sizeof(su->sun_path));
			return -EINVAL;
		}
		su->sun_family = AF_UNIX;
		strcpy(su->sun_path, spec + 5);
		*len = sizeof(*su);
		return 0;
	}
	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return bad(why, wlen, spec);
	memcpy(host, spec, colon - spec);
	host[colon - spec] = '\0';
	if (parse_port(colon + 1, &s4->sin_port)) {
		snprintf(why, wlen, "'%s': the port must be a number from 1 to 65535", spec);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return bad(why, wlen, spec);
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return 0;
	}
	if (!strcmp(host, "[::1]")) {
		s6->sin6_port = s4->sin_port;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		*len = sizeof(*s6);
		return 0;
	}
	return bad(why, wlen, spec);
}
