// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_rotate — `kakunin-bpf rotate --serial OLD (--cert NEW | --watch FILE) [--ca BUNDLE]
 * [--issuer CA] [--grace SECONDS] [--json]`: argv to a rotate request, the operation
 * (op_rotate.c), its result or error as text or JSON; with --watch, once per renewal of FILE
 * until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "identity.h"
#include "log.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf rotate --serial OLD (--cert NEW | --watch FILE) [--ca BUNDLE]\n"
	"                          [--issuer CA_CERT] [--grace SECONDS] [--json]\n\n"
	"Move every binding of the certificate with serial OLD to the certificate NEW (checked\n"
	"as by bind), then revoke OLD: at once, or after SECONDS (kept by the daemon).\n"
	"--watch FILE follows a certificate renewed in place (a SPIRE SVID): each time FILE\n"
	"holds another certificate, the bindings move to it as with --cert; a file that does\n"
	"not verify is one error line and the bindings stay. Runs until SIGINT or SIGTERM.\n"
	"With --json the result, or the error, is one JSON object (a line each) on stdout.\n";

static const struct option opts[] = {
	{ "serial", required_argument, NULL, 's' },
	{ "cert", required_argument, NULL, 'c' },
	{ "ca", required_argument, NULL, 'a' },
	{ "issuer", required_argument, NULL, 'i' },
	{ "grace", required_argument, NULL, 'g' },
	{ "watch", required_argument, NULL, 'w' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_json(const struct kk_rotate_req *r, const struct kk_rotate_res *res)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "rotated", res->moved);
	cJSON_AddStringToObject(o, "old_serial", r->old_serial);
	cJSON_AddStringToObject(o, "new_serial", res->new_serial);
	cJSON_AddNumberToObject(o, "grace", r->grace);
	cJSON_AddBoolToObject(o, "old_revoked", !r->grace);
	text = cJSON_PrintUnformatted(o);
	puts(text ? text : "{}");
	free(text);
	cJSON_Delete(o);
}

/* Print one rotation's outcome; 0 when it rotated. */
static int report(const struct kk_rotate_req *req, const struct kk_rotate_res *res,
		  const struct kk_error *e, int err, bool json)
{
	if (*res->warning) /* the rotation holds; its event or its record did not follow */
		kk_err("rotate", "%s", res->warning);
	if (err)
		kk_error_print("rotate", e, json);
	else if (json)
		print_json(req, res);
	else
		kk_info("kakunin-bpf: rotated %d binding%s from serial %s to %s; old certificate %s",
			res->moved, res->moved == 1 ? "" : "s", req->old_serial, res->new_serial,
			req->grace ? "revoked when the grace period ends" : "revoked");
	fflush(stdout); /* --watch: each line as it happens */
	return err;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Has the file at path changed since *last (a new file renamed over it included)? */
static bool changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	       a->st_ctim.tv_sec != b->st_ctim.tv_sec || a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

/*
 * One look at the file, after it changed: another certificate than the last one seen is
 * rotated to. fpr holds the fingerprint of the last certificate seen, so a file rewritten with
 * the same one (or one refused already) does nothing twice. -EPERM: rotating cannot work.
 */
static int try_file(struct kk_rotate_req *req, char fpr[65], bool json)
{
	struct kk_rotate_res res = { 0 };
	struct kk_identity id;
	struct kk_error e;
	char why[512];
	int err;

	err = kk_identity_load(req->cert, &id, why, sizeof(why));
	if (err) { /* looked at only after a change: one line per bad file */
		kk_error_split(&e, err, why);
		kk_error_print("rotate", &e, json);
		fpr[0] = '\0';
		return 0;
	}
	if (!strcmp(fpr, id.fingerprint) || !strcmp(id.serial, req->old_serial)) {
		snprintf(fpr, 65, "%s", id.fingerprint);
		kk_identity_free(&id);
		return 0; /* the certificate bound now, or one refused already */
	}
	snprintf(fpr, 65, "%s", id.fingerprint);
	kk_identity_free(&id);
	err = kk_op_rotate(req, &res, &e);
	report(req, &res, &e, err, json);
	if (err == -EPERM)
		return err;
	/* Rotated: the new certificate is the one to follow. */
	if (!err)
		kk_serial_key(res.new_serial, &req->old, req->old_serial);
	return 0;
}

/*
 * rotate --watch: stat the file every second until a signal. A poll, not inotify: renewals
 * come hourly, and a stat of the path follows every way a file is replaced — written in place,
 * renamed over, a Kubernetes secret's symlink swapped, a bind mount or network file system —
 * where an inotify watch on the file or its directory misses some of them.
 */
static int watch(struct kk_rotate_req *req, bool json)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec tick = { 1, 0 };
	struct stat last = { 0 }, st;
	bool pending = true;
	char fpr[65] = "";
	struct kk_error e;

	if (kk_rotate_ready(&e)) { /* not root, not loaded: no renewal could be applied */
		kk_error_print("rotate", &e, json);
		return KK_EXIT_FAIL;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!json)
		kk_info("kakunin-bpf: rotate: watching %s for a renewed certificate of serial %s",
			req->cert, req->old_serial);
	stat(req->cert, &last);
	while (!stop) {
		/*
		 * A change is acted on once the file has kept still for a tick: a renewal written
		 * in place is then read whole, not half-written.
		 */
		if (stat(req->cert, &st) == 0 && changed(&st, &last)) {
			last = st;
			pending = true;
		} else if (pending) {
			pending = false;
			if (try_file(req, fpr, json) == -EPERM)
				return KK_EXIT_FAIL;
		}
		nanosleep(&tick, NULL);
	}
	return KK_EXIT_OK;
}

int cmd_rotate(int argc, char **argv)
{
	const char *serial = NULL, *cert = NULL, *ca = NULL, *issuer = NULL, *grace = NULL;
	const char *watch_file = NULL;
	bool json = kk_argv_has(argc, argv, "--json");
	struct kk_rotate_req req;
	struct kk_rotate_res res;
	struct kk_error e;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 's')
			serial = optarg;
		else if (c == 'c')
			cert = optarg;
		else if (c == 'a')
			ca = optarg;
		else if (c == 'i')
			issuer = optarg;
		else if (c == 'g')
			grace = optarg;
		else if (c == 'w')
			watch_file = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h')
			return fputs(usage, stdout), KK_EXIT_OK;
		else
			return kk_bad_option_json("rotate", c, argv, json);
	}
	if (optind < argc) {
		kk_error_set(&e, -EINVAL, NULL, "unexpected argument '%s'", argv[optind]);
		return kk_usage_print("rotate", &e, json);
	}
	if (cert && watch_file) {
		kk_error_set(&e, -EINVAL, NULL, "--cert and --watch exclude each other");
		return kk_usage_print("rotate", &e, json);
	}
	if (kk_rotate_req_init(&req, serial, cert ? cert : watch_file, grace, &e))
		return kk_usage_print("rotate", &e, json);
	req.ca = ca;
	req.issuer = issuer;
	if (watch_file)
		return watch(&req, json);
	c = kk_op_rotate(&req, &res, &e);
	return report(&req, &res, &e, c, json) ? KK_EXIT_FAIL : KK_EXIT_OK;
}
