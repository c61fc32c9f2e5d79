// SPDX-License-Identifier: GPL-2.0-only
/*
 * keyref_pkcs11 — "pkcs11:" key references (RFC 7512) through OpenSSL's pkcs11 ENGINE
 * (libp11's engine, Debian libengine-pkcs11-openssl). The ENGINE API is deprecated in OpenSSL 3
 * but is what Debian 12 ships for PKCS#11 (there is no pkcs11 provider package in bookworm).
 * The deprecation warning is silenced with a diagnostic pragma around the few ENGINE calls
 * only, rather than OPENSSL_API_COMPAT for the file: every other OpenSSL call here keeps its
 * deprecation check, and nothing changes for the rest of the build.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ui.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "keyref.h"
#include "keyref_int.h"

#define P11_URI_MAX 1024
#define P11_PIN_MAX 256

/* A reference split into what libp11 gets (the URI without our query attributes) and ours. */
struct p11_ref {
	char uri[P11_URI_MAX]; /* "pkcs11:" and the selecting attributes, ';'-joined */
	char what[128];	       /* "key <uri>": never holds the PIN */
	char pin[P11_PIN_MAX + 1];
	bool has_pin;
	char module[PATH_MAX]; /* "": the engine's default (p11-kit's proxy) */
};

/* Percent-decode n bytes of s into out (RFC 3986). 0, or -1 on a bad escape or no room. */
static int pct_decode(const char *s, size_t n, char *out, size_t olen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (o + 1 >= olen)
			return -1;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))
			return -1;
		sscanf(s + i + 1, "%2hhx", (unsigned char *)&out[o++]);
		i += 2;
	}
	out[o] = '\0';
	return memchr(out, '\0', o) ? -1 : 0; /* an encoded NUL would cut the value short */
}

/* The PIN from pin-source: the first line of a file kept like a key file. */
static int read_pin_file(struct p11_ref *r, const char *src, struct kk_error *e)
{
	char what[sizeof(e->what)], *buf = NULL;
	size_t len = 0;
	int rc;

	if (!strncmp(src, "file:", 5))
		src += 5;
	if (*src == '|' || !*src)
		return kk_error_set(e, -EINVAL, r->what,
				    "pin-source must be file:PATH (commands are not run)");
	snprintf(what, sizeof(what), "PIN file %.100s", src);
	rc = kk_key_read_secret(src, what, P11_PIN_MAX, &buf, &len, e);
	if (rc)
		return rc;
	buf[strcspn(buf, "\r\n")] = '\0';
	snprintf(r->pin, sizeof(r->pin), "%s", buf);
	r->has_pin = true;
	kk_key_free_secret(buf, len);
	return 0;
}

/* One query attribute of ours (name=value, n bytes): 1 taken, 0 not ours, -errno. */
static int query_attr(struct p11_ref *r, const char *a, size_t n, struct kk_error *e)
{
	char val[PATH_MAX];
	const char *eq = memchr(a, '=', n);
	size_t klen = eq ? (size_t)(eq - a) : n;

#define IS(k) (klen == sizeof(k) - 1 && !strncmp(a, k, klen))
	if (!IS("pin-value") && !IS("pin-source") && !IS("module-path") && !IS("module-name"))
		return 0;
	if (IS("module-name"))
		return kk_error_set(
			e, -EINVAL, r->what,
			"module-name is not supported: give module-path=/path/module.so, "
			"or register the module with p11-kit");
	if ((IS("pin-value") || IS("pin-source")) && r->has_pin)
		return kk_error_set(e, -EINVAL, r->what, "more than one pin-value/pin-source");
	if (!eq || pct_decode(eq + 1, n - klen - 1, val, sizeof(val))) {
		OPENSSL_cleanse(val, sizeof(val));
		/* Not the value itself: it may be the PIN. */
		return kk_error_set(e, -EINVAL, r->what, "%.*s: bad percent-encoding or too long",
				    (int)klen, a);
	}
	if (IS("pin-value")) {
		/* Cut short it would be another PIN: a refusal that names no reason. */
		if (strlen(val) > P11_PIN_MAX) {
			OPENSSL_cleanse(val, sizeof(val));
			return kk_error_set(e, -EINVAL, r->what, "pin-value longer than %d bytes",
					    P11_PIN_MAX);
		}
		snprintf(r->pin, sizeof(r->pin), "%s", val);
		r->has_pin = true;
		OPENSSL_cleanse(val, sizeof(val));
		return 1;
	}
	if (IS("pin-source"))
		return read_pin_file(r, val, e) ?: 1;
	if (val[0] != '/')
		return kk_error_set(e, -EINVAL, r->what, "module-path %s is not an absolute path",
				    val);
	if (access(val, R_OK))
		return kk_error_set(e, -ENOENT, r->what, "module-path %s: %s", val,
				    strerror(errno));
	snprintf(r->module, sizeof(r->module), "%s", val);
	return 1;
#undef IS
}

