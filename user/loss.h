/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * loss — records taken from the event ring but not written, counted by why until an
 * events.lost line reports them (loss.c). A leaf: the daemon counts, metrics show the totals.
 */
#ifndef KK_LOSS_H
#define KK_LOSS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Why a record taken from the ring was not written. Every record is written, kept for a retry,
 * or counted under one of these until an events.lost line ("count", "reason") reports it.
 */
enum kk_lost_kind {
	KK_LOST_RING,  /* the kernel could not queue it (the ring was full): counted there */
	KK_LOST_WRITE, /* the file could not be written and the lines kept for it hit their bound */
	KK_LOST_DECODE, /* a ring record that does not decode */
	KK_LOST_FORMAT, /* its JSON line could not be made */
	KK_LOST_MEMORY, /* no memory to keep its line */
	KK_LOST_KINDS,
};

struct kk_loss {
	enum kk_lost_kind kind;
	int err; /* errno of the failed write or formatting; 0 when none */
};

#define KK_LOST_ERRS 4 /* distinct errnos counted apart per kind; more share the last slot */
struct kk_lost {
	struct {
		int err;
		uint64_t n; /* 0: the slot is free */
	} e[KK_LOST_KINDS][KK_LOST_ERRS];
	uint64_t total[KK_LOST_KINDS]; /* every count ever added, reported or not (metrics) */
};

/*
 * The daemon's account of the records it took from the ring, saved in the state directory
 * (KK_RECORDS_FILE) once a second and at exit, where `status` and the metrics read it beside
 * the kernel's own loss count (records it could not queue): every record consumed was written
 * or failed for one of the kinds past KK_LOST_RING, so consumed == written + the failed ones,
 * and the kernel's produced == consumed + its lost.
 */
#define KK_RECORDS_FILE "daemon-records"
struct kk_records {
	int pid; /* the daemon's */
	uint64_t consumed, written;
	uint64_t failed[KK_LOST_KINDS]; /* [KK_LOST_RING] is always 0 */
};

/* Save r to path (a new file renamed over it: readers never see half). 0 or -errno. */
int kk_records_save(const char *path, const struct kk_records *r);
/* Read what kk_records_save wrote: 0, -ENOENT, -EINVAL (not that form), -errno. */
int kk_records_load(const char *path, struct kk_records *r);
/* "ring", "write", "decode", "format", "memory" */
const char *kk_lost_kind_name(unsigned int kind);

/* Count n records lost for why. */
void kk_lost_add(struct kk_lost *l, const struct kk_loss *why, uint64_t n);
/* The "reason" of an events.lost line: "write failed: No space left on device", ... */
const char *kk_lost_reason(const struct kk_loss *why, char *buf, size_t len);

#endif
