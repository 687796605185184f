#!/usr/bin/env python3
"""E2E: authoring articles from files — `masthead article add|update FILE.md`
and `--dir DIR` — while a server runs: a new article shows on home, its
section front and its author page within a second; a changed one shows on
its page and every list that shows it, and nowhere stale; unpublish (410)
and publish; a bad file changes nothing and names FILE:LINE; --dir is
idempotent.
Usage: test_article_cli.py PATH/TO/masthead
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
try:
    SITE = harness.demo_site(BIN, articles=30)
    srv = harness.Server(BIN, SITE).start()
except Exception as e:
    t.bail(f"cannot start a demo site: {e}")

FILES = harness.tempdir()
STAMP = str(int(time.time()))
SLUG = f"e2e-lantern-row-{STAMP}"
AUTHOR = "dev-ramaswamy"
HEAD1 = f"Lantern Row lamps relit {STAMP}"
HEAD2 = f"Ferry strike averted {STAMP}"
URLS = [f"/articles/{SLUG}", "/", "/section/news", f"/author/{AUTHOR}"]


def mh(*args, timeout=60):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def article_file(headline, extra="", name=None, slug=SLUG, body=None, crlf=False):
    text = ("---\n"
            f"headline: {headline}\n"
            f"slug: {slug}\n"
            "dek: \"Night shift: the council's electricians\"\n"
            "section: news\n"
            f"authors: [{AUTHOR}]\n"
            "tags: Festivals, E2E Fresh Tag\n"
            "via: Harbour Radio <https://harbourradio.example.org/lamps>\n"
            "status: published\n"
            f"{extra}"
            "---\n"
            f"{body or 'The lamps on **Lantern Row** are on again.'}\n")
    if crlf:
        text = text.replace("\n", "\r\n")
    path = os.path.join(FILES, name or f"{slug}.md")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def text_of(path):
    r = srv.get(path)
    return r.status, harness.Page(r.text()).text if r.status == 200 else r.text()


def wait_for(what, check, timeout=2.0):
    """Polls check() (True when done) every 50 ms; returns the seconds it
    took, or fails the case with what."""
    start = time.monotonic()
    while True:
        last = check()
        if last is True:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise CaseFailed(f"not within {timeout}s: {what} ({last})")
        time.sleep(0.05)


def shows_everywhere(headline, absent=None):
    def check():
        for u in URLS:
            st, txt = text_of(u)
            if st != 200:
                return f"GET {u}: {st}"
            if headline not in txt:
                return f"GET {u} lacks {headline!r}"
            if absent and absent in txt:
                return f"GET {u} still shows {absent!r}"
        return True
    return check


def refuses(p, code, *needles, what=""):
    t.true(p.returncode == code, f"{what}: exit {p.returncode}, expected {code}; stderr {p.stderr!r}")
    for n in needles:
        t.true(n in p.stderr, f"{what}: stderr {p.stderr.strip()!r} does not name {n!r}")


with t.case("usage: add without a file, or with two, exits 2"):
    refuses(mh("article", "add", "--site", SITE), 2, "wrong number of arguments", what="add")
    refuses(mh("article", "update", "--site", SITE, "a.md", "b.md"), 2, what="update a b")
    refuses(mh("article", "add", "--site", SITE, "--dir", FILES, "x.md"), 2, what="add --dir D FILE")

with t.case("add: a new article shows on home, its section front and author page within 1 s"):
    for u in URLS[1:]:  # cached before the add
        st, txt = text_of(u)
        t.eq(st, 200, f"warm GET {u}")
        t.absent(txt, HEAD1, f"GET {u} before the add")
    t.eq(srv.get(URLS[0]).status, 404, "the article before it exists")
    path = article_file(HEAD1)
    p = mh("article", "add", "--site", SITE, path)
    t.eq(p.returncode, 0, f"add (stderr {p.stderr!r})")
    t.contains(p.stdout, f"added {SLUG}", "add's report")
    took = wait_for("the new headline on every page", shows_everywhere(HEAD1))
    print(f"# seen everywhere after {took:.2f}s")
    t.true(took <= 1.0, f"took {took:.2f}s")
    rows = harness.db_query(SITE, "SELECT headline, dek, status, via_name, via_url FROM articles WHERE slug = ?",
                            (SLUG,))
    t.eq(rows, [{"headline": HEAD1, "dek": "Night shift: the council's electricians", "status": "published",
                 "via_name": "Harbour Radio", "via_url": "https://harbourradio.example.org/lamps"}], "stored row")
    st, txt = text_of("/tag/e2e-fresh-tag")
    t.eq(st, 200, "the tag the file created")
    t.contains(txt, HEAD1, "its tag page")

with t.case("add: the same slug again is refused (use update) and changes nothing"):
    path = article_file(HEAD2)
    p = mh("article", "add", "--site", SITE, path)
    refuses(p, 1, f"{path}:3: slug:", f"slug '{SLUG}' already exists (use update)", what="add twice")
    t.eq(harness.db_query(SITE, "SELECT headline FROM articles WHERE slug = ?", (SLUG,))[0]["headline"], HEAD1)

with t.case("update: a changed headline shows on its page, home, its front and author page, nowhere stale"):
    for u in URLS:  # all cached with the old headline
        st, txt = text_of(u)
        t.eq(st, 200, f"warm GET {u}")
        t.contains(txt, HEAD1, f"GET {u} before the update")
    path = article_file(HEAD2)
    p = mh("article", "update", "--site", SITE, path)
    t.eq(p.returncode, 0, f"update (stderr {p.stderr!r})")
    t.contains(p.stdout, f"updated {SLUG}", "update's report")
    wait_for("the new headline everywhere and the old nowhere", shows_everywhere(HEAD2, absent=HEAD1))
    for u in ("/section/latest", "/tag/festivals"):
        st, txt = text_of(u)
        t.eq(st, 200, f"GET {u}")
        t.absent(txt, HEAD1, f"GET {u} (stale)")

with t.case("update: the same file again is reported unchanged (nothing saved)"):
    before = harness.db_query(SITE, "SELECT updated_at FROM articles WHERE slug = ?", (SLUG,))[0]
    n_changes = harness.db_query(SITE, "SELECT COUNT(*) AS n FROM changes")[0]["n"]
    p = mh("article", "update", "--site", SITE, os.path.join(FILES, f"{SLUG}.md"))
    t.eq(p.returncode, 0, f"update (stderr {p.stderr!r})")
    t.contains(p.stdout, f"unchanged {SLUG}", "report")
    t.eq(harness.db_query(SITE, "SELECT updated_at FROM articles WHERE slug = ?", (SLUG,))[0], before, "updated_at")
    t.eq(harness.db_query(SITE, "SELECT COUNT(*) AS n FROM changes")[0]["n"], n_changes, "change log entries")

with t.case("update: a bad file changes nothing and names FILE:LINE: key"):
    # a new headline on line 2, a bad status on line 10: the headline must not be saved
    path = article_file(f"Never saved {STAMP}", extra="staff_pick: maybe\n", name="bad.md")
    p = mh("article", "update", "--site", SITE, path)
    refuses(p, 1, f"{path}:10: staff_pick: expected true or false, got 'maybe'", what="bad boolean")
    path = article_file(f"Never saved {STAMP}", extra="publish_at: yesterday\n", name="bad.md")
    p = mh("article", "update", "--site", SITE, path)
    refuses(p, 1, f"{path}:10: publish_at:", what="bad date")
    path = article_file(f"Never saved {STAMP}", extra="section: video\n", name="bad.md")
    p = mh("article", "update", "--site", SITE, path)
    refuses(p, 1, f"{path}:10: section: given twice (first on line 5)", what="duplicate key")
    path = article_file(f"Never saved {STAMP}", extra="image: javascript:alert(1)\n", name="bad.md")
    p = mh("article", "update", "--site", SITE, path)
    refuses(p, 1, f"{path}:10: image:", what="bad image address")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"---\nheadline: Never saved {STAMP}\nslug: {SLUG}\nsection: news\nauthors: nobody-here\n---\nx\n")
    p = mh("article", "update", "--site", SITE, path)
    refuses(p, 1, f"{path}:5: authors: no author with slug 'nobody-here'", what="unknown author")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"---\nheadline: Never saved {STAMP}\nslug: {SLUG}\nsection: news\n\nThe body, no closing line\n")
    p = mh("article", "update", "--site", SITE, path)
    refuses(p, 1, f"{path}:1: the front matter that opens here has no closing '---' line", what="no closing")
    time.sleep(0.4)  # longer than the server's change-log interval
    for u in URLS:
        st, txt = text_of(u)
        t.eq(st, 200, f"GET {u}")
        t.contains(txt, HEAD2, f"GET {u} after the bad files")
        t.absent(txt, "Never saved", f"GET {u}")
    t.eq(harness.db_query(SITE, "SELECT headline, staff_pick FROM articles WHERE slug = ?", (SLUG,)),
         [{"headline": HEAD2, "staff_pick": 0}], "stored row")

with t.case("update: a slug that does not exist is refused (use add)"):
    path = article_file("Nothing here", slug=f"e2e-missing-{STAMP}")
    refuses(mh("article", "update", "--site", SITE, path), 1, f"{path}:3: slug:", "(use add)", what="update")
    t.eq(harness.db_query(SITE, "SELECT COUNT(*) AS n FROM articles WHERE slug = ?", (f"e2e-missing-{STAMP}",)),
         [{"n": 0}], "rows")
    os.remove(path)

with t.case("unpublish: the article answers 410 and leaves every list"):
    p = mh("article", "unpublish", "--site", SITE, SLUG)
    t.eq(p.returncode, 0, f"unpublish (stderr {p.stderr!r})")

    def gone():
        st = srv.get(URLS[0]).status
        if st != 410:
            return f"GET {URLS[0]}: {st}"
        for u in URLS[1:]:
            st, txt = text_of(u)
            if st != 200 or HEAD2 in txt:
                return f"GET {u}: {st}, still lists it: {HEAD2 in txt}"
        return True
    wait_for("410 and off the lists", gone)

with t.case("publish: it comes back on its page and every list"):
    p = mh("article", "publish", "--site", SITE, SLUG)
    t.eq(p.returncode, 0, f"publish (stderr {p.stderr!r})")
    wait_for("back everywhere", shows_everywhere(HEAD2))

DIR = os.path.join(harness.tempdir(), "desk")
os.makedirs(DIR)
DIR_SLUGS = [f"e2e-desk-{k}-{STAMP}" for k in ("a", "b", "c")]


def desk_file(k, headline, crlf=False):
    text = (f"---\nheadline: {headline}\nslug: {DIR_SLUGS[k]}\nsection: analysis\n"
            f"authors: mara-kestrel, jonah-pell\ntags: [Budget, \"Desk, Test\"]\nstatus: published\n"
            f"publish_at: 2026-01-0{k + 1} 09:30\n---\nDesk piece {k}.\n")
    if crlf:
        text = "\ufeff" + text.replace("\n", "\r\n")
    with open(os.path.join(DIR, f"{k}-{DIR_SLUGS[k]}.md"), "w", encoding="utf-8", newline="") as f:
        f.write(text)


with t.case("--dir: adds every *.md, in name order"):
    for k in range(3):
        desk_file(k, f"Desk story {k} {STAMP}", crlf=(k == 1))
    with open(os.path.join(DIR, "notes.txt"), "w") as f:
        f.write("not an article\n")
    p = mh("article", "add", "--site", SITE, "--dir", DIR)
    t.eq(p.returncode, 0, f"add --dir (stderr {p.stderr!r})")
    lines = [l for l in p.stdout.splitlines() if ": added " in l]
    t.eq(len(lines), 3, f"added lines in {p.stdout!r}")
    t.true(all(DIR_SLUGS[k] in lines[k] for k in range(3)), f"order: {lines}")
    t.contains(p.stdout, "3 added, 0 updated, 0 unchanged, 0 bad", "summary")
    rows = harness.db_query(SITE, "SELECT slug, published_at FROM articles WHERE slug LIKE ? ORDER BY slug",
                            (f"e2e-desk-%-{STAMP}",))
    t.eq(len(rows), 3, "rows")

with t.case("--dir run twice: the second run reports every file unchanged and saves nothing"):
    n_changes = harness.db_query(SITE, "SELECT COUNT(*) AS n FROM changes")[0]["n"]
    for cmd in ("add", "update"):
        p = mh("article", cmd, "--site", SITE, "--dir", DIR)
        t.eq(p.returncode, 0, f"{cmd} --dir (stderr {p.stderr!r})")
        t.eq(p.stdout.count(": unchanged "), 3, f"{cmd} --dir: {p.stdout!r}")
        t.contains(p.stdout, "0 added, 0 updated, 3 unchanged, 0 bad", "summary")
    t.eq(harness.db_query(SITE, "SELECT COUNT(*) AS n FROM changes")[0]["n"], n_changes, "change log entries")

with t.case("--dir: a changed file is updated, a bad one reported by FILE:LINE while the others go on (exit 1)"):
    desk_file(0, f"Desk story zero revised {STAMP}")
    bad = os.path.join(DIR, "9-bad.md")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("---\nheadline: Bad desk file\nsection: news\nstatus: live\n---\nx\n")
    p = mh("article", "update", "--site", SITE, "--dir", DIR)
    t.eq(p.returncode, 1, f"exit (stdout {p.stdout!r}, stderr {p.stderr!r})")
    t.contains(p.stderr, f"{bad}:4: status: expected draft, review, scheduled or published, got 'live'", "stderr")
    t.contains(p.stdout, f"updated {DIR_SLUGS[0]}", "stdout")
    t.contains(p.stdout, "0 added, 1 updated, 2 unchanged, 1 bad", "summary")
    t.eq(harness.db_query(SITE, "SELECT COUNT(*) AS n FROM articles WHERE headline = 'Bad desk file'"), [{"n": 0}])
    wait_for("the revised desk story on its page",
             lambda: f"Desk story zero revised {STAMP}" in text_of(f"/articles/{DIR_SLUGS[0]}")[1] or "not yet")

with t.case("--dir: a folder that does not exist is a runtime failure (exit 1)"):
    refuses(mh("article", "add", "--site", SITE, "--dir", os.path.join(DIR, "nope")), 1, "nope", what="--dir")

with t.case("published with a time to come: scheduled, and on the cached pages once that time passes"):
    later_slug = f"e2e-later-{STAMP}"
    later_head = f"Night market opens {STAMP}"
    for u in ("/", "/section/news"):
        t.absent(text_of(u)[1], later_head, f"GET {u} before")  # cached now
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
    path = article_file(later_head, extra=f"publish_at: {when}\n", slug=later_slug)
    p = mh("article", "add", "--site", SITE, path)
    t.eq(p.returncode, 0, f"add (stderr {p.stderr!r})")
    row = harness.db_query(SITE, "SELECT status FROM articles WHERE slug = ?", (later_slug,))
    t.eq(row, [{"status": "scheduled"}], "stored as scheduled")
    t.eq(srv.get(f"/articles/{later_slug}").status, 404, "not before its time")
    t.absent(text_of("/")[1], later_head, "home before its time")

    def on_both():
        for u in ("/", "/section/news", f"/articles/{later_slug}"):
            st, txt = text_of(u)
            if st != 200 or later_head not in txt:
                return f"GET {u}: {st}"
        return True
    wait_for("the scheduled article on home, its front and its page", on_both, timeout=10.0)

with t.case("show: every demo article round-trips (show, then update reports it unchanged)"):
    slugs = [r["slug"] for r in harness.db_query(SITE, "SELECT slug FROM articles ORDER BY id")]
    t.true(len(slugs) >= 30, f"{len(slugs)} articles")
    for slug in slugs:
        p = mh("article", "show", "--site", SITE, slug)
        t.eq(p.returncode, 0, f"show {slug}: {p.stderr!r}")
        path = os.path.join(FILES, "shown.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write(p.stdout)
        u = mh("article", "update", "--site", SITE, path)
        t.eq(u.returncode, 0, f"update from show {slug}: {u.stderr!r}")
        t.contains(u.stdout, "unchanged", f"update from show {slug}")

with t.case("show, edit, update: the edited headline is on the page"):
    slug = harness.db_query(SITE, "SELECT slug FROM articles WHERE status = 'published' "
                                  "ORDER BY published_at DESC LIMIT 1")[0]["slug"]
    old_head = harness.Page(srv.get(f"/articles/{slug}").text()).h1[0]
    p = mh("article", "show", "--site", SITE, slug)
    new_head = f"Edited from show {STAMP}"
    text = p.stdout.replace(f'headline: "{old_head}"', f'headline: "{new_head}"', 1) \
        if f'headline: "{old_head}"' in p.stdout else None
    t.true(text is not None, f"the shown file has the headline {old_head!r}: {p.stdout[:200]!r}")
    path = os.path.join(FILES, "edited.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    u = mh("article", "update", "--site", SITE, path)
    t.eq(u.returncode, 0, f"update: {u.stderr!r}")
    wait_for("the edited headline on its page",
             lambda: new_head in text_of(f"/articles/{slug}")[1] or "old headline")

with t.case("show: an unknown slug is an error naming it (exit 1)"):
    p = mh("article", "show", "--site", SITE, "no-such-article")
    refuses(p, 1, "no-such-article", what="show unknown")

with t.case("server exits 0 on SIGTERM"):
    t.eq(srv.stop(), 0, "exit code")

t.done()
