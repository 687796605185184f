"""End-to-end test harness: drives the real masthead binary over HTTP.

Standard library only (plus Debian's `brotli` module, imported by the tests
that need it). Every test file does:

    t = harness.TAP()
    site = harness.demo_site(BIN, articles=60)      # temp folder, removed at exit
    srv = harness.Server(BIN, site).start()
    with t.case("home answers 200"):
        r = srv.get("/")
        t.eq(r.status, 200)
    ...
    t.eq(srv.stop(), 0)   # SIGTERM; graceful shutdown exits 0
    t.done()

and prints TAP ("ok N - name" / "not ok N - name" plus "# " diagnostics), so
that Meson counts every case. A case that raises fails with the exception as
its diagnostic; the remaining cases still run.
"""

import atexit
import html.parser
import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import time
import traceback
import urllib.parse

# ---------------------------------------------------------------- TAP output


class CaseFailed(Exception):
    pass


class TAP:
    """Numbered TAP cases. Use `with t.case(name):` and t.eq/t.true inside;
    the first failing check ends the case with a diagnostic."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.bailed = False
        sys.stdout.reconfigure(line_buffering=True)

    def _emit(self, ok, name, diag=None, directive=None):
        self.n += 1
        line = f"{'ok' if ok else 'not ok'} {self.n} - {name}"
        if directive:
            line += f" # {directive}"
        print(line)
        if diag:
            for d in str(diag).rstrip().splitlines():
                print(f"#   {d}")
        if not ok and not (directive and directive.upper().startswith("TODO")):
            self.failed += 1

    def _stop_servers(self):
        """Each server still running must stop cleanly on SIGTERM: under
        `make test-asan` a leak or a sanitizer report at exit shows only in
        its exit status, which killing it at the end would throw away."""
        for s in list(_servers):
            if s.proc is None or s.proc.poll() is not None:
                continue  # stopped or killed by the test itself (kill -9 tests)
            rc = s.stop()
            if rc != 0:
                self._emit(False, f"masthead serve (port {s.port}) exits 0 on SIGTERM",
                           f"exit status {rc}; its stderr ends:\n{s.stderr()[-3000:]}")

    def ok(self, cond, name, diag=None):
        self._emit(bool(cond), name, None if cond else diag)
        return bool(cond)

    def skip(self, name, reason):
        self._emit(True, name, directive=f"SKIP {reason}")

    def case(self, name):
        return _Case(self, name)

    # checks, used inside a case
    @staticmethod
    def eq(got, want, what=""):
        if got != want:
            raise CaseFailed(f"{what + ': ' if what else ''}expected {want!r}, got {_short(got)!r}")

    @staticmethod
    def true(cond, msg):
        if not cond:
            raise CaseFailed(msg)

    @staticmethod
    def contains(hay, needle, what=""):
        if needle not in hay:
            raise CaseFailed(f"{what + ': ' if what else ''}{needle!r} not found in {_short(hay)!r}")

    @staticmethod
    def absent(hay, needle, what=""):
        if needle in hay:
            raise CaseFailed(f"{what + ': ' if what else ''}{needle!r} unexpectedly present")

    def bail(self, reason):
        print(f"Bail out! {reason}")
        self.bailed = True
        self.done()

    def done(self):
        if not self.bailed:
            self._stop_servers()
        print(f"1..{self.n}")
        sys.stdout.flush()
        _cleanup()
        os._exit(1 if (self.failed or self.bailed) else 0)


class _Case:
    def __init__(self, tap, name):
        self.tap, self.name = tap, name

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            self.tap._emit(True, self.name)
        elif et is CaseFailed:
            self.tap._emit(False, self.name, str(ev))
        elif et is SkipCase:
            self.tap.skip(self.name, str(ev))
        else:
            self.tap._emit(False, self.name,
                           "".join(traceback.format_exception(et, ev, tb)[-3:]))
        return True  # never propagate: the next case runs


class SkipCase(Exception):
    pass


def _short(v, n=600):
    s = v if isinstance(v, (str, bytes)) else repr(v)
    if len(s) > n:
        return s[:n] + (b"..." if isinstance(s, bytes) else "...")
    return v


# ---------------------------------------------------------------- temp folders

_temps = []
_servers = []


def _cleanup():
    for s in list(_servers):
        s.kill()
    for d in _temps:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def tempdir(prefix="mh-e2e-"):
    d = os.path.realpath(tempfile.mkdtemp(prefix=prefix))
    _temps.append(d)
    return d


def run(args, timeout=120, **kw):
    """Runs a command; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def demo_site(binary, articles=60, ini=None, database=None):
    """A fresh demo site in a temp folder; ini is {(section, key): value}
    applied to its site.ini; database, a PostgreSQL URL to make it in
    (default: SQLite). Raises with the command's stderr on failure."""
    d = os.path.join(tempdir(), "site")
    # options before DIR: the form every option parser takes (test_cli checks
    # that `demo DIR --articles N` works as well)
    extra = ["--database", database] if database else []
    p = run([binary, "demo", "--articles", str(articles), d] + extra, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"`masthead demo{' --database' if database else ''}` exited {p.returncode}: "
                           f"{p.stderr.strip()}")
    for (sec, key), val in (ini or {}).items():
        ini_set(os.path.join(d, "site.ini"), sec, key, val)
    base = ini_get(os.path.join(d, "site.ini"), "site", "base_url") or ""
    m = re.match(r"^https?://([^/:]+)", base)
    if m:
        LOCAL_HOSTS.add(m.group(1))
    return d


