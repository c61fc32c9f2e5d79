// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy — JSONC policy documents into a validated struct kk_policy (see policy.h). Every
 * problem is collected with its position and field path; nothing unknown is ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonc.h"
#include "paths.h"
#include "policy_parse.h"

/* Largest policy file read: 10,000 rules fit in well under a mebibyte. */
#define POLICY_FILE_MAX (16u << 20)

/* Report at node's value (or its key with at_key). */
void err_at(struct ctx *c, const cJSON *node, bool at_key, const char *field, const char *fmt, ...)
{
	int line = 0, col = 0;
	char *msg;
	va_list ap;

	if (node)
		(at_key ? kk_jsonc_key_pos : kk_jsonc_pos)(c->j, node, &line, &col);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		c->oom = 1;
		va_end(ap);
		return;
	}
	va_end(ap);
	kk_errors_add(c->errs, line, col, field, "%s", msg);
	free(msg);
}

/* field path of a member: "prefix.key" or "key"; caller frees. */
char *member_path(struct ctx *c, const char *prefix, const char *key)
{
	char *s;

	if (asprintf(&s, "%s%s%s", prefix, *prefix ? "." : "", key) < 0) {
		c->oom = 1;
		return NULL;
	}
	return s;
}

char *index_path(struct ctx *c, const char *prefix, int i)
{
	char *s;

	if (asprintf(&s, "%s[%d]", prefix, i) < 0) {
		c->oom = 1;
		return NULL;
	}
	return s;
}

/*
 * Duplicate keys of obj and, with check_unknown, keys not in known (NULL-terminated; the message
 * lists them). Without check_unknown the keys are data and named prefix["key"].
 */
/*
 * Children of an array or object as a vector, with each one's key (objects) or string value
 * (arrays; NULL for non-strings) and the index of its first duplicate. Caller frees both.
 */
static int children(struct ctx *c, const cJSON *v, bool keys, const cJSON ***nodes, long **first)
{
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	const char **k = calloc(n + 1, sizeof(*k));
	const cJSON *m;

	*nodes = calloc(n + 1, sizeof(**nodes));
	*first = NULL;
	if (k && *nodes) {
		for (m = v->child; m; m = m->next, i++) {
			(*nodes)[i] = m;
			k[i] = keys ? m->string : cJSON_IsString(m) ? m->valuestring : NULL;
		}
		*first = kk_first_dups(k, n);
	}
	free(k);
	if (!*first) {
		free(*nodes);
		c->oom = 1;
		return -ENOMEM;
	}
	return (int)n;
}

static void unknown_key(struct ctx *c, const cJSON *m, const char *path, const char *const *known)
{
	char list[256] = "";
	size_t used = 0, k;

	for (k = 0; known[k]; k++)
		used += snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s",
				 k ? ", " : "", known[k]);
	err_at(c, m, true, path, "unknown key (expected: %s)", list);
}

/*
 * Duplicate keys of obj and, with check_unknown, keys not in known (NULL-terminated; the message
 * lists them). Without check_unknown the keys are data and named prefix["key"].
 */
void check_keys(struct ctx *c, const cJSON *obj, const char *prefix, const char *const *known,
		bool check_unknown)
{
	const cJSON **nodes;
	int i, n, line, col;
	long *first;

	n = children(c, obj, true, &nodes, &first);
	for (i = 0; i < n; i++) {
		const cJSON *m = nodes[i];
		char *path = NULL;
		size_t k;

		/* Keys that are data (data_access paths) are named the way errors quote them. */
		if (check_unknown)
			path = member_path(c, prefix, m->string);
		else if (asprintf(&path, "%s[\"%s\"]", prefix, m->string) < 0)
			path = NULL;
		if (!path) {
			c->oom = 1;
			break;
		}
		if (first[i] >= 0) {
			kk_jsonc_key_pos(c->j, nodes[first[i]], &line, &col);
			err_at(c, m, true, path, "duplicate key (first at %d:%d)", line, col);
		}
		for (k = 0; check_unknown && known[k] && strcmp(known[k], m->string); k++)
			;
		if (check_unknown && !known[k])
			unknown_key(c, m, path, known);
		free(path);
	}
	if (n >= 0) {
		free(nodes);
		free(first);
	}
}

const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *m;

	for (m = obj ? obj->child : NULL; m; m = m->next)
		if (!strcmp(m->string, key))
			return m;
	return NULL;
}

bool want_type(struct ctx *c, const cJSON *v, int type, const char *field, const char *what)
{
	if (v->type & type)
		return true;
	err_at(c, v, false, field, "must be %s", what);
	return false;
}

/* An integer in [min, max] (a JSON number without fraction). */
bool get_uint(struct ctx *c, const cJSON *v, const char *field, double min, double max,
		     uint32_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < min || v->valuedouble > max) {
		err_at(c, v, false, field, "must be an integer from %.0f to %.0f", min, max);
		return false;
	}
	*out = (uint32_t)v->valuedouble;
	return true;
}

bool get_bool(struct ctx *c, const cJSON *v, const char *field, bool *out)
{
	if (!want_type(c, v, cJSON_True | cJSON_False, field, "true or false"))
		return false;
	*out = cJSON_IsTrue(v);
	return true;
}

char *dup_str(struct ctx *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		c->oom = 1;
	return d;
}

