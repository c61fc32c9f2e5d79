// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_net — network_rules host entries: parsing, canonical text and resolution.
 *
 * Accepted forms: hostname, *.domain, IPv4, IPv6, IPv4/CIDR, IPv6/CIDR, each with an optional
 * port: host:port, IPv4[/n]:port, [IPv6[/n]]:port. Addresses are kept as 128 bits with IPv4
 * IPv4-mapped (::ffff:a.b.c.d), so an IPv4-mapped IPv6 entry is the same rule as its IPv4 form.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy_int.h"

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool kk_addr_is_v4(const uint8_t addr[16], uint8_t prefix)
{
	return prefix >= 96 && !memcmp(addr, v4_mapped_prefix, 12);
}

static int parse_port(const char *s, uint16_t *port, char *why, size_t wlen)
{
	unsigned long v = 0;
	const char *p;

	if (!*s) {
		snprintf(why, wlen, "empty port after ':'");
		return -EINVAL;
	}
	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || (v = v * 10 + (unsigned long)(*p - '0')) > 65535) {
			snprintf(why, wlen, "port \"%s\" is not a number from 1 to 65535", s);
			return -EINVAL;
		}
	}
	if (v == 0) {
		snprintf(why, wlen, "port 0 is not a port (1 to 65535)");
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

/* Is every bit of addr after prefix zero? */
static bool host_bits_clear(const uint8_t addr[16], unsigned prefix)
{
	unsigned i;

	for (i = prefix; i < 128; i++)
		if (addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* "a.b.c.d", "a.b.c.d/n", "v6", "v6/n" (no port) into h->addr/prefix. */
static int parse_addr(const char *s, struct kk_host_rule *h, char *why, size_t wlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned long plen = 0;
	bool v6 = strchr(s, ':') != NULL;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;

	if (n >= sizeof(buf)) {
		snprintf(why, wlen, "not an IP address");
		return -EINVAL;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (v6) {
		if (inet_pton(AF_INET6, buf, h->addr) != 1) {
			snprintf(why, wlen, "\"%s\" is not a valid IPv6 address", buf);
			return -EINVAL;
		}
		max = 128;
	} else {
		memcpy(h->addr, v4_mapped_prefix, 12);
		if (inet_pton(AF_INET, buf, h->addr + 12) != 1) {
			snprintf(why, wlen, "\"%s\" is not a valid IPv4 address", buf);
			return -EINVAL;
		}
		max = 32;
	}
	plen = max;
	if (slash) {
		const char *p = slash + 1;
		char *end;

		if (!isdigit((unsigned char)*p) || (plen = strtoul(p, &end, 10), *end) ||
		    plen > max || (p[0] == '0' && p[1])) {
			snprintf(why, wlen, "prefix length \"/%s\" must be 0 to %u", p, max);
			return -EINVAL;
		}
	}
	h->prefix = (uint8_t)(v6 ? plen : 96 + plen);
	if (!host_bits_clear(h->addr, h->prefix)) {
		snprintf(why, wlen, "address has bits set beyond /%lu (host bits must be zero)", plen);
		return -EINVAL;
	}
	/* An IPv4-mapped IPv6 entry covering only mapped space is an IPv4 rule. */
	h->kind = KK_HOST_ADDR;
	return 0;
}

/* RFC 1123 hostname; lowercased copy without a trailing dot into h->name. */
static int parse_name(const char *s, struct kk_host_rule *h, char *why, size_t wlen)
{
	size_t len = strlen(s), label = 0, i;
	bool all_numeric = true;
	char *name;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 253) {
		snprintf(why, wlen, "hostname must be 1 to 253 characters");
		return -EINVAL;
	}
	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63) {
				snprintf(why, wlen, "hostname labels must be 1 to 63 characters");
				return -EINVAL;
			}
			if (s[i - 1] == '-' || s[i - label] == '-') {
				snprintf(why, wlen, "hostname labels cannot start or end with '-'");
				return -EINVAL;
			}
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-') {
			snprintf(why, wlen, "'%c' is not allowed in a hostname", c);
			return -EINVAL;
		}
		if (!isdigit((unsigned char)c))
			all_numeric = false;
		label++;
	}
	if (all_numeric) {
		snprintf(why, wlen, "\"%s\" is not a valid IPv4 address", s);
		return -EINVAL;
	}
	name = strndup(s, len);
	if (!name)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	h->name = name;
	h->kind = KK_HOST_NAME;
	return 0;
}

