/* SPDX-License-Identifier: GPL-2.0-only */
/* revlat — what kk-revlat.c shares with its host mode (revlat_host.c). */
#ifndef KK_REVLAT_H
#define KK_REVLAT_H

#include <stdbool.h>
#include <stdint.h>

#include "lat.h" /* now_ns, cmp, cpus_apart */

/* fork, exec and exit of /bin/true in microseconds (-1: failed). */
double floor_us(void);
/* A connection to the daemon's control socket, kept for every request; -1 and errno. */
int ctl_connect(const char *path);
/* Ask for serial's revocation, its tasks "stop", "keep" or "kill". */
int ctl_send(int fd, const char *serial, const char *tasks);
/* Read the answer line: its flip_us (the daemon's own arrival-to-write time), or -1. */
int ctl_answer(int fd, double *flip_us);
/* "  \"name\": [v0, v1, ...]," on stdout (no comma when last). */
void print_samples(const char *name, const double *v, int n, bool last);
/* kk-revlat host N IDENTS (revlat_host.c): JSON on stdout; the exit code. */
int host_measure(int n, int idents);
/*
 * kk-revlat sandbox IDENTS CMD...: the same maps, then CMD run in their namespace with
 * KAKUNIN_STATE_DIR (a new directory) and KK_SERIAL (the bound identity's serial) set; CMD's
 * exit code. For tests of revoke's userspace on a host without BPF LSM.
 */
int host_sandbox(int idents, char **argv);

#endif
