"""PostgreSQL end to end: a demo site on PostgreSQL, `masthead db copy` both
ways, two servers on one database seeing each other's changes within a
second, and a PostgreSQL restart under load (only 503s while it is down,
recovery by itself, no write answered with success lost). Needs the cluster
of scripts/pg-test (MASTHEAD_TEST_PG_URL, MASTHEAD_TEST_PG_STATE); without
it, fails (bails out): a suite that did not run on PostgreSQL did not pass."""

import os
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed  # noqa: E402

BIN = sys.argv[1]
PG = os.environ.get("MASTHEAD_TEST_PG_URL", "")
STATE = os.environ.get("MASTHEAD_TEST_PG_STATE", "")
PG_TEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "pg-test")
if not PG or not STATE:
    why = "MASTHEAD_TEST_PG_URL/MASTHEAD_TEST_PG_STATE not set: PostgreSQL e2e tests did NOT run (use scripts/run-tests)"
    print(f"Bail out! {why}")
    sys.exit(1)

t = harness.TAP()
STAMP = str(os.getpid())


def tiny_png(w, h):
    """A valid w x h grey PNG, made here (zlib and CRC from Python)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes((x * 5 + y * 3) % 256 for x in range(w)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
BASE = PG.rsplit("/", 1)[0]


def psql(sql, db=PG):
    return harness.psql(sql, db)


def new_db(name):
    return harness.pg_new_db(PG, name)


wait_for = harness.wait_for


def mh(*args, env=None, timeout=120):
    return harness.run([BIN] + list(args), timeout=timeout, env=env)


DEMO_DB = new_db(f"mh_e2e_demo_{STAMP}")
TMP = harness.tempdir()
SITE = os.path.join(TMP, "site")

with t.case("masthead demo --database postgres:// makes a site on PostgreSQL"):
    p = mh("demo", "--articles", "40", "--database", DEMO_DB, SITE, timeout=300)
    t.eq(p.returncode, 0, p.stderr)
    t.eq(harness.ini_get(os.path.join(SITE, "site.ini"), "database", "url"), DEMO_DB)
    t.eq(psql("SELECT count(*) FROM articles", DEMO_DB), "40")
    t.true(not os.path.exists(os.path.join(SITE, "masthead.db")), "no SQLite file was made")

with t.case("masthead init --database with PostgreSQL down fails clearly and leaves no site.ini"):
    d = os.path.join(TMP, "nowhere")
    p = mh("init", "--database", "postgres://masthead@127.0.0.1:1/x", d)
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "cannot connect")
    t.true(not os.path.exists(os.path.join(d, "site.ini")), "site.ini removed again")

with t.case("MASTHEAD_DATABASE_URL wins over site.ini"):
    other = os.path.join(TMP, "sqlite-site")
    p = mh("init", other)
    t.eq(p.returncode, 0, p.stderr)
    env = dict(os.environ, MASTHEAD_DATABASE_URL=DEMO_DB)
    p = mh("article", "list", "--site", other, env=env)
    t.eq(p.returncode, 0, p.stderr)
    t.true(len(p.stdout.strip().splitlines()) >= 40, f"the PostgreSQL articles are listed: {p.stdout[:300]!r}")

with t.case("db copy: SQLite -> PostgreSQL -> SQLite keeps every row"):
    sq = os.path.join(TMP, "sq")
    p = mh("demo", "--articles", "60", sq, timeout=300)
    t.eq(p.returncode, 0, p.stderr)
    src = os.path.join(sq, "masthead.db")
    # an uploaded image, whose bytes (and sizes) must make the trip too
    png = os.path.join(TMP, "dot.png")
    with open(png, "wb") as f:
        f.write(tiny_png(40, 30))
    p = mh("media", "add", "--site", sq, png, "--alt", "A dot")
    t.eq(p.returncode, 0, p.stderr)
    mid = new_db(f"mh_e2e_copy_{STAMP}")
    p = mh("db", "copy", "--from", f"sqlite:{src}", "--to", mid)
    t.eq(p.returncode, 0, p.stderr)
    t.contains(p.stdout, "articles")
    t.contains(p.stdout, "60 -> 60")
    back = os.path.join(TMP, "back.db")
    p = mh("db", "copy", "--from", mid, "--to", f"sqlite:{back}")
    t.eq(p.returncode, 0, p.stderr)
    a, b = sqlite3.connect(src), sqlite3.connect(back)
    # every table of the schema, so that a table a migration adds and db
    # copy leaves out shows here (schema_migrations is written by migrate)
    # (the search index's FTS5 tables are the engine's own storage, rebuilt
    # on the target from article_search: compared by what they find below)
    tables = [r[0] for r in a.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                      "'sqlite_%' AND name != 'schema_migrations' AND name NOT LIKE "
                                      "'article_search_fts%' ORDER BY name")]
    t.true(len(tables) >= 16, f"the schema's tables: {tables}")
    for table in tables:
        ra = sorted(a.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        rb = sorted(b.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        t.eq(len(rb), len(ra), f"{table} rows")
        t.true(ra == rb, f"{table}: rows differ after the round trip")
    # search (issue 9): the index on the copy finds what the source's does
    for word in ("the", "council", "archive"):
        q = "SELECT rowid FROM article_search_fts WHERE article_search_fts MATCH ? ORDER BY rowid"
        fa, fb = a.execute(q, (word,)).fetchall(), b.execute(q, (word,)).fetchall()
        t.true(len(fa) > 0, f"the source's index finds {word!r}")
        t.eq(fb, fa, f"the copy's index finds {word!r} in the same articles")
    n_pg = int(psql("SELECT count(*) FROM article_search WHERE doc @@ websearch_to_tsquery('masthead_search', "
                    "'council')", mid))
    (n_sq,) = a.execute("SELECT count(*) FROM article_search_fts WHERE article_search_fts MATCH 'council'").fetchone()
    t.eq(n_pg, n_sq, "PostgreSQL's index finds as many articles with 'council'")
    (n_media,) = a.execute("SELECT count(*) FROM media").fetchone()
    t.eq(n_media, 1, "the uploaded image was in the source")
    # ids continue after the copied ones on PostgreSQL
    t.eq(psql("SELECT nextval(pg_get_serial_sequence('articles', 'id')) > (SELECT max(id) FROM articles)", mid), "t")
    p = mh("db", "copy", "--from", f"sqlite:{src}", "--to", mid)
    t.eq(p.returncode, 1)
    t.contains(p.stderr, "target, table sections: holds")
    p = mh("db", "copy", "--from", f"sqlite:{src}", "--to", mid, "--force")
    t.eq(p.returncode, 0, p.stderr)
    p = mh("db", "copy", "--from", "nope", "--to", mid)
    t.eq(p.returncode, 2)
    t.contains(p.stderr, "--from: expected sqlite:PATH")

# ---- two servers on one database

SITE2 = os.path.join(TMP, "site2")
os.makedirs(SITE2)
with open(os.path.join(SITE, "site.ini")) as f:
    ini = f.read()
with open(os.path.join(SITE2, "site.ini"), "w") as f:
    f.write(ini)
os.makedirs(os.path.join(SITE2, "media"), exist_ok=True)
a_srv = harness.Server(BIN, SITE).start()
b_srv = harness.Server(BIN, SITE2).start()
slug = psql("SELECT slug FROM articles WHERE status = 'published' ORDER BY published_at DESC LIMIT 1", DEMO_DB)

with t.case("a change on one node shows on every node within 1 s (LISTEN/NOTIFY)"):
    for s in (a_srv, b_srv):
        t.eq(s.get(f"/articles/{slug}").status, 200)
        t.eq(s.get(f"/articles/{slug}").status, 200)  # now cached
    p = mh("article", "unpublish", "--site", SITE, slug)
    t.eq(p.returncode, 0, p.stderr)
    start = time.monotonic()
    wait_for(lambda: all(s.get(f"/articles/{slug}").status == 410 for s in (a_srv, b_srv)) or "still cached",
             1.0, "both nodes answer 410")
    t.true(time.monotonic() - start <= 1.0, "within a second")

with t.case("connections cut: every node reconnects by itself and misses no change (the page cache is dropped)"):
    p = mh("article", "publish", "--site", SITE, slug)
    t.eq(p.returncode, 0, p.stderr)
    wait_for(lambda: all(s.get(f"/articles/{slug}").status == 200 for s in (a_srv, b_srv)) or "not back",
             2.0, "both nodes answer 200 again")
    # every server connection to the site's database, the watchers' LISTEN
    # ones included, is cut; a change is made at once, while they reconnect
    killed = psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()", DEMO_DB)
    t.true(int(killed) >= 2, f"cut {killed} connections")
    p = mh("article", "unpublish", "--site", SITE, slug)
    t.eq(p.returncode, 0, p.stderr)
    wait_for(lambda: all(s.get(f"/articles/{slug}").status == 410 for s in (a_srv, b_srv)) or "still cached",
             10.0, "both nodes answer 410 after reconnecting")
    for s in (a_srv, b_srv):
        t.eq(s.get("/").status, 200, "pages are served again")

with t.case("PostgreSQL restart under load: only 503s while down, recovers by itself, no acknowledged write lost"):
    stop = threading.Event()
    statuses = {}
    lock = threading.Lock()

    def load(srv):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                st = srv.get("/section/news" if n % 2 else "/").status  # cached, dropped by every write
                st2 = srv.get(f"/articles/missing-{n}").status  # never cached: the database each time
                st2 = 200 if st2 == 404 else st2
            except Exception as e:  # noqa: BLE001
                st = st2 = f"error {type(e).__name__}"
            with lock:
                for v in (st, st2):
                    statuses[v] = statuses.get(v, 0) + 1

    acked = []
    slug2 = psql("SELECT slug FROM articles WHERE status = 'published' ORDER BY published_at DESC LIMIT 1", DEMO_DB)

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            path = os.path.join(TMP, f"w{i}.md")
            s = f"restart-{STAMP}-{i}"
            with open(path, "w") as f:
                f.write(f"---\nheadline: Restart {i}\nslug: {s}\nsection: news\nstatus: published\n---\nbody {i}\n")
            p = mh("article", "add", "--site", SITE, path)
            if p.returncode == 0:
                acked.append(s)
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(s,)) for s in (a_srv, b_srv)] + [threading.Thread(target=writer)]
    for th in threads:
        th.start()
    time.sleep(1.0)
    r = subprocess.run([PG_TEST, "restart", STATE], capture_output=True, text=True, timeout=120)
    restarted = r.returncode == 0
    time.sleep(0.5)
    # recovery: both nodes serve an uncached page again within 10 s
    rec_err = None
    try:
        wait_for(lambda: all(s.get(f"/articles/gone-{time.time()}").status == 404 for s in (a_srv, b_srv))
                 or "not yet", 10, "service back after the restart")
    except CaseFailed as e:
        rec_err = e
    time.sleep(1.0)
    stop.set()
    for th in threads:
        th.join(60)
    t.true(restarted, f"pg-test restart failed: {r.stderr}")
    if rec_err:
        raise rec_err
    bad = {k: v for k, v in statuses.items() if k not in (200, 503)}
    t.true(not bad, f"only 200 (404 for missing pages) and 503 answers: {statuses}")
    t.true(statuses.get(503, 0) > 0, f"the restart was seen (503s): {statuses}")
    t.true(statuses.get(200, 0) > 0, f"pages were served: {statuses}")
    t.true(len(acked) > 0, "some writes succeeded")
    have = set(psql(f"SELECT slug FROM articles WHERE slug LIKE 'restart-{STAMP}-%'", DEMO_DB).split())
    lost = [s for s in acked if s not in have]
    t.true(not lost, f"acknowledged writes lost: {lost}")
    print(f"# answers during the restart: {statuses}; {len(acked)} writes acknowledged")

with t.case("both servers stop cleanly"):
    t.eq(a_srv.stop(), 0)
    t.eq(b_srv.stop(), 0)

psql(f"DROP DATABASE IF EXISTS mh_e2e_copy_{STAMP} WITH (FORCE)")
psql(f"DROP DATABASE IF EXISTS mh_e2e_demo_{STAMP} WITH (FORCE)")
t.done()
