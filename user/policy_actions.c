// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy_actions — the policy's "actions" section (docs/policy.md) into struct kk_actions
 * (actions_int.h), with every wrong key, type and value a positioned error like every other
 * section; its canonical JSON, which the policy hash covers; and the same parser over a bare
 * section's text, for the certificate's scope extension (identity_scope.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions_int.h"
#include "policy_fields_int.h"

static bool valid_type_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= KK_ACTION_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static bool valid_field_name(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return n >= 1 && n <= KK_ACTION_FIELD_NAME_MAX;
}

static bool finite_number(struct kk_pg_ctx *c, const cJSON *v, const char *field, double *out)
{
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
		kk_pg_err_at(c, v, false, field, "must be a number");
		return false;
	}
	*out = v->valuedouble;
	return true;
}

/*
 * The key an "in" value is compared by, so that kk_first_dups finds duplicates in O(n log n):
 * "s" + a string, "n" + a number's shortest exact text (0 and -0 are equal); NULL for a value
 * of another type. Caller frees.
 */
static char *in_key(const cJSON *it)
{
	char *k = NULL;

	if (cJSON_IsString(it) && asprintf(&k, "s%s", it->valuestring) < 0)
		k = NULL;
	else if (cJSON_IsNumber(it) &&
		 asprintf(&k, "n%.17g", it->valuedouble == 0 ? 0.0 : it->valuedouble) < 0)
		k = NULL;
	return k;
}

/* "in": a non-empty array of distinct strings or numbers. */
static void parse_in(struct kk_pg_ctx *c, const cJSON *v, const char *field,
		     struct kk_action_field *f)
{
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	long *first = NULL;
	const cJSON *it;
	char **keys;
	char *path;

	if (!kk_pg_want_type(c, v, cJSON_Array, field, "an array of strings or numbers"))
		return;
	if (!n || n > KK_ACTION_IN_MAX) {
		kk_pg_err_at(c, v, false, field, n ? "more than %d values" : "must not be empty",
			     KK_ACTION_IN_MAX);
		return;
	}
	keys = calloc(n, sizeof(*keys));
	f->in = calloc(n, sizeof(*f->in));
	for (it = v->child; keys && it; it = it->next, i++)
		if ((cJSON_IsString(it) || cJSON_IsNumber(it)) && !(keys[i] = in_key(it)))
			c->oom = 1;
	if (keys && !c->oom)
		first = kk_first_dups((const char *const *)keys, n);
	for (it = v->child, i = 0; first && f->in && it; it = it->next, i++) {
		if (!(path = kk_pg_index_path(c, field, (int)i)))
			break;
		if (!keys[i])
			kk_pg_err_at(c, it, false, path, "must be a string or a number");
		else if (first[i] >= 0)
			kk_pg_err_at(c, it, false, path, "duplicate of %s[%ld]", field, first[i]);
		else if (cJSON_IsString(it))
			f->in[f->n_in++].str = kk_pg_dup_str(c, it->valuestring);
		else
			f->in[f->n_in++].num = it->valuedouble;
		free(path);
	}
	if (!keys || !f->in || !first)
		c->oom = 1;
	for (i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(first);
}

/* One member of "fields": {"in", "max", "min", "type"}. */
static void parse_field(struct kk_pg_ctx *c, const cJSON *v, const char *pre,
			struct kk_action_field *f)
{
	static const char *const known[] = { "in", "max", "min", "type", NULL };
	static const char *const types[] = { "string", "number", "integer", NULL };
	const cJSON *m;
	char *path;
	size_t i;
	int t;

