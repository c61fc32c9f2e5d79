// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity_util — read a certificate file (PEM or DER, with or without its chain) and the
 * OpenSSL helpers identity_*.c and revocation_*.c share (see identity_int.h). It calls nothing
 * else of the identity module, so the files that use it never form a circle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "identity_int.h"

/* A certificate chain is a few KiB: refuse anything absurd rather than read /dev/zero forever. */
#define KK_CERT_FILE_MAX (1u << 20)

void kk_id_why(char *why, size_t wlen, bool ssl, const char *fmt, ...)
{
	unsigned long e;
	size_t off;
	va_list ap;
	char sep = '(';

	if (!wlen) {
		ERR_clear_error();
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, wlen, fmt, ap);
	va_end(ap);
	while (ssl && (e = ERR_get_error())) {
		char buf[256];

		ERR_error_string_n(e, buf, sizeof(buf));
		off = strlen(why);
		if (off + 1 < wlen)
			snprintf(why + off, wlen - off, "%s%s", sep == '(' ? " (" : "; ", buf);
		sep = ';';
	}
	off = strlen(why);
	if (sep == ';' && off + 1 < wlen)
		snprintf(why + off, wlen - off, ")");
	ERR_clear_error();
}

void kk_id_name(const X509_NAME *name, char *buf, size_t len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	buf[0] = '\0';
	if (!bio)
		return;
	/* RFC 2253 escapes control characters, so a hostile DN cannot break the line. */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		snprintf(buf, len, "%.*s", (int)n, data);
	}
	BIO_free(bio);
}

void kk_id_time_str(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "@%lld", (long long)t);
}

int kk_id_asn1_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return -EINVAL;
	*out = (int64_t)timegm(&tm);
	return 0;
}

ASN1_OBJECT *kk_id_policy_oid(void)
{
	/* no_name = 1: a dotted OID only, and no global NID is registered for it. */
	return OBJ_txt2obj(KK_POLICY_HASH_OID, 1);
}

/* Read at most KK_CERT_FILE_MAX bytes of path into *buf (malloc'd) and *len. */
static int read_file(const char *path, unsigned char **buf, size_t *len, char *why, size_t wlen)
{
	unsigned char *b = NULL;
	size_t n = 0, cap = 0;
	int fd, err = 0;
	ssize_t r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		kk_id_why(why, wlen, false, "certificate %s: cannot open: %s", path,
			  strerror(-err));
		return err;
	}
	do {
		if (n == cap) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = cap <= 2 * KK_CERT_FILE_MAX ? realloc(b, cap) : NULL;
			if (!nb) {
				err = -ENOMEM;
				kk_id_why(why, wlen, false, "certificate %s: out of memory", path);
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			kk_id_why(why, wlen, false, "certificate %s: cannot read: %s", path,
				  strerror(-err));
			goto out;
		}
		n += r;
		if (n > KK_CERT_FILE_MAX) {
			err = -EFBIG;
			kk_id_why(why, wlen, false,
				  "certificate %s: larger than %u bytes, not a certificate", path,
				  KK_CERT_FILE_MAX);
			goto out;
		}
	} while (r > 0);
out:
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* No certificate is encrypted; refuse to prompt on the terminal for a password anyway. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* PEM: the leaf first, then any intermediates; text around the blocks is ignored. */
static int parse_pem(const char *path, BIO *bio, X509 **leaf, kk_x509s **extra, char *why,
		     size_t wlen)
{
	unsigned long e;
	X509 *x;

	*leaf = PEM_read_bio_X509(bio, NULL, no_password, NULL);
	if (!*leaf) {
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			kk_id_why(why, wlen, true,
				  "certificate %s: no CERTIFICATE block in the PEM file", path);
		else
			kk_id_why(why, wlen, true, "certificate %s: not a valid PEM certificate",
				  path);
		return -EINVAL;
	}
	*extra = sk_X509_new_null();
	if (!*extra) {
		kk_id_why(why, wlen, true, "certificate %s: out of memory", path);
		return -ENOMEM;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL))) {
		if (!sk_X509_push(*extra, x)) {
			X509_free(x);
			kk_id_why(why, wlen, true, "certificate %s: out of memory", path);
			return -ENOMEM;
		}
	}
	/* The loop ends with "no start line" at the end of the file; anything else is damage. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		kk_id_why(why, wlen, true,
			  "certificate %s: certificate %d of the PEM file is not valid", path,
			  sk_X509_num(*extra) + 2);
		return -EINVAL;
	}
	ERR_clear_error();
	return 0;
}

int kk_id_read_certs(const char *path, X509 **leaf, kk_x509s **extra, char *why, size_t wlen)
{
	unsigned char *buf = NULL;
	const unsigned char *p;
	BIO *bio = NULL;
	size_t len = 0;
	int err;

	*leaf = NULL;
	*extra = NULL;
	err = read_file(path, &buf, &len, why, wlen);
	if (err)
		return err;
	err = -EINVAL;
	if (!len) {
		kk_id_why(why, wlen, false, "certificate %s: empty file", path);
		goto out;
	}
	/* PEM may carry text before the block (openssl x509 -text); DER starts with a SEQUENCE. */
	if (memmem(buf, len, "-----BEGIN ", 11)) {
		bio = BIO_new_mem_buf(buf, (int)len);
		if (!bio) {
			err = -ENOMEM;
			kk_id_why(why, wlen, true, "certificate %s: out of memory", path);
			goto out;
		}
		err = parse_pem(path, bio, leaf, extra, why, wlen);
		goto out;
	}
	if (buf[0] != 0x30) {
		kk_id_why(why, wlen, false,
			  "certificate %s: not a certificate (neither PEM nor DER)", path);
		goto out;
	}
	p = buf;
	*leaf = d2i_X509(NULL, &p, (long)len);
	if (!*leaf) {
		kk_id_why(why, wlen, true, "certificate %s: not a valid DER certificate", path);
		goto out;
	}
	if (p != buf + len) {
		kk_id_why(why, wlen, false,
			  "certificate %s: %zu bytes of trailing data after the DER certificate",
			  path, (size_t)(buf + len - p));
		goto out;
	}
	err = 0;
out:
	BIO_free(bio);
	free(buf);
	if (err) {
		X509_free(*leaf);
		sk_X509_pop_free(*extra, X509_free);
		*leaf = NULL;
		*extra = NULL;
	}
	return err;
}
