#!/usr/bin/env python3
"""E2E: several nodes. One demo site, two `masthead serve` nodes on different
ports sharing its database (the site's SQLite file; and a PostgreSQL database
too when MASTHEAD_TEST_PG_URL is set), and Varnish from Debian in front of
them with contrib/varnish/masthead.vcl (backend ports substituted):
- `masthead article add`: within 1 s on both nodes' home and section pages,
  and through Varnish (pages cached beforehand with s-maxage 300, so only
  the purge explains freshness);
- an update: Varnish serves the new text after the purge, not after its TTL;
- a scheduled article goes out on time, exactly once (one done publish job,
  one change-log entry), on both nodes;
- SIGKILL one node under load: the other answers every request, Varnish's
  /readyz probe leaves the dead node out, and the survivor takes
  over a job the dead node held once its lease ([jobs] lease = 3) runs out;
- with Varnish down, purge jobs fail, are retried, and a parked one shows in
  `masthead jobs`.
Usage: test_cluster.py PATH/TO/masthead
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CaseFailed, Varnish  # noqa: E402

BIN = harness.binary_from_argv()
AUTHOR = "dev-ramaswamy"
LEASE = 3
t = harness.TAP()


def mh(*args, timeout=60):
    try:
        return harness.run([BIN, *args], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailed(f"`masthead {' '.join(args)}` still running after {timeout}s")


def wait_for(what, check, timeout):
    """Polls check() (True when done) every 25 ms; returns the seconds it
    took, or fails the case with what and check's last answer."""
    start = time.monotonic()
    while True:
        last = check()
        if last is True:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise CaseFailed(f"not within {timeout}s: {what} (last: {last})")
        time.sleep(0.025)


# ---------------------------------------------------------------- databases

class Db:
    """Reads and writes the site's database: SQLite through Python, or
    PostgreSQL through psql. Only plain SQL both understand."""

    def __init__(self, site, pg_url=None):
        self.site, self.pg_url = site, pg_url

    def query(self, sql):
        if self.pg_url is None:
            return [tuple(r.values()) for r in harness.db_query(self.site, sql)]
        p = harness.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", self.pg_url, "-c", sql])
        if p.returncode != 0:
            raise CaseFailed(f"psql: {p.stderr.strip()}")
        return [tuple(l.split("\t")) for l in p.stdout.splitlines() if l]

    def write(self, sql):
        if self.pg_url is None:
            return harness.db_write(self.site, sql)
        self.query(sql)


def pg_database(base_url):
    """A new empty database on the test cluster; its URL."""
    name = f"mh_cluster_{os.getpid()}_{int(time.time())}"
    p = harness.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", base_url, "-c", f"CREATE DATABASE {name}"])
    if p.returncode != 0:
        raise RuntimeError(f"cannot create a database on {base_url}: {p.stderr.strip()}")
    u = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment)), name


# ---------------------------------------------------------------- Varnish

_varnishes = []


def _stop_varnishes():
    for v in _varnishes:
        v.stop()


# ---------------------------------------------------------------- helpers

