// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy's "actions" section: its parse errors (positioned like every other
 * section's), its canonical form and the policy hash, the scope check (kk_actions_check), the
 * rate limit's token bucket (kk_actions_take) and the refusal names.
 */
#include <cjson/cJSON.h>

#include "actions.h"
#include "test_policy.h"

#define TRADE                                                                                      \
	"\"actions\": {\"trade\": {\"fields\": {\"market\": {\"in\": [\"EUR_USD\", \"GBP_USD\"]}," \
	" \"size\": {\"max\": 50000, \"min\": 1}, \"side\": {\"in\": [\"buy\", \"sell\"]}},"       \
	" \"rate_limit\": \"3/minute\", \"risk\": {\"revoke_above\": 0.85}},"                      \
	" \"quote\": {\"other_fields\": \"allow\", \"fields\": {\"n\": {\"type\": \"integer\","    \
	" \"in\": [1, 2, 3]}}}}"

static const struct doc_case cases[] = {
	{ "valid", DOC(TRADE), 0, NULL, 0 },
	{ "empty section", DOC("\"actions\": {}"), 0, NULL, 0 },
	{ "type without fields", DOC("\"actions\": {\"ping\": {}}"), 0, NULL, 0 },
	{ "rate with a word", DOC("\"actions\": {\"t\": {\"rate_limit\": \"5 trades/second\"}}"), 0,
	  NULL, 0 },
	{ "not an object", DOC("\"actions\": []"), 0,
	  "2:12: actions: must be an object of action types", 1 },
	{ "unknown key in a type", DOC("\"actions\": {\"t\": {\"feilds\": {}}}"), 0,
	  "2:19: actions[\"t\"].feilds: unknown key (expected: fields, other_fields, rate_limit, "
	  "risk)",
	  1 },
	{ "unknown key in a field",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"pattern\": 1}}}}"), 0,
	  "2:36: actions[\"t\"].fields[\"a\"].pattern: unknown key (expected: in, max, min, type)",
	  1 },
	{ "bad type name", DOC("\"actions\": {\"Trade\": {}}"), 0,
	  "2:13: actions[\"Trade\"]: an action type is 1 to 64 of [a-z0-9_.-]", 1 },
	{ "type name too long",
	  DOC("\"actions\": "
	      "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": {}}"),
	  0,
	  "2:13: actions[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]: "
	  "an "
	  "action type is 1 to 64 of [a-z0-9_.-]",
	  1 },
	{ "duplicate type", DOC("\"actions\": {\"t\": {}, \"t\": {}}"), 0,
	  "2:22: actions[\"t\"]: duplicate key (first at 2:13)", 1 },
	{ "bad rate", DOC("\"actions\": {\"t\": {\"rate_limit\": \"100/week\"}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: unit must be second, minute, hour or day, not \"week\"",
	  1 },
	{ "rate without N", DOC("\"actions\": {\"t\": {\"rate_limit\": \"/hour\"}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: must be \"N/<second|minute|hour|day>\" or \"N "
	  "<word>/<unit>\", e.g. \"100/hour\"",
	  1 },
	{ "rate zero", DOC("\"actions\": {\"t\": {\"rate_limit\": \"0/hour\"}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: N must be from 1 to 4294967295", 1 },
	{ "max not a number", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"max\": \"5\"}}}}"),
	  0, "2:43: actions[\"t\"].fields[\"a\"].max: must be a number", 1 },
	{ "min above max",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"max\": 1, \"min\": 2}}}}"), 0,
	  "2:53: actions[\"t\"].fields[\"a\"].min: greater than max", 1 },
	{ "in empty", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": []}}}}"), 0,
	  "2:42: actions[\"t\"].fields[\"a\"].in: must not be empty", 1 },
	{ "in with an object",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": [\"x\", {}]}}}}"), 0,
	  "2:48: actions[\"t\"].fields[\"a\"].in[1]: must be a string or a number", 1 },
	{ "in duplicate", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": [1, 2, 1]}}}}"),
	  0,
	  "2:49: actions[\"t\"].fields[\"a\"].in[2]: duplicate of "
	  "actions[\"t\"].fields[\"a\"].in[0]",
	  1 },
	{ "in duplicate, spelled otherwise",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": [0, \"0\", 1.0, -0, 1]}}}}"), 0,
	  "2:56: actions[\"t\"].fields[\"a\"].in[3]: duplicate of "
	  "actions[\"t\"].fields[\"a\"].in[0]",
	  2 },
	{ "in of the wrong type",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"type\": \"string\", \"in\": [1]}}}}"),
	  0, "2:60: actions[\"t\"].fields[\"a\"].in: values must be of type \"string\"", 1 },
	{ "bad field type",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"type\": \"bool\"}}}}"), 0,
	  "2:44: actions[\"t\"].fields[\"a\"].type: must be one of \"string\", \"number\", "
	  "\"integer\"",
	  1 },
	{ "max on a string",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"type\": \"string\","
	      " \"max\": 1}}}}"),
	  0, "2:35: actions[\"t\"].fields[\"a\"]: max and min need a number, not type \"string\"",
	  1 },
	{ "other_fields", DOC("\"actions\": {\"t\": {\"other_fields\": \"ignore\"}}"), 0,
	  "2:35: actions[\"t\"].other_fields: must be \"refuse\" or \"allow\"", 1 },
	{ "revoke_above above 1", DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 1.5}}}"),
	  0, "2:44: actions[\"t\"].risk.revoke_above: must be a number above 0, at most 1", 1 },
	{ "revoke_above 0", DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 0}}}"), 0,
	  "2:44: actions[\"t\"].risk.revoke_above: must be a number above 0, at most 1", 1 },
	{ "risk without a limit", DOC("\"actions\": {\"t\": {\"risk\": {\"window\": 10}}}"), 0,
	  "2:27: actions[\"t\"].risk: needs revoke_above or refuse_above", 1 },
	{ "window too small",
	  DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 0.9, \"window\": 4}}}"), 0,
	  "2:59: actions[\"t\"].risk.window: must be an integer from 5 to 10000", 1 },
	{ "refuse above revoke",
	  DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 0.5, \"refuse_above\": 0.6}}}"),
	  0, "2:65: actions[\"t\"].risk: refuse_above must not be above revoke_above", 1 },
	{ "default risk without actions", DOC("\"risk\": {\"revoke_above\": 0.9}"), 0,
	  "2:1: risk: needs an \"actions\" section: it scores actions", 1 },
	{ "default risk checked as a type's",
	  DOC("\"actions\": {}, \"risk\": {\"revoke_above\": 0.9, \"window\": 1}"), 0,
	  "2:56: risk.window: must be an integer from 5 to 10000", 1 },
	{ "two errors, sorted",
	  DOC("\"actions\": {\"t\": {\"rate_limit\": 5, \"fields\": {\"a\": {\"min\": null}}}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: must be a string like \"100/hour\"", 2 },
};

