#!/usr/bin/env python3
"""E2E: readers' comments (issue 8's Comments), on SQLite and on PostgreSQL
(MASTHEAD_TEST_PG_URL; without it the PostgreSQL half FAILS). Real servers
over real sockets, each commenter from its own loopback address:
- the article page: "N Comments", the form (Name, Email, Comment, Post
  comment), the thread one level deep, oldest or newest first, cacheable;
- posting without JavaScript (303 back with a notice) and with (JSON);
- bad input: markup in name/email/text shown as text or refused; an
  oversized comment a form error with nothing stored; an unknown, closed or
  unpublished article 404/403 with a message; a flood 429 + Retry-After;
- each anti-spam rule: honeypot (quietly dropped, answered as held),
  minimum time, forged token, another site's Origin, link limit, duplicates,
  bans by email and by address hash;
- moderation modes (hold_all, hold_first, open) and the admin queue:
  approve, spam, delete, edit, bulk, history, roles, CSRF;
- the cache: an approval drops that article's page and nothing else, logs
  comments:ID and queues its purge; on PostgreSQL an approval on one node
  shows on the other within seconds.
Usage: test_comments.py PATH/TO/masthead
"""
import http.client
import json
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
PW = "comments-e2e-password"
MIN_S = 2
INI = {("comments", "min_seconds"): str(MIN_S), ("comments", "max_length"): "500",
       ("comments", "per_minute"): "60", ("comments", "burst"): "8"}


class Db:
    """The site's database, whichever backend: one number or rows."""

    def __init__(self, site, pg_url=None):
        self.site, self.pg_url = site, pg_url

    def rows(self, sql):
        if self.pg_url is not None:
            out = harness.psql(sql, self.pg_url)
            return [tuple(line.split("|")) for line in out.splitlines()] if out else []
        return [tuple(str(v) for v in r.values()) for r in harness.db_query(self.site, sql)]

    def one(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None

    def comments(self):
        return int(self.one("SELECT count(*) FROM comments"))


def add_user(site, email, role):
    p = harness.run([BIN, "user", "add", email, "--name", email.split("@")[0].title(), "--role", role,
                     "--site", site], input=PW + "\n")
    if p.returncode != 0:
        raise CaseFailed(f"user add {email}: {p.stderr.strip()}")


def post(srv, path, form, source="127.0.0.1", headers=None):
    """A form posted from source (a loopback address of its own: the rate
    limit and the address hash are per address)."""
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60, source_address=(source, 0))
    try:
        return harness.request(srv.port, "POST", path, h, urllib.parse.urlencode(form).encode(), conn=c)
    finally:
        c.close()


def token(srv, art_id):
    r = srv.get(f"/comments/{art_id}")
    t.eq(r.status, 200, "a fresh token")
    t.eq(r.header("cache-control"), "no-store")
    return json.loads(r.text())["token"]


def comments_section(html):
    m = re.search(r'<section class="comments" id="comments".*?</section>', html, re.S)
    if not m:
        raise CaseFailed(f"no comments section in {html[:400]!r}")
    return m.group(0)


def statements(srv):
    r = srv.get("/metrics")
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r'^masthead_db_statements_total\{route="([^"]*)"\} (\d+)$', r.text(), re.M)}


def cost(srv, path, route):
    before = statements(srv).get(route, 0)
    r = srv.get(path)
    return statements(srv).get(route, 0) - before, r


