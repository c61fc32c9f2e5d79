// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_oci_hook — `kakunin-bpf oci-hook`, the OCI runtime hook (createRuntime or prestart): the
 * container state on stdin to the operation (op_oci.c). Runtimes show a failing hook's stderr in
 * their own error, so a failure is one line there, naming the container, and exit 1: the runtime
 * then refuses to start the container. `--add-to CONFIG` wires the hook into a bundle
 * (oci_add.c), for the kakunin-runc wrapper.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oci.h"
#include "op.h"

static const char usage[] =
	"usage: kakunin-bpf oci-hook [--config FILE] [--ca BUNDLE] [--policy-dir DIR]\n"
	"                            [--cert-dir DIR] < STATE\n"
	"       kakunin-bpf oci-hook --add-to CONFIG.JSON [--stage createRuntime|prestart]\n"
	"                            [--hook-path PATH]\n\n"
	"An OCI runtime hook (createRuntime, or prestart for older runtimes). It reads the\n"
	"container state on stdin; a container without the annotation kakunin.io/agent-id is\n"
	"left alone (exit 0, no output), and so is a Kubernetes pod's sandbox (pause)\n"
	"container. An annotated one is bound: kakunin.io/policy and\n"
	"kakunin.io/certificate name files in the policy and certificate directories (a NAME\n"
	"is DIR/NAME.json or DIR/NAME.pem; an absolute path must lie in DIR; '..' is refused),\n"
	"kakunin.io/ca optionally a CA bundle in ca_dir. The certificate is verified, the\n"
	"policy compiled and its agent_id must be the annotation's; then the container's\n"
	"cgroup is bound so that its command is bound from its execve on, and every process\n"
	"that joins the cgroup at its next execve. Any failure: one line on stderr, exit 1,\n"
	"nothing bound, and the runtime does not start the container.\n"
	"FILE (default " KK_OCI_CONFIG ", may be missing) is a JSON object of\n"
	"policy_dir, cert_dir, ca_dir (defaults " KK_OCI_POLICY_DIR ", " KK_OCI_CERT_DIR ",\n"
	KK_OCI_CA_DIR "), ca (the CA bundle without the annotation), region (this host's,\n"
	"for allowed_regions) and offline (true: hostnames are not resolved).\n\n"
	"--add-to adds this program as a hook of the stage (default createRuntime) to the\n"
	"bundle configuration CONFIG.JSON when it carries kakunin.io/agent-id and the hook is\n"
	"not there yet; PATH defaults to this program's own path.\n";

static const struct option opts[] = {
	{ "config", required_argument, NULL, 'C' },
	{ "ca", required_argument, NULL, 'a' },
	{ "policy-dir", required_argument, NULL, 'P' },
	{ "cert-dir", required_argument, NULL, 'c' },
	{ "add-to", required_argument, NULL, 'A' },
	{ "stage", required_argument, NULL, 's' },
	{ "hook-path", required_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* stdin, at most KK_OCI_STATE_MAX bytes, into *text. -errno. */
static int read_state(char **text, size_t *len)
{
	size_t n = 0;
	char *buf = malloc(KK_OCI_STATE_MAX + 1);
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	while (n <= KK_OCI_STATE_MAX && (got = read(0, buf + n, KK_OCI_STATE_MAX + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return -errno;
		}
		n += got;
	}
	if (n > KK_OCI_STATE_MAX) {
		free(buf);
		return -EFBIG;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

static int add_to(const char *config, const char *stage, const char *hook_path)
{
	char self[PATH_MAX];
	struct kk_error e;
	bool added;
	ssize_t n;

	if (!hook_path) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			kk_error_set(&e, -errno, "/proc/self/exe", "%s", strerror(errno));
			kk_error_print("oci-hook", &e, false);
			return KK_EXIT_FAIL;
		}
		self[n] = '\0';
		hook_path = self;
	}
	if (kk_oci_add_hook(config, stage, hook_path, &added, &e)) {
		kk_error_print("oci-hook", &e, false);
		return KK_EXIT_FAIL;
	}
	return KK_EXIT_OK;
}

static int hook(struct kk_oci_hook_req *r)
{
	struct kk_oci_hook_res res;
	char cmd[300];
	struct kk_error e;
	int err;

	err = read_state((char **)&r->text, &r->len);
	if (err) {
		kk_error_set(&e, err, "state on stdin", "%s", err == -EFBIG ?
			     "longer than 1 MiB" : strerror(-err));
		kk_error_print("oci-hook", &e, false);
		return KK_EXIT_FAIL;
	}
	err = kk_op_oci_hook(r, &res, &e);
	free((char *)r->text);
	/* "kakunin-bpf: oci-hook: <container id>: <what>: <why>" */
	snprintf(cmd, sizeof(cmd), "oci-hook%s%s", res.id[0] ? ": " : "", res.id);
	if (err) {
		kk_error_print(cmd, &e, false);
		return KK_EXIT_FAIL;
	}
	if (res.acted)
		printf("kakunin-bpf: %s: bound cgroup %s at exec as agent %s (serial %s, binding "
		       "%u)\n", cmd, res.cgroup, res.agent, res.serial, res.slot);
	if (*res.warning)
		fprintf(stderr, "kakunin-bpf: %s: %s\n", cmd, res.warning);
	return KK_EXIT_OK;
}

int cmd_oci_hook(int argc, char **argv)
{
	struct kk_oci_hook_req r = { 0 };
	const char *add = NULL, *stage = "createRuntime", *hook_path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			r.config = optarg;
			break;
		case 'a':
			r.ca = optarg;
			break;
		case 'P':
			r.policy_dir = optarg;
			break;
		case 'c':
			r.cert_dir = optarg;
			break;
		case 'A':
			add = optarg;
			break;
		case 's':
			stage = optarg;
			break;
		case 'H':
			hook_path = optarg;
			break;
		case 'h':
			return fputs(usage, stdout), KK_EXIT_OK;
		default:
			return kk_bad_option("oci-hook", c, argv);
		}
	}
	if (optind < argc)
		return kk_usage_error("oci-hook", "unexpected argument '%s'", argv[optind]);
	if (add)
		return add_to(add, stage, hook_path);
	return hook(&r);
}
