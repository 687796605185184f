#!/usr/bin/env python3
"""E2E: HTTP behaviour of `masthead serve` — caching headers, 304, gzip/br,
HEAD, static assets, error statuses for bad requests, path traversal,
keep-alive, the start-up banner and graceful shutdown.
Usage: test_http.py PATH/TO/masthead
"""
import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

try:
    import brotli
except ImportError:  # Debian's python3-brotli; scripts/deps installs it
    brotli = None

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    # a small body limit makes the 413 case cheap; the header limit stays
    # at its default (16k) so that default is what is tested.
    SITE = harness.demo_site(BIN, articles=30, ini={("server", "max_body"): "1k"})
    srv = harness.Server(BIN, SITE).start()
except Exception as e:
    t.bail(f"cannot start a demo site: {e}")

home = None
article = None
try:
    home = srv.page("/")
    article = next(iter(home.slugs("articles")), None)
except Exception:
    pass
ART = f"/articles/{article}" if article else "/articles/unknown"
try:  # the second page of Latest, as its Older link names it (a ?before= cursor)
    LATEST2 = harness.local_path(srv.page("/section/latest").rel["next"][0])
except Exception:
    LATEST2 = "/section/latest?before=unknown"
PUBLIC = ["/", "/section/news", LATEST2, ART]

with t.case("start-up banner names the address and the site folder"):
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and str(srv.port) not in srv.stdout():
        time.sleep(0.05)
    out = srv.stdout()
    t.contains(out, f"127.0.0.1:{srv.port}", "stdout")
    t.contains(out, SITE, "stdout")

# ------------------------------------------------------------ caching headers
for path in PUBLIC:
    with t.case(f"Cache-Control on {path}: max-age, s-maxage, stale-while-revalidate; ETag"):
        r = srv.get(path)
        t.eq(r.status, 200, f"GET {path}")
        cc = r.header("Cache-Control") or ""
        for d in ("max-age", "s-maxage", "stale-while-revalidate"):
            t.true(re.search(rf"(^|[ ,]){d}=\d+", cc), f"Cache-Control {cc!r} lacks {d}=N")
        t.true("public" in cc or "private" not in cc, f"Cache-Control {cc!r} is private")
        et = r.header("ETag") or ""
        t.true(re.fullmatch(r'"[^"]+"', et), f"ETag {et!r} is not a strong quoted ETag")
        t.eq(int(r.header("Content-Length") or -1), len(r.body), "Content-Length")

for path in ("/", ART):
    with t.case(f"If-None-Match with the ETag gives 304 without a body ({path})"):
        r = srv.get(path)
        et = r.header("ETag")
        t.true(et, "no ETag")
        c = srv.conn()
        r2 = srv.get(path, {"If-None-Match": et}, conn=c)
        t.eq(r2.status, 304, "status")
        t.eq(r2.body, b"", "304 body")
        t.eq(r2.header("ETag"), et, "ETag on the 304")
        # the connection stays usable after a 304 (no stray body bytes)
        r3 = srv.get(path, conn=c)
        t.eq(r3.status, 200, "next request on the same connection")
        c.close()
        r4 = srv.get(path, {"If-None-Match": '"not-the-etag"'})
        t.eq(r4.status, 200, "a different ETag")
        r5 = srv.get(path, {"If-None-Match": f'"x", {et}'})
        t.eq(r5.status, 304, "ETag in a list")

with t.case("a page served twice is byte-identical with the same ETag (cache hit)"):
    a, b = srv.get(ART), srv.get(ART)
    t.eq((a.status, b.status), (200, 200), "statuses")
    t.eq(a.header("ETag"), b.header("ETag"), "ETag")
    t.true(a.body == b.body, "bodies differ")

