#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# `kakunin-bpf policy check|show`: output, errors as FILE:LINE:COL: field: reason, exit codes.
bats_require_minimum_version 1.5.0
load helpers

POL=$BATS_TEST_DIRNAME/../../policies

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf 'nameserver 10.0.0.53\n' >resolv.conf
}

@test "policy check accepts the shipped policies offline: one summary line each, exit 0" {
	run --separate-stderr "$KK" policy check --offline "$POL/trading-bot.json" "$POL/data-processor.json"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "$POL/trading-bot.json: ok: agent trading_bot_v2 version 1.0.0, enforce, 4 path rules, 1 exec, 5 network rules (0 addresses resolved, 2 symbolic), "*", hash "* ]]
	[[ "${lines[1]}" == "$POL/data-processor.json: ok: agent data_processor version 1.0.0, enforce, 3 path rules, 1 exec, 0 network rules"* ]]
	hash=${lines[0]##* hash }
	[[ "$hash" =~ ^[0-9a-f]{64}$ ]]
}

@test "the seed policy is DESIGN.md's example verbatim, comments included" {
	grep -q '"agent_id": "trading_bot_v2",          // must equal the certificate' "$POL/trading-bot.json"
	grep -q '"auto_revoke": { "max_denials": 20, "window_seconds": 60 }   // in-kernel tripwire' "$POL/trading-bot.json"
}

@test "policy check reports every error as FILE:LINE:COL: field: reason and exits 1" {
	cat >bad.json <<'JSON'
{
  "agent_id": "trading bot",
  "version": "1",
  "mode": "enforcing",
  "data_access": {
    "/x*": ["read"],
    "/ok/*": ["delete"]
  },
  "colour": "blue"
}
JSON
	run --separate-stderr "$KK" policy check --offline bad.json
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "bad.json:2:15: agent_id: must be 1 to 64 characters of A-Z a-z 0-9 _ . -
bad.json:4:11: mode: must be \"enforce\" or \"audit\"
bad.json:6:5: data_access[\"/x*\"]: '*' only allowed as the last path component
bad.json:7:15: data_access[\"/ok/*\"]: unknown permission \"delete\" (expected read, write, exec)
bad.json:9:3: colour: unknown key (expected: agent_id, version, mode, baseline, execution_constraints, data_access, exec, network_rules, revocation_check, auto_revoke, audit, allow_jit, ipc, spiffe_id, actions, risk, egress)" ]
}

@test "spiffe_id must be a SPIFFE ID naming a workload; it changes the policy hash" {
	printf '{"agent_id": "a", "version": "1",\n "spiffe_id": "spiffe://Example.org/a"}\n' >s.json
	run --separate-stderr "$KK" policy check --offline s.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "s.json:2:15: spiffe_id: \"spiffe://Example.org/a\" is not a SPIFFE ID: trust domain may hold only a-z 0-9 . - _ (no port, user or upper case)" ]
	printf '{"agent_id": "a", "version": "1"}\n' >n.json
	printf '{"agent_id": "a", "version": "1", "spiffe_id": "spiffe://example.org/ns/prod/sa/a"}\n' >s.json
	run "$KK" policy check --offline --json n.json
	[ "$status" -eq 0 ]
	local h1=${output##*\"hash\":\"}
	run "$KK" policy check --offline --json s.json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"spiffe_id":"spiffe://example.org/ns/prod/sa/a"'* ]]
	[ "${output##*\"hash\":\"}" != "$h1" ]
}

@test "positions survive comments: an error after a block comment points to the right column" {
	printf '{ /* one\n two */ "agent_id": "a", // x\n  "version": 7 }\n' >c.json
	run --separate-stderr "$KK" policy check c.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "c.json:3:14: version: must be a non-empty string of at most 64 printable characters" ]
}

@test "a syntax error names the position and what was expected" {
	printf '{"agent_id": "a",\n "version": "1" "mode": "audit"}' >s.json
	run --separate-stderr "$KK" policy check s.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "s.json:2:17: expected ',' or '}' after a member" ]
}

@test "policy check goes on after a bad file and still fails" {
	printf '{"agent_id": "a", "version": "1"}' >good.json
	run --separate-stderr "$KK" policy check missing.json good.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "missing.json: cannot read: No such file or directory" ]
	[[ "$output" == "good.json: ok: agent a version 1, enforce, 0 path rules"* ]]
}

