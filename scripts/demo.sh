#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# demo.sh — `make demo`: the trading-bot story, end to end, narrated. A throwaway CA issues a
# certificate for trading_bot_v2 (with an OCSP URL) for demo/trading-bot.json: the shipped
# policies/trading-bot.json plus the signer's socket, an "actions" and an "egress" section;
# kakunin-bpf is loaded, its daemon, signer and egress started (the agent's key is theirs,
# never the agent's); a small Python agent runs bound to that policy and tries what an honest
# bot does and what a compromised one would. Its trades are signed and sent through the egress,
# which speaks mutual TLS to the exchange as the agent; the exchange requires the client
# certificate and checks each signature with python3-cryptography (demo/jws_verify.py), not with
# our code; the agent cannot reach the exchange around the egress; a copy of the agent started
# outside the binding gets no signature, no egress and no TLS handshake; a trade ten times the usual size is refused by the signer, which revokes the
# identity in the kernel; the CA then revokes the certificate and `kakunin-bpf verify` of an
# earlier signature says so via OCSP; the audit stream is shown and its hash chain verified.
#
# Runs natively where this kernel runs BPF-LSM programs (as root); otherwise the same script
# runs inside the test VM of scripts/vmtest.sh, with the guest clock set inside the policy's
# trading hours (08:00-17:00 UTC).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KK=$top/build/kakunin-bpf
POLICY=$top/demo/trading-bot.json
W=${KAKUNIN_DEMO_DIR:-/tmp/kakunin-demo}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }

# --- outside: choose native or VM -------------------------------------------------------------
if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" = 0 ] || { echo "demo: run as root (it loads BPF-LSM programs)" >&2; exit 1; }
	set +e
	out=$("$KK" load 2>&1)
	rc=$?
	set -e
	if [ "$rc" = 3 ]; then
		echo "demo: this kernel cannot run BPF-LSM (${out#*: BPF LSM unavailable: }); running the demo in the test VM (scripts/vmtest.sh) instead"
		clock="$(date -u +%Y-%m-%d)T10:00:00"
		KAKUNIN_VM_QEMU_OPTS="-rtc base=$clock" exec "$top/scripts/vmtest.sh" --timeout 600 -- \
			bash "$top/scripts/demo.sh" --inside
	fi
	[ "$rc" = 0 ] || { echo "$out" >&2; exit 1; }
	# A private mount namespace: the demo's /etc/hosts entry is seen by the demo only.
	exec unshare -m --propagation private bash "$top/scripts/demo.sh" --inside
fi

# --- inside: the story ------------------------------------------------------------------------
cleanup() {
	[ -n "${AGENT:-}" ] && kill "$AGENT" 2>/dev/null
	[ -n "${DAEMON:-}" ] && kill "$DAEMON" 2>/dev/null
	[ -n "${SIGNER:-}" ] && kill "$SIGNER" 2>/dev/null
	[ -n "${EGRESS:-}" ] && kill "$EGRESS" 2>/dev/null
	[ -n "${EXCH:-}" ] && kill "$EXCH" 2>/dev/null
	[ -n "${OCSP:-}" ] && kill "$OCSP" 2>/dev/null
	wait 2>/dev/null
	"$KK" unload --force >/dev/null 2>&1 || true
}
trap cleanup EXIT
rm -rf "$W" /data/market-feeds /data/positions /secrets /logs/trades
mkdir -p "$W/ca/certs" /data/market-feeds /data/positions /secrets /logs/trades
cd "$W"

say "0. A throwaway CA issues trading_bot_v2's certificate (openssl CLI)"
# Not pinned in the certificate here: Debian 12's python3-cryptography (38) refuses to parse a
# certificate with an OID arc above 2^32, as kakunin's 2.25 (UUID) extensions have, and the
# exchange's independent check below is written against it (docs/identity.md).
cat >ca/ca.cnf <<CNF
[ca]
default_ca = d
[d]
dir = $W/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/certs
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 7
policy = any
unique_subject = no
[any]
commonName = supplied
[agent]
basicConstraints = CA:FALSE
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8888
[server]
basicConstraints = CA:FALSE
subjectAltName = DNS:api.exchange.com
[ocsp]
basicConstraints = CA:FALSE
extendedKeyUsage = OCSPSigning
CNF
: >ca/index.txt
echo 1000 >ca/serial
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=Demo Agents CA" \
	-addext keyUsage=critical,keyCertSign,cRLSign -keyout ca/ca.key -out ca/ca.pem 2>/dev/null