UNIT_TEST(parse_cases)
{
	check_doc_cases(cases, ARRAY_SIZE(cases));
}

static struct kk_policy pol;
static struct kk_errors perrs;

/* The TRADE section, parsed once into pol. */
static int load_trade(void)
{
	kk_policy_free(&pol);
	kk_errors_free(&perrs);
	return parse_doc(DOC(TRADE), &pol, &perrs);
}

/* kk_actions_check of payload text against pol's section, why in why[]. */
static char why[256];
static enum kk_refusal check(const char *type, const char *payload)
{
	cJSON *j = cJSON_Parse(payload);
	enum kk_refusal r = kk_actions_check(pol.actions, type, j, why, sizeof(why));

	cJSON_Delete(j);
	return r;
}

#define OK_TRADE "\"market\": \"EUR_USD\", \"side\": \"buy\""

UNIT_TEST(scope_check)
{
	CHECK_EQ_INT(load_trade(), 0);
	CHECK(pol.actions != NULL);
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 50000}"), KK_REF_NONE);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 1}"), KK_REF_NONE);
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 60000}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "size 60000 above max 50000");
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 0.5}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "size 0.5 below min 1");
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": \"10\"}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "size is not a number");
	CHECK_EQ_INT(check("trade", "{\"market\": \"USD_JPY\", \"side\": \"buy\", \"size\": 5}"),
		     KK_REF_SCOPE);
	CHECK_EQ_STR(why, "market \"USD_JPY\" not in its allowed values");
	CHECK_EQ_INT(check("trade", "{\"market\": 5, \"side\": \"buy\", \"size\": 5}"),
		     KK_REF_SCOPE);
	CHECK_EQ_STR(why, "market 5 not in its allowed values");
	CHECK_EQ_INT(check("trade", "{\"side\": \"buy\", \"size\": 5}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "market missing");
	/* Closed world: a field the section does not list. */
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 5, \"leverage\": 100}"),
		     KK_REF_SCOPE);
	CHECK_EQ_STR(why, "field \"leverage\" not allowed");
	/* Control characters in a payload's key do not reach the reason line. */
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 5, \"a\\nb\": 1}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "field \"a?b\" not allowed");
	/* A duplicate member no check would look at. */
	CHECK_EQ_INT(check("trade", "{" OK_TRADE ", \"size\": 5, \"size\": 900000}"),
		     KK_REF_BAD_REQUEST);
	CHECK_EQ_STR(why, "size appears twice");
	CHECK_EQ_INT(check("trade", "[1]"), KK_REF_BAD_REQUEST);
	CHECK_EQ_STR(why, "the payload is not a JSON object");
	CHECK_EQ_INT(check("trade", "\"x\""), KK_REF_BAD_REQUEST);
	CHECK_EQ_INT(check("withdraw", "{}"), KK_REF_UNKNOWN_ACTION);
	CHECK_EQ_STR(why, "no action type \"withdraw\" in the scope");
}

