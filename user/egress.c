// SPDX-License-Identifier: GPL-2.0-only
/*
 * egress — the egress's listeners and loop (egress.h). Accepting is deciding: the kernel's
 * record on the accepted socket names the connecting task's binding (kk_maps_peer), and the
 * signer's caller checks (kk_signer_check_caller: certificate, identity state, allowed_hours,
 * OCSP) must pass for the listener's own agent before a byte goes upstream. The same checks,
 * without the network round trip of OCSP, run on every live connection every
 * KK_EGRESS_RECHECK_MS: a revoked, blocked or expired identity, or a binding that ended, cuts
 * the connection. Each connection is one audit event through the kernel's event ring, as the
 * signer's are: action.refused (reason, why) or, at its end, action.connected (upstream, bytes
 * both ways, duration, how it ended).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/ssl.h>

#include "actions.h"
#include "error.h"
#include "events.h"
#include "exitcodes.h"
#include "log.h"
#include "maps.h"
#include "notify.h"
#include "policy.h"
#include "egress.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void kk_egress_listen_str(const struct kk_egress_rule *r, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (r->listen_v4) {
		inet_ntop(AF_INET, r->listen_addr + 12, a, sizeof(a));
		snprintf(out, len, "%s:%u", a, r->listen_port);
	} else {
		inet_ntop(AF_INET6, r->listen_addr, a, sizeof(a));
		snprintf(out, len, "[%s]:%u", a, r->listen_port);
	}
}

char *kk_egress_details(const struct kk_egress_conn *c, int ref, const char *why,
			const char *end, int64_t now_ms)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "upstream", c->l->rule->upstream);
	cJSON_AddStringToObject(o, "listen", c->l->listen);
	if (ref != KK_REF_NONE) {
		cJSON_AddStringToObject(o, "reason", kk_refusal_name(ref));
		cJSON_AddStringToObject(o, "why", why);
	} else {
		cJSON_AddNumberToObject(o, "bytes_up", (double)c->up);
		cJSON_AddNumberToObject(o, "bytes_down", (double)c->down);
		cJSON_AddStringToObject(o, "end", end);
		if (why && *why)
			cJSON_AddStringToObject(o, "why", why);
	}
	cJSON_AddNumberToObject(o, "duration_ms", (double)(now_ms - c->start_ms));
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* action.refused (ref) or action.connected (KK_REF_NONE) for c. */
static void audit(const struct kk_egress_conn *c, int ref, const char *why, const char *end)
{
	const struct kk_sign_req *r = &c->req;
	__u32 type = ref == KK_REF_NONE ? KK_EV_ACTION_CONNECTED : KK_EV_ACTION_REFUSED;
	char *d = kk_egress_details(c, ref, why, end, kk_egress_now_ms());
	struct kk_event ev;
	int err = -ENOMEM;

	if (d)
		err = kk_event_agent(&ev, type, r->bound ? r->slot : KK_MAX_BINDINGS, r->gen,
				     (__u32)r->pid, r->bound ? r->rec.binding.agent_id : NULL,
				     r->bound ? r->rec.ident.serial : NULL,
				     r->bound ? r->rec.binding.policy_version : NULL, d);
	free(d);
	if (!err)
		err = kk_maps_emit(&ev);
	if (err)
		kk_err("egress", "cannot emit %s: %s", kk_event_type_name(type), strerror(-err));
}

/*
 * May this connection's caller use it? Its binding must carry the listener's agent's
 * certificate; then the signer's caller checks (revocation: also ask OCSP when due).
 */
static int check(struct kk_egress *g, struct kk_egress_conn *c, bool revocation, char *why,
		 size_t wlen)
{
	struct kk_sign_req r = { .fd = c->cfd, .pid = c->req.pid };
	int ref = kk_signer_attest(&g->s, &r, why, wlen);

	if (ref == KK_REF_NONE && r.agent != c->l->agent) {
		snprintf(why, wlen, "bound as agent %s (certificate serial %s); this listener is "
			 "agent %s's", r.rec.binding.agent_id, r.rec.ident.serial,
			 c->l->agent->policy->agent_id);
		ref = KK_REF_OTHER_AGENT;
	}
	if (ref == KK_REF_NONE)
		ref = kk_signer_check_caller(&g->s, &r, revocation, why, wlen);
	if (ref == KK_REF_NONE || !c->req.bound)
		c->req = r; /* the first answer, or the newest good one, names the caller */
	return ref;
}

