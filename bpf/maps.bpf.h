/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The maps of every bpf/<hook>.bpf.c, each documented with its key, its value, what happens when
 * it is full and who writes it. Defined once in maps.bpf.c (KK_DEFINE_MAPS), declared extern
 * everywhere else so the static linker of `bpftool gen object` joins them. Included by
 * kakunin.bpf.h only, after vmlinux.h and kakunin.h.
 */
#ifndef KAKUNIN_MAPS_BPF_H
#define KAKUNIN_MAPS_BPF_H

#ifdef KK_DEFINE_MAPS
#define KK_MAP
#else
#define KK_MAP extern
#endif

/*
 * kk_task — key: the task (userspace passes a pidfd); value: struct kk_task. Presence means
 * "bound" unless its gen no longer matches the binding slot (then the binding ended and the
 * entry is dropped). Copied to every child in task_alloc; freed with the task. No size limit:
 * when the kernel cannot allocate an entry for a child, the fork is refused.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kk_task);
} kk_task SEC(".maps");

/*
 * kk_exe — key: the task; value: struct kk_exe, the path of the file a bound task last exec'd
 * (bprm_check_security allowed it), for its events. Copied to a bound parent's children in
 * task_alloc; freed with the task. Not pinned: only this load's programs read it, and a task
 * without one (bound by PID without exec'ing since, or the entry could not be allocated) has
 * events without an executable, never a wrong one.
 */
struct kk_exe {
	char path[KK_EXE_PATH_MAX];
};
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kk_exe);
} kk_exe SEC(".maps");

/* kk_bindings — key: slot; value: struct kk_binding. Array: lookups cannot miss in range. */
KK_MAP struct {
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_BINDINGS);
	__type(key, __u32);
	__type(value, struct kk_binding);
} kk_bindings SEC(".maps");

/* kk_idents — key: slot; value: struct kk_ident (revocation = one write of .state). */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_IDENTS);
	__type(key, __u32);
	__type(value, struct kk_ident);
} kk_idents SEC(".maps");

/* kk_policies — key: slot; value: struct kk_policy_slot. */
KK_MAP struct {
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_POLICIES);
	__type(key, __u32);
	__type(value, struct kk_policy_slot);
} kk_policies SEC(".maps");

/* kk_runtime — key: binding slot; value: struct kk_runtime (token bucket, live connections). */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_BINDINGS);
	__type(key, __u32);
	__type(value, struct kk_runtime);
} kk_runtime SEC(".maps");

/*
 * kk_paths — LPM trie of path rules, key struct kk_path_key (policy slot + path bytes), value
 * struct kk_path_val. Full: the loader's insert fails and the bind is refused; a missing rule
 * in the kernel only ever means "not in scope" (deny).
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG);
	__uint(max_entries, KK_MAX_PATH_ENTRIES);
	__type(key, struct kk_path_key);
	__type(value, struct kk_path_val);
} kk_paths SEC(".maps");

/* kk_net_allow, kk_net_deny — LPM tries of network rules; full: as kk_paths. */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG);
	__uint(max_entries, KK_MAX_NET_ENTRIES);
	__type(key, struct kk_net_key);
	__type(value, struct kk_net_val);
} kk_net_allow SEC(".maps");

KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG);
	__uint(max_entries, KK_MAX_NET_ENTRIES);
	__type(key, struct kk_net_key);
	__type(value, struct kk_net_val);
} kk_net_deny SEC(".maps");

