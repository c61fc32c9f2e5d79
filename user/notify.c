// SPDX-License-Identifier: GPL-2.0-only
/* notify — READY, WATCHDOG, STATUS and STOPPING to systemd (see notify.h). */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <systemd/sd-daemon.h>

#include "notify.h"

static uint64_t watchdog_usec, last_ping;

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void kk_notify_ready(const char *status)
{
	/* 0 unset: no watchdog wanted (or not for us: WATCHDOG_PID names another process). */
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;
	last_ping = now_usec();
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void kk_notify_tick(void)
{
	uint64_t now;

	if (!watchdog_usec)
		return;
	/*
	 * The tick comes once a second from the same loop that consumes the ring, so a ping
	 * proves the loop turns; half the interval leaves room for one late tick.
	 */
	now = now_usec();
	if (now - last_ping >= watchdog_usec / 2) {
		sd_notify(0, "WATCHDOG=1");
		last_ping = now;
	}
}

void kk_notify_progress(uint64_t written, bool failing)
{
	static uint64_t last_written, last_at;
	static bool last_failing;
	uint64_t now = now_usec();

	if ((written == last_written && failing == last_failing) || now - last_at < 10000000)
		return;
	sd_notifyf(0, "STATUS=consuming events: %llu written%s", (unsigned long long)written,
		   failing ? "; the audit file cannot be written, events kept in memory" : "");
	last_written = written;
	last_failing = failing;
	last_at = now;
}

void kk_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: flushing the audit file");
}
