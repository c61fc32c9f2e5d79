// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_listen — network_rules.listen: where the agent may bind, listen and accept (TCP, UDP,
 * SCTP). Entries name local addresses, never hostnames:
 *
 *	"8080"			every local address, that port (0.0.0.0 and :: included)
 *	"127.0.0.1:8080"	that address and port ("[::1]:8080" for IPv6)
 *	"10.0.0.0/8:9000"	a CIDR and a port ("[fd00::/8]:9000")
 *	"127.0.0.1", "[::1]"	that address (or CIDR), every port
 *	"0.0.0.0:8080"		binding the wildcard address itself ("[::]:8080")
 *
 * Compiled into the kk_net_listen LPM trie like allowed_hosts: 128-bit addresses (IPv4 mapped),
 * broader entries folded into narrower ones. A bind to the wildcard address 0.0.0.0 or :: is
 * looked up like any other address, so whenever a CIDR contains one of them the wildcard gets an
 * entry of its own carrying only the ports of the rules naming it or naming no address.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_fields_int.h"

/* The wildcard addresses as 128-bit keys: 0.0.0.0 (IPv4-mapped) and ::. */
static const uint8_t wildcards[2][16] = {
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 },
	{ 0 },
};

static bool is_wildcard(const uint8_t addr[16], uint8_t prefix)
{
	return prefix == 128 &&
	       (!memcmp(addr, wildcards[0], 16) || !memcmp(addr, wildcards[1], 16));
}

/*
 * Is the host part (before a single ":port") spelled as an address, the way kk_host_parse
 * tells them from names: brackets, IPv6 colons, a prefix, or digits and dots?
 */
static bool address_like(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t len = strlen(s), n = colon && !strchr(colon + 1, ':') ? (size_t)(colon - s) : len;

	if (s[0] == '[' || memchr(s, '/', n) || (colon && n == len))
		return true;
	return n && isdigit((unsigned char)s[0]) && strspn(s, "0123456789.") >= n;
}

int kk_listen_parse(const char *text, struct kk_host_rule *h, char *why, size_t wlen)
{
	size_t n = strlen(text);
	int err;

	memset(h, 0, sizeof(*h));
	if (n && strspn(text, "0123456789") == n) {
		h->kind = KK_HOST_ADDR; /* prefix 0: every address */
		return kk_port_parse(text, &h->port, why, wlen);
	}
	err = kk_host_parse(text, false, h, why, wlen);
	if (err == -ENOMEM)
		return err;
	if (!err && h->kind == KK_HOST_ADDR)
		return 0;
	free(h->name);
	memset(h, 0, sizeof(*h));
	/* An address with a mistake gets the parser's reason; a name, a wildcard or junk this. */
	if (!err || !address_like(text))
		snprintf(why, wlen, "not a port or address");
	return -EINVAL;
}

int kk_listen_canonical(const struct kk_host_rule *h, char *buf, size_t len)
{
	if (h->prefix == 0 && h->port)
		return snprintf(buf, len, "%u", h->port) < (int)len ? 0 : -ENOSPC;
	return kk_host_canonical(h, buf, len);
}

/* The same rule twice (by canonical text: "[::/0]:80" is "80") is an error; the first stays. */
static void drop_duplicates(struct kk_pg_ctx *c)
{
	struct kk_policy *p = c->p;
	size_t i, out = 0, n = p->n_listen;
	char **canon = calloc(n + 1, sizeof(*canon));
	long *first = NULL;

	for (i = 0; canon && i < n; i++) {
		canon[i] = malloc(80);
		if (!canon[i] || kk_listen_canonical(&p->listen[i], canon[i], 80))
			goto out;
	}
	first = canon ? kk_first_dups((const char *const *)canon, n) : NULL;
	if (!first)
		goto out;
	for (i = 0; i < n; i++) {
		const struct kk_host_rule *h = &p->listen[i];
		char field[48];

		if (first[i] < 0)
			continue;
		snprintf(field, sizeof(field), "network_rules.listen[%d]", h->index);
		kk_errors_add(c->errs, h->line, h->col, field,
			      "\"%s\" duplicates the network_rules.listen entry \"%s\"", h->text,
			      p->listen[first[i]].text);
	}
	for (i = 0; i < n; i++) {
		if (first[i] < 0)
			p->listen[out++] = p->listen[i];
		else
			free(p->listen[i].text);
	}
	p->n_listen = out;
out:
	if (!first)
		c->oom = 1;
	for (i = 0; canon && i < n; i++)
		free(canon[i]);
	free(canon);
	free(first);
}