/* One of choices[] (NULL-terminated); index in *out. */
bool get_choice(struct ctx *c, const cJSON *v, const char *field,
		       const char *const *choices, int *out)
{
	int i;

	if (cJSON_IsString(v))
		for (i = 0; choices[i]; i++)
			if (!strcmp(v->valuestring, choices[i])) {
				*out = i;
				return true;
			}
	if (choices[2])
		err_at(c, v, false, field, "must be one of \"%s\", \"%s\", \"%s\"", choices[0],
		       choices[1], choices[2]);
	else
		err_at(c, v, false, field, "must be \"%s\" or \"%s\"", choices[0], choices[1]);
	return false;
}

/* An array of non-empty strings, duplicates refused; the distinct ones are copied to *out. */
bool get_string_array(struct ctx *c, const cJSON *v, const char *field, bool nonempty,
		      char ***out, size_t *n)
{
	const cJSON **nodes;
	long *first;
	int i, cnt;

	if (!want_type(c, v, cJSON_Array, field, "an array of strings"))
		return false;
	if (nonempty && !v->child) {
		err_at(c, v, false, field, "must not be empty");
		return false;
	}
	cnt = children(c, v, false, &nodes, &first);
	if (cnt < 0)
		return false;
	*out = calloc((size_t)cnt + 1, sizeof(char *));
	*n = 0;
	for (i = 0; *out && i < cnt; i++) {
		const cJSON *it = nodes[i];
		char *path = index_path(c, field, i);

		if (!path)
			break;
		if (!cJSON_IsString(it) || !it->valuestring[0])
			err_at(c, it, false, path, "must be a non-empty string");
		else if (first[i] >= 0)
			err_at(c, it, false, path, "duplicate of %s[%ld]", field, first[i]);
		else
			(*out)[(*n)++] = dup_str(c, it->valuestring);
		free(path);
	}
	if (!*out)
		c->oom = 1;
	free(nodes);
	free(first);
	return *out != NULL;
}

static int parse_root(struct ctx *c, const cJSON *root)
{
	static const char *const known[] = { "agent_id",     "version",	"mode",
					     "baseline",     "execution_constraints",
					     "data_access",  "exec",	"network_rules",
					     "revocation_check", "auto_revoke", "audit",
					     "allow_jit", "ipc", NULL };
	const cJSON *v;

	if (!cJSON_IsObject(root)) {
		err_at(c, root, false, "", "a policy must be a JSON object");
		return -EINVAL;
	}
	check_keys(c, root, "", known, true);
	c->p->baseline = true;
	c->p->revocation_ttl_s = 300;
	parse_identity(c, root);
	parse_isolation(c, root);
	if ((v = member(root, "execution_constraints")))
		parse_constraints(c, v);
	if ((v = member(root, "data_access")))
		parse_data_access(c, v);
	if ((v = member(root, "exec")))
		parse_exec(c, v);
	if ((v = member(root, "network_rules")))
		parse_network(c, v);
	if ((v = member(root, "revocation_check")))
		parse_revocation(c, v);
	if ((v = member(root, "auto_revoke")))
		parse_auto_revoke(c, v);
	return 0;
}

int kk_policy_parse(const char *file, const char *text, size_t len, struct kk_policy *out,
		    struct kk_errors *errs)
{
	struct kk_jsonc j;
	struct ctx c = { .j = &j, .errs = errs, .p = out };
	char why[160];
	int line = 0, col = 0, err;
	size_t before = errs->n;

	memset(out, 0, sizeof(*out));
	out->file = strdup(file);
	if (!out->file)
		return -ENOMEM;
	err = kk_jsonc_parse(text, len, &j, &line, &col, why, sizeof(why));
	if (err == -EINVAL) {
		kk_errors_add(errs, line, col, "", "%s", why);
		return -EINVAL;
	}
	if (err)
		return err;
	err = parse_root(&c, j.root);
	kk_jsonc_free(&j);
	if (c.oom)
		return -ENOMEM;
	if (err || errs->n > before) {
		kk_errors_sort(errs);
		return -EINVAL;
	}
	return kk_policy_canonicalize(out);
}

int kk_policy_load(const char *file, struct kk_policy *out, struct kk_errors *errs)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, r;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		err = -errno;
		kk_errors_add(errs, 0, 0, "", "cannot read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > POLICY_FILE_MAX) {
		err = -EINVAL;
		kk_errors_add(errs, 0, 0, "", S_ISREG(st.st_mode) ? "larger than %u bytes" :
				      "not a regular file", POLICY_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (n < st.st_size && (r = read(fd, buf + n, (size_t)(st.st_size - n))) > 0)
		n += r;
	err = kk_policy_parse(file, buf, (size_t)n, out, errs);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void kk_policy_free(struct kk_policy *p)
{
	size_t i;

	free(p->file);
	free(p->agent_id);
	free(p->version);
	free_strv(p->regions, p->n_regions);
	free(p->rate_unit);
	for (i = 0; i < p->n_paths; i++) {
		free(p->paths[i].pattern);
		free(p->paths[i].dir);
	}
	free(p->paths);
	free_strv(p->exec, p->n_exec);
	for (i = 0; i < p->n_hosts; i++) {
		free(p->hosts[i].text);
		free(p->hosts[i].name);
	}
	free(p->hosts);
	for (i = 0; i < p->n_listen; i++)
		free(p->listen[i].text);
	free(p->listen);
	free(p->canonical);
	memset(p, 0, sizeof(*p));
}
