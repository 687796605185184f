"""The owner's screens end to end, on SQLite and on PostgreSQL: site
settings at /admin/settings (saved in the database over site.ini, shown on
public pages at once, bad input 422 with nothing changed, 403 for an editor
and without CSRF, and on two nodes a change made on one shows on the other
with no restart or SIGHUP), users at /admin/users (role change, disabling
ends sessions, the last owner kept) and invitations (accept, expired,
reused, wrong and replaced links, weak passwords refused with their
message). Script in a title, tagline or name shows as text everywhere. The
PostgreSQL half needs the cluster of scripts/pg-test (MASTHEAD_TEST_PG_URL);
without it that half FAILS."""

import html
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = sys.argv[1]
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
OWNER_PW = "tidal-harbour-lantern-41"
EDITOR_PW = "quiet-river-stones-8x"
Client = harness.AdminClient
form_value = harness.form_value


def mh(*args, stdin=""):
    return subprocess.run([BIN] + list(args), input=stdin, capture_output=True, text=True, timeout=120)


class Backend:
    def __init__(self, name):
        self.name, self.url = name, None

    def new_site(self, tag):
        d = os.path.join(harness.tempdir(), "site")
        extra = []
        if self.name == "postgres":
            self.url = harness.pg_new_db(PG, f"mh_site_{tag}_{os.getpid()}")
            extra = ["--database", self.url]
        p = mh("init", *extra, "--title", "Old Gazette", "--owner", "owner@example.org", "--name", "Olu Owner", d,
               stdin=OWNER_PW + "\n")
        if p.returncode != 0:
            raise CaseFailed(f"init: {p.stderr}")
        return d

    def query(self, site, sql):
        if self.name == "postgres":
            out = harness.psql(sql, self.url)
            return [line.split("|") for line in out.splitlines() if line]
        return [[str(v) for v in row.values()] for row in harness.db_query(site, sql)]

    def write(self, site, sql):
        if self.name == "postgres":
            harness.psql(sql, self.url)
        else:
            harness.db_write(site, sql)


def settings_form(c):
    r = c.get("/admin/settings")
    if r.status != 200:
        raise CaseFailed(f"GET /admin/settings: {r.status}")
    h = r.text()
    return {k: html.unescape(form_value(h, k))
            for k in ("csrf", "title", "tagline", "timezone", "social", "video_channel_url")}


def settings_rows(b, site):
    return b.query(site, "SELECT key, value FROM site_settings ORDER BY key")


def invite(c, email, name, role="author", expect=200):
    tok = c.session_csrf()
    r = c.post("/admin/users", {"csrf": tok, "action": "invite", "email": email, "name": name, "role": role})
    if r.status != expect:
        raise CaseFailed(f"invite {email}: expected {expect}, got {r.status}: {r.text()[:600]!r}")
    if expect != 200:
        return r, None
    m = re.search(r'value="(https?://[^"]*/admin/invite\?token=([A-Za-z0-9_-]{43}))"', r.text())
    if not m:
        raise CaseFailed(f"no invitation link on the page: {r.text()[:1500]!r}")
    return r, m.group(2)


def accept(c, token, pw, pw2=None):
    r = c.get(f"/admin/invite?token={token}")
    if r.status != 200:
        return r
    csrf = form_value(r.text(), "csrf")
    return c.post("/admin/invite", {"csrf": csrf, "token": token, "password": pw,
                                    "password2": pw if pw2 is None else pw2})


def user_row(b, site, email):
    rows = b.query(site, f"SELECT role, disabled, password_hash FROM users WHERE email = '{email}'")
    return rows[0] if rows else None


