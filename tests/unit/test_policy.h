/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_policy.h — shared by the tests/unit/test_policy*.c programs: tables of policy documents
 * run through kk_policy_parse, each expecting success or an exact first error (formatted as the
 * CLI prints it after "FILE:") and an exact number of errors; the seed policy; and helpers to
 * compile a document and find its path and network entries.
 */
#ifndef KK_TEST_POLICY_H
#define KK_TEST_POLICY_H

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "unit.h"

/* A document whose identity is on line 1: the members under test start at 2:1. */
#define DOC(members) "{\"agent_id\": \"a\", \"version\": \"1\",\n" members "\n}"

/* policies/trading-bot.json (docs/DESIGN.md's example), byte for byte. */
#define SEED                                                                                       \
	"{\n"                                                                                      \
	"  \"agent_id\": \"trading_bot_v2\",          // must equal the certificate's CN\n"        \
	"  \"version\": \"1.0.0\",\n"                                                              \
	"  \"mode\": \"enforce\",                     // or \"audit\"\n"                           \
	"  \"execution_constraints\": {\n"                                                         \
	"    \"allowed_regions\": [\"eu-west-1\"],    // checked at bind against the host's"       \
	" region\n"                                                                                \
	"    \"allowed_hours\": \"08:00-17:00 UTC\",  // outside: connect, exec and writes are"    \
	" denied\n"                                                                                \
	"    \"max_concurrent_trades\": 5,          // max concurrent outbound connections\n"      \
	"    \"rate_limit\": \"100 trades/hour\"      // token bucket on outbound connections\n"   \
	"  },\n"                                                                                   \
	"  \"data_access\": {                       // most specific rule wins; [] = explicit"     \
	" deny\n"                                                                                  \
	"    \"/data/market-feeds/*\": [\"read\"],\n"                                              \
	"    \"/data/positions/*\": [\"read\", \"write\"],\n"                                      \
	"    \"/logs/trades/*\": [\"write\"],\n"                                                   \
	"    \"/secrets/*\": []\n"                                                                 \
	"  },\n"                                                                                   \
	"  \"exec\": [\"/usr/bin/python3\"],          // absent: no exec list; present: only"      \
	" these\n"                                                                                 \
	"  \"network_rules\": {\n"                                                                 \
	"    \"allowed_hosts\": [\"api.exchange.com\", \"10.1.0.0/16\", \"[2001:db8::1]:443\"],\n" \
	"    \"denied_hosts\": [\"*.internal-network.local\", \"169.254.169.254\"]  // deny"       \
	" wins\n"                                                                                  \
	"  },\n"                                                                                   \
	"  \"revocation_check\": { \"enabled\": true, \"cache_ttl_seconds\": 5, \"fail_open\":"    \
	" false },\n"                                                                              \
	"  \"auto_revoke\": { \"max_denials\": 20, \"window_seconds\": 60 }   // in-kernel"        \
	" tripwire\n"                                                                              \
	"}\n"

struct doc_case {
	const char *name;
	const char *text;
	size_t len;	   /* bytes of text; 0: strlen(text) */
	const char *first; /* "LINE:COL: field: reason" of the first error; NULL: valid */
	size_t n_errors;   /* 0 for a valid document */
};

/* "LINE:COL: field: reason"; "field: " left out when the error has none, as the CLI does. */
static inline const char *fmt_error(const struct kk_policy_error *e, char *buf, size_t len)
{
	snprintf(buf, len, "%d:%d: %s%s%s", e->line, e->col, e->field, e->field[0] ? ": " : "",
		 e->reason);
	return buf;
}

/* 64 lowercase hex digits. */
/* p's hash as hex; four buffers in turn, so one expression can show two hashes. */
static inline const char *hash_hex(const struct kk_policy *p)
{
	static char buf[4][KK_POLICY_HASH_HEX];
	static unsigned int n;

	return kk_policy_hash_hex(p, buf[n++ % 4]);
}

static inline bool is_hash(const char *h)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!isdigit((unsigned char)h[i]) && !(h[i] >= 'a' && h[i] <= 'f'))
			return false;
	return h[64] == '\0';
}

/* Parse text; 0 or -EINVAL as kk_policy_parse returns. The caller frees p and errs. */
static inline int parse_doc(const char *text, struct kk_policy *p, struct kk_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	return kk_policy_parse("p.json", text, strlen(text), p, errs);
}

