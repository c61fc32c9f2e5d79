// SPDX-License-Identifier: GPL-2.0-only
/*
 * kk-verstat — where `load` and `unload` spend their time, per program: the verifier's own
 * statistics (instructions processed, states, verification time) and the wall time of attaching
 * and of detaching its link.
 *
 *   kk-verstat OBJECT     e.g. build/kakunin.bpf.o; needs a BPF-LSM kernel (run it in the VM)
 *
 * Prints one JSON object per program (sorted as in the object), then a total line. Programs whose
 * hook is not in the running kernel's BTF are left out, as `load` does. Maps are created fresh and
 * nothing is pinned: the programs are detached again before the tool exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (64 * 1024)

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The number after key in the verifier's stats log ("processed 1234 insns ..."), or -1. */
static long stat_after(const char *log, const char *key)
{
	const char *p = strstr(log, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static int print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void skip_absent(struct bpf_object *obj, const struct btf *btf)
{
	struct bpf_program *prog;
	char fn[128];

	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);

		if (strncmp(sec, "lsm/", 4) != 0 && strncmp(sec, "lsm.s/", 6) != 0)
			continue;
		snprintf(fn, sizeof(fn), "bpf_lsm_%s", strchr(sec, '/') + 1);
		if (btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) < 0)
			bpf_program__set_autoload(prog, false);
	}
}

int main(int argc, char **argv)
{
	double t0, load_ms, attach_total = 0, detach_total = 0;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct btf *btf;
	char *logs;
	int i = 0, n = 0, err;

	if (argc != 2) {
		fprintf(stderr, "usage: kk-verstat OBJECT\n");
		return 2;
	}
	libbpf_set_print(print_quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	btf = btf__load_vmlinux_btf();
	if (!obj || !btf) {
		fprintf(stderr, "kk-verstat: cannot open %s or the kernel's BTF: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	skip_absent(obj, btf);
	bpf_object__for_each_program(prog, obj)
		n++;
	logs = calloc(n, LOG_SIZE);
	if (!logs)
		return 1;
	bpf_object__for_each_program(prog, obj) {
		bpf_program__set_log_level(prog, 4); /* BPF_LOG_STATS: the summary lines only */
		bpf_program__set_log_buf(prog, logs + (size_t)i++ * LOG_SIZE, LOG_SIZE);
	}
	t0 = now_ms();
	err = bpf_object__load(obj);
	load_ms = now_ms() - t0;
	if (err) {
		fprintf(stderr, "kk-verstat: load failed: %s\n", strerror(-err));
		return 1;
	}
	i = 0;
	bpf_object__for_each_program(prog, obj) {
		const char *log = logs + (size_t)i++ * LOG_SIZE;
		double attach_ms = 0, detach_ms = 0;
		struct bpf_link *link = NULL;

		if (!bpf_program__autoload(prog))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_LSM) {
			t0 = now_ms();
			link = bpf_program__attach_lsm(prog);
			attach_ms = now_ms() - t0;
			t0 = now_ms();
			bpf_link__destroy(link);
			detach_ms = now_ms() - t0;
		}
		attach_total += attach_ms;
		detach_total += detach_ms;
		printf("{\"prog\":\"%s\",\"insns\":%ld,\"states\":%ld,\"verify_us\":%ld,"
		       "\"attach_ms\":%.1f,\"detach_ms\":%.1f}\n",
		       bpf_program__name(prog), stat_after(log, "processed "),
		       stat_after(log, "total_states "), stat_after(log, "verification time "),
		       attach_ms, detach_ms);
	}
	printf("{\"total\":true,\"load_ms\":%.0f,\"attach_ms\":%.0f,\"detach_ms\":%.0f}\n", load_ms,
	       attach_total, detach_total);
	bpf_object__close(obj);
	btf__free(btf);
	free(logs);
	return 0;
}
