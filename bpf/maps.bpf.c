// SPDX-License-Identifier: GPL-2.0-only
/*
 * maps.bpf.c — the one definition of every map (see maps.bpf.h for key, value and what
 * happens when each is full) and the license of the linked object. No hooks here.
 */
#define KK_DEFINE_MAPS
#include "kakunin.bpf.h"

char LICENSE[] SEC("license") = "GPL";
