// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of user/output.c: timestamps, the boot-to-wall clock offset and UTF-8 sanitizing.
 * The JSON and text forms of events (user/output_event.c) are in test_output_event.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kakunin.h"
#include "output.h"
#include "unit.h"

#define FFFD "\xef\xbf\xbd"

/* 1781534025 s is Mon Jun 15 14:33:45 UTC 2026 (date -u -d @1781534025). */
#define T_2026_NS  1781534025123456789LL
#define T_2026_STR "2026-06-15T14:33:45.123456Z"

/* Format ns into a static buffer; "<err N>" when kk_format_rfc3339 fails. */
static const char *rfc3339(int64_t ns)
{
	static char buf[64];
	int err = kk_format_rfc3339(ns, buf, sizeof(buf));

	if (err)
		snprintf(buf, sizeof(buf), "<err %d>", err);
	return buf;
}

UNIT_TEST(rfc3339_epoch)
{
	CHECK_EQ_STR(rfc3339(0), "1970-01-01T00:00:00.000000Z");
}

UNIT_TEST(rfc3339_2026_truncates_to_microseconds)
{
	CHECK_EQ_STR(rfc3339(T_2026_NS), T_2026_STR);
	/* .999999999 s must not round up into the next second. */
	CHECK_EQ_STR(rfc3339(1781534025999999999LL), "2026-06-15T14:33:45.999999Z");
	CHECK_EQ_STR(rfc3339(1781534025000000999LL), "2026-06-15T14:33:45.000000Z");
	CHECK_EQ_STR(rfc3339(1781534025000001000LL), "2026-06-15T14:33:45.000001Z");
}

UNIT_TEST(rfc3339_before_epoch_whole_microseconds)
{
	CHECK_EQ_STR(rfc3339(-1000), "1969-12-31T23:59:59.999999Z");
	CHECK_EQ_STR(rfc3339(-1000000000LL), "1969-12-31T23:59:59.000000Z");
}

/* Truncation is towards the past: a stamp before the epoch never shows a later time. */
UNIT_TEST(rfc3339_before_epoch_sub_microsecond)
{
	CHECK_EQ_STR(rfc3339(-1), "1969-12-31T23:59:59.999999Z");
	CHECK_EQ_STR(rfc3339(-1500), "1969-12-31T23:59:59.999998Z");
	CHECK_EQ_STR(rfc3339(-1000000001LL), "1969-12-31T23:59:58.999999Z");
}

UNIT_TEST(rfc3339_buffer_too_small)
{
	char buf[64];

	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 27), -EINVAL);
	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 10), -EINVAL);
	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 0), -EINVAL);
	/* 27 characters and the NUL: exactly enough. */
	CHECK_EQ_INT(kk_format_rfc3339(T_2026_NS, buf, 28), 0);
	CHECK_EQ_STR(buf, T_2026_STR);
}

/* kk_utf8_sanitize(s, len) as a static string, for CHECK_EQ_STR. */
static const char *sanitize(const char *s, size_t len)
{
	static char buf[256];
	char *out = kk_utf8_sanitize(s, len);

	if (!out)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", out);
	free(out);
	return buf;
}

#define SANITIZE(lit) sanitize(lit, sizeof(lit) - 1)

UNIT_TEST(utf8_ascii_unchanged)
{
	CHECK_EQ_STR(SANITIZE("/data/secret file.txt"), "/data/secret file.txt");
	CHECK_EQ_STR(SANITIZE(""), "");
	CHECK_EQ_STR(SANITIZE("\x01\x7f"), "\x01\x7f");
}

