#!/usr/bin/env python3
"""E2E: view counting (issue 8's Views). A demo site, `masthead serve` with
[views] flush_interval = 1, beacons over real sockets:
- the article page carries the beacon (views.js, the <noscript> pixel) and
  shows its total with thousands separators ("7,118 Views"), the demo's
  views being the starting point that real reads add to;
- exactness: N concurrent beacons from N simulated readers (distinct user
  agents) at several N add exactly N, in the total and the hourly buckets;
- not counted: a second read by the same reader, bots (the isbot list, and
  no user agent), prefetch and prerender, a beacon for an unknown or
  unpublished article (204 all the same);
- a flood from one address gets 429 with Retry-After while pages still
  serve, and exactly the beacons answered 204 are counted;
- a graceful stop in the middle of a flood loses nothing;
- /views/ID.json: the count, cacheable for at most 60 s, never purged per read;
- on PostgreSQL, two nodes sharing the database add up exactly.
Usage: test_views.py PATH/TO/masthead
"""
import concurrent.futures
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
FAST = {("views", "flush_interval"): "1", ("views", "beacon_rate"): "100000",
        ("views", "beacon_burst"): "100000"}


def reader(i, tag="r"):
    """The user agent of simulated reader i: a browser's, distinct per reader."""
    return f"{BROWSER} Reader/{tag}{i}"


def beacon(srv, art_id, ua=BROWSER, headers=None, conn=None):
    h = {"User-Agent": ua, "Content-Type": "text/plain;charset=UTF-8"}
    h.update(headers or {})
    return srv.request("POST", f"/views/{art_id}", h, b"", conn)


def beacons(srv, art_id, uas, workers=16):
    """One beacon per user agent, concurrently; the statuses."""
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda ua: beacon(srv, art_id, ua).status, uas))


class Db:
    """The site's database, SQLite file or PostgreSQL URL."""

    def __init__(self, site, pg_url=None):
        self.site, self.pg_url = site, pg_url

    def one(self, sql):
        if self.pg_url is not None:
            out = harness.psql(sql, self.pg_url)
            return int(out) if out else None
        rows = harness.db_query(self.site, sql)
        if not rows:
            return None
        return int(list(rows[0].values())[0])

    def counted(self, art_id):
        return self.one(f"SELECT coalesce((SELECT views FROM article_views WHERE article_id = {int(art_id)}), 0)")

    def hours(self, art_id):
        return self.one(f"SELECT coalesce(sum(views), 0) FROM article_view_hours WHERE article_id = {int(art_id)}")

    def published(self, n):
        now = int(time.time())
        sql = (f"SELECT id FROM articles WHERE status = 'published' AND published_at <= {now} "
               f"ORDER BY id LIMIT {n}")
        if self.pg_url is not None:
            return [int(x) for x in harness.psql(sql, self.pg_url).split()]
        return [r["id"] for r in harness.db_query(self.site, sql)]


def views_json(srv, art_id):
    r = srv.get(f"/views/{art_id}.json")
    if r.status != 200:
        raise CaseFailed(f"/views/{art_id}.json: {r.status} {r.text()[:200]!r}")
    return json.loads(r.text())


def slug_of(site, art_id):
    return harness.db_query(site, "SELECT slug FROM articles WHERE id = ?", (art_id,))[0]["slug"]


# ------------------------------------------------------------------ SQLite

try:
    SITE = harness.demo_site(BIN, articles=30, ini=FAST)
except Exception as e:  # noqa: BLE001
    t.bail(f"cannot make a demo site: {e}")
db = Db(SITE)
ARTS = db.published(20)
if len(ARTS) < 20:
    t.bail(f"the demo site has only {len(ARTS)} published articles")
# a starting total whose next read crosses a thousands boundary
harness.db_write(SITE, "UPDATE articles SET views = 7117 WHERE id = ?", (ARTS[0],))
srv = harness.Server(BIN, SITE).start()

with t.case("the article page carries the beacon script, the noscript pixel and its id"):
    slug = slug_of(SITE, ARTS[0])
    r = srv.get(f"/articles/{slug}")
    t.eq(r.status, 200)
    body = r.text()
    t.contains(body, f'data-views-id="{ARTS[0]}"')
    t.contains(body, f'<img class="views__pixel" src="/views/{ARTS[0]}.gif"')
    m = re.search(r'<script src="(/static/[^"]*views[^"]*\.js)" defer>', body)
    t.true(m is not None, "a views script tag")
    js = srv.get(m.group(1))
    t.eq(js.status, 200)
    t.contains(js.text(), "sendBeacon")
    t.contains(body, '<span class="views__count">7,117</span> Views')

