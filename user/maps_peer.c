// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps_peer — caller attestation: the binding the kernel recorded on an accepted unix or TCP
 * socket (kk_peers, written by lsm/unix_stream_connect, or for TCP to this host by
 * lsm/inet_csk_clone, bpf/attest.bpf.c) read by the socket's fd, for the signer and the egress.
 */
#include <errno.h>
#include <bpf/bpf.h>

#include "maps.h"

int kk_maps_peer(struct kk_maps *m, int sock_fd, struct kk_peer *out)
{
	struct kk_binding b;
	int err;

	/* Socket storage is keyed by a socket fd of the caller: the kernel finds the socket. */
	if (bpf_map_lookup_elem(m->fd[KK_MAP_PEERS], &sock_fd, out))
		return -errno;
	err = kk_maps_binding_read(m, out->binding, &b);
	if (err)
		return err == -ENOENT ? -ESTALE : err;
	/* The slot may have been freed and reused since the connect: the gen tells. */
	if (!b.in_use || b.gen != out->gen)
		return -ESTALE;
	return 0;
}
