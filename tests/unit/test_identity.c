// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/identity*.c against real certificates: tests/unit/make-certs.sh makes them
 * with the openssl CLI in a fresh directory under /tmp (removed at the end), together with what
 * the CLI itself prints for each (serial, issuer hash, fingerprint), which the fields loaded
 * here must equal. Each verify case of the tables is one TAP test, named after it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "unit.h"

/* What make-certs.sh pins in the policy-hash extensions. */
#define HASH	   "506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9cf"
#define OTHER_HASH "2bd14d5df1c074bd29e600c82f23f39c9bd0319fff270c81472eb151369814f2"

/* 2020-01-01 00:00:00 UTC and the expired certificate's window, as make-certs.sh sets it. */
#define T_2020	    1577836800LL
#define T_2020_NOON (T_2020 + 12 * 3600)
#define T_2099	    4070908800LL

/* The mkdtemp directory ("" until made), and the certificates' directory inside it. */
#define DIR_TEMPLATE "/tmp/kk-identity-XXXXXX"
static char tmpdir[sizeof(DIR_TEMPLATE)];
static char dir[sizeof(DIR_TEMPLATE) + 8];
static char why[1024];
static struct kk_identity id;

/* dir/name, in one of a few rotating buffers so a call can use several at once. */
static const char *P(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int n;
	char *b = bufs[n++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

/* First line of dir/name (what make-certs.sh recorded from the openssl CLI), "" if missing. */
static const char *expected(const char *name)
{
	static char bufs[2][256];
	static int n;
	char *b = bufs[n++ % 2];
	FILE *f = fopen(P(name), "r");

	b[0] = '\0';
	if (f) {
		if (!fgets(b, 256, f))
			b[0] = '\0';
		fclose(f);
	}
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static bool one_line(const char *s)
{
	return s[0] && !strchr(s, '\n');
}

/* why[] must hold sub, on one line; the diagnostic prints both. */
#define CHECK_WHY(sub)                                        \
	do {                                                  \
		if (!strstr(why, (sub)) || !one_line(why)) {  \
			unit_fail_begin(__FILE__, __LINE__);  \
			printf("expected why[] containing "); \
			unit_put_str(sub);                    \
			printf(", got ");                     \
			unit_put_str(why);                    \
			printf("\n");                         \
			return;                               \
		}                                             \
	} while (0)

static int verify(const char *cert, const char *bundle, int64_t now)
{
	memset(why, 0, sizeof(why));
	kk_identity_free(&id);
	return kk_identity_verify(cert, bundle, now, &id, why, sizeof(why));
}

static int load(const char *cert)
{
	memset(why, 0, sizeof(why));
	kk_identity_free(&id);
	return kk_identity_load(cert, &id, why, sizeof(why));
}

/* --- certificates that verify --- */

struct good_case {
	const char *name, *cert, *bundle;
	int64_t now;	    /* 0: now */
	const char *fields; /* the .serial/.issuer_hash/.fpr files to compare with */
};

static const struct good_case good_cases[] = {
	{ "verify_leaf_under_root", "leaf.pem", "root.pem", 0, "leaf" },
	{ "verify_der_leaf", "leaf.der", "root.pem", 0, "leaf" },
	{ "verify_chain_in_leaf_file", "ileaf-chain.pem", "root.pem", 0, "ileaf" },
	{ "verify_intermediate_in_bundle", "ileaf.pem", "bundle-both.pem", 0, "ileaf" },
	{ "verify_chain_in_both", "ileaf-chain.pem", "bundle-both.pem", 0, "ileaf" },
	{ "verify_bundle_of_two_roots", "wrongca.pem", "bundle-two-roots.pem", 0, "wrongca" },
	{ "verify_san_uri_cert", "san.pem", "root.pem", 0, "san" },
	{ "verify_pinned_cert", "pinned.pem", "root.pem", 0, "pinned" },
	{ "verify_serial_20_bytes", "serial20.pem", "root.pem", 0, "serial20" },
	{ "verify_serial_20_bytes_high_bit", "serial20hi.pem", "root.pem", 0, "serial20hi" },
	{ "verify_expired_cert_at_its_time", "expired.pem", "root.pem", T_2020_NOON, "expired" },
	{ "verify_future_cert_at_its_time", "future.pem", "root.pem", T_2099 + 86400, "future" },
};

static const struct good_case *cur_good;

static void run_good(void)
{
	const struct good_case *c = cur_good;
	char f[64];

	CHECK_EQ_INT(verify(P(c->cert), P(c->bundle), c->now ? c->now : time(NULL)), 0);
	CHECK_EQ_STR(why, "");
	snprintf(f, sizeof(f), "%s.serial", c->fields);
	CHECK_EQ_STR(id.serial, expected(f));
	snprintf(f, sizeof(f), "%s.issuer_hash", c->fields);
	CHECK_EQ_STR(id.issuer_hash, expected(f));
	snprintf(f, sizeof(f), "%s.fpr", c->fields);
	CHECK_EQ_STR(id.fingerprint, expected(f));
	CHECK_EQ_INT(strlen(id.fingerprint), 64);
	CHECK_EQ_INT(strlen(id.serial), 2 * id.serial_len);
}

/* --- certificates that must be refused, each with its own reason --- */

struct bad_case {
	const char *name, *cert, *bundle;
	int64_t now; /* 0: now */
	int err;
	/* the start of why[]; %C stands for the certificate's path, %B for the bundle's */
	const char *why;
};

static const struct bad_case bad_cases[] = {
	{ "refuse_expired", "expired.pem", "root.pem", 0, -EKEYEXPIRED,
	  "certificate %C: expired on 2020-01-02 00:00:00 UTC (certificate has expired)" },
	{ "refuse_expired_before_2020", "expired.pem", "root.pem", T_2020 - 1, -EKEYEXPIRED,
	  "certificate %C: not valid before 2020-01-01 00:00:00 UTC (certificate is not yet "
	  "valid)" },
	{ "refuse_not_yet_valid", "future.pem", "root.pem", 0, -EKEYEXPIRED,
	  "certificate %C: not valid before 2099-01-01 00:00:00 UTC (certificate is not yet "
	  "valid)" },
	{ "refuse_other_ca", "wrongca.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: not signed by a CA in %B (unable to get local issuer certificate; "
	  "issuer \"CN=Other CA,O=kakunin test\")" },
	{ "refuse_missing_intermediate", "ileaf.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: not signed by a CA in %B (unable to get local issuer certificate; "
	  "issuer \"CN=Intermediate CA,O=kakunin test\")" },
	{ "refuse_chain_to_other_root", "ileaf-chain.pem", "other.pem", 0, -EKEYREJECTED,
	  "certificate %C: issuer certificate \"CN=Intermediate CA,O=kakunin test\" (chain "
	  "depth 1) not signed by a CA in %B (unable to get local issuer certificate; issuer "
	  "\"CN=Root CA,O=kakunin test\")" },
	{ "refuse_intermediate_only_bundle", "ileaf.pem", "inter.pem", 0, -EKEYREJECTED,
	  "certificate %C: issuer certificate \"CN=Intermediate CA,O=kakunin test\" (chain "
	  "depth 1) not signed by a CA in %B (unable to get issuer certificate; issuer "
	  "\"CN=Root CA,O=kakunin test\")" },
	{ "refuse_bad_signature", "forged.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: bad signature: not signed by the key of its issuer \"CN=Root "
	  "CA,O=kakunin test\" in %B (certificate signature failure)" },
	{ "refuse_intermediate_as_leaf", "inter.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: is a CA certificate, not an agent certificate (basicConstraints "
	  "CA:TRUE)" },
	{ "refuse_root_as_leaf", "root.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: is a CA certificate, not an agent certificate" },
	{ "refuse_keycertsign_leaf", "kucertsign.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: is a CA certificate, not an agent certificate (keyUsage "
	  "keyCertSign)" },
	{ "refuse_foreign_root_in_chain", "wrongca-chain.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: chain ends in a self-signed certificate \"CN=Other CA,O=kakunin "
	  "test\" that is not in %B (self-signed certificate in certificate chain)" },
	{ "refuse_self_signed_leaf", "selfsigned.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: chain ends in a self-signed certificate \"CN=trading_bot_v2\" that is "
	  "not in %B (self-signed certificate)" },
	{ "refuse_unknown_critical_extension", "critunknown.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: carries a critical extension this verifier does not know: "
	  "1.3.6.1.4.1.55555.1 (unhandled critical extension)" },
	{ "refuse_agent_cert_as_issuer", "subleaf-chain.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: issuer certificate \"CN=trading_bot_v2\" (chain depth 1) is used as "
	  "a CA but is not one (invalid CA certificate)" },
	{ "refuse_two_cns", "twocn.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: subject has more than one CN" },
	{ "refuse_critical_policy_hash", "pinnedcrit.pem", "root.pem", 0, -EKEYREJECTED,
	  "certificate %C: policy-hash extension (" KK_POLICY_HASH_OID ") is marked critical; "
	  "it must be non-critical" },
	{ "refuse_policy_hash_31_bytes", "pinned31.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: policy-hash extension (" KK_POLICY_HASH_OID ") holds 31 bytes, not "
	  "the 32 of a SHA-256 hash" },
	{ "refuse_policy_hash_not_octets", "pinnedutf8.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: policy-hash extension (" KK_POLICY_HASH_OID ") is not a DER OCTET "
	  "STRING (error:" },
	{ "refuse_serial_21_bytes", "serial21.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: serial number is 21 bytes long, more than the 20 RFC 5280 allows" },
	{ "refuse_negative_serial", "serialneg.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: serial number -05 is negative (RFC 5280 requires a positive serial)" },
	{ "refuse_serial_zero", "serial0.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: serial number is 0 (RFC 5280 requires a positive serial)" },
	{ "refuse_garbled_file", "garbled.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: not a certificate (neither PEM nor DER)" },
	{ "refuse_garbled_pem", "garbled-pem.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: not a valid PEM certificate (error:" },
	{ "refuse_truncated_der", "truncated.der", "root.pem", 0, -EINVAL,
	  "certificate %C: not a valid DER certificate (error:" },
	{ "refuse_garbled_chain", "chain-garbled.pem", "root.pem", 0, -EINVAL,
	  "certificate %C: certificate 2 of the PEM file is not valid (error:" },
	{ "refuse_key_file", "root.key", "root.pem", 0, -EINVAL,
	  "certificate %C: no CERTIFICATE block in the PEM file (error:" },
	{ "refuse_empty_file", "empty.pem", "root.pem", 0, -EINVAL, "certificate %C: empty file" },
	{ "refuse_missing_file", "missing.pem", "root.pem", 0, -ENOENT,
	  "certificate %C: cannot open: No such file or directory" },
	{ "refuse_directory", ".", "root.pem", 0, -EISDIR,
	  "certificate %C: cannot read: Is a directory" },
	{ "refuse_missing_bundle", "leaf.pem", "missing.pem", 0, -ENOENT,
	  "CA bundle %B: cannot open: No such file or directory" },
	{ "refuse_empty_bundle", "leaf.pem", "empty.pem", 0, -EINVAL,
	  "CA bundle %B: empty file, no CA certificate" },
	{ "refuse_garbled_bundle", "leaf.pem", "garbled.pem", 0, -EINVAL,
	  "CA bundle %B: no PEM certificate could be loaded (error:" },
	{ "refuse_key_as_bundle", "leaf.pem", "root.key", 0, -EINVAL,
	  "CA bundle %B: no PEM certificate could be loaded (error:05800088:x509 certificate "
	  "routines::no certificate or crl found)" },
	{ "refuse_directory_bundle", "leaf.pem", ".", 0, -EISDIR, "CA bundle %B: is a directory" },
};

static const struct bad_case *cur_bad;

/* c->why with %C and %B replaced by the certificate's and the bundle's paths. */
static const char *bad_why(const struct bad_case *c)
{
	static char buf[2048];
	const char *s;
	size_t off = 0;

	for (s = c->why; *s && off + 1 < sizeof(buf); s++) {
		if (s[0] == '%' && (s[1] == 'C' || s[1] == 'B')) {
			off += snprintf(buf + off, sizeof(buf) - off, "%s",
					P(*++s == 'C' ? c->cert : c->bundle));
			continue;
		}
		buf[off++] = *s;
	}
	buf[off < sizeof(buf) ? off : sizeof(buf) - 1] = '\0';
	return buf;
}

static void run_bad(void)
{
	const struct bad_case *c = cur_bad;
	const char *want = bad_why(c);

	CHECK_EQ_INT(verify(P(c->cert), P(c->bundle), c->now ? c->now : time(NULL)), c->err);
	if (strncmp(why, want, strlen(want)) || !one_line(why)) {
		unit_fail_begin(__FILE__, __LINE__);
		printf("expected why[] starting with ");
		unit_put_str(want);
		printf(", got ");
		unit_put_str(why);
		printf("\n");
		return;
	}
	/* Nothing is left behind for the caller to free, and the queue is drained. */
	CHECK(!id.issuer && !id.subject_cn && !id.san_uris && !id.serial[0]);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* --- fields, compared with the openssl CLI and with each other --- */

UNIT_TEST(load_fields_leaf)
{
	static const uint8_t bin[] = { 0xab, 0x12 };

	CHECK_EQ_INT(load(P("leaf.pem")), 0);
	/* -set_serial 0x00ab12: the leading zero byte is not part of the magnitude. */
	CHECK_EQ_STR(id.serial, "ab12");
	CHECK_EQ_STR(id.serial, expected("leaf.serial"));
	CHECK_EQ_INT(id.serial_len, 2);
	CHECK(!memcmp(id.serial_bin, bin, 2));
	CHECK_EQ_STR(id.issuer_hash, expected("leaf.issuer_hash"));
	CHECK_EQ_STR(id.fingerprint, expected("leaf.fpr"));
	CHECK_EQ_STR(id.issuer, "CN=Root CA,O=kakunin test");
	CHECK_EQ_STR(id.subject_cn, "trading_bot_v2");
	CHECK_EQ_INT(id.n_san_uris, 0);
	CHECK(!id.has_policy_hash);
	CHECK_EQ_STR(id.policy_hash, "");
	CHECK(id.not_before <= time(NULL) && id.not_after - id.not_before == 365 * 86400);
}

/* issuer_key: SHA-256 of the issuer name's DER, computed here from the root's subject. */
UNIT_TEST(issuer_key_is_sha256_of_issuer_name)
{
	unsigned char md[32], *der = NULL;
	X509 *root = NULL;
	FILE *f;
	int n;

	f = fopen(P("root.pem"), "r");
	CHECK(f);
	root = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	CHECK(root);
	n = i2d_X509_NAME(X509_get_subject_name(root), &der);
	X509_free(root);
	CHECK(n > 0);
	CHECK(EVP_Digest(der, n, md, NULL, EVP_sha256(), NULL));
	OPENSSL_free(der);
	CHECK_EQ_INT(load(P("leaf.pem")), 0);
	CHECK(!memcmp(id.issuer_key, md, 8));
	CHECK_EQ_INT(load(P("serial20.pem")), 0);
	CHECK(!memcmp(id.issuer_key, md, 8));
	CHECK_EQ_INT(load(P("wrongca.pem")), 0);
	CHECK(memcmp(id.issuer_key, md, 8));
	CHECK_EQ_INT(load(P("ileaf.pem")), 0);
	CHECK(memcmp(id.issuer_key, md, 8));
	CHECK_EQ_STR(id.issuer, "CN=Intermediate CA,O=kakunin test");
}

UNIT_TEST(load_der_equals_pem)
{
	struct kk_identity pem;

	CHECK_EQ_INT(load(P("leaf.pem")), 0);
	pem = id;
	memset(&id, 0, sizeof(id));
	CHECK_EQ_INT(load(P("leaf.der")), 0);
	CHECK_EQ_STR(id.fingerprint, pem.fingerprint);
	CHECK_EQ_STR(id.serial, pem.serial);
	CHECK_EQ_STR(id.issuer, pem.issuer);
	CHECK(!memcmp(id.issuer_key, pem.issuer_key, 8));
	CHECK_EQ_INT(id.not_after, pem.not_after);
	kk_identity_free(&pem);
}

/* The serial as the CLI prints it, and back through kk_serial_parse to the same bytes. */
UNIT_TEST(serials_match_openssl_cli)
{
	static const char *const certs[] = { "leaf",	"ileaf",   "serial20", "serial20hi",
					     "serial0", "expired", "future",   "pinned" };
	uint8_t bin[20];
	char f[64], canon[41];
	size_t i, len;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		snprintf(f, sizeof(f), "%s.pem", certs[i]);
		CHECK_EQ_INT(load(P(f)), 0);
		snprintf(f, sizeof(f), "%s.serial", certs[i]);
		CHECK_EQ_STR(id.serial, expected(f));
		CHECK_EQ_INT(kk_serial_parse(id.serial, bin, &len, canon), 0);
		CHECK_EQ_STR(canon, id.serial);
		CHECK_EQ_INT(len, id.serial_len);
		CHECK(!memcmp(bin, id.serial_bin, len));
	}
	CHECK_EQ_INT(load(P("serial20hi.pem")), 0);
	CHECK_EQ_STR(id.serial, "8f0102030405060708090a0b0c0d0e0f10111213");
	CHECK_EQ_INT(id.serial_len, 20);
	CHECK_EQ_INT(load(P("serial0.pem")), 0);
	CHECK_EQ_STR(id.serial, "00");
	CHECK_EQ_INT(id.serial_len, 1);
	CHECK_EQ_INT(id.serial_bin[0], 0);
}

UNIT_TEST(validity_of_expired_cert)
{
	CHECK_EQ_INT(load(P("expired.pem")), 0);
	CHECK_EQ_INT(id.not_before, T_2020);
	CHECK_EQ_INT(id.not_after, T_2020 + 86400);
	CHECK_EQ_STR(id.serial, "3001");
}

/* The clock passed in is the one checked, to the second. */
UNIT_TEST(verify_uses_given_time)
{
	char date[64];
	struct tm tm;
	time_t t;
	int64_t nb, na;

	CHECK_EQ_INT(load(P("leaf.pem")), 0);
	nb = id.not_before;
	na = id.not_after;
	CHECK_EQ_INT(verify(P("leaf.pem"), P("root.pem"), nb), 0);
	CHECK_EQ_INT(verify(P("leaf.pem"), P("root.pem"), na - 1), 0);
	/* OpenSSL takes notAfter as the first second of expiry (RFC 5280 would include it). */
	CHECK_EQ_INT(verify(P("leaf.pem"), P("root.pem"), na), -EKEYEXPIRED);
	t = (time_t)na;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "expired on %Y-%m-%d %H:%M:%S UTC (", &tm);
	CHECK_WHY(date);
	CHECK_EQ_INT(verify(P("leaf.pem"), P("root.pem"), nb - 1), -EKEYEXPIRED);
	CHECK_WHY("not valid before ");
}

UNIT_TEST(san_uris_and_cn)
{
	CHECK_EQ_INT(load(P("san.pem")), 0);
	CHECK_EQ_STR(id.subject_cn, "Trading Bot");
	/* The DNS entry is not a URI. */
	CHECK_EQ_INT(id.n_san_uris, 2);
	CHECK_EQ_STR(id.san_uris[0], "spiffe://example.org/agent/trading_bot_v2");
	CHECK_EQ_STR(id.san_uris[1], "https://example.org/x");
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "Trading Bot", why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot", why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why,
		     "certificate CN \"Trading Bot\" (and SAN URIs "
		     "\"spiffe://example.org/agent/trading_bot_v2\", \"https://example.org/x\") "
		     "does not match the policy's agent_id \"trading_bot\"");
}

UNIT_TEST(san_uri_without_cn)
{
	CHECK_EQ_INT(load(P("sanonly.pem")), 0);
	CHECK_EQ_STR(id.subject_cn, NULL);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "data_processor", why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why, "certificate has no CN, and its SAN URIs "
			  "\"spiffe://example.org/agent/trading_bot_v2\" do not match the policy's "
			  "agent_id \"data_processor\"");
}