/*
 * Split ref: every attribute, whether after ';' (path), '?' or '&' (query), is either one of
 * ours (PIN, module) or passed on to libp11, which reads both separators alike. So a PIN put in
 * the path by mistake is still taken out of the URI that errors and the engine see.
 */
static int parse_ref(const char *ref, struct p11_ref *r, struct kk_error *e)
{
	const char *p = ref + 7, *end;
	size_t n, off = 7;
	int rc;

	memset(r, 0, sizeof(*r));
	memcpy(r->uri, "pkcs11:", 8);
	for (; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ";?&");
		n = (size_t)(end - p);
		snprintf(r->what, sizeof(r->what), "key %s", r->uri);
		if (!n)
			continue;
		rc = query_attr(r, p, n, e);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		if (off + n + 2 > sizeof(r->uri))
			return kk_error_set(e, -EINVAL, "key", "pkcs11 URI longer than %d bytes",
					    P11_URI_MAX);
		off += (size_t)snprintf(r->uri + off, sizeof(r->uri) - off, "%s%.*s",
					off > 7 ? ";" : "", (int)n, p);
	}
	snprintf(r->what, sizeof(r->what), "key %s", r->uri);
	if (off == 7)
		return kk_error_set(e, -EINVAL, r->what, "names no token or object");
	return 0;
}

#ifdef OPENSSL_NO_ENGINE
int kk_key_load_pkcs11(const char *ref, EVP_PKEY **out, struct kk_error *e)
{
	return kk_error_set(e, -EOPNOTSUPP, "key", "this OpenSSL is built without ENGINE support");
}
#else

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/*
 * The one engine of the process: a functional reference kept for its life (loaded keys use the
 * engine's PKCS#11 sessions; finishing it would C_Finalize the module under them), the module
 * it was bound to, and the lock that serialises loads (PIN and module are engine-wide state).
 */
static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;
static ENGINE *p11_engine;
static char p11_module[PATH_MAX];

/* ENGINE_by_id finds the engine in OpenSSL's engines directory; else name the .so directly. */
static ENGINE *engine_find(void)
{
	const char *dir = getenv("OPENSSL_ENGINES");
	char so[PATH_MAX];
	ENGINE *eng = ENGINE_by_id("pkcs11");

	if (eng)
		return eng;
	if (!dir) {
		/* "ENGINESDIR: \"/usr/lib/x86_64-linux-gnu/engines-3\"" */
		dir = strchr(OpenSSL_version(OPENSSL_ENGINES_DIR), '"');
		dir = dir ? dir + 1 : "/usr/lib/engines-3";
	}
	snprintf(so, sizeof(so), "%.*s/libpkcs11.so", (int)strcspn(dir, "\""), dir);
	eng = ENGINE_by_id("dynamic");
	if (eng && (!ENGINE_ctrl_cmd_string(eng, "SO_PATH", so, 0) ||
		    !ENGINE_ctrl_cmd_string(eng, "ID", "pkcs11", 0) ||
		    !ENGINE_ctrl_cmd_string(eng, "LOAD", NULL, 0))) {
		ENGINE_free(eng);
		eng = NULL;
	}
	return eng;
}

