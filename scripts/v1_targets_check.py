#!/usr/bin/env python3
"""Posterior-predictive check of a calibration on model v1's nine first-term targets, so that a
posterior of model v2 and one of model v1 are scored on the same statistics, by the same code.

For each of DRAWS posterior particles drawn by weight, it writes an overlay with the particle's
values (those of the chosen record, or shared), runs ONE replicate of the record's scenario with
the given binary, and reads v1's targets off runs.csv and timeseries.csv: share of weeks in truce,
broken truces per year, escalation episodes, longest truce and durable deal (all over the whole
scenario window, as v1 defined them) and four PIIE tariff readings. It prints, per target, the
predictive mean and 90% band, its width, the observed value's mid-rank percentile and the CRPS
(also divided by v1's scale), and their sums.

    scripts/v1_targets_check.py BINARY SCENARIO POSTERIOR.csv [--record NAME] [--draws N] [--seed S]

Used for docs/CALIBRATION.md: model v1's binary with its posterior against model v2's binary with
the joint posterior. Needs only the Python standard library.
"""

import argparse
import csv
import os
import random
import subprocess
import tempfile
from datetime import date

# v1's targets (scenarios/calibration/first_term.toml of model v1): name, observed, scale.
TARGETS = [
    ("share_truce", 0.641, 0.1),
    ("broken_truces_per_year", 1.08, 0.5),
    ("escalation_episodes", 4.0, 1.5),
    ("longest_truce_weeks", 64.0, 20.0),
    ("durable_deal", 1.0, 0.5),
    ("tariff_us_2018-09-24", 12.0, 4.0),
    ("tariff_us_2019-09-01", 21.2, 4.0),
    ("tariff_cn_2019-09-01", 20.7, 4.0),
    ("tariff_us_2020-12-30", 19.3, 4.0),
]
COUNTS = {"escalation_episodes", "longest_truce_weeks", "durable_deal"}
START = date(2018, 3, 22)


def overlay(values):
    """TOML overlay text setting dotted paths (list items by name) with provenance."""
    tables = {}
    items = {}
    for path, v in values.items():
        parts = path.split(".")
        if parts[0] in ("channels",):
            items.setdefault((parts[0], parts[1]), []).append((parts[2], v))
        else:
            tables.setdefault(".".join(parts[:-1]), []).append((parts[-1], v))
    out = []
    for t, kv in tables.items():
        out.append(f"[{t}]")
        out += [f'{k} = {{ value = {v!r}, source = "calibration" }}' for k, v in kv]
        out.append("")
    for (arr, name), kv in items.items():
        out.append(f"[[{arr}]]")
        out.append(f'name = "{name}"')
        out += [f'{k} = {{ value = {v!r}, source = "calibration" }}' for k, v in kv]
        out.append("")
    return "\n".join(out)


def mid_rank(xs, y):
    below = sum(1 for x in xs if x < y)
    equal = sum(1 for x in xs if x == y)
    return (below + 0.5 * equal) / len(xs)


def crps(xs, y):
    n = len(xs)
    s = sorted(xs)
    e_abs = sum(abs(x - y) for x in s) / n
    spread = 2.0 * sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(s)) / (n * n)
    return e_abs - 0.5 * spread


def quantile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(q * len(s))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("scenario")
    ap.add_argument("posterior")
    ap.add_argument("--record", default=None)
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.posterior)))
    cols = list(rows[0].keys())
    params = [c for c in cols[3:] if not c.startswith("sim_")]
    chosen = []
    for c in params:
        if ":" in c:
            rec, path = c.split(":", 1)
            if rec == a.record:
                chosen.append((c, path))
        else:
            chosen.append((c, c))
    weights = [float(r["weight"]) for r in rows]
    rng = random.Random(a.seed)
    draws = {t[0]: [] for t in TARGETS}
    with tempfile.TemporaryDirectory() as d:
        for i in range(a.draws):
            r = rng.choices(rows, weights=weights)[0]
            ov = os.path.join(d, "ov.toml")
            with open(ov, "w") as f:
                f.write(overlay({path: float(r[c]) for c, path in chosen}))
            out = os.path.join(d, "out")
            subprocess.run(
                [a.binary, "run", a.scenario, "--with", ov, "--runs", "1", "--seed",
                 str(1000 + i), "--out", out, "--force", "-q", "--no-charts", "--trace", "0"],
                check=True, stdout=subprocess.DEVNULL)
            run = next(csv.DictReader(open(os.path.join(out, "runs.csv"))))
            for k in ("share_truce", "broken_truces_per_year", "escalation_episodes",
                      "longest_truce_weeks", "durable_deal"):
                draws[k].append(float(run[k]))
            ts = list(csv.DictReader(open(os.path.join(out, "timeseries.csv"))))
            for name in ("tariff_us_2018-09-24", "tariff_us_2019-09-01", "tariff_cn_2019-09-01",
                         "tariff_us_2020-12-30"):
                side, day = name.split("_")[1], date.fromisoformat(name.split("_")[2])
                w = min((day - START).days // 7, len(ts) - 1)
                draws[name].append(float(ts[w][f"tariff_{side}_mean"]))
    tot = tot_scaled = 0.0
    print("| target | observed | predictive mean [90%] | 90% width | percentile | CRPS | CRPS / scale |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, obs, scale in TARGETS:
        xs = draws[name]
        lo, hi = quantile(xs, 0.05), quantile(xs, 0.95)
        c = crps(xs, obs)
        tot += c
        tot_scaled += c / scale
        print(f"| {name} | {obs:g} | {sum(xs)/len(xs):.3f} [{lo:.3g}, {hi:.3g}] | {hi-lo:.3g} | "
              f"{100*mid_rank(xs, obs):.0f}% | {c:.3f} | {c/scale:.3f} |")
    print(f"| **sum** | | | | | {tot:.3f} | {tot_scaled:.3f} |")


if __name__ == "__main__":
    main()