/* spiffe://trading_bot_v2 names a trust domain, not an agent: no path, no match. */
UNIT_TEST(san_uri_authority_is_not_a_segment)
{
	CHECK_EQ_INT(load(P("hostonly.pem")), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", why, sizeof(why)), -EACCES);
}

UNIT_TEST(cn_mismatch)
{
	CHECK_EQ_INT(verify(P("cnother.pem"), P("root.pem"), time(NULL)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "data_processor", why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why, "certificate CN \"data_processor\" does not match the policy's agent_id "
			  "\"trading_bot_v2\"");
	/* Exact, case-sensitive. */
	CHECK_EQ_INT(kk_identity_match_agent(&id, "Data_processor", why, sizeof(why)), -EACCES);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "data_processo", why, sizeof(why)), -EACCES);
}

UNIT_TEST(policy_hash_pinned)
{
	CHECK_EQ_INT(verify(P("pinned.pem"), P("root.pem"), time(NULL)), 0);
	CHECK(id.has_policy_hash);
	CHECK_EQ_STR(id.policy_hash, HASH);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, HASH, why, sizeof(why)), 0);
	memset(why, 0, sizeof(why));
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, OTHER_HASH, why, sizeof(why)), -EACCES);
	CHECK_WHY("certificate pins policy hash " HASH ", but the policy's hash is " OTHER_HASH);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, "506bd317", why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", why, sizeof(why)), 0);
}

