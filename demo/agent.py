# SPDX-License-Identifier: GPL-2.0-only
"""The demo's trading agent: what an AI trading bot does, and what a compromised one tries.

It runs bound to policies/trading-bot.json (kakunin-bpf run ... -- python3 - < agent.py) and
reports each step on stdout. Once its certificate is revoked it can no longer even write to
stdout, so its last outcome is its exit status: 13 (EACCES) when the trade was refused.
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

EXCHANGE = "https://api.exchange.com:8443/trade"
CA = "/data/market-feeds/exchange-ca.pem"


def step(n, what, fn):
    try:
        result = fn()
        print(f"  [{n}] {what}: ALLOWED{': ' + result if result else ''}", flush=True)
    except OSError as e:
        print(f"  [{n}] {what}: DENIED ({os.strerror(e.errno) if e.errno else e})", flush=True)


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


def trade():
    ctx = ssl.create_default_context(cafile=CA)
    body = json.dumps({"side": "buy", "symbol": "BTC", "qty": 0.1}).encode()
    req = urllib.request.Request(EXCHANGE, data=body, method="POST")
    with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
        return r.read().decode().strip()


step(1, "read /data/market-feeds/prices.csv", read_feed)
step(1, "write /data/positions/btc.json", write_position)
step(2, "read /secrets/api-key.json", steal_key)
step(2, "connect 169.254.169.254 (cloud metadata)", metadata)
step(2, "exec /bin/sh", shell)
step(3, "submit a trade to api.exchange.com", trade)
print("  (agent waits for its next trading round)", flush=True)
while not os.path.exists("/data/market-feeds/next-round"):
    time.sleep(0.1)
try:
    trade()
    sys.exit(0)
except OSError as e:
    sys.exit(e.errno or 1)
except Exception as e:  # urllib wraps the socket error
    reason = getattr(e, "reason", None)
    sys.exit(getattr(reason, "errno", None) or 1)
