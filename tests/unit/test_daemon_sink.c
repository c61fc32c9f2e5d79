// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/daemon_sink.c and loss.c: the audit file's writer when writes fail
 * (a file size limit, as `prlimit --fsize` on the daemon gives): lines kept and written later,
 * a partial write finished, lines past the bound refused without breaking the chain, and the
 * loss counts with their reasons.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "daemon.h"
#include "events.h"
#include "unit.h"

static char dir[64];
static struct kk_daemon_cfg cfg;
static struct rlimit fsize_before;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kk-sink-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.audit_file, sizeof(cfg.audit_file), "%s/audit.jsonl", dir);
	cfg.max_file_bytes = 1ull << 30;
	cfg.keep_files = 1;
	cfg.max_unwritten_bytes = 4096;
}

static void teardown(void)
{
	char cmd[128];

	setrlimit(RLIMIT_FSIZE, &fsize_before);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", dir);
}

/* The soft file size limit: bytes, or RLIM_INFINITY. */
static int fsize_limit(rlim_t cur)
{
	struct rlimit r = { cur, fsize_before.rlim_max };

	return setrlimit(RLIMIT_FSIZE, &r);
}

/* Event number i, as the daemon would make it: about 420 bytes chained. */
static bool add(struct kk_sink *s, int i, struct kk_loss *why)
{
	static const struct kk_clock clk;
	struct kk_event ev;

	kk_event_lost(&ev, (uint32_t)i, NULL);
	return kk_sink_event(s, &ev, (uint64_t)i, &clk, NULL, why);
}

static long file_size(void)
{
	struct stat st;

	return stat(cfg.audit_file, &st) ? -1 : (long)st.st_size;
}

/* The file's chain verifies and holds exactly lines lines. */
static bool chain_ok(uint64_t lines)
{
	const char *paths[] = { cfg.audit_file };
	char why[512];
	uint64_t n = 0;
	int err = kk_audit_verify(paths, 1, false, &n, why, sizeof(why));

	if (err || n != lines)
		printf("# verify: %d, %llu lines (want %llu): %s\n", err, (unsigned long long)n,
		       (unsigned long long)lines, err ? why : "");
	return !err && n == lines;
}

/* EFBIG: nothing is lost while the kept lines fit; they are written once the limit is gone. */
UNIT_TEST(file_size_limit_keeps_lines_and_writes_them_later)
{
	struct kk_loss why;
	struct kk_sink s;
	int i;

	setup();
	CHECK_EQ_INT(kk_sink_open(&s, &cfg), 0);
	CHECK(add(&s, 1, &why));
	kk_sink_flush(&s);
	CHECK(!s.failing);
	CHECK_EQ_INT(fsize_limit(file_size()), 0);
	for (i = 2; i <= 6; i++)
		CHECK(add(&s, i, &why));
	kk_sink_flush(&s);
	CHECK(s.failing);
	CHECK_EQ_INT(s.werr, EFBIG);
	CHECK(s.q.len > 0);
	CHECK_EQ_INT(fsize_limit(RLIM_INFINITY), 0);
	kk_sink_flush(&s);
	CHECK(!s.failing);
	CHECK_EQ_INT(s.q.len, 0);
	kk_sink_close(&s);
	CHECK(chain_ok(6));
	teardown();
}

/* A limit inside the next batch: part of it is written, the rest later, the chain whole. */
UNIT_TEST(partial_write_is_finished_later)
{
	struct kk_loss why;
	struct kk_sink s;
	int i;

	setup();
	CHECK_EQ_INT(kk_sink_open(&s, &cfg), 0);
	CHECK_EQ_INT(fsize_limit(100), 0);
	for (i = 1; i <= 3; i++)
		CHECK(add(&s, i, &why));
	kk_sink_flush(&s);
	CHECK(s.failing);
	CHECK_EQ_INT(file_size(), 100);
	CHECK_EQ_INT(fsize_limit(RLIM_INFINITY), 0);
	kk_sink_flush(&s);
	CHECK(!s.failing);
	kk_sink_close(&s);
	CHECK(chain_ok(3));
	teardown();
}

/* Past max_unwritten_bytes lines are refused with the write's errno, and not chained. */
UNIT_TEST(lines_past_the_bound_are_refused_and_not_chained)
{
	struct kk_loss why = { KK_LOST_RING, 0 };
	struct kk_sink s;
	int i, kept = 0, refused = 0;

	setup();
	CHECK_EQ_INT(kk_sink_open(&s, &cfg), 0);
	CHECK_EQ_INT(fsize_limit(0), 0);
	for (i = 1; i <= 100; i++) {
		if (add(&s, i, &why)) {
			kept++;
			continue;
		}
		refused++;
		CHECK_EQ_INT(why.kind, KK_LOST_WRITE);
		CHECK_EQ_INT(why.err, EFBIG);
	}
	/* Nothing written: lines kept up to the bound (plus the one that crossed it), the rest
	 * refused. */
	CHECK(kept > 1 && refused > 0);
	CHECK(s.q.len <= cfg.max_unwritten_bytes + 512);
	/* Refused while the file still fails, kept once a flush found it works. */
	CHECK_EQ_INT(fsize_limit(RLIM_INFINITY), 0);
	CHECK(!add(&s, 101, &why));
	kk_sink_flush(&s);
	CHECK(add(&s, 102, &why));
	kk_sink_close(&s);
	CHECK(chain_ok(kept + 1));
	teardown();
}

