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

int kk_port_parse(const char *s, uint16_t *port, char *why, size_t wlen)
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
			if (kk_port_parse(end + 2, port, why, wlen))
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
			if (kk_port_parse(colon + 1, port, why, wlen))
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

/* Nameservers of resolv.conf, allowed on port 53 by the baseline. */
static int add_nameservers(struct kk_net_set *s, const char *path)
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
			err = kk_net_push(s, h.addr, h.prefix, 53, false, KK_ORIGIN_BASELINE,
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

/* network_rules.allowed_hosts[i] / denied_hosts[i] of h, into field. */
static void host_field(const struct kk_host_rule *h, char *field, size_t len)
{
	snprintf(field, len, "network_rules.%s_hosts[%d]", h->deny ? "denied" : "allowed",
		 h->index);
}

int kk_net_add_host(struct kk_net_set *s, struct kk_ruleset *rs, const struct kk_host_rule *h,
		    const struct kk_policy_opts *opts, const char *field)
{
	uint8_t(*addrs)[16];
	size_t n, i;
	char why[300], own[64];
	int err;

	if (h->kind == KK_HOST_ADDR)
		return kk_net_push(s, h->addr, h->prefix, h->port, h->deny, h->origin, h->text);
	if (h->kind == KK_HOST_WILDCARD)
		return add_symbolic(rs, h, "wildcard: enforced by default-deny");
	if (opts && opts->offline)
		return add_symbolic(rs, h, h->deny ? "offline: not resolved, so not enforced as denied"
					   : "offline: not resolved, so not enforced as allowed");
	err = kk_host_resolve(h->name, &addrs, &n, why, sizeof(why));
	if (!field) {
		host_field(h, own, sizeof(own));
		field = own;
	}
	if (err == -ENOENT && opts && opts->pending_ok) {
		/* The daemon re-resolves bound policies (dns_refresh_seconds): it fills this in. */
		if (opts->warnings)
			kk_errors_add(opts->warnings, h->line, h->col, field, "%s: bound without "
				      "addresses for now; the daemon's DNS refresh adds them once "
				      "it resolves", why);
		return add_symbolic(rs, h, h->deny ? "does not resolve yet, so not enforced as "
					   "denied" : "does not resolve yet: no address allowed "
					   "until it does");
	}
	if (err == -ENOENT) {
		kk_errors_add(s->errs, h->line, h->col, field, "%s", why);
		return 0;
	}
	for (i = 0; !err && i < n; i++) {
		err = kk_net_push(s, addrs[i], 128, h->port, h->deny, h->origin, h->text);
		rs->n_resolved++;
	}
	free(addrs);
	return err;
}

int kk_compile_net(const struct kk_policy *p, const struct kk_policy_opts *opts,
		   struct kk_ruleset *rs, struct kk_errors *errs)
{
	struct kk_net_set s = { .errs = errs };
	size_t i;
	int err = 0;

	for (i = 0; !err && i < p->n_hosts; i++)
		err = kk_net_add_host(&s, rs, &p->hosts[i], opts, NULL);
	/* The forced path of the "egress" section: its listeners allowed, its upstreams denied. */
	if (!err)
		err = kk_egress_net(p, opts, &s, rs);
	if (!err && p->baseline)
		err = add_nameservers(&s, opts && opts->resolv_conf ? opts->resolv_conf :
								      "/etc/resolv.conf");
	if (!err)
		err = kk_net_fold(&s, &rs->net, &rs->n_net);
	if (!err)
		kk_egress_check_listeners(p, rs, errs);
	/* Only the baseline (DNS) allows these: the kernel exempts them from the limits. */
	for (i = 0; !err && i < rs->n_net; i++)
		if (rs->net[i].origin == KK_ORIGIN_BASELINE)
			rs->net[i].val.flags |= KK_NET_F_BASELINE;
	free(s.v);
	return err;
}

int kk_net_entry_addr(const struct kk_net_entry *e, char *buf, size_t len)
{
	struct kk_host_rule h = { .kind = KK_HOST_ADDR, .prefix = (uint8_t)(e->key.prefixlen - 32) };

	memcpy(h.addr, e->key.addr, 16);
	return kk_host_canonical(&h, buf, len);
}
