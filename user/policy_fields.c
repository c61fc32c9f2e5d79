// SPDX-License-Identifier: GPL-2.0-only
/* policy_fields — the validator of each policy field (see policy.h for the rules). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "policy_fields_int.h"

/* agent_id, version, region, rate unit: as long as the binding's agent_id field can hold. */
#define TEXT_MAX KK_POLICY_TEXT_MAX

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static bool valid_agent_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= TEXT_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/*
 * A SPIFFE ID naming a workload, as the SPIFFE ID standard spells one: "spiffe://", a trust
 * domain of a-z 0-9 . - _, then one or more "/segment"s of A-Z a-z 0-9 . - _ (no "." or "..",
 * no empty segment, so no trailing "/"), no port, user, query or fragment, at most 2048 bytes.
 * NULL when s is one, else what is wrong.
 */
static const char *spiffe_id_error(const char *s)
{
	static const char seg_chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	const char *p;
	size_t n;

	if (strlen(s) > KK_SPIFFE_ID_MAX)
		return "longer than 2048 bytes";
	if (strncmp(s, "spiffe://", 9))
		return "must start with \"spiffe://\" (lowercase)";
	p = s + 9;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-_");
	if (!n && (!*p || *p == '/'))
		return "has no trust domain (spiffe://TRUST_DOMAIN/PATH)";
	p += n;
	if (!*p)
		return "names a trust domain, not a workload: add a path "
		       "(spiffe://TRUST_DOMAIN/PATH)";
	if (*p != '/')
		return "trust domain may hold only a-z 0-9 . - _ (no port, user or upper case)";
	while (*p == '/') {
		n = strspn(++p, seg_chars);
		if (!n)
			return "has an empty path segment (\"//\" or a trailing \"/\")";
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "has a \".\" or \"..\" path segment";
		p += n;
	}
	if (*p)
		return "path may hold only A-Z a-z 0-9 . - _ between slashes "
		       "(no query or fragment)";
	return NULL;
}

void kk_pf_identity(struct kk_pg_ctx *c, const cJSON *root)
{
	static const char *const modes[] = { "enforce", "audit", NULL };
	static const char *const audits[] = { "denials", "all", NULL };
	const cJSON *v;
	int choice;

	v = kk_pg_member(root, "agent_id");
	if (!v)
		kk_pg_err_at(c, root, false, "agent_id", "required");
	else if (!cJSON_IsString(v) || !valid_agent_id(v->valuestring))
		kk_pg_err_at(c, v, false, "agent_id",
			     "must be 1 to %d characters of A-Z a-z 0-9 _ . -", TEXT_MAX);
	else
		c->p->agent_id = kk_pg_dup_str(c, v->valuestring);

	/* Optional: then the certificate must carry this SAN URI, and its CN does not count. */
	v = kk_pg_member(root, "spiffe_id");
	if (v && !kk_pg_want_type(c, v, cJSON_String, "spiffe_id", "a string \"spiffe://...\""))
		;
	else if (v && spiffe_id_error(v->valuestring))
		kk_pg_err_at(c, v, false, "spiffe_id", "\"%.80s%s\" is not a SPIFFE ID: %s",
			     v->valuestring, strlen(v->valuestring) > 80 ? "..." : "",
			     spiffe_id_error(v->valuestring));
	else if (v)
		c->p->spiffe_id = kk_pg_dup_str(c, v->valuestring);

	v = kk_pg_member(root, "version");
	if (!v)
		kk_pg_err_at(c, root, false, "version", "required");
	else if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > TEXT_MAX ||
		 !printable(v->valuestring))
		kk_pg_err_at(c, v, false, "version",
			     "must be a non-empty string of at most %d printable characters",
			     TEXT_MAX);
	else
		c->p->version = kk_pg_dup_str(c, v->valuestring);

	if ((v = kk_pg_member(root, "mode")) && kk_pg_choice(c, v, "mode", modes, &choice))
		c->p->mode = choice;
	if ((v = kk_pg_member(root, "audit")) && kk_pg_choice(c, v, "audit", audits, &choice))
		c->p->audit = choice;
	if ((v = kk_pg_member(root, "baseline")))
		kk_pg_bool(c, v, "baseline", &c->p->baseline);
}

