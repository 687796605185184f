#!/usr/bin/env python3
"""E2E: the masthead command line — --version, --help, init, demo, serve's
refusals with exit codes (0 ok, 1 runtime failure, 2 usage error) and
messages naming the thing at fault.
Usage: test_cli.py PATH/TO/masthead
"""
import os
import shlex
import re
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
HERE = os.path.dirname(os.path.abspath(__file__))


def mh(*args, timeout=60):
    """Runs masthead; a command that should refuse but keeps running (e.g. a
    serve that started after all) fails the case instead of hanging."""
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def refuses(p, codes, *needles, what=""):
    t.true(p.returncode in codes, f"{what}: exit {p.returncode}, expected one of {codes}; stderr {p.stderr!r}")
    for n in needles:
        t.true(n.lower() in p.stderr.lower(), f"{what}: stderr {p.stderr.strip()!r} does not name {n!r}")


def project_version():
    with open(os.path.join(HERE, "..", "..", "meson.build"), encoding="utf-8") as f:
        m = re.search(r"version\s*:\s*'([^']+)'", f.read())
    return m.group(1) if m else None


with t.case("--version prints the version and exits 0"):
    p = mh("--version")
    t.eq(p.returncode, 0, "exit")
    v = project_version()
    t.true(v, "meson.build has no version")
    t.contains(p.stdout, v, "stdout")

with t.case("--help lists the subcommands and exits 0"):
    p = mh("--help")
    t.eq(p.returncode, 0, "exit")
    for sub in ("init", "demo", "serve"):
        t.true(re.search(rf"\b{sub}\b", p.stdout), f"--help does not mention {sub}: {p.stdout!r}")

with t.case("no subcommand: exit 2 with usage on stderr"):
    p = mh()
    refuses(p, (2,), "usage", what="masthead")

with t.case("unknown subcommand: exit 2 naming it"):
    p = mh("frobnicate")
    refuses(p, (2,), "frobnicate", what="masthead frobnicate")

with t.case("unknown option: exit 2 naming it"):
    refuses(mh("--bogus-option"), (2,), "--bogus-option", what="masthead --bogus-option")
    refuses(mh("serve", "--bogus-option"), (2,), "--bogus-option", what="masthead serve --bogus-option")
    refuses(mh("init", "--bogus-option", os.path.join(harness.tempdir(), "x")), (2,), "--bogus-option",
            what="masthead init --bogus-option")

with t.case("serve --site without its value: exit 2"):
    refuses(mh("serve", "--site"), (2,), "--site", what="masthead serve --site")