UNIT_TEST(policy_hash_absent)
{
	CHECK_EQ_INT(verify(P("leaf.pem"), P("root.pem"), time(NULL)), 0);
	CHECK(!id.has_policy_hash);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, OTHER_HASH, why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, HASH, why, sizeof(why)), 0);
}

/* Load makes no trust decision: a certificate that does not verify still loads. */
UNIT_TEST(load_without_trust)
{
	CHECK_EQ_INT(load(P("wrongca.pem")), 0);
	CHECK_EQ_STR(id.issuer, "CN=Other CA,O=kakunin test");
	CHECK_EQ_INT(load(P("expired.pem")), 0);
	CHECK_EQ_INT(load(P("inter.pem")), 0);
	CHECK_EQ_STR(id.subject_cn, "Intermediate CA");
	CHECK_EQ_INT(load(P("pinnedcrit.pem")), 0);
	CHECK(id.has_policy_hash);
	/* ...but what it cannot represent faithfully is still refused. */
	CHECK_EQ_INT(load(P("pinned31.pem")), -EINVAL);
	CHECK_WHY("holds 31 bytes");
	CHECK_EQ_INT(load(P("serialneg.pem")), -EINVAL);
	CHECK_WHY("is negative");
	CHECK_EQ_INT(load(P("missing.pem")), -ENOENT);
	CHECK_WHY(": cannot open: No such file or directory");
}