UNIT_TEST(utf8_valid_multibyte_unchanged)
{
	CHECK_EQ_STR(SANITIZE("\xc3\xa9"), "\xc3\xa9");			/* é, U+00E9 */
	CHECK_EQ_STR(SANITIZE("\xe2\x82\xac"), "\xe2\x82\xac");		/* €, U+20AC */
	CHECK_EQ_STR(SANITIZE("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80"); /* 😀, U+1F600 */
	CHECK_EQ_STR(SANITIZE("\xc2\x80"), "\xc2\x80");			/* U+0080 */
	CHECK_EQ_STR(SANITIZE("\xef\xbf\xbf"), "\xef\xbf\xbf");		/* U+FFFF */
	CHECK_EQ_STR(SANITIZE("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	CHECK_EQ_STR(SANITIZE("/caf\xc3\xa9/\xe2\x82\xac"), "/caf\xc3\xa9/\xe2\x82\xac");
}

UNIT_TEST(utf8_invalid_bytes_replaced)
{
	CHECK_EQ_STR(SANITIZE("\xff"), FFFD);
	CHECK_EQ_STR(SANITIZE("a\xff"
			      "b"),
		     "a" FFFD "b");
	CHECK_EQ_STR(SANITIZE("\x80"
			      "A"),
		     FFFD "A"); /* lone continuation */
	CHECK_EQ_STR(SANITIZE("\xc3"
			      "A"),
		     FFFD "A"); /* lead, no continuation */
	/* A lead byte past F4 and its continuations. */
	CHECK_EQ_STR(SANITIZE("\xf5\x80\x80\x80"), FFFD FFFD FFFD FFFD);
}

UNIT_TEST(utf8_overlong_replaced)
{
	CHECK_EQ_STR(SANITIZE("\xc0\xaf"), FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("\xc1\xbf"), FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("\xe0\x80\xaf"), FFFD FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("\xf0\x80\x80\xaf"), FFFD FFFD FFFD FFFD);
}

UNIT_TEST(utf8_surrogates_and_beyond_max_replaced)
{
	CHECK_EQ_STR(SANITIZE("\xed\xa0\x80"), FFFD FFFD FFFD);		 /* U+D800 */
	CHECK_EQ_STR(SANITIZE("\xed\xbf\xbf"), FFFD FFFD FFFD);		 /* U+DFFF */
	CHECK_EQ_STR(SANITIZE("\xed\x9f\xbf"), "\xed\x9f\xbf");		 /* U+D7FF is fine */
	CHECK_EQ_STR(SANITIZE("\xf4\x90\x80\x80"), FFFD FFFD FFFD FFFD); /* U+110000 */
}

UNIT_TEST(utf8_truncated_sequence_at_end)
{
	CHECK_EQ_STR(SANITIZE("a\xe2\x82"), "a" FFFD FFFD);
	CHECK_EQ_STR(SANITIZE("a\xf0\x9f\x98"), "a" FFFD FFFD FFFD);
	/* len cuts a valid sequence short: the cut part is not read. */
	CHECK_EQ_STR(sanitize("\xe2\x82\xac", 2), FFFD FFFD);
	CHECK_EQ_STR(sanitize("abc", 2), "ab");
	CHECK_EQ_STR(sanitize("abc", 0), "");
}

UNIT_TEST(utf8_stops_at_first_nul)
{
	CHECK_EQ_STR(SANITIZE("ab\0cd"), "ab");
	CHECK_EQ_STR(SANITIZE("\0\xff"), "");
	/* A sequence split by the NUL is incomplete. */
	CHECK_EQ_STR(SANITIZE("x\xe2\x82\0\xac"), "x" FFFD FFFD);
}

/* kk_clock_sync: a boot-clock stamp taken now plus the offset is the wall clock now. */
UNIT_TEST(clock_sync_offset)
{
	struct kk_clock c = { .boot_to_real_ns = 0 };
	struct timespec boot, real;
	int64_t diff;

	kk_clock_sync(&c);
	CHECK(c.boot_to_real_ns > 0);
	CHECK_EQ_INT(clock_gettime(CLOCK_BOOTTIME, &boot), 0);
	CHECK_EQ_INT(clock_gettime(CLOCK_REALTIME, &real), 0);
	diff = ((int64_t)real.tv_sec * 1000000000LL + real.tv_nsec) -
	       ((int64_t)boot.tv_sec * 1000000000LL + boot.tv_nsec + c.boot_to_real_ns);
	/* Only the time between the samples (or a clock step) separates them. */
	CHECK(diff > -1000000000LL && diff < 1000000000LL);
}

int main(void)
{
	UNIT_RUN(rfc3339_epoch);
	UNIT_RUN(rfc3339_2026_truncates_to_microseconds);
	UNIT_RUN(rfc3339_before_epoch_whole_microseconds);
	UNIT_RUN(rfc3339_before_epoch_sub_microsecond);
	UNIT_RUN(rfc3339_buffer_too_small);
	UNIT_RUN(utf8_ascii_unchanged);
	UNIT_RUN(utf8_valid_multibyte_unchanged);
	UNIT_RUN(utf8_invalid_bytes_replaced);
	UNIT_RUN(utf8_overlong_replaced);
	UNIT_RUN(utf8_surrogates_and_beyond_max_replaced);
	UNIT_RUN(utf8_truncated_sequence_at_end);
	UNIT_RUN(utf8_stops_at_first_nul);
	UNIT_RUN(clock_sync_offset);
	return unit_done();
}
