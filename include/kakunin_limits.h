/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kakunin_limits.h — every size, limit and enumeration the BPF programs, the loader and the
 * tests share, and nothing else: no layouts, no dependencies but <linux/types.h>, so any file
 * can include it without dragging in libbpf or the map layouts. include/kakunin.h holds the
 * layouts built from these numbers. A limit is defined here once; code names it, never repeats
 * its value.
 */
#ifndef KAKUNIN_LIMITS_H
#define KAKUNIN_LIMITS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Longest path the kernel resolves and reports (PATH_MAX, including the NUL). */
#define KK_PATH_MAX 4096
/* An executable's path in events (kk_exe): longer ones are not recorded (unknown, not cut). */
#define KK_EXE_PATH_MAX 256
#define KK_COMM_LEN 16

/*
 * Table sizes. Bindings, identities and policies live in arrays indexed by a slot the loader
 * allocates; `bind` fails with a clear error when one is full, the kernel never depends on room.
 */
#define KK_MAX_BINDINGS	    1024
#define KK_MAX_IDENTS	    1024
#define KK_MAX_POLICIES	    256
#define KK_MAX_PATH_ENTRIES 131072 /* all policies together */
#define KK_MAX_NET_ENTRIES  65536  /* per trie (allow, deny) */
#define KK_MAX_EXEC_ENTRIES 4096
#define KK_MAX_CONNS	    65536 /* live outbound sockets of bound tasks */
#define KK_FILES_BITS	    16 /* kk_files: 2^16 slots (a displaced file is decided again) */
#define KK_MAX_FILES	    (1 << KK_FILES_BITS)
#define KK_MAX_STDIO	    16384 /* kk_stdio: descriptors 0-2 of bound processes (LRU) */
#define KK_MAX_OBJS	    16384 /* System V IPC objects and keys created by bound tasks */
#define KK_MAX_TCP_PENDING  16384 /* kk_tcp_pending: TCP handshakes being attested (LRU) */
#define KK_CGROUP_LEVELS    12	  /* a bound cgroup is at most this deep (the root is level 0) */
#define KK_MAX_PENDING	    1024  /* kk_pending: processes being bound at once, --tree roots too */
#define KK_MAX_CGROUPS	    1024  /* kk_cgroups: bound cgroups */
#define KK_REVOKED_MAX	    65536 /* kk_revoked: the revocation list */
#define KK_TREE_DEPTH	    32	  /* generations below a --tree root that bind looks at */
#define KK_MAX_PROGRAMS	    256	  /* programs of one build: load --upgrade tracks them by name */
#define KK_PROG_NAME_SIZE   64	  /* a program's name as pinned (bpf_program__name), with NUL */

/*
 * Identity text. A serial is at most KK_SERIAL_MAX bytes of magnitude (RFC 5280); its lowercase
 * hex with the NUL needs KK_SERIAL_HEX_SIZE bytes, which the ABI's text fields round up to a
 * multiple of 4 (KK_SERIAL_TEXT_SIZE). The issuer key is the first bytes of SHA-256 over the
 * issuer name's DER.
 */
#define KK_SERIAL_MAX	    20
#define KK_SERIAL_HEX_SIZE  (2 * KK_SERIAL_MAX + 1)
#define KK_SERIAL_TEXT_SIZE 44
#define KK_ISSUER_KEY_LEN   8

/*
 * Policy text: agent_id and version are at most KK_POLICY_TEXT_MAX characters. The binding
 * keeps agent_id whole (KK_AGENT_ID_SIZE, NUL and padding included); its policy_version field
 * is KK_POLICY_VERSION_SIZE bytes, so a version of KK_POLICY_TEXT_MAX characters shows cut by
 * one in events and status.
 */
#define KK_POLICY_TEXT_MAX     64
#define KK_AGENT_ID_SIZE       68
#define KK_POLICY_VERSION_SIZE 64
#define KK_REV_REASON_SIZE     64 /* kk_revocation.reason, with its NUL */
/* The policy hash: SHA-256 of the canonical policy, bytes; as lowercase hex with its NUL. */
#define KK_POLICY_HASH_LEN     32
#define KK_POLICY_HASH_HEX     (2 * KK_POLICY_HASH_LEN + 1)

/* The signer (userspace only): the largest action payload it signs, and the largest compact
 * JWS that verify reads (payload, signature and an x5c chain of a few certificates). */
