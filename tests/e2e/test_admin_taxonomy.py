"""The newsroom's taxonomy screens end to end, on SQLite and on PostgreSQL,
over HTTP with real logins: sections (/admin/sections: add, edit, Move
up/down, remove), tags (/admin/tags: counts, filter, rename, merge, old
addresses answering 301), authors (/admin/authors: add, edit, photo address
check, the linked account) and Staff Picks (/admin/picks: add by headline
search, order, remove). Each action's bad input is refused with a message
and nothing changed; authors and contributors get 403, as does a POST
without the CSRF token; the public pages (cached before the change) show
the change right after; on PostgreSQL a change made on one node shows on
another. The PostgreSQL half needs the cluster of scripts/pg-test
(MASTHEAD_TEST_PG_URL); without it that half FAILS."""

import html as htmllib
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = sys.argv[1]
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
PW = "tidal-harbour-lantern-41"
form_value = harness.form_value


def mh(*args, stdin=None):
    return subprocess.run([BIN] + list(args), input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=120)


class Client(harness.AdminClient):
    def __init__(self, srv):
        super().__init__(srv, PW)

    def csrf(self, path="/admin"):
        r = self.get(path)
        if r.status != 200:
            raise CaseFailed(f"GET {path}: {r.status} {r.text()[:300]!r}")
        return form_value(r.text(), "csrf")

    def send(self, path, **fields):
        """Posts fields to path with the session's CSRF token."""
        return self.post(path, dict(fields, csrf=self.csrf()))


class Db:
    """Reads the site's database, whichever backend (ground truth)."""

    def __init__(self, site, pg_url):
        self.site, self.pg = site, pg_url

    def rows(self, sql):
        if self.pg:
            out = harness.psql(sql, self.pg)
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        return [tuple(str(v) for v in r.values()) for r in harness.db_query(self.site, sql)]

    def one(self, sql):
        rows = self.rows(sql)
        return rows[0][0] if rows else None


def public(srv, path, want, absent=None):
    """The public page once it shows want (and not absent): a running server
    drops its cached copy when it reads the change log (at once on
    PostgreSQL, within its nap on SQLite)."""
    r = None
    for _ in range(100):
        r = harness.request(srv.port, "GET", path)
        body = r.text()
        if want in body and (absent is None or absent not in body):
            return r
        time.sleep(0.1)
    raise CaseFailed(f"{path} never showed {want!r} (without {absent!r}): {r.status} {r.text()[:300]!r}")


def in_order(srv, path, want):
    """The order the page links the articles of want in, once it is want
    (the page may be rendered between two commits of one change); the last
    order seen otherwise."""
    got = None
    for _ in range(100):
        links = re.findall(r'href="/articles/([^"]*)"', harness.request(srv.port, "GET", path).text())
        got = [s for s in dict.fromkeys(links) if s in want]
        if got == want:
            break
        time.sleep(0.1)
    return got


def cached(srv, *paths):
    """Fetches each page twice, so that it is in the page cache."""
    for p in paths:
        for _ in range(2):
            r = harness.request(srv.port, "GET", p)
            if r.status != 200:
                raise CaseFailed(f"GET {p}: {r.status}")


def sees_other(r, where):
    if r.status != 303 or not (r.header("location") or "").startswith(where):
        alert = re.findall(r'role="alert">([^<]*)', r.text())
        raise CaseFailed(f"expected 303 to {where}, got {r.status} {r.header('location')} {alert!r}")


def alert(r):
    m = re.search(r'role="alert">([^<]*)', r.text())
    return htmllib.unescape(m.group(1)) if m else ""


def section_list(site):
    p = mh("section", "list", "--site", site)
    if p.returncode != 0:
        raise CaseFailed(f"section list: {p.stderr}")
    return [line.split("\t")[0] for line in p.stdout.splitlines() if line.strip()]


