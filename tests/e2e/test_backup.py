#!/usr/bin/env python3
"""E2E: `masthead backup` and `masthead restore`. A backup taken while the
server serves and writers add articles through the CLI holds every write
acknowledged before the backup began (and, one writer at a time, no write
without the ones before it: one snapshot), passes PRAGMA integrity_check
and serves again after restore; media/ and site.ini come with it. Bad
arguments and folders are refused with exit codes 1/2 and change nothing;
a damaged backup replaces nothing. The same on PostgreSQL (pg_dump and
pg_restore against the test cluster) when MASTHEAD_TEST_PG_URL is set.
Usage: test_backup.py PATH/TO/masthead
"""
import os
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = harness.binary_from_argv()
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
t = harness.TAP()
STAMP = str(os.getpid())
TMP = harness.tempdir()


def mh(*args, env=None, timeout=120):
    try:
        return harness.run([BIN, *args], timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


class Writers:
    """n threads, each adding articles through `masthead article add` one
    after another and recording (slug, monotonic time of the answer) for
    each one acknowledged (exit 0)."""

    def __init__(self, site, n, prefix, env=None):
        self.site, self.prefix, self.env = site, prefix, env
        self.stop = threading.Event()
        self.acked = [[] for _ in range(n)]
        self.failed = []
        self.threads = [threading.Thread(target=self.run, args=(w,), daemon=True) for w in range(n)]

    def run(self, w):
        i = 0
        while not self.stop.is_set():
            i += 1
            slug = f"{self.prefix}-{w}-{i}"
            path = os.path.join(TMP, f"{slug}.md")
            with open(path, "w") as f:
                f.write(f"---\nheadline: Backup load {w} {i}\nslug: {slug}\nsection: news\n"
                        f"status: published\n---\nWritten under load, {i}.\n")
            p = harness.run([BIN, "article", "add", "--site", self.site, path], timeout=120, env=self.env)
            if p.returncode == 0:
                self.acked[w].append((slug, time.monotonic()))
            else:
                self.failed.append(p.stderr.strip())

    def start(self):
        for th in self.threads:
            th.start()
        return self

    def finish(self):
        self.stop.set()
        for th in self.threads:
            th.join(120)

    def acked_before(self, t0):
        return {s for lst in self.acked for s, at in lst if at < t0}

    def check_snapshot(self, present):
        """Every write acknowledged before the backup is in it, and each
        writer's writes in it are a prefix of its sequence."""
        for w, lst in enumerate(self.acked):
            seq = [s for s, _ in lst]
            got = [s for s in seq if s in present]
            if got != seq[:len(got)]:
                raise CaseFailed(f"writer {w}: the backup holds {got[-3:]} but not all writes before them "
                                 "(not one snapshot)")


def wait_acked(writers, n, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if sum(len(a) for a in writers.acked) >= n:
            return
        if writers.failed:
            raise CaseFailed(f"a write failed: {writers.failed[0]}")
        time.sleep(0.05)
    raise CaseFailed(f"fewer than {n} writes acknowledged within {seconds}s")


def integrity(db):
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()


def slugs(db, prefix):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return {r[0] for r in con.execute("SELECT slug FROM articles WHERE slug LIKE ?", (prefix + "%",))}
    finally:
        con.close()


# ---------------------------------------------------------------- SQLite

try:
    SITE = harness.demo_site(BIN, articles=400)
    os.makedirs(os.path.join(SITE, "media", "2026"), exist_ok=True)
    with open(os.path.join(SITE, "media", "2026", "ferry.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    srv = harness.Server(BIN, SITE).start()
except Exception as e:  # noqa: BLE001
    t.bail(f"cannot start a demo site: {e}")

BK = os.path.join(TMP, "bk")
RS = os.path.join(TMP, "restored")
W = None
T0 = None

with t.case("backup while the server serves and two CLI writers write: exit 0, backup.ini, database, media, site.ini"):
    W = Writers(SITE, 2, f"bk-{STAMP}").start()
    wait_acked(W, 6)
    reads = {"n": 0}

    def reader():
        while not W.stop.is_set():
            if srv.get("/").status == 200:
                reads["n"] += 1

    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    T0 = time.monotonic()
    p = mh("backup", BK, "--site", SITE)
    wait_acked(W, sum(len(a) for a in W.acked) + 2)  # writes went on after it
    W.finish()
    rt.join(30)
    t.eq(p.returncode, 0, p.stderr)
    t.contains(p.stdout, "backed up")
    for name in ("backup.ini", "masthead.db", "site.ini", "media/2026/ferry.jpg"):
        t.true(os.path.exists(os.path.join(BK, name)), f"{name} in the backup")
    t.true(not os.path.exists(os.path.join(BK, "masthead.db-wal")), "one self-contained database file")
    t.true(reads["n"] > 0, "the server answered during the backup")
    print(f"# {sum(len(a) for a in W.acked)} writes acknowledged, {len(W.acked_before(T0))} before the backup")

with t.case("the backup holds every write acknowledged before it began, as one snapshot; integrity ok"):
    db = os.path.join(BK, "masthead.db")
    t.eq(integrity(db), [("ok",)])
    present = slugs(db, f"bk-{STAMP}")
    missing = W.acked_before(T0) - present
    t.eq(sorted(missing), [], "acknowledged writes missing from the backup")
    W.check_snapshot(present)
    ini = open(os.path.join(BK, "backup.ini")).read()
    con = sqlite3.connect(db)
    n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    t.contains(ini, f"rows.articles = {n}\n")
    t.contains(ini, "backend = sqlite\n")

with t.case("restore into a new folder: the same rows, integrity ok, media and site.ini, and it serves"):
    p = mh("restore", BK, "--site", RS)
    t.eq(p.returncode, 0, p.stderr)
    t.contains(p.stdout, "integrity check ok")
    db = os.path.join(RS, "masthead.db")
    t.eq(integrity(db), [("ok",)])
    t.eq(slugs(db, f"bk-{STAMP}"), slugs(os.path.join(BK, "masthead.db"), f"bk-{STAMP}"))
    t.eq(open(os.path.join(RS, "site.ini")).read(), open(os.path.join(SITE, "site.ini")).read())
    t.eq(open(os.path.join(RS, "media", "2026", "ferry.jpg"), "rb").read(),
         open(os.path.join(SITE, "media", "2026", "ferry.jpg"), "rb").read())
    one = sorted(W.acked_before(T0))[0]
    s2 = harness.Server(BIN, RS).start()
    try:
        t.eq(s2.get(f"/articles/{one}").status, 200, "an acknowledged article on the restored site")
        t.eq(s2.get("/media/2026/ferry.jpg").status, 200)
    finally:
        t.eq(s2.stop(), 0)

with t.case("restore refuses a folder that is not empty without --force (exit 1), and changes nothing"):
    before = open(os.path.join(RS, "masthead.db"), "rb").read()
    p = mh("restore", BK, "--site", RS)
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "not empty")
    t.contains(p.stderr, "--force")
    t.eq(open(os.path.join(RS, "masthead.db"), "rb").read(), before)

with t.case("restore --force replaces a site: rows written after the backup are gone, the backup's are back"):
    harness.db_write(RS, "DELETE FROM article_tags")
    harness.db_write(RS, "DELETE FROM article_authors")
    harness.db_write(RS, "DELETE FROM articles")
    with open(os.path.join(RS, "media", "stray.txt"), "w") as f:
        f.write("added after")
    p = mh("restore", BK, "--site", RS, "--force")
    t.eq(p.returncode, 0, p.stderr)
    t.eq(slugs(os.path.join(RS, "masthead.db"), f"bk-{STAMP}"), slugs(os.path.join(BK, "masthead.db"), f"bk-{STAMP}"))
    t.true(not os.path.exists(os.path.join(RS, "media", "stray.txt")), "media/ is the backup's")

with t.case("a damaged backup database is refused (exit 1) and replaces nothing, even with --force"):
    bad = os.path.join(TMP, "bad")
    p = mh("backup", bad, "--site", SITE)
    t.eq(p.returncode, 0, p.stderr)
    db = os.path.join(bad, "masthead.db")
    with open(db, "r+b") as f:  # scribble over pages in the middle of the file
        size = os.path.getsize(db)
        f.seek(size // 2)
        f.write(b"\x00garbage\xff" * 2048)
    before = open(os.path.join(RS, "masthead.db"), "rb").read()
    p = mh("restore", bad, "--site", RS, "--force")
    t.eq(p.returncode, 1, p.stdout)
    t.contains(p.stderr, "nothing was replaced")
    t.eq(open(os.path.join(RS, "masthead.db"), "rb").read(), before, "the site's database is untouched")
    t.eq(integrity(os.path.join(RS, "masthead.db")), [("ok",)])

with t.case("usage and folder errors: exit 2 for usage, 1 for a bad folder, clear messages"):
    p = mh("backup")
    t.eq(p.returncode, 2)
    t.contains(p.stderr, "which folder")
    p = mh("backup", "a", "b", "--site", SITE)
    t.eq(p.returncode, 2)
    t.contains(p.stderr, "unexpected argument 'b'")
    p = mh("restore", BK, "--bogus")
    t.eq(p.returncode, 2)
    t.contains(p.stderr, "--bogus")
    p = mh("backup", BK, "--site", SITE)
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "not empty")
    p = mh("backup", os.path.join(TMP, "x"), "--site", os.path.join(TMP, "no-site"))
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "no site here")
    t.true(not os.path.exists(os.path.join(TMP, "x")), "no backup folder left by a failed backup")
    p = mh("restore", SITE, "--site", os.path.join(TMP, "r2"))
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "not a masthead backup")
    p = mh("restore", os.path.join(TMP, "nothing-here"), "--site", os.path.join(TMP, "r3"))
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "no such folder")
    for cmd in ("backup", "restore"):
        p = mh(cmd, "--help")
        t.eq(p.returncode, 0)
        t.contains(p.stdout, f"usage: masthead {cmd}")
    p = mh("--help")
    t.contains(p.stdout, "backup")
    t.contains(p.stdout, "restore")

