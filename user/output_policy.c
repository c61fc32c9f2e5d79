// SPDX-License-Identifier: GPL-2.0-only
/* output_policy — `policy show`: a compiled policy as text or JSON (see output.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "actions.h"
#include "output.h"
#include "policy.h"

static const char *origin_name(uint8_t origin)
{
	return origin == KK_ORIGIN_BASELINE ? "baseline" :
	       origin == KK_ORIGIN_EGRESS   ? "egress" : "policy";
}

static const char *match_name(uint8_t flags)
{
	if (flags & KK_PATH_F_SUBTREE)
		return "below";
	if (flags & KK_PATH_F_DIR_SELF)
		return "dir";
	return "exact";
}

/* The key's path as text: "/data/" for a subtree entry, "/etc/hosts" otherwise. */
static const char *entry_path(const struct kk_path_entry *e)
{
	return (const char *)e->key.path;
}

static void ports_text(const struct kk_net_val *v, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	if (v->any_port || !v->nports) {
		snprintf(buf, len, v->any_port ? "any port" : "no port");
		return;
	}
	used = snprintf(buf, len, "port%s ", v->nports > 1 ? "s" : "");
	for (i = 0; i < v->nports && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "," : "", v->ports[i]);
}

static void print_constraints(FILE *f, const struct kk_policy *p)
{
	size_t i;

	if (p->n_regions) {
		fprintf(f, "regions      ");
		for (i = 0; i < p->n_regions; i++)
			fprintf(f, "%s%s", i ? ", " : "", p->regions[i]);
		fputc('\n', f);
	}
	if (p->has_hours)
		fprintf(f, "hours        %02u:%02u-%02u:%02u UTC%s\n", p->hours_start / 60,
			p->hours_start % 60, p->hours_end / 60, p->hours_end % 60,
			p->hours_start > p->hours_end ? " (overnight)" : "");
	if (p->max_concurrent)
		fprintf(f, "concurrent   at most %u outbound connections\n", p->max_concurrent);
	if (p->rate_count)
		fprintf(f, "rate         %u %s per %u s\n", p->rate_count, p->rate_unit,
			p->rate_period_s);
	if (p->revocation_enabled)
		fprintf(f, "revocation   OCSP every %u s, fail %s\n", p->revocation_ttl_s,
			p->revocation_fail_open ? "open" : "closed");
	if (p->auto_revoke_max)
		fprintf(f, "auto_revoke  after %u denials in %u s\n", p->auto_revoke_max,
			p->auto_revoke_window_s);
	/* The signer's action types (their scope is in --json's canonical policy). */
	if (p->actions) {
		fprintf(f, "actions      %s", kk_actions_count(p->actions) ? "" : "none signed");
		for (i = 0; i < kk_actions_count(p->actions); i++)
			fprintf(f, "%s%s", i ? ", " : "", kk_actions_type_name(p->actions, i));
		fputc('\n', f);
	}
}

/* An entry's address; "every address" for a rule without one (prefix 0). */
static void listen_addr(const struct kk_net_entry *e, char *buf, size_t len)
{
	if (e->key.prefixlen == 32)
		snprintf(buf, len, "every address");
	else
		kk_net_entry_addr(e, buf, len);
}

static void print_listen(FILE *f, const struct kk_ruleset *rs)
{
	char addr[80], ports[128];
	size_t i;

	if (!rs->n_listen) {
		fprintf(f, "\nlisten (none: binding a port, listen and accept are refused)\n");
		return;
	}
	fprintf(f, "\nlisten (%zu kernel entries; bind, listen and accept, most specific address "
		   "wins)\n", rs->n_listen);
	for (i = 0; i < rs->n_listen; i++) {
		const struct kk_net_entry *e = &rs->listen[i];

		listen_addr(e, addr, sizeof(addr));
		ports_text(&e->val, ports, sizeof(ports));
		fprintf(f, "  %-46s %-16s (%s)\n", addr, ports, e->source);
	}
}

/* "127.0.0.1:18443", "[::1]:18443": where the egress listens for r. */
static void egress_listen(const struct kk_egress_rule *r, char *buf, size_t len)
{
	struct kk_net_entry e = { .key.prefixlen = 32 + 128 };
	char a[64];

	memcpy(e.key.addr, r->listen_addr, 16);
	kk_net_entry_addr(&e, a, sizeof(a));
	snprintf(buf, len, r->listen_v4 ? "%s:%u" : "[%s]:%u", a, r->listen_port);
}

/* The "egress" section: only when set, so the output of other policies stays as it was. */
static void print_egress(FILE *f, const struct kk_policy *p)
{
	char lis[80];
	size_t i;

	if (!p->n_egress)
		return;
	fprintf(f, "\negress (%zu upstreams; the agent reaches them only through the kakunin "
		   "egress: direct connections to their addresses are denied)\n", p->n_egress);
	for (i = 0; i < p->n_egress; i++) {
		const struct kk_egress_rule *r = &p->egress[i];

		egress_listen(r, lis, sizeof(lis));
		fprintf(f, "  %-40s via %-22s server name %s, ca %s, http events %s\n",
			r->upstream, lis, r->server_name, r->ca, r->http_events ? "on" : "off");
	}
}