/*
 * kk_net_listen — LPM trie of network_rules.listen: key struct kk_net_key (policy slot + local
 * address; a rule without an address has prefix 0, matching every address), value struct
 * kk_net_val (the ports). Full: as kk_paths. No entry: the agent may not listen at all.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG);
	__uint(max_entries, KK_MAX_NET_ENTRIES);
	__type(key, struct kk_net_key);
	__type(value, struct kk_net_val);
} kk_net_listen SEC(".maps");

/*
 * kk_files — key: kk_files_slot(a struct file's address); value: struct kk_file_mark, written by
 * the hooks when a bound task opens a file (or first uses one it did not open) and it was decided.
 * Direct-mapped, not a hash table: marking is one slot write on every open, with no allocation
 * and no lock. A newer file in the same slot displaces the mark, and the older file is decided on
 * its path again at its next use (slower, never wider); marks of freed files stay until
 * displaced. Never full. Pinned so that load --upgrade keeps it (never opened by commands); a
 * fresh load starts empty.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_FILES);
	__type(key, __u32);
	__type(value, struct kk_file_mark);
} kk_files SEC(".maps");

/*
 * kk_stdio — key: a struct file's address; value: struct kk_file_mark (seq unused), written by
 * kk_mark_stdio for descriptors 0-2 of a process when it is bound: the operator's to give, not
 * decided on a path, so no open may displace them (kk_files may). LRU: only another bind's
 * descriptors push an entry out, and the oldest goes; marks of freed files age out the same way.
 * Pinned so that load --upgrade keeps it, as kk_files.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KK_MAX_STDIO);
	__type(key, __u64);
	__type(value, struct kk_file_mark);
} kk_stdio SEC(".maps");

/*
 * kk_pcache — inode storage, value struct kk_pcache: file_open's last allowed decision on the
 * inode's path, with everything it depended on (bpf/pathcache.bpf.h says when it is used).
 * Written by file_open for bound tasks, deleted by inode_rename for both inodes; freed with the
 * inode; never full (an allocation failure only means no entry). Not pinned: a load, or an
 * upgrade, starts with an empty cache.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kk_pcache);
} kk_pcache SEC(".maps");

/*
 * kk_pcache_ctl — array of __u64 indexed by enum kk_pcache_ctl_idx: the directory-rename epoch
 * (added to by fexit/d_move and d_exchange), the cache mode and one epoch per policy slot
 * (written by the loader, a slot's epoch after every change of its kk_paths entries). Fixed size,
 * never full; pinned, so that `load --path-cache` can change the mode of running programs.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_PCACHE_CTL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kk_pcache_ctl SEC(".maps");

/*
 * kk_objs — key: the address of a System V IPC object (struct kern_ipc_perm) or a key (struct
 * key); value: struct kk_mark, the binding that created it. Written in *_alloc_security and
 * key_alloc for bound tasks, dropped in *_free_security and key_free. Full: the bound task's
 * creation is refused (ENOSPC, counted). Pinned for load --upgrade only, as kk_files.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KK_MAX_OBJS);
	__type(key, __u64);
	__type(value, struct kk_mark);
} kk_objs SEC(".maps");

/*
 * kk_socks — socket storage (value struct kk_sock) of sockets made by bound tasks or used by
 * them: the owning binding and the last peer decided. Cloned to accepted sockets
 * (BPF_F_CLONE); freed with the socket; no size limit (an allocation failure leaves the socket
 * unmarked, so it is decided again at its next use). Pinned for load --upgrade only, as
 * kk_files: a bound agent's listeners keep accepting across an upgrade.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct kk_sock);
} kk_socks SEC(".maps");

/*
 * kk_peers — socket storage (value struct kk_peer): the binding of the task that connected, on
 * the socket a unix or TCP listener accepts. Written once on the new server-side socket, before
 * the listener can accept it, when the caller is bound and the connect was allowed: by
 * lsm/unix_stream_connect (stream and seqpacket), and for TCP connections to this host by
 * lsm/inet_csk_clone from kk_tcp_pending (attest.bpf.c); read by the signer and the egress by
 * socket fd (kk_maps_peer). Not cloned (BPF_F_CLONE would copy a listener's entry to what it
 * accepts: an accepted socket is attested by its own caller or not at all). Freed with the
 * socket; no size limit: when the kernel cannot allocate the entry the connect still succeeds,
 * unattested (the signer refuses it, as unbound), and KK_STAT_PEER_FAIL counts it. Pinned for
 * load --upgrade, as kk_socks: an accepted connection keeps its attestation across an upgrade.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kk_peer);
} kk_peers SEC(".maps");

/*
 * kk_tcp_pending — key: struct kk_tcp_key, a TCP connection to this host as its first packet
 * names it (network namespace, client and server address and port, the client's initial
 * sequence number); value: struct kk_peer, the connecting task's binding. Written by
 * fentry/tcp_connect (attest.bpf.c) when a bound, active task's allowed connect to a loopback
 * or own address starts; read and deleted by lsm/inet_csk_clone, which moves it to kk_peers on
 * the socket the listener will accept. LRU: when full the oldest handshake's entry goes (that
 * connection is then unattested and refused as unbound, never attested as another); entries of
 * connects that never reached a listener age out the same way, and the ISN in the key keeps
 * them from matching a later connection on the same 4-tuple. Pinned for load --upgrade, as
 * kk_socks: a handshake under way keeps its entry.
 */
struct kk_tcp_key {
	__u64 netns;	  /* the network namespace's cookie */
	__u8 client[16];  /* IPv4 IPv4-mapped */
	__u8 server[16];
	__u16 client_port; /* host byte order */
	__u16 server_port;
	__u32 isn;	   /* the client's initial sequence number */
};
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KK_MAX_TCP_PENDING);
	__type(key, struct kk_tcp_key);
	__type(value, struct kk_peer);
} kk_tcp_pending SEC(".maps");

/* kk_exec — key struct kk_exec_key (policy slot + resolved path); value unused. Full: as above. */
KK_MAP struct {
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KK_MAX_EXEC_ENTRIES);
	__type(key, struct kk_exec_key);
	__type(value, __u8);
} kk_exec SEC(".maps");

