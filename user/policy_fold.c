// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_fold — network entries into the kernel's LPM entries. The kernel takes the single
 * longest match, so every entry must carry the ports of every broader entry of its list that
 * contains it: equal (list, address, prefix) entries are merged, then each takes the ports of
 * the entries containing it. Used for allowed_hosts/denied_hosts (policy_net.c) and for
 * listen (policy_listen.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

int kk_net_push(struct kk_net_set *s, const uint8_t addr[16], uint8_t prefix, uint16_t port,
		bool deny, uint8_t origin, const char *source)
{
	struct kk_net_raw *r;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct kk_net_raw *v = realloc(s->v, cap * sizeof(*v));

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
static bool merge_ports(struct kk_net_raw *dst, const struct kk_net_raw *src)
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

bool kk_net_contains(const uint8_t outer[16], uint8_t outer_prefix, const uint8_t inner[16],
		     uint8_t inner_prefix)
{
	unsigned full = outer_prefix / 8, rest = outer_prefix % 8;

	if (outer_prefix > inner_prefix || memcmp(outer, inner, full))
		return false;
	return !rest || !((outer[full] ^ inner[full]) & (0xff00 >> rest));
}

static int cmp_raw(const void *a, const void *b)
{
	const struct kk_net_raw *x = a, *y = b;
	int c;

	if (x->deny != y->deny)
		return x->deny ? 1 : -1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	return x->prefix - y->prefix;
}

static void too_many_ports(struct kk_net_set *s, const struct kk_net_raw *r)
{
	struct kk_host_rule h = { .kind = KK_HOST_ADDR, .prefix = r->prefix };
	const char *field = s->field;
	char buf[80];

	if (!field)
		field = r->deny ? "network_rules.denied_hosts" : "network_rules.allowed_hosts";
	memcpy(h.addr, r->addr, 16);
	kk_host_canonical(&h, buf, sizeof(buf));
	kk_errors_add(s->errs, 0, 0, field,
		      "more than %d ports apply to %s (from \"%s\"): "
		      "the kernel entry holds %d",
		      KK_NET_PORTS_MAX, buf, r->source, KK_NET_PORTS_MAX);
}

/*
 * Merge equal (list, address, prefix) entries, then give every entry the ports of the entries
 * that contain it. Sorted by address then prefix, the entries containing one are exactly those
 * left on a stack of its predecessors, nearest on top and already folded. A wildcard entry
 * takes only the ports of an entry for every address (prefix 0, the bottom of the stack): a
 * CIDR containing 0.0.0.0 or :: does not allow binding it.
 */
static size_t fold(struct kk_net_set *s)
{
	struct kk_net_raw **stack;
	size_t i, out = 0, depth = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_raw);
	for (i = 0; i < s->n; i++) {
		struct kk_net_raw *prev = out ? &s->v[out - 1] : NULL;

		if (prev && prev->deny == s->v[i].deny && prev->prefix == s->v[i].prefix &&
		    !memcmp(prev->addr, s->v[i].addr, 16)) {
			prev->wildcard |= s->v[i].wildcard;
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
		struct kk_net_raw *e = &s->v[i], *from = NULL;

		while (depth && (stack[depth - 1]->deny != e->deny ||
				 !kk_net_contains(stack[depth - 1]->addr, stack[depth - 1]->prefix,
						  e->addr, e->prefix)))
			depth--;
		if (depth)
			from = !e->wildcard ? stack[depth - 1] : stack[0]->prefix ? NULL : stack[0];
		if (from && !merge_ports(e, from))
			too_many_ports(s, e);
		stack[depth++] = e;
	}
	free(stack);
	return out;
}

int kk_net_fold(struct kk_net_set *s, struct kk_net_entry **out, size_t *n_out)
{
	struct kk_net_entry *v;
	size_t i, n;

	*out = NULL;
	*n_out = 0;
	n = fold(s);
	if (n == SIZE_MAX)
		return -ENOMEM;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct kk_net_entry *e = &v[i];

		e->key.prefixlen = 32u + s->v[i].prefix;
		memcpy(e->key.addr, s->v[i].addr, 16);
		e->val.any_port = s->v[i].any_port;
		e->val.nports = (uint8_t)s->v[i].nports;
		memcpy(e->val.ports, s->v[i].ports, sizeof(e->val.ports));
		e->deny = s->v[i].deny;
		e->origin = s->v[i].origin;
		e->source = s->v[i].source;
	}
	*out = v;
	*n_out = n;
	return 0;
}
