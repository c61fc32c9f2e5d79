/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * oci — what the OCI runtime hook (`oci-hook`) reads: the container state a runtime writes on
 * the hook's stdin (runtime-spec "state"), the kakunin.io/ annotations (from the state, else the
 * bundle's config.json), the hook's own configuration, and the files an annotation names,
 * resolved inside the directories the node's administrator configured. Also the edit of a
 * bundle's config.json that wires the hook in (`oci-hook --add-to`, for the kakunin-runc
 * wrapper). No kernel access and no printing: op_oci.c and cmd_oci_hook.c use these.
 *
 * An annotation is input from whoever writes the pod spec, not from the node's administrator: a
 * value naming a file is only ever resolved inside a configured directory (see
 * kk_oci_resolve), so a pod cannot pick an arbitrary host file as its policy or certificate.
 */
#ifndef KK_OCI_H
#define KK_OCI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "kakunin_limits.h"

struct kk_error;

#define KK_OCI_ANN_AGENT  "kakunin.io/agent-id"
#define KK_OCI_ANN_POLICY "kakunin.io/policy"
#define KK_OCI_ANN_CERT	  "kakunin.io/certificate"
#define KK_OCI_ANN_CA	  "kakunin.io/ca"

/*
 * What Kubernetes runtimes call a pod's sandbox (its "pause" container), which gets the pod's
 * annotations too but runs none of its code: never bound (its exec of /pause would be refused).
 */
#define KK_OCI_ANN_CONTAINERD_TYPE "io.kubernetes.cri.container-type"
#define KK_OCI_ANN_CRIO_TYPE	   "io.kubernetes.cri-o.ContainerType"

/* The hook's configuration and the directories annotations resolve in, by default. */
#define KK_OCI_CONFIG	  "/etc/kakunin/oci-hook.json"
#define KK_OCI_POLICY_DIR "/etc/kakunin/policies"
#define KK_OCI_CERT_DIR	  "/etc/kakunin/certs"
#define KK_OCI_CA_DIR	  "/etc/kakunin/cas"

/* The state on stdin is at most this long (annotations included). */
#define KK_OCI_STATE_MAX (1 << 20)

struct kk_oci_state {
	char id[256];	   /* the container id; "" when the state had none */
	char version[32];  /* ociVersion */
	char status[16];   /* "creating" at createRuntime and prestart */
	int pid;	   /* the runtime's init process in the container; 0: none given */
	char bundle[PATH_MAX];
	bool have_annotations; /* the state carried an "annotations" object */
	/* The kakunin.io/ annotations, as given; annotated: agent-id is present, not a sandbox. */
	bool annotated;
	bool sandbox; /* a Kubernetes pod's sandbox, by the runtime's own annotation */
	char agent[KK_AGENT_ID_SIZE];
	char policy[PATH_MAX], cert[PATH_MAX], ca[PATH_MAX];
};

struct kk_oci_config {
	char policy_dir[PATH_MAX], cert_dir[PATH_MAX], ca_dir[PATH_MAX];
	char ca[PATH_MAX]; /* CA bundle without a kakunin.io/ca annotation; "": bind's default */
	char region[128]; /* this host's region for allowed_regions; "": bind's default */
	bool offline;
};

/*
 * Parse the state text (len bytes) into st: a JSON object with a non-empty "id"; the other
 * members are taken when present and of the right type (kk_oci_state_check judges them), and
 * unknown members are ignored, as the runtime-spec asks. -EINVAL and e.
 */
int kk_oci_state_parse(const char *text, size_t len, struct kk_oci_state *st, struct kk_error *e);
/* No "annotations" in the state: take them from st->bundle's config.json. -errno and e. */
int kk_oci_bundle_annotations(struct kk_oci_state *st, struct kk_error *e);
/*
 * For an annotated container: ociVersion 1.x, status "creating" or "created" (the hook runs
 * before the container's command), a pid, and the annotations that must come with agent-id.
 * -EINVAL and e.
 */
int kk_oci_state_check(const struct kk_oci_state *st, struct kk_error *e);

/*
 * The hook's configuration from path into c (defaults first). A missing file is the defaults
 * unless must_exist; a file that is not a JSON object of the known keys is -EINVAL and e.
 */
int kk_oci_config_load(const char *path, bool must_exist, struct kk_oci_config *c,
		       struct kk_error *e);

/*
 * The file annotation value names, inside dir, into out (its real path): a plain name NAME
 * (letters, digits, '.', '_', '-', not starting with '.') is dir/NAME, with ext appended unless
 * NAME ends with it; an absolute path must lie inside dir. A ".." component is refused, and so is
 * a file whose real path (symlinks followed) leaves dir. -EACCES (outside), -EINVAL (not a name),
 * -ENOENT, with why.
 */
int kk_oci_resolve(const char *dir, const char *value, const char *ext, char *out, size_t len,
		   char *why, size_t wlen);

/*
 * Whether the cgroup v2 directory cg holds processes other than pid: 0 only pid (or none),
 * -EBUSY with why naming them (a cgroup shared with the runtime or the host: binding it would
 * bind them too), other -errno when cgroup.procs cannot be read.
 */
int kk_oci_cgroup_alone(const char *cg, int pid, char *why, size_t wlen);

/* The cgroup v2 directory of process pid, as /sys/fs/cgroup/..., into buf. -errno with why. */
int kk_oci_pid_cgroup(int pid, char *buf, size_t len, char *why, size_t wlen);

/* All of the file at path (at most max bytes: else -EFBIG) into *text, NUL-terminated. -errno. */
int kk_oci_read_file(const char *path, size_t max, char **text, size_t *len);

/* Whether the annotations object a is of a Kubernetes pod's sandbox (see above). */
struct cJSON;
bool kk_oci_is_sandbox(const struct cJSON *a);

/*
 * Add `hook_path oci-hook` to hooks.<stage> of the bundle config at path, when its annotations
 * carry kakunin.io/agent-id, it is no sandbox and the hook is not there already (*added says whether it was written).
 * The file is replaced atomically, mode kept. -errno and e; the file is untouched then.
 */
int kk_oci_add_hook(const char *path, const char *stage, const char *hook_path, bool *added,
		    struct kk_error *e);

#endif
