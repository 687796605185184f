#!/usr/bin/env python3
"""E2E: metadata on every page type, JSON-LD, share links, advertisement
slots and the page CSP (issue 9: "Metadata on every page" and
"Advertisement slots"), on SQLite and on PostgreSQL (MASTHEAD_TEST_PG_URL;
without it the PostgreSQL cases FAIL).

Each page is parsed with html.parser; the JSON-LD blocks with json.loads.
Usage: test_meta.py PATH/TO/masthead
"""
import html.parser
import json
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
STAMP = str(os.getpid())
FILES = harness.tempdir()

EVIL = "Breakout </script><script>alert(1)</script> & <!-- \u2028line\u2029para \u201cquoted\u201d"
REMOTE_IMAGE = "https://images.example.org/photos/harbour.jpg"
DEFAULT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
               "media-src 'self' https:; frame-src https://www.youtube-nocookie.com; "
               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


class Meta(html.parser.HTMLParser):
    """What a page tells machines: lang, title, <meta> by name/property,
    <link rel>, the JSON-LD blocks (their raw text), share links, ad slots."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.title = ""
        self.meta = {}      # name or property -> [content]
        self.rel = {}       # rel -> [href] of <link>
        self.jsonld = []    # raw text of each <script type="application/ld+json">
        self.scripts = []   # every <script>: (attrs, text)
        self.share = {}     # share__link--NAME -> href
        self.copy = None    # the copy button's attributes
        self.ads = []       # [{slot, labelled, text}] in page order
        self.body_ad_index = None  # how many <p> of the article body come before its ad
        self._in = []
        self._script = None
        self._ad = None
        self._ad_depth = 0
        self._body_depth = 0
        self._body_p = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta":
            k = a.get("name") or a.get("property")
            if k:
                self.meta.setdefault(k, []).append(a.get("content"))
        if tag == "link":
            for r in (a.get("rel") or "").split():
                self.rel.setdefault(r, []).append(a.get("href"))
        if tag == "script":
            self._script = [a, ""]
        if tag == "a":
            for c in cls:
                if c.startswith("share__link--"):
                    self.share[c[len("share__link--"):]] = a.get("href")
        if tag == "button" and "share__copy" in cls:
            self.copy = a
        if self._body_depth:
            self._body_depth += tag not in VOID
            if tag == "p" and self._ad is None and self._body_depth == 2:
                self._body_p += 1
        elif tag == "div" and "article__body" in cls:
            self._body_depth = 1
        if self._ad is not None:
            self._ad_depth += tag not in VOID
            if "ad__label" in cls:
                self._ad["labelled"] = True
        elif tag == "div" and "ad" in cls:
            self._ad = {"slot": a.get("data-ad-slot"), "labelled": False, "text": "", "html": ""}
            self._ad_depth = 1
            if self._body_depth:
                self.body_ad_index = self._body_p
        if tag == "title":
            self._in.append("title")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            if self._script[0].get("type") == "application/ld+json":
                self.jsonld.append(self._script[1])
            self._script = None
        if tag == "title" and self._in:
            self._in.pop()
        if self._ad is not None and tag not in VOID:
            self._ad_depth -= 1
            if self._ad_depth == 0:
                self.ads.append(self._ad)
                self._ad = None
        if self._body_depth and tag not in VOID:
            self._body_depth -= 1

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data
        if self._in:
            self.title += data
        if self._ad is not None:
            self._ad["text"] += data

    def one(self, key):
        v = self.meta.get(key) or []
        if len(v) != 1:
            raise CaseFailed(f"<meta> {key}: expected one, found {v!r}")
        return v[0]

    def ld(self, kind):
        docs = [json.loads(j) for j in self.jsonld]
        found = [d for d in docs if d.get("@type") == kind]
        if len(found) != 1:
            raise CaseFailed(f"JSON-LD {kind}: expected one block, found types {[d.get('@type') for d in docs]}")
        return found[0]


VOID = {"br", "img", "link", "meta", "input", "hr", "source", "wbr", "area", "col", "embed"}


def mh(*args, timeout=120):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def add_article(site, slug, headline, image=None, extra="", body=None):
    text = ("---\n"
            f"headline: {headline}\n"
            f"slug: {slug}\n"
            "dek: A dek for the meta test\n"
            "section: news\n"
            "authors: [dev-ramaswamy]\n"
            "tags: Festivals\n"
            + (f"image: {image}\nimage_alt: The harbour at dawn\n" if image else "")
            + "status: published\n"
            f"{extra}"
            "---\n"
            + (body or "\n\n".join(f"Paragraph {i} of the meta test." for i in range(1, 13))) + "\n")
    path = os.path.join(FILES, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    p = mh("article", "add", "--site", site, path)
    if p.returncode != 0:
        raise CaseFailed(f"article add {slug}: {p.stderr.strip()}")


def html_unescape(s):
    import html
    return html.unescape(s)


def db_one(site, database, sql):
    """One value from the site's database (SQLite file, or psql on PostgreSQL),
    as text."""
    if database:
        return harness.psql(sql, database)
    rows = harness.db_query(site, sql)
    if len(rows) != 1:
        raise CaseFailed(f"{sql}: {rows!r}")
    return str(next(iter(rows[0].values())))


def page(srv, path, status=200):
    r = srv.get(path)
    if r.status != status:
        raise CaseFailed(f"GET {path}: {r.status}, expected {status}")
    return r, Meta(r.text())


def check_common(m, base, path, canonical=True):
    """title, description, lang, canonical (absolute, this page), og/twitter."""
    t.true(m.title.strip() != "", f"{path}: <title> is empty")
    t.true(m.lang, f"{path}: <html> has no lang")
    t.true(m.one("description"), f"{path}: empty meta description")
    if canonical:
        can = m.rel.get("canonical") or []
        t.eq(len(can), 1, f"{path}: canonical links {can!r}")
        t.eq(can[0], base + path.split("#")[0], f"{path}: canonical")
        t.eq(m.one("og:url"), can[0], f"{path}: og:url")
    t.true(m.one("og:title"), f"{path}: og:title")
    t.true(m.one("og:site_name"), f"{path}: og:site_name")
    t.true(m.one("twitter:card") in ("summary", "summary_large_image"), f"{path}: twitter:card")
    t.true(m.one("twitter:title"), f"{path}: twitter:title")


def run_backend(label, database):
    def case(name):
        return t.case(f"[{label}] {name}")

    site = os.path.join(harness.tempdir(), "site")
    args = ["demo", "--articles", "40"] + (["--database", database] if database else []) + [site]
    p = mh(*args, timeout=300)
    if p.returncode != 0:
        t.bail(f"[{label}] cannot make a demo site: {p.stderr}")
    owner = re.search(r"email:\s*(\S+)", p.stdout), re.search(r"password:\s*(\S+)", p.stdout)
    if not all(owner):
        t.bail(f"[{label}] the demo printed no owner login: {p.stdout!r}")
    owner = (owner[0].group(1), owner[1].group(1))
    ini = os.path.join(site, "site.ini")
    base = harness.ini_get(ini, "site", "base_url")
    lang = harness.ini_get(ini, "site", "language")
    slugs = {"evil": f"meta-evil-{STAMP}", "remote": f"meta-remote-{STAMP}", "plain": f"meta-plain-{STAMP}",
             "local": f"meta-local-{STAMP}", "short": f"meta-short-{STAMP}"}
    with case("articles for the test: a hostile headline, a remote image, a /media/ image, none"):
        add_article(site, slugs["short"], "A short one", body="Only one paragraph.")
        add_article(site, slugs["remote"], "A harbour photo from elsewhere", image=REMOTE_IMAGE)
        add_article(site, slugs["local"], "A harbour photo of our own", image="/media/demo/illustration-01.svg")
        add_article(site, slugs["plain"], "No picture for this one")
        add_article(site, slugs["evil"], f'"{EVIL}"', image=REMOTE_IMAGE)

    srv = harness.Server(BIN, site).start()
    try:
        with case("home: title, description, canonical, lang, og:type website, WebSite with SearchAction"):
            r, m = page(srv, "/")
            check_common(m, base, "/")
            t.eq(m.lang, lang)
            t.eq(m.one("og:type"), "website")
            ws = m.ld("WebSite")
            t.eq(ws["@context"], "https://schema.org")
            t.eq(ws["url"], base + "/")
            t.true(ws.get("name"), "WebSite name")
            act = ws["potentialAction"]
            t.eq(act["@type"], "SearchAction")
            t.eq(act["target"]["urlTemplate"], base + "/search?q={search_term_string}")
            t.eq(act["query-input"], "required name=search_term_string")
            t.eq(r.header("content-security-policy"), DEFAULT_CSP, "the default CSP without [ads] csp_hosts")
            t.eq(m.ads, [], "no ad slots with [ads] off")
            t.true(not any(h.endswith("/ads.css") for h in m.rel.get("stylesheet", [])), "no /ads.css with ads off")

        with case("section front: metadata, rel=next on a long list, BreadcrumbList"):
            r, m = page(srv, "/section/latest")
            check_common(m, base, "/section/latest")
            t.eq(m.one("og:type"), "website")
            nxt = m.rel.get("next") or []
            t.eq(len(nxt), 1, "rel=next on the first page of Latest")
            older = harness.local_path(nxt[0])
            r2, m2 = page(srv, older)
            check_common(m2, base, older)
            t.true(m2.rel.get("prev"), "rel=prev on an older page")
            _, m = page(srv, "/section/news")
            bc = m.ld("BreadcrumbList")
            items = bc["itemListElement"]
            t.eq([i["position"] for i in items], [1, 2])
            t.eq(items[0]["item"], base + "/")
            t.eq(items[1]["item"], base + "/section/news")

        with case("author and tag pages: metadata"):
            for path in ("/author/dev-ramaswamy", "/tag/festivals"):
                _, m = page(srv, path)
                check_common(m, base, path)
                t.eq(m.one("og:type"), "website")
                t.eq(m.one("twitter:card"), "summary")

        def article(kind):
            path = f"/articles/{slugs[kind]}"
            r, m = page(srv, path)
            check_common(m, base, path)
            return r, m, path

        with case("article with a remote https image: og:image and twitter:image as given, NewsArticle complete"):
            r, m, path = article("remote")
            t.eq(m.one("og:type"), "article")
            t.eq(m.one("og:image"), REMOTE_IMAGE)
            t.eq(m.one("twitter:image"), REMOTE_IMAGE)
            t.eq(m.one("twitter:card"), "summary_large_image")
            t.true(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", m.one("article:published_time")),
                   "article:published_time is RFC 3339")
            na = m.ld("NewsArticle")
            t.eq(na["headline"], "A harbour photo from elsewhere")
            t.eq(na["image"], [REMOTE_IMAGE])
            t.eq(na["datePublished"], m.one("article:published_time"))
            t.eq(na["dateModified"], m.one("article:modified_time"))
            t.eq(na["mainEntityOfPage"]["@id"], base + path)
            t.eq(na["author"][0]["@type"], "Person")
            t.eq(na["author"][0]["url"], base + "/author/dev-ramaswamy")
            t.true(na["author"][0]["name"], "author name")
            pub = na["publisher"]
            t.eq(pub["@type"], "NewsMediaOrganization")
            t.true(pub["name"], "publisher name")
            t.true(pub["logo"]["url"].startswith(base + "/static/"), f"publisher logo {pub['logo']!r}")
            logo = srv.get(harness.local_path(pub["logo"]["url"]))
            t.eq(logo.status, 200, "the publisher's logo is served")
            t.eq(na["isAccessibleForFree"], True)
            bc = m.ld("BreadcrumbList")
            t.eq([i["item"] for i in bc["itemListElement"]], [base + "/", base + "/section/news", base + path])

        with case("article with a /media/ image: og:image absolute on our base_url"):
            r, m, path = article("local")
            t.eq(m.one("og:image"), base + "/media/demo/illustration-01.svg")
            t.eq(m.ld("NewsArticle")["image"], [base + "/media/demo/illustration-01.svg"])
            t.eq(m.one("twitter:card"), "summary_large_image")

        with case("article without an image: no og:image, summary card, NewsArticle without image"):
            r, m, path = article("plain")
            t.eq(m.meta.get("og:image"), None)
            t.eq(m.one("twitter:card"), "summary")
            t.true("image" not in m.ld("NewsArticle"), "NewsArticle image without an image")

        with case("a headline holding </script>, U+2028 and & stays inside the JSON-LD"):
            r, m, path = article("evil")
            body = r.text()
            t.eq(len(m.jsonld), 2, "two JSON-LD blocks (NewsArticle, BreadcrumbList)")
            t.eq(m.ld("NewsArticle")["headline"], EVIL)
            t.eq(m.ld("BreadcrumbList")["itemListElement"][-1]["name"], EVIL)
            # nothing ran out of the data block: no script but ours and the data blocks
            srcs = [a.get("src") or a.get("type") for a, _ in m.scripts]
            t.true(all(s for s in srcs), f"an inline script appeared: {m.scripts!r}")
            t.true("<script>alert(1)" not in body, "the headline's <script> is in the page raw")
            for raw in m.jsonld:
                for bad in ("<", ">", "&", "\u2028", "\u2029"):
                    t.true(bad not in raw, f"{bad!r} raw inside a JSON-LD block")

        with case("share links: X, Facebook, Telegram, WhatsApp, email with the article's address encoded"):
            r, m, path = article("evil")
            url = base + path
            want = {
                "x": ("https", "x.com", "/intent/tweet", {"url": url, "text": EVIL}),
                "facebook": ("https", "www.facebook.com", "/sharer/sharer.php", {"u": url}),
                "telegram": ("https", "t.me", "/share/url", {"url": url, "text": EVIL}),
                "whatsapp": ("https", "wa.me", "/", {"text": f"{EVIL} {url}"}),
                "email": ("mailto", "", "", {"subject": EVIL, "body": url}),
            }
            t.eq(sorted(m.share), sorted(want))
            for name, (scheme, host, p_, q) in want.items():
                u = urllib.parse.urlsplit(m.share[name])
                t.eq((u.scheme, u.netloc, u.path), (scheme, host, p_), f"{name} link")
                t.eq({k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}, q, f"{name} query")
                t.true(" " not in m.share[name] and "<" not in m.share[name], f"{name}: not percent-encoded")
            t.true(m.copy is not None and "hidden" in m.copy, "the Copy link button is hidden without script")
            t.eq(m.copy.get("data-url"), url)

        with case("404 and the stream fragment: a titled error page; the fragment has no head"):
            r, m = page(srv, "/articles/no-such-article", 404)
            check_common(m, base, "/articles/no-such-article", canonical=False)
            t.eq(m.lang, lang)
            r = srv.get(f"/stream/{slugs['plain']}")
            t.eq(r.status, 200)
            t.true("<head" not in r.text(), "the stream fragment is a fragment")
    finally:
        t.eq(srv.stop(), 0, "the server stops cleanly")

    # ---- advertisement slots ----
    with open(os.path.join(site, "network-ad.html"), "w") as f:
        f.write('<p class="network-ad">NETWORK-AD-SNIPPET</p>\n')
    ads = {"enabled": "true", "after_paragraph": "5", "min_height": "180", "stream_every": "2",
           "csp_hosts": "ads.example.net *.adcdn.example https://tags.example.com:8443",
           "article_house_image": "/media/demo/illustration-02.svg", "article_house_link": "/section/news",
           "article_house_text": "Our own <ad> & offer",
           "sidebar_top_html_file": "network-ad.html",
           "sidebar_bottom_house_image": "/media/demo/illustration-03.svg",
           "sidebar_bottom_house_text": "Subscribe",
           "stream_house_image": "/media/demo/illustration-04.svg", "stream_house_text": "Stream ad"}
    for k, v in ads.items():
        harness.ini_set(ini, "ads", k, v)

    with case("[ads] a bad csp_hosts or a missing snippet file: the server refuses to start, naming it"):
        for key, val, needle in (("csp_hosts", "ads.example.net 'unsafe-inline'", "csp_hosts"),
                                 ("csp_hosts", "evil.example; script-src *", "csp_hosts"),
                                 ("article_house_image", "https://elsewhere.example/x.png", "article_house_image"),
                                 ("sidebar_top_html_file", "no-such-file.html", "sidebar_top_html_file")):
            harness.ini_set(ini, "ads", key, val)
            p = harness.run([BIN, "serve", "--site", site, "--listen", f"127.0.0.1:{harness.free_port()}"],
                            timeout=60)
            t.true(p.returncode != 0, f"{key} = {val}: the server started")
            t.contains(p.stderr, needle, f"{key} = {val}: the message")
            harness.ini_set(ini, "ads", key, ads[key])

    srv = harness.Server(BIN, site).start()
    try:
        with case("[ads] the CSP allows the ad hosts in script-src, img-src and frame-src"):
            r = srv.get("/")
            csp = dict((d.split(" ", 1) + [""])[:2] for d in r.header("content-security-policy").split("; "))
            hosts = "ads.example.net *.adcdn.example https://tags.example.com:8443"
            t.eq(csp["script-src"], "'self' " + hosts)
            t.eq(csp["img-src"], "'self' https: data: " + hosts)
            t.eq(csp["frame-src"], "https://www.youtube-nocookie.com " + hosts)
            t.eq(csp["default-src"], "'self'")
            t.eq(csp["object-src"], "'none'")
            r404 = srv.get("/no/such/page")
            t.eq(r404.header("content-security-policy"), r.header("content-security-policy"), "404's CSP")

        with case("[ads] slots carry the label and reserve min_height (/ads.css); the sidebar's two slots"):
            r, m = page(srv, "/")
            t.true(base + "/ads.css" in [base + h if h.startswith("/") else h for h in m.rel.get("stylesheet", [])],
                   f"/ads.css linked: {m.rel.get('stylesheet')}")
            css = srv.get("/ads.css")
            t.eq(css.status, 200)
            t.true(css.header("content-type").startswith("text/css"), css.header("content-type"))
            t.true(re.search(r"\.ad__slot\s*\{\s*min-height:\s*180px;\s*\}", css.text()), css.text())
            t.eq([a["slot"] for a in m.ads], ["sidebar_top", "sidebar_bottom"])
            t.true(all(a["labelled"] and "Advertisement" in a["text"] for a in m.ads), f"labels: {m.ads!r}")
            t.contains(r.text(), '<p class="network-ad">NETWORK-AD-SNIPPET</p>', "the owner's snippet, raw")

        with case("[ads] article: the body slot after the blocks of after_paragraph, house ad escaped, stream slots"):
            r, m = page(srv, f"/articles/{slugs['plain']}")
            slots = [a["slot"] for a in m.ads]
            t.eq(slots.count("article"), 1, f"slots {slots}")
            # after_paragraph 5, places every 4 blocks: after the 8th
            t.eq(m.body_ad_index, 8, "paragraphs before the body's ad")
            t.contains(r.text(), "Our own &lt;ad&gt; &amp; offer", "the house ad's text, escaped")
            t.contains(r.text(), 'src="/media/demo/illustration-02.svg"')
            t.contains(r.text(), 'href="/section/news"')
            n_items = r.text().count('class="stream-item"')
            t.eq(slots.count("stream"), (n_items - 1) // 2, f"stream slots among {n_items} items")
            _, ms = page(srv, f"/articles/{slugs['short']}")
            t.eq([a["slot"] for a in ms.ads].count("article"), 0, "a one-paragraph article has no body slot")

        with case("[ads] the stream fragment has its stream slots; error pages none"):
            r = srv.get(f"/stream/{slugs['plain']}")
            m = Meta(r.text())
            n_items = r.text().count('class="stream-item"')
            t.true(n_items >= 3, f"{n_items} items")
            t.eq([a["slot"] for a in m.ads], ["stream"] * ((n_items - 1) // 2))
            _, m = page(srv, "/articles/no-such-article", 404)
            t.eq(m.ads, [], "ads on the 404 page")

        def slots_of(s, path):
            r = s.get(path)
            return [a["slot"] for a in Meta(r.text()).ads] if r.status == 200 else f"status {r.status}"

        admin = harness.AdminClient(srv, owner[1]).login(owner[0])
        with case("[ads] off per article: the editor's checkbox drops the article's ads (cached page too)"):
            art_id = db_one(site, database, f"SELECT id FROM articles WHERE slug = '{slugs['local']}'")
            path = f"/articles/{slugs['local']}"
            t.true("article" in slots_of(srv, path), "the article has its body slot before")
            srv.get(path)  # cached now
            page_html, _, _ = admin.editor(f"/admin/articles/{art_id}")
            t.contains(page_html, 'name="no_ads"', "the editor's No advertisements checkbox")
            r = admin.save(f"/admin/articles/{art_id}", "publish", no_ads="1")
            t.true(r.status in (200, 303), f"save: {r.status} {r.text()[:300]!r}")
            harness.wait_for(lambda: slots_of(srv, path) == [], 5, "no ads on the article's page")
            t.eq(db_one(site, database, f"SELECT no_ads FROM articles WHERE id = {art_id}") in ("1", "t"), True)
            page_html, _, _ = admin.editor(f"/admin/articles/{art_id}")
            t.true(re.search(r'name="no_ads"[^>]* checked', page_html), "the checkbox shows it set")
            t.true("article" in slots_of(srv, f"/articles/{slugs['plain']}"), "another article keeps its ads")
            t.eq(slots_of(srv, "/"), ["sidebar_top", "sidebar_bottom"], "the home page keeps its ads")
            r = admin.save(f"/admin/articles/{art_id}", "publish")  # the box unticked: on again
            harness.wait_for(lambda: "article" in slots_of(srv, path), 5, "the ads back on the article's page")

        with case("[ads] off per section: the section screen drops the ads of its front and its articles"):
            news = db_one(site, database, "SELECT id FROM sections WHERE slug = 'news'")
            form = admin.get(f"/admin/sections/{news}").text()
            t.contains(form, 'name="no_ads"', "the section screen's checkbox")
            csrf = harness.form_value(form, "csrf")
            fields = {"csrf": csrf, "name": html_unescape(harness.form_value(form, "name")),
                      "slug": harness.form_value(form, "slug"),
                      "description": html_unescape(harness.form_value(form, "description"))}
            for p_ in ("/section/news", f"/articles/{slugs['plain']}", "/section/analysis"):
                srv.get(p_)  # cached
            r = admin.post(f"/admin/sections/{news}", dict(fields, no_ads="1"))
            t.eq(r.status, 303, f"section save: {r.text()[:300]!r}")
            harness.wait_for(lambda: slots_of(srv, "/section/news") == [], 5, "no ads on the News front")
            harness.wait_for(lambda: slots_of(srv, f"/articles/{slugs['plain']}") == [], 5,
                             "no ads on a News article")
            t.true(slots_of(srv, "/section/analysis") != [], "another section keeps its ads")
            if database:
                other = harness.Server(BIN, site).start()
                try:
                    t.eq(slots_of(other, "/section/news"), [], "a second node: no ads on the News front")
                    slots_of(other, "/section/news")  # cached on the second node
                    r = admin.post(f"/admin/sections/{news}", dict(fields, csrf=admin.session_csrf()))
                    t.eq(r.status, 303)
                    harness.wait_for(lambda: slots_of(other, "/section/news") != [], 5,
                                     "a second node: the News front's ads back after the first node's save")
                finally:
                    t.eq(other.stop(), 0, "the second node stops cleanly")
            else:
                r = admin.post(f"/admin/sections/{news}", dict(fields, csrf=admin.session_csrf()))
                t.eq(r.status, 303)
                harness.wait_for(lambda: slots_of(srv, "/section/news") != [], 5, "the News front's ads back")
    finally:
        t.eq(srv.stop(), 0, "the server stops cleanly")


run_backend("sqlite", None)
with t.case("[postgres] the cluster is there (MASTHEAD_TEST_PG_URL)"):
    t.true(PG != "", "MASTHEAD_TEST_PG_URL is not set: metadata and ads were NOT tested on PostgreSQL "
           "(start a cluster with scripts/pg-test start, or run scripts/run-tests)")
if PG:
    db = f"mh_e2e_meta_{STAMP}"
    try:
        url = harness.pg_new_db(PG, db)
    except CaseFailed as e:
        t.bail(f"cannot create a PostgreSQL database: {e}")
    try:
        run_backend("postgres", url)
    finally:
        subprocess.run(["psql", "-X", "-qAt", PG, "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                       capture_output=True, text=True)
t.done()
