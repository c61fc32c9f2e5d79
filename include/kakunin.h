/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kakunin.h — the ABI shared by the BPF programs and the loader: every map key and value
 * layout and the flags inside them, defined here once; the sizes, limits and enumerations they
 * are built from are in kakunin_limits.h. Both sides include this file and nothing else is
 * copied by hand. Fixed-width types, explicit padding, sizes pinned by _Static_assert so a change
 * on one side cannot silently misread the other; KK_ABI_SIZES and KK_RULESET_FORMAT make up the
 * stamp `load` pins in kk_config, so a build never reads maps pinned by another layout.
 */
#ifndef KAKUNIN_H
#define KAKUNIN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <linux/bpf.h> /* struct bpf_spin_lock */
#endif

#include "kakunin_limits.h"

/* Where `load` pins everything; later commands reopen these paths. */
#define KK_PIN_ROOT "/sys/fs/bpf/kakunin"

/* Value of the kk_task task-storage map: what a bound task carries and passes to children. */
struct kk_task {
	__u32 binding; /* slot in kk_bindings */
	__u32 gen;     /* must equal the slot's gen, else the binding has ended */
};
_Static_assert(sizeof(struct kk_task) == 8, "kk_task layout");

/* Identity key: (issuer, serial), as revocations name a certificate. */
struct kk_ident_key {
	__u8 issuer[KK_ISSUER_KEY_LEN]; /* first bytes of SHA-256 over the issuer name's DER */
	__u8 serial_len;
	__u8 serial[KK_SERIAL_MAX]; /* big-endian magnitude */
	__u8 pad[3];
};
_Static_assert(sizeof(struct kk_ident_key) == 32, "kk_ident_key layout");

/* Value of kk_idents[slot]. Revocation is one write of state, seen by every binding. */
struct kk_ident {
	__u32 state; /* enum kk_state */
	__u32 refs;  /* bindings using this slot (loader bookkeeping) */
	struct kk_ident_key key;
	char serial[KK_SERIAL_TEXT_SIZE]; /* lowercase hex, for events and status */
};
_Static_assert(sizeof(struct kk_ident) == 84, "kk_ident layout");

/* Value of kk_bindings[slot]. The text fields are for events and `status`, not decisions. */
#define KK_BIND_CGROUP 0x1
/*
 * With KK_BIND_CGROUP: the cgroup's tasks are adopted only at their next execve, which is then
 * decided under the binding (oci-hook: the runtime's init finishes setting the container up
 * unbound, the container's command is bound from its first instruction). Programs older than
 * this flag adopt at the first hook instead: the runtime's init is then refused its mounts and
 * the container does not start (closed, not open), so the ABI stamp stays.
 */
#define KK_BIND_AT_EXEC 0x2
struct kk_binding {
	__u32 gen;    /* bumped whenever the slot is freed or reused */
	__u32 in_use; /* 0: free; a task whose gen matches a free slot is denied (fail closed) */
	__u32 ident;  /* slot in kk_idents */
	__u32 policy; /* slot in kk_policies */
	__u32 flags;  /* KK_BIND_* */
	__u32 pid;    /* the bound process (0 for a cgroup) */
	__u64 cgroup_id;
	__u64 bound_at; /* CLOCK_REALTIME seconds */
	char agent_id[KK_AGENT_ID_SIZE];
	char policy_version[KK_POLICY_VERSION_SIZE];
	__u32 cgroup_level; /* depth of cgroup_id below the cgroup2 root */
};
_Static_assert(sizeof(struct kk_binding) == 176, "kk_binding layout");

/*
 * Value of kk_runtime[slot], per binding: the rate_limit token bucket, live outbound
 * connections and the auto_revoke window, updated under the lock by the hooks only.
 */
struct kk_runtime {
	struct bpf_spin_lock lock;
	__u32 live_conns;
	__u64 tokens;
	__u64 refill_ns;       /* bpf_ktime_get_ns of the last whole token added */
	__u64 window_start_ns; /* auto_revoke: start of the current window */
	__u32 window_denials;
	__u32 gen; /* binding gen these values belong to; reset when it differs */
};
_Static_assert(sizeof(struct kk_runtime) == 40, "kk_runtime layout");

/*
 * Value of kk_revoked (key: struct kk_ident_key; an all-zero issuer matches every issuer): the
 * revocation list. `bind` refuses listed certificates; `load` refills it from the state file.
 */
