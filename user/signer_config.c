// SPDX-License-Identifier: GPL-2.0-only
/*
 * signer_config — the signer's configuration file (signer.h): JSONC validated as the daemon's
 * is (the policy module's getters: duplicate and unknown keys, wrong types, values out of
 * range, each "FILE:LINE:COL: key: reason", all of them), and loading what it names: per agent
 * the certificate and chain, the private key (keyref.h), the policy and its "actions".
 *
 * Keys are a table, as in daemon_config.c: a new one is a row.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "actions.h"
#include "error.h"
#include "keyref.h"
#include "log.h"
#include "policy.h"
#include "risk.h"
#include "signer.h"
/* The policy module's getters: one validation style for every JSONC file we read. */
#include "policy_get_int.h"

#define CONFIG_FILE_MAX (1u << 20)

enum cfg_type { CFG_STRING, CFG_INT, CFG_CUSTOM };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off, size; /* the field in kk_signer_cfg; INT: 4 bytes (int or uint32_t) */
	double min, max;  /* INT */
	bool (*parse)(struct kk_pg_ctx *ctx, const cJSON *v, const char *field,
		      struct kk_signer_cfg *c);
};

#define FIELD(f) offsetof(struct kk_signer_cfg, f), sizeof(((struct kk_signer_cfg *)0)->f)
#define STR(k, f) { .name = k, .type = CFG_STRING, FIELD(f) }
#define INT(k, f, lo, hi) { .name = k, .type = CFG_INT, FIELD(f), .min = lo, .max = hi }

/* A string member into dst (size bytes), reported when it is not one or too long or empty. */
static bool get_str(struct kk_pg_ctx *ctx, const cJSON *v, const char *field, char *dst,
		    size_t size)
{
	if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= size) {
		kk_pg_err_at(ctx, v, false, field, "must be a non-empty string shorter than %zu "
			     "bytes", size);
		return false;
	}
	memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
	return true;
}

static bool parse_chain(struct kk_pg_ctx *ctx, const cJSON *v, const char *field, /* < 64 */
			struct kk_signer_agent_cfg *a)
{
	const cJSON *u;
	char name[128];
	int i = 0;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > KK_SIGNER_CHAIN) {
		kk_pg_err_at(ctx, v, false, field, "must be a list of at most %d certificate files "
			     "(intermediates, the leaf's issuer first)", KK_SIGNER_CHAIN);
		return false;
	}
	cJSON_ArrayForEach(u, v) {
		snprintf(name, sizeof(name), "%s[%d]", field, i++);
		if (!get_str(ctx, u, name, a->chain[a->n_chain], sizeof(a->chain[0])))
			return false;
		a->n_chain++;
	}
	return true;
}

/* One member of "agents": {"certificate", "chain", "key", "policy"}. */
static void parse_agent(struct kk_pg_ctx *ctx, const cJSON *v, const char *field,
			struct kk_signer_agent_cfg *a)
{
	static const char *const known[] = { "certificate", "chain", "key", "policy", NULL };
	static const char *const required[] = { "certificate", "key", "policy" };
	char name[96];
	const cJSON *m;
	size_t i;

	if (!cJSON_IsObject(v)) {
		kk_pg_err_at(ctx, v, false, field, "must be an object {\"certificate\", \"key\", "
			     "\"policy\", \"chain\"}");
		return;
	}
	kk_pg_check_keys(ctx, v, field, known, true);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!kk_pg_member(v, required[i]))
			kk_pg_err_at(ctx, v, false, field, "needs \"%s\"", required[i]);
	snprintf(name, sizeof(name), "%s.certificate", field);
	if ((m = kk_pg_member(v, "certificate")))
		get_str(ctx, m, name, a->cert, sizeof(a->cert));
	snprintf(name, sizeof(name), "%s.key", field);
	if ((m = kk_pg_member(v, "key")))
		get_str(ctx, m, name, a->key, sizeof(a->key));
	snprintf(name, sizeof(name), "%s.policy", field);
	if ((m = kk_pg_member(v, "policy")))
		get_str(ctx, m, name, a->policy, sizeof(a->policy));
	snprintf(name, sizeof(name), "%s.chain", field);
	if ((m = kk_pg_member(v, "chain")))
		parse_chain(ctx, m, name, a);
}

/* "agents": [{...}, ...], 1 to KK_SIGNER_AGENTS of them. */
static bool parse_agents(struct kk_pg_ctx *ctx, const cJSON *v, const char *field,
			 struct kk_signer_cfg *c)
{
	const cJSON *a;
	char name[64];

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > KK_SIGNER_AGENTS) {
		kk_pg_err_at(ctx, v, false, field, "must be a list of 1 to %d agents",
			     KK_SIGNER_AGENTS);
		return false;
	}
	cJSON_ArrayForEach(a, v) {
		snprintf(name, sizeof(name), "%s[%d]", field, c->n_agents);
		parse_agent(ctx, a, name, &c->agents[c->n_agents++]);
	}
	return true;
}

