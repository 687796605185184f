"""Accounts end to end, on SQLite and on PostgreSQL: the `user`, `section`
and `author` commands, `init --owner`, `demo`'s login, and over HTTP the
login, sessions (cookie attributes, stored hashed, logout, "log out
everywhere", idle), CSRF (missing, wrong, cross-origin: 403 and nothing
changed), one-time reset links, login rate limits (a thousand wrong
passwords, then the real user from another address) and no leak of
whether an account exists. The PostgreSQL half needs the cluster of
scripts/pg-test (MASTHEAD_TEST_PG_URL); without it that half FAILS."""

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
OWNER_PW = "tidal-harbour-lantern-41"


psql = harness.psql


def new_pg_db(name):
    return harness.pg_new_db(PG, name)


def mh(*args, stdin=None, timeout=120):
    return subprocess.run([BIN] + list(args), input=stdin if stdin is not None else "", capture_output=True,
                          text=True, timeout=timeout)


class Backend:
    """Where a site's database lives, and raw access to it for checks."""

    def __init__(self, name):
        self.name = name
        self.url = None

    def new_site(self, tag, *args, stdin=None):
        d = os.path.join(harness.tempdir(), "site")
        extra = []
        if self.name == "postgres":
            self.url = new_pg_db(f"mh_acc_{tag}_{os.getpid()}")
            extra = ["--database", self.url]
        return d, mh("init", *extra, *args, d, stdin=stdin)

    def query(self, site, sql):
        """Rows of one SELECT, as lists of strings."""
        if self.name == "postgres":
            url = harness.ini_get(os.path.join(site, "site.ini"), "database", "url")
            out = psql(sql, url)
            return [line.split("|") for line in out.splitlines() if line]
        return [[str(v) for v in row.values()] if isinstance(row, dict) else [str(v) for v in row]
                for row in harness.db_query(site, sql)]

    def write(self, site, sql):
        if self.name == "postgres":
            psql(sql, harness.ini_get(os.path.join(site, "site.ini"), "database", "url"))
        else:
            harness.db_write(site, sql)


# ---------------------------------------------------------------- HTTP helpers

Client = harness.AdminClient
form_value = harness.form_value


def session_cookie(c):
    return c.cookies.get("mh_session") or c.cookies.get("__Host-mh_session")


# ---------------------------------------------------------------- the suite

