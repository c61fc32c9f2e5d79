// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_control — revocation through the daemon, for callers that keep a connection open and
 * cannot wait for a process to start (a risk engine): the unix socket control.sock beside the
 * events socket (mode 0600 in a 0700 directory). One JSON line per request,
 *   {"revoke": {"serial": "HEX", "issuer": "CA_CERT", "reason": "TEXT", "tasks": "stop"}}
 * (issuer, reason and tasks — stop, keep or kill — optional, checked as `revoke` checks its
 * options), one JSON line per answer: `revoke --json`'s object plus flip_us, the microseconds
 * from the request's arrival to the map writes returning, or {"error": ...}. The map writes come
 * first, without the maps lock; the rest (lock, second flip, events, stopping the tasks, state
 * file) follows before the answer (op_revoke.c).
 *
 * Who may ask: root, by SO_PEERCRED at accept and by the credentials the kernel attaches to
 * every request (SO_PASSCRED: the sending process, which a bound task cannot forge without
 * CAP_SYS_ADMIN, refused to it); and never a bound task — not one that was bound when it
 * connected (the kernel's record on the socket, kk_maps_peer), not one bound since, nor one
 * that got the connection from another (the sender's own task mark, per request). The kernel's
 * path rules alone would not do: a policy may grant write access to the socket's directory,
 * and a connection made before the bind keeps working. There is nothing to un-revoke here.
 *
 * Its own thread and maps, so a revocation never waits for the event loop or the other way
 * round; requests are served one at a time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "daemon.h"
#include "error.h"
#include "log.h"
#include "maps.h"
#include "op.h"

#define MAX_CONTROL 8
#define REQ_MAX 1024 /* bytes of one request line */

struct conn {
	int fd;
	char in[REQ_MAX];
	size_t len;
	struct ucred from; /* the sender of what in[] holds (len > 0) */
};

struct kk_control {
	pthread_t thread;
	int listen_fd, wake[2];
	struct kk_maps m;
	char path[108];
	struct conn c[MAX_CONTROL];
	/*
	 * The identity slots as read at most REFRESH_MS ago: a request writes the slots this
	 * names at once (each read again first), then reads the table for any bound since.
	 */
	struct kk_ident known[KK_MAX_IDENTS];
	bool have_known;
	uint64_t known_ns; /* when it was read */
};

#define REFRESH_MS 1000

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Is the process pid bound now? 0: no; -EACCES: yes (or it cannot be told: fail closed). */
static int sender_unbound(struct kk_control *k, pid_t pid, struct kk_error *e)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), err;
	uint32_t slot;

	if (fd < 0)
		return kk_error_set(e, -EACCES, NULL, "the sending process %d is gone", (int)pid);
	err = kk_maps_task_binding(&k->m, fd, &slot);
	close(fd);
	if (!err)
		return kk_error_set(e, -EACCES, NULL, "the sending process %d is bound (binding "
				    "%u): a bound task cannot revoke", (int)pid, slot);
	if (err != -ENOENT)
		return kk_error_set(e, -EACCES, NULL, "cannot tell whether the sending process %d "
				    "is bound: %s", (int)pid, strerror(-err));
	return 0;
}

/* May the sender of this request (cred) on connection fd revoke? 0, or -EACCES and e. */
static int authorize(struct kk_control *k, int fd, const struct ucred *cred, struct kk_error *e)
{
	struct kk_peer peer;
	int err;

	if (!cred)
		return kk_error_set(e, -EACCES, NULL, "the request carries no credentials");
	if (cred->uid != 0)
		return kk_error_set(e, -EACCES, NULL, "only root may revoke (uid %u)", cred->uid);
	err = kk_maps_peer(&k->m, fd, &peer);
	if (!err || err == -ESTALE)
		return kk_error_set(e, -EACCES, NULL, "the caller was bound (binding %u) when it "
				    "connected: a bound task cannot revoke", peer.binding);
	if (err != -ENOENT)
		return kk_error_set(e, -EACCES, NULL, "cannot read the socket's attestation: %s",
				    strerror(-err));
	return sender_unbound(k, cred->pid, e);
}

static const char *member(const cJSON *o, const char *name, bool *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v)
		return NULL;
	if (!cJSON_IsString(v)) {
		*bad = true;
		return NULL;
	}
	return v->valuestring;
}

