// SPDX-License-Identifier: GPL-2.0-only
/*
 * signer — the signer's socket and connections (signer.h). One thread per connection, at most
 * KK_SIGNER_CONNS of them; each reads request lines into a bounded buffer with an idle timeout
 * and a send timeout, so a caller that stalls, floods or never reads its replies costs one
 * thread and one buffer, never the others. Per request line: the checks (signer_check.c), the
 * JWS (jws.h) verified once more before it leaves, one reply line, one audit event
 * (action.signed or action.refused) through the kernel's event ring, so it joins the
 * hash-chained audit stream the daemon writes.
 *
 * Wire protocol (docs/signing.md): {"type": "trade", "payload": {...}} or
 * {"type": "blob", "payload_b64": "..."}; replies {"ok": true, "jws", "headers", "risk"} or
 * {"ok": false, "reason", "why"}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "actions.h"
#include "error.h"
#include "events.h"
#include "exitcodes.h"
#include "hex.h"
#include "jcs.h"
#include "jws.h"
#include "log.h"
#include "maps.h"
#include "notify.h"
#include "policy.h"
#include "signer.h"

static volatile sig_atomic_t stop;
static atomic_int conns;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Standard base64 with padding, strictly: -EINVAL for anything else. */
static int b64_decode(const char *s, unsigned char **out, size_t *olen)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *buf;
	int got;

	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") !=
	    n - pad)
		return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*olen = (size_t)got - pad;
	return 0;
}

