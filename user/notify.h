/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * notify — the daemon's side of systemd's Type=notify (sd_notify(3), libsystemd): READY=1 once
 * it consumes the event ring, WATCHDOG=1 at half of WATCHDOG_USEC from its one-second tick,
 * STATUS= lines saying what it does, STOPPING=1 on its way out. Without NOTIFY_SOCKET (not
 * started by systemd) every call does nothing.
 */
#ifndef KK_NOTIFY_H
#define KK_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* READY=1 and STATUS=status. */
void kk_notify_ready(const char *status);
/* From the daemon's tick: WATCHDOG=1 when half the watchdog interval has passed. */
void kk_notify_tick(void);
/*
 * From the tick: STATUS= with the events written since the start and whether the audit file
 * is failing, when that changed and at most every 10 s (systemctl status shows it).
 */
void kk_notify_progress(uint64_t written, bool failing);
/* STOPPING=1. */
void kk_notify_stopping(void);

#endif
