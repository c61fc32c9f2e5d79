/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to policy.c, policy_fields.c and policy_listen.c: the validation context and the
 * typed getters that report "FILE:LINE:COL: field: reason" errors. Every getter reports its own
 * error and returns false; callers just skip the value.
 */
#ifndef KK_POLICY_PARSE_H
#define KK_POLICY_PARSE_H

#include <cjson/cJSON.h>
#include "jsonc.h"
#include "policy_int.h"

struct ctx {
	struct kk_jsonc *j;
	struct kk_errors *errs;
	struct kk_policy *p;
	int oom;
};

void err_at(struct ctx *c, const cJSON *node, bool at_key, const char *field, const char *fmt,
	    ...) __attribute__((format(printf, 5, 6)));
/* "prefix.key" / "prefix[i]"; NULL (and c->oom) on allocation failure. Caller frees. */
char *member_path(struct ctx *c, const char *prefix, const char *key);
char *index_path(struct ctx *c, const char *prefix, int i);
/* Report duplicate keys, and with check_unknown keys not in known (NULL-terminated). */
void check_keys(struct ctx *c, const cJSON *obj, const char *prefix, const char *const *known,
		bool check_unknown);
const cJSON *member(const cJSON *obj, const char *key);
bool want_type(struct ctx *c, const cJSON *v, int type, const char *field, const char *what);
bool get_uint(struct ctx *c, const cJSON *v, const char *field, double min, double max,
	      uint32_t *out);
bool get_bool(struct ctx *c, const cJSON *v, const char *field, bool *out);
char *dup_str(struct ctx *c, const char *s);
bool get_choice(struct ctx *c, const cJSON *v, const char *field, const char *const *choices,
		int *out);
bool get_string_array(struct ctx *c, const cJSON *v, const char *field, bool nonempty,
		      char ***out, size_t *n);

/* policy_fields.c */
void parse_identity(struct ctx *c, const cJSON *root);
/* allow_jit and ipc */
void parse_isolation(struct ctx *c, const cJSON *root);
void parse_constraints(struct ctx *c, const cJSON *v);
void parse_data_access(struct ctx *c, const cJSON *v);
void parse_exec(struct ctx *c, const cJSON *v);
void parse_network(struct ctx *c, const cJSON *v);
/* policy_listen.c: network_rules.listen */
void parse_listen(struct ctx *c, const cJSON *v);
void parse_revocation(struct ctx *c, const cJSON *v);
void parse_auto_revoke(struct ctx *c, const cJSON *v);

#endif
