// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of kk_crl_load (user/revocation_crl.c) against real CRLs:
 * tests/unit/make-revocation-certs.sh makes a CA with `openssl ca`, revokes three of its four
 * leaves and generates CRLs (empty, current, stale, forged, of another CA) in a fresh directory
 * under /tmp, removed at the end. What kk_crl_load returns is compared with what the openssl CLI
 * says (`openssl crl -text`, `openssl x509 -serial`) and with kk_identity_load of the leaves.
 * CRLs the CLI cannot make (odd serials, indirect, critical extensions) are built here.
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

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "revocation.h"
#include "unit.h"

#define DIR_TEMPLATE "/tmp/kk-crl-XXXXXX"
#include "cert_fixture.h"
static char why[1024];
static struct kk_revoked *rv;
static size_t nrv;

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

static int load(const char *crl, const char *bundle, int64_t now)
{
	free(rv);
	rv = NULL;
	nrv = 12345;
	memset(why, 0, sizeof(why));
	return kk_crl_load(crl, bundle, now, &rv, &nrv, why, sizeof(why));
}

/* The entry for serial hex s, or NULL. */
static const struct kk_revoked *entry(const char *s)
{
	size_t i;

	for (i = 0; i < nrv; i++)
		if (!strcmp(rv[i].serial_hex, s))
			return &rv[i];
	return NULL;
}

/* --- the CRL of three revocations, compared with the CLI and kk_identity_load --- */

/* Every entry is keyed exactly as kk_identity_load keys the revoked leaf. */
static int same_key_as_identity(const char *leaf, int reason)
{
	struct kk_identity id;
	const struct kk_revoked *r;
	char f[64];
	int ok;

	snprintf(f, sizeof(f), "%s.pem", leaf);
	if (kk_identity_load(P(f), &id, why, sizeof(why)))
		return 0;
	snprintf(f, sizeof(f), "%s.serial", leaf);
	r = entry(expected(f));
	ok = r && !strcmp(r->serial_hex, id.serial) && r->serial_len == id.serial_len &&
	     !memcmp(r->serial, id.serial_bin, id.serial_len) &&
	     !memcmp(r->issuer_key, id.issuer_key, 8) && r->reason == reason &&
	     r->revoked_at <= time(NULL) && r->revoked_at > time(NULL) - 60;
	kk_identity_free(&id);
	return ok;
}

static void check_three(void)
{
	char line[64];
	FILE *f;
	int lines = 0;

	CHECK_EQ_INT(nrv, 3);
	CHECK(same_key_as_identity("leaf1", 1)); /* keyCompromise */
	CHECK(same_key_as_identity("leaf2", 4)); /* superseded */
	CHECK(same_key_as_identity("leaf3", -1));
	CHECK(!entry(expected("leaf4.serial")));
	/* ...and the very serials `openssl crl -text` lists. */
	f = fopen(P("crl.serials"), "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		lines++;
		if (!entry(line))
			break;
	}
	fclose(f);
	CHECK_EQ_INT(lines, 3);
	CHECK(entry(line));
}