/* A why[] too small for the message is cut, never overrun (valgrind watches). */
UNIT_TEST(why_truncated_safely)
{
	char small[12];

	kk_identity_free(&id);
	memset(small, 'Z', sizeof(small));
	CHECK_EQ_INT(kk_identity_verify(P("wrongca.pem"), P("root.pem"), time(NULL), &id, small,
					sizeof(small)),
		     -EKEYREJECTED);
	CHECK_EQ_INT(strnlen(small, sizeof(small)), sizeof(small) - 1);
	CHECK_EQ_INT(ERR_peek_error(), 0);
	CHECK_EQ_INT(kk_identity_verify(P("garbled-pem.pem"), P("root.pem"), time(NULL), &id, small,
					sizeof(small)),
		     -EINVAL);
	CHECK_EQ_INT(strnlen(small, sizeof(small)), sizeof(small) - 1);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* The default bundle is KK_DEFAULT_CA; on a test host it is normally absent. */
UNIT_TEST(default_bundle_is_named)
{
	int err = verify(P("leaf.pem"), NULL, time(NULL));

	if (access(KK_DEFAULT_CA, F_OK)) {
		CHECK_EQ_INT(err, -ENOENT);
		CHECK_WHY("CA bundle " KK_DEFAULT_CA ": cannot open");
	} else {
		CHECK(err == 0 || strstr(why, KK_DEFAULT_CA));
	}
}

/*
 * A self-signed certificate the openssl CLI cannot make: CN and SAN URI given as raw bytes
 * (cn_len/uri_len may include NULs), written as PEM to dir/name.
 */
static int raw_cert(const char *name, const char *cn, int cn_len, const char *uri, int uri_len)
{
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *g = NULL;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	FILE *f = NULL;
	int ok = 0;

	if (!key || !x || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 0x4242) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn,
					cn_len, -1, 0) ||
	    !X509_set_issuer_name(x, n))
		goto out;
	if (uri) {
		gens = GENERAL_NAMES_new();
		g = GENERAL_NAME_new();
		if (!gens || !g)
			goto out;
		g->type = GEN_URI;
		g->d.uniformResourceIdentifier = ASN1_IA5STRING_new();
		if (!g->d.uniformResourceIdentifier ||
		    !ASN1_STRING_set(g->d.uniformResourceIdentifier, uri, uri_len) ||
		    !sk_GENERAL_NAME_push(gens, g))
			goto out;
		g = NULL;
		if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0))
			goto out;
	}
	f = fopen(P(name), "w");
	ok = f && X509_sign(x, key, EVP_sha256()) && PEM_write_X509(f, x);