with t.case("a beacon is answered 204, empty and never cached"):
    r = beacon(srv, ARTS[1], reader(0, "first"))
    t.eq(r.status, 204)
    t.eq(r.body, b"")
    t.eq(r.header("cache-control"), "no-store")
    g = srv.get(f"/views/{ARTS[1]}.gif", {"User-Agent": reader(1, "first"), "Sec-Fetch-Dest": "image"})
    t.eq(g.status, 200)
    t.eq(g.header("content-type"), "image/gif")
    t.eq(g.header("cache-control"), "no-store")
    t.true(g.body.startswith(b"GIF89a") and len(g.body) < 100, f"a tiny GIF: {g.body[:10]!r}")


def counted_after_flush(art_id, want, seconds=20):
    harness.wait_for(lambda: True if views_json(srv, art_id)["views"] == want else views_json(srv, art_id),
                     seconds, f"article {art_id} at {want} views")


with t.case("the page's count: the demo's views plus reads, with thousands separators (7,118 Views)"):
    t.eq(beacon(srv, ARTS[0], reader(0, "sep")).status, 204)
    counted_after_flush(ARTS[0], 7118)
    d = views_json(srv, ARTS[0])
    t.eq(d["display"], "7,118")
    t.eq(d["id"], ARTS[0])
    # the cached page keeps its count as of render: the next render (a new
    # server, an empty cache) shows the new total
    srv.restart()
    r = srv.get(f"/articles/{slug_of(SITE, ARTS[0])}")
    t.contains(r.text(), '<span class="views__count">7,118</span> Views')

with t.case("/views/ID.json: cacheable for at most 60 s, a Surrogate-Key no write purges"):
    r = srv.get(f"/views/{ARTS[0]}.json")
    t.eq(r.status, 200)
    t.eq(r.header("content-type"), "application/json")
    cc = r.header("cache-control", "")
    m = re.search(r"max-age=(\d+)", cc)
    t.true(m is not None and 0 < int(m.group(1)) <= 60, f"max-age at most 60: {cc!r}")
    t.eq(r.header("surrogate-key"), "views")
    t.absent(r.header("surrogate-key"), "article:")

with t.case("a read does not drop the article page from the page cache"):
    path = f"/articles/{slug_of(SITE, ARTS[2])}"
    first = srv.get(path).text()
    shown = re.search(r'<span class="views__count">([0-9,]+)</span>', first).group(1)
    t.eq(beacon(srv, ARTS[2], reader(0, "cache")).status, 204)
    base = harness.db_query(SITE, "SELECT views FROM articles WHERE id = ?", (ARTS[2],))[0]["views"]
    counted_after_flush(ARTS[2], base + 1)
    again = srv.get(path).text()
    # a new render would show the new total: the same bytes are the cached page
    t.eq(again, first, "the cached page, as it was")
    t.contains(again, f'<span class="views__count">{shown}</span>')
    t.eq(views_json(srv, ARTS[2])["display"], f"{base + 1:,}")

for i, n in enumerate((1, 25, 200)):
    with t.case(f"exactness: {n} concurrent readers add exactly {n} (total and hourly buckets)"):
        art = ARTS[3 + i]
        before, hours_before = db.counted(art), db.hours(art)
        st = beacons(srv, art, [reader(k, f"x{n}-") for k in range(n)])
        t.eq(st, [204] * n)
        base = harness.db_query(SITE, "SELECT views FROM articles WHERE id = ?", (art,))[0]["views"]
        counted_after_flush(art, base + before + n)
        t.eq(db.counted(art), before + n)
        t.eq(db.hours(art), hours_before + n)

with t.case("dedupe: the same reader again within 30 minutes is not counted"):
    art = ARTS[6]
    ua = reader(0, "dedupe")
    for _ in range(5):
        t.eq(beacon(srv, art, ua).status, 204)
    # another reader, afterwards, as the marker that the flush has happened
    t.eq(beacon(srv, art, reader(1, "dedupe")).status, 204)
    counted_after_flush(art, harness.db_query(SITE, "SELECT views FROM articles WHERE id = ?", (art,))[0]["views"] + 2)
    t.eq(db.counted(art), 2, "one per reader")

PW = "tidal-harbour-lantern-41"


