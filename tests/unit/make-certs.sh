#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make-certs.sh DIR — the certificates tests/unit/test_identity.c verifies, made fresh with the
# openssl CLI (OpenSSL 3.0 or later) into DIR, which must exist and be empty. Next to each
# certificate X.pem whose fields the test checks it writes what the openssl CLI itself says about
# it, for the test to compare with: X.serial (`-serial`, lowercased), X.issuer_hash
# (`-issuer_hash`) and X.fpr (`-fingerprint -sha256`, colons removed, lowercased). Quiet on
# success; on failure the last command's output is on stderr.
set -eu

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "usage: make-certs.sh DIR" >&2
	exit 2
fi
cd "$1"

# The policy-hash extension (user/identity.h: KK_POLICY_HASH_OID) and the hashes the test pins.
OID=2.25.243117301337387610220934576524076285138
HASH=506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9cf
HASH31=506bd317137ff267a6ec7e1adf5c42bad512dcbcb3ba600dfd29ae017ae5f9
# The actions-scope extension (KK_SCOPE_OID): a UTF8String of an "actions" section. In an
# openssl config (ext.cnf, -addext) quotes are escaped with a backslash, or they are dropped.
SCOPE_OID=2.25.243117301337387610220934576524076285139

log=make-certs.log
run() {
	"$@" >"$log" 2>&1 || { cat "$log" >&2; echo "make-certs.sh: failed: $*" >&2; exit 1; }
}

key() { run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }

# Self-signed root, valid 2019-2100 so the expired and future leaves below verify at their own
# times (`openssl ca -selfsign`: 3.0's `req -x509` cannot backdate): root NAME "/CN=..."
root() {
	key "$1"
	run openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
	run openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$1.key" -in "$1.csr" \
		-extensions ca_ext -startdate 20190101000000Z -enddate 21000101000000Z -out "$1.pem"
}

