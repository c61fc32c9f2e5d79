// SPDX-License-Identifier: GPL-2.0-only
/* events — decoding and names of kernel events (see events.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"

int kk_event_decode(const void *data, size_t size, struct kk_event *out)
{
	const struct kk_event *raw = data;

	if (size < KK_EVENT_HDR_SIZE || size > sizeof(*out))
		return -EINVAL;
	if (raw->path_len > size - KK_EVENT_HDR_SIZE)
		return -EINVAL;
	memcpy(out, data, KK_EVENT_HDR_SIZE + raw->path_len);
	out->comm[KK_COMM_LEN - 1] = '\0';
	if (out->exe_len) {
		/* The executable ends the record (kakunin.h): path_len becomes the path's again. */
		if (out->exe_len > out->path_len || out->path_len - out->exe_len < 1)
			return -EINVAL;
		out->path[out->path_len - 1] = '\0';
		out->path_len -= out->exe_len;
		if (out->path_len == 1 && !out->path[0])
			out->path_len = 0; /* the NUL that stands for no path */
	}
	/* path_len counts the kernel's NUL; terminate defensively at or before it. */
	out->path[out->path_len ? out->path_len - 1 : 0] = '\0';
	return 0;
}

const char *kk_event_exe(const struct kk_event *ev)
{
	return ev->exe_len ? ev->path + (ev->path_len ? ev->path_len : 1) : NULL;
}

size_t kk_event_used(const struct kk_event *ev)
{
	size_t n = ev->exe_len ? (ev->path_len ? ev->path_len : 1) + ev->exe_len : ev->path_len;

	return n <= KK_PATH_MAX ? n : 0;
}