	if (!kk_pg_want_type(c, v, cJSON_Object, pre, "an object"))
		return;
	kk_pg_check_keys(c, v, pre, known, true);
	if ((m = kk_pg_member(v, "type")) && (path = kk_pg_member_path(c, pre, "type"))) {
		if (kk_pg_choice(c, m, path, types, &t))
			f->type = (enum kk_afield_type)(t + 1);
		free(path);
	}
	if ((m = kk_pg_member(v, "max")) && (path = kk_pg_member_path(c, pre, "max"))) {
		f->has_max = finite_number(c, m, path, &f->max);
		free(path);
	}
	if ((m = kk_pg_member(v, "min")) && (path = kk_pg_member_path(c, pre, "min"))) {
		f->has_min = finite_number(c, m, path, &f->min);
		if (f->has_min && f->has_max && f->min > f->max)
			kk_pg_err_at(c, m, false, path, "greater than max");
		free(path);
	}
	if ((f->has_min || f->has_max) && f->type == KK_AF_STRING)
		kk_pg_err_at(c, v, false, pre, "max and min need a number, not type \"string\"");
	if ((m = kk_pg_member(v, "in")) && (path = kk_pg_member_path(c, pre, "in"))) {
		parse_in(c, m, path, f);
		for (i = 0; i < f->n_in && (f->has_min || f->has_max) && !f->type; i++)
			if (f->in[i].str) {
				kk_pg_err_at(c, m, false, path,
					     "values must be numbers with max or min");
				break;
			}
		for (i = 0; i < f->n_in && f->type; i++)
			if (!f->in[i].str != (f->type != KK_AF_STRING) ||
			    (f->type == KK_AF_INTEGER && f->in[i].num != floor(f->in[i].num))) {
				kk_pg_err_at(c, m, false, path, "values must be of type \"%s\"",
					     types[f->type - 1]);
				break;
			}
		free(path);
	}
}

static int cmp_field(const void *a, const void *b)
{
	return strcmp(((const struct kk_action_field *)a)->name,
		      ((const struct kk_action_field *)b)->name);
}

static void parse_fields(struct kk_pg_ctx *c, const cJSON *v, const char *pre,
			 struct kk_action_type *t)
{
	size_t n = (size_t)cJSON_GetArraySize(v);
	const cJSON *m;
	char *path;

	if (!kk_pg_want_type(c, v, cJSON_Object, pre, "an object"))
		return;
	kk_pg_check_keys(c, v, pre, NULL, false);
	if (n > KK_ACTION_FIELDS_MAX) {
		kk_pg_err_at(c, v, false, pre, "more than %d fields", KK_ACTION_FIELDS_MAX);
		return;
	}
	t->fields = calloc(n ? n : 1, sizeof(*t->fields));
	if (!t->fields) {
		c->oom = 1;
		return;
	}
	for (m = v->child; m; m = m->next) {
		if (asprintf(&path, "%s[\"%s\"]", pre, m->string) < 0) {
			c->oom = 1;
			return;
		}
		if (!valid_field_name(m->string))
			kk_pg_err_at(c, m, true, path,
				     "a field name is 1 to %d printable characters",
				     KK_ACTION_FIELD_NAME_MAX);
		else if (kk_pg_member(v, m->string) == m) { /* duplicates: check_keys said so */
			struct kk_action_field *f = &t->fields[t->n_fields++];

			f->name = kk_pg_dup_str(c, m->string);
			parse_field(c, m, path, f);
		}
		free(path);
	}
	if (t->n_fields && !c->oom) /* no NULL names to compare */
		qsort(t->fields, t->n_fields, sizeof(*t->fields), cmp_field);
}

/* "risk": {"revoke_above", "refuse_above", "window"}. */
static void parse_risk(struct kk_pg_ctx *c, const cJSON *v, const char *pre,
		       struct kk_action_type *t)
{
	static const char *const known[] = { "refuse_above", "revoke_above", "window", NULL };
	static const char *const keys[] = { "revoke_above", "refuse_above" };
	double *dst[] = { &t->revoke_above, &t->refuse_above };
	const cJSON *m;
	char *path;
	int i;

	if (!kk_pg_want_type(c, v, cJSON_Object, pre, "an object"))
		return;
	kk_pg_check_keys(c, v, pre, known, true);
	if (!kk_pg_member(v, "revoke_above") && !kk_pg_member(v, "refuse_above"))
		kk_pg_err_at(c, v, false, pre, "needs revoke_above or refuse_above");
	for (i = 0; i < 2; i++) {
		if (!(m = kk_pg_member(v, keys[i])) || !(path = kk_pg_member_path(c, pre, keys[i])))
			continue;
		if (!cJSON_IsNumber(m) || !(m->valuedouble > 0) || m->valuedouble > 1)
			kk_pg_err_at(c, m, false, path, "must be a number above 0, at most 1");
		else
			*dst[i] = m->valuedouble;
		free(path);
	}
	if (t->refuse_above && t->revoke_above && t->refuse_above > t->revoke_above)
		kk_pg_err_at(c, kk_pg_member(v, "refuse_above"), false, pre,
			     "refuse_above must not be above revoke_above");
	if ((m = kk_pg_member(v, "window")) && (path = kk_pg_member_path(c, pre, "window"))) {
		kk_pg_uint(c, m, path, KK_RISK_WINDOW_MIN, KK_RISK_WINDOW_MAX, &t->window);
		free(path);
	}
}

static void parse_type(struct kk_pg_ctx *c, const cJSON *v, const char *pre,
		       struct kk_action_type *t)
{
	static const char *const known[] = { "fields", "other_fields", "rate_limit", "risk", NULL };
	static const char *const other[] = { "refuse", "allow", NULL };
	const cJSON *m;
	char *path;
	int o;