for path in ("/", ART, "/section/news"):
    with t.case(f"gzip variant of {path}: Content-Encoding, Vary, decompresses to identity"):
        ident = srv.get(path)
        t.true("accept-encoding" in (ident.header("Vary") or "").lower(),
               f"identity response Vary {ident.header('Vary')!r}")
        t.eq(ident.header("Content-Encoding"), None, "identity Content-Encoding")
        r = srv.get(path, {"Accept-Encoding": "gzip"})
        t.eq(r.status, 200, "status")
        t.eq(r.header("Content-Encoding"), "gzip", "Content-Encoding")
        t.true("accept-encoding" in (r.header("Vary") or "").lower(), f"Vary {r.header('Vary')!r}")
        t.eq(int(r.header("Content-Length") or -1), len(r.body), "Content-Length")
        t.true(len(r.body) < len(ident.body), "gzip body not smaller")
        t.true(gzip.decompress(r.body) == ident.body, "gunzipped body differs from identity")

    with t.case(f"br variant of {path}: Content-Encoding br, decompresses to identity"):
        if brotli is None:  # scripts/deps installs it: its absence is a broken setup
            raise CaseFailed("python3-brotli is not installed (scripts/deps installs it)")
        ident = srv.get(path)
        r = srv.get(path, {"Accept-Encoding": "gzip, deflate, br"})
        t.eq(r.status, 200, "status")
        t.eq(r.header("Content-Encoding"), "br", "Content-Encoding (br preferred when accepted)")
        t.true("accept-encoding" in (r.header("Vary") or "").lower(), f"Vary {r.header('Vary')!r}")
        t.true(brotli.decompress(r.body) == ident.body, "un-brotlied body differs from identity")
        et = r.header("ETag")
        r2 = srv.get(path, {"Accept-Encoding": "br", "If-None-Match": et})
        t.eq(r2.status, 304, "304 for the br variant's ETag")

with t.case("Accept-Encoding with q=0 or an unknown coding gives identity"):
    for ae in ("gzip;q=0", "compress", "identity", "br;q=0, gzip;q=0"):
        r = srv.get("/", {"Accept-Encoding": ae})
        t.eq(r.header("Content-Encoding"), None, f"Content-Encoding for {ae!r}")
        t.true(b"<html" in r.body[:2000].lower(), f"body for {ae!r} is not plain HTML")