/* Split "host:port" / "[v6]:port"; host is written into buf. */
static int split_port(const char *text, char *buf, size_t blen, uint16_t *port, char *why,
		      size_t wlen)
{
	const char *colon, *end;
	size_t n;

	*port = 0;
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end) {
			snprintf(why, wlen, "'[' without a closing ']'");
			return -EINVAL;
		}
		n = (size_t)(end - text - 1);
		if (end[1] == ':') {
			if (parse_port(end + 2, port, why, wlen))
				return -EINVAL;
		} else if (end[1]) {
			snprintf(why, wlen, "expected ':port' after ']'");
			return -EINVAL;
		}
		if (!memchr(text + 1, ':', n)) {
			snprintf(why, wlen, "[...] is only for IPv6 addresses");
			return -EINVAL;
		}
		text++;
	} else {
		colon = strchr(text, ':');
		n = strlen(text);
		/* Two or more ':' without brackets: a bare IPv6 address, no port. */
		if (colon && !strchr(colon + 1, ':')) {
			n = (size_t)(colon - text);
			if (parse_port(colon + 1, port, why, wlen))
				return -EINVAL;
		}
	}
	if (n == 0 || n >= blen) {
		snprintf(why, wlen, n ? "entry too long" : "empty host");
		return -EINVAL;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	return 0;
}

int kk_host_parse(const char *text, bool deny, struct kk_host_rule *h, char *why, size_t wlen)
{
	char host[300];
	int err;

	memset(h, 0, sizeof(*h));
	h->deny = deny;
	err = split_port(text, host, sizeof(host), &h->port, why, wlen);
	if (err)
		return err;
	if (strchr(host, ':') || strchr(host, '/') ||
	    (isdigit((unsigned char)host[0]) && strspn(host, "0123456789./") == strlen(host)))
		return parse_addr(host, h, why, wlen);
	if (!strncmp(host, "*.", 2)) {
		err = parse_name(host + 2, h, why, wlen);
		h->kind = KK_HOST_WILDCARD;
		return err;
	}
	if (strchr(host, '*')) {
		snprintf(why, wlen, "'*' is only allowed as a leading \"*.\" label");
		return -EINVAL;
	}
	return parse_name(host, h, why, wlen);
}

int kk_host_canonical(const struct kk_host_rule *h, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + 8], port[8] = "";
	bool v4;

	if (h->port)
		snprintf(port, sizeof(port), ":%u", h->port);
	if (h->kind == KK_HOST_NAME)
		return snprintf(buf, len, "%s%s", h->name, port) < (int)len ? 0 : -ENOSPC;
	if (h->kind == KK_HOST_WILDCARD)
		return snprintf(buf, len, "*.%s%s", h->name, port) < (int)len ? 0 : -ENOSPC;
	v4 = kk_addr_is_v4(h->addr, h->prefix);
	if (v4)
		inet_ntop(AF_INET, h->addr + 12, a, sizeof(a));
	else
		inet_ntop(AF_INET6, h->addr, a, sizeof(a));
	if (h->prefix != 128)
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%u", v4 ? h->prefix - 96 : h->prefix);
	if (!v4 && h->port)
		return snprintf(buf, len, "[%s]%s", a, port) < (int)len ? 0 : -ENOSPC;
	return snprintf(buf, len, "%s%s", a, port) < (int)len ? 0 : -ENOSPC;
}