def article_file(folder, slug, headline, body, status="published", publish_at=None, section="news"):
    text = ("---\n"
            f"headline: {headline}\n"
            f"slug: {slug}\n"
            f"section: {section}\n"
            f"authors: [{AUTHOR}]\n"
            f"status: {status}\n"
            + (f"publish_at: {publish_at}\n" if publish_at else "")
            + "---\n"
            f"{body}\n")
    path = os.path.join(folder, f"{slug}.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def body_of(port, path):
    r = harness.request(port, "GET", path)
    return r.status, r.text(), r


def shows(ports, paths, needle):
    """True when every (port, path) answers 200 holding needle, else a note
    saying which does not."""
    for port in ports:
        for path in paths:
            st, text, _ = body_of(port, path)
            if st != 200 or needle not in text:
                return f"port {port} {path}: {st}, {'has' if needle in text else 'lacks'} {needle!r}"
    return True


def cluster(label, site, db):
    """The cases, on one site whose database both nodes share."""
    files = harness.tempdir()
    stamp = f"{label}{int(time.time())}"
    vport = harness.free_port()
    ini = os.path.join(site, "site.ini")
    harness.ini_set(ini, "jobs", "lease", str(LEASE))
    harness.ini_set(ini, "purge", "varnish", f"http://127.0.0.1:{vport}")
    harness.ini_set(ini, "purge", "timeout", "2")
    harness.ini_set(ini, "cache", "s_maxage", "300")  # only a purge can explain a fresh page
    harness.ini_set(ini, "server", "access_log", "false")
    try:
        a = harness.Server(BIN, site).start()
        b = harness.Server(BIN, site).start()
    except Exception as e:
        t.ok(False, f"[{label}] two nodes start on one database", str(e))
        return
    varnish = Varnish(vport, (str(a.port), str(b.port)))
    _varnishes.append(varnish)
    with t.case(f"[{label}] Varnish starts in front of the two nodes and caches pages"):
        try:
            varnish.start()
        except Exception as e:
            raise CaseFailed(f"Varnish cannot run here, so the cases through it fail: {e}")
        for path in ("/", "/section/news"):
            varnish.get(path)
            r = varnish.get(path)
            t.eq(r.status, 200, f"{path} through Varnish")
            t.eq(r.header("x-cache"), "HIT", f"{path} second fetch")
            t.true(r.header("surrogate-key") is None, "Surrogate-Key is not shown to readers")
    V = varnish.port
    nodes = [a.port, b.port]

    slug = f"cluster-new-{stamp}"
    head = f"Harbour cranes return {stamp}"
    with t.case(f"[{label}] article add: within 1 s on both nodes' home and section pages and through Varnish"):
        t.eq(varnish.get("/").header("x-cache"), "HIT", "home cached in Varnish before the change")
        p = mh("article", "add", "--site", site, article_file(files, slug, head, "The cranes are back."))
        t.eq(p.returncode, 0, f"article add ({p.stderr.strip()})")
        took = wait_for("new article everywhere", lambda: shows(nodes + [V], ["/", "/section/news"], head), 3.0)
        t.true(took <= 1.0, f"took {took:.2f}s (more than 1 s)")
        t.eq(shows([V], [f"/articles/{slug}"], head), True)

    new_text = f"Cranes lifted the first containers {stamp}."
    with t.case(f"[{label}] update: Varnish serves the new text after the purge, not after its TTL"):
        varnish.get(f"/articles/{slug}")
        r = varnish.get(f"/articles/{slug}")
        t.eq(r.header("x-cache"), "HIT", "article page cached in Varnish")
        t.absent(r.text(), new_text, "before the update")
        p = mh("article", "update", "--site", site, article_file(files, slug, head, new_text))
        t.eq(p.returncode, 0, f"article update ({p.stderr.strip()})")
        took = wait_for("updated text through Varnish", lambda: shows([V] + nodes, [f"/articles/{slug}"], new_text),
                        3.0)
        t.true(took <= 1.0, f"took {took:.2f}s")

    title = f"Settings Gazette {stamp}"
    with t.case(f"[{label}] a site settings change: on both nodes and through Varnish after its purge"):
        for path in ("/", f"/articles/{slug}"):
            varnish.get(path)
            t.eq(varnish.get(path).header("x-cache"), "HIT", f"{path} cached in Varnish")
        p = mh("settings", "set", "title", title, "--site", site)
        t.eq(p.returncode, 0, f"settings set ({p.stderr.strip()})")
        # s-maxage is 300: only the purge of the key 'site' explains Varnish's fresh pages
        wait_for("new title everywhere", lambda: shows(nodes + [V], ["/", f"/articles/{slug}"], title), 5.0)

    sslug = f"cluster-scheduled-{stamp}"
    shead = f"Lighthouse keeper retires {stamp}"
    with t.case(f"[{label}] a scheduled article goes out on time, exactly once, on both nodes"):
        when = int(time.time()) + 4
        publish_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))
        p = mh("article", "add", "--site", site,
               article_file(files, sslug, shead, "Forty years on the point.", status="scheduled",
                            publish_at=publish_at))
        t.eq(p.returncode, 0, f"article add ({p.stderr.strip()})")
        (aid,) = db.query(f"SELECT id FROM articles WHERE slug = '{sslug}'")[0]
        (last_change,) = db.query("SELECT COALESCE(MAX(id), 0) FROM changes")[0]
        t.eq(a.get(f"/articles/{sslug}").status, 404, "not before its time")
        wait_for("scheduled article on both nodes", lambda: shows(nodes, [f"/articles/{sslug}", "/"], shead), 12.0)
        late = time.time() - when
        t.true(time.time() >= when, "published before its time")
        t.true(late <= 3.0, f"published {late:.1f}s after its time (more than a few seconds)")
        t.eq(shows([V], ["/"], shead), True)
        time.sleep(1.0)  # a second publisher, if any, would have acted by now
        done = db.query(f"SELECT state, owner FROM jobs WHERE kind = 'publish' AND payload = '{aid}'")
        t.eq([d[0] for d in done], ["done"], "publish jobs for the article")
        entries = db.query(f"SELECT keys FROM changes WHERE id > {last_change}")
        mine = [e for e in entries if re.search(rf"(^| )article:{aid}( |$)", e[0])]
        t.eq(len(mine), 1, f"change-log entries naming article:{aid} since it was scheduled")
        (status,) = db.query(f"SELECT status FROM articles WHERE id = {aid}")[0]
        t.eq(status, "published")

    with t.case(f"[{label}] SIGKILL one node under load: the other answers every request and takes over its job"):
        now = int(time.time())
        dead = f"dead-node:{a.proc.pid}:0badc0de"
        db.write("INSERT INTO jobs(kind, payload, state, run_at, attempts, owner, lease_until, created_at, "
                 f"updated_at) VALUES ('purge', 'home', 'running', {now}, 1, '{dead}', {now + LEASE}, {now}, {now})")
        (jid,) = db.query(f"SELECT id FROM jobs WHERE owner = '{dead}'")[0]
        results, stop = [], threading.Event()

        def load():
            conn = None
            while not stop.is_set():
                for path in ("/", "/section/news", f"/articles/{slug}"):
                    try:
                        if conn is None:
                            conn = b.conn(timeout=10)
                        r = b.get(path, conn=conn)
                        results.append(r.status)
                    except Exception as e:  # noqa: BLE001 - any failure counts
                        results.append(repr(e))
                        conn = None
        loaders = [threading.Thread(target=load) for _ in range(4)]
        for th in loaders:
            th.start()
        time.sleep(1.0)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        a.kill()
        wait_for("the dead node's job finished by the survivor",
                        lambda: db.query(f"SELECT state FROM jobs WHERE id = {jid}")[0][0] == "done" or
                        db.query(f"SELECT state, owner, lease_until FROM jobs WHERE id = {jid}")[0], LEASE + 6)
        time.sleep(0.5)
        stop.set()
        for th in loaders:
            th.join()
        bad = [r for r in results if r != 200]
        t.true(len(results) > 50, f"only {len(results)} requests made")
        t.eq(bad[:5], [], f"errors on the surviving node among {len(results)} requests")
        (ended,) = db.query(f"SELECT updated_at FROM jobs WHERE id = {jid}")[0]
        t.true(int(ended) >= now + LEASE, f"finished at +{int(ended) - now}s: before the dead node's lease ran out")
        t.eq(b.get("/").status, 200)

    with t.case(f"[{label}] Varnish's /readyz probe leaves the dead node out: every request it passes is answered"):
        # /admin/login is never cached, so each request goes to a node in
        # turn; until the probe marks the dead one sick, every other fails
        streak = [0]

        def all_answered():
            r = varnish.get("/admin/login")
            streak[0] = streak[0] + 1 if r.status == 200 else 0
            return streak[0] >= 10 or f"{r.status} after {streak[0]} answered"
        wait_for("ten requests in a row answered through Varnish", all_answered, 15.0)

    with t.case(f"[{label}] Varnish down: purges fail and are retried; a parked one shows in `masthead jobs`"):
        varnish.stop()
        (before,) = db.query("SELECT COALESCE(MAX(id), 0) FROM jobs")[0]
        p = mh("article", "update", "--site", site, article_file(files, slug, head, f"Third text {stamp}."))
        t.eq(p.returncode, 0, f"article update ({p.stderr.strip()})")

        def failed_once():
            rows = db.query(f"SELECT state, attempts, last_error FROM jobs WHERE kind = 'purge' AND id > {before}")
            return (len(rows) == 1 and rows[0][0] == "queued" and str(rows[0][1]) == "1") or rows
        wait_for("the purge failed once and waits to be retried", failed_once, 6.0)
        (err,) = db.query(f"SELECT last_error FROM jobs WHERE kind = 'purge' AND id > {before}")[0]
        t.contains(err, f"varnish http://127.0.0.1:{V}", "last_error")
        # one more that may fail only once: parked at its first failure
        now = int(time.time())
        db.write("INSERT INTO jobs(kind, payload, run_at, max_attempts, created_at, updated_at) "
                 f"VALUES ('purge', 'home section:1', {now}, 1, {now}, {now})")
        (pid,) = db.query("SELECT MAX(id) FROM jobs")[0]
        wait_for("the purge parked", lambda: db.query(f"SELECT state FROM jobs WHERE id = {pid}")[0][0] == "parked",
                 6.0)
        p = mh("jobs", "--site", site, "list", "--state", "parked")
        t.eq(p.returncode, 0, f"masthead jobs ({p.stderr.strip()})")
        line = [l for l in p.stdout.splitlines() if l.split()[:1] == [str(pid)]]
        t.eq(len(line), 1, f"job {pid} in {p.stdout!r}")
        t.contains(line[0], "purge")
        t.contains(line[0], "parked")
        t.contains(line[0], f"127.0.0.1:{V}")
        t.contains(b.stderr(), f"job {pid} (purge) attempt 1/1 failed", "the node's log")
        p = mh("jobs", "--site", site, "retry", str(pid))
        t.eq(p.returncode, 0, f"masthead jobs retry ({p.stderr.strip()})")
    t.eq(b.stop(), 0, "the surviving node stops gracefully")


# ---------------------------------------------------------------- the runs

try:
    SITE = harness.demo_site(BIN, articles=30)
except Exception as e:
    t.bail(f"cannot make a demo site: {e}")
try:
    cluster("sqlite", SITE, Db(SITE))
finally:
    _stop_varnishes()

PG = os.environ.get("MASTHEAD_TEST_PG_URL")
if not PG:  # the PostgreSQL half not run is a failure, not a pass
    t.ok(False, "[postgres] the same cases on PostgreSQL",
         "MASTHEAD_TEST_PG_URL is not set: start a cluster with scripts/pg-test, or run scripts/run-tests")
else:
    try:
        url, name = pg_database(PG)
        d = harness.demo_site(BIN, articles=30, database=url)
        cluster("postgres", d, Db(d, url))
    except Exception as e:  # noqa: BLE001
        t.ok(False, "[postgres] a demo site on PostgreSQL", str(e))
    finally:
        _stop_varnishes()
        harness._cleanup()  # the nodes, before their database goes
        if "name" in globals():
            harness.run(["psql", "-X", "-q", PG, "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
t.done()
