#!/usr/bin/env python3
"""Lists every setting that differs between two scenarios (for the joint calibration: the
period-specific settings that are fixed rather than fitted), from `negsim explain --all`.

    scripts/period_settings.py BINARY A.toml B.toml [--skip-prefix behaviour.]

Prints a Markdown table: key, value in A, value in B, source in A, source in B. Keys present in
only one scenario (a channel or faction the other period lacks) show an empty value.
"""
import subprocess
import sys


def table(binary, scenario):
    out = subprocess.run([binary, "explain", scenario, "--all"], check=True,
                         capture_output=True, text=True).stdout
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("every parameter in force"))
    rows = {}
    for l in lines[start:]:
        if not l.startswith("| ") or l.startswith("| key") or l.startswith("|--"):
            continue
        cells = [c.strip() for c in l.strip("|").split("|")]
        if len(cells) >= 3 and "." in cells[0]:
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def main():
    binary, a, b = sys.argv[1:4]
    skip = [sys.argv[i + 1] for i, x in enumerate(sys.argv) if x == "--skip-prefix"]
    ta, tb = table(binary, a), table(binary, b)
    print(f"| key | {a} | {b} | source ({a}) | source ({b}) |")
    print("|---|---|---|---|---|")
    for k in sorted(set(ta) | set(tb)):
        if any(k.startswith(s) for s in skip):
            continue
        va, vb = ta.get(k, ("", "")), tb.get(k, ("", ""))
        if va[0] != vb[0]:
            print(f"| `{k}` | {va[0]} | {vb[0]} | {va[1]} | {vb[1]} |")


if __name__ == "__main__":
    main()
