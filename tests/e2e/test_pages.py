#!/usr/bin/env python3
"""E2E: every public page type answers with the right content and links.

Slugs are discovered by reading pages; the database (read-only) is the
ground truth for what a page must show (headline, dek, views, sections).
Usage: test_pages.py PATH/TO/masthead
"""
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=60)
    srv = harness.Server(BIN, SITE).start()
except Exception as e:  # no server, no point in going on
    t.bail(f"cannot start a demo site: {e}")


def dbq(sql, params=()):
    """A DB read; a failing query (schema not as assumed) fails the case:
    a page check whose expectation cannot be read checks nothing."""
    try:
        return harness.db_query(SITE, sql, params)
    except sqlite3.Error as e:
        raise CaseFailed(f"database query failed ({e}): {sql}")


PUBLISHED = "status = 'published' AND published_at <= CAST(strftime('%s','now') AS INTEGER)"
SITE_TITLE = harness.ini_get(os.path.join(SITE, "site.ini"), "site", "title") or ""
SECTION_LIMIT_PAGES = 20


def listing(path):
    """Follows rel=next from path; returns (pages as Page list, article slugs in order)."""
    pages, slugs = [], []
    url = path
    for _ in range(SECTION_LIMIT_PAGES):
        p = srv.page(url)
        pages.append(p)
        slugs += [s for s in p.slugs("articles")]
        nxt = p.rel.get("next")
        if not nxt:
            break
        url = harness.local_path(nxt[0])
    return pages, slugs


def main_slugs(p):
    """Article slugs a listing page lists, in order, without repeats."""
    out = []
    for s in p.slugs("articles"):
        if s not in out:
            out.append(s)
    return out


# ------------------------------------------------------------------ home
home = None
with t.case("home: 200 text/html; charset=utf-8 with the site title"):
    r = srv.get("/")
    t.eq(r.status, 200, "GET /")
    t.true(re.match(r"text/html;\s*charset=utf-8", (r.header("Content-Type") or "").lower()),
           f"Content-Type: {r.header('Content-Type')}")
    home = harness.Page(r.text(), "/")
    t.true(SITE_TITLE and SITE_TITLE in home.title, f"<title> {home.title!r} lacks site title {SITE_TITLE!r}")

with t.case("home: navigation links Latest, News and Staff Picks"):
    t.true(home is not None, "no home page")
    for sec in ("latest", "news", "staff-picks"):
        t.true(f"/section/{sec}" in home.hrefs(), f"no link to /section/{sec}; links: {home.hrefs()[:40]}")
    for label in ("Latest", "News", "Staff Picks"):
        t.contains(home.text, label, "home text")

latest_pages, latest = [], []
with t.case("latest: every published article once, newest first, over rel=next pages"):
    latest_pages, all_links = listing("/section/latest")
    # a listing's page may link other articles too (trending...), so take
    # the DB's list as truth and check it is covered in order.
    rows = dbq(f"SELECT slug FROM articles WHERE {PUBLISHED} ORDER BY published_at DESC, id DESC")
    want = [r["slug"] for r in rows]
    t.true(len(want) >= 40, f"demo with --articles 60 has only {len(want)} published articles")
    seen = [s for s in all_links if s in set(want)]
    dedup = []
    for s in seen:
        if s not in dedup:
            dedup.append(s)
    missing = [s for s in want if s not in dedup]
    t.true(not missing, f"{len(missing)} published articles not listed on any Latest page, e.g. {missing[:3]}")
    t.eq(dedup, want, "Latest order (newest first)")
    latest = want

with t.case("home: lead story is the newest article, and it links a staff pick"):
    t.true(latest, "Latest unknown")
    t.contains(home.slugs("articles"), latest[0], "home's article links")
    picks = srv.page("/section/staff-picks")
    pick_slugs = main_slugs(picks)
    t.true(pick_slugs, "no article on /section/staff-picks")
    t.true(any(s in home.slugs("articles") for s in pick_slugs[:5]),
           f"none of the first staff picks {pick_slugs[:5]} on home")
    t.true(len(home.slugs("articles")) >= 6, f"home links only {len(home.slugs('articles'))} articles")

with t.case("pagination: page 1 has rel=next (a ?before= cursor) and no rel=prev"):
    t.true(len(latest_pages) >= 2, f"Latest has {len(latest_pages)} page(s) for {len(latest)} articles")
    p1 = latest_pages[0]
    t.true("prev" not in p1.rel, f"page 1 has rel=prev {p1.rel.get('prev')}")
    t.true(re.search(r"/section/latest\?before=\d+-\d+$", p1.rel.get("next", [""])[0]),
           f"page 1 rel=next is {p1.rel.get('next')}")

