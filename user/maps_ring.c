// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps_ring — how full the kernel's event ring is (maps.h). A BPF ring buffer exposes its
 * consumer position on the first page and its producer position on the second; both are mapped
 * read-only here, so reading them takes nothing from the ring and works beside the daemon,
 * which is its one consumer. (libbpf 1.1 has no ring__avail_data_size.)
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "maps.h"

int kk_maps_ring_fill(struct kk_maps *m, uint64_t *used, uint64_t *size)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	unsigned long cons, prod;
	void *pos;

	if (bpf_obj_get_info_by_fd(m->fd[KK_MAP_EVENTS], &info, &len))
		return -errno;
	pos = mmap(NULL, 2 * page, PROT_READ, MAP_SHARED, m->fd[KK_MAP_EVENTS], 0);
	if (pos == MAP_FAILED)
		return -errno;
	cons = __atomic_load_n((unsigned long *)pos, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n((unsigned long *)((char *)pos + page), __ATOMIC_ACQUIRE);
	munmap(pos, 2 * page);
	*used = prod - cons;
	*size = info.max_entries;
	return 0;
}
