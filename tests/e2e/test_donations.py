#!/usr/bin/env python3
"""E2E: donations (issue 10), on SQLite and on PostgreSQL, against the
PayPal and Stripe stand-ins of tests/standins/ (started here on localhost):
- the box in the sidebar, after an article and on /donate: Amount, Currency,
  Donate, Quick Donate; the pages' CSP form-action names the providers;
- every bad input of the issue: an amount of 0, negative, not a number or
  above the maximum, an unsupported currency -> the form again with the
  error, nothing recorded, no provider called; a missing or forged form
  token, another site's Origin -> 403;
- PayPal: create -> approve at the stand-in -> return -> capture -> paid;
  the return page alone (not approved) leaves it pending;
- Stripe (monthly, subscription mode): the return page alone leaves it
  pending; webhooks with a bad signature, an old timestamp, an unknown event
  type, an unknown session -> 400 and the ledger unchanged; the real one
  marks it paid; a replay changes nothing;
- PayPal webhooks: verified by the stand-in's verify-webhook-signature
  (SUCCESS / FAILURE); a replay counts once;
- a provider answering 500, or down -> a clear "try again" page, nothing
  recorded;
- `masthead donations` (totals, recurring, --csv) and /admin/donations (owners);
- PostgreSQL: two nodes receiving the same webhook at once apply it once.
Usage: test_donations.py PATH/TO/masthead
"""
import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
HERE = os.path.dirname(os.path.abspath(__file__))
STANDINS = os.path.join(HERE, "..", "standins")
PW = "quiet-river-donor-77"
WEBHOOK_ID = "WH-E2E-STANDIN"
WHSEC = "whsec_e2e_standin"


