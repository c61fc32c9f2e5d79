/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ruleset — a compiled policy, ready for the kernel's maps: every key and value as the maps hold
 * it, except the policy id, which is the slot the map writer installs it in. The policy compiler
 * (policy_compile.c) makes every decision and fills it completely; the maps module only writes
 * it. Beside the kernel entries it keeps what `policy show` explains (origins, sources, names not
 * resolved). No libbpf, no policy parsing: maps.h includes this, not policy.h.
 */
#ifndef KK_RULESET_H
#define KK_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kakunin.h"

/* Where a compiled rule came from, for `policy show`. */
/* KK_ORIGIN_EGRESS: the forced path of the "egress" section (listener allowed, upstream denied). */
enum kk_origin { KK_ORIGIN_POLICY = 0, KK_ORIGIN_BASELINE = 1, KK_ORIGIN_EGRESS = 2 };

/* A path entry as the kernel's LPM trie holds it (policy id filled in when loaded). */
struct kk_path_entry {
	struct kk_path_key key;
	struct kk_path_val val;
	uint8_t origin;
	const char *pattern;	/* the rule it came from (borrowed from the policy) */
};

struct kk_net_entry {
	struct kk_net_key key;
	struct kk_net_val val;	/* KK_NET_F_BASELINE set for baseline entries */
	bool deny;		/* goes to the deny trie */
	uint8_t origin;		/* enum kk_origin */
	const char *source;	/* the entry or hostname it came from (borrowed) */
};

struct kk_exec_entry {
	const char *path;	/* as listed (borrowed) */
	char *resolved;		/* realpath() on this host, NULL when the file is missing */
};

struct kk_symbolic_host {
	const char *text;	/* borrowed */
	bool deny;
	const char *why;	/* "offline", "wildcard: enforced by default-deny" */
};

struct kk_ruleset {
	uint32_t format;	/* KK_RULESET_FORMAT */
	struct kk_path_entry *paths;
	size_t n_paths;
	struct kk_net_entry *net;
	size_t n_net;
	struct kk_net_entry *listen;	/* kk_net_listen: local addresses and ports (deny unused) */
	size_t n_listen;
	struct kk_exec_entry *exec;	/* as listed, for `policy show` */
	size_t n_exec;
	struct kk_exec_key *exec_keys;	/* kernel keys: each resolved file and listed path */
	size_t n_exec_keys;
	struct kk_symbolic_host *symbolic;
	size_t n_symbolic;
	size_t n_resolved;	/* addresses obtained from hostnames */
	struct kk_policy_consts consts;
};

/* Free what kk_policy_compile put in *rs and zero it. */
void kk_ruleset_free(struct kk_ruleset *rs);

#endif
