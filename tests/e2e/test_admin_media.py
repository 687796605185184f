#!/usr/bin/env python3
"""E2E: the newsroom's media library screen and uploads, on SQLite and then
PostgreSQL, over HTTP with real logins: uploads of the four types through
the form that works without script (type from the bytes, whatever the
name), the JSON answer the editor's script reads, 413 naming [media]
max_upload, 415 for text named .jpg and for SVG with script, 403 without
the CSRF token, each refusal storing nothing; the grid (newest first,
keyset-paged, uploader named, markup shown as text), an image's page
(address, description edited and checked, sizes made by the job), removal
(403 for a contributor, 409 naming the article that shows it), the public
page's srcset once the sizes exist, the editor's upload picker, and on
PostgreSQL an image uploaded on one node served by another. PostgreSQL
needs the cluster of scripts/pg-test (MASTHEAD_TEST_PG_URL); without it
that half FAILS.
Usage: test_admin_media.py PATH/TO/masthead PATH/TO/make_image
"""
import html as htmllib
import json as jsonlib
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
MAKE_IMAGE = sys.argv[2] if len(sys.argv) > 2 else ""
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
PW = "harbour-crane-lantern-57"
FILES = harness.tempdir()
MIME = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


def mh(*args, stdin=None, timeout=120):
    return subprocess.run([BIN, *args], input=stdin if stdin is not None else "", capture_output=True, text=True,
                          timeout=timeout)


def make_image(w, h, fmt, name):
    path = os.path.join(FILES, name)
    p = harness.run([MAKE_IMAGE, str(w), str(h), fmt, path])
    if p.returncode != 0:
        raise CaseFailed(f"make_image {w} {h} {fmt}: {p.stderr}")
    with open(path, "rb") as f:
        return f.read()


class Site:
    """A site on one backend, and its media rows read from the database."""

    def __init__(self, label):
        self.label, self.db = label, None
        self.dir = os.path.join(harness.tempdir(), "site")

    def init(self):
        extra = []
        if self.label == "postgres":
            self.db = harness.pg_new_db(PG, f"mh_adm_media_{os.getpid()}")
            extra = ["--database", self.db]
        p = mh("init", *extra, "--owner", "owner@example.org", "--name", "Olu Owner", self.dir, stdin=PW + "\n")
        if p.returncode != 0:
            raise CaseFailed(f"init: {p.stderr}")
        for email, role in (("cora@example.org", "contributor"), ("ed@example.org", "editor")):
            p = mh("user", "add", email, "--name", email.split("@")[0].title(), "--role", role, "--site", self.dir,
                   stdin=PW + "\n")
            if p.returncode != 0:
                raise CaseFailed(f"user add {email}: {p.stderr}")
        # small enough that a test image can pass it; [server] max_body (1m) lets our 413 answer
        harness.ini_set(os.path.join(self.dir, "site.ini"), "media", "max_upload", "100k")

    def media_names(self):
        sql = "SELECT name FROM media ORDER BY name"
        if self.db:
            return [n for n in harness.psql(sql, self.db).splitlines() if n]
        return [r["name"] for r in harness.db_query(self.dir, sql)]


class Client(harness.AdminClient):
    def login(self, email):
        super().login(email, PW)
        self.csrf = self.session_csrf()
        return self

    def upload(self, data, filename, ctype, alt=None, csrf=True, json=False, token=None):
        fields = {}
        headers = {}
        if json:
            headers["Accept"] = "application/json"
            if csrf:
                headers["X-CSRF-Token"] = token or self.csrf
        elif csrf:
            fields["csrf"] = token or self.csrf
        if alt is not None:
            fields["alt"] = alt
        return self.post_multipart("/admin/media/upload", fields, {"file": (filename, data, ctype)}, headers)


def uploaded_name(r):
    m = re.match(r"^/admin/media/([0-9a-f]{32}\.(jpg|png|webp|gif))\?uploaded=1$", r.header("location") or "")
    if r.status != 303 or not m:
        raise CaseFailed(f"expected 303 to the image's page, got {r.status} {r.header('location')} "
                         f"{harness.strip_tags(r.text())[:300]!r}")
    return m.group(1)


def suite(label):
    P = f"[{label}] "
    site = Site(label)
    try:
        site.init()
    except CaseFailed as e:
        t.ok(False, P + "a site with an owner, a contributor and an editor", str(e))
        return
    srv = harness.Server(BIN, site.dir).start()
    try:
        cases(P, site, srv)
    finally:
        srv.stop()


