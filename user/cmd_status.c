// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_status — `kakunin-bpf status [--json]`: the status model (op_status.c) as a table or one
 * JSON document: what is loaded, every binding with its agent, identity, state, policy,
 * processes and per-hook counters, and the global counters (lost events, fail-closed decisions).
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

#include "cli.h"
#include "events.h"
#include "hex.h"
#include "hooks.h"
#include "metrics.h"
#include "op.h"
#include "output.h"

static const char usage[] =
	"usage: kakunin-bpf status [--json | --format text|json|prometheus]\n\n"
	"Show the loaded programs, every binding (agent, certificate serial, state, mode,\n"
	"policy version and hash, processes, since when, allowed/denied counts per hook), the\n"
	"global counters, lost events included, and the hook manifest's coverage of this kernel\n"
	"(its LSM hooks, how many are classified, which are not, how many have a program\n"
	"attached). --format prometheus writes the kernel's counters in the Prometheus text\n"
	"format (for node_exporter's textfile collector; write to a temporary file, then rename).\n"
	"Not loaded (nothing pinned): text says so, JSON is {\"loaded\": false, \"reason\": ...},\n"
	"both exit 1; prometheus writes kakunin_loaded 0 and exits 0. Other failures (not root,\n"
	"pins of another build's ABI) exit 1 with one line (with --json, a JSON error object).\n";

static const struct option opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "format", required_argument, NULL, 'f' },
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
	[KK_STAT_PEER_FAIL] = "peer_unattested",
	[KK_STAT_PCACHE_HIT] = "path_cache_shadow_hits",
	[KK_STAT_PCACHE_MISMATCH] = "path_cache_shadow_mismatches",
};

static const char *state_name(uint32_t s)
{
	return s == KK_STATE_ACTIVE	 ? "active"
	       : s == KK_STATE_REVOKED ? "revoked"
	       : s == KK_STATE_EXPIRED ? "expired"
				       : "blocked";
}

/* not_after and seconds_left (negative once expired); null both when the record cannot say. */
static void add_expiry(cJSON *o, int64_t not_after)
{
	char when[40];

	if (!not_after) {
		cJSON_AddNullToObject(o, "not_after");
		cJSON_AddNullToObject(o, "seconds_left");
		return;
	}
	kk_format_rfc3339(not_after * 1000000000LL, when, sizeof(when));
	cJSON_AddStringToObject(o, "not_after", when);
	cJSON_AddNumberToObject(o, "seconds_left", (double)(not_after - (int64_t)time(NULL)));
}