def add_user(site, email, role):
    harness.add_user(BIN, site, email, role, PW)


def admin_views_cases(P, srv, art, n, headline):
    """/admin/views once art has been read n times today, the most of all."""
    with t.case(P + "/admin/views: editors see the top articles and a chart of reads per day"):
        ed = harness.AdminClient(srv, PW).login("ed@example.org")
        r = ed.get("/admin/views")
        t.eq(r.status, 200)
        body = r.text()
        t.eq(r.header("cache-control"), "no-store")
        for title in ("Today", "This week", "This month"):
            t.contains(body, f"<h2>Top articles: {title}</h2>")
        today = body[body.index("Top articles: Today"):body.index("Top articles: This week")]
        first = re.search(r"<li>(.*?)</li>", today, re.S).group(1)
        t.contains(first, f'href="/admin/views?article={art}"')
        t.contains(first, f"{n:,} views")
        t.contains(first, html_escape(headline))
        # the chart: the month's most read, 30 bars, today's bar the tallest
        t.contains(body, '<svg class="views-chart__svg"')
        t.eq(body.count('<rect class="views-chart__bar"'), 30)
        t.absent(body, "<script")
        day = time.strftime("%Y-%m-%d", time.gmtime())
        t.contains(body, f"<tr><td>{day}</td><td>{n:,}</td></tr>")
        t.contains(body, f'height="160"><title>{day}: {n:,} views</title>')
        # another article's chart by its number
        r = ed.get(f"/admin/views?article={art}")
        t.eq(r.status, 200)
        t.contains(r.text(), html_escape(headline))
        t.contains(ed.get("/admin").text(), '<a href="/admin/views">Views</a>')

    with t.case(P + "/admin/views: authors get 403, strangers the login, bad numbers a clear 4xx"):
        au = harness.AdminClient(srv, PW).login("al@example.org")
        r = au.get("/admin/views")
        t.eq(r.status, 403)
        t.absent(au.get("/admin").text(), '<a href="/admin/views">')
        r = srv.get("/admin/views")
        t.true(r.status in (302, 303), f"a stranger: {r.status}")
        t.contains(r.header("location", ""), "/admin/login")
        ed = harness.AdminClient(srv, PW).login("ed@example.org")
        for q, want, text in (("abc", 400, "article= value"), ("0", 400, "article= value"),
                              ("", 400, "article= value"), (str(10 ** 12), 404, "no article with this number")):
            r = ed.get(f"/admin/views?article={q}")
            t.eq(r.status, want, q)
            t.contains(r.text(), text)


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("'", "&#39;")


def db_headline(site, art):
    return harness.db_query(site, "SELECT headline FROM articles WHERE id = ?", (art,))[0]["headline"]


BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/7.88.1",
    "python-requests/2.31.0",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
    "",
]


def not_counted(art, send, marker_tag):
    """Sends what should not count, then one reader that does as the
    marker: after the marker's flush only it is counted."""
    before = db.counted(art)
    send()
    t.eq(beacon(srv, art, reader(0, marker_tag)).status, 204)
    base = harness.db_query(SITE, "SELECT views FROM articles WHERE id = ?", (art,))[0]["views"]
    counted_after_flush(art, base + before + 1)
    t.eq(db.counted(art), before + 1, "only the marker")


add_user(SITE, "ed@example.org", "editor")
add_user(SITE, "al@example.org", "author")
admin_views_cases("", srv, ARTS[5], 200, db_headline(SITE, ARTS[5]))

with t.case("bots and crawlers (the isbot list) and no user agent are not counted"):
    def send():
        for ua in BOTS:
            t.eq(beacon(srv, ARTS[7], ua).status, 204, ua)
    not_counted(ARTS[7], send, "bots")

with t.case("prefetch and prerender are not counted"):
    def send():
        for i, h in enumerate(({"Sec-Purpose": "prefetch"}, {"Sec-Purpose": "prefetch;prerender"},
                               {"Purpose": "prefetch"}, {"X-Moz": "prefetch"},
                               {"Sec-Fetch-Dest": "document"}, {"Sec-Fetch-Dest": "script"})):
            t.eq(beacon(srv, ARTS[8], reader(i, "pf"), h).status, 204, str(h))
    not_counted(ARTS[8], send, "prefetch")

