#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The policy's "egress" section through `kakunin-bpf policy check|show`: the forced path shown
# (listeners allowed, upstreams denied on every port), every error one positioned line with
# exit 1, the ca warning, and the policy hash.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' >ca.pem
	cat >g.json <<EOF
{"agent_id": "a", "version": "1", "baseline": false,
 "network_rules": {"allowed_hosts": ["192.0.2.0/24:443"]},
 "egress": {
  "192.0.2.10:443": {"listen": "127.0.0.1:18443", "ca": "$PWD/ca.pem"},
  "api.exchange.com:443": {"listen": "[::1]:18444", "ca": "$PWD/ca.pem",
                           "server_name": "API.exchange.com", "http_events": true}
 }}
EOF
}

@test "egress: policy show lists the rules and the forced path; deny of the upstream on every port" {
	run --separate-stderr "$KK" policy check g.json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == "g.json: ok: agent a version 1, enforce, 0 path rules, 0 exec, 1 network rules (0 addresses resolved, 1 symbolic), 4 kernel entries, hash "* ]]
	run --separate-stderr "$KK" policy show g.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n  allow ::1                                      port 18444       egress   api.exchange.com:443\n'* ]]
	[[ "$output" == *$'\n  allow 127.0.0.1                                port 18443       egress   192.0.2.10:443\n'* ]]
	[[ "$output" == *$'\n  allow 192.0.2.0/24                             port 443         policy   192.0.2.0/24:443\n'* ]]
	[[ "$output" == *$'\n  deny  192.0.2.10                               any port         egress   192.0.2.10:443\n'* ]]
	[[ "$output" == *$'\n  deny  api.exchange.com:443                     offline: not resolved, so not enforced as denied\n'* ]]
	[[ "$output" == *$'\negress (2 upstreams; the agent reaches them only through the kakunin egress: direct connections to their addresses are denied)\n'* ]]
	[[ "$output" == *$'\n  192.0.2.10:443                           via 127.0.0.1:18443        server name 192.0.2.10, ca '"$PWD"$'/ca.pem, http events off\n'* ]]
	[[ "$output" == *$'\n  api.exchange.com:443                     via [::1]:18444            server name api.exchange.com, ca '"$PWD"$'/ca.pem, http events on\n'* ]]
	run --separate-stderr "$KK" policy show --json g.json
	[ "$status" -eq 0 ]
	python3 - "$output" "$PWD/ca.pem" <<'PY'
import json, sys
d, ca = json.loads(sys.argv[1]), sys.argv[2]
assert d["egress"] == [
    {"upstream": "192.0.2.10:443", "host": "192.0.2.10", "port": 443, "listen": "127.0.0.1:18443",
     "ca": ca, "server_name": "192.0.2.10", "http_events": False},
    {"upstream": "api.exchange.com:443", "host": "api.exchange.com", "port": 443,
     "listen": "[::1]:18444", "ca": ca, "server_name": "api.exchange.com", "http_events": True}], d["egress"]
assert d["policy"]["egress"] == {
    "192.0.2.10:443": {"ca": ca, "http_events": False, "listen": "127.0.0.1:18443",
                       "server_name": "192.0.2.10"},
    "api.exchange.com:443": {"ca": ca, "http_events": True, "listen": "[::1]:18444",
                             "server_name": "api.exchange.com"}}, d["policy"]["egress"]
deny = [e for e in d["network"] if e["list"] == "deny"]
assert deny == [{"list": "deny", "address": "192.0.2.10", "origin": "egress",
                 "source": "192.0.2.10:443", "ports": "any"},
                {"list": "deny", "host": "api.exchange.com:443",
                 "symbolic": "offline: not resolved, so not enforced as denied"}], deny
PY
	# Without the section: no egress in either form.
	printf '{"agent_id": "a", "version": "1"}' >n.json
	run --separate-stderr "$KK" policy show n.json
	[[ "$output" != *egress* ]]
	run --separate-stderr "$KK" policy show --json n.json
	python3 -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["egress"] == [] and "egress" not in d["policy"], d' "$output"
}

@test "egress: localhost resolves, its addresses denied; a listener on them is refused" {
	printf '{"agent_id": "a", "version": "1", "baseline": false,\n"egress": {"localhost:443": {"listen": "127.0.0.2:18443", "ca": "/etc/ca.pem"}}}' >l.json
	run --separate-stderr "$KK" policy show --resolve l.json
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\n  deny  127.0.0.1                                any port         egress   localhost:443\n'* ]]
	[[ "$output" == *$'\n  allow 127.0.0.2                                port 18443       egress   localhost:443\n'* ]]
	printf '{"agent_id": "a", "version": "1", "baseline": false,\n"egress": {"localhost:443": {"listen": "127.0.0.1:18443", "ca": "/etc/ca.pem"}}}' >l.json
	run --separate-stderr "$KK" policy check --resolve l.json
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = 'l.json:2:40: egress["localhost:443"].listen: "127.0.0.1:18443" is an address of the upstream egress["localhost:443"], denied on every port: the agent could not reach this listener' ]
}

