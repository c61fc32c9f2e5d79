// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_compile — a validated policy into the flat rule set the kernel's maps take: path LPM
 * entries, allow/deny/listen network LPM entries with ports, the exec list and per-policy
 * constants, with the runtime baseline merged in (see docs/policy.md for the baseline's contents).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

#define R KK_ACCESS_READ
#define W KK_ACCESS_WRITE

/*
 * The read-only runtime baseline: what an ordinary dynamically linked program needs to start,
 * resolve names and talk TLS. Policy rules win over baseline rules for the same path, and the
 * most specific rule wins as everywhere else. Never anything writable but /dev/null.
 */
static const struct {
	const char *pattern;
	uint8_t perms;
} baseline[] = {
	{ "/usr/*", R },	{ "/lib/*", R },	  { "/lib64/*", R },
	{ "/etc/ld.so.cache", R }, { "/etc/ld.so.conf", R }, { "/etc/ld.so.conf.d/*", R },
	{ "/etc/locale.alias", R }, { "/etc/localtime", R }, { "/etc/timezone", R },
	{ "/etc/ssl/certs/*", R }, { "/etc/ssl/openssl.cnf", R }, { "/etc/resolv.conf", R },
	{ "/etc/hosts", R },	{ "/etc/host.conf", R }, { "/etc/nsswitch.conf", R },
	{ "/etc/gai.conf", R }, { "/etc/services", R },	  { "/etc/protocols", R },
	{ "/etc/passwd", R },	{ "/etc/group", R },	  { "/dev/null", R | W },
	{ "/dev/zero", R },	{ "/dev/urandom", R },	  { "/dev/random", R },
	{ "/proc/self/*", R },	{ "/sys/devices/system/cpu/*", R },
};

/* Key for bytes s[0..n) (n <= KK_LPM_PATH_LEN, including the final NUL or '/'). */
static void path_key(struct kk_path_key *k, const char *s, size_t n)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->path, s, n);
	k->prefixlen = (uint32_t)(32 + 8 * n);
}

/*
 * Order by key, and among equal keys the stronger claim first: a policy rule over a baseline
 * rule, an exact rule over the directory entry a subtree rule adds.
 */
static int cmp_entry(const void *a, const void *b)
{
	const struct kk_path_entry *x = a, *y = b;
	int c = memcmp(x->key.path, y->key.path, sizeof(x->key.path));

	if (c)
		return c;
	if (x->key.prefixlen != y->key.prefixlen)
		return x->key.prefixlen < y->key.prefixlen ? -1 : 1;
	if (x->origin != y->origin)
		return x->origin < y->origin ? -1 : 1;
	return (x->val.flags & KK_PATH_F_DIR_SELF) - (y->val.flags & KK_PATH_F_DIR_SELF);
}

/* The one or two entries of rule r (index i) appended to v[*n]. */
static void rule_entries(const struct kk_path_rule *r, const char *pattern, size_t i,
			 struct kk_path_entry *v, size_t *n)
{
	struct kk_path_entry e = { .origin = r->origin, .pattern = pattern };
	size_t len = strlen(r->dir);
	char buf[KK_LPM_PATH_LEN + 1];
	uint8_t proc = !strcmp(r->dir, "/proc/self") ? KK_PATH_F_PROC_SELF : 0;

	e.val.perms = r->perms;
	e.val.rule = (uint16_t)(i < 65535 ? i : 65535);
	/* "dir\0": the exact path, or the directory of a subtree rule. */
	memcpy(buf, r->dir, len + 1);
	e.val.flags = (uint8_t)((r->subtree ? KK_PATH_F_DIR_SELF : 0) | proc);
	path_key(&e.key, buf, len + 1);
	v[(*n)++] = e;
	if (!r->subtree)
		return;
	/* "dir/": everything below ("/" for the root). */
	if (len > 1)
		buf[len++] = '/';
	e.val.flags = (uint8_t)(KK_PATH_F_SUBTREE | proc);
	path_key(&e.key, buf, len);
	v[(*n)++] = e;
}

static int compile_paths(const struct kk_policy *p, struct kk_ruleset *rs)
{
	size_t nb = p->baseline ? sizeof(baseline) / sizeof(baseline[0]) : 0;
	struct kk_path_entry *v = calloc(2 * (p->n_paths + nb) + 1, sizeof(*v));
	size_t n = 0, i, out = 0;
	char why[160];

	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->n_paths; i++)
		rule_entries(&p->paths[i], p->paths[i].pattern, i, v, &n);
	for (i = 0; i < nb; i++) {
		struct kk_path_rule r;

		if (kk_pattern_parse(baseline[i].pattern, &r, why, sizeof(why))) {
			free(v);
			return -EINVAL; /* the table is checked by the unit tests */
		}
		r.perms = baseline[i].perms;
		r.origin = KK_ORIGIN_BASELINE;
		rule_entries(&r, baseline[i].pattern, p->n_paths + i, v, &n);
		free(r.pattern);
		free(r.dir);
	}
	qsort(v, n, sizeof(*v), cmp_entry);
	for (i = 0; i < n; i++)
		if (!out || memcmp(&v[out - 1].key, &v[i].key, sizeof(v[i].key)))
			v[out++] = v[i];
	rs->paths = v;
	rs->n_paths = out;
	return 0;
}

