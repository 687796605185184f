#!/usr/bin/env python3
"""E2E: the media library, on SQLite and then PostgreSQL — `masthead media
add|list|remove` (refusals named, nothing stored), originals and derived
sizes served from the database with their type, ETag, immutable caching
and nosniff, sizes made by the job runner of a running server, an
article's image drawn with <picture>, srcset, width and height (lazy in
lists, not on its own page) and Open Graph's largest size, the alt-text
rule through `masthead article add`, and the demo's media/ files as
before. PostgreSQL needs the cluster of scripts/pg-test
(MASTHEAD_TEST_PG_URL); without it the test FAILS.
Usage: test_media_library.py PATH/TO/masthead PATH/TO/make_image
"""
import html.parser
import os
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
MAKE_IMAGE = sys.argv[2] if len(sys.argv) > 2 else ""
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
STAMP = str(os.getpid())
FILES = harness.tempdir()


def mh(*args, timeout=120):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def make_image(w, h, fmt, name):
    path = os.path.join(FILES, name)
    p = harness.run([MAKE_IMAGE, str(w), str(h), fmt, path])
    if p.returncode != 0:
        raise CaseFailed(f"make_image {w} {h} {fmt}: {p.stderr}")
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def jpeg_size(b):
    """(width, height) from a JPEG's SOF marker."""
    i = 2
    while i + 9 < len(b):
        if b[i] != 0xFF:
            raise CaseFailed("not a JPEG marker")
        marker, length = b[i + 1], struct.unpack(">H", b[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", b[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise CaseFailed("no SOF in the JPEG")


def webp_size(b):
    """(width, height) of a lossy or lossless WebP."""
    if b[:4] != b"RIFF" or b[8:12] != b"WEBP":
        raise CaseFailed(f"not a WebP: {b[:16]!r}")
    kind = b[12:16]
    if kind == b"VP8 ":
        w, h = struct.unpack("<HH", b[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if kind == b"VP8L":
        v = struct.unpack("<I", b[21:25])[0]
        return (v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1
    if kind == b"VP8X":
        return 1 + int.from_bytes(b[24:27], "little"), 1 + int.from_bytes(b[27:30], "little")
    raise CaseFailed(f"unknown WebP chunk {kind!r}")


class Imgs(html.parser.HTMLParser):
    """Every <img> and <source> with its attributes, and <meta property>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.imgs, self.sources, self.meta = [], [], {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "source":
            self.sources.append(a)
        elif tag == "meta" and "property" in a:
            self.meta[a["property"]] = a.get("content")


def refuses(p, code, *needles, what=""):
    t.true(p.returncode == code, f"{what}: exit {p.returncode}, expected {code}; stderr {p.stderr!r}")
    for n in needles:
        t.true(n in p.stderr, f"{what}: stderr {p.stderr.strip()!r} does not name {n!r}")


def article_file(slug, image, alt, status="published"):
    path = os.path.join(FILES, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n"
                f"headline: Tram depot reopens {slug}\n"
                f"slug: {slug}\n"
                "section: news\n"
                f"image: {image}\n"
                + (f"image_alt: {alt}\n" if alt else "")
                + f"status: {status}\n"
                "---\n"
                "The depot on Quay Street is open again.\n")
    return path


def run_backend(label, database):
    def case(name):
        return t.case(f"[{label}] {name}")

    site = os.path.join(harness.tempdir(), "site")
    args = ["demo", "--articles", "20"] + (["--database", database] if database else []) + [site]
    p = mh(*args, timeout=300)
    if p.returncode != 0:
        t.bail(f"[{label}] cannot make a demo site: {p.stderr}")
    ini = os.path.join(site, "site.ini")
    base_url = harness.ini_get(ini, "site", "base_url")
    srv = harness.Server(BIN, site).start()
    photo = make_image(1200, 800, "jpg", f"photo-{label}.jpg")
    small = make_image(300, 200, "png", f"small-{label}.png")
    try:
        with case("usage: media without a command, add without a file, unknown command exit 2"):
            refuses(mh("media", "--site", site), 2, "a command is needed", what="media")
            refuses(mh("media", "add", "--site", site), 2, "expected one FILE", what="add")
            refuses(mh("media", "frobnicate", "--site", site), 2, "unknown command", what="frobnicate")
            refuses(mh("media", "list", "--site", site, "--alt", "x"), 2, "--alt goes with add", what="list --alt")
            p = mh("media", "--help")
            t.eq(p.returncode, 0)
            t.contains(p.stdout, "add FILE [--alt TEXT]")

        with case("media add prints the address for image:, the same bytes twice are one item"):
            p = mh("media", "add", "--site", site, photo, "--alt", "A tram at the depot")
            t.eq(p.returncode, 0, p.stderr)
            m = re.search(r"^image: (/media/([0-9a-f]{32})\.jpg)$", p.stdout, re.M)
            t.true(m is not None, f"no address in {p.stdout!r}")
            addr, stem = m.group(1), m.group(2)
            t.contains(p.stdout, "1200 x 800")
            p = mh("media", "add", "--site", site, photo)
            t.eq(p.returncode, 0, p.stderr)
            t.contains(p.stdout, f"image: {addr}")
            p = mh("media", "add", "--site", site, small)
            t.eq(p.returncode, 0, p.stderr)
            small_addr = re.search(r"^image: (\S+)$", p.stdout, re.M).group(1)
            p = mh("media", "list", "--site", site)
            t.eq(p.returncode, 0, p.stderr)
            t.eq(len(p.stdout.strip().splitlines()), 3, f"a header and two items: {p.stdout!r}")
            t.contains(p.stdout, "1200x800")
            t.contains(p.stdout, "A tram at the depot")

        with case("refused files name the problem and store nothing"):
            svg = os.path.join(FILES, "evil.svg")
            with open(svg, "w") as f:
                f.write('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
            fake = os.path.join(FILES, "fake.jpg")
            with open(fake, "w") as f:
                f.write("<html><script>alert(1)</script></html>")
            cut = os.path.join(FILES, "cut.jpg")
            with open(cut, "wb") as f:
                f.write(read(photo)[:len(read(photo)) // 2])
            refuses(mh("media", "add", "--site", site, svg), 1, "not a JPEG, PNG, WebP or GIF image", what="svg")
            refuses(mh("media", "add", "--site", site, fake), 1, "not a JPEG, PNG, WebP or GIF image",
                    what="html named .jpg")
            refuses(mh("media", "add", "--site", site, cut), 1, "could not be", what="a cut-off JPEG")
            refuses(mh("media", "add", "--site", site, os.path.join(FILES, "missing.png")), 1, "missing.png",
                    what="no such file")
            harness.ini_set(ini, "media", "max_upload", "1k")
            refuses(mh("media", "add", "--site", site, make_image(640, 480, "jpg", f"big-{label}.jpg")), 1,
                    "max_upload", what="over max_upload")
            harness.ini_set(ini, "media", "max_upload", "20m")
            p = mh("media", "list", "--site", site)
            t.eq(len(p.stdout.strip().splitlines()), 3, f"still two items: {p.stdout!r}")

        with case("the original is served from the database: bytes, type, ETag, immutable, nosniff, 304"):
            r = srv.get(addr)
            t.eq(r.status, 200)
            t.true(r.body == read(photo), "the very bytes added")
            t.eq(r.header("content-type"), "image/jpeg")
            t.eq(r.header("x-content-type-options"), "nosniff")
            t.contains(r.header("cache-control"), "immutable")
            t.contains(r.header("cache-control"), "max-age=31536000")
            etag = r.header("etag")
            t.true(etag and stem in etag, f"etag {etag!r}")
            r = srv.get(addr, headers={"If-None-Match": etag})
            t.eq(r.status, 304)
            r = srv.get(addr, headers={"Range": "bytes=2-11"})
            t.eq(r.status, 206, "a byte range")
            t.true(r.body == read(photo)[2:12], "the range's bytes")
            t.eq(r.header("content-range"), f"bytes 2-11/{len(read(photo))}")
            r = srv.get(addr, headers={"Range": "bytes=2-11", "If-Range": '"stale"'})
            t.eq(r.status, 200, "If-Range with another ETag: the whole image")
            r = srv.get(small_addr)
            t.eq(r.status, 200)
            t.eq(r.header("content-type"), "image/png")
            t.true(r.body == read(small), "the PNG's bytes")

        with case("the running server's job makes every size; each is served with its type and width"):
            def sizes_made():
                rows = mh("jobs", "list", "--site", site, "--state", "done").stdout
                return True if rows.count("media_sizes") >= 2 else rows
            end = time.monotonic() + 60
            while sizes_made() is not True:
                if time.monotonic() > end:
                    raise CaseFailed(f"media_sizes jobs not done: {sizes_made()}")
                time.sleep(0.2)
            for w in (480, 960):
                r = srv.get(f"/media/w{w}/{stem}.webp")
                t.eq(r.status, 200, f"w{w} webp")
                t.eq(r.header("content-type"), "image/webp")
                t.eq(r.header("x-content-type-options"), "nosniff")
                t.contains(r.header("cache-control"), "immutable")
                t.eq(webp_size(r.body), (w, w * 2 // 3), f"w{w} webp pixels")
                r = srv.get(f"/media/w{w}/{stem}.jpg")
                t.eq(r.status, 200, f"w{w} jpg")
                t.eq(r.header("content-type"), "image/jpeg")
                t.eq(jpeg_size(r.body), (w, w * 2 // 3), f"w{w} jpg pixels")
                again = srv.get(f"/media/w{w}/{stem}.jpg", headers={"If-None-Match": r.header("etag")})
                t.eq(again.status, 304)
            r = srv.get(f"/media/w1600/{stem}.webp")
            t.eq(r.status, 404, "never upscaled: 1200 wide has no 1600")
            t.contains(r.text(), "below its own width (1200)")
            t.eq(srv.get(f"/media/w960/{stem}.png").status, 404, "neither WebP nor its own format")
            t.eq(srv.get(f"/media/w500/{stem}.webp").status, 404, "not a size we make")
            t.eq(srv.get("/media/" + "0" * 32 + ".jpg").status, 404, "no such item")

        with case("an article's stored image: <picture>, srcset, width/height, eager on its page, og:image"):
            slug = f"depot-{label}-{STAMP}"
            p = mh("article", "add", "--site", site, article_file(slug, addr, "A tram at the depot"))
            t.eq(p.returncode, 0, p.stderr)
            r = srv.get(f"/articles/{slug}")
            t.eq(r.status, 200)
            page = Imgs(r.text())
            imgs = [i for i in page.imgs if i.get("src") == addr]
            t.eq(len(imgs), 1, f"the lead image once: {page.imgs}")
            img = imgs[0]
            t.eq(img.get("width"), "1200")
            t.eq(img.get("height"), "800")
            t.eq(img.get("alt"), "A tram at the depot")
            t.true("loading" not in img, "the article's own lead image is not lazy")
            t.eq(img.get("srcset"), f"/media/w480/{stem}.jpg 480w, /media/w960/{stem}.jpg 960w, {addr} 1200w")
            t.true(img.get("sizes"), "sizes is set")
            webp = [s for s in page.sources if s.get("type") == "image/webp"]
            t.eq(len(webp), 1, f"one WebP source: {page.sources}")
            t.eq(webp[0].get("srcset"), f"/media/w480/{stem}.webp 480w, /media/w960/{stem}.webp 960w")
            t.eq(page.meta.get("og:image"), f"{base_url}/media/w960/{stem}.jpg")
            t.eq(page.meta.get("og:image:width"), "960")
            t.eq(page.meta.get("og:image:height"), "640")
            for u in img["srcset"].split(", ") + webp[0]["srcset"].split(", "):
                t.eq(srv.get(u.split(" ")[0]).status, 200, f"srcset entry {u}")
            r = srv.get("/section/news")
            t.eq(r.status, 200)
            cards = [i for i in Imgs(r.text()).imgs if i.get("src") == addr]
            t.eq(len(cards), 1, "the section front shows it")
            t.eq(cards[0].get("loading"), "lazy", "lazy in a list")
            t.eq(cards[0].get("width"), "1200")

        with case("publishing an image without its description is refused; a draft may wait"):
            slug = f"no-alt-{label}-{STAMP}"
            refuses(mh("article", "add", "--site", site, article_file(slug, addr, "")), 1, "image_alt",
                    what="published without alt")
            t.eq(srv.get(f"/articles/{slug}").status, 404, "nothing was stored")
            p = mh("article", "add", "--site", site, article_file(slug, addr, "", status="draft"))
            t.eq(p.returncode, 0, p.stderr)

        with case("media remove is refused while an article shows it, naming the articles"):
            name = addr[len("/media/"):]
            refuses(mh("media", "remove", "--site", site, name), 1, f"depot-{label}-{STAMP}", f"no-alt-{label}-{STAMP}",
                    what="remove a used image")
            t.eq(srv.get(addr).status, 200, "still served")
            p = mh("media", "remove", "--site", site, small_addr)
            t.eq(p.returncode, 0, p.stderr)
            t.eq(srv.get(small_addr).status, 404, "a removed item is gone")
            refuses(mh("media", "remove", "--site", site, small_addr), 1, "no media item", what="remove twice")

        with case("a PNG with a script after its end is kept and served as an image only"):
            poly = os.path.join(FILES, f"poly-{label}.png")
            with open(poly, "wb") as f:
                f.write(read(make_image(20, 20, "png", f"p-{label}.png")) + b"<script>alert(1)</script>")
            p = mh("media", "add", "--site", site, poly)
            t.eq(p.returncode, 0, p.stderr)
            paddr = re.search(r"^image: (\S+)$", p.stdout, re.M).group(1)
            r = srv.get(paddr)
            t.eq(r.header("content-type"), "image/png")
            t.eq(r.header("x-content-type-options"), "nosniff")

        with case("the demo's files in media/ are served as before"):
            r = srv.get("/media/demo/illustration-01.svg")
            t.eq(r.status, 200)
            t.eq(r.header("content-type"), "image/svg+xml")

        with case("the server stops cleanly (under ASan: nothing leaked)"):
            rc = srv.stop()
            t.eq(rc, 0, f"exit code; stderr tail {srv.stderr()[-2000:]!r}")
    finally:
        srv.stop()


if not os.access(MAKE_IMAGE, os.X_OK):
    t.bail(f"no make_image helper at {MAKE_IMAGE!r} (tests/media/meson.build builds it)")
run_backend("sqlite", None)
with t.case("[postgres] the cluster is there (MASTHEAD_TEST_PG_URL)"):
    t.true(PG != "", "MASTHEAD_TEST_PG_URL is not set: the media library was NOT tested on PostgreSQL "
           "(start a cluster with scripts/pg-test start, or run scripts/run-tests)")
if PG:
    db = f"mh_e2e_media_{STAMP}"
    base = PG.rsplit("/", 1)[0]
    p = subprocess.run(["psql", "-X", "-qAt", PG, "-c", f"CREATE DATABASE {db}"], capture_output=True, text=True)
    if p.returncode != 0:
        t.bail(f"cannot create a PostgreSQL database: {p.stderr}")
    try:
        run_backend("postgres", f"{base}/{db}")
    finally:
        subprocess.run(["psql", "-X", "-qAt", PG, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                       capture_output=True, text=True)
t.done()
