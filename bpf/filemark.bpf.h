/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The marks of files a bound task was decided for: kk_files (a direct-mapped table written at
 * every open or first use, read without a lock) and kk_stdio (descriptors 0-2 handed over at a
 * bind). Included by kakunin.bpf.h after struct kk_ctx; maps.bpf.h says who writes each map.
 */
#ifndef KAKUNIN_FILEMARK_BPF_H
#define KAKUNIN_FILEMARK_BPF_H

/*
 * The kk_files slot of the struct file at address addr: a multiplicative hash of its low 32
 * bits, where slab objects differ. A hook's BTF pointer becomes that scalar by a 32-bit copy,
 * which the verifier allows a privileged loader (kakunin's), and no arithmetic on a pointer
 * does; the copy is written out because the compiler would otherwise multiply in place.
 */
static __always_inline __u32 kk_files_slot(__u64 addr)
{
	__u32 lo;

	asm volatile("%[lo] = %[in]" : [lo] "=w"(lo) : [in] "w"((__u32)addr));
	return (lo * 0x9E3779B1u) >> (32 - KK_FILES_BITS);
}

/*
 * Mark the struct file at addr (inode, ino) as decided for access under binding (slot, gen).
 * Writers claim the slot by making seq odd with a compare-and-swap, readers take no lock
 * (kk_file_marked). A slot another CPU is rewriting is left to it: the file is decided on its
 * path again at its next use (counted).
 */
static __always_inline void kk_files_put(__u64 addr, __u64 inode, __u64 ino, __u32 slot, __u32 gen,
					 __u32 access)
{
	__u32 idx = kk_files_slot(addr);
	struct kk_file_mark *m = bpf_map_lookup_elem(&kk_files, &idx);
	__u32 seq;

	if (!m)
		return;
	seq = m->seq;
	if ((seq & 1) || __sync_val_compare_and_swap(&m->seq, seq, seq + 1) != seq) {
		kk_count(KK_STAT_FILE_TABLE_FULL);
		return;
	}
	m->file = addr;
	m->inode = inode;
	m->ino = ino;
	m->binding = slot;
	m->gen = gen;
	m->access = access;
	kk_seq_end(&m->seq, seq + 1);
}

/* Is mark m the one of file (the same struct file on the same inode) under the binding of c? */
static __always_inline bool kk_mark_is(const struct kk_file_mark *m, struct kk_ctx *c,
				       struct file *file)
{
	/* Direct loads: file is a hook's BTF pointer, no helper call needed. */
	struct inode *inode = file->f_inode;

	return m->file == (__u64)file && m->binding == c->slot && m->gen == c->gen &&
	       m->inode == (__u64)inode && m->ino == inode->i_ino;
}

/*
 * Was file handed over as descriptor 0-2 at a bind of the current binding (kk_stdio)? The
 * access it was handed over with is added to *had. Only binds write kk_stdio, before the task
 * they mark runs bound: no read races a write.
 */
static __always_inline void kk_stdio_had(struct kk_ctx *c, struct file *file, __u32 *had)
{
	__u64 key = (__u64)file;
	struct kk_file_mark *m = bpf_map_lookup_elem(&kk_stdio, &key);

	if (m && kk_mark_is(m, c, file))
		*had |= m->access;
}

/*
 * What was decided for file under the current binding at its open or first use (kk_files): 0
 * when nothing. The slot is read between two equal, even values of its seq, or not at all (a
 * torn read is "not decided": slower, never wider); kk_seq_begin and kk_seq_same keep the
 * loads between them.
 */
static __always_inline __u32 kk_file_slot_had(struct kk_ctx *c, struct file *file)
{
	__u32 idx = kk_files_slot((__u64)file);
	struct kk_file_mark *m = bpf_map_lookup_elem(&kk_files, &idx);
	__u32 seq, got;
	bool same;

	if (!m)
		return 0;
	seq = kk_seq_begin(&m->seq);
	same = !(seq & 1) && kk_mark_is(m, c, file);
	got = m->access;
	if (!same || !kk_seq_same(&m->seq, seq))
		return 0;
	return got;
}

/*
 * Was file decided for (at least) access under the current binding: at its open or first use
 * (kk_files), or as one of descriptors 0-2 handed over at the bind (kk_stdio)? *had gets all
 * that was decided for it, which kk_file_decide keeps when it decides more.
 */
static __always_inline bool kk_file_marked(struct kk_ctx *c, struct file *file, __u32 access,
					   __u32 *had)
{
	*had = kk_file_slot_had(c, file);
	if ((*had & access) == access)
		return true;
	kk_stdio_had(c, file, had);
	return (*had & access) == access;
}

/*
 * The descriptors 0, 1 and 2 a task holds when it is bound are the operator's to give (the
 * terminal, a log file, the journal's socket): they are marked as decided for the binding, with
 * the access they were opened with, in kk_stdio, where no later open can displace them. Every
 * other descriptor from before the bind is decided on its path at its first use. Done before
 * the task itself is marked, so that no read of its stdout happens bound and unmarked.
 */
static __always_inline void kk_mark_stdio(struct task_struct *task, const struct kk_mark *m)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct kk_file_mark fm = { .binding = m->binding, .gen = m->gen };
	struct inode *inode;
	struct file *f;
	__u32 mode;
	__u64 key;
	int i;

#pragma unroll
	for (i = 0; i < 3; i++) {
		f = NULL;
		if ((unsigned int)i >= max || bpf_probe_read_kernel(&f, sizeof(f), &fds[i]) || !f)
			continue;
		mode = BPF_CORE_READ(f, f_mode);
		inode = BPF_CORE_READ(f, f_inode);
		fm.access = (mode & FMODE_READ ? KK_ACCESS_READ : 0) |
			    (mode & FMODE_WRITE ? KK_ACCESS_WRITE : 0);
		fm.file = (__u64)f;
		fm.inode = (__u64)inode;
		fm.ino = BPF_CORE_READ(inode, i_ino);
		key = (__u64)f;
		bpf_map_update_elem(&kk_stdio, &key, &fm, BPF_ANY);
	}
}

#endif /* KAKUNIN_FILEMARK_BPF_H */