for path in ("/", ART):
    with t.case(f"HEAD {path}: same status and headers as GET, no body"):
        g = srv.get(path)
        st, resp = srv.raw(f"HEAD {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        t.eq(st, 200, "HEAD status")
        head, _, rest = resp.partition(b"\r\n\r\n")
        t.eq(rest, b"", "bytes after the HEAD response's headers")
        m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        t.true(m, f"HEAD has no Content-Length: {head!r}")
        t.eq(int(m.group(1)), len(g.body), "HEAD Content-Length vs GET body")
        et = re.search(rb'(?im)^etag:\s*(\S+)', head)
        t.true(et and et.group(1).decode() == g.header("ETag"), "HEAD ETag vs GET ETag")

with t.case("HEAD with Accept-Encoding gzip: Content-Length of the gzip body"):
    g = srv.get("/", {"Accept-Encoding": "gzip"})
    st, resp = srv.raw(b"HEAD / HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n")
    head, _, rest = resp.partition(b"\r\n\r\n")
    t.eq(rest, b"", "body bytes after HEAD")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    t.true(m and int(m.group(1)) == len(g.body), f"HEAD Content-Length vs gzip GET body {len(g.body)}: {head!r}")

# ------------------------------------------------------------ static assets
assets = [harness.local_path(a) for a in (home.assets if home else []) if (harness.local_path(a) or "").startswith("/static/")]
with t.case("static assets: fingerprinted names, long immutable Cache-Control, right Content-Type"):
    t.true(assets, f"home links no /static/ asset: {home.assets if home else None}")
    css = [a for a in assets if a.endswith(".css")]
    t.true(css, "no stylesheet under /static/")
    types = {"css": "text/css", "js": "javascript", "svg": "image/svg+xml", "png": "image/png",
             "woff2": "font/woff2", "ico": "image/"}
    for a in assets:
        t.true(re.fullmatch(r"/static/[\w.-]+\.[0-9a-f]{8,}\.\w+", a), f"{a} is not NAME.HASH.EXT")
        r = srv.get(a)
        t.eq(r.status, 200, f"GET {a}")
        cc = r.header("Cache-Control") or ""
        m = re.search(r"max-age=(\d+)", cc)
        t.true(m and int(m.group(1)) >= 30 * 86400, f"{a}: Cache-Control {cc!r} is not long-lived")
        t.true("immutable" in cc, f"{a}: Cache-Control {cc!r} lacks immutable")
        ext = a.rsplit(".", 1)[1]
        if ext in types:
            t.contains(r.header("Content-Type") or "", types[ext], f"{a} Content-Type")

with t.case("static assets: gzip variant for CSS, and 304 on its ETag"):
    css = [a for a in assets if a.endswith(".css")]
    t.true(css, "no stylesheet")
    ident = srv.get(css[0])
    r = srv.get(css[0], {"Accept-Encoding": "gzip"})
    if r.header("Content-Encoding") == "gzip":
        t.true(gzip.decompress(r.body) == ident.body, "gunzipped CSS differs")
    et = ident.header("ETag")
    t.true(et, "static asset without ETag")
    t.eq(srv.get(css[0], {"If-None-Match": et}).status, 304, "304 on the asset's ETag")

with t.case("static: a wrong fingerprint or unknown asset is 404"):
    t.true(assets, "no assets")
    a = assets[0]
    name, h, ext = a.rsplit(".", 2)
    bad = f"{name}.{'0' * len(h) if h != '0' * len(h) else '1' * len(h)}.{ext}"
    t.eq(srv.get(bad).status, 404, f"GET {bad}")
    t.eq(srv.get("/static/no-such-file.12345678.css").status, 404, "unknown asset")

# ------------------------------------------------------------ error statuses
with t.case("400 for a malformed request line"):
    for line in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
                 b"GET / FTP/1.0\r\n\r\n", b"\x00\x01\x02 / HTTP/1.1\r\n\r\n"):
        st, resp = srv.raw(line, timeout=5)
        t.eq(st, 400, f"request {line!r} -> {resp[:120]!r}")

with t.case("the server still serves after malformed requests"):
    t.eq(srv.get("/").status, 200, "GET /")

for method, path in (("POST", "/"), ("PUT", ART), ("DELETE", "/section/news"), ("PATCH", "/")):
    with t.case(f"405 for {method} {path} with an Allow header"):
        r = srv.request(method, path, body=b"" if method != "DELETE" else None)
        t.eq(r.status, 405, f"{method} {path}")
        allow = (r.header("Allow") or "").upper()
        t.true("GET" in allow and "HEAD" in allow, f"Allow {r.header('Allow')!r}")
        t.true("POST" not in allow, f"Allow {allow!r} offers POST")

