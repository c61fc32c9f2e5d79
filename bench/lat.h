/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lat.h — what the bench drivers (kk-bench, kk-floor, kk-revlat, kk-signlat, kk-egresslat)
 * share: a monotonic clock in nanoseconds and in microseconds, the comparison that sorts samples
 * for their percentiles, and the CPUs that keep a reader apart from the writers it times (kk-revlat
 * host). Includers define _GNU_SOURCE (sched_getaffinity, the CPU_* macros).
 */
#ifndef KK_BENCH_LAT_H
#define KK_BENCH_LAT_H

#include <sched.h>
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

/*
 * A reader that yields while it polls for a write must not share a CPU with the writer, which
 * keeps the CPU for the rest of its work: the write is seen up to a scheduler slice late
 * (milliseconds: bench/results/revlat-host.md). In the VM, the kernel trial's spinner never
 * yields, and keeping it apart changed nothing (the same file). The CPUs this process may use,
 * split: the first into *reader, the others into *writers. 0, or -1 with fewer than two
 * (nothing to keep apart) or when they cannot be read.
 */
static inline int cpus_apart(cpu_set_t *reader, cpu_set_t *writers)
{
	int cpu;

	if (sched_getaffinity(0, sizeof(*writers), writers) || CPU_COUNT(writers) < 2)
		return -1;
	for (cpu = 0; !CPU_ISSET(cpu, writers); cpu++)
		;
	CPU_ZERO(reader);
	CPU_SET(cpu, reader);
	CPU_CLR(cpu, writers);
	return 0;
}

#endif