static const struct cfg_key keys[] = {
	STR("socket", socket_path),
	{ .name = "agents", .type = CFG_CUSTOM, .parse = parse_agents },
	INT("max_payload", max_payload, 1, KK_SIGN_PAYLOAD_MAX),
	STR("ca", ca),
	STR("ocsp_url", ocsp_url),
	INT("ocsp_timeout_ms", ocsp_timeout_ms, 100, 600000),
	INT("egress_max_connections", egress_connections, 1, 1024),
	INT("egress_handshake_timeout_ms", egress_handshake_ms, 100, 120000),
	INT("egress_idle_timeout_s", egress_idle_s, 1, 86400),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static void defaults(struct kk_signer_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", KK_SIGNER_SOCKET);
	snprintf(c->ca, sizeof(c->ca), "%s", KK_DEFAULT_CA);
	c->max_payload = KK_SIGN_PAYLOAD_MAX;
	c->ocsp_timeout_ms = 5000;
	c->egress_connections = 64;
	c->egress_handshake_ms = 10000;
	c->egress_idle_s = 300;
}

static void apply_key(struct kk_pg_ctx *ctx, const struct cfg_key *k, const cJSON *v,
		      struct kk_signer_cfg *c)
{
	char *dst = (char *)c + k->off;
	double n;

	switch (k->type) {
	case CFG_STRING:
		get_str(ctx, v, k->name, dst, k->size);
		break;
	case CFG_INT:
		n = cJSON_IsNumber(v) ? v->valuedouble : NAN;
		if (!(n >= k->min && n <= k->max) || n != floor(n))
			kk_pg_err_at(ctx, v, false, k->name, "must be an integer from %.0f to %.0f",
				     k->min, k->max);
		else
			*(int32_t *)dst = (int32_t)n;
		break;
	case CFG_CUSTOM:
		k->parse(ctx, v, k->name, c);
		break;
	}
}

int kk_signer_config_parse(const char *file, const char *text, size_t len,
			   struct kk_signer_cfg *c, struct kk_errors *errs)
{
	const char *known[N_KEYS + 1];
	struct kk_jsonc j;
	struct kk_pg_ctx ctx = { .j = &j, .errs = errs };
	int line = 0, col = 0, err;
	size_t before = errs->n, i;
	const cJSON *v;
	char why[256];

	(void)file;
	defaults(c);
	err = kk_jsonc_parse(text, len, &j, &line, &col, why, sizeof(why));
	if (err == -EINVAL)
		kk_errors_add(errs, line, col, "", "%s", why);
	if (err)
		return err;
	if (!cJSON_IsObject(j.root)) {
		kk_pg_err_at(&ctx, j.root, false, "", "the configuration must be a JSON object");
	} else {
		for (i = 0; i < N_KEYS; i++)
			known[i] = keys[i].name;
		known[N_KEYS] = NULL;
		kk_pg_check_keys(&ctx, j.root, "", known, true);
		if (!kk_pg_member(j.root, "agents"))
			kk_pg_err_at(&ctx, j.root, false, "", "needs \"agents\": the certificates "
				     "and keys to sign with");
		cJSON_ArrayForEach(v, j.root)
			for (i = 0; i < N_KEYS; i++)
				if (!strcmp(v->string, keys[i].name))
					apply_key(&ctx, &keys[i], v, c);
	}
	kk_jsonc_free(&j);
	if (ctx.oom)
		return -ENOMEM;
	if (errs->n > before) {
		kk_errors_sort(errs);
		return -EINVAL;
	}
	return 0;
}

int kk_signer_config(const char *file, struct kk_signer_cfg *c)
{
	return kk_signer_config_as("signer", file, c);
}

int kk_signer_config_as(const char *who, const char *file, struct kk_signer_cfg *c)
{
	struct kk_errors errs = { 0 };
	char *text = NULL, line[8192];
	size_t len = 0, i;
	int err;
	FILE *f;

	defaults(c);
	f = fopen(file, "re");
	if (!f) {
		err = -errno;
		kk_err(who, "%s: %s", file, strerror(-err));
		return err;
	}
	text = malloc(CONFIG_FILE_MAX + 1);
	if (text)
		len = fread(text, 1, CONFIG_FILE_MAX + 1, f);
	fclose(f);
	if (!text) {
		err = -ENOMEM;
	} else if (len > CONFIG_FILE_MAX) {
		kk_errors_add(&errs, 0, 0, "", "larger than %u bytes", CONFIG_FILE_MAX);
		err = -EINVAL;
	} else {
		err = kk_signer_config_parse(file, text, len, c, &errs);
	}
	free(text);
	for (i = 0; i < errs.n; i++) {
		kk_errors_format(file, &errs.v[i], line, sizeof(line));
		kk_err(who, "%s", line);
	}
	if (err && !errs.n)
		kk_err(who, "%s: %s", file, strerror(-err));
	kk_errors_free(&errs);
	return err;
}

/* --- loading the agents --- */

static X509 *read_cert(const char *path, struct kk_error *e)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!x)
		kk_error_set(e, -EINVAL, path, "not a PEM certificate");
	return x;
}

/* The leaf's DER as standard base64, for X-Agent-Certificate. */
static char *der_b64(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char *out = n > 0 ? malloc(4 * ((size_t)n + 2) / 3 + 1) : NULL;

	if (out)
		EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	return out;
}

