// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/risk.c (the behavioural score against an agent's own rolling median) and
 * of user/identity_scope.c (the certificate's actions-scope extension, on certificates that
 * tests/unit/make-certs.sh makes with the openssl CLI).
 */
#define _GNU_SOURCE
#define DIR_TEMPLATE "/tmp/kk-risk-XXXXXX"
#include <math.h>
#include <cjson/cJSON.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "actions.h"
#include "cert_fixture.h"
#include "error.h"
#include "identity.h"
#include "policy.h"
#include "risk.h"

static char why[256];

static void record(struct kk_risk *r, const char *agent, const char *type, const char *payload)
{
	cJSON *j = cJSON_Parse(payload);

	kk_risk_record(r, agent, type, j);
	cJSON_Delete(j);
}

static double score(struct kk_risk *r, const char *agent, const char *type, const char *payload)
{
	cJSON *j = cJSON_Parse(payload);
	double s = kk_risk_score(r, agent, type, j, why, sizeof(why));

	cJSON_Delete(j);
	return s;
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

#define CHECK_NEAR(a, b)                                                                       \
	do {                                                                                   \
		double unit_x_ = (a);                                                          \
		if (!near(unit_x_, (b))) {                                                     \
			unit_fail_begin(__FILE__, __LINE__);                                   \
			printf("expected %s == %.12g, got %.12g\n", #a, (double)(b), unit_x_); \
			return;                                                                \
		}                                                                              \
	} while (0)

UNIT_TEST(few_samples_score_zero)
{
	struct kk_risk *r = kk_risk_new();
	int i;

	CHECK(r != NULL);
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 500000}"), 0);
	for (i = 0; i < KK_RISK_MIN_SAMPLES - 1; i++)
		record(r, "a", "trade", "{\"size\": 50000}");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 500000}"), 0);
	CHECK_EQ_STR(why, "");
	record(r, "a", "trade", "{\"size\": 50000}");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 500000}"), 9 / 10.5);
	kk_risk_free(r);
}

UNIT_TEST(score_against_median)
{
	struct kk_risk *r = kk_risk_new();
	int i;

	for (i = 0; i < 20; i++)
		record(r, "a", "trade",
		       i % 2 ? "{\"size\": 49000, \"market\": \"EUR_USD\"}"
			     : "{\"size\": 51000, \"market\": \"EUR_USD\"}");
	/* median 50000 (the mean of the two middles) */
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 50000}"), 0);
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 55000}"), 0.1 / 1.6);
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 500000}"), 9 / 10.5);
	CHECK(score(r, "a", "trade", "{\"size\": 500000}") > 0.85);
	CHECK_EQ_STR(why, "size 500000 is 10.0x its median 50000");
	/* Far below is as anomalous as far above. */
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 5000}"), 9 / 10.5);
	CHECK_EQ_STR(why, "size 5000 is 0.1x its median 50000");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 25000}"), 1 / 2.5);
	CHECK_EQ_STR(why, "size 25000 is 0.5x its median 50000");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 0}"), 1);
	/* Scoring does not record; a field never seen is not scored; nor another agent. */
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 50000}"), 0);
	CHECK_NEAR(score(r, "a", "trade", "{\"price\": 9e9}"), 0);
	CHECK_NEAR(score(r, "b", "trade", "{\"size\": 500000}"), 0);
	CHECK_NEAR(score(r, "a", "quote", "{\"size\": 500000}"), 0);
	CHECK_NEAR(score(r, "a", "trade", "[500000]"), 0);
	/* The largest field wins. */
	for (i = 0; i < 5; i++)
		record(r, "a", "trade", "{\"size\": 50000, \"price\": 2}");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 100000, \"price\": 8}"), 3 / 4.5);
	CHECK_EQ_STR(why, "price 8 is 4.0x its median 2");
	kk_risk_forget(r, "a");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 500000}"), 0);
	kk_risk_free(r);
}