with t.case("pagination: page 2 has rel=prev to page 1 (and rel=next unless it is the last)"):
    p2 = latest_pages[1]
    prev = p2.rel.get("prev", [""])[0]
    t.true(re.search(r"/section/latest$", prev), f"page 2 rel=prev is {prev!r}")
    if len(latest_pages) > 2:
        t.true(re.search(r"/section/latest\?before=\d+-\d+$", p2.rel.get("next", [""])[0]),
               f"page 2 rel=next is {p2.rel.get('next')}")
    t.true(not set(main_slugs(p2)[:5]) & set(main_slugs(latest_pages[0])[:5]),
           "page 2 starts with the same articles as page 1")

with t.case("pagination: the last page has no rel=next; a cursor past the oldest is 404"):
    n = len(latest_pages)
    t.true(n >= 2, "too few pages")
    last = latest_pages[-1]
    t.true("next" not in last.rel, f"last page {n} has rel=next {last.rel.get('next')}")
    t.true("prev" in last.rel, f"last page {n} has no rel=prev")
    oldest = dbq(f"SELECT id, published_at FROM articles WHERE {PUBLISHED} ORDER BY published_at, id LIMIT 1")[0]
    r = srv.get(f"/section/latest?before={oldest['published_at']}-{oldest['id']}")
    t.eq(r.status, 404, "GET past the oldest article")

with t.case("pagination: an old ?page=N link is a 301 to the ?before= page with the same articles"):
    r = srv.get("/section/latest?page=2")
    t.eq(r.status, 301, "GET /section/latest?page=2")
    t.eq(harness.local_path(r.header("Location") or ""), harness.local_path(latest_pages[0].rel["next"][0]),
         "Location of ?page=2")
    # kept by a cache in front only until the list changes: the list's key
    list_key = [k for k in (srv.get("/section/latest").header("surrogate-key") or "").split()
                if k.startswith("section:")][:1]
    t.eq((r.header("surrogate-key") or "").split()[:1], list_key, "Surrogate-Key of the 301")
    r = srv.get("/section/latest?page=1")
    t.eq((r.status, harness.local_path(r.header("Location") or "")), (301, "/section/latest"), "?page=1")
    n = len(latest_pages)
    r = srv.get(f"/section/latest?page={n + 1}")
    t.eq(r.status, 404, f"GET /section/latest?page={n + 1}")
    r = srv.get("/section/latest?page=999999")
    t.eq(r.status, 404, "GET /section/latest?page=999999")

with t.case("pagination: ?page=0, -1, abc and malformed cursors are refused with 400, never a 500"):
    for q in ("page=0", "page=-1", "page=abc", "page=1x", "page=99999999999999999999", "before=abc",
              "before=1", "before=-1-2", "before=1-", "before=0-5", "before=1-2-3", "before=1-2&page=2",
              "before=+1-2"):
        r = srv.get(f"/section/latest?{q}")
        t.eq(r.status, 400, f"?{q}")
        t.contains(r.text(), "before=", f"?{q}: the message says what is expected")

with t.case("/section/news lists only News articles, newest first"):
    p = srv.page("/section/news")
    t.contains(p.text, "News", "news front text")
    slugs = main_slugs(p)
    t.true(slugs, "no articles on /section/news")
    rows = dbq(f"SELECT a.slug FROM articles a JOIN sections s ON s.id = a.section_id "
               f"WHERE s.slug = 'news' AND a.{PUBLISHED} ORDER BY a.published_at DESC, a.id DESC")
    want = [r["slug"] for r in rows]
    listed = [s for s in slugs if s in set(want)]
    t.true(listed, f"none of {slugs[:5]} is a News article")
    t.eq(listed[:len(want[:20])], want[:20], "the first page's News articles")

with t.case("/section/staff-picks lists only staff picks"):
    p = srv.page("/section/staff-picks")
    slugs = main_slugs(p)
    rows = dbq(f"SELECT slug FROM articles WHERE staff_pick = 1 AND {PUBLISHED} "
               f"ORDER BY published_at DESC, id DESC")
    want = [r["slug"] for r in rows]
    t.true(want, "the demo has no staff picks")
    t.eq([s for s in slugs if s in set(want)][:20], want[:20], "staff picks listed")