def ini_set(path, section, key, value):
    """Sets key = value under [section] in an ini file, adding either if missing."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    cur, sec_at = None, None
    for i, l in enumerate(lines):
        s = l.strip()
        if s.startswith("[") and s.endswith("]"):
            cur = s[1:-1].strip()
            if cur == section and sec_at is None:
                sec_at = i
            continue
        if cur == section and "=" in s and not s.startswith((";", "#")):
            if s.split("=", 1)[0].strip() == key:
                lines[i] = f"{key} = {value}"
                break
    else:
        if sec_at is None:
            lines += ["", f"[{section}]", f"{key} = {value}"]
        else:
            lines.insert(sec_at + 1, f"{key} = {value}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def ini_get(path, section, key, default=None):
    cur = None
    with open(path, encoding="utf-8") as f:
        for l in f:
            s = l.strip()
            if s.startswith("[") and s.endswith("]"):
                cur = s[1:-1].strip()
            elif cur == section and "=" in s and not s.startswith((";", "#")):
                k, v = s.split("=", 1)
                if k.strip() == key:
                    return v.strip().strip('"')
    return default


def site_db_path(site):
    db = ini_get(os.path.join(site, "site.ini"), "database", "database") or \
        ini_get(os.path.join(site, "site.ini"), "database", "path") or "masthead.db"
    return db if os.path.isabs(db) else os.path.join(site, db)


def db_query(site, sql, params=()):
    """Reads the site's SQLite database (ground truth for page contents).
    Opened read-only so the server's writers are never blocked."""
    con = sqlite3.connect(f"file:{site_db_path(site)}?mode=ro", uri=True, timeout=10)
    try:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def db_write(site, sql, params=()):
    con = sqlite3.connect(site_db_path(site), timeout=10)
    try:
        cur = con.execute(sql, params)
        con.commit()
        return cur.rowcount
    finally:
        con.close()


def db_columns(site, table):
    return [r["name"] for r in db_query(site, f"PRAGMA table_info({table})")]


# ---------------------------------------------------------------- the server


def wait_for(fn, seconds, what):
    """Polls fn every 50 ms until it returns True; after `seconds`, fails the
    case with what, and what fn last returned."""
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        last = fn()
        if last is True:
            return
        time.sleep(0.05)
    raise CaseFailed(f"{what}: not within {seconds}s (last: {last})")


def psql(sql, db):
    """Runs sql with psql on the PostgreSQL URL db; its output, trimmed. A
    failure fails the case."""
    p = subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", db, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise CaseFailed(f"psql {sql!r}: {p.stderr.strip()}")
    return p.stdout.strip()


