#!/usr/bin/env python3
"""E2E: redirects (issue 9). `masthead redirect add|list|remove` on a demo
site, answered by `masthead serve` over real sockets, on SQLite and on
PostgreSQL:
- exact rules (with and without the trailing '/'), prefix rules (longest
  wins, the rest appended), 301 and 302, "/?p=ID" on the home page, an
  absolute target; a rule never hides a page that exists;
- bad input is refused naming the argument (a FROM that is not a path, a
  loop, an unsafe TO, a bad status) and changes nothing stored;
- a rule added or removed while the server runs is followed (the change log);
  on PostgreSQL two nodes both follow it;
- 10,000 rules: loaded, every one answering, and a missing article with a
  rule costs the database no more statements than one without (counted by
  /metrics, no timing).
Usage: test_redirects.py PATH/TO/masthead
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
N_MANY = 10000


def cli(site, *args):
    return harness.run([BIN, "redirect", *args, "--site", site])


def location(srv, path, conn=None):
    r = srv.get(path, conn=conn)
    return r.status, r.header("location")


def statements(srv, route):
    r = srv.get("/metrics")
    m = re.search(r'^masthead_db_statements_total\{route="%s"\} (\d+)$' % re.escape(route), r.text(), re.M)
    return int(m.group(1)) if m else 0


def a_slug(db):
    return db("SELECT slug FROM articles WHERE status = 'published' ORDER BY id LIMIT 1")


def cases(tag, site, srvs, db, insert_many):
    """Every case on one site; srvs: the nodes serving it (the first gets
    the checks that need one)."""
    srv = srvs[0]
    slug = a_slug(db)

    def count_rules():
        return int(db("SELECT count(*) FROM redirects"))

    with t.case(f"{tag}add: exact, prefix, 302, absolute, /?p=ID; list shows them"):
        for args in (["/old-page", f"/articles/{slug}"], ["/blog/", "/section/"], ["/blog/2019/", "/articles/", "--prefix"],
                     ["/tmp-move", "/about", "--status", "302"], ["/away", "https://example.org/x"],
                     ["/?p=123", f"/articles/{slug}"]):
            if args[0] == "/blog/":
                args = args + ["--prefix"]
            p = cli(site, "add", *args)
            t.eq(p.returncode, 0, f"redirect add {args}: {p.stderr}")
        p = cli(site, "list")
        t.eq(p.returncode, 0, p.stderr)
        rows = [l.split("\t") for l in p.stdout.splitlines()]
        t.eq(len(rows), 6)
        t.true(["/blog/2019/", "/articles/", "301", "prefix"] in rows, rows)
        t.true(["/tmp-move", "/about", "302", "exact"] in rows, rows)
        t.contains(p.stderr, "6 redirects")

    with t.case(f"{tag}every node answers the new rules (change log)"):
        for s in srvs:
            # the rule added last: once it answers, every earlier one is loaded
            harness.wait_for(lambda s=s: location(s, "/?p=123")[0] == 301 or location(s, "/?p=123"), 15,
                             "the rules reaching the node")
            t.eq(location(s, "/old-page"), (301, f"/articles/{slug}"), "/old-page")
            t.eq(location(s, "/old-page/"), (301, f"/articles/{slug}"), "the trailing-slash spelling")
            t.eq(location(s, "/blog/x"), (301, "/section/x"))
            t.eq(location(s, "/blog/2019/my-post"), (301, "/articles/my-post"), "the longest prefix wins")
            t.eq(location(s, "/tmp-move"), (302, "/about"))
            t.eq(location(s, "/away"), (301, "https://example.org/x"))
            t.eq(location(s, "/?p=123"), (301, f"/articles/{slug}"), "/?p=123")
            t.eq(s.get("/?p=124").status, 200, "the home page with another query")
            t.eq(s.get("/blog").status, 404, "a prefix matches only what starts with it")

    with t.case(f"{tag}a rule never hides a page that exists"):
        p = cli(site, "add", f"/articles/{slug}", "/about")
        t.eq(p.returncode, 0, p.stderr)
        # a second rule after it: once that one answers, the first is loaded
        t.eq(cli(site, "add", "/probe-hide", "/about").returncode, 0)
        harness.wait_for(lambda: location(srv, "/probe-hide")[0] == 301, 15, "the rules reaching the node")
        t.eq(srv.get(f"/articles/{slug}").status, 200)
        t.eq(cli(site, "remove", f"/articles/{slug}").returncode, 0)

    with t.case(f"{tag}bad input names the argument and changes nothing"):
        before = db("SELECT count(*) || ':' || coalesce(max(to_url), '') FROM redirects")
        bad = [
            (["add", "old-page", "/x"], "FROM: must be a path"),
            (["add", "https://evil.example/", "/x"], "FROM: must be a path"),
            (["add", "//evil.example/x", "/x"], "FROM: must be a path"),
            (["add", "/a b", "/x"], "FROM: must not contain spaces"),
            (["add", "/loop", "/loop"], "TO: is the same as FROM"),
            (["add", "/pre/", "/pre/inner", "--prefix"], "TO: starts with the prefix FROM"),
            (["add", "/x", "javascript:alert(1)"], "TO: must be an http:// or https:// address"),
            (["add", "/x", "data:text/html,<script>"], "TO: must"),
            (["add", "/x", "/y\"><script>"], "TO: must not contain"),
            (["add", "/x", "/y", "--status", "303"], "--status: expected 301 or 302"),
            (["add", "/only-one"], "expected FROM TO"),
            (["remove", "/never-added"], "FROM: no redirect from '/never-added'"),
            (["frobnicate"], "unknown command"),
        ]
        for args, want in bad:
            p = cli(site, *args)
            t.true(p.returncode != 0, f"{args} accepted: {p.stdout}")
            t.contains(p.stderr, want, f"{args}")
        # a loop through another rule: /old-page -> /articles/SLUG, so a
        # rule from /articles/SLUG back to /old-page would never end
        p = cli(site, "add", f"/articles/{slug}", "/old-page")
        t.eq(p.returncode, 2)
        t.contains(p.stderr, "TO: leads back to FROM")
        t.eq(db("SELECT count(*) || ':' || coalesce(max(to_url), '') FROM redirects"), before)

    with t.case(f"{tag}a removed rule is gone on every node"):
        t.eq(cli(site, "remove", "/tmp-move").returncode, 0)
        for s in srvs:
            harness.wait_for(lambda s=s: s.get("/tmp-move").status == 404, 15, "the removal reaching the node")

    with t.case(f"{tag}{N_MANY} rules: loaded, every one answers, a miss costs no statement more"):
        before = count_rules()
        insert_many(N_MANY)
        p = cli(site, "add", "/many-last", "/about")  # logs the change: every node loads them all
        t.eq(p.returncode, 0, p.stderr)
        total = count_rules()
        t.eq(total, before + N_MANY + 1)
        for s in srvs:
            harness.wait_for(lambda s=s: location(s, "/many-last")[0] == 301, 20, "the rules reaching the node")
        conn = srv.conn()
        wrong = []
        for i in range(N_MANY):
            got = location(srv, f"/many/{i}", conn)
            if got != (301, f"/articles/target-{i}"):
                wrong.append((i, got))
        conn.close()
        t.eq(wrong[:5], [], f"{len(wrong)} of {N_MANY} rules answered wrong")
        # a missing article's page: the same statements with or without a rule
        gone_with = f"/articles/gone-with-rule"
        t.eq(cli(site, "add", gone_with, "/about").returncode, 0)
        harness.wait_for(lambda: location(srv, gone_with)[0] == 301, 15, "the rule reaching the node")
        s0 = statements(srv, "/articles/")
        t.eq(location(srv, gone_with), (301, "/about"))
        s1 = statements(srv, "/articles/")
        t.eq(srv.get("/articles/gone-without-rule").status, 404)
        s2 = statements(srv, "/articles/")
        t.eq(s1 - s0, s2 - s1, "statements of a redirected miss vs a plain 404")
        p = cli(site, "list")
        t.eq(len(p.stdout.splitlines()), total + 1)
        t.contains(p.stderr, f"{total + 1} redirects")


# ------------------------------------------------------------------ SQLite

try:
    site = harness.demo_site(BIN, articles=8)
    srv = harness.Server(BIN, site).start()

    def sq(sql):
        rows = harness.db_query(site, sql)
        return list(rows[0].values())[0] if rows else None

    def sq_many(n):
        harness.db_write(site, "DELETE FROM redirects WHERE from_path LIKE '/many/%'")
        import sqlite3
        con = sqlite3.connect(harness.site_db_path(site), timeout=10)
        con.executemany("INSERT INTO redirects(from_path, to_url, status, prefix, created_at) VALUES (?, ?, 301, 0, 0)",
                        [(f"/many/{i}", f"/articles/target-{i}") for i in range(n)])
        con.commit()
        con.close()

    cases("", site, [srv], sq, sq_many)
    with t.case("the server stops cleanly"):
        t.eq(srv.stop(), 0)
except Exception as e:  # noqa: BLE001
    t.ok(False, "a demo site on SQLite", str(e))

# ------------------------------------------------------------------ PostgreSQL: two nodes

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] redirects on two nodes",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    name = f"mh_redirects_{os.getpid()}"
    try:
        url = harness.pg_new_db(PG, name)
        d = harness.demo_site(BIN, articles=8, database=url)
        a = harness.Server(BIN, d).start()
        b = harness.Server(BIN, d).start()

        def pq(sql):
            return harness.psql(sql, url)

        def pq_many(n):
            pq("INSERT INTO redirects(from_path, to_url, status, prefix, created_at)"
               f" SELECT '/many/' || i, '/articles/target-' || i, 301, 0, 0 FROM generate_series(0, {n - 1}) i")

        cases("[postgres] ", d, [a, b], pq, pq_many)
        with t.case("[postgres] both servers stop cleanly"):
            t.eq(a.stop(), 0)
            t.eq(b.stop(), 0)
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        harness._cleanup()
        harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])

t.done()
