// SPDX-License-Identifier: GPL-2.0-only
/*
 * daemon_sink — the audit file: hash-chained JSON lines, mode 0600, size-based rotation that
 * keeps the chain across files, syslog copy.
 *
 * Flush and sync policy (docs/audit.md): lines are made in place in the queue and written with
 * one write(2) per KK_SINK_CHUNK (1 MiB) of lines, and whenever the event ring is drained, so
 * a crash loses at most the MiB being written; written lines are fdatasync'ed once a second, and
 * fsync'ed on rotation and shutdown. A failing write (disk full, file size limit, directory
 * gone) is reported once, its lines are kept (up to max_unwritten_bytes) and retried every
 * batch; past the bound new lines are refused, not chained, and the daemon counts them for an
 * events.lost line when writing works again. SIGXFSZ is ignored (daemon.c): a file size limit
 * set on the daemon is one more failing write, EFBIG.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "daemon.h"
#include "events.h"
#include "log.h"

static int mkdir_parent(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* The "seq" of the file's last line, to go on counting from it (0 when unknown). */
static uint64_t last_seq(const char *path)
{
	char buf[65536], *line;
	cJSON *o, *seq;
	uint64_t v = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;

	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1, end > (off_t)sizeof(buf) - 1 ?
						    end - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n <= 1)
		return 0;
	buf[n - 1] = '\0'; /* drop the final newline */
	line = strrchr(buf, '\n');
	o = cJSON_Parse(line ? line + 1 : buf);
	seq = cJSON_GetObjectItem(o, "seq");
	if (cJSON_IsNumber(seq))
		v = (uint64_t)seq->valuedouble;
	cJSON_Delete(o);
	return v;
}

