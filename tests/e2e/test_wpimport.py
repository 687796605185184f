#!/usr/bin/env python3
"""E2E: `masthead import wordpress` (issue 11), on SQLite and PostgreSQL.
The old site is a local HTTP server started here (Python's http.server on
127.0.0.1) serving images made by tests/media/make_image; one of them
answers 404 the first time and 200 after.
- tests/e2e/wxr/basic.xml: posts with blocks and shortcodes mapped
  (paragraph, heading, list, quote, image, [caption], [gallery], YouTube
  [embed] and [youtube]), unknown ones kept and reported, statuses (publish,
  draft, future; trash skipped), dates from wp:post_date_gmt, excerpt as
  dek, categories as sections (or tags), tags, authors, the featured image,
  attachments into media, body links rewritten, pages with --pages, a menu
  item skipped with its line; hostile markup (script, on* attributes,
  javascript: and data: addresses, iframes from unknown hosts, style, svg,
  forms) leaves no script on the page;
- old addresses (link, ?p=ID, the --permalink structure) answer 301 to the
  new address, served by `masthead serve`;
- the failed download is reported and brought by the second run; a third
  run changes nothing and says so;
- malformed files (an unclosed tag, bad UTF-8, no wp: namespace, plain RSS,
  a truncated file) fail naming the line, leaving the site as it was;
- an interrupted run (killed while a slow server holds its downloads)
  resumes: every post once, none twice;
- memory: N and 4N generated posts, peak RSS compared (bytes, no timing);
- the real export ../shared/conformance/wxr/themeunittestdata.wordpress.xml:
  every post and page it holds, counted from the file itself.
Usage: test_wpimport.py PATH/TO/masthead PATH/TO/make_image
"""
import calendar
import http.server
import os
import re
import signal
import socketserver
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
MAKE_IMAGE = os.path.realpath(sys.argv[2]) if len(sys.argv) > 2 else None
HERE = os.path.dirname(os.path.abspath(__file__))
WXR = os.path.join(HERE, "wxr")
REAL = os.path.join(HERE, "..", "..", "..", "shared", "conformance", "wxr", "themeunittestdata.wordpress.xml")
t = harness.TAP()

# ------------------------------------------------------------------ the old site


def make_image(w, h, fmt="png"):
    p = os.path.join(harness.tempdir(), f"img.{fmt}")
    r = harness.run([MAKE_IMAGE, str(w), str(h), fmt, p])
    if r.returncode != 0:
        raise RuntimeError(f"make_image: {r.stderr}")
    with open(p, "rb") as f:
        return f.read()


class OldSite:
    """The old WordPress site's files: path -> bytes; 'flaky' paths answer
    404 once; 'slow' paths wait before answering. Counts requests."""

    def __init__(self):
        self.files, self.flaky, self.slow, self.hits = {}, set(), {}, {}
        site = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                p = self.path
                site.hits[p] = site.hits.get(p, 0) + 1
                if p in site.flaky and site.hits[p] == 1:
                    self.send_error(404)
                    return
                if p in site.slow:
                    time.sleep(site.slow[p])
                body = site.files.get(p)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *a):
                pass

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.srv = S(("127.0.0.1", 0), H)
        self.base = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


old = OldSite()
UP = "/wp-content/uploads/2020/01/"


