// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/identity*.c against real certificates (test_identity.h): the fields loaded
 * must equal what the openssl CLI prints (serial, issuer hash, fingerprint), and agent_id matches
 * CN or the last segment of a SAN URI, with the policy hash pinned or not.
 */
#include "test_identity.h"

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
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", NULL, why, sizeof(why)),
		     -EACCES);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "Trading Bot", NULL, why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "x", "spiffe://example.org/agent/trading_bot_v2",
					     why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "x", "spiffe://example.org/agent/trading_bot",
					     why, sizeof(why)), -EACCES);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot", NULL, why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why,
		     "certificate CN \"Trading Bot\" (and SAN URIs "
		     "\"spiffe://example.org/agent/trading_bot_v2\", \"https://example.org/x\") "
		     "does not match the policy's agent_id \"trading_bot\"");
}

UNIT_TEST(san_uri_without_cn)
{
	CHECK_EQ_INT(load(P("sanonly.pem")), 0);
	CHECK_EQ_STR(id.subject_cn, NULL);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2",
					     "spiffe://example.org/agent/trading_bot_v2", why,
					     sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "data_processor", NULL, why, sizeof(why)),
		     -EACCES);
	CHECK_EQ_STR(why, "certificate has no CN, and its SAN URIs "
			  "\"spiffe://example.org/agent/trading_bot_v2\" do not match the policy's "
			  "agent_id \"data_processor\"");
}

/*
 * Issue 16: CN=wrong_bot with the dev namespace's SPIFFE ID bound as the production
 * trading_bot_v2, its last path segment. Now a SAN URI counts whole only.
 */
UNIT_TEST(wrong_bot_is_not_trading_bot_v2)
{
	CHECK_EQ_INT(verify(P("wrongbot.pem"), P("root.pem"), time(NULL)), 0);
	CHECK_EQ_STR(id.subject_cn, "wrong_bot");
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", NULL, why, sizeof(why)),
		     -EACCES);
	CHECK_EQ_STR(why, "certificate CN \"wrong_bot\" (and SAN URIs "
			  "\"spiffe://example.org/ns/dev/sa/trading_bot_v2\") does not match the "
			  "policy's agent_id \"trading_bot_v2\" (a SAN URI matches only whole: set "
			  "the policy's spiffe_id)");
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2",
					     "spiffe://example.org/ns/prod/sa/trading_bot_v2", why,
					     sizeof(why)), -EACCES);
	CHECK_EQ_STR(why, "certificate SAN URI \"spiffe://example.org/ns/dev/sa/trading_bot_v2\" "
			  "does not match the policy's spiffe_id "
			  "\"spiffe://example.org/ns/prod/sa/trading_bot_v2\" (its CN does not "
			  "count when spiffe_id is set)");
	/* With a spiffe_id, a matching CN is not enough either. */
	CHECK_EQ_INT(kk_identity_match_agent(&id, "wrong_bot",
					     "spiffe://example.org/ns/prod/sa/trading_bot_v2", why,
					     sizeof(why)), -EACCES);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "wrong_bot", NULL, why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2",
					     "spiffe://example.org/ns/dev/sa/trading_bot_v2", why,
					     sizeof(why)), 0);
}

/* spiffe://trading_bot_v2 names a trust domain, not an agent: no path, no match. */
UNIT_TEST(san_uri_authority_is_not_a_segment)
{
	CHECK_EQ_INT(load(P("hostonly.pem")), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", NULL, why, sizeof(why)),
		     -EACCES);
}

UNIT_TEST(cn_mismatch)
{
	CHECK_EQ_INT(verify(P("cnother.pem"), P("root.pem"), time(NULL)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "data_processor", NULL, why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", NULL, why, sizeof(why)),
		     -EACCES);
	CHECK_EQ_STR(why, "certificate CN \"data_processor\" does not match the policy's agent_id "
			  "\"trading_bot_v2\"");
	/* Exact, case-sensitive. */
	CHECK_EQ_INT(kk_identity_match_agent(&id, "Data_processor", NULL, why, sizeof(why)),
		     -EACCES);
	CHECK_EQ_INT(kk_identity_match_agent(&id, "data_processo", NULL, why, sizeof(why)),
		     -EACCES);
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
	CHECK_EQ_INT(kk_identity_match_agent(&id, "trading_bot_v2", NULL, why, sizeof(why)), 0);
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
	CHECK_EQ_INT(kk_identity_match_agent(&id, "bot", NULL, why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why,
		     "certificate CN \"bot?kakunin-bpf: all good\" (and SAN URIs \"urn:a/b?\") "
		     "does not match the policy's agent_id \"bot\"");
}

int main(void)
{
	UNIT_RUN(fixtures);
	if (unit_failed) {
		remove_fixtures();
		return unit_done();
	}
	UNIT_RUN(load_fields_leaf);
	UNIT_RUN(issuer_key_is_sha256_of_issuer_name);
	UNIT_RUN(load_der_equals_pem);
	UNIT_RUN(serials_match_openssl_cli);
	UNIT_RUN(validity_of_expired_cert);
	UNIT_RUN(verify_uses_given_time);
	UNIT_RUN(san_uris_and_cn);
	UNIT_RUN(san_uri_without_cn);
	UNIT_RUN(wrong_bot_is_not_trading_bot_v2);
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
