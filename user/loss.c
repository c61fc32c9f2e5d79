// SPDX-License-Identifier: GPL-2.0-only
/*
 * loss — the count of records taken from the ring but not written, by why, kept until
 * an events.lost line reports it (see loss.h). No record is lost without a trace: the audit
 * file says how many and why once it can be written again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loss.h"

void kk_lost_add(struct kk_lost *l, const struct kk_loss *why, uint64_t n)
{
	unsigned int k = why->kind < KK_LOST_KINDS ? why->kind : KK_LOST_FORMAT;
	int i, slot = KK_LOST_ERRS - 1;

	if (!n)
		return;
	/* The slot of this errno, else the first free one; past KK_LOST_ERRS errnos of one kind
	 * the last slot takes them all (the count stays right, only its errno is the first's). */
	for (i = KK_LOST_ERRS - 1; i >= 0; i--) {
		if (l->e[k][i].n && l->e[k][i].err == why->err) {
			slot = i;
			break;
		}
		if (!l->e[k][i].n)
			slot = i;
	}
	if (!l->e[k][slot].n)
		l->e[k][slot].err = why->err;
	l->e[k][slot].n += n;
	l->total[k] += n;
}

const char *kk_lost_reason(const struct kk_loss *why, char *buf, size_t len)
{
	const char *err = why->err ? strerror(why->err) : NULL;

	switch (why->kind) {
	case KK_LOST_RING:
		snprintf(buf, len, "event ring full");
		break;
	case KK_LOST_WRITE:
		snprintf(buf, len, "write failed: %s", err ?: "unknown error");
		break;
	case KK_LOST_DECODE:
		snprintf(buf, len, "undecodable record");
		break;
	case KK_LOST_MEMORY:
		snprintf(buf, len, "out of memory");
		break;
	default:
		snprintf(buf, len, "formatting failed%s%s", err ? ": " : "", err ?: "");
		break;
	}
	return buf;
}

const char *kk_lost_kind_name(unsigned int kind)
{
	static const char *const names[KK_LOST_KINDS] = {
		[KK_LOST_RING] = "ring",     [KK_LOST_WRITE] = "write",
		[KK_LOST_DECODE] = "decode", [KK_LOST_FORMAT] = "format",
		[KK_LOST_MEMORY] = "memory",
	};

	return kind < KK_LOST_KINDS ? names[kind] : "unknown";
}

#define RECORDS_FMT                                                                            \
	"pid=%d consumed=%" SCNu64 " written=%" SCNu64 " write=%" SCNu64 " decode=%" SCNu64    \
	" format=%" SCNu64 " memory=%" SCNu64 "\n"

int kk_records_save(const char *path, const struct kk_records *r)
{
	char tmp[4096 + 8];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fprintf(f, RECORDS_FMT, r->pid, r->consumed, r->written, r->failed[KK_LOST_WRITE],
		    r->failed[KK_LOST_DECODE], r->failed[KK_LOST_FORMAT],
		    r->failed[KK_LOST_MEMORY]) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int kk_records_load(const char *path, struct kk_records *r)
{
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return -errno;
	memset(r, 0, sizeof(*r));
	n = fscanf(f, RECORDS_FMT, &r->pid, &r->consumed, &r->written, &r->failed[KK_LOST_WRITE],
		   &r->failed[KK_LOST_DECODE], &r->failed[KK_LOST_FORMAT],
		   &r->failed[KK_LOST_MEMORY]);
	fclose(f);
	return n == 7 ? 0 : -EINVAL;
}
