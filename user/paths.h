/* SPDX-License-Identifier: GPL-2.0-only */
/* paths — checks on the absolute paths users hand us (pure; no libbpf). */
#ifndef KK_PATHS_H
#define KK_PATHS_H

#include <stddef.h>

/*
 * 0 when p is absolute and normalized — no empty, "." or ".." component and no trailing '/'
 * (except "/" itself) — and shorter than max bytes with its NUL, since the kernel compares
 * resolved paths byte for byte. Otherwise -EINVAL or -ENAMETOOLONG with why[] saying which rule.
 */
int kk_path_check(const char *p, size_t max, char *why, size_t wlen);

#endif
