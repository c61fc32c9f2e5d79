/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * op — the operations behind the commands, between argv and the maps. Each takes a request,
 * fills a result and, on failure, one error record (error.h), and prints nothing: the command
 * renders the result as text or JSON and prints the record once. The *_req_init functions turn
 * the command's option strings into a request; they touch no kernel state, so they are what
 * the unit tests check.
 */
#ifndef KK_OP_H
#define KK_OP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "error.h"
#include "hooks.h"
#include "kakunin.h"
#include "loss.h"
#include "maps.h"
#include "revoke.h"

struct kk_bind_req;
struct kk_maps;

/*
 * Whether an identity in state (of certificate serial) may have a binding put on it or moved
 * off it: 0 when active, else -EACCES and e, worded as bind words it ("certificate serial S is
 * revoked"); what (may be NULL) names the binding concerned.
 */
int kk_ident_state_check(uint32_t state, const char *serial, const char *what, struct kk_error *e);

/* --- unbind (op_unbind.c) --- */

enum kk_unbind_by { KK_UNBIND_PID, KK_UNBIND_CGROUP, KK_UNBIND_SERIAL };

struct kk_unbind_req {
	enum kk_unbind_by by;
	int pid;
	const char *cgroup;
	uint8_t serial[KK_SERIAL_MAX];
	size_t serial_len;
	char serial_hex[41]; /* canonical: lowercase, no colons */
};

struct kk_unbind_res {
	int n;	       /* bindings ended */
	uint32_t slot; /* the (last) one */
};

/* Exactly one of pid, cgroup, serial (the option values, NULL when absent). -EINVAL and e. */
int kk_unbind_req_init(struct kk_unbind_req *r, const char *pid, const char *cgroup,
		       const char *serial, struct kk_error *e);
int kk_op_unbind(const struct kk_unbind_req *r, struct kk_unbind_res *res, struct kk_error *e);

/* --- status (op_status.c) --- */

struct kk_status_req {
	/*
	 * End the bindings whose processes have all exited (and of removed cgroups) before
	 * reading, under the maps lock: a write. See op_status.c for why status does it.
	 */
	bool reap;
	/*
	 * Only what the metrics need (metrics.h): no processes (no walk of /proc), no hook
	 * coverage (no parse of the kernel's BTF), no revocation list.
	 */
	bool counters_only;
};

struct kk_status_binding {
	uint32_t slot;
	struct kk_binding b; /* text fields NUL-terminated */
	char serial[KK_SERIAL_TEXT_SIZE];
	uint32_t state; /* enum kk_state */
	bool audit;	/* the policy's mode */
	uint8_t policy_hash[32];
	int64_t not_after; /* the certificate's, Unix seconds, from the binding's record; 0: unknown */
	int *pids; /* thread-group leaders carrying a live mark of slot */
	size_t n_pids;
	uint64_t (*counts)[2]; /* [KK_HOOK_SLOTS][allowed, denied] */
};

struct kk_status {
	/* false when nothing is pinned: reason says so, and nothing below is filled. */
	bool loaded;
	char reason[400];
	int programs;		 /* pinned links */
	struct kk_hooks_cov cov; /* the manifest's coverage of this kernel */
	struct kk_status_binding *bindings;
	size_t n;
	struct cJSON *revocations; /* kk_revocations_json's array */
	__u64 stats[KK_STAT_MAX];
	uint64_t ring_used, ring_size; /* the event ring: bytes not yet consumed, its size */
	/* The daemon's account of the records it consumed (loss.h), as last saved; none: false */
	bool has_records;
	struct kk_records records;
};

/*
 * The status model. Not loaded (nothing pinned) is a result, not an error: s->loaded false
 * and s->reason. -errno and e otherwise (not root, pins of another ABI, out of memory).
 */
int kk_op_status(const struct kk_status_req *r, struct kk_status *s, struct kk_error *e);
void kk_status_free(struct kk_status *s);

/* --- health (op_health.c) --- */

struct kk_health_req {
	const char *socket; /* the daemon's events socket; NULL: do not ask the daemon */
	int timeout_ms;	    /* how long the daemon has to answer */
};

