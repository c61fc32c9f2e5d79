// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics_http — the daemon's /metrics endpoint (metrics.h): just enough HTTP/1.0 for a
 * Prometheus scrape. One connection at a time: while one is served the listening socket is
 * out of the event loop (later scrapers wait in its backlog), a request is at most
 * REQ_MAX bytes, the answer is written without blocking as the socket takes it, and a client
 * that has not finished within CLIENT_SECONDS is dropped at the next tick. A slow or silent
 * client therefore costs one socket for a few seconds and never holds up the event ring.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define REQ_MAX	       2048
#define CLIENT_SECONDS 5

struct kk_metrics_srv {
	int lfd, cfd, epfd;
	/* A unix socket's path, unlinked at close; "" for TCP. */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char in[REQ_MAX + 1];
	size_t in_len, sent;
	struct kk_prom out; /* the whole answer, headers included */
	time_t start;
	kk_metrics_fill_fn fill;
	void *ctx;
};

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int watch(struct kk_metrics_srv *s, int op, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	return epoll_ctl(s->epfd, op, fd, &e);
}

static void drop(struct kk_metrics_srv *s)
{
	if (s->cfd < 0)
		return;
	close(s->cfd); /* also takes it out of the epoll set */
	s->cfd = -1;
	kk_prom_free(&s->out);
	s->in_len = s->sent = 0;
	watch(s, EPOLL_CTL_ADD, s->lfd, EPOLLIN);
}

static void accept_one(struct kk_metrics_srv *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (watch(s, EPOLL_CTL_ADD, fd, EPOLLIN)) {
		close(fd);
		return;
	}
	s->cfd = fd;
	s->start = now_s();
	watch(s, EPOLL_CTL_DEL, s->lfd, 0);
}

/* The answer to the request line in s->in, whole, into s->out. */
static void answer(struct kk_metrics_srv *s)
{
	struct kk_prom body = { 0 };
	const char *status = "200 OK", *type = KK_PROM_CONTENT_TYPE;
	char head[256];
	int n;

	if (strncmp(s->in, "GET ", 4)) {
		status = "405 Method Not Allowed";
	} else if (strncmp(s->in + 4, "/metrics ", 9) && strncmp(s->in + 4, "/metrics\r", 9) &&
		   strncmp(s->in + 4, "/metrics\n", 9)) {
		status = "404 Not Found";
	} else {
		if (s->fill(&body, s->ctx) || kk_prom_error(&body))
			status = "500 Internal Server Error";
	}
	if (strncmp(status, "200", 3)) {
		kk_prom_free(&body);
		body.buf = strdup(status); /* the body says it again; NULL is an empty body */
		body.len = body.buf ? strlen(body.buf) : 0;
		type = "text/plain; charset=utf-8";
	}
	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     status, type, body.len);
	kk_prom_free(&s->out);
	s->out.buf = malloc(n + body.len + 1);
	if (s->out.buf) {
		memcpy(s->out.buf, head, n);
		memcpy(s->out.buf + n, body.buf ? body.buf : "", body.len);
		s->out.len = n + body.len;
	}
	kk_prom_free(&body);
}

static void send_some(struct kk_metrics_srv *s)
{
	ssize_t n;

	while (s->sent < s->out.len) {
		n = send(s->cfd, s->out.buf + s->sent, s->out.len - s->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			watch(s, EPOLL_CTL_MOD, s->cfd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		s->sent += n;
	}
	drop(s);
}

static void read_request(struct kk_metrics_srv *s)
{
	ssize_t n = recv(s->cfd, s->in + s->in_len, REQ_MAX - s->in_len, 0);

	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		drop(s);
		return;
	}
	s->in_len += n;
	s->in[s->in_len] = '\0';
	if (!strstr(s->in, "\r\n\r\n") && !strstr(s->in, "\n\n")) {
		if (s->in_len == REQ_MAX)
			drop(s); /* too long for a scrape: not worth an answer */
		return;
	}
	answer(s);
	if (!s->out.buf) {
		drop(s);
		return;
	}
	send_some(s);
}

bool kk_metrics_srv_io(struct kk_metrics_srv *s, int fd, uint32_t events)
{
	if (!s)
		return false;
	if (fd == s->lfd) {
		if (s->cfd < 0)
			accept_one(s);
		return true;
	}
	if (fd != s->cfd)
		return false;
	if (events & (EPOLLERR | EPOLLHUP))
		drop(s);
	else if (s->out.buf)
		send_some(s);
	else
		read_request(s);
	return true;
}

void kk_metrics_srv_tick(struct kk_metrics_srv *s)
{
	if (s && s->cfd >= 0 && now_s() - s->start >= CLIENT_SECONDS)
		drop(s);
}

/* A stale socket file of ours (the daemon was killed) is replaced; anything else is not. */
static int unlink_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return unlink(path) ? -errno : 0;
}

static int listen_on(struct kk_metrics_srv *s, const char *spec)
{
	struct sockaddr_storage ss;
	unsigned int len;
	char why[256];
	int one = 1, err;

	if (kk_metrics_listen_parse(spec, &ss, &len, why, sizeof(why))) {
		kk_err("daemon", "metrics.listen: %s", why);
		return -EINVAL;
	}
	if (ss.ss_family == AF_UNIX) {
		memcpy(s->path, ((struct sockaddr_un *)&ss)->sun_path, sizeof(s->path));
		err = unlink_stale(s->path);
		if (err) {
			kk_err("daemon", "metrics: %s: %s", s->path, strerror(-err));
			s->path[0] = '\0';
			return err;
		}
	}
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 ||
	    (ss.ss_family != AF_UNIX &&
	     setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) ||
	    bind(s->lfd, (struct sockaddr *)&ss, len) || listen(s->lfd, 8) ||
	    watch(s, EPOLL_CTL_ADD, s->lfd, EPOLLIN)) {
		err = -errno;
		kk_err("daemon", "metrics: cannot listen on %s: %s", spec, strerror(-err));
		if (ss.ss_family != AF_UNIX || err == -EADDRINUSE)
			s->path[0] = '\0'; /* not ours to unlink */
		return err;
	}
	return 0;
}

struct kk_metrics_srv *kk_metrics_srv_open(const char *spec, int epfd, kk_metrics_fill_fn fill,
					   void *ctx)
{
	struct kk_metrics_srv *s = calloc(1, sizeof(*s));

	if (!s) {
		kk_err("daemon", "metrics: out of memory");
		return NULL;
	}
	s->lfd = s->cfd = -1;
	s->epfd = epfd;
	s->fill = fill;
	s->ctx = ctx;
	if (listen_on(s, spec)) {
		kk_metrics_srv_close(s);
		return NULL;
	}
	return s;
}

void kk_metrics_srv_close(struct kk_metrics_srv *s)
{
	if (!s)
		return;
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->path[0])
		unlink(s->path);
	kk_prom_free(&s->out);
	free(s);
}
