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

/* Where the certificates are made (cert_fixture.h). */
#define DIR_TEMPLATE "/tmp/kk-identity-XXXXXX"
#include "cert_fixture.h"
static char why[1024];
static struct kk_identity id;

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

/* --- fixtures (cert_fixture.h) --- */

UNIT_TEST(fixtures)
{
	CHECK_EQ_INT(make_certs("make-certs.sh", NULL, NULL), 0);
}

#endif