def publish(ed, headline, tags, section="news"):
    page = ed.get("/admin/articles/new").text()
    r = ed.post("/admin/articles/new", {
        "csrf": form_value(page, "csrf"), "base_revision": "0", "action": "publish", "headline": headline,
        "dek": "", "slug": "", "section": section, "tags": tags, "authors": "aldo", "via": "", "image": "",
        "image_alt": "", "body": f"{headline}: the story."})
    if r.status != 303:
        raise CaseFailed(f"publish {headline!r}: {r.status} {alert(r)!r}")
    return re.search(r"/admin/articles/(\d+)", r.header("location")).group(1)


def suite(name):
    P = f"[{name}] "
    site = os.path.join(harness.tempdir(), "site")
    extra, pg_db = [], ""
    if name == "postgres":
        pg_db = harness.pg_new_db(PG, f"mh_adm_tax_{os.getpid()}")
        extra = ["--database", pg_db]
    p = mh("init", *extra, "--owner", "owner@example.org", "--name", "Olu Owner", site, stdin=PW + "\n")
    if p.returncode != 0:
        t.ok(False, P + "init", p.stderr)
        return
    for args in (["author", "add", "aldo", "--name", "Aldo Author"],
                 ["author", "add", "cora", "--name", "Cora Contributor"],
                 ["section", "add", "sport", "--name", "Sport"],
                 ["section", "add", "staff-picks", "--name", "Staff Picks", "--kind", "picks"]):
        r = mh(*args, "--site", site)
        if r.returncode != 0:
            t.ok(False, P + " ".join(args), r.stderr)
            return
    for email, role, author in (("aldo@example.org", "author", "aldo"), ("cora@example.org", "contributor", "cora"),
                                ("ed@example.org", "editor", None)):
        args = ["user", "add", email, "--name", email.split("@")[0].title(), "--role", role, "--site", site]
        if author:
            args += ["--author", author]
        r = mh(*args, stdin=PW + "\n")
        if r.returncode != 0:
            t.ok(False, P + "user add", r.stderr)
            return
    srv = harness.Server(BIN, site).start()
    try:
        db = Db(site, pg_db)
        cases(P, site, srv, db)
        if name == "postgres":
            two_nodes(P, site, srv, db)
    finally:
        rc = srv.stop()
        # under `make test-asan` a sanitizer report or a leak shows here
        t.ok(rc == 0, P + "the server stops cleanly on SIGTERM", f"exit status {rc}: {srv.stderr()[-2000:]}")


