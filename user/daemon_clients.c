// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_clients — `kakunin-bpf events` talking to the daemon over a unix socket (mode 0600,
 * root only, checked again with SO_PEERCRED). A client sends one JSON line
 *   {"follow": true, "format": "json"|"text", "agent": "ID", "type": "action.denied"}
 * (every member optional) and then receives matching events, one line each: the recent ones
 * when not following, the new ones when following. A client that cannot keep up or goes away
 * is dropped with one line in the daemon's log; the daemon never waits for a reader.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "daemon.h"
#include "events.h"
#include "log.h"
#include "output.h"

#define MAX_CLIENTS 32
#define HISTORY 1024 /* events kept for `events` without --follow */

struct client {
	int fd;
	bool hello, follow, text;
	char agent[KK_AGENT_ID_SIZE], type[32];
	char in[512];
	size_t in_len;
};

struct kk_clients {
	int listen_fd;
	struct client c[MAX_CLIENTS];
	struct {
		struct kk_event ev;
		uint64_t seq;
		struct kk_who who;
		char agent[KK_AGENT_ID_SIZE], serial[KK_SERIAL_TEXT_SIZE];
		char version[KK_POLICY_VERSION_SIZE];
	} *hist;
	size_t hist_next, hist_n;
	const struct kk_clock *clock;
};

struct kk_clients *kk_clients_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct kk_clients *c = calloc(1, sizeof(*c));
	char dir[sizeof(sun.sun_path)];
	int i;

	if (!c || strlen(path) >= sizeof(sun.sun_path))
		goto fail;
	c->hist = calloc(HISTORY, sizeof(*c->hist));
	for (i = 0; i < MAX_CLIENTS; i++)
		c->c[i].fd = -1;
	snprintf(dir, sizeof(dir), "%s", path);
	if (!c->hist || (mkdir(dirname(dir), 0700) && errno != EEXIST))
		goto fail;
	strcpy(sun.sun_path, path);
	unlink(path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0600) || listen(c->listen_fd, 8))
		goto fail;
	return c;
fail:
	kk_err("daemon", "cannot serve events on %s: %s (the audit file is still written)", path,
	       strerror(errno));
	if (c)
		free(c->hist);
	free(c);
	return NULL;
}

int kk_clients_listen_fd(const struct kk_clients *c)
{
	return c ? c->listen_fd : -1;
}