static int print_text(FILE *f, const struct kk_policy *p, const struct kk_ruleset *rs)
{
	char hash[KK_POLICY_HASH_HEX];
	char perms[32], addr[80], ports[128];
	size_t i;

	fprintf(f, "policy       %s\nagent        %s (version %s)\n", p->file, p->agent_id,
		p->version);
	fprintf(f, "mode         %s, audit %s, baseline %s\nhash         sha256:%s\n",
		p->mode == KK_MODE_AUDIT ? "audit" : "enforce",
		p->audit == KK_AUDIT_ALL ? "all" : "denials", p->baseline ? "on" : "off",
		kk_policy_hash_hex(p, hash));
	fprintf(f, "format       %u\n", rs->format);
	fprintf(f, "jit          %s\n", p->allow_jit ?
			"allowed: anonymous and memfd memory may be made executable (allow_jit)" :
			"refused: anonymous and memfd memory is never executable");
	fprintf(f, "ipc          %s\n", p->ipc == KK_IPC_NONE ?
			"none: no System V IPC objects or keys" :
			"own: System V IPC objects and keys created under the binding only");
	print_constraints(f, p);
	fprintf(f, "\npaths (%zu kernel entries; most specific wins)\n", rs->n_paths);
	for (i = 0; i < rs->n_paths; i++) {
		const struct kk_path_entry *e = &rs->paths[i];

		fprintf(f, "  %-40s %-16s %-5s %-8s %s%s\n", entry_path(e),
			kk_perms_str(e->val.perms, perms, sizeof(perms)), match_name(e->val.flags),
			origin_name(e->origin), e->pattern,
			e->val.flags & KK_PATH_F_PROC_SELF ? " (own /proc/PID)" : "");
	}
	fprintf(f, "\nexec (%s)\n", p->has_exec ? "only these may run" :
			"no list: files with exec permission may run");
	for (i = 0; i < rs->n_exec; i++)
		fprintf(f, "  %s%s%s\n", rs->exec[i].path, rs->exec[i].resolved ? " -> " : "",
			rs->exec[i].resolved ? rs->exec[i].resolved : " (not on this host)");
	fprintf(f, "\nnetwork (%zu kernel entries; deny wins, then allow, else denied)\n", rs->n_net);
	for (i = 0; i < rs->n_net; i++) {
		const struct kk_net_entry *e = &rs->net[i];

		kk_net_entry_addr(e, addr, sizeof(addr));
		ports_text(&e->val, ports, sizeof(ports));
		fprintf(f, "  %-5s %-40s %-16s %-8s %s\n", e->deny ? "deny" : "allow", addr, ports,
			origin_name(e->origin), e->source);
	}
	for (i = 0; i < rs->n_symbolic; i++)
		fprintf(f, "  %-5s %-40s %s\n", rs->symbolic[i].deny ? "deny" : "allow",
			rs->symbolic[i].text, rs->symbolic[i].why);
	print_listen(f, rs);
	print_egress(f, p);
	fprintf(f, "\nsockets (others are refused)\n  inet, inet6, unix%s%s%s%s\n",
		p->socket_types & KK_POL_SOCK_RAW ? ", raw" : "",
		p->socket_types & KK_POL_SOCK_PACKET ? ", packet" : "",
		p->socket_types & KK_POL_SOCK_NETLINK ? ", netlink" :
		p->baseline ? ", netlink NETLINK_ROUTE (baseline)" : "",
		p->socket_types & KK_POL_SOCK_SCTP ? ", sctp" : "");
	return ferror(f) ? -EIO : 0;
}

static cJSON *paths_json(const struct kk_ruleset *rs)
{
	cJSON *arr = cJSON_CreateArray();
	char perms[32];
	size_t i;

	for (i = 0; arr && i < rs->n_paths; i++) {
		const struct kk_path_entry *e = &rs->paths[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o) ||
		    !cJSON_AddStringToObject(o, "key", entry_path(e)) ||
		    !cJSON_AddStringToObject(o, "match", match_name(e->val.flags)) ||
		    !cJSON_AddStringToObject(o, "perms",
					     kk_perms_str(e->val.perms, perms, sizeof(perms))) ||
		    !cJSON_AddStringToObject(o, "origin", origin_name(e->origin)) ||
		    !cJSON_AddStringToObject(o, "rule", e->pattern) ||
		    !cJSON_AddBoolToObject(o, "proc_self", e->val.flags & KK_PATH_F_PROC_SELF)) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* A network or listen entry into arr: list, address, origin, source, ports ("any" or [...]). */
static bool net_entry_json(cJSON *arr, const struct kk_net_entry *e, const char *list)
{
	cJSON *o = cJSON_CreateObject(), *ports;
	char addr[80];
	int k;

	kk_net_entry_addr(e, addr, sizeof(addr));
	if (!o || !cJSON_AddItemToArray(arr, o) || !cJSON_AddStringToObject(o, "list", list) ||
	    !cJSON_AddStringToObject(o, "address", addr) ||
	    !cJSON_AddStringToObject(o, "origin", origin_name(e->origin)) ||
	    !cJSON_AddStringToObject(o, "source", e->source))
		return false;
	if (e->val.any_port)
		return cJSON_AddStringToObject(o, "ports", "any") != NULL;
	ports = cJSON_AddArrayToObject(o, "ports");
	for (k = 0; ports && k < e->val.nports; k++)
		if (!cJSON_AddItemToArray(ports, cJSON_CreateNumber(e->val.ports[k])))
			return false;
	return ports != NULL;
}

/* The kk_net_listen entries: address "::/0" is the rule for every address. */
static cJSON *listen_json(const struct kk_ruleset *rs)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < rs->n_listen; i++)
		if (!net_entry_json(arr, &rs->listen[i], "listen")) {
			cJSON_Delete(arr);
			return NULL;
		}
	return arr;
}

