// SPDX-License-Identifier: GPL-2.0-only
/* consumer — the one consumer of the event ring, by a lock file (see consumer.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consumer.h"
#include "state.h"

/* The pid the holder wrote; 0 when it cannot be read (written between its flock and now). */
static pid_t read_holder(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

int kk_consumer_lock(int *fd, pid_t *holder, char *path, size_t plen)
{
	char pid[24];
	int n, err;

	*fd = -1;
	*holder = 0;
	snprintf(path, plen, "%s/%s", kk_state_dir(), KK_CONSUMER_LOCK);
	if (mkdir(kk_state_dir(), 0700) && errno != EEXIST)
		return -errno;
	n = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (n < 0)
		return -errno;
	if (flock(n, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		if (err == -EWOULDBLOCK)
			*holder = read_holder(n);
		close(n);
		return err;
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	/* The pid only serves a second consumer's message: failing to write it is no failure. */
	if (!ftruncate(n, 0))
		(void)!pwrite(n, pid, strlen(pid), 0);
	*fd = n;
	return 0;
}