# ------------------------------------------------------------------ an article
art_slug = None
art = None
with t.case("article: 200 with headline in <h1> and <title>, and the dek"):
    rows = dbq(f"SELECT slug, headline, dek FROM articles WHERE {PUBLISHED} "
               f"AND via_name != '' ORDER BY published_at DESC LIMIT 1")
    t.true(rows, "the demo has no published article with a Via line")
    row = rows[0]
    art_slug = row["slug"]
    t.true(art_slug in latest, f"{art_slug} not listed on Latest")
    art = srv.page(f"/articles/{art_slug}")
    t.true(any(row["headline"] == h for h in art.h1), f"<h1> {art.h1} is not the headline {row['headline']!r}")
    t.contains(art.title, row["headline"], "<title>")
    t.true(row["dek"], "article has no dek in the DB")
    t.contains(art.text, row["dek"], "page text (dek)")

with t.case("article: byline links each author to /author/SLUG"):
    t.true(art, "no article page")
    authors = [(h, txt) for h, txt in art.links if (harness.local_path(h) or "").startswith("/author/")]
    t.true(authors, "no /author/ link on the article page")
    rows = dbq("SELECT au.name FROM authors au JOIN article_authors aa ON aa.author_id = au.id "
               "JOIN articles a ON a.id = aa.article_id WHERE a.slug = ? ORDER BY aa.position", (art_slug,))
    names = [r["name"] for r in rows]
    t.true(names, "no authors in the DB")
    texts = [txt for _, txt in authors]
    for n in names:
        t.contains(texts, n, "author link texts")

with t.case("article: 'Published on <date>' with a machine-readable <time>"):
    t.true(art, "no article page")
    t.true(re.search(r"Published on\s+[A-Z][a-z]+ \d{1,2}, \d{4}", art.text),
           f"no 'Published on Month D, YYYY' in {art.text[:400]!r}")
    t.true(re.search(r'<time[^>]*datetime="\d{4}-\d\d-\d\dT', art.source), "no <time datetime=...>")