/* The process's engine, bound to r->module (made on first use). 0 or -errno. */
static int engine_get(const struct p11_ref *r, struct kk_error *e)
{
	ENGINE *eng;

	if (p11_engine) {
		if (strcmp(p11_module, r->module))
			return kk_error_set(
				e, -EINVAL, r->what,
				"the pkcs11 engine already uses module %s; one module per "
				"process (register several with p11-kit, leave module-path "
				"out)",
				*p11_module ? p11_module : "(default: p11-kit proxy)");
		return 0;
	}
	eng = engine_find();
	if (!eng) {
		ERR_clear_error();
		return kk_error_set(e, -ENOENT, r->what,
				    "OpenSSL's pkcs11 engine is not installed (Debian: apt-get "
				    "install libengine-pkcs11-openssl)");
	}
	/* QUIET: libp11 would print its messages on stderr; ours go in the error record. */
	if (!ENGINE_ctrl_cmd_string(eng, "QUIET", NULL, 1) ||
	    (*r->module && !ENGINE_ctrl_cmd_string(eng, "MODULE_PATH", r->module, 0)) ||
	    !ENGINE_init(eng)) {
		ENGINE_free(eng);
		return kk_key_fail(e, -EIO, r->what, "cannot set up the pkcs11 engine");
	}
	ENGINE_free(eng); /* the structural reference; ENGINE_init's functional one stays */
	p11_engine = eng;
	snprintf(p11_module, sizeof(p11_module), "%s", r->module);
	return 0;
}

/*
 * Why ENGINE_load_private_key failed, as an errno and a phrase: the first reason libp11 left on
 * the queue is a PKCS#11 return value (its "PKCS#11 module" library, e.g. "PIN incorrect") or
 * its engine's own ("object not found", "invalid id"). Peeked: kk_key_fail drains the queue
 * into the message afterwards.
 */
static int load_errno(const struct p11_ref *r, const char **why)
{
	const char *reason = ERR_reason_error_string(ERR_peek_error());

	*why = "the pkcs11 engine cannot load it";
	if (!reason)
		return -EIO;
	/* PKCS#11's "PIN incorrect", "PIN locked", ...; libp11's "login failed". */
	if (!strncmp(reason, "PIN ", 4) || strcasestr(reason, "login") ||
	    strcasestr(reason, "not logged in")) {
		*why = "the token refused the PIN";
		return -EACCES;
	}
	if (strcasestr(reason, "invalid id")) {
		*why = "not a pkcs11 URI the engine understands (RFC 7512 path attributes: token, "
		       "object, id, serial, manufacturer, model, type)";
		return -EINVAL;
	}
	if (strcasestr(reason, "not found") || strcasestr(reason, "token not present")) {
		/* Without a login a token shows no private keys at all. */
		*why = r->has_pin ? "no such token or private key"
				  : "no such token or private key (no PIN given: a token shows "
				    "its private keys only after login; add pin-value= or "
				    "pin-source=)";
		return -ENOENT;
	}
	return -EIO;
}

static int engine_load(struct p11_ref *r, EVP_PKEY **out, struct kk_error *e)
{
	EVP_PKEY *key;
	int rc;

	rc = engine_get(r, e);
	if (rc)
		return rc;
	if (r->has_pin && !ENGINE_ctrl_cmd_string(p11_engine, "PIN", r->pin, 0))
		return kk_key_fail(e, -EIO, r->what, "the pkcs11 engine refused the PIN setting");
	/* UI_null: with no PIN (or a wrong one) fail instead of prompting on a terminal. */
	key = ENGINE_load_private_key(p11_engine, r->uri, (UI_METHOD *)UI_null(), NULL);
	if (!key) {
		const char *why;

		rc = load_errno(r, &why);
		return kk_key_fail(e, rc, r->what, "%s", why);
	}
	*out = key;
	return 0;
}

#pragma GCC diagnostic pop

int kk_key_load_pkcs11(const char *ref, EVP_PKEY **out, struct kk_error *e)
{
	struct p11_ref r;
	int rc;

	ERR_clear_error();
	rc = parse_ref(ref, &r, e);
	if (!rc) {
		pthread_mutex_lock(&p11_lock);
		rc = engine_load(&r, out, e);
		pthread_mutex_unlock(&p11_lock);
	}
	OPENSSL_cleanse(&r, sizeof(r));
	return rc;
}
#endif
