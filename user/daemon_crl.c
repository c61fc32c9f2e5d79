// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_crl — the daemon's CRL fetcher, on a thread of its own so that a slow CRL server never
 * holds up the event ring, a revoke or a bind. Its sources: the daemon's crl_urls, and (with
 * crl_from_certificates, the default) the http:// CRL Distribution Points of the bound
 * certificates, read from their copies in the state directory.
 *
 * Each source is fetched when due, without the maps lock, and verified as `revoke --crl` verifies
 * a file (signed by a CA of a bound certificate's CA bundle copy, or of KK_DEFAULT_CA when
 * nothing is bound; current). Only the import takes the lock: entries the revocation list does
 * not hold yet are revoked as `revoke --crl` revokes them (source crl; bound tasks stopped).
 * Next fetch: at the CRL's nextUpdate, clamped to [60 s, 24 h] (1 h without one); after a
 * failure in 60 s, with one error line per streak of failures.
 *
 * Fail-open: a CRL that cannot be fetched blocks nobody (what was imported stays); OCSP with
 * fail_open false is the fail-closed mechanism. A fetched CRL that does not verify is refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "error.h"
#include "identity.h"
#include "log.h"
#include "maps.h"
#include "op.h"
#include "revocation.h"
#include "state.h"
#include "daemon_watch.h"

#define CRL_RETRY_S 60
#define CRL_MIN_S 60
#define CRL_MAX_S 86400
#define CRL_NO_NEXT_S 3600
#define CRL_SOURCES 64	/* configured and distribution points together */
#define CRL_CDP_PER_CERT 2 /* distribution point URLs taken from one certificate */
#define CRL_CAS 16	/* distinct CA bundles a CRL is tried against */

struct crl_src {
	char url[KK_CRL_URL_MAX];
	time_t next;
	bool failing; /* the last attempt failed: its line was printed */
	bool seen;    /* named by a source this round */
};

/* The distribution points of the certificate of binding slot, generation gen. */
struct crl_cdp {
	uint32_t gen; /* 0: not read */
	size_t n;
	char urls[CRL_CDP_PER_CERT][KK_CRL_URL_MAX];
};

struct kk_crl_poller {
	const struct kk_daemon_cfg *cfg;
	struct kk_maps m;
	pthread_t thread;
	volatile bool stop;
	struct crl_src src[CRL_SOURCES];
	size_t n;
	struct crl_cdp *cdp; /* [KK_MAX_BINDINGS] */
	char cas[CRL_CAS][PATH_MAX];
	size_t n_cas;
};

static void add_source(struct kk_crl_poller *p, const char *url)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->src[i].url, url)) {
			p->src[i].seen = true;
			return;
		}
	if (p->n == CRL_SOURCES)
		return; /* more than fit: fetched when one of these goes away */
	memset(&p->src[p->n], 0, sizeof(p->src[p->n]));
	snprintf(p->src[p->n].url, sizeof(p->src[p->n].url), "%s", url);
	p->src[p->n++].seen = true;
}

static void add_ca(struct kk_crl_poller *p, const char *ca)
{
	size_t i;

	for (i = 0; i < p->n_cas; i++)
		if (!strcmp(p->cas[i], ca))
			return;
	if (p->n_cas < CRL_CAS)
		snprintf(p->cas[p->n_cas++], sizeof(p->cas[0]), "%s", ca);
}

/* Note binding r's CA bundle copy and, if asked, its certificate's distribution points. */
static int note_binding(struct kk_maps *m, const struct kk_binding_rec *r, void *ctx)
{
	struct kk_crl_poller *p = ctx;
	struct crl_cdp *c = &p->cdp[r->slot];
	struct kk_binding_meta meta;
	size_t i;

	(void)m;
	if (p->stop)
		return 1;
	if (r->slot >= KK_MAX_BINDINGS || kk_meta_load(r->slot, &meta) ||
	    meta.gen != r->binding.gen)
		return 0;
	add_ca(p, meta.ca[0] ? meta.ca : KK_DEFAULT_CA);
	if (!p->cfg->crl_from_certificates)
		return 0;
	if (c->gen != meta.gen) {
		/* A certificate without a readable CDP has none: read once per binding. */
		c->gen = meta.gen;
		if (kk_crl_cdp_urls(meta.cert, c->urls, CRL_CDP_PER_CERT, &c->n))
			c->n = 0;
	}
	for (i = 0; i < c->n; i++)
		add_source(p, c->urls[i]);
	return 0;
}