def cases(P, site, srv):
    cora = Client(srv).login("cora@example.org")
    ed = Client(srv).login("ed@example.org")
    photo = make_image(1200, 800, "jpg", f"photo-{P[1:3]}.jpg")
    names = {}

    with t.case(P + "each of the four types uploads through the form without script; the type comes from the bytes"):
        for fmt, (w, h) in (("jpg", (640, 480)), ("png", (150, 100)), ("webp", (320, 240)), ("gif", (64, 48))):
            data = make_image(w, h, fmt, f"four-{P[1:3]}.{fmt}")
            # a name and Content-Type that lie: only the bytes count
            r = ed.upload(data, "holiday.txt", "text/plain", alt=f"A {fmt} test card")
            name = uploaded_name(r)
            t.true(name.endswith("." + fmt), f"{fmt}: stored as {name}")
            names[fmt] = name
            got = srv.get(f"/media/{name}")
            t.eq(got.status, 200)
            t.eq(got.header("content-type"), MIME[fmt])
            t.true(got.body == data, f"{fmt}: the original is kept byte for byte")
            page = ed.get(r.header("location")).text()
            t.contains(page, "The image was uploaded.")
            t.contains(page, f"{w} × {h} pixels")
            t.contains(page, f"<code class=\"media-item__url\">/media/{name}</code>")
            t.contains(page, f"A {fmt} test card")
        t.eq(sorted(site.media_names()), sorted(names.values()), "four items stored")

    with t.case(P + "the editor's script gets JSON: 201 with the address, a refusal as {error}"):
        r = ed.upload(photo, "photo.jpg", "image/jpeg", json=True)
        t.eq(r.status, 201, r.text())
        t.eq(r.header("content-type"), "application/json")
        body = jsonlib.loads(r.text())
        t.true(re.fullmatch(r"/media/[0-9a-f]{32}\.jpg", body["url"]), f"url {body!r}")
        t.eq((body["width"], body["height"]), (1200, 800))
        names["photo"] = body["name"]
        r = ed.upload(b"just some words\n", "notes.jpg", "image/jpeg", json=True)
        t.eq(r.status, 415)
        t.contains(jsonlib.loads(r.text())["error"], "JPEG, PNG, WebP or GIF")

    before = site.media_names()
    with t.case(P + "an image over [media] max_upload: 413 saying the limit, nothing stored"):
        big = photo + os.urandom(150 * 1024)  # a JPEG with a long tail: 150 KB more than the photo
        r = ed.upload(big, "big.jpg", "image/jpeg")
        t.eq(r.status, 413)
        text = harness.strip_tags(r.text())
        t.contains(text, "at most 100 KB")
        t.contains(text, "max_upload")
        r = ed.upload(big, "big.jpg", "image/jpeg", json=True)
        t.eq(r.status, 413)
        t.contains(r.text(), "100 KB")
        t.eq(site.media_names(), before, "nothing stored")

    with t.case(P + "text named .jpg and an SVG with script: 415 naming the accepted types, nothing stored"):
        r = ed.upload(b"Dear editor, here is the picture.\n", "picture.jpg", "image/jpeg")
        t.eq(r.status, 415)
        t.contains(harness.strip_tags(r.text()), "JPEG, PNG, WebP or GIF")
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'
        r = ed.upload(svg, "logo.svg", "image/svg+xml")
        t.eq(r.status, 415)
        t.contains(harness.strip_tags(r.text()), "SVG")
        t.contains(harness.strip_tags(r.text()), "JPEG, PNG, WebP or GIF")
        r = ed.upload(b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "plain.svg",
                      "image/svg+xml")
        t.eq(r.status, 415, "an SVG without script too")
        t.eq(site.media_names(), before, "nothing stored")

    with t.case(P + "no CSRF token, or a wrong one: 403 and nothing stored"):
        fresh = make_image(50, 40, "png", f"nocsrf-{P[1:3]}.png")
        r = ed.upload(fresh, "a.png", "image/png", csrf=False)
        t.eq(r.status, 403)
        t.contains(harness.strip_tags(r.text()), "security token")
        r = ed.upload(fresh, "a.png", "image/png", csrf=False, json=True)
        t.eq(r.status, 403)
        r = ed.upload(fresh, "a.png", "image/png", token=cora.csrf)
        t.eq(r.status, 403, "another session's token")
        r = Client(srv).upload(fresh, "a.png", "image/png", csrf=False)
        t.eq(r.status, 303, "no session: to the login page")
        t.eq(r.header("location"), "/admin/login")
        t.eq(site.media_names(), before, "nothing stored")

    with t.case(P + "a contributor may upload and describe, but not remove (403, the image stays)"):
        data = make_image(90, 60, "gif", f"cora-{P[1:3]}.gif")
        name = uploaded_name(cora.upload(data, "cora.gif", "image/gif"))
        names["cora"] = name
        page = cora.get(f"/admin/media/{name}").text()
        t.absent(page, "Remove this image", "no remove button for a contributor")
        r = cora.post("/admin/media/remove", {"csrf": cora.csrf, "name": name})
        t.eq(r.status, 403)
        t.contains(harness.strip_tags(r.text()), "contributor")
        t.eq(srv.get(f"/media/{name}").status, 200, "still there")
        t.true(name in site.media_names(), "still stored")
        r = cora.post(f"/admin/media/{name}", {"csrf": cora.csrf, "alt": "Cora's gull"})
        t.eq(r.status, 303)
        t.contains(cora.get(f"/admin/media/{name}").text(), "Cora&#39;s gull")

    with t.case(P + "descriptions: markup shown as text everywhere, a bad one refused with 422 and nothing changed"):
        name = names["png"]
        r = ed.post(f"/admin/media/{name}", {"csrf": ed.csrf, "alt": "<script>alert(1)</script> gulls"})
        t.eq(r.status, 303)
        for page in (ed.get(f"/admin/media/{name}").text(), ed.get("/admin/media").text()):
            t.absent(page, "<script>alert(1)")
            t.contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; gulls")
        r = ed.post(f"/admin/media/{name}", {"csrf": ed.csrf, "alt": "two\nlines"})
        t.eq(r.status, 422)
        t.contains(harness.strip_tags(r.text()), "one line")
        t.contains(ed.get(f"/admin/media/{name}").text(), "&lt;script&gt;alert(1)&lt;/script&gt; gulls")
        r = ed.post(f"/admin/media/{name}", {"alt": "no token"})
        t.eq(r.status, 403)
        t.eq(ed.get("/admin/media/" + "0" * 32 + ".png").status, 404)

    with t.case(P + "the grid: newest first with name, dimensions and uploader; keyset pages that do not overlap"):
        page = ed.get("/admin/media").text()
        t.contains(page, '<a href="/admin/media">Media</a>', "the nav link")
        t.contains(page, 'enctype="multipart/form-data"')
        order = re.findall(r'class="media-grid__link" href="/admin/media/([^"]+)"', page)
        t.eq(order[0], names["cora"], "the newest first")
        t.contains(page, "90 × 60")
        t.contains(page, "by Cora")
        t.contains(page, "by Ed")
        for i in range(24):
            data = make_image(20 + i, 20, "png", f"page-{P[1:3]}-{i}.png")
            uploaded_name(ed.upload(data, f"p{i}.png", "image/png"))
        first = ed.get("/admin/media").text()
        m = re.search(r'<a rel="next" href="([^"]+)">Older</a>', first)
        t.true(m, "an Older link")
        older = htmllib.unescape(m.group(1))
        t.contains(older, "before=")
        second = ed.get(older).text()
        grid = lambda h: re.findall(r'class="media-grid__link" href="/admin/media/([^"]+)"', h)  # noqa: E731
        a, b = grid(first), grid(second)
        t.eq(len(a), 24, "a full first page")
        t.true(set(a).isdisjoint(b), "pages do not overlap")
        t.eq(sorted(a + b), sorted(site.media_names()), "every image on one of the pages")
        t.eq(b[-1], names["jpg"], "the oldest last")
        t.eq(ed.get("/admin/media?before=bogus").status, 400)

    with t.case(P + "the sizes appear after the job runs; a public page using the image has srcset"):
        name = names["photo"]
        stem = name.split(".")[0]
        end = time.monotonic() + 90
        while True:
            page = ed.get(f"/admin/media/{name}").text()
            if all(f"/media/w{w}/{stem}.{f}" in page for w in (480, 960) for f in ("webp", "jpg")):
                break
            if time.monotonic() > end:
                raise CaseFailed(f"sizes never listed: {harness.strip_tags(page)[-600:]!r}")
            time.sleep(0.3)
        t.absent(page, "none yet")
        r = srv.get(f"/media/w480/{stem}.webp")
        t.eq(r.status, 200)
        t.eq(r.header("content-type"), "image/webp")
        art = os.path.join(FILES, f"lighthouse-{P[1:3]}.md")
        with open(art, "w") as f:
            f.write("---\nheadline: The lighthouse reopens\nslug: lighthouse\nsection: news\n"
                    f"image: /media/{name}\nimage_alt: The lighthouse at dusk\nstatus: published\n---\nIt shines.\n")
        p = mh("article", "add", "--site", site.dir, art)
        t.eq(p.returncode, 0, p.stderr)
        r = srv.get("/articles/lighthouse")
        t.eq(r.status, 200)
        t.contains(r.text(), f'srcset="/media/w480/{stem}.jpg 480w, /media/w960/{stem}.jpg 960w, /media/{name} 1200w"')
        t.contains(r.text(), f"/media/w480/{stem}.webp 480w")

    with t.case(P + "removal: refused with 409 naming the article while it shows the image; an unused one goes"):
        name = names["photo"]
        page = ed.get(f"/admin/media/{name}").text()
        t.contains(page, "The lighthouse reopens", "used by")
        r = ed.post("/admin/media/remove", {"csrf": ed.csrf, "name": name})
        t.eq(r.status, 409)
        t.contains(harness.strip_tags(r.text()), "lighthouse")
        t.eq(srv.get(f"/media/{name}").status, 200, "still served")
        gif = names["gif"]
        t.contains(ed.get(f"/admin/media/{gif}").text(), "Remove this image")
        r = ed.post("/admin/media/remove", {"name": gif})
        t.eq(r.status, 403, "no token")
        t.true(gif in site.media_names(), "still stored")
        r = ed.post("/admin/media/remove", {"csrf": ed.csrf, "name": gif})
        t.eq(r.status, 303)
        t.eq(r.header("location"), "/admin/media?removed=1")
        t.contains(ed.get("/admin/media?removed=1").text(), "The image was removed.")
        t.eq(srv.get(f"/media/{gif}").status, 404)
        t.true(gif not in site.media_names(), "gone from the database")
        r = ed.post("/admin/media/remove", {"csrf": ed.csrf, "name": gif})
        t.eq(r.status, 404, "twice")

    with t.case(P + "the editor: the upload picker beside Image, its script, and no form inside the form"):
        page = ed.get("/admin/articles/new").text()
        i = page.index('<input id="image" name="image"')
        t.true(page.index('class="media-picker"') > i, "after the Image field")
        t.true(page.index('class="media-picker"') < page.index('<label for="image_alt">'), "before its description")
        t.true(re.search(r'<script src="/static/media_picker\.[0-9a-f]+\.js" defer></script>', page), "the script")
        js = re.search(r'src="(/static/media_picker\.[0-9a-f]+\.js)"', page).group(1)
        t.eq(srv.get(js).status, 200)
        editor_form = page[re.search(r'<form [^>]*action="/admin/articles/new"', page).start():]
        editor_form = editor_form[:editor_form.index("</form>")]
        t.eq(editor_form.count("<form"), 1, "one form")
        t.absent(re.sub(r"<script src=[^>]*></script>", "", page), "<script", "no inline script")

    if site.db:
        with t.case(P + "two nodes: an image uploaded on one is listed and served by the other"):
            other = os.path.join(harness.tempdir(), "node-b")
            os.makedirs(other)
            shutil.copy(os.path.join(site.dir, "site.ini"), other)
            b = harness.Server(BIN, other).start()
            try:
                data = make_image(700, 500, "webp", "two-nodes.webp")
                r = ed.upload(data, "n.webp", "image/webp", json=True)
                t.eq(r.status, 201, r.text())
                name = re.search(r'"name":"([^"]+)"', r.text()).group(1)
                got = b.get(f"/media/{name}")
                t.eq(got.status, 200)
                t.true(got.body == data, "the same bytes from the other node")
                t.eq(got.header("content-type"), "image/webp")
                t.eq(b.get(f"/media/w480/{name.split('.')[0]}.webp").status, 200, "a size, on the other node")
                on_b = Client(b).login("ed@example.org")
                t.contains(on_b.get("/admin/media").text(), f"/admin/media/{name}")
            finally:
                t.eq(b.stop(), 0, "the other node stops cleanly")

    with t.case(P + "the server stops cleanly (under ASan: nothing leaked)"):
        t.eq(srv.stop(), 0, f"exit code; stderr tail {srv.stderr()[-2000:]!r}")


if not os.access(MAKE_IMAGE, os.X_OK):
    t.bail(f"no make_image helper at {MAKE_IMAGE!r} (tests/media/meson.build builds it)")
suite("sqlite")
if PG:
    suite("postgres")
else:
    t.ok(False, "[postgres] the media library screen on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: these tests need the cluster of scripts/pg-test (run scripts/run-tests)")
t.done()