static bool type_ok(const char *t)
{
	size_t n = strlen(t);

	return n && n <= KK_SIGNER_TYPE_MAX &&
	       strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The JSON payload, strictly parsed and canonical (RFC 8785), into r->data and r->payload. */
static int take_json(cJSON *pl, uint32_t max, struct kk_sign_req *r, char *why, size_t wlen)
{
	struct kk_error e = { 0 };
	char *canon;

	if (!cJSON_IsObject(pl)) {
		snprintf(why, wlen, "\"payload\" must be a JSON object (raw bytes go in "
			 "\"payload_b64\")");
		return -EINVAL;
	}
	canon = kk_jcs(pl, &e);
	if (!canon) {
		snprintf(why, wlen, "payload: %s", e.why);
		return -EINVAL;
	}
	r->data = (unsigned char *)canon;
	r->len = strlen(canon);
	r->json = true;
	if (r->len > max) {
		snprintf(why, wlen, "payload of %zu bytes (canonical) above max_payload %u",
			 r->len, max);
		return -EMSGSIZE;
	}
	r->payload = cJSON_Parse(canon);
	return r->payload ? 0 : -ENOMEM;
}

/*
 * One request line into r. A line holding a JSON payload is first parsed strictly as a whole
 * (kk_jcs_text: no duplicate names, no lone surrogates, bounded depth), which cJSON alone is
 * not; a longer line can only be a raw payload in base64.
 */
static int parse_request(char *line, size_t len, uint32_t max, struct kk_sign_req *r,
			 char *why, size_t wlen)
{
	static const char *const known[] = { "type", "payload", "payload_b64" };
	struct kk_error e = { 0 };
	cJSON *req = NULL, *m, *pl, *b64;
	char *canon = NULL;
	size_t i;
	int err = -EINVAL;

	if (len <= KK_SIGN_PAYLOAD_MAX) {
		if (kk_jcs_text(line, len, &canon, &e)) {
			snprintf(why, wlen, "not a valid JSON request: %s", e.why);
			return -EINVAL;
		}
		req = cJSON_Parse(canon);
		free(canon);
	} else {
		req = cJSON_ParseWithLength(line, len);
	}
	if (!cJSON_IsObject(req)) {
		snprintf(why, wlen, "a request is one JSON object per line: {\"type\": ..., "
			 "\"payload\": {...}} or {\"type\": ..., \"payload_b64\": ...}");
		goto out;
	}
	cJSON_ArrayForEach(m, req) {
		for (i = 0; i < 3 && strcmp(m->string, known[i]); i++)
			;
		if (i == 3) {
			snprintf(why, wlen, "unknown member \"%.64s\" (type, payload, payload_b64)",
				 m->string);
			goto out;
		}
	}
	m = cJSON_GetObjectItemCaseSensitive(req, "type");
	if (!cJSON_IsString(m) || !type_ok(m->valuestring)) {
		snprintf(why, wlen, "\"type\" must be an action type of 1 to %d characters "
			 "a-z 0-9 _ . -", KK_SIGNER_TYPE_MAX);
		goto out;
	}
	strcpy(r->type, m->valuestring);
	pl = cJSON_GetObjectItemCaseSensitive(req, "payload");
	b64 = cJSON_GetObjectItemCaseSensitive(req, "payload_b64");
	if (!pl == !b64) {
		snprintf(why, wlen, "give exactly one of \"payload\" and \"payload_b64\"");
	} else if (pl) {
		err = len > KK_SIGN_PAYLOAD_MAX ? -EMSGSIZE : take_json(pl, max, r, why, wlen);
		if (len > KK_SIGN_PAYLOAD_MAX)
			snprintf(why, wlen, "request of %zu bytes: a JSON payload is at most "
				 "max_payload %u bytes", len, max);
	} else if (!cJSON_IsString(b64) ||
		   b64_decode(b64->valuestring, &r->data, &r->len)) {
		snprintf(why, wlen, "\"payload_b64\" must be standard base64 (with padding)");
	} else if (r->len > max) {
		snprintf(why, wlen, "payload of %zu bytes above max_payload %u", r->len, max);
		err = -EMSGSIZE;
	} else {
		err = 0;
	}
out:
	cJSON_Delete(req);
	return err;
}

/* The audit event's details, compact JSON in the event's reason string (events.h). */
static char *event_details(const struct kk_sign_req *r, int ref, const char *why, bool valid,
			   double ms, bool with_fields)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	cJSON *o = cJSON_CreateObject();
	char *text;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "type", r->type[0] ? r->type : "");
	if (r->data) {
		SHA256(r->data, r->len, md);
		cJSON_AddStringToObject(o, "payload_sha256", kk_hex_encode(md, sizeof(md), hex));
	}
	if (with_fields && r->payload)
		cJSON_AddItemReferenceToObject(o, "fields", r->payload);
	if (ref != KK_REF_NONE) {
		cJSON_AddStringToObject(o, "reason", kk_refusal_name(ref));
		cJSON_AddStringToObject(o, "why", why);
	}
	cJSON_AddNumberToObject(o, "risk", (double)(int64_t)(r->risk * 1000 + 0.5) / 1000);
	cJSON_AddBoolToObject(o, "scope_check_passed", r->scope_passed);
	cJSON_AddBoolToObject(o, "signature_valid", valid);
	cJSON_AddNumberToObject(o, "duration_ms", (double)(int64_t)(ms * 1000 + 0.5) / 1000);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static void audit(const struct kk_sign_req *r, int ref, const char *why, bool valid, double ms)
{
	const struct kk_binding *b = &r->rec.binding;
	struct kk_event ev;
	char *d = event_details(r, ref, why, valid, ms, true);
	__u32 type = ref == KK_REF_NONE ? KK_EV_ACTION_SIGNED : KK_EV_ACTION_REFUSED;
	int err = -ENOMEM;

	if (d)
		err = kk_event_agent(&ev, type, r->bound ? r->slot : KK_MAX_BINDINGS, r->gen,
				     (__u32)r->pid, r->bound ? b->agent_id : NULL,
				     r->bound ? r->rec.ident.serial : NULL,
				     r->bound ? b->policy_version : NULL, d);
	if (err == -ENAMETOOLONG) { /* the fields do not fit: the payload's hash stays */
		free(d);
		d = event_details(r, ref, why, valid, ms, false);
		err = d ? kk_event_agent(&ev, type, r->bound ? r->slot : KK_MAX_BINDINGS, r->gen,
					 (__u32)r->pid, r->bound ? b->agent_id : NULL,
					 r->bound ? r->rec.ident.serial : NULL,
					 r->bound ? b->policy_version : NULL, d)
			: -ENOMEM;
	}
	free(d);
	if (!err)
		err = kk_maps_emit(&ev);
	if (err)
		kk_err("signer", "cannot emit %s: %s", kk_event_type_name(type), strerror(-err));
}

