"""Shared plumbing of the payment-provider STAND-INS (tests only).

These are stand-ins, not the providers: small HTTP servers on localhost built
from PayPal's and Stripe's published API documentation (request and response
shapes, the approve/checkout redirects, webhook bodies and signatures), so
that the tests run the whole flow without the network. Each prints
"PORT <n>" on its first line of stdout once it listens.

Test controls, under /_standin/ (no provider has these):
  POST /_standin/mode   {"mode": "ok" | "500"}  every API call answers 500 in "500"
  GET  /_standin/calls  how many API calls were answered, by path
"""
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "ok"
        self.calls = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set by serve()

    def log_message(self, fmt, *args):  # quiet: the tests read stdout
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, obj=None, ctype="application/json", extra=None, raw=None):
        data = raw if raw is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def html(self, status, text):
        self.send(status, ctype="text/html; charset=utf-8", raw=text.encode())

    def redirect(self, url):
        self.send(302, ctype="text/plain", raw=b"", extra={"Location": url})

    def origin(self):
        return f"http://{self.headers.get('Host')}"

    def control(self, method, path):
        """The /_standin/ controls; True when answered."""
        if not path.startswith("/_standin/"):
            return False
        if method == "POST" and path == "/_standin/mode":
            self.state.mode = json.loads(self.body() or b"{}").get("mode", "ok")
            self.send(200, {"mode": self.state.mode})
        elif method == "GET" and path == "/_standin/calls":
            with self.state.lock:
                self.send(200, dict(self.state.calls))
        else:
            return self.standin_control(method, path)
        return True

    def standin_control(self, method, path):
        self.send(404, {"error": "no such control"})
        return True

    def api(self, method, path):
        """Counts the call; False (answered 500) in mode 500."""
        with self.state.lock:
            self.state.calls[path] = self.state.calls.get(path, 0) + 1
        if self.state.mode == "500":
            self.send(500, {"name": "INTERNAL_SERVER_ERROR", "message": "stand-in told to fail"})
            return False
        return True

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if not self.control("GET", u.path):
            self.route("GET", u.path, urllib.parse.parse_qs(u.query))

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        if not self.control("POST", u.path):
            self.route("POST", u.path, urllib.parse.parse_qs(u.query))


def serve(handler_cls, state):
    handler_cls.state = state
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    srv = ThreadingHTTPServer(("127.0.0.1", port), handler_cls)
    srv.daemon_threads = True
    print(f"PORT {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
