#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# What deploy/kubernetes/README.md claims about kakunin-bpf, checked against the code: every
# command line it shows is accepted, its numbers and paths are the code's, and what it says
# ends a cgroup binding is what the code does.
bats_require_minimum_version 1.5.0
load helpers

ROOT=$BATS_TEST_DIRNAME/../..
K8S=$ROOT/deploy/kubernetes

@test "k8s README: every 'kakunin-bpf CMD --option' it shows is an option of CMD" {
	local n=0 cmd opt
	while read -r cmd opt; do
		n=$((n + 1))
		if [ "$cmd" = policy ]; then
			"$KK" policy --help | grep -q -- "$opt" || { echo "policy: $opt" >&2; return 1; }
		else
			"$KK" "$cmd" --help | grep -q -- "$opt" || { echo "$cmd: $opt" >&2; return 1; }
		fi
	done < <(grep -o 'kakunin-bpf [a-z]\+\( [a-z]\+\)\?\( [^`|]*\)\?' "$K8S/README.md" |
		awk '{ for (i = 3; i <= NF; i++) if ($i ~ /^--[a-z-]+$/) print $2, $i }' | sort -u)
	[ "$n" -ge 5 ]
}

@test "k8s README: the cgroup depth limit and the probes' command are the code's" {
	local levels max
	levels=$(sed -n 's/^#define KK_CGROUP_LEVELS *\([0-9]*\).*/\1/p' "$ROOT/include/kakunin_limits.h")
	max=$(grep -o 'At most [0-9]* levels deep' "$K8S/README.md" | grep -o '[0-9]*')
	[ "$max" -eq $((levels - 1)) ]
	# Both probes run `health`, a command this build has, with options it takes.
	[ "$(grep -c 'command: \["/usr/sbin/kakunin-bpf", "health"' "$K8S/daemonset.yaml")" -eq 2 ]
	run "$KK" health --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--timeout"* ]]
	grep -q 'Both probes run `kakunin-bpf health`' "$K8S/README.md"
}

@test "k8s README: a cgroup binding ends when its cgroup is removed, as the code does it" {
	# The reason the README names is the one the reaper writes (tests/kernel/lifecycle.bats
	# checks the event in the VM); it must not claim that only process bindings are reaped.
	grep -q 'reason `cgroup removed`' "$K8S/README.md"
	grep -q 'kk_unbind_slot(m, r->slot, "cgroup removed")' "$ROOT/user/bind.c"
	! grep -q 'only reaps process bindings' "$K8S/README.md"
	# Revocations are per node: the README must not promise more.
	! grep -q 'everywhere at once' "$K8S/README.md"
	# The copies the daemon works from, as save_meta makes them.
	grep -q 'kk_meta_copy_cert(&b, r->cert, r->ca' "$ROOT/user/bind.c"
}

@test "k8s: the init container installs the OCI hook where the runtimes and the hook look" {
	python3 -c 'import yaml' 2>/dev/null || skip "python3 with PyYAML (python3-yaml) is missing"
	run python3 - "$K8S" "$ROOT" <<'PY'
import json, re, sys, yaml
k8s, root = sys.argv[1:3]
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
(ds,) = [x for x in yaml.safe_load_all(open(f"{k8s}/daemonset.yaml")) if x]
pod = ds["spec"]["template"]["spec"]
(init,) = pod["initContainers"]
check(init["name"] == "install-oci-hook", "init container install-oci-hook")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in init["volumeMounts"]}
# Every /host/X it writes is the node's X.
for path in ["/usr/local/bin", "/etc/kakunin", "/etc/containers/oci/hooks.d"]:
    m = mounts.get("/host" + path)
    check(m is not None and vols[m["name"]].get("hostPath", {}).get("path") == path,
          f"/host{path} is the host's {path}")
