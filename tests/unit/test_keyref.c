// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of key custody (user/keyref.c, keyref_pkcs11.c): PEM key files made here with the
 * OpenSSL API (EC P-256 in PKCS#8 and traditional form, RSA, Ed25519, encrypted ones) with a
 * self-signed certificate each, under the custody rules; and a SoftHSM2 token made by
 * tests/unit/make-hsm.sh, loaded through OpenSSL's pkcs11 engine by URI. The engine (Debian
 * libengine-pkcs11-openssl) and SoftHSM2 (softhsm2) are build dependencies (scripts/deps.sh):
 * when they are missing the pkcs11 tests fail. Everything lives in a fresh /tmp directory,
 * removed at the end.
 *
 * The engine is process-wide and a token stays logged in once a key of it is loaded (keyref.h),
 * so the order matters: the module-path load runs in a child forked before the engine is used,
 * and the refused PINs are tried before any key of the token is loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "keyref.h"
#include "unit.h"

#define DIR_TEMPLATE "/tmp/kk-keyref-XXXXXX"
#include "cert_fixture.h"

static struct kk_error err;
static EVP_PKEY *key;
static char uri[512];

static int load(const char *ref)
{
	memset(&err, 0, sizeof(err));
	EVP_PKEY_free(key);
	key = NULL;
	return kk_key_load(ref, &key, &err);
}

/* The error names the reference and says why, on one line, and never shows secret. */
#define CHECK_ERR(code_, what_, why_sub)                                    \
	do {                                                                \
		CHECK_EQ_INT(err.code, code_);                              \
		CHECK_EQ_STR(err.what, what_);                              \
		if (!strstr(err.why, (why_sub)) || strchr(err.why, '\n')) { \
			unit_fail_begin(__FILE__, __LINE__);                \
			printf("why ");                                     \
			unit_put_str(err.why);                              \
			printf(" lacks \"%s\"\n", (why_sub));               \
			return;                                             \
		}                                                           \
		CHECK(key == NULL);                                         \
	} while (0)

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

/* A self-signed certificate for k, written to path. */
static int write_cert(EVP_PKEY *k, const char *path)
{
	int id = EVP_PKEY_get_base_id(k);
	X509 *x = X509_new();
	FILE *f = NULL;
	int ok = x && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 7) &&
		 X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_set_pubkey(x, k) &&
		 X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					    (const unsigned char *)"trading_bot_v2", -1, -1, 0) &&
		 X509_set_issuer_name(x, X509_get_subject_name(x)) &&
		 X509_sign(x, k, id == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0 &&
		 (f = fopen(path, "w")) && PEM_write_X509(f, x);

	if (f)
		fclose(f);
	X509_free(x);
	return ok ? 0 : -1;
}

/* NAME.key (mode 0600) and NAME.pem: a new key of type, plain, traditional or encrypted. */
static int write_key(const char *name, EVP_PKEY *k, int form)
{
	char path[PATH_MAX];
	BIO *b;
	int ok;

	snprintf(path, sizeof(path), "%s.key", P(name));
	b = BIO_new_file(path, "w");
	if (!b || chmod(path, 0600)) {
		BIO_free(b);
		return -1;
	}
	if (form == 1)
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
	else if (form == 2)
		ok = PEM_write_bio_PrivateKey(b, k, EVP_aes_256_cbc(), NULL, 0, NULL, "pass");
	else if (form == 3)
		ok = PEM_write_bio_PrivateKey_traditional(b, k, EVP_aes_256_cbc(), NULL, 0, NULL,
							  "pass");
	else
		ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	BIO_free(b);
	snprintf(path, sizeof(path), "%s.pem", P(name));
	return ok && !write_cert(k, path) ? 0 : -1;
}