with t.case("the server kept serving through it all and stops gracefully"):
    t.eq(srv.get("/").status, 200)
    t.eq(srv.stop(), 0)

# ---------------------------------------------------------------- PostgreSQL

if not PG:
    why = "MASTHEAD_TEST_PG_URL not set: the PostgreSQL backup cases did NOT run (use scripts/run-tests)"
    t.ok(False, "backup and restore on PostgreSQL", why)
    t.done()

BASE = PG.rsplit("/", 1)[0]


def psql(sql, db=PG):
    return harness.psql(sql, db)


def new_db(name):
    return harness.pg_new_db(PG, name)


with t.case("PostgreSQL: backup under write load (pg_dump), restore into another database (pg_restore): "
            "every acknowledged write, one snapshot"):
    src_db = new_db(f"mh_bk_src_{STAMP}")
    dst_db = new_db(f"mh_bk_dst_{STAMP}")
    psite = os.path.join(TMP, "pgsite")
    p = mh("demo", "--articles", "60", "--database", src_db, psite, timeout=300)
    t.eq(p.returncode, 0, p.stderr)
    ps = harness.Server(BIN, psite).start()
    PW = Writers(psite, 2, f"pgbk-{STAMP}").start()
    wait_acked(PW, 6)
    t0 = time.monotonic()
    pbk = os.path.join(TMP, "pgbk")
    p = mh("backup", pbk, "--site", psite)
    wait_acked(PW, sum(len(a) for a in PW.acked) + 2)
    PW.finish()
    t.eq(p.returncode, 0, p.stderr)
    t.true(os.path.getsize(os.path.join(pbk, "database.pgdump")) > 0, "a dump file")
    t.contains(open(os.path.join(pbk, "backup.ini")).read(), "backend = postgres\n")
    env = dict(os.environ, MASTHEAD_DATABASE_URL=dst_db)
    p = mh("restore", pbk, "--site", os.path.join(TMP, "pgrestored"), env=env)
    t.eq(p.returncode, 0, p.stderr)
    present = set(psql(f"SELECT slug FROM articles WHERE slug LIKE 'pgbk-{STAMP}-%'", dst_db).split())
    t.eq(sorted(PW.acked_before(t0) - present), [], "acknowledged writes missing from the restored database")
    PW.check_snapshot(present)
    t.eq(psql("SELECT count(*) FROM sections", dst_db), psql("SELECT count(*) FROM sections", src_db))
    os.environ["MASTHEAD_DATABASE_URL"] = dst_db  # the server of the restored site reads it
    try:
        rs = harness.Server(BIN, os.path.join(TMP, "pgrestored")).start()
    finally:
        del os.environ["MASTHEAD_DATABASE_URL"]
    try:
        one = sorted(PW.acked_before(t0))[0]
        t.eq(rs.get(f"/articles/{one}").status, 200)
    finally:
        t.eq(rs.stop(), 0)
    t.eq(ps.stop(), 0)

with t.case("PostgreSQL: restore into a database holding a site is refused without --force, done with it"):
    env = dict(os.environ, MASTHEAD_DATABASE_URL=dst_db)
    target = os.path.join(TMP, "pgrestored2")
    p = mh("restore", pbk, "--site", target, env=env)
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "--force")
    before = psql("SELECT count(*) FROM articles", dst_db)
    psql(f"DELETE FROM article_tags; DELETE FROM article_authors; DELETE FROM articles WHERE slug LIKE 'pgbk-{STAMP}-%'",
         dst_db)
    p = mh("restore", pbk, "--site", target, "--force", env=env)
    t.eq(p.returncode, 0, p.stderr)
    t.eq(psql("SELECT count(*) FROM articles", dst_db), before)

t.done()
