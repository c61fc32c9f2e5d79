// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon — the consumer loop (see daemon.h): one epoll over the event ring, signals, a
 * one-second timer, and the events socket. Every record is resolved to its agent, sequenced,
 * chained into the audit file and offered to clients. A record that cannot be written is
 * counted with why (struct kk_lost), and an events.lost line reports it once writing works.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "bind.h"
#include "consumer.h"
#include "daemon.h"
#include "error.h"
#include "exitcodes.h"
#include "events.h"
#include "log.h"
#include "maps.h"
#include "metrics.h"
#include "notify.h"
#include "output.h"
#include "revoke.h"
#include "state.h"
#include "daemon_watch.h"
#include "who.h"

/* Identities seen per binding slot, so events read after an unbind still name their agent. */
struct who_cache {
	uint32_t gen;
	char agent[KK_AGENT_ID_SIZE], serial[KK_SERIAL_TEXT_SIZE], version[KK_POLICY_VERSION_SIZE];
};

struct daemon {
	const struct kk_daemon_cfg *cfg;
	struct kk_maps m;
	struct kk_sink sink;
	struct kk_clients *clients;
	struct kk_control *control; /* revocations on request (control.sock) */
	struct kk_clock clock;
	struct ring_buffer *rb;
	struct who_cache who[KK_MAX_BINDINGS];
	struct kk_watch *watch;
	struct kk_ocsp_poller *ocsp;
	struct kk_crl_poller *crl;
	struct kk_lost lost; /* records not written, not yet reported */
	struct kk_records rec; /* every record consumed: written or failed (saved for status) */
	struct kk_metrics_srv *metrics; /* NULL: no "metrics" in daemon.json */
	uint64_t seq, seq0, lost_seen;	/* seq0: the last seq written before we started */
	unsigned int batch; /* records taken since the loop last wrote */
	int epfd;
	bool stop;
	bool records_failing; /* saving rec failed: said once */
};

/*
 * At most this many records per ring_buffer__consume: libbpf's consume drains the ring until it
 * is empty, which under sustained load is never — the lines would pile up unwritten and the
 * timer (events.lost reports) would never run. The callback's error ends a consume early.
 */
#define KK_DAEMON_BATCH	 1024
#define KK_BATCH_FULL	 (-EAGAIN)

static void cache_store(struct daemon *d, uint32_t slot, uint32_t gen, const char *agent,
			const char *serial, const char *version)
{
	struct who_cache *w = &d->who[slot];

	w->gen = gen;
	snprintf(w->agent, sizeof(w->agent), "%s", agent ?: "");
	snprintf(w->serial, sizeof(w->serial), "%s", serial ?: "");
	snprintf(w->version, sizeof(w->version), "%s", version ?: "");
}

/* Who an event is about: from the cache, else from the binding or its retained record. */
static const struct kk_who *resolve(struct daemon *d, const struct kk_event *ev,
				    struct kk_who *who)
{
	struct kk_who_rec r;
	struct who_cache *w;

	if (ev->binding >= KK_MAX_BINDINGS || ev->type == KK_EV_EVENTS_LOST)
		return NULL;
	w = &d->who[ev->binding];
	if (w->gen != ev->gen || !w->agent[0]) {
		if (!kk_who_resolve(&d->m, ev->binding, ev->gen, &r, who))
			return NULL;
		cache_store(d, ev->binding, ev->gen, r.agent_id, r.serial, r.policy_version);
	}
	who->agent_id = w->agent;
	who->serial = w->serial[0] ? w->serial : NULL;
	who->policy_version = w->version[0] ? w->version : NULL;
	return who;
}

/* One event into the audit file and to the clients; false with *why when it was not kept. */
static bool publish(struct daemon *d, const struct kk_event *ev, struct kk_loss *why)
{
	const struct kk_who *w;
	const char *f[4];
	struct kk_who who;

	/* A loader-made agent event names its agent itself: remember it for what follows. */
	if (kk_event_agent_fields(ev, f) && ev->binding < KK_MAX_BINDINGS && *f[0])
		cache_store(d, ev->binding, ev->gen, f[0], f[1], f[2]);
	w = resolve(d, ev, &who);
	/* seq is taken only by a line that is kept, so the file's numbers have no gap. */
	if (!kk_sink_event(&d->sink, ev, d->seq + 1, &d->clock, w, why))
		return false;
	kk_clients_send(d->clients, ev, ++d->seq, &d->clock, w);
	return true;
}

