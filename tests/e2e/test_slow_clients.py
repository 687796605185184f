#!/usr/bin/env python3
"""E2E: slow clients (slowloris). Many connections send their headers, or
a request body, one byte at a time. The server must drop every one of them
within its header timeout ([server] header_timeout, 4 s here; the bound
checked is generous), answering 408 where it can, and meanwhile keep
answering other clients — checked by their answers arriving while every
slow connection is still open, not by timing them.
Usage: test_slow_clients.py PATH/TO/masthead
"""
import os
import select
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

HEADER_TIMEOUT = 4
BOUND = 3 * HEADER_TIMEOUT + 15  # generous: the machine is shared
N = 60

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=10, ini={("server", "header_timeout"): str(HEADER_TIMEOUT)})
    srv = harness.Server(BIN, SITE).start()
    TABLES = [r["name"] for r in harness.db_query(
        SITE, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
except Exception as e:
    t.bail(f"cannot start a demo site: {e}")


def row_counts():
    return {tb: harness.db_query(SITE, f'SELECT count(*) AS n FROM "{tb}"')[0]["n"] for tb in TABLES}


ROWS = row_counts()


class Dribblers:
    """N connections that each got `start` and then one more byte every
    quarter second, from a thread, until the server closes them."""

    def __init__(self, n, start, filler=b"a"):
        self.socks = []
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(start)
            s.setblocking(False)
            self.socks.append(s)
        self.filler = filler
        self.got = {s: b"" for s in self.socks}
        self.closed = {}
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def open_count(self):
        with self.lock:
            return len(self.socks) - len(self.closed)

    def run(self):
        deadline = self.started + BOUND
        while time.monotonic() < deadline and self.open_count() > 0:
            for s in self.socks:
                if s in self.closed:
                    continue
                try:
                    s.send(self.filler)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.drain(s)  # the server closed: read what it said
            readable, _, _ = select.select([s for s in self.socks if s not in self.closed], [], [], 0.25)
            for s in readable:
                self.drain(s)

    def drain(self, s):
        while True:
            try:
                b = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                b = b""
            if not b:
                with self.lock:
                    self.closed.setdefault(s, time.monotonic() - self.started)
                return
            self.got[s] += b

    def finish(self):
        self.thread.join(BOUND + 10)
        for s in self.socks:
            s.close()


def others_are_served(d, what):
    """Normal requests answered while every slow connection is still open."""
    answered = 0
    for path in ("/", "/section/news", "/", "/section/latest"):
        r = srv.get(path)
        t.eq(r.status, 200, f"{path} while {what}")
        if d.open_count() == N:
            answered += 1
    t.true(answered > 0, f"no answer came while all {N} slow connections were open")


with t.case(f"{N} connections sending headers a byte at a time get 408 and are closed; others are served"):
    d = Dribblers(N, b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ", b"a")
    others_are_served(d, "headers dribble in")
    d.finish()
    t.eq(len(d.closed), N, f"connections still open after {BOUND}s")
    late = [round(v, 1) for v in d.closed.values() if v > BOUND]
    t.eq(late, [], "closed too late")
    answered = [d.got[s][:30] for s in d.socks]
    t.true(all(a.startswith(b"HTTP/1.1 408") for a in answered),
           f"not all answered 408: {sorted(set(answered))[:5]!r}")

with t.case(f"{N} connections sending a body a byte at a time are dropped; others are served"):
    d = Dribblers(N, b"POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100000\r\n\r\n", b"a")
    others_are_served(d, "bodies dribble in")
    d.finish()
    t.eq(len(d.closed), N, f"connections still open after {BOUND}s")
    kinds = {}
    for s in d.socks:
        k = d.got[s][:12].decode("latin-1") or "(closed)"
        kinds[k] = kinds.get(k, 0) + 1
    print(f"# dribbled bodies got: {kinds}, closed after {min(d.closed.values()):.1f}"
          f"..{max(d.closed.values()):.1f}s")
    for s in d.socks:
        g = d.got[s]
        t.true(g == b"" or g.startswith(b"HTTP/1.1 408") or g.startswith(b"HTTP/1.1 413"),
               f"unexpected answer to a dribbled body: {g[:60]!r}")

with t.case(f"{N} connections that send one header line and then nothing are closed"):
    d = Dribblers(N, b"GET / HTTP/1.1\r\n", b"")
    others_are_served(d, "idle half-requests are open")
    d.finish()
    t.eq(len(d.closed), N, f"connections still open after {BOUND}s")

with t.case("--dev: a slow /static/ download across a template change gets the old asset, complete"):
    import hashlib
    dev_site = harness.demo_site(BIN, articles=5)
    theme = os.path.join(dev_site, "theme")
    os.makedirs(os.path.join(theme, "static"))
    # larger than any socket buffer, so most of it is still to be sent from
    # the server's memory when the theme is reloaded
    asset = os.urandom(24 * 1024 * 1024)
    with open(os.path.join(theme, "static", "big.txt"), "wb") as f:
        f.write(asset)
    themes = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "themes")
    with open(os.path.join(themes, "default", "layout.mustache"), "rb") as f:
        layout = f.read()
    with open(os.path.join(theme, "layout.mustache"), "wb") as f:
        f.write(layout)
    dev = harness.Server(BIN, dev_site, ["--dev"]).start()
    try:
        url = f"/static/big.{hashlib.blake2b(asset, digest_size=32).hexdigest()[:8]}.txt"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.settimeout(30)
        s.connect(("127.0.0.1", dev.port))
        s.sendall(f"GET {url} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        got = s.recv(65536)
        t.true(got.startswith(b"HTTP/1.1 200"), f"asset: {got[:100]!r}")
        # a template changes: the next page request reloads the theme
        with open(os.path.join(theme, "layout.mustache"), "wb") as f:
            f.write(layout + b"{{! changed }}\n")
        for _ in range(5):
            t.eq(dev.get("/").status, 200, "pages after the reload")
        t.contains(dev.stderr(), "theme reloaded")
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got += b
        s.close()
        body = got.partition(b"\r\n\r\n")[2]
        t.eq(len(body), len(asset), "bytes received")
        t.true(body == asset, "the bytes are not the old asset's")
        t.eq(dev.get(url).status, 200, "the unchanged asset is still served")
    finally:
        t.eq(dev.stop(), 0, "the --dev server exits 0")

with t.case("after the slow clients: a page, and nothing was stored"):
    t.eq(srv.get("/").status, 200)
    t.eq(row_counts(), ROWS, "row counts")

with t.case("SIGTERM: the server exits 0"):
    t.eq(srv.stop(), 0)
t.done()