def wxr(name, base=None):
    """A copy of tests/e2e/wxr/NAME with {{BASE}} made the old site's address."""
    with open(os.path.join(WXR, name), "rb") as f:
        data = f.read().replace(b"{{BASE}}", (base or old.base).encode())
    p = os.path.join(harness.tempdir(), name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def imp(site, path, *opts, timeout=600):
    return harness.run([BIN, "import", "wordpress", path, "--site", site, *opts], timeout=timeout)


def report_count(out, what):
    m = re.search(r"(\d+) " + re.escape(what), out)
    return int(m.group(1)) if m else None


class Db:
    def __init__(self, site, pg=None):
        self.site, self.pg = site, pg

    def rows(self, sql):
        if self.pg:
            out = harness.psql(sql, self.pg)
            return [tuple(l.split("|")) for l in out.splitlines()] if out else []
        return [tuple("" if v is None else str(v) for v in r.values()) for r in harness.db_query(self.site, sql)]

    def one(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None

    def text(self, sql):
        """One text value, newlines and all."""
        if self.pg:
            return harness.psql(sql, self.pg)
        r = harness.db_query(self.site, sql)
        return list(r[0].values())[0] if r else None

    def snapshot(self):
        """What a run could change, in one comparable value."""
        return [self.rows(f"SELECT count(*) FROM {tb}") for tb in
                ("articles", "media", "redirects", "sections", "tags", "authors", "article_tags",
                 "article_revisions", "wp_import_items", "jobs")] + \
            [self.rows("SELECT slug, updated_at, body_md, image_url FROM articles ORDER BY slug")]


def new_site(tag, pg_url=None):
    d = os.path.join(harness.tempdir(), "site")
    args = [BIN, "init", d, "--title", "Gazette"]
    if pg_url:
        args += ["--database", pg_url]
    p = harness.run(args)
    if p.returncode != 0:
        raise RuntimeError(f"init: {p.stderr}")
    return d, Db(d, pg_url)


def basic_cases(tag, pg_url=None):
    old.files.update({
        UP + "ferry.png": make_image(64, 48),
        UP + "quay.png": make_image(80, 40),
        UP + "flaky.png": make_image(50, 50),
        UP + "timetable.pdf": b"%PDF-1.4 not an image\n",
    })
    old.flaky = {UP + "flaky.png"}
    old.hits.clear()
    site, db = new_site(tag, pg_url)
    path = wxr("basic.xml")
    first = None

    with t.case(f"{tag}malformed files fail naming the line and change nothing"):
        before = db.snapshot()
        for name, want in (("unclosed.xml", r"line 15\d: Opening and ending tag mismatch: post_name line 151"),
                           ("badenc.xml", r"line 14\d: Input is not proper UTF-8"),
                           ("nowp.xml", r"line \d+: Namespace prefix wp on wxr_version is not defined"),
                           ("plainrss.xml", r"line \d+: not a WordPress export"),
                           ("truncated.xml", r"line \d+: .*is it cut short\?")):
            p = imp(site, wxr(name))
            t.eq(p.returncode, 1, f"{name}: {p.stdout[-300:]}")
            t.true(re.search(want, p.stderr), f"{name}: {p.stderr!r}")
        t.eq(db.snapshot(), before, "the site as it was")

    with t.case(f"{tag}first run: counts per kind, the failed download and the skipped items reported"):
        p = imp(site, path, "--pages", "--permalink", "/%year%/%monthnum%/%day%/%postname%/")
        first = p.stdout
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "imported: 5 posts, 1 pages, 2 attachments")
        t.eq(report_count(p.stdout, "failed downloads:") or int(re.search(r"failed downloads: (\d+)", p.stdout).group(1)), 1)
        t.true(re.search(r"line \d+: attachment 12 'Flaky picture': HTTP 404", p.stdout), p.stdout)
        t.true(re.search(r"line \d+: attachment 13 'Timetable \(PDF\)': .*not", p.stdout), p.stdout)
        t.true(re.search(r"line \d+: post 105 'In the bin': status 'trash'", p.stdout), p.stdout)
        t.true(re.search(r"line \d+: nav_menu_item 300 'Home': a nav_menu_item", p.stdout), p.stdout)
        t.contains(p.stdout, "unknown block wp:ticker (its text kept)")
        t.contains(p.stdout, "unknown shortcode [contact-form-7] kept as text")
        t.contains(p.stdout, "iframe from evil.example dropped")
        t.eq(db.one("SELECT count(*) FROM media"), "2", "the two attachments; the body images are theirs")

    with t.case(f"{tag}posts: status, time from post_date_gmt, dek, section, tags, author, featured image"):
        rows = db.rows("SELECT slug, status, published_at FROM articles ORDER BY slug")
        got = {r[0]: (r[1], int(r[2])) for r in rows}
        # wp:post_date_gmt, not the site's own wp:post_date an hour or two later
        t.eq(got["harbour-closes-to-cars"], ("published", calendar.timegm((2020, 1, 2, 8, 30, 0))))
        t.eq(got["classic-editor-post"], ("published", calendar.timegm((2019, 12, 31, 22, 30, 0))))
        t.eq(got["coming-soon"], ("scheduled", calendar.timegm((2099, 5, 1, 10, 0, 0))))
        t.eq(got["a-draft"][0], "draft")
        t.eq(got["about-us"][0], "published")
        t.true("in-the-bin" not in " ".join(got), got)
        art = db.rows("SELECT a.dek, s.slug, a.image_url, a.image_alt FROM articles a JOIN sections s ON s.id = a.section_id"
                      " WHERE a.slug = 'harbour-closes-to-cars'")[0]
        t.eq(art[0], "Cars out, buses in.")
        t.eq(art[1], "harbour")
        t.true(re.fullmatch(r"/media/[0-9a-f]+\.png", art[2]), art[2])
        t.eq(art[3], "The morning ferry leaving the harbour")
        t.eq(db.one("SELECT name FROM sections WHERE slug = 'harbour'"), "Harbour News")
        t.eq(sorted(r[0] for r in db.rows("SELECT t.slug FROM tags t JOIN article_tags x ON x.tag_id = t.id JOIN articles a"
                                          " ON a.id = x.article_id WHERE a.slug = 'harbour-closes-to-cars'")),
             ["council", "ferries"])
        t.eq(db.one("SELECT au.name FROM authors au JOIN article_authors x ON x.author_id = au.id JOIN articles a"
                    " ON a.id = x.article_id WHERE a.slug = 'classic-editor-post'"), "Jonah Pell")
        t.eq(db.one("SELECT count(*) FROM users"), "0", "no accounts made (README: authors only)")
        t.eq(db.one("SELECT count(*) FROM jobs WHERE kind = 'publish'"), "1", "the scheduled post's publishing job")

    with t.case(f"{tag}bodies: blocks and shortcodes mapped, images rewritten to media"):
        md = db.text("SELECT body_md FROM articles WHERE slug = 'harbour-closes-to-cars'")
        for want in ("The council voted **7 to 4** on Tuesday to close the *old harbour* to cars.",
                     "## What changes", "- Buses every ten minutes", "[for hire](https://example.org/bikes)",
                     "> It is about time.", "*The ferry at dawn*", "The quay in winter",
                     "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://youtu.be/aqz-KE-bpKQ",
                     "Tides: high at 06:12", "\\[contact-form-7"):
            t.contains(md, want)
        t.absent(md, old.base, "every image of the old site rewritten")
        t.eq(len(re.findall(r"!\[[^\]]*\]\(/media/[0-9a-f]+\.png\)", md)), 4, "image, caption, two gallery images")
        classic = db.text("SELECT body_md FROM articles WHERE slug = 'classic-editor-post'")
        t.contains(classic, "First paragraph of the classic editor.\n\nSecond paragraph")
        t.contains(classic, old.base + UP + "flaky.png", "the failed image keeps its old address until it is brought")

    srv = harness.Server(BIN, site).start()
    with t.case(f"{tag}the pages: embeds, no script from hostile markup"):
        page = srv.get("/articles/harbour-closes-to-cars")
        t.eq(page.status, 200)
        t.contains(page.text(), 'data-video-id="dQw4w9WgXcQ"')
        t.contains(page.text(), 'data-video-id="aqz-KE-bpKQ"')
        h = srv.get("/articles/hostile-markup")
        t.eq(h.status, 200)
        body = h.text()
        # the article itself: the page's own forms (comments, newsletter,
        # donations) and the stream's items come after its </article>
        start = body.index("<article") if "<article" in body else 0
        art = body[start:body.index("</article>", start)] if "<article" in body else body
        for bad in ("xss-script", "xss-onclick", "xss-style", "xss-onerror", "xss-imgsrc", "xss-href", "xss-data",
                    "xss-svg", "evil.example", "<iframe", "<form", "<object", "display:none", "xss-dek"):
            t.absent(art, bad)
        t.absent(body, "<script>alert", "no inline script anywhere")
        t.contains(art, "&lt;script&gt;alert(")  # the text that looked like code, shown as text
        t.contains(art, "**not bold**")
        t.contains(art, "Styled words")
        t.contains(art, "a bad link")

    with t.case(f"{tag}old addresses answer 301: link, ?p=ID, ?page_id=ID, the permalink structure"):
        for old_path, to in (("/2020/01/02/harbour-closes-to-cars/", "/articles/harbour-closes-to-cars"),
                         ("/2020/01/02/harbour-closes-to-cars", "/articles/harbour-closes-to-cars"),
                         ("/?p=100", "/articles/harbour-closes-to-cars"),
                         ("/?p=102", "/articles/hostile-markup"),
                         ("/2019/12/31/classic-editor-post/", "/articles/classic-editor-post"),
                         ("/2020/02/01/hostile-markup/", "/articles/hostile-markup"),
                         ("/about-us/", "/articles/about-us"), ("/?page_id=200", "/articles/about-us")):
            r = srv.get(old_path)
            t.eq((r.status, r.header("location")), (301, to), old_path)
        t.eq(srv.get("/?p=103").status, 200, "a draft has no old address to keep")

    with t.case(f"{tag}second run: the failed download brought, its post's body rewritten"):
        p = imp(site, path, "--pages", "--permalink", "/%year%/%monthnum%/%day%/%postname%/")
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "imported: 1 posts, 0 pages, 1 attachments")
        t.contains(p.stdout, "failed downloads: 0")
        t.eq(old.hits.get(UP + "flaky.png"), 2, "asked once per run")
        classic = db.text("SELECT body_md FROM articles WHERE slug = 'classic-editor-post'")
        t.absent(classic, old.base)
        t.eq(len(re.findall(r"\]\(/media/[0-9a-f]+\.png\)", classic)), 2, "the link and the image")
        t.eq(db.one("SELECT count(*) FROM articles WHERE slug LIKE 'classic-editor-post%'"), "1", "updated, not doubled")
        harness.wait_for(lambda: srv.get("/articles/classic-editor-post").text().count("/media/") >= 2 or
                         srv.get("/articles/classic-editor-post").text().count("/media/"), 15, "the page follows")

    with t.case(f"{tag}third run changes nothing and says so"):
        before = db.snapshot()
        hits = dict(old.hits)
        p = imp(site, path, "--pages", "--permalink", "/%year%/%monthnum%/%day%/%postname%/")
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "nothing changed: every item was brought by an earlier run")
        t.contains(p.stdout, "imported: 0 posts, 0 pages, 0 attachments, 0 images")
        t.eq(db.snapshot(), before)
        t.eq(old.hits, hits, "nothing downloaded")

    with t.case(f"{tag}--categories tags: categories become tags, one section"):
        site2, db2 = new_site(tag, pg_url and harness.pg_new_db(PG, f"mh_wpimp_tags_{os.getpid()}"))
        p = imp(site2, path, "--categories", "tags")
        t.eq(p.returncode, 0, p.stderr)
        t.eq(db2.one("SELECT count(*) FROM sections WHERE slug = 'harbour'"), "0")
        t.eq(sorted(r[0] for r in db2.rows("SELECT t.slug FROM tags t JOIN article_tags x ON x.tag_id = t.id JOIN articles a"
                                           " ON a.id = x.article_id WHERE a.slug = 'harbour-closes-to-cars'")),
             ["council", "ferries", "harbour"])
        t.eq(db2.one("SELECT count(*) FROM articles WHERE slug = 'about-us'"), "0", "pages only with --pages")
    t.eq(srv.stop(), 0)
    return first