/*
 * The in-kernel tripwire revoked an identity (agent.revoked, auto_revoke): stop the processes of
 * its bindings as `revoke` does, since some channels pass no hook (revoke.h), and say so.
 */
static void tripwire(struct daemon *d, const struct kk_event *ev)
{
	static bool idents[KK_MAX_IDENTS];
	struct kk_revoke_req r = { .tasks = KK_REVOKE_STOP };
	const struct kk_binding *b;
	struct kk_binding_rec rec;
	int n = 0, err;

	if (ev->type != KK_EV_AGENT_REVOKED || ev->reason != KK_REASON_AUTO_REVOKE ||
	    ev->binding >= KK_MAX_BINDINGS || kk_maps_binding_get(&d->m, ev->binding, &rec) ||
	    rec.binding.gen != ev->gen || rec.binding.ident >= KK_MAX_IDENTS)
		return;
	b = &rec.binding;
	memset(idents, 0, sizeof(idents));
	idents[b->ident] = true;
	snprintf(r.serial, sizeof(r.serial), "%s", rec.ident.serial);
	err = kk_revoke_tasks(&d->m, idents, &r, &n);
	if (err)
		kk_err("daemon", "auto_revoke of agent %s (binding %u): stopping its tasks: %s",
		       b->agent_id, ev->binding, strerror(-err));
	else
		kk_info("kakunin-bpf: daemon: auto_revoke of agent %s (binding %u, serial %s): %d "
			"task%s stopped", b->agent_id, ev->binding, r.serial, n, n == 1 ? "" : "s");
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct kk_loss why = { KK_LOST_DECODE, 0 };
	struct daemon *d = ctx;
	struct kk_event ev;
	bool ok = false;

	if (!kk_event_decode(data, size, &ev)) {
		tripwire(d, &ev); /* enforcement first, the line after */
		ok = publish(d, &ev, &why);
	}
	/* Each record is written or counted failed, once: consumed = written + failed. */
	d->rec.consumed++;
	if (ok) {
		d->rec.written++;
	} else {
		kk_lost_add(&d->lost, &why, 1);
		d->rec.failed[why.kind < KK_LOST_KINDS ? why.kind : KK_LOST_FORMAT]++;
	}
	return ++d->batch >= KK_DAEMON_BATCH ? KK_BATCH_FULL : 0;
}

/* The account of the records for `status` and the metrics (loss.h); once a second. */
static void save_records(struct daemon *d)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", kk_state_dir(), KK_RECORDS_FILE);
	d->rec.pid = getpid();
	err = kk_records_save(path, &d->rec);
	if (err && !d->records_failing)
		kk_err("daemon", "cannot save the record counts to %s: %s", path, strerror(-err));
	d->records_failing = err != 0;
}

/* Up to one batch of records; true when the ring may hold more. */
static bool consume_batch(struct daemon *d)
{
	d->batch = 0;
	return ring_buffer__consume(d->rb) == KK_BATCH_FULL;
}

/*
 * An events.lost line for every count not yet reported, while the file can be written; a
 * count whose line is not kept stays for the next try. A line says at most UINT32_MAX.
 */
static void report_lost(struct daemon *d)
{
	struct kk_loss why, refused;
	struct kk_event ev;
	char reason[160];
	unsigned int k, i;
	uint32_t n;

	for (k = 0; k < KK_LOST_KINDS; k++) {
		for (i = 0; i < KK_LOST_ERRS; i++) {
			if (d->sink.failing)
				return;
			while (d->lost.e[k][i].n) {
				why = (struct kk_loss){ k, d->lost.e[k][i].err };
				n = d->lost.e[k][i].n > UINT32_MAX ? UINT32_MAX
								   : (uint32_t)d->lost.e[k][i].n;
				if (kk_event_lost(&ev, n,
						  kk_lost_reason(&why, reason, sizeof(reason))) ||
				    !publish(d, &ev, &refused))
					return;
				d->lost.e[k][i].n -= n;
			}
		}
	}
}

