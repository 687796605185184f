#!/usr/bin/env python3
"""E2E: the store's rule on addresses, through the CLI. `masthead article
add FILE.md` with an image or a via address that is not http(s)://host... or
a site path (javascript:, data:, //host, a relative path, spaces) exits 1
with FILE:LINE naming the field and why, and stores nothing; the same file
with a good address is stored as given.
Usage: test_store_rules.py PATH/TO/masthead
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=10)
except Exception as e:
    t.bail(f"cannot make a demo site: {e}")

FILES = harness.tempdir()
STAMP = str(int(time.time()))
AUTHOR = harness.db_query(SITE, "SELECT slug FROM authors ORDER BY id LIMIT 1")[0]["slug"]


def mh(*args, timeout=60):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def article_file(slug, image=None, via=None):
    """A valid published article; image and via go on lines 7 and 8."""
    lines = ["---",
             f"headline: Addresses checked {slug}",
             f"slug: {slug}",
             "section: news",
             f"authors: [{AUTHOR}]",
             "status: published",
             f"image: {image}" if image is not None else "staff_pick: false",
             f"via: {via}" if via is not None else "dek: no source",
             # a published article's image needs its description (after
             # lines 7 and 8, which the messages below name)
             *(["image_alt: A sketch of the harbour"] if image is not None else []),
             "---",
             "A body."]
    path = os.path.join(FILES, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def stored(slug):
    return harness.db_query(SITE, "SELECT image_url, via_url FROM articles WHERE slug = ?", (slug,))


BAD_IMAGES = ["javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz4=", "//evil.example/x.svg",
              "relative/picture.svg", "https://", "vbscript:x", "/media/\\evil.svg", "https://example.org/a b.svg"]
BAD_VIA = ["Harbour Radio <javascript:alert(document.cookie)>", "Harbour Radio <//evil.example/story>",
           "Harbour Radio <ftp://example.org/story>", "Harbour Radio <story.html>"]

with t.case("article add: a bad image address names image: and is not stored"):
    n_before = harness.db_query(SITE, "SELECT count(*) AS n FROM articles")[0]["n"]
    for i, bad in enumerate(BAD_IMAGES):
        slug = f"bad-image-{i}-{STAMP}"
        path = article_file(slug, image=bad)
        p = mh("article", "add", "--site", SITE, path)
        t.eq(p.returncode, 1, f"exit for image {bad!r} (stderr {p.stderr!r})")
        t.contains(p.stderr, f"{path}:7: image:", f"stderr for image {bad!r}")
        t.true(any(w in p.stderr for w in ("must be an http:// or https:// address", "must not contain",
                                           "has no host")),
               f"stderr for image {bad!r} says why: {p.stderr!r}")
        t.eq(stored(slug), [], f"nothing stored for image {bad!r}")
    t.eq(harness.db_query(SITE, "SELECT count(*) AS n FROM articles")[0]["n"], n_before, "article count")

with t.case("article add: a bad via address names via: and is not stored"):
    for i, bad in enumerate(BAD_VIA):
        slug = f"bad-via-{i}-{STAMP}"
        path = article_file(slug, via=bad)
        p = mh("article", "add", "--site", SITE, path)
        t.eq(p.returncode, 1, f"exit for via {bad!r} (stderr {p.stderr!r})")
        t.contains(p.stderr, f"{path}:8: via:", f"stderr for via {bad!r}")
        t.eq(stored(slug), [], f"nothing stored for via {bad!r}")

with t.case("article add: good addresses are stored as given"):
    slug = f"good-addresses-{STAMP}"
    path = article_file(slug, image="/media/demo/illustration-01.svg",
                        via="Harbour Radio <https://harbourradio.example.org/lamps?x=1>")
    p = mh("article", "add", "--site", SITE, path)
    t.eq(p.returncode, 0, f"exit (stderr {p.stderr!r})")
    t.eq(stored(slug), [{"image_url": "/media/demo/illustration-01.svg",
                         "via_url": "https://harbourradio.example.org/lamps?x=1"}], "stored row")
    # and an update that would make one bad leaves the stored one alone
    article_file(slug, image="javascript:alert(1)", via="Harbour Radio <https://harbourradio.example.org/lamps?x=1>")
    p = mh("article", "update", "--site", SITE, path)
    t.eq(p.returncode, 1, f"update exit (stderr {p.stderr!r})")
    t.contains(p.stderr, f"{path}:7: image:", "update's stderr")
    t.eq(stored(slug)[0]["image_url"], "/media/demo/illustration-01.svg", "the stored address is kept")

t.done()
