#!/usr/bin/env python3
"""E2E: article states and changes — withdrawn (410), unpublished (404), and
invalidation: a changed article shows on its page, its section front, home,
author and tag pages, and nowhere stale.
Usage: test_content.py PATH/TO/masthead
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=40)
    srv = harness.Server(BIN, SITE).start()
except Exception as e:
    t.bail(f"cannot start a demo site: {e}")

PUBLISHED = "status = 'published' AND published_at <= CAST(strftime('%s','now') AS INTEGER)"
try:
    ROWS = harness.db_query(SITE, f"SELECT id, slug, headline FROM articles WHERE {PUBLISHED} "
                                  f"ORDER BY published_at DESC, id DESC")
except Exception as e:
    t.bail(f"cannot read the demo database: {e}")
if len(ROWS) < 10:
    t.bail(f"only {len(ROWS)} published demo articles")
# Articles of the middle of Latest: never fetched before the DB is edited
# under them. The server caches rendered pages, so editing the DB behind its
# back is only seen for URLs not yet cached (or after a restart); these
# cases use fresh slugs for that reason.
withdrawn, draft, future = ROWS[-2]["slug"], ROWS[-3]["slug"], ROWS[-4]["slug"]

def pages_of(slug):
    """The article page and the listings that show it: section front, home,
    Latest, its first author's page and first tag's page."""
    art = srv.page(f"/articles/{slug}")
    urls = [f"/articles/{slug}", "/", "/section/latest"]
    for h, _ in art.links:
        p = harness.local_path(h) or ""
        if re.fullmatch(r"/section/[a-z0-9-]+", p) and p not in urls and p not in (
                "/section/latest", "/section/staff-picks"):
            sec = harness.db_query(SITE, "SELECT s.slug FROM sections s JOIN articles a ON a.section_id = s.id "
                                         "WHERE a.slug = ?", (slug,))
            if sec and p == f"/section/{sec[0]['slug']}":
                urls.append(p)
    urls += [f"/author/{art.slugs('author')[0]}", f"/tag/{art.slugs('tag')[0]}"]
    return urls


def poll(fn, secs=5.0):
    """Calls fn until it returns a true value or secs pass; returns the last value.
    The CLI promises a running server shows a change within a second; the
    margin is for a loaded test machine."""
    deadline = time.monotonic() + secs
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)


def check_themed_410(r, slug):
    t.eq(r.status, 410, f"GET /articles/{slug}")
    t.true((r.header("Content-Type") or "").startswith("text/html"), f"Content-Type {r.header('Content-Type')}")
    p = harness.Page(r.text())
    t.true("/section/latest" in p.hrefs(), "410 page lacks the site navigation (not themed)")
    t.true(re.search(r"Gone|removed|withdrawn|no longer", p.text, re.I), f"410 page text {p.text[:300]!r}")


def linked_from(urls, slug):
    return [u for u in urls if slug in harness.Page(srv.get(u).text()).slugs("articles")]


unpub = ROWS[0]["slug"]  # the newest: on home, Latest and its listings' first pages
with t.case("unpublish while serving: the cached article page answers 410 (themed) within a second"):
    urls = pages_of(unpub)
    t.true(len(urls) >= 6, f"could not find all listing pages: {urls}")
    t.eq(linked_from(urls[1:], unpub), urls[1:], "listings linking the article before")
    p = harness.run([BIN, "article", "unpublish", "--site", SITE, unpub])
    t.eq(p.returncode, 0, f"article unpublish (stderr {p.stderr!r})")
    t0 = time.monotonic()
    r = poll(lambda: (lambda r: r if r.status == 410 else None)(srv.get(f"/articles/{unpub}")))
    t.true(r, f"/articles/{unpub} not 410 {time.monotonic() - t0:.1f}s after unpublish "
              f"(got {srv.get(f'/articles/{unpub}').status})")
    check_themed_410(r, unpub)
    t.eq(srv.head(f"/articles/{unpub}").status, 410, "HEAD")

with t.case("unpublish: no listing that showed the article still links it"):
    stale = poll(lambda: not linked_from(urls[1:], unpub)) or linked_from(urls[1:], unpub)
    t.true(stale is True, f"still linked from {stale}")
    t.eq(srv.get(f"/stream/{ROWS[1]['slug']}").status, 200, "a stream")

with t.case("publish again: the article is back on its page and on Latest"):
    p = harness.run([BIN, "article", "publish", "--site", SITE, unpub])
    t.eq(p.returncode, 0, f"article publish (stderr {p.stderr!r})")
    r = poll(lambda: (lambda r: r if r.status == 200 else None)(srv.get(f"/articles/{unpub}")))
    t.true(r, f"/articles/{unpub} not back to 200")
    t.true(poll(lambda: unpub in harness.Page(srv.get("/section/latest").text()).slugs("articles")),
           "not back on /section/latest")

with t.case("a withdrawn article edited in the DB (status draft, was_published) answers 410"):
    # the server caches pages: a slug never fetched before is used, as a
    # change made behind the server's back is only seen on a cache miss
    n = harness.db_write(SITE, "UPDATE articles SET status = 'draft', was_published = 1 WHERE slug = ?",
                         (withdrawn,))
    t.eq(n, 1, "rows updated")
    check_themed_410(srv.get(f"/articles/{withdrawn}"), withdrawn)

with t.case("a draft that was never published answers 404"):
    harness.db_write(SITE, "UPDATE articles SET status = 'draft', was_published = 0 WHERE slug = ?", (draft,))
    t.eq(srv.get(f"/articles/{draft}").status, 404, f"GET /articles/{draft}")

with t.case("an article published in the future answers 404 until then"):
    harness.db_write(SITE, "UPDATE articles SET published_at = CAST(strftime('%s','now') AS INTEGER) + 86400 "
                           "WHERE slug = ?", (future,))
    t.eq(srv.get(f"/articles/{future}").status, 404, f"GET /articles/{future}")


with t.case("a changed headline shows everywhere after a restart (no stale page survives it)"):
    slug = ROWS[0]["slug"]  # the newest: on home, Latest, its front, author and tag page 1
    urls = pages_of(slug)
    t.true(len(urls) >= 6, f"could not find all listing pages: {urls}")
    for u in urls:  # warm the cache
        t.eq(srv.get(u).status, 200, f"GET {u}")
    new = f"Changed Headline {int(time.time())}"
    harness.db_write(SITE, "UPDATE articles SET headline = ? WHERE slug = ?", (new, slug))
    t.eq(srv.restart(), 0, "exit code of the restarted server")
    for u in urls:
        t.contains(harness.Page(srv.get(u).text()).text, new, f"GET {u}")


def article_file(slug, headline):
    """The article as a front matter + Markdown file, from the DB."""
    a = harness.db_query(SITE, "SELECT a.*, s.slug AS section_slug FROM articles a "
                               "JOIN sections s ON s.id = a.section_id WHERE a.slug = ?", (slug,))[0]
    authors = [r["slug"] for r in harness.db_query(
        SITE, "SELECT au.slug FROM authors au JOIN article_authors aa ON aa.author_id = au.id "
              "JOIN articles a ON a.id = aa.article_id WHERE a.slug = ? ORDER BY aa.position", (slug,))]
    tags = [r["name"] for r in harness.db_query(
        SITE, "SELECT tg.name FROM tags tg JOIN article_tags at ON at.tag_id = tg.id "
              "JOIN articles a ON a.id = at.article_id WHERE a.slug = ?", (slug,))]
    # no publish_at: an update keeps the article's date (and so its place in Latest)
    quoted = ", ".join('"' + n.replace('"', '') + '"' for n in tags)
    fm = [f"slug: {slug}", f"headline: {headline}", f"dek: {a['dek']}", f"section: {a['section_slug']}",
          f"authors: {', '.join(authors)}", f"tags: [{quoted}]", "status: published"]
    if a["via_url"]:
        fm.append(f"via: {a['via_name']} <{a['via_url']}>")
    if a["image_url"]:
        fm += [f"image: {a['image_url']}", f"image_alt: {a['image_alt']}"]
    if a["staff_pick"]:
        fm.append("staff_pick: true")
    return "---\n" + "\n".join(fm) + "\n---\n\n" + a["body_md"]


with t.case("invalidation: `masthead article update` shows on the page and its fronts at once, nowhere stale"):
    # Change an article's headline while the server runs, after its page and
    # every listing showing it were cached: each must show the new headline
    # within a second, and none may still carry the old one.
    slug = ROWS[1]["slug"]
    old = ROWS[1]["headline"]
    urls = pages_of(slug)
    for u in urls:
        t.eq(srv.get(u).status, 200, f"warm GET {u}")
    new = f"Updated Live {int(time.time())}"
    when = harness.db_query(SITE, "SELECT published_at FROM articles WHERE slug = ?", (slug,))[0]["published_at"]
    f = os.path.join(harness.tempdir(), f"{slug}.md")
    with open(f, "w", encoding="utf-8") as fh:
        fh.write(article_file(slug, new))
    p = harness.run([BIN, "article", "update", "--site", SITE, f])
    t.eq(p.returncode, 0, f"article update (stderr {p.stderr!r})")
    t.eq(harness.db_query(SITE, "SELECT published_at FROM articles WHERE slug = ?", (slug,))[0]["published_at"],
         when, "published_at after an update without publish_at")
    for u in urls:
        text = poll(lambda: (lambda x: x if new in x else None)(harness.Page(srv.get(u).text()).text)) \
            or harness.Page(srv.get(u).text()).text  # unescaped, so &#39; and ' compare equal
        t.contains(text, new, f"GET {u}")
        t.absent(text, old, f"GET {u} (stale headline)")


with t.case("server exits 0 on SIGTERM"):
    t.eq(srv.stop(), 0, "exit code")

t.done()
