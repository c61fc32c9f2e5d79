/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * error — the one error record of an operation. Operations (op_*.c) and the library calls they
 * make fill it and print nothing; the command (or the daemon) prints it once, as one text line
 * on stderr or, with --json, as one JSON object on stdout, under its own name. So a library
 * error is never reported under the wrong command, twice, or as text to a JSON reader.
 */
#ifndef KK_ERROR_H
#define KK_ERROR_H

#include <stdbool.h>
#include <stddef.h>

struct kk_error {
	int code; /* -errno; 0: no error */
	/* The object: "PID 42", "certificate a.pem", "binding 3 (agent <64-byte id>)"; or "". */
	char what[128];
	char why[256]; /* the reason, for a person: "not bound", "cannot open: No such file" */
};

/* Fill e (what may be NULL); returns code, so `return kk_error_set(e, -ENOENT, ...)` reads. */
int kk_error_set(struct kk_error *e, int code, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Fill e from a library's one-line "what: why" message (identity, cgroup): split at the first
 * ": ", or all of it into why when there is none. Returns code.
 */
int kk_error_split(struct kk_error *e, int code, const char *msg);

/* "EPERM" for -EPERM (or EPERM); NULL for codes without a name here. */
const char *kk_errno_name(int code);

/* "kakunin-bpf: <cmd>: <what>: <why>" (no "<what>: " when what is empty); caller frees. */
char *kk_error_text(const char *cmd, const struct kk_error *e);
/* {"error": {"code": -1, "errno": "EPERM", "what": ..., "why": ...}}, one line; caller frees. */
char *kk_error_json(const struct kk_error *e);
/* Print e once: the JSON object on stdout with json, else the text line on stderr. */
void kk_error_print(const char *cmd, const struct kk_error *e, bool json);

struct cJSON;
/*
 * The same with one more member in the error object, key: item (the policy's positioned errors
 * as "errors": [...]), which the text line leaves out. item (may be NULL) is taken over.
 */
char *kk_error_json_with(const struct kk_error *e, const char *key, struct cJSON *item);
void kk_error_print_with(const char *cmd, const struct kk_error *e, bool json, const char *key,
			 struct cJSON *item);

#endif