def pg_new_db(pg_url, name):
    """A new, empty database `name` on pg_url's cluster (dropped first if it
    exists); its URL."""
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", pg_url)
    psql(f"CREATE DATABASE {name}", pg_url)
    return pg_url.rsplit("/", 1)[0] + "/" + name


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`masthead serve` on a free loopback port. stdout/stderr are drained by
    threads (the access log may write there) and kept for checks."""

    def __init__(self, binary, site, extra_args=()):
        self.binary, self.site, self.extra = binary, site, list(extra_args)
        self.port = None
        self.proc = None
        self.out, self.err = [], []

    def start(self, timeout=20, _tries=5):
        # free_port's port is free when it answers, not later: another test
        # may be given it too. The server refuses a port someone listens on
        # ("already listens there"); then try another.
        self.port = free_port()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--site", self.site, "--listen", f"127.0.0.1:{self.port}"] + self.extra,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        _servers.append(self)
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_drain, args=(stream, sink), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                time.sleep(0.2)
                if "already listens there" in self.stderr() and _tries > 1:
                    if self in _servers:
                        _servers.remove(self)
                    self.out, self.err = [], []
                    return self.start(timeout, _tries - 1)
                raise RuntimeError(f"`masthead serve` exited {self.proc.returncode} at start: "
                                   f"{self.stderr().strip()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"`masthead serve` did not accept on port {self.port} within {timeout}s")

    def stdout(self):
        return b"".join(self.out).decode("utf-8", "replace")

    def stderr(self):
        return b"".join(self.err).decode("utf-8", "replace")

    def stop(self, timeout=15):
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        if self in _servers:
            _servers.remove(self)
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _servers:
            _servers.remove(self)

    def restart(self):
        rc = self.stop()
        self.out, self.err = [], []
        self.start()
        return rc

    # -- requests
    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, headers=None, body=None, conn=None):
        return request(self.port, method, path, headers, body, conn)

    def get(self, path, headers=None, conn=None):
        return self.request("GET", path, headers, None, conn)

    def head(self, path, headers=None):
        return self.request("HEAD", path, headers)

    def raw(self, data, **kw):
        return raw(self.port, data, **kw)

    def page(self, path, headers=None):
        """GET + parse; fails the case unless 200 text/html."""
        r = self.get(path, headers)
        if r.status != 200:
            raise CaseFailed(f"GET {path}: expected 200, got {r.status}: {r.text()[:300]!r}")
        return Page(r.text(), path)


def _drain(stream, sink):
    for chunk in iter(lambda: stream.read1(65536), b""):
        sink.append(chunk)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<{self.status} {self.reason} {self.headers} {len(self.body)} bytes>"


def request(port, method, path, headers=None, body=None, conn=None):
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return Response(r.status, r.reason, r.getheaders(), data)
    finally:
        if own:
            c.close()


def raw(port, data, timeout=10, shutdown_write=False, rcvbuf=None):
    """Sends bytes on a new connection and reads until the server closes it
    (or timeout). Returns (status or None, raw response bytes)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    out = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before taking it all
        if shutdown_write:
            s.shutdown(socket.SHUT_WR)
        while True:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            out += b
    finally:
        s.close()
    return status_of(out), out


