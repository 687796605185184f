#!/usr/bin/env python3
"""E2E: Trending (issue 8). A demo site served with [views] flush_interval = 1
and [trending] interval = 1; reads made with the beacon (distinct simulated
readers), on SQLite and then on PostgreSQL with two nodes:
- /trending.json lists the read articles by reads, ties to the newer one,
  with rank, headline, url, views and published time, Cache-Control at most
  60 s and Surrogate-Key trending; ?section=SLUG gives a section's list;
  any other query is a 400, an unknown section a 404;
- a withdrawn article leaves every list (JSON, the page, the sidebar);
- the sidebar box and the list after an article show the site's list, a
  section front "Most read in SECTION", and /trending the whole of it;
- a change of the lists drops /trending from the page cache but not the
  other pages (their ETag stays: trending.js refreshes their copy);
- two nodes on one PostgreSQL give the same list.
The decay arithmetic (old reads weigh less) is checked in the store on both
backends by tests/audience/test_trending.c, which can date reads in the past.
Usage: test_trending.py PATH/TO/masthead
"""
import concurrent.futures
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
FAST = {("views", "flush_interval"): "1", ("views", "beacon_rate"): "100000",
        ("views", "beacon_burst"): "100000", ("trending", "interval"): "1"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def read_by(srv, art_id, n, tag):
    """n reads of art_id by n distinct readers, concurrently."""
    def one(k):
        return srv.request("POST", f"/views/{art_id}",
                           {"User-Agent": f"{BROWSER} Reader/{tag}{k}", "Content-Type": "text/plain"}, b"").status
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = list(ex.map(one, range(n)))
    if got != [204] * n:
        raise CaseFailed(f"beacons for {art_id}: {got}")


def away_from_the_hour():
    """Reads made across an hour's turn land in two buckets and weigh a
    little differently: wait past it when it is near."""
    left = 3600 - time.time() % 3600
    if left < 40:
        time.sleep(left + 1)


def trending(srv, section=None):
    r = srv.get("/trending.json" + (f"?section={section}" if section else ""))
    if r.status != 200:
        raise CaseFailed(f"/trending.json: {r.status} {r.text()[:200]!r}")
    return r, json.loads(r.text())


def ids(srv, section=None):
    return [a["id"] for a in trending(srv, section)[1]["articles"]]


def wait_ids(srv, want, section=None, seconds=30):
    """Waits until the list (its first len(want)) is want; the list."""
    def check():
        got = ids(srv, section)
        return True if got[:len(want)] == want else got
    harness.wait_for(check, seconds, f"the Trending list {want}")
    return ids(srv, section)


class Db:
    def __init__(self, site, pg_url=None):
        self.site, self.pg_url = site, pg_url

    def rows(self, sql):
        if self.pg_url is not None:
            out = harness.psql(sql, self.pg_url)
            return [line.split("|") for line in out.splitlines() if line]
        return [[str(v) for v in r.values()] for r in harness.db_query(self.site, sql)]

    def published(self):
        """Published articles: (id, slug, headline, section slug, section name, published_at)."""
        now = int(time.time())
        return [(int(r[0]), r[1], r[2], r[3], r[4], int(r[5])) for r in self.rows(
            "SELECT a.id AS id, a.slug AS slug, a.headline AS headline, s.slug AS sslug, s.name AS sname,"
            " a.published_at AS pat FROM articles a"
            f" JOIN sections s ON s.id = a.section_id WHERE a.status = 'published' AND a.published_at <= {now}"
            " ORDER BY a.id")]


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("'", "&#39;")


def pick(arts):
    """Five articles of one section, two of them with distinct dates (the
    tie), and one of another section."""
    by_sec = {}
    for a in arts:
        by_sec.setdefault(a[3], []).append(a)
    secs = sorted(by_sec.values(), key=len, reverse=True)
    if len(secs) < 2 or len(secs[0]) < 5:
        raise CaseFailed("the demo site needs a section with five published articles and another section")
    main = secs[0]
    return main[:5], secs[1][0]


def cases(P, srv, db, site_dir, unpublish):
    arts = db.published()
    (a, b, c, d, e), other = pick(arts)
    # d and e tie: the newer must come first
    newer, older = (d, e) if d[5] > e[5] or (d[5] == e[5] and d[0] > e[0]) else (e, d)
    if newer[5] == older[5]:
        raise CaseFailed("two articles with the same date: no tie to break by recency")

    with t.case(P + "before any read: an empty list, the box hidden, /trending says so"):
        r, j = trending(srv)
        t.eq(j["articles"], [])
        home = srv.get("/").text()
        t.true(re.search(r'<section class="widget widget--trending"[^>]* hidden>', home) is not None,
               "the sidebar box is there, hidden")
        page = srv.get("/trending")
        t.eq(page.status, 200)
        t.contains(page.text(), "Nothing has been read yet.")

    with t.case(P + "articles are ranked by reads, ties to the newer, the other section's too"):
        away_from_the_hour()
        for art, n in ((b, 12), (a, 9), (d, 4), (e, 4), (c, 1), (other, 6)):
            read_by(srv, art[0], n, f"{P}{art[0]}-")
        want = [b[0], a[0], other[0], newer[0], older[0], c[0]]
        got = wait_ids(srv, want)
        t.eq(got, want)

    with t.case(P + "/trending.json: its shape, rank, headline, url, views, published, and cacheable <= 60 s"):
        r, j = trending(srv)
        t.eq(sorted(j.keys()), ["articles", "computed_at", "refresh", "section"])
        t.eq(j["section"], None)
        t.true(ISO.match(j["computed_at"]) is not None, j["computed_at"])
        t.eq(j["refresh"], 1)
        by_id = {x[0]: x for x in arts}
        for i, item in enumerate(j["articles"]):
            t.eq(sorted(item.keys()), ["headline", "id", "published", "rank", "url", "views", "views_display"])
            art = by_id[item["id"]]
            t.eq(item["rank"], i + 1)
            t.eq(item["headline"], art[2])
            t.eq(item["url"], f"/articles/{art[1]}")
            t.eq(item["published"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(art[5])))
        t.eq([x["views"] for x in j["articles"]], [12, 9, 6, 4, 4, 1])
        cc = r.header("cache-control")
        m = re.search(r"max-age=(\d+)", cc or "")
        t.true(m is not None and int(m.group(1)) <= 60, f"Cache-Control {cc!r}")
        t.contains(r.header("surrogate-key") or "", "trending")
        t.eq(r.header("content-type"), "application/json")

    with t.case(P + "a section's own list: ?section=SLUG, and Most read in SECTION on its front"):
        sec_slug, sec_name = a[3], a[4]
        r, j = trending(srv, sec_slug)
        t.eq(j["section"], {"slug": sec_slug, "name": sec_name})
        t.eq([x["id"] for x in j["articles"]], [b[0], a[0], newer[0], older[0], c[0]])
        t.eq([x["rank"] for x in j["articles"]], [1, 2, 3, 4, 5])
        t.eq(ids(srv, other[3])[:1], [other[0]])
        front = srv.get(f"/section/{sec_slug}")
        t.eq(front.status, 200)
        body = front.text()
        t.contains(body, f"Most read in {html_escape(sec_name)}")
        block = body[body.index("Most read in"):]
        block = block[:block.index("</ol>")]
        t.contains(block, f'data-trending="{sec_slug}"')
        pos = [block.find(f'href="/articles/{x[1]}"') for x in (b, a, newer, older, c)]
        t.true(all(p >= 0 for p in pos) and pos == sorted(pos), f"in order in the block: {pos}")
        t.absent(block, f'href="/articles/{other[1]}"', "the other section's article")

    with t.case(P + "bad query strings on /trending.json: 400, or 404 for an unknown section, with a message"):
        for q, status in (("?x=1", 400), ("?section=%zz", 400), (f"?section={a[3]}&section={a[3]}", 400),
                          ("?section=" + a[3] + "&callback=f", 400), ("?section=no-such-section", 404),
                          ("?section=", 404)):
            r = srv.get("/trending.json" + q)
            t.eq(r.status, status, q)
            t.eq(r.header("cache-control"), "no-store", q)
            t.true("error" in json.loads(r.text()), q)
        t.eq(srv.request("POST", "/trending.json", {}, b"").status, 405)

    with t.case(P + "the sidebar box, the list after an article and /trending show it"):
        # a page made now (the home page cached before the reads keeps its
        # empty box: pages are not dropped for Trending)
        home = srv.get(f"/section/{other[3]}").text()
        box = home[home.index('class="widget widget--trending"'):]
        box = box[:box.index("</section>")]
        t.absent(box[:box.index(">")], "hidden")
        pos = [box.find(f'href="/articles/{x[1]}"') for x in (b, a, other, newer, older)]
        t.true(all(p >= 0 for p in pos) and pos == sorted(pos), f"the first five in order: {pos}")
        t.absent(box, f'href="/articles/{c[1]}"', "the sixth")
        t.contains(box, "12 Views")
        m = re.search(r'<script src="(/static/trending\.[0-9a-f]+\.js)" defer>', home)
        t.true(m is not None, "the refresh script")
        js = srv.get(m.group(1))
        t.eq(js.status, 200)
        t.contains(js.text(), "/trending.json")
        art_page = srv.get(f"/articles/{c[1]}").text()
        t.contains(art_page, 'id="h-trending"')
        after = art_page[art_page.index('id="h-trending"'):]
        t.true(after.find(f'href="/articles/{b[1]}"') < after.find("</ol>"), "the top article after the article")
        t.true(art_page.index('id="h-trending"') > art_page.index("</article>"), "after the article")
        page = srv.get("/trending")
        t.eq(page.status, 200)
        t.contains(page.header("surrogate-key") or "", "trending")
        main = page.text()
        main = main[main.index("<main"):main.index("</main>")]
        pos = [main.find(f'href="/articles/{x[1]}"') for x in (b, a, other, newer, older, c)]
        t.true(all(p >= 0 for p in pos) and pos == sorted(pos), f"all six in order: {pos}")
        t.contains(main, f'Most read in <a href="/section/{a[3]}">')

    with t.case(P + "a change of the lists drops /trending, not the other pages (refreshed by script)"):
        home1 = srv.get("/")
        art1 = srv.get(f"/articles/{a[1]}")
        tr1 = srv.get("/trending")
        t.eq(srv.get("/").header("etag"), home1.header("etag"))
        read_by(srv, c[0], 20, f"{P}up-")  # c goes to the top
        wait_ids(srv, [c[0], b[0]])
        # /trending is made again with the new order ...
        harness.wait_for(lambda: True if srv.get("/trending").header("etag") != tr1.header("etag") else "same",
                         10, "/trending made again")
        main = srv.get("/trending").text()
        t.true(main.find(f'href="/articles/{c[1]}"', main.index("<main")) <
               main.find(f'href="/articles/{b[1]}"', main.index("<main")), "c first on /trending")
        # ... while the cached pages stay as they were (their lists are old)
        t.eq(srv.get("/").header("etag"), home1.header("etag"), "the home page is not dropped")
        t.eq(srv.get(f"/articles/{a[1]}").header("etag"), art1.header("etag"), "an article page is not dropped")

    with t.case(P + "a withdrawn article leaves every list"):
        unpublish(c[1])
        def gone():
            got = ids(srv)
            return True if c[0] not in got else got
        harness.wait_for(gone, 30, "the withdrawn article off the list")
        t.eq(ids(srv)[:5], [b[0], a[0], other[0], newer[0], older[0]])
        t.true(c[0] not in ids(srv, a[3]), "off the section's list")
        harness.wait_for(lambda: True if f"/articles/{c[1]}\"" not in srv.get("/trending").text() else "there",
                         10, "off /trending")
        # a page made now (the withdrawal dropped the home page) has it neither
        home = srv.get("/").text()
        t.absent(home[home.index("widget--trending"):], f'href="/articles/{c[1]}"')
    return [b[0], a[0], other[0], newer[0], older[0]]


# ------------------------------------------------------------------ SQLite

try:
    SITE = harness.demo_site(BIN, articles=30, ini=FAST)
except Exception as e:  # noqa: BLE001
    t.bail(f"cannot make a demo site: {e}")
srv = harness.Server(BIN, SITE).start()


def unpublish_sqlite(slug):
    p = harness.run([BIN, "article", "unpublish", slug, "--site", SITE])
    if p.returncode != 0:
        raise CaseFailed(f"unpublish: {p.stderr}")


try:
    cases("", srv, Db(SITE), SITE, unpublish_sqlite)
except Exception as e:  # noqa: BLE001
    t.ok(False, "the SQLite cases", repr(e))
# under ASan a leak or a report shows only in the exit status
rc = srv.stop()
t.ok(rc == 0, "the server exits 0 on SIGTERM", f"exit status {rc}; stderr ends:\n{srv.stderr()[-3000:]}")

# ------------------------------------------------------------------ PostgreSQL: two nodes

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] two nodes give the same list",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_trending_{os.getpid()}"
    try:
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=30, ini=FAST, database=url)
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()

        def unpublish_pg(slug):
            q = harness.run([BIN, "article", "unpublish", slug, "--site", d])
            if q.returncode != 0:
                raise CaseFailed(f"unpublish: {q.stderr}")

        final = cases("[postgres] ", a, Db(d, url), d, unpublish_pg)
        with t.case("[postgres] two nodes give the same list, reads sent to either"):
            t.eq(wait_ids(b, final), wait_ids(a, final))
            t.eq(trending(a)[1]["articles"], trending(b)[1]["articles"])
            arts = Db(d, url).published()
            ids_final = set(final)
            fresh = [x for x in arts if x[0] not in ids_final][:2]
            read_by(a, fresh[0][0], 30, "pg-a-")
            read_by(b, fresh[1][0], 40, "pg-b-")
            want = [fresh[1][0], fresh[0][0]]
            t.eq(wait_ids(a, want), wait_ids(b, want))
            sec = fresh[1][3]
            t.eq(wait_ids(a, [fresh[1][0]], sec), wait_ids(b, [fresh[1][0]], sec))
        with t.case("[postgres] both nodes exit 0 on SIGTERM"):
            t.eq(a.stop(), 0)
            t.eq(b.stop(), 0)
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        harness._cleanup()
        harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])

t.done()