def suite(b):
    P = f"[{b.name}] "
    site = b.new_site("main")
    r = mh("user", "add", "ed@example.org", "--name", "Ed Itor", "--role", "editor", "--site", site,
           stdin=EDITOR_PW + "\n")
    art = os.path.join(harness.tempdir(), "a.md")
    with open(art, "w") as f:
        f.write("---\nheadline: Ferry timetable\nsection: news\nstatus: published\n---\nHello\n")
    r2 = mh("article", "add", art, "--site", site)
    srv = harness.Server(BIN, site).start()
    owner = Client(srv)
    owner.login("owner@example.org", OWNER_PW)
    pages = ["/", "/articles/ferry-timetable", "/section/news"]

    with t.case(P + "setup: an editor and a published article"):
        t.eq(r.returncode, 0, r.stderr)
        t.eq(r2.returncode, 0, r2.stderr)

    with t.case(P + "owners see Users and Settings in the nav; the settings form shows site.ini's values"):
        h = owner.get("/admin").text()
        t.contains(h, 'href="/admin/users"')
        t.contains(h, 'href="/admin/settings"')
        f = settings_form(owner)
        t.eq(f["title"], "Old Gazette")
        t.eq(f["timezone"], "UTC")
        t.eq(settings_rows(b, site), [], "nothing in the database before a save")

    with t.case(P + "a saved title and tagline show on every public page at once (page cache dropped)"):
        for p in pages:  # cached now
            t.contains(srv.get(p).text(), "Old Gazette", p)
            t.contains(srv.get(p).text(), "Old Gazette", p)
        t.contains(srv.get("/").header("surrogate-key", "").split(), "site", "every page carries the key 'site'")
        f = settings_form(owner)
        f.update(title='Harbour <script>alert("t")</script> Gazette', tagline="News & <i>tides</i>",
                 social="Mastodon=https://example.social/@gazette", video_channel_url="https://video.example/gz")
        r = owner.post("/admin/settings", f)
        t.eq(r.status, 303, r.text()[:400])
        t.eq(r.header("location"), "/admin/settings?saved=1")
        for p in pages:
            h = srv.get(p).text()
            t.absent(h, "Old Gazette", p)
            t.contains(h, "Harbour &lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; Gazette", p)
            t.absent(h, '<script>alert("t")', p)
            t.contains(h, "https://example.social/@gazette", p)
        rows = dict(settings_rows(b, site))
        t.eq(sorted(rows), ["social", "tagline", "title", "video_channel_url"],
             "only what changed is saved: the time zone still follows site.ini")
        t.eq(rows.get("title"), 'Harbour <script>alert("t")</script> Gazette')
        t.eq(rows.get("tagline"), "News & <i>tides</i>")
        t.eq(rows.get("social"), "Mastodon=https://example.social/@gazette")

    with t.case(P + "the title shows as text in the admin too, and the form keeps it"):
        h = owner.get("/admin/settings?saved=1").text()
        t.contains(h, "Saved.")
        t.absent(h, '<script>alert("t")')
        t.contains(h, "Harbour &lt;script&gt;")

    with t.case(P + "the change went through the change log and queued a purge of 'site' for the caches in front"):
        n = b.query(site, "SELECT count(*) FROM changes WHERE keys = 'site'")
        t.true(int(n[0][0]) >= 1, f"change-log entries: {n}")
        n = b.query(site, "SELECT count(*) FROM jobs WHERE kind = 'purge' AND payload = 'site'")
        t.true(int(n[0][0]) >= 1, f"purge jobs: {n}")

    with t.case(P + "site.ini is left as it was; the CLI reads the database's settings over it"):
        t.eq(harness.ini_get(os.path.join(site, "site.ini"), "site", "title"), "Old Gazette")

    with t.case(P + "a value with a NUL byte or a line break is refused, not cut short"):
        before = settings_rows(b, site)
        for v in ("Cut\x00short", "Two\nlines"):
            f = settings_form(owner)
            f["title"] = v
            r = owner.post("/admin/settings", f)
            t.eq(r.status, 422, repr(v))
            t.contains(r.text(), "Title: control character")
        t.eq(settings_rows(b, site), before)

    bad = [
        ("timezone", "Mars/Olympus_Mons", "Time zone"),
        ("social", "Evil=javascript:alert(1)", "Social links"),
        ("video_channel_url", "ftp://video.example", "Video channel"),
        ("title", "", "Title"),
    ]
    for key, value, label in bad:
        with t.case(P + f"a bad {key} is 422 naming '{label}', keeps what was typed and changes nothing"):
            before = settings_rows(b, site)
            f = settings_form(owner)
            f.update(tagline="Typed but not saved")
            f[key] = value
            r = owner.post("/admin/settings", f)
            t.eq(r.status, 422, r.text()[:300])
            h = r.text()
            t.contains(h, f"{label}:")
            t.contains(h, "Nothing was saved")
            t.contains(h, 'value="Typed but not saved"', "the other fields are kept as typed")
            if value:
                t.contains(h, f'value="{value}"'.replace("&", "&amp;"), "the bad value is kept")
            t.eq(settings_rows(b, site), before, "the database is unchanged")
            t.absent(srv.get("/").text(), "Typed but not saved")

    with t.case(P + "a time zone is saved, shown in the form, and in effect at once (no restart)"):
        t.contains(owner.get("/admin/settings").text(), "now show dates in UTC")
        f = settings_form(owner)
        f["timezone"] = "Europe/Berlin"
        r = owner.post("/admin/settings", f)
        t.eq(r.status, 303, r.text()[:300])
        t.eq(settings_form(owner)["timezone"], "Europe/Berlin")
        t.eq(dict(settings_rows(b, site)).get("timezone"), "Europe/Berlin")
        t.contains(owner.get("/admin/settings").text(), "now show dates in Europe/Berlin")
        t.contains(owner.get("/admin/articles/new").text(), "Publish at (Europe/Berlin)",
                   "the editor schedules in the new zone")
        t.contains(srv.stderr(), "time zone is now Europe/Berlin")

    editor = Client(srv)
    with t.case(P + "an editor gets 403 on both screens, sees no link to them, and changes nothing"):
        editor.login("ed@example.org", EDITOR_PW)
        h = editor.get("/admin").text()
        t.absent(h, 'href="/admin/settings"')
        t.absent(h, 'href="/admin/users"')
        t.eq(editor.get("/admin/settings").status, 403)
        t.eq(editor.get("/admin/users").status, 403)
        before = settings_rows(b, site)
        tok = editor.session_csrf()
        r = editor.post("/admin/settings", {"csrf": tok, "title": "Editor's", "tagline": "", "timezone": "UTC",
                                            "social": "", "video_channel_url": ""})
        t.eq(r.status, 403)
        t.eq(settings_rows(b, site), before)
        r = editor.post("/admin/users", {"csrf": tok, "action": "invite", "email": "x@example.org", "name": "X",
                                         "role": "owner"})
        t.eq(r.status, 403)
        t.eq(user_row(b, site, "x@example.org"), None)

    with t.case(P + "without the CSRF token, or with a wrong one: 403 and nothing changed"):
        before = settings_rows(b, site)
        f = settings_form(owner)
        f["title"] = "Forged"
        del f["csrf"]
        t.eq(owner.post("/admin/settings", f).status, 403)
        f["csrf"] = "x" * 43
        t.eq(owner.post("/admin/settings", f).status, 403)
        t.eq(settings_rows(b, site), before)
        ed_id = b.query(site, "SELECT id FROM users WHERE email = 'ed@example.org'")[0][0]
        r = owner.post("/admin/users", {"action": "role", "id": ed_id, "role": "contributor"})
        t.eq(r.status, 403)
        t.eq(user_row(b, site, "ed@example.org")[0], "editor")
        t.absent(srv.get("/").text(), "Forged")

    ed_id = b.query(site, "SELECT id FROM users WHERE email = 'ed@example.org'")[0][0]
    owner_id = b.query(site, "SELECT id FROM users WHERE email = 'owner@example.org'")[0][0]

    with t.case(P + "users: the list shows email, name, role, status and last seen"):
        h = owner.get("/admin/users").text()
        t.contains(h, "ed@example.org")
        t.contains(h, "Ed Itor")
        t.true(re.search(r"<td>Ed Itor</td><td>editor</td><td>active</td><td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", h),
               "the editor's row with a last-seen time")

    with t.case(P + "users: the owner changes a role; it applies at once"):
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "role", "id": ed_id,
                                        "role": "author"})
        t.eq(r.status, 303, r.text()[:300])
        t.eq(user_row(b, site, "ed@example.org")[0], "author")
        t.eq(editor.get("/admin/articles/new").status, 200, "an author still writes")
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "role", "id": ed_id,
                                        "role": "chief"})
        t.eq(r.status, 422)
        t.eq(user_row(b, site, "ed@example.org")[0], "author")

    with t.case(P + "users: disabling ends the account's sessions at once; enabling lets it in again"):
        t.eq(editor.get("/admin").status, 200)
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "disable", "id": ed_id})
        t.eq(r.status, 303, r.text()[:300])
        r = editor.get("/admin")
        t.eq(r.status, 303)
        t.true(r.header("location", "").startswith("/admin/login"), r.header("location"))
        t.eq(b.query(site, f"SELECT count(*) FROM sessions WHERE user_id = {ed_id}"), [["0"]])
        again = Client(srv)
        again.login("ed@example.org", EDITOR_PW, expect=401)
        t.contains(owner.get("/admin/users").text(), "<td>disabled</td>")
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "enable", "id": ed_id})
        t.eq(r.status, 303)
        again.login("ed@example.org", EDITOR_PW)

    with t.case(P + "users: the last owner can be neither demoted nor disabled (a clear message)"):
        for form in ({"action": "role", "role": "editor"}, {"action": "disable"}):
            form.update(csrf=owner.session_csrf(), id=owner_id)
            r = owner.post("/admin/users", form)
            t.eq(r.status, 422, r.text()[:300])
            t.contains(r.text(), "last owner")
            row = user_row(b, site, "owner@example.org")
            t.eq((row[0], row[1] in ("0", "f", "False")), ("owner", True))
        t.eq(owner.get("/admin").status, 200, "the owner is still signed in")

    with t.case(P + "users: with a second owner, the first may step down"):
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "role", "id": ed_id,
                                        "role": "owner"})
        t.eq(r.status, 303)
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "role", "id": owner_id,
                                        "role": "editor"})
        t.eq(r.status, 303)
        t.eq(user_row(b, site, "owner@example.org")[0], "editor")
        t.eq(owner.get("/admin/users").status, 403, "an editor now")
        ed = Client(srv)
        ed.login("ed@example.org", EDITOR_PW)
        r = ed.post("/admin/users", {"csrf": ed.session_csrf(), "action": "role", "id": owner_id, "role": "owner"})
        t.eq(r.status, 303)
        t.eq(owner.get("/admin/users").status, 200, "owner again")

    with t.case(P + "users: an account's byline links to an author profile"):
        p = mh("author", "add", "olu-owner", "--name", "Olu Owner", "--site", site)
        t.eq(p.returncode, 0, p.stderr)
        aid = b.query(site, "SELECT id FROM authors WHERE slug = 'olu-owner'")[0][0]
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "author", "id": owner_id,
                                        "author_id": aid})
        t.eq(r.status, 303, r.text()[:300])
        t.eq(b.query(site, f"SELECT author_id FROM users WHERE id = {owner_id}"), [[str(aid)]])
        r = owner.post("/admin/users", {"csrf": owner.session_csrf(), "action": "author", "id": owner_id,
                                        "author_id": "999999"})
        t.eq(r.status, 422)
        t.eq(b.query(site, f"SELECT author_id FROM users WHERE id = {owner_id}"), [[str(aid)]])

    with t.case(P + "invite: a pending account and a link shown once; a name with script shows as text"):
        r, tok = invite(owner, "nia@example.org", "<script>alert(1)</script>Nia", "author")
        h = r.text()
        t.contains(h, "does not send mail yet")
        t.absent(h, "<script>alert(1)</script>Nia")
        t.contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;Nia")
        row = user_row(b, site, "nia@example.org")
        t.eq((row[0], row[2]), ("author", "!invited"))
        t.contains(owner.get("/admin/users").text(), "<td>invited</td>")
        t.absent(owner.get("/admin/users").text(), tok, "the link is shown only once")
        stored = b.query(site, "SELECT token_hash FROM auth_tokens WHERE purpose = 'invite'")
        t.true(all(tok not in s[0] for s in stored), "only the token's hash is stored")
        Client(srv).login("nia@example.org", "anything-at-all-1", expect=401)

    with t.case(P + "invite: a weak password is refused with its message, nothing changed"):
        nia = Client(srv)
        for pw, word in (("short", "10 characters"), ("password123", "common"), ("nia@example.org", "email")):
            r = accept(nia, tok, pw)
            t.eq(r.status, 422, f"{pw}: {r.text()[:300]}")
            t.contains(r.text(), word)
        r = accept(nia, tok, "long-enough-words-1", "long-enough-words-2")
        t.eq(r.status, 422)
        t.contains(r.text(), "differ")
        t.eq(user_row(b, site, "nia@example.org")[2], "!invited")

    with t.case(P + "invite: accepting sets the password and signs the invitee in"):
        r = accept(nia, tok, "salt-marsh-heron-22")
        t.eq(r.status, 303, r.text()[:300])
        t.eq(r.header("location"), "/admin")
        h = nia.get("/admin")
        t.eq(h.status, 200)
        t.contains(h.text(), "&lt;script&gt;alert(1)&lt;/script&gt;Nia")
        t.true(user_row(b, site, "nia@example.org")[2].startswith("$argon2id$"), "a real hash now")
        Client(srv).login("nia@example.org", "salt-marsh-heron-22")

    with t.case(P + "invite: a used link is a clear 410 and changes nothing"):
        hash_before = user_row(b, site, "nia@example.org")[2]
        other = Client(srv)
        r = other.get(f"/admin/invite?token={tok}")
        t.eq(r.status, 410)
        t.contains(r.text(), "no longer works")
        csrf = other.login_token()
        r = other.post("/admin/invite", {"csrf": csrf, "token": tok, "password": "another-long-pass-3",
                                         "password2": "another-long-pass-3"})
        t.eq(r.status, 410)
        t.eq(user_row(b, site, "nia@example.org")[2], hash_before)

    with t.case(P + "invite: a wrong or malformed token is a clear 410"):
        c = Client(srv)
        for q in ("A" * 43, "nonsense", "", "%3Cscript%3E"):
            r = c.get(f"/admin/invite?token={q}")
            t.eq(r.status, 410, q)
            t.contains(r.text(), "no longer works")

    with t.case(P + "invite: an expired link is a clear 410 and changes nothing"):
        r, tok2 = invite(owner, "late@example.org", "Late Comer", "contributor")
        uid = b.query(site, "SELECT id FROM users WHERE email = 'late@example.org'")[0][0]
        b.write(site, f"UPDATE auth_tokens SET expires_at = 1 WHERE user_id = {uid}")
        c = Client(srv)
        t.eq(c.get(f"/admin/invite?token={tok2}").status, 410)
        csrf = c.login_token()
        r = c.post("/admin/invite", {"csrf": csrf, "token": tok2, "password": "another-long-pass-3",
                                     "password2": "another-long-pass-3"})
        t.eq(r.status, 410)
        t.eq(user_row(b, site, "late@example.org")[2], "!invited")

    with t.case(P + "invite: inviting again replaces the old link"):
        r, tok3 = invite(owner, "late@example.org", "Late Comer", "editor")
        t.true(tok3 != tok2, "a new link")
        t.eq(b.query(site, f"SELECT count(*) FROM auth_tokens WHERE user_id = {uid} AND purpose = 'invite'"),
             [["1"]])
        r, tok4 = invite(owner, "late@example.org", "Late Comer", "editor")
        c = Client(srv)
        t.eq(c.get(f"/admin/invite?token={tok3}").status, 410, "the replaced link")
        t.eq(accept(c, tok4, "another-long-pass-3").status, 303)
        t.eq(user_row(b, site, "late@example.org")[0], "editor")

    with t.case(P + "invite: an email that already has an account is refused; a bad email too"):
        r, _ = invite(owner, "ED@example.org", "Ed Again", "author", expect=422)
        t.contains(r.text(), "already has an account")
        t.contains(r.text(), 'value="Ed Again"', "what was typed is kept")
        r, _ = invite(owner, "not an email", "X", "author", expect=422)
        t.contains(r.text(), "Email:")
        t.eq(b.query(site, "SELECT count(*) FROM users WHERE name = 'X' OR name = 'Ed Again'"), [["0"]])

    with t.case(P + "settings CLI: list and get show what is in effect and where it comes from"):
        p = mh("settings", "list", "--site", site)
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "timezone\tEurope/Berlin\tdatabase")
        t.contains(p.stdout, 'title\tHarbour <script>alert("t")</script> Gazette\tdatabase')
        p = mh("settings", "get", "tagline", "--site", site)
        t.eq((p.returncode, p.stdout), (0, "News & <i>tides</i>\n"), p.stderr)

    with t.case(P + "settings CLI: set goes through the change log to the running server"):
        p = mh("settings", "set", "tagline", "Set from a shell", "--site", site)
        t.eq(p.returncode, 0, p.stderr)
        harness.wait_for(lambda: "Set from a shell" in srv.get("/").text(), 5, "the running server shows it")

    with t.case(P + "settings CLI: a bad value or key exits 2 naming it, and changes nothing"):
        before = settings_rows(b, site)
        for args, word in ((["set", "timezone", "Mars/Olympus"], "unknown time zone"),
                           (["set", "social", "X=javascript:alert(1)"], "social"),
                           (["set", "base_url", "https://x.example"], "KEY"),
                           (["get"], "KEY"), (["frob"], "frob")):
            p = mh("settings", *args, "--site", site)
            t.eq(p.returncode, 2, f"{args}: {p.stderr}")
            t.contains(p.stderr, word)
        t.eq(settings_rows(b, site), before)

    with t.case(P + "a restarted server keeps the settings (and takes the saved time zone)"):
        rc = srv.restart()
        t.eq(rc, 0, f"the first run exits 0 on SIGTERM (sanitizers clean); stderr: {srv.stderr()[-2000:]}")
        h = srv.get("/").text()
        t.contains(h, "Harbour &lt;script&gt;")
        c = Client(srv)
        c.login("owner@example.org", OWNER_PW)
        t.contains(c.get("/admin/settings").text(), "now show dates in Europe/Berlin")

    with t.case(P + "SIGHUP reads site.ini again and keeps the database's settings over it"):
        srv.proc.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "reload: site.ini and theme read again" in srv.stderr(), 10, "the reload's log line")
        r = srv.get("/")
        t.contains(r.text(), "Harbour &lt;script&gt;")
        t.true(r.header("cache-control", "").startswith("public, max-age="), r.header("cache-control"))
        t.absent(srv.stderr(), "[site] timezone changed", "the admin's zone wins: site.ini's is no change")

    with t.case(P + "the server exits 0 on SIGTERM (under make test-asan: no leak, no sanitizer report)"):
        t.eq(srv.stop(), 0, srv.stderr()[-3000:])
    return site


