# SPDX-License-Identifier: GPL-2.0-only
#
# kakunin-bpf build, libbpf-bootstrap style:
#   bpf/*.bpf.c --clang -target bpf--> *.bpf.o --bpftool gen object--> kakunin.bpf.o
#   --bpftool gen skeleton--> kakunin.skel.h --> user/*.c --> kakunin-bpf
# Everything is built in $(OUTPUT) (default build/). V=1 shows the commands.

OUTPUT ?= build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
ARCH ?= x86
BTF ?= /sys/kernel/btf/vmlinux
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
DESTDIR ?=
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

# maps.bpf.c defines every map and must come first: libbpf 1.1's linker fails to relocate a
# map reference (extern) that precedes its definition.
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(sort $(wildcard bpf/*.bpf.c)))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
# user/main_revoke.c is kakunin-revoke's main (below), not part of kakunin-bpf.
USER_SRCS := $(filter-out user/main_revoke.c,$(sort $(wildcard user/*.c)))
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))
BIN := $(OUTPUT)/kakunin-bpf
REVOKE_BIN := $(OUTPUT)/kakunin-revoke
SKEL := $(OUTPUT)/kakunin.skel.h

BPF_CFLAGS := -target bpf -mcpu=v3 -g -O2 -Wall -Werror -D__TARGET_ARCH_$(ARCH) \
	-Iinclude -Ivmlinux -Ibpf
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror \
	-Iinclude -Iuser -I$(OUTPUT) -DKK_VERSION='"$(VERSION)"' -D_FORTIFY_SOURCE=2
LDLIBS := -lbpf -lelf -lz -lssl -lcrypto -lcjson $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)

.PHONY: all check test-unit test-cli test-kernel vmtest install uninstall clean format demo \
	vmlinux deps unit-bins test-bins bench bench-bins hooks-check
.PHONY: fuzz fuzz-bin
.DELETE_ON_ERROR:

all: $(BIN) $(REVOKE_BIN)

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/kakunin.bpf.o: $(BPF_OBJS)
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(SKEL): $(OUTPUT)/kakunin.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name kakunin > $@

# The skeleton is generated: objects that include it must wait for it on the first build
# (afterwards -MMD records the dependency): every user/*.c that includes it, found by grep.
SKEL_USERS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(shell grep -l 'kakunin.skel.h' user/*.c))
$(SKEL_USERS): $(SKEL)

# bpf/hooks.manifest compiled in (user/hooks.c): one { "name", KK_HOOK_<CLASS> } per hook.
# scripts/hooks-check validates the manifest; this only refuses what would not compile.
HOOKS_H := $(OUTPUT)/hooks_manifest.h
$(HOOKS_H): bpf/hooks.manifest | $(OUTPUT)/user
	$(call msg,GEN,$@)
	$(Q)awk 'BEGIN { split("decide DECIDE deny DENY revoked REVOKED allow ALLOW n/a NA", c); \
		for (i = 1; i < 10; i += 2) cls[c[i]] = c[i + 1] } \
		/^[ \t]*(#|$$)/ { next } \
		$$1 !~ /^[a-z0-9_]+$$/ || !($$2 in cls) { \
			printf "%s:%d: bad line: %s\n", FILENAME, FNR, $$0 > "/dev/stderr"; \
			exit 1 } \
		{ printf "\t{ \"%s\", KK_HOOK_%s },\n", $$1, cls[$$2] }' $< >$@
$(OUTPUT)/user/hooks.o: $(HOOKS_H)

$(OUTPUT)/user/%.o: user/%.c | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BIN): $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# kakunin-revoke (user/main_revoke.c): `revoke` alone, for the callers that need it to start
# fastest. Linked from an archive of the library, so only the objects revocation reaches come
# in, with KK_REVOKE_STATIC linked statically (no relocation of their symbols at each start);
# a packager who wants libcrypto's security updates without a rebuild drops -lcrypto from it.
KK_REVOKE_STATIC ?= -lbpf -lelf -lz -lcrypto
$(OUTPUT)/libkakunin.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(REVOKE_BIN): $(OUTPUT)/user/main_revoke.o $(OUTPUT)/libkakunin.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ -Wl,-Bstatic $(KK_REVOKE_STATIC) -Wl,-Bdynamic -lcjson \
		$(filter-out $(KK_REVOKE_STATIC),-lcrypto) -o $@

$(OUTPUT)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJS) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -MMD -MP $< $(LIB_OBJS) $(LDLIBS) -o $@

# Small programs the kernel tests run inside the VM (exact errno of one system call, ...).
HELPER_BINS := $(patsubst tests/helpers/%.c,$(OUTPUT)/tests/%,$(wildcard tests/helpers/*.c))
$(OUTPUT)/tests/%: tests/helpers/%.c | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< -o $@ -luring
# kk-peer asks the pinned maps as the signer does (kk_maps_peer); kk-jws-sign
# (tests/cli/verify.bats) signs with the project's own JWS code: both linked with the library.
$(OUTPUT)/tests/kk-peer $(OUTPUT)/tests/kk-jws-sign: $(OUTPUT)/tests/%: tests/helpers/%.c $(LIB_OBJS) | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIB_OBJS) $(LDLIBS) -o $@
# kk-escape is several files (tests/helpers/kk-escape/): one program, one compiler call.
ESCAPE_SRCS := $(wildcard tests/helpers/kk-escape/*.c)
HELPER_BINS += $(OUTPUT)/tests/kk-escape
$(OUTPUT)/tests/kk-escape: $(ESCAPE_SRCS) tests/helpers/kk-escape/escape.h tests/helpers/parse_sa.h | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(ESCAPE_SRCS) -o $@ -luring -lpthread

# The benchmark drivers (bench/): built for `make check` too, whose CLI suite runs them once.
BENCH_BINS := $(OUTPUT)/bench/kk-bench $(OUTPUT)/bench/kk-revlat $(OUTPUT)/bench/kk-evpipe \
	$(OUTPUT)/bench/kk-verstat $(OUTPUT)/bench/kk-signlat $(OUTPUT)/bench/kk-egresslat \
	$(OUTPUT)/bench/kk-floor

unit-bins: $(UNIT_BINS)
test-bins: $(UNIT_BINS) $(HELPER_BINS) $(BENCH_BINS)

$(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/tests/unit:
	$(Q)mkdir -p $@

# --- fuzzing: libFuzzer with ASan and UBSan over the policy module (no libbpf needed) ---
# make fuzz FUZZ_SECONDS=60. New inputs go to $(OUTPUT)/fuzz/corpus (the committed seed corpus
# is only read), crash reproducers to $(OUTPUT)/fuzz/crash-*.
FUZZ_SECONDS ?= 20
FUZZ_BIN := $(OUTPUT)/fuzz/fuzz_policy
# The policy module (user/policy*.c) and what it uses; none of it needs libbpf.
FUZZ_SRCS := tests/fuzz/fuzz_policy.c $(sort $(wildcard user/policy*.c)) user/actions.c user/jsonc.c \
	user/paths.c user/hex.c user/error.c
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Iinclude -Iuser

$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard user/*.h include/*.h) | $(OUTPUT)/fuzz
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SRCS) -lcjson -lcrypto -o $@

fuzz-bin: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	$(Q)mkdir -p $(OUTPUT)/fuzz/corpus
	$(call msg,FUZZ,$(FUZZ_BIN) for $(FUZZ_SECONDS) s)
	$(Q)$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/policy.dict -max_len=4096 \
		-timeout=5 -rss_limit_mb=1024 -artifact_prefix=$(OUTPUT)/fuzz/ \
		$(OUTPUT)/fuzz/corpus tests/fuzz/corpus/policy

$(OUTPUT)/fuzz:
	$(Q)mkdir -p $@

# --- tests: each suite writes TAP under $(OUTPUT)/tap; scripts/check.sh sums them up ---

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all test-bins
	$(Q)OUTPUT=$(OUTPUT) scripts/check.sh all

test-unit: all test-bins
	$(Q)OUTPUT=$(OUTPUT) scripts/check.sh unit

test-cli: all
	$(Q)OUTPUT=$(OUTPUT) scripts/check.sh cli

test-kernel: all test-bins
	$(Q)OUTPUT=$(OUTPUT) scripts/check.sh kernel

# The trading-bot story, natively on a BPF-LSM kernel, else in the test VM (scripts/demo.sh).
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# Benchmarks (bench/run.sh): hook cost next to Landlock, revocation latency, compile time and
# audit throughput, natively or in the VM; bench/results/latest.{json,md,png}. BENCH_ARGS passes
# options, e.g. make bench BENCH_ARGS='--reps 3 --scale 0.2'.
$(OUTPUT)/bench/kk-bench: bench/kk-bench.c bench/lat.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< -o $@ -lpthread
# kk-revlat's host mode (bench/revlat_host.c) makes this build's maps from the skeleton and
# runs the library's revocation: linked with the library.
$(OUTPUT)/bench/kk-revlat: bench/kk-revlat.c bench/revlat_host.c bench/revlat.h bench/lat.h $(SKEL) $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Ibench -MMD -MP bench/kk-revlat.c bench/revlat_host.c $(LIB_OBJS) $(LDLIBS) -o $@
$(OUTPUT)/bench/kk-evpipe: bench/kk-evpipe.c $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIB_OBJS) $(LDLIBS) -o $@
$(OUTPUT)/bench/kk-signlat: bench/kk-signlat.c bench/lat.h $(LIB_OBJS) | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIB_OBJS) $(LDLIBS) -o $@
$(OUTPUT)/bench/kk-egresslat: bench/kk-egresslat.c bench/lat.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< -o $@ -lssl -lcrypto
$(OUTPUT)/bench/kk-verstat: bench/kk-verstat.c | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< -o $@ -lbpf
# kk-floor loads bench/floor.bpf.c (empty programs, not kakunin-bpf's) from its own skeleton.
$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
$(OUTPUT)/bench/floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@
$(OUTPUT)/bench/kk-floor: bench/kk-floor.c bench/lat.h $(OUTPUT)/bench/floor.skel.h | $(OUTPUT)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/bench -MMD -MP $< -o $@ -lbpf -lelf -lz
$(OUTPUT)/bench:
	$(Q)mkdir -p $@

bench-bins: $(BENCH_BINS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all bench-bins
	$(Q)bench/run.sh $(BENCH_ARGS)

# Run CMD (default: the kernel suite) in the VM, e.g. make vmtest CMD='bats tests/kernel/x.bats'
vmtest: all test-bins
	$(Q)scripts/vmtest.sh -- $(or $(CMD),bats --tap tests/kernel)

# --- the hook manifest against a kernel's BTF (BTF=..., by default this machine's kernel) and
# the object's programs (scripts/hooks-check; README "Hook coverage") ---
hooks-check: $(OUTPUT)/kakunin.bpf.o
	$(Q)scripts/hooks-check --btf $(BTF) --object $<

# --- vmlinux.h: from a BTF file (BTF=...), by default this machine's kernel ---
vmlinux:
	$(call msg,GEN,vmlinux/vmlinux.h from $(BTF))
	$(Q)$(BPFTOOL) btf dump file $(BTF) format c > vmlinux/vmlinux.h.tmp
	$(Q)mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

# make install [PREFIX=/usr/local] [SBINDIR=$(PREFIX)/sbin] [DESTDIR=]: the binaries, the man page,
# bash completion, example policies, systemd unit (ExecStart* pointing at $(SBINDIR)) and
# tmpfiles.d entry. uninstall removes exactly these (tests/cli/install.bats).
install: $(BIN) $(REVOKE_BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/kakunin-bpf
	install -D -m 0755 $(REVOKE_BIN) $(DESTDIR)$(SBINDIR)/kakunin-revoke
	install -D -m 0644 docs/kakunin-bpf.8 $(DESTDIR)$(PREFIX)/share/man/man8/kakunin-bpf.8
	install -D -m 0644 completion/kakunin-bpf.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/kakunin-bpf
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/kakunin-bpf/policies
	install -m 0644 $(sort $(wildcard policies/*.json)) $(DESTDIR)$(PREFIX)/share/kakunin-bpf/policies/
	install -d -m 0755 $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/sbin/kakunin-bpf|$(SBINDIR)/kakunin-bpf|g' dist/kakunin-bpf.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-bpf.service.tmp
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-bpf.service.tmp
	mv -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-bpf.service.tmp \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-bpf.service
	sed 's|/usr/sbin/kakunin-bpf|$(SBINDIR)/kakunin-bpf|g' dist/kakunin-signer.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-signer.service.tmp
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-signer.service.tmp
	mv -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-signer.service.tmp \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-signer.service
	sed 's|/usr/sbin/kakunin-bpf|$(SBINDIR)/kakunin-bpf|g' dist/kakunin-egress.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-egress.service.tmp
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-egress.service.tmp
	mv -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-egress.service.tmp \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-egress.service
	install -D -m 0644 dist/kakunin-bpf.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/kakunin-bpf.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/kakunin-bpf $(DESTDIR)$(SBINDIR)/kakunin-revoke
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/kakunin-bpf.8
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kakunin-bpf
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/kakunin-bpf/policies/,$(notdir $(wildcard policies/*.json)))
	for d in $(DESTDIR)$(PREFIX)/share/kakunin-bpf/policies $(DESTDIR)$(PREFIX)/share/kakunin-bpf; do \
		if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-bpf.service
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-signer.service
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kakunin-egress.service
	rm -f $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/kakunin-bpf.conf

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h user/*.c user/*.h include/*.h tests/unit/*.c \
		tests/unit/*.h tests/helpers/*.c tests/helpers/*.h tests/helpers/kk-escape/*)

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/bpf/*.d $(OUTPUT)/user/*.d $(OUTPUT)/tests/*.d \
	$(OUTPUT)/tests/unit/*.d $(OUTPUT)/bench/*.d)