/* No section at all: nothing is in scope (the signer signs nothing for such a policy). */
UNIT_TEST(scope_without_section)
{
	cJSON *o = cJSON_CreateObject();
	enum kk_refusal r = kk_actions_check(NULL, "trade", o, why, sizeof(why));

	cJSON_Delete(o);
	CHECK_EQ_INT(r, KK_REF_UNKNOWN_ACTION);
	CHECK_EQ_STR(why, "the scope has no actions section (type \"trade\")");
}

UNIT_TEST(scope_other_fields_and_types)
{
	CHECK_EQ_INT(load_trade(), 0);
	/* quote: other_fields allow; n an integer in [1, 2, 3]. */
	CHECK_EQ_INT(check("quote", "{\"n\": 2, \"anything\": [1]}"), KK_REF_NONE);
	CHECK_EQ_INT(check("quote", "{\"n\": 2.0}"), KK_REF_NONE);
	CHECK_EQ_INT(check("quote", "{\"n\": 4}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "n 4 not in its allowed values");
	CHECK_EQ_INT(check("quote", "{\"n\": 1.5}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "n 1.5 is not an integer");
	CHECK_EQ_INT(check("quote", "{\"n\": \"2\"}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "n is not a number");
	CHECK_EQ_INT(check("quote", "{}"), KK_REF_SCOPE);
	CHECK_EQ_STR(why, "n missing");
}

UNIT_TEST(rate_limit_bucket)
{
	int64_t t0 = 1000000;
	int i;

	CHECK_EQ_INT(load_trade(), 0);
	/* "3/minute": three at once, then empty; one back every 20 s; all three after a minute. */
	for (i = 0; i < 3; i++)
		CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0), KK_REF_NONE);
	CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0), KK_REF_RATE);
	CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0 + 19999), KK_REF_RATE);
	CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0 + 20000), KK_REF_NONE);
	CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0 + 20000), KK_REF_RATE);
	/* A clock going back refills nothing. */
	CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0), KK_REF_RATE);
	for (i = 0; i < 3; i++)
		CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0 + 200000), KK_REF_NONE);
	CHECK_EQ_INT(kk_actions_take(pol.actions, "trade", t0 + 200000), KK_REF_RATE);
	/* quote has no rate limit; unknown types are refused. */
	for (i = 0; i < 1000; i++)
		CHECK_EQ_INT(kk_actions_take(pol.actions, "quote", t0), KK_REF_NONE);
	CHECK_EQ_INT(kk_actions_take(pol.actions, "nope", t0), KK_REF_UNKNOWN_ACTION);
}

UNIT_TEST(risk_limits)
{
	CHECK_EQ_INT(load_trade(), 0);
	CHECK(kk_actions_revoke_above(pol.actions, "trade") == 0.85);
	CHECK(kk_actions_refuse_above(pol.actions, "trade") == 0);
	CHECK_EQ_INT(kk_actions_risk_window(pol.actions, "trade"), KK_RISK_WINDOW_DEFAULT);
	CHECK(kk_actions_revoke_above(pol.actions, "quote") == 0);
	CHECK(kk_actions_revoke_above(NULL, "quote") == 0);
	CHECK_EQ_INT(kk_actions_count(pol.actions), 2);
	CHECK_EQ_STR(kk_actions_type_name(pol.actions, 0), "quote");
	CHECK_EQ_STR(kk_actions_type_name(pol.actions, 1), "trade");
	CHECK_EQ_STR(kk_actions_type_name(pol.actions, 2), NULL);
}

