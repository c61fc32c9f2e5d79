// SPDX-License-Identifier: GPL-2.0-only
/*
 * risk — the behavioural score (see risk.h for the formula and the bounds). Histories are
 * small rings of doubles looked up linearly: at most KK_RISK_ENTRIES of them, each scored
 * field a median over at most KK_RISK_WINDOW_MAX samples, well within a signing's budget.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "actions.h"
#include "risk.h"

struct ring {
	char *name;
	double *v; /* cap values; v[head] is the next to write */
	uint32_t n, head, cap;
};

struct entry {
	char *agent, *type;
	struct ring f[KK_ACTION_FIELDS_MAX];
	unsigned int nf;
	uint64_t used; /* r->tick when last scored or recorded: the LRU order */
};

struct window {
	char *type;
	uint32_t window;
};

struct kk_risk {
	struct entry *e[KK_RISK_ENTRIES];
	size_t n;
	uint64_t tick;
	struct window *w;
	size_t nw;
	size_t samples; /* sum of every ring's cap */
	double *scratch;
	size_t scratch_cap;
};

struct kk_risk *kk_risk_new(void)
{
	return calloc(1, sizeof(struct kk_risk));
}

static void entry_free(struct kk_risk *r, struct entry *e)
{
	unsigned int i;

	for (i = 0; i < e->nf; i++) {
		r->samples -= e->f[i].cap;
		free(e->f[i].name);
		free(e->f[i].v);
	}
	free(e->agent);
	free(e->type);
	free(e);
}

static void drop(struct kk_risk *r, size_t i)
{
	entry_free(r, r->e[i]);
	r->e[i] = r->e[--r->n];
}

void kk_risk_free(struct kk_risk *r)
{
	size_t i;

	if (!r)
		return;
	while (r->n)
		drop(r, 0);
	for (i = 0; i < r->nw; i++)
		free(r->w[i].type);
	free(r->w);
	free(r->scratch);
	free(r);
}

void kk_risk_forget(struct kk_risk *r, const char *agent)
{
	size_t i = 0;

	while (r && i < r->n)
		if (!strcmp(r->e[i]->agent, agent))
			drop(r, i);
		else
			i++;
}

int kk_risk_configure(struct kk_risk *r, const struct kk_actions *a)
{
	size_t i, n = kk_actions_count(a);
	struct window *w = calloc(n ? n : 1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const char *t = kk_actions_type_name(a, i);

		w[i].window = kk_actions_risk_window(a, t);
		if (!(w[i].type = strdup(t))) {
			while (i--)
				free(w[i].type);
			free(w);
			return -ENOMEM;
		}
	}
	for (i = 0; i < r->nw; i++)
		free(r->w[i].type);
	free(r->w);
	r->w = w;
	r->nw = n;
	return 0;
}

static uint32_t window_of(const struct kk_risk *r, const char *type)
{
	size_t i;

	for (i = 0; i < r->nw; i++)
		if (!strcmp(r->w[i].type, type))
			return r->w[i].window;
	return KK_RISK_WINDOW_DEFAULT;
}

/* The least recently used entry but keep (which is being worked on); -1 when none. */
static long lru(const struct kk_risk *r, const struct entry *keep)
{
	long best = -1;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->e[i] != keep && (best < 0 || r->e[i]->used < r->e[best]->used))
			best = (long)i;
	return best;
}

static struct entry *find(struct kk_risk *r, const char *agent, const char *type, bool create)
{
	struct entry *e;
	size_t i;
	long old;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->e[i]->agent, agent) && !strcmp(r->e[i]->type, type)) {
			r->e[i]->used = ++r->tick;
			return r->e[i];
		}
	if (!create)
		return NULL;
	if (r->n == KK_RISK_ENTRIES && (old = lru(r, NULL)) >= 0)
		drop(r, (size_t)old);
	e = calloc(1, sizeof(*e));
	if (!e || !(e->agent = strdup(agent)) || !(e->type = strdup(type))) {
		if (e)
			free(e->agent);
		free(e);
		return NULL;
	}
	e->used = ++r->tick;
	r->e[r->n++] = e;
	return e;
}