with t.case("a forged beacon for an unknown or unpublished article: 204, not counted"):
    draft = harness.db_query(SITE, "SELECT id FROM articles WHERE status != 'published' LIMIT 1")
    t.true(draft, "the demo has an unpublished article")
    unknown = 10 ** 12
    t.eq(beacon(srv, unknown, reader(0, "forged")).status, 204)
    t.eq(beacon(srv, draft[0]["id"], reader(0, "forged")).status, 204)
    not_counted(ARTS[9], lambda: None, "forged")
    t.eq(db.one(f"SELECT count(*) FROM article_views WHERE article_id IN ({unknown}, {draft[0]['id']})"), 0)
    t.eq(db.one(f"SELECT count(*) FROM article_view_hours WHERE article_id IN ({unknown}, {draft[0]['id']})"), 0)

with t.case("bad view addresses get a clear 4xx"):
    for path, want in (("/views/abc", 404), ("/views/-3", 404), ("/views/0", 404), ("/views/12.txt", 404),
                       ("/views/99999999999999999999", 404)):
        r = beacon(srv, path[len("/views/"):])
        t.eq(r.status, want, path)
        t.contains(r.text(), "/views/ID")
    r = srv.get(f"/views/{ARTS[0]}")
    t.eq(r.status, 405)
    t.eq(r.header("allow"), "POST")
    r = srv.get(f"/views/{10 ** 12}.json")
    t.eq(r.status, 404)
    t.contains(r.text(), "no published article")
    t.eq(r.header("cache-control"), "no-store")

t.eq(srv.stop(), 0)

# ---- a flood, with the default-sized limits tightened
ini = os.path.join(SITE, "site.ini")
harness.ini_set(ini, "views", "beacon_rate", "2")
harness.ini_set(ini, "views", "beacon_burst", "10")
srv = harness.Server(BIN, SITE).start()

with t.case("a beacon flood from one address: 429 with Retry-After, pages still served, 204s counted exactly"):
    art = ARTS[10]
    before = db.counted(art)
    page_statuses = []
    stop = threading.Event()

    def read_pages():
        c = srv.conn()
        while not stop.is_set():
            page_statuses.append(srv.get("/", conn=c).status)

    reader_thread = threading.Thread(target=read_pages)
    reader_thread.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            rs = list(ex.map(lambda k: beacon(srv, art, reader(k, "flood")), range(300)))
    finally:
        stop.set()
        reader_thread.join()
    ok = sum(1 for r in rs if r.status == 204)
    limited = [r for r in rs if r.status == 429]
    t.eq(ok + len(limited), 300, "every beacon 204 or 429")
    t.true(limited, "some were limited")
    t.true(ok >= 10, f"the burst went through: {ok}")
    ra = limited[0].header("retry-after")
    t.true(ra is not None and ra.isdigit() and int(ra) >= 1, f"Retry-After: {ra!r}")
    t.true(page_statuses and all(s == 200 for s in page_statuses),
           f"pages during the flood: {len(page_statuses)}, not 200: {[s for s in page_statuses if s != 200][:5]}")
    t.eq(srv.stop(), 0)
    t.eq(db.counted(art), before + ok, "exactly the beacons answered 204")

# ---- behind a proxy: readers told apart by X-Forwarded-For, only from a proxy we trust
for trusted, want in (("", 2), ("127.0.0.1", 4)):
    art = ARTS[12 if trusted else 13]
    harness.ini_set(ini, "views", "beacon_rate", "100000")
    harness.ini_set(ini, "views", "beacon_burst", "100000")
    harness.ini_set(ini, "views", "flush_interval", "1")
    harness.ini_set(ini, "server", "trusted_proxies", trusted)
    srv = harness.Server(BIN, SITE).start()
    with t.case(f"[server] trusted_proxies = '{trusted}': three readers behind a proxy count as {want - 1}"):
        base = db.counted(art)
        for i in range(3):
            r = beacon(srv, art, BROWSER, {"X-Forwarded-For": f"6.6.6.6, 198.51.100.{i + 1}"})
            t.eq(r.status, 204)
        # a reader of its own afterwards, as the marker that the flush has happened
        t.eq(beacon(srv, art, reader(0, f"behind{len(trusted)}")).status, 204)
        harness.wait_for(lambda: db.counted(art) == base + want or db.counted(art), 20,
                         f"article {art} at {base + want} counted")
        time.sleep(1.5)  # one more flush interval: nothing else arrives
        t.eq(db.counted(art), base + want,
             "the client behind the trusted proxy, not what it claims (6.6.6.6)" if trusted
             else "from a peer not trusted the header is ignored: one reader")
    t.eq(srv.stop(), 0)
