/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lat.h — what the bench drivers (kk-bench, kk-floor, kk-signlat, kk-egresslat) share: a
 * monotonic clock in nanoseconds and in microseconds, and the comparison that sorts samples for
 * their percentiles.
 */
#ifndef KK_BENCH_LAT_H
#define KK_BENCH_LAT_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* qsort() of doubles, ascending. */
static inline int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#endif