#define KK_SIGN_PAYLOAD_MAX 65536
#define KK_JWS_MAX	    262144
#define KK_SPIFFE_ID_MAX       2048 /* a policy's spiffe_id in bytes (SPIFFE standard); userspace */
/* A policy's "egress" section: at most this many upstreams, each one egress listener. */
#define KK_EGRESS_MAX 16
_Static_assert(KK_SERIAL_TEXT_SIZE >= KK_SERIAL_HEX_SIZE, "serial text holds the hex");
_Static_assert(KK_AGENT_ID_SIZE > KK_POLICY_TEXT_MAX, "binding holds a whole agent_id");

/*
 * Key custody: directories refused, with everything below them, to every bound task whatever
 * its policy grants (EPERM, reason "protected"): the signer's PEM keys and SoftHSM2's token
 * store. An X-macro, so the kernel's check (bpf/path.bpf.h) and userspace (the signer refusing a
 * key file elsewhere) use one list: KK_KEY_DIRS(X) expands X(dir) once per directory, each an
 * absolute path without a trailing slash.
 */
#define KK_KEY_DIRS(X) X("/etc/kakunin/keys") X("/var/lib/softhsm/tokens")

/* Access bits, ours rather than the kernel's f_mode so policy and events share them. */
#define KK_ACCESS_READ	0x1u
#define KK_ACCESS_WRITE 0x2u
#define KK_ACCESS_EXEC	0x4u

/* State of an identity (certificate); anything but ACTIVE denies every scoped action. */
enum kk_state {
	KK_STATE_ACTIVE = 0,
	KK_STATE_REVOKED = 1,
	KK_STATE_BLOCKED = 2, /* revocation status unknown and fail_open is false */
	KK_STATE_EXPIRED = 3, /* its not_after has passed (set by the daemon) */
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
	KK_EV_AGENT_WARNING = 9, /* e.g. revocation status unknown under fail_open */
	KK_EV_AGENT_EXPIRED = 10,  /* the daemon blocked an identity at its not_after */
	KK_EV_AGENT_EXPIRING = 11, /* not_after within the daemon's expiry_warning_seconds */
	KK_EV_ACTION_SIGNED = 12,  /* the signer signed an action for a bound caller */
	KK_EV_ACTION_REFUSED = 13, /* the signer or the egress refused (reason in the event) */
	KK_EV_ACTION_CONNECTED = 14, /* the egress relayed a connection (at its end) */
	KK_EV_TYPE_MAX,
};