static cJSON *net_json(const struct kk_ruleset *rs)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; arr && i < rs->n_net; i++)
		if (!net_entry_json(arr, &rs->net[i], rs->net[i].deny ? "deny" : "allow"))
			goto fail;
	for (i = 0; arr && i < rs->n_symbolic; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o) ||
		    !cJSON_AddStringToObject(o, "list", rs->symbolic[i].deny ? "deny" : "allow") ||
		    !cJSON_AddStringToObject(o, "host", rs->symbolic[i].text) ||
		    !cJSON_AddStringToObject(o, "symbolic", rs->symbolic[i].why))
			goto fail;
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

static cJSON *exec_json(const struct kk_policy *p, const struct kk_ruleset *rs)
{
	cJSON *arr;
	size_t i;

	if (!p->has_exec)
		return cJSON_CreateNull();
	arr = cJSON_CreateArray();
	for (i = 0; arr && i < rs->n_exec; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o) ||
		    !cJSON_AddStringToObject(o, "path", rs->exec[i].path) ||
		    !(rs->exec[i].resolved ?
			      cJSON_AddStringToObject(o, "resolved", rs->exec[i].resolved) :
			      cJSON_AddNullToObject(o, "resolved"))) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

/* The egress rules as the egress reads them: [{"upstream", "host", "port", "listen", ...}]. */
static cJSON *egress_json(const struct kk_policy *p)
{
	cJSON *arr = cJSON_CreateArray();
	char lis[80];
	size_t i;

	for (i = 0; arr && i < p->n_egress; i++) {
		const struct kk_egress_rule *r = &p->egress[i];
		cJSON *o = cJSON_CreateObject();

		egress_listen(r, lis, sizeof(lis));
		if (!o || !cJSON_AddItemToArray(arr, o) ||
		    !cJSON_AddStringToObject(o, "upstream", r->upstream) ||
		    !cJSON_AddStringToObject(o, "host", r->host) ||
		    !cJSON_AddNumberToObject(o, "port", r->port) ||
		    !cJSON_AddStringToObject(o, "listen", lis) ||
		    !cJSON_AddStringToObject(o, "ca", r->ca) ||
		    !cJSON_AddStringToObject(o, "server_name", r->server_name) ||
		    !cJSON_AddBoolToObject(o, "http_events", r->http_events)) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

static int print_json(FILE *f, const struct kk_policy *p, const struct kk_ruleset *rs)
{
	char hash[KK_POLICY_HASH_HEX];
	cJSON *o = cJSON_CreateObject(), *canon = cJSON_Parse(p->canonical);
	char *text = NULL;
	int err = -ENOMEM;

	if (!o || !canon || !cJSON_AddStringToObject(o, "file", p->file) ||
	    !cJSON_AddNumberToObject(o, "format", rs->format) ||
	    !cJSON_AddStringToObject(o, "hash", kk_policy_hash_hex(p, hash)) ||
	    !cJSON_AddBoolToObject(o, "allow_jit", p->allow_jit) ||
	    !cJSON_AddStringToObject(o, "ipc", p->ipc == KK_IPC_NONE ? "none" : "own") ||
	    !cJSON_AddItemToObject(o, "policy", canon))
		goto out;
	canon = NULL;
	if (!cJSON_AddItemToObject(o, "paths", paths_json(rs)) ||
	    !cJSON_AddItemToObject(o, "exec", exec_json(p, rs)) ||
	    !cJSON_AddItemToObject(o, "network", net_json(rs)) ||
	    !cJSON_AddItemToObject(o, "listen", listen_json(rs)) ||
	    !cJSON_AddItemToObject(o, "egress", egress_json(p)) ||
	    !cJSON_AddNumberToObject(o, "resolved_addresses", (double)rs->n_resolved))
		goto out;
	text = cJSON_Print(o);
	if (!text)
		goto out;
	fprintf(f, "%s\n", text);
	err = ferror(f) ? -EIO : 0;
out:
	free(text);
	cJSON_Delete(canon);
	cJSON_Delete(o);
	return err;
}

int kk_policy_print(FILE *f, const struct kk_policy *p, const struct kk_ruleset *rs, bool json)
{
	return json ? print_json(f, p, rs) : print_text(f, p, rs);
}