/* Open (create) the file; -errno, which the caller reports. */
static int open_file(struct kk_sink *s)
{
	struct stat st;
	int err = mkdir_parent(s->cfg->audit_file);

	if (!err) {
		s->fd = open(s->cfg->audit_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (s->fd < 0)
			err = -errno;
	}
	if (err)
		return err;
	s->size = fstat(s->fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

/* The file cannot be written (or opened): said once until it works again. */
static void write_failed(struct kk_sink *s, int err)
{
	if (!s->failing)
		kk_err("daemon", "writing the audit file %s failed: %s (keeping the events in "
		       "memory, retrying)", s->cfg->audit_file, strerror(err));
	s->failing = true;
	s->werr = err;
}

int kk_sink_open(struct kk_sink *s, const struct kk_daemon_cfg *cfg)
{
	char why[512];
	int err;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->fd = -1;
	kk_audit_chain_init(&s->chain);
	err = kk_audit_chain_resume(&s->chain, cfg->audit_file, why, sizeof(why));
	if (err && err != -ENOENT && err != -ENODATA) {
		/* A torn or edited last line: keep the evidence aside, start a new chain. */
		char aside[PATH_MAX + 32];

		snprintf(aside, sizeof(aside), "%s.broken-%ld", cfg->audit_file, (long)time(NULL));
		if (rename(cfg->audit_file, aside)) {
			/* Appending a new chain to it would hide where the old one broke. */
			err = -errno;
			kk_err("daemon", "%s; cannot move it to %s: %s", why, aside,
			       strerror(-err));
			return err;
		}
		kk_err("daemon", "%s; moved to %s, starting a new chain", why, aside);
		kk_audit_chain_init(&s->chain);
	} else if (!err) {
		s->last_seq = last_seq(cfg->audit_file);
	}
	if (cfg->syslog)
		openlog("kakunin-bpf", LOG_PID, LOG_AUTHPRIV);
	s->max = cfg->max_unwritten_bytes ?: KK_SINK_UNWRITTEN_MAX;
	err = open_file(s);
	if (err)
		kk_err("daemon", "cannot open the audit file %s: %s", cfg->audit_file,
		       strerror(-err));
	return err;
}

/* Denials, revocations, blocks and losses at warning, the rest at info (journald, syslog). */
static int event_priority(uint32_t type)
{
	switch (type) {
	case KK_EV_ACTION_DENIED:
	case KK_EV_AGENT_REVOKED:
	case KK_EV_AGENT_BLOCKED:
	case KK_EV_AGENT_WARNING:
	case KK_EV_EVENTS_LOST:
		return LOG_WARNING;
	default:
		return LOG_INFO;
	}
}

bool kk_sink_event(struct kk_sink *s, const struct kk_event *ev, uint64_t seq,
		   const struct kk_clock *c, const struct kk_who *who, struct kk_loss *why)
{
	size_t start, len;
	int err;

	/* A burst larger than the bound: write what is queued first, if writing works. */
	if (s->q.len >= s->max && !s->failing)
		kk_sink_flush(s);
	if (s->q.len >= s->max) {
		*why = (struct kk_loss){ KK_LOST_WRITE, s->werr ?: EIO };
		return false;
	}
	start = s->q.len;
	/* The line is made where it is written from: no copy, no allocation once grown. */
	err = kk_event_line(&s->q, ev, seq, c, who);
	if (!err && !kk_event_line_utf8(ev, s->q.buf + start, s->q.len - start))
		err = -EILSEQ; /* DESIGN.md promises lines of UTF-8 */
	if (!err) {
		err = kk_obuf_grow(&s->q, KK_AUDIT_SEAL_LEN + 1);
		len = s->q.len - start;
		if (!err)
			err = kk_audit_chain_seal(&s->chain, s->q.buf + start, &len);
	}
	if (err) {
		s->q.len = start; /* not kept: not chained either */
		*why = (struct kk_loss){ err == -ENOMEM ? KK_LOST_MEMORY : KK_LOST_FORMAT, -err };
		return false;
	}
	if (s->cfg->syslog)
		syslog(event_priority(ev->type), "%.*s", (int)len, s->q.buf + start);
	s->q.buf[start + len] = '\n';
	s->q.len = start + len + 1;
	if (s->q.len >= KK_SINK_CHUNK && !s->failing)
		kk_sink_flush(s);
	return true;
}

void kk_sink_flush(struct kk_sink *s)
{
	size_t off = 0;
	int err;

	if (s->fd < 0) {
		err = open_file(s);
		if (err) {
			write_failed(s, -err);
			return;
		}
	}
	while (off < s->q.len) {
		ssize_t w = write(s->fd, s->q.buf + off, s->q.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			write_failed(s, w < 0 ? errno : EIO);
			break;
		}
		off += w;
	}
	if (s->failing && off == s->q.len) {
		kk_err("daemon", "writing the audit file %s works again", s->cfg->audit_file);
		s->failing = false;
	}
	memmove(s->q.buf, s->q.buf + off, s->q.len - off);
	s->q.len -= off;
	s->size += off;
	s->dirty |= off > 0;
}

void kk_sink_tick(struct kk_sink *s)
{
	int err;

	if (s->fd >= 0 && s->dirty && !fdatasync(s->fd))
		s->dirty = false;
	if (s->fd < 0 || s->q.len || s->size < s->cfg->max_file_bytes)
		return;
	fsync(s->fd);
	close(s->fd);
	s->fd = -1;
	err = kk_audit_rotate(s->cfg->audit_file, s->cfg->keep_files);
	if (err)
		kk_err("daemon", "rotating %s failed: %s", s->cfg->audit_file, strerror(-err));
	/* The new file's first line continues the chain of the rotated one. */
	err = open_file(s);
	if (err)
		write_failed(s, -err); /* the next flush tries again */
}

void kk_sink_reopen(struct kk_sink *s)
{
	kk_sink_flush(s);
	if (s->fd >= 0) {
		fsync(s->fd);
		close(s->fd);
	}
	s->fd = -1;
	kk_sink_flush(s); /* opens it again, or says why not */
}

/* Lines (newlines) in the unwritten buffer. */
static size_t unwritten_lines(const struct kk_sink *s)
{
	size_t n = 0, i;

	for (i = 0; i < s->q.len; i++)
		n += s->q.buf[i] == '\n';
	return n;
}

void kk_sink_close(struct kk_sink *s)
{
	kk_sink_flush(s);
	/* No later line can report them: stderr is the only trace left. */
	if (s->q.len)
		kk_err("daemon", "%zu events lost at exit: writing the audit file %s failed: %s",
		       unwritten_lines(s), s->cfg->audit_file, strerror(s->werr ?: EIO));
	if (s->fd >= 0) {
		fsync(s->fd);
		close(s->fd);
	}
	if (s->cfg->syslog)
		closelog();
	free(s->q.buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