UNIT_TEST(refusal_names)
{
	CHECK_EQ_STR(kk_refusal_name(KK_REF_SCOPE), "out_of_scope");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_CERT_SCOPE), "out_of_certificate_scope");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_RATE), "rate_limited");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_RISK), "behavioral_anomaly");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_OTHER_CERT), "other_certificate");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_REVOCATION_UNKNOWN), "revocation_unknown");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_INTERNAL), "internal");
	CHECK_EQ_STR(kk_refusal_name(KK_REF_MAX), "internal");
	CHECK_EQ_STR(kk_refusal_name((enum kk_refusal) - 1), "internal");
}

/* The policy's canonical text; the caller frees. */
static char *canon_of(const char *doc, char *hash)
{
	struct kk_policy p;
	struct kk_errors e;
	char *c = NULL;

	if (parse_doc(doc, &p, &e) == 0) {
		c = strdup(p.canonical);
		strcpy(hash, hash_hex(&p));
	}
	kk_policy_free(&p);
	kk_errors_free(&e);
	return c;
}

UNIT_TEST(hash_covers_actions)
{
	char h0[65], h1[65], h2[65], h3[65], h4[65];
	char *c0 = canon_of(DOC("\"mode\": \"enforce\""), h0);
	char *c1 = canon_of(DOC(TRADE), h1);
	/* The same section in another order and spelling: the same hash. */
	char *c2 = canon_of(
		DOC("\"actions\": {\"quote\": {\"fields\": {\"n\": {\"in\": [3, 2, 1],"
		    " \"type\": \"integer\"}}, \"other_fields\": \"allow\"}, \"trade\":"
		    " {\"risk\": {\"window\": 100, \"revoke_above\": 0.85}, \"rate_limit\":"
		    " \"3/minute\", \"other_fields\": \"refuse\", \"fields\": {\"side\":"
		    " {\"in\": [\"sell\", \"buy\"]}, \"size\": {\"min\": 1.0, \"max\":"
		    " 5e4}, \"market\": {\"in\": [\"GBP_USD\", \"EUR_USD\"]}}}}"),
		h2);
	/* One bound changed: another hash. */
	char *c3 = canon_of(
		DOC("\"actions\": {\"quote\": {\"fields\": {\"n\": {\"in\": [3, 2, 1],"
		    " \"type\": \"integer\"}}, \"other_fields\": \"allow\"}, \"trade\":"
		    " {\"risk\": {\"window\": 100, \"revoke_above\": 0.85}, \"rate_limit\":"
		    " \"3/minute\", \"other_fields\": \"refuse\", \"fields\": {\"side\":"
		    " {\"in\": [\"sell\", \"buy\"]}, \"size\": {\"min\": 1.0, \"max\":"
		    " 5e5}, \"market\": {\"in\": [\"GBP_USD\", \"EUR_USD\"]}}}}"),
		h3);
	/* An empty section is a section: nothing may be signed, unlike no section. */
	char *c4 = canon_of(DOC("\"actions\": {}"), h4);

	CHECK(c0 && c1 && c2 && c3 && c4);
	CHECK(!strstr(c0, "actions"));
	CHECK(strcmp(h0, h1) != 0);
	CHECK_EQ_STR(c2, c1);
	CHECK_EQ_STR(h2, h1);
	CHECK(strcmp(h3, h1) != 0);
	CHECK(strcmp(h4, h0) != 0);
	CHECK(strstr(c1, "\"actions\":{\"quote\":{\"fields\":{\"n\":{\"in\":[1,2,3],\"type\":"
			 "\"integer\"}},\"other_fields\":\"allow\"},\"trade\":{\"fields\":{"
			 "\"market\":{\"in\":[\"EUR_USD\",\"GBP_USD\"]},\"side\":{\"in\":[\"buy\","
			 "\"sell\"]},\"size\":{\"max\":50000,\"min\":1}},\"other_fields\":"
			 "\"refuse\",\"rate_limit\":\"3/minute\",\"risk\":{\"revoke_above\":0.85,"
			 "\"window\":100}}},\"agent_id\"") == c1 + 1);
	free(c0);
	free(c1);
	free(c2);
	free(c3);
	free(c4);
}