def cases(P, site, srv, db):
    ed = Client(srv).login("ed@example.org")
    aldo = Client(srv).login("aldo@example.org")
    cora = Client(srv).login("cora@example.org")
    a_id = publish(ed, "Harbour dredging starts", "Harbour, Works")
    b_id = publish(ed, "Harbor pilots strike", "Harbor")
    c_id = publish(ed, "Tide tables revised", "Works")
    slug_a = db.one(f"SELECT slug FROM articles WHERE id = {a_id}")
    slug_b = db.one(f"SELECT slug FROM articles WHERE id = {b_id}")

    with t.case(P + "nav links Sections, Tags, Authors, Staff Picks for an editor, not for an author"):
        page = ed.get("/admin").text()
        for label, href in (("Sections", "/admin/sections"), ("Tags", "/admin/tags"), ("Authors", "/admin/authors"),
                            ("Staff Picks", "/admin/picks")):
            t.contains(page, f'<a href="{href}">{label}</a>')
        page = aldo.get("/admin").text()
        for href in ("/admin/sections", "/admin/tags", "/admin/authors", "/admin/picks"):
            t.absent(page, f'href="{href}"')

    with t.case(P + "an author and a contributor get 403 on every screen, GET and POST; nothing changes"):
        before = section_list(site)
        for who in (aldo, cora):
            for path in ("/admin/sections", "/admin/tags", "/admin/authors", "/admin/picks",
                         "/admin/sections/1", "/admin/authors/1"):
                t.eq(who.get(path).status, 403, f"GET {path}")
            r = who.send("/admin/sections", action="add", name="Forbidden", slug="forbidden")
            t.eq(r.status, 403, "POST /admin/sections")
            r = who.send("/admin/picks", action="add", id=a_id)
            t.eq(r.status, 403, "POST /admin/picks")
        t.eq(section_list(site), before, "sections unchanged")
        t.eq(db.one(f"SELECT staff_pick FROM articles WHERE id = {a_id}") in ("0", "f"), True, "not a pick")

    with t.case(P + "without the CSRF token: 403 and nothing changed"):
        r = ed.post("/admin/sections", {"action": "add", "name": "No token", "slug": "no-token"})
        t.eq(r.status, 403)
        r = ed.post("/admin/sections", {"action": "add", "name": "Bad token", "slug": "bad-token", "csrf": "x" * 43})
        t.eq(r.status, 403)
        tag = db.one("SELECT id FROM tags WHERE slug = 'works'")
        r = ed.post(f"/admin/tags/{tag}", {"action": "rename", "name": "Nope", "slug": "nope"})
        t.eq(r.status, 403)
        t.absent(section_list(site), "no-token")
        t.eq(db.one("SELECT name FROM tags WHERE slug = 'works'"), "Works")

    # ---- sections
    with t.case(P + "sections: add one; markup in its name is text in the admin and on every public page"):
        cached(srv, "/", f"/articles/{slug_a}")
        r = ed.send("/admin/sections", action="add", name="Culture <script>alert(1)</script>", slug="culture")
        sees_other(r, "/admin/sections?done=added")
        t.eq(section_list(site)[-1], "culture", "added last")
        page = ed.get("/admin/sections").text()
        t.contains(page, "Culture &lt;script&gt;alert(1)&lt;/script&gt;")
        t.absent(page, "<script>alert(1)")
        for path in ("/", f"/articles/{slug_a}"):
            r = public(srv, path, "Culture &lt;script&gt;")
            t.absent(r.text(), "<script>alert(1)")
        t.eq(harness.request(srv.port, "GET", "/section/culture").status, 200)

    with t.case(P + "sections: a duplicate slug is 422 with the input kept; an empty name 422; nothing added"):
        before = section_list(site)
        r = ed.send("/admin/sections", action="add", name="Culture Two", slug="culture")
        t.eq(r.status, 422)
        t.contains(alert(r), "Slug")
        t.contains(alert(r), "already used")
        t.eq(form_value(r.text(), "name"), "Culture Two", "name kept")
        t.eq(form_value(r.text(), "slug"), "culture", "slug kept")
        r = ed.send("/admin/sections", action="add", name="   ", slug="empty")
        t.eq(r.status, 422)
        t.contains(alert(r), "Name: required")
        r = ed.send("/admin/sections", action="add", name="Bad slug", slug="Bad Slug!")
        t.eq(r.status, 422)
        t.contains(alert(r), "Slug:")
        t.eq(section_list(site), before, "nothing added")

    cul = db.one("SELECT id FROM sections WHERE slug = 'culture'")
    news = db.one("SELECT id FROM sections WHERE slug = 'news'")

    with t.case(P + "sections: rename and change the slug of an empty section; every cached page shows it"):
        cached(srv, "/", f"/articles/{slug_b}", "/section/sport")
        page = ed.get(f"/admin/sections/{cul}").text()
        t.eq(htmllib.unescape(form_value(page, "name")), "Culture <script>alert(1)</script>")
        r = ed.send(f"/admin/sections/{cul}", name="Arts & Culture", slug="arts", description="Plays and shows")
        sees_other(r, "/admin/sections?done=saved")
        for path in ("/", f"/articles/{slug_b}", "/section/sport"):
            public(srv, path, "Arts &amp; Culture", absent="Culture &lt;script&gt;")
        t.eq(harness.request(srv.port, "GET", "/section/arts").status, 200)
        t.eq(harness.request(srv.port, "GET", "/section/culture").status, 404)

    with t.case(P + "sections: the slug of a section with articles is refused (422, message, nothing changed)"):
        r = ed.send(f"/admin/sections/{news}", name="News", slug="headlines", description="")
        t.eq(r.status, 422)
        t.contains(alert(r), "has 3 articles")
        t.eq(form_value(r.text(), "slug"), "headlines", "input kept")
        t.true("news" in section_list(site) and "headlines" not in section_list(site), "slug unchanged")
        r = ed.send(f"/admin/sections/{news}", name="", slug="news", description="")
        t.eq(r.status, 422)
        t.contains(alert(r), "Name: required")
        r = ed.send(f"/admin/sections/{news}", name="Local News", slug="news", description="")
        sees_other(r, "/admin/sections?done=saved")
        public(srv, "/", ">Local News<")

    with t.case(P + "sections: Move up and Move down change the public navigation's order"):
        cached(srv, "/")
        order = section_list(site)
        i = order.index("arts")
        r = ed.send("/admin/sections", action="up", id=cul)
        sees_other(r, "/admin/sections?done=moved")
        want = order[:i - 1] + ["arts", order[i - 1]] + order[i + 1:]
        t.eq(section_list(site), want, "arts one up")
        nav = lambda h: [s for s in re.findall(r'href="/section/([a-z0-9-]+)"', h)]  # noqa: E731

        def nav_order():
            seen = []
            for s in nav(harness.request(srv.port, "GET", "/").text()):
                if s not in seen:
                    seen.append(s)
            return seen
        for _ in range(100):
            if nav_order()[:len(want)] == want:
                break
            time.sleep(0.1)
        t.eq(nav_order()[:len(want)], want, "public nav order")
        first = section_list(site)[0]
        fid = db.one(f"SELECT id FROM sections WHERE slug = '{first}'")
        r = ed.send("/admin/sections", action="up", id=fid)
        t.eq(r.status, 422, "the first cannot go up")
        r = ed.send("/admin/sections", action="down", id=cul)
        sees_other(r, "/admin/sections?done=moved")
        t.eq(section_list(site), order, "back down")

    with t.case(P + "sections: removing one in use is refused with a message; an empty one goes"):
        r = ed.send("/admin/sections", action="remove", id=news)
        t.eq(r.status, 409)
        t.contains(alert(r), "still has 3 articles")
        t.true("news" in section_list(site), "news kept")
        cached(srv, "/")
        r = ed.send("/admin/sections", action="remove", id=cul)
        sees_other(r, "/admin/sections?done=removed")
        t.absent(section_list(site), "arts")
        public(srv, "/", "Local News", absent="Arts &amp; Culture")

    # ---- tags
    with t.case(P + "tags: the list with article counts, and its filter"):
        page = ed.get("/admin/tags").text()
        row = re.search(r">Works</a></td><td>works</td><td>(\d+)</td>", page)
        t.true(row, "Works row")
        t.eq(row.group(1) if row else None, "2", "Works has 2 articles")
        page = ed.get("/admin/tags?q=HARB").text()
        t.contains(page, ">Harbour</a>")
        t.contains(page, ">Harbor</a>")
        t.absent(page, ">Works</a>")
        t.contains(ed.get("/admin/tags?q=zzz").text(), "No tags")

    harbour = db.one("SELECT id FROM tags WHERE slug = 'harbour'")
    harbor = db.one("SELECT id FROM tags WHERE slug = 'harbor'")

    with t.case(P + "tags: rename (name and slug); the old address answers 301; cached pages show the new name"):
        cached(srv, f"/articles/{slug_a}", "/tag/harbour")
        r = ed.send(f"/admin/tags/{harbour}", action="rename", name="Port <b>", slug="port")
        sees_other(r, "/admin/tags?done=renamed")
        r = public(srv, f"/articles/{slug_a}", "Port &lt;b&gt;")
        t.absent(r.text(), "<b>")
        old = harness.request(srv.port, "GET", "/tag/harbour")
        t.eq(old.status, 301)
        t.eq(old.header("location"), "/tag/port")
        public(srv, "/tag/port", slug_a)
        t.contains(ed.get("/admin/tags").text(), "Port &lt;b&gt;")

    with t.case(P + "tags: rename to a taken slug or an empty name is 422 with the input kept; nothing changed"):
        r = ed.send(f"/admin/tags/{harbour}", action="rename", name="Works too", slug="works")
        t.eq(r.status, 422)
        t.contains(alert(r), "already used")
        t.eq(form_value(r.text(), "name"), "Works too")
        r = ed.send(f"/admin/tags/{harbour}", action="rename", name="", slug="port")
        t.eq(r.status, 422)
        t.contains(alert(r), "Name: required")
        t.eq(db.rows(f"SELECT slug, name FROM tags WHERE id = {harbour}"), [("port", "Port <b>")])

    with t.case(P + "tags: merge into itself, or into nothing, is 422 and changes nothing"):
        r = ed.send(f"/admin/tags/{harbor}", action="merge", into="harbor")
        t.eq(r.status, 422)
        t.contains(alert(r), "cannot be merged into itself")
        r = ed.send(f"/admin/tags/{harbor}", action="merge", into="no-such-tag")
        t.eq(r.status, 422)
        t.eq(form_value(r.text(), "into"), "no-such-tag", "input kept")
        t.eq(db.one(f"SELECT count(*) FROM article_tags WHERE tag_id = {harbor}"), "1")

    with t.case(P + "tags: merge A into B: A's articles carry B once, A is gone, A's addresses answer 301 to B"):
        # an article carrying both: it must end with B once
        r = ed.get(f"/admin/articles/{c_id}")
        page = r.text()
        base = form_value(page, "base_revision")
        r = ed.post(f"/admin/articles/{c_id}", {
            "csrf": form_value(page, "csrf"), "base_revision": base, "action": "publish",
            "headline": "Tide tables revised", "dek": "", "slug": htmllib.unescape(form_value(page, "slug")),
            "section": "news", "tags": "Works, Harbor, Port <b>", "authors": "aldo", "via": "", "image": "",
            "image_alt": "", "body": "Tide tables revised: the story."})
        t.eq(r.status, 303, "article carries both tags")
        cached(srv, f"/articles/{slug_b}", "/tag/port")
        r = ed.send(f"/admin/tags/{harbor}", action="merge", into="port")
        sees_other(r, "/admin/tags?done=merged")
        t.eq(db.one("SELECT count(*) FROM tags WHERE slug = 'harbor'"), "0", "A is gone")
        t.eq(db.one(f"SELECT count(*) FROM article_tags WHERE tag_id = {harbour}"), "3", "B on all three")
        t.eq(db.one(f"SELECT count(*) FROM article_tags WHERE article_id = {c_id} AND tag_id = {harbour}"), "1")
        public(srv, f"/articles/{slug_b}", "Port &lt;b&gt;")
        public(srv, "/tag/port", slug_b)
        for old in ("/tag/harbor", "/tag/harbour"):
            r = harness.request(srv.port, "GET", old)
            t.eq((r.status, r.header("location")), (301, "/tag/port"), old)
        t.eq(ed.get(f"/admin/tags/{harbor}").status, 404)

    with t.case(P + "tags: after a merge, an older revision naming both tags restores with B once"):
        m_id = publish(ed, "Merge keeps history", "Gulls, Seabirds")
        gulls = db.one("SELECT id FROM tags WHERE slug = 'gulls'")
        birds = db.one("SELECT id FROM tags WHERE slug = 'seabirds'")
        both = db.one(f"SELECT id FROM article_revisions WHERE article_id = {m_id} ORDER BY id DESC LIMIT 1")
        t.eq(sorted(db.one(f"SELECT tag_ids FROM article_revisions WHERE id = {both}").split(",")),
             sorted([gulls, birds]))
        # a later save without Gulls, then Gulls merged into Seabirds
        page = ed.get(f"/admin/articles/{m_id}").text()
        r = ed.post(f"/admin/articles/{m_id}", {
            "csrf": form_value(page, "csrf"), "base_revision": form_value(page, "base_revision"), "action": "draft",
            "headline": "Merge keeps history", "dek": "", "slug": "merge-keeps-history", "section": "news",
            "tags": "Seabirds", "authors": "aldo", "via": "", "image": "", "image_alt": "", "body": "Second text."})
        t.eq(r.status, 303, alert(r))
        sees_other(ed.send(f"/admin/tags/{gulls}", action="merge", into="seabirds"), "/admin/tags?done=merged")
        ids = db.one(f"SELECT tag_ids FROM article_revisions WHERE id = {both}").split(",")
        t.eq(ids, [birds, birds], f"the old revision names the tag Gulls went into (Gulls {gulls})")
        page = ed.get(f"/admin/articles/{m_id}/revisions").text()
        r = ed.post(f"/admin/articles/{m_id}/revisions", {
            "csrf": form_value(page, "csrf"), "restore": both, "base_revision": form_value(page, "base_revision")})
        t.eq(r.status, 303, r.text()[:400])
        t.eq(db.one(f"SELECT body_md FROM articles WHERE id = {m_id}"), "Merge keeps history: the story.")
        t.eq(db.one(f"SELECT count(*) FROM article_tags WHERE article_id = {m_id}"), "1", "Seabirds, once")
        t.eq(db.one(f"SELECT tag_id FROM article_tags WHERE article_id = {m_id}"), birds)

    # ---- authors
    with t.case(P + "authors: add one; markup is text; a duplicate slug 422 with input kept; empty name 422"):
        r = ed.send("/admin/authors", name="Bea <i>Writer</i>", slug="bea")
        sees_other(r, "/admin/authors/")
        page = ed.get("/admin/authors").text()
        t.contains(page, "Bea &lt;i&gt;Writer&lt;/i&gt;")
        r = ed.send("/admin/authors", name="Other Bea", slug="bea")
        t.eq(r.status, 422)
        t.contains(alert(r), "already used")
        t.eq(form_value(r.text(), "name"), "Other Bea")
        r = ed.send("/admin/authors", name="", slug="")
        t.eq(r.status, 422)
        t.contains(alert(r), "Name: required")
        t.eq(db.one("SELECT count(*) FROM authors"), "3")

    aldo_id = db.one("SELECT id FROM authors WHERE slug = 'aldo'")
    bea_id = db.one("SELECT id FROM authors WHERE slug = 'bea'")
    aldo_user = db.one("SELECT id FROM users WHERE email = 'aldo@example.org'")

    with t.case(P + "authors: edit name, bio and photo; byline pages cached before show the new name"):
        cached(srv, f"/articles/{slug_a}", "/author/aldo")
        page = ed.get(f"/admin/authors/{aldo_id}").text()
        t.contains(page, f'<option value="{aldo_user}" selected>', "the linked account shown")
        r = ed.send(f"/admin/authors/{aldo_id}", name="Aldo <u>Author</u>", slug="aldo", bio="Covers the port.",
                    photo="/media/abc123.jpg", account=aldo_user)
        sees_other(r, f"/admin/authors/{aldo_id}?done=saved")
        public(srv, f"/articles/{slug_a}", "Aldo &lt;u&gt;Author&lt;/u&gt;")
        public(srv, "/author/aldo", "Covers the port.")
        t.eq(db.rows(f"SELECT bio, avatar_url FROM authors WHERE id = {aldo_id}"),
             [("Covers the port.", "/media/abc123.jpg")])

    with t.case(P + "authors: a photo that is not an address we store is 422, input kept, nothing changed"):
        for bad in ("javascript:alert(1)", "//evil.example/x.jpg", "photo.jpg"):
            r = ed.send(f"/admin/authors/{aldo_id}", name="Changed", slug="aldo", bio="x", photo=bad, account="")
            t.eq(r.status, 422, bad)
            t.contains(alert(r), "Photo:")
            t.eq(htmllib.unescape(form_value(r.text(), "photo")), bad, "kept")
        r = ed.send(f"/admin/authors/{aldo_id}", name="Aldo", slug="cora", bio="", photo="", account="")
        t.eq(r.status, 422, "taken slug")
        t.eq(db.rows(f"SELECT name, avatar_url FROM authors WHERE id = {aldo_id}"),
             [("Aldo <u>Author</u>", "/media/abc123.jpg")])

    with t.case(P + "authors: link an account to a profile (the list shows which account)"):
        r = ed.send(f"/admin/authors/{bea_id}", name="Bea Writer", slug="bea", bio="", photo="https://example.org/b.png",
                    account=aldo_user)
        sees_other(r, f"/admin/authors/{bea_id}")
        t.eq(db.one("SELECT author_id FROM users WHERE email = 'aldo@example.org'"), bea_id)
        page = ed.get("/admin/authors").text()
        t.true(re.search(r">Bea Writer</a></td><td>bea</td><td>aldo@example.org</td>", page), "bea's account")
        r = ed.send(f"/admin/authors/{bea_id}", name="Bea Writer", slug="bea", bio="", photo="", account="99999")
        t.eq(r.status, 422, "unknown account")
        r = ed.send(f"/admin/authors/{aldo_id}", name="Aldo Author", slug="aldo", bio="", photo="", account=aldo_user)
        sees_other(r, f"/admin/authors/{aldo_id}")
        t.eq(db.one("SELECT author_id FROM users WHERE email = 'aldo@example.org'"), aldo_id, "moved back")

    # ---- Staff Picks
    with t.case(P + "picks: search headlines, add two (each on top); the cached picks front and home follow"):
        cached(srv, "/section/staff-picks", "/")
        page = ed.get("/admin/picks?q=harbo").text()
        t.contains(page, "Harbour dredging starts")
        t.contains(page, "Harbor pilots strike")
        t.absent(page, "Tide tables")
        r = ed.send("/admin/picks", action="add", id=a_id)
        sees_other(r, "/admin/picks?done=added")
        r = ed.send("/admin/picks", action="add", id=b_id)
        sees_other(r, "/admin/picks?done=added")
        t.eq(in_order(srv, "/section/staff-picks", [slug_b, slug_a]), [slug_b, slug_a], "the newest addition first")
        home = public(srv, "/", "Harbor pilots strike").text()
        t.contains(home, slug_b)
        r = ed.send("/admin/picks", action="add", id=b_id)
        t.eq(r.status, 422, "already a pick")

    with t.case(P + "picks: Move down changes the public order; Remove takes it off"):
        r = ed.send("/admin/picks", action="down", id=b_id)
        sees_other(r, "/admin/picks?done=moved")
        t.eq(in_order(srv, "/section/staff-picks", [slug_a, slug_b]), [slug_a, slug_b], "A now first")
        t.eq(ed.send("/admin/picks", action="down", id=b_id).status, 422, "the last cannot go down")
        r = ed.send("/admin/picks", action="remove", id=a_id)
        sees_other(r, "/admin/picks?done=removed")
        public(srv, "/section/staff-picks", slug_b, absent=slug_a)
        t.eq(db.one(f"SELECT staff_pick FROM articles WHERE id = {a_id}") in ("0", "f"), True)

    with t.case(P + "picks: an editor open from before a picks change does not undo it when saved again"):
        def opened(aid):
            page = ed.get(f"/admin/articles/{aid}").text()
            form = {n: htmllib.unescape(form_value(page, n)) for n in (
                "csrf", "base_revision", "headline", "dek", "slug", "tags", "authors", "via", "image", "image_alt",
                "staff_pick_was")}
            form["section"] = re.search(r'<option value="([^"]*)" selected>', page).group(1)
            form["body"] = htmllib.unescape(re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>',
                                                      page, re.S).group(1))
            if re.search(r'id="staff_pick"[^>]* checked', page):
                form["staff_pick"] = "1"
            return form
        shown = opened(b_id)  # B is a pick as the editor opens
        t.eq(shown.get("staff_pick"), "1")
        t.eq(shown["staff_pick_was"], "1")
        sees_other(ed.send("/admin/picks", action="remove", id=b_id), "/admin/picks?done=removed")
        # the picks change is a revision: the open editor's save is refused
        # (409, both texts kept), and its second save, on the new revision,
        # keeps the box as the editor left it: untouched, so still removed
        r = ed.post(f"/admin/articles/{b_id}", dict(shown, action="draft", dek="A later edit of the dek"))
        t.eq(r.status, 409, "the stale save is a conflict")
        again = r.text()
        t.eq(form_value(again, "staff_pick_was"), "1", "the box as first shown, kept through the conflict")
        r = ed.post(f"/admin/articles/{b_id}", dict(shown, action="draft", dek="A later edit of the dek",
                                                     base_revision=form_value(again, "base_revision")))
        t.eq(r.status, 303, r.text()[:300])
        t.eq(db.one(f"SELECT staff_pick FROM articles WHERE id = {b_id}") in ("0", "f"), True,
             "the removal on the picks screen stands")
        t.eq(db.one(f"SELECT dek FROM articles WHERE id = {b_id}"), "A later edit of the dek")
        # a box the editor did change is saved
        ticked = dict(opened(b_id), action="draft", staff_pick="1")
        t.eq(ed.post(f"/admin/articles/{b_id}", ticked).status, 303)
        t.eq(db.one(f"SELECT staff_pick FROM articles WHERE id = {b_id}") in ("1", "t"), True, "ticked: a pick")

    with t.case(P + "picks: a draft cannot be added (422, nothing changed)"):
        page = ed.get("/admin/articles/new").text()
        r = ed.post("/admin/articles/new", {
            "csrf": form_value(page, "csrf"), "base_revision": "0", "action": "draft", "headline": "Draft story",
            "dek": "", "slug": "", "section": "news", "tags": "", "authors": "aldo", "via": "", "image": "",
            "image_alt": "", "body": "Not yet."})
        d_id = re.search(r"/admin/articles/(\d+)", r.header("location") or "").group(1)
        r = ed.send("/admin/picks", action="add", id=d_id)
        t.eq(r.status, 422)
        t.contains(alert(r), "not published")
        t.eq(db.one(f"SELECT staff_pick FROM articles WHERE id = {d_id}") in ("0", "f"), True)


