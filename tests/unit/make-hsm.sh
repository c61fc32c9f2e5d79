#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make-hsm.sh DIR — a SoftHSM2 token holding an agent's key, for the key-custody tests
# (tests/unit/test_keyref.c) and the signer's. Into DIR (made if missing) it writes:
#   ca.key, ca.pem         a self-signed test CA (EC P-256)
#   agent.key              the agent's EC P-256 key, PKCS#8 PEM, mode 0600 (also imported below)
#   agent.pem              its certificate, CN=trading_bot_v2, serial 0x4b4b01, issued by ca.pem
#   agent-chain.pem        agent.pem then ca.pem
#   agent-rsa.key, .pem    an RSA 2048 key (PS256 through the HSM), serial 0x4b4b02, same CN
#   softhsm2.conf          directories.tokendir = DIR/tokens: export SOFTHSM2_CONF=DIR/softhsm2.conf
#   tokens/                token "kakunin", SO PIN 5678, user PIN 1234: key "agent" with id 01,
#                          key "agent-rsa" with id 02. (No Ed25519 key: Debian 12's libp11 0.4.12
#                          finds no key at all on a token that holds one.)
#   pin                    the user PIN, mode 0600 (for pin-source=file:DIR/pin)
#   uri                    the key's pkcs11 URI, also printed on stdout:
#                          pkcs11:token=kakunin;object=agent;type=private?pin-value=1234
# The URI names no module: the pkcs11 engine's default, p11-kit's proxy, loads SoftHSM through
# Debian's /usr/share/p11-kit/modules/softhsm2.module (see user/keyref.h).
# Idempotent: a complete DIR (its uri file is written last) is only printed again. Needs the
# openssl CLI and softhsm2-util (scripts/deps.sh). On failure the command's output is on stderr.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: make-hsm.sh DIR" >&2
	exit 2
fi
mkdir -p "$1"
cd "$1"
dir=$(pwd -P)

if [ -s uri ] && [ -s agent.pem ] && [ -d tokens ]; then
	cat uri
	exit 0
fi

log=make-hsm.log
run() {
	"$@" >"$log" 2>&1 || { cat "$log" >&2; echo "make-hsm.sh: failed: $*" >&2; exit 1; }
}
command -v softhsm2-util >/dev/null ||
	{ echo "make-hsm.sh: softhsm2-util not found (scripts/deps.sh installs softhsm2)" >&2; exit 1; }

umask 077
rm -rf tokens uri
mkdir tokens
cat >softhsm2.conf <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
SOFTHSM2_CONF=$dir/softhsm2.conf
export SOFTHSM2_CONF

cat >ext.cnf <<EOF
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
run openssl req -new -x509 -key ca.key -subj "/O=kakunin test/CN=kakunin HSM test CA" \
	-days 3650 -set_serial 0x4b4b00 -config ext.cnf -extensions ca -out ca.pem
run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out agent.key
run openssl req -new -key agent.key -subj "/CN=trading_bot_v2" -out agent.csr
run openssl x509 -req -in agent.csr -CA ca.pem -CAkey ca.key -set_serial 0x4b4b01 -days 365 \
	-extfile ext.cnf -extensions leaf -out agent.pem
cat agent.pem ca.pem >agent-chain.pem
run openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out agent-rsa.key
run openssl req -new -key agent-rsa.key -subj "/CN=trading_bot_v2" -out agent.csr
run openssl x509 -req -in agent.csr -CA ca.pem -CAkey ca.key -set_serial 0x4b4b02 -days 365 \
	-extfile ext.cnf -extensions leaf -out agent-rsa.pem

run softhsm2-util --init-token --free --label kakunin --so-pin 5678 --pin 1234
run softhsm2-util --import agent.key --token kakunin --label agent --id 01 --pin 1234
run softhsm2-util --import agent-rsa.key --token kakunin --label agent-rsa --id 02 --pin 1234
printf '1234\n' >pin
rm -f agent.csr "$log"
echo "pkcs11:token=kakunin;object=agent;type=private?pin-value=1234" >uri.tmp
mv uri.tmp uri
cat uri
