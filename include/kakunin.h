/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kakunin.h — the ABI shared by the BPF programs and the loader. Every verdict, event type,
 * limit and map value layout is defined here once; both sides include this file and nothing
 * else is copied by hand. Fixed-width types, explicit padding, sizes pinned by _Static_assert so
 * a change on one side cannot silently misread the other.
 */
#ifndef KAKUNIN_H
#define KAKUNIN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Where `load` pins everything; later commands reopen these paths. */
#define KK_PIN_ROOT "/sys/fs/bpf/kakunin"

/* Longest path the kernel resolves and reports (PATH_MAX, including the NUL). */
#define KK_PATH_MAX 4096
/* Longest --deny-prefix, including the NUL (walking skeleton, see struct kk_binding). */
#define KK_PREFIX_MAX 256
#define KK_COMM_LEN   16

/* Access bits, ours rather than the kernel's f_mode so policy and events share them. */
#define KK_ACCESS_READ	0x1u
#define KK_ACCESS_WRITE 0x2u
#define KK_ACCESS_EXEC	0x4u

/* Binding states; anything but ACTIVE denies every scoped action. */
enum kk_state {
	KK_STATE_ACTIVE = 0,
	KK_STATE_REVOKED = 1,
	KK_STATE_BLOCKED = 2,
	KK_STATE_OUTSIDE_HOURS = 3,
};

enum kk_event_type {
	KK_EV_ACTION_ALLOWED = 1,
	KK_EV_ACTION_DENIED = 2,
	KK_EV_ACTION_AUDITED = 3,
	KK_EV_AGENT_BOUND = 4,
	KK_EV_AGENT_UNBOUND = 5,
	KK_EV_AGENT_REVOKED = 6,
	KK_EV_AGENT_BLOCKED = 7,
	KK_EV_EVENTS_LOST = 8,
};

enum kk_hook {
	KK_HOOK_NONE = 0,
	KK_HOOK_FILE_OPEN = 1,
	KK_HOOK_TASK_ALLOC = 2,
	KK_HOOK_MAX,
};

/* Why a decision was taken; the text for each lives in user/events.c. */
enum kk_reason {
	KK_REASON_NONE = 0,
	KK_REASON_DENY_PREFIX = 1,     /* path under the binding's --deny-prefix */
	KK_REASON_PATH_UNRESOLVED = 2, /* bpf_d_path failed or too long: fail closed */
	KK_REASON_BINDING_MISSING = 3, /* task bound to an id with no binding entry */
	KK_REASON_NOT_ACTIVE = 4,      /* binding revoked, blocked or outside hours */
	KK_REASON_STORAGE_FULL = 5,    /* child could not inherit the binding: fork refused */
	KK_REASON_MAX,
};

/*
 * Counters of the kk_stats per-CPU array, summed by `status`. Every helper failure and every
 * fail-closed decision is counted, so nothing is dropped or denied without a trace.
 */
enum kk_stat {
	KK_STAT_EVENTS_LOST = 0,     /* ringbuf output failed: consumer reports events.lost */
	KK_STAT_PATH_FAIL = 1,	     /* bpf_d_path failed, access denied */
	KK_STAT_BINDING_MISSING = 2, /* bound task whose binding vanished, access denied */
	KK_STAT_INHERIT_FAIL = 3,    /* task storage for a child could not be created */
	KK_STAT_DENIED = 4,
	KK_STAT_MAX,
};

/* Value of the kk_task task-storage map: what a bound task carries and passes to children. */
struct kk_task {
	__u32 binding_id;
	__u32 flags;
};
_Static_assert(sizeof(struct kk_task) == 8, "kk_task layout");

/*
 * Value of the kk_bindings hash (key: __u32 binding id). The walking skeleton's rule set is a
 * single denied path prefix; the policy compiler replaces it with a policy id.
 */
struct kk_binding {
	__u32 state;	  /* enum kk_state */
	__u32 prefix_len; /* bytes in prefix, without the NUL */
	char prefix[KK_PREFIX_MAX];
};
_Static_assert(sizeof(struct kk_binding) == 8 + KK_PREFIX_MAX, "kk_binding layout");

/*
 * One ringbuf record. Only the used part of path[] is sent (header + path_len bytes), so short
 * paths cost little ring space; path_len counts the NUL.
 */