UNIT_TEST(zero_and_negative_values)
{
	struct kk_risk *r = kk_risk_new();
	int i;

	/* Median 0: no scale, not scored. */
	for (i = 0; i < 9; i++)
		record(r, "a", "t", i < 5 ? "{\"delta\": 0}" : "{\"delta\": 3}");
	CHECK_NEAR(score(r, "a", "t", "{\"delta\": 1000}"), 0);
	/* Magnitudes: -1000 against a median of |-100| is 10x. */
	for (i = 0; i < 9; i++)
		record(r, "a", "u", "{\"pnl\": -100}");
	CHECK_NEAR(score(r, "a", "u", "{\"pnl\": -1000}"), 9 / 10.5);
	CHECK_EQ_STR(why, "pnl -1000 is 10.0x its median 100");
	CHECK_NEAR(score(r, "a", "u", "{\"pnl\": 100}"), 0);
	/* "1e999" parses as infinity: never recorded, and infinitely far from any median. */
	for (i = 0; i < 9; i++)
		record(r, "a", "v", "{\"x\": 1e999}");
	CHECK_NEAR(score(r, "a", "v", "{\"x\": 1}"), 0);
	CHECK_NEAR(score(r, "a", "u", "{\"pnl\": 1e999}"), 1);
	/* An odd count: the middle one (3 of 1, 2, 3, 1000, 1000). */
	record(r, "a", "w", "{\"q\": 1}");
	record(r, "a", "w", "{\"q\": 1000}");
	record(r, "a", "w", "{\"q\": 3}");
	record(r, "a", "w", "{\"q\": 1000}");
	record(r, "a", "w", "{\"q\": 2}");
	CHECK_NEAR(score(r, "a", "w", "{\"q\": 30}"), 9 / 10.5);
	CHECK_EQ_STR(why, "q 30 is 10.0x its median 3");
	kk_risk_free(r);
}

UNIT_TEST(window_from_the_policy)
{
	const char *doc = "{\"agent_id\": \"a\", \"version\": \"1\", \"actions\": {\"trade\": "
			  "{\"other_fields\": \"allow\", \"risk\": {\"revoke_above\": 0.9, "
			  "\"window\": 5}}}}";
	struct kk_risk *r = kk_risk_new();
	struct kk_errors e = { 0 };
	struct kk_policy p;
	int i;

	CHECK_EQ_INT(kk_policy_parse("p.json", doc, strlen(doc), &p, &e), 0);
	CHECK_EQ_INT(kk_risk_configure(r, p.actions), 0);
	kk_policy_free(&p); /* configure copied what it needs */
	for (i = 0; i < 5; i++)
		record(r, "a", "trade", "{\"size\": 100}");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 1000}"), 9 / 10.5);
	/* Five larger ones push the old ones out of a window of 5. */
	for (i = 0; i < 5; i++)
		record(r, "a", "trade", "{\"size\": 1000}");
	CHECK_NEAR(score(r, "a", "trade", "{\"size\": 1000}"), 0);
	/* Default window (100) for other types: five larger ones do not move the median. */
	for (i = 0; i < 10; i++)
		record(r, "a", "quote", "{\"size\": 100}");
	for (i = 0; i < 5; i++)
		record(r, "a", "quote", "{\"size\": 1000}");
	CHECK_NEAR(score(r, "a", "quote", "{\"size\": 1000}"), 9 / 10.5);
	kk_risk_free(r);
	kk_errors_free(&e);
}

UNIT_TEST(bounded_memory)
{
	struct kk_risk *r = kk_risk_new();
	char agent[32], payload[4096];
	size_t n = 0;
	int i, k;

	/* Fields beyond KK_ACTION_FIELDS_MAX are not tracked. */
	n += snprintf(payload + n, sizeof(payload) - n, "{");
	for (k = 0; k < KK_ACTION_FIELDS_MAX + 6; k++)
		n += snprintf(payload + n, sizeof(payload) - n, "%s\"f%02d\": 10", k ? ", " : "",
			      k);
	snprintf(payload + n, sizeof(payload) - n, "}");
	for (i = 0; i < 5; i++)
		record(r, "a", "t", payload);
	CHECK_NEAR(score(r, "a", "t", "{\"f00\": 100}"), 9 / 10.5);
	CHECK_NEAR(score(r, "a", "t", "{\"f63\": 100}"), 9 / 10.5);
	CHECK_NEAR(score(r, "a", "t", "{\"f64\": 100}"), 0);
	/* Histories beyond KK_RISK_ENTRIES: the least recently used goes. */
	for (i = 0; i < 5; i++)
		record(r, "first", "t", "{\"size\": 10}");
	for (k = 0; k < KK_RISK_ENTRIES; k++) {
		snprintf(agent, sizeof(agent), "agent%d", k);
		record(r, agent, "t", "{\"size\": 10}");
	}
	CHECK_NEAR(score(r, "first", "t", "{\"size\": 100}"), 0);
	CHECK_NEAR(score(r, "a", "t", "{\"f00\": 100}"), 0);
	kk_risk_free(r);
}

