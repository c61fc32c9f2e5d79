// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_unbind — end bindings by process, cgroup or certificate serial. Their tasks are unbound at
 * their next action (their mark names a generation that no longer exists); the policy and
 * identity slots are released when no binding uses them; agent.unbound is emitted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bind.h"
#include "cgroup.h"
#include "identity.h"
#include "maps.h"
#include "op.h"

int kk_unbind_req_init(struct kk_unbind_req *r, const char *pid, const char *cgroup,
		       const char *serial, struct kk_error *e)
{
	char what[sizeof(e->what)];

	memset(r, 0, sizeof(*r));
	if (!!pid + !!cgroup + !!serial != 1)
		return kk_error_set(e, -EINVAL, NULL,
				    "give exactly one of --pid, --cgroup and --serial");
	if (pid) {
		r->by = KK_UNBIND_PID;
		snprintf(what, sizeof(what), "--pid '%s'", pid);
		if (kk_parse_pid(pid, &r->pid))
			return kk_error_set(e, -EINVAL, what, "not a process id");
	} else if (cgroup) {
		r->by = KK_UNBIND_CGROUP;
		r->cgroup = cgroup;
	} else {
		r->by = KK_UNBIND_SERIAL;
		snprintf(what, sizeof(what), "--serial '%s'", serial);
		if (kk_serial_parse(serial, r->serial, &r->serial_len, r->serial_hex))
			return kk_error_set(e, -EINVAL, what,
					    "not a hex serial number (up to 20 bytes)");
	}
	return 0;
}

static int unbind_pid(struct kk_maps *m, const struct kk_unbind_req *r, struct kk_unbind_res *res,
		      struct kk_error *e)
{
	char what[32];
	int fd, err;

	snprintf(what, sizeof(what), "PID %d", r->pid);
	fd = syscall(SYS_pidfd_open, r->pid, 0);
	if (fd < 0)
		return kk_error_set(e, -errno, what, "%s",
				    errno == ESRCH ? "no such process" : strerror(errno));
	err = kk_maps_task_binding(m, fd, &res->slot);
	close(fd);
	if (err)
		return kk_error_set(e, -ENOENT, NULL, "%s is not bound", what);
	err = kk_unbind_slot(m, res->slot, "unbind");
	if (err) {
		snprintf(what, sizeof(what), "binding %u", res->slot);
		return kk_error_set(e, err, what, "%s", strerror(-err));
	}
	res->n = 1;
	return 0;
}

struct cgroup_find {
	uint64_t id;
	uint32_t slot;
};

/* Stop the walk (1) at the binding of cgroup f->id, its slot in f->slot. */
static int find_cgroup(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	const struct kk_binding *b = &r->binding;
	struct cgroup_find *f = ctx;

	(void)m;
	if (!(b->flags & KK_BIND_CGROUP) || b->cgroup_id != f->id)
		return 0;
	f->slot = r->slot;
	return 1;
}

static int unbind_cgroup(struct kk_maps *m, const struct kk_unbind_req *r,
			 struct kk_unbind_res *res, struct kk_error *e)
{
	struct cgroup_find f = { 0 };
	uint32_t slot, level;
	char why[300], what[32];
	int err;

	err = kk_cgroup_resolve(r->cgroup, &f.id, &level, why, sizeof(why));
	if (err) {
		kk_error_split(e, -EINVAL, why);
		if (err == -ENOENT)
			snprintf(e->why + strlen(e->why), sizeof(e->why) - strlen(e->why),
				 " (the binding of a removed cgroup ends by itself at the next "
				 "status, bind or daemon check)");
		return -EINVAL;
	}
	/* A slot that cannot be read is taken as not this cgroup's: "not bound", nothing ends. */
	if (kk_maps_each_binding(m, find_cgroup, &f) != 1)
		return kk_error_set(e, -ENOENT, NULL, "cgroup %s is not bound", r->cgroup);
	slot = f.slot;
	res->slot = slot;
	err = kk_maps_cgroup_del(m, f.id) ?: kk_unbind_slot(m, slot, "unbind");
	err = err ?: kk_maps_cgroup_levels(m);
	if (err) {
		snprintf(what, sizeof(what), "binding %u", slot);
		return kk_error_set(e, err, what, "%s", strerror(-err));
	}
	res->n = 1;
	return 0;
}

struct serial_ctx {
	const struct kk_unbind_req *r;
	struct kk_unbind_res *res;
	struct kk_error *e;
	int last;
};

/* End binding rec if its certificate has the serial (any issuer). */
static int unbind_of_serial(struct kk_maps *m, const struct kk_binding_rec *rec, void *ctx)
{
	struct serial_ctx *c = ctx;
	const struct kk_ident_key *k = &rec->ident.key;
	char what[32];
	int err;

	if (!rec->ident_ok || k->serial_len != c->r->serial_len ||
	    memcmp(k->serial, c->r->serial, c->r->serial_len))
		return 0;
	/* Go on with the others: each ended binding is one less the agent runs under. */
	err = kk_unbind_slot(m, rec->slot, "unbind");
	if (err) {
		snprintf(what, sizeof(what), "binding %u", rec->slot);
		c->last = kk_error_set(c->e, err, what, "%s", strerror(-err));
	}
	c->res->slot = rec->slot;
	c->res->n++;
	return 0;
}

static int unbind_serial(struct kk_maps *m, const struct kk_unbind_req *r,
			 struct kk_unbind_res *res, struct kk_error *e)
{
	struct serial_ctx c = { r, res, e, 0 };

	/* A slot that cannot be read is not ended; the others are. */
	kk_maps_each_binding(m, unbind_of_serial, &c);
	if (!res->n)
		return kk_error_set(e, -ENOENT, NULL, "no binding of certificate serial %s",
				    r->serial_hex);
	return c.last;
}

int kk_op_unbind(const struct kk_unbind_req *r, struct kk_unbind_res *res, struct kk_error *e)
{
	struct kk_maps m;
	int err;

	memset(res, 0, sizeof(*res));
	err = kk_op_open(&m, true, e);
	if (err)
		return err;
	if (r->by == KK_UNBIND_PID)
		err = unbind_pid(&m, r, res, e);
	else if (r->by == KK_UNBIND_CGROUP)
		err = unbind_cgroup(&m, r, res, e);
	else
		err = unbind_serial(&m, r, res, e);
	kk_maps_close(&m);
	return err;
}
