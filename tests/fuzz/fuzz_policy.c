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
 * The input is passed as is, without a terminating NUL: the parser must respect len.
 */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kk_policy_opts opts = { .offline = true, .resolv_conf = "/dev/null" };
	struct kk_errors errs = { 0 };
	struct kk_ruleset rs;
	struct kk_policy p;

	if (kk_policy_parse("fuzz.json", (const char *)data, size, &p, &errs) == 0 &&
	    kk_policy_compile(&p, &opts, &rs, &errs) == 0)
		kk_ruleset_free(&rs);
	kk_policy_free(&p);
	kk_errors_free(&errs);
	return 0;
}