void kk_pf_isolation(struct kk_pg_ctx *c, const cJSON *root)
{
	static const char *const ipcs[] = { "own", "none", NULL };
	const cJSON *v;
	int choice;

	if ((v = kk_pg_member(root, "allow_jit")))
		kk_pg_bool(c, v, "allow_jit", &c->p->allow_jit);
	if ((v = kk_pg_member(root, "ipc")) && kk_pg_choice(c, v, "ipc", ipcs, &choice))
		c->p->ipc = choice;
}

static int two_digits(const char *s)
{
	return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) ?
		       (s[0] - '0') * 10 + (s[1] - '0') : -1;
}

/* "HH:MM-HH:MM UTC"; start > end is an overnight window. */
static void parse_hours(struct kk_pg_ctx *c, const cJSON *v, const char *field)
{
	const char *s, *zone;
	int h1, m1, h2, m2;

	if (!kk_pg_want_type(c, v, cJSON_String, field, "a string \"HH:MM-HH:MM UTC\""))
		return;
	s = v->valuestring;
	/* A well-formed window followed by another zone name: say that zone is the problem. */
	zone = strlen(s) > 12 && s[11] == ' ' && s[2] == ':' && s[5] == '-' && s[8] == ':' ?
		       s + 11 : NULL;
	if (zone && strcmp(zone, " UTC")) {
		kk_pg_err_at(c, v, false, field,
			     "only UTC is supported (write the window in UTC), not \"%s\"",
			     zone + 1);
		return;
	}
	if (strlen(s) != 15 || s[2] != ':' || s[5] != '-' || s[8] != ':' || strcmp(s + 11, " UTC") ||
	    (h1 = two_digits(s)) < 0 || (m1 = two_digits(s + 3)) < 0 ||
	    (h2 = two_digits(s + 6)) < 0 || (m2 = two_digits(s + 9)) < 0) {
		kk_pg_err_at(c, v, false, field,
			     "must be \"HH:MM-HH:MM UTC\" on a 24-hour clock, e.g. \"08:00-17:00 "
			     "UTC\"");
		return;
	}
	if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) {
		kk_pg_err_at(c, v, false, field, "%s out of range (hours 00-23, minutes 00-59)",
			     h1 > 23 || m1 > 59 ? "start" : "end");
		return;
	}
	if (h1 == h2 && m1 == m2) {
		kk_pg_err_at(c, v, false, field, "empty window: start equals end");
		return;
	}
	c->p->has_hours = true;
	c->p->hours_start = (uint16_t)(h1 * 60 + m1);
	c->p->hours_end = (uint16_t)(h2 * 60 + m2);
}

/* "N word/unit", N >= 1, unit second|minute|hour|day (the parser is policy_get.c's). */
static void parse_rate(struct kk_pg_ctx *c, const cJSON *v, const char *field)
{
	kk_pg_rate(c, v, field, false, &c->p->rate_count, &c->p->rate_period_s,
		   &c->p->rate_unit);
}

void kk_pf_constraints(struct kk_pg_ctx *c, const cJSON *v)
{
	static const char *const known[] = { "allowed_regions", "allowed_hours",
					     "max_concurrent_trades", "rate_limit", NULL };
	const char *pre = "execution_constraints";
	const cJSON *m;
	size_t i;

	if (!kk_pg_want_type(c, v, cJSON_Object, pre, "an object"))
		return;
	kk_pg_check_keys(c, v, pre, known, true);
	if ((m = kk_pg_member(v, "allowed_regions")) &&
	    kk_pg_strings(c, m, "execution_constraints.allowed_regions", true, &c->p->regions,
			  &c->p->n_regions)) {
		for (i = 0; i < c->p->n_regions; i++)
			if (c->p->regions[i] && (strlen(c->p->regions[i]) > TEXT_MAX ||
						 !printable(c->p->regions[i])))
				kk_pg_err_at(c, m, false, "execution_constraints.allowed_regions",
					     "regions must be at most %d printable characters",
					     TEXT_MAX);
	}
	if ((m = kk_pg_member(v, "allowed_hours")))
		parse_hours(c, m, "execution_constraints.allowed_hours");
	if ((m = kk_pg_member(v, "max_concurrent_trades")))
		kk_pg_uint(c, m, "execution_constraints.max_concurrent_trades", 1, 65535,
			   &c->p->max_concurrent);
	if ((m = kk_pg_member(v, "rate_limit")))
		parse_rate(c, m, "execution_constraints.rate_limit");
}

