// SPDX-License-Identifier: GPL-2.0-only
/*
 * oci_add — `oci-hook --add-to CONFIG`: put the hook into a bundle's config.json, as the
 * kakunin-runc wrapper does before it hands `create` or `run` to runc (containerd has no hooks.d:
 * nvidia-container-runtime wires its hook the same way). Only annotated containers get it, once.
 */
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

/*
 * cJSON holds numbers as doubles: an integer beyond 2^53 (a seccomp argument mask, say) would be
 * written back changed. Such a file is refused rather than rewritten wrong.
 */
static const cJSON *inexact_number(const cJSON *n)
{
	const cJSON *c, *bad;

	if (cJSON_IsNumber(n))
		return n->valuedouble >= 9007199254740992.0 || n->valuedouble <= -9007199254740992.0
			       ? n : NULL;
	cJSON_ArrayForEach(c, n)
		if ((bad = inexact_number(c)))
			return bad;
	return NULL;
}

/* Whether hooks already holds an entry running hook_path's oci-hook. */
static bool has_hook(const cJSON *hooks, const char *hook_path)
{
	const cJSON *h, *path, *args, *a;

	cJSON_ArrayForEach(h, hooks) {
		path = cJSON_GetObjectItemCaseSensitive(h, "path");
		args = cJSON_GetObjectItemCaseSensitive(h, "args");
		if (!cJSON_IsString(path) || strcmp(path->valuestring, hook_path))
			continue;
		cJSON_ArrayForEach(a, args)
			if (cJSON_IsString(a) && !strcmp(a->valuestring, "oci-hook"))
				return true;
	}
	return false;
}

/* root's hooks.<stage> array, made when missing; NULL when one of them is of another type. */
static cJSON *stage_array(cJSON *root, const char *stage)
{
	cJSON *hooks = cJSON_GetObjectItemCaseSensitive(root, "hooks"), *arr;

	if (!hooks)
		hooks = cJSON_AddObjectToObject(root, "hooks");
	if (!cJSON_IsObject(hooks))
		return NULL;
	arr = cJSON_GetObjectItemCaseSensitive(hooks, stage);
	if (!arr)
		arr = cJSON_AddArrayToObject(hooks, stage);
	return cJSON_IsArray(arr) ? arr : NULL;
}

/* text into path through a temporary file in its directory, mode as given. -errno. */
static int replace_file(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(text), off = 0;
	ssize_t w;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.kakunin.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	while (!err && off < n) {
		w = write(fd, text + off, n - off);
		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			off += w;
	}
	if (!err && (fchmod(fd, mode & 07777) || fsync(fd)))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* The hook entry: {"path": hook_path, "args": ["kakunin-bpf", "oci-hook"]}. */
static cJSON *hook_entry(const char *hook_path)
{
	const char *args[] = { "kakunin-bpf", "oci-hook" };
	cJSON *h = cJSON_CreateObject();

	if (!h || !cJSON_AddStringToObject(h, "path", hook_path) ||
	    !cJSON_AddItemToObject(h, "args", cJSON_CreateStringArray(args, 2))) {
		cJSON_Delete(h);
		return NULL;
	}
	return h;
}

static int add_to(cJSON *root, const char *stage, const char *hook_path, bool *added,
		  struct kk_error *e, const char *what)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(root, "annotations"), *bad;
	cJSON *arr, *h;

	*added = false;
	if (!cJSON_IsObject(ann) || !cJSON_HasObjectItem(ann, KK_OCI_ANN_AGENT) ||
	    kk_oci_is_sandbox(ann))
		return 0; /* not annotated: nothing to enforce, the file stays as it is */
	bad = inexact_number(root);
	if (bad)
		return kk_error_set(e, -ERANGE, what, "the number %.0f cannot be rewritten exactly "
				    "(beyond 2^53)", bad->valuedouble);
	arr = stage_array(root, stage);
	if (!arr)
		return kk_error_set(e, -EINVAL, what, "\"hooks\" or \"hooks.%s\" is not what the "
				    "runtime-spec says (an object, an array)", stage);
	if (has_hook(arr, hook_path))
		return 0;
	h = hook_entry(hook_path);
	if (!h || !cJSON_AddItemToArray(arr, h)) {
		cJSON_Delete(h);
		return kk_error_set(e, -ENOMEM, what, "out of memory");
	}
	*added = true;
	return 0;
}

int kk_oci_add_hook(const char *path, const char *stage, const char *hook_path, bool *added,
		    struct kk_error *e)
{
	char what[sizeof(e->what)], *text, *out = NULL;
	struct stat sb;
	cJSON *root;
	size_t len;
	int err;

	*added = false;
	snprintf(what, sizeof(what), "%.*s", (int)sizeof(what) - 1, path);
	if (strcmp(stage, "createRuntime") && strcmp(stage, "prestart"))
		return kk_error_set(e, -EINVAL, NULL, "--stage '%s': createRuntime or prestart",
				    stage);
	if (hook_path[0] != '/')
		return kk_error_set(e, -EINVAL, NULL, "--hook-path '%s': not an absolute path",
				    hook_path);
	err = stat(path, &sb) ? -errno : kk_oci_read_file(path, 16 << 20, &text, &len);
	if (err)
		return kk_error_set(e, err, what, "cannot read it: %s", strerror(-err));
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(root))
		err = kk_error_set(e, -EINVAL, what, "not a JSON object");
	else
		err = add_to(root, stage, hook_path, added, e, what);
	if (!err && *added) {
		out = cJSON_Print(root);
		err = out ? replace_file(path, out, sb.st_mode) : -ENOMEM;
		if (err) {
			*added = false;
			kk_error_set(e, err, what, "cannot replace it: %s", strerror(-err));
		}
	}
	free(out);
	cJSON_Delete(root);
	return err;
}
