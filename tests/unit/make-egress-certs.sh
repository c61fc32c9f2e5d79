#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make-egress-certs.sh DIR — the PKI tests/unit/test_egress.c and tests/kernel/egress.bats use,
# made with the openssl CLI into DIR (which must exist): ca.pem/ca.key (the upstream's and the
# agent's CA), other.pem (an unrelated CA), server.pem/server.key (CN=upstream.test, SANs
# DNS:upstream.test, IP:127.0.0.1 and IP:127.0.0.2), agent.pem/agent.key (CN=AGENT, default "agent").
# Quiet on success; on failure the last command's output is on stderr.
set -eu

[ $# -ge 1 ] && [ -d "$1" ] || { echo "usage: make-egress-certs.sh DIR [AGENT]" >&2; exit 2; }
cd "$1"
AGENT=${2:-agent}
log=make.log
run() {
	"$@" >"$log" 2>&1 || { cat "$log" >&2; echo "make-egress-certs.sh: failed: $*" >&2; exit 1; }
}
key() { run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
ca() {
	key "$1"
	run openssl req -x509 -new -key "$1.key" -out "$1.pem" -subj "$2" -days 3650 \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
# leaf NAME SUBJECT EXTENSIONS...
leaf() {
	n=$1 s=$2
	shift 2
	key "$n"
	run openssl req -new -key "$n.key" -out "$n.csr" -subj "$s"
	printf '%s\n' "basicConstraints = CA:FALSE" "$@" >"$n.ext"
	run openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
		-days 365 -extfile "$n.ext" -out "$n.pem"
}
ca ca "/O=kakunin egress test/CN=Egress CA"
ca other "/O=kakunin egress test/CN=Other CA"
leaf server "/CN=upstream.test" "subjectAltName = DNS:upstream.test,IP:127.0.0.1,IP:127.0.0.2" \
	"extendedKeyUsage = serverAuth"
leaf agent "/CN=$AGENT" "extendedKeyUsage = clientAuth"
rm -f "$log" ./*.csr ./*.ext
