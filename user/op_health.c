// SPDX-License-Identifier: GPL-2.0-only
/*
 * op_health — what `health` checks, for a Kubernetes probe or a monitor: the maps are pinned
 * and carry this build's ABI stamp, programs are attached, and the daemon answers a request on
 * its events socket within the timeout. The daemon serves that socket from the loop that
 * consumes the event ring, so an answer also says the loop turns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "maps.h"
#include "op.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Ask for the recent events of a type none has (daemon_clients.c): the daemon answers with
 * nothing and closes. 0 on that close within timeout_ms; else -errno and why.
 */
static int ask_daemon(const char *path, int timeout_ms, char *why, size_t wlen)
{
	static const char hello[] = "{\"type\": \"health.probe\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long deadline = now_ms() + timeout_ms;
	char buf[4096];
	int fd, err = 0;
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, hello, sizeof(hello) - 1, MSG_NOSIGNAL) < 0) {
		err = -errno;
		snprintf(why, wlen, "the daemon does not answer on %s: %s", path, strerror(-err));
		goto out;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			err = -ETIMEDOUT;
			snprintf(why, wlen, "the daemon did not answer on %s within %d ms", path,
				 timeout_ms);
			break;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break; /* answered and closed: alive */
		if (n < 0 && errno != EINTR) {
			err = -errno;
			snprintf(why, wlen, "the daemon's socket %s: %s", path, strerror(-err));
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return err;
}

int kk_op_health(const struct kk_health_req *r, struct kk_health *h, struct kk_error *e)
{
	struct kk_maps m;
	int err;

	memset(h, 0, sizeof(*h));
	err = kk_op_open(&m, false, e);
	if (err == -EPERM)
		return err;
	if (err) {
		snprintf(h->reason, sizeof(h->reason), "%s%s%s", e->what, e->what[0] ? ": " : "",
			 e->why);
		return 0;
	}
	kk_maps_close(&m);
	h->loaded = true;
	h->programs = kk_maps_program_count();
	if (h->programs <= 0) {
		snprintf(h->reason, sizeof(h->reason), "no program attached (no link pinned)");
		return 0;
	}
	if (r->socket) {
		h->asked = true;
		h->daemon = !ask_daemon(r->socket, r->timeout_ms, h->reason, sizeof(h->reason));
		if (!h->daemon)
			return 0;
	}
	h->ready = true;
	return 0;
}
