// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the policy validator (user/policy.c, user/policy_fields.c, user/policy_common.c):
 * tables of valid and invalid documents, each invalid one with its exact first error
 * "LINE:COL: field: reason" and its exact number of errors. Host entries are in
 * test_policy_hosts.c, JSONC syntax in test_policy_syntax.c, parsed values and the policy hash
 * in test_policy_values.c, the compiler in test_policy_compile.c and test_policy_net.c. Also
 * the error list (sorting, printing) and kk_perms_str.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kakunin.h"
#include "policy.h"
#include "test_policy.h"
#include "unit.h"

#define S10 "aaaaaaaaaa"
#define S60 S10 S10 S10 S10 S10 S10
/* "/" and 250 bytes: a path of KK_RULE_PATH_MAX (251) bytes; P252 is one byte longer. */
#define P251 "/" S60 S60 S60 S60 S10
#define P252 P251 "b"

#define ROOT_KEYS                                                                       \
	"agent_id, version, mode, baseline, execution_constraints, data_access, exec, " \
	"network_rules, revocation_check, auto_revoke, audit, allow_jit, ipc, spiffe_id, "      \
	"actions, risk, egress"
#define HOURS_FORMAT "must be \"HH:MM-HH:MM UTC\" on a 24-hour clock, e.g. \"08:00-17:00 UTC\""
#define RATE_FORMAT  "must be \"N <word>/<second|minute|hour|day>\", e.g. \"100 trades/hour\""

