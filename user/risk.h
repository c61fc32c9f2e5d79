/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * risk — a behavioural score of an action against the agent's own history: per (agent, action
 * type), a ring of the last `window` values of each numeric top-level payload field. The score
 * of a payload is the largest over its fields of (r - 1) / (r + 0.5), where r = v / median or
 * median / v, whichever is >= 1 (10x the median: 0.857; 2x: 0.4; 0.1x: 0.857): 0 for a value at
 * the median, towards 1 for one far from it either way. See docs/policy.md ("risk").
 *
 *  - Fewer than 5 samples of a field: it is not scored (0): no history, no anomaly.
 *  - Values are compared by magnitude (|v|, |median|): a sign says direction, not size.
 *  - A median of 0 gives no scale: the field is not scored. A value of 0 against a non-zero
 *    median is r = infinity: 1.
 *
 * Bounded memory: at most KK_RISK_ENTRIES (agent, type) histories (the least recently used goes
 * when a new one needs room), KK_ACTION_FIELDS_MAX fields each (numeric fields beyond those are
 * neither tracked nor scored), and KK_RISK_SAMPLES_MAX samples in all (least recently used
 * histories go first). No locking: one thread at a time.
 */
#ifndef KK_RISK_H
#define KK_RISK_H

#include <stddef.h>

struct cJSON;
struct kk_actions;

#define KK_RISK_ENTRIES	    1024
#define KK_RISK_SAMPLES_MAX (4u << 20) /* 32 MiB of doubles */
#define KK_RISK_MIN_SAMPLES 5

struct kk_risk;

struct kk_risk *kk_risk_new(void);
void kk_risk_free(struct kk_risk *r);
/*
 * Take each type's risk window from a (copied: a may be freed afterwards); types it does not
 * name keep KK_RISK_WINDOW_DEFAULT. A history whose window changed keeps its newest samples.
 * 0 or -ENOMEM.
 */
int kk_risk_configure(struct kk_risk *r, const struct kk_actions *a);
/*
 * payload's score in [0, 1] against agent's history of type (not recorded); why (when the score
 * is above 0) = "size 500000 is 10.0x its median 50000", else "".
 */
double kk_risk_score(struct kk_risk *r, const char *agent, const char *type,
		     const struct cJSON *payload, char *why, size_t wlen);
/* Add payload's numeric fields to the history: after a successful signing only. */
void kk_risk_record(struct kk_risk *r, const char *agent, const char *type,
		    const struct cJSON *payload);
/* Forget agent's histories (every type), e.g. when its identity is revoked or replaced. */
void kk_risk_forget(struct kk_risk *r, const char *agent);

#endif
