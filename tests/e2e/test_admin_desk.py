"""The desk end to end, on SQLite and on PostgreSQL, over HTTP with real
logins: the dashboard at /admin per role (my drafts, awaiting review,
scheduled with its time in the site's zone, recently published, and a
scheduled publication that failed with the job queue's reason); the
article list's filters (status, section, author, headline search) kept
across keyset pages; an article's revisions (list, line diff, restore
through the change log to the public page), with 403 for a role that may
not, 403 without CSRF, 404 for another article's revision, and nothing
changed by any refused request. The PostgreSQL half needs the cluster of
scripts/pg-test (MASTHEAD_TEST_PG_URL); without it that half FAILS."""

import html as htmllib
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed, article_id, form_value, public_page  # noqa: E402

BIN = sys.argv[1]
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
PW = "tidal-harbour-lantern-41"
ZONE = "Europe/Berlin"


def mh(*args, stdin=None):
    return subprocess.run([BIN] + list(args), input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=120)


def must(*args, stdin=None):
    p = mh(*args, stdin=stdin)
    if p.returncode != 0:
        raise CaseFailed(f"masthead {' '.join(args)}: {p.returncode} {p.stderr.strip()}")
    return p.stdout


def block(page, ident):
    """The dashboard section whose heading has id ident, as text."""
    m = re.search(r'<section[^>]*aria-labelledby="%s">(.*?)</section>' % re.escape(ident), page, re.S)
    if not m:
        raise CaseFailed(f"no section {ident!r} in {page[:800]!r}")
    return m.group(1)


def revision_ids(site, slug):
    """The article's revisions (ids, newest first) as the CLI lists them."""
    out = must("article", "revisions", slug, "--site", site)
    return [int(m) for m in re.findall(r"^(\d+) ", out, re.M)]


def show(site, slug):
    return must("article", "show", slug, "--site", site)


class Sql:
    """Writes to the site's database behind the server's back, to set up what
    the admin cannot make (a publishing job that fails)."""

    def __init__(self, site, pg_db):
        self.site, self.pg_db = site, pg_db

    def write(self, sql):
        if self.pg_db:
            harness.psql(sql, self.pg_db)
        else:
            harness.db_write(self.site, sql)


def suite(name):
    P = f"[{name}] "
    site = os.path.join(harness.tempdir(), "site")
    extra, pg_db = [], None
    if name == "postgres":
        pg_db = harness.pg_new_db(PG, f"mh_desk_{os.getpid()}")
        extra = ["--database", pg_db]
    p = mh("init", *extra, "--owner", "owner@example.org", "--name", "Olu Owner", site, stdin=PW + "\n")
    if p.returncode != 0:
        t.ok(False, P + "init", p.stderr)
        return
    try:
        must("section", "add", "sport", "--name", "Sport", "--site", site)
        for slug, nm in (("cora", "Cora Contributor"), ("aldo", "Aldo Author"), ("bea", "Bea Author")):
            must("author", "add", slug, "--name", nm, "--site", site)
        for email, role, author in (("cora@example.org", "contributor", "cora"),
                                    ("aldo@example.org", "author", "aldo"), ("bea@example.org", "author", "bea"),
                                    ("ed@example.org", "editor", None)):
            args = ["user", "add", email, "--name", email.split("@")[0].title(), "--role", role, "--site", site]
            if author:
                args += ["--author", author]
            must(*args, stdin=PW + "\n")
    except CaseFailed as e:
        t.ok(False, P + "site setup", str(e))
        return
    harness.ini_set(os.path.join(site, "site.ini"), "site", "timezone", ZONE)
    srv = harness.Server(BIN, site).start()
    # on PostgreSQL a second node of the same site: its cached pages must
    # follow what is done on the first
    other = harness.Server(BIN, site).start() if pg_db else None
    try:
        cases(P, site, srv, Sql(site, pg_db), other)
    finally:
        codes = [srv.stop()] + ([other.stop()] if other else [])
    # a sanitizer's report (make test-asan) shows as a failed exit
    t.ok(all(c == 0 for c in codes), P + "the server stops cleanly", f"exit codes {codes}")