struct kk_health {
	bool loaded;	  /* maps pinned and of this build's ABI stamp */
	int programs;	  /* pinned links */
	bool asked;	  /* the daemon was asked (req->socket, and the kernel side was fine) */
	bool daemon;	  /* it answered */
	bool ready;	  /* loaded, programs attached, and the daemon answered if asked */
	char reason[480]; /* when not ready: the first check that failed, one line */
};

/* The checks of `health`. Not ready is a result; -errno and e only when not root. */
int kk_op_health(const struct kk_health_req *r, struct kk_health *h, struct kk_error *e);

/* --- rotate (op_rotate.c) --- */

struct kk_rotate_req {
	struct kk_ident_key old; /* issuer zero: any issuer, unless issuer is given */
	char old_serial[KK_SERIAL_TEXT_SIZE];
	const char *cert, *ca, *issuer;
	long grace; /* seconds; 0: revoke the old certificate at once */
};

struct kk_rotate_res {
	int moved;
	char new_serial[KK_SERIAL_TEXT_SIZE];
	char warning[640]; /* not fatal (an event that could not be sent, a record not updated); "" */
};

/* Check the option values (grace may be NULL) into r. -EINVAL and e. */
int kk_rotate_req_init(struct kk_rotate_req *r, const char *serial, const char *cert,
		       const char *grace, struct kk_error *e);
int kk_op_rotate(const struct kk_rotate_req *r, struct kk_rotate_res *res, struct kk_error *e);
/* rotate --watch, before it waits: can rotations work at all (root, maps loaded)? -errno, e */
int kk_rotate_ready(struct kk_error *e);

/* --- bind and run (op_bind.c) --- */

struct kk_bind_req;

/* The option values of `bind` and `run` (NULL or false when absent). */
struct kk_bind_opts {
	const char *pid, *cgroup; /* bind: exactly one; run: neither (the child is bound) */
	const char *cert, *policy, *ca, *region;
	bool tree, offline;
	bool replace, watch; /* bind only: --replace, --watch */
	bool run; /* for `run`: no --pid, --cgroup or --tree */
};

/* Check the option values into r (bind.h's request, zeroed first). -EINVAL and e. */
int kk_bind_req_init(struct kk_bind_req *r, const struct kk_bind_opts *o, struct kk_error *e);
/*
 * bind: root, the cgroup resolved, then verify and compile (kk_bind_prepare), then the process
 * opened by pidfd (kk_open_target) and bound, or the cgroup. r stays prepared for the command
 * to print (its policy errors too, in r->perrs); kk_bind_release frees it. -errno and e.
 */
int kk_op_bind(struct kk_bind_req *r, struct kk_error *e);
/* run, before the fork: root, then verify and compile. -errno and e. */
int kk_op_bind_prepare(struct kk_bind_req *r, struct kk_error *e);
/* run, after it: bind the child pid (waiting on its pipe) through a pidfd. -errno and e. */
int kk_op_bind_child(struct kk_bind_req *r, int pid, struct kk_error *e);
/* A pidfd for pid after refusing PID 1, ourselves, kernel threads. -errno and e. */
int kk_open_target(int pid, int *pidfd, struct kk_error *e);

/* --- bind --replace (op_replace.c) --- */

struct kk_replace_res {
	bool unchanged; /* the binding had this policy already: nothing written but the record */
	char old_version[KK_POLICY_VERSION_SIZE];
	char old_hash[65];
	char warning[640]; /* replaced; the record or the event did not follow; "" */
};

/*
 * bind --replace: the binding that process r->pid carries, or cgroup r->cgroup's, gets the
 * policy r->policy; the identity stays (r->cert, when given, must be the binding's certificate;
 * else the binding's copy in the state directory is verified). The new policy is installed in a
 * policy slot, the binding switched to it in one map write, the old slot released: its tasks
 * never run without a policy in force, and a failure leaves the old one in force. r is
 * prepared as for bind (r->pol, r->id, r->perrs to print); kk_bind_release frees it.
 */