/* A closed set of names, each at most once: data_access permissions, socket types. */
struct name_set {
	const char *const *names;
	int n;
	const char *noun;   /* "permission" */
	const char *quoted; /* "\"read\", \"write\" or \"exec\"" */
	const char *plain;  /* "read, write, exec" */
	const char *want;   /* "an array of \"read\", \"write\", \"exec\"" */
};

/* The array v of names in set: their bits (1 << index) in *mask; false after any error. */
static bool parse_names(struct kk_pg_ctx *c, const cJSON *v, const char *field,
			const struct name_set *set, uint32_t *mask)
{
	const cJSON *it;
	bool ok = true;
	int k;

	*mask = 0;
	if (!kk_pg_want_type(c, v, cJSON_Array, field, set->want))
		return false;
	for (it = v->child; it; it = it->next) {
		if (!cJSON_IsString(it)) {
			kk_pg_err_at(c, it, false, field, "%ss must be strings: %s", set->noun,
				     set->quoted);
			ok = false;
			continue;
		}
		for (k = 0; k < set->n && strcmp(it->valuestring, set->names[k]); k++)
			;
		if (k == set->n) {
			kk_pg_err_at(c, it, false, field, "unknown %s \"%s\" (expected %s)",
				     set->noun, it->valuestring, set->plain);
			ok = false;
		} else if (*mask & (1u << k)) {
			kk_pg_err_at(c, it, false, field, "duplicate %s \"%s\"", set->noun,
				     it->valuestring);
			ok = false;
		}
		if (k < set->n)
			*mask |= 1u << k;
	}
	return ok;
}

/* The permission list of one data_access entry: read/write/exec, each once; [] = deny. */
static bool parse_perms(struct kk_pg_ctx *c, const cJSON *v, const char *field, uint8_t *perms)
{
	static const char *const names[] = { "read", "write", "exec" };
	static const struct name_set set = {
		names, 3, "permission", "\"read\", \"write\" or \"exec\"", "read, write, exec",
		"an array of \"read\", \"write\", \"exec\""
	};
	uint32_t mask;
	bool ok = parse_names(c, v, field, &set, &mask);

	*perms = (uint8_t)mask;
	return ok;
}

void kk_pf_data_access(struct kk_pg_ctx *c, const cJSON *v)
{
	const cJSON *m;
	char why[160];
	size_t n;

	if (!kk_pg_want_type(c, v, cJSON_Object, "data_access",
			     "an object of \"path\": [permissions]"))
		return;
	kk_pg_check_keys(c, v, "data_access", NULL, false);
	n = (size_t)cJSON_GetArraySize(v);
	if (n > 65535) {
		kk_pg_err_at(c, v, false, "data_access", "%zu rules; at most 65535", n);
		return;
	}
	c->p->paths = calloc(n ? n : 1, sizeof(*c->p->paths));
	if (!c->p->paths) {
		c->oom = 1;
		return;
	}
	for (m = v->child; m; m = m->next) {
		struct kk_path_rule r;
		char *field;
		uint8_t perms;
		int err;

		if (asprintf(&field, "data_access[\"%s\"]", m->string) < 0) {
			c->oom = 1;
			return;
		}
		err = kk_pattern_parse(m->string, &r, why, sizeof(why));
		if (err == -ENOMEM)
			c->oom = 1;
		else if (err)
			kk_pg_err_at(c, m, true, field, "%s", why);
		if (parse_perms(c, m, field, &perms) && !err) {
			r.perms = perms;
			r.origin = KK_ORIGIN_POLICY;
			c->p->paths[c->p->n_paths++] = r;
		} else if (!err) {
			free(r.pattern);
			free(r.dir);
		}
		free(field);
	}
}

