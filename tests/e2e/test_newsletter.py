#!/usr/bin/env python3
"""E2E: the newsletter (issue 10), on SQLite and on PostgreSQL, with a REAL
SMTP server (Debian's python3-aiosmtpd, smtp_sink.py) on localhost that
keeps every message and answers chosen recipients 4xx or 5xx:
- the sign-up box (sidebar, after an article, /newsletter): a field
  labelled Email and a Subscribe button, a plain form;
- sign-up -> the confirmation mail arrives -> its link confirms; signing up
  again gives the same answer and stores nothing twice;
- bad input: an invalid address (422, nothing stored), a forged or expired
  confirmation link and a forged unsubscribe link (a clear page, nothing
  changed), a sign-up from another site or without the form's token (403),
  a flood from one address (429 with Retry-After);
- `masthead newsletter send SLUG` to 1,000 confirmed subscribers (imported
  from CSV); the server is killed (-9) mid-send and started again: nobody
  gets a second copy, and every delivery is accounted for (sent, or
  'unknown' for the at most one the dead sender was handing over);
  a recipient answered 451 twice is retried and delivered, one answered 550
  is bounced (and marked so); `newsletter status` says sending until done;
- every newsletter is multipart text + HTML with List-Unsubscribe and
  List-Unsubscribe-Post; the one-click POST unsubscribes without logging in;
- subscribers: search, export, import (bad rows reported by line, nothing
  imported), delete (every trace of the address gone);
- `masthead user reset` mails a working link when [mail] smtp_url is set;
- PostgreSQL: two nodes sending one newsletter, no duplicates.
Usage: test_newsletter.py PATH/TO/masthead
"""
import base64
import collections
import csv
import hashlib
import hmac
import io
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import AdminClient as Client, CaseFailed  # noqa: E402
from smtp_sink import Sink  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()

sink = Sink().start(harness.free_port())
SUBSCRIBERS = 1000
TEMP = "temp4xx@example.org"
PERM = "perm5xx@example.org"


def settings(rate):
    return {("mail", "smtp_url"): sink.url(), ("mail", "timeout"): "5",
            ("newsletter", "rate"): str(rate), ("newsletter", "retry_after"): "1",
            ("newsletter", "max_attempts"): "4", ("newsletter", "signup_burst"): "4",
            ("newsletter", "signups_per_hour"): "1", ("jobs", "lease"): "5"}


def mh(*args, timeout=120):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=timeout)