struct kk_revocation {
	__u64 revoked_at; /* CLOCK_REALTIME seconds */
	__u32 source;	  /* enum kk_rev_source */
	__u32 pad;
	char reason[KK_REV_REASON_SIZE];
};
_Static_assert(sizeof(struct kk_revocation) == 80, "kk_revocation layout");

/*
 * kk_config[0]: global settings the loader keeps current, and the ABI stamp of the build that
 * created the maps (format, layout: see KK_ABI_SIZES). Maps pinned before the stamp existed
 * have a 24-byte value, which no stamp comparison can mistake for this one.
 */
struct kk_config {
	__s64 tai_offset_ns; /* CLOCK_TAI - CLOCK_REALTIME, for allowed_hours in UTC */
	__u64 cgroup_levels; /* bit n: some bound cgroup is at hierarchy level n */
	__u32 pending;	     /* processes being bound right now (kk_pending entries) */
	__u32 format;	     /* KK_RULESET_FORMAT; written once, by the load that pins the maps */
	__u32 layout;	     /* hash of KK_ABI_SIZES; written with format */
	__u32 pad;
};
_Static_assert(sizeof(struct kk_config) == 32, "kk_config layout");

/*
 * Value of kk_pending (key: tgid) and kk_cgroups (key: cgroup id): the binding a task of that
 * process, or of that cgroup, takes on when it has none.
 */
struct kk_mark {
	__u32 binding;
	__u32 gen;
};
_Static_assert(sizeof(struct kk_mark) == 8, "kk_mark layout");

/* kk_bindreq[0]: what the kk_bind_iter task iterator marks on its next run. */
#define KK_BINDREQ_TREE 0x1 /* also every descendant process of tgid */
/*
 * kk_pending key of the root of a --tree bind: its tgid with this bit (a tgid is at most
 * 2^22). A fork anywhere below that root while the bind runs gives the child the binding.
 */
#define KK_PENDING_TREE 0x80000000u
struct kk_bindreq {
	__u32 tgid;
	__u32 binding;
	__u32 gen;
	__u32 flags;
	__u32 marked;	/* out: tasks marked by the last run */
	__u32 too_deep; /* out: processes more than KK_TREE_DEPTH below the root (unmarked) */
};
_Static_assert(sizeof(struct kk_bindreq) == 24, "kk_bindreq layout");

/*
 * An entry of kk_files: a file opened (or first used) under a binding and decided then. A bound
 * task's read, write or mapping of any other file is decided on the file's path first, so
 * descriptors opened before `bind`, inherited or installed from outside do not carry access the
 * policy would not give. kk_files is an array indexed by a hash of the struct file's address
 * (kk_files_slot): a newer file that hashes to the same slot displaces the mark, and the older
 * file is decided on its path again at its next use — slower, never wider. The inode (address
 * and number) is kept too: a struct file freed and reallocated at the same address for another
 * file does not match, so no hook has to run when files are freed.
 */
struct kk_file_mark {
	__u64 file;  /* struct file address: whose mark this slot holds */
	__u64 inode; /* struct inode address */
	__u64 ino;
	__u32 binding;
	__u32 gen;
	__u32 access; /* KK_ACCESS_* that were decided */
	__u32 seq;    /* odd while a hook rewrites the slot: readers take no lock */
};
_Static_assert(sizeof(struct kk_file_mark) == 40, "kk_file_mark layout");

/*
 * Value of kk_pcache (inode storage): the path decision file_open last made for this inode,
 * valid only while everything the path and the rule depended on is unchanged — the dentry and
 * its rename count (d_seq), the mount, the task's root, its mount namespace and that namespace's
 * mount-tree event count, the policy slot, and two epochs of kk_pcache_ctl (a directory renamed
 * anywhere; that slot's rules rewritten). Only what was allowed is kept; a denial is always
 * decided (and reported) again.
 */
struct kk_pcache {
	__u64 dentry, mnt;	     /* struct dentry, struct vfsmount addresses */
	__u64 root_dentry, root_mnt; /* the task's root, which d_path is relative to */
	__u64 ns_seq, ns_event;	     /* mnt_namespace: unique number, mount-tree event count */
	__u64 dir_epoch,
		policy_epoch;	   /* kk_pcache_ctl[KK_PCACHE_DIR_EPOCH], [_POLICY_EPOCH + slot] */
	__u32 d_seq;		   /* dentry->d_seq when the path was read (even) */
	__u16 policy;		   /* policy slot (< KK_MAX_POLICIES) */
	__u16 allowed;		   /* KK_ACCESS_* decided allowed */
	__u32 seq;		   /* odd while a fill rewrites the entry: readers take no lock */
	struct bpf_spin_lock lock; /* two CPUs filling one inode never mix their entries */
};
_Static_assert(sizeof(struct kk_pcache) == 80, "kk_pcache layout");