@test "policy check needs no DNS: names stay symbolic unless --resolve resolves them" {
	printf '{"agent_id":"a","version":"1","network_rules":{"allowed_hosts":["no-such-host.invalid"]}}' >h.json
	run --separate-stderr "$KK" policy check h.json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == *"1 network rules (0 addresses resolved, 1 symbolic)"* ]]
	run --separate-stderr "$KK" policy check --resolve h.json
	[ "$status" -eq 1 ]
	[[ "$stderr" == 'h.json:1:65: network_rules.allowed_hosts[0]: "no-such-host.invalid" does not resolve (getaddrinfo: '*')' ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	# --offline, the old way to say it, still means the default.
	run --separate-stderr "$KK" policy check --offline h.json
	[ "$status" -eq 0 ]
	[[ "$output" == *"(0 addresses resolved, 1 symbolic)"* ]]
}

@test "localhost resolves to its addresses when compiled" {
	printf '{"agent_id":"a","version":"1","baseline":false,"network_rules":{"allowed_hosts":["localhost:8443"]}}' >l.json
	run --separate-stderr "$KK" policy show --resolve --json l.json
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
net = [n for n in d["network"] if n["source"] == "localhost:8443"]
assert {"list": "allow", "address": "127.0.0.1", "origin": "policy", "source": "localhost:8443", "ports": [8443]} in net, net
assert d["resolved_addresses"] >= 1
PY
}

@test "policy show lists baseline, subtree entries, exec and network with the hash" {
	run --separate-stderr "$KK" policy show --offline "$POL/trading-bot.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"agent        trading_bot_v2 (version 1.0.0)"* ]]
	[[ "$output" =~ hash\ +sha256:[0-9a-f]{64} ]]
	[[ "$output" =~ "  /data/market-feeds/ "+"read "+"below policy   /data/market-feeds/*" ]]
	[[ "$output" =~ "  /data/market-feeds "+"read "+"dir "+"policy" ]]
	[[ "$output" =~ "  /secrets/ "+"deny "+"below policy" ]]
	[[ "$output" =~ "  /etc/resolv.conf "+"read "+"exact baseline" ]]
	[[ "$output" =~ "  allow 10.1.0.0/16 "+"any port" ]]
	[[ "$output" =~ "  deny  169.254.169.254 "+"any port" ]]
	[[ "$output" =~ "  allow 2001:db8::1 "+"port 443" ]]
	[[ "$output" == *"deny  *.internal-network.local"*"wildcard: enforced by default-deny"* ]]
	[[ "$output" == *"allow api.exchange.com"*"offline: not resolved"* ]]
}

@test "policy show --json: the hash, canonical policy and kernel entries" {
	run --separate-stderr "$KK" policy show --offline --json "$POL/data-processor.json"
	[ "$status" -eq 0 ]
	hash=$("$KK" policy check --offline "$POL/data-processor.json" | sed 's/.* hash //')
	python3 - "$output" "$hash" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["hash"] == sys.argv[2], (d["hash"], sys.argv[2])
assert d["format"] == 2
assert d["policy"]["agent_id"] == "data_processor"
assert d["policy"]["data_access"]["/secrets/*"] == []
keys = {(p["key"], p["match"]): p for p in d["paths"]}
assert keys[("/raw-data/", "below")]["perms"] == "read"
assert keys[("/raw-data", "dir")]["perms"] == "read"
assert keys[("/processed-data/", "below")]["perms"] == "read,write"
assert keys[("/secrets/", "below")]["perms"] == "deny"
assert keys[("/proc/self/", "below")]["proc_self"] is True
assert d["exec"][0]["path"] == "/usr/bin/python3"
PY
}

@test "the policy hash ignores comments, whitespace and key order, not values" {
	printf '{"version":"1","agent_id":"a","data_access":{"/d/*":["write","read"]}}' >a.json
	printf '// same\n{ "agent_id" : "a",\n  "data_access": { "/d/*": ["read", "write"] },\n  "version": "1", "mode": "enforce" }' >b.json
	printf '{"version":"1","agent_id":"a","data_access":{"/d/*":["read"]}}' >c.json
	ha=$("$KK" policy check a.json | sed 's/.* hash //')
	hb=$("$KK" policy check b.json | sed 's/.* hash //')
	hc=$("$KK" policy check c.json | sed 's/.* hash //')
	[ "$ha" = "$hb" ]
	[ "$ha" != "$hc" ]
}

@test "allowed_socket_types: shown, hashed in any order, checked with a position" {
	printf '{"agent_id":"a","version":"1","network_rules":{"allowed_socket_types":["raw","netlink"]}}' >s1.json
	printf '{"agent_id":"a","version":"1","network_rules":{"allowed_socket_types":["netlink","raw"]}}' >s2.json
	printf '{"agent_id":"a","version":"1","network_rules":{"allowed_socket_types":[]}}' >s3.json
	printf '{"agent_id":"a","version":"1"}' >s4.json
	printf '{"agent_id":"a","version":"1","network_rules":{"allowed_socket_types":["sctp","raw"]}}' >s5.json
	run --separate-stderr "$KK" policy show --offline s1.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nsockets (others are refused)\n  inet, inet6, unix, raw, netlink' ]]
	run --separate-stderr "$KK" policy show --offline s4.json
	[[ "$output" == *"  inet, inet6, unix, netlink NETLINK_ROUTE (baseline)"* ]]
	run --separate-stderr "$KK" policy show --offline s5.json
	[[ "$output" == *$'\n  inet, inet6, unix, raw, netlink NETLINK_ROUTE (baseline), sctp' ]]
	h1=$("$KK" policy check s1.json | sed 's/.* hash //')
	h2=$("$KK" policy check s2.json | sed 's/.* hash //')
	h3=$("$KK" policy check s3.json | sed 's/.* hash //')
	h4=$("$KK" policy check s4.json | sed 's/.* hash //')
	h5=$("$KK" policy check s5.json | sed 's/.* hash //')
	[ "$h1" = "$h2" ]
	[ "$h1" != "$h4" ]
	[ "$h5" != "$h1" ] && [ "$h5" != "$h4" ]
	[ "$h3" = "$h4" ] # empty: the hash of a policy written before the field existed
	printf '{"agent_id":"a","version":"1",\n"network_rules":{"allowed_socket_types":["icmp"]}}' >bad.json
	run --separate-stderr "$KK" policy check bad.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'bad.json:2:42: network_rules.allowed_socket_types: unknown socket type "icmp" (expected raw, packet, netlink, sctp)' ]
}