# Extension sections for `openssl x509 -req -extfile ext.cnf -extensions SECTION`.
cat >ext.cnf <<EOF
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[leaf]
basicConstraints = CA:FALSE
[san]
basicConstraints = CA:FALSE
subjectAltName = URI:spiffe://example.org/agent/trading_bot_v2,URI:https://example.org/x,DNS:bot.example.org
[san_only]
basicConstraints = CA:FALSE
subjectAltName = URI:spiffe://example.org/agent/trading_bot_v2
[san_dev]
basicConstraints = CA:FALSE
subjectAltName = URI:spiffe://example.org/ns/dev/sa/trading_bot_v2
[host_only]
basicConstraints = CA:FALSE
subjectAltName = URI:spiffe://trading_bot_v2
[pinned]
basicConstraints = CA:FALSE
$OID = ASN1:FORMAT:HEX,OCTETSTRING:$HASH
[pinned31]
basicConstraints = CA:FALSE
$OID = ASN1:FORMAT:HEX,OCTETSTRING:$HASH31
[pinned_utf8]
basicConstraints = CA:FALSE
$OID = ASN1:UTF8String:$HASH
[pinned_critical]
basicConstraints = CA:FALSE
$OID = critical,ASN1:FORMAT:HEX,OCTETSTRING:$HASH
[scoped]
basicConstraints = CA:FALSE
$SCOPE_OID = ASN1:UTF8String:{\"trade\": {\"fields\": {\"market\": {\"in\": [\"EUR_USD\", \"GBP_USD\"]}, \"size\": {\"max\": 50000}}, \"rate_limit\": \"100/hour\"}}
[scoped_bad]
basicConstraints = CA:FALSE
$SCOPE_OID = ASN1:UTF8String:{\"trade\": {\"fields\": {\"size\": {\"max\": \"big\"}}}}
[scoped_octets]
basicConstraints = CA:FALSE
$SCOPE_OID = ASN1:FORMAT:HEX,OCTETSTRING:7b7d
[crit_unknown]
basicConstraints = CA:FALSE
1.3.6.1.4.1.55555.1 = critical,ASN1:NULL
[keycertsign]
keyUsage = critical,digitalSignature,keyCertSign
[no_akid]
basicConstraints = CA:FALSE
authorityKeyIdentifier = none
EOF

# Sign a new key's request: cert NAME SUBJECT ISSUER SERIAL SECTION
cert() {
	key "$1"
	run openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
	run openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "$4" -days 365 \
		-extfile ext.cnf -extensions "$5" -out "$1.pem"
}

# A minimal `openssl ca` for what 3.0's `x509 -req` cannot do (it only has -days): validity
# windows in the past and the future.
mkdir -p ca.d
: >ca.d/index.txt
echo 2001 >ca.d/serial
cat >ca.cnf <<EOF
[ca]
default_ca = kk
[kk]
dir = ca.d
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
preserve = yes
unique_subject = no
x509_extensions = leaf
[any]
organizationName = optional
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF

root root "/O=kakunin test/CN=Root CA"
root other "/O=kakunin test/CN=Other CA"
cert inter "/O=kakunin test/CN=Intermediate CA" root 0x1001 ca

cert leaf "/CN=trading_bot_v2" root 0x00ab12 leaf
cert ileaf "/CN=trading_bot_v2" inter 0x1002 leaf
cat ileaf.pem inter.pem >ileaf-chain.pem
cert wrongca "/CN=trading_bot_v2" other 0x1003 leaf
cert cnother "/CN=data_processor" root 0x1004 leaf
cert san "/O=kakunin test/CN=Trading Bot" root 0x1005 san
cert sanonly "/O=kakunin test" root 0x1006 san_only
cert hostonly "/CN=Trading Bot" root 0x1007 host_only
cert wrongbot "/CN=wrong_bot" root 0x1011 san_dev
cert pinned "/CN=trading_bot_v2" root 0x1008 pinned
cert pinned31 "/CN=trading_bot_v2" root 0x1009 pinned31
cert pinnedutf8 "/CN=trading_bot_v2" root 0x100a pinned_utf8
cert pinnedcrit "/CN=trading_bot_v2" root 0x100b pinned_critical
cert serial20 "/CN=trading_bot_v2" root 0x7f0102030405060708090a0b0c0d0e0f10111213 leaf
cert serial20hi "/CN=trading_bot_v2" root 0x8f0102030405060708090a0b0c0d0e0f10111213 leaf
cert serial21 "/CN=trading_bot_v2" root 0x010102030405060708090a0b0c0d0e0f1011121314 leaf
cert serial0 "/CN=trading_bot_v2" root 0 leaf
cert serialneg "/CN=trading_bot_v2" root -5 leaf
cert twocn "/CN=trading_bot_v2/CN=data_processor" root 0x100d leaf
cert critunknown "/CN=trading_bot_v2" root 0x100e crit_unknown
cert scoped "/CN=trading_bot_v2" root 0x1012 scoped
cert scopedbad "/CN=trading_bot_v2" root 0x1013 scoped_bad
cert scopedoctets "/CN=trading_bot_v2" root 0x1014 scoped_octets
# Issued by an agent certificate (CA:FALSE), which then appears as an intermediate.
cert subleaf "/CN=trading_bot_v2" leaf 0x100f leaf
cat subleaf.pem leaf.pem >subleaf-chain.pem
cert kucertsign "/CN=trading_bot_v2" root 0x1010 keycertsign
# Chains ending in a self-signed certificate the bundle does not hold.
cat wrongca.pem other.pem >wrongca-chain.pem
key selfsigned
run openssl req -x509 -new -key selfsigned.key -out selfsigned.pem -subj "/CN=trading_bot_v2" \
	-days 365 -addext basicConstraints=CA:FALSE

# Same name as the root but another key, and no authorityKeyIdentifier in the leaf, so the
# verifier picks the real root by name and the signature check is what fails.
root fake "/O=kakunin test/CN=Root CA"
cert forged "/CN=trading_bot_v2" fake 0x100c no_akid

echo 3001 >ca.d/serial
for w in expired:20200101000000Z:20200102000000Z future:20990101000000Z:20991231000000Z; do
	n=${w%%:*}
	key "$n"
	run openssl req -new -key "$n.key" -out "$n.csr" -subj "/CN=trading_bot_v2"
	run openssl ca -batch -notext -config ca.cnf -cert root.pem -keyfile root.key -in "$n.csr" \
		-startdate "$(echo "$w" | cut -d: -f2)" -enddate "${w##*:}" -out "$n.pem"
done

run openssl x509 -in leaf.pem -outform DER -out leaf.der
cat root.pem inter.pem >bundle-both.pem
cat root.pem other.pem >bundle-two-roots.pem
: >empty.pem
printf 'this is not a certificate\n' >garbled.pem
printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' \
	>garbled-pem.pem
head -c 200 leaf.der >truncated.der
cat ileaf.pem garbled-pem.pem >chain-garbled.pem

for n in leaf ileaf wrongca san pinned serial20 serial20hi serial0 expired future; do
	openssl x509 -in "$n.pem" -noout -serial | sed 's/^serial=//' | tr A-F a-f >"$n.serial"
	openssl x509 -in "$n.pem" -noout -issuer_hash >"$n.issuer_hash"
	openssl x509 -in "$n.pem" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' |
		tr A-F a-f >"$n.fpr"
done
rm -f "$log"
