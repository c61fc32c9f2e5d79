// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_events — `kakunin-bpf events [--follow] [--json|--text] [--agent ID] [--type T]
 * [--socket PATH | --from-ring]`.
 *
 * Events come from the daemon over its unix socket: it is the ring's one consumer, writes every
 * event to the audit file, and keeps the recent ones for a reader that does not follow. When no
 * daemon answers, that is an error, never a silent switch to the ring: events read from the ring
 * are consumed, so they would never reach the audit file. --from-ring reads the pinned ring
 * directly, as the one consumer (consumer.h: refused while a daemon holds the lock, and a
 * daemon started meanwhile is refused): without --follow what is waiting, with it until
 * SIGINT/SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "consumer.h"
#include "daemon.h"
#include "error.h"
#include "events.h"
#include "log.h"
#include "maps.h"
#include "op.h"
#include "output.h"
#include "who.h"

static const char usage[] =
	"usage: kakunin-bpf events [--follow] [--json | --text] [--agent ID] [--type T]\n"
	"                          [--socket PATH | --from-ring]\n\n"
	"Print decision and agent events, one per line: JSON (the default when stdout is not\n"
	"a terminal) or text. --agent keeps one agent's events; --type one event_type\n"
	"(action.denied) or a family (action, agent.*). From the daemon (its socket, default\n"
	KK_EVENTS_SOCKET "); without one, --from-ring consumes the kernel's ring directly\n"
	"(those events then never reach the audit file). Without --follow, print the recent\n"
	"(daemon) or waiting (ring) events and exit. With --json, errors are JSON too.\n";

static const struct option opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ "text", no_argument, NULL, 't' },
	{ "agent", required_argument, NULL, 'a' },
	{ "type", required_argument, NULL, 'T' },
	{ "socket", required_argument, NULL, 's' },
	{ "from-ring", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct stream {
	struct kk_maps *m;
	bool json, follow, json_errors, from_ring, socket_given;
	const char *agent, *type, *socket;
	uint64_t seq;
	unsigned long malformed;
	struct kk_clock clock;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct stream *s = ctx;
	const struct kk_who *w;
	struct kk_who_rec rec;
	struct kk_event ev;
	struct kk_who who;
	const char *f[4];
	char *line;

	if (kk_event_decode(data, size, &ev)) {
		s->malformed++;
		return 0;
	}
	w = NULL;
	if (ev.type != KK_EV_EVENTS_LOST)
		w = kk_who_resolve(s->m, ev.binding, ev.gen, &rec, &who);
	if (!kk_event_matches(s->agent, s->type, ev.type,
			      kk_event_agent_fields(&ev, f) ? f[0] : w ? w->agent_id : NULL))
		return 0;
	s->seq++;
	line = s->json ? kk_event_json(&ev, s->seq, &s->clock, w) :
			 kk_event_text(&ev, s->seq, &s->clock, w);
	if (!line)
		return -ENOMEM;
	if (puts(line) == EOF) {
		free(line);
		return -errno;
	}
	free(line);
	return 0;
}

static int stream_ring(int ringbuf_fd, struct stream *s, struct kk_error *e)
{
	struct ring_buffer *rb;
	int err;

	rb = ring_buffer__new(ringbuf_fd, handle_record, s, NULL);
	if (!rb)
		return kk_error_set(e, -errno, "the event ring", "cannot map it: %s",
				    strerror(errno));
	kk_clock_sync(&s->clock);
	if (!s->follow) {
		err = ring_buffer__consume(rb);
	} else {
		do {
			err = ring_buffer__poll(rb, 500);
			fflush(stdout);
			kk_clock_sync(&s->clock); /* follow wall-clock steps (NTP) */
		} while (!stop && (err >= 0 || err == -EINTR));
		if (err == -EINTR)
			err = 0;
	}
	fflush(stdout);
	if (s->malformed)
		kk_err("events", "%lu malformed records skipped", s->malformed);
	ring_buffer__free(rb);
	if (err < 0)
		return kk_error_set(e, err, "the event ring", "reading it failed: %s",
				    strerror(-err));
	return 0;
}

/* A connection to the daemon, or -1 when none answers on the socket. */
static int daemon_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

static int stream_daemon(int fd, struct stream *s)
{
	cJSON *hello = cJSON_CreateObject();
	char *req = NULL, buf[65536];
	ssize_t n;
	int err = 0;

	if (hello && cJSON_AddBoolToObject(hello, "follow", s->follow) &&
	    cJSON_AddStringToObject(hello, "format", s->json ? "json" : "text") &&
	    (!s->agent || cJSON_AddStringToObject(hello, "agent", s->agent)) &&
	    (!s->type || cJSON_AddStringToObject(hello, "type", s->type)))
		req = cJSON_PrintUnformatted(hello);
	cJSON_Delete(hello);
	if (!req || dprintf(fd, "%s\n", req) < 0) {
		free(req);
		return -EIO;
	}
	free(req);
	while (!stop && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fwrite(buf, 1, n, stdout) != (size_t)n) {
			err = -errno;
			break;
		}
		fflush(stdout);
	}
	return err;
}

static int parse(int argc, char **argv, struct stream *s)
{
	struct kk_error e;
	int c, formats = 0;

	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			s->follow = true;
			break;
		case 'j':
		case 't':
			s->json = c == 'j';
			formats |= c == 'j' ? 1 : 2;
			break;
		case 'a':
			s->agent = optarg;
			break;
		case 'T':
			s->type = optarg;
			break;
		case 's':
			s->socket = optarg;
			s->socket_given = true;
			break;
		case 'r':
			s->from_ring = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return kk_bad_option_json("events", c, argv, s->json_errors);
		}
	}
	if (optind < argc)
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
	else if (formats == 3)
		kk_error_set(&e, -EINVAL, NULL, "--json and --text exclude each other");
	else if (s->from_ring && s->socket_given)
		kk_error_set(&e, -EINVAL, NULL, "--from-ring and --socket exclude each other");
	else
		return 0;
	return kk_usage_print("events", &e, s->json_errors);
}

/* The daemon's events; no daemon is an error naming both ways out (the maps checked first). */
static int from_daemon(struct stream *s, struct kk_error *e)
{
	struct kk_maps m;
	int fd, err;

	fd = daemon_connect(s->socket);
	if (fd < 0) {
		/* "not loaded" says more than "no daemon" when both are true. */
		err = kk_op_open(&m, false, e);
		if (err)
			return err;
		kk_maps_close(&m);
		return kk_error_set(e, -ECONNREFUSED, s->socket, "no daemon answers: start "
				    "`kakunin-bpf daemon`, or read the kernel's ring directly with "
				    "`kakunin-bpf events --from-ring`");
	}
	err = stream_daemon(fd, s);
	close(fd);
	if (err)
		return kk_error_set(e, err, s->socket, "reading from the daemon failed: %s",
				    strerror(-err));
	return 0;
}

/* The ring itself, as its one consumer (consumer.h). */
static int from_ring(struct stream *s, struct kk_error *e)
{
	char lock_path[PATH_MAX];
	struct kk_maps m;
	pid_t holder;
	int lock, err;

	err = kk_op_open(&m, false, e);
	if (err)
		return err;
	err = kk_consumer_lock(&lock, &holder, lock_path, sizeof(lock_path));
	if (err == -EWOULDBLOCK)
		err = -EBUSY;
	if (err == -EBUSY && holder)
		kk_error_set(e, err, "the event ring", "pid %d consumes it (it holds %s; the "
			     "daemon?): read its events without --from-ring", (int)holder,
			     lock_path);
	else if (err == -EBUSY)
		kk_error_set(e, err, "the event ring", "another process consumes it (it holds "
			     "%s): read the daemon's events without --from-ring", lock_path);
	else if (err)
		kk_error_set(e, err, lock_path, "%s", strerror(-err));
	if (!err) {
		s->m = &m;
		err = stream_ring(m.fd[KK_MAP_EVENTS], s, e);
		close(lock);
	}
	kk_maps_close(&m);
	return err;
}

int cmd_events(int argc, char **argv)
{
	struct stream s = { .json = !isatty(STDOUT_FILENO), .socket = KK_EVENTS_SOCKET };
	struct kk_error e;
	int rc, err;

	/* Errors are JSON when asked for by --json, not merely because stdout is a pipe. */
	s.json_errors = kk_argv_has(argc, argv, "--json");
	rc = parse(argc, argv, &s);
	if (rc)
		return rc < 0 ? KK_EXIT_OK : rc;
	/* No SA_RESTART: a blocking read must return on Ctrl-C. */
	sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	if (geteuid() != 0)
		err = kk_error_set(&e, -EPERM, NULL, "%s", KK_NEED_ROOT);
	else
		err = s.from_ring ? from_ring(&s, &e) : from_daemon(&s, &e);
	if (err) {
		fflush(stdout);
		kk_error_print("events", &e, s.json_errors);
		return KK_EXIT_FAIL;
	}
	return KK_EXIT_OK;
}