/* kk_pcache_ctl: an array of __u64, one entry each, each with a single writer. */
enum kk_pcache_ctl_idx {
	KK_PCACHE_DIR_EPOCH = 0, /* +1 after any directory is renamed (programs) */
	KK_PCACHE_MODE = 1,	 /* enum kk_pcache_mode (the loader) */
	/* + policy slot: +1 after that slot's kk_paths entries changed (the loader, locked) */
	KK_PCACHE_POLICY_EPOCH = 2,
	KK_PCACHE_CTL_MAX = KK_PCACHE_POLICY_EPOCH + KK_MAX_POLICIES,
};

/*
 * kk_ctl: an array of __u64 switches, each written by the loader only. KK_CTL_MAX leaves room
 * for switches to come without a new map layout (load --upgrade keeps the map).
 */
enum kk_ctl_idx {
	/* kk_conns may hold sockets without storage: fentry/sk_destruct looks every socket up */
	KK_CTL_CONNS_UNMARKED = 0,
	KK_CTL_MAX = 8,
};

/* How file_open uses kk_pcache. On is 0: a fresh load caches. */
enum kk_pcache_mode {
	KK_PCACHE_ON = 0,     /* a valid entry decides an allowed open */
	KK_PCACHE_OFF = 1,    /* never read nor filled */
	KK_PCACHE_SHADOW = 2, /* every hit is decided again; a difference is counted */
	KK_PCACHE_MODE_MAX,
};

/*
 * Value of kk_socks (socket storage, cloned to accepted sockets): the binding whose task made
 * the socket, and the last peer decided for it under that binding. (Callers of a unix listener
 * are attested by kk_peers, struct kk_peer below, not by this.)
 */
#define KK_SOCK_OWN	  0x1 /* created by a task of (binding, gen) */
#define KK_SOCK_PEER_OK	  0x2 /* peer_* was decided allowed under (binding, gen) */
#define KK_SOCK_LISTEN_OK 0x4 /* the bound port was allowed by network_rules.listen */
struct kk_sock {
	__u32 binding;
	__u32 gen;
	__u32 flags; /* KK_SOCK_* */
	__u16 peer_port;
	__u8 peer_family;
	__u8 pad;
	__u8 peer_addr[16];
};
_Static_assert(sizeof(struct kk_sock) == 32, "kk_sock layout");

/*
 * Value of kk_peers (socket storage): written by lsm/unix_stream_connect, and for TCP to this
 * host by lsm/inet_csk_clone (from kk_tcp_pending, same value), on the socket that the
 * listener's accept() returns, when a bound task's connect to it was allowed — the caller's
 * binding as it was at that instant. The signer reads it by the accepted socket's fd (no PID
 * lookup after the fact, so PID reuse cannot name another task) and checks that (binding, gen)
 * is still in use, then the binding's identity and state. Never written for unbound callers,
 * denied connects, socketpair() or datagram sockets.
 */
struct kk_peer {
	__u32 binding; /* slot in kk_bindings */
	__u32 gen;     /* that slot's gen at the connect */
	__u32 tgid;    /* the connecting process, as its PID namespace's root sees it */
	__u32 pad;
	__u64 connected_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) of the connect */
};
_Static_assert(sizeof(struct kk_peer) == 24, "kk_peer layout");

/* Value of kk_live[slot]: tasks alive under a binding (its gen), kept by the hooks. */
struct kk_live {
	__u32 gen;
	__s32 tasks;
};
_Static_assert(sizeof(struct kk_live) == 8, "kk_live layout");

/* Key of kk_exec: an exec-list entry of a policy, the resolved path with its NUL. */
struct kk_exec_key {
	__u32 policy;
	char path[KK_EXEC_PATH_LEN];
};
_Static_assert(sizeof(struct kk_exec_key) == 256, "kk_exec_key layout");

/*
 * One ringbuf record. Only the used part of path[] is sent (header + path_len bytes), so short
 * paths cost little ring space. path_len counts the NUL; for link and rename path[] holds the
 * target path, a NUL, then the source path at path2_off. A hook's event then carries the
 * executable of the task (as bpf_d_path gave it at its last exec, NUL-terminated, at most
 * KK_EXE_PATH_MAX bytes): exe_len bytes at path[max(path, 1)], where path is the length before
 * it (an empty path is one NUL, so the executable never starts at 0), and path_len counts them
 * too. exe_len 0: not known (the task has not exec'd since it was bound, or a softirq event).
 */
