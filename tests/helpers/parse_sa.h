/* SPDX-License-Identifier: GPL-2.0-only */
/* parse_sa.h — shared by the kernel tests' helper programs (kk-try, kk-escape). */
#ifndef KK_TEST_PARSE_SA_H
#define KK_TEST_PARSE_SA_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ADDR PORT into a sockaddr (IPv4 or IPv6 literal); its length, 0 when not an address. */
static inline socklen_t parse_sa(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(atoi(port));
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(atoi(port));
		return sizeof(*in6);
	}
	return 0;
}

#endif
