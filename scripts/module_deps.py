#!/usr/bin/env python3
"""Module dependency graph of src/: which top-level module (scenario, model, ...) uses which,
from `use crate::X` and `crate::X::` paths, and any cycles between them. Exit 1 on a cycle.

    python3 scripts/module_deps.py [--files]   # --files: the file-level graph inside each module
"""
import os, re, sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
pat = re.compile(r"crate::([a-z_]+)")
super_pat = re.compile(r"\buse super::")

def module_of(path):
    rel = os.path.relpath(path, SRC)
    parts = rel.split(os.sep)
    if len(parts) == 1:
        return parts[0][:-3]
    return parts[0]

graph = {}
for d, _, fs in os.walk(SRC):
    for f in fs:
        if not f.endswith(".rs"):
            continue
        p = os.path.join(d, f)
        m = module_of(p)
        text = open(p, encoding="utf-8").read()
        # Test modules may reach anywhere; cut them off.
        cut = text.find("#[cfg(test)]")
        if cut >= 0:
            text = text[:cut]
        for t in pat.findall(text):
            if t != m and t not in ("lib", "main"):
                graph.setdefault(m, set()).add(t)
        graph.setdefault(m, set())

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

# File level: crate::a::b and super::b, where b is a file or folder of module a.
def unit(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    return "/".join(rel[:2])

units = set()
for d, _, fs in os.walk(SRC):
    for f in fs:
        if f.endswith(".rs"):
            units.add(unit(os.path.join(d, f)))
fgraph = {}
fpat = re.compile(r"crate::([a-z_]+)(?:::([a-z_]+))?")
spat = re.compile(r"super::([a-z_]+)")
for d, _, fs in os.walk(SRC):
    for f in fs:
        if not f.endswith(".rs"):
            continue
        p = os.path.join(d, f)
        u = unit(p)
        text = open(p, encoding="utf-8").read()
        cut = text.find("#[cfg(test)]")
        if cut >= 0:
            text = text[:cut]
        refs = set()
        for a, b in fpat.findall(text):
            refs.add(f"{a}/{b}" if f"{a}/{b}" in units else a)
        top = u.split("/")[0]
        if "/" in u:
            for b in spat.findall(text):
                refs.add(f"{top}/{b}" if f"{top}/{b}" in units else top)
        fgraph[u] = {r for r in refs if r != u and r in units and not u.startswith(r + "/") and r != top}

for m in sorted(graph):
    print(f"{m:12} -> {', '.join(sorted(graph[m])) or '-'}")
cs = cycles(graph) + [["file"] + c for c in cycles(fgraph)]
for c in cs:
    print("cycle:", " -> ".join(c))
sys.exit(1 if cs else 0)