struct kk_event {
	__u64 ktime_ns; /* CLOCK_BOOTTIME; the consumer converts to wall clock */
	__u32 type;	/* enum kk_event_type */
	__u32 hook;	/* enum kk_hook */
	__u32 pid;	/* thread group id, as userspace sees a PID */
	__u32 tid;
	__u32 uid;
	__u32 binding; /* slot in kk_bindings */
	__u32 gen;     /* of that slot, so a reused slot is not misattributed */
	__u32 access;  /* KK_ACCESS_* requested */
	__u32 reason;  /* enum kk_reason */
	__s32 err;     /* errno returned to the task (positive), 0 when allowed */
	__u32 path_len;
	__u16 path2_off; /* 0: no second path */
	__u16 port;	 /* network: destination port, host order */
	__u8 family;	 /* network: AF_INET or AF_INET6 (addr is IPv4-mapped for AF_INET) */
	__u8 protocol;	 /* network: IPPROTO_TCP, IPPROTO_UDP, ... */
	__u16 exe_len;	 /* the task's executable: its last exe_len bytes of path_len (below) */
	__u32 count; /* events.lost: how many; task_kill/ptrace: target pid; capable: cap;
		      * bpf: command; locked_down: reason; task_kill: signal in port;
		      * file_fcntl: F_SETOWN's pid, signal in port; file_ioctl: command */
	__u8 addr[16];
	char comm[KK_COMM_LEN];
	char path[KK_PATH_MAX];
};
#define KK_EVENT_HDR_SIZE 96
_Static_assert(__builtin_offsetof(struct kk_event, path) == KK_EVENT_HDR_SIZE, "kk_event layout");
_Static_assert(sizeof(struct kk_event) == KK_EVENT_HDR_SIZE + KK_PATH_MAX, "kk_event size");

/*
 * Compiled policies (user/policy*.c produces them, the enforcement maps hold them).
 *
 * Path rules live in an LPM trie whose key data is at most 256 bytes: the policy id (4) and
 * KK_LPM_PATH_LEN path bytes. An exact rule "/etc/hosts" is stored as "/etc/hosts\0" and matches
 * only that path; a subtree rule ("/data/" followed by a star) as "/data/" plus "/data\0" for the
 * directory itself. Lookups use the resolved path with its NUL; a path longer than the key is
 * looked up by its first KK_LPM_PATH_LEN bytes, which still finds the most specific subtree rule,
 * as no rule is longer (KK_RULE_PATH_MAX).
 */
struct kk_path_key {
	__u32 prefixlen; /* bits of policy_id + path that must match */
	__u32 policy_id; /* always matched in full: prefixlen >= 32 */
	__u8 path[KK_LPM_PATH_LEN];
};
_Static_assert(sizeof(struct kk_path_key) == 260, "kk_path_key layout");

#define KK_PATH_F_SUBTREE   0x1 /* "dir/": everything below dir */
#define KK_PATH_F_DIR_SELF  0x2 /* "dir\0" added for the directory of a subtree rule */
#define KK_PATH_F_PROC_SELF 0x4 /* "/proc/self/": the kernel maps /proc/<own tgid>/ onto it */

struct kk_path_val {
	__u8 perms; /* KK_ACCESS_*; 0 = explicit deny */
	__u8 flags; /* KK_PATH_F_* */
	__u16 rule; /* index of the source rule, for events */
};
_Static_assert(sizeof(struct kk_path_val) == 4, "kk_path_val layout");

/*
 * Network rules: two LPM tries (allow, deny) keyed by policy id and a 128-bit address; IPv4 is
 * stored IPv4-mapped (::ffff:a.b.c.d) so a v4-mapped IPv6 destination meets the IPv4 rules.
 * The compiler folds every broader entry into the narrower ones it contains, so the single
 * longest match the kernel gets carries every port that applies.
 */
struct kk_net_key {
	__u32 prefixlen; /* 32 (policy id) + address prefix */
	__u32 policy_id; /* always matched in full */
	__u8 addr[16];
};
_Static_assert(sizeof(struct kk_net_key) == 24, "kk_net_key layout");

#define KK_NET_F_BASELINE 0x1 /* only the baseline (DNS) allows this: exempt from limits */
struct kk_net_val {
	__u8 any_port; /* every port matches */
	__u8 nports;   /* entries used in ports[] */
	__u8 flags;    /* KK_NET_F_* */
	__u8 pad;
	__u16 ports[KK_NET_PORTS_MAX]; /* host byte order */
};
_Static_assert(sizeof(struct kk_net_val) == 36, "kk_net_val layout");

