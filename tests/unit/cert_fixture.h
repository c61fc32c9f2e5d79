/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cert_fixture.h — the certificate fixtures shared by test_identity*, test_crl and test_ocsp: a
 * private mkdtemp directory from DIR_TEMPLATE (which the includer defines, "/tmp/kk-x-XXXXXX"),
 * a script of tests/unit/ run in it with the openssl CLI, the files it leaves read back, and the
 * directory removed at the end. Diagnostics go out as TAP comments.
 */
#ifndef KK_TEST_CERT_FIXTURE_H
#define KK_TEST_CERT_FIXTURE_H

#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#define KK_FIXTURE_FN static __attribute__((unused))

/* The mkdtemp directory ("" until made), and the certificates' directory inside it. */
static char tmpdir[sizeof(DIR_TEMPLATE)];
static char dir[sizeof(DIR_TEMPLATE) + 8];

/* dir/name, in one of a few rotating buffers so a call can use several at once. */
KK_FIXTURE_FN const char *P(const char *name)
{
	static char bufs[6][PATH_MAX];
	static int n;
	char *b = bufs[n++ % 6];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

/* First line of dir/name (what the fixture script recorded from the openssl CLI). */
KK_FIXTURE_FN const char *expected(const char *name)
{
	static char bufs[2][256];
	static int n;
	char *b = bufs[n++ % 2];
	FILE *f = fopen(P(name), "r");

	b[0] = '\0';
	if (f) {
		if (!fgets(b, 256, f))
			b[0] = '\0';
		fclose(f);
	}
	b[strcspn(b, "\n")] = '\0';
	return b;
}

KK_FIXTURE_FN bool one_line(const char *s)
{
	return s[0] && !strchr(s, '\n');
}

/* The file at path, as TAP comments. */
KK_FIXTURE_FN void print_log(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		printf("# %s", line);
	if (f)
		fclose(f);
}

/*
 * tests/unit/NAME: from $KK_SRCDIR when set, else next to this source when run from the top of
 * the tree (as make and check.sh do), else found from the binary in OUTPUT/tests/unit/.
 */
KK_FIXTURE_FN int find_script(const char *name, char *out, size_t len)
{
	const char *src = getenv("KK_SRCDIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (src) {
		snprintf(out, len, "%s/tests/unit/%s", src, name);
		return access(out, R_OK);
	}
	src = strrchr(__FILE__, '/');
	snprintf(out, len, "%.*s/%s", src ? (int)(src - __FILE__) : 1, src ? __FILE__ : ".", name);
	if (!access(out, R_OK))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(out, len, "%s/../../../tests/unit/%s", dirname(exe), name);
	return access(out, R_OK);
}

/*
 * Make the certificates in DIR_TEMPLATE/certs: `sh tests/unit/SCRIPT [MODE] DIR [EXTRA]` (MODE
 * and EXTRA may be NULL). On failure say why as TAP diagnostics and return -1.
 */
KK_FIXTURE_FN int make_certs(const char *script_name, const char *mode, const char *extra)
{
	char script[PATH_MAX], cmd[3 * PATH_MAX], log_path[PATH_MAX];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s", DIR_TEMPLATE);
	if (!mkdtemp(tmpdir)) {
		printf("# mkdtemp %s: %s\n", DIR_TEMPLATE, strerror(errno));
		tmpdir[0] = '\0';
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/certs", tmpdir);
	if (mkdir(dir, 0700)) {
		printf("# mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (find_script(script_name, script, sizeof(script))) {
		printf("# %s not found (run from the top of the tree or set KK_SRCDIR)\n",
		       script_name);
		return -1;
	}
	snprintf(log_path, sizeof(log_path), "%s/make-certs.err", tmpdir);
	snprintf(cmd, sizeof(cmd), "sh '%s' %s '%s' %s 2>'%s'", script, mode ? mode : "", dir,
		 extra ? extra : "", log_path);
	rc = system(cmd);
	if (rc) {
		print_log(log_path);
		printf("# %s failed (status %d)\n", script, rc);
	}
	return rc ? -1 : 0;
}

KK_FIXTURE_FN int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * Remove what make_certs made and nothing else: only a directory mkdtemp created from
 * DIR_TEMPLATE, depth first, without following symbolic links or leaving its file system.
 */
KK_FIXTURE_FN void remove_fixtures(void)
{
	if (strlen(tmpdir) != strlen(DIR_TEMPLATE) ||
	    strncmp(tmpdir, DIR_TEMPLATE, strlen(DIR_TEMPLATE) - 6))
		return;
	if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		printf("# could not remove %s: %s\n", tmpdir, strerror(errno));
	tmpdir[0] = '\0';
}

#endif