def two_nodes(b, site):
    """Two nodes on one database: a change on A shows on B (no restart, no
    SIGHUP), and B's own cached pages are dropped."""
    P = f"[{b.name}] "
    a = harness.Server(BIN, site).start()
    bn = harness.Server(BIN, site).start()
    with t.case(P + "two nodes: settings saved on node A show on node B's pages within seconds, no SIGHUP"):
        for p in ("/", "/articles/ferry-timetable"):
            bn.get(p)
            t.absent(bn.get(p).text(), "Two Node Times", p)  # cached on B
        owner = Client(a)
        owner.login("owner@example.org", OWNER_PW)
        f = settings_form(owner)
        f.update(title="Two Node Times", tagline="Seen everywhere", timezone="Asia/Tokyo")
        r = owner.post("/admin/settings", f)
        t.eq(r.status, 303, r.text()[:300])
        t.contains(a.get("/").text(), "Two Node Times", "node A at once")
        for p in ("/", "/articles/ferry-timetable"):
            harness.wait_for(lambda: "Two Node Times" in bn.get(p).text(), 5, f"node B {p}")
        t.contains(bn.get("/").text(), "Seen everywhere")
        harness.wait_for(lambda: "time zone is now Asia/Tokyo" in bn.stderr(), 5, "node B switches its zone")
        ob = Client(bn)
        ob.login("owner@example.org", OWNER_PW)
        t.contains(ob.get("/admin/articles/new").text(), "Publish at (Asia/Tokyo)", "node B schedules in it")
        t.absent(bn.stderr(), "reload: site.ini", "no SIGHUP reload happened")
    with t.case(P + "two nodes: both exit 0 on SIGTERM"):
        t.eq((a.stop(), bn.stop()), (0, 0), (a.stderr() + bn.stderr())[-3000:])


for name in ("sqlite", "postgres"):
    if name == "postgres" and not PG:
        t.ok(False, "[postgres] MASTHEAD_TEST_PG_URL is set (scripts/pg-test start)",
             "the PostgreSQL half needs a cluster: run through `make test` or scripts/pg-test")
        continue
    b = Backend(name)
    try:
        s = suite(b)
        two_nodes(b, s)
    except CaseFailed as e:
        t.ok(False, f"[{name}] setup", str(e))
t.done()
