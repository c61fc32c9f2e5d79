/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to the policy module: the parsers of a policy document's top-level members
 * (policy_fields.c, policy_listen.c), which policy.c calls in turn. They use the getters of
 * policy_get_int.h and never call back into policy.c.
 */
#ifndef KK_POLICY_FIELDS_INT_H
#define KK_POLICY_FIELDS_INT_H

#include "policy_get_int.h"

/* policy_fields.c */
void kk_pf_identity(struct kk_pg_ctx *c, const cJSON *root);
/* allow_jit and ipc */
void kk_pf_isolation(struct kk_pg_ctx *c, const cJSON *root);
void kk_pf_constraints(struct kk_pg_ctx *c, const cJSON *v);
void kk_pf_data_access(struct kk_pg_ctx *c, const cJSON *v);
void kk_pf_exec(struct kk_pg_ctx *c, const cJSON *v);
void kk_pf_network(struct kk_pg_ctx *c, const cJSON *v);
/* policy_listen.c: network_rules.listen */
void kk_pf_listen(struct kk_pg_ctx *c, const cJSON *v);
void kk_pf_revocation(struct kk_pg_ctx *c, const cJSON *v);
void kk_pf_auto_revoke(struct kk_pg_ctx *c, const cJSON *v);
/* policy_actions.c: the "actions" section into c->p->actions */
void kk_pf_actions(struct kk_pg_ctx *c, const cJSON *v);
/* policy_egress.c: the "egress" section into c->p->egress */
void kk_pf_egress(struct kk_pg_ctx *c, const cJSON *v);
/* the top-level "risk" default into c->p->actions (after kk_pf_actions) */
void kk_pf_risk(struct kk_pg_ctx *c, const cJSON *v);

#endif
