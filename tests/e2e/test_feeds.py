#!/usr/bin/env python3
"""E2E: feeds, sitemaps and robots.txt (issue 9), on SQLite and on PostgreSQL
with two nodes:
- every feed of the site, a section, an author and a tag in RSS 2.0, Atom 1.0
  and JSON Feed 1.1 validates: Atom against RFC 4287's RELAX NG schema
  (xmllint --relaxng), JSON Feed against the JSON Feed 1.1 JSON Schema
  (python3-jsonschema), RSS against the checks below, written from the RSS
  2.0 specification (required channel and item elements, RFC 822 dates,
  absolute URLs);
- full content and excerpts ([feeds] content), lead images as absolute URLs;
- an item's id survives a rename; If-None-Match gets 304;
- publishing in a section drops that section's feed and not another's (the
  page cache's hit counter in /metrics tells), on both nodes; an edit and a
  withdrawal drop the feeds listing the article;
- /sitemap.xml and its pages validate against the sitemaps.org XSDs (with
  Google's image and news extensions, tests/e2e/schemas/), a small
  [feeds] sitemap_page_size gives a correct index of several pages, the news
  sitemap holds only the last 48 hours;
- robots.txt, autodiscovery links, noindex on the admin, and clear 404/400/405
  for bad addresses; a bad [feeds] value stops the server naming it.
A missing schema fails the test; it never skips.
Usage: test_feeds.py PATH/TO/masthead
"""
import email.utils
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCHEMAS = os.path.join(ROOT, "..", "shared", "conformance", "schemas")
t = harness.TAP()

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "image": "http://www.google.com/schemas/sitemap-image/1.1",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# RFC 822 section 5 (with RFC 1123's four-digit year, as the RSS spec's examples)
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT|[A-IK-Z]|[ECMP][SD]T)$")
ABSOLUTE = re.compile(r"^https?://[^/\s]+")


def schema(name, folder=SCHEMAS):
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise CaseFailed(f"the schema {path} is missing (see ../shared/conformance/README.md): cannot validate")
    return path


def mh(*args, timeout=120):
    return harness.run([BIN, *args], timeout=timeout)


def must(p, what):
    if p.returncode != 0:
        raise CaseFailed(f"{what}: exit {p.returncode}: {p.stderr.strip()[-800:]}")
    return p


def fetch(srv, path, status=200, headers=None):
    r = srv.get(path, headers)
    if r.status != status:
        raise CaseFailed(f"GET {path}: {r.status}, wanted {status}: {r.text()[:300]}")
    return r


def xmllint(args, body, what):
    d = harness.tempdir("mh-feeds-")
    path = os.path.join(d, "doc.xml")
    with open(path, "wb") as f:
        f.write(body)
    p = subprocess.run(["xmllint", "--noout", *args, path], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise CaseFailed(f"{what} does not validate: {p.stderr.strip()[-1500:]}")


def sitemap_schema():
    """sitemap.xsd with Google's image and news extensions (its wildcard for
    other namespaces is strict: without their declarations every image:image
    would be an error)."""
    d = harness.tempdir("mh-feeds-xsd-")
    path = os.path.join(d, "sitemaps.xsd")
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
                f'<xsd:import namespace="{NS["sm"]}" schemaLocation="{schema("sitemap.xsd")}"/>\n'
                f'<xsd:import namespace="{NS["image"]}" '
                f'schemaLocation="{schema("sitemap-image.xsd", os.path.join(HERE, "schemas"))}"/>\n'
                f'<xsd:import namespace="{NS["news"]}" '
                f'schemaLocation="{schema("sitemap-news.xsd", os.path.join(HERE, "schemas"))}"/>\n'
                '</xsd:schema>\n')
    return path


def jsonfeed_validate(doc, what):
    try:
        import jsonschema
    except ImportError:
        raise CaseFailed("python3-jsonschema is not installed (scripts/deps installs it)")
    with open(schema("jsonfeed-v1.1.schema.json"), encoding="utf-8") as f:
        sch = json.load(f)
    try:
        jsonschema.validate(doc, sch, format_checker=jsonschema.FormatChecker())
    except jsonschema.ValidationError as e:
        raise CaseFailed(f"{what} does not validate against JSON Feed 1.1: {e.message} at {list(e.absolute_path)}")


def check_absolute(url, what):
    if not url or not ABSOLUTE.match(url):
        raise CaseFailed(f"{what}: {url!r} is not an absolute http(s) URL")