def cases(P, site, srv, sql, node2):
    def client(email):
        return harness.AdminClient(srv, PW).login(email)

    cora, aldo, bea, ed = (client(f"{n}@example.org") for n in ("cora", "aldo", "bea", "ed"))
    ids = {}

    with t.case(P + "the dashboard: each role's own lists, editors everyone's, times in the site's zone"):
        ids["cdraft"] = article_id(cora.save("/admin/articles/new", "draft", headline="Cora drafts the tide table",
                                             section="news", body="b"))
        ids["creview"] = article_id(cora.save("/admin/articles/new", "review", headline="Cora asks about the quay",
                                              section="news", body="b"))
        ids["adraft"] = article_id(aldo.save("/admin/articles/new", "draft", headline="Aldo drafts the ferry",
                                             section="news", authors="aldo", body="b"))
        ids["asched"] = article_id(aldo.save("/admin/articles/new", "schedule", headline="Aldo schedules the bridge",
                                             section="news", authors="aldo", body="b",
                                             publish_at="2091-06-01T09:30"))
        ids["apub"] = article_id(aldo.save("/admin/articles/new", "publish", headline="Aldo publishes the ferry",
                                           section="sport", authors="aldo", body="b"))
        # stored in UTC: 09:30 in Berlin's summer is 07:30Z
        t.contains(show(site, "aldo-schedules-the-bridge"), "2091-06-01T07:30")

        page = cora.get("/admin").text()
        t.contains(page, "Signed in as <strong>Cora</strong> (contributor, cora@example.org)")
        t.contains(page, ">New article</a>")
        t.contains(page, ">Log out</button>")
        t.contains(page, ">Log out everywhere</button>")
        t.contains(page, ">My drafts</h2>")
        t.contains(block(page, "desk-drafts"), f'<a href="/admin/articles/{ids["cdraft"]}">Cora drafts the tide table</a>')
        t.absent(block(page, "desk-drafts"), "Cora asks about the quay")
        t.contains(block(page, "desk-review"), f'<a href="/admin/articles/{ids["creview"]}">Cora asks about the quay</a>')
        for other in ("Aldo drafts", "Aldo schedules", "Aldo publishes"):
            t.absent(page, other, "a contributor sees only their own")

        page = aldo.get("/admin").text()
        sched = block(page, "desk-scheduled")
        t.contains(sched, f'<a href="/admin/articles/{ids["asched"]}">Aldo schedules the bridge</a>')
        t.contains(sched, "2091-06-01 09:30</time> (Europe/Berlin)")
        t.contains(block(page, "desk-published"), "Aldo publishes the ferry")
        t.contains(block(page, "desk-drafts"), "Aldo drafts the ferry")
        t.absent(page, "Cora", "an author sees only their own")
        t.contains(block(page, "desk-failed"), "Nothing failed")

        page = ed.get("/admin").text()
        t.contains(page, ">Drafts</h2>")
        t.contains(block(page, "desk-drafts"), "Cora drafts the tide table")
        t.contains(block(page, "desk-drafts"), "Aldo drafts the ferry")
        t.contains(block(page, "desk-review"), "Cora asks about the quay")
        t.contains(block(page, "desk-scheduled"), "Aldo schedules the bridge")
        t.contains(block(page, "desk-published"), "Aldo publishes the ferry")
        t.contains(ed.get("/admin").text(), "Signed in as <strong>Ed</strong> (editor")

    with t.case(P + "the dashboard: a scheduled publication that failed shows with the job queue's reason"):
        fid = article_id(aldo.save("/admin/articles/new", "schedule", headline="Aldo launches the lifeboat",
                                   section="news", authors="aldo", body="b", publish_at="2091-07-01T08:00"))
        # an image address no save accepts, and the time come: the
        # publishing job's save refuses it, as any other could fail
        now = int(time.time())
        sql.write(f"UPDATE articles SET image_url = 'javascript:alert(1)', image_alt = 'x',"
                  f" published_at = {now - 60} WHERE id = {fid}")
        sql.write(f"UPDATE jobs SET run_at = {now - 60} WHERE kind = 'publish' AND payload = '{fid}'")
        mh("jobs", "run-due", "--site", site)  # the server's own runner may take it first: either fails it
        harness.wait_for(lambda: "lifeboat" in block(aldo.get("/admin").text(), "desk-failed"), 30,
                         "the failure on the dashboard")
        page = aldo.get("/admin").text()
        failed = block(page, "desk-failed")
        t.contains(failed, f'<a href="/admin/articles/{fid}">')
        t.contains(failed, "Why:</strong> image")
        t.true(re.search(r"Will try again at \d{4}-\d\d-\d\d \d\d:\d\d|Gave up", failed), failed[:500])
        t.contains(block(ed.get("/admin").text(), "desk-failed"), f'/admin/articles/{fid}"')
        t.contains(block(bea.get("/admin").text(), "desk-failed"), "Nothing failed", "not bea's article")
        t.absent(cora.get("/admin").text(), "lifeboat")

    with t.case(P + "the list: status, section, author and headline search together; bad filters are 400"):
        lst = ed.get("/admin/articles?status=draft&section=news&author=cora&q=TIDE").text()
        t.contains(lst, "Cora drafts the tide table")
        for other in ("Aldo drafts the ferry", "Cora asks about the quay", "Aldo publishes"):
            t.absent(lst, other)
        t.contains(lst, 'value="TIDE"')
        t.contains(lst, '<option value="cora" selected>')
        # the status is chosen once, by the links above the form (no second
        # control): the current one is marked, and the form keeps it
        t.contains(lst, '<a href="/admin/articles?status=draft" aria-current="page">draft</a>')
        t.contains(lst, '<input type="hidden" name="status" value="draft">')
        t.absent(lst, 'name="status" value="published"', "no other status in the form")
        t.absent(lst, '<select id="f-status"', "no status select beside the links")
        t.contains(ed.get("/admin/articles").text(), '<a href="/admin/articles" aria-current="page">All</a>')
        t.absent(lst, '<a href="/admin/articles" aria-current="page">All</a>', "All is not current under a filter")
        t.contains(ed.get("/admin/articles?section=sport").text(), "Aldo publishes the ferry")
        t.absent(ed.get("/admin/articles?section=sport").text(), "Aldo drafts the ferry")
        t.absent(ed.get("/admin/articles?author=aldo").text(), "Cora drafts")
        t.contains(ed.get("/admin/articles?author=aldo&q=ferry").text(), "Aldo drafts the ferry")
        t.contains(ed.get("/admin/articles?q=ferry").text(), "Aldo publishes the ferry")
        t.contains(ed.get("/admin/articles?q=%25").text(), "No articles match these filters.")
        t.contains(ed.get("/admin/articles?q=f_rry").text(), "No articles match these filters.")
        # a contributor's author filter never reaches another's articles
        t.absent(cora.get("/admin/articles?author=aldo").text(), "Aldo")
        t.contains(cora.get("/admin/articles?q=quay").text(), "Cora asks about the quay")
        for bad, word in (("status=bogus", "Unknown status"), ("section=nowhere", "Unknown section"),
                          ("author=nobody", "Unknown author"), ("q=" + "x" * 201, "at most 200")):
            r = ed.get("/admin/articles?" + bad)
            t.eq(r.status, 400, bad)
            t.contains(r.text(), word, bad)

    with t.case(P + "the list: a search's pages keep every filter and never overlap"):
        for i in range(23):
            article_id(ed.save("/admin/articles/new", "draft", headline=f"Gull census {i:02d}", section="sport",
                               body="b"))
        article_id(ed.save("/admin/articles/new", "draft", headline="Gull census in news", section="news", body="b"))
        first = ed.get("/admin/articles?status=draft&section=sport&q=census").text()
        m = re.search(r'<a rel="next" href="([^"]+)">Older</a>', first)
        t.true(m, "an Older link")
        older = htmllib.unescape(m.group(1))
        for part in ("status=draft", "section=sport", "q=census", "before="):
            t.contains(older, part)
        second = ed.get(older).text()
        names = lambda h: re.findall(r"Gull census \d\d", h)  # noqa: E731
        t.eq(len(names(first)), 20)
        t.true(set(names(first)).isdisjoint(names(second)), "pages do not overlap")
        t.eq(len(set(names(first)) | set(names(second))), 23)
        t.absent(first + second, "Gull census in news")
        # without a status: every status in one order (published first, by
        # time; drafts after, newest first), pages still disjoint and whole
        article_id(ed.save("/admin/articles/new", "publish", headline="Gull census 99 published", section="sport",
                           body="b"))
        first = ed.get("/admin/articles?section=sport&q=census").text()
        t.eq(names(first)[:2], ["Gull census 99", "Gull census 22"], "the published one first, then the newest draft")
        m = re.search(r'<a rel="next" href="([^"]+)">Older</a>', first)
        t.true(m, "an Older link without a status too")
        second = ed.get(htmllib.unescape(m.group(1))).text()
        t.eq(len(names(first)), 20)
        t.true(set(names(first)).isdisjoint(names(second)), "pages do not overlap")
        t.eq(len(set(names(first)) | set(names(second))), 24)
        t.eq(sorted(names(first) + names(second), reverse=True)[1:], names(first)[1:] + names(second),
             "the drafts newest first across both pages")
        # the dashboard shows a few of each, the newest
        drafts = block(ed.get("/admin").text(), "desk-drafts")
        t.eq(len(re.findall(r"<li>", drafts)), 5, drafts)
        t.contains(drafts, "Gull census in news")

    with t.case(P + "revisions: listed with who, when and kind, linked from the editor; a line diff of the last save"):
        r = ed.save("/admin/articles/new", "publish", headline="Tide tables", section="news", authors="bea",
                    body="Line one\nLine two\nLine three\n")
        tid = ids["tide"] = article_id(r)
        public_page(srv, "/articles/tide-tables", "Line two")
        article_id(ed.save(f"/admin/articles/{tid}", "draft", body="Line one\nLine 2 changed\nLine three\nLine four\n"))
        public_page(srv, "/articles/tide-tables", "Line 2 changed")
        page, _, _ = ed.editor(f"/admin/articles/{tid}")
        t.contains(page, f'<a href="/admin/articles/{tid}/revisions">Revisions</a>')
        r = ed.get(f"/admin/articles/{tid}/revisions")
        t.eq(r.status, 200)
        t.eq(r.header("cache-control"), "no-store")
        page = r.text()
        revs = revision_ids(site, "tide-tables")
        t.eq(len(revs), 2)
        for rid in revs:
            t.contains(page, f"<td>{rid}")
        t.contains(page, "<td>Ed</td><td>save</td>")
        t.contains(page, f"Changes from revision {revs[1]} to revision {revs[0]}")
        t.contains(page, '<del><span class="diff__mark">−</span><span class="visually-hidden">removed: </span>Line two</del>')
        t.contains(page, '<ins><span class="diff__mark">+</span><span class="visually-hidden">added: </span>Line 2 changed</ins>')
        t.contains(page, "added: </span>Line four</ins>")
        t.absent(page, "removed: </span>Line one", "unchanged lines are not marked")
        # any two, either order: shown older to newer
        page = ed.get(f"/admin/articles/{tid}/revisions?from={revs[0]}&to={revs[1]}").text()
        t.contains(page, f"Changes from revision {revs[1]} to revision {revs[0]}")
        page = ed.get(f"/admin/articles/{tid}/revisions?from={revs[0]}&to={revs[0]}").text()
        t.contains(page, "These two revisions have the same text.")

    with t.case(P + "revisions: Restore brings back an old text as a new revision, the public page follows"):
        tid = ids["tide"]
        before = revision_ids(site, "tide-tables")
        page = ed.get(f"/admin/articles/{tid}/revisions").text()
        csrf = form_value(page, "csrf")
        base = form_value(page, "base_revision")
        r = ed.post(f"/admin/articles/{tid}/revisions", {"csrf": csrf, "base_revision": base,
                                                          "restore": str(before[-1])})
        t.eq(r.status, 303, r.text()[:300])
        after = revision_ids(site, "tide-tables")
        t.eq(after[1:], before, "every earlier revision kept")
        t.eq(len(after), len(before) + 1)
        page = ed.get(r.header("location")).text()
        t.contains(page, f"as the new revision {after[0]}")
        t.contains(page, f"restore of revision {before[-1]}")
        shown = show(site, "tide-tables")
        t.contains(shown, "Line two")
        t.true(re.search(r'^status: *"?published', shown, re.M), "still published: " + shown[:300])
        t.absent(public_page(srv, "/articles/tide-tables", "Line two").text(), "Line 2 changed")

    if node2:
        with t.case(P + "two nodes: a restore on one, the other's cached public page follows"):
            tid = ids["tide"]
            page = public_page(node2, "/articles/tide-tables", "Line two")
            t.absent(page.text(), "Line 2 changed")
            node2.get("/articles/tide-tables")  # and again: from its page cache now
            revs = revision_ids(site, "tide-tables")
            page = ed.get(f"/admin/articles/{tid}/revisions").text()
            r = ed.post(f"/admin/articles/{tid}/revisions", {"csrf": form_value(page, "csrf"),
                                                              "base_revision": str(revs[0]),
                                                              "restore": str(revs[1])})
            t.eq(r.status, 303, r.text()[:300])
            t.absent(public_page(node2, "/articles/tide-tables", "Line 2 changed").text(), "Line two")

    with t.case(P + "revisions: 403 for a role that may not, 403 without CSRF, 404 for another article's; nothing changes"):
        tid = ids["tide"]
        before = revision_ids(site, "tide-tables")
        body_before = show(site, "tide-tables")
        # aldo is not on the byline: neither sees nor restores
        t.eq(aldo.get(f"/admin/articles/{tid}/revisions").status, 403)
        page = aldo.get("/admin").text()
        r = aldo.post(f"/admin/articles/{tid}/revisions", {"csrf": form_value(page, "csrf"),
                                                            "restore": str(before[-1])})
        t.eq(r.status, 403)
        # cora may open her own article's revisions, but not change it once it is live
        cid = article_id(ed.save("/admin/articles/new", "publish", headline="Cora on the pier", section="news",
                                 authors="cora", body="Pier v1"))
        article_id(ed.save(f"/admin/articles/{cid}", "draft", body="Pier v2"))
        public_page(srv, "/articles/cora-on-the-pier", "Pier v2")
        crevs = revision_ids(site, "cora-on-the-pier")
        r = cora.get(f"/admin/articles/{cid}/revisions")
        t.eq(r.status, 200)
        t.absent(r.text(), ">Restore</button>", "no Restore button for a live article she may not change")
        r = cora.post(f"/admin/articles/{cid}/revisions", {"csrf": form_value(r.text(), "csrf"),
                                                            "restore": str(crevs[-1])})
        t.eq(r.status, 403)
        t.contains(r.text(), "Nothing was changed")
        t.eq(revision_ids(site, "cora-on-the-pier"), crevs)
        # her own draft she may restore
        article_id(cora.save(f"/admin/articles/{ids['cdraft']}", "draft", body="second text"))
        dpage = cora.get(f"/admin/articles/{ids['cdraft']}/revisions").text()
        t.contains(dpage, ">Restore</button>")
        # without CSRF, or a wrong token
        r = ed.post(f"/admin/articles/{tid}/revisions", {"restore": str(before[-1])})
        t.eq(r.status, 403, "no token")
        page = ed.get(f"/admin/articles/{tid}/revisions").text()
        tok = form_value(page, "csrf")
        wrong = ("y" if tok[0] == "x" else "x") + tok[1:]
        r = ed.post(f"/admin/articles/{tid}/revisions", {"csrf": wrong, "restore": str(before[-1])})
        t.eq(r.status, 403, "a wrong token")
        # another article's revision: 404 to see and to restore
        r = ed.get(f"/admin/articles/{tid}/revisions?from={crevs[0]}&to={before[0]}")
        t.eq(r.status, 404)
        r = ed.get(f"/admin/articles/{tid}/revisions?to={crevs[0]}")
        t.eq(r.status, 404)
        r = ed.post(f"/admin/articles/{tid}/revisions", {"csrf": form_value(page, "csrf"), "restore": str(crevs[0])})
        t.eq(r.status, 404)
        t.contains(r.text(), "Nothing was changed")
        # no such article, a bad number
        t.eq(ed.get("/admin/articles/999999/revisions").status, 404)
        t.eq(ed.get("/admin/articles/x1/revisions").status, 404)
        t.eq(ed.get(f"/admin/articles/{tid}/revisions?from=abc").status, 400)
        r = ed.post(f"/admin/articles/{tid}/revisions", {"csrf": form_value(page, "csrf"), "restore": "abc"})
        t.eq(r.status, 400)
        # a restore from a stale page: 409
        r = ed.post(f"/admin/articles/{tid}/revisions", {"csrf": form_value(page, "csrf"),
                                                          "base_revision": str(before[-1]),
                                                          "restore": str(before[-1])})
        t.eq(r.status, 409)
        t.eq(revision_ids(site, "tide-tables"), before, "no revision made by any refused request")
        t.eq(show(site, "tide-tables"), body_before)


suite("sqlite")
if PG:
    suite("postgres")
else:
    t.ok(False, "[postgres] the desk on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: these tests need the cluster of scripts/pg-test (run scripts/run-tests)")
t.done()
