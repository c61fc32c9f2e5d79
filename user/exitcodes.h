/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * exitcodes — what the process returns. Its own header rather than cli.h or kakunin_limits.h:
 * the exit status is the program's contract with its caller (systemd, scripts), which the
 * daemon's entry point returns as much as the command table does, and the kernel side never
 * sees it. Whatever returns a status includes this, and nothing else of the command line.
 */
#ifndef KK_EXITCODES_H
#define KK_EXITCODES_H

enum kk_exit {
	KK_EXIT_OK = 0,
	KK_EXIT_FAIL = 1,
	KK_EXIT_USAGE = 2,
	KK_EXIT_NO_LSM = 3, /* BPF LSM unavailable on this kernel */
};

#endif
