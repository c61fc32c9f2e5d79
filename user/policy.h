/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy — scope policies: JSONC text -> validated policy -> compiled rule set ready for the
 * kernel's maps, plus a canonical form and its SHA-256 (the policy hash a certificate can pin).
 * No libbpf here: the maps module writes what this module computes.
 *
 * Errors are collected, not stopped at: each is "FILE:LINE:COL: field.path: reason".
 */
#ifndef KK_POLICY_H
#define KK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "kakunin.h"
#include "ruleset.h"

enum kk_mode { KK_MODE_ENFORCE = 0, KK_MODE_AUDIT = 1 };
enum kk_audit_level { KK_AUDIT_DENIALS = 0, KK_AUDIT_ALL = 1 };
/* "ipc": System V IPC objects and keys the agent may use. */
enum kk_ipc { KK_IPC_OWN = 0, KK_IPC_NONE = 1 };

struct kk_policy_error {
	int line, col;		/* 1-based; 0 when the error is about the file as a whole */
	char *field;		/* "data_access[\"/x*\"]", "" for the document */
	char *reason;
};

struct kk_errors {
	struct kk_policy_error *v;
	size_t n, cap;
};

/* A data_access entry (or a baseline one) as written, and what it means. */
struct kk_path_rule {
	char *pattern;		/* as written */
	char *dir;		/* the path without a final star component ("/" for the root) */
	bool subtree;		/* pattern "dir/" + star: dir itself and everything below it */
	uint8_t perms;		/* KK_ACCESS_* bits; 0 = explicit deny */
	uint8_t origin;		/* enum kk_origin */
};

/* One allowed_hosts/denied_hosts entry after parsing; also a listen entry (KK_HOST_ADDR). */
enum kk_host_kind {
	KK_HOST_ADDR,		/* IPv4/IPv6 address or CIDR (addr/prefix set) */
	KK_HOST_NAME,		/* hostname, resolved when compiled */
	KK_HOST_WILDCARD,	/* "*.domain": denied_hosts only, enforced by default-deny */
};

struct kk_host_rule {
	char *text;		/* as written */
	char *name;		/* normalized hostname (lowercase, no trailing dot) or NULL */
	enum kk_host_kind kind;
	bool deny;
	uint8_t origin;		/* enum kk_origin */
	uint8_t addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	uint8_t prefix;		/* 0..128 over addr; IPv4 /n is 96 + n; listen "PORT": 0 */
	uint16_t port;		/* 0 = any port */
	int index;		/* position in its list */
	int line, col;
};

/*
 * One "egress" entry: the agent reaches upstream only through the kakunin egress listening on
 * listen_addr:listen_port, which opens mutual TLS to upstream with the agent's certificate and
 * verifies the server against ca and server_name. Compiled (the forced path): the listener is
 * allowed as an allowed_hosts address:port, every address of host is denied on every port.
 * Strings are normalized: host lowercase without a trailing dot, or an address as inet_ntop
 * writes it (IPv4-mapped written as IPv4); server_name likewise, the host when not given.
 */
struct kk_egress_rule {
	char *upstream;          /* "api.exchange.com:443" as written */
	char *host;              /* "api.exchange.com" (no brackets for IPv6) */
	uint16_t port;           /* upstream port */
	uint8_t listen_addr[16]; /* IPv4-mapped for IPv4, as kk_host_rule */
	uint16_t listen_port;
	bool listen_v4;
	char *ca;                /* PEM bundle path */
	char *server_name;       /* name verified in the server's certificate */
	bool http_events;
};

struct kk_policy {
	char *file;
	char *agent_id;
	char *spiffe_id; /* NULL, or the SAN URI the certificate must carry (then CN is not enough) */
	char *version;
	enum kk_mode mode;
	bool baseline;
	enum kk_audit_level audit;
	bool allow_jit;				/* anonymous/memfd memory may be executable */
	enum kk_ipc ipc;			/* own: only objects created under the binding */

	char **regions;
	size_t n_regions;
	bool has_hours;
	uint16_t hours_start, hours_end;	/* minutes after 00:00 UTC; start > end: overnight */
	uint32_t max_concurrent;		/* 0 = no limit */
	uint32_t rate_count, rate_period_s;	/* 0 = no limit */
	char *rate_unit;			/* "trades" */

	struct kk_path_rule *paths;
	size_t n_paths;
	char **exec;
	struct kk_src_pos { int line, col; } *exec_pos;	/* where each is written; 0:0 unknown */
	size_t n_exec;
	bool has_exec;				/* "exec" present: only these may run */
	struct kk_host_rule *hosts;
	size_t n_hosts;
	struct kk_host_rule *listen;		/* network_rules.listen (kind KK_HOST_ADDR) */
	size_t n_listen;
	uint32_t socket_types;			/* allowed_socket_types: KK_POL_SOCK_* bits */