/* At exit, counts no events.lost line could report: stderr is their only trace. */
static void unreported(struct daemon *d)
{
	struct kk_loss why;
	char reason[160];
	unsigned int k, i;

	for (k = 0; k < KK_LOST_KINDS; k++)
		for (i = 0; i < KK_LOST_ERRS; i++) {
			if (!d->lost.e[k][i].n)
				continue;
			why = (struct kk_loss){ k, d->lost.e[k][i].err };
			kk_err("daemon", "%llu events lost (%s), not reported in the audit file",
			       (unsigned long long)d->lost.e[k][i].n,
			       kk_lost_reason(&why, reason, sizeof(reason)));
		}
}

static void tick(struct daemon *d)
{
	static const struct kk_loss ring = { KK_LOST_RING, 0 };
	__u64 stats[KK_STAT_MAX] = { 0 };

	kk_clock_sync(&d->clock);
	if (!kk_maps_read_stats(&d->m, stats) && stats[KK_STAT_EVENTS_LOST] > d->lost_seen) {
		kk_lost_add(&d->lost, &ring, stats[KK_STAT_EVENTS_LOST] - d->lost_seen);
		d->lost_seen = stats[KK_STAT_EVENTS_LOST];
	}
	kk_sink_flush(&d->sink);
	report_lost(d);
	kk_sink_flush(&d->sink);
	kk_sink_tick(&d->sink);
	save_records(d);
	kk_watch_tick(d->watch, &d->m);
	/* What the reaps and revocations of this tick (and the OCSP thread's) noticed. */
	kk_warnings_flush("daemon");
	kk_metrics_srv_tick(d->metrics);
	kk_notify_tick();
	kk_notify_progress(d->seq - d->seq0, d->sink.failing);
}

/* One scrape of /metrics: the kernel's side as `status --format prometheus` has it, and ours. */
static int metrics_fill(struct kk_prom *p, void *ctx)
{
	static struct kk_metrics_daemon md;
	struct kk_status_req r = { .counters_only = true };
	struct daemon *d = ctx;
	struct kk_status st;
	struct kk_error e;

	if (kk_op_status(&r, &st, &e))
		return -EIO;
	md.written = d->seq - d->seq0;
	memcpy(md.lost, d->lost.total, sizeof(md.lost));
	kk_ocsp_poller_ages(d->ocsp, md.ocsp_age, md.ocsp_gen);
	kk_metrics_render(p, &st, &md);
	kk_status_free(&st);
	return 0;
}

static int handle_signal(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP) {
		kk_sink_reopen(&d->sink);
		return 0;
	}
	d->stop = true;
	return 0;
}