/*
 * kk_conns — key: struct sock address; value: binding slot << 32 | gen. Live outbound sockets
 * of bound tasks (kk_limits, inet.bpf.h), released in fentry/sk_destruct (net.bpf.c). Every
 * socket entered here has socket storage (kk_limits gives it a kk_socks entry first), which is
 * how sk_destruct passes over the sockets of unbound tasks without a lookup here (an older
 * build's entries may lack it: see kk_ctl). Full: the connect is
 * denied (fail closed, counted), since an untracked socket would escape max_concurrent_trades.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KK_MAX_CONNS);
	__type(key, __u64);
	__type(value, __u64);
} kk_conns SEC(".maps");

/*
 * kk_ctl — array of __u64 indexed by enum kk_ctl_idx, switches the loader sets. Fixed size,
 * never full; pinned, so that a switch outlives load --upgrade. [KK_CTL_CONNS_UNMARKED]: kk_conns
 * may hold sockets without storage, counted by a build before kk_ctl existed (it gave them no
 * kk_socks entry) and kept by load --upgrade; sk_destruct then looks up every socket freed, as
 * that build did. Set by an upgrade that makes kk_ctl (the old build had none), cleared by any
 * upgrade that finds kk_conns empty once the old build's programs are detached; 0 on a fresh load.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_CTL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kk_ctl SEC(".maps");

/*
 * kk_pending — key: tgid (or tgid | KK_PENDING_TREE for the root of a --tree bind); value:
 * struct kk_mark. Processes being bound at this moment: a fork by one of their threads that is
 * not marked yet (or, below a tree root, by any process) still gives the child the binding, so
 * no child escapes while `bind` marks tasks. Entries live only during a bind; full
 * (KK_MAX_PENDING at once): that bind fails.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KK_MAX_PENDING);
	__type(key, __u32);
	__type(value, struct kk_mark);
} kk_pending SEC(".maps");

/*
 * kk_cgroups — key: cgroup v2 id; value: struct kk_mark. A task without a binding inside a
 * bound cgroup (or below it) takes the cgroup's binding on its first hook, and keeps it if it
 * leaves. Full (KK_MAX_CGROUPS cgroups): `bind --cgroup` fails.
 */
KK_MAP struct {
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KK_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct kk_mark);
} kk_cgroups SEC(".maps");

/* kk_bindreq — one struct kk_bindreq, the request of the bind iterator. */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kk_bindreq);
} kk_bindreq SEC(".maps");

/* kk_live — key: binding slot; value: struct kk_live, live tasks of the binding. */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_BINDINGS);
	__type(key, __u32);
	__type(value, struct kk_live);
} kk_live SEC(".maps");

/* kk_revoked — key struct kk_ident_key, value struct kk_revocation; written by the loader only
 * (the hooks decide by kk_idents[].state). Full: `revoke` fails with a clear error. */
KK_MAP struct {
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KK_REVOKED_MAX);
	__type(key, struct kk_ident_key);
	__type(value, struct kk_revocation);
} kk_revoked SEC(".maps");

/* kk_config — one struct kk_config the loader keeps current. */
KK_MAP struct {
	__uint(map_flags, BPF_F_RDONLY_PROG);
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kk_config);
} kk_config SEC(".maps");

/*
 * kk_events — ringbuf of struct kk_event records (variable length). Full: the record is dropped
 * and KK_STAT_EVENTS_LOST counted; the decision itself never depends on the ring.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KK_RINGBUF_SIZE);
} kk_events SEC(".maps");

/* kk_stats — per-CPU counters indexed by enum kk_stat; fixed size, never full. */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KK_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kk_stats SEC(".maps");

/*
 * kk_counts — per binding and hook, [slot][hook][0 allowed, 1 denied], added atomically.
 * Fixed size, never full; reset by the loader when a slot is reused.
 */
KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KK_MAX_BINDINGS *KK_HOOK_SLOTS * 2);
	__type(key, __u32);
	__type(value, __u64);
} kk_counts SEC(".maps");

/*
 * Per-CPU scratch, too big for the 512-byte stack: the event under construction (whose path[]
 * is where paths are resolved), a second path for link/rename, the walker's buffer and an LPM
 * key. LSM programs are not re-entered on one CPU while they run (migration disabled, no
 * sleeping), so one set per CPU suffices.
 */
struct kk_scratch {
	struct kk_event ev;
	char path2[KK_PATH_MAX];
	char walk[KK_PATH_MAX + 256]; /* + a component's worth of slack for the verifier */
	struct kk_path_key key;
	struct kk_exec_key exec_key;
};

KK_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kk_scratch);
} kk_scratch SEC(".maps");

#endif