UNIT_TEST(crl_three_revoked)
{
	CHECK_EQ_INT(load(P("crl.pem"), P("ca.pem"), time(NULL)), 0);
	CHECK_EQ_STR(why, "");
	check_three();
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

UNIT_TEST(crl_der)
{
	CHECK_EQ_INT(load(P("crl.der"), P("ca.pem"), time(NULL)), 0);
	check_three();
}

UNIT_TEST(crl_empty)
{
	CHECK_EQ_INT(load(P("empty.crl.pem"), P("ca.pem"), time(NULL)), 0);
	CHECK_EQ_INT(nrv, 0);
	CHECK(!rv);
}

/* The issuer is looked up among several CAs, and among CAs of one name by key. */
UNIT_TEST(crl_issuer_among_several)
{
	CHECK_EQ_INT(load(P("crl.pem"), P("bundle-two.pem"), time(NULL)), 0);
	check_three();
	CHECK_EQ_INT(load(P("other.crl.pem"), P("bundle-two.pem"), time(NULL)), 0);
	CHECK_EQ_INT(nrv, 0);
	CHECK_EQ_INT(load(P("crl.pem"), P("bundle-same-name.pem"), time(NULL)), 0);
	check_three();
	/* The bundle trusts fake.pem too: then its CRL is the word of a trusted CA. */
	CHECK_EQ_INT(load(P("forged.crl.pem"), P("bundle-same-name.pem"), time(NULL)), 0);
	CHECK_EQ_INT(nrv, 3);
}

UNIT_TEST(crl_forged)
{
	CHECK_EQ_INT(load(P("forged.crl.pem"), P("ca.pem"), time(NULL)), -EKEYREJECTED);
	CHECK_WHY("forged.crl.pem: bad signature: not signed by the key of \"CN=Revocation "
		  "CA,O=kakunin test\" in ");
	CHECK(!rv && !nrv);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

UNIT_TEST(crl_issuer_not_in_bundle)
{
	CHECK_EQ_INT(load(P("other.crl.pem"), P("ca.pem"), time(NULL)), -EKEYREJECTED);
	CHECK_WHY("other.crl.pem: issuer \"CN=Other CA,O=kakunin test\" is not in CA bundle ");
	CHECK_WHY("/ca.pem");
}

UNIT_TEST(crl_ca_without_crlsign)
{
	CHECK_EQ_INT(load(P("nocrl.crl.pem"), P("nocrl.pem"), time(NULL)), -EKEYREJECTED);
	CHECK_WHY("may not sign CRLs (its keyUsage lacks cRLSign)");
}

/* nextUpdate of a CRL file, as OpenSSL reads it. */
static int64_t next_update(const char *name)
{
	X509_CRL *crl = NULL;
	struct tm tm;
	FILE *f = fopen(P(name), "r");
	int64_t t = -1;

	if (f) {
		crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (crl && ASN1_TIME_to_tm(X509_CRL_get0_nextUpdate(crl), &tm))
		t = timegm(&tm);
	X509_CRL_free(crl);
	return t;
}

UNIT_TEST(crl_stale)
{
	int64_t nu = next_update("stale.crl.pem");
	char want[96];
	struct tm tm;
	time_t t = (time_t)nu;

	CHECK(nu > time(NULL) + 3500 && nu <= time(NULL) + 3600);
	CHECK_EQ_INT(load(P("stale.crl.pem"), P("ca.pem"), time(NULL)), 0);
	CHECK_EQ_INT(nrv, 3);
	CHECK_EQ_INT(load(P("stale.crl.pem"), P("ca.pem"), time(NULL) + 2 * 3600), -EKEYEXPIRED);
	gmtime_r(&t, &tm);
	strftime(want, sizeof(want),
		 "stale.crl.pem: stale: nextUpdate %Y-%m-%d %H:%M:%S UTC passed", &tm);
	CHECK_WHY(want);
	CHECK(!rv && !nrv);
	/* To the second: nextUpdate itself is the first stale one. */
	CHECK_EQ_INT(load(P("stale.crl.pem"), P("ca.pem"), nu - 1), 0);
	CHECK_EQ_INT(load(P("stale.crl.pem"), P("ca.pem"), nu), -EKEYEXPIRED);
}

UNIT_TEST(crl_not_valid_yet)
{
	CHECK_EQ_INT(load(P("crl.pem"), P("ca.pem"), time(NULL) - 3600), -EKEYEXPIRED);
	CHECK_WHY("crl.pem: not valid yet: thisUpdate ");
	CHECK_WHY(" is in the future");
}

/* --- files that are no CRL, or no bundle --- */

struct bad_case {
	const char *name, *crl, *bundle;
	int err;
	const char *why; /* %C: the CRL's path, %B: the bundle's */
};

static const struct bad_case bad_cases[] = {
	{ "refuse_garbled", "garbled.crl", "ca.pem", -EINVAL,
	  "CRL %C: not a CRL (neither PEM nor DER)" },
	{ "refuse_garbled_pem", "garbled-pem.crl", "ca.pem", -EINVAL,
	  "CRL %C: not a valid PEM CRL (error:" },
	{ "refuse_truncated_der", "truncated.crl.der", "ca.pem", -EINVAL,
	  "CRL %C: not a valid DER CRL (error:" },
	{ "refuse_certificate_as_crl", "leaf1.pem", "ca.pem", -EINVAL,
	  "CRL %C: no X509 CRL block in the PEM file (error:" },
	{ "refuse_two_crls", "two.crl.pem", "ca.pem", -EINVAL,
	  "CRL %C: more than one CRL in the PEM file" },
	{ "refuse_empty_crl_file", "empty.pem", "ca.pem", -EINVAL, "CRL %C: empty file" },
	{ "refuse_missing_crl", "missing.crl", "ca.pem", -ENOENT,
	  "CRL %C: cannot open: No such file or directory" },
	{ "refuse_directory_crl", ".", "ca.pem", -EISDIR, "CRL %C: cannot read: Is a directory" },
	{ "refuse_missing_bundle", "crl.pem", "missing.pem", -ENOENT,
	  "CA bundle %B: cannot open: No such file or directory" },
	{ "refuse_empty_bundle", "crl.pem", "empty.pem", -EINVAL, "CA bundle %B: empty file" },
	{ "refuse_garbled_bundle", "crl.pem", "garbled.crl", -EINVAL,
	  "CA bundle %B: not a certificate (neither PEM nor DER)" },
	{ "refuse_crl_as_bundle", "crl.pem", "crl.pem", -EINVAL,
	  "CA bundle %B: no CERTIFICATE block in the PEM file" },
};

static const struct bad_case *cur_bad;

static void run_bad(void)
{
	const struct bad_case *c = cur_bad;
	char want[2 * PATH_MAX + 200];
	const char *s;
	size_t off = 0;

	for (s = c->why; *s && off + 1 < sizeof(want); s++) {
		if (s[0] == '%' && (s[1] == 'C' || s[1] == 'B')) {
			off += snprintf(want + off, sizeof(want) - off, "%s",
					P(*++s == 'C' ? c->crl : c->bundle));
			continue;
		}
		want[off++] = *s;
	}
	want[off] = '\0';
	CHECK_EQ_INT(load(P(c->crl), P(c->bundle), time(NULL)), c->err);
	if (strncmp(why, want, strlen(want)) || !one_line(why)) {
		unit_fail_begin(__FILE__, __LINE__);
		printf("expected why[] starting with ");
		unit_put_str(want);
		printf(", got ");
		unit_put_str(why);
		printf("\n");
		return;
	}
	CHECK(!rv && !nrv);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

UNIT_TEST(default_bundle_is_named)
{
	int err = load(P("crl.pem"), NULL, time(NULL));

	if (access(KK_DEFAULT_CA, F_OK)) {
		CHECK_EQ_INT(err, -ENOENT);
		CHECK_WHY("CA bundle " KK_DEFAULT_CA ": cannot open");
	} else {
		CHECK(err == 0 || strstr(why, KK_DEFAULT_CA));
	}
}

UNIT_TEST(why_truncated_safely)
{
	struct kk_revoked *out = NULL;
	char small[12];
	size_t n = 0;

	memset(small, 'Z', sizeof(small));
	CHECK_EQ_INT(kk_crl_load(P("forged.crl.pem"), P("ca.pem"), time(NULL), &out, &n, small,
				 sizeof(small)),
		     -EKEYREJECTED);
	CHECK_EQ_INT(strnlen(small, sizeof(small)), sizeof(small) - 1);
	CHECK(!out && !n);
	CHECK_EQ_INT(kk_crl_load(P("garbled-pem.crl"), P("ca.pem"), time(NULL), &out, &n, small,
				 sizeof(small)),
		     -EINVAL);
	CHECK_EQ_INT(strnlen(small, sizeof(small)), sizeof(small) - 1);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* --- CRLs the openssl CLI cannot make, signed here with the CA's key --- */

enum craft {
	CRAFT_ODD_SERIALS,  /* serial 0, -5, 21 bytes, 20 bytes, removeFromCRL, certificateHold */
	CRAFT_NO_NEXT,	    /* no nextUpdate */
	CRAFT_INDIRECT,	    /* issuingDistributionPoint indirectCRL */
	CRAFT_CERT_ISSUER,  /* an entry with certificateIssuer */
	CRAFT_CRIT_UNKNOWN, /* a critical extension nobody knows */
	CRAFT_TWO_REASONS,  /* an entry with the reason code twice */
};

static int add_entry(X509_CRL *crl, const char *hex, int reason, enum craft what)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();
	GENERAL_NAMES *gens = NULL;
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;
	int ok;

	ok = rev && e && BN_hex2bn(&bn, hex) && (ai = BN_to_ASN1_INTEGER(bn, NULL)) &&
	     X509_REVOKED_set_serialNumber(rev, ai) &&
	     X509_REVOKED_set_revocationDate(rev, (ASN1_TIME *)X509_CRL_get0_lastUpdate(crl));
	if (ok && reason >= 0)
		ok = ASN1_ENUMERATED_set(e, reason) &&
		     X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, X509V3_ADD_APPEND);
	if (ok && what == CRAFT_TWO_REASONS)
		ok = X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, e, 0, X509V3_ADD_APPEND);
	if (ok && what == CRAFT_CERT_ISSUER) {
		gens = GENERAL_NAMES_new();
		ok = gens && sk_GENERAL_NAME_push(gens, GENERAL_NAME_new());
		if (ok) {
			sk_GENERAL_NAME_value(gens, 0)->type = GEN_DIRNAME;
			sk_GENERAL_NAME_value(gens, 0)->d.directoryName =
				X509_NAME_dup(X509_CRL_get_issuer(crl));
			ok = X509_REVOKED_add1_ext_i2d(rev, NID_certificate_issuer, gens, 1, 0);
		}
	}
	ok = ok && X509_CRL_add0_revoked(crl, rev);
	if (!ok)
		X509_REVOKED_free(rev);
	GENERAL_NAMES_free(gens);
	ASN1_INTEGER_free(ai);
	ASN1_ENUMERATED_free(e);
	BN_free(bn);
	return ok;
}

static int add_crl_exts(X509_CRL *crl, enum craft what)
{
	ISSUING_DIST_POINT *idp;
	ASN1_OCTET_STRING *v;
	ASN1_OBJECT *o;
	X509_EXTENSION *ext = NULL;
	int ok = 1;

	if (what == CRAFT_INDIRECT) {
		idp = ISSUING_DIST_POINT_new();
		ok = idp && (idp->indirectCRL = 1) &&
		     X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0);
		ISSUING_DIST_POINT_free(idp);
	}
	if (what == CRAFT_CRIT_UNKNOWN) {
		o = OBJ_txt2obj("1.3.6.1.4.1.55555.1", 1);
		v = ASN1_OCTET_STRING_new();
		ok = o && v && ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2) &&
		     (ext = X509_EXTENSION_create_by_OBJ(NULL, o, 1, v)) &&
		     X509_CRL_add_ext(crl, ext, -1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(v);
		ASN1_OBJECT_free(o);
	}
	return ok;
}

/* A CRL of the fixture CA into dir/name. */
static int craft_crl(const char *name, enum craft what)
{
	static const char *const odd[] = { "0", "-5", "010102030405060708090a0b0c0d0e0f1011121314",
					   "8f0102030405060708090a0b0c0d0e0f10111213" };
	X509_CRL *crl = X509_CRL_new();
	EVP_PKEY *key = NULL;
	X509 *ca = NULL;
	FILE *f;
	size_t i;
	int ok;

	if ((f = fopen(P("ca.pem"), "r"))) {
		ca = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(P("ca.key"), "r"))) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	ok = crl && ca && key && X509_CRL_set_version(crl, 1) &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) &&
	     X509_CRL_set1_lastUpdate(crl, X509_get0_notBefore(ca));
	if (ok && what != CRAFT_NO_NEXT) {
		ASN1_TIME *t = X509_time_adj_ex(NULL, 1, 0, NULL);

		ok = t && X509_CRL_set1_nextUpdate(crl, t);
		ASN1_TIME_free(t);
	}
	for (i = 0; ok && what == CRAFT_ODD_SERIALS && i < sizeof(odd) / sizeof(odd[0]); i++)
		ok = add_entry(crl, odd[i], -1, what);
	if (ok && what == CRAFT_ODD_SERIALS)
		ok = add_entry(crl, "42", 8, what) && add_entry(crl, "43", 6, what);
	if (ok && what != CRAFT_ODD_SERIALS)
		ok = add_entry(crl, "1234", 1, what);
	ok = ok && add_crl_exts(crl, what) && X509_CRL_sign(crl, key, EVP_sha256()) &&
	     (f = fopen(P(name), "w"));
	if (ok) {
		ok = PEM_write_X509_CRL(f, crl);
		fclose(f);
	}
	X509_CRL_free(crl);
	X509_free(ca);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