/* The ring's newest min(n, cap) samples into a new array of cap, oldest first. */
static int ring_resize(struct kk_risk *r, struct entry *e, struct ring *g, uint32_t cap)
{
	uint32_t k = g->n < cap ? g->n : cap, i;
	double *v;
	long old;

	while (cap > g->cap && r->samples + (cap - g->cap) > KK_RISK_SAMPLES_MAX) {
		if ((old = lru(r, e)) < 0)
			return -ENOSPC;
		drop(r, (size_t)old);
	}
	v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < k; i++)
		v[i] = g->v[(g->head + g->cap - k + i) % g->cap];
	free(g->v);
	r->samples = r->samples - g->cap + cap;
	g->v = v;
	g->cap = cap;
	g->n = k;
	g->head = k % cap;
	return 0;
}

static struct ring *ring_of(struct entry *e, const char *name)
{
	unsigned int i;

	for (i = 0; i < e->nf; i++)
		if (!strcmp(e->f[i].name, name))
			return &e->f[i];
	return NULL;
}

void kk_risk_record(struct kk_risk *r, const char *agent, const char *type,
		    const struct cJSON *payload)
{
	struct entry *e;
	struct ring *g;
	const cJSON *m;
	uint32_t window;

	if (!r || !cJSON_IsObject(payload) || !(e = find(r, agent, type, true)))
		return;
	window = window_of(r, type);
	for (m = payload->child; m; m = m->next) {
		if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble)) /* "1e999" parses as inf */
			continue;
		g = ring_of(e, m->string);
		if (!g && e->nf < KK_ACTION_FIELDS_MAX) {
			g = &e->f[e->nf];
			memset(g, 0, sizeof(*g));
			if (!(g->name = strdup(m->string)))
				continue;
			e->nf++;
		}
		/* Fields beyond KK_ACTION_FIELDS_MAX, or no memory for the ring: not tracked. */
		if (!g || (g->cap != window && ring_resize(r, e, g, window)))
			continue;
		g->v[g->head] = m->valuedouble;
		g->head = (g->head + 1) % g->cap;
		if (g->n < g->cap)
			g->n++;
	}
}

/* Hoare's selection: v[k] becomes the k-th smallest, smaller ones before it. O(n) expected. */
static void select_kth(double *v, long n, long k)
{
	long lo = 0, hi = n - 1, i, j;
	double pivot, t;

	while (lo < hi) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) { /* the pivot stops both scans inside [lo, hi] */
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		/* [lo, j] <= pivot, [i, hi] >= pivot, and what lies between equals it */
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* Median of the ring's magnitudes (the mean of the two middle ones for an even count); NAN on
 * allocation failure. A selection, not a sort: a window of 10000 stays well under a millisecond. */
static double median(struct kk_risk *r, const struct ring *g)
{
	double *v, lower;
	uint32_t i, k = g->n / 2;

	if (r->scratch_cap < g->n) {
		v = realloc(r->scratch, g->n * sizeof(*v));
		if (!v)
			return NAN;
		r->scratch = v;
		r->scratch_cap = g->n;
	}
	v = r->scratch;
	for (i = 0; i < g->n; i++)
		v[i] = fabs(g->v[i]);
	select_kth(v, g->n, k);
	if (g->n % 2)
		return v[k];
	for (lower = v[0], i = 1; i < k; i++) /* the largest of those below v[k] */
		lower = v[i] > lower ? v[i] : lower;
	return (lower + v[k]) / 2;
}

static const char *num(double v, char buf[32])
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, 32, "%.0f", v);
	else
		snprintf(buf, 32, "%.6g", v);
	return buf;
}

double kk_risk_score(struct kk_risk *r, const char *agent, const char *type,
		     const struct cJSON *payload, char *why, size_t wlen)
{
	double best = 0, med, a, q, s;
	const struct ring *g;
	struct entry *e;
	const cJSON *m;
	char b1[32], b2[32];

	if (wlen)
		why[0] = '\0';
	if (!r || !cJSON_IsObject(payload) || !(e = find(r, agent, type, false)))
		return 0;
	for (m = payload->child; m; m = m->next) {
		if (!cJSON_IsNumber(m) || !(g = ring_of(e, m->string)) ||
		    g->n < KK_RISK_MIN_SAMPLES)
			continue;
		med = median(r, g);
		if (!(med > 0)) /* no scale (or no memory to find it): not scored */
			continue;
		a = fabs(m->valuedouble);
		q = a / med;
		if (a == 0 || isinf(q) || isinf(1 / q))
			s = 1;
		else
			s = ((q > 1 ? q : 1 / q) - 1) / ((q > 1 ? q : 1 / q) + 0.5);
		if (s > best) {
			best = s;
			snprintf(why, wlen, "%.64s %s is %.1fx its median %s", m->string,
				 num(m->valuedouble, b1), q, num(med, b2));
		}
	}
	return best;
}
