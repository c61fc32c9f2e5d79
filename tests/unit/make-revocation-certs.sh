#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make-revocation-certs.sh crl|ocsp DIR [PORT] — the CAs, certificates and CRLs that
# tests/unit/test_crl.c, test_crl_fetch.c and test_ocsp.c check user/revocation*.c against,
# made fresh with the openssl CLI (OpenSSL 3.0 or later) into DIR, which must exist and be
# empty. Every CA is an `openssl ca` with its own database (NAME.d/index.txt), so that
# `openssl ca -revoke`, `-gencrl` and the `openssl ocsp` responder work on it; the tests revoke
# more themselves with
#	KK_CA=NAME.d openssl ca -config ca.cnf -cert NAME.pem -keyfile NAME.key -revoke X.pem
# Next to each leaf X.pem it writes X.serial (`openssl x509 -serial`, lowercased). PORT (ocsp)
# goes into the authorityInfoAccess OCSP URL of aia.pem. Everything `openssl ca` issues is
# backdated to 2020, so tests can ask about times before today. Quiet on success; on failure the
# last command's output is on stderr.
set -eu

if [ $# -lt 2 ] || [ ! -d "$2" ] || { [ "$1" != crl ] && [ "$1" != ocsp ]; }; then
	echo "usage: make-revocation-certs.sh crl|ocsp DIR [PORT]" >&2
	exit 2
fi
mode=$1
port=${3:-9}
cd "$2"

log=make-revocation-certs.log
run() {
	"$@" >"$log" 2>&1 || {
		cat "$log" >&2
		echo "make-revocation-certs.sh: failed: $*" >&2
		exit 1
	}
}

cat >ca.cnf <<EOF
[ca]
default_ca = kk
[kk]
dir = \$ENV::KK_CA
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 7
# Backdated, so tests can ask about times before today (and -days still counts from today).
default_startdate = 20200101000000Z
policy = any
preserve = yes
unique_subject = no
x509_extensions = leaf
crl_extensions = crl_ext
[any]
organizationName = optional
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
[aia]
basicConstraints = CA:FALSE
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$port
[ocsp_signer]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
[ocsp_no_eku]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca_no_crlsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF

key() { run openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }

# ca_cmd NAME ARGS...: `openssl ca` on the database of CA NAME, signing with its key.
ca_cmd() {
	n=$1
	shift
	KK_CA=$n.d run openssl ca -batch -notext -config ca.cnf -cert "$n.pem" -keyfile "$n.key" "$@"
}

# mkdb NAME FIRST_SERIAL: the database of CA NAME.
mkdb() {
	mkdir "$1.d"
	: >"$1.d/index.txt"
	echo "$2" >"$1.d/serial"
	echo 01 >"$1.d/crlnumber"
}

# mkca NAME SUBJECT FIRST_SERIAL [EXTENSIONS]: a self-signed CA with its own database.
mkca() {
	mkdb "$1" "$3"
	key "$1"
	run openssl req -new -key "$1.key" -out "$1.csr" -subj "$2"
	KK_CA=$1.d run openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$1.key" \
		-in "$1.csr" -extensions "${4:-ca_ext}" -days 3650 -out "$1.pem"
}

# issue CA NAME SUBJECT [EXTENSIONS]: a certificate from CA, recorded in its database.
issue() {
	key "$2"
	run openssl req -new -key "$2.key" -out "$2.csr" -subj "$3"
	ca_cmd "$1" -in "$2.csr" -extensions "${4:-leaf}" -out "$2.pem"
	openssl x509 -in "$2.pem" -noout -serial | sed 's/^serial=//' | tr A-F a-f >"$2.serial"
}

crl_fixtures() {
	mkca ca "/O=kakunin test/CN=Revocation CA" 1001
	for i in 1 2 3 4; do
		issue ca "leaf$i" "/CN=agent$i"
	done
	ca_cmd ca -gencrl -out empty.crl.pem
	ca_cmd ca -revoke leaf1.pem -crl_reason keyCompromise
	ca_cmd ca -revoke leaf2.pem -crl_reason superseded
	ca_cmd ca -revoke leaf3.pem
	ca_cmd ca -gencrl -out crl.pem
	run openssl crl -in crl.pem -outform DER -out crl.der
	# What the openssl CLI lists, one serial a line, for the test to compare with.
	openssl crl -in crl.pem -noout -text | sed -n 's/^ *Serial Number: *//p' | tr A-F a-f \
		>crl.serials
	ca_cmd ca -gencrl -crlhours 1 -out stale.crl.pem

	# Same name as the CA, another key: the real CA's revocations, forged.
	mkca fake "/O=kakunin test/CN=Revocation CA" 5001
	KK_CA=ca.d run openssl ca -batch -config ca.cnf -cert fake.pem -keyfile fake.key -gencrl \
		-out forged.crl.pem
	mkca other "/O=kakunin test/CN=Other CA" 2001
	ca_cmd other -gencrl -out other.crl.pem
	mkca nocrl "/O=kakunin test/CN=No cRLSign CA" 3001 ca_no_crlsign
	ca_cmd nocrl -gencrl -out nocrl.crl.pem

	cat other.pem ca.pem >bundle-two.pem
	cat fake.pem ca.pem >bundle-same-name.pem
	cat crl.pem empty.crl.pem >two.crl.pem
	: >empty.pem
	printf 'this is not a CRL\n' >garbled.crl
	printf -- '-----BEGIN X509 CRL-----\nbm90IGEgQ1JM\n-----END X509 CRL-----\n' >garbled-pem.crl
	head -c 100 crl.der >truncated.crl.der
	# CRL Distribution Points (test_crl_fetch): two http URLs around an ldap one; outside
	# any CA database, so the CRLs above stay as they are.
	cdp=URI:http://crl.example/ca.crl,URI:ldap://ldap.example/cn=CA,URI:HTTP://127.0.0.1:9/b.crl
	run openssl req -x509 -new -key leaf4.key -subj /CN=cdp -days 30 -out cdp.pem \
		-addext "crlDistributionPoints=$cdp"
}

ocsp_fixtures() {
	mkca ca "/O=kakunin test/CN=OCSP CA" 1001
	issue ca ocsp "/CN=OCSP responder" ocsp_signer
	issue ca ocspnoeku "/CN=OCSP responder without EKU" ocsp_no_eku
	issue ca good "/CN=agent good"
	issue ca revoked "/CN=agent revoked"
	issue ca aia "/CN=agent aia" aia
	# Signed by the CA, but not through `openssl ca`: not in the database, status unknown.
	key unknown
	run openssl req -new -key unknown.key -out unknown.csr -subj "/CN=agent unknown"
	KK_CA=ca.d run openssl x509 -req -in unknown.csr -CA ca.pem -CAkey ca.key -set_serial 0x7777 \
		-days 365 -extfile ca.cnf -extensions leaf -out unknown.pem

	# An intermediate, known only from the leaf's file, answering for itself.
	mkdb inter 4001
	key inter
	run openssl req -new -key inter.key -out inter.csr -subj "/O=kakunin test/CN=OCSP Intermediate"
	ca_cmd ca -in inter.csr -extensions ca_ext -out inter.pem
	issue inter ileaf "/CN=agent under intermediate"
	cat ileaf.pem inter.pem >ileaf-chain.pem

	# Another CA the bundle trusts, with its own delegated responder, and one it does not.
	mkca other "/O=kakunin test/CN=Other CA" 2001
	issue other oleaf "/CN=agent other"
	issue other oocsp "/CN=Other OCSP responder" ocsp_signer
	mkca evil "/O=kakunin test/CN=Evil CA" 3001
	issue evil eocsp "/CN=OCSP responder" ocsp_signer
	issue evil eleaf "/CN=agent evil"
	cat ca.pem other.pem >bundle-two.pem

	# Signed answers about good.pem for the test's own fake responder to replay: one to a
	# request without a nonce, one to a request with another nonce.
	for n in nononce:-no_nonce nonce:-nonce; do
		run openssl ocsp -issuer ca.pem -cert good.pem "${n#*:}" -reqout "${n%%:*}.req"
		KK_CA=ca.d run openssl ocsp -index ca.d/index.txt -rsigner ocsp.pem -rkey ocsp.key \
			-CA ca.pem -reqin "${n%%:*}.req" -respout "${n%%:*}.resp"
	done
}

"${mode}_fixtures"
rm -f "$log"