static void drop(struct client *cl, int epfd, const char *why)
{
	if (why)
		kk_err("daemon", "events client dropped: %s", why);
	epoll_ctl(epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	cl->fd = -1;
}

void kk_clients_accept(struct kk_clients *c, int epfd)
{
	struct epoll_event e = { .events = EPOLLIN };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i;

	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != 0) {
		close(fd); /* root only, even if the socket's mode were loosened */
		return;
	}
	for (i = 0; i < MAX_CLIENTS && c->c[i].fd >= 0; i++)
		;
	if (i == MAX_CLIENTS) {
		kk_err("daemon", "events client refused: %d already connected", MAX_CLIENTS);
		close(fd);
		return;
	}
	memset(&c->c[i], 0, sizeof(c->c[i]));
	c->c[i].fd = fd;
	e.data.fd = fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static bool matches(const struct client *cl, const struct kk_event *ev, const struct kk_who *who)
{
	return kk_event_matches(cl->agent, cl->type, ev->type, who ? who->agent_id : NULL);
}

/* Write one event line; a client that cannot take it now is too slow and is dropped. */
static void send_one(struct client *cl, int epfd, const struct kk_event *ev, uint64_t seq,
		     const struct kk_clock *clk, const struct kk_who *who)
{
	char *line;
	size_t n;

	if (!matches(cl, ev, who))
		return;
	line = cl->text ? kk_event_text(ev, seq, clk, who) : kk_event_json(ev, seq, clk, who);
	if (!line)
		return;
	n = strlen(line);
	line[n] = '\n';
	if (send(cl->fd, line, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(n + 1))
		drop(cl, epfd, errno == EAGAIN ? "reader too slow" : strerror(errno));
	free(line);
}

static void history_replay(struct kk_clients *c, struct client *cl, int epfd)
{
	size_t i, start = (c->hist_next + HISTORY - c->hist_n) % HISTORY;

	for (i = 0; i < c->hist_n && cl->fd >= 0; i++) {
		typeof(&c->hist[0]) h = &c->hist[(start + i) % HISTORY];

		send_one(cl, epfd, &h->ev, h->seq, c->clock, h->who.agent_id ? &h->who : NULL);
	}
}

static void parse_hello(struct client *cl)
{
	cJSON *o = cJSON_Parse(cl->in), *v;

	v = cJSON_GetObjectItem(o, "follow");
	cl->follow = cJSON_IsTrue(v);
	v = cJSON_GetObjectItem(o, "format");
	cl->text = cJSON_IsString(v) && !strcmp(v->valuestring, "text");
	v = cJSON_GetObjectItem(o, "agent");
	if (cJSON_IsString(v))
		snprintf(cl->agent, sizeof(cl->agent), "%s", v->valuestring);
	v = cJSON_GetObjectItem(o, "type");
	if (cJSON_IsString(v))
		snprintf(cl->type, sizeof(cl->type), "%s", v->valuestring);
	cJSON_Delete(o);
	cl->hello = true;
}

bool kk_clients_io(struct kk_clients *c, int fd, int epfd)
{
	struct client *cl = NULL;
	ssize_t n;
	int i;

	for (i = 0; c && i < MAX_CLIENTS; i++)
		if (c->c[i].fd == fd)
			cl = &c->c[i];
	if (!cl)
		return false;
	n = read(fd, cl->in + cl->in_len, sizeof(cl->in) - 1 - cl->in_len);
	if (n <= 0) {
		drop(cl, epfd, NULL); /* the reader went away: nothing to report */
		return true;
	}
	cl->in_len += n;
	cl->in[cl->in_len] = '\0';
	if (cl->hello || !strchr(cl->in, '\n')) {
		if (cl->in_len >= sizeof(cl->in) - 1)
			drop(cl, epfd, "malformed request");
		return true;
	}
	parse_hello(cl);
	if (!cl->follow) {
		history_replay(c, cl, epfd);
		if (cl->fd >= 0)
			drop(cl, epfd, NULL);
	}
	return true;
}

/* src (NULL: "") into dst[size], cut to fit: per event, where snprintf's parsing would show. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = src ? strnlen(src, size - 1) : 0;

	memcpy(dst, src ?: "", n);
	dst[n] = '\0';
}

static void history_add(struct kk_clients *c, const struct kk_event *ev, uint64_t seq,
			const struct kk_who *who)
{
	typeof(&c->hist[0]) h = &c->hist[c->hist_next];

	memcpy(&h->ev, ev, KK_EVENT_HDR_SIZE + kk_event_used(ev));
	h->seq = seq;
	memset(&h->who, 0, sizeof(h->who));
	if (who && who->agent_id) {
		copy_str(h->agent, sizeof(h->agent), who->agent_id);
		copy_str(h->serial, sizeof(h->serial), who->serial);
		copy_str(h->version, sizeof(h->version), who->policy_version);
		h->who.agent_id = h->agent;
		h->who.serial = who->serial ? h->serial : NULL;
		h->who.policy_version = who->policy_version ? h->version : NULL;
	}
	c->hist_next = (c->hist_next + 1) % HISTORY;
	if (c->hist_n < HISTORY)
		c->hist_n++;
}

void kk_clients_send(struct kk_clients *c, const struct kk_event *ev, uint64_t seq,
		     const struct kk_clock *clk, const struct kk_who *who)
{
	int i;

	if (!c)
		return;
	c->clock = clk;
	history_add(c, ev, seq, who);
	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->c[i].fd >= 0 && c->c[i].hello && c->c[i].follow)
			send_one(&c->c[i], -1, ev, seq, clk, who);
}

void kk_clients_close(struct kk_clients *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (c->c[i].fd >= 0)
			close(c->c[i].fd);
	close(c->listen_fd);
	free(c->hist);
	free(c);
}
