"""scripts/tap-summary.py, the suite's closing line and its skip gate: a
skip not in the allow-list fails the run, so does a listed skip that did not
happen, and a program that crashed after its cases passed counts as failed.
Runs the real script on Meson-style logs written here."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "tap-summary.py")
t = harness.TAP()
D = harness.tempdir()


def summary(records, expected):
    log = os.path.join(D, "testlog.json")
    with open(log, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    exp = os.path.join(D, "expected-skips.txt")
    with open(exp, "w", encoding="utf-8") as f:
        f.write(expected)
    p = subprocess.run([sys.executable, SCRIPT, "--expected", exp, log], capture_output=True, text=True)
    return p.returncode, p.stdout


# The "# SKIP" lines below are input for the gate under test, written into
# a made-up Meson log: no case of this suite skips.
SKIPPING = {"name": "masthead:unit / store-x", "result": "OK",
            "stdout": "ok 1 - a\nok 2 - store::b  # SKIP cannot apply\n1..2\n"}

with t.case("a listed skip passes, and the closing line counts it"):
    rc, out = summary([SKIPPING], "# comment\nstore-x | store::b | why it cannot apply\n")
    t.eq(rc, 0, f"exit status ({out})")
    t.eq(out.splitlines()[-1], "1 passed, 0 failed, 1 skipped", "closing line")

with t.case("an unlisted skip fails the run and is named"):
    rc, out = summary([SKIPPING], "")
    t.eq(rc, 1, "exit status")
    t.contains(out, "unexpected skip of 'store::b'", "report")
    t.eq(out.splitlines()[-1], "1 passed, 1 failed, 1 skipped", "closing line")

with t.case("a whole program that skipped (a 1..0 plan with a skip directive) fails unless listed"):
    rec = {"name": "masthead:unit / spec", "result": "OK", "stdout": "1..0 # SKIP no folder\n"}
    rc, out = summary([rec], "")
    t.eq(rc, 1, f"exit status ({out})")
    rc, out = summary([rec], "spec | * | listed\n")
    t.eq(rc, 0, f"exit status when listed ({out})")

with t.case("a listed skip that did not happen fails the run"):
    ok = {"name": "masthead:unit / store-x", "result": "OK", "stdout": "ok 1 - a\nok 2 - store::b\n1..2\n"}
    rc, out = summary([ok], "store-x | store::b | why\n")
    t.eq(rc, 1, "exit status")
    t.contains(out, "expected skip of 'store::b' did not happen", "report")

with t.case("a program that failed after its cases passed counts as a failure"):
    rec = {"name": "masthead:e2e / e2e-x", "result": "FAIL", "stdout": "ok 1 - a\n1..1\n"}
    rc, out = summary([rec], "")
    t.eq(rc, 1, "exit status")
    t.eq(out.splitlines()[-1], "1 passed, 1 failed", "closing line")

with t.case("a malformed allow-list line (no reason) is refused"):
    rc, out = summary([SKIPPING], "store-x | store::b\n")
    t.true(rc != 0, f"exit status {rc}")

t.done()