/* Hooks, as events and per-binding counters name them (user/events.c has the names). */
enum kk_hook {
	KK_HOOK_NONE = 0,
	KK_HOOK_FILE_OPEN,
	KK_HOOK_FILE_PERMISSION,
	KK_HOOK_PATH_LINK,
	KK_HOOK_PATH_RENAME,
	KK_HOOK_PATH_UNLINK,
	KK_HOOK_PATH_MKDIR,
	KK_HOOK_PATH_RMDIR,
	KK_HOOK_PATH_SYMLINK,
	KK_HOOK_PATH_MKNOD,
	KK_HOOK_PATH_TRUNCATE,
	KK_HOOK_PATH_CHMOD,
	KK_HOOK_PATH_CHOWN,
	KK_HOOK_BPRM_CHECK,
	KK_HOOK_SOCKET_CONNECT,
	KK_HOOK_SOCKET_SENDMSG,
	KK_HOOK_SOCKET_RECVMSG,
	KK_HOOK_SOCKET_CREATE,
	KK_HOOK_UNIX_CONNECT,
	KK_HOOK_UNIX_SEND,
	KK_HOOK_TASK_ALLOC,
	/* self-protection (bpf/protect.bpf.c) */
	KK_HOOK_BPF,
	KK_HOOK_PERF_EVENT_OPEN,
	KK_HOOK_KERNEL_READ_FILE,
	KK_HOOK_KERNEL_LOAD_DATA,
	KK_HOOK_LOCKED_DOWN,
	KK_HOOK_PTRACE,
	KK_HOOK_PTRACE_TRACEME,
	KK_HOOK_TASK_KILL,
	KK_HOOK_SB_MOUNT,
	KK_HOOK_SB_UMOUNT,
	KK_HOOK_MOVE_MOUNT,
	KK_HOOK_SB_PIVOTROOT,
	KK_HOOK_PATH_CHROOT,
	KK_HOOK_USERNS_CREATE,
	KK_HOOK_CAPABLE,
	KK_HOOK_FILE_RECEIVE,
	KK_HOOK_MMAP_FILE,
	KK_HOOK_FILE_MPROTECT,
	KK_HOOK_FILE_FCNTL,
	KK_HOOK_FILE_IOCTL,
	/* complete mediation (bpf/hooks.manifest): network */
	KK_HOOK_SOCKET_BIND,
	KK_HOOK_SOCKET_LISTEN,
	KK_HOOK_SOCKET_ACCEPT,
	KK_HOOK_SOCKET_SETSOCKOPT,
	KK_HOOK_SOCK_RCV_SKB,
	KK_HOOK_SCTP_BIND_CONNECT,
	KK_HOOK_TUN_DEV_CREATE,
	KK_HOOK_TUN_DEV_ATTACH_QUEUE,
	KK_HOOK_TUN_DEV_ATTACH,
	KK_HOOK_TUN_DEV_OPEN,
	/* files: attributes, xattrs, watches, locks, 32-bit ioctls */
	KK_HOOK_INODE_SETATTR,
	KK_HOOK_INODE_SETXATTR,
	KK_HOOK_INODE_REMOVEXATTR,
	KK_HOOK_INODE_GETXATTR,
	KK_HOOK_INODE_LISTXATTR,
	KK_HOOK_PATH_NOTIFY,
	KK_HOOK_FILE_LOCK,
	KK_HOOK_FILE_IOCTL_COMPAT,
	/* System V IPC and keys */
	KK_HOOK_IPC_PERMISSION,
	KK_HOOK_MSG_QUEUE_ALLOC,
	KK_HOOK_MSG_QUEUE_ASSOCIATE,
	KK_HOOK_MSG_QUEUE_MSGCTL,
	KK_HOOK_MSG_QUEUE_MSGSND,
	KK_HOOK_MSG_QUEUE_MSGRCV,
	KK_HOOK_SHM_ALLOC,
	KK_HOOK_SHM_ASSOCIATE,
	KK_HOOK_SHM_SHMCTL,
	KK_HOOK_SHM_SHMAT,
	KK_HOOK_SEM_ALLOC,
	KK_HOOK_SEM_ASSOCIATE,
	KK_HOOK_SEM_SEMCTL,
	KK_HOOK_SEM_SEMOP,
	KK_HOOK_KEY_ALLOC,
	KK_HOOK_KEY_PERMISSION,
	KK_HOOK_WATCH_KEY,
	KK_HOOK_POST_NOTIFICATION,
	/* the kernel and other tasks */
	KK_HOOK_KERNEL_MODULE_REQUEST,
	KK_HOOK_SYSLOG,
	KK_HOOK_URING_CMD,
	KK_HOOK_BINDER_SET_CONTEXT_MGR,
	KK_HOOK_BINDER_TRANSACTION,
	KK_HOOK_BINDER_TRANSFER_BINDER,
	KK_HOOK_BINDER_TRANSFER_FILE,
	KK_HOOK_TASK_SETNICE,
	KK_HOOK_TASK_SETIOPRIO,
	KK_HOOK_TASK_SETSCHEDULER,
	KK_HOOK_TASK_SETRLIMIT,
	KK_HOOK_TASK_MOVEMEMORY,
	KK_HOOK_MAX,
};
#define KK_HOOK_SLOTS 128 /* per-binding counters reserve this many hooks */
_Static_assert(KK_HOOK_MAX <= KK_HOOK_SLOTS, "too many hooks for the counters");