static int load_certs(struct kk_signer_agent *a, struct kk_error *e)
{
	const struct kk_signer_agent_cfg *c = a->cfg;
	STACK_OF(X509) *chain = sk_X509_new_null();
	char why[512];
	X509 *x;
	int i, err;

	if (!chain)
		return kk_error_set(e, -ENOMEM, c->cert, "out of memory");
	a->chain = chain;
	err = kk_identity_load(c->cert, &a->id, why, sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	kk_identity_key(&a->id, &a->key);
	a->leaf = read_cert(c->cert, e);
	if (!a->leaf)
		return -EINVAL;
	X509_up_ref(a->leaf);
	sk_X509_push(chain, a->leaf);
	for (i = 0; i < c->n_chain; i++) {
		x = read_cert(c->chain[i], e);
		if (!x)
			return -EINVAL;
		sk_X509_push(chain, x);
	}
	a->leaf_b64 = der_b64(a->leaf);
	if (!a->leaf_b64)
		return kk_error_set(e, -ENOMEM, c->cert, "out of memory");
	return 0;
}

static int load_policy(struct kk_signer_agent *a, struct kk_error *e)
{
	struct kk_errors errs = { 0 };
	char why[512];
	int err;

	a->policy = calloc(1, sizeof(*a->policy));
	if (!a->policy)
		return kk_error_set(e, -ENOMEM, a->cfg->policy, "out of memory");
	err = kk_policy_load(a->cfg->policy, a->policy, &errs);
	if (err) {
		kk_errors_record(a->cfg->policy, &errs, err, e);
		kk_errors_free(&errs);
		free(a->policy);
		a->policy = NULL;
		return err;
	}
	kk_errors_free(&errs);
	kk_policy_hash_hex(a->policy, a->policy_hash);
	/* The signer signs for the policy's agent: a certificate naming another is a mistake. */
	err = kk_identity_match_agent(&a->id, a->policy->agent_id, a->policy->spiffe_id, why,
				      sizeof(why));
	if (!err)
		err = kk_identity_check_policy_hash(&a->id, a->policy_hash, why, sizeof(why));
	if (err)
		return kk_error_set(e, err, a->cfg->cert, "%s", why);
	return 0;
}

static int load_agent(struct kk_signer_agent *a, const struct kk_signer_agent_cfg *c,
		      struct kk_error *e)
{
	EVP_PKEY *k = NULL;
	int err;

	a->cfg = c;
	a->ocsp_status = -1;
	pthread_mutex_init(&a->lock, NULL);
	err = load_certs(a, e);
	if (!err)
		err = load_policy(a, e);
	if (!err)
		err = kk_key_load(c->key, &k, e);
	if (!err) {
		a->pkey = k;
		err = kk_key_matches_cert(k, a->leaf, e);
		if (err) /* name the reference, as the configuration does */
			snprintf(e->what, sizeof(e->what), "key %.100s", c->key);
	}
	if (!err)
		err = kk_scope_ext_get(c->cert, a->leaf, &a->scope_ext, e);
	return err;
}

static void unload_agent(struct kk_signer_agent *a)
{
	if (a->policy) {
		kk_policy_free(a->policy);
		free(a->policy);
	}
	kk_actions_free(a->scope_ext);
	EVP_PKEY_free(a->pkey);
	X509_free(a->leaf);
	if (a->chain)
		sk_X509_pop_free(a->chain, X509_free);
	free(a->leaf_b64);
	kk_identity_free(&a->id);
	pthread_mutex_destroy(&a->lock);
	memset(a, 0, sizeof(*a));
}

int kk_signer_load(struct kk_signer *s, const struct kk_signer_cfg *c, struct kk_error *e)
{
	int i, j, err = 0;

	s->cfg = c;
	for (i = 0; i < c->n_agents && !err; i++) {
		err = load_agent(&s->agents[i], &c->agents[i], e);
		s->n_agents = i + 1;
		for (j = 0; j < i && !err; j++)
			if (!memcmp(&s->agents[j].key, &s->agents[i].key, sizeof(s->agents[i].key)))
				err = kk_error_set(e, -EINVAL, c->agents[i].cert, "the same "
						   "certificate as agents[%d]", j);
	}
	if (!err) {
		s->risk = kk_risk_new();
		if (!s->risk)
			err = kk_error_set(e, -ENOMEM, NULL, "out of memory");
	}
	/* Each action's risk window, from the agents' policies. */
	for (i = 0; i < s->n_agents && !err; i++)
		if (s->agents[i].policy->actions &&
		    kk_risk_configure(s->risk, s->agents[i].policy->actions))
			err = kk_error_set(e, -ENOMEM, NULL, "out of memory");
	if (err)
		kk_signer_unload(s);
	return err;
}

void kk_signer_unload(struct kk_signer *s)
{
	int i;

	for (i = 0; i < s->n_agents; i++)
		unload_agent(&s->agents[i]);
	s->n_agents = 0;
	kk_risk_free(s->risk);
	s->risk = NULL;
}
