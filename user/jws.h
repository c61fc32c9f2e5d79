/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * jws — RFC 7515 compact JWS as the signer makes it and verify reads it: the claims (agent,
 * policy hash, host, action, iat, jti) live in the protected header, the certificate chain in
 * x5c, the signature algorithm follows the key type (ES256 for EC P-256, PS256 for RSA >= 2048
 * bits, EdDSA for Ed25519) and nothing else is accepted, so no header can pick a weaker or
 * different algorithm than the certificate's key (no "none", no HMAC, no alg confusion).
 * OpenSSL, cJSON and libc only: no libbpf. Nothing here prints.
 */
#ifndef KK_JWS_H
#define KK_JWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct cJSON;
struct kk_error;

/* The protected header's "typ". */
#define KK_JWS_TYP "kakunin-action+jws"

/* base64url without padding (RFC 7515 2); malloc'd, NULL when out of memory. */
char *kk_b64url(const unsigned char *buf, size_t len);
/*
 * Strict: only [A-Za-z0-9_-], no padding, no whitespace, canonical trailing bits. 0 and *out
 * (malloc'd, NUL-terminated for convenience, *olen bytes) or -EINVAL / -ENOMEM.
 */
int kk_b64url_decode(const char *s, size_t len, unsigned char **out, size_t *olen);

struct kk_jws_sign_in {
	EVP_PKEY *key;		/* ES256 for EC P-256, PS256 for RSA >= 2048, EdDSA for Ed25519 */
	STACK_OF(X509) * chain; /* leaf first; x5c = base64 (standard, padded) DER of each */
	const char *kid;	/* the leaf's serial, lowercase hex (struct kk_identity.serial) */
	const char *agent_id, *policy_hash, *host, *action; /* protected-header claims */
	int64_t iat;					    /* Unix seconds */
	const char *jti; /* nonce: 32 lowercase hex chars (16 random bytes) */
	const unsigned char *payload;
	size_t payload_len; /* already canonical (kk_jcs) or raw */
	bool payload_json;  /* header "cty": "json" when true, "octet" otherwise */
};

/*
 * Compact JWS (header.payload.signature), malloc'd into *out. Protected header members: alg,
 * action, agent_id, cty, host, iat, jti, kid, policy_hash, typ, x5c, serialized by kk_jcs (so in
 * RFC 8785 order: action, agent_id, alg, cty, ...); a claim given as NULL is left out; kid, jti
 * and a non-empty chain are required. ES256 signatures are the
 * raw 64-byte r||s (RFC 7518 3.4), PS256 uses salt length 32 and MGF1-SHA256 (RFC 7518 3.5).
 * 0, or -EINVAL (unsupported key, missing field), -ENOMEM, -EIO (OpenSSL failed) with e.
 */
int kk_jws_sign(const struct kk_jws_sign_in *in, char **out, struct kk_error *e);

struct kk_jws {
	struct cJSON *header; /* the decoded protected header */
	unsigned char *payload;
	size_t payload_len;
	STACK_OF(X509) * chain; /* from x5c, leaf first */
	const char *alg;	/* points into header */
};

/*
 * Parse a compact JWS (<= KK_JWS_MAX bytes) and check its signature against x5c[0]'s key and
 * alg (alg must match the key type: no "none", no HS*, no alg confusion; a "crit" member is
 * refused, as no extension is understood). 0 and *out filled (free with kk_jws_free), or
 * -EINVAL (malformed: which part), -E2BIG (too long), -EBADMSG (signature does not verify),
 * -ENOMEM, with e. No trust decision: the chain is whatever x5c says.
 */
int kk_jws_parse_verify(const char *compact, size_t len, struct kk_jws *out, struct kk_error *e);
void kk_jws_free(struct kk_jws *j);

/* The alg a key signs with ("ES256", "PS256", "EdDSA") or NULL for keys not supported. */
const char *kk_jws_alg_for_key(EVP_PKEY *key);

#endif
