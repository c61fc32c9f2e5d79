/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * consumer — the event ring has one reader position, so it has one consumer: the daemon, or
 * `events --from-ring` when no daemon runs. Whoever consumes holds an exclusive flock on
 * <state dir>/consumer.lock (see state.h) for as long as it runs, and writes its pid there so a
 * second one can name it. The lock is taken before the daemon touches its socket or its audit
 * file, so a second daemon can neither unlink the first one's socket nor append to its chain.
 * The kernel drops the lock with the process, however it ends: nothing stale to clean up.
 */
#ifndef KK_CONSUMER_H
#define KK_CONSUMER_H

#include <stddef.h>
#include <sys/types.h>

#define KK_CONSUMER_LOCK "consumer.lock"

/*
 * Become the consumer: 0 and *fd, the lock (keep it open; it is close-on-exec). -EWOULDBLOCK
 * when another process holds it, *holder its pid (0 when it has not written it yet); other
 * -errno when the file cannot be made. path[] names the lock file in every case.
 */
int kk_consumer_lock(int *fd, pid_t *holder, char *path, size_t plen);

#endif