/* This round's sources and CA bundles; sources no longer named are dropped. */
static void gather(struct kk_crl_poller *p)
{
	size_t i, j;
	int k;

	for (i = 0; i < p->n; i++)
		p->src[i].seen = false;
	p->n_cas = 0;
	for (k = 0; k < p->cfg->n_crl_urls; k++)
		add_source(p, p->cfg->crl_urls[k]);
	kk_maps_each_binding(&p->m, note_binding, p);
	if (!p->n_cas && !access(KK_DEFAULT_CA, R_OK))
		add_ca(p, KK_DEFAULT_CA);
	for (i = j = 0; i < p->n; i++)
		if (p->src[i].seen)
			p->src[j++] = p->src[i];
	p->n = j;
}

/* Verify the CRL in buf against each CA bundle until one takes it; the last refusal in why. */
static int verify(struct kk_crl_poller *p, const struct crl_src *s, const unsigned char *buf,
		  size_t len, struct kk_revoked **v, size_t *n, int64_t *nu, char *why, size_t wlen)
{
	int err = -ENOENT;
	size_t i;

	for (i = 0; i < p->n_cas; i++) {
		err = kk_crl_load_mem(s->url, buf, len, p->cas[i], time(NULL), v, n, nu, why,
				      wlen);
		if (!err)
			break;
	}
	return err;
}

/* Revoke what the verified CRL lists that the list does not hold yet, under the lock. */
static void import(struct kk_crl_poller *p, const struct crl_src *s, const struct kk_revoked *v,
		   size_t n)
{
	struct kk_revoke_op_res res = { 0 };
	struct kk_error e;
	int err;

	if (kk_maps_lock_e(&p->m, &e)) {
		kk_error_print("daemon", &e, false);
		return;
	}
	err = kk_revoke_crl_entries(&p->m, v, n, KK_REVOKE_STOP, true, &res, &e);
	kk_maps_unlock(&p->m);
	if (res.imported)
		kk_info("kakunin-bpf: daemon: CRL %s: %zu new revocation%s: %d binding%s, %d "
			"task%s stopped", s->url, res.imported, res.imported == 1 ? "" : "s",
			res.bindings, res.bindings == 1 ? "" : "s", res.tasks,
			res.tasks == 1 ? "" : "s");
	if (err)
		kk_error_print("daemon", &e, false);
}

static void fetch_one(struct kk_crl_poller *p, struct crl_src *s)
{
	struct kk_revoked *v = NULL;
	unsigned char *buf = NULL;
	int64_t nu = 0, wait;
	size_t len = 0, n = 0;
	char why[1024];
	int err;

	err = kk_crl_fetch(s->url, p->cfg->ocsp_timeout_ms, &buf, &len, why, sizeof(why));
	if (!err)
		err = verify(p, s, buf, len, &v, &n, &nu, why, sizeof(why));
	free(buf);
	if (err) {
		if (!s->failing)
			kk_err("daemon", "%s", why);
		s->failing = true;
		s->next = time(NULL) + CRL_RETRY_S;
		return;
	}
	if (s->failing)
		kk_info("kakunin-bpf: daemon: CRL %s: fetched and verified again", s->url);
	s->failing = false;
	import(p, s, v, n);
	free(v);
	wait = nu ? nu - time(NULL) : CRL_NO_NEXT_S;
	s->next = time(NULL) + (wait < CRL_MIN_S ? CRL_MIN_S : wait > CRL_MAX_S ? CRL_MAX_S : wait);
}

static void *crl_thread(void *arg)
{
	struct kk_crl_poller *p = arg;
	size_t i;

	while (!p->stop) {
		gather(p);
		/* Nothing to verify against (nothing bound, no default CA): wait for a binding. */
		for (i = 0; i < p->n && p->n_cas && !p->stop; i++)
			if (time(NULL) >= p->src[i].next)
				fetch_one(p, &p->src[i]);
		sleep(1);
	}
	return NULL;
}

struct kk_crl_poller *kk_crl_poller_start(const struct kk_daemon_cfg *cfg)
{
	static struct kk_crl_poller p;
	struct kk_error e;

	if (!cfg->n_crl_urls && !cfg->crl_from_certificates)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.cdp = calloc(KK_MAX_BINDINGS, sizeof(*p.cdp));
	if (!p.cdp) {
		kk_err("daemon", "cannot start the CRL fetcher: out of memory");
		return NULL;
	}
	if (kk_maps_open_e(&p.m, &e)) {
		kk_error_print("daemon", &e, false);
		free(p.cdp);
		return NULL;
	}
	if (pthread_create(&p.thread, NULL, crl_thread, &p)) {
		kk_err("daemon", "cannot start the CRL fetcher: %s", strerror(errno));
		kk_maps_close(&p.m);
		free(p.cdp);
		return NULL;
	}
	return &p;
}

void kk_crl_poller_stop(struct kk_crl_poller *p)
{
	if (!p)
		return;
	p->stop = true;
	pthread_join(p->thread, NULL);
	kk_maps_close(&p->m);
	free(p->cdp);
}
