"""The newsroom's article screens end to end, on SQLite and on PostgreSQL,
over HTTP with real logins: the list (/admin/articles: status filter, own
articles only for contributors and authors, keyset paging with an Older
link), the editor (its labels and buttons by role), saving through the one
save path (drafts, review, publish; 403 for what a role may not do, and
nothing changed), CSRF, form errors keeping what was typed, markup shown as
text, and a stale save refused with 409 and kept as a conflict revision.
The PostgreSQL half needs the cluster of scripts/pg-test
(MASTHEAD_TEST_PG_URL); without it that half FAILS."""

import html as htmllib
import http.client
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = sys.argv[1]
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
PW = "tidal-harbour-lantern-41"
LABELS = ["Headline", "Dek", "Slug", "Section", "Tags", "Authors", "Via", "Image", "Image description",
          "Staff pick", "Body"]


def mh(*args, stdin=None):
    return subprocess.run([BIN] + list(args), input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=120)


def psql(sql, db):
    p = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", db, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise CaseFailed(f"psql {sql!r}: {p.stderr.strip()}")
    return p.stdout.strip()


class Client(harness.Client):
    """harness.Client with this file's password, and the editor's form."""

    def login(self, email):
        return super().login(email, PW)

    def editor(self, path):
        r = self.get(path)
        if r.status != 200:
            raise CaseFailed(f"GET {path}: {r.status} {r.text()[:300]!r}")
        return r.text(), form_value(r.text(), "csrf"), form_value(r.text(), "base_revision")

    def save(self, path, action, **fields):
        """Opens the editor at path, then posts its form with fields changed."""
        page, csrf, base = self.editor(path)
        form = {"csrf": csrf, "base_revision": base, "action": action}
        for name in ("headline", "dek", "slug", "tags", "authors", "via", "image", "image_alt"):
            form[name] = htmllib.unescape(form_value(page, name))
        m = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
        form["body"] = htmllib.unescape(m.group(1)) if m else ""
        sel = re.search(r'<option value="([^"]*)" selected>', page)
        form["section"] = sel.group(1) if sel else ""
        form.update(fields)
        return self.post(path, form)


def public_page(srv, path, want):
    """The public page once it shows want: a running server drops its cached
    copy when it reads the change log (within a second or so)."""
    r = None
    for _ in range(100):
        r = Client(srv).get(path)
        if want in r.text():
            return r
        time.sleep(0.1)
    raise CaseFailed(f"{path} never showed {want!r}: {r.status} {r.text()[:300]!r}")


form_value = harness.form_value


def article_id(r):
    m = re.match(r"/admin/articles/(\d+)\?saved=", r.header("location") or "")
    if r.status != 303 or not m:
        alert = re.findall(r'role="alert">([^<]*)', r.text())
        raise CaseFailed(f"expected 303 to the editor, got {r.status} {r.header('location')} {alert!r}")
    return m.group(1)