def cases(P, site, srv, db, arts):
    """arts: [(id, slug)] of published articles, oldest first."""
    (a1, s1), (a2, s2), (a3, s3) = arts[-1], arts[-2], arts[-3]
    ed = harness.AdminClient(srv, PW).login("ed@example.org")

    def queue_post(form, expect=303):
        csrf = ed.session_csrf()
        f = {"csrf": csrf}
        f.update(form)
        r = ed.post("/admin/comments", f)
        if r.status != expect:
            raise CaseFailed(f"/admin/comments {form}: {r.status} {r.text()[:300]!r}")
        return r

    def mode(m):
        queue_post({"action": "moderation", "mode": m})

    def cid(body):
        v = db.one(f"SELECT id FROM comments WHERE body = '{body}'")
        if v is None:
            raise CaseFailed(f"no comment {body!r} stored")
        return int(v)

    tok = token(srv, a1)
    tok2 = token(srv, a2)
    tok3 = token(srv, a3)
    time.sleep(MIN_S + 0.5)  # the minimum time, once for every post below

    def comment(art, tk, name, text, source, email="", extra=None, headers=None):
        form = {"token": tk, "name": name, "email": email, "comment": text, "website": ""}
        form.update(extra or {})
        return post(srv, f"/comments/{art}", form, source, headers)

    with t.case(P + "the article page: 0 Comments, the form's labels and button, cacheable, no inline script"):
        r = srv.get(f"/articles/{s1}")
        t.eq(r.status, 200)
        sec = comments_section(r.text())
        t.contains(sec, '<span class="comments__number">0</span> Comments')
        for label in ("Name", "Email", "Comment"):
            t.true(re.search(r'<label for="[^"]+">%s</label>' % label, sec), f"a field labelled {label}")
        t.contains(sec, '<button type="submit">Post comment</button>')
        t.contains(sec, f'action="/comments/{a1}"')
        t.contains(r.header("cache-control", ""), "public")
        # script files only; JSON-LD data blocks (issue 9's metadata) are not run
        page = re.sub(r'<script type="application/ld\+json">.*?</script>', "", r.text(), flags=re.S)
        t.absent(re.sub(r'<script src="[^"]+" defer></script>', "", page), "<script")
        t.contains(r.header("surrogate-key", ""), f"comments:{a1}")

    with t.case(P + "hold_first: a first comment waits, the notice says so, nothing shown until approved"):
        mode("hold_first")
        n0 = db.comments()
        r = comment(a1, tok, "Ann", "First! *really*", "127.0.0.10", "ann@example.org")
        t.eq(r.status, 303, r.text())
        t.eq(r.header("location"), f"/articles/{s1}?comment=held#comments")
        t.eq(db.comments(), n0 + 1)
        page = srv.get(f"/articles/{s1}?comment=held").text()
        t.contains(comments_section(page), "awaiting moderation")
        t.absent(comments_section(page), "First!")
        t.contains(comments_section(srv.get(f"/articles/{s1}").text()), ">0</span> Comments")

    with t.case(P + "approving in the queue shows it, counted; the page was cached and only it is dropped"):
        first = cid("First! *really*")
        q = ed.get("/admin/comments")
        t.eq(q.status, 200)
        t.contains(q.text(), "First! <em>really</em>")
        t.contains(q.text(), "ann@example.org")
        srv.get("/")
        n_home, _ = cost(srv, "/", "/")
        t.eq(n_home, 0, "home cached")
        n_art, _ = cost(srv, f"/articles/{s1}", "/articles/")
        t.eq(n_art, 0, "article cached")
        changes0 = int(db.one("SELECT count(*) FROM changes"))
        queue_post({"one": f"approve:{first}"})
        t.eq(db.one(f"SELECT status FROM comments WHERE id = {first}"), "approved")
        t.eq(db.one(f"SELECT keys FROM changes ORDER BY id DESC LIMIT 1"), f"comments:{a1}")
        t.eq(int(db.one("SELECT count(*) FROM changes")), changes0 + 1)
        t.true(db.one(f"SELECT count(*) FROM jobs WHERE kind = 'purge' AND payload = 'comments:{a1}'") != "0",
               "the purge of the caches in front is queued")
        harness.wait_for(lambda: "First!" in srv.get(f"/articles/{s1}").text(), 10, "the approval on the page")
        sec = comments_section(srv.get(f"/articles/{s1}").text())
        t.contains(sec, ">1</span> Comment<")
        t.contains(sec, "First! <em>really</em>")
        t.absent(sec, "ann@example.org", "the email is never shown")
        n_home, _ = cost(srv, "/", "/")
        t.eq(n_home, 0, "the home page was not invalidated")

    with t.case(P + "hold_first then trusts: the same commenter's next one appears at once; replies one level deep"):
        r = comment(a1, tok, "Ann", "Second thought", "127.0.0.10", "ANN@example.org")
        t.eq(r.status, 303, r.text())
        t.eq(r.header("location"), f"/articles/{s1}?comment=posted#comments")
        first = cid("First! *really*")
        r = comment(a1, tok, "Ann", "A reply", "127.0.0.10", "ann@example.org", {"parent": str(first)})
        t.eq(r.status, 303, r.text())
        reply = cid("A reply")
        r = comment(a1, tok, "Ann", "A reply to the reply", "127.0.0.10", "ann@example.org", {"parent": str(reply)})
        t.eq(r.status, 303)
        t.eq(db.one(f"SELECT parent_id FROM comments WHERE body = 'A reply to the reply'"), str(first))
        page = srv.get(f"/articles/{s1}?comment=posted").text()
        sec = comments_section(page)
        t.contains(sec, "your comment is posted")
        t.contains(sec, ">4</span> Comments")
        replies = re.search(r'data-replies-of="%d">(.*?)</ol>' % first, sec, re.S).group(1)
        t.contains(replies, "A reply")
        t.contains(replies, "A reply to the reply")
        t.absent(replies, "Second thought")
        oldest = sec.index("First!") < sec.index("Second thought")
        newest_sec = comments_section(srv.get(f"/articles/{s1}?comments=newest").text())
        t.true(oldest and newest_sec.index("Second thought") < newest_sec.index("First!"),
               "oldest first by default, newest first with ?comments=newest")

    with t.case(P + "with JavaScript: JSON in, JSON out, the rendered comment for the page"):
        mode("open")
        r = comment(a1, tok, "Jo", "Via **script**", "127.0.0.11", headers={"Accept": "application/json"})
        t.eq(r.status, 201, r.text())
        j = json.loads(r.text())
        t.eq(j["status"], "approved")
        t.contains(j["html"], "<strong>script</strong>")
        r = comment(a1, tok, "", "No name", "127.0.0.11", headers={"Accept": "application/json"})
        t.eq(r.status, 422)
        t.contains(json.loads(r.text())["error"], "Name")

    with t.case(P + "markup in name and text is shown as text; in email refused; links get nofollow ugc"):
        r = comment(a2, tok2, "<script>alert('n')</script>", "<b>bold?</b> <img src=x onerror=alert(1)> "
                    "[site](https://example.org/a)", "127.0.0.12")
        t.eq(r.status, 303, r.text())
        sec = comments_section(srv.get(f"/articles/{s2}").text())
        t.contains(sec, "&lt;script&gt;alert(&#39;n&#39;)&lt;/script&gt;")
        t.contains(sec, "&lt;b&gt;bold?&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;")
        t.contains(sec, '<a href="https://example.org/a" rel="nofollow ugc noopener">site</a>')
        t.absent(sec, "<script>alert")
        n0 = db.comments()
        r = comment(a2, tok2, "Eve", "hello from eve", "127.0.0.12", '"><script>@x.org')
        t.eq(r.status, 422)
        t.contains(r.text(), "email address")
        t.absent(r.text(), "<script>@")
        t.eq(db.comments(), n0, "nothing stored")

    with t.case(P + "oversized: a form error naming the limit, nothing stored"):
        n0 = db.comments()
        r = comment(a2, tok2, "Long", "x" * 501, "127.0.0.13")
        t.eq(r.status, 422)
        t.contains(r.text(), "too long: 501 characters, at most 500")
        r = comment(a2, tok2, "Long", "y" * 500, "127.0.0.13")
        t.eq(r.status, 303, "exactly the limit is taken")
        t.eq(db.comments(), n0 + 1)

    with t.case(P + "unknown, unpublished and closed articles: 404/403 with a message, nothing stored"):
        n0 = db.comments()
        r = comment(999999, tok, "Nobody", "to nowhere", "127.0.0.14")
        t.eq(r.status, 404)
        t.contains(r.text(), "no published article")
        draft = db.one("SELECT id FROM articles WHERE status <> 'published' ORDER BY id LIMIT 1")
        t.true(draft is not None, "the demo has an unpublished article")
        r = comment(int(draft), tok, "Early", "too soon", "127.0.0.14")
        t.eq(r.status, 404)
        r = post(srv, "/comments/abc", {"name": "x"}, "127.0.0.14")
        t.eq(r.status, 404)
        queue_post({"action": "close", "article": str(a3)})
        sec = comments_section(srv.get(f"/articles/{s3}").text())
        t.contains(sec, "Comments on this article are closed.")
        t.absent(sec, "<form")
        r = comment(a3, tok3, "Late", "after closing", "127.0.0.14")
        t.eq(r.status, 403)
        t.contains(r.text(), "closed")
        t.eq(db.comments(), n0)
        queue_post({"action": "open", "article": str(a3)})
        harness.wait_for(lambda: "Post comment" in comments_section(srv.get(f"/articles/{s3}").text()), 10,
                         "the form back once opened (the page dropped through the change log)")

    with t.case(P + "honeypot: quietly dropped, answered exactly as a held comment"):
        n0 = db.comments()
        r = comment(a2, tok2, "Bot", "buy things", "127.0.0.15", extra={"website": "http://spam.example"})
        t.eq(r.status, 303)
        t.eq(r.header("location"), f"/articles/{s2}?comment=held#comments")
        t.eq(db.comments(), n0)

    with t.case(P + "minimum time, forged tokens, another site's page: refused with a reason"):
        n0 = db.comments()
        r = comment(a2, token(srv, a2), "Quick", "too quick", "127.0.0.16")
        t.eq(r.status, 422)
        t.contains(r.text(), f"wait at least {MIN_S} seconds")
        r = comment(a2, tok, "Forger", "token of another article", "127.0.0.16")
        t.eq(r.status, 403)
        t.contains(r.text(), "token")
        r = comment(a2, "1700000000." + "0" * 64, "Forger", "forged", "127.0.0.16")
        t.eq(r.status, 403)
        r = comment(a2, tok2, "Cross", "from elsewhere", "127.0.0.16", headers={"Origin": "https://evil.example"})
        t.eq(r.status, 403)
        t.contains(r.text(), "another site")
        r = comment(a2, tok2, "Cross", "from elsewhere", "127.0.0.16", headers={"Sec-Fetch-Site": "cross-site"})
        t.eq(r.status, 403)
        t.eq(db.comments(), n0)

    with t.case(P + "links over the limit and duplicates: refused with a reason"):
        n0 = db.comments()
        r = comment(a2, tok2, "Linky", "http://a.example http://b.example http://c.example", "127.0.0.17")
        t.eq(r.status, 422)
        t.contains(r.text(), "3 links; at most 2")
        r = comment(a2, tok2, "Dup", "the very same words", "127.0.0.17")
        t.eq(r.status, 303)
        r = comment(a2, tok2, "Dup", "the very same words", "127.0.0.17")
        t.eq(r.status, 409)
        t.contains(r.text(), "already posted")
        t.eq(db.comments(), n0 + 1)

    with t.case(P + "bans by email and by address hash; a commenter's history"):
        queue_post({"action": "ban", "kind": "email", "value": "Troll@Example.org"})
        n0 = db.comments()
        r = comment(a2, tok2, "Troll", "hi again", "127.0.0.18", "troll@example.org")
        t.eq(r.status, 403)
        t.contains(r.text(), "not accepted")
        r = comment(a2, tok2, "Sock", "a sock puppet speaks", "127.0.0.19")
        t.eq(r.status, 303)
        h = db.one("SELECT address_hash FROM comments WHERE body = 'a sock puppet speaks'")
        t.true(re.fullmatch(r"[0-9a-f]{32}", h or ""), f"a keyed hash, not an address: {h!r}")
        t.eq(db.one("SELECT count(*) FROM comments WHERE address_hash LIKE '%127.0%'"), "0")
        hist = ed.get(f"/admin/comments?address={h}")
        t.eq(hist.status, 200)
        t.contains(hist.text(), "a sock puppet speaks")
        queue_post({"action": "ban", "kind": "address", "value": h})
        r = comment(a2, tok2, "Sock", "and again", "127.0.0.19")
        t.eq(r.status, 403)
        t.eq(db.comments(), n0 + 1)
        queue_post({"action": "unban", "kind": "address", "value": h})
        t.eq(comment(a2, tok2, "Sock", "allowed again", "127.0.0.19").status, 303)
        hist = ed.get("/admin/comments?email=ann%40example.org")
        for body in ("First!", "Second thought", "A reply"):
            t.contains(hist.text(), body)

    with t.case(P + "hold_all: even a trusted commenter waits; bulk approve, spam, delete, edit"):
        mode("hold_all")
        for i in range(3):
            r = comment(a2, tok2, "Ann", f"held number {i}", "127.0.0.10", "ann@example.org")
            t.eq(r.status, 303)
            t.eq(r.header("location"), f"/articles/{s2}?comment=held#comments")
        ids = [cid(f"held number {i}") for i in range(3)]
        count0 = int(db.one(f"SELECT approved FROM comment_threads WHERE article_id = {a2}"))
        csrf = ed.session_csrf()
        body = urllib.parse.urlencode([("csrf", csrf), ("action", "approve"), ("ids", ids[0]), ("ids", ids[1])])
        r = ed.request("POST", "/admin/comments", body=body.encode(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        t.eq(r.status, 303, r.text()[:300])
        t.eq(int(db.one(f"SELECT approved FROM comment_threads WHERE article_id = {a2}")), count0 + 2)
        queue_post({"one": f"spam:{ids[0]}"})
        queue_post({"one": f"delete:{ids[2]}"})
        t.eq(db.one(f"SELECT status FROM comments WHERE id = {ids[0]}"), "spam")
        t.eq(db.one(f"SELECT status FROM comments WHERE id = {ids[2]}"), "deleted")
        t.eq(int(db.one(f"SELECT approved FROM comment_threads WHERE article_id = {a2}")), count0 + 1)
        real = int(db.one(f"SELECT count(*) FROM comments WHERE article_id = {a2} AND status = 'approved'"))
        t.eq(count0 + 1, real, "the count is exactly the approved comments")
        page = ed.get(f"/admin/comments/{ids[1]}")
        t.eq(page.status, 200)
        r = ed.post(f"/admin/comments/{ids[1]}", {"csrf": harness.form_value(page.text(), "csrf"),
                                                  "name": "Ann E.", "comment": "edited by a moderator"})
        t.eq(r.status, 303)
        harness.wait_for(lambda: "edited by a moderator" in srv.get(f"/articles/{s2}").text(), 10, "the edit shown")
        r = ed.post(f"/admin/comments/{ids[1]}", {"csrf": harness.form_value(page.text(), "csrf"),
                                                  "name": "", "comment": "x"})
        t.eq(r.status, 422)
        t.contains(r.text(), "name")

    with t.case(P + "the queue: authors get 403, strangers the login, a missing CSRF token 403"):
        au = harness.AdminClient(srv, PW).login("au@example.org")
        t.eq(au.get("/admin/comments").status, 403)
        r = harness.AdminClient(srv, PW).get("/admin/comments")
        t.eq(r.status, 303)
        t.contains(r.header("location", ""), "/admin/login")
        r = ed.post("/admin/comments", {"action": "moderation", "mode": "open"})
        t.eq(r.status, 403)
        t.eq(ed.get("/admin/comments?status=bogus").status, 400)
        t.eq(ed.get("/admin/comments/999999").status, 404)

    with t.case(P + "a flood from one address: 429 with Retry-After, nothing more stored"):
        mode("open")
        statuses = []
        for i in range(20):
            r = comment(a1, tok, "Flood", f"flood {i}", "127.0.0.99")
            statuses.append(r.status)
            if r.status == 429:
                t.true(int(r.header("retry-after", "0")) >= 1, "Retry-After in seconds")
                t.contains(r.text(), "too quickly")
        t.true(429 in statuses, f"limited: {statuses}")
        stored = int(db.one("SELECT count(*) FROM comments WHERE body LIKE 'flood %'"))
        t.eq(stored, statuses.count(303), "exactly the ones answered 303")
        t.eq(srv.get(f"/articles/{s1}").status, 200, "pages still serve")


def published(db, n):
    rows = db.rows("SELECT id, slug FROM articles WHERE status = 'published' ORDER BY published_at, id")
    return [(int(i), s) for i, s in rows][-n:]


# ------------------------------------------------------------------ SQLite

try:
    SITE = harness.demo_site(BIN, articles=20, ini=INI)
    for email, role in (("ed@example.org", "editor"), ("au@example.org", "author")):
        add_user(SITE, email, role)
    srv = harness.Server(BIN, SITE).start()
    db = Db(SITE)
    cases("[sqlite] ", SITE, srv, db, published(db, 3))
    with t.case("[sqlite] close_after_days closes old articles, with a message"):
        srv.stop()
        harness.ini_set(os.path.join(SITE, "site.ini"), "comments", "close_after_days", "1")
        old = db.rows("SELECT id, slug FROM articles WHERE status = 'published' AND published_at < "
                      f"{int(time.time()) - 3 * 86400} ORDER BY published_at LIMIT 1")
        t.true(old, "the demo has an article older than three days")
        srv = harness.Server(BIN, SITE).start()
        aid, slug = int(old[0][0]), old[0][1]
        t.contains(comments_section(srv.get(f"/articles/{slug}").text()), "closed after")
        tk = token(srv, aid)
        time.sleep(MIN_S + 0.5)
        r = post(srv, f"/comments/{aid}", {"token": tk, "name": "Late", "comment": "too late"}, "127.0.0.30")
        t.eq(r.status, 403)
        t.contains(r.text(), "closed after")
    t.eq(srv.stop(), 0)
except CaseFailed as e:
    t.ok(False, "[sqlite] a demo site", str(e))


# ------------------------------------------------------------------ PostgreSQL: two nodes

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] comments on two nodes",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_comments_{os.getpid()}"
    try:
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=20, ini=INI, database=url)
        for email, role in (("ed@example.org", "editor"), ("au@example.org", "author")):
            add_user(d, email, role)
        pdb = Db(d, url)
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()
        arts = published(pdb, 4)
        cases("[postgres] ", d, a, pdb, arts[1:])
        with t.case("[postgres] a comment approved on one node shows on the other within seconds, with its count"):
            aid, slug = arts[0]
            before = comments_section(b.get(f"/articles/{slug}").text())
            t.contains(before, ">0</span> Comments")
            n_b, _ = cost(b, f"/articles/{slug}", "/articles/")
            t.eq(n_b, 0, "cached on node b")
            ed = harness.AdminClient(a, PW).login("ed@example.org")
            csrf = ed.session_csrf()
            t.eq(ed.post("/admin/comments", {"csrf": csrf, "action": "moderation", "mode": "hold_all"}).status, 303)
            tk = token(a, aid)
            time.sleep(MIN_S + 0.5)
            r = post(a, f"/comments/{aid}", {"token": tk, "name": "Cross", "comment": "from node a"}, "127.0.0.40")
            t.eq(r.status, 303)
            cid_ = int(pdb.one("SELECT id FROM comments WHERE body = 'from node a'"))
            t.absent(b.get(f"/articles/{slug}").text(), "from node a", "held: not shown")
            t.eq(ed.post("/admin/comments", {"csrf": csrf, "one": f"approve:{cid_}"}).status, 303)
            harness.wait_for(lambda: "from node a" in b.get(f"/articles/{slug}").text(), 10,
                             "node b's page after the approval")
            t.contains(comments_section(b.get(f"/articles/{slug}").text()), ">1</span> Comment<")
            n_home, _ = cost(b, "/", "/")
            b.get("/")
            n_home, _ = cost(b, "/", "/")
            t.eq(n_home, 0, "node b's home page stays cached")
        t.eq(a.stop(), 0)
        t.eq(b.stop(), 0)
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        harness._cleanup()
        harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])

t.done()
