// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_policy — the daemon follows the policy file of every binding made with --watch (its
 * record names the file): when the file changes, the binding gets the new policy the way
 * `bind --replace` gives it (op_replace.c), in one map write; a new file that is refused (not
 * JSON, an error in it, another agent, a hash the certificate does not pin) is one error line
 * and one agent.warning event, and the policy in force stays.
 *
 * The file is polled with stat() on each tick (1 s) rather than watched with inotify: stat()
 * resolves the path again every time, so every way of updating it is seen alike — written in
 * place, renamed over by an editor, or switched by Kubernetes, which updates a mounted ConfigMap
 * by pointing the `..data` symlink at a new directory (an inotify watch on the old file would
 * see nothing, and one on the directory would have to re-resolve anyway). A change is a
 * different (device, inode, size, mtime, ctime); only then is the file read. One stat per
 * followed binding per second is the whole cost.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bind.h"
#include "events.h"
#include "log.h"
#include "maps.h"
#include "op.h"
#include "policy.h"
#include "state.h"
#include "daemon_watch.h"

/* What was last seen of each binding slot's file; known false: look at it on the next tick. */
struct seen {
	bool known;
	uint32_t gen;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	int err; /* stat's errno last reported, so a missing file is one line, not one a second */
};

static struct seen seen[KK_MAX_BINDINGS];

static bool same_file(const struct seen *s, uint32_t gen, const struct stat *st)
{
	return s->known && s->gen == gen && !s->err && s->dev == st->st_dev &&
	       s->ino == st->st_ino && s->size == st->st_size &&
	       s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       s->ctime.tv_sec == st->st_ctim.tv_sec && s->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* One error line, and the agent.warning event naming the binding's agent. */
static void refused(const struct kk_binding_rec *r, const char *file, const char *why)
{
	const struct kk_binding *b = &r->binding;
	char reason[768];
	struct kk_event ev;

	kk_err("daemon", "binding %u (agent %s): %s not applied, policy %s stays in force: %s",
	       r->slot, b->agent_id, file, b->policy_version, why);
	snprintf(reason, sizeof(reason), "policy file %s not applied: %s", file, why);
	if (kk_event_agent(&ev, KK_EV_AGENT_WARNING, r->slot, b->gen, b->pid, b->agent_id,
			   r->ident.serial, b->policy_version, reason) ||
	    kk_maps_emit(&ev))
		kk_err("daemon", "could not send agent.warning for binding %u", r->slot);
}

/* The file changed: its policy, if it is another one and accepted, replaces the binding's. */
static void apply(struct kk_maps *m, const struct kk_binding_rec *r,
		  const struct kk_binding_meta *meta)
{
	struct kk_bind_req req;
	struct kk_replace_res res;
	struct kk_errors perrs = { 0 };
	struct kk_policy p;
	struct kk_error e = { 0 };
	char why[sizeof(e.what) + sizeof(e.why) + 2];
	char hash[KK_POLICY_HASH_HEX];
	int err;

	/* A file touched, or seen first after a restart, with the policy in force: nothing. */
	if (!kk_policy_load(meta->watch, &p, &perrs)) {
		bool same = !strcmp(kk_policy_hash_hex(&p, hash), meta->policy_hash);

		kk_policy_free(&p);
		if (same) {
			kk_errors_free(&perrs);
			return;
		}
	}
	kk_errors_free(&perrs);
	memset(&req, 0, sizeof(req));
	req.policy = meta->watch;
	req.cert = meta->cert;
	req.ca = meta->ca;
	req.offline = meta->offline;
	req.pid = (int)r->binding.pid;
	snprintf(req.watch, sizeof(req.watch), "%s", meta->watch);
	err = kk_bind_prepare(&req, &e);
	err = err ?: kk_replace_slot(m, &req, r->slot, r->binding.gen, &res, &e);
	if (err) {
		/* A policy's error reads FILE:LINE:COL: ..., as `policy check` prints it. */
		snprintf(why, sizeof(why), "%s%s%s", e.what, !*e.what ? "" :
			 req.perrs.n && req.perrs.v[0].line ? ":" : ": ", e.why);
		refused(r, meta->watch, why);
	} else if (!res.unchanged) {
		kk_info("kakunin-bpf: daemon: binding %u (agent %s) follows %s: policy %s %.12s in "
			"force, was %s %.12s", r->slot, r->binding.agent_id, meta->watch,
			req.pol.version, kk_policy_hash_hex(&req.pol, hash), res.old_version, res.old_hash);
		if (*res.warning)
			kk_err("daemon", "%s", res.warning);
	}
	kk_bind_release(&req);
}

static int follow_one(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct seen *s = &seen[r->slot];
	struct kk_binding_meta meta;
	struct stat st;
	int err;

	(void)ctx;
	if (kk_meta_load(r->slot, &meta) || meta.gen != r->binding.gen || !meta.watch[0]) {
		s->known = false;
		return 0;
	}
	if (stat(meta.watch, &st)) {
		err = errno;
		if (!s->known || s->gen != r->binding.gen || s->err != err)
			refused(r, meta.watch, strerror(err));
		*s = (struct seen){ .known = true, .gen = r->binding.gen, .err = err };
		return 0;
	}
	if (same_file(s, r->binding.gen, &st))
		return 0;
	*s = (struct seen){ .known = true, .gen = r->binding.gen, .dev = st.st_dev,
			    .ino = st.st_ino, .size = st.st_size, .mtime = st.st_mtim,
			    .ctime = st.st_ctim };
	apply(m, r, &meta);
	return 0;
}

void kk_watch_policies(struct kk_maps *m)
{
	/* A slot that cannot be read keeps its policy until a later tick reads it. */
	kk_maps_each_binding(m, follow_one, NULL);
}
