// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_status — `kakunin-bpf status [--json]`: what is loaded, every binding with its agent,
 * identity, state, policy, processes and per-hook counters, and the global counters (lost
 * events, fail-closed decisions).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "bind.h"
#include "cli.h"
#include "events.h"
#include "hooks.h"
#include "log.h"
#include "maps.h"
#include "output.h"
#include "revoke.h"

static const char usage[] =
	"usage: kakunin-bpf status [--json]\n\n"
	"Show the loaded programs, every binding (agent, certificate serial, state, mode,\n"
	"policy version and hash, processes, since when, allowed/denied counts per hook), the\n"
	"global counters, lost events included, and the hook manifest's coverage of this kernel\n"
	"(its LSM hooks, how many are classified, which are not, how many have a program\n"
	"attached). Exit 1 when kakunin-bpf is not loaded.\n";

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static const char *const stat_names[KK_STAT_MAX] = {
	[KK_STAT_EVENTS_LOST] = "events_lost",
	[KK_STAT_PATH_FAIL] = "path_unresolved",
	[KK_STAT_BINDING_INVALID] = "binding_invalid",
	[KK_STAT_INHERIT_FAIL] = "inherit_failed",
	[KK_STAT_CONN_TABLE_FULL] = "conn_table_full",
	[KK_STAT_DENIED] = "denied",
	[KK_STAT_AUDITED] = "audited",
	[KK_STAT_FILE_TABLE_FULL] = "file_table_full",
	[KK_STAT_OBJ_TABLE_FULL] = "object_table_full",
};

static const char *state_name(uint32_t s)
{
	return s == KK_STATE_ACTIVE ? "active" : s == KK_STATE_REVOKED ? "revoked" : "blocked";
}

struct pids_ctx {
	uint32_t slot;
	cJSON *arr;
};

static int add_pid(struct kk_maps *m, int pid, int pidfd, uint32_t slot, void *ctx)
{
	struct pids_ctx *p = ctx;

	if (slot == p->slot)
		cJSON_AddItemToArray(p->arr, cJSON_CreateNumber(pid));
	return 0;
}

/* Processes (thread-group leaders) carrying a live mark of binding slot. */
static cJSON *binding_pids(struct kk_maps *m, uint32_t slot)
{
	struct pids_ctx p = { slot, cJSON_CreateArray() };

	if (p.arr)
		kk_maps_for_each_bound(m, add_pid, &p);
	return p.arr;
}

static cJSON *binding_json(struct kk_maps *m, uint32_t slot, const struct kk_binding *b)
{
	static uint64_t counts[KK_HOOK_SLOTS][2];
	cJSON *o = cJSON_CreateObject(), *hooks;
	struct kk_policy_slot pol = { 0 };
	struct kk_ident id = { 0 };
	uint64_t allowed = 0, denied = 0;
	char hash[65] = "", since[40];
	uint32_t h;

	kk_maps_ident_read(m, b->ident, &id);
	kk_maps_policy_read(m, b->policy, &pol);
	kk_maps_counts(m, slot, counts);
	for (h = 0; h < 32; h++)
		snprintf(hash + 2 * h, 3, "%02x", pol.hash[h]);
	kk_format_rfc3339((int64_t)b->bound_at * 1000000000LL, since, sizeof(since));
	id.serial[sizeof(id.serial) - 1] = '\0';
	cJSON_AddNumberToObject(o, "binding", slot);
	cJSON_AddStringToObject(o, "agent_id", b->agent_id);
	cJSON_AddStringToObject(o, "serial", id.serial);
	cJSON_AddStringToObject(o, "state", state_name(id.state));
	cJSON_AddStringToObject(o, "mode",
				pol.consts.flags & KK_POL_AUDIT_MODE ? "audit" : "enforce");
	cJSON_AddStringToObject(o, "policy_version", b->policy_version);
	cJSON_AddStringToObject(o, "policy_hash", hash);
	cJSON_AddNumberToObject(o, "pid", b->pid);
	cJSON_AddItemToObject(o, "pids", binding_pids(m, slot));
	if (b->flags & KK_BIND_CGROUP)
		cJSON_AddNumberToObject(o, "cgroup_id", (double)b->cgroup_id);
	cJSON_AddStringToObject(o, "bound_at", since);
	hooks = cJSON_AddObjectToObject(o, "hooks");
	for (h = 1; h < KK_HOOK_MAX; h++) {
		cJSON *c;

		allowed += counts[h][0];
		denied += counts[h][1];
		if (!counts[h][0] && !counts[h][1])
			continue;
		c = cJSON_AddObjectToObject(hooks, kk_hook_name(h));
		cJSON_AddNumberToObject(c, "allowed", (double)counts[h][0]);
		cJSON_AddNumberToObject(c, "denied", (double)counts[h][1]);
	}
	cJSON_AddNumberToObject(o, "allowed", (double)allowed);
	cJSON_AddNumberToObject(o, "denied", (double)denied);
	return o;
}

/* The manifest's coverage of the running kernel's LSM hooks (hooks.h). */
static cJSON *hooks_json(const struct kk_hooks_cov *cov)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	int i;

	cJSON_AddNumberToObject(o, "kernel", cov->kernel);
	cJSON_AddNumberToObject(o, "classified", cov->classified);
	arr = cJSON_AddArrayToObject(o, "unclassified");
	for (i = 0; arr && i < cov->n_unclassified; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cov->unclassified[i]));
	cJSON_AddNumberToObject(o, "attached", cov->attached);
	return o;
}

