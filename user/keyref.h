/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * keyref — key custody: turn a key reference from the signer's (or egress') configuration into
 * an EVP_PKEY that signs, and check that it is the private half of a certificate. Prints nothing;
 * every refusal is one struct kk_error naming the reference (never a PIN) and the reason.
 *
 * References:
 *   /path/key.pem, file:/path/key.pem (file:///path/key.pem too)
 *	An unencrypted PEM private key: PKCS#8 ("PRIVATE KEY") or traditional ("EC PRIVATE KEY",
 *	"RSA PRIVATE KEY"); EC, RSA, Ed25519. Opened with O_NOFOLLOW (a symbolic link is refused:
 *	whoever can replace the link chooses the key), and refused unless a regular file owned by
 *	root or the caller's effective uid with no group/other permission bits (mode 0600 or 0400).
 *	Encrypted PEM is refused: an unattended signer has nowhere safer to keep the passphrase
 *	than the key's own protection (file mode, the kernel's protected paths, or an HSM).
 *   pkcs11:token=kakunin;object=agent;type=private?pin-value=1234
 *   pkcs11:token=kakunin;id=%01?pin-source=file:/etc/kakunin/pin&module-path=/usr/lib/x.so
 *	RFC 7512, through OpenSSL's pkcs11 ENGINE (Debian libengine-pkcs11-openssl, libp11).
 *	Path attributes (token, object, id, serial, manufacturer, model, type) select the key and
 *	are passed on; the query attributes are ours:
 *	  pin-value=PIN           the user PIN (percent-encoded as RFC 7512 says)
 *	  pin-source=file:PATH    (or a bare PATH) the PIN is the file's first line; the file is
 *	                          held to the key file's rules (regular, owner, mode 0600)
 *	  module-path=/abs/x.so   the PKCS#11 module. Without it the engine's default is used:
 *	                          p11-kit's proxy (/usr/lib/<arch>/p11-kit-proxy.so on Debian),
 *	                          which loads every module registered with p11-kit — SoftHSM2's
 *	                          package registers itself (/usr/share/p11-kit/modules/
 *	                          softhsm2.module), vendor HSMs usually do or take one
 *	                          /etc/pkcs11/modules/NAME.module line. $PKCS11_MODULE_PATH, when
 *	                          set, replaces that default (libp11's rule).
 *	  module-name             refused: use module-path, or register the module with p11-kit.
 *	One PKCS#11 module per process: the engine loads one module, once, and keeps it (and the
 *	token logins) for the process's life, because loaded keys keep using it. A reference naming
 *	another module-path than the first one is refused (-EINVAL); reach several HSMs through
 *	p11-kit. PKCS#11 logins are per process and token: once a key of a token is loaded, later
 *	keys of the same token load without checking their PIN again.
 *	Keys loaded here must sign in the process that loaded them (PKCS#11 sessions do not survive
 *	fork()). Loading is serialised by a lock; signing with engine keys is libp11's concern
 *	(it locks its sessions).
 */
#ifndef KK_KEYREF_H
#define KK_KEYREF_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "error.h"

/* The largest key file read (a 16384-bit RSA key in PEM is ~12 KiB). */
#define KK_KEY_FILE_MAX (64u << 10)

/*
 * ref: a PEM path (or "file:PATH"): refused unless a regular file owned by root or the caller's
 * uid, mode without group/other bits; or an RFC 7512 "pkcs11:" URI through OpenSSL's pkcs11
 * engine (libengine-pkcs11-openssl), PIN from "pin-value=" or "pin-source=file:PATH".
 * 0 and *out (the caller frees it with EVP_PKEY_free), or -errno with e naming the reference
 * (never the PIN) and the OpenSSL reason:
 *   -ENOENT        no such file; no such token or object; the pkcs11 engine is not installed
 *   -EPERM         a symbolic link, not a regular file, wrong owner, group/other mode bits
 *   -EINVAL        no PEM private key in the file; a malformed URI
 *   -EOPNOTSUPP    an encrypted PEM key
 *   -EACCES        the token refused the PIN (or none was given and it needs one)
 *   -EFBIG         a key file larger than KK_KEY_FILE_MAX
 *   -EIO           the engine or the module failed otherwise
 */
int kk_key_load(const char *ref, EVP_PKEY **out, struct kk_error *e);

/*
 * 0 when key is the private half of cert's public key; -EKEYREJECTED otherwise. Besides
 * comparing the public halves (when the key has one to compare), it signs a random challenge
 * with key and verifies it with the certificate's key, so an HSM object whose public part was
 * mislabelled is caught too: -EIO when the key cannot sign at all.
 */
int kk_key_matches_cert(EVP_PKEY *key, X509 *cert, struct kk_error *e);

#endif