/* Sign r with its agent's key into reply; *valid: the JWS verified against its own x5c. */
static int sign(struct kk_signer *s, struct kk_sign_req *r, cJSON *reply, bool *valid,
		char *why, size_t wlen)
{
	struct kk_signer_agent *a = r->agent;
	unsigned char nonce[16];
	char jti[33], iat[24], *jws = NULL;
	struct kk_error e = { 0 };
	struct kk_jws parsed;
	cJSON *h;
	struct kk_jws_sign_in in = {
		.key = a->pkey,
		.chain = a->chain,
		.kid = a->id.serial,
		.agent_id = r->rec.binding.agent_id,
		.policy_hash = a->policy_hash,
		.host = s->host,
		.action = r->type,
		.iat = time(NULL),
		.jti = jti,
		.payload = r->data,
		.payload_len = r->len,
		.payload_json = r->json,
	};

	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		snprintf(why, wlen, "no random bytes for the nonce");
		return KK_REF_INTERNAL;
	}
	kk_hex_encode(nonce, sizeof(nonce), jti);
	if (kk_jws_sign(&in, &jws, &e)) {
		snprintf(why, wlen, "signing failed: %s", e.why);
		return KK_REF_INTERNAL;
	}
	memset(&parsed, 0, sizeof(parsed));
	*valid = !kk_jws_parse_verify(jws, strlen(jws), &parsed, &e);
	kk_jws_free(&parsed);
	if (!*valid) {
		snprintf(why, wlen, "the signature made does not verify: %s", e.why);
		free(jws);
		return KK_REF_INTERNAL;
	}
	snprintf(iat, sizeof(iat), "%lld", (long long)in.iat);
	cJSON_AddBoolToObject(reply, "ok", true);
	cJSON_AddStringToObject(reply, "jws", jws);
	h = cJSON_AddObjectToObject(reply, "headers");
	cJSON_AddStringToObject(h, "X-Agent-Signature", jws);
	cJSON_AddStringToObject(h, "X-Agent-Certificate", a->leaf_b64);
	cJSON_AddStringToObject(h, "X-Agent-Timestamp", iat);
	cJSON_AddNumberToObject(reply, "risk", (double)(int64_t)(r->risk * 1000 + 0.5) / 1000);
	free(jws);
	return KK_REF_NONE;
}