def check_html_absolute(html_text, what):
    for m in re.finditer(r'\s(?:src|href|poster)="([^"]*)"', html_text):
        if m.group(1).startswith("/") and not m.group(1).startswith("//"):
            raise CaseFailed(f"{what}: a root-relative address in the HTML: {m.group(0)!r}")


def check_rss(body, what):
    """RSS 2.0 as its specification (www.rssboard.org/rss-specification)
    requires: <rss version="2.0"> holding one <channel> with title, link and
    description; each item with a title or a description; dates (pubDate,
    lastBuildDate) in RFC 822; guid unique in the channel; links absolute.
    Returns the items as dicts."""
    root = ET.fromstring(body)
    if root.tag != "rss" or root.get("version") != "2.0":
        raise CaseFailed(f"{what}: root is <{root.tag} version={root.get('version')}>, not <rss version=\"2.0\">")
    chans = root.findall("channel")
    if len(chans) != 1:
        raise CaseFailed(f"{what}: {len(chans)} <channel> elements")
    ch = chans[0]
    for req in ("title", "link", "description"):
        el = ch.find(req)
        if el is None or not (el.text or "").strip():
            raise CaseFailed(f"{what}: channel has no {req}")
    check_absolute(ch.findtext("link"), f"{what} channel link")
    for d in ("lastBuildDate", "pubDate"):
        v = ch.findtext(d)
        if v is not None and (not RFC822.match(v) or email.utils.parsedate_to_datetime(v) is None):
            raise CaseFailed(f"{what}: channel {d} {v!r} is not an RFC 822 date")
    self_link = ch.find("atom:link", NS)
    if self_link is None or self_link.get("rel") != "self":
        raise CaseFailed(f"{what}: no atom:link rel=self")
    check_absolute(self_link.get("href"), f"{what} atom:link")
    items, guids = [], set()
    for it in ch.findall("item"):
        title, desc = it.findtext("title"), it.findtext("description")
        if not (title or desc):
            raise CaseFailed(f"{what}: an item with neither title nor description")
        link = it.findtext("link")
        check_absolute(link, f"{what} item link")
        pub = it.findtext("pubDate")
        if pub is None or not RFC822.match(pub) or email.utils.parsedate_to_datetime(pub) is None:
            raise CaseFailed(f"{what}: item pubDate {pub!r} is not an RFC 822 date")
        g = it.find("guid")
        if g is None or not g.text:
            raise CaseFailed(f"{what}: an item without guid")
        if g.text in guids:
            raise CaseFailed(f"{what}: guid {g.text} twice")
        guids.add(g.text)
        if g.get("isPermaLink", "true") == "true":
            check_absolute(g.text, f"{what} permalink guid")
        media = it.find("media:content", NS)
        if media is not None:
            check_absolute(media.get("url"), f"{what} media:content")
        enc = it.find("enclosure")
        if enc is not None:  # the spec's three required attributes
            for a in ("url", "length", "type"):
                if enc.get(a) is None:
                    raise CaseFailed(f"{what}: enclosure without {a}")
        content = it.findtext("content:encoded", default="", namespaces=NS)
        check_html_absolute(content, f"{what} content:encoded")
        items.append({"title": title, "link": link, "guid": g.text, "pub": pub, "content": content,
                      "image": media.get("url") if media is not None else None})
    return items


def check_atom(body, what):
    xmllint(["--relaxng", schema("atom-rfc4287.rng")], body, what)
    root = ET.fromstring(body)
    entries = []
    for e in root.findall("atom:entry", NS):
        for d in ("published", "updated"):
            v = e.findtext(f"atom:{d}", namespaces=NS)
            if not v or not RFC3339.match(v):
                raise CaseFailed(f"{what}: entry {d} {v!r} is not RFC 3339")
        alt = [l for l in e.findall("atom:link", NS) if l.get("rel", "alternate") == "alternate"]
        if not alt:
            raise CaseFailed(f"{what}: an entry without a link")
        check_absolute(alt[0].get("href"), f"{what} entry link")
        for l in e.findall("atom:link", NS):
            check_absolute(l.get("href"), f"{what} entry link rel={l.get('rel')}")
        content = e.findtext("atom:content", default="", namespaces=NS)
        check_html_absolute(content, f"{what} content")
        entries.append({"id": e.findtext("atom:id", namespaces=NS), "link": alt[0].get("href"),
                        "title": e.findtext("atom:title", namespaces=NS)})
    return entries