class Db:
    def __init__(self, site, pg_url=None):
        self.site, self.pg = site, pg_url

    def rows(self, sql):
        if self.pg:
            out = harness.psql(sql, self.pg)
            return [tuple(line.split("|")) for line in out.splitlines()] if out else []
        return [tuple(str(v) for v in r.values()) for r in harness.db_query(self.site, sql)]

    def exec(self, sql):
        if self.pg:
            harness.psql(sql, self.pg)
        else:
            harness.db_write(self.site, sql)

    def one(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None

    def count(self, sql):
        return int(self.one(sql) or 0)


def path_of(url):
    return re.sub(r"^https?://[^/]+", "", url)


def wait_mail(address, n=1, seconds=20):
    harness.wait_for(lambda: True if len(sink.rec.to(address)) >= n else len(sink.rec.to(address)), seconds,
                     f"{n} mail(s) to {address}")
    return sink.rec.to(address)


def text_part(msg):
    return msg.get_body(("plain",)).get_content()


def html_part(msg):
    return msg.get_body(("html",)).get_content()


def signup_token(c, path="/newsletter"):
    r = c.get(path)
    if r.status != 200:
        raise CaseFailed(f"GET {path}: {r.status}")
    m = re.search(r'name="token" value="([^"]+)"', r.text())
    if not m:
        raise CaseFailed(f"no sign-up token on {path}")
    return m.group(1)


def signup(c, email, token=None, headers=None):
    return c.post("/newsletter", {"email": email, "token": token if token is not None else signup_token(c)},
                  headers=headers)


def h1(r):
    m = re.search(r"<h1[^>]*>(.*?)</h1>", r.text(), re.S)
    return m.group(1).strip() if m else None


def newsletter_key(db):
    hexkey = db.one("SELECT value FROM site_secrets WHERE name = 'newsletter_key'")
    if not hexkey:
        raise CaseFailed("no newsletter_key secret")
    return bytes.fromhex(hexkey)


def sign(key, purpose, value, expires):
    """auth/token.c's mh_auth_sign: HMAC-SHA-512 cut to 256 bits over
    purpose NUL value NUL expires, base64url."""
    mac = hmac.new(key, purpose.encode() + b"\0" + value.encode() + b"\0" + str(expires).encode(),
                   hashlib.sha512).digest()[:32]
    return f"{value}.{expires}." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def status_of(site, nl_id):
    out = mh("newsletter", "status", str(nl_id), "--site", site)
    if out.returncode != 0:
        raise CaseFailed(f"newsletter status: {out.stderr}")
    counts = dict(re.findall(r"^(\w+): (\d+)$", out.stdout, re.M))
    state = re.search(r"^state: (\w+)$", out.stdout, re.M).group(1)
    return state, {k: int(v) for k, v in counts.items() if k != "state"}, out.stdout


def suite(P, site, db):
    sink.rec.reset()
    sink.rec.temporary.clear()
    sink.rec.permanent.clear()
    srv = harness.Server(BIN, site).start()
    slug = db.one("SELECT slug FROM articles WHERE status = 'published' ORDER BY published_at DESC, id DESC LIMIT 1")

    with t.case(P + "the sign-up box: Email and Subscribe, in the sidebar, after an article and on /newsletter"):
        for path in ("/", f"/articles/{slug}", "/newsletter"):
            page = srv.get(path).text()
            t.contains(page, 'action="/newsletter"', path)
            t.true(re.search(r'<label for="[^"]+-email">Email</label>', page), f"{path}: an Email label")
            t.true(re.search(r'<button[^>]*type="submit">Subscribe</button>', page), f"{path}: Subscribe")
        art = srv.get(f"/articles/{slug}").text()
        t.eq(len(re.findall(r'action="/newsletter"', art)), 2, "sidebar and after the article")
        t.eq(len(set(re.findall(r'id="(newsletter-[a-z]+-email)"', art))), 2, "each box its own ids")

    with t.case(P + "sign up -> the confirmation mail arrives -> its link confirms"):
        c = Client(srv, source="127.0.0.2")
        before = db.count("SELECT count(*) FROM subscribers")
        r = signup(c, "  New.Reader@Example.org ")
        t.eq((r.status, h1(r)), (200, "Check your inbox"))
        t.eq(db.count("SELECT count(*) FROM subscribers"), before, "nothing stored before the link is followed")
        msg = wait_mail("new.reader@example.org")[0]
        t.eq(msg.get_content_type(), "multipart/alternative")
        t.contains(msg["Subject"], "Confirm your subscription")
        t.true(msg["Message-ID"] and msg["Date"], "Message-ID and Date")
        link = re.search(r"(https?://\S+/newsletter/confirm\?token=\S+)", text_part(msg)).group(1)
        t.contains(html_part(msg), "/newsletter/confirm?token=")
        t.absent(html_part(msg).lower(), "<script")
        r = c.get(path_of(link))
        t.eq((r.status, h1(r)), (200, "You are subscribed"))
        t.eq(db.one("SELECT status FROM subscribers WHERE email = 'new.reader@example.org'"), "confirmed")
        r = c.get(path_of(link))
        t.eq(r.status, 200, "following it again is harmless")
        t.eq(db.count("SELECT count(*) FROM subscribers WHERE email = 'new.reader@example.org'"), 1)

    with t.case(P + "signing up again answers the same and reveals nothing"):
        c = Client(srv, source="127.0.0.3")
        known = signup(c, "new.reader@example.org")
        fresh = signup(c, "someone.else@example.org")
        t.eq((known.status, h1(known)), (fresh.status, h1(fresh)))
        t.eq(known.text().replace("new.reader@example.org", "X"), fresh.text().replace("someone.else@example.org", "X")
             .replace(re.search(r'name="token" value="([^"]+)"', fresh.text()).group(1),
                      re.search(r'name="token" value="([^"]+)"', known.text()).group(1)),
             "the same page but for the address")
        t.eq(db.one("SELECT status FROM subscribers WHERE email = 'new.reader@example.org'"), "confirmed")
        t.eq(db.count("SELECT count(*) FROM subscribers WHERE email = 'someone.else@example.org'"), 0)

    with t.case(P + "an invalid address is a form error and stores nothing"):
        subs = db.count("SELECT count(*) FROM subscribers")
        jobs = db.count("SELECT count(*) FROM jobs WHERE kind = 'newsletter_confirm'")
        for i, bad in enumerate(("", "not-an-address", "a@b", "two@@example.org", "x y@example.org")):
            r = signup(Client(srv, source=f"127.0.1.{i + 1}"), bad)
            t.eq(r.status, 422, repr(bad))
            t.contains(r.text(), "Email:")
            t.contains(r.text(), 'aria-invalid="true"')
        t.eq(db.count("SELECT count(*) FROM subscribers"), subs)
        t.eq(db.count("SELECT count(*) FROM jobs WHERE kind = 'newsletter_confirm'"), jobs, "no mail queued")

    with t.case(P + "a forged or expired confirmation link: a clear page, nothing changed"):
        c = Client(srv, source="127.0.0.5")
        key = newsletter_key(db)
        value = base64.urlsafe_b64encode(b"forged@example.org").decode().rstrip("=")
        expired = sign(key, "newsletter-confirm", value, int(time.time()) - 60)
        r = c.get("/newsletter/confirm?token=" + expired)
        t.eq((r.status, h1(r)), (410, "This link has expired"))
        good = sign(key, "newsletter-confirm", value, int(time.time()) + 3600)
        forged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
        for tok in (forged, "garbage", "", sign(b"k" * 32, "newsletter-confirm", value, int(time.time()) + 3600)):
            r = c.get("/newsletter/confirm?token=" + urllib.parse.quote(tok))
            t.eq((r.status, h1(r)), (400, "This link is not valid"), tok)
        t.eq(db.count("SELECT count(*) FROM subscribers WHERE email = 'forged@example.org'"), 0)
        r = c.get("/newsletter/confirm?token=" + good)
        t.eq(r.status, 200, "the genuine one (signed with the site's key) works: the check is the key")

    with t.case(P + "a sign-up from another site, or without the form's token, is refused"):
        c = Client(srv, source="127.0.0.6")
        tok = signup_token(c)
        r = signup(c, "csrf@example.org", tok, headers={"Origin": "https://evil.example"})
        t.eq(r.status, 403)
        r = signup(c, "csrf@example.org", tok, headers={"Sec-Fetch-Site": "cross-site"})
        t.eq(r.status, 403)
        r = signup(c, "csrf@example.org", "")
        t.eq(r.status, 403, "no token and no Origin")
        r = signup(c, "csrf@example.org", tok[:-3] + "xyz")
        t.eq(r.status, 403, "a forged token")
        r = signup(c, "csrf@example.org", "", headers={"Origin": f"http://127.0.0.1:{srv.port}",
                                                        "Sec-Fetch-Site": "same-origin"})
        t.eq(r.status, 200, "a browser that says it is this site needs no token")
        t.eq(db.count("SELECT count(*) FROM jobs WHERE payload = 'csrf@example.org'"), 1, "queued once")

    with t.case(P + "a sign-up flood gets 429 with Retry-After, and queues nothing more"):
        c = Client(srv, source="127.0.0.7")
        tok = signup_token(c)
        statuses = [signup(c, f"flood{i}@example.org", tok).status for i in range(4)]
        t.eq(statuses, [200] * 4, "the burst")
        r = signup(c, "flood9@example.org", tok)
        t.eq(r.status, 429)
        t.true(int(r.header("retry-after") or 0) >= 1, r.headers)
        t.eq(db.count("SELECT count(*) FROM jobs WHERE payload = 'flood9@example.org'"), 0)
        t.eq(signup(Client(srv, source="127.0.0.8"), "other@example.org").status, 200, "others still sign up")

    with t.case(P + "subscribers import checks every row: bad rows reported by line, nothing imported"):
        d = harness.tempdir()
        bad = os.path.join(d, "bad.csv")
        with open(bad, "w") as f:
            f.write("email,status\nok1@example.org,confirmed\nnot an address,confirmed\n"
                    "ok2@example.org,maybe\n\"unclosed@example.org\n")
        before = db.count("SELECT count(*) FROM subscribers")
        out = mh("newsletter", "subscribers", "import", bad, "--site", site)
        t.eq(out.returncode, 1)
        t.contains(out.stderr, "line 3: email: not a mail address")
        t.contains(out.stderr, "line 4: status:")
        t.contains(out.stderr, "line 5: a quoted field is not closed")
        t.eq(db.count("SELECT count(*) FROM subscribers"), before, "nothing imported")

    with t.case(P + f"{SUBSCRIBERS} subscribers imported from CSV, searched, exported"):
        d = harness.tempdir()
        good = os.path.join(d, "subs.csv")
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["email", "status"])
        addrs = [f"reader{i:04d}@example.org" for i in range(SUBSCRIBERS - 3)] + [TEMP, PERM]
        for a in addrs:
            w.writerow([a, "confirmed"])
        w.writerow(["left@example.org", "unsubscribed"])
        with open(good, "w") as f:
            f.write(buf.getvalue())
        out = mh("newsletter", "subscribers", "import", good, "--site", site)
        t.eq(out.returncode, 0, out.stderr)
        t.contains(out.stdout, f"imported {SUBSCRIBERS} subscribers")
        out = mh("newsletter", "subscribers", "search", "reader0042", "--site", site)
        t.eq(out.stdout.split("\t")[:2], ["reader0042@example.org", "confirmed"])
        out = mh("newsletter", "subscribers", "export", "-", "--site", site)
        rows = list(csv.reader(io.StringIO(out.stdout)))
        t.eq(rows[0], ["email", "status", "created_at", "confirmed_at"])
        t.eq(len(rows) - 1, db.count("SELECT count(*) FROM subscribers"))
        t.eq(mh("newsletter", "subscribers", "export", good, "--site", site).returncode, 1,
             "an existing file is not overwritten")

    confirmed = db.count("SELECT count(*) FROM subscribers WHERE status = 'confirmed'")
    sink.rec.reset()
    sink.rec.temporary[TEMP] = 2
    sink.rec.permanent.add(PERM)
    with t.case(P + f"a newsletter to {confirmed} subscribers survives kill -9 mid-send without a second copy"):
        out = mh("newsletter", "send", "no-such-article", "--site", site)
        t.eq(out.returncode, 1)
        t.contains(out.stderr, "no article 'no-such-article'")
        out = mh("newsletter", "send", slug, "--site", site)
        t.eq(out.returncode, 0, out.stderr)
        nl_id = int(re.search(r"newsletter (\d+) queued to (\d+)", out.stdout).group(1))
        t.eq(int(re.search(r"queued to (\d+)", out.stdout).group(1)), confirmed)
        harness.wait_for(lambda: True if sink.rec.count >= 150 else sink.rec.count, 60, "the sending to start")
        state, counts, _ = status_of(site, nl_id)
        t.eq(state, "sending", "never done before it is")
        srv.kill()
        at_kill = sink.rec.count
        t.true(at_kill < confirmed, f"killed mid-send ({at_kill} of {confirmed})")
        srv.start()

        def finished():
            st, cn, _ = status_of(site, nl_id)
            return True if st == "done" else cn
        harness.wait_for(finished, 120, "the rest of the newsletter")
        state, counts, text = status_of(site, nl_id)
        per = collections.Counter()
        for rcpts, m in sink.rec.messages:
            # this newsletter's messages only (a sign-up's confirmation
            # may still be going out from the queue)
            if not str(m["Message-ID"]).startswith(f"<nl-{nl_id}-"):
                continue
            for a in rcpts:
                per[a] += 1
        t.eq([a for a, n in per.items() if n > 1], [], "nobody got a second copy")
        copies = sum(per.values())
        # the dead sender's claim may or may not have reached the relay:
        # it is 'unknown' either way and never sent again
        t.true(counts["sent"] <= copies <= counts["sent"] + counts["unknown"],
               f"sent {counts['sent']}, unknown {counts['unknown']}, the relay took {copies}")
        t.true(counts["unknown"] <= 2, f"at most the dead sender's claims are unknown: {counts}")
        t.eq(counts["sent"] + counts["unknown"] + counts["bounced"], confirmed, counts)
        t.eq(counts["queued"] + counts["deferred"] + counts["sending"] + counts["failed"], 0, counts)
        t.eq(per[TEMP], 1, "the 451 recipient was retried and delivered")
        t.eq([c for a, c in sink.rec.refused if a == TEMP], [451, 451])
        t.eq(per[PERM], 0)
        t.eq(counts["bounced"], 1)
        t.true(re.search(r"^bounced\t%s\tattempts 1\tSMTP 550\t" % re.escape(PERM), text, re.M), text)
        t.eq(db.one(f"SELECT status FROM subscribers WHERE email = '{PERM}'"), "bounced")
        t.eq(per["left@example.org"], 0, "an unsubscribed address gets nothing")
        everyone = set(addrs) - {PERM}
        missing = everyone - set(per)
        t.true(len(missing) <= counts["unknown"], f"only the unknown ones may lack their copy: {missing}")

    with t.case(P + "/admin/newsletter: editors send and follow sends; bad input refused; authors kept out"):
        pw = {}
        for email, role in (("editor@example.org", "editor"), ("writer@example.org", "author")):
            out = mh("user", "add", email, "--name", role.title(), "--role", role, "--generate", "--site", site)
            t.eq(out.returncode, 0, out.stderr)
            pw[email] = re.search(r"password: (\S+)", out.stdout).group(1)
        ed = Client(srv, pw["editor@example.org"], source="127.0.0.11").login("editor@example.org")
        page = ed.get("/admin/newsletter")
        t.eq(page.status, 200)
        t.contains(page.text(), 'href="/admin/newsletter"', "in the navigation")
        t.contains(page.text(), f'href="/admin/newsletter/{nl_id}"')
        detail = ed.get(f"/admin/newsletter/{nl_id}")
        t.eq(detail.status, 200)
        t.contains(detail.text(), PERM)
        t.contains(detail.text(), "bounced")
        t.eq(ed.get("/admin/newsletter/999999").status, 404)
        t.eq(ed.get("/admin/newsletter/abc").status, 404)
        csrf = harness.form_value(page.text(), "csrf")
        sends = db.count("SELECT count(*) FROM newsletters")
        r = ed.post("/admin/newsletter", {"csrf": csrf, "slug": "no-such-article"})
        t.eq(r.status, 422)
        t.contains(r.text(), "Article: no article has this address")
        draft = db.one("SELECT slug FROM articles WHERE status <> 'published' LIMIT 1")
        if draft:
            r = ed.post("/admin/newsletter", {"csrf": csrf, "slug": draft})
            t.eq(r.status, 422, "a draft is not sent")
        r = ed.post("/admin/newsletter", {"slug": slug})
        t.eq(r.status, 403, "no CSRF token")
        t.eq(db.count("SELECT count(*) FROM newsletters"), sends, "nothing queued by the refusals")
        wr = Client(srv, pw["writer@example.org"], source="127.0.0.12").login("writer@example.org")
        t.eq(wr.get("/admin/newsletter").status, 403, "an author may not send")
        t.absent(wr.get("/admin").text(), 'href="/admin/newsletter"')

    with t.case(P + "a newsletter is text + HTML with List-Unsubscribe; the one-click POST unsubscribes"):
        msg = sink.rec.to("reader0007@example.org")[0]
        t.eq(msg.get_content_type(), "multipart/alternative")
        t.eq([p.get_content_type() for p in msg.iter_parts()], ["text/plain", "text/html"])
        t.contains(text_part(msg), "Unsubscribe:")
        t.absent(html_part(msg).lower(), "<script")
        t.eq(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        lu = re.match(r"<(https?://[^>]+/newsletter/unsubscribe\?token=[^>]+)>", msg["List-Unsubscribe"])
        t.true(lu, msg["List-Unsubscribe"])
        url = path_of(lu.group(1))
        t.contains(html_part(msg), "/newsletter/unsubscribe?token=")
        t.contains(msg["Message-ID"], f"nl-{nl_id}-")
        r = srv.get(url)
        t.eq((r.status, h1(r)), (200, "Unsubscribe?"), "following the link changes nothing by itself")
        t.eq(db.one("SELECT status FROM subscribers WHERE email = 'reader0007@example.org'"), "confirmed")
        forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        r = srv.request("POST", forged, {"Content-Type": "application/x-www-form-urlencoded"},
                        b"List-Unsubscribe=One-Click")
        t.eq((r.status, h1(r)), (400, "This link is not valid"))
        t.eq(db.one("SELECT status FROM subscribers WHERE email = 'reader0007@example.org'"), "confirmed")
        r = srv.request("POST", url, {"Content-Type": "application/x-www-form-urlencoded",
                                      "Origin": "https://mail.example"}, b"List-Unsubscribe=One-Click")
        t.eq((r.status, h1(r)), (200, "You are unsubscribed"))
        t.eq(db.one("SELECT status FROM subscribers WHERE email = 'reader0007@example.org'"), "unsubscribed")

    with t.case(P + "delete removes the address and every trace of it"):
        out = mh("newsletter", "subscribers", "delete", "reader0008@example.org", "--site", site)
        t.eq(out.returncode, 0, out.stderr)
        t.eq(db.count("SELECT count(*) FROM subscribers WHERE email = 'reader0008@example.org'"), 0)
        t.eq(db.count("SELECT count(*) FROM newsletter_deliveries d WHERE NOT EXISTS "
                      "(SELECT 1 FROM subscribers s WHERE s.id = d.subscriber_id)"), 0)
        out = mh("newsletter", "subscribers", "delete", "reader0008@example.org", "--site", site)
        t.eq(out.returncode, 1)
        t.contains(out.stderr, "no subscriber")

    with t.case(P + "masthead user reset mails a link that sets a new password"):
        mh("user", "add", "ed@example.org", "--name", "Ed", "--role", "editor", "--generate", "--site", site)
        out = mh("user", "reset", "ed@example.org", "--site", site)
        t.eq(out.returncode, 0, out.stderr)
        t.contains(out.stdout, "mailed to ed@example.org")
        t.absent(out.stdout, "token=", "the link goes to the inbox only")
        msg = wait_mail("ed@example.org")[-1]
        link = re.search(r"(https?://\S+/admin/reset\?token=([A-Za-z0-9_-]{43}))", text_part(msg))
        t.true(link, text_part(msg))
        u = Client(srv, source="127.0.0.9")
        page = u.get(path_of(link.group(1)))
        t.eq(page.status, 200)
        csrf = harness.form_value(page.text(), "csrf")
        r = u.post("/admin/reset", {"csrf": csrf, "token": link.group(2), "password": "fresh-tide-pool-12",
                                    "password2": "fresh-tide-pool-12"})
        t.eq((r.status, r.header("location")), (303, "/admin/login?reset=done"))
        Client(srv, source="127.0.0.10").login("ed@example.org", "fresh-tide-pool-12")
    with t.case(P + "the daily digest: queued for 00:00 UTC at start, then sends the new articles"):
        harness.ini_set(os.path.join(site, "site.ini"), "newsletter", "digest", "daily")
        t.eq(srv.restart(), 0, "a clean stop")
        rows = db.rows("SELECT run_at FROM jobs WHERE kind = 'newsletter_digest' AND state = 'queued'")
        t.eq(len(rows), 1, "one digest job, whatever the restarts")
        now = int(time.time())
        t.true(int(rows[0][0]) % 86400 == 0 and now < int(rows[0][0]) <= now + 86400, rows)
        headline = db.one(f"SELECT headline FROM articles WHERE slug = '{slug}'")
        db.exec(f"UPDATE articles SET published_at = {now - 60} WHERE slug = '{slug}'")
        sink.rec.reset()
        db.exec(f"UPDATE jobs SET run_at = {now} WHERE kind = 'newsletter_digest'")
        harness.wait_for(lambda: True if db.count("SELECT count(*) FROM newsletters WHERE kind = 'digest'") == 1
                         else False, 30, "the digest")
        dig = int(db.one("SELECT id FROM newsletters WHERE kind = 'digest'"))
        harness.wait_for(lambda: True if status_of(site, dig)[0] == "done" else status_of(site, dig)[1], 180,
                         "the digest's sending")
        msg = sink.rec.to("reader0009@example.org")
        t.eq(len(msg), 1)
        t.contains(msg[0]["Subject"], "today's stories")
        t.contains(text_part(msg[0]), headline)
        t.true(msg[0]["List-Unsubscribe"], "a digest is a newsletter too")
        rows = db.rows("SELECT run_at FROM jobs WHERE kind = 'newsletter_digest' AND state = 'queued'")
        t.eq(len(rows), 1, "queued again for the next day")
        t.true(int(rows[0][0]) > now, rows)
        harness.ini_set(os.path.join(site, "site.ini"), "newsletter", "digest", "off")
    with t.case(P + "the server stops cleanly (exit 0: no leak or sanitizer report)"):
        t.eq(srv.stop(), 0)


# ------------------------------------------------------------------ SQLite
try:
    SITE = harness.demo_site(BIN, articles=8, ini=settings(400))
    suite("", SITE, Db(SITE))
except CaseFailed:
    pass

# ------------------------------------------------------------------ PostgreSQL
PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] the newsletter on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_newsletter_{os.getpid()}"
    url = harness.pg_new_db(PG, name)
    d = os.path.join(harness.tempdir(), "site")
    p = harness.run([BIN, "demo", "--articles", "8", d, "--database", url], timeout=300)
    if p.returncode != 0:
        t.bail(f"`masthead demo --database` exited {p.returncode}: {p.stderr.strip()}")
    for (sec, key), val in settings(400).items():
        harness.ini_set(os.path.join(d, "site.ini"), sec, key, val)
    pdb = Db(d, url)
    suite("[postgres] ", d, pdb)

    with t.case("[postgres] two nodes sending one newsletter: no duplicates"):
        harness.ini_set(os.path.join(d, "site.ini"), "newsletter", "rate", "100")
        harness.psql("UPDATE subscribers SET status = 'confirmed' WHERE status <> 'confirmed'", url)
        n = pdb.count("SELECT count(*) FROM subscribers WHERE status = 'confirmed'")
        sink.rec.reset()
        sink.rec.temporary.clear()
        sink.rec.permanent.clear()
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()
        slug = pdb.one("SELECT slug FROM articles WHERE status = 'published' ORDER BY id LIMIT 1")
        out = mh("newsletter", "send", slug, "--site", d)
        t.eq(out.returncode, 0, out.stderr)
        nl_id = int(re.search(r"newsletter (\d+) queued", out.stdout).group(1))
        harness.wait_for(lambda: True if status_of(d, nl_id)[0] == "done" else status_of(d, nl_id)[1], 120,
                         "both nodes' sending")
        state, counts, _ = status_of(d, nl_id)
        per = collections.Counter(a_ for rcpts, m_ in sink.rec.messages for a_ in rcpts
                                  if str(m_["Message-ID"]).startswith(f"<nl-{nl_id}-"))
        t.eq([x for x, k in per.items() if k > 1], [], "no duplicates")
        t.eq(counts["sent"], n, counts)
        t.eq(len(per), n)
        t.eq(pdb.count(f"SELECT count(*) FROM jobs WHERE kind = 'newsletter' AND payload = '{nl_id}'"), 2,
             "two sending jobs ([newsletter] senders), one for each node's runner")
        t.eq(a.stop(), 0)
        t.eq(b.stop(), 0)
    harness.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", PG)

sink.stop()
t.done()
