/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-line diagnostics. Every error a user sees is one line on stderr: "kakunin-bpf: <module>:
 * what: why" (under systemd, prefixed with its journal priority: errors "<3>", warnings "<4>",
 * information on stdout "<6>"). libbpf's own chatter is captured and only shown with
 * KAKUNIN_DEBUG=1 (or -v); its last line can be quoted in our one-line error.
 */
#ifndef KK_LOG_H
#define KK_LOG_H

#include <stdbool.h>
#include <stddef.h>

void kk_log_set_verbose(bool on);
bool kk_log_verbose(void);
void kk_err(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kk_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Warnings: what an operation noticed and went on past (an event that could not be sent, a
 * record that could not be saved, a mapping a revocation cannot cut). Library code adds them
 * and prints nothing; whoever prints drains them once, under its own name: main() after every
 * command, `run` before it executes, the daemon after each piece of work. At most
 * KK_WARNINGS_MAX are kept; more are counted and drained as one "and N more" line.
 */
#define KK_WARNINGS_MAX 16
void kk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many are waiting. */
size_t kk_warnings_pending(void);
/* Each as "kakunin-bpf: <cmd>: warning: <text>" on stderr, then forgotten. */
void kk_warnings_flush(const char *cmd);


/*
 * When fd is the journal's stream (systemd sets JOURNAL_STREAM to its "device:inode"), the
 * sd-daemon(3) prefix of priority (LOG_ERR, LOG_WARNING, LOG_INFO: "<3>", "<4>", "<6>") that
 * makes journald file the line at that priority; "" otherwise (a terminal, a file, a pipe).
 */
const char *kk_log_prio(int fd, int priority);

/* Install the libbpf print callback (captures; passes through when verbose). */
void kk_log_capture_libbpf(void);
/* Last warning libbpf printed, trimmed to one line ("" when none), then forgotten. */
const char *kk_log_libbpf_last(void);

#endif