@test "network_rules.listen: kernel entries shown and in JSON, errors with a position, hashed when set" {
	printf '{"agent_id":"a","version":"1","baseline":false,"network_rules":{"listen":["8080","10.0.0.0/8:9000","0.0.0.0/0:53","[::]:443"]}}' >l.json
	printf '{"agent_id":"a","version":"1","baseline":false,"network_rules":{"listen":[]}}' >e.json
	printf '{"agent_id":"a","version":"1","baseline":false}' >n.json
	run --separate-stderr "$KK" policy show --offline l.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nlisten (5 kernel entries; bind, listen and accept, most specific address wins)\n'* ]]
	[[ "$output" =~ $'\n  every address '\ +'port 8080 '\ +$'(8080)\n' ]]
	[[ "$output" =~ $'\n  :: '\ +'ports 443,8080 '\ +$'([::]:443)\n' ]]
	[[ "$output" =~ $'\n  0.0.0.0/0 '\ +'ports 53,8080 '\ +$'(0.0.0.0/0:53)\n' ]]
	[[ "$output" =~ $'\n  0.0.0.0 '\ +'port 8080 '\ +$'(wildcard address: only rules naming it or no address)\n' ]]
	[[ "$output" =~ $'\n  10.0.0.0/8 '\ +'ports 9000,53,8080 '$'(10.0.0.0/8:9000)\n' ]]
	run --separate-stderr "$KK" policy check --offline l.json
	[[ "$output" == *", 5 kernel entries, hash "* ]]
	run --separate-stderr "$KK" policy show --offline --json l.json
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
got = {(e["address"], tuple(e["ports"]) if e["ports"] != "any" else "any") for e in d["listen"]}
assert got == {("::/0", (8080,)), ("::", (443, 8080)), ("0.0.0.0/0", (53, 8080)),
               ("0.0.0.0", (8080,)), ("10.0.0.0/8", (9000, 53, 8080))}, got
assert all(e["list"] == "listen" and e["origin"] == "policy" for e in d["listen"])
assert d["policy"]["network_rules"]["listen"] == ["0.0.0.0/0:53", "10.0.0.0/8:9000", "8080", "[::]:443"]
assert d["network"] == []
PY
	run --separate-stderr "$KK" policy show --offline e.json
	[[ "$output" == *$'\nlisten (none: binding a port, listen and accept are refused)\n'* ]]
	run --separate-stderr "$KK" policy show --offline --json e.json
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["listen"] == [] and "listen" not in d["policy"]["network_rules"], d' "$output"
	hl=$("$KK" policy check l.json | sed 's/.* hash //')
	he=$("$KK" policy check e.json | sed 's/.* hash //')
	hn=$("$KK" policy check n.json | sed 's/.* hash //')
	[ "$he" = "$hn" ]
	[ "$hl" != "$hn" ]
	printf '{"agent_id":"a","version":"1",\n"network_rules":{"listen":["80", "localhost:8080", "0", "80"]}}' >bad.json
	run --separate-stderr "$KK" policy check bad.json
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = 'bad.json:2:34: network_rules.listen[1]: "localhost:8080": not a port or address
bad.json:2:52: network_rules.listen[2]: "0": port 0 is not a port (1 to 65535)
bad.json:2:57: network_rules.listen[3]: "80" duplicates the network_rules.listen entry "80"' ]
}