static void conn_end(struct kk_egress *g, int i, int ref, const char *why, const char *end)
{
	struct kk_egress_conn *c = g->conns[i];

	if (ref == KK_REF_NONE)
		kk_info("kakunin-bpf: egress: %s -> %s ended (%s): %llu bytes up, %llu down",
			c->l->listen, c->l->rule->upstream, end, (unsigned long long)c->up,
			(unsigned long long)c->down);
	audit(c, ref, why, end);
	kk_egress_conn_free(c);
	g->conns[i] = g->conns[--g->n_conns];
}

static void accept_one(struct kk_egress *g, struct kk_egress_listener *l)
{
	const struct kk_signer_cfg *cfg = g->s.cfg;
	struct kk_egress_conn *c;
	char why[512] = "";
	int fd, ref;

	fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->l = l;
	c->cfd = fd;
	c->ufd = -1;
	c->start_ms = c->io_ms = kk_egress_now_ms();
	c->deadline_ms = c->start_ms + cfg->egress_handshake_ms;
	g->conns[g->n_conns++] = c;
	/* The caller first: nothing is resolved or connected for an unattested one. */
	ref = check(g, c, true, why, sizeof(why));
	if (ref == KK_REF_NONE && g->n_conns > cfg->egress_connections) {
		snprintf(why, sizeof(why), "%d connections relayed already (egress_max_connections)",
			 cfg->egress_connections);
		ref = KK_REF_BUSY;
	}
	if (ref == KK_REF_NONE)
		ref = kk_egress_conn_start(c, why, sizeof(why));
	if (ref != KK_REF_NONE)
		conn_end(g, g->n_conns - 1, ref, why, NULL);
}

/* Every live connection's caller again; a failing one is cut. Also the idle timeout. */
static void recheck(struct kk_egress *g)
{
	int64_t idle = (int64_t)g->s.cfg->egress_idle_s * 1000, now = kk_egress_now_ms();
	char why[512];
	int i, ref;

	for (i = g->n_conns - 1; i >= 0; i--) {
		if (g->conns[i]->st == KK_EG_RELAY && now - g->conns[i]->io_ms >= idle) {
			conn_end(g, i, KK_REF_NONE, "", "idle_timeout");
			continue;
		}
		ref = check(g, g->conns[i], false, why, sizeof(why));
		if (ref == KK_REF_NONE)
			continue;
		if (g->conns[i]->st == KK_EG_RELAY)
			conn_end(g, i, KK_REF_NONE, why, kk_refusal_name(ref));
		else
			conn_end(g, i, ref, why, NULL);
	}
}

/* Pump connection i; end it when it is done. */
static void pump(struct kk_egress *g, int i, int64_t now)
{
	struct kk_egress_conn *c = g->conns[i];
	const char *end = NULL;
	char why[512] = "";
	int rc = kk_egress_conn_pump(c, now, &end, why, sizeof(why));

	if (rc == -1)
		conn_end(g, i, KK_REF_NONE, "", end);
	else if (rc)
		conn_end(g, i, rc, why, NULL);
}

