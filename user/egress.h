/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * egress — `kakunin-bpf egress`: originates mutual TLS on a bound agent's behalf (docs/egress.md).
 * For each "egress" rule of each agent's policy (policy.h, struct kk_egress_rule) it listens on
 * the rule's loopback address; a connection there is relayed, as plain bytes, over TLS 1.2/1.3
 * to the rule's upstream, presenting the agent's certificate chain and proving possession with
 * the key the signer's configuration names (file or pkcs11:, keyref.h) — a key the agent never
 * holds — after verifying the upstream against the rule's pinned CA and server_name.
 *
 * Only the agent may use its listener: every accepted connection is attributed by the kernel to
 * the connecting task's binding (kk_maps_peer), which must carry that agent's certificate in an
 * active state (kk_signer_check_caller, shared with the signer); every live connection is
 * checked again every KK_EGRESS_RECHECK_MS, so a revocation cuts it.
 *
 * One thread, one poll loop, non-blocking sockets, two bounded buffers per connection, a
 * handshake deadline and an idle timeout: an upstream or a caller that stalls, floods or sends
 * garbage costs its own connection and nothing else.
 *
 *   egress_tls.c   the TLS client contexts (one per rule) and one connection's TLS setup
 *   egress_conn.c  one connection: upstream connect, handshake, relay, buffers, end
 *   egress.c       listeners, accept and attestation, the loop, re-checks, audit events
 */
#ifndef KK_EGRESS_H
#define KK_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "signer.h"

#define KK_EGRESS_LISTENERS (KK_SIGNER_AGENTS * 4) /* rules served, over all agents */
#define KK_EGRESS_BUF 16384	  /* bytes buffered per direction per connection */
#define KK_EGRESS_RECHECK_MS 20	  /* every live connection's caller is checked this often */
#define KK_EGRESS_ADDRS 8	  /* upstream addresses tried, in resolver order */
#define KK_EGRESS_RESOLVE_S 30	  /* a hostname's addresses are kept this long */

struct kk_egress_rule;

struct kk_egress_listener {
	struct kk_signer_agent *agent;
	const struct kk_egress_rule *rule;
	int fd;
	void *ctx;		 /* SSL_CTX *: the agent's chain and key, the rule's CA */
	char listen[64];	 /* "127.0.0.1:18443", "[::1]:18443" */
	struct sockaddr_storage addr[KK_EGRESS_ADDRS];
	socklen_t alen[KK_EGRESS_ADDRS];
	int n_addr;
	int64_t resolved_ms;	 /* 0: not yet */
};

/* Bytes waiting to go one way: d[off, off + len). */
struct kk_egress_buf {
	size_t off, len;
	unsigned char d[KK_EGRESS_BUF];
};

enum kk_egress_state { KK_EG_CONNECTING, KK_EG_HANDSHAKE, KK_EG_RELAY };

struct kk_egress_conn {
	struct kk_egress_listener *l;
	int cfd, ufd;		 /* the agent's socket, the upstream's */
	void *ssl;		 /* SSL * */
	enum kk_egress_state st;
	int addr_i;		 /* the upstream address being tried */
	struct kk_sign_req req;	 /* the attested caller (binding, gen, identity, agent) */
	int64_t start_ms, deadline_ms, io_ms;
	uint64_t up, down;	 /* bytes relayed agent -> upstream, upstream -> agent */
	bool c_eof, u_eof;	 /* end of file read from the agent / from the upstream */
	bool c_shut, u_shut;	 /* our end of file sent to the agent / close_notify sent */
	short u_events;		 /* what TLS waits for on ufd (POLLIN/POLLOUT) */
	bool again;		 /* decrypted bytes pending: pump again without waiting */
	struct kk_egress_buf c2u, u2c;
};

struct kk_egress {
	struct kk_signer s; /* the agents as the signer loads them, and the maps */
	struct kk_egress_listener l[KK_EGRESS_LISTENERS];
	int n_l;
	struct kk_egress_conn **conns;
	int n_conns;
};

/* --- egress_tls.c --- */

/* l->ctx for l's agent and rule: -errno and e naming the file (the CA) or the key. */
struct kk_error;
int kk_egress_tls_ctx(struct kk_egress_listener *l, struct kk_error *e);
/* c->ssl on c->ufd, verifying the rule's server_name (a DNS name or an IP literal). -errno. */
int kk_egress_tls_new(struct kk_egress_conn *c);
/* Why the last TLS operation of c failed: the verify result or OpenSSL's error queue. */
void kk_egress_tls_why(struct kk_egress_conn *c, char *why, size_t wlen);
/* The name verified in the upstream's certificate: server_name, else the upstream host. */
const char *kk_egress_server_name(const struct kk_egress_rule *r);
/* Is s an IPv4 or IPv6 literal (verified against the certificate's IP SANs)? */
bool kk_egress_is_ip(const char *s);

/* --- egress_conn.c --- */

/* Bytes free at the end of b, after moving what it holds to its start. */
size_t kk_egress_buf_room(struct kk_egress_buf *b);
/* Consume n bytes from the front of b. */
void kk_egress_buf_take(struct kk_egress_buf *b, size_t n);

/* Start connecting c to its upstream (resolving it when due). 0, or refusal why. */
int kk_egress_conn_start(struct kk_egress_conn *c, char *why, size_t wlen);
/*
 * Move c along after its sockets were ready (or a deadline passed): connect, handshake, relay.
 * 0: still going; a refusal (enum kk_refusal, > 0) while it was still connecting to the
 * upstream, with why; -1: the relay ended, *end says how ("closed", "upstream_closed",
 * "agent_error", "upstream_error").
 */
int kk_egress_conn_pump(struct kk_egress_conn *c, int64_t now_ms, const char **end, char *why,
			size_t wlen);
/* The poll events c waits for on its agent's and upstream's sockets. */
void kk_egress_conn_events(const struct kk_egress_conn *c, short *cev, short *uev);
void kk_egress_conn_free(struct kk_egress_conn *c);

/* The audit event's details (compact JSON): egress.c emits them. Caller frees. */
char *kk_egress_details(const struct kk_egress_conn *c, int ref, const char *why,
			const char *end, int64_t now_ms);

/* "127.0.0.1:18443" / "[::1]:18443" for a rule's listen address. */
void kk_egress_listen_str(const struct kk_egress_rule *r, char *out, size_t len);

int64_t kk_egress_now_ms(void);

/* Serve c's agents' egress rules until SIGTERM/SIGINT. Returns the exit code. */
int kk_egress_run(const struct kk_signer_cfg *c);

#endif