UNIT_TEST(fixtures)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f;

	/* make-hsm.sh prints the URI; it is read back from DIR/uri instead of landing in TAP. */
	CHECK_EQ_INT(make_certs("make-hsm.sh", NULL, ">/dev/null"), 0);
	CHECK(ec && rsa && ed);
	CHECK_EQ_INT(write_key("ec", ec, 0), 0);
	CHECK_EQ_INT(write_key("ectrad", ec, 1), 0);
	CHECK_EQ_INT(write_key("ecenc", ec, 2), 0);
	CHECK_EQ_INT(write_key("ectradenc", ec, 3), 0);
	CHECK_EQ_INT(write_key("rsa", rsa, 0), 0);
	CHECK_EQ_INT(write_key("rsatrad", rsa, 1), 0);
	CHECK_EQ_INT(write_key("ed", ed, 0), 0);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	f = fopen(P("uri"), "r");
	CHECK(f && fgets(uri, sizeof(uri), f));
	fclose(f);
	uri[strcspn(uri, "\n")] = '\0';
	CHECK_EQ_STR(uri, "pkcs11:token=kakunin;object=agent;type=private?pin-value=1234");
	CHECK_EQ_INT(setenv("SOFTHSM2_CONF", P("softhsm2.conf"), 1), 0);
}

/* kk_key_load of NAME.key, then it matches NAME.pem and not other.pem. */
static int load_match(const char *name, const char *other, int type)
{
	char path[PATH_MAX];
	X509 *mine, *theirs;
	int rc;

	snprintf(path, sizeof(path), "%s.key", P(name));
	rc = load(path);
	if (rc)
		return rc;
	if (EVP_PKEY_get_base_id(key) != type)
		return -1000;
	snprintf(path, sizeof(path), "%s.pem", P(name));
	mine = read_cert(path);
	snprintf(path, sizeof(path), "%s.pem", P(other));
	theirs = read_cert(path);
	rc = !mine || !theirs					       ? -1001
	     : kk_key_matches_cert(key, mine, &err)		       ? -1002
	     : kk_key_matches_cert(key, theirs, &err) != -EKEYREJECTED ? -1003
								       : 0;
	X509_free(mine);
	X509_free(theirs);
	return rc;
}

UNIT_TEST(file_keys_load_and_match)
{
	CHECK_EQ_INT(load_match("ec", "rsa", EVP_PKEY_EC), 0);
	CHECK_EQ_INT(load_match("ectrad", "ed", EVP_PKEY_EC), 0);
	CHECK_EQ_INT(load_match("rsa", "ec", EVP_PKEY_RSA), 0);
	CHECK_EQ_INT(load_match("rsatrad", "ec", EVP_PKEY_RSA), 0);
	CHECK_EQ_INT(load_match("ed", "ec", EVP_PKEY_ED25519), 0);
	/* The CA's key is not the agent's: same type, same curve, other key. */
	CHECK_EQ_INT(load_match("ca", "agent", EVP_PKEY_EC), 0);
	CHECK_EQ_INT(err.code, -EKEYREJECTED);
	CHECK_EQ_STR(err.what, "key");
	CHECK(strstr(err.why, "is not the key of certificate /CN=trading_bot_v2"));
}

UNIT_TEST(file_prefix)
{
	char ref[PATH_MAX + 16];

	snprintf(ref, sizeof(ref), "file:%s", P("ec.key"));
	CHECK_EQ_INT(load(ref), 0);
	snprintf(ref, sizeof(ref), "file://%s", P("ed.key"));
	CHECK_EQ_INT(load(ref), 0);
	CHECK_EQ_INT(EVP_PKEY_get_base_id(key), EVP_PKEY_ED25519);
}

UNIT_TEST(file_mode_refused)
{
	char what[PATH_MAX + 8];

	snprintf(what, sizeof(what), "key %s", P("ec.key"));
	CHECK_EQ_INT(chmod(P("ec.key"), 0644), 0);
	CHECK_EQ_INT(load(P("ec.key")), -EPERM);
	CHECK_ERR(-EPERM, what, "mode 0644 lets the group and others read it; chmod 600");
	CHECK_EQ_INT(chmod(P("ec.key"), 0640), 0);
	CHECK_EQ_INT(load(P("ec.key")), -EPERM);
	CHECK_ERR(-EPERM, what, "mode 0640 lets the group read it; chmod 600");
	CHECK_EQ_INT(chmod(P("ec.key"), 0602), 0);
	CHECK_EQ_INT(load(P("ec.key")), -EPERM);
	CHECK_ERR(-EPERM, what, "mode 0602 lets others write or run it; chmod 600");
	CHECK_EQ_INT(chmod(P("ec.key"), 0400), 0);
	CHECK_EQ_INT(load(P("ec.key")), 0);
	CHECK_EQ_INT(chmod(P("ec.key"), 0600), 0);
}

