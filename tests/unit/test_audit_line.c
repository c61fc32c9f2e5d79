// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/output_line.c and kk_audit_chain_seal: the daemon's audit lines, written
 * directly, are byte for byte the lines the cJSON formatter made before
 * (tests/unit/golden/audit_lines.txt, generated from that formatter over audit_cases.h's
 * events: every type and hook, escaping, invalid UTF-8, signer details, random records), so the
 * hash chain and `audit verify` see no difference; kk_event_json is the same object; the sink
 * counts a line it cannot make (FORMAT, EILSEQ) and its file still verifies.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_cases.h"
#include "daemon.h"
#include "output.h"
#include "unit.h"

static char *golden[CASES_RANDOM + 1024];
static size_t ngolden;

static FILE *open_golden(void)
{
	const char *slash = strrchr(__FILE__, '/');
	char p[PATH_MAX], exe[PATH_MAX];
	FILE *f;
	ssize_t n;

	snprintf(p, sizeof(p), "%.*s/golden/audit_lines.txt", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".");
	f = fopen(p, "r");
	if (f)
		return f;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return NULL;
	exe[n] = '\0';
	snprintf(p, sizeof(p), "%s/../../../tests/unit/golden/audit_lines.txt", dirname(exe));
	return fopen(p, "r");
}

static bool load_golden(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f = open_golden();

	if (!f)
		return false;
	while ((n = getline(&line, &cap, f)) > 0 && ngolden < sizeof(golden) / sizeof(golden[0])) {
		line[n - 1] = '\0';
		golden[ngolden++] = strdup(line);
	}
	free(line);
	fclose(f);
	return ngolden > 0;
}

static size_t fixed_cases(void)
{
	struct audit_case t;
	size_t n = 0;

	while (case_fixed(&t, n))
		n++;
	return n;
}

/* The line of case c as the daemon makes it ("!ERR n" when it makes none), chain advanced. */
static char *daemon_line(struct kk_audit_chain *chain, const struct audit_case *c, char *out,
			 size_t olen, int *err)
{
	struct kk_obuf b = { 0 };
	size_t len;

	*err = kk_event_line(&b, &c->ev, c->seq, &c->clk, c->has_who ? &c->who : NULL);
	if (!*err && !kk_event_line_utf8(&c->ev, b.buf, b.len))
		*err = -EILSEQ;
	if (!*err)
		*err = kk_obuf_grow(&b, KK_AUDIT_SEAL_LEN);
	len = b.len;
	if (!*err)
		*err = kk_audit_chain_seal(chain, b.buf, &len);
	if (*err)
		snprintf(out, olen, "!ERR %d", -*err);
	else
		snprintf(out, olen, "%.*s", (int)len, b.buf);
	free(b.buf);
	return out;
}

