#!/usr/bin/env python3
"""Reference values for annoqa-stats from the Python packages QA teams already trust.

Reads cases as JSON on stdin and prints one JSON object per line on stdout, one per
(case, metric, reference package) with either a "value" or an "error". An xtask command
computes the same cases with annoqa-stats and compares; this script only reports.

Input:

    {"cases": [
      {"id": "random-17",
       "units": [[1, 2, null, 1], [3, 3, 3, null], ...],   # one row per unit, one column per
                                                           # coder; null is a missing rating
       "metrics": ["krippendorff_alpha", "fleiss_kappa", "cohen_kappa", "gwet_ac",
                   "brennan_prediger", "percent_agreement"],
       "level": "nominal",          # Krippendorff's alpha: nominal|ordinal|interval|ratio
       "weights": "identity"}       # identity|linear|quadratic for the kappa family
    ]}

Labels must be numbers (category values); annoqa's CLI maps names to numbers the same way for
ordered data. Weighted coefficients use the category values, as irrCAC does; annoqa-stats
uses positions 0..k-1, which agree when the categories are consecutive integers, so the xtask
should generate such cases for weighted comparisons.

References (install with `pip install krippendorff statsmodels scikit-learn irrCAC pandas`):

* krippendorff_alpha: krippendorff.alpha(reliability_data=coders x units, level_of_measurement)
  and irrCAC CAC.krippendorff() (nominal/identity only: irrCAC weights differ for levels);
* fleiss_kappa: statsmodels.stats.inter_rater.fleiss_kappa(aggregate_raters(...)[0],
  method="fleiss") (complete, unweighted data only) and irrCAC CAC.fleiss() (Gwet's
  generalisation with missing ratings and weights, which annoqa-stats follows);
* cohen_kappa: sklearn.metrics.cohen_kappa_score(a, b, weights=None|"linear"|"quadratic") for
  every pair of coders over the units both rated;
* gwet_ac, brennan_prediger: irrCAC CAC.gwet(), CAC.bp();
* percent_agreement: the "pa" irrCAC reports with CAC.gwet().

A package that is missing or fails on a case yields an "error" line, never a crash, so one
broken reference cannot hide the others.

With `--compare TOLERANCE`, cases that carry annoqa's own answers under "annoqa" (as printed by
`cargo run --release -p annoqa-stats --example crosscheck_cases -- CASES SEED`) are also
checked: the script prints a summary on stderr and exits 1 when a value differs by more than
TOLERANCE, when one side is undefined and the other is not, or when a reference failed. So

    cargo run -q --release -p annoqa-stats --example crosscheck_cases -- 200 1 \
        | python stats_crosscheck.py --compare 1e-9

is the whole cross-check. Verified with krippendorff 0.9.0, statsmodels 0.15.0, scikit-learn
1.9.1, irrCAC 0.4.4, numpy 1.26.4, scipy 1.12.0 and pandas 2.3.3 (irrCAC 0.4.4 calls
`scipy.stats.t.interval(alpha=...)`, which newer SciPy releases no longer accept).
"""

import json
import math
import sys
import warnings
from importlib import metadata

# The references warn about pandas copies and undefined kappas; the JSON lines say what matters.
warnings.simplefilter("ignore")


def version(package):
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package} (not installed)"


# Every line printed, kept for --compare.
LINES = []

# Errors that say a reference does not apply to a case, rather than that it failed.
NOT_APPLICABLE = ("needs complete data", "share no unit")


def emit(case_id, metric, reference, value=None, error=None, **extra):
    line = {"id": case_id, "metric": metric, "reference": reference}
    line.update(extra)
    if error is not None:
        line["error"] = error
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        line["error"] = "undefined"
    else:
        line["value"] = float(value)
    LINES.append(line)
    print(json.dumps(line), flush=True)


def guarded(case_id, metric, reference, compute, **extra):
    try:
        emit(case_id, metric, reference, compute(), **extra)
    except Exception as e:  # a reference package failing is a result to report, not a crash
        emit(case_id, metric, reference, error=f"{type(e).__name__}: {e}", **extra)


def krippendorff_alpha(units, level):
    import numpy as np
    import krippendorff

    data = np.array([[np.nan if v is None else float(v) for v in row] for row in units]).T
    return krippendorff.alpha(reliability_data=data, level_of_measurement=level)


def statsmodels_fleiss(units):
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    if any(v is None for row in units for v in row):
        raise ValueError("statsmodels' fleiss_kappa needs complete data")
    table, _ = aggregate_raters(np.array(units, dtype=float))
    return fleiss_kappa(table, method="fleiss")