UNIT_TEST(file_owner_refused)
{
	char what[PATH_MAX + 8];

	snprintf(what, sizeof(what), "key %s", P("ec.key"));
	/* Only root can give a file away; as another user, its own file is what is accepted. */
	if (geteuid()) {
		CHECK_EQ_INT(load(P("ec.key")), 0);
		return;
	}
	CHECK_EQ_INT(chown(P("ec.key"), 4242, 4242), 0);
	CHECK_EQ_INT(load(P("ec.key")), -EPERM);
	CHECK_ERR(-EPERM, what, "owned by uid 4242, neither root nor this process's uid 0; chown");
	CHECK_EQ_INT(chown(P("ec.key"), 0, 0), 0);
	CHECK_EQ_INT(load(P("ec.key")), 0);
}

UNIT_TEST(file_symlink_dir_missing)
{
	char what[PATH_MAX + 8];

	CHECK_EQ_INT(symlink(P("ec.key"), P("link.key")), 0);
	snprintf(what, sizeof(what), "key %s", P("link.key"));
	CHECK_EQ_INT(load(P("link.key")), -EPERM);
	CHECK_ERR(-EPERM, what, "is a symbolic link; name the file itself");
	snprintf(what, sizeof(what), "key %s", P("tokens"));
	CHECK_EQ_INT(load(P("tokens")), -EPERM);
	CHECK_ERR(-EPERM, what, "not a regular file");
	snprintf(what, sizeof(what), "key %s", P("nosuch.key"));
	CHECK_EQ_INT(load(P("nosuch.key")), -ENOENT);
	CHECK_ERR(-ENOENT, what, "no such file");
	CHECK_EQ_INT(load(""), -EINVAL);
	CHECK_EQ_INT(load("file:"), -EINVAL);
}

UNIT_TEST(file_not_a_key)
{
	char what[PATH_MAX + 8];
	FILE *f;

	/* A certificate is PEM but no private key. */
	snprintf(what, sizeof(what), "key %s", P("agent.pem"));
	CHECK_EQ_INT(load(P("agent.pem")), -EINVAL);
	CHECK_ERR(-EINVAL, what, "no PEM private key in it: ");
	/* An empty file, and one over the size limit. */
	f = fopen(P("empty.key"), "w");
	CHECK(f);
	fclose(f);
	CHECK_EQ_INT(chmod(P("empty.key"), 0600), 0);
	CHECK_EQ_INT(load(P("empty.key")), -EINVAL);
	CHECK_EQ_INT(truncate(P("empty.key"), KK_KEY_FILE_MAX + 1), 0);
	snprintf(what, sizeof(what), "key %s", P("empty.key"));
	CHECK_EQ_INT(load(P("empty.key")), -EFBIG);
	CHECK_ERR(-EFBIG, what, "65537 bytes, over the limit of 65536 for this file");
}

UNIT_TEST(file_encrypted_refused)
{
	char what[PATH_MAX + 8];

	snprintf(what, sizeof(what), "key %s", P("ecenc.key"));
	CHECK_EQ_INT(load(P("ecenc.key")), -EOPNOTSUPP);
	CHECK_ERR(-EOPNOTSUPP, what, "is encrypted: ");
	snprintf(what, sizeof(what), "key %s", P("ectradenc.key"));
	CHECK_EQ_INT(load(P("ectradenc.key")), -EOPNOTSUPP);
	CHECK_ERR(-EOPNOTSUPP, what, "is encrypted: ");
}

/*
 * Sign with the loaded key (EVP_DigestSign, SHA-256: ECDSA, or RSA-PSS with a 32-byte salt as
 * PS256 wants when pss) and verify with cert's key.
 */
