// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_canon — the canonical form of a validated policy and its SHA-256, the policy hash.
 *
 * The canonical form is compact JSON with every key in byte order, every default written out
 * (but for the fields added after the format: allowed_socket_types, listen, allow_jit and ipc
 * appear only when they differ from their default, so older policies keep their hash), sets
 * (permissions, regions, exec paths, hosts, listen rules) sorted, hosts and listen rules in
 * canonical text, and a "format" member naming this scheme. Two documents that differ only in
 * key order, whitespace, comments, the order of set members or the spelling of an address
 * ("[::/0]:80" is "80" in listen) hash the same; anything that changes what is enforced changes
 * the hash. Resolved addresses are not part of it: DNS answers change, the policy does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "hex.h"
#include "policy_int.h"

#define CANON_FORMAT "kakunin-policy/1"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted JSON array of the n strings in v; NULL on allocation failure. */
static cJSON *sorted_array(char *const *v, size_t n)
{
	const char **s = calloc(n ? n : 1, sizeof(*s));
	cJSON *arr;

	if (!s)
		return NULL;
	if (n) {
		memcpy(s, v, n * sizeof(*s));
		qsort(s, n, sizeof(*s), cmp_str);
	}
	arr = cJSON_CreateStringArray(s, (int)n);
	free(s);
	return arr;
}

static int cmp_rule(const void *a, const void *b)
{
	return strcmp(((const struct kk_path_rule *)a)->pattern,
		      ((const struct kk_path_rule *)b)->pattern);
}

static cJSON *data_access_json(const struct kk_policy *p)
{
	static const char *const names[] = { "read", "write", "exec" };
	struct kk_path_rule *r = malloc((p->n_paths ? p->n_paths : 1) * sizeof(*r));
	cJSON *o = cJSON_CreateObject();
	size_t i, k;

	if (!r || !o)
		goto fail;
	if (p->n_paths) { /* memcpy/qsort of NULL, even for 0 bytes, is undefined */
		memcpy(r, p->paths, p->n_paths * sizeof(*r));
		qsort(r, p->n_paths, sizeof(*r), cmp_rule);
	}
	for (i = 0; i < p->n_paths; i++) {
		cJSON *perms = cJSON_AddArrayToObject(o, r[i].pattern);

		if (!perms)
			goto fail;
		for (k = 0; k < 3; k++)
			if ((r[i].perms & (1u << k)) &&
			    !cJSON_AddItemToArray(perms, cJSON_CreateString(names[k])))
				goto fail;
	}
	free(r);
	return o;
fail:
	free(r);
	cJSON_Delete(o);
	return NULL;
}

