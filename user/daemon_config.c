// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_config — the daemon's configuration file (daemon.h): JSONC, validated like a policy
 * (the same parser and positioned errors: duplicate keys, unknown keys, wrong types and values
 * out of range, each as "FILE:LINE:COL: key: reason", all of them), defaults for what it leaves
 * out. Reported under "daemon", whose start it ends.
 *
 * Keys are a table: a new one is a row (a string, boolean or integer field of kk_daemon_cfg), or
 * a row with its own parser for anything else.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"
/* The policy module's getters: one validation style for every JSONC file we read. */
#include "policy_get_int.h"

#define CONFIG_FILE_MAX (1u << 20)

enum cfg_type { CFG_STRING, CFG_BOOL, CFG_INT, CFG_CUSTOM };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off, size;  /* the field in kk_daemon_cfg; INT: 4 (int) or 8 (uint64_t) bytes */
	double min, max;   /* INT */
	/* CUSTOM: check v (named field) and set it in c; false after reporting through ctx. */
	bool (*parse)(struct kk_pg_ctx *ctx, const cJSON *v, const char *field,
		      struct kk_daemon_cfg *c);
};

#define FIELD(f) offsetof(struct kk_daemon_cfg, f), sizeof(((struct kk_daemon_cfg *)0)->f)
#define STR(k, f) { .name = k, .type = CFG_STRING, FIELD(f) }
#define BOOL(k, f) { .name = k, .type = CFG_BOOL, FIELD(f) }
#define INT(k, f, lo, hi) { .name = k, .type = CFG_INT, FIELD(f), .min = lo, .max = hi }

/*
 * "metrics": {"listen": "127.0.0.1:9471" | "[::1]:9471" | "unix:/run/kakunin/metrics.sock"}:
 * loopback addresses only (metrics.h), no other member.
 */
static bool parse_metrics(struct kk_pg_ctx *ctx, const cJSON *v, const char *field,
			  struct kk_daemon_cfg *c)
{
	static const char *const known[] = { "listen", NULL };
	const cJSON *listen = kk_pg_member(v, "listen");
	struct sockaddr_storage ss;
	size_t before = ctx->errs->n;
	unsigned int len;
	char why[256];

	if (!cJSON_IsObject(v)) {
		kk_pg_err_at(ctx, v, false, field,
			     "must be an object like {\"listen\": \"127.0.0.1:9471\"}");
		return false;
	}
	kk_pg_check_keys(ctx, v, field, known, true);
	if (ctx->errs->n > before)
		return false;
	if (!listen) {
		kk_pg_err_at(ctx, v, false, field, "needs \"listen\" (127.0.0.1:PORT, [::1]:PORT "
			     "or unix:PATH)");
		return false;
	}
	if (!cJSON_IsString(listen) || strlen(listen->valuestring) >= sizeof(c->metrics_listen)) {
		kk_pg_err_at(ctx, listen, false, "metrics.listen",
			     "must be a string shorter than %zu bytes", sizeof(c->metrics_listen));
		return false;
	}
	if (kk_metrics_listen_parse(listen->valuestring, &ss, &len, why, sizeof(why))) {
		kk_pg_err_at(ctx, listen, false, "metrics.listen", "%s", why);
		return false;
	}
	strcpy(c->metrics_listen, listen->valuestring);
	return true;
}

/* "crl_urls": ["http://...", ...]: the CRLs the daemon fetches (daemon_crl.c). */
static bool parse_crl_urls(struct kk_pg_ctx *ctx, const cJSON *v, const char *field,
			   struct kk_daemon_cfg *c)
{
	const cJSON *u;
	char name[64];
	int i = 0;

	if (!cJSON_IsArray(v)) {
		kk_pg_err_at(ctx, v, false, field, "must be a list of http:// URLs");
		return false;
	}
	if (cJSON_GetArraySize(v) > KK_DAEMON_CRL_URLS) {
		kk_pg_err_at(ctx, v, false, field, "at most %d URLs", KK_DAEMON_CRL_URLS);
		return false;
	}
	c->n_crl_urls = 0;
	cJSON_ArrayForEach(u, v) {
		snprintf(name, sizeof(name), "%s[%d]", field, i++);
		if (!cJSON_IsString(u) || strlen(u->valuestring) >= sizeof(c->crl_urls[0])) {
			kk_pg_err_at(ctx, u, false, name, "must be a string shorter than %zu bytes",
				     sizeof(c->crl_urls[0]));
		} else if (!strncasecmp(u->valuestring, "https://", 8)) {
			/* Refused by design: a CRL carries its own signature, so TLS adds no
			 * trust, and RFC 5280 4.2.1.13 serves CRLs over http. */
			kk_pg_err_at(ctx, u, false, name, "https is not supported (a CRL is signed: "
				     "use its http:// URL)");
		} else if (strncasecmp(u->valuestring, "http://", 7) || !u->valuestring[7]) {
			kk_pg_err_at(ctx, u, false, name, "must be an http:// URL");
		} else {
			strcpy(c->crl_urls[c->n_crl_urls++], u->valuestring);
			continue;
		}
		c->n_crl_urls = 0;
		return false;
	}
	return true;
}