void kk_pf_exec(struct kk_pg_ctx *c, const cJSON *v)
{
	const cJSON *it;
	char why[160];
	size_t i = 0;

	c->p->has_exec = true;
	if (!kk_pg_strings(c, v, "exec", false, &c->p->exec, &c->p->n_exec))
		return;
	/* Positions, for `policy check` to point at an entry missing on this host. */
	c->p->exec_pos = calloc(c->p->n_exec + 1, sizeof(*c->p->exec_pos));
	if (!c->p->exec_pos) {
		c->oom = 1;
		return;
	}
	/* Every entry was kept (none refused) exactly when the counts agree. */
	if ((size_t)cJSON_GetArraySize(v) == c->p->n_exec)
		for (it = v->child, i = 0; it; it = it->next, i++)
			kk_jsonc_pos(c->j, it, &c->p->exec_pos[i].line, &c->p->exec_pos[i].col);
	i = 0;
	/* get_string_array kept the distinct strings in order; check each as a path. */
	for (it = v->child; it; it = it->next) {
		char *field = kk_pg_index_path(c, "exec", (int)i++);

		if (!field)
			return;
		if (cJSON_IsString(it) && it->valuestring[0]) {
			if (strchr(it->valuestring, '*'))
				kk_pg_err_at(c, it, false, field,
					     "globs are not allowed in exec paths");
			else if (kk_path_check(it->valuestring, KK_RULE_PATH_MAX + 1, why,
					       sizeof(why)))
				kk_pg_err_at(c, it, false, field, "%s", why);
		}
		free(field);
	}
}

static void parse_host_list(struct kk_pg_ctx *c, const cJSON *list, bool deny)
{
	const char *name = deny ? "network_rules.denied_hosts" : "network_rules.allowed_hosts";
	struct kk_policy *p = c->p;
	const cJSON *it;
	int i = 0;

	if (!kk_pg_want_type(c, list, cJSON_Array, name, "an array of host strings"))
		return;
	for (it = list->child; it; it = it->next, i++) {
		char *field = kk_pg_index_path(c, name, i), why[200];
		struct kk_host_rule h;
		int err;

		if (!field)
			return;
		if (!cJSON_IsString(it)) {
			kk_pg_err_at(c, it, false, field, "must be a string");
			goto next;
		}
		err = kk_host_parse(it->valuestring, deny, &h, why, sizeof(why));
		if (err) {
			if (err == -ENOMEM)
				c->oom = 1;
			else
				kk_pg_err_at(c, it, false, field, "\"%s\": %s", it->valuestring,
					     why);
			goto next;
		}
		if (h.kind == KK_HOST_WILDCARD && !deny) {
			kk_pg_err_at(c, it, false, field,
				     "\"%s\": wildcards cannot be allowed (the kernel sees "
				     "addresses, not names); list the hostnames",
				     it->valuestring);
			free(h.name);
			goto next;
		}
		h.text = kk_pg_dup_str(c, it->valuestring);
		h.index = i;
		kk_jsonc_pos(c->j, it, &h.line, &h.col);
		p->hosts[p->n_hosts++] = h;
next:
		free(field);
	}
}

/*
 * The same entry twice (by canonical text, so "::ffff:10.0.0.1" equals "10.0.0.1") is an
 * error: a duplicate within a list, a conflict across them. The first one stays.
 */
static void drop_duplicate_hosts(struct kk_pg_ctx *c)
{
	struct kk_policy *p = c->p;
	size_t i, out = 0, n = p->n_hosts;
	char **canon = calloc(n + 1, sizeof(*canon));
	long *first = NULL;

	for (i = 0; canon && i < n; i++) {
		canon[i] = malloc(320);
		if (!canon[i] || kk_host_canonical(&p->hosts[i], canon[i], 320))
			goto out;
	}
	first = canon ? kk_first_dups((const char *const *)canon, n) : NULL;
	if (!first)
		goto out;
	for (i = 0; i < n; i++) {
		const struct kk_host_rule *h = &p->hosts[i], *o;
		char field[64];

		if (first[i] < 0)
			continue;
		o = &p->hosts[first[i]];
		snprintf(field, sizeof(field), "network_rules.%s_hosts[%d]",
			 h->deny ? "denied" : "allowed", h->index);
		kk_errors_add(c->errs, h->line, h->col, field, "\"%s\" %s network_rules.%s_hosts "
			      "entry \"%s\"", h->text, o->deny == h->deny ? "duplicates the" :
			      "conflicts with the", o->deny ? "denied" : "allowed", o->text);
	}
	for (i = 0; i < n; i++) {
		if (first[i] < 0) {
			p->hosts[out++] = p->hosts[i];
			continue;
		}
		free(p->hosts[i].text);
		free(p->hosts[i].name);
	}
	p->n_hosts = out;
out:
	if (!first)
		c->oom = 1;
	for (i = 0; canon && i < n; i++)
		free(canon[i]);
	free(canon);
	free(first);
}