/* Report the case by name with what was expected and what happened; marks the test failed. */
static inline void doc_case_fail(const struct doc_case *t, int line, int rc,
				 const struct kk_errors *e)
{
	char got[512];

	unit_fail_begin(__FILE__, line);
	printf("case %s: expected ", t->name);
	if (t->first) {
		printf("%zu error(s), first ", t->n_errors);
		unit_put_str(t->first);
	} else {
		printf("a valid document");
	}
	printf(", got rc %d, %zu error(s)", rc, e->n);
	if (e->n) {
		printf(", first ");
		unit_put_str(fmt_error(&e->v[0], got, sizeof(got)));
	}
	printf("\n");
}

/* One case: every mismatch is reported, the remaining cases still run. */
static inline void check_doc_case(const struct doc_case *t)
{
	struct kk_errors e = { 0 };
	struct kk_policy p;
	char got[512];
	int rc;

	rc = kk_policy_parse("p.json", t->text, t->len ? t->len : strlen(t->text), &p, &e);
	if (!t->first) {
		if (rc != 0 || e.n != 0 || !p.canonical || !is_hash(hash_hex(&p)))
			doc_case_fail(t, __LINE__, rc, &e);
	} else if (rc != -EINVAL || e.n != t->n_errors || !e.n ||
		   strcmp(fmt_error(&e.v[0], got, sizeof(got)), t->first)) {
		doc_case_fail(t, __LINE__, rc, &e);
	}
	kk_policy_free(&p);
	kk_errors_free(&e);
}

static inline void check_doc_cases(const struct doc_case *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_doc_case(&v[i]);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- compiling (test_policy_compile.c, test_policy_net.c) --- */

/* A document without the baseline: only its own entries are compiled. */
#define NB(members) "{\"agent_id\": \"a\", \"version\": \"1\", \"baseline\": false,\n" members "\n}"
/* Entries of the baseline (19 exact rules, 7 subtree rules of two entries each). */
#define N_BASELINE 33

/* A temporary file (a resolv.conf) holding text; its name in path[64]. */
static inline int tmp_text_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/kk-test-policy-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

struct compiled {
	struct kk_policy p;
	struct kk_ruleset rs;
	struct kk_errors e;
	int parse_rc, rc;
};

/* Parse and compile doc (offline or not, resolv.conf given); free with done(). */
static inline int compile(struct compiled *c, const char *doc, bool offline,
			  const char *resolv_conf)
{
	struct kk_policy_opts o = { .offline = offline, .resolv_conf = resolv_conf };

	memset(c, 0, sizeof(*c));
	c->parse_rc = kk_policy_parse("p.json", doc, strlen(doc), &c->p, &c->e);
	c->rc = c->parse_rc ? c->parse_rc : kk_policy_compile(&c->p, &o, &c->rs, &c->e);
	return c->rc;
}

static inline void done(struct compiled *c)
{
	kk_ruleset_free(&c->rs);
	kk_policy_free(&c->p);
	kk_errors_free(&c->e);
}

/* The path entry whose key is the n bytes of s (a final NUL included in n), or NULL. */
static inline const struct kk_path_entry *path_entry(const struct compiled *c, const char *s,
						     size_t n)
{
	uint8_t want[KK_LPM_PATH_LEN] = { 0 };
	size_t i;

	memcpy(want, s, n);
	for (i = 0; i < c->rs.n_paths; i++) {
		const struct kk_path_entry *e = &c->rs.paths[i];

		if (e->key.prefixlen == 32 + 8 * n && !memcmp(e->key.path, want, sizeof(want)) &&
		    e->key.policy_id == 0)
			return e;
	}
	return NULL;
}

/* The network entry for addr (inet_pton AF_INET6 form) / prefix in the allow or deny trie. */
static inline const struct kk_net_entry *net_entry(const struct compiled *c, const char *addr,
						   int prefix, bool deny)
{
	uint8_t a[16];
	size_t i;

	if (inet_pton(AF_INET6, addr, a) != 1)
		return NULL;
	for (i = 0; i < c->rs.n_net; i++) {
		const struct kk_net_entry *e = &c->rs.net[i];

		if (e->key.prefixlen == 32u + prefix && !memcmp(e->key.addr, a, 16) &&
		    e->deny == deny)
			return e;
	}
	return NULL;
}

/* Does e carry exactly the ports of want[0..n) (in any order)? */
static inline bool has_ports(const struct kk_net_entry *e, const uint16_t *want, int n)
{
	int i, j;

	if (e->val.nports != n)
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && e->val.ports[j] != want[i]; j++)
			;
		if (j == n)
			return false;
	}
	return true;
}

/* The first error of a compile, formatted. */
static inline const char *first_error(const struct compiled *c)
{
	static char buf[512];

	if (!c->e.n)
		return "(none)";
	return fmt_error(&c->e.v[0], buf, sizeof(buf));
}

#endif /* KK_TEST_POLICY_H */
