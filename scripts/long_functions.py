#!/usr/bin/env python3
"""Functions in src/ longer than LIMIT lines (default 80), with or without a `// long:` comment
saying why. Exit 1 when one is long and unexplained.

    python3 scripts/long_functions.py [LIMIT]
"""
import os, re, sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
start = re.compile(r"^(\s*)(pub(\([a-z]+\))? )?(const )?fn ([a-z_0-9]+)")
bad = 0
for d, _, fs in sorted(os.walk(SRC)):
    for f in sorted(fs):
        if not f.endswith(".rs"):
            continue
        p = os.path.join(d, f)
        lines = open(p, encoding="utf-8").read().split("\n")
        i = 0
        while i < len(lines):
            m = start.match(lines[i])
            if not m:
                i += 1
                continue
            indent = m.group(1)
            # The body ends at the first line that is `indent}`.
            j = i
            while j < len(lines) and not (lines[j] == indent + "}" or (j > i and lines[j].startswith(indent + "}") and lines[j].strip() == "}")):
                if j > i and lines[j].rstrip().endswith(";") and lines[i].rstrip().endswith(";"):
                    break
                j += 1
            n = j - i + 1
            if n > LIMIT:
                # A reason: a `// long:` line in the doc comment or in the body's first lines.
                doc = "\n".join(lines[max(0, i - 12):i + 3])
                why = "long:" in doc
                rel = os.path.relpath(p, SRC)
                print(f"{'ok ' if why else 'BAD'} {n:4} src/{rel}:{i + 1} {m.group(5)}")
                bad += 0 if why else 1
            i += 1
print(f"{bad} long functions without a reason (limit {LIMIT})")
sys.exit(1 if bad else 0)
