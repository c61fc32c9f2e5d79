#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# egress-server.py MODE CERT KEY CA [PORT [ADDR]]: a TLS server on ADDR (127.0.0.1) and PORT (0:
# a free one; printed first) for the egress tests, one thread per connection, until killed.
# CA verifies the client certificates. MODE:
#   echo     client certificate required (verified against CA); per line read, one line back:
#            "CN=<the client certificate's CN> <the line>"; at end of file, closes
#   stream   client certificate required; sends "tick N\n" every 10 ms until the peer goes,
#            then says "stream cut T" on stderr (T: time.time() when a send failed)
#   sink     client certificate required; reads a line "N", then N bytes, then answers "N\n"
#            (the bench's bulk transfer, bench/kk-egresslat.c)
#   garbage  no TLS: sends bytes that are not a TLS record, then waits
#   reset    no TLS: resets the connection at once (SO_LINGER 0)
#   silent   no TLS: accepts and never says anything (slowloris)
import socket, ssl, struct, sys, threading, time

mode, cert, key, ca = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED

def cn(s):
    for rdn in s.getpeercert()["subject"]:
        for k, v in rdn:
            if k == "commonName":
                return v
    return "?"

def serve(c):
    try:
        if mode == "garbage":
            c.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot tls at all\n" * 4)
            time.sleep(30)
        elif mode == "reset":
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif mode == "silent":
            time.sleep(60)
        else:
            t = ctx.wrap_socket(c, server_side=True)
            if mode == "stream":
                n = 0
                try:
                    while True:
                        t.sendall(b"tick %d\n" % n)
                        n += 1
                        time.sleep(0.01)
                except OSError:  # when the other side cut it (time.time()), for the tests
                    sys.stderr.write("stream cut %.6f\n" % time.time())
                    sys.stderr.flush()
                    return
            f = t.makefile("rb")
            if mode == "sink":
                want = int(f.readline())
                got = 0
                while got < want:
                    b = f.read1(min(1 << 20, want - got))
                    if not b:
                        break
                    got += len(b)
                t.sendall(b"%d\n" % got)
                f.read()
            for line in f:
                t.sendall(b"CN=" + cn(t).encode() + b" " + line)
            t.close()
    except Exception as e:
        sys.stderr.write("egress-server: %s\n" % e)
    finally:
        c.close()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[6] if len(sys.argv) > 6 else "127.0.0.1",
          int(sys.argv[5]) if len(sys.argv) > 5 else 0))
srv.listen(64)
print(srv.getsockname()[1], flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