const char *kk_event_type_name(__u32 type)
{
	static const char *const names[] = {
		[KK_EV_ACTION_ALLOWED] = "action.allowed", [KK_EV_ACTION_DENIED] = "action.denied",
		[KK_EV_ACTION_AUDITED] = "action.audited", [KK_EV_AGENT_BOUND] = "agent.bound",
		[KK_EV_AGENT_UNBOUND] = "agent.unbound",   [KK_EV_AGENT_REVOKED] = "agent.revoked",
		[KK_EV_AGENT_BLOCKED] = "agent.blocked",   [KK_EV_EVENTS_LOST] = "events.lost",
		[KK_EV_AGENT_WARNING] = "agent.warning",   [KK_EV_AGENT_EXPIRED] = "agent.expired",
		[KK_EV_AGENT_EXPIRING] = "agent.expiring", [KK_EV_ACTION_SIGNED] = "action.signed",
		[KK_EV_ACTION_REFUSED] = "action.refused", [KK_EV_ACTION_CONNECTED] = "action.connected",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

bool kk_event_has_details(__u32 type)
{
	return type == KK_EV_ACTION_SIGNED || type == KK_EV_ACTION_REFUSED ||
	       type == KK_EV_ACTION_CONNECTED;
}

const char *kk_event_decision(__u32 type)
{
	switch (type) {
	case KK_EV_ACTION_ALLOWED:
		return "allow";
	case KK_EV_ACTION_DENIED:
		return "deny";
	case KK_EV_ACTION_AUDITED:
		return "audit";
	default:
		return NULL;
	}
}

const char *kk_hook_name(__u32 hook)
{
	static const char *const names[KK_HOOK_MAX] = {
		[KK_HOOK_NONE] = "none",
		[KK_HOOK_FILE_OPEN] = "file_open",
		[KK_HOOK_FILE_PERMISSION] = "file_permission",
		[KK_HOOK_PATH_LINK] = "path_link",
		[KK_HOOK_PATH_RENAME] = "path_rename",
		[KK_HOOK_PATH_UNLINK] = "path_unlink",
		[KK_HOOK_PATH_MKDIR] = "path_mkdir",
		[KK_HOOK_PATH_RMDIR] = "path_rmdir",
		[KK_HOOK_PATH_SYMLINK] = "path_symlink",
		[KK_HOOK_PATH_MKNOD] = "path_mknod",
		[KK_HOOK_PATH_TRUNCATE] = "path_truncate",
		[KK_HOOK_PATH_CHMOD] = "path_chmod",
		[KK_HOOK_PATH_CHOWN] = "path_chown",
		[KK_HOOK_BPRM_CHECK] = "bprm_check_security",
		[KK_HOOK_SOCKET_CONNECT] = "socket_connect",
		[KK_HOOK_SOCKET_SENDMSG] = "socket_sendmsg",
		[KK_HOOK_SOCKET_RECVMSG] = "socket_recvmsg",
		[KK_HOOK_SOCKET_CREATE] = "socket_create",
		[KK_HOOK_UNIX_CONNECT] = "unix_stream_connect",
		[KK_HOOK_UNIX_SEND] = "unix_may_send",
		[KK_HOOK_TASK_ALLOC] = "task_alloc",
		[KK_HOOK_BPF] = "bpf",
		[KK_HOOK_PERF_EVENT_OPEN] = "perf_event_open",
		[KK_HOOK_KERNEL_READ_FILE] = "kernel_read_file",
		[KK_HOOK_KERNEL_LOAD_DATA] = "kernel_load_data",
		[KK_HOOK_LOCKED_DOWN] = "locked_down",
		[KK_HOOK_PTRACE] = "ptrace_access_check",
		[KK_HOOK_PTRACE_TRACEME] = "ptrace_traceme",
		[KK_HOOK_TASK_KILL] = "task_kill",
		[KK_HOOK_SB_MOUNT] = "sb_mount",
		[KK_HOOK_SB_UMOUNT] = "sb_umount",
		[KK_HOOK_MOVE_MOUNT] = "move_mount",
		[KK_HOOK_SB_PIVOTROOT] = "sb_pivotroot",
		[KK_HOOK_PATH_CHROOT] = "path_chroot",
		[KK_HOOK_USERNS_CREATE] = "userns_create",
		[KK_HOOK_CAPABLE] = "capable",
		[KK_HOOK_FILE_RECEIVE] = "file_receive",
		[KK_HOOK_MMAP_FILE] = "mmap_file",
		[KK_HOOK_FILE_MPROTECT] = "file_mprotect",
		[KK_HOOK_FILE_FCNTL] = "file_fcntl",
		[KK_HOOK_FILE_IOCTL] = "file_ioctl",
		[KK_HOOK_SOCKET_BIND] = "socket_bind",
		[KK_HOOK_SOCKET_LISTEN] = "socket_listen",
		[KK_HOOK_SOCKET_ACCEPT] = "socket_accept",
		[KK_HOOK_SOCKET_SETSOCKOPT] = "socket_setsockopt",
		[KK_HOOK_SOCK_RCV_SKB] = "socket_sock_rcv_skb",
		[KK_HOOK_SCTP_BIND_CONNECT] = "sctp_bind_connect",
		[KK_HOOK_TUN_DEV_CREATE] = "tun_dev_create",
		[KK_HOOK_TUN_DEV_ATTACH_QUEUE] = "tun_dev_attach_queue",
		[KK_HOOK_TUN_DEV_ATTACH] = "tun_dev_attach",
		[KK_HOOK_TUN_DEV_OPEN] = "tun_dev_open",
		[KK_HOOK_INODE_SETATTR] = "inode_setattr",
		[KK_HOOK_INODE_SETXATTR] = "inode_setxattr",
		[KK_HOOK_INODE_REMOVEXATTR] = "inode_removexattr",
		[KK_HOOK_INODE_GETXATTR] = "inode_getxattr",
		[KK_HOOK_INODE_LISTXATTR] = "inode_listxattr",
		[KK_HOOK_PATH_NOTIFY] = "path_notify",
		[KK_HOOK_FILE_LOCK] = "file_lock",
		[KK_HOOK_FILE_IOCTL_COMPAT] = "file_ioctl_compat",
		[KK_HOOK_IPC_PERMISSION] = "ipc_permission",
		[KK_HOOK_MSG_QUEUE_ALLOC] = "msg_queue_alloc_security",
		[KK_HOOK_MSG_QUEUE_ASSOCIATE] = "msg_queue_associate",
		[KK_HOOK_MSG_QUEUE_MSGCTL] = "msg_queue_msgctl",
		[KK_HOOK_MSG_QUEUE_MSGSND] = "msg_queue_msgsnd",
		[KK_HOOK_MSG_QUEUE_MSGRCV] = "msg_queue_msgrcv",
		[KK_HOOK_SHM_ALLOC] = "shm_alloc_security",
		[KK_HOOK_SHM_ASSOCIATE] = "shm_associate",
		[KK_HOOK_SHM_SHMCTL] = "shm_shmctl",
		[KK_HOOK_SHM_SHMAT] = "shm_shmat",
		[KK_HOOK_SEM_ALLOC] = "sem_alloc_security",
		[KK_HOOK_SEM_ASSOCIATE] = "sem_associate",
		[KK_HOOK_SEM_SEMCTL] = "sem_semctl",
		[KK_HOOK_SEM_SEMOP] = "sem_semop",
		[KK_HOOK_KEY_ALLOC] = "key_alloc",
		[KK_HOOK_KEY_PERMISSION] = "key_permission",
		[KK_HOOK_WATCH_KEY] = "watch_key",
		[KK_HOOK_POST_NOTIFICATION] = "post_notification",
		[KK_HOOK_KERNEL_MODULE_REQUEST] = "kernel_module_request",
		[KK_HOOK_SYSLOG] = "syslog",
		[KK_HOOK_URING_CMD] = "uring_cmd",
		[KK_HOOK_BINDER_SET_CONTEXT_MGR] = "binder_set_context_mgr",
		[KK_HOOK_BINDER_TRANSACTION] = "binder_transaction",
		[KK_HOOK_BINDER_TRANSFER_BINDER] = "binder_transfer_binder",
		[KK_HOOK_BINDER_TRANSFER_FILE] = "binder_transfer_file",
		[KK_HOOK_TASK_SETNICE] = "task_setnice",
		[KK_HOOK_TASK_SETIOPRIO] = "task_setioprio",
		[KK_HOOK_TASK_SETSCHEDULER] = "task_setscheduler",
		[KK_HOOK_TASK_SETRLIMIT] = "task_setrlimit",
		[KK_HOOK_TASK_MOVEMEMORY] = "task_movememory",
	};

	if (hook < KK_HOOK_MAX && names[hook])
		return names[hook];
	return "unknown";
}

const char *kk_reason_text(__u32 reason)
{
	static const char *const text[KK_REASON_MAX] = {
		[KK_REASON_NONE] = "",
		[KK_REASON_NOT_IN_SCOPE] = "path not in scope",
		[KK_REASON_EXPLICIT_DENY] = "path explicitly denied",
		[KK_REASON_ACCESS_NOT_GRANTED] = "access not granted by the path's rule",
		[KK_REASON_PATH_UNRESOLVED] = "path could not be resolved (fail closed)",
		[KK_REASON_LINK_WIDENS] = "link or rename would widen the file's access",
		[KK_REASON_EXEC_NOT_LISTED] = "executable not in the exec list",
		[KK_REASON_EXEC_WRITABLE] = "executable is writable by the agent (W^X)",
		[KK_REASON_EXEC_ANONYMOUS] = "memfd, deleted or unlinked executable",
		[KK_REASON_HOST_DENIED] = "destination in denied_hosts",
		[KK_REASON_HOST_NOT_ALLOWED] = "destination not in allowed_hosts",
		[KK_REASON_FAMILY_NOT_ALLOWED] = "address family not allowed",
		[KK_REASON_SOCKET_TYPE] = "raw, packet or netlink socket",
		[KK_REASON_UNIX_ABSTRACT] = "abstract unix socket",
		[KK_REASON_OUTSIDE_HOURS] = "outside allowed hours",
		[KK_REASON_RATE_LIMIT] = "rate limit exceeded",
		[KK_REASON_CONCURRENCY] = "too many concurrent connections",
		[KK_REASON_LISTEN_NOT_ALLOWED] = "port not in network_rules.listen",
		[KK_REASON_PROTOCOL] = "protocol not in allowed_socket_types",
		[KK_REASON_SOURCE_ROUTE] = "routing header, IP options or IPsec policy",
		[KK_REASON_FOREIGN_SOCKET] = "socket from outside the binding, no peer to decide",
		[KK_REASON_FOREIGN_OBJECT] = "IPC object or key not created under this binding",
		[KK_REASON_EXEC_MEMORY] = "anonymous or memfd memory made executable (W^X)",
		[KK_REASON_IPC_NONE] = "System V IPC and keys not allowed (ipc: none)",
		[KK_REASON_REVOKED] = "certificate revoked",
		[KK_REASON_BLOCKED] = "revocation status unknown (fail closed)",
		[KK_REASON_EXPIRED] = "certificate expired",
		[KK_REASON_BINDING_INVALID] = "binding unusable (fail closed)",
		[KK_REASON_STORAGE_FULL] = "child could not inherit the binding (fail closed)",
		[KK_REASON_CONN_TABLE_FULL] = "connection table full (fail closed)",
		[KK_REASON_AUTO_REVOKE] = "auto_revoke",
		[KK_REASON_PROTECTED] = "self-protection: not allowed to a bound agent",
		[KK_REASON_OUTSIDE_BINDING] = "target outside the agent's binding",
		[KK_REASON_NAMESPACE] = "new namespace or cgroup at clone: not allowed",
	};

	if (reason < KK_REASON_MAX && text[reason])
		return text[reason];
	return "unknown";
}

const char *kk_access_str(__u32 access, char *buf, size_t len)
{
	static const struct {
		__u32 bit;
		const char *name;
	} bits[] = {
		{ KK_ACCESS_READ, "read" },
		{ KK_ACCESS_WRITE, "write" },
		{ KK_ACCESS_EXEC, "exec" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(access & bits[i].bit))
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? "," : "",
				 bits[i].name);
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}

int kk_event_agent(struct kk_event *ev, __u32 type, __u32 slot, __u32 gen, __u32 pid,
		   const char *agent_id, const char *serial, const char *version,
		   const char *reason)
{
	const char *f[4] = { agent_id, serial, version, reason };
	struct timespec ts;
	size_t used = 0, i;

	memset(ev, 0, KK_EVENT_HDR_SIZE);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ev->ktime_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	ev->type = type;
	ev->binding = slot;
	ev->gen = gen;
	ev->pid = pid;
	ev->tid = pid;
	ev->uid = getuid();
	strncpy(ev->comm, "kakunin-bpf", sizeof(ev->comm) - 1);
	for (i = 0; i < 4; i++) {
		size_t n = f[i] ? strlen(f[i]) : 0;

		if (used + n + 1 > sizeof(ev->path))
			return -ENAMETOOLONG;
		memcpy(ev->path + used, f[i] ? f[i] : "", n);
		ev->path[used + n] = '\0';
		used += n + 1;
	}
	ev->path_len = used;
	return 0;
}

int kk_event_lost(struct kk_event *ev, __u32 count, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;
	struct timespec ts;

	if (n + 1 > sizeof(ev->path))
		return -ENAMETOOLONG;
	memset(ev, 0, KK_EVENT_HDR_SIZE);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	ev->ktime_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
	ev->type = KK_EV_EVENTS_LOST;
	ev->binding = KK_MAX_BINDINGS; /* about no binding */
	ev->count = count;
	memcpy(ev->path, reason ? reason : "", n);
	ev->path[n] = '\0';
	ev->path_len = n ? n + 1 : 0;
	return 0;
}

bool kk_event_agent_fields(const struct kk_event *ev, const char *f[4])
{
	size_t off = 0, i;

	if (ev->type < KK_EV_AGENT_BOUND || ev->type >= KK_EV_TYPE_MAX ||
	    ev->type == KK_EV_EVENTS_LOST || !ev->path_len)
		return false;
	for (i = 0; i < 4; i++) {
		size_t n;

		if (off >= ev->path_len)
			return false;
		n = strnlen(ev->path + off, ev->path_len - off);
		if (off + n >= ev->path_len)
			return false; /* unterminated: not ours */
		f[i] = ev->path + off;
		off += n + 1;
	}
	return true;
}

bool kk_event_matches(const char *agent, const char *type, __u32 ev_type, const char *ev_agent)
{
	const char *name = kk_event_type_name(ev_type);
	size_t n = type ? strlen(type) : 0;

	if (agent && *agent && (!ev_agent || strcmp(agent, ev_agent)))
		return false;
	if (!n || !strcmp(type, name))
		return true;
	/* A family: "action", "action." or "action.*". */
	if (type[n - 1] == '*')
		n--;
	if (n && type[n - 1] == '.')
		n--;
	return n && !strncmp(type, name, n) && name[n] == '.';
}
