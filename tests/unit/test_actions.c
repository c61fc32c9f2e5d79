// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy's "actions" section: its parse errors (positioned like every other
 * section's), its canonical form and the policy hash, the scope check (kk_actions_check), the
 * rate limit's token bucket (kk_actions_take) and the refusal names.
 */
#include <cjson/cJSON.h>

#include "actions.h"
#include "test_policy.h"

#define TRADE                                                                              \
	"\"actions\": {\"trade\": {\"fields\": {\"market\": {\"in\": [\"EUR_USD\", \"GBP_USD\"]},"  \
	" \"size\": {\"max\": 50000, \"min\": 1}, \"side\": {\"in\": [\"buy\", \"sell\"]}},"     \
	" \"rate_limit\": \"3/minute\", \"risk\": {\"revoke_above\": 0.85}},"                   \
	" \"quote\": {\"other_fields\": \"allow\", \"fields\": {\"n\": {\"type\": \"integer\"," \
	" \"in\": [1, 2, 3]}}}}"

static const struct doc_case cases[] = {
	{ "valid", DOC(TRADE), 0, NULL, 0 },
	{ "empty section", DOC("\"actions\": {}"), 0, NULL, 0 },
	{ "type without fields", DOC("\"actions\": {\"ping\": {}}"), 0, NULL, 0 },
	{ "rate with a word", DOC("\"actions\": {\"t\": {\"rate_limit\": \"5 trades/second\"}}"), 0, NULL, 0 },
	{ "not an object", DOC("\"actions\": []"), 0, "2:12: actions: must be an object of action types",
	  1 },
	{ "unknown key in a type", DOC("\"actions\": {\"t\": {\"feilds\": {}}}"), 0,
	  "2:19: actions[\"t\"].feilds: unknown key (expected: fields, other_fields, rate_limit, "
	  "risk)", 1 },
	{ "unknown key in a field", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"pattern\": 1}}}}"), 0,
	  "2:36: actions[\"t\"].fields[\"a\"].pattern: unknown key (expected: in, max, min, type)",
	  1 },
	{ "bad type name", DOC("\"actions\": {\"Trade\": {}}"), 0,
	  "2:13: actions[\"Trade\"]: an action type is 1 to 64 of [a-z0-9_.-]", 1 },
	{ "type name too long",
	  DOC("\"actions\": {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": {}}"), 0,
	  "2:13: actions[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]: an "
	  "action type is 1 to 64 of [a-z0-9_.-]", 1 },
	{ "duplicate type", DOC("\"actions\": {\"t\": {}, \"t\": {}}"), 0,
	  "2:22: actions[\"t\"]: duplicate key (first at 2:13)", 1 },
	{ "bad rate", DOC("\"actions\": {\"t\": {\"rate_limit\": \"100/week\"}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: unit must be second, minute, hour or day, not \"week\"",
	  1 },
	{ "rate without N", DOC("\"actions\": {\"t\": {\"rate_limit\": \"/hour\"}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: must be \"N/<second|minute|hour|day>\" or \"N "
	  "<word>/<unit>\", e.g. \"100/hour\"", 1 },
	{ "rate zero", DOC("\"actions\": {\"t\": {\"rate_limit\": \"0/hour\"}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: N must be from 1 to 4294967295", 1 },
	{ "max not a number", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"max\": \"5\"}}}}"), 0,
	  "2:43: actions[\"t\"].fields[\"a\"].max: must be a number", 1 },
	{ "min above max",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"max\": 1, \"min\": 2}}}}"), 0,
	  "2:53: actions[\"t\"].fields[\"a\"].min: greater than max", 1 },
	{ "in empty", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": []}}}}"), 0,
	  "2:42: actions[\"t\"].fields[\"a\"].in: must not be empty", 1 },
	{ "in with an object", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": [\"x\", {}]}}}}"), 0,
	  "2:48: actions[\"t\"].fields[\"a\"].in[1]: must be a string or a number", 1 },
	{ "in duplicate", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"in\": [1, 2, 1]}}}}"), 0,
	  "2:49: actions[\"t\"].fields[\"a\"].in[2]: duplicate of actions[\"t\"].fields[\"a\"].in[0]",
	  1 },
	{ "in of the wrong type",
	  DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"type\": \"string\", \"in\": [1]}}}}"), 0,
	  "2:60: actions[\"t\"].fields[\"a\"].in: values must be of type \"string\"", 1 },
	{ "bad field type", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"type\": \"bool\"}}}}"), 0,
	  "2:44: actions[\"t\"].fields[\"a\"].type: must be one of \"string\", \"number\", "
	  "\"integer\"", 1 },
	{ "max on a string", DOC("\"actions\": {\"t\": {\"fields\": {\"a\": {\"type\": \"string\","
				 " \"max\": 1}}}}"), 0,
	  "2:35: actions[\"t\"].fields[\"a\"]: max and min need a number, not type \"string\"", 1 },
	{ "other_fields", DOC("\"actions\": {\"t\": {\"other_fields\": \"ignore\"}}"), 0,
	  "2:35: actions[\"t\"].other_fields: must be \"refuse\" or \"allow\"", 1 },
	{ "revoke_above above 1", DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 1.5}}}"), 0,
	  "2:44: actions[\"t\"].risk.revoke_above: must be a number above 0, at most 1", 1 },
	{ "revoke_above 0", DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 0}}}"), 0,
	  "2:44: actions[\"t\"].risk.revoke_above: must be a number above 0, at most 1", 1 },
	{ "risk without a limit", DOC("\"actions\": {\"t\": {\"risk\": {\"window\": 10}}}"), 0,
	  "2:27: actions[\"t\"].risk: needs revoke_above or refuse_above", 1 },
	{ "window too small",
	  DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 0.9, \"window\": 4}}}"), 0,
	  "2:59: actions[\"t\"].risk.window: must be an integer from 5 to 10000", 1 },
	{ "refuse above revoke",
	  DOC("\"actions\": {\"t\": {\"risk\": {\"revoke_above\": 0.5, \"refuse_above\": 0.6}}}"), 0,
	  "2:65: actions[\"t\"].risk: refuse_above must not be above revoke_above", 1 },
	{ "two errors, sorted",
	  DOC("\"actions\": {\"t\": {\"rate_limit\": 5, \"fields\": {\"a\": {\"min\": null}}}}"), 0,
	  "2:33: actions[\"t\"].rate_limit: must be a string like \"100/hour\"", 2 },
};

UNIT_TEST(parse_cases)
{
	check_doc_cases(cases, ARRAY_SIZE(cases));
}

int main(void)
{
	UNIT_RUN(parse_cases);
	return unit_done();
}
