#!/usr/bin/env python3
"""STAND-IN for Stripe (tests only, not Stripe): Checkout Sessions and
webhooks as Stripe's API reference describes them
(https://docs.stripe.com/api/checkout/sessions/create,
https://docs.stripe.com/webhooks#verify-events):

  POST /v1/checkout/sessions   form-encoded, Authorization: Bearer SECRET_KEY;
                               mode payment|subscription, line_items[0][price_data][...]
                               (recurring[interval] required in subscription mode),
                               success_url, cancel_url -> {id: cs_test_..., object:
                               "checkout.session", url, ...}; errors as
                               {"error": {"type": "invalid_request_error", "message"}}
  GET  /c/pay/ID               the checkout page: a Pay button and a Cancel link
  POST /c/pay/ID/pay           completes the session; sends checkout.session.completed
                               to the webhook URL (if configured), signed
                               "Stripe-Signature: t=T,v1=HMAC-SHA256(secret, T.body)",
                               then redirects to success_url

Controls (tests only): POST /_standin/config {"secret_key", "webhook_url",
"webhook_secret"}; GET /_standin/sessions; POST /_standin/event
{"session", "type", "t"?, "id"?} -> {"body", "signature"} (signed, not sent).
Usage: stripe.py [--port N]
"""
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

state = common.State()
state.config = {"secret_key": "sk_test_standin", "webhook_url": None, "webhook_secret": "whsec_standin"}
state.sessions = {}


def sign(body, secret, t=None):
    t = int(time.time()) if t is None else int(t)
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(sess, etype, eid=None):
    return {
        "id": eid or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "type": etype,
        "livemode": False,
        "data": {"object": sess},
    }


class Stripe(common.Handler):
    def standin_control(self, method, path):
        if method == "POST" and path == "/_standin/config":
            state.config.update(json.loads(self.body() or b"{}"))
            self.send(200, state.config)
        elif method == "GET" and path == "/_standin/sessions":
            with state.lock:
                self.send(200, state.sessions)
        elif method == "POST" and path == "/_standin/event":
            q = json.loads(self.body() or b"{}")
            sess = state.sessions.get(q.get("session"))
            if sess is None:
                self.send(404, {"error": "no such session"})
                return True
            body = json.dumps(event(sess, q.get("type", "checkout.session.completed"), q.get("id"))).encode()
            self.send(200, {"body": body.decode(), "signature": sign(body, state.config["webhook_secret"], q.get("t"))})
        else:
            self.send(404, {"error": "no such control"})
        return True

    def error(self, status, message, param=None):
        self.send(status, {"error": {"type": "invalid_request_error", "message": message, "param": param}})

    def route(self, method, path, query):
        if method == "POST" and path == "/v1/checkout/sessions":
            if not self.api(method, path):
                return
            if self.headers.get("Authorization") != f"Bearer {state.config['secret_key']}":
                self.send(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
                return
            if not (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                self.error(400, "Stripe takes form-encoded bodies")
                return
            f = {k: v[0] for k, v in urllib.parse.parse_qs(self.body().decode(), keep_blank_values=True).items()}
            p = "line_items[0][price_data]"
            for k in ("mode", "success_url", "cancel_url", p + "[currency]", p + "[unit_amount]",
                      p + "[product_data][name]", "line_items[0][quantity]"):
                if not f.get(k):
                    self.error(400, f"Missing required param: {k}.", k)
                    return
            mode = f["mode"]
            if mode not in ("payment", "subscription"):
                self.error(400, "Invalid mode", "mode")
                return
            if (mode == "subscription") != (p + "[recurring][interval]" in f):
                self.error(400, "recurring price_data is required in subscription mode, and only there",
                           p + "[recurring]")
                return
            if not f[p + "[unit_amount]"].isdigit() or int(f[p + "[unit_amount]"]) < 50:
                self.error(400, "Invalid unit_amount", p + "[unit_amount]")
                return
            sid = "cs_test_" + secrets.token_hex(16)
            sess = {
                "id": sid, "object": "checkout.session", "mode": mode, "status": "open",
                "payment_status": "unpaid", "amount_total": int(f[p + "[unit_amount]"]),
                "currency": f[p + "[currency]"], "success_url": f["success_url"],
                "cancel_url": f["cancel_url"], "customer_email": f.get("customer_email"),
                "customer_details": None, "subscription": None,
                "url": f"{self.origin()}/c/pay/{sid}",
            }
            with state.lock:
                state.sessions[sid] = sess
            self.send(200, sess)
        elif method == "GET" and path.startswith("/c/pay/"):
            sess = state.sessions.get(path[len("/c/pay/"):])
            if sess is None:
                self.html(404, "<!doctype html><title>Not found</title><h1>No such checkout</h1>")
                return
            amount = f"{sess['amount_total'] / 100:.2f} {sess['currency'].upper()}"
            every = " every month" if sess["mode"] == "subscription" else ""
            self.html(200, f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Stripe Checkout (stand-in)</title></head><body>
<h1>Stripe Checkout (stand-in)</h1><p>Pay {amount}{every}</p>
<form method="post" action="/c/pay/{sess['id']}/pay"><button type="submit">Pay</button></form>
<p><a href="{sess['cancel_url']}">Cancel</a></p></body></html>""")
        elif method == "POST" and path.startswith("/c/pay/") and path.endswith("/pay"):
            sess = state.sessions.get(path[len("/c/pay/"):-len("/pay")])
            if sess is None:
                self.html(404, "<!doctype html><title>Not found</title><h1>No such checkout</h1>")
                return
            with state.lock:
                sess["status"] = "complete"
                sess["payment_status"] = "paid"
                sess["customer_details"] = {"email": sess.get("customer_email") or "payer@example.com"}
                if sess["mode"] == "subscription":
                    sess["subscription"] = "sub_" + secrets.token_hex(10)
            if state.config.get("webhook_url"):
                body = json.dumps(event(sess, "checkout.session.completed")).encode()
                req = urllib.request.Request(state.config["webhook_url"], data=body, method="POST", headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": sign(body, state.config["webhook_secret"])})
                try:
                    urllib.request.urlopen(req, timeout=10).read()
                except Exception as e:  # the site answers 4xx: Stripe would retry; we note it
                    sess["webhook_error"] = str(e)
            self.redirect(sess["success_url"])
        else:
            self.send(404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})"}})


if __name__ == "__main__":
    common.serve(Stripe, state)
