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
from harness import CaseFailed, SkipCase  # noqa: E402

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

with t.case("a withdrawn article (published once, now unpublished) answers 410 with a themed page"):
    # no CLI to withdraw yet: edit the DB (status draft, was_published set)
    n = harness.db_write(SITE, "UPDATE articles SET status = 'draft', was_published = 1 WHERE slug = ?", (withdrawn,))
    t.eq(n, 1, "rows updated")
    r = srv.get(f"/articles/{withdrawn}")
    t.eq(r.status, 410, f"GET /articles/{withdrawn}")
    t.true((r.header("Content-Type") or "").startswith("text/html"), f"Content-Type {r.header('Content-Type')}")
    p = harness.Page(r.text())
    t.true("/section/latest" in p.hrefs(), "410 page lacks the site navigation (not themed)")
    t.true(re.search(r"Gone|removed|withdrawn|no longer", p.text, re.I), f"410 page text {p.text[:300]!r}")
    h = srv.head(f"/articles/{withdrawn}")
    t.eq(h.status, 410, "HEAD")

with t.case("a draft that was never published answers 404"):
    harness.db_write(SITE, "UPDATE articles SET status = 'draft', was_published = 0 WHERE slug = ?", (draft,))
    t.eq(srv.get(f"/articles/{draft}").status, 404, f"GET /articles/{draft}")

with t.case("an article published in the future answers 404 until then"):
    harness.db_write(SITE, "UPDATE articles SET published_at = CAST(strftime('%s','now') AS INTEGER) + 86400 "
                           "WHERE slug = ?", (future,))
    t.eq(srv.get(f"/articles/{future}").status, 404, f"GET /articles/{future}")


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


def editing_command():
    p = harness.run([BIN, "--help"])
    if not re.search(r"\barticle\b", p.stdout + p.stderr):
        return None
    p = harness.run([BIN, "article", "--help"])
    return p.stdout + p.stderr if re.search(r"\bupdate\b", p.stdout + p.stderr) else None


with t.case("invalidation: `masthead article update` shows on the page and its fronts at once, nowhere stale"):
    help_text = editing_command()
    if not help_text:
        raise SkipCase("no article editing command yet (masthead article update)")
    # Export the article, change its headline, and update it while the
    # server runs: every page that showed it must show the new headline on
    # the next request, and no page may still carry the old one.
    slug = ROWS[1]["slug"]
    old = harness.db_query(SITE, "SELECT headline FROM articles WHERE slug = ?", (slug,))[0]["headline"]
    urls = pages_of(slug)
    for u in urls:
        t.eq(srv.get(u).status, 200, f"warm GET {u}")
    p = harness.run([BIN, "article", "show", "--site", SITE, slug])
    if p.returncode != 0:
        raise CaseFailed(f"`masthead article show` exited {p.returncode}: {p.stderr}")
    new = f"Updated Live {int(time.time())}"
    md = p.stdout.replace(old, new, 1)
    f = os.path.join(harness.tempdir(), f"{slug}.md")
    with open(f, "w", encoding="utf-8") as fh:
        fh.write(md)
    p = harness.run([BIN, "article", "update", "--site", SITE, f])
    t.eq(p.returncode, 0, f"article update (stderr {p.stderr!r})")
    for u in urls:
        text = harness.Page(srv.get(u).text()).text  # unescaped, so &#39; and ' compare equal
        t.contains(text, new, f"GET {u}")
        t.absent(text, old, f"GET {u} (stale headline)")

with t.case("server exits 0 on SIGTERM"):
    t.eq(srv.stop(), 0, "exit code")

t.done()
