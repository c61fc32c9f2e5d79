// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_load — `kakunin-bpf load [--upgrade] [--ringbuf-size BYTES] [--json]` and
 * `kakunin-bpf unload [--force] [--json]`: argv to a request, the operation (op_load.c), its
 * result or error as text or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "log.h"
#include "maps.h"
#include "op.h"

static const char load_usage[] =
	"usage: kakunin-bpf load [--upgrade] [--ringbuf-size BYTES] [--path-cache MODE] "
	"[--json]\n\n"
	"Load the BPF-LSM programs, attach them and pin programs, links and maps\n"
	"under " KK_PIN_ROOT "/. Harmless when already loaded. Exits 3 when\n"
	"this kernel cannot run BPF-LSM programs, saying why. --ringbuf-size\n"
	"sets the event ring (default 4 MiB) of a fresh load. --upgrade replaces\n"
	"the loaded programs by this build's, keeping the pinned maps: bindings,\n"
	"identities and revocations stay in force. The new programs are attached\n"
	"before the old ones are detached, so enforcement never stops; refused\n"
	"when the maps' layout changed. Nothing loaded: a plain load.\n"
	"--path-cache on|off|shadow: how file_open reuses its allowed decisions\n"
	"(default on; KAKUNIN_PATH_CACHE sets the default). shadow decides every\n"
	"cached open again and counts differences (status: path_cache_shadow_*).\n"
	"Given when already loaded, it changes the running programs' mode.\n"
	"With --json the result, or the error, is one JSON object on stdout.\n";

static const char unload_usage[] =
	"usage: kakunin-bpf unload [--force] [--json]\n\n"
	"Detach every kakunin-bpf program and remove " KK_PIN_ROOT "/.\n"
	"Refused while bindings are live (their agents would run unconfined)\n"
	"unless --force. Harmless when not loaded. With --json the result, or\n"
	"the error, is one JSON object on stdout.\n";

static void print_json(cJSON *o)
{
	char *text;

	cJSON_AddStringToObject(o, "pin_root", KK_PIN_ROOT);
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

/* What load --upgrade changed: "replaced" a count, "added" and "removed" the programs' names. */
static void upgrade_json(cJSON *o, const struct kk_load_res *res)
{
	cJSON *added = cJSON_AddArrayToObject(o, "added");
	cJSON *removed = cJSON_AddArrayToObject(o, "removed");
	int i, replaced = 0;

	for (i = 0; i < res->up.n; i++) {
		const char *name = res->up.prog[i].name;

		if (res->up.prog[i].change == KK_PROG_REPLACED)
			replaced++;
		else if (res->up.prog[i].change == KK_PROG_ADDED)
			cJSON_AddItemToArray(added, cJSON_CreateString(name));
		else
			cJSON_AddItemToArray(removed, cJSON_CreateString(name));
	}
	cJSON_AddNumberToObject(o, "replaced", replaced);
	cJSON_AddNumberToObject(o, "overlap_ms", (double)res->up.overlap_us / 1000.0);
}

static void upgrade_text(const struct kk_load_res *res)
{
	int i, n[3] = { 0 };

	for (i = 0; i < res->up.n; i++)
		n[res->up.prog[i].change]++;
	kk_info("kakunin-bpf: upgraded in %.0f ms: %d programs replaced, %d added, %d removed; "
		"bindings kept", (double)res->took_us / 1000.0, n[KK_PROG_REPLACED],
		n[KK_PROG_ADDED], n[KK_PROG_REMOVED]);
}

static int unexpected(const char *cmd, const char *arg, bool json)
{
	struct kk_error e;

	kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", arg);
	return kk_usage_print(cmd, &e, json);
}

int cmd_load(int argc, char **argv)
{
	static const struct option o[] = {
		{ "ringbuf-size", required_argument, NULL, 'r' },
		{ "upgrade", no_argument, NULL, 'u' },
		{ "path-cache", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = kk_argv_has(argc, argv, "--json"), upgrade = false;
	struct kk_load_req req = { 0 };
	const char *ring = NULL, *pcache = NULL;
	struct kk_load_res res;
	struct kk_error e;
	cJSON *out;
	int c;

	while ((c = getopt_long(argc, argv, ":h", o, NULL)) != -1) {
		if (c == 'r')
			ring = optarg;
		else if (c == 'u')
			upgrade = true;
		else if (c == 'p')
			pcache = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(load_usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("load", c, argv, json);
	}
	if (optind < argc)
		return unexpected("load", argv[optind], json);
	if (kk_load_req_init(&req, ring, &e) ||
	    kk_load_req_pcache(&req, pcache, getenv("KAKUNIN_PATH_CACHE"), &e))
		return kk_usage_print("load", &e, json);
	req.upgrade = upgrade;
	c = kk_op_load(&req, &res, &e);
	if (*res.warning) /* loaded; the revocation list did not come back from disk */
		kk_err("load", "%s", res.warning);
	if (c) {
		kk_error_print("load", &e, json);
		return res.no_lsm ? KK_EXIT_NO_LSM : KK_EXIT_FAIL;
	}
	if (json && (out = cJSON_CreateObject())) {
		cJSON_AddBoolToObject(out, "loaded", true);
		cJSON_AddBoolToObject(out, "already", res.already);
		if (req.upgrade)
			cJSON_AddBoolToObject(out, "upgraded", res.upgraded);
		if (res.upgraded)
			upgrade_json(out, &res);
		cJSON_AddNumberToObject(out, "took_ms", (double)res.took_us / 1000.0);
		print_json(out);
	} else if (json) {
		puts("{}");
	} else if (res.upgraded)
		upgrade_text(&res);
	else if (res.already)
		kk_info("kakunin-bpf: already loaded (" KK_PIN_ROOT ")");
	else
		kk_info("kakunin-bpf: loaded and pinned under " KK_PIN_ROOT);
	return KK_EXIT_OK;
}

int cmd_unload(int argc, char **argv)
{
	static const struct option o[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_unload_req req = { 0 };
	struct kk_unload_res res;
	struct kk_error e;
	cJSON *out;
	int c;

	while ((c = getopt_long(argc, argv, ":h", o, NULL)) != -1) {
		if (c == 'f')
			req.force = true;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(unload_usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("unload", c, argv, json);
	}
	if (optind < argc)
		return unexpected("unload", argv[optind], json);
	if (kk_op_unload(&req, &res, &e)) {
		kk_error_print("unload", &e, json);
		return KK_EXIT_FAIL;
	}
	if (json && (out = cJSON_CreateObject())) {
		cJSON_AddBoolToObject(out, "unloaded", res.was_loaded);
		cJSON_AddNumberToObject(out, "live_bindings", res.live);
		print_json(out);
	} else if (json) {
		puts("{}");
	} else {
		kk_info(res.was_loaded ? "kakunin-bpf: unloaded" :
					 "kakunin-bpf: not loaded, nothing to do");
	}
	return KK_EXIT_OK;
}
