// SPDX-License-Identifier: GPL-2.0-only
/*
 * egress_conn — one relayed connection (egress.h): a non-blocking connect to the upstream's
 * addresses in turn, the TLS handshake, then bytes both ways through two fixed buffers. A side
 * is read only while its buffer has room, so a peer that sends faster than the other reads is
 * slowed down by TCP, not buffered without bound; every call returns at EAGAIN, so one slow or
 * hostile peer never holds the loop. An end of file is passed on: the agent's as close_notify,
 * the upstream's as a shutdown of the agent's socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "actions.h"
#include "egress.h"
#include "policy.h"

int64_t kk_egress_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t kk_egress_buf_room(struct kk_egress_buf *b)
{
	if (b->off && b->len)
		memmove(b->d, b->d + b->off, b->len);
	b->off = 0;
	return sizeof(b->d) - b->len;
}

void kk_egress_buf_take(struct kk_egress_buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (!b->len)
		b->off = 0;
}

/* The upstream's addresses, kept KK_EGRESS_RESOLVE_S (an IP literal resolves without DNS). */
static int resolve(struct kk_egress_listener *l, char *why, size_t wlen)
{
	const struct kk_egress_rule *r = l->rule;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL, *ai;
	int64_t now = kk_egress_now_ms();
	char port[8];
	int err;

	if (l->n_addr && now - l->resolved_ms < KK_EGRESS_RESOLVE_S * 1000)
		return 0;
	snprintf(port, sizeof(port), "%u", r->port);
	err = getaddrinfo(r->host, port, &hints, &res);
	if (err) {
		snprintf(why, wlen, "cannot resolve %s: %s", r->host, gai_strerror(err));
		return l->n_addr ? 0 : -EHOSTUNREACH; /* the last answer, if any, still serves */
	}
	l->n_addr = 0;
	for (ai = res; ai && l->n_addr < KK_EGRESS_ADDRS; ai = ai->ai_next) {
		memcpy(&l->addr[l->n_addr], ai->ai_addr, ai->ai_addrlen);
		l->alen[l->n_addr++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	l->resolved_ms = now;
	return l->n_addr ? 0 : -EHOSTUNREACH;
}

/* A non-blocking connect to address c->addr_i and on, until one is under way. */
static int connect_next(struct kk_egress_conn *c, char *why, size_t wlen)
{
	struct kk_egress_listener *l = c->l;
	int one = 1, err = -EHOSTUNREACH;

	for (; c->addr_i < l->n_addr; c->addr_i++) {
		if (c->ufd >= 0)
			close(c->ufd);
		c->ufd = socket(l->addr[c->addr_i].ss_family,
				SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (c->ufd < 0) {
			err = -errno;
			continue;
		}
		setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!connect(c->ufd, (struct sockaddr *)&l->addr[c->addr_i], l->alen[c->addr_i]) ||
		    errno == EINPROGRESS) {
			c->st = KK_EG_CONNECTING;
			return 0;
		}
		err = -errno;
	}
	snprintf(why, wlen, "cannot connect to %s: %s", l->rule->upstream, strerror(-err));
	return err;
}

int kk_egress_conn_start(struct kk_egress_conn *c, char *why, size_t wlen)
{
	if (resolve(c->l, why, wlen) || connect_next(c, why, wlen))
		return KK_REF_UPSTREAM;
	return 0;
}

/* The TCP connect finished: on to TLS, or to the next address. */
static int connected(struct kk_egress_conn *c, char *why, size_t wlen)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
		c->addr_i++;
		if (connect_next(c, why, wlen)) {
			snprintf(why, wlen, "cannot connect to %s: %s", c->l->rule->upstream,
				 strerror(soerr ? soerr : errno));
			return KK_REF_UPSTREAM;
		}
		return 0;
	}
	if (kk_egress_tls_new(c)) {
		snprintf(why, wlen, "cannot set up TLS for %s", c->l->rule->upstream);
		return KK_REF_UPSTREAM;
	}
	c->st = KK_EG_HANDSHAKE;
	c->u_events = POLLOUT;
	return 0;
}

static int handshake(struct kk_egress_conn *c, char *why, size_t wlen)
{
	int rc, e;

	ERR_clear_error();
	rc = SSL_connect(c->ssl);
	if (rc == 1) {
		c->st = KK_EG_RELAY;
		c->u_events = POLLIN;
		return 0;
	}
	e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->u_events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	kk_egress_tls_why(c, why, wlen);
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
		snprintf(why, wlen, "TLS handshake with %s: connection %s", c->l->rule->upstream,
			 errno ? strerror(errno) : "closed by the upstream");
	return KK_REF_UPSTREAM;
}

/* The agent's bytes into c2u while it has room. -1: the agent's socket failed. */
static int read_agent(struct kk_egress_conn *c)
{
	size_t room;
	ssize_t n;

	while (!c->c_eof && (room = kk_egress_buf_room(&c->c2u))) {
		n = recv(c->cfd, c->c2u.d + c->c2u.len, room, 0);
		if (n > 0) {
			c->c2u.len += (size_t)n;
		} else if (!n) {
			c->c_eof = true;
		} else if (errno == EAGAIN || errno == EINTR) {
			return 0;
		} else {
			return -1;
		}
	}
	return 0;
}