class StandIn:
    """One provider stand-in process on a free loopback port."""

    def __init__(self, name):
        self.proc = subprocess.Popen([sys.executable, os.path.join(STANDINS, name + ".py")],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"stand-in {name} did not start: {line!r}")
        self.port = int(line.split()[1])
        self.origin = f"http://127.0.0.1:{self.port}"

    def call(self, method, path, obj=None, body=None, headers=None):
        h = dict(headers or {})
        if obj is not None:
            body = json.dumps(obj).encode()
            h["Content-Type"] = "application/json"
        return harness.request(self.port, method, path, h, body)

    def json(self, method, path, obj=None):
        r = self.call(method, path, obj)
        if r.status != 200:
            raise CaseFailed(f"stand-in {path}: {r.status} {r.text()[:300]}")
        return json.loads(r.text())

    def api_calls(self):
        return sum(self.json("GET", "/_standin/calls").values())

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Db:
    """The site's database, SQLite file or PostgreSQL URL."""

    def __init__(self, site, pg_url=None):
        self.site, self.pg_url = site, pg_url

    def rows(self, sql):
        if self.pg_url is not None:
            out = harness.psql(f"SELECT coalesce(json_agg(q), '[]') FROM ({sql}) q", self.pg_url)
            return json.loads(out)
        return harness.db_query(self.site, sql)

    def ledger(self):
        return self.rows("SELECT id, token, provider, provider_ref, amount, currency, status, email,"
                         " paid_at, provider_sub FROM donations ORDER BY id")

    def count(self, table):
        return int(self.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"])

    def donation(self, token):
        rows = self.rows("SELECT * FROM donations WHERE token = '%s'" % token.replace("'", "''"))
        if not rows:
            raise CaseFailed(f"no donation {token}")
        return rows[0]


def site_ini(pp, st, extra=None):
    ini = {
        ("donations", "enabled"): "true",
        ("donations", "maximum"): "500",
        ("donations", "currencies"): "USD,EUR,GBP",
        ("paypal", "api_base"): pp.origin,
        ("paypal", "approve_origin"): pp.origin,
        ("paypal", "client_id"): "standin-client",
        ("paypal", "client_secret"): "standin-secret",
        ("paypal", "webhook_id"): WEBHOOK_ID,
        ("stripe", "api_base"): st.origin,
        ("stripe", "checkout_origin"): st.origin,
        ("stripe", "secret_key"): "sk_test_standin",
        ("stripe", "webhook_secret"): WHSEC,
    }
    ini.update(extra or {})
    return ini


def form_token(srv, path="/donate"):
    r = srv.get(path)
    if r.status != 200:
        raise CaseFailed(f"GET {path}: {r.status}")
    m = re.search(r'name="token" value="([^"]+)"', r.text())
    if not m:
        raise CaseFailed(f"no donation form on {path}")
    return m.group(1)


def donate(srv, headers=None, **fields):
    form = {"token": form_token(srv), "frequency": "once"}
    form.update(fields)
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return srv.request("POST", "/donate", h, urllib.parse.urlencode(form).encode())


def started(srv, db, **fields):
    """A gift sent to its provider: (the ledger row, the provider's address)."""
    r = donate(srv, **fields)
    if r.status != 303:
        raise CaseFailed(f"POST /donate {fields}: {r.status} {harness.strip_tags(r.text())[:400]}")
    return db.ledger()[-1], r.header("location")


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def status_page(srv, token):
    r = srv.get(f"/donate/status/{token}")
    t.eq(r.status, 200, "status page")
    return harness.strip_tags(r.text())


def stripe_event(st, session, etype="checkout.session.completed", **kw):
    q = {"session": session, "type": etype}
    q.update(kw)
    ev = st.json("POST", "/_standin/event", q)
    return ev["body"].encode(), ev["signature"]


def stripe_sign(body, t=None):
    """A Stripe-Signature as Stripe makes it, with the endpoint's secret."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(WHSEC.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def stripe_pay(st, session):
    """The reader pays at the stand-in's checkout page."""
    r = st.call("POST", f"/c/pay/{session}/pay")
    if r.status != 302:
        raise CaseFailed(f"stand-in pay: {r.status}")


def send_stripe(srv, body, sig):
    h = {"Content-Type": "application/json"}
    if sig is not None:
        h["Stripe-Signature"] = sig
    return srv.request("POST", "/donate/webhook/stripe", h, body)


def paypal_event(pp, order, etype="PAYMENT.CAPTURE.COMPLETED", **kw):
    q = {"order": order, "event_type": etype, "webhook_id": WEBHOOK_ID}
    q.update(kw)
    ev = pp.json("POST", "/_standin/webhook", q)
    return ev["body"].encode(), ev["headers"]


def send_paypal(srv, body, headers):
    h = {"Content-Type": "application/json"}
    h.update(headers)
    return srv.request("POST", "/donate/webhook/paypal", h, body)


def cases(P, srv, db, pp, st, site):
    """Every case on one backend."""
    with t.case(P + "the box: sidebar, after an article and /donate; Amount, Currency, Donate, Quick Donate"):
        home = srv.get("/")
        t.eq(home.status, 200)
        for path in ("/", "/donate"):
            page = srv.get(path).text()
            t.contains(page, '<label for="', path)
            t.true(re.search(r'<label for="[^"]+-amount">Amount</label>', page), f"{path}: no field labelled Amount")
            t.true(re.search(r'<label for="[^"]+-currency">Currency</label>', page), f"{path}: no Currency")
            t.contains(page, '<button class="button" type="submit">Donate</button>', path)
            t.contains(page, "Quick Donate €10", path)
            t.contains(page, 'value="monthly"', path)
            t.contains(page, "Monthly gifts are taken by card through Stripe.", path)
        slug = re.search(r'href="/articles/([^"#]+)"', home.text()).group(1)
        art = srv.get(f"/articles/{slug}").text()
        t.eq(art.count('class="widget widget--donate"'), 2, "sidebar and after the article")
        t.contains(art, 'id="donate-after-amount"')
        t.contains(art, 'id="donate-side-amount"')
        csp = home.header("content-security-policy")
        t.contains(csp, f"form-action 'self' {pp.origin} {st.origin};", "CSP form-action")
        t.contains(srv.get("/donate").header("content-security-policy"), f"form-action 'self' {pp.origin}")

    bad = [
        ("an amount of 0", {"amount": "0"}, "more than zero"),
        ("a negative amount", {"amount": "-5"}, "more than zero"),
        ("an amount that is not a number", {"amount": "ten"}, "must be a number"),
        ("an amount above the maximum", {"amount": "500.01"}, "at most 500"),
        ("an unsupported currency", {"currency": "JPY"}, "Choose one of the currencies offered: USD, EUR, GBP."),
        ("no amount at all", {"amount": "", "preset": ""}, "Choose an amount"),
        ("monthly through PayPal", {"frequency": "monthly"}, "Monthly gifts are taken by card through Stripe"),
        ("a malformed email", {"email": "not an email"}, "email address does not look right"),
    ]
    for what, fields, msg in bad:
        with t.case(P + f"{what} -> the form again with its error, nothing recorded, no provider called"):
            before, calls = db.count("donations"), pp.api_calls() + st.api_calls()
            form = {"amount": "25", "currency": "USD", "provider": "paypal"}
            form.update(fields)
            r = donate(srv, **form)
            t.eq(r.status, 400)
            body = r.text()
            t.contains(body, 'class="donate__error" role="alert"')
            t.contains(harness.strip_tags(body), msg)
            t.eq(r.header("cache-control"), "no-store")
            t.eq(db.count("donations"), before, "ledger")
            t.eq(pp.api_calls() + st.api_calls(), calls, "provider calls")

    with t.case(P + "a forged or missing form token, or another site's Origin -> 403, nothing recorded"):
        before = db.count("donations")
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        good = {"amount": "10", "currency": "EUR", "provider": "paypal", "frequency": "once"}
        tok = form_token(srv)
        forged = tok[:-3] + ("AAA" if not tok.endswith("AAA") else "BBB")
        for form in ({**good}, {**good, "token": forged}, {**good, "token": "form.9999999999.x"}):
            r = srv.request("POST", "/donate", h, urllib.parse.urlencode(form).encode())
            t.eq(r.status, 403, str(form.get("token")))
            t.contains(r.text(), "security token")
        r = donate(srv, headers={"Origin": "https://evil.example"}, **good)
        t.eq(r.status, 403)
        t.contains(r.text(), "sent from another site")
        r = donate(srv, headers={"Sec-Fetch-Site": "cross-site"}, **good)
        t.eq(r.status, 403)
        t.eq(db.count("donations"), before)
        # the same with this site's own Origin goes through
        r = donate(srv, headers={"Origin": f"http://127.0.0.1:{srv.port}", "Sec-Fetch-Site": "same-origin"},
                   **good)
        t.eq(r.status, 303)
        t.eq(db.count("donations"), before + 1)

    with t.case(P + "PayPal: the return page alone does not mark it paid; approve + return captures it"):
        row, url = started(srv, db, amount="12.50", currency="EUR", provider="paypal", email="reader@example.org")
        t.true(url.startswith(pp.origin + "/checkoutnow?token="), url)
        t.eq((row["provider"], row["amount"], row["currency"], row["status"], row["email"]),
             ("paypal", 1250, "EUR", "pending", "reader@example.org"))
        order = pp.json("GET", "/_standin/orders")[row["provider_ref"]]
        t.eq(order["purchase_units"][0]["amount"], {"currency_code": "EUR", "value": "12.50"})
        t.eq(order["intent"], "CAPTURE")
        # back without approving (a reader typing the return address)
        r = srv.get(f"/donate/return/{row['token']}")
        t.eq(r.status, 303)
        t.eq(r.header("location"), f"/donate/status/{row['token']}")
        t.eq(db.donation(row["token"])["status"], "pending")
        t.contains(status_page(srv, row["token"]), "Waiting for confirmation")
        # approve at the stand-in; it sends the reader back with ?token=&PayerID=
        ap = pp.call("POST", "/checkoutnow/approve", body=f"token={row['provider_ref']}".encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        t.eq(ap.status, 302)
        back = ap.header("location")
        t.true(back.startswith(f"http://127.0.0.1:8080/donate/return/{row['token']}?token="), back)
        r = srv.get(path_of(back))
        t.eq(r.status, 303)
        d = db.donation(row["token"])
        t.eq(d["status"], "paid")
        t.true(int(d["paid_at"]) > 0, "paid_at")
        page = status_page(srv, row["token"])
        t.contains(page, "Thank you!")
        t.contains(page, "€12.50")
        # a reload of the return page captures nothing twice
        calls = pp.json("GET", "/_standin/calls").get("/v2/checkout/orders/ID/capture", 0)
        t.eq(srv.get(path_of(back)).status, 303)
        t.eq(pp.json("GET", "/_standin/calls").get("/v2/checkout/orders/ID/capture", 0), calls)
        t.eq(db.donation(row["token"])["paid_at"], d["paid_at"])

    with t.case(P + "PayPal: cancelling at the approve page shows cancelled, nothing paid"):
        row, url = started(srv, db, amount="7", currency="USD", provider="paypal")
        r = srv.get(f"/donate/cancel/{row['token']}?token={row['provider_ref']}")
        t.eq(r.status, 303)
        t.eq(db.donation(row["token"])["status"], "cancelled")
        t.contains(status_page(srv, row["token"]), "Nothing was charged")

    with t.case(P + "Stripe monthly: subscription mode; the return page alone leaves it pending"):
        row, url = started(srv, db, amount="30", currency="GBP", provider="stripe", frequency="monthly",
                           email="monthly@example.org")
        t.true(url.startswith(st.origin + "/c/pay/cs_test_"), url)
        sess = st.json("GET", "/_standin/sessions")[row["provider_ref"]]
        t.eq((sess["mode"], sess["amount_total"], sess["currency"]), ("subscription", 3000, "gbp"))
        r = srv.get(f"/donate/return/{row['token']}")
        t.eq(r.status, 303)
        t.eq(db.donation(row["token"])["status"], "pending")
        t.contains(status_page(srv, row["token"]), "waiting for Stripe to confirm")
    stripe_row = row

    with t.case(P + "Stripe webhooks: bad signature, old timestamp, unknown event, unknown session -> 400, "
                    "ledger unchanged"):
        before = db.ledger()
        events = db.count("donation_events")
        body, sig = stripe_event(st, stripe_row["provider_ref"])
        tampered = body.replace(b'"livemode": false', b'"livemode": true')
        t.true(tampered != body, "the event has livemode")
        for what, b, s in [
            ("no signature", body, None),
            ("a signature of another body", tampered, sig),
            ("a wrong secret", body, "t=%d,v1=%s" % (time.time(), "0" * 64)),
            ("a malformed header", body, "v1=abc"),
        ]:
            r = send_stripe(srv, b, s)
            t.eq(r.status, 400, what)
        old_body, old_sig = stripe_event(st, stripe_row["provider_ref"], t=int(time.time()) - 301)
        r = send_stripe(srv, old_body, old_sig)
        t.eq(r.status, 400, "301 seconds old")
        t.contains(r.text(), "tolerance")
        ub, us = stripe_event(st, stripe_row["provider_ref"], etype="customer.created")
        r = send_stripe(srv, ub, us)
        t.eq(r.status, 400, "unknown event type")
        # correctly signed, about a session this site never made
        ev = json.loads(body)
        ev["id"], ev["data"]["object"]["id"] = "evt_not_ours", "cs_test_not_ours"
        nb = json.dumps(ev).encode()
        r = send_stripe(srv, nb, stripe_sign(nb))
        t.eq(r.status, 400)
        t.contains(r.text(), "no donation of this site has that checkout")
        t.eq(db.ledger(), before)
        t.eq(db.count("donation_events"), events)

    with t.case(P + "Stripe: the verified webhook marks it paid; a replay counts once"):
        stripe_pay(st, stripe_row["provider_ref"])
        t.eq(db.donation(stripe_row["token"])["status"], "pending", "paying at Stripe alone")
        body, sig = stripe_event(st, stripe_row["provider_ref"], id="evt_e2e_" + P.strip("[] ") + "_once")
        r = send_stripe(srv, body, sig)
        t.eq(r.status, 200, r.text())
        t.eq(json.loads(r.text()), {"received": True, "applied": True})
        d = db.donation(stripe_row["token"])
        t.eq(d["status"], "paid")
        after = db.ledger()
        for _ in range(3):
            r = send_stripe(srv, body, sig)
            t.eq(r.status, 200)
            t.eq(json.loads(r.text()), {"received": True, "applied": False})
        t.eq(db.ledger(), after)
        t.eq(int(db.rows("SELECT count(*) AS n FROM donation_events WHERE event_id = 'evt_e2e_%s_once'"
                         % P.strip("[] "))[0]["n"]), 1)
        t.contains(status_page(srv, stripe_row["token"]), "Thank you!")
        # a late "expired" cannot undo a paid gift
        xb, xs = stripe_event(st, stripe_row["provider_ref"], etype="checkout.session.expired")
        t.eq(send_stripe(srv, xb, xs).status, 200)
        t.eq(db.donation(stripe_row["token"])["status"], "paid")

    with t.case(P + "PayPal webhooks: a forged or old one -> 400; the verified one marks paid, once"):
        row, url = started(srv, db, amount="40", currency="USD", provider="paypal")
        before = db.ledger()
        body, headers = paypal_event(pp, row["provider_ref"])
        bad_sig = dict(headers, **{"PAYPAL-TRANSMISSION-SIG": "Zm9yZ2Vk"})
        r = send_paypal(srv, body, bad_sig)
        t.eq(r.status, 400, "forged signature: the stand-in's verify answers FAILURE")
        r = send_paypal(srv, body.replace(b"40.00", b"4000.00"), headers)
        t.eq(r.status, 400, "tampered body")
        nohdr = {k: v for k, v in headers.items() if k != "PAYPAL-TRANSMISSION-ID"}
        t.eq(send_paypal(srv, body, nohdr).status, 400, "missing header")
        ob, oh = paypal_event(pp, row["provider_ref"], time=time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600)))
        t.eq(send_paypal(srv, ob, oh).status, 400, "ten minutes old")
        ub, uh = paypal_event(pp, row["provider_ref"], etype="BILLING.PLAN.CREATED")
        t.eq(send_paypal(srv, ub, uh).status, 400, "unknown event")
        t.eq(db.ledger(), before)
        r = send_paypal(srv, body, headers)
        t.eq(r.status, 200, r.text())
        t.eq(json.loads(r.text())["applied"], True)
        t.eq(db.donation(row["token"])["status"], "paid")
        after = db.ledger()
        r = send_paypal(srv, body, headers)
        t.eq(json.loads(r.text()), {"received": True, "applied": False})
        t.eq(db.ledger(), after)

    with t.case(P + "a provider answering 500 -> a clear try-again page, nothing recorded"):
        before = db.count("donations")
        for prov, si in (("paypal", pp), ("stripe", st)):
            si.json("POST", "/_standin/mode", {"mode": "500"})
            try:
                r = donate(srv, amount="15", currency="USD", provider=prov)
            finally:
                si.json("POST", "/_standin/mode", {"mode": "ok"})
            t.eq(r.status, 503, prov)
            text = harness.strip_tags(r.text())
            t.contains(text, "Please try again")
            t.contains(text, "nothing was charged")
            t.eq(r.header("retry-after"), "30")
        t.eq(db.count("donations"), before)

    with t.case(P + "/admin/donations: owners see totals, recurring donors and the latest gifts; editors 403"):
        harness.add_user(BIN, site, "owner-" + P.strip("[] ") + "@example.org", "owner", PW)
        harness.add_user(BIN, site, "ed-" + P.strip("[] ") + "@example.org", "editor", PW)
        own = harness.AdminClient(srv, PW).login("owner-" + P.strip("[] ") + "@example.org")
        r = own.get("/admin/donations")
        t.eq(r.status, 200)
        text = harness.strip_tags(r.text())
        month = time.strftime("%Y-%m", time.gmtime())
        t.true(re.search(month + r"\s+EUR\s+1\s+€12.50", text), text[:1500])
        t.true(re.search(month + r"\s+USD\s+1\s+\$40", text), "USD total")
        t.contains(text, "monthly@example.org")
        t.contains(own.get("/admin").text(), 'href="/admin/donations"')
        ed = harness.AdminClient(srv, PW).login("ed-" + P.strip("[] ") + "@example.org")
        t.eq(ed.get("/admin/donations").status, 403)
        t.absent(ed.get("/admin").text(), 'href="/admin/donations"')

    with t.case(P + "masthead donations: totals per currency per month and recurring donors, --csv"):
        month = time.strftime("%Y-%m", time.gmtime())
        p = harness.run([BIN, "donations", "--csv", "--site", site])
        t.eq(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        t.eq(lines[0], "month,currency,gifts,total")
        t.eq(sorted(lines[1:]), sorted([f"{month},EUR,1,12.50", f"{month},GBP,1,30.00", f"{month},USD,1,40.00"]))
        p = harness.run([BIN, "donations", "recurring", "--csv", "--site", site])
        t.eq(p.returncode, 0, p.stderr)
        t.eq(p.stdout.splitlines(), ["email,amount,currency,provider,since",
                                     f"monthly@example.org,30.00,GBP,stripe,{time.strftime('%Y-%m-%d', time.gmtime())}"])
        p = harness.run([BIN, "donations", "--site", site])
        t.eq(p.returncode, 0)
        t.contains(p.stdout, "MONTH")
        p = harness.run([BIN, "donations", "weekly", "--site", site])
        t.eq(p.returncode, 2)
        t.contains(p.stderr, "unknown report 'weekly' (expected totals or recurring)")


pp = st = None
try:
    pp, st = StandIn("paypal"), StandIn("stripe")
    st.json("POST", "/_standin/config", {"webhook_secret": WHSEC})
except Exception as e:  # noqa: BLE001
    t.bail(f"the provider stand-ins did not start: {e}")

# ------------------------------------------------------------------ SQLite
try:
    SITE = harness.demo_site(BIN, articles=8, ini=site_ini(pp, st))
    srv = harness.Server(BIN, SITE).start()
except Exception as e:  # noqa: BLE001
    t.bail(f"could not start a site: {e}")
cases("[sqlite] ", srv, Db(SITE), pp, st, SITE)

with t.case("[sqlite] a provider that is down -> a clear try-again page, nothing recorded"):
    t.eq(srv.stop(), 0, "a clean stop (a sanitizer report fails it)")
    # a port bound but not listening, held for the whole case: connections
    # to it are refused, and no other test can take it meanwhile (a port
    # merely free could be taken by a server of a test running beside)
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    closed = held.getsockname()[1]
    harness.ini_set(os.path.join(SITE, "site.ini"), "paypal", "api_base", f"http://127.0.0.1:{closed}")
    harness.ini_set(os.path.join(SITE, "site.ini"), "stripe", "api_base", f"http://127.0.0.1:{closed}")
    srv.start()
    before = Db(SITE).count("donations")
    for prov in ("paypal", "stripe"):
        r = donate(srv, amount="15", currency="USD", provider=prov)
        t.eq(r.status, 503, prov)
        t.contains(harness.strip_tags(r.text()), "did not answer as it should, so no gift was started")
    t.eq(Db(SITE).count("donations"), before)
    t.contains(srv.stderr(), "donations: PayPal checkout failed")
    t.eq(srv.stop(), 0)
    held.close()

with t.case("[sqlite] donations off: no box, /donate says so (404)"):
    harness.ini_set(os.path.join(SITE, "site.ini"), "donations", "enabled", "false")
    srv.start()
    t.absent(srv.get("/").text(), "widget--donate")
    r = srv.get("/donate")
    t.eq(r.status, 404)
    t.contains(r.text(), "does not take donations")
    t.contains(srv.get("/").header("content-security-policy"), "form-action 'self';")
    t.eq(srv.stop(), 0)

# ------------------------------------------------------------------ PostgreSQL
PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] donations on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_donations_{os.getpid()}"
    try:
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=8, database=url)
        for (sec, key), val in site_ini(pp, st).items():
            harness.ini_set(os.path.join(d, "site.ini"), sec, key, val)
        pdb = Db(d, url)
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()
        cases("[postgres] ", a, pdb, pp, st, d)
        with t.case("[postgres] two nodes receiving the same webhook at once apply it once"):
            for i in range(5):
                row, _ = started(b, pdb, amount=str(20 + i), currency="EUR", provider="stripe")
                stripe_pay(st, row["provider_ref"])
                body, sig = stripe_event(st, row["provider_ref"], id=f"evt_pg_two_nodes_{i}")
                with concurrent.futures.ThreadPoolExecutor(8) as ex:
                    res = list(ex.map(lambda k: send_stripe(a if k % 2 else b, body, sig), range(8)))
                t.eq(sorted(r.status for r in res), [200] * 8)
                applied = [json.loads(r.text())["applied"] for r in res]
                t.eq(applied.count(True), 1, f"round {i}: applied by exactly one request")
                t.eq(pdb.donation(row["token"])["status"], "paid")
                t.eq(int(pdb.rows(f"SELECT count(*) AS n FROM donation_events WHERE event_id = 'evt_pg_two_nodes_{i}'")
                         [0]["n"]), 1)
            # and a gift made on one node is confirmed on the other
            row, _ = started(a, pdb, amount="9", currency="USD", provider="paypal")
            body, headers = paypal_event(pp, row["provider_ref"])
            t.eq(send_paypal(b, body, headers).status, 200)
            t.contains(status_page(a, row["token"]), "Thank you!")
        t.eq(a.stop(), 0)
        t.eq(b.stop(), 0)
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        harness._cleanup()
        harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])

for s in (pp, st):
    if s is not None:
        s.stop()
t.done()