	t->window = KK_RISK_WINDOW_DEFAULT;
	if (!kk_pg_want_type(c, v, cJSON_Object, pre, "an object"))
		return;
	kk_pg_check_keys(c, v, pre, known, true);
	if ((m = kk_pg_member(v, "fields")) && (path = kk_pg_member_path(c, pre, "fields"))) {
		parse_fields(c, m, path, t);
		free(path);
	}
	if ((m = kk_pg_member(v, "other_fields")) &&
	    (path = kk_pg_member_path(c, pre, "other_fields"))) {
		if (kk_pg_choice(c, m, path, other, &o))
			t->other_allow = o == 1;
		free(path);
	}
	if ((m = kk_pg_member(v, "rate_limit")) &&
	    (path = kk_pg_member_path(c, pre, "rate_limit"))) {
		kk_pg_rate(c, m, path, true, &t->rate_count, &t->rate_period_s, &t->rate_unit);
		free(path);
	}
	if ((m = kk_pg_member(v, "risk")) && (path = kk_pg_member_path(c, pre, "risk"))) {
		t->has_risk = true;
		parse_risk(c, m, path, t);
		free(path);
	}
}

static int cmp_type(const void *a, const void *b)
{
	return strcmp(((const struct kk_action_type *)a)->name,
		      ((const struct kk_action_type *)b)->name);
}

/* The section v, named pre ("actions"); NULL (errors reported) or the parsed section. */
static struct kk_actions *parse_section(struct kk_pg_ctx *c, const cJSON *v, const char *pre)
{
	size_t n = (size_t)cJSON_GetArraySize(v);
	struct kk_actions *a;
	const cJSON *m;
	char *path;

	if (!kk_pg_want_type(c, v, cJSON_Object, pre, "an object of action types"))
		return NULL;
	if (n > KK_ACTION_TYPES_MAX) {
		kk_pg_err_at(c, v, false, pre, "more than %d action types", KK_ACTION_TYPES_MAX);
		return NULL;
	}
	kk_pg_check_keys(c, v, pre, NULL, false);
	a = calloc(1, sizeof(*a));
	if (!a || !(a->types = calloc(n ? n : 1, sizeof(*a->types)))) {
		free(a);
		c->oom = 1;
		return NULL;
	}
	for (m = v->child; m; m = m->next) {
		if (asprintf(&path, "%s[\"%s\"]", pre, m->string) < 0) {
			c->oom = 1;
			break;
		}
		if (!valid_type_name(m->string))
			kk_pg_err_at(c, m, true, path, "an action type is 1 to %d of [a-z0-9_.-]",
				     KK_ACTION_NAME_MAX);
		else if (kk_pg_member(v, m->string) == m) {
			struct kk_action_type *t = &a->types[a->n++];

			t->name = kk_pg_dup_str(c, m->string);
			parse_type(c, m, path, t);
		}
		free(path);
	}
	if (a->n && !c->oom)
		qsort(a->types, a->n, sizeof(*a->types), cmp_type);
	return a;
}

void kk_pf_actions(struct kk_pg_ctx *c, const cJSON *v)
{
	c->p->actions = parse_section(c, v, "actions");
}

/* The policy's top-level "risk": the default of the action types without their own. */
void kk_pf_risk(struct kk_pg_ctx *c, const cJSON *v)
{
	struct kk_action_type t = { .window = KK_RISK_WINDOW_DEFAULT };
	struct kk_actions *a = c->p->actions;

	parse_risk(c, v, "risk", &t);
	if (!a) {
		kk_pg_err_at(c, v, true, "risk", "needs an \"actions\" section: it scores actions");
		return;
	}
	a->has_risk = true;
	a->revoke_above = t.revoke_above;
	a->refuse_above = t.refuse_above;
	a->window = t.window;
}

int kk_actions_parse(const char *file, const char *text, size_t len, struct kk_actions **out,
		     struct kk_errors *errs)
{
	struct kk_policy dummy = { 0 };
	struct kk_jsonc j;
	struct kk_pg_ctx c = { .j = &j, .errs = errs, .p = &dummy };
	char why[160];
	int line = 0, col = 0, err;
	size_t before = errs->n;

