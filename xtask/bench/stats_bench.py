#!/usr/bin/env python3
"""The Python side of `cargo xtask bench`'s statistics comparison.

Usage: stats_bench.py DIR

DIR holds what `cargo run --release -p annoqa-bench --example stats_vs_python -- DIR` wrote:
alpha.csv (units x coders, empty = missing), fleiss.csv (units x raters), crowd.csv
(task,worker,label), truth.csv (task,label) and annoqa.jsonl (annoqa's native timings), and,
if the Chromium step ran, wasm.jsonl (the same work in Wasm). This script times the reference
packages on the same data, the same way (best of several runs, data loading excluded), and
prints a Markdown table with the ratios and whether each of the issue's goals holds:
alpha and Fleiss at least 20x faster than krippendorff / statsmodels, Dawid-Skene at least
100x faster than crowd-kit with an accuracy at least crowd-kit's, and Wasm within 2x of native on one
thread (the browser runs Wasm on one; the speed-ups use native on every core, as the CLI runs).
The table is also written to DIR/side_by_side.md. Exit status 0 even when a goal is missed:
a benchmark reports, it does not gate.
"""

import json
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def best_of(runs, work):
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def read_jsonl(path):
    """Rows by work; where a work was timed in several sittings, its fastest of each time."""
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_work = {}
    for row in rows:
        seen = by_work.setdefault(row["work"], dict(row))
        for key in ("seconds", "seconds_one_thread"):
            if key in row:
                seen[key] = min(seen.get(key, row[key]), row[key])
    return by_work


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    annoqa = read_jsonl(folder / "annoqa.jsonl")
    wasm = read_jsonl(folder / "wasm.jsonl")
    if not annoqa:
        sys.exit(f"{folder / 'annoqa.jsonl'} is missing: run the stats_vs_python example first")

    import krippendorff
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    from crowdkit.aggregation import DawidSkene

    sparse = pd.read_csv(folder / "alpha.csv", header=None).to_numpy(dtype=float)
    reliability = np.ascontiguousarray(sparse.T)  # krippendorff wants coders x units
    alpha_s, alpha = best_of(5, lambda: krippendorff.alpha(
        reliability_data=reliability, level_of_measurement="nominal"))

    complete = pd.read_csv(folder / "fleiss.csv", header=None).to_numpy(dtype=int)
    fleiss_s, kappa = best_of(5, lambda: fleiss_kappa(aggregate_raters(complete)[0], method="fleiss"))

    crowd = pd.read_csv(folder / "crowd.csv")
    truth = pd.read_csv(folder / "truth.csv").set_index("task")["label"]
    ds_s, labels = best_of(1, lambda: DawidSkene(n_iter=100).fit_predict(crowd))
    ds_accuracy = float((labels.sort_index() == truth.loc[labels.sort_index().index]).sum()) / len(truth)

    versions = {name: metadata.version(name) for name in ("krippendorff", "statsmodels", "crowd-kit", "numpy")}
    rows = [
        ("Krippendorff's α nominal, 100,000 units × 10 coders, 30 % missing",
         "alpha", f"krippendorff {versions['krippendorff']}", alpha_s, alpha, 20),
        ("Fleiss' κ, 100,000 units × 5 raters",
         "fleiss", f"statsmodels {versions['statsmodels']}", fleiss_s, kappa, 20),
        ("Dawid–Skene, 100,000 tasks × 5 answers, 200 workers, 5 classes (value = accuracy)",
         "dawid_skene", f"crowd-kit {versions['crowd-kit']}", ds_s, ds_accuracy, 100),
    ]
    out = ["| work | Python | annoqa native | speed-up (goal) | annoqa Wasm (one thread) "
           "| Wasm / native on one thread (goal ≤ 2) | values |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    missed = []
    for title, work, package, py_s, py_value, goal in rows:
        ours = annoqa.get(work)
        if ours is None:
            missed.append(f"{work}: no annoqa timing")
            continue
        speedup = py_s / ours["seconds"]
        if speedup < goal:
            missed.append(f"{work}: {speedup:.0f}x < {goal}x")
        if work == "dawid_skene" and ours["value"] < py_value:
            missed.append(f"dawid_skene accuracy {ours['value']:.5f} < crowd-kit {py_value:.5f}")
        # The browser runs Wasm on one thread, so its ratio is to native on one thread; the
        # speed-up over Python uses native as the CLI runs it (every core).
        one_thread = ours.get("seconds_one_thread", ours["seconds"])
        native_cell = f"{ours['seconds'] * 1e3:.1f} ms"
        if "seconds_one_thread" in ours:
            native_cell += f" ({ours['threads']} threads; 1 thread: {one_thread * 1e3:.1f} ms)"
        w = wasm.get(work)
        if w is not None:
            ratio = w["seconds"] / one_thread
            if ratio > 2:
                missed.append(f"{work}: Wasm {ratio:.2f}x native")
            wasm_cells = f"{w['seconds'] * 1e3:.1f} ms | {ratio:.2f}×"
        else:
            wasm_cells = "not run | –"
        out.append(
            f"| {title} | {package}: {py_s * 1e3:.1f} ms | {native_cell} | "
            f"{speedup:.0f}× (≥ {goal}×) | {wasm_cells} | "
            f"Python {py_value:.5f}, annoqa {ours['value']:.5f} |")
    out.append("")
    out.append("goals: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    table = "\n".join(out) + "\n"
    (folder / "side_by_side.md").write_text(table)
    print(table, end="")


if __name__ == "__main__":
    main()