def status_of(site, slug):
    r = mh("article", "show", slug, "--site", site)
    m = re.search(r'^status: *"?([a-z]+)', r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise CaseFailed(f"article show {slug}: {r.returncode} {r.stdout[:300]!r} {r.stderr!r}")
    return m.group(1)


def suite(name):
    P = f"[{name}] "
    site = os.path.join(harness.tempdir(), "site")
    extra = []
    if name == "postgres":
        db = f"mh_adm_art_{os.getpid()}"
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", PG)
        psql(f"CREATE DATABASE {db}", PG)
        extra = ["--database", PG.rsplit("/", 1)[0] + "/" + db]
    p = mh("init", *extra, "--owner", "owner@example.org", "--name", "Olu Owner", site, stdin=PW + "\n")
    if p.returncode != 0:
        t.ok(False, P + "init", p.stderr)
        return
    for slug, nm in (("cora", "Cora Contributor"), ("aldo", "Aldo Author"), ("bea", "Bea Author")):
        r = mh("author", "add", slug, "--name", nm, "--site", site)
        if r.returncode != 0:
            t.ok(False, P + "author add", r.stderr)
            return
    for email, role, author in (("cora@example.org", "contributor", "cora"), ("aldo@example.org", "author", "aldo"),
                                ("bea@example.org", "author", "bea"), ("ed@example.org", "editor", None)):
        args = ["user", "add", email, "--name", email.split("@")[0].title(), "--role", role, "--site", site]
        if author:
            args += ["--author", author]
        r = mh(*args, stdin=PW + "\n")
        if r.returncode != 0:
            t.ok(False, P + "user add", r.stderr)
            return
    srv = harness.Server(BIN, site).start()
    try:
        cases(P, site, srv)
    finally:
        srv.stop()


def cases(P, site, srv):
    cora = Client(srv).login("cora@example.org")
    aldo = Client(srv).login("aldo@example.org")
    bea = Client(srv).login("bea@example.org")
    ed = Client(srv).login("ed@example.org")

    with t.case(P + "the editor: labels and buttons exactly as named, by role; hidden csrf and base revision"):
        page, csrf, base = ed.editor("/admin/articles/new")
        for label in LABELS:
            t.true(re.search(r"<label for=\"[a-z_]+\">%s</label>" % re.escape(label), page), f"label {label}")
        for b in ("Save draft", "Submit for review", "Publish", "Schedule"):
            t.contains(page, f">{b}</button>")
        t.contains(page, 'type="datetime-local"')
        t.true(len(csrf) > 20 and base == "0", f"csrf {csrf!r} base {base!r}")
        t.contains(page, ">New article</a>")
        t.contains(page, ">Log out</button>")
        r = ed.get("/admin/articles/new")
        t.eq(r.header("cache-control"), "no-store")
        cpage, _, _ = cora.editor("/admin/articles/new")
        t.contains(cpage, ">Save draft</button>")
        t.contains(cpage, ">Submit for review</button>")
        t.absent(cpage, ">Publish</button>")
        t.absent(cpage, ">Schedule</button>")
        t.absent(cpage, ">Staff pick</label>")
        t.eq(form_value(cpage, "authors"), "cora", "a new article's byline is the account's")

    with t.case(P + "a contributor creates a draft, submits it; publishing is 403 and changes nothing"):
        r = cora.save("/admin/articles/new", "draft", headline="Harbour dredging starts", section="news",
                      body="The dredger arrived **today**.", tags="Harbour, Works")
        aid = article_id(r)
        t.eq(status_of(site, "harbour-dredging-starts"), "draft")
        page = cora.get(r.header("location")).text()
        t.contains(page, "Saved as a draft.")
        t.contains(page, 'value="Harbour, Works"')
        r = cora.save(f"/admin/articles/{aid}", "publish")
        t.eq(r.status, 403)
        t.contains(r.text(), "Nothing was changed")
        t.eq(status_of(site, "harbour-dredging-starts"), "draft")
        t.eq(Client(srv).get("/articles/harbour-dredging-starts").status, 404)
        r = cora.save(f"/admin/articles/{aid}", "review")
        article_id(r)
        t.eq(status_of(site, "harbour-dredging-starts"), "review")

    with t.case(P + "an editor publishes it: the public page shows it; the revision names the editor"):
        r = ed.save(f"/admin/articles/{aid}", "publish")
        article_id(r)
        t.eq(status_of(site, "harbour-dredging-starts"), "published")
        pub = public_page(srv, "/articles/harbour-dredging-starts", "Harbour dredging starts")
        t.eq(pub.status, 200)
        revs = mh("article", "revisions", "harbour-dredging-starts", "--site", site).stdout
        t.contains(revs, "Ed")
        t.contains(revs, "Cora")

    with t.case(P + "an author editing another's article is 403 and nothing changes; the list hides it"):
        _, csrf, _ = aldo.editor("/admin/articles/new")
        r = aldo.post(f"/admin/articles/{aid}", {"csrf": csrf, "action": "draft", "headline": "Hijacked",
                                                 "section": "news", "authors": "aldo", "body": "x"})
        t.eq(r.status, 403)
        t.contains(r.text(), "another person")
        t.eq(aldo.get(f"/admin/articles/{aid}").status, 403)
        t.eq(status_of(site, "harbour-dredging-starts"), "published")
        t.absent(Client(srv).get("/articles/harbour-dredging-starts").text(), "Hijacked")
        t.absent(aldo.get("/admin/articles").text(), "Harbour dredging starts")
        t.contains(cora.get("/admin/articles").text(), "Harbour dredging starts")
        t.contains(ed.get("/admin/articles").text(), "Harbour dredging starts")

    with t.case(P + "an author publishes and unpublishes their own"):
        r = aldo.save("/admin/articles/new", "publish", headline="Ferry fares rise", section="news",
                      authors="aldo", body="Fares go up in June.")
        fid = article_id(r)
        t.eq(status_of(site, "ferry-fares-rise"), "published")
        page, _, _ = aldo.editor(f"/admin/articles/{fid}")
        t.contains(page, ">Unpublish</button>")
        article_id(aldo.save(f"/admin/articles/{fid}", "unpublish"))
        t.eq(status_of(site, "ferry-fares-rise"), "draft")

    with t.case(P + "Schedule: a future time in the site's zone schedules it; a past or missing time is 422"):
        r = aldo.save("/admin/articles/new", "schedule", headline="Bridge closes", section="news",
                      authors="aldo", body="Closed for repairs.", publish_at="2001-01-01T10:00")
        t.eq(r.status, 422)
        t.contains(r.text(), "Publish at:")
        t.contains(r.text(), "Closed for repairs.</textarea>")
        r = aldo.save("/admin/articles/new", "schedule", headline="Bridge closes", section="news",
                      authors="aldo", body="Closed for repairs.", publish_at="")
        t.eq(r.status, 422)
        r = aldo.save("/admin/articles/new", "schedule", headline="Bridge closes", section="news",
                      authors="aldo", body="Closed for repairs.", publish_at="2091-06-01T09:30")
        bid = article_id(r)
        t.eq(status_of(site, "bridge-closes"), "scheduled")
        page, _, _ = aldo.editor(f"/admin/articles/{bid}")
        t.contains(page, 'value="2091-06-01T09:30"')
        t.contains(aldo.get("/admin/articles?status=scheduled").text(), "Bridge closes")
        t.eq(cora.get(f"/admin/articles/{fid}").status, 403, "a contributor opening an author's article")

    with t.case(P + "a missing or wrong CSRF token is 403 and nothing changes"):
        page, csrf, base = ed.editor(f"/admin/articles/{aid}")
        form = {"base_revision": base, "action": "draft", "headline": "Forged", "section": "news", "body": "x"}
        r = ed.post(f"/admin/articles/{aid}", form)
        t.eq(r.status, 403, f"no token: {r.header('location')} {r.text()[:200]!r}")
        r = ed.post(f"/admin/articles/{aid}", dict(form, csrf="x" + csrf[1:]))
        t.eq(r.status, 403)
        r = ed.post("/admin/articles/new", dict(form, slug="forged-new"))
        t.eq(r.status, 403)
        t.contains(r.text(), "nothing was changed")
        t.absent(ed.get("/admin/articles").text(), "Forged")
        t.eq(mh("article", "show", "forged-new", "--site", site).returncode != 0, True, "no forged article")

    with t.case(P + "a duplicate slug, a missing headline or section, a bad address: 422 naming the field, input kept"):
        r = ed.save("/admin/articles/new", "draft", headline="Second <b>harbour</b> story", section="news",
                    slug="harbour-dredging-starts", dek="Typed dek", body="Typed body")
        t.eq(r.status, 422)
        page = r.text()
        t.contains(page, "Slug")
        t.contains(page, "already used")
        t.contains(page, 'value="Typed dek"')
        t.contains(page, "Typed body</textarea>")
        t.contains(page, 'value="Second &lt;b&gt;harbour&lt;/b&gt; story"')
        for fields, word in (({"headline": ""}, "Headline:"), ({"section": ""}, "Section:"),
                             ({"image": "javascript:alert(1)"}, "Image:"), ({"via": "Paper <data:x>"}, "Via:"),
                             ({"via": "https://no-name.example"}, "Via:")):
            r = ed.save("/admin/articles/new", "draft", **dict({"headline": "Kept", "section": "news",
                                                                "body": "Kept body"}, **fields))
            t.eq(r.status, 422, f"{fields}")
            t.contains(r.text(), word, f"{fields}")
            t.contains(r.text(), "Kept body</textarea>", f"{fields}")
        r = ed.save("/admin/articles/new", "publish", headline="Pictured", section="news", body="B",
                    image="/media/x.jpg", image_alt="")
        t.eq(r.status, 422)
        t.contains(r.text(), "Image description:")
        t.eq(mh("article", "show", "pictured", "--site", site).returncode != 0, True, "nothing saved")

    with t.case(P + "script in the headline is shown as text in the list and the editor"):
        r = ed.save("/admin/articles/new", "draft", headline="<script>alert(1)</script> Tide", section="news",
                    slug="tide-script", body="b")
        sid = article_id(r)
        lst = ed.get("/admin/articles").text()
        t.absent(lst, "<script>alert(1)")
        t.contains(lst, "&lt;script&gt;alert(1)&lt;/script&gt; Tide")
        page, _, _ = ed.editor(f"/admin/articles/{sid}")
        t.absent(page, "<script>alert(1)")
        t.contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; Tide")

    with t.case(P + "a stale save: 409, both texts shown and kept, a conflict revision exists"):
        page, csrf, base = ed.editor(f"/admin/articles/{aid}")
        article_id(ed.save(f"/admin/articles/{aid}", "draft", headline="Theirs: dredging paused",
                           body="Their body text"))
        form = {"csrf": csrf, "base_revision": base, "action": "draft", "headline": "Mine: dredging resumes",
                "section": "news", "body": "My body text", "authors": "cora"}
        r = ed.post(f"/admin/articles/{aid}", form)
        t.eq(r.status, 409)
        out = r.text()
        for s in ("Theirs: dredging paused", "Their body text", "Mine: dredging resumes", "My body text"):
            t.contains(out, s)
        t.contains(out, "Someone else saved this article")
        revs = mh("article", "revisions", "harbour-dredging-starts", "--site", site).stdout
        t.contains(revs, "[conflict: refused, kept]")
        t.contains(revs, "Mine: dredging resumes")
        public_page(srv, "/articles/harbour-dredging-starts", "Theirs: dredging paused")

    with t.case(P + "the list: status filter, newest first, keyset paging with an Older link"):
        for i in range(23):
            article_id(ed.save("/admin/articles/new", "draft", headline=f"Paging story {i:02d}", section="news",
                               body="b"))
        r = ed.get("/admin/articles?status=draft")
        t.eq(r.status, 200)
        first = r.text()
        t.contains(first, "Paging story 22")
        t.absent(first, "Harbour dredging starts", "published one filtered out")
        m = re.search(r'<a rel="next" href="([^"]+)">Older</a>', first)
        t.true(m, "an Older link")
        older = htmllib.unescape(m.group(1))
        t.contains(older, "before=")
        t.absent(older, "offset")
        second = ed.get(older).text()
        names = lambda h: re.findall(r"Paging story \d\d", h)  # noqa: E731
        t.eq(len(names(first)), 20, "a full first page")
        t.true(set(names(first)).isdisjoint(names(second)), "pages do not overlap")
        t.eq(len(set(names(first)) | set(names(second))), 23, "every story on one of the pages")
        t.eq(ed.get("/admin/articles?status=bogus").status, 400)
        pub = ed.get("/admin/articles?status=published").text()
        t.contains(pub, "Theirs: dredging paused")
        t.absent(pub, "Paging story")


suite("sqlite")
if PG:
    suite("postgres")
else:
    t.ok(False, "[postgres] admin articles on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: these tests need the cluster of scripts/pg-test (run scripts/run-tests)")
t.done()