# ------------------------------------------------------------------ init
new = os.path.join(harness.tempdir(), "newsite")
with t.case("init DIR creates site.ini, a migrated database and media/"):
    p = mh("init", new)
    t.eq(p.returncode, 0, f"exit (stderr {p.stderr!r})")
    t.true(os.path.isfile(os.path.join(new, "site.ini")), "no site.ini")
    t.true(os.path.isdir(os.path.join(new, "media")), "no media/")
    db = harness.site_db_path(new)
    t.true(os.path.isfile(db), f"no database at {db}")
    tables = [r["name"] for r in harness.db_query(new, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for tb in ("articles", "sections", "authors", "tags"):
        t.contains(tables, tb, "tables")
    sv = harness.ini_get(os.path.join(new, "site.ini"), "schema", "version")
    t.true(sv and sv.isdigit() and int(sv) >= 1, f"[schema] version in site.ini is {sv!r}")

with t.case("an initialised, empty site serves home (all its links resolve) and a 404"):
    srv = harness.Server(BIN, new).start()
    try:
        r = srv.get("/")
        t.eq(r.status, 200, "GET /")
        home = harness.Page(r.text())
        for u in home.hrefs() + [harness.local_path(a) for a in home.assets if harness.local_path(a)]:
            t.eq(srv.get(u).status, 200, f"GET {u} (linked from the empty site's home)")
        t.eq(srv.get("/articles/nothing-here").status, 404, "GET /articles/nothing-here")
    finally:
        t.eq(srv.stop(), 0, "exit after SIGTERM")

with t.case("init with no DIR: exit 2 naming the missing folder"):
    p = mh("init")
    t.eq(p.returncode, 2, f"exit (stderr {p.stderr!r})")
    t.true(re.search(r"dir|folder|director", p.stderr, re.I), f"stderr {p.stderr!r} does not name the folder")

with t.case("init on an existing site refuses and leaves it alone"):
    before = open(os.path.join(new, "site.ini"), "rb").read()
    p = mh("init", new)
    refuses(p, (1, 2), new, what="init again")
    t.true(open(os.path.join(new, "site.ini"), "rb").read() == before, "site.ini was changed")

# ------------------------------------------------------------------ demo
demo = os.path.join(harness.tempdir(), "demo")
with t.case("demo --articles 7 DIR creates a site with 7 articles"):
    p = mh("demo", "--articles", "7", demo, timeout=120)
    t.eq(p.returncode, 0, f"exit (stderr {p.stderr!r})")
    n = harness.db_query(demo, "SELECT count(*) AS n FROM articles")[0]["n"]
    t.eq(n, 7, "articles in the database")

with t.case("demo DIR --articles N (options after the folder) works too"):
    d = os.path.join(harness.tempdir(), "after")
    p = mh("demo", d, "--articles", "3", timeout=120)
    t.eq(p.returncode, 0, f"exit (stderr {p.stderr.strip()[:200]!r})")
    t.eq(harness.db_query(d, "SELECT count(*) AS n FROM articles")[0]["n"], 3, "articles")

with t.case("demo on an existing site: an error naming it"):
    p = mh("demo", "--articles", "3", demo)
    refuses(p, (1, 2), demo, what="demo again")
    n = harness.db_query(demo, "SELECT count(*) AS n FROM articles")[0]["n"]
    t.eq(n, 7, "articles after the refused demo")

with t.case("demo with a bad --articles value: exit 2 naming it"):
    for v in ("many", "-5"):
        p = mh("demo", "--articles", v, os.path.join(harness.tempdir(), "d"))
        refuses(p, (2,), "--articles", what=f"--articles {v}")

# ------------------------------------------------------------------ serve refusals
with t.case("serve --site /nonexistent: exit 1 or 2 naming the folder"):
    p = mh("serve", "--site", "/nonexistent-e2e-site", "--listen", f"127.0.0.1:{harness.free_port()}", timeout=10)
    refuses(p, (1, 2), "/nonexistent-e2e-site", what="serve")

with t.case("serve on a folder without site.ini: an error naming it"):
    empty = harness.tempdir()
    p = mh("serve", "--site", empty, "--listen", f"127.0.0.1:{harness.free_port()}", timeout=10)
    refuses(p, (1, 2), empty, what="serve")

for bad in ("nonsense", "127.0.0.1:99999", "127.0.0.1:", "300.1.1.1:8080", "127.0.0.1:80x"):
    with t.case(f"serve --listen {bad}: an error naming the address"):
        p = mh("serve", "--site", demo, "--listen", bad, timeout=10)
        refuses(p, (1, 2), bad, what=f"--listen {bad}")

with t.case("serve on a port already in use: exit 1 naming the address"):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    addr = f"127.0.0.1:{s.getsockname()[1]}"
    try:
        p = mh("serve", "--site", demo, "--listen", addr, timeout=10)
    finally:
        s.close()
    refuses(p, (1,), addr, what="port in use")


def bad_ini(section, key, value):
    """Sets a bad value in a copy of the demo site; returns (site, line number)."""
    site = os.path.join(harness.tempdir(), "bad")
    p = mh("init", site)
    if p.returncode != 0:
        raise CaseFailed(f"init failed: {p.stderr}")
    ini = os.path.join(site, "site.ini")
    harness.ini_set(ini, section, key, value)
    with open(ini, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if re.match(rf"\s*{re.escape(key)}\s*=\s*{re.escape(value)}\s*$", line):
                return site, i
    raise CaseFailed("could not place the bad value")


for section, key, value in (("server", "threads", "lots"), ("cache", "enabled", "perhaps"),
                            ("server", "max_body", "12zb"), ("server", "max_header_bytes", "-1")):
    with t.case(f"a bad site.ini value ([{section}] {key} = {value}): error naming file:line and the key"):
        site, line = bad_ini(section, key, value)
        p = mh("serve", "--site", site, "--listen", f"127.0.0.1:{harness.free_port()}", timeout=10)
        refuses(p, (1, 2), f"site.ini:{line}", key, what="serve")

with t.case("a site.ini syntax error is reported with its line"):
    site = os.path.join(harness.tempdir(), "syntax")
    t.eq(mh("init", site).returncode, 0, "init")
    with open(os.path.join(site, "site.ini"), "a", encoding="utf-8") as f:
        f.write("[server\n")
    n = sum(1 for _ in open(os.path.join(site, "site.ini"), encoding="utf-8"))
    p = mh("serve", "--site", site, "--listen", f"127.0.0.1:{harness.free_port()}", timeout=10)
    refuses(p, (1, 2), f"site.ini:{n}", what="serve")

with t.case("demo shows progress on a terminal and is quiet otherwise"):
    quiet_dir = os.path.join(harness.tempdir(), "quiet")
    p = mh("demo", "--articles", "2500", quiet_dir, timeout=300)
    t.eq(p.returncode, 0, f"demo: {p.stderr!r}")
    t.absent(p.stderr, "\r", "no progress redraws when stderr is not a terminal")
    t.absent(p.stdout + p.stderr, "articles 1000/2500", "no progress counts when not a terminal")
    tty_dir = os.path.join(harness.tempdir(), "tty")
    # util-linux script(1) gives the command a pseudo-terminal
    cmd = f"{shlex.quote(BIN)} demo --articles 2500 {shlex.quote(tty_dir)}"
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, timeout=300)
    out = p.stdout.decode("utf-8", "replace")  # bytes: keep the carriage returns
    t.eq(p.returncode, 0, f"demo on a terminal: {out!r}")
    t.contains(out, "\rarticles 1000/2500", "progress redrawn in place on a terminal")
    t.contains(out, "articles 2500/2500", "and it ends at the total")

t.done()
