/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * test_identity.h — shared by test_identity.c (fields and agent_id matching) and
 * test_identity_verify.c (the tables of certificates that verify and that are refused): the
 * certificates tests/unit/make-certs.sh makes with the openssl CLI in a fresh /tmp directory,
 * what the CLI prints for them, and helpers to load and verify them.
 */
#ifndef KK_TEST_IDENTITY_H
#define KK_TEST_IDENTITY_H

#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"
#include "unit.h"

/* What make-certs.sh pins in the policy-hash extensions. */
#define HASH	   "506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9cf"
#define OTHER_HASH "2bd14d5df1c074bd29e600c82f23f39c9bd0319fff270c81472eb151369814f2"

/* 2020-01-01 00:00:00 UTC and the expired certificate's window, as make-certs.sh sets it. */
#define T_2020	    1577836800LL
#define T_2020_NOON (T_2020 + 12 * 3600)
#define T_2099	    4070908800LL

/* The mkdtemp directory ("" until made), and the certificates' directory inside it. */
#define DIR_TEMPLATE "/tmp/kk-identity-XXXXXX"
static char tmpdir[sizeof(DIR_TEMPLATE)];
static char dir[sizeof(DIR_TEMPLATE) + 8];
static char why[1024];
static struct kk_identity id;

/* dir/name, in one of a few rotating buffers so a call can use several at once. */
static __attribute__((unused)) const char *P(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int n;
	char *b = bufs[n++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

/* First line of dir/name (what make-certs.sh recorded from the openssl CLI), "" if missing. */
static __attribute__((unused)) const char *expected(const char *name)
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

static __attribute__((unused)) bool one_line(const char *s)
{
	return s[0] && !strchr(s, '\n');
}

/* why[] must hold sub, on one line; the diagnostic prints both. */
#define CHECK_WHY(sub)                                        \
	do {                                                  \
		if (!strstr(why, (sub)) || !one_line(why)) {  \
			unit_fail_begin(__FILE__, __LINE__);  \
			printf("expected why[] containing "); \
			unit_put_str(sub);                    \
			printf(", got ");                     \
			unit_put_str(why);                    \
			printf("\n");                         \
			return;                               \
		}                                             \
	} while (0)

static __attribute__((unused)) int verify(const char *cert, const char *bundle, int64_t now)
{
	memset(why, 0, sizeof(why));
	kk_identity_free(&id);
	return kk_identity_verify(cert, bundle, now, &id, why, sizeof(why));
}

static __attribute__((unused)) int load(const char *cert)
{
	memset(why, 0, sizeof(why));
	kk_identity_free(&id);
	return kk_identity_load(cert, &id, why, sizeof(why));
}

/* --- fixtures --- */

/*
 * tests/unit/make-certs.sh: from $KK_SRCDIR when set, else next to this source when run from the
 * top of the tree (as make and check.sh do), else found from the binary in OUTPUT/tests/unit/.
 */
static __attribute__((unused)) int find_script(char *out, size_t len)
{
	char exe[PATH_MAX];
	const char *src = getenv("KK_SRCDIR");
	ssize_t n;

	if (src) {
		snprintf(out, len, "%s/tests/unit/make-certs.sh", src);
		return access(out, R_OK);
	}
	src = strrchr(__FILE__, '/');
	snprintf(out, len, "%.*s/make-certs.sh", src ? (int)(src - __FILE__) : 1,
		 src ? __FILE__ : ".");
	if (!access(out, R_OK))
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(out, len, "%s/../../../tests/unit/make-certs.sh", dirname(exe));
	return access(out, R_OK);
}

/* Make the certificates in DIR_TEMPLATE/certs; on failure say why as TAP diagnostics. */
static __attribute__((unused)) int make_fixtures(void)
{
	char script[PATH_MAX], cmd[3 * PATH_MAX], log_path[PATH_MAX], line[512];
	FILE *log;
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
	if (find_script(script, sizeof(script))) {
		printf("# make-certs.sh not found (run from the top of the tree or set "
		       "KK_SRCDIR)\n");
		return -1;
	}
	snprintf(log_path, sizeof(log_path), "%s/make-certs.err", tmpdir);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' 2>'%s'", script, dir, log_path);
	rc = system(cmd);
	if (rc) {
		log = fopen(log_path, "r");
		while (log && fgets(line, sizeof(line), log))
			printf("# %s", line);
		if (log)
			fclose(log);
		printf("# %s failed (status %d)\n", script, rc);
	}
	return rc ? -1 : 0;
}

static __attribute__((unused)) int remove_entry(const char *path, const struct stat *st, int flag,
						struct FTW *ftw)
{
	return remove(path);
}

/*
 * Remove what make_fixtures made and nothing else: only a directory mkdtemp created from
 * DIR_TEMPLATE, depth first, without following symbolic links or leaving its file system.
 */
static __attribute__((unused)) void remove_fixtures(void)
{
	if (strlen(tmpdir) != strlen(DIR_TEMPLATE) ||
	    strncmp(tmpdir, DIR_TEMPLATE, strlen(DIR_TEMPLATE) - 6))
		return;
	if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT))
		printf("# could not remove %s: %s\n", tmpdir, strerror(errno));
	tmpdir[0] = '\0';
}

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_fixtures(), 0);
}

#endif