/* A burst larger than the bound while writing works is written, not refused. */
UNIT_TEST(burst_past_the_bound_is_written_when_writing_works)
{
	struct kk_loss why;
	struct kk_sink s;
	int i;

	setup();
	CHECK_EQ_INT(kk_sink_open(&s, &cfg), 0);
	for (i = 1; i <= 200; i++)
		CHECK(add(&s, i, &why));
	kk_sink_close(&s);
	CHECK(chain_ok(200));
	teardown();
}

UNIT_TEST(lost_counts_by_reason)
{
	static struct kk_lost l;
	struct kk_loss w = { KK_LOST_WRITE, EFBIG };
	char buf[160];
	int e;

	kk_lost_add(&l, &w, 3);
	kk_lost_add(&l, &w, 2);
	CHECK_EQ_INT(l.e[KK_LOST_WRITE][0].n, 5);
	CHECK_EQ_STR(kk_lost_reason(&w, buf, sizeof(buf)), "write failed: File too large");
	w.err = ENOSPC;
	kk_lost_add(&l, &w, 1);
	CHECK_EQ_INT(l.e[KK_LOST_WRITE][1].n, 1);
	CHECK_EQ_INT(l.e[KK_LOST_WRITE][1].err, ENOSPC);
	/* More errnos than slots: counted in the last one, none dropped. */
	for (e = 1; e <= 6; e++) {
		w.err = 100 + e;
		kk_lost_add(&l, &w, 1);
	}
	CHECK_EQ_INT(l.e[KK_LOST_WRITE][0].n + l.e[KK_LOST_WRITE][1].n + l.e[KK_LOST_WRITE][2].n +
			     l.e[KK_LOST_WRITE][3].n,
		     12);
	w = (struct kk_loss){ KK_LOST_DECODE, 0 };
	CHECK_EQ_STR(kk_lost_reason(&w, buf, sizeof(buf)), "undecodable record");
	w = (struct kk_loss){ KK_LOST_FORMAT, EILSEQ };
	CHECK_EQ_STR(kk_lost_reason(&w, buf, sizeof(buf)),
		     "formatting failed: Invalid or incomplete multibyte or wide character");
	w = (struct kk_loss){ KK_LOST_FORMAT, 0 };
	CHECK_EQ_STR(kk_lost_reason(&w, buf, sizeof(buf)), "formatting failed");
	w = (struct kk_loss){ KK_LOST_RING, 0 };
	CHECK_EQ_STR(kk_lost_reason(&w, buf, sizeof(buf)), "event ring full");
	w = (struct kk_loss){ KK_LOST_MEMORY, ENOMEM };
	CHECK_EQ_STR(kk_lost_reason(&w, buf, sizeof(buf)), "out of memory");
}

/* The account status reads: saved whole (renamed over), read back exactly, bad files refused. */
UNIT_TEST(records_saved_and_read)
{
	struct kk_records r = { .pid = 42, .consumed = 1ull << 40, .written = (1ull << 40) - 6 },
			  back;
	char path[128];
	FILE *f;

	setup();
	r.failed[KK_LOST_WRITE] = 1;
	r.failed[KK_LOST_DECODE] = 2;
	r.failed[KK_LOST_FORMAT] = 3;
	snprintf(path, sizeof(path), "%s/%s", dir, KK_RECORDS_FILE);
	CHECK_EQ_INT(kk_records_load(path, &back), -ENOENT);
	CHECK_EQ_INT(kk_records_save(path, &r), 0);
	CHECK_EQ_INT(kk_records_load(path, &back), 0);
	CHECK(!memcmp(&r, &back, sizeof(r)));
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("pid=1 consumed=2\n", f);
	fclose(f);
	CHECK_EQ_INT(kk_records_load(path, &back), -EINVAL);
	teardown();
}

int main(void)
{
	/* As the daemon does: a write past the limit fails with EFBIG instead of killing us. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &fsize_before);
	UNIT_RUN(file_size_limit_keeps_lines_and_writes_them_later);
	UNIT_RUN(partial_write_is_finished_later);
	UNIT_RUN(lines_past_the_bound_are_refused_and_not_chained);
	UNIT_RUN(burst_past_the_bound_is_written_when_writing_works);
	UNIT_RUN(lost_counts_by_reason);
	UNIT_RUN(records_saved_and_read);
	setrlimit(RLIMIT_FSIZE, &fsize_before);
	return unit_done();
}