issue() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
		-keyout "$1.key" -out "$1.csr" 2>/dev/null
	openssl ca -batch -notext -config ca/ca.cnf -extensions "$3" -in "$1.csr" -out "$1.pem" 2>/dev/null
}
issue agent trading_bot_v2 agent
issue exchange api.exchange.com server
issue ocsp "Demo OCSP responder" ocsp
serial=$(openssl x509 -in agent.pem -noout -serial | sed 's/serial=//' | tr A-F a-f)
note "agent certificate: CN=trading_bot_v2, serial $serial, OCSP http://127.0.0.1:8888"

say "Setting the scene: market data, a secret, an exchange on loopback, an OCSP responder"
printf 'time,symbol,price\n2026-06-15T14:33Z,BTC,65000\n2026-06-15T14:34Z,BTC,65010\n' \
	>/data/market-feeds/prices.csv
cp ca/ca.pem /data/market-feeds/exchange-ca.pem
hash=$("$KK" policy check --offline "$POLICY" | sed 's/.* hash //')
note "policy hash of demo/trading-bot.json: $hash (its egress CA is in place now)"
echo '{"exchange_api_key": "sk-live-DO-NOT-LEAK"}' >/secrets/api-key.json
cp /etc/hosts hosts && echo "127.0.0.2 api.exchange.com" >>hosts && mount --bind hosts /etc/hosts
# Debian's python3 and python3-cryptography: the receiver's own, independent check.
/usr/bin/python3 "$top/demo/exchange.py" exchange.pem exchange.key ca/ca.pem >exchange.log 2>&1 &
EXCH=$!
openssl ocsp -index ca/index.txt -port 8888 -rsigner ocsp.pem -rkey ocsp.key -CA ca/ca.pem \
	-nmin 5 >ocsp.log 2>&1 &
OCSP=$!
note "api.exchange.com -> 127.0.0.2:8443 (HTTPS with client certificates of the demo CA only;"
note "it fills only orders signed by the agent that is the TLS client), OCSP on 127.0.0.1:8888"

say "Loading kakunin-bpf and starting its daemon (audit file, OCSP polling)"
"$KK" load
printf '{"audit_file": "%s/audit.jsonl", "socket": "%s/events.sock"}\n' "$W" "$W" >daemon.json
"$KK" daemon --config daemon.json >daemon.log 2>&1 &
DAEMON=$!
for _ in $(seq 100); do [ -S events.sock ] && break; sleep 0.05; done
sleep 1

say "The signer holds the agent's key; the agent never sees it"
# The key-custody directory: in this private mount namespace a tmpfs, so the key never reaches
# the disk; the kernel refuses everything under /etc/kakunin/keys to every bound task.
mkdir -p /etc/kakunin/keys
mount -t tmpfs -o mode=0700 kakunin-demo-keys /etc/kakunin/keys
install -m 0600 agent.key /etc/kakunin/keys/demo-agent.key
rm -f agent.key
cat >signer.json <<JSON
{"socket": "/run/kakunin-signer/signer.sock", "ca": "$W/ca/ca.pem",
 "agents": [{"certificate": "$W/agent.pem", "key": "/etc/kakunin/keys/demo-agent.key",
             "policy": "$POLICY"}]}
JSON
mkdir -p -m 0755 /run/kakunin-signer
"$KK" signer --config signer.json >signer.log 2>&1 &
SIGNER=$!
for _ in $(seq 200); do [ -S /run/kakunin-signer/signer.sock ] && break; sleep 0.05; done
note "kakunin-bpf signer: key /etc/kakunin/keys/demo-agent.key (0600), socket /run/kakunin-signer/signer.sock"
"$KK" egress --config signer.json >egress.log 2>&1 &
EGRESS=$!
# Listening on 127.0.0.1:18443 (0x480B)? Not probed by connecting: that would be a refusal.
for _ in $(seq 200); do grep -q '0100007F:480B 00000000:0000 0A' /proc/net/tcp && break; sleep 0.05; done
note "kakunin-bpf egress: 127.0.0.1:18443 -> api.exchange.com:8443, mutual TLS as the agent with"
note "the same key; the kernel attests each caller and refuses the agent the exchange directly"
# The Python client (clients/python, standard library only), where the bound agent may read it.
mount -t tmpfs kakunin-demo-lib /usr/local/share
mkdir -p /usr/local/share/kakunin-bpf/python
cp "$top/clients/python/kakunin_signer.py" /usr/local/share/kakunin-bpf/python/
export PYTHONPATH=/usr/local/share/kakunin-bpf/python

