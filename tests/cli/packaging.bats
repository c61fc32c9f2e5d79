#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Packaging without a kernel: the man page documents every command and option that the binary's
# --help prints (parsed from it, so a new undocumented option fails here) and every policy field
# of docs/policy.md; the bash completion offers them; the Kubernetes manifests parse and carry the
# shipped policies; the systemd unit and tmpfiles entry are what `make install` ships.
bats_require_minimum_version 1.5.0
load helpers

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MAN=$ROOT/docs/kakunin-bpf.8
COMPLETION=$ROOT/completion/kakunin-bpf.bash
UNIT=$ROOT/dist/kakunin-bpf.service
TMPFILES=$ROOT/dist/kakunin-bpf.tmpfiles
K8S=$ROOT/deploy/kubernetes

# The commands `kakunin-bpf --help` lists, one per line.
commands() {
	"$KK" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'
}

# The long options `kakunin-bpf $1 --help` mentions (usage and description), one per line.
help_options() {
	"$KK" "$1" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# The long options of the usage lines only (up to the first blank line).
usage_options() {
	"$KK" "$1" --help | sed '/^$/q' | grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# The man page source as plain text: \- as -, no font escapes, no zero-width \&.
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$MAN"
}

# The .SS $1 subsection of section .SH $2 (plain text).
man_subsection() {
	man_text | awk -v sh=".SH $2" -v ss=".SS $1" '
		$0 == sh { in_sh = 1; next }
		in_sh && /^\.SH / { exit }
		in_sh && $0 == ss { p = 1; next }
		p && /^\.S[SH] / { exit }
		p'
}

# Every synopsis block (.SY "kakunin-bpf CMD ..." to .YS) of command $1.
man_synopsis() {
	man_text | awk -v c="$1" '
		/^\.SY / { p = ($0 ~ "^\\.SY \"kakunin-bpf " c "( |\")") ; next }
		/^\.YS/ { p = 0 }
		p'
}

# Call the completion function on the words given, print COMPREPLY one per line.
complete_words() {
	bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_kakunin_bpf
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@"
}

need_yaml() {
	python3 -c 'import yaml' 2>/dev/null || skip "python3 with PyYAML (python3-yaml) is missing"
}

@test "every packaging file starts with an SPDX GPL-2.0-only header" {
	for f in "$MAN" "$COMPLETION" "$UNIT" "$TMPFILES" "$K8S"/daemonset.yaml "$K8S"/rbac.yaml \
		"$K8S"/configmap.yaml "$K8S"/README.md "$BATS_TEST_DIRNAME"/install.bats \
		"$BATS_TEST_DIRNAME"/packaging.bats; do
		head -n 3 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-only' ||
			{ echo "$f: no SPDX header" >&2; return 1; }
	done
	[ "$(head -n 1 "$MAN")" = '.\" SPDX-License-Identifier: GPL-2.0-only' ]
}

@test "the man page has every section" {
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS POLICY EVENTS FILES ENVIRONMENT \
		'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
		grep -qxE "\.SH \"?$s\"?" "$MAN" || { echo "no section $s" >&2; return 1; }
	done
	grep -qx '\.TH KAKUNIN-BPF 8 .*' "$MAN"
}

@test "the man page documents every command of 'kakunin-bpf --help' in SYNOPSIS and COMMANDS" {
	run commands
	[ "${#lines[@]}" -ge 12 ]
	for c in "${lines[@]}"; do
		man_text | grep -q "^\.SY \"kakunin-bpf $c[ \"]" ||
			{ echo "$c: not in SYNOPSIS" >&2; return 1; }
		grep -qx "\.SS $c" "$MAN" || { echo "$c: no COMMANDS subsection" >&2; return 1; }
	done
}

@test "the man page documents every option that 'kakunin-bpf COMMAND --help' prints" {
	local c o n=0
	for c in $(commands); do
		for o in $(help_options "$c"); do
			n=$((n + 1))
			man_subsection "$c" COMMANDS | grep -qe "$o\b" ||
				{ echo "$c $o: not described under COMMANDS, .SS $c" >&2; return 1; }
		done
		for o in $(usage_options "$c"); do
			man_synopsis "$c" | grep -qe "$o\b" ||
				{ echo "$c $o: not in the SYNOPSIS of $c" >&2; return 1; }
		done
	done
	[ "$n" -ge 30 ] # the parse found the options (bind alone has 8)
}

@test "the man page documents the global options, the exit codes and the environment" {
	run "$KK" --help
	[[ "$output" == *"-v (or KAKUNIN_DEBUG=1)"* ]]
	for o in -v --verbose --version; do
		man_text | sed -n '/^\.SH OPTIONS/,/^\.SH /p' | grep -qe "$o\b" ||
			{ echo "global option $o not under OPTIONS" >&2; return 1; }
	done
	for v in KAKUNIN_DEBUG KAKUNIN_REGION KAKUNIN_STATE_DIR; do
		man_text | sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' | grep -qx "\.B $v"
	done
	# "Exit codes: 0 ok, 1 failure, 2 usage error, 3 BPF LSM unavailable."
	for code in $(echo "$output" | sed -n 's/^Exit codes: //p' | grep -oE '[0-9]+'); do
		man_text | sed -n '/^\.SH "\{0,1\}EXIT STATUS/,/^\.SH /p' | grep -qx "\.B $code" ||
			{ echo "exit code $code not documented" >&2; return 1; }
	done
}

@test "the man page lists every default path under FILES" {
	for p in /sys/fs/bpf/kakunin/ /etc/kakunin/ca.pem /etc/kakunin/host.json \
		/etc/kakunin/daemon.json /var/lib/kakunin/ /var/log/kakunin/audit.jsonl \
		/run/kakunin/events.sock /sys/kernel/security/lsm; do
		man_text | sed -n '/^\.SH FILES/,/^\.SH /p' | grep -qx "\.I $p" ||
			{ echo "$p not under FILES" >&2; return 1; }
	done
	# The paths the binary prints as defaults are the ones documented.
	"$KK" daemon --help | grep -q /var/log/kakunin/audit.jsonl
	"$KK" daemon --help | grep -q /run/kakunin/events.sock
	"$KK" daemon --help | grep -q /etc/kakunin/daemon.json
	"$KK" bind --help | grep -q /etc/kakunin/ca.pem
}

@test "the man page documents every daemon configuration key that 'daemon --help' names" {
	local keys k
	keys=$("$KK" daemon --help | tr '\n' ' ' | sed -n 's/.*Config ([^)]*): \([^.]*\)\..*/\1/p' | tr -d ',')
	[ "$(echo $keys | wc -w)" -ge 8 ]
	for k in $keys; do
		man_subsection daemon COMMANDS | grep -qx "\.B $k" ||
			{ echo "daemon config key $k not documented" >&2; return 1; }
	done
}

@test "the man page documents every policy field of docs/policy.md" {
	local fields f
	fields=$(sed -n '/^## Fields/,/^## /p' "$ROOT/docs/policy.md" | sed -n 's/^| `\([a-z_.]*\)` |.*/\1/p')
	[ "$(echo "$fields" | wc -l)" -ge 18 ]
	for f in $fields; do
		man_subsection Fields POLICY | grep -qx "\.B $f" ||
			{ echo "policy field $f not under POLICY, Fields" >&2; return 1; }
	done
	for s in Paths Hosts Baseline; do
		grep -qx "\.SS $s" "$MAN"
	done
}

@test "the man page documents every event type the binary can print" {
	local types t
	types=$(sed -n '/^const char \*kk_event_type_name/,/^}/p' "$ROOT/user/events.c" |
		grep -oE '"[a-z]+\.[a-z]+"' | tr -d '"')
	[ "$(echo "$types" | wc -l)" -ge 8 ]
	for t in $types; do
		man_subsection "Event types" EVENTS | grep -qx "\.B $t" ||
			{ echo "event type $t not under EVENTS" >&2; return 1; }
	done
}

@test "the man page renders without warnings (groff -ww, man -l)" {
	command -v groff >/dev/null || skip "groff is not installed (apt-get install groff-base)"
	run groff -man -Tutf8 -ww "$MAN"
	[ "$status" -eq 0 ]
	run --separate-stderr groff -man -Tutf8 -ww "$MAN"
	[ -z "$stderr" ] || { echo "$stderr" >&2; return 1; }
	[[ "$output" == *"kakunin-bpf"* ]]
	if command -v man >/dev/null; then
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$MAN"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ] || { echo "$stderr" >&2; return 1; }
	fi
}

@test "the completion script is valid bash and registers kakunin-bpf" {
	bash -n "$COMPLETION"
	run bash -c 'source "$1" && complete -p kakunin-bpf' _ "$COMPLETION"
	[ "$status" -eq 0 ]
	[[ "$output" == "complete -F _kakunin_bpf kakunin-bpf" ]]
}

@test "the completion offers every command of 'kakunin-bpf --help'" {
	run complete_words kakunin-bpf ""
	for c in $(commands); do
		[[ " ${lines[*]} " == *" $c "* ]] || { echo "command $c not offered" >&2; return 1; }
	done
	run complete_words kakunin-bpf ro
	[ "${lines[*]}" = rotate ]
}

@test "the completion offers every option that 'kakunin-bpf COMMAND --help' prints" {
	local c o words offered
	for c in $(commands); do
		case $c in
		policy) offered="$(complete_words kakunin-bpf policy check --) $(complete_words kakunin-bpf policy show --)" ;;
		audit) offered=$(complete_words kakunin-bpf audit verify --) ;;
		*) offered=$(complete_words kakunin-bpf "$c" --) ;;
		esac
		offered=" $(echo $offered) "
		for o in $(help_options "$c"); do
			[[ "$offered" == *" $o "* ]] || { echo "$c: $o not offered ($offered)" >&2; return 1; }
		done
	done
	run complete_words kakunin-bpf policy ""
	[ "${lines[*]}" = "check show" ]
}