#define KK_POL_AUDIT_MODE 0x1 /* log instead of deny */
#define KK_POL_AUDIT_ALL  0x2 /* also report allowed actions */
#define KK_POL_HAS_EXEC	  0x4 /* an exec list exists: only listed files may run */
#define KK_POL_HAS_HOURS  0x8
/*
 * Sockets a bound task may create beyond inet/inet6/unix: network_rules.allowed_socket_types
 * (raw and packet also lift the CAP_NET_RAW refusal they need), and with the baseline,
 * NETLINK_ROUTE, which glibc's getaddrinfo(AI_ADDRCONFIG) opens to list the host's addresses.
 */
#define KK_POL_SOCK_SHIFT    4
#define KK_POL_SOCK_RAW	     0x10
#define KK_POL_SOCK_PACKET   0x20
#define KK_POL_SOCK_NETLINK  0x40
#define KK_POL_NETLINK_ROUTE 0x80
#define KK_POL_SOCK_SCTP     0x100 /* allowed_socket_types "sctp": every address still decided */
#define KK_POL_ALLOW_JIT     0x200 /* "allow_jit": anonymous memory may be made executable */
#define KK_POL_IPC_NONE	     0x400 /* "ipc": "none": no System V IPC or keys, not even its own */

/* Per-policy constants the hooks need besides the rules. */
struct kk_policy_consts {
	__u32 flags;		      /* KK_POL_* */
	__u16 hours_start, hours_end; /* minutes after 00:00 UTC */
	__u32 max_concurrent;	      /* 0 = no limit */
	__u32 rate_count;	      /* tokens per rate_period_s; 0 = no limit */
	__u32 rate_period_s;
	__u32 auto_revoke_max; /* 0 = no tripwire */
	__u32 auto_revoke_window_s;
};
_Static_assert(sizeof(struct kk_policy_consts) == 28, "kk_policy_consts layout");

/* Value of kk_policies[slot]: what the hooks read, and the loader's bookkeeping. */
struct kk_policy_slot {
	struct kk_policy_consts consts;
	__u32 refs;    /* bindings using this slot; 0 = free */
	__u8 hash[KK_POLICY_HASH_LEN]; /* policy hash, so binding the same policy again shares the slot */
};
_Static_assert(sizeof(struct kk_policy_slot) == 64, "kk_policy_slot layout");

/*
 * The ABI stamp. KK_RULESET_FORMAT is bumped by hand whenever a layout above or the meaning of a
 * field or flag changes; KK_ABI_SIZES lists every layout and table size the pinned maps depend
 * on, and the loader hashes it (user/abi.c), so a size change is caught even when the bump is
 * forgotten. A struct added above belongs in this list.
 */
#define KK_RULESET_FORMAT 2 /* 2: kk_event.exe_len */
#define KK_ABI_SIZES                                                                               \
	sizeof(struct kk_task), sizeof(struct kk_ident_key), sizeof(struct kk_ident),              \
		sizeof(struct kk_binding), sizeof(struct kk_runtime),                              \
		sizeof(struct kk_revocation), sizeof(struct kk_config), sizeof(struct kk_mark),    \
		sizeof(struct kk_bindreq), sizeof(struct kk_file_mark), sizeof(struct kk_sock),    \
		sizeof(struct kk_peer), sizeof(struct kk_pcache), KK_PCACHE_CTL_MAX,               \
		sizeof(struct kk_live), sizeof(struct kk_exec_key), KK_EVENT_HDR_SIZE,             \
		sizeof(struct kk_path_key), sizeof(struct kk_path_val), sizeof(struct kk_net_key), \
		sizeof(struct kk_net_val), sizeof(struct kk_policy_consts),                        \
		sizeof(struct kk_policy_slot), KK_PATH_MAX, KK_MAX_BINDINGS, KK_MAX_IDENTS,        \
		KK_MAX_POLICIES, KK_MAX_PATH_ENTRIES, KK_MAX_NET_ENTRIES, KK_MAX_EXEC_ENTRIES,     \
		KK_MAX_CONNS, KK_MAX_FILES, KK_MAX_OBJS, KK_MAX_PENDING, KK_MAX_CGROUPS,           \
		KK_REVOKED_MAX, KK_HOOK_SLOTS, KK_STAT_MAX, KK_EXE_PATH_MAX, KK_MAX_STDIO

#endif /* KAKUNIN_H */
