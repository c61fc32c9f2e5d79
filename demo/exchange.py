# SPDX-License-Identifier: GPL-2.0-only
"""A local HTTPS "exchange" for the demo on 127.0.0.2:8443 (api.exchange.com). Like a real
exchange API it requires mutual TLS: only a client certificate of the agents' CA completes the
handshake (the kakunin egress presents the agent's, with the key the agent never holds). It then
fills POST /trade only with a valid agent signature (X-Agent-Signature: a JWS over the exact
body) whose agent is the TLS client's CN, checked by demo/jws_verify.py with python3-cryptography
against the agents' CA: not with kakunin's code.

usage: exchange.py CERT KEY AGENT_CA
"""
import http.server
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jws_verify  # noqa: E402


class Exchange(http.server.BaseHTTPRequestHandler):
    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        sig = self.headers.get("X-Agent-Signature")
        if not sig:
            return self.reply(401, {"status": "refused", "why": "unsigned order"})
        try:
            claims = jws_verify.verify(sig, AGENT_CA, payload=body)
        except jws_verify.Refused as e:
            return self.reply(403, {"status": "refused", "why": str(e)})
        # The TLS client (mTLS, verified by the handshake) must be the agent that signed.
        peer = dict(rdn[0] for rdn in self.connection.getpeercert()["subject"])
        if peer.get("commonName") != claims["agent_id"]:
            return self.reply(403, {"status": "refused", "why": "signer is not the TLS client"})
        self.reply(200, {"status": "filled", "order": json.loads(body),
                         "agent": claims["agent_id"], "tls_client": peer["commonName"],
                         "serial": claims["kid"]})

    def log_message(self, fmt, *args):
        print("  exchange: " + fmt % args, flush=True)


cert, key = sys.argv[1], sys.argv[2]
with open(sys.argv[3], "rb") as f:
    AGENT_CA = f.read()
srv = http.server.ThreadingHTTPServer(("127.0.0.2", 8443), Exchange)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no handshake
ctx.load_verify_locations(sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
