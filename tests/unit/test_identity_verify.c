// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/identity*.c against real certificates (test_identity.h): each case of the
 * tables, a certificate that verifies or one refused with its own reason, is one TAP test named
 * after it.
 */
#include "test_identity.h"

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
	kk_identity_free(&id);
	remove_fixtures();
	return unit_done();
}
