// SPDX-License-Identifier: GPL-2.0-only
/* keyref — key references: PEM files under custody rules, and the key/certificate check. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "keyref.h"
#include "keyref_int.h"

int kk_key_fail(struct kk_error *e, int code, const char *what, const char *fmt, ...)
{
	unsigned long err;
	const char *lib, *reason;
	size_t off;
	va_list ap;
	bool first = true;

	e->code = code;
	snprintf(e->what, sizeof(e->what), "%s", what ? what : "");
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	/* Oldest first: the queue's first entry is the root cause, the later ones its callers. */
	while ((err = ERR_get_error())) {
		lib = ERR_lib_error_string(err);
		reason = ERR_reason_error_string(err);
		off = strlen(e->why);
		if (off + 1 < sizeof(e->why))
			snprintf(e->why + off, sizeof(e->why) - off, "%s%s%s%s",
				 first ? ": " : "; ", lib ? lib : "", lib ? ": " : "",
				 reason ? reason : "unknown error");
		first = false;
	}
	return code;
}

static int open_fail(struct kk_error *e, const char *what, int err)
{
	if (err == ELOOP)
		return kk_error_set(e, -EPERM, what,
				    "is a symbolic link; name the file itself (whoever can change "
				    "the link would choose the key)");
	if (err == ENOENT)
		return kk_error_set(e, -ENOENT, what, "no such file");
	return kk_error_set(e, -err, what, "cannot open: %s", strerror(err));
}

/* The custody rules of keyref.h on an open file. */
static int check_custody(const struct stat *st, const char *what, struct kk_error *e)
{
	unsigned int mode = st->st_mode & 07777;
	unsigned int others = st->st_mode & 077;
	const char *who;

	if (!S_ISREG(st->st_mode))
		return kk_error_set(e, -EPERM, what, "not a regular file");
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return kk_error_set(
			e, -EPERM, what,
			"owned by uid %u, neither root nor this process's uid %u; chown it",
			(unsigned int)st->st_uid, (unsigned int)geteuid());
	if (!others)
		return 0;
	who = (others & 070) && (others & 07) ? "the group and others"
	      : (others & 070)		      ? "the group"
					      : "others";
	return kk_error_set(e, -EPERM, what, "mode 0%03o lets %s %s it; chmod 600", mode, who,
			    (others & 044) ? "read" : "write or run");
}

int kk_key_read_secret(const char *path, const char *what, size_t max, char **buf, size_t *len,
		       struct kk_error *e)
{
	int fd, rc = 0;
	struct stat st;
	char *b = NULL;
	size_t n = 0;
	ssize_t r;

