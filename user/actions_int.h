/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to actions.c and the policy module's policy_actions.c (which fills it): the parsed
 * "actions" section. Not an API: everyone else uses actions.h.
 */
#ifndef KK_ACTIONS_INT_H
#define KK_ACTIONS_INT_H

#include <stdbool.h>
#include "actions.h"

enum kk_afield_type { KK_AF_ANY, KK_AF_STRING, KK_AF_NUMBER, KK_AF_INTEGER };

/* One value of an "in" list: a string or a number. */
struct kk_action_val {
	char *str; /* NULL: a number */
	double num;
};

struct kk_action_field {
	char *name;
	enum kk_afield_type type;
	struct kk_action_val *in; /* NULL: any value of the type */
	size_t n_in;
	bool has_max, has_min;
	double max, min;
};

struct kk_action_type {
	char *name;
	struct kk_action_field *fields; /* sorted by name */
	size_t n_fields;
	bool other_allow;		    /* "other_fields": "allow" */
	uint32_t rate_count, rate_period_s; /* 0: no rate limit */
	char *rate_unit;		    /* "trades" of "100 trades/hour"; NULL for "100/hour" */
	bool has_risk;			    /* its own "risk"; else the policy's default */
	double revoke_above, refuse_above;  /* 0: not set */
	uint32_t window;		    /* risk samples; KK_RISK_WINDOW_DEFAULT when unset */
	/*
	 * The token bucket, in units of 1/period_ms of a token so that refilling is exact integer
	 * arithmetic: capacity rate_count * period_ms, refilled rate_count per elapsed ms.
	 */
	bool bucket_started;
	uint64_t credit;
	int64_t last_ms;
};

struct kk_actions {
	struct kk_action_type *types; /* sorted by name */
	size_t n;
	/* The policy's top-level "risk": the limits of the types without a "risk" of their own. */
	bool has_risk;
	double revoke_above, refuse_above;
	uint32_t window;
};

/* The type named name, or NULL (binary search: types are sorted). */
struct kk_action_type *kk_actions_find(const struct kk_actions *a, const char *name);

#endif