def sklearn_cohen(units, a, b, weights):
    from sklearn.metrics import cohen_kappa_score

    pairs = [(row[a], row[b]) for row in units if row[a] is not None and row[b] is not None]
    if not pairs:
        raise ValueError("the coders share no unit")
    x, y = zip(*pairs)
    # Weights by position among all of the case's categories, as annoqa does; without `labels`
    # scikit-learn would use only the categories this pair happened to use.
    labels = sorted({v for row in units for v in row if v is not None})
    return cohen_kappa_score(x, y, labels=labels, weights=None if weights == "identity" else weights)


def irrcac(units, weights):
    import numpy as np
    import pandas as pd
    from irrCAC.raw import CAC

    frame = pd.DataFrame([[np.nan if v is None else float(v) for v in row] for row in units])
    return CAC(frame, weights=weights, digits=12)


def run_case(case):
    case_id = case["id"]
    units = case["units"]
    metrics = case.get("metrics", [])
    level = case.get("level", "nominal")
    weights = case.get("weights", "identity")
    coders = max((len(row) for row in units), default=0)

    if "krippendorff_alpha" in metrics:
        guarded(case_id, "krippendorff_alpha", version("krippendorff"), lambda: krippendorff_alpha(units, level))
        if level == "nominal":
            guarded(case_id, "krippendorff_alpha", version("irrCAC"),
                    lambda: irrcac(units, "identity").krippendorff()["est"]["coefficient_value"])
    if "fleiss_kappa" in metrics:
        if weights == "identity":
            guarded(case_id, "fleiss_kappa", version("statsmodels"), lambda: statsmodels_fleiss(units))
        guarded(case_id, "fleiss_kappa", version("irrCAC"),
                lambda: irrcac(units, weights).fleiss()["est"]["coefficient_value"])
    if "cohen_kappa" in metrics:
        for a in range(coders):
            for b in range(a + 1, coders):
                guarded(case_id, "cohen_kappa", version("scikit-learn"),
                        lambda a=a, b=b: sklearn_cohen(units, a, b, weights), pair=[a, b])
    if "gwet_ac" in metrics:
        guarded(case_id, "gwet_ac", version("irrCAC"), lambda: irrcac(units, weights).gwet()["est"]["coefficient_value"])
    if "brennan_prediger" in metrics:
        guarded(case_id, "brennan_prediger", version("irrCAC"),
                lambda: irrcac(units, weights).bp()["est"]["coefficient_value"])
    if "percent_agreement" in metrics:
        guarded(case_id, "percent_agreement", version("irrCAC"), lambda: irrcac(units, weights).gwet()["est"]["pa"])


def compare(cases, tolerance):
    """Checks every reference line against annoqa's answer; returns the number of problems."""
    by_id = {case["id"]: case for case in cases}
    problems = 0
    compared = 0
    for line in LINES:
        answers = by_id[line["id"]].get("annoqa")
        if answers is None:
            continue
        ours = answers.get(line["metric"])
        if line["metric"] == "cohen_kappa" and ours is not None:
            ours = next((v for a, b, v in ours if [a, b] == line["pair"]), None)
        error = line.get("error")
        if error is not None and any(reason in error for reason in NOT_APPLICABLE):
            continue
        if error is not None and error != "undefined":
            problems += 1
            print(f"reference failed: {json.dumps(line)}", file=sys.stderr)
        elif (error == "undefined") != (ours is None):
            problems += 1
            print(f"defined on one side only: annoqa {ours}, {json.dumps(line)}", file=sys.stderr)
        elif ours is not None:
            compared += 1
            if abs(ours - line["value"]) > tolerance:
                problems += 1
                print(f"differs: annoqa {ours!r}, {json.dumps(line)}", file=sys.stderr)
    print(f"stats crosscheck: {compared} values agree to {tolerance}, {problems} problems", file=sys.stderr)
    return problems


def main():
    tolerance = None
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        tolerance = float(sys.argv[2])
    elif len(sys.argv) != 1:
        print("usage: stats_crosscheck.py [--compare TOLERANCE] < cases.json", file=sys.stderr)
        return 2
    try:
        cases = json.load(sys.stdin)["cases"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        print(f"error: stdin is not {{\"cases\": [...]}}: {e}", file=sys.stderr)
        return 2
    for n, case in enumerate(cases):
        if not isinstance(case, dict) or "id" not in case or "units" not in case:
            print(f"error: case {n} needs an \"id\" and \"units\"", file=sys.stderr)
            return 2
        run_case(case)
    if tolerance is not None and compare(cases, tolerance) > 0:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
