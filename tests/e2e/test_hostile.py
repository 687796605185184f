#!/usr/bin/env python3
"""E2E: hostile input. One table of malformed, oversized and malicious
requests sent over raw sockets, each with the status it must get. After each
row: nothing was stored (every table's row count and every file of the site
folder unchanged) and the server still serves a page. An error answer never
carries a validator (ETag, Last-Modified); one made by Masthead (not by
h2o's request parser) carries Cache-Control: no-store.
Then what must not mislead a cache in between: each encoding of a page its
own ETag (a 304 only for the variant being sent), error answers without
validators and with no-store from every route, and the security headers
(nosniff, Referrer-Policy, the pages' CSP, SVG sandboxed).
README.md "Hostile input" lists the categories.
Usage: test_hostile.py PATH/TO/masthead
"""
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=12, ini={("server", "max_body"): "1k"})
    with open(os.path.join(SITE, "media", "clip.mp4"), "wb") as f:
        f.write(bytes(range(256)) * 8)
    srv = harness.Server(BIN, SITE).start()
except Exception as e:
    t.bail(f"cannot start a demo site: {e}")

ARTICLE = "/articles/" + harness.db_query(SITE, "SELECT slug FROM articles WHERE status = 'published' "
                                                "ORDER BY id LIMIT 1")[0]["slug"]


