// SPDX-License-Identifier: GPL-2.0-only
/* error — the error record of operations and its two printed forms (see error.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "error.h"

int kk_error_set(struct kk_error *e, int code, const char *what, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->what, sizeof(e->what), "%s", what ? what : "");
	va_start(ap, fmt);
	vsnprintf(e->why, sizeof(e->why), fmt, ap);
	va_end(ap);
	return code;
}

int kk_error_split(struct kk_error *e, int code, const char *msg)
{
	const char *sep = strstr(msg, ": ");
	size_t n = sep ? (size_t)(sep - msg) : 0;

	/* A "what" too long for the record would be cut mid-word: keep the message whole. */
	if (!sep || n >= sizeof(e->what))
		return kk_error_set(e, code, NULL, "%s", msg);
	e->code = code;
	memcpy(e->what, msg, n);
	e->what[n] = '\0';
	snprintf(e->why, sizeof(e->why), "%s", sep + 2);
	return code;
}

#define NAME(x) [x] = #x
/*
 * The codes operations return (identity's certificate refusals are the EKEY* ones); others
 * print "errno": null rather than a guess.
 */
static const char *const names[] = {
	NAME(EPERM),	    NAME(ENOENT),    NAME(ESRCH),	 NAME(EINTR),
	NAME(EIO),	    NAME(E2BIG),     NAME(EBADF),	 NAME(EAGAIN),
	NAME(ENOMEM),	    NAME(EACCES),    NAME(EBUSY),	 NAME(EEXIST),
	NAME(ENODEV),	    NAME(ENOTDIR),   NAME(EISDIR),	 NAME(EINVAL),
	NAME(ENFILE),	    NAME(EMFILE),    NAME(EFBIG),	 NAME(ENOSPC),
	NAME(EROFS),	    NAME(ERANGE),    NAME(ENAMETOOLONG), NAME(ENOSYS),
	NAME(EOPNOTSUPP),   NAME(ETIMEDOUT), NAME(EKEYEXPIRED),	 NAME(EKEYREVOKED),
	NAME(EKEYREJECTED), NAME(EPROTO),    NAME(ESTALE),	 NAME(ECONNREFUSED),
};

const char *kk_errno_name(int code)
{
	unsigned int n = code < 0 ? (unsigned int)-code : (unsigned int)code;

	return n < sizeof(names) / sizeof(names[0]) ? names[n] : NULL;
}

char *kk_error_text(const char *cmd, const struct kk_error *e)
{
	char *s;

	if (asprintf(&s, "kakunin-bpf: %s: %s%s%s", cmd, e->what, *e->what ? ": " : "", e->why) < 0)
		return NULL;
	return s;
}

char *kk_error_json_with(const struct kk_error *e, const char *key, struct cJSON *item)
{
	cJSON *o = cJSON_CreateObject(), *err = cJSON_AddObjectToObject(o, "error");
	const char *name = kk_errno_name(e->code);
	char *s = NULL;

	if (err && cJSON_AddNumberToObject(err, "code", e->code) &&
	    (name ? cJSON_AddStringToObject(err, "errno", name)
		  : cJSON_AddNullToObject(err, "errno")) &&
	    cJSON_AddStringToObject(err, "what", e->what) &&
	    cJSON_AddStringToObject(err, "why", e->why) &&
	    (!item || cJSON_AddItemToObject(err, key, item)))
		s = cJSON_PrintUnformatted(o);
	else
		cJSON_Delete(item); /* not added: still ours */
	cJSON_Delete(o);
	return s;
}

char *kk_error_json(const struct kk_error *e)
{
	return kk_error_json_with(e, NULL, NULL);
}

void kk_error_print_with(const char *cmd, const struct kk_error *e, bool json, const char *key,
			 struct cJSON *item)
{
	char *s = json ? kk_error_json_with(e, key, item) : kk_error_text(cmd, e);

	if (!json)
		cJSON_Delete(item);
	/* Out of memory for the line itself: still say something, in the same form. */
	if (json)
		printf("%s\n", s ? s : "{\"error\":{\"code\":-12,\"errno\":\"ENOMEM\"}}");
	else
		fprintf(stderr, "%s\n", s ? s : "kakunin-bpf: out of memory");
	fflush(json ? stdout : stderr);
	free(s);
}

void kk_error_print(const char *cmd, const struct kk_error *e, bool json)
{
	kk_error_print_with(cmd, e, json, NULL, NULL);
}
