// SPDX-License-Identifier: GPL-2.0-only
/*
 * audit_file — the audit log's files: verifying a sequence of them as one chain, resuming a
 * chain from the last line of a file, and rotation (see audit.h and docs/audit.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"

/* Longest message kk_audit_line_check writes (names are cut at 64 bytes). */
#define LINE_WHY 256

static int say(char *why, size_t wlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int say(char *why, size_t wlen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && wlen) {
		va_start(ap, fmt);
		vsnprintf(why, wlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Where the chain is while verifying: the last good line and the hash it ends with. */
struct vstate {
	char prev[KK_AUDIT_HASH_HEX + 1];
	const char *prev_path; /* NULL until a line has been verified */
	unsigned long long prev_line;
	uint64_t lines;
	bool allow_any_start;
	struct kk_audit_result *res; /* the anchor to look for, and where it was seen */
};

/* prev_hash of path:ln against the chain so far; the message says what the mismatch means. */
static int check_link(const struct vstate *st, const char *prev, const char *path,
		      unsigned long long ln, char *why, size_t wlen)
{
	if (!strcmp(prev, st->prev))
		return 0;
	if (!st->prev_path) {
		if (st->allow_any_start)
			return 0;
		return say(why, wlen, -EINVAL,
			   "%s:%llu: prev_hash of the first line is not 64 zeros: the chain does "
			   "not start here (an older file is missing or was rotated away)",
			   path, ln);
	}
	/* Verification stops at the first problem, so line ln - 1 of this file was good. */
	if (ln > 1)
		return say(why, wlen, -EINVAL,
			   "%s:%llu: prev_hash does not match line %llu's hash: a line was "
			   "deleted, inserted or reordered before it",
			   path, ln, ln - 1);
	return say(why, wlen, -EINVAL,
		   "%s:%llu: prev_hash does not match the hash of %s:%llu, the last line of the "
		   "previous file: a line or file was deleted, inserted or reordered before it",
		   path, ln, st->prev_path, st->prev_line);
}

/* One line read with its newline (n bytes, n > 0), checked and linked into the chain. */
static int verify_line(struct vstate *st, char *buf, size_t n, const char *path,
		       unsigned long long ln, char *why, size_t wlen)
{
	char hash[KK_AUDIT_HASH_HEX + 1], prev[KK_AUDIT_HASH_HEX + 1], msg[LINE_WHY];
	int err;

	if (buf[n - 1] != '\n')
		return say(why, wlen, -EINVAL,
			   "%s:%llu: no final newline: the last line is incomplete (a truncated "
			   "write)",
			   path, ln);
	buf[--n] = '\0';
	err = kk_audit_line_check(buf, n, hash, prev, msg, sizeof(msg));
	if (err)
		return say(why, wlen, err, "%s:%llu: %s", path, ln, msg);
	err = check_link(st, prev, path, ln, why, wlen);
	if (err)
		return err;
	memcpy(st->prev, hash, sizeof(hash));
	if (st->res->anchor[0] && !st->res->anchor_line && !strcmp(hash, st->res->anchor))
		st->res->anchor_line = st->lines + 1;
	st->prev_path = path;
	st->prev_line = ln;
	st->lines++;
	return 0;
}

static int verify_file(struct vstate *st, const char *path, char *why, size_t wlen)
{
	unsigned long long ln = 0;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		err = -errno;
		return say(why, wlen, err, "%s: cannot open: %s", path, strerror(-err));
	}
	while (!err && (n = getline(&buf, &cap, f)) > 0)
		err = verify_line(st, buf, (size_t)n, path, ++ln, why, wlen);
	if (!err && ferror(f)) {
		err = errno ? -errno : -EIO;
		say(why, wlen, err, "%s:%llu: cannot read: %s", path, ln + 1, strerror(-err));
	}
	free(buf);
	fclose(f);
	return err;
}

int kk_audit_verify_full(const char *const *paths, size_t n, bool allow_any_start,
			 struct kk_audit_result *res, char *why, size_t wlen)
{
	struct vstate st = { .allow_any_start = allow_any_start, .res = res };
	size_t i;
	int err = 0;

	res->lines = 0;
	res->anchor_line = 0;
	memset(st.prev, '0', KK_AUDIT_HASH_HEX);
	st.prev[KK_AUDIT_HASH_HEX] = '\0';
	if (!paths && n)
		err = say(why, wlen, -EINVAL, "no files");
	for (i = 0; !err && i < n; i++)
		err = verify_file(&st, paths[i], why, wlen);
	res->lines = st.lines;
	memcpy(res->last, st.prev, sizeof(res->last));
	/* Only an intact chain can vouch for its anchor: a problem is reported first. */
	if (!err && res->anchor[0] && !res->anchor_line)
		err = say(why, wlen, -ENOENT, "anchor %s: no line of the chain has this hash: "
			  "lines up to the anchored one were removed or rewritten", res->anchor);
	return err;
}

int kk_audit_verify(const char *const *paths, size_t n, bool allow_any_start, uint64_t *lines,
		    char *why, size_t wlen)
{
	struct kk_audit_result res = { 0 };
	int err = kk_audit_verify_full(paths, n, allow_any_start, &res, why, wlen);

	if (lines)
		*lines = res.lines;
	return err;
}

/* Read exactly n bytes at off; a file that shrank meanwhile is -EIO. */
static int pread_full(int fd, char *buf, size_t n, off_t off)
{
	ssize_t r;

	while (n) {
		r = pread(fd, buf, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		buf += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/*
 * The last line of a file of size bytes whose last byte is a newline, without it: read
 * backwards in windows that double until one holds the line, so a large log costs about its
 * last line. *out is malloc'd, NUL-terminated.
 */
static int read_last_line(int fd, off_t size, char **out, size_t *len)
{
	size_t win = 4096, n, i;
	char *buf;
	int err;

	for (;;) {
		n = (off_t)win < size ? win : (size_t)size;
		buf = malloc(n + 1);
		if (!buf)
			return -ENOMEM;
		err = pread_full(fd, buf, n, size - (off_t)n);
		if (err) {
			free(buf);
			return err;
		}
		for (i = n - 1; i > 0 && buf[i - 1] != '\n'; i--)
			;
		if (i > 0 || n == (size_t)size) {
			memmove(buf, buf + i, n - 1 - i);
			buf[n - 1 - i] = '\0';
			*out = buf;
			*len = n - 1 - i;
			return 0;
		}
		free(buf);
		win *= 2;
	}
}

/* The hash the last line of path ends with; see kk_audit_chain_resume. */
static int last_hash(int fd, const char *path, char *hash, char *why, size_t wlen)
{
	char *line = NULL, msg[LINE_WHY], c;
	struct stat sb;
	size_t len;
	int err;

	if (fstat(fd, &sb))
		return say(why, wlen, -errno, "%s: cannot stat: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return say(why, wlen, -EINVAL, "%s: not a regular file", path);
	if (!sb.st_size)
		return say(why, wlen, -ENODATA, "%s: empty file, no line to continue from", path);
	err = pread_full(fd, &c, 1, sb.st_size - 1);
	if (err)
		return say(why, wlen, err, "%s: cannot read: %s", path, strerror(-err));
	if (c != '\n')
		return say(why, wlen, -EINVAL,
			   "%s: last line: no final newline: the last line is incomplete (a "
			   "truncated write)",
			   path);
	err = read_last_line(fd, sb.st_size, &line, &len);
	if (err)
		return say(why, wlen, err, "%s: cannot read: %s", path, strerror(-err));
	err = kk_audit_line_check(line, len, hash, NULL, msg, sizeof(msg));
	if (err)
		say(why, wlen, err, "%s: last line: %s", path, msg);
	free(line);
	return err;
}

int kk_audit_chain_resume(struct kk_audit_chain *c, const char *path, char *why, size_t wlen)
{
	char hash[KK_AUDIT_HASH_HEX + 1];
	int fd, err;

	if (!c || !path)
		return say(why, wlen, -EINVAL, "no chain or no file");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return say(why, wlen, err, "%s: cannot open: %s", path, strerror(-err));
	}
	err = last_hash(fd, path, hash, why, wlen);
	close(fd);
	if (err)
		return err;
	memcpy(c->prev, hash, sizeof(hash));
	c->lines = 0;
	return 0;
}

/* fsync a file, or with dir the directory that holds it (so renames in it are durable). */
static int fsync_path(const char *path, bool dir)
{
	char d[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, err = 0;

	if (dir && !slash)
		path = ".";
	else if (dir && slash == path)
		path = "/";
	else if (dir && snprintf(d, sizeof(d), "%.*s", (int)(slash - path), path) > 0)
		path = d;
	fd = open(path, O_RDONLY | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int rotated_name(char *buf, const char *path, int i)
{
	int n = snprintf(buf, PATH_MAX, "%s.%d", path, i);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int kk_audit_rotate(const char *path, int keep)
{
	char from[PATH_MAX], to[PATH_MAX];
	int i, err;

	if (!path || !*path || keep < 1 || keep > 1000)
		return -EINVAL;
	err = rotated_name(to, path, keep);
	if (err)
		return err;
	/* Before anything is renamed, so that a missing log rotates nothing. */
	err = fsync_path(path, false);
	if (err)
		return err;
	if (unlink(to) && errno != ENOENT)
		return -errno;
	/* Oldest first, so that every rename goes to a name just freed: no file is overwritten. */
	for (i = keep - 1; i >= 1; i--) {
		if (rotated_name(from, path, i) || rotated_name(to, path, i + 1))
			return -ENAMETOOLONG;
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	if (rotated_name(to, path, 1))
		return -ENAMETOOLONG;
	if (rename(path, to))
		return -errno;
	return fsync_path(path, true);
}