with t.case("article: body is the stored body_html"):
    t.true(art, "no article page")
    row = dbq("SELECT body_html FROM articles WHERE slug = ?", (art_slug,))[0]
    body = harness.strip_tags(row["body_html"] or "")
    t.true(len(body) > 200, f"stored body is short: {body!r}")
    for frag in (body[:60], body[len(body) // 2:len(body) // 2 + 60], body[-60:]):
        t.contains(art.text, frag.strip(), "page text (body)")

with t.case("article: Via line links the source"):
    t.true(art, "no article page")
    row = dbq("SELECT via_name, via_url FROM articles WHERE slug = ?", (art_slug,))[0]
    t.true(re.search(r"Via\s+" + re.escape(row["via_name"]), art.text), f"no 'Via {row['via_name']}' in text")
    t.true(any(h == row["via_url"] and row["via_name"] in txt for h, txt in art.links),
           f"no <a href={row['via_url']!r}>{row['via_name']}</a>")

tag_slug = None
with t.case("article: tags link /tag/SLUG"):
    t.true(art, "no article page")
    rows = dbq("SELECT tg.slug, tg.name FROM tags tg JOIN article_tags at ON at.tag_id = tg.id "
               "JOIN articles a ON a.id = at.article_id WHERE a.slug = ?", (art_slug,))
    tags = art.slugs("tag")
    if rows:
        for r in rows:
            t.contains(tags, r["slug"], "tag links")
    t.true(tags, "no /tag/ link on the article page")
    tag_slug = tags[0]

with t.case("article: Continue Reading stream follows with the next Latest articles"):
    t.true(art, "no article page")
    t.contains(art.text, "Continue Reading", "article page")
    i = latest.index(art_slug)
    nxt = latest[i + 1:i + 4]
    t.true(nxt, "article is the oldest; pick another")
    linked = art.slugs("articles")
    t.contains(linked, nxt[0], "stream links (the next Latest article)")
    t.true(re.search(r"/stream/[a-z0-9-]+", art.source), "no /stream/SLUG URL for loading more")

with t.case("article: the view count shows with a thousands separator"):
    rows = dbq(f"SELECT slug, views FROM articles WHERE {PUBLISHED} AND views >= 1000 "
               f"ORDER BY views DESC LIMIT 1")
    t.true(rows, "no demo article with >= 1000 views")
    slug, views = rows[0]["slug"], rows[0]["views"]
    p = srv.page(f"/articles/{slug}")
    want = f"{views:,} Views"
    t.contains(p.text, want, f"/articles/{slug}")

with t.case("article: a small view count has no separator (e.g. '7 Views'/'1 View' style)"):
    rows = dbq(f"SELECT slug, views FROM articles WHERE {PUBLISHED} AND views < 1000 LIMIT 1")
    t.true(rows, "no demo article with < 1000 views")
    p = srv.page(f"/articles/{rows[0]['slug']}")
    v = rows[0]["views"]
    t.true(re.search(rf"\b{v} Views?\b", p.text), f"no '{v} Views' on /articles/{rows[0]['slug']}")

with t.case("/stream/SLUG: an HTML fragment with the next articles and Continue Reading links"):
    t.true(art_slug, "no article")
    r = srv.get(f"/stream/{art_slug}")
    t.eq(r.status, 200, f"GET /stream/{art_slug}")
    t.true("<html" not in r.text().lower(), "the fragment holds a whole document (<html>)")
    frag = harness.Page(r.text())
    i = latest.index(art_slug)
    t.contains(frag.slugs("articles"), latest[i + 1], "fragment links")
    t.contains(frag.text, "Continue Reading", "fragment")
    t.true(re.match(r"text/html", r.header("Content-Type") or ""), f"Content-Type {r.header('Content-Type')}")

# ------------------------------------------------------------------ author, tag
with t.case("author page: name, and it lists the article"):
    t.true(art, "no article page")
    a_slug = art.slugs("author")[0]
    pages, slugs = listing(f"/author/{a_slug}")
    row = dbq("SELECT name FROM authors WHERE slug = ?", (a_slug,))
    if row:
        t.true(any(row[0]["name"] in h for h in pages[0].h1), f"<h1> {pages[0].h1} lacks {row[0]['name']!r}")
    t.contains(slugs, art_slug, f"/author/{a_slug} pages")

with t.case("tag page: name, and it lists the article"):
    t.true(tag_slug, "no tag")
    pages, slugs = listing(f"/tag/{tag_slug}")
    row = dbq("SELECT name FROM tags WHERE slug = ?", (tag_slug,))
    if row:
        t.contains(pages[0].text, row[0]["name"], f"/tag/{tag_slug}")
    t.contains(slugs, art_slug, f"/tag/{tag_slug} pages")

# ------------------------------------------------------------------ 404s
for path in ("/articles/no-such-article-e2e", "/section/no-such-section", "/author/no-such-author",
             "/tag/no-such-tag", "/stream/no-such-article-e2e", "/no/such/page", "/articles/"):
    with t.case(f"404 themed page for {path}"):
        r = srv.get(path)
        t.eq(r.status, 404, f"GET {path}")
        if path.startswith("/stream/"):
            continue
        t.true((r.header("Content-Type") or "").startswith("text/html"), f"Content-Type {r.header('Content-Type')}")
        p = harness.Page(r.text())
        t.true("/section/latest" in p.hrefs(), "404 page lacks the site navigation (not themed)")
        t.true(re.search(r"not found", p.text, re.I), f"404 page text lacks 'not found': {p.text[:200]!r}")

with t.case("odd article addresses answer 404, never 5xx"):
    for path in ("/articles/%E2%80%A6", "/articles/x%00y", "/articles/" + "a" * 5000, "/articles/UPPER-Case",
                 "/articles/a/b", "/section/news/extra", "/articles/%2e%2e", "/tag/" + "%ff" * 10):
        st, resp = srv.raw(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        t.true(st in (400, 404, 414), f"GET {path[:60]}: {st} {resp[:100]!r}")

# ------------------------------------------------------------------ crawl
with t.case("crawl: every same-site link and asset on home resolves (no 404/5xx)"):
    t.true(home, "no home")
    targets = home.hrefs() + [harness.local_path(a) for a in home.assets if harness.local_path(a)]
    bad = []
    for u in dict.fromkeys(targets):
        r = srv.get(u)
        if r.status != 200:
            bad.append(f"{u} -> {r.status}")
    t.true(len(targets) >= 10, f"home has only {len(targets)} links")
    t.true(not bad, "broken links from /: " + ", ".join(bad[:10]))

with t.case("crawl: every same-site link and asset on an article page resolves"):
    t.true(art, "no article page")
    targets = art.hrefs() + [harness.local_path(a) for a in art.assets if harness.local_path(a)]
    bad = []
    for u in dict.fromkeys(targets):
        r = srv.get(u)
        if r.status != 200:
            bad.append(f"{u} -> {r.status}")
    t.true(not bad, f"broken links from /articles/{art_slug}: " + ", ".join(bad[:10]))

with t.case("canonical link on article and fronts"):
    t.true(art, "no article page")
    can = art.rel.get("canonical", [""])[0]
    t.true(can.endswith(f"/articles/{art_slug}"), f"article canonical {can!r}")
    can = srv.page("/section/news").rel.get("canonical", [""])[0]
    t.true(can.endswith("/section/news"), f"news canonical {can!r}")

with t.case("server shuts down gracefully on SIGTERM (exit 0)"):
    rc = srv.stop()
    t.eq(rc, 0, f"exit code (stderr: {srv.stderr()[-500:]!r})")

t.done()