int kk_host_resolve(const char *name, uint8_t (**addrs)[16], size_t *n, char *why, size_t wlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL, *ai;
	uint8_t(*v)[16] = NULL;
	size_t cnt = 0, i;
	int rc;

	*addrs = NULL;
	*n = 0;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc) {
		snprintf(why, wlen, "\"%s\" does not resolve (getaddrinfo: %s)", name,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -ENOENT;
	}
	for (ai = res; ai; ai = ai->ai_next)
		cnt++;
	v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v) {
		freeaddrinfo(res);
		return -ENOMEM;
	}
	cnt = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		uint8_t a[16];

		if (ai->ai_family == AF_INET) {
			memcpy(a, v4_mapped_prefix, 12);
			memcpy(a + 12, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			memcpy(a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		for (i = 0; i < cnt && memcmp(v[i], a, 16); i++)
			;
		if (i == cnt)
			memcpy(v[cnt++], a, 16);
	}
	freeaddrinfo(res);
	*addrs = v;
	*n = cnt;
	return 0;
}

/* --- compiling network rules --- */

struct net_raw {
	uint8_t addr[16];
	uint8_t prefix;
	bool deny, any_port;
	uint8_t origin;
	uint16_t nports;
	uint16_t ports[KK_NET_PORTS_MAX];
	const char *source;
};

struct net_set {
	struct net_raw *v;
	size_t n, cap;
	struct kk_errors *errs;
};

static int net_push(struct net_set *s, const uint8_t addr[16], uint8_t prefix, uint16_t port,
		    bool deny, uint8_t origin, const char *source)
{
	struct net_raw *r;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct net_raw *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	r = &s->v[s->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->addr, addr, 16);
	r->prefix = prefix;
	r->deny = deny;
	r->origin = origin;
	r->source = source;
	r->any_port = port == 0;
	if (port)
		r->ports[r->nports++] = port;
	return 0;
}

/*
 * Add the ports of src to dst; false when more than KK_NET_PORTS_MAX would be needed. Once
 * either covers every port, the list no longer matters.
 */
static bool merge_ports(struct net_raw *dst, const struct net_raw *src)
{
	uint16_t i, j;

	if (src->any_port || dst->any_port) {
		dst->any_port = true;
		dst->nports = 0;
		return true;
	}
	for (i = 0; i < src->nports; i++) {
		for (j = 0; j < dst->nports && dst->ports[j] != src->ports[i]; j++)
			;
		if (j < dst->nports)
			continue;
		if (dst->nports == KK_NET_PORTS_MAX)
			return false;
		dst->ports[dst->nports++] = src->ports[i];
	}
	return true;
}

static bool contains(const struct net_raw *outer, const struct net_raw *inner)
{
	unsigned full = outer->prefix / 8, rest = outer->prefix % 8;

	if (outer->prefix > inner->prefix || memcmp(outer->addr, inner->addr, full))
		return false;
	return !rest || !((outer->addr[full] ^ inner->addr[full]) & (0xff00 >> rest));
}

static int cmp_raw(const void *a, const void *b)
{
	const struct net_raw *x = a, *y = b;
	int c;

	if (x->deny != y->deny)
		return x->deny ? 1 : -1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	return x->prefix - y->prefix;
}

static void too_many_ports(struct net_set *s, const struct net_raw *r)
{
	struct kk_host_rule h = { .kind = KK_HOST_ADDR, .prefix = r->prefix };
	char buf[80];

	memcpy(h.addr, r->addr, 16);
	kk_host_canonical(&h, buf, sizeof(buf));
	kk_errors_add(s->errs, 0, 0, r->deny ? "network_rules.denied_hosts" :
		      "network_rules.allowed_hosts", "more than %d ports apply to %s (from \"%s\"): "
		      "the kernel entry holds %d", KK_NET_PORTS_MAX, buf, r->source, KK_NET_PORTS_MAX);
}

/*
 * Merge equal (list, address, prefix) entries, then give every entry the ports of the entries
 * that contain it. Sorted by address then prefix, the entries containing one are exactly those
 * left on a stack of its predecessors, nearest on top and already folded.
 */
static size_t fold(struct net_set *s)
{
	struct net_raw **stack;
	size_t i, out = 0, depth = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_raw);
	for (i = 0; i < s->n; i++) {
		struct net_raw *prev = out ? &s->v[out - 1] : NULL;

		if (prev && prev->deny == s->v[i].deny && prev->prefix == s->v[i].prefix &&
		    !memcmp(prev->addr, s->v[i].addr, 16)) {
			if (!merge_ports(prev, &s->v[i]))
				too_many_ports(s, prev);
			continue;
		}
		s->v[out++] = s->v[i];
	}
	stack = calloc(out + 1, sizeof(*stack));
	if (!stack)
		return SIZE_MAX;
	for (i = 0; i < out; i++) {
		struct net_raw *e = &s->v[i];

		while (depth && (stack[depth - 1]->deny != e->deny || !contains(stack[depth - 1], e)))
			depth--;
		if (depth && !merge_ports(e, stack[depth - 1]))
			too_many_ports(s, e);
		stack[depth++] = e;
	}
	free(stack);
	return out;
}

