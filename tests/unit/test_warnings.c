// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the warnings operations leave for whoever prints (user/log.c): drained once,
 * under the printer's name, bounded, printed on stderr (never into a --json reader's stdout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "unit.h"

/* Run kk_warnings_flush(cmd) with stderr in a file; the file's text in out. */
static void flush_into(const char *cmd, char *out, size_t size)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	fflush(stderr);
	dup2(fileno(f), 2);
	kk_warnings_flush(cmd);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

UNIT_TEST(flush_under_the_printers_name)
{
	char out[512];

	kk_warn("could not send %s for binding %u", "agent.bound", 3u);
	kk_warn("second");
	CHECK_EQ_INT(kk_warnings_pending(), 2);
	flush_into("run", out, sizeof(out));
	CHECK_EQ_STR(out, "kakunin-bpf: run: warning: could not send agent.bound for binding 3\n"
			  "kakunin-bpf: run: warning: second\n");
	CHECK_EQ_INT(kk_warnings_pending(), 0);
	flush_into("run", out, sizeof(out)); /* drained: printed once */
	CHECK_EQ_STR(out, "");
}

UNIT_TEST(bounded)
{
	char out[8192], *last;
	int i;

	for (i = 0; i < KK_WARNINGS_MAX + 3; i++)
		kk_warn("w%d", i);
	CHECK_EQ_INT(kk_warnings_pending(), KK_WARNINGS_MAX + 3);
	flush_into("daemon", out, sizeof(out));
	last = strrchr(out, '\n');
	CHECK(last != NULL);
	*last = '\0';
	last = strrchr(out, '\n');
	CHECK(last != NULL);
	CHECK_EQ_STR(last + 1, "kakunin-bpf: daemon: warning: and 3 more");
	CHECK(strstr(out, "warning: w15\n") != NULL);
	CHECK(strstr(out, "warning: w16\n") == NULL);
}

int main(void)
{
	UNIT_RUN(flush_under_the_printers_name);
	UNIT_RUN(bounded);
	return unit_done();
}