/* The request line into o (its strings point into *doc, which the caller frees). */
static int parse(const char *line, cJSON **doc, struct kk_revoke_opts *o, struct kk_error *e)
{
	const cJSON *r, *it;
	const char *tasks;
	bool bad = false;

	memset(o, 0, sizeof(*o));
	*doc = cJSON_Parse(line);
	r = cJSON_GetObjectItemCaseSensitive(*doc, "revoke");
	if (!cJSON_IsObject(*doc) || !cJSON_IsObject(r) || cJSON_GetArraySize(*doc) != 1)
		return kk_error_set(e, -EINVAL, "request", "not {\"revoke\": {...}} on one line");
	cJSON_ArrayForEach(it, r)
		if (strcmp(it->string, "serial") && strcmp(it->string, "issuer") &&
		    strcmp(it->string, "reason") && strcmp(it->string, "tasks"))
			return kk_error_set(e, -EINVAL, it->string, "unknown member of revoke");
	o->serial = member(r, "serial", &bad);
	o->issuer = member(r, "issuer", &bad);
	o->reason = member(r, "reason", &bad);
	tasks = member(r, "tasks", &bad);
	if (bad)
		return kk_error_set(e, -EINVAL, "request", "serial, issuer, reason and tasks are "
				    "strings");
	if (!o->serial)
		return kk_error_set(e, -EINVAL, "serial", "missing");
	if (tasks && strcmp(tasks, "stop") && strcmp(tasks, "keep") && strcmp(tasks, "kill"))
		return kk_error_set(e, -EINVAL, "tasks", "'%s' is none of stop, keep, kill", tasks);
	o->kill = tasks && !strcmp(tasks, "kill");
	o->no_stop = tasks && !strcmp(tasks, "keep");
	return 0;
}

static char *answer(const struct kk_revoke_op_req *r, const struct kk_revoke_op_res *res,
		    uint64_t arrived)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "serial", r->rev.serial);
	cJSON_AddStringToObject(o, "issuer", r->issuer ? r->issuer : "*");
	cJSON_AddStringToObject(o, "reason", r->rev.reason ? r->rev.reason : "");
	cJSON_AddNumberToObject(o, "bindings", res->bindings);
	cJSON_AddStringToObject(o, "tasks", kk_revoke_tasks_name(r->rev.tasks));
	cJSON_AddNumberToObject(o, "signalled", res->tasks);
	cJSON_AddNumberToObject(o, "flip_us", (double)(res->flipped_ns - arrived) / 1000.0);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* One request line from the sender cred: revoke, and the answer line (caller frees). */
static char *serve(struct kk_control *k, int fd, const char *line, const struct ucred *cred,
		   uint64_t arrived)
{
	struct kk_revoke_op_req req;
	struct kk_revoke_op_res res;
	struct kk_revoke_opts o;
	struct kk_error e = { 0 };
	cJSON *doc = NULL;
	char *out = NULL;

	if (!authorize(k, fd, cred, &e) && !parse(line, &doc, &o, &e) &&
	    !kk_revoke_op_req_init(&req, &o, &e) &&
	    !kk_op_revoke_on(&k->m, &req, k->have_known ? k->known : NULL, &res, &e)) {
		out = answer(&req, &res, arrived);
		kk_info("kakunin-bpf: daemon: revoked serial %s on request of pid %d: "
			"%d binding%s, %d task%s %s", req.rev.serial, (int)cred->pid, res.bindings,
			res.bindings == 1 ? "" : "s", res.tasks, res.tasks == 1 ? "" : "s",
			req.rev.tasks == KK_REVOKE_KILL ? "killed" : "stopped");
	} else {
		kk_err("daemon", "revoke request%s%d refused: %s%s%s", cred ? " of pid " : "",
		       cred ? (int)cred->pid : 0, e.what, *e.what ? ": " : "", e.why);
		out = kk_error_json(&e);
	}
	cJSON_Delete(doc);
	return out;
}

/* The answer and its newline; never SIGPIPE when the caller went away. */
static int send_line(int fd, const char *text)
{
	size_t n = strlen(text);
	char *buf = malloc(n + 1);
	ssize_t w;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, n);
	buf[n] = '\n';
	w = send(fd, buf, n + 1, MSG_NOSIGNAL);
	free(buf);
	return w == (ssize_t)(n + 1) ? 0 : -EIO;
}

static void drop(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Read what arrived on c with its sender's credentials; serve every whole line. */
static void conn_io(struct kk_control *k, struct conn *c)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { c->in + c->len, sizeof(c->in) - 1 - c->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	const struct ucred *cred = NULL;
	struct cmsghdr *cm;
	uint64_t arrived;
	char *nl, *out;
	ssize_t n;

	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	arrived = mono_ns();
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop(c);
		return;
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
			cred = (const struct ucred *)CMSG_DATA(cm);
	/*
	 * The kernel never joins the bytes of two senders in one read, but a line can come in
	 * pieces: all of them from one sender, or the connection is dropped (no half line of a
	 * bound task completed by another).
	 */
	if (!cred || (c->len && memcmp(&c->from, cred, sizeof(*cred)))) {
		drop(c);
		return;
	}
	c->from = *cred;
	c->len += (size_t)n;
	c->in[c->len] = '\0';
	while (c->fd >= 0 && (nl = strchr(c->in, '\n'))) {
		*nl = '\0';
		out = serve(k, c->fd, c->in, cred, arrived);
		if (!out || send_line(c->fd, out))
			drop(c);
		free(out);
		if (c->fd >= 0) {
			c->len -= (size_t)(nl + 1 - c->in);
			memmove(c->in, nl + 1, c->len + 1);
		}
	}
	if (c->fd >= 0 && c->len >= sizeof(c->in) - 1) {
		struct kk_error e;
		char *err;

		kk_error_set(&e, -E2BIG, "request", "longer than %d bytes", REQ_MAX - 2);
		err = kk_error_json(&e);
		if (err)
			send_line(c->fd, err);
		free(err);
		drop(c);
	}
}

static void accept_one(struct kk_control *k)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, one = 1, i;

	fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* Root only at connect too, even if the socket's mode were loosened. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one))) {
		close(fd);
		return;
	}
	for (i = 0; i < MAX_CONTROL && k->c[i].fd >= 0; i++)
		;
	if (i == MAX_CONTROL) {
		kk_err("daemon", "control client refused: %d already connected", MAX_CONTROL);
		close(fd);
		return;
	}
	k->c[i].fd = fd;
	k->c[i].len = 0;
}