def check_json(body, what):
    doc = json.loads(body)
    jsonfeed_validate(doc, what)
    for u in ("home_page_url", "feed_url"):
        check_absolute(doc.get(u), f"{what} {u}")
    for it in doc["items"]:
        check_absolute(it.get("url"), f"{what} item url")
        if "image" in it:
            check_absolute(it["image"], f"{what} item image")
        for d in ("date_published", "date_modified"):
            if not RFC3339.match(it.get(d, "")):
                raise CaseFailed(f"{what}: item {d} {it.get(d)!r} is not RFC 3339")
        check_html_absolute(it.get("content_html", ""), f"{what} content_html")
    return doc


def hits(srv):
    """The page cache's hit count, from /metrics."""
    text = fetch(srv, "/metrics").text()
    m = re.search(r"^masthead_page_cache_hits_total (\d+)$", text, re.M)
    if not m:
        raise CaseFailed("/metrics has no masthead_page_cache_hits_total")
    return int(m.group(1))


def is_hit(srv, path):
    """GETs path (200) and tells whether the page cache answered it."""
    before = hits(srv)
    r = fetch(srv, path)
    return hits(srv) - before == 1, r


def article_file(folder, slug, headline, section, author, body="A first paragraph.\n\nA second one."):
    path = os.path.join(folder, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n"
                f"headline: {headline}\n"
                f"slug: {slug}\n"
                f"section: {section}\n"
                f"authors: [{author}]\n"
                "status: published\n"
                "---\n"
                f"{body}\n")
    return path


class Site:
    """What the cases need of a site: its folder, a query function for its
    database (SQLite through Python or PostgreSQL through psql) and the
    nodes serving it."""

    def __init__(self, label, folder, query, nodes):
        self.label, self.dir, self.query, self.nodes = label, folder, query, nodes
        self.base = harness.ini_get(os.path.join(folder, "site.ini"), "site", "base_url")
        self.files = harness.tempdir("mh-feeds-art-")

    def one(self, sql):
        rows = self.query(sql)
        if not rows:
            raise CaseFailed(f"no row for {sql}")
        return rows[0]

    def published_urls(self):
        now = int(time.time())
        rows = self.query(f"SELECT slug FROM articles WHERE status = 'published' AND published_at <= {now}")
        return {f"{self.base}/articles/{r[0]}" for r in rows}


def feed_paths(site):
    sec = site.one("SELECT slug FROM sections WHERE kind = 'plain' ORDER BY id LIMIT 1")[0]
    au = site.one("SELECT au.slug FROM authors au JOIN article_authors aa ON aa.author_id = au.id"
                  " GROUP BY au.slug ORDER BY count(*) DESC, au.slug LIMIT 1")[0]
    tag = site.one("SELECT t.slug FROM tags t JOIN article_tags x ON x.tag_id = t.id"
                   " GROUP BY t.slug ORDER BY count(*) DESC, t.slug LIMIT 1")[0]
    return {"site": "", "section": f"/section/{sec}", "author": f"/author/{au}", "tag": f"/tag/{tag}"}


