/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * signer — `kakunin-bpf signer`: holds the agents' private keys and signs an action (a JWS,
 * jws.h) for a caller on its unix socket only when the kernel attests that the caller is bound
 * to the certificate of one of those keys, the identity is active, inside its allowed_hours,
 * its revocation status fresh, and the action within scope, rate and risk (docs/signing.md).
 * Its own process, apart from the event daemon: the keys never share an address space with
 * the code that parses the kernel's event stream and serves event clients.
 *
 *   signer_config.c  the configuration file and loading the agents (keys, certificates, policy)
 *   signer_check.c   the checks of one request, in order, each with its own refusal reason
 *   signer.c         the socket, the connections, signing, replies and audit events
 */
#ifndef KK_SIGNER_H
#define KK_SIGNER_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "kakunin.h"
#include "maps.h"
#include "sign_client.h" /* KK_SIGNER_SOCKET */

#define KK_SIGNER_CONFIG "/etc/kakunin/signer.json"
#define KK_SIGNER_AGENTS 16	    /* agents (keys) one signer holds */
#define KK_SIGNER_CHAIN 4	    /* intermediate certificates per agent */
#define KK_SIGNER_KEYREF_MAX 1024   /* a key reference (path or pkcs11: URI), with its NUL */
#define KK_SIGNER_CONNS 64	    /* connections served at once */
#define KK_SIGNER_IDLE_S 30	    /* a connection without a request for this long is closed */
#define KK_SIGNER_TYPE_MAX 64	    /* an action type, without its NUL */

struct kk_signer_agent_cfg {
	char cert[PATH_MAX];
	char chain[KK_SIGNER_CHAIN][PATH_MAX];
	int n_chain;
	char key[KK_SIGNER_KEYREF_MAX];
	char policy[PATH_MAX];
};

struct kk_signer_cfg {
	char socket_path[108];
	struct kk_signer_agent_cfg agents[KK_SIGNER_AGENTS];
	int n_agents;
	uint32_t max_payload; /* bytes of a payload (canonical JSON or raw); <= KK_SIGN_PAYLOAD_MAX */
	char ca[PATH_MAX];    /* CA bundle for OCSP answers (the agents' issuers) */
	char ocsp_url[512];   /* "" = each certificate's AIA URL */
	int ocsp_timeout_ms;
	/* the egress (egress.h): it reads the same file */
	int egress_connections;	  /* connections relayed at once */
	int egress_handshake_ms;  /* connect + TLS handshake to the upstream */
	int egress_idle_s;	  /* a connection with no byte either way for this long ends */
};

/* The longest request line for a max_payload: base64 of it plus room for the envelope. */
static inline size_t kk_signer_line_max(uint32_t max_payload)
{
	return (size_t)max_payload * 4 / 3 + 1024;
}

/*
 * Defaults, then FILE: JSONC validated like a policy (unknown and duplicate keys, wrong types,
 * values out of range), every problem as "FILE:LINE:COL: key: reason" into errs. -errno.
 */
struct kk_errors;
int kk_signer_config_parse(const char *file, const char *text, size_t len,
			   struct kk_signer_cfg *c, struct kk_errors *errs);
/* Read and parse FILE; its problems are printed under "signer". -errno. */
int kk_signer_config(const char *file, struct kk_signer_cfg *c);
/* The same, its problems printed under who (the egress reads the signer's file too). */
int kk_signer_config_as(const char *who, const char *file, struct kk_signer_cfg *c);

/* One agent as the signer serves it: what it loaded at start and its per-agent state. */
struct kk_policy;
struct kk_actions;
struct kk_risk;
struct kk_signer_agent {
	const struct kk_signer_agent_cfg *cfg;
	struct kk_identity id;	 /* the leaf certificate */
	struct kk_ident_key key; /* as the kernel keys it: what a binding must carry */
	void *leaf;		 /* X509 * */
	void *chain;		 /* STACK_OF(X509) *, leaf first: the JWS's x5c */
	void *pkey;		 /* EVP_PKEY *: the private key */
	char *leaf_b64;		 /* base64 DER of the leaf: X-Agent-Certificate */
	struct kk_policy *policy;
	char policy_hash[KK_POLICY_HASH_HEX];
	struct kk_actions *scope_ext; /* the certificate's scope extension, NULL when absent */
	pthread_mutex_t lock;	      /* rate buckets, risk history, the OCSP answer */
	/* The last revocation answer (signer_check.c) */
	int64_t ocsp_at;	/* 0: none yet */
	int64_t ocsp_until;	/* used until then */
	int ocsp_status;	/* enum kk_ocsp_status, or -1: no valid answer */
	char ocsp_why[256];
};

struct kk_signer {
	const struct kk_signer_cfg *cfg;
	struct kk_signer_agent agents[KK_SIGNER_AGENTS];
	int n_agents;
	struct kk_risk *risk;
	struct kk_maps maps;
	pthread_mutex_t revoke_lock; /* one revocation at a time (the maps lock is per process) */
	char host[256];
};

struct kk_error;
/*
 * Load every agent of c: its certificate and chain, its key (keyref.h) which must be the
 * certificate's, its policy (with its hash and "actions"), the certificate's scope extension.
 * -errno and e naming the agent's file that failed; nothing stays loaded then.
 */
int kk_signer_load(struct kk_signer *s, const struct kk_signer_cfg *c, struct kk_error *e);
void kk_signer_unload(struct kk_signer *s);

/* One request being decided (signer_check.c) and signed (signer.c). */
struct cJSON;
struct kk_sign_req {
	int fd;				/* the accepted socket: what the kernel attests */
	int32_t pid;			/* SO_PEERCRED, for the audit event only */
	char type[KK_SIGNER_TYPE_MAX + 1];
	struct cJSON *payload;		/* JSON payload (canonical form parsed), or NULL */
	unsigned char *data;		/* what is signed: canonical JSON or the raw bytes */
	size_t len;
	bool json;
	/* filled by the checks */
	bool bound;			/* binding/rec valid */
	uint32_t slot, gen;
	struct kk_binding_rec rec;
	struct kk_signer_agent *agent;
	bool scope_passed;
	double risk;
};

/*
 * Every check of req in order (attestation, certificate, identity state, hours, revocation,
 * scope, certificate scope, rate, risk); the first that fails gives its refusal (enum
 * kk_refusal, actions.h) and why[]; 0 (KK_REF_NONE) when req may be signed. A risk above the
 * action's revoke_above also revokes the identity in the kernel, as `revoke` does.
 */
int kk_signer_check(struct kk_signer *s, struct kk_sign_req *req, char *why, size_t wlen);
/*
 * The caller alone, the part of kk_signer_check that does not look at an action: attestation,
 * certificate, identity state, allowed_hours and, with revocation, the OCSP status (which may
 * ask the responder: a network round trip at most once per cache_ttl_seconds). The egress
 * (egress.h) decides its connections with it. enum kk_refusal and why[].
 */
int kk_signer_check_caller(struct kk_signer *s, struct kk_sign_req *r, bool revocation,
			   char *why, size_t wlen);
/* Only attestation and the agent (for a request that is refused before its checks). */
int kk_signer_attest(struct kk_signer *s, struct kk_sign_req *req, char *why, size_t wlen);
/* The decision is taken: remember the payload in the agent's risk history. */
void kk_signer_record(struct kk_signer *s, struct kk_sign_req *req);

/* Serve c until SIGTERM/SIGINT. Returns the exit code. */
int kk_signer_run(const struct kk_signer_cfg *c);

#endif
