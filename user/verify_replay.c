// SPDX-License-Identifier: GPL-2.0-only
/*
 * verify_replay — the jti replay file of `verify --replay-db`: one "jti expiry" line per
 * accepted signature, expiry in Unix seconds (iat + max_age + skew: after that, the freshness
 * check refuses the JWS anyway, so the line can go). flock(2) serializes verifiers sharing the
 * file from reading it to replacing it; a malformed file is refused rather than treated as
 * empty (fail closed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "verify_int.h"

/* The largest replay file read: about 6 million entries, a very busy minute. */
#define REPLAY_MAX (256u << 20)

static int read_all(int fd, char **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *b;

	if (fstat(fd, &st))
		return -errno;
	if ((size_t)st.st_size > REPLAY_MAX)
		return -EFBIG;
	b = malloc(st.st_size + 1);
	if (!b)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		n = pread(fd, b + got, st.st_size - got, got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			return n ? -errno : -EIO;
		}
		got += n;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

/* "jti expiry": jti of 1..64 characters without blanks, expiry a decimal. */
static int parse_line(const char *l, size_t n, char jti[65], int64_t *exp)
{
	char tmp[128];
	int used = 0;

	if (n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, l, n);
	tmp[n] = '\0';
	if (sscanf(tmp, "%64s %" SCNd64 "%n", jti, exp, &used) != 2 || (size_t)used != n)
		return -EINVAL;
	return 0;
}

/* Keep the unexpired lines of buf in r->keep; -EALREADY when one is jti. */
static int scan(struct kk_replay *r, const char *path, char *buf, size_t len, const char *jti,
		int64_t now, struct kk_error *e)
{
	size_t i = 0, n, line = 0;
	char seen[65];
	int64_t exp;

	r->keep = malloc(len + 1);
	if (!r->keep)
		return kk_error_set(e, -ENOMEM, "replay file", "out of memory");
	while (i < len) {
		n = strcspn(buf + i, "\n");
		line++;
		if (parse_line(buf + i, n, seen, &exp))
			return kk_error_set(e, -EINVAL, path,
					    "line %zu malformed (not \"jti expiry\")", line);
		if (!strcmp(seen, jti) && exp > now)
			return kk_error_set(e, -EALREADY, "jti", "%s already seen (replay)", jti);
		if (exp > now) {
			memcpy(r->keep + r->keep_len, buf + i, n);
			r->keep_len += n;
			r->keep[r->keep_len++] = '\n';
		}
		i += n + (i + n < len);
	}
	return 0;
}

/*
 * Open path and take its lock. A committer replaces the file by rename, so the lock may have
 * been won on a file no longer at path: then try again on the one that is.
 */
static int open_locked(const char *path, int *fdp, struct kk_error *e)
{
	struct stat a, b;
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return kk_error_set(e, -errno, path, "cannot open: %s", strerror(errno));
		if (flock(fd, LOCK_EX) || fstat(fd, &a)) {
			kk_error_set(e, -errno, path, "cannot lock: %s", strerror(errno));
			close(fd);
			return e->code;
		}
		if (!stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*fdp = fd;
			return 0;
		}
		close(fd);
	}
	return kk_error_set(e, -EAGAIN, path, "replaced too often while waiting for its lock");
}

int kk_verify_replay_check(struct kk_replay *r, const char *path, const char *jti, int64_t now,
			   struct kk_error *e)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->path = strdup(path);
	if (!r->path)
		return kk_error_set(e, -ENOMEM, path, "out of memory");
	err = open_locked(path, &r->fd, e);
	if (err)
		goto fail;
	err = read_all(r->fd, &buf, &len);
	if (err) {
		kk_error_set(e, err, path, "cannot read: %s", strerror(-err));
		goto fail;
	}
	err = scan(r, path, buf, len, jti, now, e);
	free(buf);
	if (!err)
		return 0;
fail:
	kk_verify_replay_close(r, NULL, 0, false, NULL);
	return err;
}

static int write_all(int fd, const char *b, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= w;
	}
	return 0;
}

/*
 * The kept entries and the new one into a new file renamed over the old: a crash leaves the
 * old file or the new one whole, never an emptied one (which would reopen the replay window).
 */
static int commit(struct kk_replay *r, const char *jti, int64_t expiry)
{
	char line[128], *tmp = NULL;
	int fd, err = 0, n;

	n = snprintf(line, sizeof(line), "%s %" PRId64 "\n", jti, expiry);
	if (asprintf(&tmp, "%s.XXXXXX", r->path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	err = write_all(fd, r->keep ? r->keep : "", r->keep_len);
	if (!err)
		err = write_all(fd, line, n);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, r->path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

int kk_verify_replay_close(struct kk_replay *r, const char *jti, int64_t expiry, bool commit_,
			   struct kk_error *e)
{
	int err = 0;

	if (commit_ && r->fd >= 0) {
		err = commit(r, jti, expiry);
		if (err)
			kk_error_set(e, err, r->path, "cannot record jti: %s", strerror(-err));
	}
	if (r->fd >= 0)
		close(r->fd); /* drops the flock: waiters find the renamed file and retry */
	free(r->keep);
	free(r->path);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	return err;
}
