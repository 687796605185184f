"""The editor's helpers end to end, on SQLite and on PostgreSQL, over HTTP
with real logins: the live preview (POST /admin/preview: the site theme's
article page from the form's fields, nothing written, never cached, CSRF,
markup shown as text, a sandboxed frame), autosave of drafts
(POST /admin/autosave/ID: saves, refuses a stale version with 409, keeps one
revision per run of autosaves), the word count and reading time, the
Ctrl+S hint, and Schedule read in the site's time zone. The PostgreSQL half
needs the cluster of scripts/pg-test (MASTHEAD_TEST_PG_URL); without it that
half FAILS."""

import datetime
import json
import os
import re
import subprocess
import time
import sys
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed, article_id, form_value  # noqa: E402

BIN = sys.argv[1]
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
PW = "tidal-harbour-lantern-41"
ZONE = "America/New_York"  # not UTC: Schedule must read the site's zone
COUNTED = ("articles", "article_revisions", "tags", "article_tags", "article_authors", "changes", "jobs",
           "article_slugs")


def mh(*args, stdin=None):
    return subprocess.run([BIN] + list(args), input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=120)


class Db:
    """Reads the site's database, whichever backend."""

    def __init__(self, site, pg_url):
        self.site, self.pg_url = site, pg_url

    def value(self, sql):
        if self.pg_url:
            return harness.psql(sql, self.pg_url)
        rows = harness.db_query(self.site, sql)
        return str(list(rows[0].values())[0]) if rows else ""

    def count(self, table, where="true"):
        return int(self.value(f"SELECT count(*) FROM {table} WHERE {where}"))

    def counts(self):
        return {tb: self.count(tb) for tb in COUNTED}


