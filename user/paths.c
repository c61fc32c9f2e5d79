// SPDX-License-Identifier: GPL-2.0-only
/* paths — absolute path checks (see paths.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "paths.h"

int kk_path_check(const char *p, size_t max, char *why, size_t wlen)
{
	size_t len = strlen(p);
	const char *c;

	if (p[0] != '/') {
		snprintf(why, wlen, "must be an absolute path");
		return -EINVAL;
	}
	if (len >= max) {
		snprintf(why, wlen, "longer than %zu bytes", max - 1);
		return -ENAMETOOLONG;
	}
	if (len > 1 && p[len - 1] == '/') {
		snprintf(why, wlen, "must not end with '/'");
		return -EINVAL;
	}
	/* Walk the components after each '/'. */
	for (c = p; c && *c; c = strchr(c + 1, '/')) {
		size_t n = strcspn(c + 1, "/");

		if (len == 1)
			break;
		if (n == 0) {
			snprintf(why, wlen, "empty path component ('//')");
			return -EINVAL;
		}
		if ((n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.')) {
			snprintf(why, wlen, "'.' and '..' components are not allowed");
			return -EINVAL;
		}
	}
	return 0;
}
