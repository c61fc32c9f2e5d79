// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_egress — the policy's "egress" section (docs/policy.md "Egress"): the upstreams the
 * agent may reach only through the kakunin egress, which originates mutual TLS as the agent.
 *
 *	"egress": {"api.exchange.com:443": {"listen": "127.0.0.1:18443",
 *					     "ca": "/etc/kakunin/exchange-ca.pem",
 *					     "server_name": "api.exchange.com",	// optional
 *					     "http_events": false}}		// optional
 *
 * Parsed into struct kk_egress_rule (policy.h), written into the canonical form (so the policy
 * hash covers it), and compiled into the forced path: each listener is allowed as an
 * allowed_hosts "address:port" would be, and every address of each upstream (a hostname
 * resolved as allowed_hosts hostnames are) is denied on every port. The kernel looks in the
 * deny trie first, so no allowed_hosts entry can reopen a direct way to the upstream.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "policy_fields_int.h"

/* "host:port", "[v6]:port": the upstream in canonical text (host is normalized already). */
static int upstream_text(const struct kk_egress_rule *r, char *buf, size_t len)
{
	bool v6 = strchr(r->host, ':') != NULL;
	int n = snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", r->host, v6 ? "]" : "", r->port);

	return n < (int)len ? 0 : -ENOSPC;
}

/* "127.0.0.1:18443", "[::1]:18443". */
static int listen_text(const struct kk_egress_rule *r, char *buf, size_t len)
{
	struct kk_host_rule h = { .kind = KK_HOST_ADDR, .prefix = 128, .port = r->listen_port };

	memcpy(h.addr, r->listen_addr, 16);
	return kk_host_canonical(&h, buf, len);
}

/* An address's text without port or brackets ("10.0.0.1", "2001:db8::1"); malloc'd. */
static char *addr_text(const uint8_t addr[16])
{
	struct kk_host_rule h = { .kind = KK_HOST_ADDR, .prefix = 128 };
	char buf[INET6_ADDRSTRLEN + 8];

	memcpy(h.addr, addr, 16);
	return kk_host_canonical(&h, buf, sizeof(buf)) ? NULL : strdup(buf);
}

static bool is_unspecified(const uint8_t addr[16])
{
	static const uint8_t zero[16], v4_zero[16] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(addr, zero, 16) || !memcmp(addr, v4_zero, 16);
}

/* The key: "host:port" (a hostname or one address, a port required) into r->host, r->port. */
static int parse_upstream(const char *key, struct kk_egress_rule *r, char *why, size_t wlen)
{
	struct kk_host_rule h;
	int err = kk_host_parse(key, true, &h, why, wlen);

	if (err)
		return err;
	if (h.kind == KK_HOST_WILDCARD)
		snprintf(why, wlen, "an upstream is one host, not a wildcard");
	else if (h.kind == KK_HOST_ADDR && h.prefix != 128)
		snprintf(why, wlen, "an upstream is one host, not a CIDR");
	else if (h.kind == KK_HOST_ADDR && is_unspecified(h.addr))
		snprintf(why, wlen, "the unspecified address is not an upstream");
	else if (!h.port)
		snprintf(why, wlen, "needs a port: \"HOST:PORT\" or \"[IPv6]:PORT\"");
	else
		why[0] = '\0';
	if (why[0]) {
		free(h.name);
		return -EINVAL;
	}
	r->port = h.port;
	r->host = h.kind == KK_HOST_NAME ? h.name : addr_text(h.addr);
	return r->host ? 0 : -ENOMEM;
}

/* "listen": one loopback address with a port (127.0.0.0/8 or [::1]). */
static int parse_listen(const char *text, struct kk_egress_rule *r, char *why, size_t wlen)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	struct kk_host_rule h;
	int err = kk_host_parse(text, false, &h, why, wlen);

	if (err)
		return err;
	free(h.name);
	r->listen_v4 = kk_addr_is_v4(h.addr, h.prefix);
	if (h.kind != KK_HOST_ADDR)
		snprintf(why, wlen,
			 "must be a loopback address and port (127.0.0.1:PORT or "
			 "[::1]:PORT), not a hostname");
	else if (h.prefix != 128)
		snprintf(why, wlen, "must be one address and port, not a CIDR");
	else if (!(r->listen_v4 ? h.addr[12] == 127 : !memcmp(h.addr, v6_loopback, 16)))
		snprintf(why, wlen,
			 "must be a loopback address (127.0.0.0/8 or [::1]): only this "
			 "host's agents reach the egress");
	else if (!h.port)
		snprintf(why, wlen, "needs a port (127.0.0.1:PORT or [::1]:PORT)");
	else
		why[0] = '\0';
	if (why[0])
		return -EINVAL;
	memcpy(r->listen_addr, h.addr, 16);
	r->listen_port = h.port;
	return 0;
}

