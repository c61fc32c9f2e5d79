/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-line diagnostics. Every error a user sees is one line on stderr: "kakunin-bpf: <module>:
 * what: why". libbpf's own chatter is captured and only shown with KAKUNIN_DEBUG=1 (or -v);
 * its last line can be quoted in our one-line error.
 */
#ifndef KK_LOG_H
#define KK_LOG_H

#include <stdbool.h>
#include <stddef.h>

void kk_log_set_verbose(bool on);
bool kk_log_verbose(void);
void kk_err(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kk_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Install the libbpf print callback (captures; passes through when verbose). */
void kk_log_capture_libbpf(void);
/* Last warning libbpf printed, trimmed to one line ("" when none), then forgotten. */
const char *kk_log_libbpf_last(void);

#endif