say "1-3. The agent runs bound to demo/trading-bot.json (kakunin-bpf run); its trades are signed and go out through the egress"
"$KK" run --cert agent.pem --ca ca/ca.pem --policy "$POLICY" --region eu-west-1 -- \
	python3 - <"$top/demo/agent.py" >agent.out 2>&1 &
AGENT=$!
for _ in $(seq 900); do grep -q "waits for its next" agent.out 2>/dev/null && break; sleep 0.1; done
cat agent.out
"$KK" status | grep -E '^ *BIND|trading_bot_v2' | sed 's/^ */   /'
note "the exchange's log (mutual TLS as trading_bot_v2; each X-Agent-Signature checked with"
note "python3-cryptography):"
sed 's/^ */   /' exchange.log
cp /data/positions/last-trade.jws earlier.jws
note "a receiver checks the last signature with kakunin-bpf verify (chain, OCSP, freshness):"
"$KK" verify --ca ca/ca.pem --ocsp --max-age 600 - <earlier.jws | python3 -c '
import json, sys
v = json.load(sys.stdin)
print("   valid: %s, agent %s, serial %s, action %s" % (v["valid"], v["agent_id"], v["serial"], v["action"]))'

say "3b. The agent's code, stolen and run outside the binding: no signature, no egress, no TLS"
python3 - stolen <"$top/demo/agent.py" 2>&1 | sed 's/^ */   /'

say "4. Compromised: the agent trades ten times its usual size"
touch /data/market-feeds/next-round
for _ in $(seq 300); do
	"$KK" status --json | grep -q '"state": *"revoked"' && break
	sleep 0.1
done
sleep 0.5
grep '^  \[4\]' agent.out || true
grep -m1 '"event_type":"action.refused".*"reason":"behavioral_anomaly"' audit.jsonl | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
print("   signer: action.refused, reason %s (%s), risk %s" % (e.get("reason"), e.get("why"), e.get("risk")))' || true
"$KK" status | grep -E '^ *BIND|trading_bot_v2' | sed 's/^ */   /'
note "the signer refused and revoked the identity in the kernel (reason behavioral_anomaly);"
note "the agent's processes were stopped. Resumed, it asks for one more signature:"
# $AGENT is `kakunin-bpf run`; the agent is its child.
pkill -CONT -P "$AGENT" 2>/dev/null || true
set +e
wait "$AGENT"
rc=$?
set -e
AGENT=
case "$rc" in
13) note "refused by the kernel: EACCES (exit 13): a revoked agent cannot even reach the signer" ;;
42) note "refused by the signer: revoked (exit 42)" ;;
*) note "UNEXPECTED: the agent's last signing attempt ended with status $rc" ;;
esac

say "5. The CA revokes the certificate; a signature issued before is no longer accepted"
openssl ca -config ca/ca.cnf -revoke agent.pem -crl_reason keyCompromise 2>/dev/null
kill "$OCSP" && wait "$OCSP" 2>/dev/null || true
openssl ocsp -index ca/index.txt -port 8888 -rsigner ocsp.pem -rkey ocsp.key -CA ca/ca.pem \
	-nmin 5 >>ocsp.log 2>&1 &
OCSP=$!
sleep 1
set +e
"$KK" verify --ca ca/ca.pem --ocsp --max-age 600 - <earlier.jws 2>&1 | sed 's/^/   /'
vrc=${PIPESTATUS[0]}
set -e
note "kakunin-bpf verify exited $vrc"

say "6. The audit stream of this run (JSON lines, hash-chained)"
sleep 1.2
kill -TERM "$DAEMON" && wait "$DAEMON" 2>/dev/null || true
DAEMON=
python3 - audit.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] == "action.allowed":
        continue
    what = e.get("action") or {}
    target = what.get("path") or what.get("exec") or what.get("upstream") or (
        f'{what["address"]}:{what["port"]}' if "address" in what else "") or what.get("type", "")
    print(f'   #{e["seq"]:<3} {e["timestamp"]} {e["event_type"]:<15} {e.get("agent_id") or "-":<15} '
          f'{e.get("hook", ""):<20} {target:<28} {e.get("reason", "")}')
PY
note "one line in full:"
grep -m1 '"/secrets/api-key.json"' audit.jsonl | sed 's/^/   /'
note "a connection relayed by the egress:"
grep -m1 '"event_type":"action.connected"' audit.jsonl | sed 's/^/   /'
note "the signer's refusal:"
grep -m1 '"event_type":"action.refused".*"reason":"behavioral_anomaly"' audit.jsonl | sed 's/^/   /'
"$KK" audit verify audit.jsonl | sed 's/^/   /'
{ [ "$rc" = 13 ] || [ "$rc" = 42 ]; } && [ "$vrc" = 1 ]