def suite(b):
    P = f"[{b.name}] "
    site, p = b.new_site("main", "--owner", "Owner@Example.org", "--name", "Olu Owner", stdin=OWNER_PW + "\n")

    with t.case(P + "init --owner takes the password from stdin, makes the owner and a 'news' section"):
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "owner: Owner@Example.org")
        t.contains(p.stdout, "/admin/login")
        t.absent(p.stdout, OWNER_PW, "the typed password is not echoed")
        lst = mh("user", "list", "--site", site)
        t.eq(lst.returncode, 0, lst.stderr)
        t.contains(lst.stdout, "owner@example.org\towner\tOlu Owner\tactive")
        secs = mh("section", "list", "--site", site)
        t.contains(secs.stdout, "news\tNews\tplain")
        hashes = b.query(site, "SELECT password_hash FROM users")
        t.eq(len(hashes), 1)
        t.true(hashes[0][0].startswith("$argon2id$"), f"stored {hashes[0][0][:20]!r}")

    with t.case(P + "an article can be saved in a new site at once (its 'news' section)"):
        f = os.path.join(harness.tempdir(), "a.md")
        with open(f, "w") as fh:
            fh.write("---\nheadline: First\nsection: news\nstatus: published\n---\nHello\n")
        r = mh("article", "add", f, "--site", site)
        t.eq(r.returncode, 0, r.stderr)

    with t.case(P + "init without --owner and without a terminal: no owner, and it says how to add one"):
        d2, p2 = b.new_site("noowner")
        t.eq(p2.returncode, 0, p2.stderr)
        t.contains(p2.stdout, "masthead user add")
        t.eq(b.query(d2, "SELECT count(*) FROM users"), [["0"]])
        t.eq(b.query(d2, "SELECT slug FROM sections"), [["news"]])

    with t.case(P + "init --owner with a refused password makes no site and says why"):
        d3, p3 = b.new_site("badpw", "--owner", "x@example.org", stdin="password\n")
        t.eq(p3.returncode, 2, p3.stdout)
        t.contains(p3.stderr, "password:")
        t.true(not os.path.exists(os.path.join(d3, "site.ini")), "no site.ini left behind")

    with t.case(P + "user add: stdin, --generate, and refusals naming the argument"):
        r = mh("user", "add", "ed@example.org", "--name", "Ed Itor", "--role", "editor", "--site", site,
               stdin="quiet-river-stones-8\n")
        t.eq(r.returncode, 0, r.stderr)
        g = mh("user", "add", "gen@example.org", "--name", "Gen", "--role", "author", "--generate", "--site", site)
        t.eq(g.returncode, 0, g.stderr)
        m = re.search(r"password: (\S+)", g.stdout)
        t.true(m and len(m.group(1)) >= 20, f"printed password in {g.stdout!r}")
        bad = [
            (["user", "add", "a@example.org", "--name", "A", "--role", "chief"], "x-long-enough-pw\n", 2, "--role"),
            (["user", "add", "a@example.org", "--role", "author"], "x-long-enough-pw\n", 2, "--name"),
            (["user", "add", "a@example.org", "--name", "A", "--role", "author"], "short\n", 2, "password:"),
            (["user", "add", "a@example.org", "--name", "A", "--role", "author"], "password123\n", 2, "password:"),
            (["user", "add", "a@example.org", "--name", "A", "--role", "author"], "", 2, "password:"),
            (["user", "add", "ED@example.org", "--name", "A", "--role", "author"], "x-long-enough-pw\n", 1,
             "already used"),
            (["user", "add", "not-an-email", "--name", "A", "--role", "author"], "x-long-enough-pw\n", 1, "email:"),
            (["user", "add", "a@example.org", "--name", "A", "--role", "author", "--author", "nobody"],
             "x-long-enough-pw\n", 1, "--author"),
            (["user", "frob"], "", 2, "frob"),
            (["user", "role", "ed@example.org"], "", 2, "argument"),
            (["user", "passwd", "nobody@example.org"], "x-long-enough-pw\n", 1, "nobody@example.org"),
        ]
        for args, stdin, code, word in bad:
            r = mh(*args, "--site", site, stdin=stdin)
            t.eq(r.returncode, code, f"{args}: {r.stderr}")
            t.contains(r.stderr, word, f"{args}")
        t.eq(b.query(site, "SELECT count(*) FROM users"), [["3"]], "nothing refused was stored")
        h = mh("user", "--help")
        t.eq(h.returncode, 0)
        t.contains(h.stdout, "reset EMAIL")

    with t.case(P + "section and author commands: add, list, update, remove (refused with articles)"):
        r = mh("section", "add", "opinion", "--name", "Opinion", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        r = mh("section", "update", "opinion", "--name", "Views", "--position", "7", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        lst = mh("section", "list", "--site", site).stdout
        t.contains(lst, "opinion\tViews\tplain\t7")
        r = mh("section", "remove", "news", "--site", site)
        t.eq(r.returncode, 1)
        t.contains(r.stderr, "still has 1 article")
        t.contains(mh("section", "list", "--site", site).stdout, "news\tNews")
        r = mh("section", "remove", "opinion", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        t.absent(mh("section", "list", "--site", site).stdout, "opinion")
        for args, code, word in ((["section", "add", "Bad Slug", "--name", "X"], 2, "SLUG"),
                                 (["section", "add", "x"], 2, "--name"),
                                 (["section", "add", "x", "--name", "X", "--kind", "odd"], 2, "--kind"),
                                 (["section", "add", "x", "--name", "X", "--position", "-1"], 2, "--position"),
                                 (["section", "update", "nope", "--name", "X"], 1, "nope"),
                                 (["author", "add", "ana", "--name", "A", "--avatar", "javascript:alert(1)"], 1,
                                  "--avatar")):
            r = mh(*args, "--site", site)
            t.eq(r.returncode, code, f"{args}: {r.stderr}")
            t.contains(r.stderr, word, f"{args}")
        r = mh("author", "add", "ana", "--name", "Ana Ortiz", "--bio", "Courts.", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        r = mh("author", "update", "ana", "--name", "Ana B. Ortiz", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        t.contains(mh("author", "list", "--site", site).stdout, "ana\tAna B. Ortiz")
        r = mh("user", "add", "ana@example.org", "--name", "<script>alert(1)</script>", "--role", "author",
               "--author", "ana", "--site", site, stdin="ana-writes-about-courts\n")
        t.eq(r.returncode, 0, r.stderr)

    srv = harness.Server(BIN, site).start()
    try:
        http_cases(b, P, site, srv)
    finally:
        t.eq(srv.stop(), 0)
    tls_cookie_case(b, P, site)


def http_cases(b, P, site, srv):
    with t.case(P + "an admin page without a session redirects to the login page with next"):
        r = Client(srv).get("/admin")
        t.eq(r.status, 303)
        t.eq(r.header("location"), "/admin/login?next=%2Fadmin")
        t.eq(r.header("cache-control"), "no-store")

    with t.case(P + "the login page: Email, Password, Log in; never cached or indexed"):
        c = Client(srv)
        r = c.get("/admin/login")
        t.eq(r.status, 200)
        html = r.text()
        t.true(re.search(r'<label for="email">Email</label>', html), "Email label")
        t.true(re.search(r'<label for="password">Password</label>', html), "Password label")
        t.contains(html, ">Log in</button>")
        t.eq(r.header("cache-control"), "no-store")
        t.eq(r.header("x-robots-tag"), "noindex")
        t.true("mh_login" in c.cookies, f"pre-session cookie set: {r.header_all('set-cookie')}")
        csp = r.header("content-security-policy") or ""
        t.contains(csp, "style-src 'self';")
        t.contains(csp, "form-action 'self'")
        t.absent(html, "<style", "no inline style under the CSP")
        css = re.search(r'<link rel="stylesheet" href="(/static/admin\.[0-9a-f]+\.css)">', html)
        t.true(css, "the admin's stylesheet")
        s = Client(srv).get(css.group(1))
        t.eq((s.status, s.header("content-type")), (200, "text/css; charset=utf-8"))

    with t.case(P + "login: a missing or wrong CSRF token, or another origin, is 403 and no session"):
        c = Client(srv)
        tok = c.login_token()
        for form, hdrs in (({"email": "owner@example.org", "password": OWNER_PW}, {}),
                           ({"csrf": ("y" if tok[0] == "x" else "x") + tok[1:], "email": "owner@example.org", "password": OWNER_PW}, {}),
                           ({"csrf": tok, "email": "owner@example.org", "password": OWNER_PW},
                            {"Origin": "https://evil.example"}),
                           ({"csrf": tok, "email": "owner@example.org", "password": OWNER_PW},
                            {"Sec-Fetch-Site": "cross-site"})):
            r = c.post("/admin/login", form, headers=hdrs)
            t.eq(r.status, 403, f"{form.keys()} {hdrs}")
            t.true(session_cookie(c) is None, "no session cookie")
        t.contains(r.text(), "nothing was changed")
        fresh = Client(srv)
        r = fresh.post("/admin/login", {"csrf": tok, "email": "owner@example.org", "password": OWNER_PW})
        t.eq(r.status, 403, "another browser's token without its cookie")

    with t.case(P + "login: the session cookie is HttpOnly, SameSite=Lax, Path=/, and stored only hashed"):
        c = Client(srv)
        r = c.login("OWNER@example.org", OWNER_PW)
        t.eq(r.header("location"), "/admin")
        sc = [v for v in r.header_all("set-cookie") if v.startswith("mh_session=")]
        t.eq(len(sc), 1, f"{r.header_all('set-cookie')}")
        for attr in ("HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"):
            t.contains(sc[0], attr)
        t.absent(sc[0], "Secure", "not under plain HTTP")
        token = session_cookie(c)
        t.eq(len(token), 43)
        stored = [row[0] for row in b.query(site, "SELECT token_hash FROM sessions")]
        t.true(len(stored) >= 1 and token not in stored and all(len(h) == 64 for h in stored), f"{stored}")

    with t.case(P + "/admin: name and role, New article and Log out; no-store, noindex"):
        r = c.get("/admin")
        t.eq(r.status, 200)
        html = r.text()
        t.contains(html, "Olu Owner")
        t.contains(html, "owner")
        t.contains(html, '<a href="/admin/articles/new">New article</a>')
        t.true(re.search(r'<form method="post" action="/admin/logout">\s*<input type="hidden" name="csrf"', html),
               "a Log out form with its token")
        t.contains(html, ">Log out</button>")
        t.eq(r.header("cache-control"), "no-store")
        t.eq(r.header("x-robots-tag"), "noindex")
        r = c.get("/admin/login?next=/admin")
        t.eq((r.status, r.header("location")), (303, "/admin"), "signed in: the login page goes on")

    with t.case(P + "script in a user's name is shown as text"):
        a = Client(srv)
        a.login("ana@example.org", "ana-writes-about-courts")
        html = a.get("/admin").text()
        t.contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;")
        t.absent(html, "<script>alert(1)")

    with t.case(P + "logout without or with a wrong CSRF token is 403 and the session lives on"):
        before = b.query(site, "SELECT count(*) FROM sessions")
        for form, hdrs in (({}, {}), ({"csrf": "AAAA"}, {}), ({"csrf": c.session_csrf()}, {"Origin": "http://evil.example"})):
            r = c.post("/admin/logout", form, headers=hdrs)
            t.eq(r.status, 403, f"{form} {hdrs}")
        t.eq(c.get("/admin").status, 200, "still signed in")
        t.eq(b.query(site, "SELECT count(*) FROM sessions"), before, "no session row changed")

    with t.case(P + "logout (token in X-CSRF-Token); the session is over and goes back to the login page"):
        old = dict(c.cookies)
        r = c.post("/admin/logout", {}, headers={"X-CSRF-Token": c.session_csrf()})
        t.eq((r.status, r.header("location")), (303, "/admin/login"))
        t.true(session_cookie(c) is None, "cookie cleared")
        c.cookies = old  # the old cookie, replayed
        r = c.get("/admin")
        t.eq(r.status, 303)
        t.true(r.header("location").startswith("/admin/login"), r.header("location"))

    with t.case(P + "log out everywhere ends every session of the account, not others'"):
        one, two = Client(srv), Client(srv)
        one.login("owner@example.org", OWNER_PW)
        two.login("owner@example.org", OWNER_PW)
        ed = Client(srv)
        ed.login("ed@example.org", "quiet-river-stones-8")
        r = one.post("/admin/logout-everywhere", {"csrf": one.session_csrf()})
        t.eq((r.status, r.header("location")), (303, "/admin/login"))
        t.eq(two.get("/admin").status, 303, "the other browser is logged out too")
        t.eq(ed.get("/admin").status, 200, "another account is not")

    with t.case(P + "a session unused for session_idle_hours, or past session_max_days, goes back to the login page"):
        idle, old = Client(srv), Client(srv)
        idle.login("ed@example.org", "quiet-river-stones-8")
        old.login("ed@example.org", "quiet-river-stones-8")
        t.eq(idle.get("/admin").status, 200)
        # ed's sessions (this case's two and the earlier one), unused for
        # 12 hours: the default idle limit
        uid = b.query(site, "SELECT id FROM users WHERE email = 'ed@example.org'")[0][0]
        rows = b.query(site, f"SELECT token_hash FROM sessions WHERE user_id = {uid}")
        t.eq(len(rows), 3, f"ed's sessions: {rows}")
        b.write(site, f"UPDATE sessions SET last_seen_at = last_seen_at - 12 * 3600 WHERE user_id = {uid}")
        t.eq(idle.get("/admin").status, 303, "idle")
        t.eq(old.get("/admin").status, 303, "idle too")
        again = Client(srv)
        again.login("ed@example.org", "quiet-river-stones-8")
        t.eq(again.get("/admin").status, 200)
        b.write(site, f"UPDATE sessions SET expires_at = {int(time.time()) - 1} WHERE user_id = {uid}")
        r = again.get("/admin")
        t.eq(r.status, 303, "past its absolute end")
        t.true(r.header("location").startswith("/admin/login"), r.header("location"))

    with t.case(P + "a disabled account cannot log in and its sessions end"):
        g = Client(srv)
        r = mh("user", "passwd", "gen@example.org", "--site", site, stdin="gen-new-password-77\n")
        t.eq(r.returncode, 0, r.stderr)
        g.login("gen@example.org", "gen-new-password-77")
        r = mh("user", "disable", "gen@example.org", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        t.eq(g.get("/admin").status, 303)
        g.login("gen@example.org", "gen-new-password-77", expect=401)
        t.contains(mh("user", "list", "--site", site).stdout, "gen@example.org\tauthor\tGen\tdisabled")

    with t.case(P + "role changes show at once"):
        ed = Client(srv)
        ed.login("ed@example.org", "quiet-river-stones-8")
        t.contains(ed.get("/admin").text(), "(editor,")
        r = mh("user", "role", "ed@example.org", "contributor", "--site", site)
        t.eq(r.returncode, 0, r.stderr)
        t.contains(ed.get("/admin").text(), "(contributor,")

    with t.case(P + "the CLI keeps the last owner: role and disable refuse, naming why; nothing changes"):
        for args in (["user", "role", "owner@example.org", "editor"], ["user", "disable", "owner@example.org"]):
            r = mh(*args, "--site", site)
            t.true(r.returncode != 0, f"{args}: exit {r.returncode}")
            t.contains(r.stderr, "owner@example.org is the site's last owner: make another account an owner first")
        t.contains(mh("user", "list", "--site", site).stdout, "owner@example.org\towner\tOlu Owner\tactive")

    with t.case(P + "a reset link sets a new password once; the old password and sessions end"):
        e = Client(srv, source="127.0.0.6")  # apart from the other cases' attempts
        e.login("ed@example.org", "quiet-river-stones-8")
        out = mh("user", "reset", "ed@example.org", "--site", site)
        t.eq(out.returncode, 0, out.stderr)
        m = re.search(r"(\S+)/admin/reset\?token=([A-Za-z0-9_-]{43})", out.stdout)
        t.true(m, out.stdout)
        t.eq(m.group(1), "http://127.0.0.1:8080", "the site's base_url")
        path = f"/admin/reset?token={m.group(2)}"
        r = Client(srv).get(path)
        t.eq(r.status, 200)
        t.eq(r.header_all("referrer-policy"), ["strict-origin-when-cross-origin"],
             "the token (in the address) is never sent to another site")
        html = r.text()
        t.contains(html, "ed@example.org")
        u = Client(srv)
        csrf = form_value(u.get(path).text(), "csrf")
        r = u.post("/admin/reset", {"csrf": csrf, "token": m.group(2), "password": "fresh-tide-pool-12",
                                    "password2": "fresh-tide-pool-13"})
        t.eq(r.status, 422, "two different passwords")
        r = u.post("/admin/reset", {"token": m.group(2), "password": "fresh-tide-pool-12",
                                    "password2": "fresh-tide-pool-12"})
        t.eq(r.status, 403, "no CSRF token")
        r = u.post("/admin/reset", {"csrf": csrf, "token": m.group(2), "password": "short", "password2": "short"})
        t.eq(r.status, 422)
        t.contains(r.text(), "too short")
        t.eq(e.get("/admin").status, 200, "nothing changed yet")
        r = u.post("/admin/reset", {"csrf": csrf, "token": m.group(2), "password": "fresh-tide-pool-12",
                                    "password2": "fresh-tide-pool-12"})
        t.eq((r.status, r.header("location")), (303, "/admin/login?reset=done"))
        t.eq(e.get("/admin").status, 303, "the account's sessions ended")
        Client(srv, source="127.0.0.6").login("ed@example.org", "quiet-river-stones-8", expect=401)
        Client(srv, source="127.0.0.6").login("ed@example.org", "fresh-tide-pool-12")
        t.eq(Client(srv).get(path).status, 410, "the link works once")
        r = u.post("/admin/reset", {"csrf": csrf, "token": m.group(2), "password": "another-tide-pool-9",
                                    "password2": "another-tide-pool-9"})
        t.eq(r.status, 410)
        Client(srv, source="127.0.0.6").login("ed@example.org", "fresh-tide-pool-12")

    with t.case(P + "a reset link past its 24 hours no longer works"):
        out = mh("user", "reset", "ed@example.org", "--site", site)
        tok = re.search(r"token=([A-Za-z0-9_-]{43})", out.stdout).group(1)
        t.eq(Client(srv).get(f"/admin/reset?token={tok}").status, 200)
        b.write(site, "UPDATE auth_tokens SET expires_at = expires_at - 86401 WHERE used_at = 0")
        t.eq(Client(srv).get(f"/admin/reset?token={tok}").status, 410)
        t.eq(Client(srv).get("/admin/reset?token=garbage").status, 410)

    with t.case(P + "wrong password and unknown account get the same answer"):
        x = Client(srv, source="127.0.0.3")
        tok = x.login_token()
        r1 = x.post("/admin/login", {"csrf": tok, "email": "owner@example.org", "password": "wrong-password-1"})
        r2 = x.post("/admin/login", {"csrf": tok, "email": "nobody@example.org", "password": "wrong-password-1"})
        t.eq((r1.status, r2.status), (401, 401))
        t.eq(r1.text().replace("owner@example.org", "E"), r2.text().replace("nobody@example.org", "E"),
             "the same page")
        t.eq(sorted(k for k, _ in r1.headers if k.lower() != "date"),
             sorted(k for k, _ in r2.headers if k.lower() != "date"), "the same headers")

    with t.case(P + "a thousand wrong passwords are rate limited; the real user still gets in from elsewhere"):
        x = Client(srv, source="127.0.0.4")
        tok = x.login_token()
        statuses = {}
        last = None
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60, source_address=("127.0.0.4", 0))
        body_for = lambda pw: urllib.parse.urlencode({"csrf": tok, "email": "owner@example.org", "password": pw})
        hdrs = {"Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in x.cookies.items())}
        for i in range(1000):
            last = harness.request(srv.port, "POST", "/admin/login", hdrs, body_for(f"guess-{i:04d}-xx"), conn=conn)
            statuses[last.status] = statuses.get(last.status, 0) + 1
        conn.close()
        t.eq(set(statuses), {401, 429}, f"{statuses}")
        t.true(statuses[401] <= 30, f"{statuses}: at most [auth] login_attempts_address got through")
        t.eq(last.status, 429)
        ra = last.header("retry-after")
        t.true(ra is not None and ra.isdigit() and int(ra) >= 1, f"Retry-After {ra!r}")
        t.contains(last.text(), "Too many login attempts")
        # the right password from the attacker's address is held back too...
        r = x.post("/admin/login", {"csrf": tok, "email": "owner@example.org", "password": OWNER_PW})
        t.eq(r.status, 429)
        # ...and an unknown account there gets the very same answer
        r2 = x.post("/admin/login", {"csrf": tok, "email": "ghost@example.org", "password": OWNER_PW})
        t.eq(r2.status, 429)
        # the owner, from another address, gets in
        real = Client(srv, source="127.0.0.5")
        real.login("owner@example.org", OWNER_PW)
        t.eq(real.get("/admin").status, 200)

    with t.case(P + "GET-only and POST-only admin addresses answer 405 with Allow"):
        r = Client(srv).get("/admin/logout")
        t.eq(r.status, 405)
        t.eq(r.header("allow"), "POST")
        r = Client(srv).post("/admin", {})
        t.eq(r.status, 405)
        t.eq(r.header("allow"), "GET, HEAD")


def tls_cookie_case(b, P, site):
    with t.case(P + "under https (base_url) cookies are Secure with the __Host- prefix"):
        ini = os.path.join(site, "site.ini")
        harness.ini_set(ini, "site", "base_url", "https://news.example.org")
        srv = harness.Server(BIN, site).start()
        try:
            c = Client(srv)
            r = c.get("/admin/login")
            sc = r.header_all("set-cookie")
            t.true(sc and sc[0].startswith("__Host-mh_login=") and "Secure" in sc[0], f"{sc}")
            tok = form_value(r.text(), "csrf")
            r = c.post("/admin/login", {"csrf": tok, "email": "owner@example.org", "password": OWNER_PW},
                       headers={"Origin": "https://news.example.org"})
            t.eq(r.status, 303, r.text()[:300])
            sess = [v for v in r.header_all("set-cookie") if v.startswith("__Host-mh_session=")]
            t.eq(len(sess), 1, f"{r.header_all('set-cookie')}")
            for attr in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
                t.contains(sess[0], attr)
            t.eq(c.get("/admin").status, 200)
        finally:
            t.eq(srv.stop(), 0)
            harness.ini_set(ini, "site", "base_url", "http://127.0.0.1:8080")


def demo_case():
    with t.case("demo prints the login address, the owner's email and a password that logs in"):
        d = os.path.join(harness.tempdir(), "demo")
        p = mh("demo", "--articles", "3", d, timeout=300)
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "http://127.0.0.1:8080/admin/login")
        email = re.search(r"email:\s+(\S+)", p.stdout).group(1)
        pw = re.search(r"password:\s+(\S+)", p.stdout).group(1)
        srv = harness.Server(BIN, d).start()
        try:
            c = Client(srv)
            c.login(email, pw)
            t.contains(c.get("/admin").text(), "owner")
        finally:
            t.eq(srv.stop(), 0)


def terminal_init_case():
    """init at a terminal asks for the owner, then the password twice
    without echo (on a pseudo-terminal, as a person would see it)."""
    import pty
    import select
    with t.case("init at a terminal asks for the owner's email and the password twice, without echo"):
        d = os.path.join(harness.tempdir(), "tty-site")
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(BIN, [BIN, "init", d])
        seen = b""

        def expect(word, answer):
            nonlocal seen
            end = time.monotonic() + 60
            while word.encode() not in seen:
                if time.monotonic() > end:
                    raise CaseFailed(f"no {word!r} prompt in {seen[-400:]!r}")
                r, _, _ = select.select([fd], [], [], 1)
                if r:
                    try:
                        seen += os.read(fd, 4096)
                    except OSError:
                        break
            os.write(fd, answer.encode() + b"\n")
            seen = seen.split(word.encode(), 1)[1]

        expect("Email: ", "tty-owner@example.org")
        expect("Password: ", "terminal-typed-secret-5")
        expect("Password again: ", "terminal-typed-secret-5")
        rest = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            rest += chunk
        _, status = os.waitpid(pid, 0)
        t.eq(os.waitstatus_to_exitcode(status), 0, rest.decode(errors="replace"))
        t.absent((seen + rest).decode(errors="replace"), "terminal-typed-secret-5", "the password is not echoed")
        t.contains(rest.decode(errors="replace"), "owner: tty-owner@example.org")
        lst = mh("user", "list", "--site", d)
        t.contains(lst.stdout, "tty-owner@example.org\towner\ttty-owner\tactive")


demo_case()
terminal_init_case()
suite(Backend("sqlite"))
if PG:
    suite(Backend("postgres"))
else:
    t.ok(False, "[postgres] accounts on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: these tests need the cluster of scripts/pg-test (run scripts/run-tests)")
t.done()