void kk_pf_listen(struct kk_pg_ctx *c, const cJSON *v)
{
	static const char name[] = "network_rules.listen";
	struct kk_policy *p = c->p;
	const cJSON *it;
	int i = 0;

	if (!kk_pg_want_type(c, v, cJSON_Array, name, "an array of ports and local addresses"))
		return;
	p->listen = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(*p->listen));
	if (!p->listen) {
		c->oom = 1;
		return;
	}
	for (it = v->child; it; it = it->next, i++) {
		char *field = kk_pg_index_path(c, name, i), why[200];
		struct kk_host_rule h;
		int err;

		if (!field)
			return;
		if (!cJSON_IsString(it)) {
			kk_pg_err_at(c, it, false, field, "must be a string");
		} else if ((err = kk_listen_parse(it->valuestring, &h, why, sizeof(why)))) {
			if (err == -ENOMEM)
				c->oom = 1;
			else
				kk_pg_err_at(c, it, false, field, "\"%s\": %s", it->valuestring,
					     why);
		} else {
			h.text = kk_pg_dup_str(c, it->valuestring);
			h.index = i;
			kk_jsonc_pos(c->j, it, &h.line, &h.col);
			p->listen[p->n_listen++] = h;
		}
		free(field);
	}
	drop_duplicates(c);
}

/*
 * A wildcard address inside a CIDR rule would take that rule's ports as the longest match: give
 * it an entry of its own, with no port of its own (only those of rules without an address,
 * folded in), unless a rule names it already.
 */
static int add_wildcards(struct kk_net_set *s)
{
	size_t w, i, n = s->n;
	int err;

	for (w = 0; w < 2; w++) {
		bool named = false, inside = false;

		for (i = 0; i < n; i++) {
			named |= s->v[i].prefix == 128 && !memcmp(s->v[i].addr, wildcards[w], 16);
			inside |= s->v[i].prefix && s->v[i].prefix < 128 &&
				  kk_net_contains(s->v[i].addr, s->v[i].prefix, wildcards[w], 128);
		}
		if (named || !inside)
			continue;
		err = kk_net_push(s, wildcards[w], 128, 0, false, KK_ORIGIN_POLICY,
				  "wildcard address: only rules naming it or no address");
		if (err)
			return err;
		s->v[s->n - 1].any_port = false;
		s->v[s->n - 1].wildcard = true;
	}
	return 0;
}

int kk_compile_listen(const struct kk_policy *p, struct kk_ruleset *rs, struct kk_errors *errs)
{
	struct kk_net_set s = { .errs = errs, .field = "network_rules.listen" };
	size_t i;
	int err = 0;

	for (i = 0; !err && i < p->n_listen; i++) {
		const struct kk_host_rule *h = &p->listen[i];

		err = kk_net_push(&s, h->addr, h->prefix, h->port, false, KK_ORIGIN_POLICY,
				  h->text);
		if (!err)
			s.v[s.n - 1].wildcard = is_wildcard(h->addr, h->prefix);
	}
	err = err ?: add_wildcards(&s);
	err = err ?: kk_net_fold(&s, &rs->listen, &rs->n_listen);
	free(s.v);
	return err;
}