@test "allow_jit and ipc: shown, in the hash only when set, checked with a position" {
	printf '{"agent_id":"a","version":"1"}' >d.json
	printf '{"agent_id":"a","version":"1","allow_jit":false,"ipc":"own"}' >w.json
	printf '{"agent_id":"a","version":"1","allow_jit":true,"ipc":"none"}' >j.json
	run --separate-stderr "$KK" policy show --offline d.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\njit          refused: anonymous and memfd memory is never executable\n'* ]]
	[[ "$output" == *$'\nipc          own: System V IPC objects and keys created under the binding only\n'* ]]
	run --separate-stderr "$KK" policy show --offline j.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\njit          allowed: anonymous and memfd memory may be made executable (allow_jit)\n'* ]]
	[[ "$output" == *$'\nipc          none: no System V IPC objects or keys\n'* ]]
	run --separate-stderr "$KK" policy show --offline --json j.json
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["allow_jit"] is True and d["ipc"] == "none", d
assert d["policy"]["allow_jit"] is True and d["policy"]["ipc"] == "none", d["policy"]
PY
	run --separate-stderr "$KK" policy show --offline --json w.json
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["allow_jit"] is False and d["ipc"] == "own", d
assert "allow_jit" not in d["policy"] and "ipc" not in d["policy"], d["policy"]
PY
	hd=$("$KK" policy check d.json | sed 's/.* hash //')
	hw=$("$KK" policy check w.json | sed 's/.* hash //')
	hj=$("$KK" policy check j.json | sed 's/.* hash //')
	[ "$hd" = "$hw" ]
	[ "$hd" != "$hj" ]
	printf '{"agent_id":"a","version":"1",\n"ipc":"shared", "allow_jit":"yes"}' >bad.json
	run --separate-stderr "$KK" policy check bad.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'bad.json:2:7: ipc: must be "own" or "none"
bad.json:2:29: allow_jit: must be true or false' ]
}

