// SPDX-License-Identifier: GPL-2.0-only
/* state — binding metadata and rotation timers on disk (see state.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "hex.h"
#include "identity.h"
#include "state.h"

const char *kk_state_dir(void)
{
	const char *d = getenv("KAKUNIN_STATE_DIR");

	return d && *d ? d : KK_STATE_DIR;
}

/* mkdir the state directory and bindings/ (0700) for path. -errno */
static int make_dirs(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	mkdir(kk_state_dir(), 0700);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Write len bytes to <path>.tmp (a new 0600 file: a leftover, whatever its mode, is removed
 * first) and fsync it; the caller renames it over path (commit_tmp) or unlinks it.
 */
static int write_tmp(const char *path, const void *data, size_t len, char *tmp, size_t tlen)
{
	const char *p = data;
	ssize_t n;
	int fd, err;

	err = make_dirs(path);
	if (err)
		return err;
	snprintf(tmp, tlen, "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	for (; len && !err; p += n, len -= (size_t)n) {
		n = write(fd, p, len);
		if (n <= 0)
			err = n < 0 ? -errno : -EIO;
	}
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (err)
		unlink(tmp);
	return err;
}

/* Rename tmp over path, then fsync the directory so that the rename survives a crash. */
static int commit_tmp(const char *tmp, const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	return 0;
}

/* Write len bytes to path atomically: readers see the old file or the new one, never a part. */
static int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	int err;

	err = write_tmp(path, data, len, tmp, sizeof(tmp));
	return err ?: commit_tmp(tmp, path);
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

	/* Format 2: the paths are copies in the state directory and the policy is canonical. */
	if (o && cJSON_AddNumberToObject(o, "format", b->canonical ? 2 : 1) &&
	    cJSON_AddNumberToObject(o, "slot", b->slot) &&
	    cJSON_AddNumberToObject(o, "gen", b->gen) &&
	    cJSON_AddStringToObject(o, "cert", b->cert) &&
	    cJSON_AddStringToObject(o, "ca", b->ca) &&
	    cJSON_AddStringToObject(o, "policy", b->policy) &&
	    cJSON_AddBoolToObject(o, "offline", b->offline) &&
	    cJSON_AddBoolToObject(o, "ocsp", b->ocsp) &&
	    cJSON_AddNumberToObject(o, "ttl", b->ttl_s) &&
	    cJSON_AddBoolToObject(o, "fail_open", b->fail_open) &&
	    cJSON_AddStringToObject(o, "policy_hash", b->policy_hash) &&
	    (!b->watch[0] || cJSON_AddStringToObject(o, "watch", b->watch)) &&
	    (text = cJSON_Print(o))) {
		meta_path(b->slot, path, sizeof(path));
		err = write_atomic(path, text, strlen(text));
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
	get_str(o, "watch", b->watch, sizeof(b->watch));
	b->offline = cJSON_IsTrue(cJSON_GetObjectItem(o, "offline"));
	b->ocsp = cJSON_IsTrue(cJSON_GetObjectItem(o, "ocsp"));
	b->fail_open = cJSON_IsTrue(cJSON_GetObjectItem(o, "fail_open"));
	b->ttl_s = (uint32_t)get_num(o, "ttl");
	/* No "format": a record of before the copies, naming the user's files (see state.h). */
	b->canonical = get_num(o, "format") >= 2;
	cJSON_Delete(o);
	return 0;
}

/* The path of a copy of binding slot/gen: kind is "policy.json", "cert.pem" or "ca.pem". */
static void copy_path(uint32_t slot, uint32_t gen, const char *kind, char *buf, size_t len)
{
	snprintf(buf, len, "%s/bindings/%u-%u.%s", kk_state_dir(), slot, gen, kind);
}

void kk_meta_remove(uint32_t slot)
{
	char path[PATH_MAX], prefix[16];
	struct dirent *de;
	DIR *d;

	meta_path(slot, path, sizeof(path));
	unlink(path);
	/* Every generation: a bind that died between its copies and its record left some. */
	snprintf(path, sizeof(path), "%s/bindings", kk_state_dir());
	snprintf(prefix, sizeof(prefix), "%u-", slot);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		if (n > 9 && !strcmp(de->d_name + n - 9, ".who.json"))
			kk_who_retain(dirfd(d), de->d_name);
		else
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

int kk_meta_copy_policy(struct kk_binding_meta *b, const char *canonical)
{
	copy_path(b->slot, b->gen, "policy.json", b->policy, sizeof(b->policy));
	return write_atomic(b->policy, canonical, strlen(canonical));
}

/* A certificate file or CA bundle is small: more than this is not one. */
#define COPY_MAX (4u << 20)

/* The whole of file path into *buf (caller frees), *len bytes. -errno */
static int read_all(const char *path, char **buf, size_t *len)
{
	struct stat st;
	ssize_t n = 0;
	int fd, err = 0;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_size > COPY_MAX)
		err = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
	else if (!(*buf = malloc((size_t)st.st_size + 1)))
		err = -ENOMEM;
	for (*len = 0; !err && *len < (size_t)st.st_size; *len += (size_t)n) {
		n = read(fd, *buf + *len, (size_t)st.st_size - *len);
		if (n <= 0)
			err = n < 0 ? -errno : -EIO;
	}
	close(fd);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/*
 * Copy file src to dst's temporary file tmp (committed by the caller); with fingerprint, only a
 * certificate of that SHA-256 fingerprint.
 */
static int stage_copy(const char *src, const char *dst, const char *fingerprint, char *tmp,
		      size_t tlen, char *why, size_t wlen)
{
	struct kk_identity id;
	char idwhy[256];
	size_t len = 0;
	char *buf;
	int err;

	err = read_all(src, &buf, &len);
	if (err) {
		snprintf(why, wlen, "%s: %s", src, strerror(-err));
		return err;
	}
	err = write_tmp(dst, buf, len, tmp, tlen);
	free(buf);
	if (err) {
		snprintf(why, wlen, "%s: %s", dst, strerror(-err));
		return err;
	}
	if (!fingerprint)
		return 0;
	err = kk_identity_load(tmp, &id, idwhy, sizeof(idwhy));
	if (!err && strcmp(id.fingerprint, fingerprint))
		err = -ESTALE;
	kk_identity_free(&id);
	if (err) {
		unlink(tmp);
		snprintf(why, wlen, "%s: %s", src, err == -ESTALE ?
			 "replaced by another certificate since it was verified" : idwhy);
	}
	return err;
}

int kk_meta_copy_cert(struct kk_binding_meta *b, const char *cert, const char *ca,
		      const char *fingerprint, char *why, size_t wlen)
{
	char cert_copy[PATH_MAX], ca_copy[PATH_MAX], cert_tmp[PATH_MAX + 8], ca_tmp[PATH_MAX + 8];
	int err;

	copy_path(b->slot, b->gen, "cert.pem", cert_copy, sizeof(cert_copy));
	copy_path(b->slot, b->gen, "ca.pem", ca_copy, sizeof(ca_copy));
	/* Both staged before either replaces a copy: the old pair stays whole if one fails. */
	err = stage_copy(ca ?: KK_DEFAULT_CA, ca_copy, NULL, ca_tmp, sizeof(ca_tmp), why, wlen);
	if (err)
		return err;
	err = stage_copy(cert, cert_copy, fingerprint, cert_tmp, sizeof(cert_tmp), why, wlen);
	if (err) {
		unlink(ca_tmp);
		return err;
	}
	/* The CA first: the new certificate beside the old bundle could not be checked. */
	err = commit_tmp(ca_tmp, ca_copy);
	if (err) {
		unlink(cert_tmp);
		snprintf(why, wlen, "%s: %s", ca_copy, strerror(-err));
		return err;
	}
	err = commit_tmp(cert_tmp, cert_copy);
	if (err) {
		snprintf(why, wlen, "%s: %s", cert_copy, strerror(-err));
		return err;
	}
	snprintf(b->cert, sizeof(b->cert), "%s", cert_copy);
	snprintf(b->ca, sizeof(b->ca), "%s", ca_copy);
	return 0;
}

int kk_meta_rotate(uint32_t slot, const char *cert, const char *ca, const char *fingerprint,
		   char *why, size_t wlen)
{
	struct kk_binding_meta b;
	int err;

	err = kk_meta_load(slot, &b);
	if (err) {
		snprintf(why, wlen, "binding %u has no record in %s", slot, kk_state_dir());
		return err;
	}
	err = kk_meta_copy_cert(&b, cert, ca, fingerprint, why, wlen);
	if (!err && (err = kk_meta_save(&b)))
		snprintf(why, wlen, "%s: %s", kk_state_dir(), strerror(-err));
	return err;
}

static void timers_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/timers.json", kk_state_dir());
}

static cJSON *timer_json(const struct kk_timer *t)
{
	cJSON *o = cJSON_CreateObject();
	char issuer[2 * sizeof(t->key.issuer) + 1];

	kk_hex_encode(t->key.issuer, sizeof(t->key.issuer), issuer);
	if (o && cJSON_AddStringToObject(o, "serial", t->serial) &&
	    cJSON_AddStringToObject(o, "issuer", issuer) &&
	    cJSON_AddNumberToObject(o, "due", (double)t->due))
		return o;
	cJSON_Delete(o);
	return NULL;
}

static int timer_parse(const cJSON *o, struct kk_timer *t)
{
	char issuer[17], serial[KK_SERIAL_TEXT_SIZE];
	int len;

	memset(t, 0, sizeof(*t));
	get_str(o, "issuer", issuer, sizeof(issuer));
	get_str(o, "serial", serial, sizeof(serial));
	t->due = (int64_t)get_num(o, "due");
	if (strlen(issuer) != 16 || !serial[0] || strlen(serial) % 2 || strlen(serial) > 40)
		return -EINVAL;
	len = kk_hex_decode(serial, t->key.serial, sizeof(t->key.serial));
	if (kk_hex_decode(issuer, t->key.issuer, sizeof(t->key.issuer)) != 8 || len < 0)
		return -EINVAL;
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
	err = write_atomic(path, text, strlen(text));
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
