#!/usr/bin/env python3
"""Holds N idle keep-alive connections open to a server, as browsers leave
them: each connection sends one GET, reads the whole answer, then stays open
and silent. Used by bench/run to measure what idle connections cost the
active ones.

    bench/idle.py HOST PORT PATH N SECONDS

Prints "open=K" once all connections have had their answer (K may be below N
if the server refused some), then holds them for SECONDS (or until killed)
and exits. Traffic goes only to the HOST given, which bench/run sets to
127.0.0.1. Each connection is bounded: 10 s to connect and answer."""
import resource
import selectors
import socket
import sys
import time


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, path, n, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    req = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    sel = selectors.DefaultSelector()
    conns = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(10)
        try:
            s.connect((host, port))
            s.sendall(req)
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        conns.append(s)
        sel.register(s, selectors.EVENT_READ, bytearray())
    # Read each answer to its end (Content-Length), so that every connection
    # is idle between requests, not in the middle of one.
    pending = set(conns)
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s, buf = key.fileobj, key.data
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                pending.discard(s)
                sel.unregister(s)
                s.close()
                conns.remove(s)
                continue
            buf += chunk
            head, sep, body = bytes(buf).partition(b"\r\n\r\n")
            if not sep:
                continue
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(body) >= length:
                pending.discard(s)
    for s in pending:
        conns.remove(s)
        sel.unregister(s)
        s.close()
    print(f"open={len(conns)}", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        # a server that closes an idle connection is seen here (recv -> b"")
        for key, _ in sel.select(timeout=min(1.0, max(0.0, end - time.monotonic()))):
            s = key.fileobj
            try:
                if s.recv(4096) == b"":
                    sel.unregister(s)
                    s.close()
                    conns.remove(s)
            except OSError:
                pass
    print(f"still_open={len(conns)}", flush=True)
    for s in conns:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