@test "actions: listed, in the canonical policy and its hash, errors with a position" {
	printf '{"agent_id":"a","version":"1"}' >none.json
	cat >a.json <<'EOF'
{"agent_id": "a", "version": "1",
 "actions": {"trade": {"fields": {"market": {"in": ["EUR_USD", "GBP_USD"]},
                                  "size": {"max": 50000, "min": 1}},
                       "rate_limit": "100/hour", "risk": {"revoke_above": 0.85}},
             "quote": {"other_fields": "allow"}}}
EOF
	sed 's/50000/60000/' a.json >b.json
	run --separate-stderr "$KK" policy show --offline a.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\nactions      quote, trade\n'* ]]
	run --separate-stderr "$KK" policy show --offline --json a.json
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import json, sys
a = json.loads(sys.argv[1])["policy"]["actions"]
assert a["trade"] == {"fields": {"market": {"in": ["EUR_USD", "GBP_USD"]},
                                 "size": {"max": 50000, "min": 1}},
                      "other_fields": "refuse", "rate_limit": "100/hour",
                      "risk": {"revoke_above": 0.85, "window": 100}}, a
assert a["quote"] == {"fields": {}, "other_fields": "allow"}, a
PY
	hn=$("$KK" policy check none.json | sed 's/.* hash //')
	ha=$("$KK" policy check a.json | sed 's/.* hash //')
	hb=$("$KK" policy check b.json | sed 's/.* hash //')
	[ "$hn" != "$ha" ]
	[ "$ha" != "$hb" ]
	cat >bad.json <<'EOF'
{"agent_id": "a", "version": "1",
 "actions": {"trade": {"fields": {"size": {"max": "50000"}}, "rate_limit": "100/week"},
             "Bad type": {}}}
EOF
	run --separate-stderr "$KK" policy check bad.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'bad.json:2:51: actions["trade"].fields["size"].max: must be a number
bad.json:2:76: actions["trade"].rate_limit: unit must be second, minute, hour or day, not "week"
bad.json:3:14: actions["Bad type"]: an action type is 1 to 64 of [a-z0-9_.-]' ]
}

@test "policy without a subcommand or file is a usage error" {
	run --separate-stderr "$KK" policy
	[ "$status" -eq 2 ]
	run --separate-stderr "$KK" policy check
	[ "$status" -eq 2 ]
	assert_one_stderr_line "policy: check needs a policy FILE"
	run --separate-stderr "$KK" policy lint x.json
	[ "$status" -eq 2 ]
	assert_one_stderr_line "policy: unknown subcommand 'lint' (check or show)"
	run --separate-stderr "$KK" policy show a.json b.json
	[ "$status" -eq 2 ]
	assert_one_stderr_line "policy: show takes one FILE"
}

@test "an exec entry missing on this host is a warning naming path and position, not an error" {
	printf '{"agent_id":"a","version":"1",\n "exec": ["/usr/bin/env", "/opt/kk-nope/bot"]}' >x.json
	run --separate-stderr "$KK" policy check x.json
	[ "$status" -eq 0 ]
	[ "$stderr" = 'x.json:2:27: warning: exec[1]: "/opt/kk-nope/bot" does not exist on this host' ]
	[[ "$output" == "x.json: ok: agent a version 1, enforce, 0 path rules, 2 exec, "* ]]
	run --separate-stderr "$KK" policy check --json x.json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
assert d["warnings"] == [{"file": "x.json", "line": 2, "col": 27, "field": "exec[1]",
                          "why": "\"/opt/kk-nope/bot\" does not exist on this host"}], d
PY
}

@test "policy check - reads the policy from standard input, named <stdin>" {
	run --separate-stderr sh -c '"$0" policy check - <"$1"' "$KK" "$POL/trading-bot.json"
	[ "$status" -eq 0 ]
	[[ "$output" == "<stdin>: ok: agent trading_bot_v2 version 1.0.0, enforce, 4 path rules"* ]]
	hash=$("$KK" policy check "$POL/trading-bot.json" | sed 's/.* hash //')
	[ "${output##* hash }" = "$hash" ]
	run --separate-stderr sh -c 'printf "{\"agent_id\": \"a\",\n \"version\": 1}" | "$0" policy check -' "$KK"
	[ "$status" -eq 1 ]
	[ "$stderr" = "<stdin>:2:13: version: must be a non-empty string of at most 64 printable characters" ]
}

@test "a UTF-8 byte order mark is reported as such, in a policy and in daemon.json" {
	printf '\357\273\277{"agent_id":"a","version":"1"}' >bom.json
	run --separate-stderr "$KK" policy check bom.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "bom.json:1:1: starts with a UTF-8 byte order mark (BOM): save the file without it" ]
	printf '\357\273\277{"keep_files": 3}' >daemon.json
	run --separate-stderr "$KK" daemon --config daemon.json
	[ "$status" -eq 1 ]
	[ "$stderr" = "kakunin-bpf: daemon: daemon.json:1:1: starts with a UTF-8 byte order mark (BOM): save the file without it" ]
}
