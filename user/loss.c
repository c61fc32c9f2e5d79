// SPDX-License-Identifier: GPL-2.0-only
/*
 * loss — the count of records taken from the ring but not written, by why, kept until
 * an events.lost line reports it (see loss.h). No record is lost without a trace: the audit
 * file says how many and why once it can be written again.
 */
#include <stdio.h>
#include <string.h>

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