/*
 * The kernel keys of an exec-list entry: the file it resolves to, and the listed path in case it
 * is no link. A path longer than a key holds is left out: the kernel compares no longer path,
 * so it could never match (the validator already refuses such a listed path).
 */
static void exec_keys(struct kk_ruleset *rs, const struct kk_exec_entry *e)
{
	const char *paths[2] = { e->resolved, e->path };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct kk_exec_key *key = &rs->exec_keys[rs->n_exec_keys];

		if (!paths[k] || strlen(paths[k]) >= sizeof(key->path) ||
		    (k && e->resolved && !strcmp(e->resolved, e->path)))
			continue;
		memset(key, 0, sizeof(*key));
		strcpy(key->path, paths[k]);
		rs->n_exec_keys++;
	}
}

static int compile_exec(const struct kk_policy *p, struct kk_ruleset *rs)
{
	size_t i;

	rs->exec = calloc(p->n_exec ? p->n_exec : 1, sizeof(*rs->exec));
	rs->exec_keys = calloc(p->n_exec ? 2 * p->n_exec : 1, sizeof(*rs->exec_keys));
	if (!rs->exec || !rs->exec_keys)
		return -ENOMEM;
	for (i = 0; i < p->n_exec; i++) {
		char real[PATH_MAX];

		rs->exec[i].path = p->exec[i];
		/* The kernel sees the resolved file: /usr/bin/python3 runs as python3.11. */
		if (realpath(p->exec[i], real)) {
			rs->exec[i].resolved = strdup(real);
			if (!rs->exec[i].resolved)
				return -ENOMEM;
		}
		exec_keys(rs, &rs->exec[i]);
		rs->n_exec++;
	}
	return 0;
}

static void compile_consts(const struct kk_policy *p, struct kk_policy_consts *k)
{
	memset(k, 0, sizeof(*k));
	k->flags = (p->mode == KK_MODE_AUDIT ? KK_POL_AUDIT_MODE : 0) |
		   (p->audit == KK_AUDIT_ALL ? KK_POL_AUDIT_ALL : 0) |
		   (p->has_exec ? KK_POL_HAS_EXEC : 0) | (p->has_hours ? KK_POL_HAS_HOURS : 0) |
		   p->socket_types |
		   (p->baseline ? KK_POL_NETLINK_ROUTE : 0) |
		   (p->allow_jit ? KK_POL_ALLOW_JIT : 0) |
		   (p->ipc == KK_IPC_NONE ? KK_POL_IPC_NONE : 0);
	k->hours_start = p->hours_start;
	k->hours_end = p->hours_end;
	k->max_concurrent = p->max_concurrent;
	k->rate_count = p->rate_count;
	k->rate_period_s = p->rate_period_s;
	k->auto_revoke_max = p->auto_revoke_max;
	k->auto_revoke_window_s = p->auto_revoke_window_s;
}

int kk_policy_compile(const struct kk_policy *p, const struct kk_policy_opts *opts,
		      struct kk_ruleset *out, struct kk_errors *errs)
{
	size_t before = errs->n;
	int err;

	memset(out, 0, sizeof(*out));
	out->format = KK_RULESET_FORMAT;
	err = compile_paths(p, out);
	err = err ?: kk_compile_net(p, opts, out, errs);
	err = err ?: kk_compile_listen(p, out, errs);
	if (!err)
		kk_egress_check_listen_rules(p, out, errs);
	err = err ?: compile_exec(p, out);
	if (!err && errs->n > before)
		err = -EINVAL;
	if (err) {
		kk_errors_sort(errs);
		kk_ruleset_free(out);
		return err;
	}
	compile_consts(p, &out->consts);
	return 0;
}

void kk_ruleset_free(struct kk_ruleset *rs)
{
	size_t i;

	free(rs->paths);
	free(rs->net);
	free(rs->listen);
	for (i = 0; rs->exec && i < rs->n_exec; i++)
		free(rs->exec[i].resolved);
	free(rs->exec);
	free(rs->exec_keys);
	free(rs->symbolic);
	memset(rs, 0, sizeof(*rs));
}
