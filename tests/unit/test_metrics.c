// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the Prometheus exposition (user/prom.c), the status model rendered as metrics
 * (user/metrics.c: exact text, label escaping, which series appear) and the check of the
 * daemon's metrics listen address (loopback only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "events.h"
#include "metrics.h"
#include "prom.h"
#include "unit.h"

UNIT_TEST(family_and_samples_exact)
{
	struct kk_prom p = { 0 };
	struct kk_prom_label l[] = { { "agent", "a" }, { "hook", "file_open" } };

	kk_prom_family(&p, "kk_x_total", "counter", "Things counted.");
	kk_prom_u64(&p, "kk_x_total", l, 2, 18446744073709551615ull);
	kk_prom_u64(&p, "kk_x_total", NULL, 0, 0);
	kk_prom_f64(&p, "kk_x_total", l, 1, 1.5);
	kk_prom_f64(&p, "kk_x_total", NULL, 0, 1.0 / 0.0);
	kk_prom_f64(&p, "kk_x_total", NULL, 0, 0.0 / 0.0);
	CHECK_EQ_INT(kk_prom_error(&p), 0);
	CHECK_EQ_STR(p.buf, "# HELP kk_x_total Things counted.\n"
			    "# TYPE kk_x_total counter\n"
			    "kk_x_total{agent=\"a\",hook=\"file_open\"} 18446744073709551615\n"
			    "kk_x_total 0\n"
			    "kk_x_total{agent=\"a\"} 1.5\n"
			    "kk_x_total +Inf\n"
			    "kk_x_total NaN\n");
	kk_prom_free(&p);
	CHECK(p.buf == NULL && p.len == 0);
}

UNIT_TEST(escaping)
{
	struct kk_prom p = { 0 };
	struct kk_prom_label l = { "agent", "a\"b\\c\nd" };

	/* HELP: backslash and newline escaped, the double quote not. */
	kk_prom_family(&p, "m", "gauge", "say \"x\" \\ then\nmore");
	kk_prom_u64(&p, "m", &l, 1, 7);
	CHECK_EQ_STR(p.buf, "# HELP m say \"x\" \\\\ then\\nmore\n"
			    "# TYPE m gauge\n"
			    "m{agent=\"a\\\"b\\\\c\\nd\"} 7\n");
	kk_prom_free(&p);
}

/* A model of one binding (slot 3, agent with a quote) with two hooks counted. */
static void model(struct kk_status *s, struct kk_status_binding *b, uint64_t (*counts)[2])
{
	memset(s, 0, sizeof(*s));
	memset(b, 0, sizeof(*b));
	s->loaded = true;
	s->programs = 40;
	s->bindings = b;
	s->n = 1;
	s->stats[KK_STAT_DENIED] = 5;
	s->stats[KK_STAT_EVENTS_LOST] = 2;
	s->stats[KK_STAT_PATH_FAIL] = 1;
	s->ring_used = 4096;
	s->ring_size = 4194304;
	b->slot = 3;
	b->b.gen = 9;
	b->b.ident = 1;
	strcpy(b->b.agent_id, "bot\"1");
	strcpy(b->serial, "0a");
	b->state = KK_STATE_BLOCKED;
	b->counts = counts;
	counts[1][0] = 10; /* hook 1: allowed 10 */
	counts[1][1] = 0;
	counts[2][1] = 5; /* hook 2: denied 5 */
}