static int sign_verify_pss(const char *cert_path, bool pss)
{
	const unsigned char msg[] = "{\"market\":\"EUR_USD\",\"size\":1000}";
	unsigned char sig[256];
	size_t slen = sizeof(sig);
	X509 *cert = read_cert(cert_path);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = cert && ctx && EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1 &&
		 (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			   EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1)) &&
		 EVP_DigestSign(ctx, sig, &slen, msg, sizeof(msg) - 1) == 1;

	EVP_MD_CTX_free(ctx);
	ctx = ok ? EVP_MD_CTX_new() : NULL;
	ok = ctx &&
	     EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
	     (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1)) &&
	     EVP_DigestVerify(ctx, sig, slen, msg, sizeof(msg) - 1) == 1;
	EVP_MD_CTX_free(ctx);
	X509_free(cert);
	return ok ? 0 : -1;
}

static int sign_verify_with(const char *cert_path)
{
	return sign_verify_pss(cert_path, false);
}

/* In a child forked before the engine is touched: the module named by module-path. */
UNIT_TEST(pkcs11_module_path)
{
	char ref[1024];
	pid_t pid;
	int status;

	snprintf(ref, sizeof(ref), "%s&module-path=/usr/lib/softhsm/libsofthsm2.so", uri);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		if (load(ref))
			_exit(10 + (-err.code & 0x7f) % 100);
		_exit(sign_verify_with(P("agent.pem")) ? 2 : 0);
	}
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

UNIT_TEST(pkcs11_wrong_pin)
{
	CHECK_EQ_INT(load("pkcs11:token=kakunin;object=agent;type=private?pin-value=98765"),
		     -EACCES);
	CHECK_ERR(-EACCES, "key pkcs11:token=kakunin;object=agent;type=private",
		  "the token refused the PIN");
	CHECK(!strstr(err.why, "98765") && !strstr(err.what, "98765"));
	/* A PIN put in the path (not RFC 7512's place) is taken out of the message too. */
	CHECK_EQ_INT(load("pkcs11:token=kakunin;pin-value=98765;object=agent"), -EACCES);
	CHECK_EQ_STR(err.what, "key pkcs11:token=kakunin;object=agent");
	CHECK(!strstr(err.why, "98765"));
	/* No PIN: the token shows no private key before login, and no prompt is tried. */
	CHECK_EQ_INT(load("pkcs11:token=kakunin;object=agent"), -ENOENT);
	CHECK_ERR(-ENOENT, "key pkcs11:token=kakunin;object=agent", "no PIN given");
}

UNIT_TEST(pkcs11_unknown_token_or_object)
{
	CHECK_EQ_INT(load("pkcs11:token=nosuch;object=agent;type=private?pin-value=1234"), -ENOENT);
	CHECK_ERR(-ENOENT, "key pkcs11:token=nosuch;object=agent;type=private",
		  "no such token or private key");
	CHECK(!strstr(err.why, "1234"));
}