def cases(site):
    L = site.label
    srv = site.nodes[0]
    paths = feed_paths(site)

    for kind, base in paths.items():
        with t.case(f"{L}the {kind} feeds validate: RSS 2.0 (spec checks), Atom (RELAX NG), JSON Feed 1.1 (schema)"):
            rss = fetch(srv, f"{base}/feed.xml")
            t.true(rss.header("content-type").startswith("application/rss+xml"), rss.header("content-type"))
            items = check_rss(rss.body, f"{base}/feed.xml")
            t.true(len(items) > 0, f"{base}/feed.xml lists nothing")
            atom = fetch(srv, f"{base}/atom.xml")
            t.true(atom.header("content-type").startswith("application/atom+xml"), atom.header("content-type"))
            entries = check_atom(atom.body, f"{base}/atom.xml")
            js = fetch(srv, f"{base}/feed.json")
            t.true(js.header("content-type").startswith("application/feed+json"), js.header("content-type"))
            doc = check_json(js.body, f"{base}/feed.json")
            # the three formats list the same articles, with the same ids
            t.eq([e["link"] for e in entries], [i["link"] for i in items])
            t.eq([i["url"] for i in doc["items"]], [i["link"] for i in items])
            t.eq([e["id"] for e in entries], [i["guid"] for i in items])
            t.eq([i["id"] for i in doc["items"]], [i["guid"] for i in items])
            for i in items:
                t.true(re.match(r"^tag:[^,]+,\d{4}:article/\d+$", i["guid"]), i["guid"])
            t.eq(doc["feed_url"], f"{site.base}{base}/feed.json")

    with t.case(f"{L}a list's feed holds that list: the section's articles only, newest first"):
        sec_slug = paths["section"].rsplit("/", 1)[1]
        want = [f"{site.base}/articles/{r[0]}" for r in site.query(
            "SELECT a.slug FROM articles a JOIN sections s ON s.id = a.section_id"
            f" WHERE s.slug = '{sec_slug}' AND a.status = 'published' AND a.published_at <= {int(time.time())}"
            " ORDER BY a.published_at DESC, a.id DESC LIMIT 20")]
        items = check_rss(fetch(srv, f"{paths['section']}/feed.xml").body, "section feed")
        t.eq([i["link"] for i in items], want)

    with t.case(f"{L}lead images are absolute URLs in all three formats"):
        items = check_rss(fetch(srv, "/feed.xml").body, "/feed.xml")
        with_image = [i for i in items if i["image"]]
        t.true(with_image, "no item of /feed.xml has a lead image (the demo's articles have them)")
        for i in with_image:
            t.true(i["image"].startswith(site.base + "/") or i["image"].startswith("https://"), i["image"])
        atom = ET.fromstring(fetch(srv, "/atom.xml").body)
        encl = [l.get("href") for l in atom.iter(f"{{{NS['atom']}}}link") if l.get("rel") == "enclosure"]
        t.eq(sorted(encl), sorted(i["image"] for i in with_image))
        doc = json.loads(fetch(srv, "/feed.json").body)
        t.eq(sorted(i["image"] for i in doc["items"] if "image" in i), sorted(encl))

    with t.case(f"{L}If-None-Match gets 304 for a feed, and the cache answers the second read"):
        r = fetch(srv, "/atom.xml")
        etag = r.header("etag")
        t.true(etag, "no ETag on /atom.xml")
        again = srv.get("/atom.xml", {"If-None-Match": etag})
        t.eq(again.status, 304)
        t.eq(again.body, b"")
        hit, _ = is_hit(srv, "/atom.xml")
        t.true(hit, "a second read of /atom.xml was not a cache hit")
        sk = r.header("surrogate-key") or ""
        t.true(re.search(r"(^| )home( |$)", sk), f"the site feed's Surrogate-Key lacks home: {sk}")

    with t.case(f"{L}a rename keeps the item's id in every format; the link follows the new slug"):
        slug = site.one(f"SELECT slug FROM articles WHERE status = 'published' AND published_at <= {int(time.time())}"
                        " ORDER BY published_at DESC, id DESC LIMIT 1")[0]
        before = {i["link"]: i["guid"] for i in check_rss(fetch(srv, "/feed.xml").body, "/feed.xml")}
        old_id = before[f"{site.base}/articles/{slug}"]
        atom_before = {e["link"]: e["id"] for e in check_atom(fetch(srv, "/atom.xml").body, "/atom.xml")}
        new_slug = slug + "-renamed"
        must(mh("article", "rename", "--site", site.dir, slug, new_slug), "article rename")
        for node in site.nodes:
            harness.wait_for(lambda: True if f"/articles/{new_slug}<" in fetch(node, "/feed.xml").text() else
                             "old link still", 10, "the renamed article in the feed")
            after = {i["link"]: i["guid"] for i in check_rss(fetch(node, "/feed.xml").body, "/feed.xml")}
            t.eq(after.get(f"{site.base}/articles/{new_slug}"), old_id)
            t.true(f"{site.base}/articles/{slug}" not in after, "the old link is still listed")
            atom_after = {e["link"]: e["id"] for e in check_atom(fetch(node, "/atom.xml").body, "/atom.xml")}
            t.eq(atom_after[f"{site.base}/articles/{new_slug}"], atom_before[f"{site.base}/articles/{slug}"])
            doc = json.loads(fetch(node, "/feed.json").body)
            t.eq([i["id"] for i in doc["items"] if i["url"].endswith("/" + new_slug)], [old_id])

    secs = [r[0] for r in site.query("SELECT slug FROM sections WHERE kind = 'plain' ORDER BY id")]
    if len(secs) < 2:
        raise RuntimeError("the demo site has fewer than two plain sections")
    sec_a, sec_b = secs[0], secs[1]
    author = paths["author"].rsplit("/", 1)[1]
    headline = f"Feeds case {L.strip() or 'sqlite'} {os.getpid()} new in {sec_a}"
    new_slug = re.sub(r"[^a-z0-9]+", "-", headline.lower()).strip("-")

    with t.case(f"{L}publishing in one section drops its feeds and not another section's, on every node"):
        for node in site.nodes:  # both feeds in every node's cache
            for s in (sec_a, sec_b):
                for f in ("feed.xml", "atom.xml", "feed.json"):
                    fetch(node, f"/section/{s}/{f}")
                    hit, _ = is_hit(node, f"/section/{s}/{f}")
                    t.true(hit, f"/section/{s}/{f} not cached on port {node.port}")
        must(mh("article", "add", "--site", site.dir, article_file(site.files, new_slug, headline, sec_a, author)),
             "article add")
        for node in site.nodes:
            for f in ("feed.xml", "atom.xml", "feed.json"):
                harness.wait_for(lambda: True if new_slug in fetch(node, f"/section/{sec_a}/{f}").text() else
                                 "not yet", 10, f"the new article in /section/{sec_a}/{f} on port {node.port}")
            # the change reached this node (above): the other section's
            # feeds were left in its cache
            for f in ("feed.xml", "atom.xml", "feed.json"):
                hit, r = is_hit(node, f"/section/{sec_b}/{f}")
                t.true(hit, f"/section/{sec_b}/{f} was dropped on port {node.port} by a publish in {sec_a}")
                t.absent(r.text(), new_slug)
            t.contains(fetch(node, "/feed.xml").text(), new_slug, "site feed")
            t.contains(fetch(node, f"/author/{author}/feed.json").text(), new_slug, "author feed")

    with t.case(f"{L}editing an article drops the feeds that list it; withdrawing takes it out of them"):
        show = must(mh("article", "show", "--site", site.dir, new_slug), "article show").stdout
        edited = re.sub(r'^headline: "?(.*?)"?$', r'headline: "\1 (edited)"', show, count=1, flags=re.M)
        t.true(edited != show, "could not edit the headline in `article show`'s file")
        path = os.path.join(site.files, f"{new_slug}.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write(edited)
        must(mh("article", "update", "--site", site.dir, path), "article update")
        for node in site.nodes:
            for p in (f"/section/{sec_a}/atom.xml", "/feed.xml", f"/author/{author}/feed.json"):
                harness.wait_for(lambda: True if "(edited)" in fetch(node, p).text() else "old headline", 10,
                                 f"the edit in {p} on port {node.port}")
            hit, _ = is_hit(node, f"/section/{sec_b}/atom.xml")
            t.true(hit, f"/section/{sec_b}/atom.xml dropped by an edit of an article it does not list")
        must(mh("article", "unpublish", "--site", site.dir, new_slug), "article unpublish")
        for node in site.nodes:
            for p in (f"/section/{sec_a}/feed.xml", "/feed.json", f"/author/{author}/atom.xml"):
                harness.wait_for(lambda: True if new_slug not in fetch(node, p).text() else "still listed", 10,
                                 f"the withdrawal in {p} on port {node.port}")
        must(mh("article", "publish", "--site", site.dir, new_slug), "article publish")
        for node in site.nodes:
            harness.wait_for(lambda: True if new_slug in fetch(node, "/feed.xml").text() else "not back", 10,
                             "the article back in /feed.xml")

    with t.case(f"{L}/sitemap.xml is an index of valid sitemaps covering every published article"):
        xsd = sitemap_schema()
        idx = fetch(srv, "/sitemap.xml")
        t.true(idx.header("content-type").startswith("application/xml"), idx.header("content-type"))
        xmllint(["--schema", schema("siteindex.xsd")], idx.body, "/sitemap.xml")
        locs = [e.text for e in ET.fromstring(idx.body).iter(f"{{{NS['sm']}}}loc")]
        t.true(f"{site.base}/sitemaps/pages.xml" in locs, locs)
        t.true(f"{site.base}/sitemaps/news.xml" in locs, locs)
        urls = set()
        for loc in locs:
            check_absolute(loc, "index loc")
            body = fetch(srv, loc[len(site.base):]).body
            xmllint(["--schema", xsd], body, loc)
            urls |= {e.text for e in ET.fromstring(body).iter(f"{{{NS['sm']}}}loc")}
        missing = site.published_urls() - urls
        t.eq(sorted(missing), [])
        pages = ET.fromstring(fetch(srv, "/sitemaps/pages.xml").body)
        plocs = {e.text for e in pages.iter(f"{{{NS['sm']}}}loc")}
        for s in secs:
            t.true(f"{site.base}/section/{s}" in plocs, f"section {s} not in pages.xml")
        t.true(f"{site.base}{paths['author']}" in plocs, "the author not in pages.xml")
        t.true(f"{site.base}{paths['tag']}" in plocs, "the tag not in pages.xml")
        art = ET.fromstring(fetch(srv, "/sitemaps/articles-1.xml").body)
        for u in art.findall("sm:url", NS):
            t.true(RFC3339.match(u.findtext("sm:lastmod", default="", namespaces=NS)), "lastmod")
        imgs = [e.text for e in art.iter(f"{{{NS['image']}}}loc")]
        t.true(imgs, "no image:image in the articles sitemap")
        for i in imgs:
            check_absolute(i, "image:loc")

    with t.case(f"{L}the news sitemap: the last 48 hours only, at most 1,000, with publication name and language"):
        body = fetch(srv, "/sitemaps/news.xml").body
        xmllint(["--schema", sitemap_schema()], body, "/sitemaps/news.xml")
        root = ET.fromstring(body)
        urls = root.findall("sm:url", NS)
        t.true(0 < len(urls) <= 1000, len(urls))
        title = harness.ini_get(os.path.join(site.dir, "site.ini"), "site", "title")
        now = time.time()
        for u in urls:
            n = u.find("news:news", NS)
            t.eq(n.findtext("news:publication/news:name", namespaces=NS), title)
            t.eq(n.findtext("news:publication/news:language", namespaces=NS), "en")
            d = n.findtext("news:publication_date", namespaces=NS)
            when = email.utils.parsedate_to_datetime(
                time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.strptime(d, "%Y-%m-%dT%H:%M:%SZ")))
            t.true(now - 48 * 3600 - 5 <= when.timestamp() <= now + 5, f"{d} is not within the last 48 hours")
            t.true(n.findtext("news:title", namespaces=NS), "no news:title")
        listed = {u.findtext("sm:loc", namespaces=NS) for u in urls}
        t.true(f"{site.base}/articles/{new_slug}" in listed, "the article just published is not in the news")
        recent = {f"{site.base}/articles/{r[0]}" for r in site.query(
            f"SELECT slug FROM articles WHERE status = 'published' AND published_at <= {int(now)}"
            f" AND published_at > {int(now) - 48 * 3600 + 5}")}
        t.eq(sorted(recent - listed), [])

    with t.case(f"{L}robots.txt names the sitemap and keeps admin, API, search and previews out"):
        r = fetch(srv, "/robots.txt")
        t.true(r.header("content-type").startswith("text/plain"), r.header("content-type"))
        lines = r.text().splitlines()
        t.true("User-agent: *" in lines, lines)
        for d in ("/admin", "/api/", "/search"):
            t.true(f"Disallow: {d}" in lines, f"no Disallow: {d}")
        t.true(f"Sitemap: {site.base}/sitemap.xml" in lines, lines)
        t.eq(srv.get("/admin/login").header("x-robots-tag"), "noindex")

    with t.case(f"{L}pages name their feeds: the site's everywhere, a list's own on its page"):
        def alternates(path):
            page = fetch(srv, path).text()
            return re.findall(r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)">', page)
        home = alternates("/")
        t.eq(sorted(h for _, h in home), sorted(f"{site.base}/{f}" for f in ("atom.xml", "feed.json", "feed.xml")))
        for kind in ("section", "author", "tag"):
            got = {h for _, h in alternates(paths[kind])}
            for f in ("feed.xml", "atom.xml", "feed.json"):
                t.true(f"{site.base}{paths[kind]}/{f}" in got, f"{paths[kind]} does not name its {f}: {got}")
                t.true(f"{site.base}/{f}" in got, f"{paths[kind]} does not name the site's {f}")
        art = fetch(srv, f"/articles/{new_slug}").text()
        t.true(f'href="{site.base}/feed.xml"' in art, "an article page does not name the site feed")
        for ty, h in home:
            r = fetch(srv, h[len(site.base):])
            t.true(r.header("content-type").startswith(ty), f"{h}: {r.header('content-type')}, named as {ty}")

    with t.case(f"{L}bad feed and sitemap addresses: 404, 400 or 405 with nothing changed"):
        for p in ("/section/no-such-section/feed.xml", "/author/nobody-at-all/atom.xml", "/tag/no-such-tag/feed.json",
                  "/sitemaps/articles-0.xml", "/sitemaps/articles-01.xml", "/sitemaps/articles-x.xml",
                  "/sitemaps/articles-.xml", "/sitemaps/articles-99999999.xml",
                  "/sitemaps/articles-99999999999999999999.xml", "/sitemaps/other.xml", "/section/feed.xml"):
            t.eq(srv.get(p).status, 404, p)
        r = srv.get("/feed.xml?before=1-1")
        t.eq(r.status, 400)
        t.contains(r.text(), "?before=")
        r = srv.request("POST", "/feed.xml", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1")
        t.eq(r.status, 405)
        t.eq(r.header("allow"), "GET, HEAD")
        t.eq(fetch(srv, "/feed.xml").status, 200)


def excerpt_and_pages_cases(site):
    """Settings: [feeds] content = excerpt, and a sitemap page size small
    enough for several pages. Restarts the first node."""
    L = site.label
    srv = site.nodes[0]
    full = {i["id"]: i.get("content_html", "") for i in json.loads(fetch(srv, "/feed.json").body)["items"]}
    ini = os.path.join(site.dir, "site.ini")
    harness.ini_set(ini, "feeds", "content", "excerpt")
    harness.ini_set(ini, "feeds", "sitemap_page_size", "7")
    srv.restart()
    with t.case(f"{L}[feeds] content = excerpt: the opening paragraphs, not the whole article"):
        doc = check_json(fetch(srv, "/feed.json").body, "/feed.json (excerpt)")
        shorter = 0
        for it in doc["items"]:
            ex, whole = it.get("content_html", ""), full.get(it["id"])
            if whole is None:
                continue
            t.true(len(ex) <= len(whole), f"{it['url']}: the excerpt is longer than the article")
            first = re.match(r"<p>.*?</p>", whole, re.S)
            if first:
                t.true(ex.startswith(first.group(0)), f"{it['url']}: the excerpt does not open like the article")
            shorter += len(ex) < len(whole)
        t.true(shorter > 0, "no excerpt is shorter than its article")
        check_rss(fetch(srv, "/feed.xml").body, "/feed.xml (excerpt)")
        check_atom(fetch(srv, "/atom.xml").body, "/atom.xml (excerpt)")

    with t.case(f"{L}a sitemap page size of 7 gives an index of several pages, each an id range of at most 7"):
        xsd = sitemap_schema()
        idx = fetch(srv, "/sitemap.xml").body
        xmllint(["--schema", schema("siteindex.xsd")], idx, "/sitemap.xml")
        locs = [e.text for e in ET.fromstring(idx).iter(f"{{{NS['sm']}}}loc")]
        pages = [l for l in locs if "/sitemaps/articles-" in l]
        t.true(len(pages) > 1, f"only {len(pages)} article sitemap(s)")
        now = int(time.time())
        ids = {f"{site.base}/articles/{r[1]}": int(r[0]) for r in site.query(
            f"SELECT id, slug FROM articles WHERE status = 'published' AND published_at <= {now}")}
        want_pages = sorted({(i - 1) // 7 + 1 for i in ids.values()})
        t.eq([int(re.search(r"articles-(\d+)\.xml$", p).group(1)) for p in pages], want_pages)
        seen = set()
        for p in pages:
            n = int(re.search(r"articles-(\d+)\.xml$", p).group(1))
            body = fetch(srv, p[len(site.base):]).body
            xmllint(["--schema", xsd], body, p)
            got = [e.text for e in ET.fromstring(body).findall("sm:url/sm:loc", NS)]
            t.true(1 <= len(got) <= 7, f"{p}: {len(got)} URLs")
            for u in got:
                t.true((n - 1) * 7 < ids[u] <= n * 7, f"{u} (id {ids[u]}) is not in page {n}'s range")
            seen |= set(got)
        t.eq(sorted(seen), sorted(ids))
        # a range with no published article is not a page
        empty = next((k for k in range(1, max(want_pages) + 2) if k not in want_pages), None)
        t.eq(srv.get(f"/sitemaps/articles-{empty}.xml").status, 404)
    harness.ini_set(ini, "feeds", "content", "full")
    harness.ini_set(ini, "feeds", "sitemap_page_size", "50000")
    srv.restart()


def varnish_cases(site, varnish):
    """Through Varnish in front of the nodes (contrib/varnish/masthead.vcl,
    s-maxage 300: only a purge explains a fresh feed): a publish bans the
    feeds of its section and not another section's."""
    L = site.label
    secs = [r[0] for r in site.query("SELECT slug FROM sections WHERE kind = 'plain' ORDER BY id")]
    sec_a, sec_b = secs[0], secs[1]
    author = feed_paths(site)["author"].rsplit("/", 1)[1]
    with t.case(f"{L}through Varnish: a publish purges its section's feeds, not another section's"):
        try:
            varnish.start()
        except Exception as e:  # noqa: BLE001
            raise CaseFailed(f"Varnish cannot run here, so the case through it fails: {e}")
        paths = [f"/section/{s}/{f}" for s in (sec_a, sec_b) for f in ("feed.xml", "atom.xml", "feed.json")]
        for p in paths:
            varnish.get(p)
            r = varnish.get(p)
            t.eq(r.status, 200, p)
            t.eq(r.header("x-cache"), "HIT", f"{p} second fetch through Varnish")
        headline = f"Feeds through Varnish {os.getpid()} {int(time.time())}"
        slug = re.sub(r"[^a-z0-9]+", "-", headline.lower()).strip("-")
        must(mh("article", "add", "--site", site.dir, article_file(site.files, slug, headline, sec_a, author)),
             "article add")
        for f in ("feed.xml", "atom.xml", "feed.json"):
            harness.wait_for(lambda: True if slug in varnish.get(f"/section/{sec_a}/{f}").text() else "stale", 10,
                             f"/section/{sec_a}/{f} through Varnish after the purge")
            r = varnish.get(f"/section/{sec_b}/{f}")
            t.eq(r.header("x-cache"), "HIT", f"/section/{sec_b}/{f} was purged by a publish in {sec_a}")
            t.absent(r.text(), slug)


# ------------------------------------------------------------------ SQLite

try:
    d = harness.demo_site(BIN, articles=40)
    srv = harness.Server(BIN, d).start()
    sq = Site("", d, lambda sql: [tuple(r.values()) for r in harness.db_query(d, sql)], [srv])
    cases(sq)
    excerpt_and_pages_cases(sq)

    with t.case("a bad [feeds] value stops the server, naming the setting"):
        harness.ini_set(os.path.join(d, "site.ini"), "feeds", "content", "summary")
        p = subprocess.run([BIN, "serve", "--site", d, "--listen", f"127.0.0.1:{harness.free_port()}"],
                           capture_output=True, text=True, timeout=30)
        t.true(p.returncode != 0, "serve started with [feeds] content = summary")
        t.contains(p.stderr, "[feeds] content")
        t.contains(p.stderr, "full, excerpt")
        harness.ini_set(os.path.join(d, "site.ini"), "feeds", "sitemap_page_size", "50001")
        harness.ini_set(os.path.join(d, "site.ini"), "feeds", "content", "full")
        p = subprocess.run([BIN, "serve", "--site", d, "--listen", f"127.0.0.1:{harness.free_port()}"],
                           capture_output=True, text=True, timeout=30)
        t.true(p.returncode != 0, "serve started with sitemap_page_size = 50001")
        t.contains(p.stderr, "[feeds] sitemap_page_size")
        harness.ini_set(os.path.join(d, "site.ini"), "feeds", "sitemap_page_size", "50000")
    with t.case("the server stops cleanly"):
        t.eq(srv.stop(), 0)
except Exception as e:  # noqa: BLE001
    t.ok(False, "SQLite: the site and its server", repr(e))

# ------------------------------------------------------------------ PostgreSQL: two nodes

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] feeds and sitemaps on two nodes",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    try:
        name = f"mh_feeds_{os.getpid()}"
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=40, database=url)

        def pg_query(sql):
            out = harness.psql(sql, url)
            return [tuple(l.split("|")) for l in out.splitlines() if l]
        vport = harness.free_port()
        ini = os.path.join(d, "site.ini")
        harness.ini_set(ini, "purge", "varnish", f"http://127.0.0.1:{vport}")
        harness.ini_set(ini, "purge", "timeout", "2")
        harness.ini_set(ini, "cache", "s_maxage", "300")
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()
        pg = Site("[postgres] ", d, pg_query, [a, b])
        cases(pg)
        excerpt_and_pages_cases(pg)
        varnish = harness.Varnish(vport, (str(a.port), str(b.port)))
        try:
            varnish_cases(pg, varnish)
        finally:
            varnish.stop()
        with t.case("[postgres] both nodes stop cleanly"):
            t.eq(a.stop(), 0)
            t.eq(b.stop(), 0)
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] the site and its two nodes", repr(e))

t.done()
