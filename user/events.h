/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * events — turn a raw ringbuf record into a checked struct kk_event, and give every enum in
 * kakunin.h its one user-visible name.
 */
#ifndef KK_EVENTS_H
#define KK_EVENTS_H

#include <stddef.h>
#include "kakunin.h"

/*
 * Copy a ringbuf record of size bytes into *out, NUL-terminating comm and path. -EINVAL when
 * the record is shorter than its header or its path_len runs past its end.
 */
int kk_event_decode(const void *data, size_t size, struct kk_event *out);

const char *kk_event_type_name(__u32 type); /* "action.denied", ... */
const char *kk_event_decision(__u32 type);  /* "deny", "allow", "audit" or NULL */
const char *kk_hook_name(__u32 hook);	    /* "file_open", ... */
const char *kk_reason_text(__u32 reason);
/* "read", "write", "read,write", "exec", "none"; buf of at least 24 bytes. */
const char *kk_access_str(__u32 access, char *buf, size_t len);

#endif
