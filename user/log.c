// SPDX-License-Identifier: GPL-2.0-only
/* log — one-line diagnostics and the libbpf print hook (see log.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "log.h"

static bool verbose;
static char libbpf_last[512];

void kk_log_set_verbose(bool on)
{
	verbose = on;
}

bool kk_log_verbose(void)
{
	return verbose;
}

/* Is fd the stream JOURNAL_STREAM names? Asked once per fd (stdout, stderr). */
static bool is_journal(int fd)
{
	static signed char known[3] = { -1, -1, -1 };
	unsigned long long dev, ino;
	const char *js;
	struct stat st;

	if (fd < 0 || fd > 2)
		return false;
	if (known[fd] < 0) {
		js = getenv("JOURNAL_STREAM");
		known[fd] = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(fd, &st) &&
			    st.st_dev == dev && st.st_ino == ino;
	}
	return known[fd];
}

const char *kk_log_prio(int fd, int priority)
{
	if (!is_journal(fd))
		return "";
	return priority <= LOG_ERR ? "<3>" : priority == LOG_WARNING ? "<4>" : "<6>";
}

static void vline(int priority, const char *module, const char *fmt, va_list ap)
{
	fprintf(stderr, "%skakunin-bpf: %s: ", kk_log_prio(2, priority), module);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void kk_err(const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(LOG_ERR, module, fmt, ap);
	va_end(ap);
}

static void line(int priority, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(priority, module, fmt, ap);
	va_end(ap);
}

/* The warnings waiting to be printed (log.h). The daemon's threads add them too. */
static struct {
	pthread_mutex_t lock;
	char text[KK_WARNINGS_MAX][320];
	size_t n, dropped;
} warnings = { .lock = PTHREAD_MUTEX_INITIALIZER };

void kk_warn(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&warnings.lock);
	if (warnings.n < KK_WARNINGS_MAX) {
		va_start(ap, fmt);
		vsnprintf(warnings.text[warnings.n++], sizeof(warnings.text[0]), fmt, ap);
		va_end(ap);
	} else {
		warnings.dropped++;
	}
	pthread_mutex_unlock(&warnings.lock);
}

size_t kk_warnings_pending(void)
{
	size_t n;

	pthread_mutex_lock(&warnings.lock);
	n = warnings.n + warnings.dropped;
	pthread_mutex_unlock(&warnings.lock);
	return n;
}

void kk_warnings_flush(const char *cmd)
{
	size_t i;

	pthread_mutex_lock(&warnings.lock);
	for (i = 0; i < warnings.n; i++)
		line(LOG_WARNING, cmd, "warning: %s", warnings.text[i]);
	if (warnings.dropped)
		line(LOG_WARNING, cmd, "warning: and %zu more", warnings.dropped);
	warnings.n = warnings.dropped = 0;
	pthread_mutex_unlock(&warnings.lock);
	fflush(stderr);
}

void kk_info(const char *fmt, ...)
{
	va_list ap;

	fputs(kk_log_prio(1, LOG_INFO), stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/*
 * libbpf prints multi-line verifier logs and per-step warnings. Users get one line from us;
 * the raw text is there for developers with KAKUNIN_DEBUG=1.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(libbpf_last)];
	size_t n;

	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strcspn(line, "\n");
	line[n] = '\0';
	if (n > 0)
		memcpy(libbpf_last, line, n + 1);
	return 0;
}

void kk_log_capture_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

const char *kk_log_libbpf_last(void)
{
	static char out[sizeof(libbpf_last)];

	memcpy(out, libbpf_last, sizeof(out));
	libbpf_last[0] = '\0';
	return out;
}
