# SPDX-License-Identifier: GPL-2.0-only
"""A local HTTPS "exchange" for the demo: accepts POST /trade on 127.0.0.1:8443."""
import http.server
import json
import ssl
import sys


class Exchange(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        order = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        reply = json.dumps({"status": "filled", "order": order}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, fmt, *args):
        print("  exchange: " + fmt % args, flush=True)


cert, key = sys.argv[1], sys.argv[2]
srv = http.server.HTTPServer(("127.0.0.1", 8443), Exchange)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