harness.ini_set(ini, "server", "trusted_proxies", "")

# ---- graceful stop in the middle of a flood
harness.ini_set(ini, "views", "beacon_rate", "100000")
harness.ini_set(ini, "views", "beacon_burst", "100000")
harness.ini_set(ini, "views", "flush_interval", "300")  # only the stop flushes
srv = harness.Server(BIN, SITE).start()

with t.case("a graceful stop mid-flood loses no counted read"):
    art = ARTS[11]
    before = db.counted(art)
    got, cut = [], []
    lock = threading.Lock()
    counter = [0]

    def flood():
        while True:
            with lock:
                k = counter[0]
                counter[0] += 1
            try:
                st = beacon(srv, art, reader(k, "stop")).status
            except OSError:
                cut.append(k)  # the server went: counted or not, its answer was lost
                return
            got.append(st)
            if st != 204:
                return

    ths = [threading.Thread(target=flood) for _ in range(8)]
    for th in ths:
        th.start()
    harness.wait_for(lambda: True if len(got) >= 300 else len(got), 60, "300 beacons answered")
    rc = srv.stop()
    for th in ths:
        th.join()
    t.eq(rc, 0)
    ok = sum(1 for s in got if s == 204)
    t.true(ok >= 300, f"{ok} answered 204")
    # every beacon answered 204 is in; of those cut off by the stop (at
    # most one per sending thread) some may have been counted first
    got_db = db.counted(art) - before
    t.true(ok <= got_db <= ok + len(cut),
           f"every read answered 204 is in the database after the stop: {ok} answered, {len(cut)} cut, "
           f"{got_db} counted")

# ---- kill -9: at most one flush interval lost
harness.ini_set(ini, "views", "flush_interval", "1")
srv = harness.Server(BIN, SITE).start()
with t.case("kill -9 loses at most the last flush interval: flushed reads stay"):
    art = ARTS[12]
    before = db.counted(art)
    t.eq(beacons(srv, art, [reader(k, "kill") for k in range(20)]), [204] * 20)
    harness.wait_for(lambda: True if db.counted(art) == before + 20 else db.counted(art), 20, "the flush")
    srv.kill()
    t.eq(db.counted(art), before + 20)


# ------------------------------------------------------------------ PostgreSQL: two nodes

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] two nodes add up exactly",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_views_{os.getpid()}"
    try:
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=20, ini=FAST, database=url)
        pdb = Db(d, url)
        parts = pdb.published(4)
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()
        for i, n in enumerate((10, 100, 400)):
            with t.case(f"[postgres] {n} concurrent readers over two nodes add exactly {n}"):
                art = parts[i]
                before, hours_before = pdb.counted(art), pdb.hours(art)
                uas = [reader(k, f"pg{n}-") for k in range(n)]
                with concurrent.futures.ThreadPoolExecutor(16) as ex:
                    st = list(ex.map(lambda k: beacon(a if k % 2 else b, art, uas[k]).status, range(n)))
                t.eq(st, [204] * n)
                harness.wait_for(lambda: True if pdb.counted(art) == before + n else pdb.counted(art), 30,
                                 "both nodes' flushes")
                t.eq(pdb.hours(art), hours_before + n)
                base = int(harness.psql(f"SELECT views FROM articles WHERE id = {art}", url))
                t.eq(views_json(a, art)["views"], base + before + n)
                t.eq(views_json(b, art)["views"], base + before + n)
        add_user(d, "ed@example.org", "editor")
        add_user(d, "al@example.org", "author")
        admin_views_cases("[postgres] ", a, parts[2], 400,
                          harness.psql(f"SELECT headline FROM articles WHERE id = {parts[2]}", url))
        with t.case("[postgres] a graceful stop of both nodes loses nothing"):
            art = parts[3]
            before = pdb.counted(art)
            for srv_ in (a, b):
                harness.ini_set(os.path.join(d, "site.ini"), "views", "flush_interval", "300")
            a.restart()
            b.restart()
            with concurrent.futures.ThreadPoolExecutor(16) as ex:
                st = list(ex.map(lambda k: beacon(a if k % 2 else b, art, reader(k, "pgstop")).status, range(200)))
            t.eq(st, [204] * 200)
            t.eq(a.stop(), 0)
            t.eq(b.stop(), 0)
            t.eq(pdb.counted(art), before + 200)
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        harness._cleanup()
        harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])

t.done()