int kk_op_replace(struct kk_bind_req *r, struct kk_replace_res *res, struct kk_error *e);
/*
 * The switch itself, for the daemon's --watch (maps locked by the caller): binding slot, which
 * must still be of generation gen, gets the policy r prepared (kk_bind_prepare). The state
 * record follows (r->watch is the file it follows from now on). -errno and e.
 */
int kk_replace_slot(struct kk_maps *m, struct kk_bind_req *r, uint32_t slot, uint32_t gen,
		    struct kk_replace_res *res, struct kk_error *e);
/* --watch FILE: FILE made absolute (symlinks kept) into buf. -errno. */
int kk_watch_path(const char *file, char *buf, size_t len);

/* --- revoke (op_revoke.c) --- */

/* The option values of `revoke` (NULL or false when absent). */
struct kk_revoke_opts {
	const char *serial, *issuer, *reason;
	const char *crl, *ca;
	bool kill, no_stop;
};

struct kk_revoke_op_req {
	/* --serial: key (the op adds the issuer's), canonical serial, reason, what the tasks get */
	struct kk_revoke_req rev;
	const char *issuer; /* CA certificate naming the issuer; NULL: the serial of any issuer */
	const char *crl;    /* import this CRL instead of one serial */
	const char *ca;	    /* the CRL's CA bundle; NULL: KK_DEFAULT_CA */
};

struct kk_revoke_op_res {
	int bindings;	 /* bindings revoked */
	int tasks;	 /* processes stopped or killed */
	size_t imported; /* --crl: the CRL's entries, all recorded */
	uint64_t flipped_ns; /* --serial: CLOCK_MONOTONIC when the map writes had returned */
};

/* Check the option values into r (exactly one of serial and crl, ...). -EINVAL and e. */
int kk_revoke_op_req_init(struct kk_revoke_op_req *r, const struct kk_revoke_opts *o,
			  struct kk_error *e);
int kk_op_revoke(const struct kk_revoke_op_req *r, struct kk_revoke_op_res *res,
		 struct kk_error *e);
/*
 * The maps a revocation reads and writes (kk_maps_open_some): the stamp, identities, the list;
 * the bindings and task marks for announcing and stopping.
 */
#define KK_REVOKE_MAPS                                                                   \
	(KK_MAP_BIT(KK_MAP_CONFIG) | KK_MAP_BIT(KK_MAP_IDENTS) | KK_MAP_BIT(KK_MAP_REVOKED) | \
	 KK_MAP_BIT(KK_MAP_BINDINGS) | KK_MAP_BIT(KK_MAP_TASK))
/*
 * The --serial revocation on maps m the caller opened (at least KK_REVOKE_MAPS; the daemon's):
 * the map writes first, without the maps lock, then the rest under it (taken and let go here).
 * known: NULL, or the caller's copy of the identity slots (kk_maps_idents_copy), to write the
 * slots it names before the whole table is read (res->flipped_ns is then taken after those).
 * -errno and e.
 */
int kk_op_revoke_on(struct kk_maps *m, const struct kk_revoke_op_req *r,
		    const struct kk_ident *known, struct kk_revoke_op_res *res, struct kk_error *e);
/*
 * Every entry of the verified CRL v[n] into the revocation list and onto any bound identity it
 * names (source crl, reason "crl: keyCompromise"...), tasks as given; with only_new, entries the
 * list already holds are left as they are (a CRL fetched again re-announces nothing). Counts
 * add up in res (imported: entries recorded). The caller holds the maps lock. -errno and e.
 */
struct kk_revoked;
int kk_revoke_crl_entries(struct kk_maps *m, const struct kk_revoked *v, size_t n,
			  enum kk_revoke_tasks tasks, bool only_new, struct kk_revoke_op_res *res,
			  struct kk_error *e);
/* "stop", "keep" or "kill": what the tasks of revoked bindings get, for JSON. */
const char *kk_revoke_tasks_name(enum kk_revoke_tasks t);

/* --- load and unload (op_load.c) --- */

