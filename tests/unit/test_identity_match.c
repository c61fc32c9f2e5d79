// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/identity_match.c without certificates: kk_serial_parse, the identity-key
 * builders, and kk_identity_match_agent / kk_identity_check_policy_hash on hand-built identities.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "identity.h"
#include "kakunin.h"
#include "unit.h"

static char why[512];

/* --- kk_serial_parse --- */

struct serial_case {
	const char *text;
	int err;
	const char *canon; /* expected canonical form when err == 0 */
};

static const struct serial_case serial_cases[] = {
	/* The same serial as the openssl CLI, browsers and people write it. */
	{ "F1:D4:E8", 0, "f1d4e8" },
	{ "0xf1d4e8", 0, "f1d4e8" },
	{ "00f1d4e8", 0, "f1d4e8" },
	{ "f1d4e8", 0, "f1d4e8" },
	{ "0XF1D4E8", 0, "f1d4e8" },
	{ "00:f1:d4:e8", 0, "f1d4e8" },
	{ "0x00:F1:d4:E8", 0, "f1d4e8" },
	{ "f1d4e8c7b2a9f3e6", 0, "f1d4e8c7b2a9f3e6" },
	/* Odd digit counts have an implied leading zero; leading zero bytes are dropped. */
	{ "abc", 0, "0abc" },
	{ "1", 0, "01" },
	{ "0ab12", 0, "ab12" },
	{ "000000ab12", 0, "ab12" },
	{ "0", 0, "00" },
	{ "00:00", 0, "00" },
	{ "0x0", 0, "00" },
	/* 20 bytes is the RFC 5280 maximum, even with leading zeros in front. */
	{ "8f0102030405060708090a0b0c0d0e0f10111213", 0,
	  "8f0102030405060708090a0b0c0d0e0f10111213" },
	{ "00008f0102030405060708090a0b0c0d0e0f10111213", 0,
	  "8f0102030405060708090a0b0c0d0e0f10111213" },
	{ "8F:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13", 0,
	  "8f0102030405060708090a0b0c0d0e0f10111213" },
	{ "", -EINVAL, NULL },
	{ "0x", -EINVAL, NULL },
	{ "xyz", -EINVAL, NULL },
	{ "f1d4e8g", -EINVAL, NULL },
	{ "-05", -EINVAL, NULL },
	{ " f1d4e8", -EINVAL, NULL },
	{ "f1d4e8 ", -EINVAL, NULL },
	{ "serial=F1D4E8", -EINVAL, NULL },
	{ "0x0x12", -EINVAL, NULL },
	/* 21 significant bytes */
	{ "018f0102030405060708090a0b0c0d0e0f10111213", -EINVAL, NULL },
	{ "100000000000000000000000000000000000000000", -EINVAL, NULL },
	/* Colons only between byte pairs. */
	{ "F1:", -EINVAL, NULL },
	{ ":F1", -EINVAL, NULL },
	{ "F1::D4", -EINVAL, NULL },
	{ "F:1D", -EINVAL, NULL },
	{ "F1D:4E8", -EINVAL, NULL },
	{ "F1:D4E8", -EINVAL, NULL },
	{ ":", -EINVAL, NULL },
};

UNIT_TEST(serial_parse_table)
{
	const struct serial_case *c;
	uint8_t out[20];
	char canon[41];
	size_t i, j, len;

	for (i = 0; i < sizeof(serial_cases) / sizeof(serial_cases[0]); i++) {
		c = &serial_cases[i];
		memset(canon, 'Z', sizeof(canon));
		len = 99;
		if (kk_serial_parse(c->text, out, &len, canon) != c->err) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("kk_serial_parse(\"%s\") != %d\n", c->text, c->err);
			return;
		}
		if (c->err)
			continue;
		CHECK_EQ_STR(canon, c->canon);
		CHECK_EQ_INT(len, strlen(c->canon) / 2);
		/* out[] holds exactly the bytes the canonical form spells. */
		for (j = 0; j < len; j++) {
			unsigned int b;

			CHECK(sscanf(c->canon + 2 * j, "%2x", &b) == 1);
			CHECK_EQ_INT(out[j], b);
		}
	}
}

UNIT_TEST(serial_parse_bytes)
{
	static const uint8_t want[] = { 0xf1, 0xd4, 0xe8 };
	uint8_t out[20];
	size_t len;

	CHECK_EQ_INT(kk_serial_parse("00:F1:D4:E8", out, &len, NULL), 0);
	CHECK_EQ_INT(len, 3);
	CHECK(!memcmp(out, want, 3));
	CHECK_EQ_INT(kk_serial_parse("0", out, &len, NULL), 0);
	CHECK_EQ_INT(len, 1);
	CHECK_EQ_INT(out[0], 0);
	CHECK_EQ_INT(kk_serial_parse(NULL, out, &len, NULL), -EINVAL);
}

/* --- identity keys --- */