UNIT_TEST(status_as_metrics)
{
	uint64_t(*counts)[2] = calloc(KK_HOOK_SLOTS, sizeof(*counts));
	struct kk_status_binding b;
	struct kk_prom p = { 0 };
	struct kk_status s;
	char want[512];

	CHECK(counts != NULL);
	model(&s, &b, counts);
	kk_metrics_render(&p, &s, NULL);
	CHECK_EQ_INT(kk_prom_error(&p), 0);
	CHECK(strstr(p.buf, "# TYPE kakunin_loaded gauge\nkakunin_loaded 1\n") != NULL);
	CHECK(strstr(p.buf, "\nkakunin_programs 40\n") != NULL);
	CHECK(strstr(p.buf, "\nkakunin_bindings 1\n") != NULL);
	CHECK(strstr(p.buf, "kakunin_identities{state=\"active\"} 0\n"
			    "kakunin_identities{state=\"revoked\"} 0\n"
			    "kakunin_identities{state=\"blocked\"} 1\n") != NULL);
	snprintf(want, sizeof(want),
		 "# TYPE kakunin_decisions_total counter\n"
		 "kakunin_decisions_total{agent=\"bot\\\"1\",serial=\"0a\",binding=\"3\",hook=\"%"
		 "s\","
		 "decision=\"allowed\"} 10\n"
		 "kakunin_decisions_total{agent=\"bot\\\"1\",serial=\"0a\",binding=\"3\",hook=\"%"
		 "s\","
		 "decision=\"denied\"} 5\n# HELP kakunin_denials_total ",
		 kk_hook_name(1), kk_hook_name(2));
	CHECK(strstr(p.buf, want) != NULL);
	CHECK(strstr(p.buf, "\nkakunin_denials_total 5\n") != NULL);
	CHECK(strstr(p.buf, "\nkakunin_events_lost_total 2\n") != NULL);
	CHECK(strstr(p.buf, "kakunin_fail_closed_total{reason=\"path_unresolved\"} 1\n") != NULL);
	CHECK(strstr(p.buf, "kakunin_fail_closed_total{reason=\"conn_table_full\"} 0\n") != NULL);
	CHECK(strstr(p.buf, "\nkakunin_ring_used_bytes 4096\n") != NULL);
	CHECK(strstr(p.buf, "\nkakunin_ring_size_bytes 4194304\n") != NULL);
	/* Outside the daemon: none of its families. */
	CHECK(strstr(p.buf, "kakunin_daemon_") == NULL);
	CHECK(strstr(p.buf, "kakunin_ocsp_") == NULL);
	kk_prom_free(&p);
	free(counts);
}

UNIT_TEST(daemon_families)
{
	uint64_t(*counts)[2] = calloc(KK_HOOK_SLOTS, sizeof(*counts));
	static struct kk_metrics_daemon d;
	struct kk_status_binding b;
	struct kk_prom p = { 0 };
	struct kk_status s;
	size_t i;

	CHECK(counts != NULL);
	model(&s, &b, counts);
	for (i = 0; i < KK_MAX_BINDINGS; i++)
		d.ocsp_age[i] = -1;
	d.written = 12;
	d.lost[KK_LOST_WRITE] = 4;
	d.ocsp_age[3] = 61;
	d.ocsp_gen[3] = 9;
	kk_metrics_render(&p, &s, &d);
	CHECK(strstr(p.buf, "\nkakunin_daemon_events_written_total 12\n") != NULL);
	CHECK(strstr(p.buf, "kakunin_daemon_events_lost_total{reason=\"write\"} 4\n"
			    "kakunin_daemon_events_lost_total{reason=\"decode\"} 0\n") != NULL);
	CHECK(strstr(p.buf, "kakunin_ocsp_response_age_seconds{agent=\"bot\\\"1\",serial=\"0a\","
			    "binding=\"3\"} 61\n") != NULL);
	kk_prom_free(&p);
	/* An age about an earlier binding of the slot is not this one's. */
	d.ocsp_gen[3] = 8;
	kk_metrics_render(&p, &s, &d);
	CHECK(strstr(p.buf, "kakunin_ocsp_response_age_seconds{") == NULL);
	kk_prom_free(&p);
	free(counts);
}

