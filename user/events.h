/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events — turn a raw ringbuf record into a checked struct kk_event, and give every enum in
 * kakunin.h its one user-visible name.
 */
#ifndef KK_EVENTS_H
#define KK_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include "kakunin.h"

/*
 * Copy a ringbuf record of size bytes into *out, NUL-terminating comm and path; path_len is
 * then the path's alone (the executable after it: kk_event_exe). -EINVAL when the record is
 * shorter than its header, its path_len runs past its end, or its exe_len past path_len.
 */
int kk_event_decode(const void *data, size_t size, struct kk_event *out);
/* The executable of a decoded event's task (NUL-terminated, in path[]), or NULL when unknown. */
const char *kk_event_exe(const struct kk_event *ev);
/* Bytes of path[] a decoded event uses, its executable included (0 if out of bounds). */
size_t kk_event_used(const struct kk_event *ev);

const char *kk_event_type_name(__u32 type); /* "action.denied", ... */
const char *kk_event_decision(__u32 type);  /* "deny", "allow", "audit" or NULL */
/* action.signed/refused/connected: the signer's or egress's details as JSON in the reason. */
bool kk_event_has_details(__u32 type);
const char *kk_hook_name(__u32 hook);	    /* "file_open", ... */
const char *kk_reason_text(__u32 reason);
/* "read", "write", "read,write", "exec", "none"; buf of at least 24 bytes. */
const char *kk_access_str(__u32 access, char *buf, size_t len);

/*
 * An agent.* event made by the loader (agent.bound, agent.unbound, agent.revoked, ...). The
 * identity travels in the event itself — agent_id, serial, policy version and a free-text
 * reason, NUL-separated in path[] — because the binding may be gone when it is read. NULL
 * strings are empty. -ENAMETOOLONG if they do not fit.
 */
int kk_event_agent(struct kk_event *ev, __u32 type, __u32 slot, __u32 gen, __u32 pid,
		   const char *agent_id, const char *serial, const char *version,
		   const char *reason);
/*
 * An events.lost event made by the daemon: count records lost, and why ("write failed: No space
 * left on device"), carried in path[] like an agent event's strings. count is capped at
 * UINT32_MAX. -ENAMETOOLONG if reason does not fit.
 */
int kk_event_lost(struct kk_event *ev, __u32 count, const char *reason);

/*
 * Does an event pass the filters of `events`? agent: its agent_id must be this (NULL/"" = any);
 * type: its event_type exactly, or a family "action", "action." or "action.*".
 */
bool kk_event_matches(const char *agent, const char *type, __u32 ev_type, const char *ev_agent);

/* The four strings of such an event (pointing into ev->path); false when it has none. */
bool kk_event_agent_fields(const struct kk_event *ev, const char *f[4]);

#endif
