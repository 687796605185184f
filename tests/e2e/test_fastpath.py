#!/usr/bin/env python3
"""E2E: what a cold page costs the database (issue 6's fast path), on SQLite
and then PostgreSQL. With the page cache off every request renders; the
server's /metrics counts the statements each route's pages ran
(masthead_db_statements_total), and each kind of page is held to its count:
an article page is its sections, the article, its stream, the bylines and
tags of all four at once, its view total (issue 8: the page shows it as of
the render) and, when any card shows a stored image, those images with one
statement. A page that reads more again fails here. With
the cache on, a cached page runs none. PostgreSQL needs the cluster of
scripts/pg-test (MASTHEAD_TEST_PG_URL); without it the test FAILS.
Usage: test_fastpath.py PATH/TO/masthead PATH/TO/make_image
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
MAKE_IMAGE = sys.argv[2] if len(sys.argv) > 2 else ""
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
STAMP = str(os.getpid())
FILES = harness.tempdir()

# What each kind of page may run (sections are read by every page).
SECTIONS = 1
RELATIONS = 2  # the authors and the tags of every article on the page
MEDIA = 1      # the stored images of every card on the page
VIEWS = 1      # an article page's view total as of the render (issue 8)
COMMENTS = 1   # an article page's comment count and whether it is closed (issue 8; its list only when any)


def mh(*args, timeout=120):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def statements(srv):
    """masthead_db_statements_total by route."""
    r = srv.get("/metrics")
    t.eq(r.status, 200, "/metrics from loopback")
    got = {m.group(1): int(m.group(2))
           for m in re.finditer(r'^masthead_db_statements_total\{route="([^"]*)"\} (\d+)$', r.text(), re.M)}
    t.true("/articles/" in got, f"no masthead_db_statements_total for /articles/ in {r.text()[:2000]!r}")
    return got


def cost(srv, path, route, status=200):
    """The statements one request for path ran (its route's counter's rise;
    nothing else runs pages meanwhile)."""
    before = statements(srv)
    r = srv.get(path)
    t.eq(r.status, status, f"GET {path}")
    after = statements(srv)
    others = {k: after[k] - before.get(k, 0) for k in after if k != route and after[k] != before.get(k, 0)}
    t.true(not others, f"GET {path} counted under other routes too: {others}")
    return after[route] - before.get(route, 0), r


def add_image(site, w, h, fmt, name):
    path = os.path.join(FILES, name)
    p = harness.run([MAKE_IMAGE, str(w), str(h), fmt, path])
    if p.returncode != 0:
        raise CaseFailed(f"make_image {w} {h} {fmt}: {p.stderr}")
    p = mh("media", "add", "--site", site, path, "--alt", f"Picture {name}")
    t.eq(p.returncode, 0, p.stderr)
    m = re.search(r"^image: (/media/[0-9a-f]{32}\.(?:jpg|png))$", p.stdout, re.M)
    t.true(m is not None, f"no address in {p.stdout!r}")
    return m.group(1)


def add_article(site, slug, image):
    path = os.path.join(FILES, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n"
                f"headline: Ferry timetable {slug}\n"
                f"slug: {slug}\n"
                "section: news\n"
                f"image: {image}\n"
                "image_alt: The ferry at the pier\n"
                "status: published\n"
                "---\n"
                "The winter timetable starts on Monday.\n")
    p = mh("article", "add", "--site", site, path)
    t.eq(p.returncode, 0, p.stderr)


def run_backend(label, database):
    def case(name):
        return t.case(f"[{label}] {name}")

    site = os.path.join(harness.tempdir(), "site")
    args = ["demo", "--articles", "60"] + (["--database", database] if database else []) + [site]
    p = mh(*args, timeout=300)
    if p.returncode != 0:
        t.bail(f"[{label}] cannot make a demo site: {p.stderr}")
    ini = os.path.join(site, "site.ini")
    harness.ini_set(ini, "cache", "enabled", "false")
    photo = add_image(site, 640, 427, "jpg", f"photo-{label}.jpg")
    chart = add_image(site, 400, 300, "png", f"chart-{label}.png")
    # the three newest articles, each with a stored image: an article page's
    # stream and the home page show all three
    slugs = [f"ferry-{label}-{STAMP}-{i}" for i in range(3)]
    for slug, image in zip(slugs, (photo, chart, photo)):
        add_article(site, slug, image)
    newest = slugs[-1]
    srv = harness.Server(BIN, site).start()
    try:
        # an author and a tag of the demo, from the newest demo article's page
        demo = [s for s in re.findall(r'href="/articles/([a-z0-9-]+)"', srv.get("/section/news").text())
                if not s.startswith("ferry-")]
        if not demo:
            t.bail(f"[{label}] News lists no demo article")
        text = srv.get(f"/articles/{demo[0]}").text()
        author = re.search(r'href="/author/([a-z0-9-]+)"', text)
        tag = re.search(r'href="/tag/([a-z0-9-]+)"', text)
        if author is None or tag is None:
            t.bail(f"[{label}] /articles/{demo[0]} links no author or no tag")
        author, tag = author.group(1), tag.group(1)

        with case("an article page with stored images on four cards: 8 statements, the images in one"):
            n, r = cost(srv, f"/articles/{newest}", "/articles/")
            t.eq(n, SECTIONS + 1 + 1 + RELATIONS + VIEWS + COMMENTS + MEDIA,
                 "sections, the article, its stream, bylines+tags of all four, its views, its comments, the images of all four")
            # the stream's cards still show their stored images (width and
            # srcset come from the media rows read in that one statement)
            t.contains(r.text(), f'srcset="{chart} 400w"', "the stream's PNG card, from the batch")
            t.true(r.text().count('width="640"') >= 2, "the article's own image and a stream card's")

        with case("an article page without stored images: 7 statements"):
            old = re.findall(r'href="/articles/([a-z0-9-]+)"', srv.get("/section/news").text())
            old = [s for s in old if not s.startswith("ferry-")]
            t.true(len(old) > 0, "a demo article in News")
            n, _ = cost(srv, f"/articles/{old[-1]}", "/articles/")
            t.eq(n, SECTIONS + 1 + 1 + RELATIONS + VIEWS + COMMENTS,
                 "sections, the article, its stream, bylines+tags, its views, its comments")

        with case("the home page: both lists' bylines, tags and images at once: 6 statements"):
            n, _ = cost(srv, "/", "/")
            t.eq(n, SECTIONS + 2 + RELATIONS + MEDIA, "sections, latest, picks, bylines+tags, images")

        with case("a section's first page: 5 statements; an older page 5 (its newer list has no bylines)"):
            n, r = cost(srv, "/section/news", "/section/")
            t.eq(n, SECTIONS + 1 + RELATIONS + MEDIA, "sections, the list, bylines+tags, images")
            older = re.search(r'href="(/section/news\?before=\d+-\d+)"', r.text())
            t.true(older is not None, "an Older link on News (60 demo articles)")
            n, _ = cost(srv, older.group(1).replace("&amp;", "&"), "/section/")
            t.eq(n, SECTIONS + 1 + 1 + RELATIONS, "sections, the list, the newer list's cursors, bylines+tags")

        with case("an author's and a tag's page: 5 statements each"):
            n, _ = cost(srv, f"/author/{author}", "/author/")
            t.true(n in (SECTIONS + 1 + 1 + RELATIONS, SECTIONS + 1 + 1 + RELATIONS + MEDIA),
                   f"the author, the list, bylines+tags (and images): {n}")
            n, _ = cost(srv, f"/tag/{tag}", "/tag/")
            t.true(n in (SECTIONS + 1 + 1 + RELATIONS, SECTIONS + 1 + 1 + RELATIONS + MEDIA),
                   f"the tag, the list, bylines+tags (and images): {n}")

        with case("the stream after an article: 6 statements (no byline read for the article itself)"):
            n, _ = cost(srv, f"/stream/{newest}", "/stream/")
            t.eq(n, SECTIONS + 1 + 1 + RELATIONS + MEDIA, "sections, the article's row, the batch, bylines+tags, images")

        with case("a missing article: sections, the slug, the old slugs; then the error page"):
            n, _ = cost(srv, "/articles/no-such-article-here", "/articles/", status=404)
            t.eq(n, SECTIONS + 2, "sections, the article by slug, the old addresses")
    finally:
        srv.stop()

    harness.ini_set(ini, "cache", "enabled", "true")
    srv = harness.Server(BIN, site).start()
    try:
        with case("with the page cache on, a cached page runs no statement"):
            n, _ = cost(srv, f"/articles/{newest}", "/articles/")
            t.eq(n, SECTIONS + 1 + 1 + RELATIONS + VIEWS + COMMENTS + MEDIA, "the first request renders")
            n, r = cost(srv, f"/articles/{newest}", "/articles/")
            t.eq(n, 0, "the second is the cache's")
            t.contains(r.text(), f'srcset="{chart} 400w"', "the same page")

        with case("the server stops cleanly (under ASan: nothing leaked)"):
            rc = srv.stop()
            t.eq(rc, 0, f"exit code; stderr tail {srv.stderr()[-2000:]!r}")
    finally:
        srv.stop()


if not os.access(MAKE_IMAGE, os.X_OK):
    t.bail(f"no make_image helper at {MAKE_IMAGE!r} (tests/media/meson.build builds it)")
run_backend("sqlite", None)
with t.case("[postgres] the cluster is there (MASTHEAD_TEST_PG_URL)"):
    t.true(PG != "", "MASTHEAD_TEST_PG_URL is not set: page costs were NOT checked on PostgreSQL "
           "(start a cluster with scripts/pg-test start, or run scripts/run-tests)")
if PG:
    db = f"mh_e2e_fastpath_{STAMP}"
    p = subprocess.run(["psql", "-X", "-qAt", PG, "-c", f"CREATE DATABASE {db}"], capture_output=True, text=True)
    if p.returncode != 0:
        t.bail(f"cannot create a PostgreSQL database: {p.stderr}")
    try:
        run_backend("postgres", f"{PG.rsplit('/', 1)[0]}/{db}")
    finally:
        subprocess.run(["psql", "-X", "-qAt", PG, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                       capture_output=True, text=True)
t.done()
