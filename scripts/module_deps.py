#!/usr/bin/env python3
"""Module dependency graph of src/: which top-level module (scenario, model, ...) uses which,
from `use crate::X` and `crate::X::` paths, and any cycles between modules or between the files
of one module (`super::` paths). Exit 1 on a cycle.

    python3 scripts/module_deps.py
"""
import os, re, sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
CRATE = re.compile(r"crate::([a-z_]+)(?:::([a-z_]+))?")
SUPER = re.compile(r"super::([a-z_]+)")


def unit(path):
    """`module` for src/module.rs or src/module/mod.rs, `module/file` for src/module/file.rs."""
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return "/".join(rel[:2])


def sources():
    for d, _, fs in os.walk(SRC):
        for f in fs:
            if f.endswith(".rs"):
                p = os.path.join(d, f)
                text = open(p, encoding="utf-8").read()
                # Test modules may reach anywhere; cut them off.
                cut = text.find("#[cfg(test)]")
                yield unit(p), text[:cut] if cut >= 0 else text


def cycles(g):
    found, stack, on, seen = [], [], set(), set()

    def visit(n):
        seen.add(n); stack.append(n); on.add(n)
        for k in sorted(g.get(n, ())):
            if k in on:
                found.append(stack[stack.index(k):] + [k])
            elif k not in seen:
                visit(k)
        stack.pop(); on.discard(n)

    for n in sorted(g):
        if n not in seen:
            visit(n)
    return found


files = list(sources())
units = {u for u, _ in files}
# File level: crate::a::b and super::b, where b is a file or folder of module a; the module graph
# is the same references with every unit folded to its top-level module.
fgraph, mgraph = {}, {}
for u, text in files:
    top = u.split("/")[0]
    refs = {f"{a}/{b}" if f"{a}/{b}" in units else a for a, b in CRATE.findall(text)}
    if "/" in u:
        refs |= {f"{top}/{b}" if f"{top}/{b}" in units else top for b in SUPER.findall(text)}
    fgraph.setdefault(u, set()).update(
        r for r in refs if r != u and r in units and not u.startswith(r + "/") and r != top)
    mgraph.setdefault(top, set()).update(
        m for m in (r.split("/")[0] for r in refs) if m != top and m not in ("lib", "main"))

for m in sorted(mgraph):
    print(f"{m:12} -> {', '.join(sorted(mgraph[m])) or '-'}")
cs = cycles(mgraph) + [["file"] + c for c in cycles(fgraph)]
for c in cs:
    print("cycle:", " -> ".join(c))
sys.exit(1 if cs else 0)