/* c2u to the upstream; close_notify once the agent has ended and all is sent. */
static int write_upstream(struct kk_egress_conn *c)
{
	int n, e;

	if (c->u_eof) { /* nobody reads it any more: the relay ends once u2c is delivered */
		kk_egress_buf_take(&c->c2u, c->c2u.len);
		return 0;
	}
	while (c->c2u.len) {
		ERR_clear_error();
		n = SSL_write(c->ssl, c->c2u.d + c->c2u.off, (int)c->c2u.len);
		if (n > 0) {
			kk_egress_buf_take(&c->c2u, (size_t)n);
			c->up += (uint64_t)n;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			c->u_events |= e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
			return 0;
		}
		return -1;
	}
	if (c->c_eof && !c->u_shut) {
		SSL_shutdown(c->ssl); /* close_notify: the upstream reads an end of file */
		c->u_shut = true;
	}
	return 0;
}

/* The upstream's bytes into u2c while it has room. */
static int read_upstream(struct kk_egress_conn *c)
{
	size_t room;
	int n, e;

	while (!c->u_eof && (room = kk_egress_buf_room(&c->u2c))) {
		ERR_clear_error();
		n = SSL_read(c->ssl, c->u2c.d + c->u2c.len, (int)room);
		if (n > 0) {
			c->u2c.len += (size_t)n;
			continue;
		}
		e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			c->u_events |= e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
			return 0;
		}
		if (e != SSL_ERROR_ZERO_RETURN)
			return -1;
		c->u_eof = true;
	}
	/* Full with decrypted bytes still inside TLS: no poll event will say so. */
	c->again = !c->u_eof && SSL_pending(c->ssl) > 0 && c->u2c.len < sizeof(c->u2c.d);
	return 0;
}

/* u2c to the agent; our end of file to it once the upstream has ended and all is sent. */
static int write_agent(struct kk_egress_conn *c)
{
	ssize_t n;

	while (c->u2c.len) {
		n = send(c->cfd, c->u2c.d + c->u2c.off, c->u2c.len, MSG_NOSIGNAL);
		if (n > 0) {
			kk_egress_buf_take(&c->u2c, (size_t)n);
			c->down += (uint64_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return 0;
		} else {
			return -1;
		}
	}
	if (c->u_eof && !c->c_shut) {
		shutdown(c->cfd, SHUT_WR);
		c->c_shut = true;
	}
	return 0;
}

/* One pass of the relay. -1: ended (*end says how), 0: going on. */
static int relay(struct kk_egress_conn *c, int64_t now, const char **end)
{
	uint64_t before = c->up + c->down + c->c2u.len + c->u2c.len;

	c->u_events = 0;
	c->again = false;
	if (read_agent(c))
		return *end = "agent_error", -1;
	if (write_upstream(c))
		return *end = "upstream_error", -1;
	if (read_upstream(c))
		return *end = "upstream_error", -1;
	if (write_agent(c))
		return *end = "agent_error", -1;
	if (c->up + c->down + c->c2u.len + c->u2c.len != before || c->c_eof)
		c->io_ms = now;
	if (!c->u_eof && !c->u_events && !c->again && kk_egress_buf_room(&c->u2c))
		c->u_events = POLLIN;
	/* The upstream has ended and all it sent is delivered: nothing more can be relayed. */
	if (c->u_eof && !c->u2c.len)
		return *end = c->c_eof ? "closed" : "upstream_closed", -1;
	return 0;
}

int kk_egress_conn_pump(struct kk_egress_conn *c, int64_t now, const char **end, char *why,
			size_t wlen)
{
	int ref = 0;

	if (c->st != KK_EG_RELAY && now >= c->deadline_ms) {
		snprintf(why, wlen, "no TLS session with %s within the handshake timeout",
			 c->l->rule->upstream);
		return KK_REF_UPSTREAM;
	}
	if (c->st == KK_EG_CONNECTING)
		ref = connected(c, why, wlen);
	if (!ref && c->st == KK_EG_HANDSHAKE)
		ref = handshake(c, why, wlen);
	if (ref || c->st != KK_EG_RELAY)
		return ref;
	return relay(c, now, end);
}

void kk_egress_conn_events(const struct kk_egress_conn *c, short *cev, short *uev)
{
	*cev = 0;
	*uev = c->st == KK_EG_CONNECTING ? POLLOUT : c->u_events;
	if (c->st != KK_EG_RELAY)
		return;
	if (!c->c_eof && c->c2u.len < sizeof(c->c2u.d))
		*cev |= POLLIN;
	if (c->u2c.len)
		*cev |= POLLOUT;
}

void kk_egress_conn_free(struct kk_egress_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	if (c->ufd >= 0)
		close(c->ufd);
	if (c->cfd >= 0)
		close(c->cfd);
	free(c);
}
