// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_events — `kakunin-bpf events [--follow] [--json|--text]`: read decision events straight
 * from the pinned ringbuf. Without --follow it prints what is waiting and exits; with it, it
 * streams until SIGINT/SIGTERM. The ring has one consumer position: events printed here are
 * consumed.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "events.h"
#include "log.h"
#include "maps.h"
#include "output.h"

static const char usage[] =
	"usage: kakunin-bpf events [--follow] [--json | --text]\n\n"
	"Print the kernel's decision events, one per line: JSON (the default when stdout is\n"
	"not a terminal) or text. Without --follow, print the waiting events and exit.\n";

static const struct option opts[] = {
	{ "follow", no_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ "text", no_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct stream {
	struct kk_maps *m;
	bool json;
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

/* The agent of an event, from its binding slot while that still holds the same binding. */
static const struct kk_who *resolve_who(struct kk_maps *m, const struct kk_event *ev,
					struct kk_binding *b, struct kk_ident *id,
					struct kk_who *who)
{
	if (kk_maps_binding_read(m, ev->binding, b) || b->gen != ev->gen || !b->in_use)
		return NULL;
	b->agent_id[sizeof(b->agent_id) - 1] = '\0';
	b->policy_version[sizeof(b->policy_version) - 1] = '\0';
	who->agent_id = b->agent_id;
	who->policy_version = b->policy_version;
	who->serial = NULL;
	if (!kk_maps_ident_read(m, b->ident, id)) {
		id->serial[sizeof(id->serial) - 1] = '\0';
		who->serial = id->serial;
	}
	return who;
}

static int handle_record(void *ctx, void *data, size_t size)
{
	struct stream *s = ctx;
	const struct kk_who *w;
	struct kk_binding b;
	struct kk_ident id;
	struct kk_event ev;
	struct kk_who who;
	char *line;

	if (kk_event_decode(data, size, &ev)) {
		s->malformed++;
		return 0;
	}
	s->seq++;
	w = resolve_who(s->m, &ev, &b, &id, &who);
	line = s->json ? kk_event_json(&ev, s->seq, &s->clock, w)
		       : kk_event_text(&ev, s->seq, &s->clock, w);
	if (!line)
		return -ENOMEM;
	if (puts(line) == EOF) {
		free(line);
		return -errno;
	}
	free(line);
	return 0;
}

static int stream_events(int ringbuf_fd, struct stream *s, bool follow)
{
	struct ring_buffer *rb;
	int err;

	rb = ring_buffer__new(ringbuf_fd, handle_record, s, NULL);
	if (!rb) {
		err = -errno;
		kk_err("events", "cannot map the event ring: %s", strerror(-err));
		return err;
	}
	kk_clock_sync(&s->clock);
	if (!follow) {
		err = ring_buffer__consume(rb);
	} else {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		do {
			err = ring_buffer__poll(rb, 500);
			fflush(stdout);
			kk_clock_sync(&s->clock); /* follow wall-clock steps (NTP) */
		} while (!stop && (err >= 0 || err == -EINTR));
		if (err == -EINTR)
			err = 0;
	}
	fflush(stdout);
	if (err < 0)
		kk_err("events", "reading the event ring failed: %s", strerror(-err));
	if (s->malformed)
		kk_err("events", "%lu malformed records skipped", s->malformed);
	ring_buffer__free(rb);
	return err < 0 ? err : 0;
}

int cmd_events(int argc, char **argv)
{
	struct stream s = { .json = !isatty(STDOUT_FILENO) };
	bool follow = false;
	struct kk_maps m;
	int c, err, formats = 0;

	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		case 'j':
		case 't':
			s.json = c == 'j';
			formats |= c == 'j' ? 1 : 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return KK_EXIT_OK;
		default:
			return kk_bad_option("events", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("events", "unexpected argument '%s'", argv[optind]);
	if (formats == 3)
		return kk_usage_error("events", "--json and --text exclude each other");
	if (kk_require_root("events"))
		return KK_EXIT_FAIL;
	if (kk_maps_open(&m))
		return KK_EXIT_FAIL;
	s.m = &m;
	err = stream_events(m.fd[KK_MAP_EVENTS], &s, follow);
	kk_maps_close(&m);
	return err ? KK_EXIT_FAIL : KK_EXIT_OK;
}
