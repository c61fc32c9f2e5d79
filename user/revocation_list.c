// SPDX-License-Identifier: GPL-2.0-only
/*
 * revocation_list — the revocation list's state file, STATE/revocations.json: one JSON object
 * per revoked certificate, read back at load after a reboot emptied the maps (revocation.h).
 * Only the format lives here; revoke.c moves entries between the file and the maps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "hex.h"
#include "identity.h"
#include "kakunin.h"
#include "revocation.h"

static const char *const source_names[KK_REV_SOURCE_MAX] = {
	[KK_REV_CLI] = "cli", [KK_REV_CRL] = "crl", [KK_REV_OCSP] = "ocsp",
	[KK_REV_AUTO] = "auto_revoke", [KK_REV_ROTATION] = "rotation",
};

/* A revocation by serial alone (no issuer given) has an all-zero issuer key: "*" in the file. */
static bool any_issuer(const struct kk_ident_key *k)
{
	static const uint8_t zero[KK_ISSUER_KEY_LEN];

	return !memcmp(k->issuer, zero, sizeof(zero));
}

cJSON *kk_revlist_entry_json(const struct kk_ident_key *k, const struct kk_revocation *r)
{
	char issuer[2 * KK_ISSUER_KEY_LEN + 1], serial[KK_SERIAL_HEX_SIZE];
	cJSON *o = cJSON_CreateObject();
	uint32_t source = r->source;

	if (k->serial_len > KK_SERIAL_MAX)
		goto fail;
	kk_hex_encode(k->issuer, KK_ISSUER_KEY_LEN, issuer);
	kk_hex_encode(k->serial, k->serial_len, serial);
	if (!o || !cJSON_AddStringToObject(o, "issuer", any_issuer(k) ? "*" : issuer) ||
	    !cJSON_AddStringToObject(o, "serial", serial) ||
	    !cJSON_AddNumberToObject(o, "revoked_at", (double)r->revoked_at) ||
	    !cJSON_AddStringToObject(o, "source", source < KK_REV_SOURCE_MAX ?
				     source_names[source] : "?") ||
	    !cJSON_AddStringToObject(o, "reason", r->reason))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int kk_revlist_entry_parse(const cJSON *e, struct kk_ident_key *key, struct kk_revocation *rev)
{
	const cJSON *iss = cJSON_GetObjectItem(e, "issuer"), *ser = cJSON_GetObjectItem(e, "serial");
	const cJSON *at = cJSON_GetObjectItem(e, "revoked_at"), *src = cJSON_GetObjectItem(e, "source");
	const cJSON *why = cJSON_GetObjectItem(e, "reason");
	size_t i;

	memset(key, 0, sizeof(*key));
	memset(rev, 0, sizeof(*rev));
	if (!cJSON_IsString(iss) || !cJSON_IsString(ser) || kk_serial_key(ser->valuestring, key, NULL))
		return -EINVAL;
	if (strcmp(iss->valuestring, "*") &&
	    kk_hex_decode(iss->valuestring, key->issuer, sizeof(key->issuer)) !=
		    (int)sizeof(key->issuer))
		return -EINVAL;
	/* A time before 1970 or past 2^53 is no time this file was written with. */
	if (cJSON_IsNumber(at) && at->valuedouble >= 0 && at->valuedouble < 9007199254740992.0)
		rev->revoked_at = (uint64_t)at->valuedouble;
	for (i = 0; cJSON_IsString(src) && i < KK_REV_SOURCE_MAX; i++)
		if (!strcmp(src->valuestring, source_names[i]))
			rev->source = i;
	snprintf(rev->reason, sizeof(rev->reason), "%s", cJSON_IsString(why) ? why->valuestring : "");
	return 0;
}

int kk_revlist_read(const char *path, cJSON **arr, struct kk_error *e)
{
	char *text = NULL;
	long n = -1;
	FILE *f;

	*arr = NULL;
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : kk_error_set(e, -errno, path, "%s", strerror(errno));
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = calloc(1, n + 1)) && fread(text, 1, n, f) == (size_t)n)
		*arr = cJSON_Parse(text);
	fclose(f);
	free(text);
	if (cJSON_IsArray(*arr))
		return 0;
	cJSON_Delete(*arr);
	*arr = NULL;
	return kk_error_set(e, -EINVAL, path, "not a revocation list (JSON array); revocations "
			    "not restored");
}