/* "server_name": a hostname or an address, no port: what the certificate must name. */
static int parse_server_name(const char *text, char **out, char *why, size_t wlen)
{
	struct kk_host_rule h;
	int err = kk_host_parse(text, false, &h, why, wlen);

	if (err)
		return err;
	if (h.kind == KK_HOST_WILDCARD || (h.kind == KK_HOST_ADDR && h.prefix != 128) || h.port) {
		free(h.name);
		snprintf(why, wlen,
			 "must be a hostname or an IP address, without port or wildcard");
		return -EINVAL;
	}
	*out = h.kind == KK_HOST_NAME ? h.name : addr_text(h.addr);
	return *out ? 0 : -ENOMEM;
}

/*
 * A string member of entry v, checked by fn; its error "\"VALUE\": why" at the value. Absent:
 * "required" at the entry when required.
 */
static void string_member(struct kk_pg_ctx *c, const cJSON *v, const char *pre, const char *key,
			  bool required, const char *what,
			  int (*fn)(const char *, void *, char *, size_t), void *arg)
{
	const cJSON *m = kk_pg_member(v, key);
	char *path = kk_pg_member_path(c, pre, key), why[200];
	int err;

	if (!path)
		return;
	if (!m) {
		if (required)
			kk_pg_err_at(c, v, false, path, "required");
	} else if (kk_pg_want_type(c, m, cJSON_String, path, what)) {
		err = fn(m->valuestring, arg, why, sizeof(why));
		if (err == -ENOMEM)
			c->oom = 1;
		else if (err)
			kk_pg_err_at(c, m, false, path, "\"%s\": %s", m->valuestring, why);
	}
	free(path);
}

static int listen_fn(const char *s, void *r, char *why, size_t wlen)
{
	return parse_listen(s, r, why, wlen);
}

static int ca_fn(const char *s, void *r, char *why, size_t wlen)
{
	int err = kk_path_check(s, KK_PATH_MAX, why, wlen);

	if (err)
		return -EINVAL;
	((struct kk_egress_rule *)r)->ca = strdup(s);
	return ((struct kk_egress_rule *)r)->ca ? 0 : -ENOMEM;
}

static int server_name_fn(const char *s, void *r, char *why, size_t wlen)
{
	return parse_server_name(s, &((struct kk_egress_rule *)r)->server_name, why, wlen);
}

static void free_rule(struct kk_egress_rule *r)
{
	free(r->upstream);
	free(r->host);
	free(r->ca);
	free(r->server_name);
	memset(r, 0, sizeof(*r));
}

void kk_egress_free(struct kk_egress_rule *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free_rule(&v[i]);
	free(v);
}

/* One entry "KEY": {...} into r; false (r freed) when anything in it is wrong. */
static bool parse_entry(struct kk_pg_ctx *c, const cJSON *m, const char *pre,
			struct kk_egress_rule *r)
{
	static const char *const known[] = { "ca", "http_events", "listen", "server_name", NULL };
	size_t before = c->errs->n;
	const cJSON *f;
	char why[200], *path;
	int err;

	memset(r, 0, sizeof(*r));
	err = parse_upstream(m->string, r, why, sizeof(why));
	if (err == -ENOMEM)
		c->oom = 1;
	else if (err)
		kk_pg_err_at(c, m, true, pre, "%s", why);
	if (kk_pg_want_type(c, m, cJSON_Object, pre,
			    "an object {\"listen\": \"127.0.0.1:PORT\", \"ca\": \"/PATH.pem\"}")) {
		kk_pg_check_keys(c, m, pre, known, true);
		string_member(c, m, pre, "listen", true, "a string \"127.0.0.1:PORT\"", listen_fn,
			      r);
		string_member(c, m, pre, "ca", true, "a string: the absolute path of a PEM file",
			      ca_fn, r);
		string_member(c, m, pre, "server_name", false,
			      "a string: a hostname or an IP address", server_name_fn, r);
		if ((f = kk_pg_member(m, "http_events")) &&
		    (path = kk_pg_member_path(c, pre, "http_events"))) {
			kk_pg_bool(c, f, path, &r->http_events);
			free(path);
		}
	}
	if (!r->server_name && r->host)
		r->server_name = kk_pg_dup_str(c, r->host);
	r->upstream = kk_pg_dup_str(c, m->string);
	if (c->oom || c->errs->n > before) {
		free_rule(r);
		return false;
	}
	return true;
}

