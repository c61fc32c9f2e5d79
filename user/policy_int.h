/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to the policy module (policy*.c): shared helpers, not an API. */
#ifndef KK_POLICY_INT_H
#define KK_POLICY_INT_H

#include "policy.h"

/* policy_net.c */
/* A port "1" to "65535" (decimal digits only); -EINVAL with why[]. */
int kk_port_parse(const char *s, uint16_t *port, char *why, size_t wlen);
int kk_host_parse(const char *text, bool deny, struct kk_host_rule *h, char *why, size_t wlen);
/* Canonical text of a parsed entry ("10.0.0.0/8:443", "[2001:db8::1]:443", "*.x.com"). */
int kk_host_canonical(const struct kk_host_rule *h, char *buf, size_t len);
/* Every A and AAAA of name (deduplicated, IPv4 mapped); -ENOENT with why[] when it fails. */
int kk_host_resolve(const char *name, uint8_t (**addrs)[16], size_t *n, char *why, size_t wlen);
bool kk_addr_is_v4(const uint8_t addr[16], uint8_t prefix);
/* Network entries of rs: resolve names, add the DNS baseline, fold ports (policy_net.c). */
int kk_compile_net(const struct kk_policy *p, const struct kk_policy_opts *opts,
		   struct kk_ruleset *rs, struct kk_errors *errs);

/* policy_fold.c: network entries before they are folded into kernel entries. */
struct kk_net_raw {
	uint8_t addr[16];
	uint8_t prefix;
	bool deny, any_port;
	bool wildcard; /* listen: 0.0.0.0 or :: itself, which takes no ports of a CIDR */
	uint8_t origin;
	uint16_t nports;
	uint16_t ports[KK_NET_PORTS_MAX];
	const char *source;
};

struct kk_net_set {
	struct kk_net_raw *v;
	size_t n, cap;
	struct kk_errors *errs;
	const char *field; /* errors name this list; NULL: allowed_hosts or denied_hosts */
};

int kk_net_push(struct kk_net_set *s, const uint8_t addr[16], uint8_t prefix, uint16_t port,
		bool deny, uint8_t origin, const char *source);
/* Does outer/outer_prefix contain inner/inner_prefix (128-bit addresses)? */
bool kk_net_contains(const uint8_t outer[16], uint8_t outer_prefix, const uint8_t inner[16],
		     uint8_t inner_prefix);
/*
 * Fold s (sorted in place) into kernel entries: *out (caller frees) and *n. More ports than an
 * entry holds are errors in s->errs; -ENOMEM otherwise. s->v stays the caller's to free.
 */
int kk_net_fold(struct kk_net_set *s, struct kk_net_entry **out, size_t *n);

/*
 * policy_net.c: h's entries into s: an address as it is, a hostname resolved (or symbolic:
 * offline, wildcard, pending), its failure to resolve an error named field (NULL: the
 * network_rules entry h is). 0 or -ENOMEM.
 */
int kk_net_add_host(struct kk_net_set *s, struct kk_ruleset *rs, const struct kk_host_rule *h,
		    const struct kk_policy_opts *opts, const char *field);
/*
 * policy_egress.c: the forced path into s (each listener allowed on its port, every address of
 * each upstream denied on every port); then, once folded, an error for each listener a deny
 * entry would refuse (the agent could not reach its egress).
 */
int kk_egress_net(const struct kk_policy *p, const struct kk_policy_opts *opts,
		  struct kk_net_set *s, struct kk_ruleset *rs);
void kk_egress_check_listeners(const struct kk_policy *p, const struct kk_ruleset *rs,
			       struct kk_errors *errs);

/*
 * policy_listen.c: a network_rules.listen entry ("PORT", "ADDR:PORT", "[ADDR6]:PORT", "ADDR",
 * "[ADDR6]", CIDRs) into h (kind KK_HOST_ADDR; "PORT" alone is prefix 0, every address);
 * -EINVAL with why[]. Its canonical text ("8080", "10.0.0.0/8:9000", "[::]:80").
 */
int kk_listen_parse(const char *text, struct kk_host_rule *h, char *why, size_t wlen);
int kk_listen_canonical(const struct kk_host_rule *h, char *buf, size_t len);
/* The kernel entries of network_rules.listen (rs->listen), folded. */
int kk_compile_listen(const struct kk_policy *p, struct kk_ruleset *rs, struct kk_errors *errs);

/* policy_path.c: a data_access pattern into rule (dir, subtree); -EINVAL with why[]. */
int kk_pattern_parse(const char *pattern, struct kk_path_rule *rule, char *why, size_t wlen);

/*
 * policy_common.c: for each of keys[0..n) the index of the first earlier equal key, or -1
 * (NULL keys never match). O(n log n); caller frees. NULL on allocation failure.
 */
long *kk_first_dups(const char *const *keys, size_t n);

/* policy_actions.c: the canonical JSON of an actions section; NULL on allocation failure. */
struct cJSON;
struct cJSON *kk_actions_canon(const struct kk_actions *a);
/* The policy's default "risk" (when set) as member "risk" of o; 0 or -ENOMEM. */
int kk_actions_risk_canon(const struct kk_actions *a, struct cJSON *o);

/*
 * policy_egress.c: the canonical JSON of p's egress section (an object keyed by upstream);
 * NULL on allocation failure. kk_egress_free frees n rules and v.
 */
struct cJSON *kk_egress_canon(const struct kk_policy *p);
void kk_egress_free(struct kk_egress_rule *v, size_t n);

/* policy_canon.c: p->canonical and p->hash (bytes) from a validated policy. */
int kk_policy_canonicalize(struct kk_policy *p);

#endif
