#!/usr/bin/env python3
"""STAND-IN for PayPal (tests only, not PayPal): the Orders v2 and webhook
calls as PayPal's REST reference describes them
(https://developer.paypal.com/api/rest/authentication/,
https://developer.paypal.com/docs/api/orders/v2/,
https://developer.paypal.com/docs/api/webhooks/v1/#verify-webhook-signature_post):

  POST /v1/oauth2/token            HTTP basic CLIENT_ID:SECRET, grant_type=client_credentials
                                   -> {access_token, token_type: "Bearer", expires_in}
  POST /v2/checkout/orders         Bearer; {intent: CAPTURE, purchase_units: [{amount:
                                   {currency_code, value}}], application_context: {return_url,
                                   cancel_url}} -> 201 {id, status: CREATED, links: [self,
                                   approve, update, capture]}
  GET  /checkoutnow?token=ID       the approve page: an Approve button and a Cancel link
  POST /checkoutnow/approve        approves; redirects to return_url?token=ID&PayerID=...
  POST /v2/checkout/orders/ID/capture   201 COMPLETED with purchase_units[0].payments.captures[0];
                                   422 ORDER_NOT_APPROVED / ORDER_ALREADY_CAPTURED; the same
                                   PayPal-Request-Id gets the first answer again
  POST /v1/notifications/verify-webhook-signature   {auth_algo, cert_url, transmission_id,
                                   transmission_sig, transmission_time, webhook_id, webhook_event}
                                   -> {verification_status: SUCCESS | FAILURE}

PayPal signs "transmission_id|transmission_time|webhook_id|crc32(body)" with
its certificate's RSA key; this stand-in signs the same string with an HMAC
key of its own (the site never checks it: PayPal's verify call does, here
the stand-in's).
Controls (tests only): GET /_standin/orders; POST /_standin/webhook {"order",
"event_type", "webhook_id", "id"?, "time"?} -> {"headers", "body"} (signed, not sent).
Usage: paypal.py [--port N]
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "standin-client", "standin-secret"
SIGNING_KEY = secrets.token_bytes(32)
state = common.State()
state.orders = {}
state.tokens = set()
state.captures = {}  # PayPal-Request-Id -> (status, answer)


def canonical(event):
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def signature(tid, ttime, webhook_id, event):
    msg = f"{tid}|{ttime}|{webhook_id}|{zlib.crc32(canonical(event))}".encode()
    return base64.b64encode(hmac.new(SIGNING_KEY, msg, hashlib.sha256).digest()).decode()


class PayPal(common.Handler):
    def standin_control(self, method, path):
        if method == "GET" and path == "/_standin/orders":
            with state.lock:
                self.send(200, state.orders)
        elif method == "POST" and path == "/_standin/webhook":
            q = json.loads(self.body() or b"{}")
            order = state.orders.get(q.get("order"))
            if order is None:
                self.send(404, {"error": "no such order"})
                return True
            etype = q.get("event_type", "PAYMENT.CAPTURE.COMPLETED")
            resource = {
                "id": "CAP" + secrets.token_hex(6).upper(), "status": "COMPLETED",
                "amount": order["purchase_units"][0]["amount"],
                "supplementary_data": {"related_ids": {"order_id": order["id"]}},
            } if etype.startswith("PAYMENT.CAPTURE") else {"id": order["id"], "status": "VOIDED"}
            ev = {"id": q.get("id") or "WH-" + secrets.token_hex(8).upper(), "event_version": "1.0",
                  "create_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "resource_type": "capture" if etype.startswith("PAYMENT") else "checkout-order",
                  "event_type": etype, "summary": etype, "resource": resource}
            tid = secrets.token_hex(16)
            ttime = q.get("time") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            headers = {
                "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                "PAYPAL-CERT-URL": f"{self.origin()}/v1/notifications/certs/CERT-standin",
                "PAYPAL-TRANSMISSION-ID": tid,
                "PAYPAL-TRANSMISSION-SIG": signature(tid, ttime, q.get("webhook_id", ""), ev),
                "PAYPAL-TRANSMISSION-TIME": ttime,
            }
            self.send(200, {"headers": headers, "body": json.dumps(ev)})
        else:
            self.send(404, {"error": "no such control"})
        return True

    def error(self, status, name, issue, message):
        self.send(status, {"name": name, "message": message, "details": [{"issue": issue, "description": message}]})

    def authorized(self):
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or auth[7:] not in state.tokens:
            self.send(401, {"error": "invalid_token", "error_description": "Token signature verification failed"})
            return False
        return True

    def route(self, method, path, query):
        if method == "POST" and path == "/v1/oauth2/token":
            if not self.api(method, path):
                return
            want = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            body = urllib.parse.parse_qs(self.body().decode())
            if self.headers.get("Authorization") != want or body.get("grant_type") != ["client_credentials"]:
                self.send(401, {"error": "invalid_client", "error_description": "Client Authentication failed"})
                return
            tok = "A21AA" + secrets.token_hex(24)
            with state.lock:
                state.tokens.add(tok)
            self.send(200, {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": tok,
                            "token_type": "Bearer", "app_id": "APP-STANDIN", "expires_in": 32400})
        elif method == "POST" and path == "/v2/checkout/orders":
            if not self.api(method, path) or not self.authorized():
                return
            try:
                q = json.loads(self.body())
                unit = q["purchase_units"][0]
                amount = unit["amount"]
                ctx = q["application_context"]
                assert q["intent"] == "CAPTURE" and len(amount["currency_code"]) == 3
                assert float(amount["value"]) > 0 and ctx["return_url"] and ctx["cancel_url"]
            except (ValueError, KeyError, IndexError, TypeError, AssertionError):
                self.error(400, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON",
                           "Request is not well-formed, syntactically incorrect, or violates schema.")
                return
            oid = secrets.token_hex(9).upper()[:17]
            api = self.origin()
            order = {"id": oid, "intent": "CAPTURE", "status": "CREATED",
                     "purchase_units": [{"reference_id": "default", "amount": amount,
                                         "description": unit.get("description")}],
                     "return_url": ctx["return_url"], "cancel_url": ctx["cancel_url"],
                     "create_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "links": [{"href": f"{api}/v2/checkout/orders/{oid}", "rel": "self", "method": "GET"},
                               {"href": f"{api}/checkoutnow?token={oid}", "rel": "approve", "method": "GET"},
                               {"href": f"{api}/v2/checkout/orders/{oid}", "rel": "update", "method": "PATCH"},
                               {"href": f"{api}/v2/checkout/orders/{oid}/capture", "rel": "capture",
                                "method": "POST"}]}
            with state.lock:
                state.orders[oid] = order
            self.send(201, {k: order[k] for k in ("id", "status", "links")})
        elif method == "GET" and path == "/checkoutnow":
            order = state.orders.get((query.get("token") or [""])[0])
            if order is None:
                self.html(404, "<!doctype html><title>Not found</title><h1>No such order</h1>")
                return
            amt = order["purchase_units"][0]["amount"]
            cancel = order["cancel_url"] + ("&" if "?" in order["cancel_url"] else "?") + "token=" + order["id"]
            self.html(200, f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>PayPal (stand-in)</title></head><body>
<h1>Log in to PayPal (stand-in)</h1><p>Pay {amt['value']} {amt['currency_code']}</p>
<form method="post" action="/checkoutnow/approve"><input type="hidden" name="token" value="{order['id']}">
<button type="submit">Approve</button></form>
<p><a href="{cancel}">Cancel and return</a></p></body></html>""")
        elif method == "POST" and path == "/checkoutnow/approve":
            f = urllib.parse.parse_qs(self.body().decode())
            order = state.orders.get((f.get("token") or [""])[0])
            if order is None:
                self.html(404, "<!doctype html><title>Not found</title><h1>No such order</h1>")
                return
            with state.lock:
                if order["status"] == "CREATED":
                    order["status"] = "APPROVED"
                    order["payer"] = {"email_address": "payer@example.com", "payer_id": "PAYERSTANDIN"}
            ret = order["return_url"]
            self.redirect(ret + ("&" if "?" in ret else "?") + f"token={order['id']}&PayerID=PAYERSTANDIN")
        elif method == "POST" and path.startswith("/v2/checkout/orders/") and path.endswith("/capture"):
            if not self.api(method, "/v2/checkout/orders/ID/capture") or not self.authorized():
                return
            self.body()
            rid = self.headers.get("PayPal-Request-Id")
            with state.lock:
                if rid and rid in state.captures:
                    status, answer = state.captures[rid]
                    self.send(status, answer)
                    return
                order = state.orders.get(path.split("/")[4])
                if order is None:
                    self.error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID",
                               "Specified resource ID does not exist.")
                    return
                if order["status"] == "COMPLETED":
                    self.error(422, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED",
                               "Order already captured.")
                    return
                if order["status"] != "APPROVED":
                    self.error(422, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED",
                               "Payer has not yet approved the Order for payment.")
                    return
                order["status"] = "COMPLETED"
                cap = {"id": "CAP" + secrets.token_hex(6).upper(), "status": "COMPLETED",
                       "amount": order["purchase_units"][0]["amount"], "final_capture": True}
                order["purchase_units"][0]["payments"] = {"captures": [cap]}
                answer = {"id": order["id"], "status": "COMPLETED", "payer": order.get("payer"),
                          "purchase_units": [{"reference_id": "default", "payments": {"captures": [cap]}}]}
                if rid:
                    state.captures[rid] = (201, answer)
            self.send(201, answer)
        elif method == "POST" and path == "/v1/notifications/verify-webhook-signature":
            if not self.api(method, path) or not self.authorized():
                return
            try:
                q = json.loads(self.body())
                want = signature(q["transmission_id"], q["transmission_time"], q["webhook_id"], q["webhook_event"])
                ok = hmac.compare_digest(want, q["transmission_sig"])
            except (ValueError, KeyError, TypeError):
                self.error(400, "VALIDATION_ERROR", "INVALID_PARAMETER_SYNTAX", "Invalid request - see details.")
                return
            self.send(200, {"verification_status": "SUCCESS" if ok else "FAILURE"})
        else:
            self.error(404, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID", f"No {method} {path} here.")


if __name__ == "__main__":
    common.serve(PayPal, state)