/* --- the certificate's scope extension --- */

static X509 *read_cert(const char *name)
{
	FILE *f = fopen(P(name), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_certs("make-certs.sh", NULL, NULL), 0);
}

UNIT_TEST(scope_extension)
{
	struct kk_actions *a = (struct kk_actions *)1;
	struct kk_error e = { 0 };
	X509 *x = read_cert("scoped.pem");
	cJSON *ok = cJSON_Parse("{\"market\": \"EUR_USD\", \"size\": 50000}");
	cJSON *big = cJSON_Parse("{\"market\": \"EUR_USD\", \"size\": 50001}");
	enum kk_refusal r1, r2;

	CHECK(x && ok && big);
	CHECK_EQ_INT(kk_scope_ext_get(P("scoped.pem"), x, &a, &e), 0);
	CHECK(a != NULL);
	r1 = kk_actions_check(a, "trade", ok, why, sizeof(why));
	r2 = kk_actions_check(a, "trade", big, why, sizeof(why));
	CHECK_EQ_INT(r1, KK_REF_NONE);
	CHECK_EQ_INT(r2, KK_REF_SCOPE);
	CHECK_EQ_STR(why, "size 50001 above max 50000");
	CHECK_EQ_INT(kk_actions_take(a, "trade", 1), KK_REF_NONE); /* "100/hour" */
	kk_actions_free(a);
	X509_free(x);
	cJSON_Delete(ok);
	cJSON_Delete(big);
}

UNIT_TEST(scope_extension_absent)
{
	struct kk_actions *a = (struct kk_actions *)1;
	struct kk_error e = { 0 };
	X509 *x = read_cert("leaf.pem");

	CHECK(x);
	CHECK_EQ_INT(kk_scope_ext_get(NULL, x, &a, &e), 0);
	CHECK(a == NULL);
	X509_free(x);
}

UNIT_TEST(scope_extension_invalid)
{
	struct kk_actions *a = (struct kk_actions *)1;
	struct kk_error e = { 0 };
	char what[256];
	X509 *x = read_cert("scopedbad.pem");

	CHECK(x);
	snprintf(what, sizeof(what), "certificate %s", P("scopedbad.pem"));
	CHECK_EQ_INT(kk_scope_ext_get(P("scopedbad.pem"), x, &a, &e), -EINVAL);
	CHECK(a == NULL);
	CHECK_EQ_STR(e.what, what);
	CHECK_EQ_STR(e.why,
		     "scope extension: 1:39: actions[\"trade\"].fields[\"size\"].max: must be "
		     "a number");
	X509_free(x);
	x = read_cert("scopedoctets.pem");
	CHECK(x);
	CHECK_EQ_INT(kk_scope_ext_get(NULL, x, &a, &e), -EINVAL);
	CHECK_EQ_STR(e.what, "certificate");
	CHECK_EQ_STR(e.why, "scope extension (" KK_SCOPE_OID ") is not a DER UTF8String");
	X509_free(x);
}

/* Two scope extensions: which one would the CA have meant? Refused. */
UNIT_TEST(scope_extension_twice)
{
	struct kk_actions *a = (struct kk_actions *)1;
	struct kk_error e = { 0 };
	X509 *x = read_cert("scoped.pem");
	ASN1_OBJECT *oid = OBJ_txt2obj(KK_SCOPE_OID, 1);
	int i;

	CHECK(x && oid);
	i = X509_get_ext_by_OBJ(x, oid, -1);
	CHECK(i >= 0);
	CHECK_EQ_INT(X509_add_ext(x, X509_get_ext(x, i), -1), 1);
	CHECK_EQ_INT(kk_scope_ext_get(NULL, x, &a, &e), -EINVAL);
	CHECK(a == NULL);
	CHECK_EQ_STR(e.why, "more than one scope extension (" KK_SCOPE_OID ")");
	ASN1_OBJECT_free(oid);
	X509_free(x);
}

int main(void)
{
	UNIT_RUN(few_samples_score_zero);
	UNIT_RUN(score_against_median);
	UNIT_RUN(zero_and_negative_values);
	UNIT_RUN(window_from_the_policy);
	UNIT_RUN(bounded_memory);
	UNIT_RUN(fixtures);
	if (!unit_failed) {
		UNIT_RUN(scope_extension);
		UNIT_RUN(scope_extension_absent);
		UNIT_RUN(scope_extension_invalid);
		UNIT_RUN(scope_extension_twice);
	}
	remove_fixtures();
	return unit_done();
}
