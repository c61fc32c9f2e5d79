// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_oci — the OCI runtime hook's operation (op.h): from the container state to a binding of the
 * container's cgroup, by bind.c's steps, the same ones `bind --cgroup` takes.
 *
 * Why the cgroup, adopted at exec: at createRuntime (or prestart) the runtime's init process
 * (`runc init`) is in the container's namespaces and cgroup but still has to pivot_root, mount
 * /proc and the masked paths, and drop its capabilities, all of which a bound task is refused.
 * Binding it now would stop every container at its start. A cgroup bound KK_BIND_AT_EXEC leaves
 * it be until its execve of the container's command, which is then decided under the policy and
 * bound: the command's first instruction is bound, and so is whatever later joins the cgroup and
 * executes something there (`runc exec`, `kubectl exec`).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "oci.h"
#include "op.h"

/* The annotated files, resolved in their directories, into the request's strings. */
struct oci_files {
	char policy[PATH_MAX], cert[PATH_MAX], ca[PATH_MAX];
};

static int resolve_one(const char *ann, const char *value, const char *dir, const char *ext,
		       char *out, struct kk_error *e)
{
	char what[sizeof(e->what)], why[PATH_MAX + 64];
	int err;

	err = kk_oci_resolve(dir, value, ext, out, PATH_MAX, why, sizeof(why));
	if (err) {
		snprintf(what, sizeof(what), "annotation %s '%s'", ann, value);
		return kk_error_set(e, err, what, "%s", why);
	}
	return 0;
}

static int resolve_files(const struct kk_oci_hook_req *r, const struct kk_oci_state *st,
			 const struct kk_oci_config *c, struct oci_files *f, struct kk_error *e)
{
	int err;

	err = resolve_one(KK_OCI_ANN_POLICY, st->policy, r->policy_dir ?: c->policy_dir, ".json",
			  f->policy, e);
	err = err ?: resolve_one(KK_OCI_ANN_CERT, st->cert, r->cert_dir ?: c->cert_dir, ".pem",
				 f->cert, e);
	if (err)
		return err;
	if (st->ca[0])
		return resolve_one(KK_OCI_ANN_CA, st->ca, c->ca_dir, ".pem", f->ca, e);
	snprintf(f->ca, sizeof(f->ca), "%s", r->ca ?: c->ca);
	return 0;
}

/* The init process's cgroup into res->cgroup and the request; never the root (the host). */
static int container_cgroup(int pid, struct kk_bind_req *b, struct kk_oci_hook_res *res,
			    struct kk_error *e)
{
	char what[64], why[PATH_MAX + 64];
	int err;

	snprintf(what, sizeof(what), "PID %d", pid);
	err = kk_oci_pid_cgroup(pid, res->cgroup, sizeof(res->cgroup), why, sizeof(why));
	if (err)
		return kk_error_set(e, err, what, "its cgroup: %s", why);
	err = kk_cgroup_resolve(res->cgroup, &b->cgid, &b->cglevel, why, sizeof(why));
	if (err)
		return kk_error_split(e, err, why);
	if (b->cglevel == 0)
		return kk_error_set(e, -EINVAL, what, "is in the root cgroup: the container has no "
				    "cgroup of its own to bind");
	/* runc, crun and the Kubernetes runtimes give each container a cgroup of its own. */
	err = kk_oci_cgroup_alone(res->cgroup, pid, why, sizeof(why));
	if (err)
		return kk_error_set(e, err, what, "%s", why);
	if (b->cglevel >= KK_CGROUP_LEVELS)
		return kk_error_set(e, -E2BIG, NULL, "cgroup %s is %u levels deep; at most %d can "
				    "be bound", res->cgroup, b->cglevel, KK_CGROUP_LEVELS - 1);
	b->cgroup = res->cgroup;
	return 0;
}

/* Verify, compile, match the annotation's agent, then bind the cgroup at exec. */
static int bind_container(const struct kk_oci_state *st, const struct kk_oci_config *c,
			  const struct oci_files *f, struct kk_oci_hook_res *res,
			  struct kk_error *e)
{
	struct kk_bind_req b = { 0 };
	int err;

	b.cert = f->cert;
	b.policy = f->policy;
	b.ca = f->ca[0] ? f->ca : NULL;
	b.offline = c->offline;
	b.region = c->region[0] ? c->region : NULL;
	b.at_exec = true;
	err = kk_bind_prepare(&b, e);
	if (!err && strcmp(b.pol.agent_id, st->agent))
		err = kk_error_set(e, -EACCES, "annotation " KK_OCI_ANN_AGENT, "'%s' is not the "
				   "policy's agent_id '%s'", st->agent, b.pol.agent_id);
	err = err ?: container_cgroup(st->pid, &b, res, e);
	err = err ?: kk_bind_commit(&b, -1, e);
	if (!err) {
		res->acted = true;
		res->slot = b.slot;
		snprintf(res->agent, sizeof(res->agent), "%s", b.pol.agent_id);
		snprintf(res->serial, sizeof(res->serial), "%s", b.id.serial);
		snprintf(res->warning, sizeof(res->warning), "%s", b.warning);
	}
	kk_bind_release(&b);
	return err;
}

int kk_op_oci_hook(const struct kk_oci_hook_req *r, struct kk_oci_hook_res *res,
		   struct kk_error *e)
{
	struct kk_oci_state st;
	struct kk_oci_config c;
	struct oci_files f;
	int err;

	memset(res, 0, sizeof(*res));
	err = kk_oci_state_parse(r->text, r->len, &st, e);
	snprintf(res->id, sizeof(res->id), "%s", st.id);
	if (!err && !st.have_annotations)
		err = kk_oci_bundle_annotations(&st, e);
	if (err || !st.annotated)
		return err; /* not annotated: not ours, whatever else the state says */
	err = kk_oci_state_check(&st, e);
	if (err)
		return err;
	if (geteuid() != 0)
		return kk_error_set(e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	err = kk_oci_config_load(r->config ?: KK_OCI_CONFIG, r->config != NULL, &c, e);
	err = err ?: resolve_files(r, &st, &c, &f, e);
	return err ?: bind_container(&st, &c, &f, res, e);
}