/* The daemon's saved account of its records, from status (no daemon needed to render it). */
UNIT_TEST(records_families)
{
	uint64_t(*counts)[2] = calloc(KK_HOOK_SLOTS, sizeof(*counts));
	struct kk_status_binding b;
	struct kk_prom p = { 0 };
	struct kk_status s;

	CHECK(counts != NULL);
	model(&s, &b, counts);
	s.has_records = true;
	s.records.consumed = 10;
	s.records.written = 7;
	s.records.failed[KK_LOST_DECODE] = 1;
	s.records.failed[KK_LOST_FORMAT] = 2;
	kk_metrics_render(&p, &s, NULL);
	CHECK(strstr(p.buf, "\nkakunin_consumer_records_consumed_total 10\n") != NULL);
	CHECK(strstr(p.buf, "\nkakunin_consumer_records_written_total 7\n") != NULL);
	CHECK(strstr(p.buf, "kakunin_consumer_records_failed_total{reason=\"write\"} 0\n"
			    "kakunin_consumer_records_failed_total{reason=\"decode\"} 1\n"
			    "kakunin_consumer_records_failed_total{reason=\"format\"} 2\n"
			    "kakunin_consumer_records_failed_total{reason=\"memory\"} 0\n") != NULL);
	kk_prom_free(&p);
	free(counts);
}

UNIT_TEST(not_loaded_is_one_gauge)
{
	struct kk_prom p = { 0 };
	struct kk_status s = { .loaded = false };

	kk_metrics_render(&p, &s, NULL);
	CHECK_EQ_STR(p.buf, "# HELP kakunin_loaded 1 when the BPF-LSM programs are pinned by a "
			    "build of this ABI, else 0.\n# TYPE kakunin_loaded gauge\n"
			    "kakunin_loaded 0\n");
	kk_prom_free(&p);
}

UNIT_TEST(listen_addresses)
{
	static const char *const refused[] = {
		"0.0.0.0:9471",
		"10.0.0.1:9471",
		"[::]:9471",
		"localhost:9471",
		"127.0.0.1",
		"127.0.0.1:0",
		"127.0.0.1:65536",
		"127.0.0.1:x",
		"unix:rel.sock",
		":9471",
		"",
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned int len;
	char why[256];
	size_t i;

	CHECK_EQ_INT(kk_metrics_listen_parse("127.0.0.1:9471", &ss, &len, why, sizeof(why)), 0);
	CHECK(s4->sin_family == AF_INET && ntohs(s4->sin_port) == 9471 && len == sizeof(*s4));
	CHECK(ntohl(s4->sin_addr.s_addr) == 0x7f000001);
	CHECK_EQ_INT(kk_metrics_listen_parse("127.8.9.10:1", &ss, &len, why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_metrics_listen_parse("[::1]:9471", &ss, &len, why, sizeof(why)), 0);
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 9471);
	CHECK(!memcmp(&s6->sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)));
	CHECK_EQ_INT(kk_metrics_listen_parse("unix:/run/k/m.sock", &ss, &len, why, sizeof(why)), 0);
	CHECK(ss.ss_family == AF_UNIX);
	CHECK_EQ_STR(((struct sockaddr_un *)&ss)->sun_path, "/run/k/m.sock");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(kk_metrics_listen_parse(refused[i], &ss, &len, why, sizeof(why)),
			     -EINVAL);
		CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
	}
	kk_metrics_listen_parse("0.0.0.0:9471", &ss, &len, why, sizeof(why));
	CHECK_EQ_STR(why, "'0.0.0.0:9471' is not a loopback address: use 127.0.0.1:PORT "
			  "(127.0.0.0/8), [::1]:PORT or unix:PATH");
}

int main(void)
{
	UNIT_RUN(family_and_samples_exact);
	UNIT_RUN(escaping);
	UNIT_RUN(status_as_metrics);
	UNIT_RUN(daemon_families);
	UNIT_RUN(records_families);
	UNIT_RUN(not_loaded_is_one_gauge);
	UNIT_RUN(listen_addresses);
	return unit_done();
}