with t.case("413 for a request body over [server] max_body (1k in this site)"):
    body = b"x" * 4096
    st, resp = srv.raw(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
                       b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    t.eq(st, 413, f"response {resp[:160]!r}")
    # a huge declared length is refused before any of it is read
    st, resp = srv.raw(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n", timeout=5)
    t.eq(st, 413, f"Content-Length 1e9: {resp[:160]!r}")

with t.case("a body within max_body to a page is a 405, not a 413"):
    st, resp = srv.raw(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789")
    t.eq(st, 405, f"response {resp[:160]!r}")

with t.case("431 for request headers over [server] max_header_bytes (default 16k)"):
    big = "a" * 20000
    st, resp = srv.raw(f"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\nConnection: close\r\n\r\n".encode())
    t.eq(st, 431, f"20k header: {resp[:160]!r}")
    many = "".join(f"X-H{i}: {'b' * 300}\r\n" for i in range(60))
    st, resp = srv.raw(f"GET / HTTP/1.1\r\nHost: localhost\r\n{many}Connection: close\r\n\r\n".encode())
    t.eq(st, 431, f"60 headers of 300 bytes: {resp[:160]!r}")

with t.case("too many header fields (200 tiny ones) are refused with 431 or 400"):
    many = "".join(f"X-H{i}: b\r\n" for i in range(200))
    st, resp = srv.raw(f"GET / HTTP/1.1\r\nHost: localhost\r\n{many}Connection: close\r\n\r\n".encode())
    t.true(st in (400, 431), f"200 headers: {resp[:160]!r}")

with t.case("headers under the limit (12k) are accepted"):
    st, resp = srv.raw(f"GET / HTTP/1.1\r\nHost: localhost\r\nCookie: a={'c' * 12000}\r\nConnection: close\r\n\r\n".encode())
    t.eq(st, 200, f"12k cookie: {resp[:160]!r}")

INI = open(os.path.join(SITE, "site.ini"), "rb").read()
DBHEAD = b"SQLite format 3"
for path in ("/static/../site.ini", "/static/%2e%2e/site.ini", "/static/..%2fsite.ini",
             "/static/%2e%2e%2fsite.ini", "/static/..%5csite.ini", "/media/../site.ini",
             "/media/%2e%2e/site.ini", "/static/../masthead.db", "/../site.ini", "/site.ini",
             "/masthead.db", "/static/%252e%252e/site.ini", "/static//etc/passwd", "/media/..%2f..%2fetc/passwd"):
    with t.case(f"path traversal refused: {path}"):
        st, resp = srv.raw(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        t.true(st in (400, 403, 404), f"status {st} for {path}")
        body = resp.partition(b"\r\n\r\n")[2]
        t.true(INI[:60] not in body and b"[server]" not in body and DBHEAD not in body
               and b"root:x:0:0" not in body, f"{path} leaked a file: {body[:200]!r}")

# ------------------------------------------------------------ caches in front
with t.case("Surrogate-Key on an article page names the article (for purges by Varnish/CDN)"):
    t.true(article, "no article")
    aid = harness.db_query(SITE, "SELECT id FROM articles WHERE slug = ?", (article,))[0]["id"]
    r = srv.get(ART)
    keys = (r.header("Surrogate-Key") or "").split()
    t.contains(keys, f"article:{aid}", "Surrogate-Key")

with t.case("unknown query parameters do not change an article page (same ETag and bytes)"):
    a = srv.get(ART)
    b = srv.get(ART + "?utm_source=e2e&x=1")
    t.eq(b.status, 200, "status with ?utm_source")
    t.eq(b.header("ETag"), a.header("ETag"), "ETag")
    t.true(a.body == b.body, "bodies differ")

with t.case("HEAD of an unknown page: 404 and no body"):
    st, resp = srv.raw(b"HEAD /articles/no-such-e2e-article HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    t.eq(st, 404, "status")
    t.eq(resp.partition(b"\r\n\r\n")[2], b"", "body after HEAD")

# ------------------------------------------------------------ concurrency
def fetch_all(paths, results):
    def one(i, p):
        try:
            results[i] = srv.get(p)
        except Exception as e:  # recorded, reported by the case
            results[i] = e
    ths = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(paths)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(60)


with t.case("32 concurrent requests for a page not yet cached get identical 200s"):
    slugs = [r["slug"] for r in harness.db_query(
        SITE, "SELECT slug FROM articles WHERE status = 'published' ORDER BY published_at ASC LIMIT 1")]
    t.true(slugs, "no article")
    path = f"/articles/{slugs[0]}"  # the oldest: not fetched by the cases above
    res = [None] * 32
    fetch_all([path] * 32, res)
    bad = [r for r in res if not isinstance(r, harness.Response) or r.status != 200]
    t.true(not bad, f"{len(bad)} failed: {bad[:3]}")
    t.eq(len({r.body for r in res}), 1, "distinct bodies")
    t.eq(len({r.header('ETag') for r in res}), 1, "distinct ETags")

with t.case("64 concurrent requests over many pages and encodings all answer 200"):
    rows = harness.db_query(SITE, "SELECT slug FROM articles WHERE status = 'published'")
    paths = [f"/articles/{r['slug']}" for r in rows][:20] + ["/", "/section/news", LATEST2]
    res = [None] * 64
    fetch_all([paths[i % len(paths)] for i in range(64)], res)
    bad = [r for r in res if not isinstance(r, harness.Response) or r.status != 200]
    t.true(not bad, f"{len(bad)} failed: {bad[:3]}")

# ------------------------------------------------------------ connections
with t.case("keep-alive: two requests on one connection"):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        st1, h1, b1, rest = harness.read_response(s)
        t.eq(st1, 200, "first")
        t.true("close" not in h1.get("connection", "").lower(), f"first response closes: {h1}")
        t.eq(rest, b"", "unexpected extra bytes")
        s.sendall(f"GET {ART} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        st2, h2, b2, _ = harness.read_response(s)
        t.eq(st2, 200, "second on the same connection")
        t.true(b2 != b1, "second response has the first's body")
    finally:
        s.close()

with t.case("keep-alive: pipelined requests answered in order"):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        s.sendall(f"GET /section/news HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                  f"GET {ART} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        heads = re.findall(rb"HTTP/1\.1 (\d{3})", data)
        t.true(len(heads) >= 3, f"{len(heads)} responses to 3 pipelined requests")
        t.eq([int(x) for x in heads[:3]], [200, 200, 200], "statuses")
    finally:
        s.close()

with t.case("HTTP/1.0 without keep-alive gets its answer and the connection closes"):
    st, resp = srv.raw(b"GET / HTTP/1.0\r\n\r\n", timeout=10)
    t.eq(st, 200, f"{resp[:100]!r}")
    t.true(resp.rstrip().lower().endswith(b"</html>"), "body incomplete")

with t.case("a second server on a port someone listens on is refused at start, not given half the connections"):
    p = subprocess.run([BIN, "serve", "--site", SITE, "--listen", f"127.0.0.1:{srv.port}"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    t.eq(p.returncode, 1, f"exit code; stderr: {p.stderr[-500:]}")
    t.contains(p.stderr, "another process already listens there")
    t.eq(srv.get("/").status, 200, "the first server still answers")

# ------------------------------------------------------------ graceful shutdown
with t.case("SIGTERM while a request is in flight: it completes, and the server exits 0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the response cannot be sent at once
    s.settimeout(15)
    s.connect(("127.0.0.1", srv.port))
    s.sendall(b"GET /section/latest HTTP/1.1\r\nHost: localhost\r\n\r\n")
    first = s.recv(1)  # the server is answering
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    data = first
    while True:
        try:
            b = s.recv(1024)
        except ConnectionResetError as e:
            raise CaseFailed(f"connection reset after {len(data)} bytes: {e}")
        if not b:
            break
        data += b
        time.sleep(0.001)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    t.true(m, f"no Content-Length in {head[:300]!r}")
    t.eq(len(body), int(m.group(1)), "body bytes received")
    try:
        rc = srv.proc.wait(15)
    except Exception:
        srv.kill()
        raise CaseFailed("server did not exit within 15 s of SIGTERM")
    t.eq(rc, 0, f"exit code (stderr tail {srv.stderr()[-400:]!r})")

with t.case("after shutdown, the port is closed"):
    try:
        socket.create_connection(("127.0.0.1", srv.port), timeout=2).close()
        raise CaseFailed("still accepting connections after exit")
    except OSError:
        pass

t.done()
