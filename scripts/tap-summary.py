#!/usr/bin/env python3
"""Counts every test case in a Meson test log and prints the suite's closing
line, "N passed, N failed[, N skipped]".

Meson's own summary counts test programs; ours count cases: each TAP line
("ok", "not ok", "# SKIP") of a TAP program is one case, and a program that
failed without reporting a failing case (a crash, a sanitizer abort) counts
as one more failure so that it cannot pass silently."""
import json
import re
import sys

path = sys.argv[1]
passed = failed = skipped = 0
failed_names = []
with open(path, encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        rec = json.loads(line)
        name = rec.get("name", "?")
        result = rec.get("result", "")
        out = rec.get("stdout") or ""
        p = fl = sk = 0
        for l in out.splitlines():
            if re.match(r"^ok\b", l):
                if re.search(r"#\s*skip", l, re.I):
                    sk += 1
                else:
                    p += 1
            elif re.match(r"^not ok\b", l):
                if re.search(r"#\s*todo", l, re.I):
                    sk += 1
                else:
                    fl += 1
                    failed_names.append(f"{name}: {l}")
        if p + fl + sk == 0:
            if result == "OK":
                p = 1
            elif result == "SKIP":
                sk = 1
            else:
                fl = 1
                failed_names.append(f"{name}: {result}")
        elif result not in ("OK", "SKIP") and fl == 0:
            fl += 1
            failed_names.append(f"{name}: program {result} after its cases passed")
        passed += p
        failed += fl
        skipped += sk

for n in failed_names:
    print("FAILED", n)
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