	struct kk_actions *actions;		/* the "actions" section (actions.h); NULL: none */
	struct kk_egress_rule *egress;		/* the "egress" section, in the order written */
	size_t n_egress;
	/* Where each egress entry's key, listen and ca values are written, for later errors. */
	struct kk_egress_pos { struct kk_src_pos upstream, listen, ca; } *egress_pos;

	bool revocation_enabled, revocation_fail_open;
	uint32_t revocation_ttl_s;
	uint32_t auto_revoke_max, auto_revoke_window_s;	/* 0 = off */

	uint8_t hash[KK_POLICY_HASH_LEN];	/* SHA-256 of canonical: the kernel slot key */
	char *canonical;			/* canonical JSON the hash is taken over */
};

/* p's hash as lowercase hex in out, to print or compare with text; returns out. */
const char *kk_policy_hash_hex(const struct kk_policy *p, char out[KK_POLICY_HASH_HEX]);

struct kk_policy_opts {
	bool offline;		/* keep hostnames symbolic instead of resolving them */
	/*
	 * A hostname that does not resolve (yet) is kept symbolic with a warning instead of an
	 * error: bind takes it and the daemon's DNS refresh adds its addresses once it resolves.
	 */
	bool pending_ok;
	const char *resolv_conf;	/* nameservers for the DNS baseline; NULL: /etc/resolv.conf */
	/* Where what compiles but deserves a line goes (positioned like errors); NULL: nowhere. */
	struct kk_errors *warnings;
};

/*
 * Parse and validate text (len bytes) named file. 0 and *out filled, or -EINVAL with every
 * problem in errs (sorted by position). Other -errno on allocation failure.
 */
int kk_policy_parse(const char *file, const char *text, size_t len, struct kk_policy *out,
		    struct kk_errors *errs);
/* Read file ("-": standard input) and kk_policy_parse it; a read failure is one error in errs. */
int kk_policy_load(const char *file, struct kk_policy *out, struct kk_errors *errs);
/*
 * Read a policy's canonical form (kk_policy.canonical, as the state directory keeps it) back:
 * the same policy, so the same hash. Errors as kk_policy_load.
 */
int kk_policy_load_canonical(const char *file, struct kk_policy *out, struct kk_errors *errs);
void kk_policy_free(struct kk_policy *p);
/*
 * A bare "actions" section's text ({"trade": {...}}: a certificate's scope extension) parsed as
 * the policy's own: 0 and *out, or -EINVAL with every problem in errs (fields named
 * "actions[\"trade\"]..." and positioned in text); -ENOMEM. file names text in nothing yet.
 */
struct kk_actions;
int kk_actions_parse(const char *file, const char *text, size_t len, struct kk_actions **out,
		     struct kk_errors *errs);

/*
 * Compile a validated policy: merge the baseline, resolve hostnames (getaddrinfo, every A and
 * AAAA) unless opts->offline, build kernel-ready LPM entries. Resolution failures are errors
 * in errs (-EINVAL), or warnings with opts->pending_ok; an exec entry missing on this host is a
 * warning. The ruleset borrows strings from p: free it first.
 */
int kk_policy_compile(const struct kk_policy *p, const struct kk_policy_opts *opts,
		      struct kk_ruleset *out, struct kk_errors *errs);
/* "10.0.0.0/8", "2001:db8::1", "169.254.169.254": the address part of a network entry. */
int kk_net_entry_addr(const struct kk_net_entry *e, char *buf, size_t len);

/* --- errors --- */
void kk_errors_add(struct kk_errors *e, int line, int col, const char *field, const char *fmt,
		   ...) __attribute__((format(printf, 5, 6)));
void kk_errors_sort(struct kk_errors *e);
void kk_errors_free(struct kk_errors *e);
/* Each error as "FILE:LINE:COL: field: reason" (LINE:COL and field omitted when unknown). */
void kk_errors_print(FILE *f, const char *file, const struct kk_errors *e);
/* One of them as that line (no newline) into buf. */
void kk_errors_format(const char *file, const struct kk_policy_error *x, char *buf, size_t len);
struct cJSON;
/*
 * The same as a JSON array of {"file", "line", "col", "field", "why"} (line and col 0 when the
 * error is about the file as a whole); NULL when out of memory.
 */
struct cJSON *kk_errors_json(const char *file, const struct kk_errors *e);
struct kk_error;
/*
 * An error record for a policy that failed with code: what is file, why its first error
 * ("LINE:COL: field: reason", with "(and N more)"), or strerror(code) when the list is empty.
 * Returns code.
 */
int kk_errors_record(const char *file, const struct kk_errors *errs, int code,
		     struct kk_error *e);

/*
 * Does r->ca hold a PEM certificate on this host (a regular file, readable, with a "BEGIN
 * CERTIFICATE" block)? 0, or -errno with why[]. Not a validation error: the policy may be
 * checked elsewhere; `policy check` warns, the egress refuses to serve without it.
 */
int kk_egress_ca_check(const struct kk_egress_rule *r, char *why, size_t wlen);

/* "read", "read,write", ... or "deny" for 0. */
const char *kk_perms_str(uint8_t perms, char *buf, size_t len);

#endif