@test "the completion offers files, directories and process ids where the options take them" {
	mkdir -p "$BATS_TEST_TMPDIR/c/sub"
	touch "$BATS_TEST_TMPDIR/c/agent.pem" "$BATS_TEST_TMPDIR/c/policy.json"
	for o in --cert --policy --ca; do
		run complete_words kakunin-bpf bind "$o" "$BATS_TEST_TMPDIR/c/a"
		[ "$output" = "$BATS_TEST_TMPDIR/c/agent.pem" ]
	done
	run complete_words kakunin-bpf revoke --crl "$BATS_TEST_TMPDIR/c/p"
	[ "$output" = "$BATS_TEST_TMPDIR/c/policy.json" ]
	run complete_words kakunin-bpf daemon --config "$BATS_TEST_TMPDIR/c/p"
	[ "$output" = "$BATS_TEST_TMPDIR/c/policy.json" ]
	run complete_words kakunin-bpf bind --cgroup "$BATS_TEST_TMPDIR/c/"
	[ "$output" = "$BATS_TEST_TMPDIR/c/sub" ]
	run complete_words kakunin-bpf bind --pid ""
	[[ " ${lines[*]} " == *" $$ "* ]]
	[[ " ${lines[*]} " == *" 1 "* ]]
	run complete_words kakunin-bpf unbind --pid "$$"
	[[ " ${lines[*]} " == *" $$ "* ]]
	for l in "${lines[@]}"; do [[ "$l" =~ ^[0-9]+$ ]]; done
}