static char *refusal_line(int ref, const char *why)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "reason", kk_refusal_name(ref));
	cJSON_AddStringToObject(o, "why", why);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* One request line: decide, sign, audit; the reply line (malloc'd, no newline). */
static char *serve_line(struct kk_signer *s, int fd, int32_t pid, char *line, size_t len)
{
	struct kk_sign_req r = { .fd = fd, .pid = pid };
	struct timespec t0;
	char why[512] = "", *out = NULL;
	cJSON *reply = NULL;
	bool valid = false;
	int ref;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The caller first: an unbound caller learns nothing about what it sent. */
	ref = kk_signer_attest(s, &r, why, sizeof(why));
	if (ref == KK_REF_NONE && parse_request(line, len, s->cfg->max_payload, &r, why,
						 sizeof(why)))
		ref = KK_REF_BAD_REQUEST;
	if (ref == KK_REF_NONE)
		ref = kk_signer_check(s, &r, why, sizeof(why));
	if (ref == KK_REF_NONE) {
		reply = cJSON_CreateObject();
		ref = reply ? sign(s, &r, reply, &valid, why, sizeof(why)) : KK_REF_INTERNAL;
	}
	if (ref == KK_REF_NONE) {
		out = cJSON_PrintUnformatted(reply);
		kk_signer_record(s, &r);
	} else {
		out = refusal_line(ref, why);
	}
	audit(&r, ref, why, valid, ms_since(&t0));
	cJSON_Delete(reply);
	cJSON_Delete(r.payload);
	free(r.data);
	return out;
}

static int send_line(int fd, const char *text)
{
	size_t n = strlen(text), off = 0;
	ssize_t w;

	while (off <= n) {
		if (off == n)
			w = send(fd, "\n", 1, MSG_NOSIGNAL);
		else
			w = send(fd, text + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/*
 * Before closing on a caller whose line never ended: end our side, then read what it still
 * sends for at most 2 s and 4 buffers, so it reads our refusal and then an end of file, not a
 * reset (a unix socket closed with unread data resets its peer).
 */
static void drain(int fd, char *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	struct timespec t0;
	size_t got = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < 4 * len && ms_since(&t0) < 2000) {
		n = recv(fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
}

struct conn {
	struct kk_signer *s;
	int fd;
};

/*
 * Read lines up to max bytes each; a longer one is refused (bad_request) and the connection
 * closed, since its end cannot be found without reading without bound.
 */
static void *conn_main(void *arg)
{
	struct conn *c = arg;
	size_t max = kk_signer_line_max(c->s->cfg->max_payload), len = 0, i;
	struct ucred cred = { 0 };
	socklen_t cl = sizeof(cred);
	char *buf = malloc(max + 1), *reply;
	bool open = buf != NULL;
	ssize_t n;

	getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
	while (open && !stop) {
		n = recv(c->fd, buf + len, max + 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* closed, or idle past KK_SIGNER_IDLE_S */
		len += (size_t)n;
		for (i = 0; open && i < len;) {
			char *nl = memchr(buf + i, '\n', len - i);
			size_t l;

			if (!nl)
				break;
			l = (size_t)(nl - (buf + i));
			if (l && buf[i + l - 1] == '\r')
				l--;
			reply = serve_line(c->s, c->fd, cred.pid, buf + i, l);
			open = reply && !send_line(c->fd, reply);
			free(reply);
			i = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + i, len - i);
		len -= i;
		if (open && len > max) {
			char why[96];

			snprintf(why, sizeof(why), "request line longer than %zu bytes", max);
			reply = refusal_line(KK_REF_BAD_REQUEST, why);
			if (reply && !send_line(c->fd, reply))
				drain(c->fd, buf, max + 1);
			free(reply);
			open = false;
		}
	}
	free(buf);
	close(c->fd);
	free(c);
	atomic_fetch_sub(&conns, 1);
	return NULL;
}

static void start_conn(struct kk_signer *s, int fd)
{
	struct timeval idle = { .tv_sec = KK_SIGNER_IDLE_S }, snd = { .tv_sec = 5 };
	struct conn *c;
	pthread_attr_t at;
	pthread_t t;

	if (atomic_fetch_add(&conns, 1) >= KK_SIGNER_CONNS) {
		char *r = refusal_line(KK_REF_INTERNAL, "too many connections");

		if (r)
			send(fd, r, strlen(r), MSG_NOSIGNAL | MSG_DONTWAIT);
		free(r);
		goto drop;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd));
	c = malloc(sizeof(*c));
	if (!c)
		goto drop;
	c->s = s;
	c->fd = fd;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (!pthread_create(&t, &at, conn_main, c)) {
		pthread_attr_destroy(&at);
		return;
	}
	pthread_attr_destroy(&at);
	free(c);
drop:
	close(fd);
	atomic_fetch_sub(&conns, 1);
}

/* The listening socket at path, mode 0666: the kernel's attestation is the access control. */
static int listen_on(const char *path, struct kk_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return kk_error_set(e, -ENAMETOOLONG, path, "socket path too long");
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* Made here (not by systemd): 0755 whatever the umask, so agents reach the socket. */
		if (!mkdir(dir, 0755))
			chmod(dir, 0755);
		else if (errno != EEXIST)
			return kk_error_set(e, -errno, dir, "cannot create: %s", strerror(errno));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kk_error_set(e, -errno, path, "socket: %s", strerror(errno));
	unlink(path); /* a socket left by an earlier signer */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0666) ||
	    listen(fd, KK_SIGNER_CONNS)) {
		err = -errno;
		close(fd);
		return kk_error_set(e, err, path, "cannot listen: %s", strerror(-err));
	}
	return fd;
}

static int serve(struct kk_signer *s, int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	char status[160];
	int fd;

	snprintf(status, sizeof(status), "signing for %d agent%s on %s", s->n_agents,
		 s->n_agents == 1 ? "" : "s", s->cfg->socket_path);
	kk_notify_ready(status);
	kk_info("kakunin-bpf: signer: %s", status);
	while (!stop) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			start_conn(s, fd);
	}
	kk_notify_stopping();
	return KK_EXIT_OK;
}

int kk_signer_run(const struct kk_signer_cfg *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct kk_error e = { 0 };
	struct kk_signer *s = calloc(1, sizeof(*s));
	int lfd, rc = KK_EXIT_FAIL;

	if (!s)
		return KK_EXIT_FAIL;
	pthread_mutex_init(&s->revoke_lock, NULL);
	gethostname(s->host, sizeof(s->host) - 1);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* The agents first: a key, certificate or policy that is wrong is said first. */
	if (kk_signer_load(s, c, &e)) {
		kk_error_print("signer", &e, false);
		free(s);
		return KK_EXIT_FAIL;
	}
	if (kk_maps_open_e(&s->maps, &e)) {
		kk_error_print("signer", &e, false);
		s->maps.lock_fd = -1;
	} else {
		lfd = listen_on(c->socket_path, &e);
		if (lfd < 0) {
			kk_error_print("signer", &e, false);
		} else {
			rc = serve(s, lfd);
			close(lfd);
			unlink(c->socket_path);
		}
	}
	if (rc == KK_EXIT_OK)
		return rc; /* connection threads may still use s: it ends with the process */
	kk_signer_unload(s);
	kk_maps_close(&s->maps);
	free(s);
	return rc;
}