static void *run(void *arg)
{
	struct kk_control *k = arg;
	struct pollfd p[MAX_CONTROL + 2];
	int i, n;

	for (;;) {
		if (mono_ns() - k->known_ns >= REFRESH_MS * 1000000ull) {
			k->have_known = !kk_maps_idents_copy(&k->m, k->known);
			k->known_ns = mono_ns();
		}
		p[0] = (struct pollfd){ .fd = k->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = k->listen_fd, .events = POLLIN };
		for (i = 0; i < MAX_CONTROL; i++)
			p[i + 2] = (struct pollfd){ .fd = k->c[i].fd, .events = POLLIN };
		n = poll(p, MAX_CONTROL + 2, REFRESH_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN)
			accept_one(k);
		for (i = 0; i < MAX_CONTROL; i++)
			if (k->c[i].fd >= 0 && p[i + 2].revents)
				conn_io(k, &k->c[i]);
	}
	return NULL;
}

/* The control socket's path: control.sock in the events socket's directory. */
static int control_path(const char *events, char *out, size_t len)
{
	char dir[108];

	snprintf(dir, sizeof(dir), "%s", events);
	return snprintf(out, len, "%s/control.sock", dirname(dir)) >= (int)len ? -ENAMETOOLONG
										 : 0;
}

static int listen_on(struct kk_control *k)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", k->path);
	unlink(k->path);
	k->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (k->listen_fd < 0 || bind(k->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(k->path, 0600) || listen(k->listen_fd, 8))
		return -errno;
	return 0;
}

struct kk_control *kk_control_start(const struct kk_daemon_cfg *cfg)
{
	struct kk_control *k = calloc(1, sizeof(*k));
	struct kk_error e = { 0 };
	int i, err;

	if (!k)
		return NULL;
	k->listen_fd = k->wake[0] = k->wake[1] = -1;
	for (i = 0; i < MAX_CONTROL; i++)
		k->c[i].fd = -1;
	for (i = 0; i < KK_MAP_COUNT; i++)
		k->m.fd[i] = -1;
	k->m.lock_fd = -1;
	/* The events socket made the directory (0700), or said why it could not. */
	err = control_path(cfg->socket_path, k->path, sizeof(k->path));
	err = err ?: kk_maps_open_some(&k->m, KK_REVOKE_MAPS | KK_MAP_BIT(KK_MAP_PEERS), &e);
	if (err && !e.code)
		kk_error_set(&e, err, k->path, "%s", strerror(-err));
	if (!err && (err = listen_on(k)))
		kk_error_set(&e, err, k->path, "%s", strerror(-err));
	if (!err && pipe2(k->wake, O_CLOEXEC))
		err = kk_error_set(&e, -errno, NULL, "%s", strerror(errno));
	if (!err && (err = -pthread_create(&k->thread, NULL, run, k)))
		kk_error_set(&e, err, NULL, "cannot start its thread: %s", strerror(-err));
	if (!err)
		return k;
	kk_err("daemon", "no revocations through the control socket: %s%s%s", e.what,
	       *e.what ? ": " : "", e.why);
	kk_maps_close(&k->m);
	kk_control_free(k);
	return NULL;
}

void kk_control_free(struct kk_control *k)
{
	int i;

	if (!k)
		return;
	for (i = 0; i < MAX_CONTROL; i++)
		if (k->c[i].fd >= 0)
			close(k->c[i].fd);
	if (k->listen_fd >= 0) {
		close(k->listen_fd);
		unlink(k->path);
	}
	if (k->wake[0] >= 0)
		close(k->wake[0]);
	if (k->wake[1] >= 0)
		close(k->wake[1]);
	free(k);
}

void kk_control_stop(struct kk_control *k)
{
	if (!k)
		return;
	if (write(k->wake[1], "x", 1) == 1)
		pthread_join(k->thread, NULL);
	kk_maps_close(&k->m);
	kk_control_free(k);
}
