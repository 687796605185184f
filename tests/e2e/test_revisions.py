#!/usr/bin/env python3
"""E2E: an article's history (issue 7), on SQLite and on PostgreSQL, with a
server running: `masthead article revisions`, `diff` and `restore` (every
save keeps a revision; a restore is a new save the pages show within a
second); a renamed published article's old addresses answer 301 to where
it is now, through a chain of renames, and a new article taking an old slug
wins; an article in review is never public; bad arguments are refused with
the argument named and change nothing.

PostgreSQL comes from scripts/pg-test (MASTHEAD_TEST_PG_URL): without it the
PostgreSQL cases FAIL, they are never skipped.
Usage: test_revisions.py PATH/TO/masthead
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
STAMP = str(os.getpid())
t = harness.TAP()


def mh(*args, timeout=120):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def wait_for(fn, what, seconds=5):
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        last = fn()
        if last is True:
            return
        time.sleep(0.05)
    raise CaseFailed(f"{what}: not within {seconds}s (last: {last})")


psql = harness.psql


def revision_ids(site, slug):
    """The ids `article revisions` lists, newest first, and its lines."""
    p = mh("article", "revisions", "--site", site, slug)
    if p.returncode != 0:
        raise CaseFailed(f"article revisions {slug}: exit {p.returncode}: {p.stderr}")
    lines = p.stdout.strip().splitlines()
    if not lines or not lines[0].startswith("ID"):
        raise CaseFailed(f"no header line: {p.stdout[:200]!r}")
    return [int(l.split()[0]) for l in lines[1:]], lines[1:]


def esc(s):
    """As the templates escape HTML text."""
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def aid_of(srv, slug):
    """An article's id: its Continue Reading batch (/stream/SLUG) names the
    article it follows first among its keys."""
    keys = (srv.get(f"/stream/{slug}").header("surrogate-key") or "").split()
    firsts = [k for k in keys if k.startswith("article:")]
    if not firsts:
        raise CaseFailed(f"/stream/{slug} names no article key: {keys}")
    return firsts[0].split(":")[1]


def write_file(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def scenario(backend, site):
    """Every case on one site; names carry the backend."""
    files = harness.tempdir()
    srv = harness.Server(BIN, site).start()
    p = mh("article", "list", "--site", site, "--status", "published")
    slug = p.stdout.splitlines()[0].split()[3]
    shown = mh("article", "show", "--site", site, slug).stdout
    old_headline = re.search(r'^headline: "(.*)"$', shown, re.M).group(1)
    new_headline = f"Rewritten on {backend} {STAMP}"
    state = {}

    with t.case(f"{backend}: an update keeps a revision, listed newest first with who saved it"):
        before, _ = revision_ids(site, slug)
        t.eq(len(before), 1, "the article's first revision (made when it was saved)")
        t.eq(srv.get(f"/articles/{slug}").status, 200)  # now in the page cache
        text = re.sub(r'^headline: ".*"$', f'headline: "{new_headline}"', shown, flags=re.M)
        text = text.rstrip("\n") + "\n\nA paragraph added by the e2e test.\n"
        p = mh("article", "update", "--site", site, write_file(files, "a.md", text))
        t.eq(p.returncode, 0, p.stderr)
        ids, lines = revision_ids(site, slug)
        t.eq(len(ids), 2, "\n".join(lines))
        t.true(ids[0] > ids[1], f"newest first: {ids}")
        t.contains(lines[0], "(command line)")
        t.contains(lines[0], new_headline)
        t.contains(lines[0], "published")
        t.contains(lines[1], old_headline)
        state["first"], state["second"] = ids[1], ids[0]
        wait_for(lambda: new_headline in srv.get(f"/articles/{slug}").text() or "old page", "the new headline shows")

    with t.case(f"{backend}: article diff shows what changed, field by field, the body by lines"):
        p = mh("article", "diff", "--site", site, slug, str(state["first"]), str(state["second"]))
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, f"--- revision {state['first']} (")
        t.contains(p.stdout, f"+++ revision {state['second']} (")
        t.contains(p.stdout, f"headline:\n-{old_headline}\n+{new_headline}\n")
        t.contains(p.stdout, "body:\n@@ ")
        t.contains(p.stdout, "\n+A paragraph added by the e2e test.\n")
        t.absent(p.stdout, "\nslug:", "the slug did not change")
        p = mh("article", "diff", "--site", site, slug, str(state["second"]), str(state["second"]))
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "(no differences)")

    with t.case(f"{backend}: restore brings the old text back as a new revision, on the page within a second"):
        p = mh("article", "restore", "--site", site, slug, str(state["first"]))
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, f"revision {state['first']} restored as revision ")
        ids, lines = revision_ids(site, slug)
        t.eq(len(ids), 3)
        t.contains(lines[0], f"[restored from {state['first']}]")
        t.contains(lines[0], old_headline)
        wait_for(lambda: (lambda b: esc(old_headline) in b and new_headline not in b)(
            srv.get(f"/articles/{slug}").text()) or "stale", "the restored headline shows")
        t.absent(srv.get(f"/articles/{slug}").text(), "A paragraph added by the e2e test.")

    with t.case(f"{backend}: renamed twice, both old addresses answer 301 to the current one"):
        s2, s3 = f"{slug[:60]}-two", f"{slug[:60]}-three"
        p = mh("article", "rename", "--site", site, slug, s2)
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "answers 301")
        p = mh("article", "rename", "--site", site, s2, s3)
        t.eq(p.returncode, 0, p.stderr)
        for old in (slug, s2):
            def moved(old=old):
                r = srv.get(f"/articles/{old}")
                return (r.status, r.header("location")) == (301, f"/articles/{s3}") or (r.status, r.header("location"))
            wait_for(moved, f"/articles/{old} -> 301")
        r = srv.get(f"/articles/{s3}")
        t.eq(r.status, 200)
        t.contains(r.text(), esc(old_headline))
        # a cache in front keeps the 301 until a change names one of its
        # keys: the article's own (renamed, withdrawn) and home (any save,
        # such as a new article taking the old slug)
        own = f"article:{aid_of(srv, s3)}"
        moved_keys = (srv.get(f"/articles/{slug}").header("surrogate-key") or "").split()
        t.true(own in moved_keys and "home" in moved_keys, f"Surrogate-Key of the 301: {moved_keys}")
        t.eq(srv.get(f"/articles/{slug}-nothing-here").status, 404)
        state["s2"], state["s3"] = s2, s3

    with t.case(f"{backend}: a new article taking an old slug wins over the redirect"):
        head = f"A new piece at an old address {STAMP}"
        text = (f"---\nheadline: {head}\nslug: {slug}\nsection: news\nstatus: published\n---\nNew body.\n")
        p = mh("article", "add", "--site", site, write_file(files, "new.md", text))
        t.eq(p.returncode, 0, p.stderr)
        wait_for(lambda: srv.get(f"/articles/{slug}").status == 200 or srv.get(f"/articles/{slug}").status,
                 "the old slug is the new article's page")
        t.contains(srv.get(f"/articles/{slug}").text(), head)
        r = srv.get(f"/articles/{state['s2']}")
        t.eq((r.status, r.header("location")), (301, f"/articles/{state['s3']}"), "the other old slug still leads on")

    with t.case(f"{backend}: a withdrawn article's old address answers 410, not where it went"):
        p = mh("article", "unpublish", "--site", site, state["s3"])
        t.eq(p.returncode, 0, p.stderr)
        wait_for(lambda: srv.get(f"/articles/{state['s2']}").status == 410 or srv.get(f"/articles/{state['s2']}").status,
                 "410 at the old address")
        t.eq(srv.get(f"/articles/{state['s2']}").header("location"), None)

    with t.case(f"{backend}: an article in review is never public"):
        rslug = f"in-review-{STAMP}"
        head = f"Submitted for review {STAMP}"
        text = (f"---\nheadline: {head}\nslug: {rslug}\nsection: news\nstatus: review\n---\nDraft body.\n")
        p = mh("article", "add", "--site", site, write_file(files, "review.md", text))
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, "(review)")
        time.sleep(0.5)  # any page change would be out by now (the watcher polls every 250 ms)
        t.eq(srv.get(f"/articles/{rslug}").status, 404)
        t.eq(srv.get(f"/stream/{rslug}").status, 404)
        for page in ("/", "/section/news", "/section/latest"):
            t.absent(srv.get(page).text(), head, page)
        p = mh("article", "list", "--site", site, "--status", "review")
        t.eq(p.returncode, 0, p.stderr)
        t.contains(p.stdout, rslug)
        t.true(p.stdout.startswith("review "), p.stdout)
        p = mh("article", "show", "--site", site, rslug)
        t.contains(p.stdout, "status: review\n")
        t.absent(p.stdout, "publish_at")
        # a time for a piece in review is refused, naming the line; nothing changes
        bad = text.replace("status: review\n", "status: review\npublish_at: 2030-01-01\n").replace(head, head + " x")
        p = mh("article", "update", "--site", site, write_file(files, "review-bad.md", bad))
        t.eq(p.returncode, 1)
        t.contains(p.stderr, "review-bad.md:6: publish_at: an article in review has no publication time")
        t.contains(mh("article", "show", "--site", site, rslug).stdout, f'headline: "{head}"')
        # published by an editor: public at once
        p = mh("article", "publish", "--site", site, rslug)
        t.eq(p.returncode, 0, p.stderr)
        wait_for(lambda: srv.get(f"/articles/{rslug}").status == 200 or srv.get(f"/articles/{rslug}").status,
                 "published from review")

    with t.case(f"{backend}: bad arguments name the argument and change nothing"):
        n_before = len(revision_ids(site, state["s3"])[0])
        p = mh("article", "revisions", "--site", site, "no-such-article")
        t.eq(p.returncode, 1)
        t.contains(p.stderr, "SLUG: no article with slug 'no-such-article'")
        p = mh("article", "restore", "--site", site, state["s3"], "abc")
        t.eq(p.returncode, 2)
        t.contains(p.stderr, "REVISION_ID: expected a revision number")
        p = mh("article", "restore", "--site", site, state["s3"], "0")
        t.eq(p.returncode, 2)
        p = mh("article", "restore", "--site", site, state["s3"], "99999999")
        t.eq(p.returncode, 1)
        t.contains(p.stderr, "REVISION_ID: ")
        t.contains(p.stderr, "has no revision 99999999")
        # a revision of another article is not this one's
        other, _ = revision_ids(site, slug)
        p = mh("article", "restore", "--site", site, state["s3"], str(other[0]))
        t.eq(p.returncode, 1)
        t.contains(p.stderr, f"has no revision {other[0]}")
        p = mh("article", "diff", "--site", site, state["s3"], "1")
        t.eq(p.returncode, 2)
        t.contains(p.stderr, "wrong number of arguments")
        p = mh("article", "diff", "--site", site, state["s3"], "1", "x")
        t.eq(p.returncode, 2)
        t.contains(p.stderr, "REV_B: expected a revision number, got 'x'")
        p = mh("article", "rename", "--site", site, state["s3"], "Not A Slug")
        t.eq(p.returncode, 2)
        t.contains(p.stderr, "NEW_SLUG: 'Not A Slug' is not a slug")
        p = mh("article", "rename", "--site", site, state["s3"], slug)
        t.eq(p.returncode, 1)
        t.contains(p.stderr, f"slug '{slug}' is already used")
        t.eq(len(revision_ids(site, state["s3"])[0]), n_before, "no revision was added by the refusals")

    srv.stop()


with t.case("article --help lists the history commands"):
    p = mh("article", "--help")
    t.eq(p.returncode, 0, p.stderr)
    for cmd in ("revisions SLUG", "diff SLUG REV_A REV_B", "restore SLUG REVISION_ID", "rename SLUG NEW_SLUG"):
        t.contains(p.stdout, cmd)
    p = mh("article", "revisions", "--site", "/nonexistent-site-folder", "x")
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "/nonexistent-site-folder")

try:
    scenario("sqlite", harness.demo_site(BIN, articles=20))
except CaseFailed as e:
    t.ok(False, "sqlite: the scenario ran", str(e))
except Exception as e:
    t.ok(False, "sqlite: the scenario ran", repr(e))

with t.case("postgres: a cluster to run on (MASTHEAD_TEST_PG_URL from scripts/pg-test)"):
    t.true(PG != "", "MASTHEAD_TEST_PG_URL is not set: the PostgreSQL cases did NOT run "
                     "(scripts/run-tests starts a cluster; by hand: url=$(scripts/pg-test start build))")
if PG:
    db = f"mh_e2e_rev_{STAMP}"
    base = PG.rsplit("/", 1)[0]
    try:
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", PG)
        psql(f"CREATE DATABASE {db}", PG)
        site = os.path.join(harness.tempdir(), "site")
        p = mh("demo", "--articles", "20", "--database", f"{base}/{db}", site, timeout=300)
        if p.returncode != 0:
            raise CaseFailed(f"demo on PostgreSQL: {p.stderr}")
        scenario("postgres", site)
        psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", PG)
    except CaseFailed as e:
        t.ok(False, "postgres: the scenario ran", str(e))
    except Exception as e:
        t.ok(False, "postgres: the scenario ran", repr(e))

t.done()
