#!/usr/bin/env python3
"""E2E: themes — a site's theme/ folder overrides the default theme file by
file (templates and static assets), and `serve --dev` picks up a changed
template on the next request while a normal server keeps what it loaded.
Usage: test_theme.py PATH/TO/masthead
"""
import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BIN = harness.binary_from_argv()
THEMES = os.environ.get("MASTHEAD_THEMES") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "themes")
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=12)
except Exception as e:
    t.bail(f"cannot make a demo site: {e}")
THEME = os.path.join(SITE, "theme")
os.makedirs(os.path.join(THEME, "static"), exist_ok=True)

# An override of one template and one asset; everything else stays default.
with open(os.path.join(THEME, "error.mustache"), "w") as f:
    f.write("<!doctype html><html lang=\"en\"><title>{{error.title}}</title>"
            "<p id=\"house-error\">House error page: {{error.status}}</p></html>\n")
with open(os.path.join(THEME, "static", "site.css"), "w") as f:
    f.write("/* house style */ body { color: #123456; }\n")

srv = harness.Server(BIN, SITE).start()

with t.case("an overridden template replaces the default one"):
    r = srv.get("/no-such-page")
    t.eq(r.status, 404, "status")
    t.contains(r.text(), 'id="house-error"', "the site's error.mustache")
    t.contains(r.text(), "House error page: 404", "with its data")

with t.case("templates not overridden still come from the default theme"):
    home = srv.get("/")
    t.eq(home.status, 200, "home")
    t.true(re.search(r'<nav[^>]*>', home.text()) is not None, "the default layout's navigation")

with t.case("an overridden asset is served under its own fingerprint"):
    home = srv.get("/").text()
    m = re.search(r'href="(/static/site\.[0-9a-f]{8}\.css)"', home)
    t.true(m is not None, "the page links a fingerprinted site.css")
    css = srv.get(m.group(1))
    t.eq(css.status, 200, "the asset")
    t.contains(css.text(), "house style", "the site's own site.css")
    t.contains(css.header("cache-control", ""), "immutable", "cache-control")

with t.case("a template change is not picked up without --dev (compiled once)"):
    with open(os.path.join(THEME, "error.mustache"), "a") as f:
        f.write("<!-- second version -->\n")
    r = srv.get("/still-no-page")
    t.absent(r.text(), "second version", "the running server's template")

rc = srv.stop()
with t.case("server exits 0 on SIGTERM"):
    t.eq(rc, 0, "exit code")

dev = harness.Server(BIN, SITE, ["--dev"]).start()
with t.case("--dev: the changed template is used on the next request"):
    first = dev.get("/").text()
    # stdout is read by a thread of the harness: the line may still be on its way
    harness.wait_for(lambda: True if "--dev" in dev.stdout() else dev.stdout(), 10, "the start line says --dev")
    src = os.path.join(THEMES, "default", "home.mustache")
    with open(src) as f:
        home_tpl = f.read()
    # mtime granularity: make sure the new file's time differs
    time.sleep(1.1)
    with open(os.path.join(THEME, "home.mustache"), "w") as f:
        f.write(home_tpl + "<!-- reloaded -->\n")
    second = dev.get("/").text()
    t.true(second != first, "the home page changed after the template did")
    t.true("reloaded" in second, "the new template's marker is on the page")

with t.case("--dev: a broken template keeps the last good theme and logs why"):
    with open(os.path.join(THEME, "home.mustache"), "a") as f:
        f.write("{{#unclosed}}\n")
    time.sleep(0.1)
    r = dev.get("/")
    t.eq(r.status, 200, "still served")
    deadline = time.monotonic() + 3
    while "home.mustache" not in dev.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    t.contains(dev.stderr(), "home.mustache", "the log names the file")

rc = dev.stop()
with t.case("--dev server exits 0 on SIGTERM"):
    t.eq(rc, 0, "exit code")
t.done()