	(void)file;
	*out = NULL;
	err = kk_jsonc_parse(text, len, &j, &line, &col, why, sizeof(why));
	if (err == -EINVAL)
		kk_errors_add(errs, line, col, "", "%s", why);
	if (err)
		return err;
	*out = parse_section(&c, j.root, "actions");
	kk_jsonc_free(&j);
	if (c.oom || errs->n > before || !*out) {
		kk_actions_free(*out);
		*out = NULL;
		kk_errors_sort(errs);
		return c.oom ? -ENOMEM : -EINVAL;
	}
	return 0;
}

/* "in" in canonical order: numbers ascending, then strings in byte order. */
static int cmp_val(const void *a, const void *b)
{
	const struct kk_action_val *x = a, *y = b;

	if (!x->str != !y->str)
		return x->str ? 1 : -1;
	if (x->str)
		return strcmp(x->str, y->str);
	return (x->num > y->num) - (x->num < y->num);
}

static cJSON *field_canon(const struct kk_action_field *f)
{
	static const char *const types[] = { NULL, "string", "number", "integer" };
	struct kk_action_val *in = NULL;
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i;

	if (!o)
		return NULL;
	if (f->n_in) {
		arr = cJSON_AddArrayToObject(o, "in");
		in = malloc(f->n_in * sizeof(*in));
		if (!arr || !in)
			goto fail;
		memcpy(in, f->in, f->n_in * sizeof(*in));
		qsort(in, f->n_in, sizeof(*in), cmp_val);
		for (i = 0; i < f->n_in; i++)
			if (!cJSON_AddItemToArray(arr, in[i].str ? cJSON_CreateString(in[i].str)
								 : cJSON_CreateNumber(in[i].num)))
				goto fail;
	}
	if ((f->has_max && !cJSON_AddNumberToObject(o, "max", f->max)) ||
	    (f->has_min && !cJSON_AddNumberToObject(o, "min", f->min)) ||
	    (f->type && !cJSON_AddStringToObject(o, "type", types[f->type])))
		goto fail;
	free(in);
	return o;
fail:
	free(in);
	cJSON_Delete(o);
	return NULL;
}

static const char *period_name(uint32_t s)
{
	return s == 1 ? "second" : s == 60 ? "minute" : s == 3600 ? "hour" : "day";
}

/* o's member "risk", as parse_risk reads it back. */
static bool add_risk(cJSON *o, double revoke_above, double refuse_above, uint32_t window)
{
	cJSON *risk = cJSON_AddObjectToObject(o, "risk");

	return risk &&
	       (!refuse_above || cJSON_AddNumberToObject(risk, "refuse_above", refuse_above)) &&
	       (!revoke_above || cJSON_AddNumberToObject(risk, "revoke_above", revoke_above)) &&
	       cJSON_AddNumberToObject(risk, "window", window);
}

/* One type, its members in byte order; defaults written out (other_fields, the risk window). */
static bool type_canon(cJSON *o, const struct kk_action_type *t)
{
	cJSON *fields = cJSON_AddObjectToObject(o, "fields");
	char rate[128];
	size_t i;

	for (i = 0; fields && i < t->n_fields; i++)
		if (!cJSON_AddItemToObject(fields, t->fields[i].name, field_canon(&t->fields[i])))
			return false;
	if (!fields ||
	    !cJSON_AddStringToObject(o, "other_fields", t->other_allow ? "allow" : "refuse"))
		return false;
	if (t->rate_count) {
		snprintf(rate, sizeof(rate), "%u%s%s/%s", t->rate_count, t->rate_unit ? " " : "",
			 t->rate_unit ? t->rate_unit : "", period_name(t->rate_period_s));
		if (!cJSON_AddStringToObject(o, "rate_limit", rate))
			return false;
	}
	return !t->has_risk || add_risk(o, t->revoke_above, t->refuse_above, t->window);
}

cJSON *kk_actions_canon(const struct kk_actions *a)
{
	cJSON *o = cJSON_CreateObject(), *t;
	size_t i;

	for (i = 0; o && i < a->n; i++) /* a->types is sorted by name */
		if (!(t = cJSON_AddObjectToObject(o, a->types[i].name)) ||
		    !type_canon(t, &a->types[i])) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

int kk_actions_risk_canon(const struct kk_actions *a, cJSON *o)
{
	if (!a || !a->has_risk)
		return 0;
	return add_risk(o, a->revoke_above, a->refuse_above, a->window) ? 0 : -ENOMEM;
}