/* The policy's top-level "risk": the limits of the types without their own. */
UNIT_TEST(default_risk)
{
	const char *doc =
		DOC("\"actions\": {\"a\": {}, \"b\": {\"risk\": {\"refuse_above\": 0.5}}},"
		    " \"risk\": {\"revoke_above\": 0.95, \"refuse_above\": 0.7, "
		    "\"window\": 50}");
	struct kk_policy p, back;
	struct kk_errors e = { 0 };
	char path[64];

	CHECK_EQ_INT(parse_doc(doc, &p, &e), 0);
	CHECK(kk_actions_revoke_above(p.actions, "a") == 0.95);
	CHECK(kk_actions_refuse_above(p.actions, "a") == 0.7);
	CHECK_EQ_INT(kk_actions_risk_window(p.actions, "a"), 50);
	/* b has its own: no revoke limit, refuse above 0.5, the default window of 100. */
	CHECK(kk_actions_revoke_above(p.actions, "b") == 0);
	CHECK(kk_actions_refuse_above(p.actions, "b") == 0.5);
	CHECK_EQ_INT(kk_actions_risk_window(p.actions, "b"), KK_RISK_WINDOW_DEFAULT);
	CHECK_EQ_INT(kk_actions_risk_window(p.actions, "c"), 0);
	CHECK(strstr(p.canonical,
		     "\"revocation_check\":{\"cache_ttl_seconds\":300,\"enabled\":false,"
		     "\"fail_open\":false},\"risk\":{\"refuse_above\":0.7,"
		     "\"revoke_above\":0.95,\"window\":50},\"version\""));
	CHECK_EQ_INT(tmp_text_file(path, p.canonical), 0);
	CHECK_EQ_INT(kk_policy_load_canonical(path, &back, &e), 0);
	unlink(path);
	CHECK_EQ_STR(back.canonical, p.canonical);
	CHECK(kk_actions_revoke_above(back.actions, "a") == 0.95);
	kk_policy_free(&back);
	kk_policy_free(&p);
	kk_errors_free(&e);
}

/* The canonical form read back (as the state directory keeps it) is
 * the same policy. */
UNIT_TEST(canonical_round_trip)
{
	char path[64];
	struct kk_policy back;
	struct kk_errors e = { 0 };

	CHECK_EQ_INT(load_trade(), 0);
	CHECK_EQ_INT(tmp_text_file(path, pol.canonical), 0);
	CHECK_EQ_INT(kk_policy_load_canonical(path, &back, &e), 0);
	unlink(path);
	CHECK_EQ_STR(back.canonical, pol.canonical);
	CHECK(!memcmp(back.hash, pol.hash, sizeof(pol.hash)));
	CHECK_EQ_INT(kk_actions_count(back.actions), 2);
	kk_policy_free(&back);
	kk_errors_free(&e);
}

/* kk_actions_parse: a bare section (a certificate's scope), errors positioned in its text. */
UNIT_TEST(bare_section)
{
	const char *ok = "{\"trade\": {\"fields\": {\"size\": {\"max\": 5}}}}";
	const char *bad = "{\"trade\": {\"fields\": {\"size\": {\"max\": 5}}},\n \"x\": 1}";
	struct kk_actions *a = NULL;
	struct kk_errors e = { 0 };
	char got[256];

	CHECK_EQ_INT(kk_actions_parse("scope", ok, strlen(ok), &a, &e), 0);
	CHECK_EQ_INT(kk_actions_count(a), 1);
	kk_actions_free(a);
	CHECK_EQ_INT(kk_actions_parse("scope", bad, strlen(bad), &a, &e), -EINVAL);
	CHECK(a == NULL);
	CHECK_EQ_INT(e.n, 1);
	CHECK_EQ_STR(fmt_error(&e.v[0], got, sizeof(got)),
		     "2:7: actions[\"x\"]: must be an object");
	kk_errors_free(&e);
	memset(&e, 0, sizeof(e));
	CHECK_EQ_INT(kk_actions_parse("scope", "{\"t\": ", 6, &a, &e), -EINVAL);
	CHECK_EQ_INT(e.n, 1);
	kk_errors_free(&e);
}

int main(void)
{
	UNIT_RUN(parse_cases);
	UNIT_RUN(scope_check);
	UNIT_RUN(scope_without_section);
	UNIT_RUN(scope_other_fields_and_types);
	UNIT_RUN(rate_limit_bucket);
	UNIT_RUN(risk_limits);
	UNIT_RUN(refusal_names);
	UNIT_RUN(hash_covers_actions);
	UNIT_RUN(default_risk);
	UNIT_RUN(canonical_round_trip);
	UNIT_RUN(bare_section);
	kk_policy_free(&pol);
	kk_errors_free(&perrs);
	return unit_done();
}
