/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * watch — what the daemon does on its one-second tick besides the audit file: end bindings
 * whose tasks are gone, record tripwire revocations, keep the kernel's clock offset current,
 * revoke at the end of rotation grace periods, re-resolve hostnames, block identities whose
 * certificate expired (daemon_expiry.c); the OCSP poller and the CRL fetcher.
 */
#ifndef KK_DAEMON_WATCH_H
#define KK_DAEMON_WATCH_H

#include <stdint.h>
#include <time.h>

struct kk_daemon_cfg;
struct kk_maps;
struct kk_watch;

struct kk_watch *kk_watch_new(const struct kk_daemon_cfg *cfg);
void kk_watch_tick(struct kk_watch *w, struct kk_maps *m);
void kk_watch_free(struct kk_watch *w);
/* Bindings made with --watch get their policy file's new policy (daemon_policy.c); locked. */
void kk_watch_policies(struct kk_maps *m);

/* Certificate expiry (daemon_expiry.c): warn_s is expiry_warning_seconds (0: no warning). */
struct kk_expiry;
struct kk_expiry *kk_expiry_new(int64_t warn_s);
/* Under the maps lock. */
void kk_expiry_check(struct kk_expiry *x, struct kk_maps *m, time_t now);
void kk_expiry_free(struct kk_expiry *x);

/* The OCSP poller thread (daemon_ocsp.c); NULL when it cannot start (reported). */
struct kk_ocsp_poller;
struct kk_ocsp_poller *kk_ocsp_poller_start(const struct kk_daemon_cfg *cfg);
void kk_ocsp_poller_stop(struct kk_ocsp_poller *p);
/*
 * For the metrics: per binding slot, seconds since the last good answer (since the bind before
 * the first) and the binding generation it is about; age -1 for slots not polled. p may be NULL.
 */
void kk_ocsp_poller_ages(struct kk_ocsp_poller *p, int64_t age[], uint32_t gen[]);

/*
 * The CRL fetcher thread (daemon_crl.c): crl_urls and the bound certificates' distribution
 * points, fetched at each CRL's nextUpdate and imported like `revoke --crl`. NULL when there is
 * nothing to fetch (no crl_urls, crl_from_certificates false) or it cannot start (reported).
 */
struct kk_crl_poller;
struct kk_crl_poller *kk_crl_poller_start(const struct kk_daemon_cfg *cfg);
void kk_crl_poller_stop(struct kk_crl_poller *p);

#endif