def status_of(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def read_response(sock, head=False):
    """Reads one Content-Length-framed response from a socket; returns
    (status, headers dict lower-cased, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = sock.recv(65536)
        if not b:
            raise CaseFailed(f"connection closed before the response head: {buf[:200]!r}")
        buf += b
    head_bytes, rest = buf.split(b"\r\n\r\n", 1)
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = 0 if (head or status in (204, 304)) else int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        b = sock.recv(65536)
        if not b:
            raise CaseFailed(f"connection closed after {len(rest)} of {n} body bytes")
        rest += b
    return status, hdrs, rest[:n], rest[n:]


# ---------------------------------------------------------------- HTML


class Page(html.parser.HTMLParser):
    """A parsed page: its links, <link rel>, headings and visible text."""

    def __init__(self, text, path=""):
        super().__init__(convert_charrefs=True)
        self.source, self.path = text, path
        self.links = []        # (href, anchor text) for <a>
        self.rel = {}          # rel -> [href] for <link> and <a rel>
        self.assets = []       # stylesheet/script/img URLs
        self.title = ""
        self.h1 = []
        self.texts = []
        self._stack = []
        self._a = None
        self._skip = 0
        self.feed(text)
        self.close()
        self.text = re.sub(r"\s+", " ", " ".join(self.texts)).strip()
        self.h1 = [re.sub(r"\s+", " ", h).strip() for h in self.h1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
            if tag == "script" and a.get("src"):
                self.assets.append(a["src"])
        if tag == "a" and a.get("href") is not None:
            self._a = [a["href"], []]
            for r in (a.get("rel") or "").split():
                self.rel.setdefault(r, []).append(a["href"])
        if tag == "link" and a.get("href"):
            for r in (a.get("rel") or "").split():
                self.rel.setdefault(r, []).append(a["href"])
            if "stylesheet" in (a.get("rel") or "") or "icon" in (a.get("rel") or ""):
                self.assets.append(a["href"])
        if tag == "img" and a.get("src"):
            self.assets.append(a["src"])
        if tag == "h1":
            self.h1.append("")
        if tag not in ("br", "img", "link", "meta", "input", "hr", "source", "wbr", "area", "col", "embed"):
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "a" and self._a is not None:
            self.links.append((self._a[0], re.sub(r"\s+", " ", "".join(self._a[1])).strip()))
            self._a = None
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._skip:
            return
        self.texts.append(data)
        if self._a is not None:
            self._a[1].append(data)
        if self._stack and self._stack[-1] == "title":
            self.title += data
        if "h1" in self._stack and self.h1:
            self.h1[-1] += data

    def hrefs(self, prefix=""):
        """Same-site paths of <a> links (absolute URLs to other hosts dropped,
        fragments stripped), in page order, unique."""
        seen, out = set(), []
        for h, _ in self.links:
            p = local_path(h)
            if p is not None and p.startswith(prefix) and p not in seen:
                seen.add(p)
                out.append(p)
        return out

    def slugs(self, kind):
        """Slugs linked as /KIND/SLUG (article, author, tag, section...)."""
        out = []
        for p in self.hrefs(f"/{kind}/"):
            s = p[len(kind) + 2:].split("?")[0].strip("/")
            if s and s not in out:
                out.append(s)
        return out


# Hosts whose absolute URLs count as same-site; demo_site() adds the host
# of the site's base_url.
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class AdminClient:
    """A browser of sorts for the admin: its own cookies, its own source
    address; forms posted urlencoded or, with files, as multipart. Made
    with a password, login(email) signs in with it and returns the client;
    login(email, password) returns the login's answer."""

    def __init__(self, srv, password=None, source="127.0.0.1"):
        self.srv, self.password, self.source, self.cookies = srv, password, source, {}

    def request(self, method, path, form=None, headers=None, body=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=60, source_address=(self.source, 0))
        r = request(self.srv.port, method, path, h, body, conn=c)
        c.close()
        for sc in r.header_all("set-cookie"):
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)

    def post_multipart(self, path, fields, files, headers=None):
        """fields {name: text}; files {name: (filename, bytes, content_type)}."""
        boundary = "mh-e2e-" + os.urandom(12).hex()
        out = []
        for name, value in fields.items():
            out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                       + value.encode() + b"\r\n")
        for name, (filename, data, ctype) in files.items():
            out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
                       f'\r\nContent-Type: {ctype}\r\n\r\n'.encode() + data + b"\r\n")
        out.append(f"--{boundary}--\r\n".encode())
        h = dict(headers or {})
        h["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self.request("POST", path, headers=h, body=b"".join(out))

    def login_token(self):
        r = self.get("/admin/login")
        if r.status != 200:
            raise CaseFailed(f"GET /admin/login: {r.status}")
        return form_value(r.text(), "csrf")

    def login(self, email, password=None, expect=303):
        tok = self.login_token()
        pw = password if password is not None else self.password
        r = self.post("/admin/login", {"csrf": tok, "email": email, "password": pw, "next": "/admin"})
        if r.status != expect:
            raise CaseFailed(f"login {email}: expected {expect}, got {r.status}: {r.text()[:400]!r}")
        return r if password is not None else self

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
            form[name] = html.unescape(form_value(page, name))
        m = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
        form["body"] = html.unescape(m.group(1)) if m else ""
        sel = re.search(r'<option value="([^"]*)" selected>', page)
        form["section"] = sel.group(1) if sel else ""
        form.update(fields)
        return self.post(path, form)

    def session_csrf(self):
        r = self.get("/admin")
        if r.status != 200:
            raise CaseFailed(f"GET /admin: {r.status}")
        return form_value(r.text(), "csrf")


def add_user(binary, site, email, role, password):
    """`masthead user add EMAIL --role ROLE` with password on stdin (the
    views and donations tests' accounts)."""
    p = run([binary, "user", "add", email, "--name", email.split("@")[0].title(), "--role", role,
             "--site", site], input=password + "\n")
    if p.returncode != 0:
        raise CaseFailed(f"user add {email}: {p.stderr.strip()}")


def form_value(html_text, name):
    """The value attribute of the form field named name in an admin page."""
    m = re.search(r'name="%s"[^>]* value="([^"]*)"' % re.escape(name), html_text)
    if not m:
        raise CaseFailed(f"no field {name!r} in {html_text[:600]!r}")
    return m.group(1)


def local_path(href):
    """'/x#y' -> '/x'; 'http://localhost:8080/x' -> '/x'; other hosts,
    mailto:, javascript:, '#frag' -> None."""
    href = href.strip()
    if not href or href.startswith("#") or re.match(r"^(mailto|javascript|tel|data):", href):
        return None
    m = re.match(r"^(https?:)?//([^/]+)(/.*)?$", href)
    if m:
        host = m.group(2).split(":")[0]
        if host not in LOCAL_HOSTS:
            return None
        href = m.group(3) or "/"
    if not href.startswith("/"):
        return None
    return href.split("#")[0]


def strip_tags(h):
    t = re.sub(r"<[^>]+>", " ", h)
    t = html.unescape(t)
    return re.sub(r"\s+", " ", t).strip()


def binary_from_argv():
    if len(sys.argv) < 2:
        print("usage: TEST.py PATH/TO/masthead", file=sys.stderr)
        sys.exit(2)
    b = os.path.realpath(sys.argv[1])
    if not os.access(b, os.X_OK):
        print(f"Bail out! no masthead binary at {b}")
        sys.exit(1)
    return b


def article_id(r):
    """The id of the article an editor's save redirected to (a 303)."""
    m = re.match(r"/admin/articles/(\d+)\?saved=", r.header("location") or "")
    if r.status != 303 or not m:
        alert = re.findall(r'role="alert">([^<]*)', r.text())
        raise CaseFailed(f"expected 303 to the editor, got {r.status} {r.header('location')} {alert!r}")
    return m.group(1)


def public_page(srv, path, want):
    """The public page once it shows want: a running server drops its cached
    copy when it reads the change log (within a second or so)."""
    r = None
    for _ in range(100):
        r = srv.get(path)
        if want in r.text():
            return r
        time.sleep(0.1)
    raise CaseFailed(f"{path} never showed {want!r}: {r.status} {r.text()[:300]!r}")


# ---------------------------------------------------------------- Varnish
# (moved here from test_cluster.py for test_feeds.py: one copy)

VCL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "contrib", "varnish", "masthead.vcl")
VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"


