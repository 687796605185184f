#!/usr/bin/env python3
"""E2E: search (issue 9), on SQLite and on PostgreSQL (MASTHEAD_TEST_PG_URL;
without it the PostgreSQL half FAILS). A demo site plus articles written for
the cases (made-up words, so that only they match), served by the real
binary:
- a headline match ranks above a body-only match;
- diacritics: "café" finds "cafe" and the other way round;
- phrases ("a b" in that order only) and prefixes (word*);
- snippets mark the matched words with <mark> and escape the article's text
  (a body that shows <script> as code, a headline holding markup);
- filters by section, author and date range; pages of results;
- every hostile query (unbalanced quotes, bare operators, NEAR(, *, control
  characters, very long input, SQL, FTS5 column syntax) answers 200;
- the index follows publish, edit and withdrawal: an edited word is found,
  the old one not; a withdrawn article is gone, and back when republished;
- /api/v1/search: the same results as JSON, with stable field names;
- bad filters get a 400 naming the problem; result pages are not cached
  (no-store, never in the page cache) and say noindex.
Usage: test_search.py PATH/TO/masthead
"""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()

AUTHOR = "dev-ramaswamy"
OTHER_AUTHOR = "jonah-pell"


def article(d, slug, headline, body, dek="", section="news", author=AUTHOR, extra=""):
    text = ("---\n"
            f"headline: {json.dumps(headline, ensure_ascii=False)}\n"
            f"slug: {slug}\n"
            f"dek: {json.dumps(dek, ensure_ascii=False)}\n"
            f"section: {section}\n"
            f"authors: [{author}]\n"
            "status: published\n"
            f"{extra}"
            "---\n"
            f"{body}\n")
    path = os.path.join(d, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def mh(*args):
    p = harness.run([BIN, *args], timeout=120)
    if p.returncode != 0:
        raise CaseFailed(f"`masthead {' '.join(args)}` exited {p.returncode}: {p.stderr.strip()}")
    return p


def fill(site):
    """The articles the cases look for: {name: slug}."""
    d = harness.tempdir()
    arts = {
        "head": ("zorblax-harbour-plan", "Zorblax harbour plan", "The quay gets new lamps.", "", "news", AUTHOR),
        "body": ("ordinary-council-news", "Ordinary council news",
                 "The council met. The zorblax committee reported on the quay.", "", "news", AUTHOR),
        "cafe_accent": ("le-cafe-quixotl", "Le café quixotl opens", "A new place on the square.", "", "analysis",
                        OTHER_AUTHOR),
        "cafe_plain": ("the-cafe-report", "Square report",
                       "Everyone talks about the cafe quixotl and its terrace.", "", "news", AUTHOR),
        "phrase": ("brumble-one", "Weather notes", "Yesterday the brumble vortex appeared over the bay.", "",
                   "news", AUTHOR),
        "phrase_rev": ("brumble-two", "More weather notes", "A vortex of brumble, they said, is rare.", "",
                       "news", AUTHOR),
        "markup": ("glimmerfax-notes", "Glimmerfax <img src=x onerror=alert(1)> notes",
                   "The glimmerfax page shows `<script>alert(1)</script>` as code.", "", "news", AUTHOR),
        "edit": ("editable-piece", "Wobblefrond in the headline", "Nothing much here.", "", "news", AUTHOR),
        "gone": ("withdrawn-piece", "Snorkelquist returns", "A piece that will be withdrawn.", "", "news",
                 AUTHOR),
        "old": ("dated-piece", "Dated plinkerton story", "Written long ago.", "", "analysis", OTHER_AUTHOR),
    }
    paths = []
    for name, (slug, headline, body, dek, section, author) in arts.items():
        extra = "publish_at: 2024-03-10T12:00:00Z\n" if name == "old" else ""
        paths.append(article(d, slug, headline, body, dek, section, author, extra))
    # 25 articles sharing a word, for paging
    for i in range(25):
        paths.append(article(d, f"pageword-{i:02d}", f"Pagewordix number {i}", f"Body {i} of the pagewordix run."))
    mh("article", "add", "--site", site, "--dir", d)
    return {name: v[0] for name, v in arts.items()}


def api(srv, q, **params):
    query = urllib.parse.urlencode({"q": q, **params})
    r = srv.get(f"/api/v1/search?{query}")
    return r, (json.loads(r.text()) if r.status in (200, 400) else None)


def slugs(srv, q, **params):
    r, body = api(srv, q, **params)
    if r.status != 200:
        raise CaseFailed(f"/api/v1/search q={q!r}: {r.status} {r.text()[:300]}")
    return [x["slug"] for x in body["results"]]


def page(srv, q, **params):
    query = urllib.parse.urlencode({"q": q, **params})
    return srv.get(f"/search?{query}")


HOSTILE = ['"zorblax', 'zorblax"', '"', '""', '" "', 'AND', 'OR', 'NOT', 'zorblax AND', 'OR zorblax', 'NOT zorblax',
           'zorblax NEAR(', 'NEAR(zorblax', 'NEAR(zorblax quay, 3)', '*', '**', '*zorblax', 'zorblax**', 'z*',
           '-zorblax', '+zorblax', 'zorblax -quay', 'headline:zorblax', '{headline}: zorblax', '^zorblax',
           'zorblax:*', "zorblax' OR '1'='1", "'; DROP TABLE articles; --", '\\', '\\"zorblax', '(zorblax',
           'zorblax)', '()', '&|!', ':', '%', '_', 'zorblax\x00', '\x01zorblax\x02', '\x1b[31mzorblax',
           'zorblax\tquay\r\n', '\u2028zorblax', '\ufeffzorblax', 'zorblax ' + 'x' * 3000, 'zorblax ' * 400,
           '"a b" "c', 'zörblax', 'ＺＯＲＢＬＡＸ', '\udcff']
# the queries above whose words (ignoring operators and symbols) are
# "zorblax" alone: each must find the headline article
FINDS_ZORBLAX = ['"zorblax', 'zorblax"', '*zorblax', 'zorblax**', '-zorblax', '+zorblax', '^zorblax', 'zorblax:*',
                 '(zorblax', 'zorblax)', 'zorblax\x00', '\x01zorblax\x02', '\u2028zorblax', '\ufeffzorblax']
# FTS5's column filter is two plain words here: "headline" is looked for too
FINDS_NOTHING = ['headline:zorblax', '{headline}: zorblax', 'NOT zorblax']


def cases(tag, site, srv, db_sql):
    s = fill(site)

    with t.case(f"{tag}a headline match ranks above a body-only match"):
        got = slugs(srv, "zorblax")
        t.eq(got[:2], [s["head"], s["body"]], "ranking")
        got = slugs(srv, "ZORBLAX")
        t.eq(got[:2], [s["head"], s["body"]], "case does not matter")

    with t.case(f"{tag}diacritics: café finds cafe, and cafe finds café"):
        for q in ("café quixotl", "cafe quixotl", "CAFÉ QUIXOTL"):
            got = set(slugs(srv, q))
            t.eq(got, {s["cafe_accent"], s["cafe_plain"]}, f"q={q!r}")

    with t.case(f"{tag}phrases keep their order; plain words do not"):
        t.eq(slugs(srv, '"brumble vortex"'), [s["phrase"]], "the phrase")
        t.eq(set(slugs(srv, "brumble vortex")), {s["phrase"], s["phrase_rev"]}, "both words")
        t.eq(slugs(srv, '"vortex brumble"'), [], "the other order is no phrase in either")

    with t.case(f"{tag}prefixes: brumb* finds brumble; brumb alone does not"):
        t.eq(set(slugs(srv, "brumb*")), {s["phrase"], s["phrase_rev"]})
        t.eq(slugs(srv, "brumb"), [])
        t.eq(slugs(srv, "zorbl* quay"), [s["head"], s["body"]], "a prefix beside a word")

    with t.case(f"{tag}snippets mark the matched words and escape the article's text"):
        r, body = api(srv, "glimmerfax")
        t.eq(r.status, 200)
        hit = body["results"][0]
        t.eq(hit["slug"], s["markup"])
        t.contains(hit["snippet_html"], "<mark>glimmerfax</mark>")
        t.absent(hit["snippet_html"], "<script")
        t.absent(hit["snippet_html"], "<img")
        t.contains(hit["snippet_text"], "glimmerfax")
        t.eq(hit["headline"], "Glimmerfax <img src=x onerror=alert(1)> notes", "JSON carries the text as it is")
        r = page(srv, "glimmerfax")
        html = r.text()
        t.eq(r.status, 200)
        t.contains(html, "<mark>glimmerfax</mark>")
        t.absent(html, "<script>alert")
        t.absent(html, "<img src=x")
        t.contains(html, "Glimmerfax &lt;img src=x onerror=alert(1)&gt; notes", "the headline escaped")
        if tag == "":
            # SQLite's snippet keeps the code's text, escaped (PostgreSQL's
            # ts_headline drops what looks like a tag from the snippet)
            t.contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;", "the body's <script> shown as text")
        page_ = harness.Page(html)
        t.true(any(h.startswith(f"/articles/{s['markup']}") for h in page_.hrefs()), "the headline links")

    with t.case(f"{tag}filters: section, author, date range"):
        t.eq(set(slugs(srv, "quixotl", section="analysis")), {s["cafe_accent"]}, "section")
        t.eq(set(slugs(srv, "quixotl", section="news")), {s["cafe_plain"]}, "section")
        t.eq(set(slugs(srv, "quixotl", author=OTHER_AUTHOR)), {s["cafe_accent"]}, "author")
        t.eq(slugs(srv, "plinkerton", **{"from": "2024-03-01", "to": "2024-03-31"}), [s["old"]], "in range")
        t.eq(slugs(srv, "plinkerton", **{"from": "2024-03-11"}), [], "after it")
        t.eq(slugs(srv, "plinkerton", to="2024-03-09"), [], "before it")
        t.eq(slugs(srv, "plinkerton", to="2024-03-10"), [s["old"]], "the last day is included")
        r = page(srv, "quixotl", section="analysis")
        t.contains(r.text(), '<option value="analysis" selected>', "the form keeps the filter")

    with t.case(f"{tag}pages of results: 20, then the rest, then nothing"):
        r, p1 = api(srv, "pagewordix")
        t.eq(len(p1["results"]), 20)
        t.eq(p1["next_page"], 2)
        r, p2 = api(srv, "pagewordix", page="2")
        t.eq(len(p2["results"]), 5)
        t.eq(p2["next_page"], None)
        both = [x["slug"] for x in p1["results"] + p2["results"]]
        t.eq(len(set(both)), 25, "no article twice, none left out")
        r, p3 = api(srv, "pagewordix", page="3")
        t.eq(p3["results"], [])
        html = page(srv, "pagewordix").text()
        t.contains(html, 'href="/search?q=pagewordix&amp;page=2"', "the page links the next")
        html = page(srv, "pagewordix", page="2").text()
        t.contains(html, 'href="/search?q=pagewordix"', "and the second the first")

    with t.case(f"{tag}every hostile query answers 200, as plain words"):
        for q in HOSTILE:
            qs = urllib.parse.quote(q, safe="", errors="surrogateescape")
            for path in (f"/search?q={qs}", f"/api/v1/search?q={qs}"):
                r = srv.get(path)
                t.eq(r.status, 200, f"{path[:80]!r}")
            r = srv.get(f"/api/v1/search?q={qs}")
            body = json.loads(r.text())
            if q in FINDS_ZORBLAX:
                got = [x["slug"] for x in body["results"]]
                t.eq(got[:2], [s["head"], s["body"]], f"q={q!r} finds zorblax")
            if q in FINDS_NOTHING:
                t.eq(body["results"], [], f"q={q!r}: every word is looked for")
        # the database still answers and holds every article
        t.eq(slugs(srv, "zorblax")[:1], [s["head"]])

    with t.case(f"{tag}bad filters: 400 saying which, the page and the API"):
        for params, word in (({"section": "nope"}, "section"), ({"author": "nobody"}, "author"),
                             ({"from": "yesterday"}, "from"), ({"to": "2024-13-01"}, "to"),
                             ({"from": "2024-05-01", "to": "2024-04-01"}, "from"), ({"page": "0"}, "page"),
                             ({"page": "51"}, "page"), ({"page": "x"}, "page")):
            r, body = api(srv, "zorblax", **params)
            t.eq(r.status, 400, f"{params}")
            t.true(body["error"].startswith(word + ":"), f"{params}: {body}")
            r = page(srv, "zorblax", **params)
            t.eq(r.status, 400, f"page {params}")
            t.contains(r.text(), 'class="search-error"')

    with t.case(f"{tag}the index follows edit, withdrawal and publishing again"):
        t.eq(slugs(srv, "wobblefrond"), [s["edit"]])
        mh("article", "show", "--site", site, s["edit"])
        shown = mh("article", "show", "--site", site, s["edit"]).stdout
        d = harness.tempdir()
        path = os.path.join(d, "edit.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write(shown.replace("Wobblefrond in the headline", "Quinklewort in the headline"))
        mh("article", "update", "--site", site, path)
        t.eq(slugs(srv, "quinklewort"), [s["edit"]], "the new word is found")
        t.eq(slugs(srv, "wobblefrond"), [], "the old one is not")
        t.eq(slugs(srv, "snorkelquist"), [s["gone"]])
        mh("article", "unpublish", "--site", site, s["gone"])
        t.eq(slugs(srv, "snorkelquist"), [], "a withdrawn article is gone")
        t.absent(page(srv, "snorkelquist").text(), s["gone"])
        mh("article", "publish", "--site", site, s["gone"])
        t.eq(slugs(srv, "snorkelquist"), [s["gone"]], "and back once published again")
        t.eq(db_sql(f"SELECT count(*) FROM article_search WHERE article_id = "
                    f"(SELECT id FROM articles WHERE slug = '{s['gone']}')"), "1")

    with t.case(f"{tag}/api/v1/search: stable field names"):
        r, body = api(srv, "zorblax")
        t.eq(r.header("content-type"), "application/json")
        t.eq(sorted(body), ["next_page", "page", "per_page", "query", "results"])
        t.eq(body["query"], "zorblax")
        t.eq((body["page"], body["per_page"]), (1, 20))
        hit = body["results"][0]
        t.eq(sorted(hit), ["authors", "dek", "headline", "id", "published_at", "section", "slug", "snippet_html",
                           "snippet_text", "url"])
        t.true(hit["url"].endswith(f"/articles/{s['head']}"), hit["url"])
        t.eq(sorted(hit["section"]), ["name", "slug"])
        t.eq(hit["section"]["slug"], "news")
        t.eq([a["slug"] for a in hit["authors"]], [AUTHOR])
        t.true(hit["published_at"].endswith("Z") and "T" in hit["published_at"], hit["published_at"])
        r, body = api(srv, "")
        t.eq((r.status, body["results"], body["next_page"]), (200, [], None), "no words: no results")

    with t.case(f"{tag}the page: form, results, no results, noindex, never cached"):
        r = page(srv, "zorblax")
        html = r.text()
        t.eq(r.header("cache-control"), "no-store")
        t.eq(r.header("x-robots-tag"), "noindex")
        t.contains(html, '<meta name="robots" content="noindex">')
        t.contains(html, '<label for="search-q">')
        t.contains(html, 'value="zorblax"')
        t.contains(html, 'class="search-result"')
        t.contains(html, f'href="/author/{AUTHOR}"', "the byline links")
        t.contains(html, "<time datetime=")
        r = page(srv, "nothingmatchesthisword")
        t.eq(r.status, 200)
        t.contains(r.text(), "No articles match")
        t.contains(srv.get("/").text(), 'action="/search"', "the header's search box")
        before = srv.get("/metrics").text()
        page(srv, "zorblax")
        page(srv, "zorblax")
        after = srv.get("/metrics").text()
        # not one more page: a result page never enters (another page may
        # leave meanwhile, e.g. when a demo article's publishing time comes)
        t.true(int(cache_pages(after)) <= int(cache_pages(before)),
               f"no result page entered the page cache: {cache_pages(before)} then {cache_pages(after)}")


def cache_pages(metrics):
    for line in metrics.splitlines():
        if line.startswith("masthead_page_cache_pages "):
            return line.split()[1]
    raise CaseFailed("no masthead_page_cache_pages in /metrics")


# ------------------------------------------------------------------ SQLite

try:
    site = harness.demo_site(BIN, articles=40)
    srv = harness.Server(BIN, site).start()
    db = harness.site_db_path(site)
    cases("", site, srv, lambda sql: str(list(harness.db_query(site, sql)[0].values())[0]))
except Exception as e:  # noqa: BLE001
    t.ok(False, "a demo site on SQLite", str(e))
finally:
    harness._cleanup()

# ------------------------------------------------------------------ PostgreSQL

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] search",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_search_{os.getpid()}"
    try:
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=40, database=url)
        srv = harness.Server(BIN, d).start()
        cases("[postgres] ", d, srv, lambda sql: harness.psql(sql, url))
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        harness._cleanup()
        harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])

t.done()