def interrupted_cases(tag, pg_url=None):
    """40 posts, each with its own image on a slow server; killed mid-way."""
    n = 40
    items = []
    for i in range(n):
        name = f"/wp-content/uploads/2021/slow-{i}.png"
        old.files[name] = make_image(20 + i, 20)
        old.slow[name] = 0.15
        items.append(f"""<item><title>Slow post {i}</title><link>{{{{BASE}}}}/slow-post-{i}/</link>
<dc:creator>mara</dc:creator><content:encoded><![CDATA[<p>Post {i}</p><img src="{{{{BASE}}}}{name}" alt="x">]]></content:encoded>
<wp:post_id>{1000 + i}</wp:post_id><wp:post_date>2021-01-01 10:00:00</wp:post_date>
<wp:post_date_gmt>2021-01-01 09:{i:02d}:00</wp:post_date_gmt><wp:post_name>slow-post-{i}</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>""")
    doc = generated_wxr(items)
    site, db = new_site(tag, pg_url)
    with t.case(f"{tag}an interrupted run resumes: every post once"):
        proc = subprocess.Popen([BIN, "import", "wordpress", doc, "--site", site, "--batch", "3"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        harness.wait_for(lambda: int(db.one("SELECT count(*) FROM articles") or 0) >= 8, 60, "posts arriving")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        mid = int(db.one("SELECT count(*) FROM articles"))
        t.true(8 <= mid < n, f"killed mid-way: {mid} of {n}")
        t.eq(db.one("SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM wp_import_items w"
                    " WHERE w.kind = 'post' AND w.target_id = a.id)"), "0", "every article stored is recorded")
        p = imp(site, doc, "--batch", "3")
        t.eq(p.returncode, 0, p.stderr)
        t.eq(int(db.one("SELECT count(*) FROM articles")), n)
        t.eq(db.one("SELECT count(DISTINCT slug) FROM articles"), str(n))
        unchanged = int(re.search(r"unchanged: (\d+)", p.stdout).group(1))
        t.true(unchanged >= mid - 1, f"the second run skipped what the first had brought: {p.stdout[:300]}")
        t.eq(db.one("SELECT count(*) FROM articles WHERE body_md LIKE '%127.0.0.1%'"), "0", "every image brought")
    for i in range(n):
        old.slow.pop(f"/wp-content/uploads/2021/slow-{i}.png", None)


def generated_wxr(items, base=None):
    head = open(os.path.join(WXR, "basic.xml"), encoding="utf-8").read()
    head = head[:head.index("<item>")]
    body = head + "\n".join(items) + "\n</channel>\n</rss>\n"
    p = os.path.join(harness.tempdir(), "gen.xml")
    with open(p, "w", encoding="utf-8") as f:
        f.write(body.replace("{{BASE}}", base or old.base))
    return p


def peak_rss_kb(args):
    env = dict(os.environ)
    if env.get("ASAN_OPTIONS"):
        # under make test-asan: AddressSanitizer keeps freed memory in a
        # quarantine (256 MB by default) that grows with the work done;
        # without it the peak is the program's own again
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    p = harness.run(["/usr/bin/time", "-v"] + args, timeout=900, env=env)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    if p.returncode != 0 or not m:
        raise CaseFailed(f"{args}: exit {p.returncode}: {p.stderr[-500:]}")
    return int(m.group(1)), p


def memory_cases():
    para = "<!-- wp:paragraph --><p>" + ("The harbour board met again on Tuesday. " * 40) + "</p><!-- /wp:paragraph -->"

    def gen(n):
        items = [f"""<item><title>Generated {i}</title><link>{{{{BASE}}}}/g/{i}/</link><dc:creator>mara</dc:creator>
<content:encoded><![CDATA[{para * 3}<h2>Part {i}</h2>{para}]]></content:encoded><excerpt:encoded><![CDATA[Dek {i}]]></excerpt:encoded>
<wp:post_id>{5000 + i}</wp:post_id><wp:post_date>2022-01-01 10:00:00</wp:post_date><wp:post_date_gmt>2022-01-01 09:00:00</wp:post_date_gmt>
<wp:post_name>generated-{i}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="c{i % 7}"><![CDATA[Cat {i % 7}]]></category>
<category domain="post_tag" nicename="t{i % 50}"><![CDATA[Tag {i % 50}]]></category></item>""" for i in range(n)]
        return generated_wxr(items, "http://127.0.0.1:9")

    with t.case("memory stays flat: 4N posts take no more peak memory than N (bytes, not time)"):
        n = 250
        res = {}
        for k in (n, 4 * n):
            doc = gen(k)
            site, db = new_site("")
            rss, p = peak_rss_kb([BIN, "import", "wordpress", doc, "--site", site])
            t.contains(p.stdout, f"imported: {k} posts")
            res[k] = (rss, os.path.getsize(doc))
        (r1, s1), (r4, s4) = res[n], res[4 * n]
        # the file grows by s4 - s1 bytes (several MB); the peak may not
        # grow by more than a fixed 4 MB (SQLite's and libxml2's buffers)
        t.true(s4 - s1 > 4 * 1024 * 1024, f"the files differ by {s4 - s1} bytes only")
        t.true(r4 <= r1 + 4096, f"peak RSS {r1} kB for {n} posts, {r4} kB for {4 * n} ({s1} and {s4} bytes of file)")


def real_export_cases(tag, pg_url=None):
    with t.case(f"{tag}the real export: every post and page it holds"):
        if not os.path.exists(REAL):
            raise CaseFailed(f"missing {REAL}")
        ns = {"wp": "https://wordpress.org/export/1.2/"}
        root = ET.parse(REAL).getroot()
        want_posts = want_pages = 0
        links = []
        for it in root.iter("item"):
            typ = it.findtext("wp:post_type", "", ns)
            st = it.findtext("wp:status", "", ns)
            if typ in ("post", "page") and st in ("publish", "draft", "future", "pending", "private"):
                if typ == "post":
                    want_posts += 1
                else:
                    want_pages += 1
                # published, with content (WordPress publishes empty posts;
                # they come in as drafts, without an old address)
                content = it.findtext("{http://purl.org/rss/1.0/modules/content/}encoded", "")
                if st == "publish" and content.strip():
                    links.append(it.findtext("link"))
        site, db = new_site(tag, pg_url)
        uploads = harness.tempdir()  # empty: every image reported missing, none fatal
        p = imp(site, REAL, "--pages", "--uploads", uploads)
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, f"imported: {want_posts} posts, {want_pages} pages")
        t.contains(p.stdout, "'Edge Case: No Content': no content: brought as a draft")
        t.eq(int(db.one("SELECT count(*) FROM articles")), want_posts + want_pages)
        t.true(re.search(r"line \d+: attachment \d+ '[^']*': not in --uploads", p.stdout), p.stdout[:500])
        srv = harness.Server(BIN, site).start()
        bad = []
        for link in links:
            path = re.sub(r"^https?://[^/]+", "", link)
            r = srv.get(path)
            if r.status != 301 or not (r.header("location") or "").startswith("/articles/"):
                bad.append((path, r.status))
            elif srv.get(r.header("location")).status != 200:
                bad.append((path, "target", r.header("location")))
        t.eq(bad[:5], [], f"{len(bad)} of {len(links)} old links")
        # again: only the posts whose images are still missing are tried
        # again (and saved in place), nothing is added
        failed = int(db.one("SELECT count(*) FROM wp_import_items WHERE kind IN ('post', 'page') AND state = 'failed'"))
        t.true(failed > 0, "the real export's posts show images that are not there")
        p2 = imp(site, REAL, "--pages", "--uploads", uploads)
        t.eq(p2.returncode, 0, p2.stderr)
        m = re.search(r"imported: (\d+) posts, (\d+) pages", p2.stdout)
        t.eq(int(m.group(1)) + int(m.group(2)), failed)
        t.eq(int(re.search(r"unchanged: (\d+)", p2.stdout).group(1)),
             int(db.one("SELECT count(*) FROM wp_import_items WHERE state = 'done' AND kind IN ('post', 'page')")))
        t.eq(int(db.one("SELECT count(*) FROM articles")), want_posts + want_pages, "nothing added")
        t.eq(srv.stop(), 0)


# ------------------------------------------------------------------ SQLite

try:
    if MAKE_IMAGE is None:
        raise RuntimeError("usage: test_wpimport.py MASTHEAD MAKE_IMAGE")
    basic_cases("")
    interrupted_cases("")
    memory_cases()
    real_export_cases("")
except Exception as e:  # noqa: BLE001
    t.ok(False, "the import on SQLite", str(e))

# ------------------------------------------------------------------ PostgreSQL

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] the import", "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test")
else:
    names = [f"mh_wpimp_{os.getpid()}", f"mh_wpimp_int_{os.getpid()}", f"mh_wpimp_real_{os.getpid()}",
             f"mh_wpimp_tags_{os.getpid()}"]
    try:
        basic_cases("[postgres] ", harness.pg_new_db(PG, names[0]))
        interrupted_cases("[postgres] ", harness.pg_new_db(PG, names[1]))
        real_export_cases("[postgres] ", harness.pg_new_db(PG, names[2]))
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] the import", str(e))
    finally:
        harness._cleanup()
        for nm in names:
            harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {nm} WITH (FORCE)"])

t.done()
