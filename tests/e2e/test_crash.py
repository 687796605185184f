#!/usr/bin/env python3
"""E2E reliability: `kill -9` of the server during mixed writes on SQLite,
20 rounds. In each round writers add articles through the CLI (published
now, or scheduled a second ahead so that the server's job runner publishes
them), readers load pages, and the server is killed with SIGKILL at a
moment chosen by a seeded random generator. After each kill: PRAGMA
integrity_check is ok, every article the CLI acknowledged is there, and
every article the server logged as published ("published scheduled article
N", written after its commit) is published. At the end one more server
takes over the jobs the killed ones held (their leases run out) and
publishes every scheduled article that is due.
Usage: test_crash.py PATH/TO/masthead
"""
import datetime
import os
import random
import re
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
t = harness.TAP()
ROUNDS = 20
rng = random.Random(20261201)
try:
    SITE = harness.demo_site(BIN, articles=40, ini={("jobs", "lease"): "2", ("server", "access_log"): "false"})
except Exception as e:  # noqa: BLE001
    t.bail(f"cannot make a demo site: {e}")
DB = harness.site_db_path(SITE)
FILES = harness.tempdir()
PUBLISHED = re.compile(r"published scheduled article (\d+)")

acked = []          # slugs the CLI acknowledged (exit 0)
scheduled = set()   # of those, the ones scheduled
server_published = set()  # article ids the server logged as published


def integrity():
    con = sqlite3.connect(DB, timeout=30)
    try:
        return con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()


def writer(rnd, stop):
    i = 0
    while not stop.is_set():
        i += 1
        slug = f"crash-{rnd}-{i}"
        sched = i % 2 == 0
        extra = ""
        if sched:
            at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
            extra = f"publish_at: {at.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        path = os.path.join(FILES, f"{slug}.md")
        with open(path, "w") as f:
            f.write(f"---\nheadline: Crash round {rnd} write {i}\nslug: {slug}\nsection: news\n"
                    f"status: {'scheduled' if sched else 'published'}\n{extra}---\nBody {i}.\n")
        p = harness.run([BIN, "article", "add", "--site", SITE, path], timeout=60)
        if p.returncode == 0:
            acked.append(slug)
            if sched:
                scheduled.add(slug)
        elif "database" not in p.stderr:  # busy is fine; anything else is a failure
            raise RuntimeError(p.stderr)


def reader(srv, stop):
    n = 0
    while not stop.is_set():
        n += 1
        try:
            srv.get("/" if n % 2 else "/section/news")
        except Exception:  # noqa: BLE001  (the server dies under it)
            time.sleep(0.02)


for rnd in range(1, ROUNDS + 1):
    with t.case(f"round {rnd}: kill -9 during CLI writes and scheduled publishing; nothing acknowledged lost"):
        srv = harness.Server(BIN, SITE).start()
        stop = threading.Event()
        errors = []

        def guarded(fn, *a):
            try:
                fn(*a)
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=guarded, args=(writer, rnd, stop)),
                   threading.Thread(target=guarded, args=(writer, rnd + 1000, stop)),
                   threading.Thread(target=guarded, args=(reader, srv, stop))]
        for th in threads:
            th.start()
        time.sleep(0.6 + rng.random() * 1.2)
        srv.proc.kill()  # SIGKILL: no graceful anything
        srv.proc.wait()
        log = srv.stderr()
        srv.kill()
        stop.set()
        for th in threads:
            th.join(60)
        t.eq(errors, [], "writers and readers")
        server_published.update(int(x) for x in PUBLISHED.findall(log))
        t.eq(integrity(), [("ok",)])
        have = {r["slug"] for r in harness.db_query(SITE, "SELECT slug FROM articles WHERE slug LIKE 'crash-%'")}
        t.eq(sorted(set(acked) - have), [], "CLI-acknowledged articles missing")
        if server_published:
            ids = ",".join(str(i) for i in server_published)
            rows = harness.db_query(SITE, f"SELECT id, status FROM articles WHERE id IN ({ids})")
            t.eq(sorted(r["id"] for r in rows if r["status"] == "published"), sorted(server_published),
                 "articles the server logged as published")

with t.case(f"after {ROUNDS} kills: {len(acked)} acknowledged writes, and a new server publishes every due "
            "scheduled article (taking over the dead ones' jobs)"):
    t.true(len(acked) >= ROUNDS, f"writes happened ({len(acked)})")
    print(f"# {len(acked)} CLI writes acknowledged, {len(server_published)} publications by killed servers")
    srv = harness.Server(BIN, SITE).start()

    def pending():
        # every one is due by now or within a second of the last round
        rows = harness.db_query(SITE, "SELECT slug FROM articles WHERE status = 'scheduled' AND slug LIKE 'crash-%'")
        return True if not rows else f"{len(rows)} still scheduled"

    end = time.monotonic() + 60
    last = pending()
    while last is not True and time.monotonic() < end:
        time.sleep(0.2)
        last = pending()
    t.eq(last, True, "due scheduled articles")
    t.eq(srv.stop(), 0)
    t.eq(integrity(), [("ok",)])
    got = {r["slug"] for r in harness.db_query(SITE, "SELECT slug FROM articles WHERE status = 'published' "
                                                     "AND slug LIKE 'crash-%'")}
    t.eq(sorted(scheduled - got), [], "scheduled articles not published in the end")

t.done()