/* The listening socket for l's rule: loopback only (the policy allows nothing else). */
static int listen_on(struct kk_egress_listener *l, struct kk_error *e)
{
	const struct kk_egress_rule *r = l->rule;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(r->listen_port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(r->listen_port) };
	int one = 1, fd, err;

	memcpy(&s4.sin_addr, r->listen_addr + 12, 4);
	memcpy(&s6.sin6_addr, r->listen_addr, 16);
	fd = socket(r->listen_v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return kk_error_set(e, -errno, l->listen, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!r->listen_v4)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((r->listen_v4 ? bind(fd, (struct sockaddr *)&s4, sizeof(s4))
			  : bind(fd, (struct sockaddr *)&s6, sizeof(s6))) ||
	    listen(fd, 128)) {
		err = -errno;
		close(fd);
		return kk_error_set(e, err, l->listen, "cannot listen (for %s): %s", r->upstream,
				    strerror(-err));
	}
	l->fd = fd;
	return 0;
}

/* A listener per egress rule of every agent, each with its TLS context. */
static int setup(struct kk_egress *g, struct kk_error *e)
{
	struct kk_signer_agent *a;
	struct kk_egress_listener *l;
	int i, err;
	size_t j;

	for (i = 0; i < g->s.n_agents; i++) {
		a = &g->s.agents[i];
		for (j = 0; j < a->policy->n_egress; j++) {
			if (g->n_l == KK_EGRESS_LISTENERS)
				return kk_error_set(e, -E2BIG, a->cfg->policy, "more than %d egress "
						    "rules over all agents", KK_EGRESS_LISTENERS);
			l = &g->l[g->n_l++];
			l->agent = a;
			l->rule = &a->policy->egress[j];
			l->fd = -1;
			kk_egress_listen_str(l->rule, l->listen, sizeof(l->listen));
			err = kk_egress_tls_ctx(l, e);
			if (!err)
				err = listen_on(l, e);
			if (err)
				return err;
		}
	}
	if (!g->n_l)
		return kk_error_set(e, -ENOENT, NULL, "no agent's policy has an \"egress\" "
				    "section: nothing to relay");
	return 0;
}

/* One poll over the listeners and every connection's two sockets, then their work. */
static void step(struct kk_egress *g, struct pollfd *p, int timeout)
{
	int n = 0, i, k, np;
	int64_t now;
	short cev, uev;

	for (i = 0; i < g->n_l; i++)
		p[n++] = (struct pollfd){ .fd = g->l[i].fd, .events = POLLIN };
	for (i = 0; i < g->n_conns; i++) {
		kk_egress_conn_events(g->conns[i], &cev, &uev);
		if (g->conns[i]->again)
			timeout = 0;
		/* Nothing awaited from a socket: not polled (a hung-up one would wake us for ever). */
		p[n++] = (struct pollfd){ .fd = cev ? g->conns[i]->cfd : -1, .events = cev };
		p[n++] = (struct pollfd){ .fd = uev ? g->conns[i]->ufd : -1, .events = uev };
	}
	np = g->n_conns;
	if (poll(p, (nfds_t)n, timeout) < 0)
		return;
	now = kk_egress_now_ms();
	/* Connections first (backwards: an ended one is replaced by the last), then accepts. */
	for (i = np - 1; i >= 0; i--) {
		k = g->n_l + 2 * i;
		if (p[k].revents || p[k + 1].revents || g->conns[i]->again ||
		    (g->conns[i]->st != KK_EG_RELAY && now >= g->conns[i]->deadline_ms))
			pump(g, i, now);
	}
	for (i = 0; i < g->n_l; i++)
		if (p[i].revents & POLLIN)
			accept_one(g, &g->l[i]);
}

static int serve(struct kk_egress *g)
{
	int max = g->s.cfg->egress_connections + 1;
	struct pollfd *p = calloc((size_t)(g->n_l + 2 * max), sizeof(*p));
	int64_t next = 0, now;
	char status[160];

	g->conns = calloc((size_t)max, sizeof(*g->conns));
	if (!p || !g->conns) {
		free(p);
		return KK_EXIT_FAIL;
	}
	snprintf(status, sizeof(status), "relaying %d upstream%s for %d agent%s", g->n_l,
		 g->n_l == 1 ? "" : "s", g->s.n_agents, g->s.n_agents == 1 ? "" : "s");
	kk_notify_ready(status);
	kk_info("kakunin-bpf: egress: %s", status);
	while (!stop) {
		now = kk_egress_now_ms();
		if (now >= next) {
			recheck(g);
			next = now + KK_EGRESS_RECHECK_MS;
		}
		step(g, p, (int)(next - now));
	}
	kk_notify_stopping();
	while (g->n_conns)
		conn_end(g, g->n_conns - 1, KK_REF_NONE, "", "shutdown");
	free(p);
	return KK_EXIT_OK;
}

int kk_egress_run(const struct kk_signer_cfg *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct kk_error e = { 0 };
	struct kk_egress *g = calloc(1, sizeof(*g));
	int rc = KK_EXIT_FAIL, i;

	if (!g)
		return KK_EXIT_FAIL;
	pthread_mutex_init(&g->s.revoke_lock, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < KK_MAP_COUNT; i++)
		g->s.maps.fd[i] = -1;
	g->s.maps.lock_fd = -1;
	if (kk_signer_load(&g->s, c, &e) || setup(g, &e) || kk_maps_open_e(&g->s.maps, &e))
		kk_error_print("egress", &e, false);
	else
		rc = serve(g);
	for (i = 0; i < g->n_l; i++) {
		if (g->l[i].fd >= 0)
			close(g->l[i].fd);
		SSL_CTX_free(g->l[i].ctx);
	}
	kk_signer_unload(&g->s);
	kk_maps_close(&g->s.maps);
	free(g->conns);
	free(g);
	return rc;
}
