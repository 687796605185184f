#!/usr/bin/env python3
"""E2E: /media/ files — streamed with bounded memory (100 slow downloads of a
64 MiB file do not grow the server's RSS by more than a few MB), HEAD from
stat() (the file is not read), byte ranges (206, 416, open-ended, suffix,
several ranges answered whole, If-Range), validators only on successes,
SVG sandboxed, and path traversal still refused.
Usage: test_media.py PATH/TO/masthead
"""
import hashlib
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=10)
    MEDIA = os.path.join(SITE, "media")
    # larger than the old 64 MiB cap, and not a multiple of the chunk size
    BIG_LEN = 64 * 1024 * 1024 + 12345
    BIG = os.urandom(BIG_LEN)
    with open(os.path.join(MEDIA, "big.mp4"), "wb") as f:
        f.write(BIG)
    SMALL = bytes(range(256)) * 40 + b"end"
    with open(os.path.join(MEDIA, "small.pdf"), "wb") as f:
        f.write(SMALL)
    with open(os.path.join(MEDIA, "evil.svg"), "wb") as f:
        f.write(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>')
    os.mkdir(os.path.join(MEDIA, "adir.jpg"))
    srv = harness.Server(BIN, SITE).start()
except Exception as e:
    t.bail(f"cannot start a demo site: {e}")


def proc_status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    raise CaseFailed(f"no {key} in /proc/{pid}/status")


def proc_read_bytes(pid):
    """Bytes the process has read with read(2)/pread(2) so far (rchar)."""
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    raise CaseFailed("no rchar in /proc/PID/io")


def get_range(path, rng, extra=None):
    h = {"Range": rng}
    h.update(extra or {})
    return srv.get(path, h)


def no_validators(r, what):
    t.eq(r.header("ETag"), None, f"{what}: ETag on an error")
    t.eq(r.header("Last-Modified"), None, f"{what}: Last-Modified on an error")
    t.eq(r.header("Cache-Control"), "no-store", f"{what}: Cache-Control")


with t.case("GET of a file over 64 MiB: 200, byte-exact, Accept-Ranges, ETag, Last-Modified"):
    r = srv.get("/media/big.mp4")
    t.eq(r.status, 200)
    t.eq(len(r.body), BIG_LEN, "length")
    t.eq(hashlib.sha256(r.body).hexdigest(), hashlib.sha256(BIG).hexdigest(), "content")
    t.eq(r.header("Content-Type"), "video/mp4")
    t.eq(r.header("Accept-Ranges"), "bytes")
    t.true(r.header("ETag", "").startswith('"'), f"strong ETag: {r.header('ETag')!r}")
    t.true(r.header("Last-Modified", "").endswith(" GMT"), f"Last-Modified: {r.header('Last-Modified')!r}")
    t.eq(r.header("X-Content-Type-Options"), "nosniff")
    del r

with t.case("HEAD answers from stat(): Content-Length, no body, and the file is not read"):
    before = proc_read_bytes(srv.proc.pid)
    st, resp = srv.raw(b"HEAD /media/big.mp4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    after = proc_read_bytes(srv.proc.pid)
    t.eq(st, 200)
    head, _, body = resp.partition(b"\r\n\r\n")
    t.contains(head.lower(), f"content-length: {BIG_LEN}".encode())
    t.contains(head.lower(), b"accept-ranges: bytes")
    t.eq(body, b"", "HEAD body")
    t.true(after - before < 1024 * 1024, f"HEAD read {after - before} bytes of the file")

RANGES = [
    # (Range, status, first, last) — last inclusive
    ("bytes=0-99", 206, 0, 99),
    ("bytes=100-199", 206, 100, 199),
    ("bytes=5000-", 206, 5000, len(SMALL) - 1),
    ("bytes=-10", 206, len(SMALL) - 10, len(SMALL) - 1),
    ("bytes=-100000", 206, 0, len(SMALL) - 1),            # suffix longer than the file
    ("bytes=10-99999999", 206, 10, len(SMALL) - 1),        # end clamped
    ("bytes=0-0", 206, 0, 0),
    (f"bytes={len(SMALL) - 1}-", 206, len(SMALL) - 1, len(SMALL) - 1),
    ("BYTES=1-2", 206, 1, 2),                              # the unit is case-insensitive
]
for rng, status, first, last in RANGES:
    with t.case(f"Range {rng!r} on a small file: {status} bytes {first}-{last}, byte-exact"):
        r = get_range("/media/small.pdf", rng)
        t.eq(r.status, status)
        t.eq(r.header("Content-Range"), f"bytes {first}-{last}/{len(SMALL)}")
        t.eq(r.body, SMALL[first:last + 1])
        t.eq(int(r.header("Content-Length")), last - first + 1)
        t.true(r.header("ETag"), "a 206 carries the ETag")

with t.case("Range in the middle of the big file: byte-exact across chunk boundaries"):
    first, last = 16 * 1024 - 7, 5 * 1024 * 1024 + 3
    r = get_range("/media/big.mp4", f"bytes={first}-{last}")
    t.eq(r.status, 206)
    t.eq(r.header("Content-Range"), f"bytes {first}-{last}/{BIG_LEN}")
    t.true(r.body == BIG[first:last + 1], "range bytes differ")

with t.case("HEAD with a Range: 206 head with the range's length, no body"):
    st, resp = srv.raw(b"HEAD /media/small.pdf HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\n"
                       b"Connection: close\r\n\r\n")
    head, _, body = resp.partition(b"\r\n\r\n")
    t.eq(st, 206)
    t.contains(head.lower(), b"content-length: 10")
    t.contains(head.lower(), f"content-range: bytes 10-19/{len(SMALL)}".encode())
    t.eq(body, b"")

for rng in (f"bytes={len(SMALL)}-", f"bytes={len(SMALL) + 5}-{len(SMALL) + 10}", "bytes=-0",
            "bytes=99999999999999999999999999-"):
    with t.case(f"unsatisfiable Range {rng!r}: 416 with Content-Range bytes */LEN, no validators"):
        r = get_range("/media/small.pdf", rng)
        t.eq(r.status, 416)
        t.eq(r.header("Content-Range"), f"bytes */{len(SMALL)}")
        no_validators(r, "416")

for rng in ("bytes=0-1,5-6", "bytes=abc", "bytes=5-2", "items=0-5", "bytes=", "bytes=-", "bytes 0-5"):
    with t.case(f"Range {rng!r} (several, malformed or another unit): 200 with the whole file"):
        r = get_range("/media/small.pdf", rng)
        t.eq(r.status, 200)
        t.eq(r.body, SMALL)
        t.eq(r.header("Content-Range"), None)

with t.case("If-Range with the current ETag or Last-Modified: 206; with another: 200 whole"):
    full = srv.get("/media/small.pdf")
    et, lm = full.header("ETag"), full.header("Last-Modified")
    t.eq(get_range("/media/small.pdf", "bytes=0-9", {"If-Range": et}).status, 206, "If-Range: ETag")
    t.eq(get_range("/media/small.pdf", "bytes=0-9", {"If-Range": lm}).status, 206, "If-Range: date")
    r = get_range("/media/small.pdf", "bytes=0-9", {"If-Range": '"stale"'})
    t.eq((r.status, r.body), (200, SMALL), "If-Range: another ETag")
    r = get_range("/media/small.pdf", "bytes=0-9", {"If-Range": "Mon, 01 Jan 2001 00:00:00 GMT"})
    t.eq((r.status, r.body), (200, SMALL), "If-Range: another date")
    r = get_range("/media/small.pdf", "bytes=0-9", {"If-Range": "W/" + et})
    t.eq(r.status, 200, "If-Range: a weak tag never matches")

with t.case("If-None-Match with the ETag: 304; after the file changes: a new ETag and the new bytes"):
    et = srv.get("/media/small.pdf").header("ETag")
    t.eq(srv.get("/media/small.pdf", {"If-None-Match": et}).status, 304)
    with open(os.path.join(MEDIA, "small.pdf"), "ab") as f:
        f.write(b"more")
    r = srv.get("/media/small.pdf", {"If-None-Match": et})
    t.eq(r.status, 200)
    t.eq(r.body, SMALL + b"more")
    t.true(r.header("ETag") != et, "same ETag after a change")
    with open(os.path.join(MEDIA, "small.pdf"), "wb") as f:
        f.write(SMALL)

for path in ("/media/nothing.jpg", "/media/adir.jpg", "/media/../site.ini", "/media/%2e%2e/site.ini",
             "/media/..%2fsite.ini", "/media/%252e%252e/site.ini", "/media/demo/..%5c..%5csite.ini",
             "/media/.hidden.jpg", "/media/big.exe"):
    with t.case(f"404 without validators, no-store: {path}"):
        st, resp = srv.raw(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        t.eq(st, 404)
        head = resp.partition(b"\r\n\r\n")[0].lower()
        t.absent(head, b"\r\netag:")
        t.absent(head, b"\r\nlast-modified:")
        t.contains(head, b"cache-control: no-store")
        t.absent(resp, b"[server]")

with t.case("SVG from /media/ is sandboxed: CSP sandbox, no script source"):
    r = srv.get("/media/evil.svg")
    t.eq(r.status, 200)
    t.eq(r.header("Content-Type"), "image/svg+xml")
    csp = r.header("Content-Security-Policy") or ""
    t.contains(csp, "sandbox")
    t.contains(csp, "default-src 'none'")
    t.absent(csp, "script-src")
    t.eq(r.header("X-Content-Type-Options"), "nosniff")


def slow_clients(n, path):
    """n connections asking for path that read only a little each."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.settimeout(30)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        socks.append(s)
    return socks


with t.case("100 slow downloads of the 64 MiB file: RSS grows by less than 8 MB, all bytes right"):
    pid = srv.proc.pid
    srv.get("/media/small.pdf")  # warm: one response's allocations made once
    rss0 = proc_status(pid, "VmRSS")
    socks = slow_clients(100, "/media/big.mp4")
    got = [b""] * len(socks)
    peak = rss0
    # every client reads 256 KiB, 16 KiB at a time, round robin: the server
    # has all 100 responses in flight for the whole time
    for _ in range(16):
        for i, s in enumerate(socks):
            want = min(16384, 300 * 1024 - len(got[i]))
            while want > 0:
                b = s.recv(want)
                if not b:
                    raise CaseFailed(f"client {i} cut after {len(got[i])} bytes")
                got[i] += b
                want -= len(b)
        peak = max(peak, proc_status(pid, "VmRSS"))
    peak = max(peak, proc_status(pid, "VmRSS"))
    # meanwhile the server serves others
    t.eq(srv.get("/media/small.pdf").body, SMALL, "another client while 100 download")
    for i, g in enumerate(got):
        head, _, body = g.partition(b"\r\n\r\n")
        t.true(head.startswith(b"HTTP/1.1 200"), f"client {i}: {head[:80]!r}")
        t.true(body == BIG[:len(body)], f"client {i}: wrong bytes")
    for s in socks:
        s.close()
    grew = peak - rss0
    print(f"# RSS {rss0} kB before, {peak} kB at most with 100 downloads in flight")
    t.true(grew < 8 * 1024, f"RSS grew by {grew} kB (from {rss0} kB) with 100 downloads in flight")

with t.case("after the slow clients went away the server still serves pages and media"):
    t.eq(srv.get("/").status, 200)
    t.eq(get_range("/media/big.mp4", "bytes=-5").body, BIG[-5:])

with t.case("SIGTERM: the server exits 0"):
    t.eq(srv.stop(), 0)
t.done()
