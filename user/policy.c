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

#include "actions.h"
#include "jsonc.h"
#include "paths.h"
#include "policy_fields_int.h"

/* Largest policy file read: 10,000 rules fit in well under a mebibyte. */
#define POLICY_FILE_MAX (16u << 20)

static int parse_root(struct kk_pg_ctx *c, const cJSON *root)
{
	static const char *const known[] = { "agent_id",     "version",	"mode",
					     "baseline",     "execution_constraints",
					     "data_access",  "exec",	"network_rules",
					     "revocation_check", "auto_revoke", "audit",
					     "allow_jit", "ipc", "spiffe_id", "actions", "risk",
					     "egress", NULL };
	const cJSON *v;

	if (!cJSON_IsObject(root)) {
		kk_pg_err_at(c, root, false, "", "a policy must be a JSON object");
		return -EINVAL;
	}
	kk_pg_check_keys(c, root, "", known, true);
	c->p->baseline = true;
	c->p->revocation_ttl_s = 300;
	kk_pf_identity(c, root);
	kk_pf_isolation(c, root);
	if ((v = kk_pg_member(root, "execution_constraints")))
		kk_pf_constraints(c, v);
	if ((v = kk_pg_member(root, "data_access")))
		kk_pf_data_access(c, v);
	if ((v = kk_pg_member(root, "exec")))
		kk_pf_exec(c, v);
	if ((v = kk_pg_member(root, "network_rules")))
		kk_pf_network(c, v);
	if ((v = kk_pg_member(root, "revocation_check")))
		kk_pf_revocation(c, v);
	if ((v = kk_pg_member(root, "auto_revoke")))
		kk_pf_auto_revoke(c, v);
	if ((v = kk_pg_member(root, "actions")))
		kk_pf_actions(c, v);
	if ((v = kk_pg_member(root, "risk")))
		kk_pf_risk(c, v);
	if ((v = kk_pg_member(root, "egress")))
		kk_pf_egress(c, v);
	return 0;
}

int kk_policy_parse(const char *file, const char *text, size_t len, struct kk_policy *out,
		    struct kk_errors *errs)
{
	struct kk_jsonc j;
	struct kk_pg_ctx c = { .j = &j, .errs = errs, .p = out };
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

/* Standard input up to POLICY_FILE_MAX bytes, for "-": a pipe has no size to ask for. */
static int read_stdin(struct kk_policy *out, struct kk_errors *errs)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *v;
	ssize_t r;
	int err;

	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			v = cap > POLICY_FILE_MAX + 1 ? NULL : realloc(buf, cap);
			if (!v) {
				free(buf);
				if (cap <= POLICY_FILE_MAX + 1)
					return -ENOMEM;
				kk_errors_add(errs, 0, 0, "", "larger than %u bytes",
					      POLICY_FILE_MAX);
				return -EINVAL;
			}
			buf = v;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		n += r > 0 ? (size_t)r : 0;
	} while (r > 0 || (r < 0 && errno == EINTR));
	if (r < 0) {
		err = -errno;
		kk_errors_add(errs, 0, 0, "", "cannot read: %s", strerror(errno));
		free(buf);
		return err;
	}
	err = kk_policy_parse("<stdin>", buf, n, out, errs);
	free(buf);
	return err;
}

int kk_policy_load(const char *file, struct kk_policy *out, struct kk_errors *errs)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, r;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	if (!strcmp(file, "-"))
		return read_stdin(out, errs);
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
	free(p->spiffe_id);
	free(p->version);
	free_strv(p->regions, p->n_regions);
	free(p->rate_unit);
	for (i = 0; i < p->n_paths; i++) {
		free(p->paths[i].pattern);
		free(p->paths[i].dir);
	}
	free(p->paths);
	free_strv(p->exec, p->n_exec);
	free(p->exec_pos);
	for (i = 0; i < p->n_hosts; i++) {
		free(p->hosts[i].text);
		free(p->hosts[i].name);
	}
	free(p->hosts);
	for (i = 0; i < p->n_listen; i++)
		free(p->listen[i].text);
	free(p->listen);
	kk_actions_free(p->actions);
	kk_egress_free(p->egress, p->n_egress);
	free(p->egress_pos);
	free(p->canonical);
	memset(p, 0, sizeof(*p));
}
