// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_policy — libFuzzer target for the policy module.
 *
 * Policy files are untrusted text that a privileged daemon parses, so every input goes through
 * kk_policy_parse (comment stripping, the JSONC scanner, cJSON and the position pairing, every
 * field validator, the canonical form and its hash) and, when it is valid, kk_policy_compile
 * (path and network LPM entries, port folding, the baseline). Compiling is offline with an empty
 * resolv.conf: no DNS, no dependence on the host's resolver. Everything is freed on every path,
 * so ASan's leak check covers the error paths as well.
 *
 * The input is passed as is, without a terminating NUL: the parser must respect len. A valid
 * policy with an "actions" section also has each of its action types checked, with its rate
 * limit taken, against each object member of the document as a payload (the section itself
 * among them), so the scope checker sees fuzzed sections and payloads alike.
 */
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "actions.h"
#include "policy.h"

static void check_actions(struct kk_actions *a, const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size), *m;
	char why[256];
	size_t i;

	for (i = 0; doc && i < kk_actions_count(a); i++) {
		for (m = doc->child; m; m = m->next)
			kk_actions_check(a, kk_actions_type_name(a, i), m, why, sizeof(why));
		kk_actions_take(a, kk_actions_type_name(a, i), (int64_t)i);
	}
	cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kk_policy_opts opts = { .offline = true, .resolv_conf = "/dev/null" };
	struct kk_errors errs = { 0 };
	struct kk_ruleset rs;
	struct kk_policy p;
	int rc = kk_policy_parse("fuzz.json", (const char *)data, size, &p, &errs);

	if (rc == 0 && kk_policy_compile(&p, &opts, &rs, &errs) == 0)
		kk_ruleset_free(&rs);
	if (rc == 0 && p.actions)
		check_actions(p.actions, data, size);
	kk_policy_free(&p);
	kk_errors_free(&errs);
	return 0;
}