@test "the Kubernetes manifests parse and have the expected kinds and mounts" {
	need_yaml
	run python3 - "$K8S" <<'EOF'
import sys, yaml
d = sys.argv[1]
load = lambda f: [x for x in yaml.safe_load_all(open(f"{d}/{f}")) if x is not None]
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

ds = load("daemonset.yaml")
check([x["kind"] for x in ds] == ["DaemonSet"], "daemonset.yaml: one DaemonSet")
ds = ds[0]
check(ds["metadata"]["namespace"] == "kakunin-system", "DaemonSet namespace kakunin-system")
pod = ds["spec"]["template"]["spec"]
check(pod.get("hostPID") is True, "hostPID: true")
check(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
      "selector matches the template's labels")
(c,) = pod["containers"]
check(c["securityContext"].get("privileged") is True, "privileged container")
cmd = " ".join(c.get("command", []) + c.get("args", []))
check("kakunin-bpf load" in cmd and "kakunin-bpf daemon" in cmd and
      cmd.index("kakunin-bpf load") < cmd.index("kakunin-bpf daemon"), "runs load, then daemon")
pre = " ".join(c["lifecycle"]["preStop"]["exec"]["command"])
check("unload" not in pre.replace("NOT `kakunin-bpf unload`", "") and "rm " not in pre, "preStop is not destructive")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
for path in ["/sys/fs/bpf", "/sys/fs/cgroup", "/sys/kernel/security", "/var/lib/kakunin",
             "/var/log/kakunin", "/run/kakunin"]:
    m = mounts.get(path)
    check(m is not None, f"a mount at {path}")
    if m:
        hp = vols[m["name"]].get("hostPath", {})
        check(hp.get("path") == path, f"{path} is the host's {path} (hostPath)")
check(mounts["/sys/fs/bpf"].get("mountPropagation") == "Bidirectional", "/sys/fs/bpf Bidirectional")
pm = mounts.get("/etc/kakunin/policies")
check(pm is not None and vols[pm["name"]].get("configMap", {}).get("name") == "kakunin-policies",
      "the kakunin-policies ConfigMap at /etc/kakunin/policies")
ca = mounts.get("/etc/kakunin/ca.pem")
check(ca is not None and "secret" in vols[ca["name"]] and ca.get("subPath") == "ca.pem",
      "a Secret's ca.pem at /etc/kakunin/ca.pem")
check(pod.get("serviceAccountName") == "kakunin-bpf", "runs as the kakunin-bpf ServiceAccount")

rbac = load("rbac.yaml")
kinds = {x["kind"]: x for x in rbac}
for k in ["ServiceAccount", "ClusterRole", "ClusterRoleBinding"]:
    check(k in kinds, f"rbac.yaml: a {k}")
if not errors:
    rules = kinds["ClusterRole"]["rules"]
    check(any("pods" in r["resources"] and {"get", "list", "watch"} <= set(r["verbs"]) for r in rules),
          "ClusterRole: get, list, watch pods")
    check(all(set(r["verbs"]) <= {"get", "list", "watch"} for r in rules), "ClusterRole is read-only")
    b = kinds["ClusterRoleBinding"]
    sa = kinds["ServiceAccount"]["metadata"]
    check(b["roleRef"]["name"] == kinds["ClusterRole"]["metadata"]["name"], "binding names the role")
    check({"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]} in b["subjects"],
          "binding names the ServiceAccount")
    check(sa["namespace"] == "kakunin-system", "ServiceAccount in kakunin-system")

cm = load("configmap.yaml")
check([x["kind"] for x in cm] == ["ConfigMap"], "configmap.yaml: one ConfigMap")
check(cm[0]["metadata"]["name"] == "kakunin-policies" and
      cm[0]["metadata"]["namespace"] == "kakunin-system", "ConfigMap kakunin-system/kakunin-policies")
for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
EOF
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the ConfigMap's policies equal policies/*.json byte for byte and pass policy check" {
	need_yaml
	mkdir "$BATS_TEST_TMPDIR/cm"
	run python3 - "$K8S/configmap.yaml" "$BATS_TEST_TMPDIR/cm" <<'EOF'
import sys, yaml
(cm,) = [x for x in yaml.safe_load_all(open(sys.argv[1])) if x]
for name, text in cm["data"].items():
    with open(f"{sys.argv[2]}/{name}", "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(name)
EOF
	[ "$status" -eq 0 ]
	diff <(cd "$ROOT/policies" && ls *.json) <(printf '%s\n' "${lines[@]}" | sort)
	for f in "$ROOT"/policies/*.json; do
		cmp "$f" "$BATS_TEST_TMPDIR/cm/${f##*/}"
	done
	run --separate-stderr "$KK" policy check --offline "$BATS_TEST_TMPDIR"/cm/*.json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c ': ok: agent ')" -eq "$(ls "$ROOT"/policies/*.json | wc -l)" ]
}

@test "the systemd unit has [Unit], [Service], [Install] and runs kakunin-bpf load, then daemon" {
	for s in Unit Service Install; do
		grep -qx "\[$s\]" "$UNIT" || { echo "no [$s]" >&2; return 1; }
	done
	grep -qx 'ExecStartPre=/usr/sbin/kakunin-bpf load' "$UNIT"
	grep -qx 'ExecStart=/usr/sbin/kakunin-bpf daemon' "$UNIT"
	grep -qx 'Restart=on-failure' "$UNIT"
	grep -qx 'WantedBy=multi-user.target' "$UNIT"
	# The sandbox: what must be there, and what the loader and daemon need left open.
	for l in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes ProtectHome=read-only \
		ProtectKernelModules=yes ProtectKernelLogs=yes ProtectClock=yes \
		'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' RestrictNamespaces=yes \
		RestrictRealtime=yes LockPersonality=yes MemoryDenyWriteExecute=yes \
		SystemCallArchitectures=native UMask=0077; do
		grep -qx "$l" "$UNIT" || { echo "missing: $l" >&2; return 1; }
	done
	rw=$(sed -n 's/^ReadWritePaths=//p' "$UNIT")
	for p in /sys/fs/bpf /var/lib/kakunin /var/log/kakunin /run/kakunin; do
		[[ " $rw " == *" $p "* ]] || { echo "ReadWritePaths lacks $p" >&2; return 1; }
	done
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
	[[ " $caps " == *" CAP_BPF "* && " $caps " == *" CAP_PERFMON "* ]]
	# Every choice is commented: each setting of [Service] follows a comment or another setting.
	[ "$(grep -c '^#' "$UNIT")" -ge 40 ]
}

@test "the systemd unit passes systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
	printf '[Service]\nExecStart=/bin/true\n' >"$BATS_TEST_TMPDIR/kk-probe.service"
	systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/kk-probe.service" >/dev/null 2>&1 ||
		skip "systemd-analyze verify does not work in this environment"
	mkdir "$BATS_TEST_TMPDIR/u"
	sed "s|=/usr/sbin/kakunin-bpf|=$KK|" "$UNIT" >"$BATS_TEST_TMPDIR/u/kakunin-bpf.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/u/kakunin-bpf.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "tmpfiles creates /var/lib/kakunin, /var/log/kakunin, /run/kakunin 0700 and /etc/kakunin 0755" {
	grep -qE '^d +/var/lib/kakunin +0700 +root +root' "$TMPFILES"
	grep -qE '^d +/var/log/kakunin +0700 +root +root' "$TMPFILES"
	grep -qE '^d +/run/kakunin +0700 +root +root' "$TMPFILES"
	grep -qE '^d +/etc/kakunin +0755 +root +root' "$TMPFILES"
	command -v systemd-tmpfiles >/dev/null || skip "no systemd-tmpfiles"
	r=$BATS_TEST_TMPDIR/tmproot
	mkdir "$r"
	run systemd-tmpfiles --create --root="$r" "$TMPFILES"
	[ "$status" -eq 0 ] || skip "systemd-tmpfiles --root does not work here: $output"
	[ "$(stat -c %a "$r/var/lib/kakunin")" = 700 ]
	[ "$(stat -c %a "$r/var/log/kakunin")" = 700 ]
	[ "$(stat -c %a "$r/run/kakunin")" = 700 ]
	[ "$(stat -c %a "$r/etc/kakunin")" = 755 ]
}