/* Hosts of one list as sorted canonical strings. */
/* allowed_socket_types in canonical (alphabetical) order. */
static cJSON *socket_types_json(uint32_t mask)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} order[] = { { "netlink", KK_POL_SOCK_NETLINK },
		      { "packet", KK_POL_SOCK_PACKET },
		      { "raw", KK_POL_SOCK_RAW },
		      { "sctp", KK_POL_SOCK_SCTP } };
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < sizeof(order) / sizeof(order[0]); i++)
		if ((mask & order[i].bit) &&
		    !cJSON_AddItemToArray(a, cJSON_CreateString(order[i].name))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static cJSON *hosts_json(const struct kk_policy *p, bool deny)
{
	char **v = calloc(p->n_hosts ? p->n_hosts : 1, sizeof(*v));
	size_t i, n = 0;
	cJSON *arr = NULL;

	if (!v)
		return NULL;
	for (i = 0; i < p->n_hosts; i++) {
		char buf[320];

		if (p->hosts[i].deny != deny || kk_host_canonical(&p->hosts[i], buf, sizeof(buf)))
			continue;
		v[n] = strdup(buf);
		if (!v[n++])
			goto out;
	}
	arr = sorted_array(v, n);
out:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return arr;
}

/* network_rules.listen as sorted canonical strings ("8080", "10.0.0.0/8:9000", "[::]:80"). */
static cJSON *listen_json(const struct kk_policy *p)
{
	char **v = calloc(p->n_listen + 1, sizeof(*v));
	size_t i, n = 0;
	cJSON *arr = NULL;

	if (!v)
		return NULL;
	for (i = 0; i < p->n_listen; i++) {
		char buf[80];

		if (kk_listen_canonical(&p->listen[i], buf, sizeof(buf)))
			goto out;
		v[n] = strdup(buf);
		if (!v[n++])
			goto out;
	}
	arr = sorted_array(v, n);
out:
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return arr;
}

static cJSON *constraints_json(const struct kk_policy *p)
{
	cJSON *o = cJSON_CreateObject();
	char buf[96];
	bool ok;

	if (!o)
		return NULL;
	snprintf(buf, sizeof(buf), "%02u:%02u-%02u:%02u UTC", p->hours_start / 60,
		 p->hours_start % 60, p->hours_end / 60, p->hours_end % 60);
	ok = (p->has_hours ? cJSON_AddStringToObject(o, "allowed_hours", buf) :
			     cJSON_AddNullToObject(o, "allowed_hours")) &&
	     cJSON_AddItemToObject(o, "allowed_regions",
				   p->regions ? sorted_array(p->regions, p->n_regions) :
						cJSON_CreateNull()) &&
	     (p->max_concurrent ? cJSON_AddNumberToObject(o, "max_concurrent_trades",
							  p->max_concurrent) :
				  cJSON_AddNullToObject(o, "max_concurrent_trades"));
	if (ok && p->rate_count) {
		snprintf(buf, sizeof(buf), "%u %s/%s", p->rate_count, p->rate_unit,
			 p->rate_period_s == 1 ? "second" : p->rate_period_s == 60 ? "minute" :
			 p->rate_period_s == 3600 ? "hour" : "day");
		ok = cJSON_AddStringToObject(o, "rate_limit", buf);
	} else if (ok) {
		ok = cJSON_AddNullToObject(o, "rate_limit");
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *canonical_json(const struct kk_policy *p)
{
	cJSON *o = cJSON_CreateObject(), *net, *rev, *ar = NULL;
	bool ok;

	if (!o)
		return NULL;
	if (p->auto_revoke_max) {
		ar = cJSON_CreateObject();
		if (!ar || !cJSON_AddNumberToObject(ar, "max_denials", p->auto_revoke_max) ||
		    !cJSON_AddNumberToObject(ar, "window_seconds", p->auto_revoke_window_s)) {
			cJSON_Delete(ar);
			ar = NULL;
			goto fail;
		}
	}
	/*
	 * Members added in byte order of their keys. allow_jit and ipc only when they differ from
	 * the default: the hashes of policies written before these fields stay what they were.
	 */
	/* "actions" only when present: the hashes of policies without it stay what they were. */
	ok = (!p->actions || cJSON_AddItemToObject(o, "actions", kk_actions_canon(p->actions))) &&
	     cJSON_AddStringToObject(o, "agent_id", p->agent_id) &&
	     (!p->allow_jit || cJSON_AddTrueToObject(o, "allow_jit")) &&
	     cJSON_AddStringToObject(o, "audit", p->audit == KK_AUDIT_ALL ? "all" : "denials") &&
	     cJSON_AddItemToObject(o, "auto_revoke", ar ? ar : cJSON_CreateNull()) &&
	     cJSON_AddBoolToObject(o, "baseline", p->baseline) &&
	     cJSON_AddItemToObject(o, "data_access", data_access_json(p)) &&
	     /* "egress" only when set: the hashes of policies without it stay what they were. */
	     (!p->n_egress || cJSON_AddItemToObject(o, "egress", kk_egress_canon(p))) &&
	     cJSON_AddItemToObject(o, "exec", p->has_exec ? sorted_array(p->exec, p->n_exec) :
							    cJSON_CreateNull()) &&
	     cJSON_AddItemToObject(o, "execution_constraints", constraints_json(p)) &&
	     cJSON_AddStringToObject(o, "format", CANON_FORMAT) &&
	     (p->ipc == KK_IPC_OWN || cJSON_AddStringToObject(o, "ipc", "none")) &&
	     cJSON_AddStringToObject(o, "mode", p->mode == KK_MODE_AUDIT ? "audit" : "enforce");
	ar = NULL;
	if (!ok)
		goto fail;
	net = cJSON_AddObjectToObject(o, "network_rules");
	if (!net || !cJSON_AddItemToObject(net, "allowed_hosts", hosts_json(p, false)) ||
	    !cJSON_AddItemToObject(net, "denied_hosts", hosts_json(p, true)))
		goto fail;
	/* Only when set: the hashes of policies written before this field stay what they were. */
	if (p->socket_types && !cJSON_AddItemToObject(net, "allowed_socket_types",
						      socket_types_json(p->socket_types)))
		goto fail;
	/* Absent and [] both mean nowhere, and are left out alike. */
	if (p->n_listen && !cJSON_AddItemToObject(net, "listen", listen_json(p)))
		goto fail;
	rev = cJSON_AddObjectToObject(o, "revocation_check");
	if (!rev || !cJSON_AddNumberToObject(rev, "cache_ttl_seconds", p->revocation_ttl_s) ||
	    !cJSON_AddBoolToObject(rev, "enabled", p->revocation_enabled) ||
	    !cJSON_AddBoolToObject(rev, "fail_open", p->revocation_fail_open) ||
	    kk_actions_risk_canon(p->actions, o) ||
	    /* Only when set: the hashes of policies without it stay what they were. */
	    (p->spiffe_id && !cJSON_AddStringToObject(o, "spiffe_id", p->spiffe_id)) ||
	    !cJSON_AddStringToObject(o, "version", p->version))
		goto fail;
	return o;
fail:
	cJSON_Delete(ar);
	cJSON_Delete(o);
	return NULL;
}

int kk_policy_canonicalize(struct kk_policy *p)
{
	unsigned int mdlen = 0;
	cJSON *o = canonical_json(p);

	if (!o)
		return -ENOMEM;
	p->canonical = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!p->canonical)
		return -ENOMEM;
	if (!EVP_Digest(p->canonical, strlen(p->canonical), p->hash, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != sizeof(p->hash))
		return -EIO;
	return 0;
}

const char *kk_policy_hash_hex(const struct kk_policy *p, char out[KK_POLICY_HASH_HEX])
{
	return kk_hex_encode(p->hash, sizeof(p->hash), out);
}

/* Drop the members of o (recursively) whose value is null: the parser reads them as absent. */
static void drop_nulls(cJSON *o)
{
	cJSON *m = o->child, *next;

	for (; m; m = next) {
		next = m->next;
		if (cJSON_IsNull(m))
			cJSON_Delete(cJSON_DetachItemViaPointer(o, m));
		else if (cJSON_IsObject(m))
			drop_nulls(m);
	}
}

/* Largest canonical policy read back: a policy file has at most POLICY_FILE_MAX bytes. */
#define CANON_FILE_MAX (4u << 20)

int kk_policy_load_canonical(const char *file, struct kk_policy *out, struct kk_errors *errs)
{
	cJSON *o = NULL, *fmt;
	char *text = NULL, *plain = NULL;
	FILE *f = fopen(file, "re");
	long n = -1;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && n <= (long)CANON_FILE_MAX &&
	    !fseek(f, 0, SEEK_SET) && (text = calloc(1, (size_t)n + 1)) &&
	    fread(text, 1, (size_t)n, f) == (size_t)n)
		o = cJSON_Parse(text);
	if (!f || !text) {
		err = !f ? -errno : n < 0 || n > (long)CANON_FILE_MAX ? -EFBIG : -ENOMEM;
		kk_errors_add(errs, 0, 0, "", "cannot read: %s", strerror(-err));
		goto out;
	}
	fmt = cJSON_GetObjectItemCaseSensitive(o, "format");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, CANON_FORMAT)) {
		kk_errors_add(errs, 0, 0, "", "not a canonical policy of format %s", CANON_FORMAT);
		goto out;
	}
	/* What the canonical form adds to a policy ("format", nulls for absent members) goes. */
	cJSON_DeleteItemFromObjectCaseSensitive(o, "format");
	drop_nulls(o);
	plain = cJSON_PrintUnformatted(o);
	err = plain ? kk_policy_parse(file, plain, strlen(plain), out, errs) : -ENOMEM;
out:
	if (f)
		fclose(f);
	cJSON_Delete(o);
	free(plain);
	free(text);
	return err;
}
