// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_run — `kakunin-bpf run --cert CERT --policy FILE [--ca BUNDLE] -- CMD [ARG...]`.
 *
 * CMD starts already bound: the child waits on a pipe until the parent has bound it, and only
 * then execs CMD, so enforcement holds from CMD's first instruction (its exec included).
 * Signals sent to `run` are passed on to CMD; `run` exits with CMD's status (128 + N when a
 * signal N ended it), or 1 when it could not bind. CMD gets descriptors 0-2 only, unless
 * --keep-fds: whatever `run` inherited beyond them (a socket, a secret file, a terminal of
 * someone else) was opened outside the binding's scope and would carry access into it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bind.h"
#include "cli.h"
#include "log.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf run --cert CERT --policy FILE [--ca BUNDLE] [--region R] [--offline]\n"
	"                       [--keep-fds] [--json] -- CMD [ARG...]\n\n"
	"Run CMD bound to CERT and FILE from its first instruction on (see 'bind'). Signals\n"
	"are forwarded to CMD; the exit status is CMD's (128+N when signal N ended it).\n"
	"CMD gets standard input, output and error only: every other descriptor run\n"
	"inherited is closed before CMD starts, unless --keep-fds. With --json a failure\n"
	"to bind (or to start CMD) is one JSON error object on stdout.\n";

static const struct option opts[] = {
	{ "cert", required_argument, NULL, 'c' },
	{ "policy", required_argument, NULL, 'P' },
	{ "ca", required_argument, NULL, 'a' },
	{ "offline", no_argument, NULL, 'o' },
	{ "region", required_argument, NULL, 'r' },
	{ "keep-fds", no_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Close every descriptor from 3 on: close_range, or one by one on a kernel without it. */
static void close_inherited(void)
{
	long fd, max;

	if (!syscall(SYS_close_range, 3U, ~0U, 0U) || errno != ENOSYS)
		return;
	max = sysconf(_SC_OPEN_MAX);
	for (fd = 3; fd < (max > 0 ? max : 1024); fd++)
		close((int)fd);
}

/* In the child: wait for the parent's go (one byte), then become CMD. */
static void child_main(int rd, char **cmd, bool keep_fds)
{
	char go;

	if (read(rd, &go, 1) != 1)
		_exit(127); /* the parent could not bind us: never run unbound */
	close(rd);
	if (!keep_fds)
		close_inherited();
	execvp(cmd[0], cmd);
	fprintf(stderr, "kakunin-bpf: run: %s: %s\n", cmd[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static int wait_child(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	struct sigaction sa = { .sa_handler = forward };
	size_t i;
	int st;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return KK_EXIT_FAIL;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* Fork CMD, bind it while it waits, then let it go. Fills e when CMD never started. */
static int run_bound(struct kk_bind_req *req, char **cmd, bool keep_fds, struct kk_error *e)
{
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		kk_error_set(e, -errno, "pipe", "%s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		kk_error_set(e, -errno, "fork", "%s", strerror(errno));
		return -1;
	}
	if (child == 0) {
		close(pipefd[1]);
		child_main(pipefd[0], cmd, keep_fds);
	}
	close(pipefd[0]);
	if (kk_op_bind_child(req, child, e)) {
		/* Closing the pipe unread makes the child exit without running CMD. */
		close(pipefd[1]);
		waitpid(child, NULL, 0);
		return -1;
	}
	kk_bind_print_warnings("run", req);
	if (*req->warning) /* CMD runs bound; the record for the daemon could not be written */
		kk_err("run", "%s", req->warning);
	kk_warnings_flush("run"); /* now, not when CMD has ended */
	if (write(pipefd[1], "g", 1) != 1) {
		kk_error_set(e, -errno, cmd[0], "cannot start it: %s", strerror(errno));
		kill(child, SIGKILL);
		return -1;
	}
	close(pipefd[1]);
	return wait_child();
}

int cmd_run(int argc, char **argv)
{
	/* Not kk_argv_has: CMD's own arguments need no "--" before them and may say --json. */
	bool keep_fds = false, json = false;
	struct kk_bind_opts o = { .run = true };
	struct kk_bind_req req;
	struct kk_error e;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (c == 'c')
			o.cert = optarg;
		else if (c == 'P')
			o.policy = optarg;
		else if (c == 'a')
			o.ca = optarg;
		else if (c == 'o')
			o.offline = true;
		else if (c == 'r')
			o.region = optarg;
		else if (c == 'k')
			keep_fds = true;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("run", c, argv, json);
	}
	if (kk_bind_req_init(&req, &o, &e))
		return kk_usage_print("run", &e, json);
	if (optind >= argc) {
		kk_error_set(&e, -EINVAL, NULL, "no command given (put it after --)");
		return kk_usage_print("run", &e, json);
	}
	rc = kk_op_bind_prepare(&req, &e) ? -1 : run_bound(&req, argv + optind, keep_fds, &e);
	if (rc < 0) {
		kk_bind_print_error("run", &req, &e, json);
		rc = KK_EXIT_FAIL;
	}
	kk_bind_release(&req);
	return rc;
}