static int add_fd(int epfd, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

/* signalfd for TERM/INT/HUP, a 1 s timerfd; both added to epfd. */
static int setup_fds(struct daemon *d, int *sfd, int *tfd)
{
	struct itimerspec one = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reader that goes away must not end the daemon */
	*sfd = signalfd(-1, &set, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || d->epfd < 0 || timerfd_settime(*tfd, 0, &one, NULL) ||
	    add_fd(d->epfd, *sfd) || add_fd(d->epfd, *tfd) ||
	    add_fd(d->epfd, ring_buffer__epoll_fd(d->rb)) ||
	    (d->clients && add_fd(d->epfd, kk_clients_listen_fd(d->clients))))
		return -errno;
	return 0;
}

static void loop(struct daemon *d, int sfd, int tfd)
{
	struct epoll_event evs[16];
	int n, i, rfd = ring_buffer__epoll_fd(d->rb);

	while (!d->stop) {
		bool more = false;

		n = epoll_wait(d->epfd, evs, 16, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint64_t exp;

			if (fd == rfd)
				more = consume_batch(d);
			else if (fd == sfd)
				handle_signal(d, sfd);
			else if (fd == tfd && read(tfd, &exp, sizeof(exp)) > 0)
				tick(d);
			else if (fd == kk_clients_listen_fd(d->clients))
				kk_clients_accept(d->clients, d->epfd);
			else if (kk_metrics_srv_io(d->metrics, fd, evs[i].events))
				;
			else
				kk_clients_io(d->clients, fd, d->epfd);
		}
		/* Written when the ring is drained, else by the sink per MiB (daemon_sink.c has
		 * the sync policy); a ring that still holds records makes epoll_wait return at
		 * once. */
		if (!more)
			kk_sink_flush(&d->sink);
	}
}

/*
 * One consumer of the ring (consumer.h): held before the socket or the audit file is touched,
 * so a second daemon leaves both alone. The fd, or -1 once reported.
 */
static int take_lock(void)
{
	char path[PATH_MAX];
	pid_t holder;
	int fd, err;

	err = kk_consumer_lock(&fd, &holder, path, sizeof(path));
	if (err == -EWOULDBLOCK && holder)
		kk_err("daemon", "the event ring already has its consumer, pid %d (it holds %s): "
		       "one daemon per host", (int)holder, path);
	else if (err == -EWOULDBLOCK)
		kk_err("daemon", "the event ring already has its consumer (a process holds %s): "
		       "one daemon per host", path);
	else if (err)
		kk_err("daemon", "%s: %s", path, strerror(-err));
	return err ? -1 : fd;
}

int kk_daemon_run(const struct kk_daemon_cfg *cfg)
{
	static struct daemon d;
	__u64 stats[KK_STAT_MAX] = { 0 };
	int sfd = -1, tfd = -1, rc = KK_EXIT_FAIL, lock;
	struct kk_error e;

	lock = take_lock();
	if (lock < 0)
		return KK_EXIT_FAIL;
	d.cfg = cfg;
	/* A file size limit set on us (prlimit, or one inherited) makes a write fail with EFBIG,
	 * kept and retried like a full disk, instead of ending the daemon with SIGXFSZ. */
	signal(SIGXFSZ, SIG_IGN);
	if (kk_maps_open_e(&d.m, &e)) {
		kk_error_print("daemon", &e, false);
		close(lock);
		return KK_EXIT_FAIL;
	}
	if (kk_sink_open(&d.sink, cfg))
		goto out;
	d.seq = d.seq0 = d.sink.last_seq;
	/* Losses before we started were counted by whoever read then; report only new ones. */
	kk_maps_read_stats(&d.m, stats);
	d.lost_seen = stats[KK_STAT_EVENTS_LOST];
	kk_clock_sync(&d.clock);
	d.rb = ring_buffer__new(d.m.fd[KK_MAP_EVENTS], on_record, &d, NULL);
	if (!d.rb) {
		kk_err("daemon", "cannot map the event ring: %s", strerror(errno));
		goto out;
	}
	d.clients = kk_clients_open(cfg->socket_path);
	d.watch = kk_watch_new(cfg);
	if (setup_fds(&d, &sfd, &tfd)) {
		kk_err("daemon", "setting up the event loop failed: %s", strerror(errno));
		goto out;
	}
	if (cfg->metrics_listen[0] &&
	    !(d.metrics = kk_metrics_srv_open(cfg->metrics_listen, d.epfd, metrics_fill, &d)))
		goto out;
	/* After setup_fds: SIGPIPE ignored, signals blocked (inherited by its thread). */
	d.control = d.clients ? kk_control_start(cfg) : NULL;
	d.ocsp = kk_ocsp_poller_start(cfg);
	d.crl = kk_crl_poller_start(cfg);
	kk_info("kakunin-bpf: daemon writing %s, events on %s%s%s", cfg->audit_file,
		cfg->socket_path, d.metrics ? ", metrics on " : "", cfg->metrics_listen);
	/* Ready: the ring is consumed from here on (records queued meanwhile wait in it). */
	kk_notify_ready("consuming events");
	loop(&d, sfd, tfd);
	kk_notify_stopping();
	kk_control_stop(d.control);
	kk_crl_poller_stop(d.crl);
	kk_ocsp_poller_stop(d.ocsp);
	/* What is still in the ring goes to the file before we exit. */
	while (consume_batch(&d))
		kk_sink_flush(&d.sink);
	kk_sink_flush(&d.sink);
	report_lost(&d);
	unreported(&d);
	save_records(&d);
	rc = KK_EXIT_OK;
out:
	kk_sink_close(&d.sink);
	kk_clients_close(d.clients);
	kk_metrics_srv_close(d.metrics);
	kk_watch_free(d.watch);
	ring_buffer__free(d.rb);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (d.epfd > 0)
		close(d.epfd);
	kk_maps_close(&d.m);
	close(lock);
	return rc;
}