/* Nameservers of resolv.conf, allowed on port 53 by the baseline. */
static int add_nameservers(struct net_set *s, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return 0; /* no resolver configured: nothing to allow */
	while (!err && fgets(line, sizeof(line), f)) {
		char ns[64];
		struct kk_host_rule h;
		char why[80];

		if (sscanf(line, " nameserver %63s", ns) != 1)
			continue;
		ns[strcspn(ns, "%")] = '\0'; /* fe80::1%eth0: the scope is not part of a rule */
		if (parse_addr(ns, &h, why, sizeof(why)) == 0)
			err = net_push(s, h.addr, h.prefix, 53, false, KK_ORIGIN_BASELINE,
				       "baseline: nameserver");
	}
	fclose(f);
	return err;
}

static int add_symbolic(struct kk_ruleset *rs, const struct kk_host_rule *h, const char *why)
{
	struct kk_symbolic_host *v = realloc(rs->symbolic, (rs->n_symbolic + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	rs->symbolic = v;
	v[rs->n_symbolic].text = h->text;
	v[rs->n_symbolic].deny = h->deny;
	v[rs->n_symbolic].why = why;
	rs->n_symbolic++;
	return 0;
}

static int add_host(struct net_set *s, struct kk_ruleset *rs, const struct kk_host_rule *h,
		    bool offline)
{
	uint8_t(*addrs)[16];
	size_t n, i;
	char why[300];
	int err;

	if (h->kind == KK_HOST_ADDR)
		return net_push(s, h->addr, h->prefix, h->port, h->deny, h->origin, h->text);
	if (h->kind == KK_HOST_WILDCARD)
		return add_symbolic(rs, h, "wildcard: enforced by default-deny");
	if (offline)
		return add_symbolic(rs, h, h->deny ? "offline: not resolved, so not enforced as denied"
					   : "offline: not resolved, so not enforced as allowed");
	err = kk_host_resolve(h->name, &addrs, &n, why, sizeof(why));
	if (err == -ENOENT) {
		char field[64];

		snprintf(field, sizeof(field), "network_rules.%s_hosts[%d]",
			 h->deny ? "denied" : "allowed", h->index);
		kk_errors_add(s->errs, h->line, h->col, field,
			      "%s (use --offline to keep it symbolic)", why);
		return 0;
	}
	for (i = 0; !err && i < n; i++) {
		err = net_push(s, addrs[i], 128, h->port, h->deny, h->origin, h->text);
		rs->n_resolved++;
	}
	free(addrs);
	return err;
}

int kk_compile_net(const struct kk_policy *p, const struct kk_policy_opts *opts,
		   struct kk_ruleset *rs, struct kk_errors *errs)
{
	struct net_set s = { .errs = errs };
	size_t i, n;
	int err = 0;

	for (i = 0; !err && i < p->n_hosts; i++)
		err = add_host(&s, rs, &p->hosts[i], opts && opts->offline);
	if (!err && p->baseline)
		err = add_nameservers(&s, opts && opts->resolv_conf ? opts->resolv_conf :
								      "/etc/resolv.conf");
	if (err)
		goto out;
	n = fold(&s);
	if (n == SIZE_MAX) {
		err = -ENOMEM;
		goto out;
	}
	rs->net = calloc(n ? n : 1, sizeof(*rs->net));
	if (!rs->net) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct kk_net_entry *e = &rs->net[i];

		e->key.prefixlen = 32u + s.v[i].prefix;
		memcpy(e->key.addr, s.v[i].addr, 16);
		e->val.any_port = s.v[i].any_port;
		e->val.nports = (uint8_t)s.v[i].nports;
		memcpy(e->val.ports, s.v[i].ports, sizeof(e->val.ports));
		e->deny = s.v[i].deny;
		e->origin = s.v[i].origin;
		e->source = s.v[i].source;
	}
	rs->n_net = n;
out:
	free(s.v);
	return err;
}

int kk_net_entry_addr(const struct kk_net_entry *e, char *buf, size_t len)
{
	struct kk_host_rule h = { .kind = KK_HOST_ADDR, .prefix = (uint8_t)(e->key.prefixlen - 32) };

	memcpy(h.addr, e->key.addr, 16);
	return kk_host_canonical(&h, buf, len);
}
