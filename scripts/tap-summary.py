#!/usr/bin/env python3
"""Counts every test case in a Meson test log and prints the suite's closing
line, "N passed, N failed[, N skipped]".

Meson's own summary counts test programs; ours count cases: each TAP line
("ok", "not ok", "# SKIP") of a TAP program is one case, and a program that
failed without reporting a failing case (a crash, a sanitizer abort) counts
as one more failure so that it cannot pass silently.

Skips are checked against tests/expected-skips.txt (or --expected FILE):
a skip not listed there is a failure (a missing fixture or service must not
turn a test into a skip), and so is a listed skip that did not happen (the
list must not outlive the reason). Each line of that file is
    MESON-TEST | CASE | REASON
with the Meson test's name, the TAP case's description ("*" for a whole
program that skipped) and why the case cannot apply; '#' starts a comment."""
import json
import os
import re
import sys


def load_expected(path):
    expected = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|", 2)]
            if len(parts) != 3 or not all(parts):
                sys.exit(f"{path}:{n}: want 'TEST | CASE | REASON', got {line!r}")
            expected[(parts[0], parts[1])] = parts[2]
    return expected


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    expected_path = os.path.join(here, "..", "tests", "expected-skips.txt")
    args = argv[1:]
    if len(args) == 3 and args[0] == "--expected":
        expected_path, args = args[1], args[2:]
    if len(args) != 1:
        sys.exit("usage: tap-summary.py [--expected FILE] MESON-LOGS/testlog.json")
    expected = load_expected(expected_path)

    passed = failed = skipped = 0
    failed_names = []
    skips = []  # (test, case, reason)
    failed_tests = set()
    with open(args[0], encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            name = rec.get("name", "?").split(" / ", 1)[-1]  # "masthead:unit / store" -> "store"
            result = rec.get("result", "")
            out = rec.get("stdout") or ""
            p = fl = sk = 0
            for l in out.splitlines():
                if re.match(r"^ok\b", l):
                    m = re.match(r"^ok\s*\d*\s*-?\s*(.*?)\s*#\s*skip\b\s*(.*)$", l, re.I)
                    if m:
                        sk += 1
                        skips.append((name, m.group(1), m.group(2)))
                    else:
                        p += 1
                elif re.match(r"^not ok\b", l):
                    m = re.match(r"^not ok\s*\d*\s*-?\s*(.*?)\s*#\s*todo\b\s*(.*)$", l, re.I)
                    if m:
                        sk += 1
                        skips.append((name, m.group(1), "TODO " + m.group(2)))
                    else:
                        fl += 1
                        failed_names.append(f"{name}: {l}")
                elif re.match(r"^1\.\.0\b.*#\s*skip", l, re.I):
                    sk += 1
                    skips.append((name, "*", l))
            if p + fl + sk == 0:
                if result == "OK":
                    p = 1
                elif result == "SKIP":
                    sk = 1
                    skips.append((name, "*", "the program skipped"))
                else:
                    fl = 1
                    failed_names.append(f"{name}: {result}")
            elif result not in ("OK", "SKIP") and fl == 0:
                fl += 1
                failed_names.append(f"{name}: program {result} after its cases passed")
            if fl:
                failed_tests.add(name)
            passed += p
            failed += fl
            skipped += sk

    seen = set()
    for test, case, reason in skips:
        seen.add((test, case))
        if (test, case) not in expected:
            failed += 1
            failed_names.append(f"{test}: unexpected skip of {case!r} ({reason}); "
                                "fix the test, or list it with its reason in tests/expected-skips.txt")
    for (test, case), reason in sorted(expected.items()):
        if (test, case) not in seen and test not in failed_tests:  # a failed program counts once
            failed += 1
            failed_names.append(f"{test}: expected skip of {case!r} did not happen ({reason}); "
                                "remove it from tests/expected-skips.txt")

    for n in failed_names:
        print("FAILED", n)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
