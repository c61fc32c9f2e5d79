// SPDX-License-Identifier: GPL-2.0-only
/*
 * state_who — who a binding was, kept past its end (see state.h): the record of a live binding
 * beside its copies, and once it ends, a retained record under bindings/ended/, pruned by age
 * and count.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "state.h"

static void who_path(uint32_t slot, uint32_t gen, bool ended, char *buf, size_t len)
{
	if (ended)
		snprintf(buf, len, "%s/bindings/ended/%u-%u.json", kk_state_dir(), slot, gen);
	else
		snprintf(buf, len, "%s/bindings/%u-%u.who.json", kk_state_dir(), slot, gen);
}

/* Write text to path through a 0600 temporary file and a rename: a reader sees all or none. */
static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int kk_who_save(uint32_t slot, uint32_t gen, const struct kk_who_rec *w)
{
	cJSON *o = cJSON_CreateObject();
	char path[PATH_MAX], *text = NULL;
	int err = -ENOMEM;

	mkdir(kk_state_dir(), 0700);
	snprintf(path, sizeof(path), "%s/bindings", kk_state_dir());
	mkdir(path, 0700);
	if (o && cJSON_AddNumberToObject(o, "slot", slot) &&
	    cJSON_AddNumberToObject(o, "gen", gen) &&
	    cJSON_AddStringToObject(o, "agent_id", w->agent_id) &&
	    cJSON_AddStringToObject(o, "serial", w->serial) &&
	    cJSON_AddStringToObject(o, "policy_version", w->policy_version) &&
	    (text = cJSON_PrintUnformatted(o))) {
		who_path(slot, gen, false, path, sizeof(path));
		err = write_file(path, text);
	}
	free(text);
	cJSON_Delete(o);
	return err;
}

static void get_str(const cJSON *o, const char *k, char *dst, size_t len)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* The record at path if it is the one of slot/gen; -ENOENT otherwise. */
static int load_one(const char *path, uint32_t slot, uint32_t gen, struct kk_who_rec *w)
{
	char buf[1024];
	ssize_t n;
	cJSON *o;
	int fd, err = -ENOENT;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	o = cJSON_Parse(buf);
	if (o && cJSON_GetNumberValue(cJSON_GetObjectItem(o, "slot")) == slot &&
	    cJSON_GetNumberValue(cJSON_GetObjectItem(o, "gen")) == gen) {
		get_str(o, "agent_id", w->agent_id, sizeof(w->agent_id));
		get_str(o, "serial", w->serial, sizeof(w->serial));
		get_str(o, "policy_version", w->policy_version, sizeof(w->policy_version));
		err = w->agent_id[0] ? 0 : -ENOENT;
	}
	cJSON_Delete(o);
	return err;
}

int kk_who_load(uint32_t slot, uint32_t gen, struct kk_who_rec *w)
{
	char path[PATH_MAX];

	memset(w, 0, sizeof(*w));
	who_path(slot, gen, false, path, sizeof(path));
	if (!load_one(path, slot, gen, w))
		return 0;
	who_path(slot, gen, true, path, sizeof(path));
	return load_one(path, slot, gen, w);
}

struct aged {
	time_t mtime;
	char name[64];
};

static int older_first(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Drop retained records past KK_WHO_KEEP_S seconds, then the oldest past KK_WHO_KEEP. */
static void prune(int dfd)
{
	struct aged *all = NULL, *grown;
	size_t n = 0, cap = 0, i, drop;
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *d = fdopendir(dup(dfd));

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(all->name) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime > KK_WHO_KEEP_S) {
			unlinkat(dfd, de->d_name, 0);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown)
				break;
			all = grown;
		}
		all[n].mtime = st.st_mtime;
		snprintf(all[n++].name, sizeof(all->name), "%s", de->d_name);
	}
	closedir(d);
	drop = n > KK_WHO_KEEP ? n - KK_WHO_KEEP : 0;
	if (drop)
		qsort(all, n, sizeof(*all), older_first);
	for (i = 0; i < drop; i++)
		unlinkat(dfd, all[i].name, 0);
	free(all);
}

void kk_who_retain(int bindings_dfd, const char *name)
{
	char ended[64];
	int dfd;

	snprintf(ended, sizeof(ended), "%.*s.json", (int)(strlen(name) - strlen(".who.json")),
		 name);
	mkdirat(bindings_dfd, "ended", 0700);
	dfd = openat(bindings_dfd, "ended", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return;
	/* Its mtime is when it ended: pruning goes by that. */
	if (!renameat(bindings_dfd, name, dfd, ended)) {
		utimensat(dfd, ended, NULL, AT_SYMLINK_NOFOLLOW);
		prune(dfd);
	}
	close(dfd);
}
