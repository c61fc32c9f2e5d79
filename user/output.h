/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output — the user-visible forms of an event: one JSON object per line (the schema of
 * DESIGN.md, written directly: output_line.c) or one readable text line. Kernel boot-clock
 * stamps become RFC 3339 UTC with microseconds; arbitrary bytes from the kernel (paths, comm) become valid UTF-8.
 */
#ifndef KK_OUTPUT_H
#define KK_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "kakunin.h"

/* Offset from CLOCK_BOOTTIME to CLOCK_REALTIME, sampled by kk_clock_sync. */
/*
 * What the consumer adds to every event: the wall clock, and the host name (gethostname, at
 * each sync: events are read on the host that made them, the ring is not shared).
 */
struct kk_clock {
	int64_t boot_to_real_ns;
	char host[65]; /* "": unknown, printed as null */
};

void kk_clock_sync(struct kk_clock *c);
/* "2026-06-15T14:33:45.123456Z"; -EINVAL if it does not fit in len (>= 28 needed). */
int kk_format_rfc3339(int64_t real_ns, char *buf, size_t len);

/*
 * A copy of s[0..len) (stopping at the first NUL) that is valid UTF-8: every byte that is not
 * part of a well-formed sequence becomes U+FFFD. Caller frees; NULL on allocation failure.
 */
char *kk_utf8_sanitize(const char *s, size_t len);
/* Whether s[0..len) is valid UTF-8 without a NUL byte (what kk_utf8_sanitize leaves alone). */
bool kk_utf8_valid(const char *s, size_t len);
/* Length of the well-formed UTF-8 sequence at s (at most avail bytes), 0 if ill-formed. */
size_t kk_utf8_seq_len(const unsigned char *s, size_t avail);

/* Who an event is about, resolved from its binding by the consumer; NULL members print null. */
struct kk_who {
	const char *agent_id;
	const char *serial;
	const char *policy_version;
};

/*
 * The event as one JSON line (DESIGN.md's schema) without the newline; who may be NULL.
 * Caller frees; NULL on allocation failure.
 */
char *kk_event_json(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
		    const struct kk_who *who);

/* A growing buffer of bytes (not NUL-terminated): buf[0..len) used, cap allocated. */
struct kk_obuf {
	char *buf;
	size_t len, cap;
};

/* Room for n more bytes: 0, or -ENOMEM with b unchanged. */
int kk_obuf_grow(struct kk_obuf *b, size_t n);

/*
 * The daemon's form of kk_event_json (output_line.c): the event's JSON object appended to b
 * without its closing brace ("{" and the members), for the audit chain to add its own. The
 * same bytes cJSON printed of the event before (tests/unit/test_audit_line.c). 0, or -ENOMEM
 * with b->len unchanged.
 */
int kk_event_line(struct kk_obuf *b, const struct kk_event *ev, uint64_t seq,
		  const struct kk_clock *c, const struct kk_who *who);
/*
 * Whether the line kk_event_line made of ev is valid UTF-8, as an audit line must be: only a
 * signer event's details are printed as they came (cJSON passes invalid bytes through), so only
 * those are checked.
 */
bool kk_event_line_utf8(const struct kk_event *ev, const char *line, size_t len);
/* The event as one readable text line without the newline; caller frees. */
char *kk_event_text(const struct kk_event *ev, uint64_t seq, const struct kk_clock *c,
		    const struct kk_who *who);

struct kk_policy;
struct kk_ruleset;
/* A compiled policy for `policy show`: readable text, or one JSON document with json. */
int kk_policy_print(FILE *f, const struct kk_policy *p, const struct kk_ruleset *rs, bool json);

#endif
