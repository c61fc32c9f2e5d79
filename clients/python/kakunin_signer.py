# SPDX-License-Identifier: GPL-2.0-only
"""Client of the kakunin-bpf signer (docs/signing.md), standard library only.

    import kakunin_signer
    reply = kakunin_signer.sign("trade", {"market": "EUR_USD", "side": "buy", "size": 1000})
    requests.post(url, json=order, headers=reply["headers"])

sign() returns the signer's reply (a dict with "jws", "headers" and "risk") or raises
Refused, whose .reason is the refusal's name ("unbound", "out_of_scope", "rate_limited", ...)
and .why the signer's explanation. Only a process the kernel has bound to the certificate of a
key the signer holds gets a signature: there is nothing to configure here but the socket.
"""
import base64
import json
import socket

DEFAULT_SOCKET = "/run/kakunin-signer/signer.sock"
REPLY_MAX = 1 << 20


class Refused(Exception):
    """The signer refused to sign: .reason (wire name) and .why."""

    def __init__(self, reason, why):
        super().__init__("%s: %s" % (reason, why))
        self.reason = reason
        self.why = why


class SignerError(Exception):
    """No usable answer from the signer (not running, connection lost, malformed reply)."""


def _request(type, payload):
    if isinstance(payload, (bytes, bytearray)):
        return {"type": type, "payload_b64": base64.b64encode(payload).decode("ascii")}
    return {"type": type, "payload": payload}


def sign(type, payload, socket_path=DEFAULT_SOCKET, timeout=30.0):
    """Sign payload (a dict: a JSON action; bytes: raw) as action `type`."""
    line = json.dumps(_request(type, payload), separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect(socket_path)
        except OSError as e:
            raise SignerError("cannot connect to the signer at %s: %s" % (socket_path, e))
        try:
            s.sendall(line)
        except OSError:
            pass  # the signer may have refused and closed: its reply says why
        buf = b""
        while b"\n" not in buf:
            try:
                chunk = s.recv(65536)
            except OSError as e:
                raise SignerError("no reply from the signer: %s" % e)
            if not chunk:
                raise SignerError("no reply from the signer: connection closed")
            buf += chunk
            if len(buf) > REPLY_MAX:
                raise SignerError("reply longer than %d bytes" % REPLY_MAX)
    finally:
        s.close()
    try:
        reply = json.loads(buf.split(b"\n", 1)[0])
    except ValueError as e:
        raise SignerError("malformed reply from the signer: %s" % e)
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        raise SignerError("malformed reply from the signer")
    if not reply["ok"]:
        raise Refused(reply.get("reason", "unknown"), reply.get("why", ""))
    return reply


if __name__ == "__main__":
    import sys
    import argparse

    ap = argparse.ArgumentParser(description="sign the JSON action on standard input")
    ap.add_argument("--type", default="trade")
    ap.add_argument("--socket", default=DEFAULT_SOCKET)
    args = ap.parse_args()
    try:
        r = sign(args.type, json.load(sys.stdin), socket_path=args.socket)
    except Refused as e:
        print("kakunin_signer: refused: %s: %s" % (e.reason, e.why), file=sys.stderr)
        sys.exit(1)
    except (SignerError, ValueError) as e:
        print("kakunin_signer: %s" % e, file=sys.stderr)
        sys.exit(1)
    print(r["jws"])