UNIT_TEST(ident_key_whole)
{
	static const uint8_t iss[KK_ISSUER_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t ser[] = { 0xf1, 0xd4 };
	struct kk_ident_key key, want;
	struct kk_identity id = { 0 };
	char canon[KK_SERIAL_HEX_SIZE];

	/* Built whole: bytes left from an earlier key must not survive (maps compare bytes). */
	memset(&want, 0, sizeof(want));
	memcpy(want.issuer, iss, sizeof(iss));
	want.serial_len = 2;
	memcpy(want.serial, ser, 2);
	memset(&key, 0xa5, sizeof(key));
	kk_ident_key_set(&key, iss, ser, sizeof(ser));
	CHECK(!memcmp(&key, &want, sizeof(key)));

	memcpy(id.issuer_key, iss, sizeof(iss));
	memcpy(id.serial_bin, ser, sizeof(ser));
	id.serial_len = sizeof(ser);
	memset(&key, 0xa5, sizeof(key));
	kk_identity_key(&id, &key);
	CHECK(!memcmp(&key, &want, sizeof(key)));

	/* A typed serial has the zero issuer: any issuer. */
	memset(want.issuer, 0, sizeof(want.issuer));
	memset(&key, 0xa5, sizeof(key));
	CHECK_EQ_INT(kk_serial_key("F1:", &key, canon), -EINVAL);
	CHECK_EQ_INT(kk_serial_key("00:F1:D4", &key, canon), 0);
	CHECK(!memcmp(&key, &want, sizeof(key)));
	CHECK_EQ_STR(canon, "f1d4");
	CHECK_EQ_INT(kk_serial_key("xyz", &key, NULL), -EINVAL);
}

/* --- kk_identity_match_agent --- */

static char *uris_spiffe[] = { "spiffe://example.org/agent/trading_bot_v2" };
static char *uris_many[] = { "spiffe://trading_bot_v2", "urn:trading_bot_v2",
			     "https://example.org/trading_bot_v2/",
			     "spiffe://e.org/a/trading_bot_v2?x",
			     "spiffe://e.org/agent/Trading_bot_v2" };

static char *uris_dev[] = { "spiffe://example.org/ns/dev/sa/trading_bot_v2" };
static char *uris_two[] = { "spiffe://example.org/ns/dev/sa/trading_bot_v2",
			    "spiffe://example.org/ns/prod/sa/trading_bot_v2" };

#define PROD "spiffe://example.org/ns/prod/sa/trading_bot_v2"
#define HINT " (a SAN URI matches only whole: set the policy's spiffe_id)"

struct match_case {
	const char *cn;
	char **uris;
	size_t n_uris;
	const char *agent_id, *spiffe_id;
	int err;
	const char *why; /* exact, when err != 0 */
};

static const struct match_case match_cases[] = {
	{ "trading_bot_v2", NULL, 0, "trading_bot_v2", NULL, 0, NULL },
	{ "trading_bot_v2", NULL, 0, "trading_bot_v2", "", 0, NULL },
	/* A SAN URI matches whole, never by its last segment (issue 16). */
	{ "Trading Bot", uris_spiffe, 1, "trading_bot_v2", NULL, -EACCES,
	  "certificate CN \"Trading Bot\" (and SAN URIs "
	  "\"spiffe://example.org/agent/trading_bot_v2\") does not match the policy's agent_id "
	  "\"trading_bot_v2\"" HINT },
	{ NULL, uris_spiffe, 1, "trading_bot_v2", NULL, -EACCES,
	  "certificate has no CN, and its SAN URIs \"spiffe://example.org/agent/trading_bot_v2\" "
	  "do not match the policy's agent_id \"trading_bot_v2\"" HINT },
	{ "wrong_bot", uris_dev, 1, "trading_bot_v2", NULL, -EACCES,
	  "certificate CN \"wrong_bot\" (and SAN URIs "
	  "\"spiffe://example.org/ns/dev/sa/trading_bot_v2\") does not match the policy's "
	  "agent_id \"trading_bot_v2\"" HINT },
	/* A whole SAN URI as agent_id matches (the policy's syntax limits agent_id, not this). */
	{ NULL, uris_spiffe, 1, "spiffe://example.org/agent/trading_bot_v2", NULL, 0, NULL },
	{ "trading_bot_v2", NULL, 0, "trading_bot", NULL, -EACCES,
	  "certificate CN \"trading_bot_v2\" does not match the policy's agent_id "
	  "\"trading_bot\"" },
	{ "x", uris_spiffe, 1, "agent", NULL, -EACCES,
	  "certificate CN \"x\" (and SAN URIs \"spiffe://example.org/agent/trading_bot_v2\") does "
	  "not match the policy's agent_id \"agent\"" },
	/* An authority, a path-less URN, a trailing slash, a query or another case: no match. */
	{ NULL, uris_many, 5, "trading_bot_v2", NULL, -EACCES,
	  "certificate has no CN, and its SAN URIs \"spiffe://trading_bot_v2\", "
	  "\"urn:trading_bot_v2\", \"https://example.org/trading_bot_v2/\", "
	  "\"spiffe://e.org/a/trading_bot_v2?x\", \"spiffe://e.org/agent/Trading_bot_v2\" do not "
	  "match the policy's agent_id \"trading_bot_v2\"" HINT },
	{ NULL, NULL, 0, "trading_bot_v2", NULL, -EACCES,
	  "certificate has neither a CN nor a SAN URI to match the policy's agent_id "
	  "\"trading_bot_v2\"" },
	/* spiffe_id: one SAN URI equal to it, whatever the CN says. */
	{ "wrong_bot", uris_two, 2, "trading_bot_v2", PROD, 0, NULL },
	{ "wrong_bot", uris_dev, 1, "trading_bot_v2",
	  "spiffe://example.org/ns/dev/sa/trading_bot_v2", 0, NULL },
	{ "wrong_bot", uris_dev, 1, "trading_bot_v2", PROD, -EACCES,
	  "certificate SAN URI \"spiffe://example.org/ns/dev/sa/trading_bot_v2\" does not match "
	  "the policy's spiffe_id \"" PROD "\" (its CN does not count when spiffe_id is set)" },
	{ "trading_bot_v2", NULL, 0, "trading_bot_v2", PROD, -EACCES,
	  "certificate has no SAN URI to match the policy's spiffe_id \"" PROD "\" (its CN does "
	  "not count when spiffe_id is set)" },
	{ NULL, uris_spiffe, 1, "trading_bot_v2", "spiffe://example.org/agent/trading_bot", -EACCES,
	  "certificate SAN URI \"spiffe://example.org/agent/trading_bot_v2\" does not match the "
	  "policy's spiffe_id \"spiffe://example.org/agent/trading_bot\"" },
	{ NULL, uris_many, 5, "trading_bot_v2", "spiffe://e.org/a/trading_bot_v2", -EACCES,
	  "certificate SAN URIs \"spiffe://trading_bot_v2\", \"urn:trading_bot_v2\", "
	  "\"https://example.org/trading_bot_v2/\", \"spiffe://e.org/a/trading_bot_v2?x\", "
	  "\"spiffe://e.org/agent/Trading_bot_v2\" do not match the policy's spiffe_id "
	  "\"spiffe://e.org/a/trading_bot_v2\"" },
	{ "", NULL, 0, "", NULL, -EINVAL, "the policy's agent_id is empty" },
	{ "trading_bot_v2", NULL, 0, NULL, NULL, -EINVAL, "the policy's agent_id is empty" },
};

UNIT_TEST(match_agent_table)
{
	const struct match_case *c;
	struct kk_identity id;
	size_t i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		c = &match_cases[i];
		memset(&id, 0, sizeof(id));
		id.subject_cn = (char *)c->cn;
		id.san_uris = c->uris;
		id.n_san_uris = c->n_uris;
		memset(why, 0, sizeof(why));
		if (kk_identity_match_agent(&id, c->agent_id, c->spiffe_id, why, sizeof(why)) !=
		    c->err) {
			unit_fail_begin(__FILE__, __LINE__);
			printf("match case %zu: not %d (%s)\n", i, c->err, why);
			return;
		}
		CHECK_EQ_STR(why, c->err ? c->why : "");
	}
}