struct kk_load_req {
	uint32_t ringbuf_size; /* bytes; 0: KK_RINGBUF_SIZE (with upgrade: the pinned ring's) */
	bool upgrade;	       /* replace loaded programs by this build's (nothing loaded: load) */
	int pcache_mode;   /* enum kk_pcache_mode to set; -1: a fresh load's default, else kept */
	bool pcache_given; /* pcache_mode came from --path-cache: set even when already loaded */
};

struct kk_load_res {
	bool already;	   /* a complete earlier load is still pinned: nothing changed */
	bool no_lsm;	   /* on failure: this kernel cannot run BPF-LSM programs (exit 3) */
	bool upgraded;	   /* upgrade replaced a loaded build's programs (up holds what changed) */
	uint64_t took_us;  /* the whole operation */
	struct kk_maps_upgrade up;
	char warning[400]; /* not fatal (revocations not restored from disk); "" */
};

/* --ringbuf-size (may be NULL): a power of two from 4096 to 1 GiB. -EINVAL and e. */
int kk_load_req_init(struct kk_load_req *r, const char *ringbuf_size, struct kk_error *e);
/* --path-cache MODE (opt, may be NULL), else the default env (KAKUNIN_PATH_CACHE, may be NULL). */
int kk_load_req_pcache(struct kk_load_req *r, const char *opt, const char *env, struct kk_error *e);
int kk_op_load(const struct kk_load_req *r, struct kk_load_res *res, struct kk_error *e);

struct kk_unload_req {
	bool force; /* unload even while bindings are live */
};

struct kk_unload_res {
	bool was_loaded;
	int live; /* bindings that were live (only with force: otherwise refused) */
};

int kk_op_unload(const struct kk_unload_req *r, struct kk_unload_res *res, struct kk_error *e);

/* --- oci-hook (op_oci.c) --- */

struct kk_oci_hook_req {
	const char *text; /* the container state, as the runtime wrote it on stdin */
	size_t len;
	const char *config; /* the hook configuration; NULL: KK_OCI_CONFIG, which may be missing */
	const char *ca, *policy_dir, *cert_dir; /* options over the configuration's; or NULL */
};

struct kk_oci_hook_res {
	char id[256];	   /* the container id, for the error line; "" when unknown */
	bool acted;	   /* annotated, and bound: false is "not ours", exit 0 */
	char cgroup[PATH_MAX];
	char agent[KK_AGENT_ID_SIZE], serial[KK_SERIAL_TEXT_SIZE];
	uint32_t slot;
	char warning[PATH_MAX + 256]; /* bound; the state record failed (bind.h); "" */
};

/*
 * The OCI hook: the state parsed; a container without kakunin.io/agent-id is left alone (0,
 * acted false). Else the annotations resolved (oci.h), the certificate verified and the policy
 * compiled, the policy's agent_id matched to the annotation, and the init process's cgroup bound
 * at exec: the runtime's init finishes the container's setup unbound and the container's command
 * is bound from its execve on, with every process that later joins the cgroup (runc exec) at its
 * own. -errno and e; nothing bound then.
 */
int kk_op_oci_hook(const struct kk_oci_hook_req *r, struct kk_oci_hook_res *res,
		   struct kk_error *e);

/* --- shared by the operations (op.c) --- */

/* Why a command that opens the maps refused to run (cli.c's kk_require_root says the same). */
/*
 * The capabilities named are those of the shipped systemd unit (dist/kakunin-bpf.service,
 * CapabilityBoundingSet=): root with only these is enough. tests/cli/basics.bats keeps the two
 * in step.
 */
#define KK_NEED_ROOT                                                                     \
	"must run as root (the shipped systemd unit runs it as root with only CAP_BPF, " \
	"CAP_PERFMON, CAP_DAC_READ_SEARCH and CAP_KILL)"

struct kk_maps;
/* Root, the pinned maps open and, with lock, the bindings lock held. -errno and e. */
int kk_op_open(struct kk_maps *m, bool lock, struct kk_error *e);
/* The same with only the maps of mask open (kk_maps_open_some), without the lock. */
int kk_op_open_some(struct kk_maps *m, uint32_t mask, struct kk_error *e);

/* Parse a decimal PID (1..INT_MAX, digits only); -EINVAL otherwise. */
int kk_parse_pid(const char *s, int *pid);

#endif
