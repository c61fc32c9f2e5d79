/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * audit — the tamper-evident audit log: JSON lines, each carrying the SHA-256 of the previous
 * line ("prev_hash") and its own ("hash"), so that an edited, deleted, inserted or reordered
 * line is found by re-hashing. The format, the exact bytes that are hashed, rotation, the fsync
 * policy and the limits are in docs/audit.md. OpenSSL (EVP) hashes, cJSON parses and prints.
 */
#ifndef KK_AUDIT_H
#define KK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A hash as text: 64 lowercase hex digits. */
#define KK_AUDIT_HASH_HEX 64

/*
 * The writer's state: prev is the hash the next line will carry as its prev_hash (NUL
 * terminated), lines counts the lines made by kk_audit_chain_line since init or resume.
 */
struct kk_audit_chain {
	char prev[KK_AUDIT_HASH_HEX + 1];
	uint64_t lines;
};

/* Start a new chain: prev is 64 zeros. 0, or -EINVAL for a NULL chain. */
int kk_audit_chain_init(struct kk_audit_chain *c);

/*
 * Continue the chain of an existing log: prev becomes the "hash" of the file's last line, which
 * must be a complete, well-formed chained line whose hash matches its content (only that line
 * is checked, so resuming costs one line however large the file; kk_audit_verify checks all).
 * 0; -EINVAL (the last line is not a valid chained line, or has no final newline), -ENODATA
 * (the file is empty: nothing to continue, e.g. right after a rotation: resume from path.1),
 * -ENOENT and other -errno from open/read; why[] says which and why ("FILE: last line: ...").
 * On error *c is left unchanged.
 */
int kk_audit_chain_resume(struct kk_audit_chain *c, const char *path, char *why, size_t wlen);

/*
 * One audit line for the JSON object text json (no newline needed; whitespace is allowed, the
 * object is re-printed by cJSON): the object with "prev_hash" and then "hash" appended as its
 * last members. Returns the line, malloc'd, without a newline, and advances the chain. NULL with
 * errno on error, the chain unchanged: EINVAL (not one JSON object, a member name repeated in
 * one object), EEXIST (it already has a "hash" or "prev_hash" member), EILSEQ (not valid
 * UTF-8), ENOMEM.
 */
char *kk_audit_chain_line(struct kk_audit_chain *c, const char *json);

/*
 * The same for an object the caller printed itself (the daemon's events, output.h's
 * kk_event_line): line[0..*len) is "{" and its members, without the closing brace, in
 * the form the verifier hashes (no whitespace, valid UTF-8, no "hash" or "prev_hash": the
 * caller's to guarantee). Appends ,"prev_hash":"...", hashes, appends ,"hash":"..."} and
 * advances the chain; line must have KK_AUDIT_SEAL_LEN bytes of room past *len, which
 * becomes the line's length (no newline). 0, or -ENOMEM with the chain unchanged.
 */
#define KK_AUDIT_SEAL_LEN (14 + KK_AUDIT_HASH_HEX + 9 + KK_AUDIT_HASH_HEX + 2)
int kk_audit_chain_seal(struct kk_audit_chain *c, char *line, size_t *len);

/*
 * Check one line on its own (len bytes, without the newline; it needs no NUL terminator): a
 * JSON object, no member name repeated, "prev_hash" and "hash" well formed, "hash" last and
 * matching the line's content. 0 with the two hashes copied out (either may be NULL); -EINVAL
 * with why[] saying what is wrong (no file or line prefix); -ENOMEM.
 */
int kk_audit_line_check(const char *line, size_t len, char *hash, char *prev, char *why,
			size_t wlen);

/*
 * Verify the files paths[0..n) in that order as one chain (rotated logs oldest first:
 * audit.jsonl.2, audit.jsonl.1, audit.jsonl). Every line must pass kk_audit_line_check, end in
 * a newline and carry the previous line's hash as prev_hash, across file boundaries too. The
 * first line of the chain must have 64 zeros as prev_hash unless allow_any_start (a log whose
 * oldest files were rotated away). Empty files are allowed (0 lines). Returns 0; -EINVAL with
 * why[] = "FILE:LINE: what" for the first problem; -errno when a file cannot be read. *lines
 * (may be NULL) is the number of lines verified good, before the problem if there is one.
 */
int kk_audit_verify(const char *const *paths, size_t n, bool allow_any_start, uint64_t *lines,
		    char *why, size_t wlen);

/*
 * What a verification found. anchor (set by the caller, "" for none) is a hash taken from the
 * chain earlier (the last hash `audit verify` printed, kept elsewhere): the chain must still
 * hold a line with that hash. A log grows after it is anchored, so the anchor is looked for on
 * every line, not only the last: what it proves is that nothing up to the anchored line was
 * removed, rewritten or cut off (a log truncated before it, or rebuilt from scratch, fails).
 */
struct kk_audit_result {
	char anchor[KK_AUDIT_HASH_HEX + 1];
	uint64_t lines;			  /* lines verified good (before the problem, if any) */
	uint64_t anchor_line;		  /* 1-based line of the chain with the anchor; 0: none */
	char last[KK_AUDIT_HASH_HEX + 1]; /* hash of the last good line (64 zeros: none) */
};

/*
 * kk_audit_verify with the result above: -ENOENT with why[] when the chain is intact but no
 * line has res->anchor's hash.
 */
int kk_audit_verify_full(const char *const *paths, size_t n, bool allow_any_start,
			 struct kk_audit_result *res, char *why, size_t wlen);

/*
 * Rotate: path.keep is deleted, path.(i) renamed to path.(i+1) for i = keep-1 .. 1, path to
 * path.1, then the directory is fsynced. path is fsynced first. The writer then opens a new
 * path and simply continues its chain (same struct, or resume from path.1), so verify(path.keep
 * .. path.1, path) passes. 0; -EINVAL (keep outside 1..1000), -ENOENT (no path: nothing to
 * rotate, nothing renamed), -ENAMETOOLONG, other -errno from unlink/rename/fsync.
 */
int kk_audit_rotate(const char *path, int keep);

#endif
