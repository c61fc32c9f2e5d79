// SPDX-License-Identifier: GPL-2.0-only
/* revoke — revocation list, identity states, agent.revoked, stopped or killed tasks (revoke.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "log.h"
#include "events.h"
#include "identity.h"
#include "maps.h"
#include "revocation.h"
#include "revoke.h"
#include "state.h"

const char *kk_crl_reason_name(int code)
{
	static const char *const names[KK_CRL_REASON_COUNT] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold", "", "removeFromCRL",
		"privilegeWithdrawn", "aACompromise",
	};

	return code >= 0 && code < KK_CRL_REASON_COUNT ? names[code] : "";
}

static int entry_json(const struct kk_ident_key *k, const struct kk_revocation *r, void *ctx)
{
	cJSON *o = kk_revlist_entry_json(k, r);

	if (!o || !cJSON_AddItemToArray(ctx, o)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return 0;
}

struct cJSON *kk_revocations_json(struct kk_maps *m)
{
	cJSON *arr = cJSON_CreateArray();

	if (arr && kk_maps_revoked_each(m, entry_json, arr)) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

/*
 * Write the whole list to STATE/revocations.json (temporary file, fsync, rename). A failure
 * fills e or, without one (the tripwire's sync, from any caller), is reported here.
 */
static int save_list(struct kk_maps *m, struct kk_error *e)
{
	char path[512], tmp[520];
	cJSON *arr = NULL;
	char *text = NULL;
	int fd = -1, err;

	arr = kk_revocations_json(m);
	err = arr ? 0 : -ENOMEM;
	text = err ? NULL : cJSON_Print(arr);
	if (!err && !text)
		err = -ENOMEM;
	if (err)
		goto out;
	if (mkdir(kk_state_dir(), 0700) && errno != EEXIST) {
		err = -errno;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/revocations.json", kk_state_dir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) ||
	    rename(tmp, path))
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (err && e)
		kk_error_set(e, err, kk_state_dir(), "cannot save the revocation list: %s",
			     strerror(-err));
	else if (err)
		kk_warn("cannot save the revocation list in %s: %s", kk_state_dir(),
			strerror(-err));
	free(text);
	cJSON_Delete(arr);
	return err;
}

/*
 * The writable shared file mappings of a revoked task, as one line of paths. Stores through
 * them change the file and are no system calls, so no hook sees them: the one write a
 * revocation of a task left running (--no-stop) cannot cut short, which the operator has to
 * hear about (and can end with revoke --kill).
 * Read-only mappings are left out: glibc maps system files shared (gconv-modules.cache), and
 * private mappings show later changes to a file just the same, so they are no different.
 */
static size_t writable_shared_mappings(int pid, char *out, size_t size)
{
	char path[64], *line = NULL, perms[8], name[4096];
	size_t cap = 0, used = 0, count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	while (f && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%*s %7s %*s %*s %*s %4095[^\n]", perms, name) != 2 ||
		    perms[1] != 'w' || perms[3] != 's' || name[0] != '/')
			continue;
		if (used && strstr(out, name)) /* one entry per file, not per mapping */
			continue;
		count++;
		if (used + strlen(name) + 2 < size)
			used += snprintf(out + used, size - used, "%s%s", used ? ", " : "", name);
	}
	free(line);
	if (f)
		fclose(f);
	return count;
}

static void warn_mappings(const struct kk_binding *b, uint32_t slot, int pid,
			  const struct kk_revoke_req *r)
{
	char paths[3072], reason[3200];
	struct kk_event ev;
	size_t n;

	paths[0] = '\0';
	n = writable_shared_mappings(pid, paths, sizeof(paths));
	if (!n)
		return;
	kk_warn("PID %d still has %zu writable shared file mapping%s revocation cannot cut (%s); "
		"--kill ends %s", pid, n, n == 1 ? "" : "s", paths, n == 1 ? "it" : "them");
	snprintf(reason, sizeof(reason), "revoked with writable shared file mappings: %s", paths);
	if (!kk_event_agent(&ev, KK_EV_AGENT_WARNING, slot, b->gen, pid, b->agent_id, r->serial,
			    b->policy_version, reason) &&
	    kk_maps_emit(&ev))
		kk_warn("could not send agent.warning for binding %u", slot);
}

struct revoked_ctx {
	const bool *idents;
	const struct kk_revoke_req *r;
	int *pids; /* processes signalled so far: a later walk skips them */
	size_t n, cap;
	bool grew; /* this walk signalled a new one */
};