@test "egress: every problem one FILE:LINE:COL line, exit 1, nothing on stdout; --json lists them" {
	cat >bad.json <<'EOF'
{"agent_id": "a", "version": "1",
 "egress": {
  "api.exchange.com": {"listen": "127.0.0.1:18443", "ca": "/etc/ca.pem"},
  "b.example:443": {"listen": "10.0.0.1:18443", "ca": "ca.pem", "sni": "x"},
  "c.example:0": {"listen": "127.0.0.1:1", "ca": "/etc/ca.pem", "http_events": "yes"},
  "d.example:443": {"listen": "127.0.0.1:2"},
  "e.example:443": {"listen": "127.0.0.1:2", "ca": "/etc/ca.pem", "server_name": "*.x"},
  "f.example:443": {"listen": "127.0.0.1:2", "ca": "/etc/ca.pem"},
  "F.example.:443": {"listen": "[::ffff:127.0.0.1]:2", "ca": "/etc/ca.pem"}
 }}
EOF
	run --separate-stderr "$KK" policy check bad.json
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = 'bad.json:3:3: egress["api.exchange.com"]: needs a port: "HOST:PORT" or "[IPv6]:PORT"
bad.json:4:31: egress["b.example:443"].listen: "10.0.0.1:18443": must be a loopback address (127.0.0.0/8 or [::1]): only this host'"'"'s agents reach the egress
bad.json:4:55: egress["b.example:443"].ca: "ca.pem": must be an absolute path
bad.json:4:65: egress["b.example:443"].sni: unknown key (expected: ca, http_events, listen, server_name)
bad.json:5:3: egress["c.example:0"]: port 0 is not a port (1 to 65535)
bad.json:5:80: egress["c.example:0"].http_events: must be true or false
bad.json:6:20: egress["d.example:443"].ca: required
bad.json:7:82: egress["e.example:443"].server_name: "*.x": must be a hostname or an IP address, without port or wildcard
bad.json:9:3: egress["F.example.:443"]: the same upstream as egress["f.example:443"]
bad.json:9:32: egress["F.example.:443"].listen: "127.0.0.1:2" is already the listener of egress["f.example:443"]: one upstream per listener' ]
	run --separate-stderr "$KK" policy check --json bad.json
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	python3 - "$output" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
errs = d["error"]["errors"] if "error" in d else d["errors"]
assert len(errs) == 10, errs
assert errs[0] == {"file": "bad.json", "line": 3, "col": 3, "field": "egress[\"api.exchange.com\"]",
                   "why": "needs a port: \"HOST:PORT\" or \"[IPv6]:PORT\""}, errs[0]
PY
}

@test "egress: more than KK_EGRESS_MAX (16) upstreams is one error" {
	{
		printf '{"agent_id": "a", "version": "1",\n"egress": {'
		for i in $(seq 0 16); do
			printf '%s"h%d.example:443": {"listen": "127.0.0.1:%d", "ca": "/etc/ca.pem"}' "$([ "$i" = 0 ] || echo ', ')" "$i" $((1000 + i))
		done
		printf '}}\n'
	} >many.json
	run --separate-stderr "$KK" policy check many.json
	[ "$status" -eq 1 ]
	[ "$stderr" = 'many.json:2:11: egress: 17 upstreams; at most 16' ]
}

@test "egress: a ca that is no PEM certificate on this host is a warning, not an error" {
	printf '{"agent_id": "a", "version": "1",\n"egress": {"a.example:443": {"listen": "127.0.0.1:1", "ca": "/nonexistent-kk/ca.pem"}}}' >w.json
	run --separate-stderr "$KK" policy check w.json
	[ "$status" -eq 0 ]
	[ "$stderr" = 'w.json:2:61: warning: egress["a.example:443"].ca: cannot read "/nonexistent-kk/ca.pem" on this host: No such file or directory' ]
	[[ "$output" == "w.json: ok: agent a version 1, "* ]]
	printf 'not a certificate\n' >key.pem
	printf '{"agent_id": "a", "version": "1",\n"egress": {"a.example:443": {"listen": "127.0.0.1:1", "ca": "%s/key.pem"}}}' "$PWD" >w.json
	run --separate-stderr "$KK" policy check w.json
	[ "$status" -eq 0 ]
	[ "$stderr" = "w.json:2:61: warning: egress[\"a.example:443\"].ca: \"$PWD/key.pem\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)" ]
}

@test "egress: in the policy hash; order, spelling and written defaults are not" {
	printf '{"agent_id": "a", "version": "1"}' >n.json
	printf '{"agent_id": "a", "version": "1", "egress": {}}' >e.json
	printf '{"agent_id": "a", "version": "1", "egress": {"a.example:443": {"listen": "127.0.0.1:1", "ca": "/c.pem"}, "[2001:db8::1]:443": {"listen": "[::1]:2", "ca": "/c.pem"}}}' >a.json
	printf '{"agent_id": "a", "version": "1", "egress": {"[2001:DB8:0::1]:443": {"ca": "/c.pem", "listen": "[::1]:2", "http_events": false}, "A.Example.:443": {"listen": "[::ffff:127.0.0.1]:1", "ca": "/c.pem", "server_name": "a.example"}}}' >b.json
	printf '{"agent_id": "a", "version": "1", "egress": {"a.example:443": {"listen": "127.0.0.1:1", "ca": "/c.pem", "http_events": true}, "[2001:db8::1]:443": {"listen": "[::1]:2", "ca": "/c.pem"}}}' >c.json
	h() { "$KK" policy check "$1" 2>/dev/null | sed 's/.* hash //'; }
	[ "$(h e.json)" = "$(h n.json)" ]
	[ "$(h a.json)" = "$(h b.json)" ]
	[ "$(h a.json)" != "$(h n.json)" ]
	[ "$(h c.json)" != "$(h a.json)" ]
	[[ "$(h a.json)" =~ ^[0-9a-f]{64}$ ]]
}
