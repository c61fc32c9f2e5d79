/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hex — the one hex codec of userspace (pure; no libbpf, no OpenSSL). Text is lowercase, with
 * no separators: serials, hashes, fingerprints and issuer keys all print this way, and the
 * state files and events already hold them so.
 */
#ifndef KK_HEX_H
#define KK_HEX_H

#include <stddef.h>
#include <stdint.h>

/* in[0..n) as 2n lowercase hex digits and a NUL into out (2n + 1 bytes); returns out. */
char *kk_hex_encode(const uint8_t *in, size_t n, char *out);

/* The value of hex digit c (either case), or -1. */
int kk_hex_digit(char c);

/*
 * The hex digits of text (either case, nothing else: no "0x", colons or spaces) as bytes into
 * out[0..cap): the number of bytes, or -EINVAL on an odd length, a bad digit or more than cap
 * bytes. Serial numbers in the user's notation go through kk_serial_parse (identity.h).
 */
int kk_hex_decode(const char *text, uint8_t *out, size_t cap);

#endif