script = init["args"][0]
for src, dst in [("/usr/sbin/kakunin-bpf", "/host/usr/local/bin/kakunin-bpf"),
                 ("/usr/share/kakunin-bpf/kakunin-runc", "/host/usr/local/bin/kakunin-runc"),
                 ("/oci/kakunin.json", "/host/etc/containers/oci/hooks.d/kakunin.json"),
                 ("/oci/oci-hook.json", "/host/etc/kakunin/oci-hook.json"),
                 ("/src/ca/ca.pem", "/host/etc/kakunin/ca.pem")]:
    check(re.search(rf"put 07?[0-9]+ {re.escape(src)} {re.escape(dst)}\n", script), f"installs {dst}")
check("for d in policies certs" in script, "copies the policies and certificates")
# What it copies from: the policies ConfigMap, the certificates and CA Secrets, oci-hook.yaml's.
src = {m["mountPath"]: vols[m["name"]] for m in init["volumeMounts"]}
check(src["/src/policies"].get("configMap", {}).get("name") == "kakunin-policies", "policies")
check(src["/src/certs"].get("secret", {}).get("secretName") == "kakunin-agent-certs", "certs")
check(src["/src/ca"].get("secret", {}).get("secretName") == "kakunin-ca", "CA")
check(src["/oci"].get("configMap", {}).get("name") == "kakunin-oci-hook", "oci-hook ConfigMap")
(cm,) = [x for x in yaml.safe_load_all(open(f"{k8s}/oci-hook.yaml")) if x]
check(cm["metadata"]["name"] == "kakunin-oci-hook" and
      cm["metadata"]["namespace"] == "kakunin-system", "ConfigMap kakunin-system/kakunin-oci-hook")
for name in ["oci-hook.json", "kakunin.json"]:
    check(cm["data"].get(name) == open(f"{root}/deploy/oci/{name}").read(),
          f"oci-hook.yaml's {name} is deploy/oci/{name}")
# CRI-O's entry runs the installed binary, for the annotation the hook acts on, before the
# container's command; the runc wrapper's default binary is the same file.
h = json.load(open(f"{root}/deploy/oci/kakunin.json"))
check(h["version"] == "1.0.0" and h["hook"]["path"] == "/usr/local/bin/kakunin-bpf" and
      h["hook"]["args"] == ["kakunin-bpf", "oci-hook"], "hooks.d runs /usr/local/bin/kakunin-bpf oci-hook")
check(set(h["stages"]) <= {"createRuntime", "prestart"} and len(h["stages"]) == 1, "one early stage")
(key,) = h["when"]["annotations"]
check(re.search(key, "kakunin.io/agent-id") and not re.search(key, "kakunin.io/policy"),
      "when: the annotation kakunin.io/agent-id")
oh = open(f"{root}/user/oci.h").read()
check('"kakunin.io/agent-id"' in oh, "oci.h's annotation")
runc = open(f"{root}/deploy/oci/kakunin-runc").read()
check("KAKUNIN_BPF:-/usr/local/bin/kakunin-bpf}" in runc, "kakunin-runc's default binary")
c = json.load(open(f"{root}/deploy/oci/oci-hook.json"))
check(c["policy_dir"] == "/etc/kakunin/policies" and c["cert_dir"] == "/etc/kakunin/certs" and
      c["ca"] == "/etc/kakunin/ca.pem", "the hook reads where the init container writes")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
PY
	echo "$output"
	[ "$status" -eq 0 ]
	# The shipped configuration is one the hook takes (it then fails on the missing files).
	run --separate-stderr "$KK" oci-hook --config "$ROOT/deploy/oci/oci-hook.json" <<<'{"ociVersion":
		"1.0.2", "id": "c", "status": "creating", "pid": 1, "bundle": "/", "annotations":
		{"kakunin.io/agent-id": "a", "kakunin.io/policy": "p", "kakunin.io/certificate": "c"}}'
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"hook configuration"* ]]
	grep -q 'kakunin-bpf oci-hook' "$K8S/README.md"
}
