# SPDX-License-Identifier: GPL-2.0-only
"""An exchange's own check of a kakunin action signature, written against python3-cryptography
(Debian 12: 38.0) and the standard library only, from docs/signing.md, never from kakunin's code:
the receiver-side proof that the format is plain JWS (RFC 7515) + X.509.

verify(jws, ca_pem, payload=None, max_age=60) returns the protected header (the claims) or
raises Refused naming the one check that failed. Checks: compact form, alg against the key,
x5c chain to the CA (one intermediate at most), validity now, signature, iat freshness, jti not
seen before by this process, agent_id equal to the leaf's CN, and, when payload is given, that
the signed payload is these bytes.
"""
import base64
import datetime
import json
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.x509.oid import NameOID


class Refused(Exception):
    def __init__(self, check, why):
        super().__init__(f"{check}: {why}")
        self.check = check


_seen = {}


def _b64url(part):
    if not part or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                       for c in part):
        raise Refused("format", "not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _signed_by(cert, issuer):
    pub = issuer.public_key()
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        elif isinstance(pub, ed25519.Ed25519PublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except InvalidSignature:
        return False
    return cert.issuer == issuer.subject


def _check_chain(chain, ca_pem):
    roots = x509.load_pem_x509_certificates(ca_pem) if hasattr(
        x509, "load_pem_x509_certificates") else [x509.load_pem_x509_certificate(ca_pem)]
    now = datetime.datetime.utcnow()
    for c in chain:
        if not c.not_valid_before <= now <= c.not_valid_after:
            raise Refused("validity", f"{c.subject.rfc4514_string()} not valid now")
    path = chain[:]
    for i in range(len(path) - 1):
        if not _signed_by(path[i], path[i + 1]):
            raise Refused("chain", f"x5c[{i}] not issued by x5c[{i + 1}]")
    if not any(_signed_by(path[-1], r) for r in roots):
        raise Refused("chain", "does not chain to the CA")


def _check_signature(alg, key, signing_input, sig):
    try:
        if alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) \
                and key.curve.name == "secp256r1" and len(sig) == 64:
            der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                             int.from_bytes(sig[32:], "big"))
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif alg == "PS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, signing_input,
                       padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                       hashes.SHA256())
        elif alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(sig, signing_input)
        else:
            raise Refused("signature", f"alg {alg!r} does not fit the certificate's key")
    except InvalidSignature:
        raise Refused("signature", "does not verify") from None


def verify(jws, ca_pem, payload=None, max_age=60, now=None):
    parts = jws.strip().split(".")
    if len(parts) != 3:
        raise Refused("format", "not a compact JWS (three parts)")
    try:
        header = json.loads(_b64url(parts[0]))
    except ValueError:
        raise Refused("format", "protected header is not JSON") from None
    if not isinstance(header, dict) or "crit" in header:
        raise Refused("format", "protected header is not a plain object")
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c:
        raise Refused("format", "no x5c chain")
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in x5c]
    _check_chain(chain, ca_pem)
    signed = _b64url(parts[1])
    _check_signature(header.get("alg"), chain[0].public_key(),
                     (parts[0] + "." + parts[1]).encode(), _b64url(parts[2]))
    now = time.time() if now is None else now
    iat = header.get("iat")
    if not isinstance(iat, int) or iat > now + 30 or now - iat > max_age:
        raise Refused("freshness", f"iat {iat} is not within {max_age} s of now")
    jti = header.get("jti")
    if not isinstance(jti, str) or jti in _seen:
        raise Refused("replay", f"jti {jti} already seen")
    _seen[jti] = iat
    cn = chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not cn or cn[0].value != header.get("agent_id"):
        raise Refused("agent", "agent_id is not the certificate's CN")
    if payload is not None and signed != payload:
        raise Refused("payload", "the signed payload is not the request's body")
    return header