out:
	if (f)
		fclose(f);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

/* "bot\0evil" must not pass for "bot": a NUL in a CN or SAN URI refuses the certificate. */
UNIT_TEST(nul_in_cn_or_uri)
{
	CHECK_EQ_INT(raw_cert("nulcn.pem", "trading_bot_v2\0evil", 19, NULL, 0), 0);
	CHECK_EQ_INT(load(P("nulcn.pem")), -EINVAL);
	CHECK_WHY(": CN contains a NUL byte");
	CHECK_EQ_INT(raw_cert("nuluri.pem", "x", 1, "spiffe://e.org/agent/trading_bot_v2\0x", 37),
		     0);
	CHECK_EQ_INT(load(P("nuluri.pem")), -EINVAL);
	CHECK_WHY(": subjectAltName URI contains a NUL byte");
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* A control character in a CN is shown as '?', so why[] stays one line. */
UNIT_TEST(control_chars_in_mismatch_message)
{
	CHECK_EQ_INT(raw_cert("ctlcn.pem", "bot\nkakunin-bpf: all good", 25, "urn:a/b\r", 8), 0);
	CHECK_EQ_INT(load(P("ctlcn.pem")), 0);
	CHECK_EQ_STR(id.subject_cn, "bot\nkakunin-bpf: all good");
	CHECK_EQ_INT(kk_identity_match_agent(&id, "bot", why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why,
		     "certificate CN \"bot?kakunin-bpf: all good\" (and SAN URIs \"urn:a/b?\") "
		     "does not match the policy's agent_id \"bot\"");
}

/* --- fixtures --- */

/*
 * tests/unit/make-certs.sh: from $KK_SRCDIR when set, else next to this source when run from the
 * top of the tree (as make and check.sh do), else found from the binary in OUTPUT/tests/unit/.
 */
static int find_script(char *out, size_t len)
{
	char exe[PATH_MAX];
	const char *src = getenv("KK_SRCDIR");
	ssize_t n;

	if (src) {
		snprintf(out, len, "%s/tests/unit/make-certs.sh", src);
		return access(out, R_OK);
	}
	src = strrchr(__FILE__, '/');
	snprintf(out, len, "%.*s/make-certs.sh", src ? (int)(src - __FILE__) : 1,
		 src ? __FILE__ : ".");
	if (!access(out, R_OK))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(out, len, "%s/../../../tests/unit/make-certs.sh", dirname(exe));
	return access(out, R_OK);
}

/* Make the certificates in DIR_TEMPLATE/certs; on failure say why as TAP diagnostics. */
static int make_fixtures(void)
{
	char script[PATH_MAX], cmd[3 * PATH_MAX], log_path[PATH_MAX], line[512];
	FILE *log;
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s", DIR_TEMPLATE);
	if (!mkdtemp(tmpdir)) {
		printf("# mkdtemp %s: %s\n", DIR_TEMPLATE, strerror(errno));
		tmpdir[0] = '\0';
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/certs", tmpdir);
	if (mkdir(dir, 0700)) {
		printf("# mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (find_script(script, sizeof(script))) {
		printf("# make-certs.sh not found (run from the top of the tree or set "
		       "KK_SRCDIR)\n");
		return -1;
	}
	snprintf(log_path, sizeof(log_path), "%s/make-certs.err", tmpdir);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' 2>'%s'", script, dir, log_path);
	rc = system(cmd);
	if (rc) {
		log = fopen(log_path, "r");
		while (log && fgets(line, sizeof(line), log))
			printf("# %s", line);
		if (log)
			fclose(log);
		printf("# %s failed (status %d)\n", script, rc);
	}
	return rc ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * Remove what make_fixtures made and nothing else: only a directory mkdtemp created from
 * DIR_TEMPLATE, depth first, without following symbolic links or leaving its file system.
 */
static void remove_fixtures(void)
{
	if (strlen(tmpdir) != strlen(DIR_TEMPLATE) ||
	    strncmp(tmpdir, DIR_TEMPLATE, strlen(DIR_TEMPLATE) - 6))
		return;
	if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		printf("# could not remove %s: %s\n", tmpdir, strerror(errno));
	tmpdir[0] = '\0';
}

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_fixtures(), 0);
}

int main(void)
{
	size_t i;

	UNIT_RUN(fixtures);
	if (unit_failed) {
		remove_fixtures();
		return unit_done();
	}
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		cur_good = &good_cases[i];
		unit_run(cur_good->name, run_good);
	}
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		cur_bad = &bad_cases[i];
		unit_run(cur_bad->name, run_bad);
	}
	UNIT_RUN(load_fields_leaf);
	UNIT_RUN(issuer_key_is_sha256_of_issuer_name);
	UNIT_RUN(load_der_equals_pem);
	UNIT_RUN(serials_match_openssl_cli);
	UNIT_RUN(validity_of_expired_cert);
	UNIT_RUN(verify_uses_given_time);
	UNIT_RUN(san_uris_and_cn);
	UNIT_RUN(san_uri_without_cn);
	UNIT_RUN(san_uri_authority_is_not_a_segment);
	UNIT_RUN(cn_mismatch);
	UNIT_RUN(policy_hash_pinned);
	UNIT_RUN(policy_hash_absent);
	UNIT_RUN(load_without_trust);
	UNIT_RUN(nul_in_cn_or_uri);
	UNIT_RUN(control_chars_in_mismatch_message);
	UNIT_RUN(why_truncated_safely);
	UNIT_RUN(default_bundle_is_named);
	kk_identity_free(&id);
	remove_fixtures();
	return unit_done();
}
