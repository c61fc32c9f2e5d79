/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the policy module (policy_get.c, for policy.c, policy_fields.c, policy_listen.c):
 * the validation context and the typed getters that report "FILE:LINE:COL: field: reason"
 * errors. Every getter reports its own error and returns false; callers just skip the value.
 * Internal headers of user/ are named *_int.h.
 */
#ifndef KK_POLICY_GET_INT_H
#define KK_POLICY_GET_INT_H

#include <cjson/cJSON.h>
#include "jsonc.h"
#include "policy_int.h"

struct kk_pg_ctx {
	struct kk_jsonc *j;
	struct kk_errors *errs;
	struct kk_policy *p;
	int oom;
};

void kk_pg_err_at(struct kk_pg_ctx *c, const cJSON *node, bool at_key, const char *field,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "prefix.key" / "prefix[i]"; NULL (and c->oom) on allocation failure. Caller frees. */
char *kk_pg_member_path(struct kk_pg_ctx *c, const char *prefix, const char *key);
char *kk_pg_index_path(struct kk_pg_ctx *c, const char *prefix, int i);
/* Report duplicate keys, and with check_unknown keys not in known (NULL-terminated). */
void kk_pg_check_keys(struct kk_pg_ctx *c, const cJSON *obj, const char *prefix,
		      const char *const *known, bool check_unknown);
const cJSON *kk_pg_member(const cJSON *obj, const char *key);
bool kk_pg_want_type(struct kk_pg_ctx *c, const cJSON *v, int type, const char *field,
		     const char *what);
bool kk_pg_uint(struct kk_pg_ctx *c, const cJSON *v, const char *field, double min, double max,
		uint32_t *out);
bool kk_pg_bool(struct kk_pg_ctx *c, const cJSON *v, const char *field, bool *out);
char *kk_pg_dup_str(struct kk_pg_ctx *c, const char *s);
bool kk_pg_choice(struct kk_pg_ctx *c, const cJSON *v, const char *field,
		  const char *const *choices, int *out);
bool kk_pg_strings(struct kk_pg_ctx *c, const cJSON *v, const char *field, bool nonempty,
		   char ***out, size_t *n);
/* A rate "N word/unit" (or with bare_ok "N/unit", *unit_word NULL); *unit_word malloc'd. */
bool kk_pg_rate(struct kk_pg_ctx *c, const cJSON *v, const char *field, bool bare_ok,
		uint32_t *count, uint32_t *period_s, char **unit_word);

#endif
