// SPDX-License-Identifier: GPL-2.0-only
/* state — binding metadata and rotation timers on disk (see state.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "state.h"

const char *kk_state_dir(void)
{
	const char *d = getenv("KAKUNIN_STATE_DIR");

	return d && *d ? d : KK_STATE_DIR;
}

/* Write text to path atomically, creating the state directory (and sub) as needed. */
static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8], dir[PATH_MAX];
	int fd, err = 0;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdir(kk_state_dir(), 0700);
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) ||
	    rename(tmp, path))
		err = -errno;
	close(fd);
	return err;
}

static cJSON *read_json(const char *path)
{
	char *text = NULL;
	cJSON *o = NULL;
	long n;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
	    (text = calloc(1, n + 1)) && fread(text, 1, n, f) == (size_t)n)
		o = cJSON_Parse(text);
	fclose(f);
	free(text);
	return o;
}

static void meta_path(uint32_t slot, char *buf, size_t len)
{
	snprintf(buf, len, "%s/bindings/%u.json", kk_state_dir(), slot);
}

int kk_meta_save(const struct kk_binding_meta *b)
{
	cJSON *o = cJSON_CreateObject();
	char path[PATH_MAX], *text;
	int err = -ENOMEM;

	if (o && cJSON_AddNumberToObject(o, "slot", b->slot) &&
	    cJSON_AddNumberToObject(o, "gen", b->gen) &&
	    cJSON_AddStringToObject(o, "cert", b->cert) &&
	    cJSON_AddStringToObject(o, "ca", b->ca) &&
	    cJSON_AddStringToObject(o, "policy", b->policy) &&
	    cJSON_AddBoolToObject(o, "offline", b->offline) &&
	    cJSON_AddBoolToObject(o, "ocsp", b->ocsp) &&
	    cJSON_AddNumberToObject(o, "ttl", b->ttl_s) &&
	    cJSON_AddBoolToObject(o, "fail_open", b->fail_open) &&
	    cJSON_AddStringToObject(o, "policy_hash", b->policy_hash) &&
	    (text = cJSON_Print(o))) {
		meta_path(b->slot, path, sizeof(path));
		err = write_atomic(path, text);
		free(text);
	}
	cJSON_Delete(o);
	return err;
}

static void get_str(const cJSON *o, const char *k, char *dst, size_t len)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double get_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int kk_meta_load(uint32_t slot, struct kk_binding_meta *b)
{
	char path[PATH_MAX];
	cJSON *o;

	meta_path(slot, path, sizeof(path));
	o = read_json(path);
	if (!o)
		return -ENOENT;
	memset(b, 0, sizeof(*b));
	b->slot = slot;
	b->gen = (uint32_t)get_num(o, "gen");
	get_str(o, "cert", b->cert, sizeof(b->cert));
	get_str(o, "ca", b->ca, sizeof(b->ca));
	get_str(o, "policy", b->policy, sizeof(b->policy));
	get_str(o, "policy_hash", b->policy_hash, sizeof(b->policy_hash));
	b->offline = cJSON_IsTrue(cJSON_GetObjectItem(o, "offline"));
	b->ocsp = cJSON_IsTrue(cJSON_GetObjectItem(o, "ocsp"));
	b->fail_open = cJSON_IsTrue(cJSON_GetObjectItem(o, "fail_open"));
	b->ttl_s = (uint32_t)get_num(o, "ttl");
	cJSON_Delete(o);
	return 0;
}

void kk_meta_remove(uint32_t slot)
{
	char path[PATH_MAX];

	meta_path(slot, path, sizeof(path));
	unlink(path);
}

static void timers_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/timers.json", kk_state_dir());
}

static cJSON *timer_json(const struct kk_timer *t)
{
	cJSON *o = cJSON_CreateObject();
	char issuer[17];
	int i;

	for (i = 0; i < 8; i++)
		sprintf(issuer + 2 * i, "%02x", t->key.issuer[i]);
	if (o && cJSON_AddStringToObject(o, "serial", t->serial) &&
	    cJSON_AddStringToObject(o, "issuer", issuer) &&
	    cJSON_AddNumberToObject(o, "due", (double)t->due))
		return o;
	cJSON_Delete(o);
	return NULL;
}

static int timer_parse(const cJSON *o, struct kk_timer *t)
{
	char issuer[17], serial[44];
	unsigned i, len = 0;

	memset(t, 0, sizeof(*t));
	get_str(o, "issuer", issuer, sizeof(issuer));
	get_str(o, "serial", serial, sizeof(serial));
	t->due = (int64_t)get_num(o, "due");
	if (strlen(issuer) != 16 || !serial[0] || strlen(serial) % 2 || strlen(serial) > 40)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		sscanf(issuer + 2 * i, "%2hhx", &t->key.issuer[i]);
	for (i = 0; serial[2 * i]; i++, len++)
		sscanf(serial + 2 * i, "%2hhx", &t->key.serial[i]);
	t->key.serial_len = len;
	snprintf(t->serial, sizeof(t->serial), "%s", serial);
	return 0;
}

static int save_timers(cJSON *arr)
{
	char path[PATH_MAX], *text = cJSON_Print(arr);
	int err;

	if (!text)
		return -ENOMEM;
	timers_path(path, sizeof(path));
	err = write_atomic(path, text);
	free(text);
	return err;
}

int kk_timer_add(const struct kk_timer *t)
{
	char path[PATH_MAX];
	cJSON *arr, *o;
	int err;

	timers_path(path, sizeof(path));
	arr = read_json(path);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		arr = cJSON_CreateArray();
	}
	o = timer_json(t);
	if (!arr || !o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		cJSON_Delete(arr);
		return -ENOMEM;
	}
	err = save_timers(arr);
	cJSON_Delete(arr);
	return err;
}

int kk_timers_take_due(int64_t now, struct kk_timer **out, size_t *n)
{
	cJSON *arr, *keep, *e;
	char path[PATH_MAX];
	int err = 0;

	*out = NULL;
	*n = 0;
	timers_path(path, sizeof(path));
	arr = read_json(path);
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(arr);
		return 0;
	}
	keep = cJSON_CreateArray();
	*out = calloc(cJSON_GetArraySize(arr) + 1, sizeof(**out));
	cJSON_ArrayForEach(e, arr) {
		struct kk_timer t;

		if (!keep || !*out || timer_parse(e, &t))
			continue;
		if (t.due <= now)
			(*out)[(*n)++] = t;
		else
			cJSON_AddItemToArray(keep, timer_json(&t));
	}
	if (*n && keep)
		err = save_timers(keep);
	cJSON_Delete(keep);
	cJSON_Delete(arr);
	return err;
}
