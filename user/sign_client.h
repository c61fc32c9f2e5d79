/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sign_client — the C client of the signer (signer.h, docs/signing.md): one request on the
 * signer's unix socket, one reply. No libbpf and no privileges: whether the caller may have a
 * signature is the kernel's and the signer's decision, not the client's.
 */
#ifndef KK_SIGN_CLIENT_H
#define KK_SIGN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Its own runtime directory (mode 0755): /run/kakunin is 0700, but any agent must reach the
 * socket; the kernel's attestation, not the file mode, decides who gets a signature.
 */
#define KK_SIGNER_SOCKET "/run/kakunin-signer/signer.sock"

struct kk_error;

struct kk_sign_reply {
	bool ok;
	char *jws;	   /* ok: the compact JWS */
	char *certificate; /* ok: X-Agent-Certificate, base64 DER of the leaf */
	char *timestamp;   /* ok: X-Agent-Timestamp, the JWS's iat */
	double risk;
	char reason[48];   /* refused: the refusal's name ("unbound", "out_of_scope", ...) */
	char why[512];	   /* refused: for a person */
	char *line;	   /* the reply line as received (JSON, no newline) */
};

/*
 * Ask the signer at socket (NULL: the default) to sign payload (len bytes) as action type
 * (NULL: "trade"): a JSON payload (json true: the text of a JSON object, sent as is) or raw
 * bytes (base64 on the wire). 0 with *out filled whether signed or refused (out->ok says);
 * -errno and e when there is no answer (no signer, connection lost, malformed reply).
 */
int kk_sign_request(const char *socket, const char *type, const void *payload, size_t len,
		    bool json, struct kk_sign_reply *out, struct kk_error *e);
void kk_sign_reply_free(struct kk_sign_reply *r);

#endif