/* The document itself, agent_id, version, mode, audit, baseline, unknown and duplicate keys. */
static const struct doc_case identity_cases[] = {
	{ "root is an array", "[]", 0, "1:1: a policy must be a JSON object", 1 },
	{ "root is a string", "  \"x\"", 0, "1:3: a policy must be a JSON object", 1 },
	{ "root is null", "null", 0, "1:1: a policy must be a JSON object", 1 },
	{ "empty object", "{}", 0, "1:1: agent_id: required", 2 },
	{ "agent_id missing", "\n {\"version\": \"1\"}", 0, "2:2: agent_id: required", 1 },
	{ "version missing", "{\"agent_id\": \"a\"}", 0, "1:1: version: required", 1 },
	{ "agent_id with a space", "{\"agent_id\": \"a b\", \"version\": \"1\"}", 0,
	  "1:14: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "agent_id empty", "{\"agent_id\": \"\", \"version\": \"1\"}", 0,
	  "1:14: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "agent_id 65 characters", "{\"agent_id\": \"" S60 "abcde\", \"version\": \"1\"}", 0,
	  "1:14: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "agent_id a number", "{\"agent_id\": 7, \"version\": \"1\"}", 0,
	  "1:14: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "agent_id with a slash", "{\"agent_id\": \"spiffe://x/a\", \"version\": \"1\"}", 0,
	  "1:14: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -", 1 },
	{ "version empty", "{\"agent_id\": \"a\", \"version\": \"\"}", 0,
	  "1:30: version: must be a non-empty string of at most 64 printable characters", 1 },
	{ "version 65 characters", "{\"agent_id\": \"a\", \"version\": \"" S60 "12345\"}", 0,
	  "1:30: version: must be a non-empty string of at most 64 printable characters", 1 },
	{ "version with a control character", "{\"agent_id\": \"a\", \"version\": \"1\\t2\"}", 0,
	  "1:30: version: must be a non-empty string of at most 64 printable characters", 1 },
	{ "version with DEL", "{\"agent_id\": \"a\", \"version\": \"1\x7f\"}", 0,
	  "1:30: version: must be a non-empty string of at most 64 printable characters", 1 },
	{ "version a number", "{\"agent_id\": \"a\", \"version\": 1.0}", 0,
	  "1:30: version: must be a non-empty string of at most 64 printable characters", 1 },
	{ "mode misspelled", DOC("\"mode\": \"Enforce\""), 0,
	  "2:9: mode: must be \"enforce\" or \"audit\"", 1 },
	{ "mode not a string", DOC("\"mode\": 1"), 0, "2:9: mode: must be \"enforce\" or \"audit\"",
	  1 },
	{ "audit unknown", DOC("\"audit\": \"none\""), 0,
	  "2:10: audit: must be \"denials\" or \"all\"", 1 },
	{ "baseline a string", DOC("\"baseline\": \"yes\""), 0,
	  "2:13: baseline: must be true or false", 1 },
	{ "baseline null", DOC("\"baseline\": null"), 0, "2:13: baseline: must be true or false",
	  1 },
	{ "allow_jit a string", DOC("\"allow_jit\": \"true\""), 0,
	  "2:14: allow_jit: must be true or false", 1 },
	{ "allow_jit a number", DOC("\"allow_jit\": 1"), 0,
	  "2:14: allow_jit: must be true or false", 1 },
	{ "ipc unknown", DOC("\"ipc\": \"all\""), 0, "2:8: ipc: must be \"own\" or \"none\"", 1 },
	{ "ipc a boolean", DOC("\"ipc\": false"), 0, "2:8: ipc: must be \"own\" or \"none\"", 1 },
	{ "ipc in capitals", DOC("\"ipc\": \"None\""), 0, "2:8: ipc: must be \"own\" or \"none\"",
	  1 },
	{ "unknown key", DOC("  \"colour\": \"blue\""), 0,
	  "2:3: colour: unknown key (expected: " ROOT_KEYS ")", 1 },
	{ "key differing in case", DOC("\"Mode\": \"audit\""), 0,
	  "2:1: Mode: unknown key (expected: " ROOT_KEYS ")", 1 },
	{ "duplicate key", DOC("\"version\": \"2\""), 0,
	  "2:1: version: duplicate key (first at 1:19)", 1 },
	/* spiffe_id: a SPIFFE ID naming a workload, or nothing (issue 16). */
	{ "spiffe_id a number", DOC("\"spiffe_id\": 7"), 0,
	  "2:14: spiffe_id: must be a string \"spiffe://...\"", 1 },
	{ "spiffe_id another scheme", DOC("\"spiffe_id\": \"https://example.org/a\""), 0,
	  "2:14: spiffe_id: \"https://example.org/a\" is not a SPIFFE ID: must start with "
	  "\"spiffe://\" (lowercase)", 1 },
	{ "spiffe_id in capitals", DOC("\"spiffe_id\": \"SPIFFE://example.org/a\""), 0,
	  "2:14: spiffe_id: \"SPIFFE://example.org/a\" is not a SPIFFE ID: must start with "
	  "\"spiffe://\" (lowercase)", 1 },
	{ "spiffe_id a trust domain only", DOC("\"spiffe_id\": \"spiffe://example.org\""), 0,
	  "2:14: spiffe_id: \"spiffe://example.org\" is not a SPIFFE ID: names a trust domain, "
	  "not a workload: add a path (spiffe://TRUST_DOMAIN/PATH)", 1 },
	{ "spiffe_id no trust domain", DOC("\"spiffe_id\": \"spiffe:///a\""), 0,
	  "2:14: spiffe_id: \"spiffe:///a\" is not a SPIFFE ID: has no trust domain "
	  "(spiffe://TRUST_DOMAIN/PATH)", 1 },
	{ "spiffe_id with a port", DOC("\"spiffe_id\": \"spiffe://example.org:443/a\""), 0,
	  "2:14: spiffe_id: \"spiffe://example.org:443/a\" is not a SPIFFE ID: trust domain may "
	  "hold only a-z 0-9 . - _ (no port, user or upper case)", 1 },
	{ "spiffe_id trailing slash", DOC("\"spiffe_id\": \"spiffe://example.org/a/\""), 0,
	  "2:14: spiffe_id: \"spiffe://example.org/a/\" is not a SPIFFE ID: has an empty path "
	  "segment (\"//\" or a trailing \"/\")", 1 },
	{ "spiffe_id dot-dot", DOC("\"spiffe_id\": \"spiffe://example.org/a/../b\""), 0,
	  "2:14: spiffe_id: \"spiffe://example.org/a/../b\" is not a SPIFFE ID: has a \".\" or "
	  "\"..\" path segment", 1 },
	{ "spiffe_id with a query", DOC("\"spiffe_id\": \"spiffe://example.org/a?x=1\""), 0,
	  "2:14: spiffe_id: \"spiffe://example.org/a?x=1\" is not a SPIFFE ID: path may hold only "
	  "A-Z a-z 0-9 . - _ between slashes (no query or fragment)", 1 },
	{ "two errors sorted by position", DOC("\"mode\": \"x\", \"agent_id\": \"y\""), 0,
	  "2:9: mode: must be \"enforce\" or \"audit\"", 2 },
};

UNIT_TEST(identity_errors)
{
	check_doc_cases(identity_cases, ARRAY_SIZE(identity_cases));
}

#define EC	"\"execution_constraints\": "
#define EC_KEYS "allowed_regions, allowed_hours, max_concurrent_trades, rate_limit"

static const struct doc_case constraint_cases[] = {
	{ "constraints an array", DOC(EC "[]"), 0, "2:26: execution_constraints: must be an object",
	  1 },
	{ "constraints unknown key", DOC(EC "{\"regions\": []}"), 0,
	  "2:27: execution_constraints.regions: unknown key (expected: " EC_KEYS ")", 1 },
	{ "regions a string", DOC(EC "{\"allowed_regions\": \"eu\"}"), 0,
	  "2:46: execution_constraints.allowed_regions: must be an array of strings", 1 },
	{ "regions empty", DOC(EC "{\"allowed_regions\": []}"), 0,
	  "2:46: execution_constraints.allowed_regions: must not be empty", 1 },
	{ "region empty string", DOC(EC "{\"allowed_regions\": [\"eu\", \"\"]}"), 0,
	  "2:53: execution_constraints.allowed_regions[1]: must be a non-empty string", 1 },
	{ "region a number", DOC(EC "{\"allowed_regions\": [1]}"), 0,
	  "2:47: execution_constraints.allowed_regions[0]: must be a non-empty string", 1 },
	{ "region twice", DOC(EC "{\"allowed_regions\": [\"eu\", \"us\", \"eu\"]}"), 0,
	  "2:59: execution_constraints.allowed_regions[2]: duplicate of "
	  "execution_constraints.allowed_regions[0]",
	  1 },
	{ "region too long", DOC(EC "{\"allowed_regions\": [\"" S60 "abcde\"]}"), 0,
	  "2:46: execution_constraints.allowed_regions: regions must be at most 64 printable "
	  "characters",
	  1 },
	{ "region with a newline", DOC(EC "{\"allowed_regions\": [\"eu\\n\"]}"), 0,
	  "2:46: execution_constraints.allowed_regions: regions must be at most 64 printable "
	  "characters",
	  1 },
	{ "hours a number", DOC(EC "{\"allowed_hours\": 8}"), 0,
	  "2:44: execution_constraints.allowed_hours: must be a string \"HH:MM-HH:MM UTC\"", 1 },
	{ "hours in CET", DOC(EC "{\"allowed_hours\": \"08:00-17:00 CET\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: only UTC is supported (write the window in "
	  "UTC), not \"CET\"",
	  1 },
	{ "hours in UTC+1", DOC(EC "{\"allowed_hours\": \"08:00-17:00 UTC+1\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: only UTC is supported (write the window in "
	  "UTC), not \"UTC+1\"",
	  1 },
	{ "hours without a zone", DOC(EC "{\"allowed_hours\": \"08:00-17:00\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: " HOURS_FORMAT, 1 },
	{ "hours with one digit", DOC(EC "{\"allowed_hours\": \"8:00-17:00 UTC\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: " HOURS_FORMAT, 1 },
	{ "hours with a letter", DOC(EC "{\"allowed_hours\": \"08:0a-17:00 UTC\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: " HOURS_FORMAT, 1 },
	/* A format mistake, not a time zone: the format message must say so. */
	{ "hours with spaces around '-'", DOC(EC "{\"allowed_hours\": \"08:00 - 17:00 UTC\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: " HOURS_FORMAT, 1 },
	{ "hours start 24:00", DOC(EC "{\"allowed_hours\": \"24:00-06:00 UTC\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: start out of range (hours 00-23, minutes "
	  "00-59)",
	  1 },
	{ "hours end 17:60", DOC(EC "{\"allowed_hours\": \"08:00-17:60 UTC\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: end out of range (hours 00-23, minutes "
	  "00-59)",
	  1 },
	{ "hours empty window", DOC(EC "{\"allowed_hours\": \"08:00-08:00 UTC\"}"), 0,
	  "2:44: execution_constraints.allowed_hours: empty window: start equals end", 1 },
	{ "max_concurrent 0", DOC(EC "{\"max_concurrent_trades\": 0}"), 0,
	  "2:52: execution_constraints.max_concurrent_trades: must be an integer from 1 to 65535",
	  1 },
	{ "max_concurrent 65536", DOC(EC "{\"max_concurrent_trades\": 65536}"), 0,
	  "2:52: execution_constraints.max_concurrent_trades: must be an integer from 1 to 65535",
	  1 },
	{ "max_concurrent 1.5", DOC(EC "{\"max_concurrent_trades\": 1.5}"), 0,
	  "2:52: execution_constraints.max_concurrent_trades: must be an integer from 1 to 65535",
	  1 },
	{ "max_concurrent a string", DOC(EC "{\"max_concurrent_trades\": \"5\"}"), 0,
	  "2:52: execution_constraints.max_concurrent_trades: must be an integer from 1 to 65535",
	  1 },
	{ "rate a number", DOC(EC "{\"rate_limit\": 100}"), 0,
	  "2:41: execution_constraints.rate_limit: must be a string like \"100 trades/hour\"", 1 },
	{ "rate without a unit", DOC(EC "{\"rate_limit\": \"100 trades\"}"), 0,
	  "2:41: execution_constraints.rate_limit: " RATE_FORMAT, 1 },
	{ "rate without a space", DOC(EC "{\"rate_limit\": \"100trades/hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: " RATE_FORMAT, 1 },
	{ "rate with two words", DOC(EC "{\"rate_limit\": \"100 big trades/hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: " RATE_FORMAT, 1 },
	{ "rate negative", DOC(EC "{\"rate_limit\": \"-1 trades/hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: " RATE_FORMAT, 1 },
	{ "rate without a word", DOC(EC "{\"rate_limit\": \"100 /hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: " RATE_FORMAT, 1 },
	{ "rate 0", DOC(EC "{\"rate_limit\": \"0 trades/hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: N must be from 1 to 4294967295", 1 },
	{ "rate 2^32", DOC(EC "{\"rate_limit\": \"4294967296 trades/hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: N must be from 1 to 4294967295", 1 },
	{ "rate per week", DOC(EC "{\"rate_limit\": \"100 trades/week\"}"), 0,
	  "2:41: execution_constraints.rate_limit: unit must be second, minute, hour or day, not "
	  "\"week\"",
	  1 },
	{ "rate per Hour", DOC(EC "{\"rate_limit\": \"100 trades/Hour\"}"), 0,
	  "2:41: execution_constraints.rate_limit: unit must be second, minute, hour or day, not "
	  "\"Hour\"",
	  1 },
};

UNIT_TEST(constraint_errors)
{
	check_doc_cases(constraint_cases, ARRAY_SIZE(constraint_cases));
}

#define DA	   "\"data_access\": "
#define PERMS_TYPE "must be an array of \"read\", \"write\", \"exec\""

static const struct doc_case data_access_cases[] = {
	{ "data_access an array", DOC(DA "[]"), 0,
	  "2:16: data_access: must be an object of \"path\": [permissions]", 1 },
	{ "relative path", DOC(DA "{\"data/x\": [\"read\"]}"), 0,
	  "2:17: data_access[\"data/x\"]: must be an absolute path", 1 },
	{ "empty path", DOC(DA "{\"\": [\"read\"]}"), 0,
	  "2:17: data_access[\"\"]: must be an absolute path", 1 },
	{ "control character", DOC(DA "{\"/a\\u001fb\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/a\x1f"
	  "b\"]: control characters are not allowed in paths",
	  1 },
	{ "DEL character", DOC(DA "{\"/a\x7f\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/a\x7f\"]: control characters are not allowed in paths", 1 },
	{ "double star", DOC(DA "{\"/data/**\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/data/**\"]: '**' is not supported: \"dir/*\" already covers "
	  "everything below dir",
	  1 },
	{ "question mark", DOC(DA "{\"/data/?.csv\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/data/?.csv\"]: '?' is not supported: only a final \"/*\" is a "
	  "pattern",
	  1 },
	{ "bracket", DOC(DA "{\"/data/[ab]\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/data/[ab]\"]: '[' is not supported: only a final \"/*\" is a "
	  "pattern",
	  1 },
	{ "star in a name", DOC(DA "{\"/data/*.csv\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/data/*.csv\"]: '*' only allowed as the last path component", 1 },
	{ "star glued to a name", DOC(DA "{\"/x*\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/x*\"]: '*' only allowed as the last path component", 1 },
	{ "star in the middle", DOC(DA "{\"/a/*/b\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/a/*/b\"]: '*' only allowed as the last path component", 1 },
	{ "trailing slash", DOC(DA "{\"/data/\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/data/\"]: must not end with '/'", 1 },
	{ "empty component", DOC(DA "{\"/a//b\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/a//b\"]: empty path component ('//')", 1 },
	/* "//" then the star: the directory would be "/" written as "//". */
	{ "root written //*", DOC(DA "{\"//*\": [\"read\"]}"), 0,
	  "2:17: data_access[\"//*\"]: empty path component ('//')", 1 },
	{ "dot-dot component", DOC(DA "{\"/a/../b\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/a/../b\"]: '.' and '..' components are not allowed", 1 },
	{ "dot component before the star", DOC(DA "{\"/a/./*\": [\"read\"]}"), 0,
	  "2:17: data_access[\"/a/./*\"]: '.' and '..' components are not allowed", 1 },
	{ "exact path of 252 bytes", DOC(DA "{\"" P252 "\": [\"read\"]}"), 0,
	  "2:17: data_access[\"" P252 "\"]: path is 252 bytes; the kernel's key holds at most 251",
	  1 },
	{ "directory of 252 bytes", DOC(DA "{\"" P252 "/*\": [\"read\"]}"), 0,
	  "2:17: data_access[\"" P252 "/*\"]: path is 252 bytes; the kernel's key holds at most "
	  "251",
	  1 },
	{ "permissions a string", DOC(DA "{\"/x\": \"read\"}"), 0,
	  "2:23: data_access[\"/x\"]: " PERMS_TYPE, 1 },
	{ "permissions an object", DOC(DA "{\"/x\": {}}"), 0,
	  "2:23: data_access[\"/x\"]: " PERMS_TYPE, 1 },
	{ "permission a number", DOC(DA "{\"/x\": [\"read\", 4]}"), 0,
	  "2:32: data_access[\"/x\"]: permissions must be strings: \"read\", \"write\" or \"exec\"",
	  1 },
	{ "permission unknown", DOC(DA "{\"/x\": [\"rw\"]}"), 0,
	  "2:24: data_access[\"/x\"]: unknown permission \"rw\" (expected read, write, exec)", 1 },
	{ "permission in capitals", DOC(DA "{\"/x\": [\"READ\"]}"), 0,
	  "2:24: data_access[\"/x\"]: unknown permission \"READ\" (expected read, write, exec)",
	  1 },
	{ "permission twice", DOC(DA "{\"/x\": [\"read\", \"write\", \"read\"]}"), 0,
	  "2:41: data_access[\"/x\"]: duplicate permission \"read\"", 1 },
	{ "pattern twice", DOC(DA "{\"/x\": [\"read\"],\n  \"/x\": []}"), 0,
	  "3:3: data_access[\"/x\"]: duplicate key (first at 2:17)", 1 },
	{ "bad pattern and bad permission", DOC(DA "{\"x\": [\"rw\", \"all\"]}"), 0,
	  "2:17: data_access[\"x\"]: must be an absolute path", 3 },
};

UNIT_TEST(data_access_errors)
{
	check_doc_cases(data_access_cases, ARRAY_SIZE(data_access_cases));
}

#define EX "\"exec\": "

static const struct doc_case exec_cases[] = {
	{ "exec a string", DOC(EX "\"/usr/bin/python3\""), 0,
	  "2:9: exec: must be an array of strings", 1 },
	{ "exec empty string", DOC(EX "[\"\"]"), 0, "2:10: exec[0]: must be a non-empty string",
	  1 },
	{ "exec null", DOC(EX "[\"/bin/sh\", null]"), 0,
	  "2:21: exec[1]: must be a non-empty string", 1 },
	{ "exec glob", DOC(EX "[\"/usr/bin/*\"]"), 0,
	  "2:10: exec[0]: globs are not allowed in exec paths", 1 },
	{ "exec relative", DOC(EX "[\"python3\"]"), 0, "2:10: exec[0]: must be an absolute path",
	  1 },
	{ "exec trailing slash", DOC(EX "[\"/usr/bin/\"]"), 0,
	  "2:10: exec[0]: must not end with '/'", 1 },
	{ "exec empty component", DOC(EX "[\"/usr//bin/sh\"]"), 0,
	  "2:10: exec[0]: empty path component ('//')", 1 },
	{ "exec dot-dot", DOC(EX "[\"/usr/../bin/sh\"]"), 0,
	  "2:10: exec[0]: '.' and '..' components are not allowed", 1 },
	{ "exec 252 bytes", DOC(EX "[\"" P252 "\"]"), 0, "2:10: exec[0]: longer than 251 bytes",
	  1 },
	{ "exec twice", DOC(EX "[\"/bin/a\", \"/bin/b\", \"/bin/a\", \"/bin/a\"]"), 0,
	  "2:30: exec[2]: duplicate of exec[0]", 2 },
};

UNIT_TEST(exec_errors)
{
	check_doc_cases(exec_cases, ARRAY_SIZE(exec_cases));
}

#define RC "\"revocation_check\": "
#define AR "\"auto_revoke\": "

static const struct doc_case revocation_cases[] = {
	{ "revocation true", DOC(RC "true"), 0, "2:21: revocation_check: must be an object", 1 },
	{ "revocation unknown key", DOC(RC "{\"ttl\": 5}"), 0,
	  "2:22: revocation_check.ttl: unknown key (expected: enabled, cache_ttl_seconds, "
	  "fail_open)",
	  1 },
	{ "revocation enabled a string", DOC(RC "{\"enabled\": \"yes\"}"), 0,
	  "2:33: revocation_check.enabled: must be true or false", 1 },
	{ "revocation ttl 0", DOC(RC "{\"cache_ttl_seconds\": 0}"), 0,
	  "2:43: revocation_check.cache_ttl_seconds: must be an integer from 1 to 86400", 1 },
	{ "revocation ttl 86401", DOC(RC "{\"cache_ttl_seconds\": 86401}"), 0,
	  "2:43: revocation_check.cache_ttl_seconds: must be an integer from 1 to 86400", 1 },
	{ "revocation ttl negative", DOC(RC "{\"cache_ttl_seconds\": -5}"), 0,
	  "2:43: revocation_check.cache_ttl_seconds: must be an integer from 1 to 86400", 1 },
	{ "revocation fail_open 0", DOC(RC "{\"fail_open\": 0}"), 0,
	  "2:35: revocation_check.fail_open: must be true or false", 1 },
	{ "auto_revoke an array", DOC(AR "[]"), 0, "2:16: auto_revoke: must be an object", 1 },
	{ "auto_revoke empty", DOC(AR "{}"), 0, "2:16: auto_revoke.max_denials: required", 2 },
	{ "auto_revoke window missing", DOC(AR "{\"max_denials\": 3}"), 0,
	  "2:16: auto_revoke.window_seconds: required", 1 },
	{ "auto_revoke max 0", DOC(AR "{\"max_denials\": 0, \"window_seconds\": 60}"), 0,
	  "2:32: auto_revoke.max_denials: must be an integer from 1 to 4294967295", 1 },
	{ "auto_revoke window 2^32", DOC(AR "{\"max_denials\": 1, \"window_seconds\": 4294967296}"),
	  0, "2:53: auto_revoke.window_seconds: must be an integer from 1 to 4294967295", 1 },
	{ "auto_revoke unknown key",
	  DOC(AR "{\"max_denials\": 1, \"window_seconds\": 1, \"kill\": true}"), 0,
	  "2:56: auto_revoke.kill: unknown key (expected: max_denials, window_seconds)", 1 },
};

UNIT_TEST(revocation_errors)
{
	check_doc_cases(revocation_cases, ARRAY_SIZE(revocation_cases));
}

static const struct doc_case valid_cases[] = {
	{ "seed policy", SEED, 0, NULL, 0 },
	{ "minimal", "{\"agent_id\": \"a\", \"version\": \"1\"}", 0, NULL, 0 },
	{ "agent_id of 64 characters", "{\"agent_id\": \"" S60 "_.-9\", \"version\": \"1\"}", 0,
	  NULL, 0 },
	{ "version of 64 printable characters",
	  "{\"agent_id\": \"a\", \"version\": \"" S60 " ~!\\\"\"}", 0, NULL, 0 },
	{ "version with UTF-8", "{\"agent_id\": \"a\", \"version\": \"v1 \xc3\xa9t\xc3\xa9\"}", 0,
	  NULL, 0 },
	{ "version with // inside", "{\"agent_id\": \"a\", \"version\": \"spiffe://x/a\"}", 0, NULL,
	  0 },
	{ "version with /* inside", "{\"agent_id\": \"a\", \"version\": \"/* not a comment */\"}",
	  0, NULL, 0 },
	{ "audit mode, audit all, no baseline",
	  DOC("\"mode\": \"audit\", \"audit\": \"all\", \"baseline\": false"), 0, NULL, 0 },
	{ "spiffe_id", DOC("\"spiffe_id\": \"spiffe://example.org/ns/prod/sa/trading_bot_v2\""),
	  0, NULL, 0 },
	{ "allow_jit and ipc", DOC("\"allow_jit\": true, \"ipc\": \"none\""), 0, NULL, 0 },
	{ "allow_jit and ipc defaults written", DOC("\"allow_jit\": false, \"ipc\": \"own\""), 0,
	  NULL, 0 },
	{ "overnight hours", DOC(EC "{\"allowed_hours\": \"22:00-06:00 UTC\"}"), 0, NULL, 0 },
	{ "hours 00:00-23:59", DOC(EC "{\"allowed_hours\": \"00:00-23:59 UTC\"}"), 0, NULL, 0 },
	{ "rate of 2^32-1 per second", DOC(EC "{\"rate_limit\": \"4294967295 x_-1/second\"}"), 0,
	  NULL, 0 },
	{ "max_concurrent 65535 written 6.5535e4", DOC(EC "{\"max_concurrent_trades\": 6.5535e4}"),
	  0, NULL, 0 },
	{ "root pattern", DOC(DA "{\"/*\": [\"read\"]}"), 0, NULL, 0 },
	{ "root exact", DOC(DA "{\"/\": [\"read\"]}"), 0, NULL, 0 },
	{ "exact path of 251 bytes", DOC(DA "{\"" P251 "\": [\"read\"]}"), 0, NULL, 0 },
	{ "directory of 251 bytes", DOC(DA "{\"" P251 "/*\": [\"write\"]}"), 0, NULL, 0 },
	{ "dots inside names", DOC(DA "{\"/a/.hidden/*\": [], \"/a/..b\": [\"exec\"]}"), 0, NULL,
	  0 },
	{ "all permissions and none",
	  DOC(DA "{\"/x\": [\"exec\", \"write\", \"read\"], \"/y\": []}"), 0, NULL, 0 },
	{ "empty data_access", DOC(DA "{}"), 0, NULL, 0 },
	{ "empty exec list", DOC(EX "[]"), 0, NULL, 0 },
	{ "exec path of 251 bytes", DOC(EX "[\"" P251 "\"]"), 0, NULL, 0 },
	{ "empty network_rules", DOC("\"network_rules\": {}"), 0, NULL, 0 },
	{ "revocation defaults written",
	  DOC(RC "{\"enabled\": false, \"cache_ttl_seconds\": 300, "
		 "\"fail_open\": false}"),
	  0, NULL, 0 },
	{ "revocation ttl 86400", DOC(RC "{\"cache_ttl_seconds\": 86400}"), 0, NULL, 0 },
	{ "auto_revoke at its limits",
	  DOC(AR "{\"max_denials\": 4294967295, \"window_seconds\": 1}"), 0, NULL, 0 },
	{ "block and line comments",
	  "/* head */ {\"agent_id\": /* inline */ \"a\", // tail\n"
	  "\"version\": \"1\" /* multi\nline */ }// end",
	  0, NULL, 0 },
	{ "CRLF line endings", "{\r\n  \"agent_id\": \"a\",\r\n  \"version\": \"1\"\r\n}\r\n", 0,
	  NULL, 0 },
	{ "tabs and trailing newlines", "\t{\t\"agent_id\"\t:\t\"a\" ,\"version\":\"1\"}\n\n\n", 0,
	  NULL, 0 },
};

UNIT_TEST(valid_documents)
{
	check_doc_cases(valid_cases, ARRAY_SIZE(valid_cases));
}

/* Every error is reported, sorted by position (line, then column, then field). */
UNIT_TEST(all_errors_sorted)
{
	const char *doc = "{\n"
			  "  \"mode\": \"enforcing\",\n"
			  "  \"data_access\": {\"/x*\": [\"delete\"]},\n"
			  "  \"colour\": \"blue\", \"agent_id\": \"t b\"}";
	struct kk_errors e;
	struct kk_policy p;
	char all[2048] = "", buf[512];
	size_t i;

	CHECK_EQ_INT(parse_doc(doc, &p, &e), -EINVAL);
	kk_policy_free(&p);
	for (i = 0; i < e.n; i++) {
		strcat(all, fmt_error(&e.v[i], buf, sizeof(buf)));
		strcat(all, "\n");
	}
	kk_errors_free(&e);
	CHECK_EQ_STR(all,
		     "1:1: version: required\n"
		     "2:11: mode: must be \"enforce\" or \"audit\"\n"
		     "3:19: data_access[\"/x*\"]: '*' only allowed as the last path component\n"
		     "3:27: data_access[\"/x*\"]: unknown permission \"delete\" (expected read, "
		     "write, exec)\n"
		     "4:3: colour: unknown key (expected: " ROOT_KEYS ")\n"
		     "4:33: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -\n");
}

/* A data_access object of n rules "/r0" ... (all [], so the document stays small). */
static char *many_rules(size_t n)
{
	char *doc = malloc(64 + n * 16), *w;
	size_t i;

	if (!doc)
		return NULL;
	w = doc + sprintf(doc, "{\"agent_id\": \"a\", \"version\": \"1\",\n\"data_access\": {");
	for (i = 0; i < n; i++)
		w += sprintf(w, "%s\"/r%zu\": []", i ? ", " : "", i);
	strcpy(w, "}}");
	return doc;
}

/* A rule's index must fit the kernel's 16-bit rule field: at most 65535 rules. */
UNIT_TEST(rule_limit)
{
	struct kk_errors e;
	struct kk_policy p;
	char *doc, buf[256];
	int rc;

	doc = many_rules(65535);
	CHECK(doc != NULL);
	rc = parse_doc(doc, &p, &e);
	free(doc);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(p.n_paths, 65535);
	kk_policy_free(&p);
	doc = many_rules(65536);
	CHECK(doc != NULL);
	rc = parse_doc(doc, &p, &e);
	free(doc);
	kk_policy_free(&p);
	if (e.n)
		fmt_error(&e.v[0], buf, sizeof(buf));
	CHECK_EQ_INT(rc, -EINVAL);
	CHECK_EQ_INT(e.n, 1);
	kk_errors_free(&e);
	CHECK_EQ_STR(buf, "2:16: data_access: 65536 rules; at most 65535");
}

UNIT_TEST(perms_str)
{
	char buf[32], small[6];

	CHECK_EQ_STR(kk_perms_str(0, buf, sizeof(buf)), "deny");
	CHECK_EQ_STR(kk_perms_str(KK_ACCESS_READ, buf, sizeof(buf)), "read");
	CHECK_EQ_STR(kk_perms_str(KK_ACCESS_WRITE, buf, sizeof(buf)), "write");
	CHECK_EQ_STR(kk_perms_str(KK_ACCESS_EXEC, buf, sizeof(buf)), "exec");
	CHECK_EQ_STR(kk_perms_str(KK_ACCESS_READ | KK_ACCESS_EXEC, buf, sizeof(buf)), "read,exec");
	CHECK_EQ_STR(kk_perms_str(7, buf, sizeof(buf)), "read,write,exec");
	CHECK_EQ_STR(kk_perms_str(7, small, sizeof(small)), "read,");
}

UNIT_TEST(errors_sorted)
{
	struct kk_errors e = { 0 };

	kk_errors_add(&e, 2, 1, "b", "third %d", 3);
	kk_errors_add(&e, 1, 9, NULL, "second");
	kk_errors_add(&e, 2, 1, "a", "%s", "a before b");
	kk_errors_add(&e, 0, 0, "", "first");
	kk_errors_add(&e, 10, 1, "", "last");
	kk_errors_sort(&e);
	CHECK_EQ_INT(e.n, 5);
	CHECK_EQ_STR(e.v[0].reason, "first");
	CHECK_EQ_STR(e.v[1].reason, "second");
	CHECK_EQ_STR(e.v[1].field, "");
	CHECK_EQ_STR(e.v[2].reason, "a before b");
	CHECK_EQ_STR(e.v[3].reason, "third 3");
	CHECK_EQ_STR(e.v[4].reason, "last");
	kk_errors_free(&e);
	CHECK_EQ_INT(e.n, 0);
	CHECK(e.v == NULL);
}

/* The CLI's form: "FILE:LINE:COL: field: reason", position and field left out when unknown. */
UNIT_TEST(errors_printed)
{
	struct kk_errors e = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	kk_errors_add(&e, 0, 0, "", "cannot read: %s", "No such file or directory");
	kk_errors_add(&e, 3, 7, "mode", "must be \"enforce\" or \"audit\"");
	kk_errors_add(&e, 1, 2, "", "unterminated string");
	kk_errors_add(&e, 0, 0, "network_rules.allowed_hosts", "more than 16 ports");
	f = open_memstream(&out, &len);
	CHECK(f != NULL);
	kk_errors_print(f, "p.json", &e);
	fclose(f);
	kk_errors_free(&e);
	CHECK_EQ_STR(out, "p.json: cannot read: No such file or directory\n"
			  "p.json:3:7: mode: must be \"enforce\" or \"audit\"\n"
			  "p.json:1:2: unterminated string\n"
			  "p.json: network_rules.allowed_hosts: more than 16 ports\n");
	free(out);
}

int main(void)
{
	UNIT_RUN(identity_errors);
	UNIT_RUN(constraint_errors);
	UNIT_RUN(data_access_errors);
	UNIT_RUN(exec_errors);
	UNIT_RUN(revocation_errors);
	UNIT_RUN(valid_documents);
	UNIT_RUN(all_errors_sorted);
	UNIT_RUN(rule_limit);
	UNIT_RUN(perms_str);
	UNIT_RUN(errors_sorted);
	UNIT_RUN(errors_printed);
	return unit_done();
}