def snapshot():
    """Row counts of every table, and every file of the site folder (the
    database's own files aside: their bytes change with reads' bookkeeping)."""
    tables = [r["name"] for r in harness.db_query(
        SITE, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    counts = {tb: harness.db_query(SITE, f'SELECT count(*) AS n FROM "{tb}"')[0]["n"] for tb in tables}
    files = {}
    for root, dirs, names in os.walk(SITE):
        for n in names:
            p = os.path.join(root, n)
            if os.path.basename(p).startswith("masthead.db"):
                continue
            st = os.stat(p)
            files[os.path.relpath(p, SITE)] = (st.st_size, st.st_mtime_ns)
    return counts, files


def send(data, timeout=10):
    """Sends data, half-closes nothing, reads until the server closes or
    the first response is complete; returns (status, head bytes, body)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            out += b
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    return harness.status_of(out), head, body


H = b"Host: example.org\r\nConnection: close\r\n"


def req(line, headers=b"", body=b""):
    return line + b"\r\n" + H + headers + b"\r\n" + body


def no_injected_header(head, body):
    if re.search(rb"(?im)^injected:", head):
        raise CaseFailed(f"a header was injected into the answer: {head[:300]!r}")


def whole_clip(head, body):
    if body != bytes(range(256)) * 8:
        raise CaseFailed("not the whole file")


def no_file_leak(head, body):
    for secret in (b"[server]", b"SQLite format 3", b"root:x:0:0"):
        if secret in body:
            raise CaseFailed(f"the answer leaked a file: {body[:200]!r}")


BIG = b"x" * 20000
# (category, name, raw request, expected status (int or set), extra check)
TABLE = [
    # oversized
    ("oversized", "request target of 20 kB", req(b"GET /?q=" + BIG + b" HTTP/1.1"), 431, None),
    ("oversized", "one header of 20 kB", req(b"GET / HTTP/1.1", b"X-Big: " + BIG + b"\r\n"), 431, None),
    ("oversized", "150 header fields", req(b"GET / HTTP/1.1", b"".join(b"X-%d: 1\r\n" % i for i in range(150))),
     400, None),
    ("oversized", "body over max_body (1k)", req(b"POST / HTTP/1.1", b"Content-Length: 5000\r\n", b"x" * 5000),
     413, None),
    ("oversized", "Expect: 100-continue with a body over max_body",
     req(b"POST / HTTP/1.1", b"Expect: 100-continue\r\nContent-Length: 5000000\r\n"), 413, None),
    ("oversized", "query string of 12 kB (under the header limit)", req(b"GET /?q=" + b"y" * 12000 + b" HTTP/1.1"),
     200, None),
    # request line garbage
    ("request line", "not HTTP at all", b"GARBAGE\r\n\r\n", 400, None),
    ("request line", "another protocol", b"GET / FTP/1.0\r\n\r\n", 400, None),
    ("request line", "binary bytes", b"\x00\x01\x02 / HTTP/1.1\r\n\r\n", 400, None),
    ("request line", "HTTP/9.9", req(b"GET / HTTP/9.9"), 400, None),
    ("request line", "HTTP/2 preface on HTTP/1", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, None),
    ("request line", "target without a leading slash", req(b"GET foo HTTP/1.1"), 400, None),
    ("request line", "CONNECT authority-form", req(b"CONNECT example.com:443 HTTP/1.1"), 400, None),
    ("request line", "absolute-form target is accepted", req(b"GET http://example.org/ HTTP/1.1"), 200, None),
    # Host
    ("host", "HTTP/1.1 without Host", b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400, None),
    ("host", "HTTP/1.1 with an empty Host", b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n", 400, None),
    ("host", "HTTP/1.0 without Host is fine", b"GET / HTTP/1.0\r\n\r\n", 200, None),
    # header injection, control bytes
    ("injection", "bare CR inside a header value", req(b"GET / HTTP/1.1", b"X-A: a\rInjected: 1\r\n"), 400,
     no_injected_header),
    ("injection", "NUL inside a header value", req(b"GET / HTTP/1.1", b"X-A: a\x00b\r\n"), 400, None),
    ("injection", "header line without a colon", req(b"GET / HTTP/1.1", b"just some words\r\n"), 400, None),
    ("injection", "space inside a header name", req(b"GET / HTTP/1.1", b"X A: 1\r\n"), 400, None),
    ("injection", "space before the colon", req(b"GET / HTTP/1.1", b"Host : evil\r\n"), 400, None),
    ("injection", "CRLF encoded into the path", req(b"GET /section/%0d%0aInjected:%201 HTTP/1.1"), 404,
     no_injected_header),
    ("injection", "NUL in the path", req(b"GET /\x00 HTTP/1.1"), 400, None),
    ("injection", "NUL percent-encoded in the path", req(b"GET /articles/a%00b HTTP/1.1"), 404, None),
    # path traversal
    ("traversal", "/media/../site.ini", req(b"GET /media/../site.ini HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/media/ percent-encoded dots", req(b"GET /media/%2e%2e/site.ini HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/media/ encoded slash", req(b"GET /media/..%2f..%2fetc/passwd HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/media/ double-encoded", req(b"GET /media/%252e%252e/site.ini HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/media/ raw backslashes", req(b"GET /media/demo\\..\\..\\site.ini HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/media/ encoded backslashes", req(b"GET /media/..%5c..%5csite.ini HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/media/ absolute path", req(b"GET /media//etc/passwd HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/static/../site.ini", req(b"GET /static/../site.ini HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/static/ percent-encoded", req(b"GET /static/%2e%2e%2fmasthead.db HTTP/1.1"), 404, no_file_leak),
    ("traversal", "/static/ double-encoded", req(b"GET /static/%252e%252e%252fsite.ini HTTP/1.1"), 404,
     no_file_leak),
    ("traversal", "/static/ backslash", req(b"GET /static/..\\site.ini HTTP/1.1"), 404, no_file_leak),
    # bad UTF-8
    ("utf-8", "raw invalid UTF-8 in the path", req(b"GET /articles/\xff\xfe HTTP/1.1"), 404, None),
    ("utf-8", "percent-encoded invalid UTF-8 in the path", req(b"GET /tag/%c0%af%ff HTTP/1.1"), 404, None),
    ("utf-8", "overlong UTF-8 in a query parameter", req(b"GET /?q=%c0%ae%c0%ae HTTP/1.1"), 200, None),
    ("utf-8", "invalid UTF-8 as the page number", req(b"GET /section/news?page=%ff HTTP/1.1"), 400, None),
    # a pair with a malformed escape is skipped (mh_http_parse_urlencoded): page 1
    ("utf-8", "broken percent escape in the query", req(b"GET /section/news?page=%zz HTTP/1.1"), 200, None),
    # dates
    ("dates", "If-Modified-Since not a date", req(b"GET / HTTP/1.1", b"If-Modified-Since: yesterday-ish\r\n"),
     200, None),
    ("dates", "If-Modified-Since in year 99999",
     req(b"GET " + ARTICLE.encode() + b" HTTP/1.1", b"If-Modified-Since: Mon, 01 Jan 99999 00:00:00 GMT\r\n"),
     200, None),
    ("dates", "If-Range with a bad date",
     req(b"GET /media/clip.mp4 HTTP/1.1", b"Range: bytes=0-9\r\nIf-Range: 32 Foo 2020\r\n"), 200, whole_clip),
    # cookies
    ("cookies", "cookie of 20 kB", req(b"GET / HTTP/1.1", b"Cookie: a=" + BIG + b"\r\n"), 431, None),
    ("cookies", "cookie of 12 kB", req(b"GET / HTTP/1.1", b"Cookie: a=" + b"c" * 12000 + b"\r\n"), 200, None),
    ("cookies", "malformed cookie pairs", req(b"GET / HTTP/1.1", b"Cookie: ;;==;a; =b; c=\"\r\n"), 200, None),
    ("cookies", "control byte in a cookie", req(b"GET / HTTP/1.1", b"Cookie: a=\x01\r\n"), 400, None),
    # ranges
    ("ranges", "Range not a number", req(b"GET /media/clip.mp4 HTTP/1.1", b"Range: bytes=abc\r\n"), 200, whole_clip),
    ("ranges", "Range start past the end", req(b"GET /media/clip.mp4 HTTP/1.1", b"Range: bytes=99999-\r\n"), 416,
     None),
    ("ranges", "Range with 25 digits", req(b"GET /media/clip.mp4 HTTP/1.1",
                                           b"Range: bytes=9999999999999999999999999-\r\n"), 416, None),
    ("ranges", "Range backwards", req(b"GET /media/clip.mp4 HTTP/1.1", b"Range: bytes=9-2\r\n"), 200, whole_clip),
    ("ranges", "Range of 200 parts", req(b"GET /media/clip.mp4 HTTP/1.1",
                                         b"Range: bytes=" + b",".join(b"%d-%d" % (i, i) for i in range(200))
                                         + b"\r\n"), 200, whole_clip),
    ("ranges", "Range on a page is ignored", req(b"GET / HTTP/1.1", b"Range: bytes=0-10\r\n"), 200, None),
    # framing
    ("framing", "Content-Length of 25 digits", req(b"POST / HTTP/1.1", b"Content-Length: 9999999999999999999999999\r\n"),
     400, None),
    ("framing", "negative Content-Length", req(b"GET / HTTP/1.1", b"Content-Length: -1\r\n"), 400, None),
    ("framing", "Content-Length not a number", req(b"GET / HTTP/1.1", b"Content-Length: abc\r\n"), 400, None),
    ("framing", "Content-Length of 10 GB", req(b"POST / HTTP/1.1", b"Content-Length: 10000000000\r\n"), 413, None),
    ("framing", "Content-Length and Transfer-Encoding together",
     req(b"POST / HTTP/1.1", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"), 400, None),
    ("framing", "two different Content-Lengths",
     req(b"POST / HTTP/1.1", b"Content-Length: 1\r\nContent-Length: 2\r\n", b"ab"), 400, None),
    ("framing", "unknown Transfer-Encoding", req(b"POST / HTTP/1.1", b"Transfer-Encoding: gzip\r\n", b"ab"), 400, None),
    ("framing", "bad chunk size", req(b"POST / HTTP/1.1", b"Transfer-Encoding: chunked\r\n", b"zz\r\nab\r\n0\r\n\r\n"),
     400, None),
    # methods
    ("methods", "unknown method", req(b"FOO / HTTP/1.1"), 405, None),
    ("methods", "lower-case get", req(b"get / HTTP/1.1"), 405, None),
    ("methods", "TRACE", req(b"TRACE / HTTP/1.1"), 405, None),
    ("methods", "DELETE on an article", req(b"DELETE " + ARTICLE.encode() + b" HTTP/1.1"), 405, None),
    ("methods", "PUT a file into /media/", req(b"PUT /media/new.jpg HTTP/1.1", b"Content-Length: 4\r\n", b"abcd"),
     405, None),
    ("methods", "POST to /static/", req(b"POST /static/x.css HTTP/1.1", b"Content-Length: 2\r\n", b"ab"), 405, None),
    ("methods", "OPTIONS *", req(b"OPTIONS * HTTP/1.1"), 405, None),
]

BEFORE = snapshot()
for cat, name, data, want, check in TABLE:
    with t.case(f"hostile [{cat}] {name}: {want}, nothing stored, still serving"):
        st, head, body = send(data)
        ok = st in want if isinstance(want, (set, tuple)) else st == want
        t.true(ok, f"status {st} (want {want}): {head[:200]!r}")
        hl = head.lower()
        if st is not None and st >= 400:
            t.absent(hl, b"\r\netag:", "an error with an ETag")
            t.absent(hl, b"\r\nlast-modified:", "an error with Last-Modified")
            if b"x-content-type-options: nosniff" in hl:  # answered by Masthead, not h2o's parser
                t.contains(hl, b"cache-control: no-store", "an error without no-store")
        if st is not None and b"x-content-type-options" not in hl and st < 400:
            raise CaseFailed("a success without X-Content-Type-Options")
        if check:
            check(head, body)
        t.eq(snapshot(), BEFORE, "rows or files changed")
        t.eq(srv.get("/").status, 200, "the home page afterwards")

# ------------------------------------------ caches in between are not misled
import gzip  # noqa: E402

import brotli  # noqa: E402  Debian's python3-brotli; scripts/deps installs it

ENCODINGS = {"identity": None, "gzip": "gzip", "br": "br"}


def variant(path, enc, extra=None):
    h = {"Accept-Encoding": enc}
    h.update(extra or {})
    return srv.get(path, h)


for path in ("/", ARTICLE):
    with t.case(f"each encoding of {path} has its own strong ETag, and Vary: Accept-Encoding"):
        tags = {}
        for enc, ce in ENCODINGS.items():
            r = variant(path, enc)
            t.eq(r.status, 200)
            t.eq(r.header("Content-Encoding"), ce, f"{enc}: Content-Encoding")
            t.eq(r.header("Vary"), "Accept-Encoding", f"{enc}: Vary")
            et = r.header("ETag") or ""
            t.true(re.fullmatch(r'"[^"]+"', et), f"{enc}: not a strong ETag: {et!r}")
            tags[enc] = et
        t.eq(len(set(tags.values())), 3, f"ETags not distinct: {tags}")

    with t.case(f"If-None-Match answers 304 only for the variant being sent ({path})"):
        tags = {enc: variant(path, enc).header("ETag") for enc in ENCODINGS}
        for enc in ENCODINGS:
            for other in ENCODINGS:
                r = variant(path, enc, {"If-None-Match": tags[other]})
                if other == enc:
                    t.eq(r.status, 304, f"{enc} with its own tag")
                    t.eq(r.header("ETag"), tags[enc], f"{enc}: the 304's ETag")
                else:
                    t.eq(r.status, 200, f"{enc} with the {other} tag")
                    body = r.body
                    if enc == "gzip":
                        body = gzip.decompress(body)
                    elif enc == "br":
                        body = brotli.decompress(body)
                    t.contains(body, b"<html", f"{enc} body with the {other} tag")
        r = variant(path, "gzip", {"If-None-Match": f'"nope", {tags["gzip"]}'})
        t.eq(r.status, 304, "a list holding the variant's tag")

for name, data, want in (
        ("404 page", req(b"GET /no/such/page HTTP/1.1"), 404),
        ("404 article", req(b"GET /articles/no-such-article HTTP/1.1"), 404),
        ("400 page number", req(b"GET /section/news?page=0 HTTP/1.1"), 400),
        ("405 method", req(b"POST / HTTP/1.1", b"Content-Length: 0\r\n"), 405),
        ("404 media", req(b"GET /media/none.jpg HTTP/1.1"), 404),
        ("416 media", req(b"GET /media/clip.mp4 HTTP/1.1", b"Range: bytes=99999-\r\n"), 416),
        ("404 static", req(b"GET /static/site.00000000.css HTTP/1.1"), 404),
        ("404 with If-None-Match: *", req(b"GET /no/such/page HTTP/1.1", b"If-None-Match: *\r\n"), 404),
        ("400 no Host", b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400),
        ("431 header", req(b"GET / HTTP/1.1", b"X-Big: " + BIG + b"\r\n"), 431)):
    with t.case(f"error answer {name}: Cache-Control: no-store, no ETag or Last-Modified, nosniff"):
        st, head, body = send(data)
        t.eq(st, want)
        hl = head.lower()
        t.contains(hl, b"\r\ncache-control: no-store")
        t.eq(len(re.findall(rb"\r\ncache-control:", hl)), 1, "one Cache-Control")
        t.absent(hl, b"\r\netag:")
        t.absent(hl, b"\r\nlast-modified:")
        t.contains(hl, b"\r\nx-content-type-options: nosniff")
        t.contains(hl, b"\r\nreferrer-policy: strict-origin-when-cross-origin")

PAGE_CSP_MUST = ("default-src 'self'", "script-src 'self'", "frame-ancestors 'self'",
                 "frame-src https://www.youtube-nocookie.com", "img-src 'self' https:", "object-src 'none'")
for path in ("/", ARTICLE, "/section/news", "/no/such/page"):
    with t.case(f"security headers on the page {path}: nosniff, Referrer-Policy, a CSP without inline script"):
        r = srv.get(path)
        t.eq(r.header("X-Content-Type-Options"), "nosniff")
        t.eq(r.header("Referrer-Policy"), "strict-origin-when-cross-origin")
        csp = r.header("Content-Security-Policy") or ""
        for d in PAGE_CSP_MUST:
            t.contains(csp, d, "CSP")
        t.absent(csp, "unsafe-inline", "CSP")
        t.absent(csp, "unsafe-eval", "CSP")
        # the theme has no inline script or event handler the CSP would block
        # (a JSON-LD data block, type="application/ld+json", is data: never run)
        t.true(not re.search(rb"<script(?![^>]*\b(?:src=|type=\"application/ld\+json\"))[^>]*>", r.body),
               "an inline <script> in the page")
        t.true(not re.search(rb"<[^>]+\son[a-z]+\s*=", r.body), "an inline event handler in the page")

with t.case("security headers on static assets, media and a 304"):
    home = srv.get("/").text()
    css = re.search(r'href="(/static/[^"]+\.css)"', home).group(1)
    for path, h in ((css, {}), ("/media/clip.mp4", {}), ("/", {"If-None-Match": srv.get("/").header("ETag")})):
        r = srv.get(path, h)
        t.true(r.status in (200, 304), f"{path}: {r.status}")
        t.eq(r.header("X-Content-Type-Options"), "nosniff", path)
        t.eq(r.header("Referrer-Policy"), "strict-origin-when-cross-origin", path)

with t.case("SVG from /static/ is sandboxed (CSP sandbox)"):
    svg = re.search(r'"(/static/[^"]+\.svg)"', srv.get("/").text())
    t.true(svg, "the default theme's logo.svg is linked from the home page")
    r = srv.get(svg.group(1))
    t.eq(r.status, 200)
    t.contains(r.header("Content-Security-Policy") or "", "sandbox")

with t.case(f"the table has at least 40 rows ({len(TABLE)})"):
    t.true(len(TABLE) >= 40, f"{len(TABLE)} rows")

with t.case("after the whole table: pages, an article and media still answer"):
    t.eq(srv.get(ARTICLE).status, 200)
    t.eq(srv.get("/media/clip.mp4").body, bytes(range(256)) * 8)

with t.case("SIGTERM: the server exits 0"):
    t.eq(srv.stop(), 0)
t.done()
