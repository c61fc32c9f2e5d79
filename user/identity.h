/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * identity — the agent's X.509 certificate: load it (PEM or DER), verify its chain to a CA
 * bundle and its validity period, and check it against a policy (agent_id, pinned policy hash).
 * What the kernel keys a binding by is the pair (issuer_key, serial_bin). OpenSSL and libc only:
 * no libbpf here, the maps module writes what this module extracts.
 *
 * Every function that can fail returns 0 or -errno and, where it takes why/wlen, puts one line
 * naming what and why into why[] ("certificate agent.pem: expired on 2026-01-01 00:00:00 UTC
 * (certificate has expired)"), with OpenSSL's own error text appended when OpenSSL failed.
 * Errors: -ENOENT, -EACCES, -EISDIR... (a file could not be read), -EINVAL (not a certificate,
 * or one this module refuses: negative or over-long serial, malformed extension), -EKEYEXPIRED
 * (outside a validity period), -EKEYREJECTED (chain, signature or CA checks), -ENOMEM.
 */
#ifndef KK_IDENTITY_H
#define KK_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kakunin_limits.h" /* KK_SERIAL_MAX and the text sizes: no layouts, no libbpf */

#define KK_DEFAULT_CA "/etc/kakunin/ca.pem"
/*
 * kakunin policy-hash extension: an OID under the UUID arc 2.25 (ITU-T X.667), so no registry is
 * needed. Value: DER OCTET STRING holding the 32-byte SHA-256 policy hash. Non-critical.
 */
#define KK_POLICY_HASH_OID "2.25.243117301337387610220934576524076285138"
/* The actions-scope extension: a UTF8String holding a policy "actions" section (JSON). */
#define KK_SCOPE_OID "2.25.243117301337387610220934576524076285139"

struct kk_identity {
	/* lowercase hex of the serial's magnitude, no colons; as BN_bn2hex gives it, lowercased
	 * (even length, may start with 0; "00" for serial 0) */
	char serial[KK_SERIAL_HEX_SIZE];
	/* big-endian magnitude, no leading zero bytes except a single 0 for serial 0 */
	uint8_t serial_bin[KK_SERIAL_MAX];
	size_t serial_len;
	/* first 8 bytes of SHA-256 over the DER of the issuer name: the kernel's identity key with
	 * serial_bin */
	uint8_t issuer_key[KK_ISSUER_KEY_LEN];
	/* X509_NAME_hash_ex of the issuer name as 8 lowercase hex chars, like
	 * `openssl x509 -issuer_hash` */
	char issuer_hash[9];
	char *issuer;	  /* issuer DN, one line (XN_FLAG_RFC2253) */
	char *subject_cn; /* NULL when the subject has no CN */
	char **san_uris;  /* URI entries of subjectAltName */
	size_t n_san_uris;
	char fingerprint[65];	       /* SHA-256 of the DER certificate, lowercase hex */
	int64_t not_before, not_after; /* Unix seconds */
	bool has_policy_hash;
	char policy_hash[65]; /* lowercase hex of the extension's 32 bytes */
};

/*
 * Load a certificate (PEM or DER, detected) and fill *id; no trust decision. Refused even so:
 * a negative serial (its magnitude would collide with the positive one in the identity key), a
 * serial over 20 bytes, more than one CN, a CN or SAN URI with a NUL byte, and a malformed or
 * duplicated policy-hash extension. On error *id is left zeroed. -errno, why[]
 */
int kk_identity_load(const char *cert_path, struct kk_identity *id, char *why, size_t wlen);

/*
 * Load cert_path, and verify it: chain to a trust anchor in ca_bundle (PEM, one or more certs;
 * NULL = KK_DEFAULT_CA) with X509_verify_cert. Intermediates may come after the leaf in
 * cert_path (PEM) or be in the bundle. Validity period checked at `now` (Unix seconds; pass
 * time(NULL) normally; tests pass fixed times). Also refused: a CA certificate as the leaf
 * (basicConstraints CA:TRUE), serial 0, and a critical policy-hash extension. -errno, why[]
 */
int kk_identity_verify(const char *cert_path, const char *ca_bundle, int64_t now,
		       struct kk_identity *id, char *why, size_t wlen);

/*
 * Does certificate id name the policy's agent? Whole names only, byte for byte, never a suffix
 * or a path segment. Without spiffe_id (NULL or ""): agent_id must equal the subject CN or a
 * whole SAN URI. With spiffe_id: one SAN URI must equal it, and the CN does not count.
 * -EACCES with why naming what did not match: "certificate CN \"x\" (and SAN URIs ...) does
 * not match the policy's agent_id \"y\"", "certificate SAN URI \"u\" does not match the
 * policy's spiffe_id \"s\" ..."; -EINVAL for an empty agent_id.
 */
int kk_identity_match_agent(const struct kk_identity *id, const char *agent_id,
			    const char *spiffe_id, char *why, size_t wlen);

/*
 * When the certificate pins a policy hash, it must equal policy_hash_hex (64 hex digits).
 * -EACCES with why naming both hashes; -EINVAL when policy_hash_hex is not 64 hex digits.
 * No extension: 0.
 */
int kk_identity_check_policy_hash(const struct kk_identity *id, const char *policy_hash_hex,
				  char *why, size_t wlen);

/*
 * Parse a user-given serial: hex digits, optional colons between byte pairs (as
 * `openssl x509 -serial` or browsers print), optional 0x prefix, any case; leading zero bytes
 * dropped. Into out[]/len. -EINVAL (empty, non-hex, longer than KK_SERIAL_MAX bytes). Also
 * produce the canonical lowercase form (same form as kk_identity.serial) into canon[] unless it
 * is NULL.
 */
int kk_serial_parse(const char *text, uint8_t out[KK_SERIAL_MAX], size_t *len,
		    char canon[KK_SERIAL_HEX_SIZE]);

/*
 * The kernel's identity key (struct kk_ident_key, kakunin.h; declared only, so this header
 * stays free of layouts). Every key is built here, whole: the unused serial bytes and padding
 * are zero, since the key is compared and hashed as bytes.
 */
struct kk_ident_key;
/* The key of (issuer, serial[0..len)); issuer NULL: zero, the serial under any issuer. */
void kk_ident_key_set(struct kk_ident_key *key, const uint8_t issuer[KK_ISSUER_KEY_LEN],
		      const uint8_t *serial, size_t len);
/* The key of certificate id. */
void kk_identity_key(const struct kk_identity *id, struct kk_ident_key *key);
/* kk_serial_parse of text into a key with the zero issuer; canon as there. */
int kk_serial_key(const char *text, struct kk_ident_key *key, char canon[KK_SERIAL_HEX_SIZE]);

/*
 * The issuer key (see kk_identity.issuer_key) that certificates issued by the CA certificate
 * cert_path carry: from its subject name. For `revoke --issuer CA`. -errno, why[]
 */
int kk_identity_subject_key(const char *cert_path, uint8_t key[KK_ISSUER_KEY_LEN], char *why,
			    size_t wlen);

/* Free what *id owns and zero it; safe on a zeroed or already freed identity. */
void kk_identity_free(struct kk_identity *id);

#endif