/* --- kk_identity_check_policy_hash --- */

#define H1 "506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9cf"
#define H2 "2bd14d5df1c074bd29e600c82f23f39c9bd0319fff270c81472eb151369814f2"

UNIT_TEST(policy_hash_checks)
{
	struct kk_identity id;

	memset(&id, 0, sizeof(id));
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, H1, why, sizeof(why)), 0);
	id.has_policy_hash = true;
	strcpy(id.policy_hash, H1);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, H1, why, sizeof(why)), 0);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id,
						   "506BD317137FF267A6EC7E1ADF5C42BAD512DCBC"
						   "B3BA600DFD29AE017AE5F9CF",
						   why, sizeof(why)),
		     0);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, H2, why, sizeof(why)), -EACCES);
	CHECK_EQ_STR(why, "certificate pins policy hash " H1 ", but the policy's hash is " H2
			  ": the CA attested another policy");
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, H1 "0", why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, "", why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "policy hash \"\" is not 64 hex digits");
	CHECK_EQ_INT(kk_identity_check_policy_hash(&id, NULL, why, sizeof(why)), -EINVAL);
}

UNIT_TEST(free_is_idempotent)
{
	struct kk_identity id;

	memset(&id, 0, sizeof(id));
	kk_identity_free(&id);
	kk_identity_free(&id);
	kk_identity_free(NULL);
	CHECK_EQ_INT(id.n_san_uris, 0);
}

int main(void)
{
	UNIT_RUN(serial_parse_table);
	UNIT_RUN(serial_parse_bytes);
	UNIT_RUN(ident_key_whole);
	UNIT_RUN(match_agent_table);
	UNIT_RUN(policy_hash_checks);
	UNIT_RUN(free_is_idempotent);
	return unit_done();
}