struct kk_event {
	__u64 ktime_ns; /* CLOCK_BOOTTIME; the consumer converts to wall clock */
	__u32 type;	/* enum kk_event_type */
	__u32 hook;	/* enum kk_hook */
	__u32 pid;	/* thread group id, as userspace sees a PID */
	__u32 tid;
	__u32 uid;
	__u32 binding_id;
	__u32 access; /* KK_ACCESS_* requested */
	__u32 reason; /* enum kk_reason */
	__s32 err;    /* errno returned to the task (positive), 0 when allowed */
	__u32 path_len;
	char comm[KK_COMM_LEN];
	char path[KK_PATH_MAX];
};
#define KK_EVENT_HDR_SIZE 64
_Static_assert(__builtin_offsetof(struct kk_event, path) == KK_EVENT_HDR_SIZE, "kk_event layout");
_Static_assert(sizeof(struct kk_event) == KK_EVENT_HDR_SIZE + KK_PATH_MAX, "kk_event size");

/*
 * Compiled policies (user/policy*.c produces them, the enforcement maps hold them). Bump
 * KK_RULESET_FORMAT whenever one of these layouts or meanings changes.
 */
#define KK_RULESET_FORMAT 1

/*
 * Path rules live in an LPM trie whose key data is at most 256 bytes: the policy id (4) and 252
 * path bytes. An exact rule "/etc/hosts" is stored as "/etc/hosts\0" and matches only that path;
 * a subtree rule ("/data/" followed by a star) as "/data/" plus "/data\0" for the directory
 * itself. Lookups use the resolved path with its NUL; a path longer than the key is looked up by
 * its first 252 bytes, which still finds the most specific subtree rule, as no rule is longer.
 */
#define KK_LPM_PATH_LEN 252
/* Longest path a rule may name: its key also needs the NUL or the '/'. */
#define KK_RULE_PATH_MAX (KK_LPM_PATH_LEN - 1)

struct kk_path_key {
	__u32 prefixlen;	/* bits of policy_id + path that must match */
	__u32 policy_id;	/* always matched in full: prefixlen >= 32 */
	__u8 path[KK_LPM_PATH_LEN];
};
_Static_assert(sizeof(struct kk_path_key) == 260, "kk_path_key layout");

#define KK_PATH_F_SUBTREE 0x1	/* "dir/": everything below dir */
#define KK_PATH_F_DIR_SELF 0x2	/* "dir\0" added for the directory of a subtree rule */
#define KK_PATH_F_PROC_SELF 0x4 /* "/proc/self/": the kernel maps /proc/<own tgid>/ onto it */

struct kk_path_val {
	__u8 perms;		/* KK_ACCESS_*; 0 = explicit deny */
	__u8 flags;		/* KK_PATH_F_* */
	__u16 rule;		/* index of the source rule, for events */
};
_Static_assert(sizeof(struct kk_path_val) == 4, "kk_path_val layout");

/*
 * Network rules: two LPM tries (allow, deny) keyed by policy id and a 128-bit address; IPv4 is
 * stored IPv4-mapped (::ffff:a.b.c.d) so a v4-mapped IPv6 destination meets the IPv4 rules.
 * The compiler folds every broader entry into the narrower ones it contains, so the single
 * longest match the kernel gets carries every port that applies.
 */
#define KK_NET_PORTS_MAX 16
struct kk_net_key {
	__u32 prefixlen;	/* 32 (policy id) + address prefix */
	__u32 policy_id;	/* always matched in full */
	__u8 addr[16];
};
_Static_assert(sizeof(struct kk_net_key) == 24, "kk_net_key layout");

struct kk_net_val {
	__u8 any_port;		/* every port matches */
	__u8 nports;		/* entries used in ports[] */
	__u16 pad;
	__u16 ports[KK_NET_PORTS_MAX]; /* host byte order */
};
_Static_assert(sizeof(struct kk_net_val) == 36, "kk_net_val layout");

#define KK_POL_AUDIT_MODE 0x1	/* log instead of deny */
#define KK_POL_AUDIT_ALL 0x2	/* also report allowed actions */
#define KK_POL_HAS_EXEC 0x4	/* an exec list exists: only listed files may run */
#define KK_POL_HAS_HOURS 0x8

/* Per-policy constants the hooks need besides the rules. */
struct kk_policy_consts {
	__u32 flags;			/* KK_POL_* */
	__u16 hours_start, hours_end;	/* minutes after 00:00 UTC */
	__u32 max_concurrent;		/* 0 = no limit */
	__u32 rate_count;		/* tokens per rate_period_s; 0 = no limit */
	__u32 rate_period_s;
	__u32 auto_revoke_max;		/* 0 = no tripwire */
	__u32 auto_revoke_window_s;
};
_Static_assert(sizeof(struct kk_policy_consts) == 28, "kk_policy_consts layout");

/* Default ring size: about a thousand path events before loss is counted. */
#define KK_RINGBUF_SIZE (4u << 20)

#endif /* KAKUNIN_H */
