// SPDX-License-Identifier: GPL-2.0-only
/*
 * sign_client — one request to the signer (sign_client.h). A JSON payload goes into the request
 * line as its text, with its line breaks turned into spaces (in valid JSON they can only be
 * whitespace between tokens), so the signer sees and canonicalizes what the caller wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "error.h"
#include "sign_client.h"

#define REPLY_MAX (1u << 20) /* a reply: a JWS with its x5c chain, twice, and some members */
#define CLIENT_TIMEOUT_S 30

/* The request line, with its newline; malloc'd. */
static char *request_line(const char *type, const void *payload, size_t len, bool json)
{
	cJSON *t = cJSON_CreateString(type);
	char *tq = t ? cJSON_PrintUnformatted(t) : NULL, *line = NULL, *body = NULL, *p;
	size_t bl;

	cJSON_Delete(t);
	if (!tq)
		return NULL;
	if (json) {
		body = malloc(len + 1);
		if (body) {
			memcpy(body, payload, len);
			body[len] = '\0';
			for (p = body; p < body + len; p++)
				if (*p == '\n' || *p == '\r')
					*p = ' ';
		}
	} else {
		bl = 4 * ((len + 2) / 3);
		body = malloc(bl + 3);
		if (body) {
			body[0] = '"';
			EVP_EncodeBlock((unsigned char *)body + 1, payload, (int)len);
			strcpy(body + 1 + bl, "\"");
		}
	}
	if (body && asprintf(&line, "{\"type\":%s,\"%s\":%s}\n", tq, json ? "payload" :
			     "payload_b64", body) < 0)
		line = NULL;
	free(body);
	free(tq);
	return line;
}

static int talk(const char *path, const char *line, char **reply, struct kk_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_S };
	size_t n = strlen(line), off = 0, len = 0;
	char *buf = NULL, *nl = NULL;
	ssize_t w;
	int fd, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return kk_error_set(e, -ENAMETOOLONG, path, "socket path too long");
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kk_error_set(e, -errno, path, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = kk_error_set(e, -errno, path, "cannot connect to the signer: %s",
				   strerror(errno));
		goto out;
	}
	for (; off < n; off += (size_t)w) {
		w = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break; /* the signer may have refused and closed: its reply says why */
	}
	buf = malloc(REPLY_MAX + 1);
	if (!buf) {
		err = kk_error_set(e, -ENOMEM, NULL, "out of memory");
		goto out;
	}
	while (!nl && len < REPLY_MAX) {
		w = recv(fd, buf + len, REPLY_MAX - len, 0);
		if (w <= 0) {
			err = kk_error_set(e, w < 0 ? -errno : -EPIPE, path, "no reply: %s",
					   w < 0 ? strerror(errno) : "connection closed");
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)w);
		len += (size_t)w;
	}
	if (!nl) {
		err = kk_error_set(e, -EPROTO, path, "reply longer than %u bytes", REPLY_MAX);
		goto out;
	}
	*nl = '\0';
	*reply = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

static char *dup_member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static int parse_reply(const char *path, struct kk_sign_reply *out, struct kk_error *e)
{
	cJSON *o = cJSON_Parse(out->line), *h, *v;
	int err = 0;

	v = cJSON_GetObjectItemCaseSensitive(o, "ok");
	if (!cJSON_IsBool(v)) {
		err = kk_error_set(e, -EPROTO, path, "malformed reply from the signer");
		goto out;
	}
	out->ok = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(o, "risk");
	out->risk = cJSON_IsNumber(v) ? v->valuedouble : 0;
	if (!out->ok) {
		v = cJSON_GetObjectItemCaseSensitive(o, "reason");
		snprintf(out->reason, sizeof(out->reason), "%s",
			 cJSON_IsString(v) ? v->valuestring : "unknown");
		v = cJSON_GetObjectItemCaseSensitive(o, "why");
		snprintf(out->why, sizeof(out->why), "%s", cJSON_IsString(v) ? v->valuestring : "");
		goto out;
	}
	h = cJSON_GetObjectItemCaseSensitive(o, "headers");
	out->jws = dup_member(o, "jws");
	out->certificate = dup_member(h, "X-Agent-Certificate");
	out->timestamp = dup_member(h, "X-Agent-Timestamp");
	if (!out->jws || !out->certificate || !out->timestamp)
		err = kk_error_set(e, -EPROTO, path, "malformed reply from the signer");
out:
	cJSON_Delete(o);
	return err;
}

int kk_sign_request(const char *socket, const char *type, const void *payload, size_t len,
		    bool json, struct kk_sign_reply *out, struct kk_error *e)
{
	const char *path = socket ? socket : KK_SIGNER_SOCKET;
	char *line;
	int err;

	memset(out, 0, sizeof(*out));
	line = request_line(type ? type : "trade", payload, len, json);
	if (!line)
		return kk_error_set(e, -ENOMEM, NULL, "out of memory");
	err = talk(path, line, &out->line, e);
	free(line);
	if (!err)
		err = parse_reply(path, out, e);
	if (err)
		kk_sign_reply_free(out);
	return err;
}

void kk_sign_reply_free(struct kk_sign_reply *r)
{
	free(r->jws);
	free(r->certificate);
	free(r->timestamp);
	free(r->line);
	memset(r, 0, sizeof(*r));
}
