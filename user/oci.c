// SPDX-License-Identifier: GPL-2.0-only
/* oci — the container state, the annotations, the hook's configuration (see oci.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "oci.h"

/* The string member key of o into buf (truncation is an error); 1 absent, -EINVAL other type. */
static int take_string(const cJSON *o, const char *key, char *buf, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 1;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
		return -EINVAL;
	memcpy(buf, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* The kakunin.io/ members of the annotations object a into st. -EINVAL with why. */
static int take_annotations(struct kk_oci_state *st, const cJSON *a, char *why, size_t wlen)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
		{ KK_OCI_ANN_AGENT, offsetof(struct kk_oci_state, agent), KK_AGENT_ID_SIZE },
		{ KK_OCI_ANN_POLICY, offsetof(struct kk_oci_state, policy), PATH_MAX },
		{ KK_OCI_ANN_CERT, offsetof(struct kk_oci_state, cert), PATH_MAX },
		{ KK_OCI_ANN_CA, offsetof(struct kk_oci_state, ca), PATH_MAX },
	};
	size_t i;

	if (!cJSON_IsObject(a))
		return snprintf(why, wlen, "\"annotations\" is not an object"), -EINVAL;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *buf = (char *)st + keys[i].off;

		if (take_string(a, keys[i].key, buf, keys[i].len) < 0) {
			snprintf(why, wlen, "annotation %s is not a string of at most %zu bytes",
				 keys[i].key, keys[i].len - 1);
			return -EINVAL;
		}
	}
	st->sandbox = kk_oci_is_sandbox(a);
	st->annotated = cJSON_HasObjectItem(a, KK_OCI_ANN_AGENT) && !st->sandbox;
	return 0;
}

bool kk_oci_is_sandbox(const cJSON *a)
{
	const char *keys[] = { KK_OCI_ANN_CONTAINERD_TYPE, KK_OCI_ANN_CRIO_TYPE };
	const cJSON *v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(a, keys[i]);
		if (cJSON_IsString(v) && !strcmp(v->valuestring, "sandbox"))
			return true;
	}
	return false;
}

int kk_oci_state_parse(const char *text, size_t len, struct kk_oci_state *st, struct kk_error *e)
{
	const char *what = "state on stdin";
	const cJSON *v;
	char why[200];
	cJSON *root;
	int err = 0;

	memset(st, 0, sizeof(*st));
	root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return kk_error_set(e, -EINVAL, what, "%s", len ? "not a JSON object" : "empty");
	}
	if (take_string(root, "id", st->id, sizeof(st->id)) || !st->id[0]) {
		err = kk_error_set(e, -EINVAL, what, "no \"id\" string (the container id)");
		goto out;
	}
	/* Judged later (kk_oci_state_check), and only for an annotated container. */
	if (take_string(root, "ociVersion", st->version, sizeof(st->version)))
		st->version[0] = '\0';
	if (take_string(root, "status", st->status, sizeof(st->status)))
		st->status[0] = '\0';
	if (take_string(root, "bundle", st->bundle, sizeof(st->bundle)))
		st->bundle[0] = '\0';
	v = cJSON_GetObjectItemCaseSensitive(root, "pid");
	if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 0x7fffffff &&
	    v->valuedouble == (int)v->valuedouble)
		st->pid = (int)v->valuedouble;
	else if (v)
		st->pid = -1; /* present but not a process id */
	v = cJSON_GetObjectItemCaseSensitive(root, "annotations");
	if (v) {
		st->have_annotations = true;
		err = take_annotations(st, v, why, sizeof(why));
		if (err)
			kk_error_set(e, err, what, "%s", why);
	}
out:
	cJSON_Delete(root);
	return err;
}