/*
 * The same upstream twice (as canonical text: "API.exchange.com:443" is "api.exchange.com:443")
 * or two upstreams on one listener: an error at the later one.
 */
static void check_pairs(struct kk_pg_ctx *c)
{
	const struct kk_policy *p = c->p;
	char a[320], b[320], field[340];
	size_t i, j;

	for (i = 1; i < p->n_egress; i++) {
		const struct kk_egress_rule *r = &p->egress[i];
		const struct kk_egress_pos *pos = &p->egress_pos[i];

		for (j = 0; j < i; j++) {
			const struct kk_egress_rule *o = &p->egress[j];

			if (upstream_text(r, a, sizeof(a)) || upstream_text(o, b, sizeof(b)))
				continue;
			if (!strcmp(a, b)) {
				snprintf(field, sizeof(field), "egress[\"%s\"]", r->upstream);
				kk_errors_add(c->errs, pos->upstream.line, pos->upstream.col, field,
					      "the same upstream as egress[\"%s\"]", o->upstream);
			}
			if (r->listen_port == o->listen_port &&
			    !memcmp(r->listen_addr, o->listen_addr, 16) &&
			    !listen_text(r, a, sizeof(a))) {
				snprintf(field, sizeof(field), "egress[\"%s\"].listen",
					 r->upstream);
				kk_errors_add(c->errs, pos->listen.line, pos->listen.col, field,
					      "\"%s\" is already the listener of egress[\"%s\"]: "
					      "one upstream per listener",
					      a, o->upstream);
			}
		}
	}
}

void kk_pf_egress(struct kk_pg_ctx *c, const cJSON *v)
{
	struct kk_policy *p = c->p;
	size_t n;
	const cJSON *m;

	if (!kk_pg_want_type(c, v, cJSON_Object, "egress",
			     "an object of \"HOST:PORT\": {\"listen\", \"ca\"}"))
		return;
	kk_pg_check_keys(c, v, "egress", NULL, false);
	n = (size_t)cJSON_GetArraySize(v);
	if (n > KK_EGRESS_MAX)
		kk_pg_err_at(c, v, false, "egress", "%zu upstreams; at most %d", n, KK_EGRESS_MAX);
	p->egress = calloc(n + 1, sizeof(*p->egress));
	p->egress_pos = calloc(n + 1, sizeof(*p->egress_pos));
	if (!p->egress || !p->egress_pos) {
		c->oom = 1;
		return;
	}
	for (m = v->child; m && !c->oom; m = m->next) {
		struct kk_egress_pos *pos = &p->egress_pos[p->n_egress];
		char *pre;

		if (asprintf(&pre, "egress[\"%s\"]", m->string) < 0) {
			c->oom = 1;
			return;
		}
		/* A duplicate key is reported by check_keys; only its first entry is parsed. */
		if (kk_pg_member(v, m->string) == m &&
		    parse_entry(c, m, pre, &p->egress[p->n_egress])) {
			kk_jsonc_key_pos(c->j, m, &pos->upstream.line, &pos->upstream.col);
			kk_jsonc_pos(c->j, kk_pg_member(m, "listen"), &pos->listen.line,
				     &pos->listen.col);
			kk_jsonc_pos(c->j, kk_pg_member(m, "ca"), &pos->ca.line, &pos->ca.col);
			p->n_egress++;
		}
		free(pre);
	}
	/* Pairs are compared in O(n^2): only once the count is known to be small. */
	if (n <= KK_EGRESS_MAX)
		check_pairs(c);
}

/* --- canonical form --- */

static int cmp_upstream(const void *a, const void *b)
{
	char x[320], y[320];

	upstream_text(a, x, sizeof(x));
	upstream_text(b, y, sizeof(y));
	return strcmp(x, y);
}

cJSON *kk_egress_canon(const struct kk_policy *p)
{
	struct kk_egress_rule *v = calloc(p->n_egress + 1, sizeof(*v));
	cJSON *o = cJSON_CreateObject(), *e;
	char key[320], lis[80];
	size_t i;

	if (!v || !o)
		goto fail;
	if (p->n_egress) {
		memcpy(v, p->egress, p->n_egress * sizeof(*v));
		qsort(v, p->n_egress, sizeof(*v), cmp_upstream);
	}
	/* Keys in byte order, every default written out: "server_name" is never left implicit. */
	for (i = 0; i < p->n_egress; i++) {
		if (upstream_text(&v[i], key, sizeof(key)) || listen_text(&v[i], lis, sizeof(lis)))
			goto fail;
		e = cJSON_AddObjectToObject(o, key);
		if (!e || !cJSON_AddStringToObject(e, "ca", v[i].ca) ||
		    !cJSON_AddBoolToObject(e, "http_events", v[i].http_events) ||
		    !cJSON_AddStringToObject(e, "listen", lis) ||
		    !cJSON_AddStringToObject(e, "server_name", v[i].server_name))
			goto fail;
	}
	free(v);
	return o;
fail:
	free(v);
	cJSON_Delete(o);
	return NULL;
}