void kk_pf_network(struct kk_pg_ctx *c, const cJSON *v)
{
	static const char *const known[] = { "allowed_hosts", "denied_hosts",
					     "allowed_socket_types", "listen", NULL };
	static const char *const types[] = { "raw", "packet", "netlink", "sctp" };
	static const uint32_t type_bits[] = { KK_POL_SOCK_RAW, KK_POL_SOCK_PACKET,
					      KK_POL_SOCK_NETLINK, KK_POL_SOCK_SCTP };
	static const struct name_set type_set = {
		types,
		4,
		"socket type",
		"\"raw\", \"packet\", \"netlink\" or \"sctp\"",
		"raw, packet, netlink, sctp",
		"an array of \"raw\", \"packet\", \"netlink\", \"sctp\"",
	};
	const cJSON *allowed, *denied, *m;
	size_t n = 0, i;
	uint32_t mask;

	if (!kk_pg_want_type(c, v, cJSON_Object, "network_rules", "an object"))
		return;
	kk_pg_check_keys(c, v, "network_rules", known, true);
	if ((m = kk_pg_member(v, "allowed_socket_types")) &&
	    parse_names(c, m, "network_rules.allowed_socket_types", &type_set, &mask))
		for (i = 0; i < 4; i++)
			c->p->socket_types |= mask & (1u << i) ? type_bits[i] : 0;
	if ((m = kk_pg_member(v, "listen")))
		kk_pf_listen(c, m);
	allowed = kk_pg_member(v, "allowed_hosts");
	denied = kk_pg_member(v, "denied_hosts");
	n = (size_t)(allowed ? cJSON_GetArraySize(allowed) : 0) +
	    (size_t)(denied ? cJSON_GetArraySize(denied) : 0);
	c->p->hosts = calloc(n ? n : 1, sizeof(*c->p->hosts));
	if (!c->p->hosts) {
		c->oom = 1;
		return;
	}
	if (allowed)
		parse_host_list(c, allowed, false);
	if (denied)
		parse_host_list(c, denied, true);
	drop_duplicate_hosts(c);
	for (i = 0; i < c->p->n_hosts; i++)
		if (!c->p->hosts[i].deny)
			return;
	for (i = 0; i < c->p->n_hosts; i++) {
		const struct kk_host_rule *h = &c->p->hosts[i];
		char field[64];

		snprintf(field, sizeof(field), "network_rules.denied_hosts[%d]", h->index);
		if (h->kind == KK_HOST_WILDCARD)
			kk_errors_add(c->errs, h->line, h->col, field,
				      "\"%s\" is enforced by default-deny, which needs allowed_hosts "
				      "(without them every host is denied already)", h->text);
	}
}

void kk_pf_revocation(struct kk_pg_ctx *c, const cJSON *v)
{
	static const char *const known[] = { "enabled", "cache_ttl_seconds", "fail_open", NULL };
	const cJSON *m;

	if (!kk_pg_want_type(c, v, cJSON_Object, "revocation_check", "an object"))
		return;
	kk_pg_check_keys(c, v, "revocation_check", known, true);
	if ((m = kk_pg_member(v, "enabled")))
		kk_pg_bool(c, m, "revocation_check.enabled", &c->p->revocation_enabled);
	if ((m = kk_pg_member(v, "cache_ttl_seconds")))
		kk_pg_uint(c, m, "revocation_check.cache_ttl_seconds", 1, 86400,
			   &c->p->revocation_ttl_s);
	if ((m = kk_pg_member(v, "fail_open")))
		kk_pg_bool(c, m, "revocation_check.fail_open", &c->p->revocation_fail_open);
}

void kk_pf_auto_revoke(struct kk_pg_ctx *c, const cJSON *v)
{
	static const char *const known[] = { "max_denials", "window_seconds", NULL };
	const cJSON *m;

	if (!kk_pg_want_type(c, v, cJSON_Object, "auto_revoke", "an object"))
		return;
	kk_pg_check_keys(c, v, "auto_revoke", known, true);
	if (!(m = kk_pg_member(v, "max_denials")))
		kk_pg_err_at(c, v, false, "auto_revoke.max_denials", "required");
	else
		kk_pg_uint(c, m, "auto_revoke.max_denials", 1, UINT32_MAX, &c->p->auto_revoke_max);
	if (!(m = kk_pg_member(v, "window_seconds")))
		kk_pg_err_at(c, v, false, "auto_revoke.window_seconds", "required");
	else
		kk_pg_uint(c, m, "auto_revoke.window_seconds", 1, UINT32_MAX,
			   &c->p->auto_revoke_window_s);
}
