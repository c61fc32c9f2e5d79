// SPDX-License-Identifier: GPL-2.0-only
/*
 * audit — the writer's side of the hash-chained audit log and the check of one line, which the
 * verifier and resume share (see audit.h; the format is defined in docs/audit.md).
 *
 * The hash covers the bytes of the line as written with the hash member removed. The writer
 * prints the object with prev_hash (cJSON_PrintUnformatted, or the daemon's own printer:
 * kk_audit_chain_seal), hashes those bytes, and splices ,"hash":"<hex>" in before the closing
 * brace. A verifier therefore never has to re-serialize
 * JSON (number formatting differs between libraries and even cJSON versions): it cuts the fixed
 * 75-byte suffix off and hashes what is left, plus "}".
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "audit.h"
#include "hex.h"
#include "output.h"

/* The last member of every line: ,"hash":"<64 hex>"} (9 + 64 + 2 bytes). */
#define HASH_HEAD     ",\"hash\":\""
#define HASH_HEAD_LEN (sizeof(HASH_HEAD) - 1)
#define SUFFIX_LEN    (HASH_HEAD_LEN + KK_AUDIT_HASH_HEX + 2)

static int say(char *why, size_t wlen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int say(char *why, size_t wlen, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && wlen) {
		va_start(ap, fmt);
		vsnprintf(why, wlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static EVP_MD *sha256_md;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/*
 * SHA-256 of a[0..alen) followed by b[0..blen), as 64 lowercase hex digits and a NUL. The
 * digest is fetched once and the context kept per thread: fetching and allocating them for
 * every line cost more than hashing a line does.
 */
static int sha256_hex(const char *a, size_t alen, const char *b, size_t blen, char *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static _Thread_local EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	pthread_once(&once, sha256_fetch);
	if (!ctx)
		ctx = EVP_MD_CTX_new();
	if (!ctx || !sha256_md || !EVP_DigestInit_ex2(ctx, sha256_md, NULL) ||
	    !EVP_DigestUpdate(ctx, a, alen) || !EVP_DigestUpdate(ctx, b, blen) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen * 2 != KK_AUDIT_HASH_HEX)
		return -ENOMEM;
	kk_hex_encode(md, mdlen, out); /* mdlen * 2 == KK_AUDIT_HASH_HEX */
	return 0;
}

/* A string of exactly 64 lowercase hex digits: uppercase would hash the same but compare not. */
static bool is_hash(const cJSON *v)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
	size_t i;

	if (!s || strlen(s) != KK_AUDIT_HASH_HEX)
		return false;
	for (i = 0; i < KK_AUDIT_HASH_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * *dup = a member name that occurs twice in one object, at any depth (NULL if none). cJSON keeps
 * both members and looks up the first, other parsers take the last: a repeated name would let a
 * line mean two things, so neither the writer nor the verifier accepts one.
 */
static int find_dup(const cJSON *node, const char **dup)
{
	const cJSON *it;
	const char **names;
	size_t n = 0, i = 0;
	int err = 0;

	cJSON_ArrayForEach (it, node)
		n++;
	if (cJSON_IsObject(node) && n > 1) {
		names = malloc(n * sizeof(*names));
		if (!names)
			return -ENOMEM;
		cJSON_ArrayForEach (it, node)
			names[i++] = it->string ? it->string : "";
		qsort(names, n, sizeof(*names), cmp_name);
		for (i = 1; i < n && !*dup; i++)
			if (!strcmp(names[i - 1], names[i]))
				*dup = names[i];
		free(names);
	}
	cJSON_ArrayForEach (it, node) {
		if (err || *dup)
			break;
		err = find_dup(it, dup);
	}
	return err;
}

int kk_audit_chain_init(struct kk_audit_chain *c)
{
	if (!c)
		return -EINVAL;
	memset(c->prev, '0', KK_AUDIT_HASH_HEX);
	c->prev[KK_AUDIT_HASH_HEX] = '\0';
	c->lines = 0;
	return 0;
}

/* The object of json, checked for what the writer refuses; NULL with *err set. */
static cJSON *writer_parse(const char *json, int *err)
{
	const char *dup = NULL;
	cJSON *o = cJSON_ParseWithOpts(json, NULL, true);

	*err = -EINVAL;
	if (!o || !cJSON_IsObject(o))
		goto fail;
	/* Case-sensitive: cJSON_GetObjectItem would also find "Hash", a different member. */
	if (cJSON_GetObjectItemCaseSensitive(o, "hash") ||
	    cJSON_GetObjectItemCaseSensitive(o, "prev_hash")) {
		*err = -EEXIST;
		goto fail;
	}
	*err = find_dup(o, &dup);
	if (!*err && dup)
		*err = -EINVAL;
	if (*err)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/*
 * Lines are printed into one buffer per thread: cJSON_PrintUnformatted would allocate and grow
 * a new one for every line. A line that does not fit (paths of a few KiB, escaped) is printed
 * the allocating way, and only that one is freed.
 */
static _Thread_local char canon_buf[32768];

static void writer_canon_free(char *canon)
{
	if (canon != canon_buf)
		cJSON_free(canon);
}

/*
 * The canonical text of the line (the object with prev_hash, printed by cJSON), checked to be
 * one line of valid UTF-8: cJSON passes invalid bytes in strings through unchanged, and
 * DESIGN.md promises UTF-8 lines. NULL with *err set; release with writer_canon_free.
 */
static char *writer_canon(cJSON *o, const char *prev, size_t *len, int *err)
{
	char *canon = canon_buf;

	*err = -ENOMEM;
	if (!cJSON_AddStringToObject(o, "prev_hash", prev))
		return NULL;
	if (!cJSON_PrintPreallocated(o, canon_buf, sizeof(canon_buf), 0))
		canon = cJSON_PrintUnformatted(o);
	if (!canon)
		return NULL;
	*len = strlen(canon);
	*err = kk_utf8_valid(canon, *len) && !memchr(canon, '\n', *len) && *len &&
			       canon[*len - 1] == '}' ? 0 : -EILSEQ;
	if (*err) {
		writer_canon_free(canon);
		canon = NULL;
	}
	return canon;
}

/* The line of object o (prev_hash added, printed, hashed); the chain advances. errno on NULL. */
static char *chain_finish(struct kk_audit_chain *c, cJSON *o)
{
	char hash[KK_AUDIT_HASH_HEX + 1], *canon, *line = NULL;
	size_t len;
	int err;

	canon = writer_canon(o, c->prev, &len, &err);
	if (!canon)
		goto out;
	err = sha256_hex(canon, len, "", 0, hash);
	if (!err) {
		err = -ENOMEM;
		line = malloc(len - 1 + SUFFIX_LEN + 1);
	}
	if (line) {
		/* canon without its '}', then the hash member and the '}' again. */
		memcpy(line, canon, len - 1);
		memcpy(line + len - 1, HASH_HEAD, HASH_HEAD_LEN);
		memcpy(line + len - 1 + HASH_HEAD_LEN, hash, KK_AUDIT_HASH_HEX);
		memcpy(line + len - 1 + HASH_HEAD_LEN + KK_AUDIT_HASH_HEX, "\"}", 3);
		memcpy(c->prev, hash, sizeof(hash));
		c->lines++;
	}
	writer_canon_free(canon);
out:
	if (!line)
		errno = -err;
	return line;
}

char *kk_audit_chain_line(struct kk_audit_chain *c, const char *json)
{
	char *line = NULL;
	cJSON *o;
	int err = -EINVAL;

	if (!c || !json)
		goto out;
	o = writer_parse(json, &err);
	if (!o)
		goto out;
	line = chain_finish(c, o);
	cJSON_Delete(o);
	return line;
out:
	errno = -err;
	return NULL;
}

#define PREV_HEAD ",\"prev_hash\":\""

int kk_audit_chain_seal(struct kk_audit_chain *c, char *line, size_t *len)
{
	char hash[KK_AUDIT_HASH_HEX + 1], *p = line + *len;
	size_t n;
	int err;

	/* The canonical text: the object with prev_hash as its last member. */
	memcpy(p, PREV_HEAD, sizeof(PREV_HEAD) - 1);
	p += sizeof(PREV_HEAD) - 1;
	memcpy(p, c->prev, KK_AUDIT_HASH_HEX);
	p += KK_AUDIT_HASH_HEX;
	memcpy(p, "\"}", 2);
	n = p + 2 - line;
	err = sha256_hex(line, n, "", 0, hash);
	if (err)
		return err;
	/* Its closing brace becomes the hash member and the brace again. */
	p = line + n - 1;
	memcpy(p, HASH_HEAD, HASH_HEAD_LEN);
	p += HASH_HEAD_LEN;
	memcpy(p, hash, KK_AUDIT_HASH_HEX);
	p += KK_AUDIT_HASH_HEX;
	memcpy(p, "\"}", 2);
	*len = p + 2 - line;
	memcpy(c->prev, hash, sizeof(hash));
	c->lines++;
	return 0;
}

/* "hash" present, well formed, last, and written exactly as the suffix the writer puts. */
static int check_hash_member(const cJSON *o, const char *line, size_t len, char *why, size_t wlen)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "hash"), *last = o->child;

	if (!h)
		return say(why, wlen, -EINVAL, "no \"hash\" member");
	if (!is_hash(h))
		return say(why, wlen, -EINVAL, "ill-formed \"hash\": not 64 lowercase hex digits");
	while (last && last->next)
		last = last->next;
	if (last != h || len < SUFFIX_LEN ||
	    memcmp(line + len - SUFFIX_LEN, HASH_HEAD, HASH_HEAD_LEN) ||
	    memcmp(line + len - 2 - KK_AUDIT_HASH_HEX, h->valuestring, KK_AUDIT_HASH_HEX) ||
	    memcmp(line + len - 2, "\"}", 2))
		return say(why, wlen, -EINVAL,
			   "\"hash\" is not the last member written as ,\"hash\":\"<64 hex>\"}");
	return 0;
}

/* The parsed line, or NULL with why[] set: a JSON object from its first byte to its last. */
static cJSON *line_parse(const char *line, size_t len, int *err, char *why, size_t wlen)
{
	const char *end = NULL;
	cJSON *o;

	*err = -EINVAL;
	if (!len) {
		say(why, wlen, -EINVAL, "empty line");
		return NULL;
	}
	if (memchr(line, '\0', len)) {
		say(why, wlen, -EINVAL, "contains a NUL byte");
		return NULL;
	}
	if (line[0] != '{') {
		say(why, wlen, -EINVAL, "not a JSON object (does not start with '{')");
		return NULL;
	}
	o = cJSON_ParseWithLengthOpts(line, len, &end, false);
	if (!o) {
		say(why, wlen, -EINVAL, "not JSON (invalid at byte %zu)",
		    end && end >= line ? (size_t)(end - line) + 1 : (size_t)1);
		return NULL;
	}
	if (end != line + len) {
		say(why, wlen, -EINVAL, "not one JSON object (text after byte %zu)",
		    (size_t)(end - line));
		cJSON_Delete(o);
		return NULL;
	}
	*err = 0;
	return o;
}

/* Everything but the content hash: structure, unique names, the two hash members. */
static int line_members(const cJSON *o, const char *line, size_t len, char *why, size_t wlen)
{
	const char *dup = NULL;
	const cJSON *p;
	int err;

	if (!cJSON_IsObject(o))
		return say(why, wlen, -EINVAL, "not a JSON object");
	err = find_dup(o, &dup);
	if (err)
		return say(why, wlen, err, "out of memory");
	if (dup)
		return say(why, wlen, -EINVAL, "member name \"%.64s\" repeated in one object", dup);
	err = check_hash_member(o, line, len, why, wlen);
	if (err)
		return err;
	p = cJSON_GetObjectItemCaseSensitive(o, "prev_hash");
	if (!p)
		return say(why, wlen, -EINVAL, "no \"prev_hash\" member");
	if (!is_hash(p))
		return say(why, wlen, -EINVAL,
			   "ill-formed \"prev_hash\": not 64 lowercase hex digits");
	return 0;
}

int kk_audit_line_check(const char *line, size_t len, char *hash, char *prev, char *why,
			size_t wlen)
{
	char want[KK_AUDIT_HASH_HEX + 1];
	const char *have;
	cJSON *o;
	int err;

	o = line_parse(line, len, &err, why, wlen);
	if (!o)
		return err;
	err = line_members(o, line, len, why, wlen);
	if (err)
		goto out;
	/* The canonical text: the line up to the hash member, then the closing brace. */
	err = sha256_hex(line, len - SUFFIX_LEN, "}", 1, want);
	if (err) {
		say(why, wlen, err, "out of memory");
		goto out;
	}
	have = cJSON_GetObjectItemCaseSensitive(o, "hash")->valuestring;
	if (strcmp(want, have)) {
		err = say(why, wlen, -EINVAL,
			  "hash mismatch: the line was edited (its content hashes to %.16s..., "
			  "its \"hash\" is %.16s...)",
			  want, have);
		goto out;
	}
	if (hash)
		memcpy(hash, have, KK_AUDIT_HASH_HEX + 1);
	if (prev)
		memcpy(prev, cJSON_GetObjectItemCaseSensitive(o, "prev_hash")->valuestring,
		       KK_AUDIT_HASH_HEX + 1);
out:
	cJSON_Delete(o);
	return err;
}