/* "23h59m", "45s", "expired", "-": what the text table shows of seconds_left. */
static const char *left_str(const cJSON *b, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItem(b, "seconds_left");
	long long s = cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;

	if (!cJSON_IsNumber(v))
		return "-";
	if (s < 0)
		return "expired";
	if (s >= 86400)
		snprintf(buf, len, "%lldd%lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

static cJSON *binding_json(const struct kk_status_binding *sb)
{
	const struct kk_binding *b = &sb->b;
	cJSON *o = cJSON_CreateObject(), *hooks, *pids;
	uint64_t allowed = 0, denied = 0;
	char hash[65] = "", since[40];
	uint32_t h;
	size_t i;

	kk_hex_encode(sb->policy_hash, sizeof(sb->policy_hash), hash);
	kk_format_rfc3339((int64_t)b->bound_at * 1000000000LL, since, sizeof(since));
	cJSON_AddNumberToObject(o, "binding", sb->slot);
	cJSON_AddStringToObject(o, "agent_id", b->agent_id);
	cJSON_AddStringToObject(o, "serial", sb->serial);
	cJSON_AddStringToObject(o, "state", state_name(sb->state));
	cJSON_AddStringToObject(o, "mode", sb->audit ? "audit" : "enforce");
	cJSON_AddStringToObject(o, "policy_version", b->policy_version);
	cJSON_AddStringToObject(o, "policy_hash", hash);
	cJSON_AddNumberToObject(o, "pid", b->pid);
	pids = cJSON_AddArrayToObject(o, "pids");
	for (i = 0; pids && i < sb->n_pids; i++)
		cJSON_AddItemToArray(pids, cJSON_CreateNumber(sb->pids[i]));
	if (b->flags & KK_BIND_CGROUP)
		cJSON_AddNumberToObject(o, "cgroup_id", (double)b->cgroup_id);
	cJSON_AddStringToObject(o, "bound_at", since);
	add_expiry(o, sb->not_after);
	hooks = cJSON_AddObjectToObject(o, "hooks");
	for (h = 1; h < KK_HOOK_MAX; h++) {
		cJSON *c;

		allowed += sb->counts[h][0];
		denied += sb->counts[h][1];
		if (!sb->counts[h][0] && !sb->counts[h][1])
			continue;
		c = cJSON_AddObjectToObject(hooks, kk_hook_name(h));
		cJSON_AddNumberToObject(c, "allowed", (double)sb->counts[h][0]);
		cJSON_AddNumberToObject(c, "denied", (double)sb->counts[h][1]);
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

/*
 * The daemon's account of the records it took from the ring (loss.h), null when no daemon ever
 * saved one: consumed = written + the failed ones; the kernel's events_lost are the others.
 */
static cJSON *records_json(const struct kk_status *s)
{
	cJSON *o, *f;
	unsigned int i;

	if (!s->has_records)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "pid", s->records.pid);
	cJSON_AddNumberToObject(o, "consumed", (double)s->records.consumed);
	cJSON_AddNumberToObject(o, "written", (double)s->records.written);
	f = cJSON_AddObjectToObject(o, "failed");
	for (i = KK_LOST_WRITE; i < KK_LOST_KINDS; i++)
		cJSON_AddNumberToObject(f, kk_lost_kind_name(i), (double)s->records.failed[i]);
	return o;
}

/* The model as one JSON document; takes over s->revocations. */
static cJSON *status_json(struct kk_status *s)
{
	cJSON *o = cJSON_CreateObject(), *arr, *ctr, *ring;
	size_t i;

	cJSON_AddBoolToObject(o, "loaded", 1);
	cJSON_AddStringToObject(o, "pin_root", KK_PIN_ROOT);
	cJSON_AddNumberToObject(o, "programs", s->programs);
	ring = cJSON_AddObjectToObject(o, "ring");
	cJSON_AddNumberToObject(ring, "used", (double)s->ring_used);
	cJSON_AddNumberToObject(ring, "size", (double)s->ring_size);
	cJSON_AddItemToObject(o, "hooks", hooks_json(&s->cov));
	arr = cJSON_AddArrayToObject(o, "bindings");
	for (i = 0; i < s->n; i++)
		cJSON_AddItemToArray(arr, binding_json(&s->bindings[i]));
	cJSON_AddItemToObject(o, "revocations", s->revocations);
	s->revocations = NULL;
	ctr = cJSON_AddObjectToObject(o, "counters");
	for (i = 0; i < KK_STAT_MAX; i++)
		cJSON_AddNumberToObject(ctr, stat_names[i], (double)s->stats[i]);
	cJSON_AddItemToObject(o, "daemon_records", records_json(s));
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
	printf("\n%-4s %-20s %-18s %-8s %-8s %-10s %-8s %-8s %-8s %s\n", "BIND", "AGENT",
	       "SERIAL", "STATE", "MODE", "POLICY", "EXPIRES", "ALLOWED", "DENIED", "PIDS");
	cJSON_ArrayForEach (b, cJSON_GetObjectItem(s, "bindings")) {
		char pids[256] = "", left[24];
		size_t used = 0;

		cJSON_ArrayForEach (c, cJSON_GetObjectItem(b, "pids"))
			used += snprintf(pids + used, used < sizeof(pids) ? sizeof(pids) - used : 0,
					 "%s%d", used ? "," : "", c->valueint);
		printf("%-4d %-20s %-18s %-8s %-8s %-10s %-8s %-8.0f %-8.0f %s\n",
		       cJSON_GetObjectItem(b, "binding")->valueint,
		       cJSON_GetObjectItem(b, "agent_id")->valuestring,
		       cJSON_GetObjectItem(b, "serial")->valuestring,
		       cJSON_GetObjectItem(b, "state")->valuestring,
		       cJSON_GetObjectItem(b, "mode")->valuestring,
		       cJSON_GetObjectItem(b, "policy_version")->valuestring,
		       left_str(b, left, sizeof(left)),
		       cJSON_GetObjectItem(b, "allowed")->valuedouble,
		       cJSON_GetObjectItem(b, "denied")->valuedouble, *pids ? pids : "-");
	}
	printf("\nrevocations: %d\n", cJSON_GetArraySize(cJSON_GetObjectItem(s, "revocations")));
	printf("counters:");
	cJSON_ArrayForEach (c, cJSON_GetObjectItem(s, "counters"))
		printf(" %s=%.0f", c->string, c->valuedouble);
	printf("\n");
	b = cJSON_GetObjectItem(s, "daemon_records");
	if (!cJSON_IsObject(b))
		return;
	printf("daemon records (pid %d): consumed=%.0f written=%.0f failed:",
	       cJSON_GetObjectItem(b, "pid")->valueint,
	       cJSON_GetObjectItem(b, "consumed")->valuedouble,
	       cJSON_GetObjectItem(b, "written")->valuedouble);
	cJSON_ArrayForEach (c, cJSON_GetObjectItem(b, "failed"))
		printf(" %s=%.0f", c->string, c->valuedouble);
	printf("\n");
}

enum status_format { FMT_TEXT, FMT_JSON, FMT_PROM };

static int parse_format(const char *v, enum status_format *f, struct kk_error *e)
{
	if (!strcmp(v, "text"))
		*f = FMT_TEXT;
	else if (!strcmp(v, "json"))
		*f = FMT_JSON;
	else if (!strcmp(v, "prometheus"))
		*f = FMT_PROM;
	else
		return kk_error_set(e, -EINVAL, "--format", "'%s' is not text, json or prometheus",
				    v);
	return 0;
}

/* Not loaded: the answer, not an error (op.h); exit 1 but for prometheus (kakunin_loaded 0). */
static int print_not_loaded(const struct kk_status *st, enum status_format f)
{
	cJSON *o;
	char *text;

	if (f == FMT_TEXT) {
		printf("kakunin-bpf: not loaded: %s\n", st->reason);
		return KK_EXIT_FAIL;
	}
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "loaded", 0);
	cJSON_AddStringToObject(o, "reason", st->reason);
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{\"loaded\":false}");
	free(text);
	cJSON_Delete(o);
	return KK_EXIT_FAIL;
}

static int print_prometheus(const struct kk_status *st)
{
	struct kk_prom p = { 0 };
	int err;

	kk_metrics_render(&p, st, NULL);
	err = kk_prom_error(&p);
	if (!err && fwrite(p.buf, 1, p.len, stdout) != p.len)
		err = -EIO;
	kk_prom_free(&p);
	return err;
}

static int print_status(struct kk_status *st, enum status_format f, struct kk_error *e)
{
	cJSON *s;

	if (f == FMT_PROM)
		return print_prometheus(st) ? kk_error_set(e, -ENOMEM, NULL, "out of memory") : 0;
	if (!st->loaded)
		return print_not_loaded(st, f);
	s = status_json(st);
	if (!s)
		return kk_error_set(e, -ENOMEM, NULL, "out of memory");
	if (f == FMT_JSON) {
		char *text = cJSON_PrintUnformatted(s);

		puts(text ? text : "{}");
		free(text);
	} else {
		print_text(s);
	}
	cJSON_Delete(s);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	/*
	 * status ends the bindings whose processes are all gone before it shows the table, so it
	 * never lists an agent that no longer runs (op_status.c says why it is status's job too).
	 */
	struct kk_status_req req = { .reap = true };
	bool json = kk_argv_has(argc, argv, "--json") || kk_argv_has(argc, argv, "--format=json");
	enum status_format f = json ? FMT_JSON : FMT_TEXT;
	struct kk_status st;
	struct kk_error e;
	int c, rc;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'j') {
			f = FMT_JSON;
		} else if (c == 'f') {
			if (parse_format(optarg, &f, &e))
				return kk_usage_print("status", &e, json);
		} else if (c == 'h') {
			fputs(usage, stdout);
			return KK_EXIT_OK;
		} else {
			return kk_bad_option_json("status", c, argv, json);
		}
	}
	json = f == FMT_JSON;
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("status", &e, json);
	}
	/* The metrics are counters: no reaping (a write) and no walk of /proc for them. */
	req.reap = f != FMT_PROM;
	req.counters_only = f == FMT_PROM;
	if (kk_op_status(&req, &st, &e)) {
		kk_error_print("status", &e, json);
		return KK_EXIT_FAIL;
	}
	rc = print_status(&st, f, &e);
	kk_status_free(&st);
	if (rc < 0) {
		kk_error_print("status", &e, json);
		return KK_EXIT_FAIL;
	}
	return rc;
}
