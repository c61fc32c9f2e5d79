// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-opens — an agent that opens the same names again and again, for the path cache's
 * differential test (tests/kernel/pathcache.bats): for every line read from CTL (a FIFO) it
 * opens each NAME read-only, then write-only, and writes one line per name to RES (a FIFO),
 * "NAME R W" with each outcome "ok" or the errno name, then "end". Exits at CTL's end.
 *
 *   kk-opens CTL RES NAME...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *outcome(const char *name, int flags)
{
	int fd = open(name, flags | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return "ok";
	}
	return errno == EACCES	 ? "EACCES"
	       : errno == EPERM	 ? "EPERM"
	       : errno == ENOENT ? "ENOENT"
				 : strerror(errno);
}

int main(int argc, char **argv)
{
	char line[256];
	FILE *ctl, *res;
	int i;

	if (argc < 4) {
		fputs("usage: kk-opens CTL RES NAME...\n", stderr);
		return 2;
	}
	ctl = fopen(argv[1], "r");
	res = ctl ? fopen(argv[2], "w") : NULL;
	if (!ctl || !res) {
		fprintf(stderr, "kk-opens: %s: %s\n", ctl ? argv[2] : argv[1], strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), ctl)) {
		for (i = 3; i < argc; i++) {
			const char *r = outcome(argv[i], O_RDONLY);

			fprintf(res, "%s %s %s\n", argv[i], r, outcome(argv[i], O_WRONLY));
		}
		fputs("end\n", res);
		fflush(res);
	}
	return 0;
}
