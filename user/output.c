// SPDX-License-Identifier: GPL-2.0-only
/* output — JSON and text forms of events (see output.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "events.h"
#include "output.h"

#define NSEC_PER_SEC 1000000000LL

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void kk_clock_sync(struct kk_clock *c)
{
	c->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (gethostname(c->host, sizeof(c->host) - 1))
		c->host[0] = '\0';
	c->host[sizeof(c->host) - 1] = '\0';
}

int kk_format_rfc3339(int64_t real_ns, char *buf, size_t len)
{
	/* Floor division: C truncates toward zero, which is wrong before the epoch. */
	int64_t us = real_ns / 1000 - (real_ns % 1000 < 0);
	time_t sec = us / 1000000 - (us % 1000000 < 0);
	long usec = (long)(us - (int64_t)sec * 1000000);
	/* Events come in bursts within one second: its calendar part is formatted once. */
	static _Thread_local char prefix[32];
	static _Thread_local time_t prefix_sec;
	static _Thread_local size_t n; /* 0: nothing formatted yet */
	struct tm tm;
	int i;

	if (!n || sec != prefix_sec) {
		if (!gmtime_r(&sec, &tm))
			return -EINVAL;
		n = strftime(prefix, sizeof(prefix), "%Y-%m-%dT%H:%M:%S", &tm);
		if (n == 0)
			return -EINVAL;
		prefix_sec = sec;
	}
	if (len < n + 9) /* ".uuuuuuZ" and the NUL */
		return -EINVAL;
	memcpy(buf, prefix, n);
	buf[n] = '.';
	for (i = 6; i > 0; i--, usec /= 10)
		buf[n + i] = (char)('0' + usec % 10);
	buf[n + 7] = 'Z';
	buf[n + 8] = '\0';
	return 0;
}

size_t kk_utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool kk_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (u[i] < 0x80 && u[i]) {
			i++; /* the common case, without the decoder */
			continue;
		}
		n = u[i] ? kk_utf8_seq_len(u + i, len - i) : 0;
		if (!n)
			return false;
		i += n;
	}
	return true;
}

char *kk_utf8_sanitize(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end = strnlen(s, len), i = 0, o = 0;
	char *out = malloc(end * 3 + 1); /* worst case: every byte becomes U+FFFD */

	if (!out)
		return NULL;
	while (i < end) {
		size_t n = kk_utf8_seq_len(u + i, end - i);

		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