/* Why a decision was taken; the text for each lives in user/events.c. */
enum kk_reason {
	KK_REASON_NONE = 0,
	/* scope decisions: audit mode turns these into action.audited */
	KK_REASON_NOT_IN_SCOPE,	      /* no rule covers the path */
	KK_REASON_EXPLICIT_DENY,      /* the most specific rule is [] */
	KK_REASON_ACCESS_NOT_GRANTED, /* a rule covers the path, without this access */
	KK_REASON_PATH_UNRESOLVED,    /* path could not be resolved: fail closed */
	KK_REASON_LINK_WIDENS,	      /* link/rename would give the file more access */
	KK_REASON_EXEC_NOT_LISTED,    /* not in the policy's exec list */
	KK_REASON_EXEC_WRITABLE,      /* the agent may write this file (W^X) */
	KK_REASON_EXEC_ANONYMOUS,     /* memfd, deleted or unlinked file */
	KK_REASON_HOST_DENIED,	      /* destination in denied_hosts */
	KK_REASON_HOST_NOT_ALLOWED,   /* destination not in allowed_hosts */
	KK_REASON_FAMILY_NOT_ALLOWED, /* address family other than IPv4/IPv6/unix */
	KK_REASON_SOCKET_TYPE,	      /* raw, packet or netlink socket */
	KK_REASON_UNIX_ABSTRACT,      /* abstract unix socket: no path to decide on */
	KK_REASON_OUTSIDE_HOURS,      /* outside allowed_hours */
	KK_REASON_RATE_LIMIT,	      /* rate_limit tokens exhausted */
	KK_REASON_CONCURRENCY,	      /* max_concurrent_trades reached */
	KK_REASON_LISTEN_NOT_ALLOWED, /* bind/listen/accept on a port not in network_rules.listen */
	KK_REASON_PROTOCOL,	/* inet protocol other than TCP/UDP, not in allowed_socket_types */
	KK_REASON_SOURCE_ROUTE, /* IPv6 routing header, IPv4 options, per-socket IPsec policy */
	KK_REASON_FOREIGN_SOCKET, /* a socket from outside the binding, with no peer to decide */
	KK_REASON_FOREIGN_OBJECT, /* an IPC object or key the binding did not create */
	KK_REASON_EXEC_MEMORY,	  /* anonymous or memfd memory made executable (W^X) */
	KK_REASON_IPC_NONE,	  /* System V IPC or keys with "ipc": "none" */
	KK_REASON_SCOPE_MAX,
	/* identity and integrity: denied in audit mode too */
	KK_REASON_REVOKED = 32,	   /* certificate revoked */
	KK_REASON_BLOCKED,	   /* revocation status unknown, fail closed */
	KK_REASON_BINDING_INVALID, /* binding, identity or policy entry unusable */
	KK_REASON_STORAGE_FULL,	   /* child could not inherit the binding: fork refused */
	KK_REASON_CONN_TABLE_FULL, /* cannot track the connection (kk_conns full, or no socket
				    * storage for it): fail closed */
	KK_REASON_AUTO_REVOKE,	   /* agent.revoked by the in-kernel tripwire */
	KK_REASON_PROTECTED,	   /* self-protection: never allowed to a bound task */
	KK_REASON_OUTSIDE_BINDING, /* a signal or trace aimed outside the agent's binding */
	KK_REASON_NAMESPACE,	   /* new namespaces or another cgroup at clone */
	KK_REASON_EXPIRED,	   /* certificate expired (the daemon set KK_STATE_EXPIRED) */
	KK_REASON_MAX,
};

/*
 * Counters of the kk_stats per-CPU array, summed by `status`. Every helper failure and every
 * fail-closed decision is counted, so nothing is dropped or denied without a trace.
 */
enum kk_stat {
	KK_STAT_EVENTS_LOST = 0, /* ringbuf output failed: consumer reports events.lost */
	KK_STAT_PATH_FAIL,	 /* path could not be resolved, access denied */
	KK_STAT_BINDING_INVALID, /* binding/identity/policy entry unusable, access denied */
	KK_STAT_INHERIT_FAIL,	 /* task storage for a child could not be created */
	KK_STAT_CONN_TABLE_FULL, /* connection not tracked (full, no storage), connect denied */
	KK_STAT_DENIED,		 /* every denial */
	KK_STAT_AUDITED,	 /* every would-be denial in audit mode */
	KK_STAT_FILE_TABLE_FULL, /* a kk_files mark not kept (its slot busy on another CPU) */
	KK_STAT_OBJ_TABLE_FULL,	 /* kk_objs full: the IPC object or key was refused */
	KK_STAT_PEER_FAIL,	 /* kk_peers entry not allocated: the signer refuses the caller */
	KK_STAT_PCACHE_HIT,	 /* shadow mode: file_open found a valid kk_pcache entry */
	KK_STAT_PCACHE_MISMATCH, /* shadow mode: ... and deciding again did not allow the open */
	KK_STAT_MAX,
};

/* Where a revocation came from (kk_revocation.source). */
enum kk_rev_source {
	KK_REV_CLI = 0,
	KK_REV_CRL = 1,
	KK_REV_OCSP = 2,
	KK_REV_AUTO = 3, /* the tripwire */
	KK_REV_ROTATION = 4,
	KK_REV_SOURCE_MAX,
};

/*
 * Compiled policies: path rules live in an LPM trie whose key data is at most 256 bytes, the
 * policy id (4) and KK_LPM_PATH_LEN path bytes (see struct kk_path_key); a rule's path also
 * needs its NUL or '/', so it is at most KK_RULE_PATH_MAX bytes, as is an exec-list path. A
 * network entry holds at most KK_NET_PORTS_MAX ports.
 */
#define KK_LPM_PATH_LEN	 252
#define KK_RULE_PATH_MAX (KK_LPM_PATH_LEN - 1)
#define KK_NET_PORTS_MAX 16
#define KK_EXEC_PATH_LEN (KK_RULE_PATH_MAX + 1) /* kk_exec key path, with its NUL */

/* Default ring size: about a thousand path events before loss is counted. */
#define KK_RINGBUF_SIZE (4u << 20)

#endif /* KAKUNIN_LIMITS_H */
