# SPDX-License-Identifier: GPL-2.0-only
"""The demo's trading agent: what an AI trading bot does, and what a compromised one tries.

It runs bound to demo/trading-bot.json (kakunin-bpf run ... -- python3 - < agent.py) and
reports each step on stdout. Its trades are signed by the kakunin signer and sent through the
kakunin egress, which speaks mutual TLS to the exchange as the agent (it never holds its key);
the exchange checks both the TLS client certificate and the signature. Once its identity is
revoked it can no longer even write to stdout, so its last outcome is its exit status: 42 when the signer refused with
"revoked", 13 (EACCES) when the kernel refused the connection to the signer or the exchange.

`python3 - stolen < agent.py`: the same code started outside the binding (a copy of the agent
run by whoever stole it): it asks for a signature, is refused, tries the trade unsigned through
the egress (refused: the kernel does not attest it) and straight to the exchange (no client
certificate, no TLS handshake).
"""
import base64
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import kakunin_signer

EGRESS = "http://127.0.0.1:18443/trade"  # the kakunin egress: plain HTTP in, mTLS out
EXCHANGE = "https://api.exchange.com:8443/trade"  # the same exchange, directly
CA = "/data/market-feeds/exchange-ca.pem"


def step(n, what, fn):
    try:
        result = fn()
        print(f"  [{n}] {what}: ALLOWED{': ' + result if result else ''}", flush=True)
    except OSError as e:
        print(f"  [{n}] {what}: DENIED ({os.strerror(e.errno) if e.errno else e})", flush=True)
    except kakunin_signer.Refused as e:
        print(f"  [{n}] {what}: REFUSED by the signer ({e.reason}: {e.why})", flush=True)


def read_feed():
    with open("/data/market-feeds/prices.csv") as f:
        return f"{len(f.readlines())} price lines"


def write_position():
    with open("/data/positions/btc.json", "w") as f:
        json.dump({"BTC": 0.5}, f)
    return "position saved"


def steal_key():
    with open("/secrets/api-key.json") as f:
        return f.read()


def metadata():
    socket.create_connection(("169.254.169.254", 80), timeout=2).close()
    return "cloud metadata reached!"


def shell():
    subprocess.run(["/bin/sh", "-c", "id"], check=True)
    return "shell ran!"


def direct():
    socket.create_connection(("api.exchange.com", 8443), timeout=2).close()
    return "reached the exchange around the egress!"


def post(body, headers, url=EGRESS):
    ctx = ssl.create_default_context(cafile=CA) if url.startswith("https") else None
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
            return r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code} {e.read().decode().strip()}"
    except (urllib.error.URLError, ConnectionError, http.client.HTTPException, ssl.SSLError) as e:
        return f"no answer ({getattr(e, 'reason', None) or e!r})"


def trade(qty=0.1):
    """Sign the order with the signer, send the signed bytes with the JWS; return the reply."""
    reply = kakunin_signer.sign("trade", {"side": "buy", "symbol": "BTC", "qty": qty})
    jws = reply["jws"]
    body = base64.urlsafe_b64decode(jws.split(".")[1] + "==")  # the canonical order
    with open("/data/positions/last-trade.jws", "w") as f:
        f.write(jws)
    return f"signed (risk {reply['risk']:.2f}); exchange: " + post(
        body, dict(reply["headers"], **{"Content-Type": "application/json"}))


if sys.argv[1:] == ["stolen"]:
    try:
        trade()
    except kakunin_signer.Refused as e:
        print(f"  signer: refused ({e.reason}: {e.why})", flush=True)
    body = json.dumps({"side": "buy", "symbol": "BTC", "qty": 0.1}).encode()
    hdr = {"Content-Type": "application/json"}
    print("  unsigned trade through the egress: " + post(body, hdr), flush=True)
    print("  unsigned trade straight to the exchange: " + post(body, hdr, EXCHANGE), flush=True)
    sys.exit(0)

step(1, "read /data/market-feeds/prices.csv", read_feed)
step(1, "write /data/positions/btc.json", write_position)
step(2, "read /secrets/api-key.json", steal_key)
step(2, "read the signer's key /etc/kakunin/keys/demo-agent.key",
     lambda: open("/etc/kakunin/keys/demo-agent.key").read())
step(2, "connect 169.254.169.254 (cloud metadata)", metadata)
step(2, "exec /bin/sh", shell)
step(2, "connect api.exchange.com:8443 directly, around the egress", direct)
for i in range(5):
    step(3, f"trade {i + 1}: buy 0.1 BTC", trade)
print("  (agent waits for its next trading round)", flush=True)
while not os.path.exists("/data/market-feeds/next-round"):
    time.sleep(0.1)
# Compromised: ten times its usual size, within the policy's scope (qty <= 5).
try:
    outcome = trade(1.0)
except kakunin_signer.Refused as e:
    outcome = f"REFUSED by the signer ({e.reason}: {e.why})"
except (kakunin_signer.SignerError, OSError) as e:
    # The signer revoked the identity while this request waited for its answer: the kernel
    # now refuses the agent even the read of that answer.
    outcome = f"cut off before the answer ({e})"
try:
    print("  [4] trade 6: buy 1.0 BTC: " + outcome, flush=True)
except OSError:
    pass  # revoked: not even its stdout is writable any more (the audit stream has it)
# (The signer revoked the identity and stopped this process; the demo resumes it.) Exit with
# os._exit: a revoked process cannot flush its stdout, and Python would exit 120 for that.
try:
    trade()
    os._exit(0)
except kakunin_signer.Refused as e:
    os._exit(42 if e.reason == "revoked" else 1)
except kakunin_signer.SignerError as e:
    os._exit(13 if "Permission denied" in str(e) else 1)
except OSError as e:
    os._exit(e.errno or 1)