def two_nodes(P, site, srv, db):
    """A second node on the same PostgreSQL database: a change made through
    the first shows on the second's cached pages."""
    other = harness.Server(BIN, site).start()
    try:
        ed = Client(srv).login("ed@example.org")
        with t.case(P + "two nodes: a section renamed and a tag renamed on one show on the other"):
            cached(other, "/", "/tag/works")
            news = db.one("SELECT id FROM sections WHERE slug = 'news'")
            r = ed.send(f"/admin/sections/{news}", name="Newsroom Desk", slug="news", description="")
            sees_other(r, "/admin/sections?done=saved")
            public(other, "/", "Newsroom Desk")
            works = db.one("SELECT id FROM tags WHERE slug = 'works'")
            r = ed.send(f"/admin/tags/{works}", action="rename", name="Public Works", slug="works")
            sees_other(r, "/admin/tags?done=renamed")
            public(other, "/tag/works", "Public Works")
    finally:
        rc = other.stop()
        t.ok(rc == 0, P + "the second node stops cleanly on SIGTERM", f"exit status {rc}: {other.stderr()[-2000:]}")


suite("sqlite")
if PG:
    suite("postgres")
else:
    t.ok(False, "[postgres] admin taxonomy on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: these tests need the cluster of scripts/pg-test (run scripts/run-tests)")
t.done()