/* Every case's line equals the old formatter's, the random ones by their chained hash. */
UNIT_TEST(lines_match_the_cjson_formatter)
{
	static char out[1 << 17];
	struct kk_audit_chain chain;
	size_t i, nfixed = fixed_cases(), bad = 0;
	struct audit_case c;
	int err;

	CHECK(load_golden());
	kk_audit_chain_init(&chain);
	for (i = 0; audit_case(&c, i); i++) {
		const char *want = i < ngolden ? golden[i] : "(missing)";

		CHECK(c.ev.type != 0xdead); /* the golden file has no undecodable records */
		daemon_line(&chain, &c, out, sizeof(out), &err);
		if (!err && i >= nfixed) /* random records: the chain's hash stands for the line */
			snprintf(out, sizeof(out), "#%s", chain.prev);
		if (!strcmp(out, want))
			continue;
		if (bad++ < 3)
			printf("# case %zu:\n#  want %s\n#  have %s\n", i, want, out);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(i, ngolden);
	CHECK(i > 3000);
}

/* The escapes of every byte below 0x20, quote, backslash and DEL, as cJSON printed them. */
UNIT_TEST(escapes_every_control_byte)
{
	struct audit_case c;
	char *j, want[512], *p = want;
	int b;

	case_base(&c, 1);
	for (b = 1; b < 0x20; b++)
		c.ev.path[b - 1] = (char)b;
	memcpy(c.ev.path + 31, "\"\\\x7f", 4);
	c.ev.path_len = 35;
	j = kk_event_json(&c.ev, 1, &c.clk, &c.who);
	CHECK(j != NULL);
	for (b = 1; b < 0x20; b++) {
		const char *s = b == 8 ? "\\b" : b == 9 ? "\\t" : b == 10 ? "\\n" : b == 12 ? "\\f" :
			       b == 13 ? "\\r" : NULL;

		p += s ? sprintf(p, "%s", s) : sprintf(p, "\\u%04x", b);
	}
	sprintf(p, "\\\"\\\\\x7f\"");
	CHECK(strstr(j, want) != NULL);
	free(j);
}

/*
 * kk_event_json is the chained line's object without prev_hash and hash; for a line the chain
 * refuses (invalid UTF-8 in a signer's details) it is what cJSON printed: the bytes as they came.
 */
UNIT_TEST(event_json_is_the_line_without_the_chain)
{
	size_t i, nfixed = fixed_cases();
	struct audit_case c;

	CHECK(ngolden >= nfixed);
	for (i = 0; i < nfixed && audit_case(&c, i); i++) {
		char *j = kk_event_json(&c.ev, c.seq, &c.clk, c.has_who ? &c.who : NULL);
		const char *g = golden[i], *cut = strstr(g, ",\"prev_hash\":\"");

		if (g[0] == '!') {
			CHECK(j != NULL && strstr(j, "\"reason\":\"bad \xff byte\"") != NULL);
			free(j);
			continue;
		}
		CHECK(j != NULL && cut != NULL);
		CHECK(strlen(j) == (size_t)(cut - g) + 1 && !strncmp(j, g, cut - g) &&
		      j[cut - g] == '}');
		free(j);
	}
}

/*
 * The sink: a signer event whose details are not UTF-8 is refused as FORMAT/EILSEQ, not
 * chained, and the lines around it verify as one chain.
 */
UNIT_TEST(sink_counts_a_line_it_cannot_make)
{
	struct kk_daemon_cfg cfg = { .max_file_bytes = 1ull << 30, .keep_files = 1 };
	char dir[] = "/tmp/kk-line-XXXXXX", why_s[256];
	struct kk_who who = { "a", "b", "c" };
	struct kk_event ev;
	struct kk_clock clk = { 0 };
	struct kk_sink s;
	struct kk_loss why = { 0 };
	const char *paths[1];
	uint64_t lines = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(cfg.audit_file, sizeof(cfg.audit_file), "%s/audit.jsonl", dir);
	CHECK_EQ_INT(kk_sink_open(&s, &cfg), 0);
	kk_event_lost(&ev, 3, "event ring full");
	CHECK(kk_sink_event(&s, &ev, 1, &clk, &who, &why));
	kk_event_agent(&ev, KK_EV_ACTION_REFUSED, 1, 1, 9, "a", "b", "c", "{\"r\":\"\xff\"}");
	CHECK(!kk_sink_event(&s, &ev, 2, &clk, &who, &why));
	CHECK_EQ_INT(why.kind, KK_LOST_FORMAT);
	CHECK_EQ_INT(why.err, EILSEQ);
	kk_event_lost(&ev, 1, "formatting failed");
	CHECK(kk_sink_event(&s, &ev, 2, &clk, &who, &why));
	kk_sink_close(&s);
	paths[0] = cfg.audit_file;
	CHECK_EQ_INT(kk_audit_verify(paths, 1, false, &lines, why_s, sizeof(why_s)), 0);
	CHECK_EQ_INT(lines, 2);
	unlink(cfg.audit_file);
	rmdir(dir);
}

int main(void)
{
	UNIT_RUN(lines_match_the_cjson_formatter);
	UNIT_RUN(escapes_every_control_byte);
	UNIT_RUN(event_json_is_the_line_without_the_chain);
	UNIT_RUN(sink_counts_a_line_it_cannot_make);
	return unit_done();
}