static const struct cfg_key keys[] = {
	STR("audit_file", audit_file),
	INT("max_file_bytes", max_file_bytes, 4096, 1e15),
	INT("keep_files", keep_files, 1, 1000),
	INT("max_unwritten_bytes", max_unwritten_bytes, 4096, 1e12),
	BOOL("syslog", syslog),
	STR("socket", socket_path),
	INT("ocsp_timeout_ms", ocsp_timeout_ms, 100, 600000),
	STR("ocsp_url", ocsp_url),
	INT("dns_refresh_seconds", dns_refresh_s, 0, 86400),
	INT("expiry_warning_seconds", expiry_warning_s, 0, 31536000),
	{ .name = "metrics", .type = CFG_CUSTOM, .parse = parse_metrics },
	{ .name = "crl_urls", .type = CFG_CUSTOM, .parse = parse_crl_urls },
	BOOL("crl_from_certificates", crl_from_certificates),
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static void defaults(struct kk_daemon_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->audit_file, sizeof(c->audit_file), "%s", KK_AUDIT_FILE);
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", KK_EVENTS_SOCKET);
	c->max_file_bytes = 64ull << 20;
	c->keep_files = 10;
	c->max_unwritten_bytes = KK_SINK_UNWRITTEN_MAX;
	c->ocsp_timeout_ms = 5000;
	c->dns_refresh_s = 300;
	c->expiry_warning_s = KK_EXPIRY_WARNING_S;
	c->crl_from_certificates = true;
}

/* One member v of the document, by its row k, into c; reported through ctx when wrong. */
static void apply_key(struct kk_pg_ctx *ctx, const struct cfg_key *k, const cJSON *v,
		      struct kk_daemon_cfg *c)
{
	char *dst = (char *)c + k->off;
	double n;
	bool b;

	switch (k->type) {
	case CFG_STRING:
		if (!cJSON_IsString(v) || strlen(v->valuestring) >= k->size)
			kk_pg_err_at(ctx, v, false, k->name,
				     "must be a string shorter than %zu bytes", k->size);
		else
			memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
		break;
	case CFG_BOOL:
		if (kk_pg_bool(ctx, v, k->name, &b))
			*(bool *)dst = b;
		break;
	case CFG_INT:
		n = cJSON_IsNumber(v) ? v->valuedouble : NAN;
		if (!(n >= k->min && n <= k->max) || n != floor(n)) {
			kk_pg_err_at(ctx, v, false, k->name, "must be an integer from %.0f to %.0f",
				     k->min, k->max);
		} else if (k->size == sizeof(uint64_t)) { /* uint64_t, or int64_t within 0..max */
			*(uint64_t *)dst = (uint64_t)n;
		} else {
			*(int *)dst = (int)n;
		}
		break;
	case CFG_CUSTOM:
		k->parse(ctx, v, k->name, c);
		break;
	}
}

int kk_daemon_config_parse(const char *file, const char *text, size_t len,
			   struct kk_daemon_cfg *c, struct kk_errors *errs)
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

int kk_daemon_config(const char *file, struct kk_daemon_cfg *c)
{
	struct kk_errors errs = { 0 };
	char *text = NULL, line[8192];
	size_t len = 0, i;
	int err;
	FILE *f;

	defaults(c);
	if (!file)
		return 0;
	f = fopen(file, "re");
	if (!f) {
		err = -errno; /* before kk_err's stdio can change errno */
		kk_err("daemon", "%s: %s", file, strerror(-err));
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
		err = kk_daemon_config_parse(file, text, len, c, &errs);
	}
	free(text);
	for (i = 0; i < errs.n; i++) {
		kk_errors_format(file, &errs.v[i], line, sizeof(line));
		kk_err("daemon", "%s", line);
	}
	if (err && !errs.n)
		kk_err("daemon", "%s: %s", file, strerror(-err));
	kk_errors_free(&errs);
	return err;
}