	/* O_NONBLOCK: a FIFO planted at the path must not hang us before fstat refuses it. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return open_fail(e, what, errno);
	if (fstat(fd, &st)) {
		rc = kk_error_set(e, -errno, what, "cannot stat: %s", strerror(errno));
		goto out;
	}
	rc = check_custody(&st, what, e);
	if (rc)
		goto out;
	if ((unsigned long long)st.st_size > max) {
		rc = kk_error_set(e, -EFBIG, what,
				  "%lld bytes, over the limit of %zu for this file",
				  (long long)st.st_size, max);
		goto out;
	}
	b = malloc(max + 2);
	if (!b) {
		rc = kk_error_set(e, -ENOMEM, what, "out of memory");
		goto out;
	}
	/* Read to EOF, not st_size: the file may grow under us (b: max + 1 bytes and the NUL). */
	do {
		r = read(fd, b + n, max + 1 - n);
		if (r > 0)
			n += (size_t)r;
	} while ((r > 0 && n <= max) || (r < 0 && errno == EINTR));
	if (r < 0) {
		rc = kk_error_set(e, -errno, what, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (n > max) {
		rc = kk_error_set(e, -EFBIG, what, "over the limit of %zu bytes for this file",
				  max);
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	if (b)
		kk_key_free_secret(b, max + 2);
	close(fd);
	return rc;
}

void kk_key_free_secret(char *buf, size_t len)
{
	if (buf)
		OPENSSL_cleanse(buf, len);
	free(buf);
}

/* The passphrase callback: a key that asks for one is encrypted; say so and give none. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(bool *)u = true;
	return -1;
}

static int load_file(const char *path, EVP_PKEY **out, struct kk_error *e)
{
	char what[sizeof(e->what)], *buf = NULL;
	size_t len = 0;
	bool encrypted = false;
	EVP_PKEY *key;
	BIO *bio;
	int rc;

	snprintf(what, sizeof(what), "key %s", path);
	rc = kk_key_read_secret(path, what, KK_KEY_FILE_MAX, &buf, &len, e);
	if (rc)
		return rc;
	ERR_clear_error();
	bio = BIO_new_mem_buf(buf, (int)len);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &encrypted) : NULL;
	BIO_free(bio);
	/* Traditional encrypted PEM ("Proc-Type: 4,ENCRYPTED") may fail before asking. */
	if (!key && strstr(buf, "ENCRYPTED"))
		encrypted = true;
	kk_key_free_secret(buf, len);
	if (key) {
		*out = key;
		return 0;
	}
	if (encrypted) {
		ERR_clear_error();
		return kk_error_set(
			e, -EOPNOTSUPP, what,
			"is encrypted: the signer has nowhere safer for a passphrase; "
			"keep the key unencrypted with mode 0600, or in an HSM (pkcs11:)");
	}
	return kk_key_fail(e, -EINVAL, what, "no PEM private key in it");
}

int kk_key_load(const char *ref, EVP_PKEY **out, struct kk_error *e)
{
	*out = NULL;
	if (!ref || !*ref)
		return kk_error_set(e, -EINVAL, "key", "empty key reference");
	if (!strncasecmp(ref, "pkcs11:", 7))
		return kk_key_load_pkcs11(ref, out, e);
	/* file:PATH, and RFC 8089's file:///PATH (an empty authority: this host). */
	if (!strncmp(ref, "file://", 7))
		ref += 7;
	else if (!strncmp(ref, "file:", 5))
		ref += 5;
	if (!*ref)
		return kk_error_set(e, -EINVAL, "key", "empty key file name");
	return load_file(ref, out, e);
}

/* Sign a random challenge with key and verify it with pub: 1 verified, 0 not, -1 cannot sign. */
static int sign_roundtrip(EVP_PKEY *key, EVP_PKEY *pub)
{
	unsigned char msg[32], sig[1024];
	size_t slen = sizeof(sig);
	int id = EVP_PKEY_get_base_id(key);
	/* Ed25519/Ed448 sign the message itself (no digest); the rest sign SHA-256. */
	const EVP_MD *md = id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (!ctx || RAND_bytes(msg, sizeof(msg)) != 1)
		goto out;
	if (EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &slen, msg, sizeof(msg)) != 1)
		goto out;
	EVP_MD_CTX_free(ctx);
	ctx = EVP_MD_CTX_new();
	rc = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, sig, slen, msg, sizeof(msg)) == 1;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int kk_key_matches_cert(EVP_PKEY *key, X509 *cert, struct kk_error *e)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	char subject[96] = "";
	int rc;

	ERR_clear_error();
	X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
	if (!pub)
		return kk_key_fail(e, -EINVAL, "certificate", "%s: no usable public key", subject);
	/* 0: the public halves differ. 1, or -1/-2 (an engine key OpenSSL cannot compare): sign. */
	rc = EVP_PKEY_eq(key, pub);
	ERR_clear_error();
	if (rc == 0)
		return kk_error_set(e, -EKEYREJECTED, "key",
				    "is not the key of certificate %s (public keys differ)",
				    subject);
	rc = sign_roundtrip(key, pub);
	if (rc < 0)
		return kk_key_fail(e, -EIO, "key", "cannot sign a test challenge");
	ERR_clear_error();
	if (!rc)
		return kk_error_set(e, -EKEYREJECTED, "key",
				    "is not the key of certificate %s (a test signature does not "
				    "verify with it)",
				    subject);
	return 0;
}