/* --- the forced path --- */

int kk_egress_net(const struct kk_policy *p, const struct kk_policy_opts *opts,
		  struct kk_net_set *s, struct kk_ruleset *rs)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < p->n_egress; i++) {
		const struct kk_egress_rule *r = &p->egress[i];
		struct kk_host_rule h;
		char why[200], *field;

		/* The listener, as the allowed_hosts entry "address:port". */
		err = kk_net_push(s, r->listen_addr, 128, r->listen_port, false, KK_ORIGIN_EGRESS,
				  r->upstream);
		if (err)
			break;
		/* The upstream's host, as a denied_hosts entry without port: every port. */
		err = kk_host_parse(r->host, true, &h, why, sizeof(why));
		if (err)
			break; /* parsed once already: only -ENOMEM */
		h.text = r->upstream;
		h.origin = KK_ORIGIN_EGRESS;
		h.port = 0;
		h.line = p->egress_pos[i].upstream.line;
		h.col = p->egress_pos[i].upstream.col;
		if (asprintf(&field, "egress[\"%s\"]", r->upstream) < 0)
			field = NULL;
		err = field ? kk_net_add_host(s, rs, &h, opts, field) : -ENOMEM;
		free(field);
		free(h.name);
	}
	return err;
}

/* The deny entry the kernel's longest-prefix lookup finds for addr, or NULL. */
static const struct kk_net_entry *deny_match(const struct kk_ruleset *rs, const uint8_t addr[16])
{
	const struct kk_net_entry *best = NULL;
	size_t i;

	for (i = 0; i < rs->n_net; i++) {
		const struct kk_net_entry *e = &rs->net[i];

		if (e->deny &&
		    kk_net_contains(e->key.addr, (uint8_t)(e->key.prefixlen - 32), addr, 128) &&
		    (!best || e->key.prefixlen > best->key.prefixlen))
			best = e;
	}
	return best;
}

void kk_egress_check_listeners(const struct kk_policy *p, const struct kk_ruleset *rs,
			       struct kk_errors *errs)
{
	char lis[80], field[340];
	size_t i;
	int k;

	for (i = 0; i < p->n_egress; i++) {
		const struct kk_egress_rule *r = &p->egress[i];
		const struct kk_egress_pos *pos = &p->egress_pos[i];
		const struct kk_net_entry *e = deny_match(rs, r->listen_addr);
		bool denied = e && e->val.any_port;

		for (k = 0; e && k < e->val.nports; k++)
			denied |= e->val.ports[k] == r->listen_port;
		if (!denied || listen_text(r, lis, sizeof(lis)))
			continue;
		snprintf(field, sizeof(field), "egress[\"%s\"].listen", r->upstream);
		if (e->origin == KK_ORIGIN_EGRESS)
			kk_errors_add(errs, pos->listen.line, pos->listen.col, field,
				      "\"%s\" is an address of the upstream egress[\"%s\"], denied "
				      "on every port: the agent could not reach this listener",
				      lis, e->source);
		else
			kk_errors_add(errs, pos->listen.line, pos->listen.col, field,
				      "\"%s\" is denied by \"%s\" (deny wins): the agent could not "
				      "reach this listener",
				      lis, e->source);
	}
}

/* A CA bundle is a few certificates: a file larger than this is not one. */
#define CA_FILE_MAX (1u << 20)

int kk_egress_ca_check(const struct kk_egress_rule *r, char *why, size_t wlen)
{
	int fd = open(r->ca, O_RDONLY | O_CLOEXEC | O_NOCTTY), err = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, got;

	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		snprintf(why, wlen, "cannot read \"%s\" on this host: %s", r->ca, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CA_FILE_MAX) {
		err = -EINVAL;
		snprintf(why, wlen, "\"%s\" is %s", r->ca,
			 S_ISREG(st.st_mode) ? "larger than a CA bundle (1 MiB)"
					     : "not a regular file");
		goto out;
	}
	buf = calloc(1, (size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		snprintf(why, wlen, "%s", strerror(ENOMEM));
		goto out;
	}
	while (n < st.st_size && (got = read(fd, buf + n, (size_t)(st.st_size - n))) > 0)
		n += got;
	if (!strstr(buf, "-----BEGIN CERTIFICATE-----")) {
		err = -EINVAL;
		snprintf(why, wlen, "\"%s\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
			 r->ca);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}