static cJSON *status_json(struct kk_maps *m, const struct kk_hooks_cov *cov)
{
	cJSON *o = cJSON_CreateObject(), *arr, *ctr;
	__u64 stats[KK_STAT_MAX] = { 0 };
	struct kk_binding b;
	uint32_t slot, i;

	cJSON_AddBoolToObject(o, "loaded", 1);
	cJSON_AddStringToObject(o, "pin_root", KK_PIN_ROOT);
	cJSON_AddNumberToObject(o, "programs", kk_maps_program_count());
	cJSON_AddItemToObject(o, "hooks", hooks_json(cov));
	arr = cJSON_AddArrayToObject(o, "bindings");
	for (slot = 0; slot < KK_MAX_BINDINGS; slot++)
		if (!kk_maps_binding_read(m, slot, &b) && b.in_use)
			cJSON_AddItemToArray(arr, binding_json(m, slot, &b));
	cJSON_AddItemToObject(o, "revocations", kk_revocations_json(m));
	kk_maps_read_stats(m, stats);
	ctr = cJSON_AddObjectToObject(o, "counters");
	for (i = 0; i < KK_STAT_MAX; i++)
		cJSON_AddNumberToObject(ctr, stat_names[i], (double)stats[i]);
	return o;
}

static void print_hooks(const cJSON *h)
{
	const cJSON *c;
	const char *sep = "; unclassified: ";

	printf("hooks: %d/%d classified, %d attached",
	       cJSON_GetObjectItem(h, "classified")->valueint,
	       cJSON_GetObjectItem(h, "kernel")->valueint,
	       cJSON_GetObjectItem(h, "attached")->valueint);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(h, "unclassified")) {
		printf("%s%s", sep, c->valuestring);
		sep = ", ";
	}
	printf("\n");
}

static void print_text(const cJSON *s)
{
	const cJSON *b, *c;

	printf("kakunin-bpf: loaded, %d programs attached (%s)\n",
	       cJSON_GetObjectItem(s, "programs")->valueint,
	       cJSON_GetObjectItem(s, "pin_root")->valuestring);
	print_hooks(cJSON_GetObjectItem(s, "hooks"));
	printf("\n%-4s %-20s %-18s %-8s %-8s %-10s %-8s %-8s %s\n", "BIND", "AGENT", "SERIAL",
	       "STATE", "MODE", "POLICY", "ALLOWED", "DENIED", "PIDS");
	cJSON_ArrayForEach (b, cJSON_GetObjectItem(s, "bindings")) {
		char pids[256] = "";
		size_t used = 0;

		cJSON_ArrayForEach (c, cJSON_GetObjectItem(b, "pids"))
			used += snprintf(pids + used, used < sizeof(pids) ? sizeof(pids) - used : 0,
					 "%s%d", used ? "," : "", c->valueint);
		printf("%-4d %-20s %-18s %-8s %-8s %-10s %-8.0f %-8.0f %s\n",
		       cJSON_GetObjectItem(b, "binding")->valueint,
		       cJSON_GetObjectItem(b, "agent_id")->valuestring,
		       cJSON_GetObjectItem(b, "serial")->valuestring,
		       cJSON_GetObjectItem(b, "state")->valuestring,
		       cJSON_GetObjectItem(b, "mode")->valuestring,
		       cJSON_GetObjectItem(b, "policy_version")->valuestring,
		       cJSON_GetObjectItem(b, "allowed")->valuedouble,
		       cJSON_GetObjectItem(b, "denied")->valuedouble, *pids ? pids : "-");
	}
	printf("\nrevocations: %d\n", cJSON_GetArraySize(cJSON_GetObjectItem(s, "revocations")));
	printf("counters:");
	cJSON_ArrayForEach (c, cJSON_GetObjectItem(s, "counters"))
		printf(" %s=%.0f", c->string, c->valuedouble);
	printf("\n");
}

int cmd_status(int argc, char **argv)
{
	struct kk_hooks_cov cov;
	bool json = false;
	struct kk_maps m;
	cJSON *s;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return KK_EXIT_OK;
		} else {
			return kk_bad_option("status", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("status", "unexpected argument '%s'", argv[optind]);
	if (kk_require_root("status") || kk_maps_open(&m))
		return KK_EXIT_FAIL;
	if (kk_hooks_running(KK_PIN_LINKS, &cov)) {
		kk_maps_close(&m);
		return KK_EXIT_FAIL;
	}
	if (!kk_maps_lock(&m))
		kk_reap_bindings(&m); /* bindings whose processes are all gone are not shown */
	s = status_json(&m, &cov);
	kk_maps_close(&m);
	kk_hooks_cov_free(&cov);
	if (!s) {
		kk_err("status", "out of memory");
		return KK_EXIT_FAIL;
	}
	if (json) {
		char *text = cJSON_PrintUnformatted(s);

		puts(text ? text : "{}");
		free(text);
	} else {
		print_text(s);
	}
	cJSON_Delete(s);
	return KK_EXIT_OK;
}