UNIT_TEST(pkcs11_bad_references)
{
	char ref[1024];

	CHECK_EQ_INT(load("pkcs11:"), -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:", "names no token or object");
	CHECK_EQ_INT(load("pkcs11:token=kakunin?module-name=softhsm2"), -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:token=kakunin", "module-name is not supported");
	CHECK_EQ_INT(load("pkcs11:token=kakunin?pin-source=|echo 1234"), -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:token=kakunin", "pin-source must be file:PATH");
	CHECK_EQ_INT(load("pkcs11:token=kakunin?pin-value=12%4"), -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:token=kakunin", "pin-value: bad percent-encoding");
	CHECK_EQ_INT(load("pkcs11:token=kakunin?pin-value=1&pin-value=2"), -EINVAL);
	/* A PIN cut to fit would be another PIN: refused, and not shown. */
	snprintf(ref, sizeof(ref), "pkcs11:token=kakunin?pin-value=%0300d", 7);
	CHECK_EQ_INT(load(ref), -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:token=kakunin", "pin-value longer than 256 bytes");
	CHECK(!strstr(err.why, "0000"));
	CHECK_EQ_INT(load("pkcs11:token=kakunin?module-path=lib.so"), -EINVAL);
	CHECK_EQ_INT(load("pkcs11:token=kakunin;color=blue?pin-value=1234"), -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:token=kakunin;color=blue",
		  "not a pkcs11 URI the engine understands");
	CHECK_EQ_INT(load("pkcs11:token=kakunin?module-path=/nonexistent/lib.so"), -ENOENT);
	/* The PIN file is held to the key file's rules. */
	CHECK_EQ_INT(chmod(P("pin"), 0644), 0);
	snprintf(ref, sizeof(ref), "pkcs11:token=kakunin;object=agent?pin-source=file:%s",
		 P("pin"));
	CHECK_EQ_INT(load(ref), -EPERM);
	CHECK(!strncmp(err.what, "PIN file ", 9));
	CHECK(strstr(err.why, "mode 0644 lets the group and others read it"));
	CHECK_EQ_INT(chmod(P("pin"), 0600), 0);
}

UNIT_TEST(pkcs11_pin_source_loads_and_signs)
{
	char ref[1024];
	X509 *cert = read_cert(P("agent.pem")), *ca = read_cert(P("ca.pem"));

	CHECK(cert && ca);
	snprintf(ref, sizeof(ref),
		 "pkcs11:token=kakunin;object=agent;type=private?pin-source=file:%s", P("pin"));
	CHECK_EQ_INT(load(ref), 0);
	CHECK_EQ_INT(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
	CHECK_EQ_INT(EVP_PKEY_get_bits(key), 256);
	CHECK_EQ_INT(sign_verify_with(P("agent.pem")), 0);
	CHECK_EQ_INT(kk_key_matches_cert(key, cert, &err), 0);
	CHECK_EQ_INT(kk_key_matches_cert(key, ca, &err), -EKEYREJECTED);
	X509_free(cert);
	X509_free(ca);
}

UNIT_TEST(pkcs11_uri_from_make_hsm_signs)
{
	X509 *x;

	CHECK_EQ_INT(load(uri), 0);
	CHECK_EQ_INT(sign_verify_with(P("agent.pem")), 0);
	/* By id (RFC 7512 percent-encoded) as well as by label. */
	CHECK_EQ_INT(load("pkcs11:token=kakunin;id=%01;type=private?pin-value=1234"), 0);
	CHECK_EQ_INT(sign_verify_with(P("agent.pem")), 0);
	CHECK_EQ_INT(load("pkcs11:token=kakunin;object=nosuch;type=private?pin-value=1234"),
		     -ENOENT);
	/* RSA on the token signs PS256 (RSA-PSS, SHA-256, salt 32) through the engine. */
	CHECK_EQ_INT(load("pkcs11:token=kakunin;object=agent-rsa;type=private?pin-value=1234"), 0);
	CHECK_EQ_INT(EVP_PKEY_get_base_id(key), EVP_PKEY_RSA);
	CHECK_EQ_INT(sign_verify_pss(P("agent-rsa.pem"), true), 0);
	x = read_cert(P("agent-rsa.pem"));
	CHECK(x);
	CHECK_EQ_INT(kk_key_matches_cert(key, x, &err), 0);
	X509_free(x);
	/* The engine is bound to one module for the process. */
	CHECK_EQ_INT(load("pkcs11:token=kakunin;object=agent?pin-value=1234"
			  "&module-path=/usr/lib/softhsm/libsofthsm2.so"),
		     -EINVAL);
	CHECK_ERR(-EINVAL, "key pkcs11:token=kakunin;object=agent",
		  "the pkcs11 engine already uses module (default: p11-kit proxy)");
}

int main(void)
{
	UNIT_RUN(fixtures);
	UNIT_RUN(file_keys_load_and_match);
	UNIT_RUN(file_prefix);
	UNIT_RUN(file_mode_refused);
	UNIT_RUN(file_owner_refused);
	UNIT_RUN(file_symlink_dir_missing);
	UNIT_RUN(file_not_a_key);
	UNIT_RUN(file_encrypted_refused);
	UNIT_RUN(pkcs11_module_path);
	UNIT_RUN(pkcs11_wrong_pin);
	UNIT_RUN(pkcs11_unknown_token_or_object);
	UNIT_RUN(pkcs11_bad_references);
	UNIT_RUN(pkcs11_pin_source_loads_and_signs);
	UNIT_RUN(pkcs11_uri_from_make_hsm_signs);
	EVP_PKEY_free(key);
	remove_fixtures();
	return unit_done();
}