/* See oci.h. */
int kk_oci_read_file(const char *path, size_t max, char **text, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t got;

	if (fd < 0 || !buf) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	while ((got = read(fd, buf + n, cap - n)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = cap >= max ? NULL : realloc(buf, cap * 2 + 1);

			if (!nb) {
				err = cap >= max ? -EFBIG : -ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (got < 0) {
		err = -errno;
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

int kk_oci_bundle_annotations(struct kk_oci_state *st, struct kk_error *e)
{
	char path[PATH_MAX + 16], what[sizeof(e->what)], why[200], *text;
	cJSON *root, *a;
	size_t len;
	int err;

	if (!st->bundle[0])
		return kk_error_set(e, -EINVAL, "state on stdin", "no \"annotations\" and no "
				    "\"bundle\" to read them from");
	snprintf(path, sizeof(path), "%s/config.json", st->bundle);
	snprintf(what, sizeof(what), "%.*s", (int)sizeof(what) - 1, path);
	err = kk_oci_read_file(path, 16 << 20, &text, &len);
	if (err)
		return kk_error_set(e, err, what, "cannot read it: %s", strerror(-err));
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return kk_error_set(e, -EINVAL, what, "not a JSON object");
	}
	a = cJSON_GetObjectItemCaseSensitive(root, "annotations");
	err = a ? take_annotations(st, a, why, sizeof(why)) : 0;
	if (err)
		kk_error_set(e, err, what, "%s", why);
	cJSON_Delete(root);
	return err;
}

int kk_oci_state_check(const struct kk_oci_state *st, struct kk_error *e)
{
	const char *what = "state on stdin";

	/* 1.0.x and 1.1.x have the members read here; a 2.x may not mean the same by them. */
	if (strncmp(st->version, "1.", 2) != 0)
		return kk_error_set(e, -EINVAL, what, "ociVersion '%s' is not 1.x (unknown state "
				    "format)", st->version);
	if (strcmp(st->status, "creating") != 0 && strcmp(st->status, "created") != 0)
		return kk_error_set(e, -EINVAL, what, "status is '%s', not 'creating' or "
				    "'created': the hook must run at createRuntime or prestart, "
				    "before the container's command", st->status);
	if (st->pid <= 0)
		return kk_error_set(e, -EINVAL, what, "%s", st->pid ? "\"pid\" is not a process "
				    "id" : "no \"pid\" (the container's init process)");
	if (!st->agent[0])
		return kk_error_set(e, -EINVAL, "annotation " KK_OCI_ANN_AGENT, "empty");
	if (!st->policy[0])
		return kk_error_set(e, -EINVAL, NULL, "annotation " KK_OCI_ANN_POLICY
				    " is required with " KK_OCI_ANN_AGENT);
	if (!st->cert[0])
		return kk_error_set(e, -EINVAL, NULL, "annotation " KK_OCI_ANN_CERT
				    " is required with " KK_OCI_ANN_AGENT);
	return 0;
}

/* One member of the hook configuration into c. -EINVAL with why. */
static int config_member(struct kk_oci_config *c, const cJSON *m, char *why, size_t wlen)
{
	static const struct {
		const char *key;
		size_t off;
	} dirs[] = {
		{ "policy_dir", offsetof(struct kk_oci_config, policy_dir) },
		{ "cert_dir", offsetof(struct kk_oci_config, cert_dir) },
		{ "ca_dir", offsetof(struct kk_oci_config, ca_dir) },
		{ "ca", offsetof(struct kk_oci_config, ca) },
	};
	size_t i;

	if (!strcmp(m->string, "offline")) {
		if (!cJSON_IsBool(m))
			return snprintf(why, wlen, "\"offline\" is not true or false"), -EINVAL;
		c->offline = cJSON_IsTrue(m);
		return 0;
	}
	if (!strcmp(m->string, "region")) {
		if (!cJSON_IsString(m) || !m->valuestring[0] ||
		    strlen(m->valuestring) >= sizeof(c->region))
			return snprintf(why, wlen, "\"region\" is not a short string"), -EINVAL;
		strcpy(c->region, m->valuestring);
		return 0;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (strcmp(m->string, dirs[i].key))
			continue;
		if (!cJSON_IsString(m) || m->valuestring[0] != '/' ||
		    strlen(m->valuestring) >= PATH_MAX)
			return snprintf(why, wlen, "\"%s\" is not an absolute path", m->string),
			       -EINVAL;
		strcpy((char *)c + dirs[i].off, m->valuestring);
		return 0;
	}
	snprintf(why, wlen, "unknown key \"%s\" (policy_dir, cert_dir, ca_dir, ca, region, "
		 "offline)", m->string);
	return -EINVAL;
}

int kk_oci_config_load(const char *path, bool must_exist, struct kk_oci_config *c,
		       struct kk_error *e)
{
	char what[sizeof(e->what)], why[200], *text;
	const cJSON *m;
	cJSON *root;
	size_t len;
	int err;

	memset(c, 0, sizeof(*c));
	strcpy(c->policy_dir, KK_OCI_POLICY_DIR);
	strcpy(c->cert_dir, KK_OCI_CERT_DIR);
	strcpy(c->ca_dir, KK_OCI_CA_DIR);
	snprintf(what, sizeof(what), "hook configuration %s", path);
	err = kk_oci_read_file(path, 1 << 20, &text, &len);
	if (err == -ENOENT && !must_exist)
		return 0;
	if (err)
		return kk_error_set(e, err, what, "cannot read it: %s", strerror(-err));
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return kk_error_set(e, -EINVAL, what, "not a JSON object");
	}
	cJSON_ArrayForEach(m, root) {
		err = config_member(c, m, why, sizeof(why));
		if (err) {
			kk_error_set(e, err, what, "%s", why);
			break;
		}
	}
	cJSON_Delete(root);
	return err;
}

/* A plain file name: letters, digits, '.', '_', '-', not starting with '.'. */
static bool plain_name(const char *s)
{
	if (!*s || *s == '.')
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static bool has_dotdot(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
		p += 2;
	}
	return false;
}

int kk_oci_resolve(const char *dir, const char *value, const char *ext, char *out, size_t len,
		   char *why, size_t wlen)
{
	char cand[PATH_MAX], rdir[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(value), el = strlen(ext), dl;
	int err;

	if (has_dotdot(value))
		return snprintf(why, wlen, "'..' is not allowed (the file must be in %s)", dir),
		       -EACCES;
	if (value[0] == '/') {
		snprintf(cand, sizeof(cand), "%s", value);
	} else if (plain_name(value)) {
		bool has_ext = n > el && !strcmp(value + n - el, ext);

		if (snprintf(cand, sizeof(cand), "%s/%s%s", dir, value, has_ext ? "" : ext) >=
		    (int)sizeof(cand))
			return snprintf(why, wlen, "too long"), -ENAMETOOLONG;
	} else {
		return snprintf(why, wlen, "neither a name (letters, digits, '.', '_', '-') nor "
				"an absolute path in %s", dir), -EINVAL;
	}
	if (!realpath(dir, rdir)) {
		err = -errno;
		snprintf(why, wlen, "directory %s: %s", dir, strerror(-err));
		return err;
	}
	if (!realpath(cand, real)) {
		err = -errno;
		snprintf(why, wlen, "%s: %s", cand, strerror(-err));
		return err;
	}
	/* Checked on the real path: a symlink in dir may not lead out of it. */
	dl = strlen(rdir);
	if (strncmp(real, rdir, dl) != 0 || (real[dl] != '/' && dl != 1))
		return snprintf(why, wlen, "%s is outside %s", real, dir), -EACCES;
	if (strlen(real) >= len)
		return snprintf(why, wlen, "too long"), -ENAMETOOLONG;
	strcpy(out, real);
	return 0;
}

int kk_oci_pid_cgroup(int pid, char *buf, size_t len, char *why, size_t wlen)
{
	char path[64], line[PATH_MAX + 16];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		snprintf(why, wlen, "%s: %s", path, err == -ENOENT ? "no such process" :
			 strerror(-err));
		return err;
	}
	/* cgroup v2 is the "0::/path" line; a v1-only host has none. */
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		err = snprintf(buf, len, "/sys/fs/cgroup%s", line + 3) >= (int)len ? -ENAMETOOLONG
										    : 0;
		break;
	}
	fclose(f);
	if (err)
		snprintf(why, wlen, "%s: %s", path, err == -ENOENT ? "no cgroup v2 entry" :
			 strerror(-err));
	return err;
}

int kk_oci_cgroup_alone(const char *cg, int pid, char *why, size_t wlen)
{
	char path[PATH_MAX + 16], list[96] = "";
	size_t used = 0;
	int other, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "re");
	if (!f) {
		n = -errno;
		snprintf(why, wlen, "%s: %s", path, strerror(-n));
		return n;
	}
	while (fscanf(f, "%d", &other) == 1) {
		if (other == pid)
			continue;
		if (used < sizeof(list) - 16)
			used += snprintf(list + used, sizeof(list) - used, "%s%d", n ? ", " : "",
					 other);
		n++;
	}
	fclose(f);
	if (!n)
		return 0;
	snprintf(why, wlen, "cgroup %s holds %d other process%s (PID %s%s): binding it would bind "
		 "them too", cg, n, n == 1 ? "" : "es", list, used >= sizeof(list) - 16 ? ", ..." : "");
	return -EBUSY;
}
