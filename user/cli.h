/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli — the command table's functions and the argument checks they share. Every command is
 * `int cmd_<name>(int argc, char **argv)` with argv[0] the command name and returns one of the
 * exit codes of exitcodes.h.
 */
#ifndef KK_CLI_H
#define KK_CLI_H

#include <stdbool.h>
#include "exitcodes.h"

struct kk_error;

int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_bind(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_unbind(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_health(int argc, char **argv);
int cmd_signer(int argc, char **argv);
int cmd_egress(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_oci_hook(int argc, char **argv);

/* "kakunin-bpf: <cmd>: <msg> (see 'kakunin-bpf <cmd> --help')" on stderr; returns 2. */
int kk_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


/* 0 when running as root; otherwise reports that cmd needs root and returns -EPERM. */
int kk_require_root(const char *cmd);

/* Reset getopt_long for a command's own argv. */
void kk_getopt_reset(void);

/* Verbose (libbpf's own messages too) when KAKUNIN_DEBUG is set and not "0". */
void kk_cli_debug_env(void);
/*
 * Run one command, as kakunin-bpf's command table does and kakunin-revoke (one command alone)
 * does: libbpf's messages captured, getopt reset, fn, then the warnings the operations left,
 * under name. fn's exit code.
 */
int kk_cli_run(const char *name, int (*fn)(int argc, char **argv), int argc, char **argv);

/*
 * Report what getopt_long rejected (c is its return, '?' or ':'; optstrings start with ':')
 * as a usage error; returns 2.
 */
int kk_bad_option(const char *cmd, int c, char **argv);
/* The same, as a JSON error object on stdout with json (commands that take --json). */
int kk_bad_option_json(const char *cmd, int c, char **argv, bool json);
/*
 * A usage error from its record: the kk_usage_error line on stderr, or with json the record as
 * a JSON error object on stdout; returns 2.
 */
int kk_usage_print(const char *cmd, const struct kk_error *e, bool json);
/*
 * Whether opt is among the options of argv (before any "--"): a command that takes --json
 * knows it before getopt reaches it, so an earlier usage error is JSON too.
 */
bool kk_argv_has(int argc, char **argv, const char *opt);

struct kk_bind_req;
/*
 * A failed bind or run (cmd_bind.c): e under cmd, or a policy's errors as its FILE:LINE:COL
 * lines (text) or the error object's "errors" list (json).
 */
void kk_bind_print_error(const char *cmd, const struct kk_bind_req *r, const struct kk_error *e,
			 bool json);
/* The policy's warnings of a bind or run (a name not resolving yet), one stderr line each. */
void kk_bind_print_warnings(const char *cmd, const struct kk_bind_req *r);

#endif
