// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-try — perform one system call the way an agent would and print the outcome as one word:
 * "ok" or the errno name (EACCES, EPERM, ...). Exit 0 when the call succeeded, 1 when it failed,
 * 2 on bad usage. Kernel tests use it to assert the exact errno of a decision.
 *
 *   kk-try open PATH [FLAG...]   FLAG: rdonly wronly rdwr creat trunc append excl directory
 *
 * Prefix the command with "--pid" to print the PID on its own line first, so a test can match
 * the events of exactly this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	int flag;
} open_flags[] = {
	{ "rdonly", O_RDONLY }, { "wronly", O_WRONLY }, { "rdwr", O_RDWR },
	{ "creat", O_CREAT },	{ "trunc", O_TRUNC },	{ "append", O_APPEND },
	{ "excl", O_EXCL },	{ "directory", O_DIRECTORY },
};

static int report(int rc)
{
	if (rc >= 0) {
		puts("ok");
		return 0;
	}
	puts(strerrorname_np(errno) ?: "unknown-errno");
	return 1;
}

static int try_open(int argc, char **argv)
{
	int flags = O_RDONLY | O_CLOEXEC;
	size_t j;
	int i, fd;

	if (argc < 1)
		return -1;
	for (i = 1; i < argc; i++) {
		for (j = 0; j < sizeof(open_flags) / sizeof(open_flags[0]); j++)
			if (!strcmp(argv[i], open_flags[j].name))
				break;
		if (j == sizeof(open_flags) / sizeof(open_flags[0]))
			return -1;
		flags |= open_flags[j].flag;
	}
	fd = open(argv[0], flags, 0644);
	if (fd >= 0)
		close(fd);
	return report(fd);
}

int main(int argc, char **argv)
{
	int rc = -1;

	argv++, argc--;
	if (argc > 0 && !strcmp(argv[0], "--pid")) {
		printf("%d\n", getpid());
		argv++, argc--;
	}
	if (argc > 0 && !strcmp(argv[0], "open"))
		rc = try_open(argc - 1, argv + 1);
	if (rc < 0) {
		fprintf(stderr, "usage: kk-try [--pid] open PATH [rdonly|wronly|rdwr|creat|trunc|"
				"append|excl|directory]...\n");
		return 2;
	}
	return rc;
}