def handler_attributes(page):
    """Every on* attribute (an event handler) of every tag of page."""
    found = []

    class Parser(harness.html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(f"<{tag} {k}>" for k, _ in attrs if k.startswith("on"))

    Parser().feed(page)
    return found


def autosave(client, aid, form):
    r = client.post(f"/admin/autosave/{aid}", form)
    try:
        j = json.loads(r.text())
    except ValueError:
        raise CaseFailed(f"autosave answered {r.status} {r.header('content-type')} {r.text()[:300]!r}")
    return r, j


def editor_form(client, path):
    """The editor's form as the browser would post it."""
    page, csrf, base = client.editor(path)
    form = {"csrf": csrf, "base_revision": base}
    for name in ("headline", "dek", "slug", "tags", "authors", "via", "image", "image_alt"):
        form[name] = harness.html.unescape(form_value(page, name))
    m = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
    form["body"] = harness.html.unescape(m.group(1)) if m else ""
    sel = re.search(r'<option value="([^"]*)" selected>', page)
    form["section"] = sel.group(1) if sel else ""
    return page, form


def suite(name):
    P = f"[{name}] "
    site = os.path.join(harness.tempdir(), "site")
    extra, pg_url = [], ""
    if name == "postgres":
        pg_url = harness.pg_new_db(PG, f"mh_adm_ed_{os.getpid()}")
        extra = ["--database", pg_url]
    p = mh("init", *extra, "--owner", "owner@example.org", "--name", "Olu Owner", site, stdin=PW + "\n")
    if p.returncode != 0:
        t.ok(False, P + "init", p.stderr)
        return
    harness.ini_set(os.path.join(site, "site.ini"), "site", "timezone", ZONE)
    for slug, nm in (("aldo", "Aldo Author"), ("bea", "Bea Author")):
        r = mh("author", "add", slug, "--name", nm, "--site", site)
        if r.returncode != 0:
            t.ok(False, P + "author add", r.stderr)
            return
    for email, role, author in (("aldo@example.org", "author", "aldo"), ("bea@example.org", "author", "bea"),
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
        cases(P, site, srv, Db(site, pg_url))
    finally:
        srv.stop()


def cases(P, site, srv, db):
    aldo = harness.AdminClient(srv, PW).login("aldo@example.org")
    bea = harness.AdminClient(srv, PW).login("bea@example.org")
    ed = harness.AdminClient(srv, PW).login("ed@example.org")
    # one published article, so that the site theme's pages exist to compare with
    article_id(ed.save("/admin/articles/new", "publish", headline="Ferry timetable changes", section="news",
                       authors="aldo", body="The ferry runs later on Sundays."))
    public = harness.AdminClient(srv, PW).get("/articles/ferry-timetable-changes")

    with t.case(P + "preview: the site theme's article page from the form's fields, nothing written"):
        t.eq(public.status, 200)
        _, csrf, _ = aldo.editor("/admin/articles/new")
        before = db.counts()
        form = {"csrf": csrf, "headline": "Harbour lights return", "dek": "After ten dark years",
                "section": "news", "authors": "aldo", "tags": "Preview-only tag", "body":
                "The lights come back **on Friday**.\n\nSecond paragraph.", "slug": ""}
        r = aldo.post("/admin/preview", form)
        t.eq(r.status, 200, r.text()[:300])
        page = r.text()
        t.contains(page, "Harbour lights return")
        t.contains(page, "After ten dark years")
        t.contains(page, "<strong>on Friday</strong>")
        t.contains(page, "Aldo Author", "the byline, from the author's slug")
        t.contains(page, "Preview-only tag")
        # an article not yet read shows no view count, and the frame sends no beacon
        t.absent(page, " Views</p>", "no '0 Views' in the preview")
        t.absent(page, "/views/", "no views beacon or pixel")
        t.contains(public.text(), " Views</p>", "the public page does show its count")
        # the public theme: its stylesheet and its page frame, not the admin's
        css = re.search(r'<link rel="stylesheet" href="([^"]+)"', public.text())
        t.true(css, "the public page links a stylesheet")
        t.contains(page, css.group(1), "the site theme's stylesheet")
        t.absent(page, "admin.", "nothing of the admin theme")
        t.eq(r.header("cache-control"), "no-store")
        t.eq(r.header("x-robots-tag"), "noindex")
        t.eq(r.header("content-security-policy"), public.header("content-security-policy"), "the public page CSP")
        t.eq(r.header("x-frame-options"), None, "framed by the editor")
        t.eq(db.counts(), before, "no row written anywhere (the tag was not made)")
        t.eq(harness.AdminClient(srv, PW).get("/articles/harbour-lights-return").status, 404)

    with t.case(P + "preview: without or with a wrong CSRF token 403; signed out, to the login page"):
        form = {"headline": "Forged", "section": "news", "body": "x"}
        r = aldo.post("/admin/preview", form)
        t.eq(r.status, 403)
        t.absent(r.text(), "Forged")
        r = aldo.post("/admin/preview", dict(form, csrf="x" + csrf[1:]))
        t.eq(r.status, 403)
        r = harness.AdminClient(srv, PW).post("/admin/preview", dict(form, csrf=csrf))
        t.true(r.status in (303, 403), f"signed out: {r.status}")
        t.absent(r.text(), "Forged")
        t.eq(aldo.get("/admin/preview").status, 405, "GET: forms only")

    with t.case(P + "preview: script in headline, dek, tags and body is text or dropped; the frame is sandboxed"):
        r = aldo.post("/admin/preview", {
            "csrf": csrf, "headline": "<script>alert(1)</script> Tide", "dek": "<img src=x onerror=alert(2)>",
            "tags": "<b>bold</b>", "section": "news", "authors": "aldo",
            "body": "Before <script>alert(3)</script> after\n\n<img src=x onerror=alert(4)>\n\n[x](javascript:alert(5))",
            "image": "javascript:alert(6)", "via": "Evil <javascript:alert(7)>"})
        t.eq(r.status, 200)
        page = r.text()
        for bad in ("<script>alert", "<img src=x", "javascript:alert", "<b>bold"):
            t.absent(page, bad)
        t.eq(handler_attributes(page), [], "no on* attribute in any tag")
        t.contains(page, "&lt;img src=x onerror=alert(2)&gt;", "the dek as text")
        t.contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; Tide")
        t.contains(page, "&lt;b&gt;bold&lt;/b&gt;")
        ed_page, _, _ = aldo.editor("/admin/articles/new")
        frame = re.search(r"<iframe[^>]*>", ed_page)
        t.true(frame, "the editor has a preview frame")
        t.contains(frame.group(0), 'name="mh-preview"')
        t.true(re.search(r"\ssandbox(\s|>|=\"\")", frame.group(0)), f"sandboxed: {frame.group(0)}")
        t.absent(frame.group(0), "allow-scripts")
        t.true(re.search(r'formaction="/admin/preview" formtarget="mh-preview"[^>]*>Preview</button>', ed_page),
               "a Preview button that works without script")
        t.contains(ed_page, '<script src="/static/')

    with t.case(P + "word count and reading time: shown in the editor, the same as autosave counts"):
        words = " ".join(f"word{i}" for i in range(231))
        aid = article_id(aldo.save("/admin/articles/new", "draft", headline="Long draft", section="news",
                                   body="# Heading\n\n" + words + "\n\n- -- *"))
        page, _, _ = aldo.editor(f"/admin/articles/{aid}")
        t.true(re.search(r"<span data-words>232</span> words · <span data-minutes>2</span> min read", page),
               "232 words (the heading's word, not its #), 2 minutes")
        new_page, _, _ = aldo.editor("/admin/articles/new")
        t.contains(new_page, "<span data-words>0</span> words · <span data-minutes>0</span> min read")

    with t.case(P + "Ctrl+S: the draft's Save draft carries the shortcut, shown in the page"):
        t.true(re.search(r'value="draft" aria-keyshortcuts="Control\+S Meta\+S" data-save>Save draft<', page),
               "Save draft has the shortcut")
        t.contains(page, "<kbd>Ctrl</kbd>+<kbd>S</kbd>")
        t.eq(page.count("data-save>"), 1, "one button takes it")
        rid = article_id(aldo.save("/admin/articles/new", "review", headline="In review", section="news", body="b"))
        rpage, _, _ = aldo.editor(f"/admin/articles/{rid}")
        t.true(re.search(r'value="review" aria-keyshortcuts="Control\+S Meta\+S" data-save>Submit for review<',
                         rpage), "in review: Ctrl+S keeps it there")
        t.absent(rpage, "data-autosave=", "only drafts autosave")

    with t.case(P + "a live article's changes go out with Publish (Ctrl+S), its date kept; no Save draft or review"):
        lid = article_id(aldo.save("/admin/articles/new", "publish", headline="Live piece", section="news", body="b"))
        first = db.value(f"SELECT published_at FROM articles WHERE id = {lid}")
        lpage, _, _ = aldo.editor(f"/admin/articles/{lid}")
        t.true(re.search(r'value="publish" aria-keyshortcuts="Control\+S Meta\+S" data-save>Publish<', lpage),
               "Publish carries the shortcut")
        t.eq(lpage.count("data-save>"), 1, "one button takes the shortcut")
        for gone in (">Save draft<", ">Submit for review<", ">Schedule<"):
            t.absent(lpage, gone)
        t.contains(lpage, ">Unpublish</button>")
        time.sleep(1.1)
        r = aldo.post(f"/admin/articles/{lid}", dict(editor_form(aldo, f"/admin/articles/{lid}")[1],
                                                     action="publish", body="Updated text"))
        t.eq(r.status, 303, r.text())
        t.eq(db.value(f"SELECT status FROM articles WHERE id = {lid}"), "published")
        t.eq(db.value(f"SELECT body_md FROM articles WHERE id = {lid}"), "Updated text")
        t.eq(db.value(f"SELECT published_at FROM articles WHERE id = {lid}"), first, "the date it first appeared")

    with t.case(P + "a scheduled article's changes are kept with Schedule (Ctrl+S); Publish sends it now"):
        at = (datetime.datetime.now(zoneinfo.ZoneInfo(ZONE)) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        sid = article_id(aldo.save("/admin/articles/new", "schedule", headline="Later piece", section="news",
                                   body="b", publish_at=at))
        spage, _, _ = aldo.editor(f"/admin/articles/{sid}")
        t.true(re.search(r'value="schedule" aria-keyshortcuts="Control\+S Meta\+S" data-save>Schedule<', spage),
               "Schedule carries the shortcut")
        t.contains(spage, 'value="publish">Publish</button>')
        for gone in (">Save draft<", ">Submit for review<"):
            t.absent(spage, gone)
        r = aldo.post(f"/admin/articles/{sid}", dict(editor_form(aldo, f"/admin/articles/{sid}")[1],
                                                     action="schedule", publish_at=at, body="Edited later"))
        t.eq(r.status, 303, r.text()[:300])
        t.eq(db.value(f"SELECT status FROM articles WHERE id = {sid}"), "scheduled")
        t.eq(db.value(f"SELECT body_md FROM articles WHERE id = {sid}"), "Edited later")

    with t.case(P + "autosave: saves a draft, answers the time and the new version token"):
        page, form = editor_form(aldo, f"/admin/articles/{aid}")
        t.contains(page, f'data-autosave="/admin/autosave/{aid}"')
        revs0 = db.count("article_revisions", f"article_id = {aid}")
        r, j = autosave(aldo, aid, dict(form, body="Autosaved text, three words more."))
        t.eq(r.status, 200, j)
        t.eq(r.header("cache-control"), "no-store")
        t.true(re.fullmatch(r"\d\d:\d\d", j.get("saved", "")), f"a time: {j}")
        now_local = datetime.datetime.now(zoneinfo.ZoneInfo(ZONE))
        t.true(abs((now_local.hour * 60 + now_local.minute) - (int(j["saved"][:2]) * 60 + int(j["saved"][3:]))) <= 1
               or j["saved"] in ("23:59", "00:00"), f"the site's time zone: {j['saved']} vs {now_local}")
        t.true(j["revision"] > int(form["base_revision"]), f"a new version: {j} after {form['base_revision']}")
        t.eq(j["words"], 5)
        t.eq(j["minutes"], 1)
        t.eq(db.value(f"SELECT body_md FROM articles WHERE id = {aid}"), "Autosaved text, three words more.")
        t.eq(db.value(f"SELECT status FROM articles WHERE id = {aid}"), "draft")
        t.eq(db.count("article_revisions", f"article_id = {aid}"), revs0 + 1)
        page, _, base = aldo.editor(f"/admin/articles/{aid}")
        t.eq(int(base), j["revision"], "the editor's version is the autosave's")
        first = j["revision"]

    with t.case(P + "autosave: a stale version is 409, the newer text stays, this one is kept as a conflict"):
        r, j2 = autosave(aldo, aid, dict(form, base_revision=form["base_revision"], body="Stale text"))
        t.eq(r.status, 409, j2)
        t.contains(j2.get("error", ""), "someone else saved")
        t.eq(j2.get("revision"), first, "names the newest version")
        t.eq(db.value(f"SELECT body_md FROM articles WHERE id = {aid}"), "Autosaved text, three words more.")
        t.eq(db.count("article_revisions", f"article_id = {aid} AND kind = 'conflict' AND body_md = 'Stale text'"),
             1)

    with t.case(P + "autosave: a run of autosaves keeps one revision; a button's save keeps its own"):
        n0 = db.count("article_revisions", f"article_id = {aid}")
        prev = first
        for i in range(4):
            r, j = autosave(aldo, aid, dict(form, base_revision=prev, replaces=prev, body=f"Run text {i}"))
            t.eq(r.status, 200, j)
            t.true(j["revision"] > prev, "the version token moves on")
            t.eq(db.count("article_revisions", f"id = {prev}"), 0, "the run's previous revision is replaced")
            prev = j["revision"]
        t.eq(db.count("article_revisions", f"article_id = {aid}"), n0, "still one revision for the run")
        t.eq(db.value(f"SELECT body_md FROM article_revisions WHERE id = {prev}"), "Run text 3")
        t.eq(db.value(f"SELECT user_name FROM article_revisions WHERE id = {prev}"), "Aldo")
        # a save with a button is never replaced: the next autosave adds one
        saved = aldo.save(f"/admin/articles/{aid}", "draft", body="Saved by hand")
        article_id(saved)
        _, form = editor_form(aldo, f"/admin/articles/{aid}")
        n1 = db.count("article_revisions", f"article_id = {aid}")
        t.eq(n1, n0 + 1)
        hand = int(form["base_revision"])
        r, j = autosave(aldo, aid, dict(form, body="After the hand save"))
        t.eq(r.status, 200, j)
        t.eq(db.count("article_revisions", f"article_id = {aid}"), n1 + 1)
        t.eq(db.count("article_revisions", f"id = {hand}"), 1, "the hand save's revision stays")
        # another person's revision is not theirs to replace
        r, j3 = autosave(ed, aid, dict(form, csrf=form_value(ed.editor(f"/admin/articles/{aid}")[0], "csrf"),
                                       base_revision=j["revision"], replaces=j["revision"], body="Ed's text"))
        t.eq(r.status, 200, j3)
        t.eq(db.count("article_revisions", f"id = {j['revision']}"), 1, "Aldo's autosave stays")
        t.eq(db.count("article_revisions", f"article_id = {aid}"), n1 + 2)

    with t.case(P + "autosave: refused for a non-draft, another's article, a bad field, or without CSRF"):
        before = db.counts()
        _, rform = editor_form(aldo, f"/admin/articles/{rid}")
        r, j = autosave(aldo, rid, dict(rform, body="x"))
        t.eq(r.status, 422, j)
        t.contains(j["error"], "not a draft")
        t.eq(db.value(f"SELECT status FROM articles WHERE id = {rid}"), "review", "still in review")
        _, bform = editor_form(bea, "/admin/articles/new")
        r, j = autosave(bea, aid, dict(bform, base_revision=j3["revision"], headline="Bea's", body="x"))
        t.eq(r.status, 403, j)
        _, form = editor_form(aldo, f"/admin/articles/{aid}")
        r, j = autosave(aldo, aid, dict(form, headline=""))
        t.eq(r.status, 422, j)
        t.contains(j["error"], "Headline")
        r, j = autosave(aldo, 999999, form)
        t.eq(r.status, 404, j)
        r = aldo.post(f"/admin/autosave/{aid}", dict(form, csrf="", body="Forged"))
        t.eq(r.status, 403)
        t.eq(db.counts(), before, "nothing written")
        t.eq(db.value(f"SELECT body_md FROM articles WHERE id = {aid}"), "Ed's text")

    with t.case(P + "Schedule: the date and time are read in the site's time zone, and a publish job waits"):
        when = (datetime.datetime.now(zoneinfo.ZoneInfo(ZONE)) + datetime.timedelta(days=30)).replace(
            hour=9, minute=30, second=0, microsecond=0)
        local = when.strftime("%Y-%m-%dT%H:%M")
        page, _, _ = ed.editor("/admin/articles/new")
        t.contains(page, f"Publish at ({ZONE})")
        sid = article_id(ed.save("/admin/articles/new", "schedule", headline="Scheduled story", section="news",
                                 authors="aldo", body="Later.", publish_at=local))
        t.eq(int(db.value(f"SELECT published_at FROM articles WHERE id = {sid}")), int(when.timestamp()))
        t.eq(db.value(f"SELECT status FROM articles WHERE id = {sid}"), "scheduled")
        t.eq(db.count("jobs", f"kind = 'publish' AND state = 'queued' AND run_at = {int(when.timestamp())}"), 1)
        page, _, _ = ed.editor(f"/admin/articles/{sid}")
        t.contains(page, f'value="{local}"', "shown back in the site's zone")


suite("sqlite")
if PG:
    suite("postgres")
else:
    t.ok(False, "[postgres] the editor on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: these tests need the cluster of scripts/pg-test (run scripts/run-tests)")
t.done()