/* Entries no identity can have are left out; the rest keep their reason. */
UNIT_TEST(crl_odd_serials)
{
	const struct kk_revoked *r;

	CHECK_EQ_INT(craft_crl("odd.crl.pem", CRAFT_ODD_SERIALS), 0);
	CHECK_EQ_INT(load(P("odd.crl.pem"), P("ca.pem"), time(NULL)), 0);
	CHECK_EQ_INT(nrv, 3);
	r = entry("00");
	CHECK(r && r->serial_len == 1 && r->serial[0] == 0 && r->reason == -1);
	r = entry("8f0102030405060708090a0b0c0d0e0f10111213");
	CHECK(r && r->serial_len == 20 && r->serial[0] == 0x8f && r->serial[19] == 0x13);
	r = entry("43");
	CHECK(r && r->reason == 6); /* certificateHold: revoked for now */
	CHECK(!entry("42"));	    /* removeFromCRL: not revoked */
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

UNIT_TEST(crl_without_next_update)
{
	CHECK_EQ_INT(craft_crl("nonext.crl.pem", CRAFT_NO_NEXT), 0);
	CHECK_EQ_INT(load(P("nonext.crl.pem"), P("ca.pem"), time(NULL) + 10 * 365 * 86400LL), 0);
	CHECK_EQ_INT(nrv, 1);
	CHECK_EQ_STR(rv[0].serial_hex, "1234");
	CHECK_EQ_INT(rv[0].reason, 1);
}

UNIT_TEST(crl_refused_constructs)
{
	CHECK_EQ_INT(craft_crl("indirect.crl.pem", CRAFT_INDIRECT), 0);
	CHECK_EQ_INT(load(P("indirect.crl.pem"), P("ca.pem"), time(NULL)), -EINVAL);
	CHECK_WHY("indirect.crl.pem: indirect CRL (entries of other issuers) is not supported");
	CHECK_EQ_INT(craft_crl("certissuer.crl.pem", CRAFT_CERT_ISSUER), 0);
	CHECK_EQ_INT(load(P("certissuer.crl.pem"), P("ca.pem"), time(NULL)), -EINVAL);
	CHECK_WHY("certissuer.crl.pem: entry 1 names another issuer (certificateIssuer)");
	CHECK_EQ_INT(craft_crl("crit.crl.pem", CRAFT_CRIT_UNKNOWN), 0);
	CHECK_EQ_INT(load(P("crit.crl.pem"), P("ca.pem"), time(NULL)), -EINVAL);
	CHECK_WHY("crit.crl.pem: critical extension 1.3.6.1.4.1.55555.1 is not supported");
	CHECK_EQ_INT(craft_crl("reasons.crl.pem", CRAFT_TWO_REASONS), 0);
	CHECK_EQ_INT(load(P("reasons.crl.pem"), P("ca.pem"), time(NULL)), -EINVAL);
	CHECK_WHY("reasons.crl.pem: entry 1 (serial 1234): malformed reason code");
	CHECK(!rv && !nrv);
	CHECK_EQ_INT(ERR_peek_error(), 0);
}

/* --- fixtures (cert_fixture.h) --- */

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_certs("make-revocation-certs.sh", "crl", NULL), 0);
}

int main(void)
{
	size_t i;

	UNIT_RUN(fixtures);
	if (unit_failed) {
		remove_fixtures();
		return unit_done();
	}
	UNIT_RUN(crl_three_revoked);
	UNIT_RUN(crl_der);
	UNIT_RUN(crl_empty);
	UNIT_RUN(crl_issuer_among_several);
	UNIT_RUN(crl_forged);
	UNIT_RUN(crl_issuer_not_in_bundle);
	UNIT_RUN(crl_ca_without_crlsign);
	UNIT_RUN(crl_stale);
	UNIT_RUN(crl_not_valid_yet);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		cur_bad = &bad_cases[i];
		unit_run(cur_bad->name, run_bad);
	}
	UNIT_RUN(default_bundle_is_named);
	UNIT_RUN(why_truncated_safely);
	UNIT_RUN(crl_odd_serials);
	UNIT_RUN(crl_without_next_update);
	UNIT_RUN(crl_refused_constructs);
	free(rv);
	remove_fixtures();
	return unit_done();
}
