// SPDX-License-Identifier: GPL-2.0-only
/*
 * identity_match — does a loaded identity fit a policy (agent_id, pinned policy hash), serial
 * numbers as people type them, and the kernel's identity keys. Plain C: no OpenSSL call here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "identity.h"
#include "kakunin.h"

/* Append to the string in buf, truncating safely. */
static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t off = strnlen(buf, len);
	va_list ap;

	if (off + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + off, len - off, fmt, ap);
	va_end(ap);
}

/* Append s quoted, control characters as '?', so a hostile CN cannot forge a log line. */
static void append_quoted(char *buf, size_t len, const char *s)
{
	char tmp[256];
	size_t i;

	for (i = 0; s[i] && i + 1 < sizeof(tmp); i++)
		tmp[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	tmp[i] = '\0';
	append(buf, len, "\"%s%s\"", tmp, s[i] ? "..." : "");
}

/* Does some SAN URI of id equal uri byte for byte? */
static bool has_san_uri(const struct kk_identity *id, const char *uri)
{
	size_t i;

	for (i = 0; i < id->n_san_uris; i++)
		if (!strcmp(id->san_uris[i], uri))
			return true;
	return false;
}

/* Does some SAN URI end in "/name"? Only for the hint: it is never a match. */
static bool uri_ends_in(const struct kk_identity *id, const char *name)
{
	size_t i, n = strlen(name), u;

	for (i = 0; i < id->n_san_uris; i++) {
		u = strlen(id->san_uris[i]);
		if (u > n && id->san_uris[i][u - n - 1] == '/' &&
		    !strcmp(id->san_uris[i] + u - n, name))
			return true;
	}
	return false;
}

/* ", "-separated quoted SAN URIs of id. */
static void append_uris(char *why, size_t wlen, const struct kk_identity *id)
{
	size_t i;

	for (i = 0; i < id->n_san_uris; i++) {
		append(why, wlen, i ? ", " : "");
		append_quoted(why, wlen, id->san_uris[i]);
	}
}

/* With a spiffe_id, only a SAN URI equal to it counts: a CN is easier to get than a SAN. */
static int match_spiffe(const struct kk_identity *id, const char *spiffe_id, char *why,
			size_t wlen)
{
	if (has_san_uri(id, spiffe_id))
		return 0;
	if (wlen)
		why[0] = '\0';
	if (id->n_san_uris) {
		append(why, wlen, "certificate SAN URI%s ", id->n_san_uris == 1 ? "" : "s");
		append_uris(why, wlen, id);
		append(why, wlen, " %s not match", id->n_san_uris == 1 ? "does" : "do");
	} else {
		append(why, wlen, "certificate has no SAN URI to match");
	}
	append(why, wlen, " the policy's spiffe_id ");
	append_quoted(why, wlen, spiffe_id);
	if (id->subject_cn)
		append(why, wlen, " (its CN does not count when spiffe_id is set)");
	return -EACCES;
}

int kk_identity_match_agent(const struct kk_identity *id, const char *agent_id,
			    const char *spiffe_id, char *why, size_t wlen)
{
	if (!agent_id || !agent_id[0]) {
		snprintf(why, wlen, "the policy's agent_id is empty");
		return -EINVAL;
	}
	if (spiffe_id && spiffe_id[0])
		return match_spiffe(id, spiffe_id, why, wlen);
	/* Whole names only: a suffix or a path segment is anyone's to put in a SAN. */
	if ((id->subject_cn && !strcmp(id->subject_cn, agent_id)) || has_san_uri(id, agent_id))
		return 0;
	if (wlen)
		why[0] = '\0';
	if (id->subject_cn) {
		append(why, wlen, "certificate CN ");
		append_quoted(why, wlen, id->subject_cn);
		append(why, wlen, id->n_san_uris ? " (and SAN URIs " : "");
	} else {
		append(why, wlen,
		       id->n_san_uris ? "certificate has no CN, and its SAN URIs "
				      : "certificate has neither a CN nor a SAN URI to match");
	}
	append_uris(why, wlen, id);
	if (id->subject_cn)
		append(why, wlen, "%s does not match", id->n_san_uris ? ")" : "");
	else if (id->n_san_uris)
		append(why, wlen, " do not match");
	append(why, wlen, " the policy's agent_id ");
	append_quoted(why, wlen, agent_id);
	if (uri_ends_in(id, agent_id))
		append(why, wlen, " (a SAN URI matches only whole: set the policy's spiffe_id)");
	return -EACCES;
}

static bool is_hex64(const char *s)
{
	uint8_t b[32];

	return kk_hex_decode(s, b, sizeof(b)) == (int)sizeof(b);
}

int kk_identity_check_policy_hash(const struct kk_identity *id, const char *policy_hash_hex,
				  char *why, size_t wlen)
{
	if (!id->has_policy_hash)
		return 0;
	if (!policy_hash_hex || !is_hex64(policy_hash_hex)) {
		snprintf(why, wlen, "policy hash \"%.64s\" is not 64 hex digits",
			 policy_hash_hex ? policy_hash_hex : "");
		return -EINVAL;
	}
	if (strcasecmp(id->policy_hash, policy_hash_hex)) {
		snprintf(why, wlen,
			 "certificate pins policy hash %s, but the policy's hash is %s: the CA "
			 "attested another policy",
			 id->policy_hash, policy_hash_hex);
		return -EACCES;
	}
	return 0;
}

int kk_serial_parse(const char *text, uint8_t out[KK_SERIAL_MAX], size_t *len,
		    char canon[KK_SERIAL_HEX_SIZE])
{
	uint8_t nib[2 * KK_SERIAL_MAX];
	const char *p = text;
	size_t i, n = 0, nb;
	bool colons;
	int v;

	if (!p)
		return -EINVAL;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (!*p)
		return -EINVAL;
	/* With colons, the text is byte pairs "f1:d4:e8": a colon at every third position. */
	colons = strchr(p, ':') != NULL;
	if (colons && strlen(p) % 3 != 2)
		return -EINVAL;
	for (i = 0; p[i]; i++) {
		if (colons && i % 3 == 2) {
			if (p[i] != ':')
				return -EINVAL;
			continue;
		}
		v = kk_hex_digit(p[i]);
		if (v < 0)
			return -EINVAL;
		if (!n && !v)
			continue; /* leading zeros carry no value */
		if (n == sizeof(nib))
			return -EINVAL;
		nib[n++] = v;
	}
	/* An odd digit count has an implied leading zero nibble. */
	nb = (n + 1) / 2;
	memset(out, 0, KK_SERIAL_MAX);
	for (i = 0; i < n; i++)
		out[nb - 1 - (n - 1 - i) / 2] |= (n - 1 - i) % 2 ? nib[i] << 4 : nib[i];
	if (!nb)
		nb = 1; /* serial 0 is one zero byte, as in kk_identity.serial_bin */
	*len = nb;
	if (canon)
		kk_hex_encode(out, nb, canon);
	return 0;
}

void kk_ident_key_set(struct kk_ident_key *key, const uint8_t issuer[KK_ISSUER_KEY_LEN],
		      const uint8_t *serial, size_t len)
{
	memset(key, 0, sizeof(*key));
	if (issuer)
		memcpy(key->issuer, issuer, sizeof(key->issuer));
	if (len > sizeof(key->serial))
		len = sizeof(key->serial); /* callers hold at most KK_SERIAL_MAX bytes */
	key->serial_len = len;
	memcpy(key->serial, serial, len);
}

void kk_identity_key(const struct kk_identity *id, struct kk_ident_key *key)
{
	kk_ident_key_set(key, id->issuer_key, id->serial_bin, id->serial_len);
}

int kk_serial_key(const char *text, struct kk_ident_key *key, char canon[KK_SERIAL_HEX_SIZE])
{
	uint8_t bin[KK_SERIAL_MAX];
	size_t len;
	int err = kk_serial_parse(text, bin, &len, canon);

	if (!err)
		kk_ident_key_set(key, NULL, bin, len);
	return err;
}