class Varnish:
    """varnishd -F with the shipped VCL, its backends pointed at the nodes."""

    def __init__(self, port, backend_ports):
        self.port = port
        self.dir = tempdir("mh-varnish-")
        # varnishd runs its worker and compiler as unprivileged users
        # (vcache, varnish) when started as root: they must reach the files
        os.chmod(self.dir, 0o755)
        with open(VCL, encoding="utf-8") as f:
            vcl = f.read()
        for old, new in zip(("8081", "8082"), backend_ports):
            vcl, n = re.subn(rf'\.port = "{old}";', f'.port = "{new}";', vcl)
            if n != 1:
                raise RuntimeError(f"{VCL}: no backend with .port = \"{old}\" to point at the test's nodes")
        self.vcl = os.path.join(self.dir, "masthead.vcl")
        with open(self.vcl, "w", encoding="utf-8") as f:
            f.write(vcl)
        os.chmod(self.vcl, 0o644)
        self.proc = None
        self.out = []

    def start(self, timeout=30):
        if not os.access(VARNISHD, os.X_OK):
            raise RuntimeError(f"no varnishd at {VARNISHD} (Debian package varnish; scripts/deps installs it)")
        self.proc = subprocess.Popen(
            [VARNISHD, "-F", "-a", f"127.0.0.1:{self.port}", "-f", self.vcl, "-n", os.path.join(self.dir, "work"),
             "-s", "malloc,64m", "-T", "none", "-p", "ban_lurker_sleep=0.1"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        threading.Thread(target=_drain, args=(self.proc.stdout, self.out), daemon=True).start()
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError(f"varnishd exited {self.proc.returncode} at start: {self.log()[-3000:]}")
            try:
                r = self.get("/")
                last = r.status
                if r.status == 200:
                    return self
            except OSError as e:
                last = e
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"varnishd did not serve / within {timeout}s (last: {last}): {self.log()[-3000:]}")

    def log(self):
        return b"".join(self.out).decode("utf-8", "replace")

    def get(self, path, headers=None):
        return request(self.port, "GET", path, headers)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