static bool signalled(const struct revoked_ctx *rc, int pid)
{
	size_t i;

	for (i = 0; i < rc->n; i++)
		if (rc->pids[i] == pid)
			return true;
	return false;
}

/* A process of a revoked identity: stopped or killed, or with --no-stop checked for mappings. */
static int revoked_task(struct kk_maps *m, int pid, int pidfd, uint32_t slot, void *ctx)
{
	struct revoked_ctx *rc = ctx;
	struct kk_binding_rec rec;
	const struct kk_binding *b = &rec.binding;
	int *p;

	if (kk_maps_binding_get(m, slot, &rec) || b->ident >= KK_MAX_IDENTS ||
	    !rc->idents[b->ident])
		return 0;
	if (rc->r->tasks == KK_REVOKE_KEEP) {
		warn_mappings(b, slot, pid, rc->r);
		return 0;
	}
	if (signalled(rc, pid))
		return 0;
	if (rc->n == rc->cap) {
		p = realloc(rc->pids, (rc->cap ? rc->cap * 2 : 64) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		rc->pids = p;
		rc->cap = rc->cap ? rc->cap * 2 : 64;
	}
	if (syscall(SYS_pidfd_send_signal, pidfd,
		    rc->r->tasks == KK_REVOKE_KILL ? SIGKILL : SIGSTOP, NULL, 0))
		return 0; /* gone meanwhile */
	rc->pids[rc->n++] = pid;
	rc->grew = true;
	return 0;
}

/* Walks over the bound processes; 8 at most, a fork bomb racing them is not worth more. */
#define REVOKE_WALKS 8

int kk_revoke_tasks(struct kk_maps *m, const bool *idents, const struct kk_revoke_req *r, int *n)
{
	struct revoked_ctx rc = { .idents = idents, .r = r };
	int err = 0, walk;

	/* A stopped or killed process forks no more: walk until a walk finds none new. */
	for (walk = 0; walk < REVOKE_WALKS; walk++) {
		rc.grew = false;
		err = kk_maps_for_each_bound(m, revoked_task, &rc);
		if (err || !rc.grew)
			break;
	}
	*n = (int)rc.n;
	free(rc.pids);
	return err;
}

struct announce_ctx {
	const bool *flipped;
	const struct kk_revoke_req *r;
	int n;
};

static int announce_one(struct kk_maps *m, const struct kk_binding_rec *rec, void *ctx)
{
	const struct kk_binding *b = &rec->binding;
	struct announce_ctx *a = ctx;
	struct kk_event ev;

	(void)m;
	if (b->ident >= KK_MAX_IDENTS || !a->flipped[b->ident])
		return 0;
	a->n++;
	if (!kk_event_agent(&ev, KK_EV_AGENT_REVOKED, rec->slot, b->gen, b->pid, b->agent_id,
			    a->r->serial, b->policy_version, a->r->reason ?: "") &&
	    kk_maps_emit(&ev))
		kk_warn("could not send agent.revoked for binding %u", rec->slot);
	return 0;
}

/*
 * agent.revoked for every binding of a flipped identity; returns how many. A binding that
 * cannot be read goes unannounced: the revocation itself is the identity's state, already set.
 */
static int announce(struct kk_maps *m, const bool *flipped, const struct kk_revoke_req *r)
{
	struct announce_ctx a = { flipped, r, 0 };

	kk_maps_each_binding(m, announce_one, &a);
	return a.n;
}

static void rev_entry(const struct kk_revoke_req *r, struct kk_revocation *rev)
{
	memset(rev, 0, sizeof(*rev));
	rev->revoked_at = r->at ? r->at : time(NULL);
	rev->source = r->source;
	snprintf(rev->reason, sizeof(rev->reason), "%s", r->reason ? r->reason : "");
}

static int flip_error(int err, struct kk_error *e)
{
	return kk_error_set(e, err, NULL, "%s", err == -ENOSPC ? "the revocation list is full"
							      : strerror(-err));
}

int kk_revoke_flip(struct kk_maps *m, const struct kk_revoke_req *r, const struct kk_ident *known,
		   bool *flipped, int *n, struct kk_error *e)
{
	struct kk_revocation rev;
	int err;

	rev_entry(r, &rev);
	err = kk_maps_revoke_flip(m, &r->key, &rev, known, flipped, n);
	return err ? flip_error(err, e) : 0;
}

/*
 * Why flipping before the maps lock stays correct (kk_revoke_flip runs without it, this under
 * it):
 *  - every write of a flip is idempotent (the list entry, state REVOKED), so two revokes of one
 *    certificate, or a revoke and the tripwire, end where either alone would; the list entry
 *    the state file gets is whichever was written last, read back from the map under the lock;
 *  - the identity slots are read and written under the identity-slot lock (maps_revoke.c), as
 *    every other writer does: no reference a bind takes, no slot an unbind frees and another
 *    bind reuses is overwritten by a stale copy;
 *  - a bind checks the list under the maps lock, then takes its slot: one that missed the entry
 *    took its slot before or while the flip ran, and the flip again here, after that bind let
 *    the lock go, revokes it. So when revoke returns, as before, no binding of the certificate
 *    is active; the first flip only makes the ones bound already stop sooner;
 *  - nothing lifts a revocation (no write of ACTIVE over REVOKED: the OCSP poller unblocks a
 *    BLOCKED slot only, re-read under both locks), so no order of the two can undo it.
 */
int kk_revoke(struct kk_maps *m, const struct kk_revoke_req *r, int *bindings, int *tasks,
	      struct kk_error *e)
{
	bool flipped[KK_MAX_IDENTS] = { false };
	int err, terr, n;

	*bindings = *tasks = 0;
	/* The kernel first: the agents must be stopped before anything is written to disk. */
	err = kk_revoke_flip(m, r, NULL, flipped, &n, e);
	if (err)
		return err;
	*bindings = announce(m, flipped, r);
	terr = kk_revoke_tasks(m, flipped, r, tasks);
	if (terr)
		kk_error_set(e, terr, NULL, "%s the bound tasks: %s (the revocation holds: every "
			     "hooked call of theirs fails)",
			     r->tasks == KK_REVOKE_KILL ? "killing" : "stopping", strerror(-terr));
	/* Saved even when stopping failed: the revocation itself holds and must survive. */
	err = save_list(m, terr ? NULL : e);
	return err ?: terr;
}

/* One state-file entry back into the list, and into any identity slot it names. */
static int restore_entry(struct kk_maps *m, const cJSON *e)
{
	struct kk_revocation rev;
	struct kk_ident_key key;
	struct kk_ident id;
	uint32_t slot;

	if (kk_revlist_entry_parse(e, &key, &rev))
		return -EINVAL;
	for (slot = 0; slot < KK_MAX_IDENTS; slot++)
		if (!kk_maps_ident_read(m, slot, &id) && id.refs &&
		    kk_ident_key_matches(&key, &id.key))
			kk_maps_ident_set_state(m, slot, KK_STATE_REVOKED);
	return kk_maps_revoked_put(m, &key, &rev);
}

int kk_revocations_restore(struct kk_maps *m, struct kk_error *e)
{
	char path[512];
	int err, bad = 0;
	cJSON *arr, *x;

	snprintf(path, sizeof(path), "%s/revocations.json", kk_state_dir());
	err = kk_revlist_read(path, &arr, e);
	if (err || !arr)
		return err;
	cJSON_ArrayForEach(x, arr) {
		int r = restore_entry(m, x);

		if (r == -EINVAL)
			bad++;
		else if (r)
			err = kk_error_set(e, r, path, "cannot restore an entry: %s", strerror(-r));
	}
	cJSON_Delete(arr);
	if (bad && !err)
		err = kk_error_set(e, -EINVAL, path, "%d malformed entries skipped", bad);
	return err;
}

int kk_revocations_sync(struct kk_maps *m)
{
	struct kk_revocation rev;
	struct kk_ident id;
	uint32_t slot;
	int added = 0;

	for (slot = 0; slot < KK_MAX_IDENTS; slot++) {
		if (kk_maps_ident_read(m, slot, &id) || !id.refs || id.state != KK_STATE_REVOKED ||
		    !kk_maps_revoked_get(m, &id.key, &rev))
			continue;
		memset(&rev, 0, sizeof(rev));
		rev.revoked_at = time(NULL);
		rev.source = KK_REV_AUTO;
		snprintf(rev.reason, sizeof(rev.reason), "auto_revoke");
		if (!kk_maps_revoked_put(m, &id.key, &rev))
			added++;
	}
	return added ? save_list(m, NULL) : 0;
}
