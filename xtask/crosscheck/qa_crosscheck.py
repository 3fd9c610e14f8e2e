#!/usr/bin/env python3
"""Reference values for annoqa's QA kernels, from the reference implementations.

Reads JSON on stdin, `{"cases": [CASE, ...]}`, and prints `{"results": [RESULT, ...]}`, one
result per case in the same order. A Rust command generates random cases, computes its own
values and compares them with these (to 1e-9). Each case has a "kind":

- "box_iou":     {"a": [x, y, w, h], "b": [x, y, w, h]}
                 -> {"iou"}                                  py-motmetrics `boxiou`
- "polygon_iou": {"a": [[x, y], ...], "b": [[x, y], ...]}
                 -> {"valid_a", "valid_b", "area_a", "area_b", "intersection", "iou"}  shapely
                 (intersection / iou are null unless both polygons are valid)
- "wer" / "cer": {"reference": str, "hypothesis": str, "normalization": {"lowercase",
                 "strip_punctuation", "collapse_whitespace", "fillers": [str]}}
                 -> {"rate", "hits", "substitutions", "deletions", "insertions"}  jiwer
- "events":      {"reference": [[onset, offset, label], ...], "estimated": [...],
                 "t_collar", "percentage_of_length", "evaluate_onset", "evaluate_offset",
                 "matching": "optimal" | "greedy"}
                 -> {"nref", "nsys", "ntp", "f1", "precision", "recall", "per_class":
                 {label: {"nref", "nsys", "ntp", "f1"}}}  sed_eval EventBasedMetrics
                 (undefined values, NaN in sed_eval, are null)
- "mot":         {"gold": [[track, frame, x, y, w, h], ...], "predicted": [...], "min_iou"}
                 -> {"num_objects", "num_predictions", "num_matches", "num_switches",
                 "num_misses", "num_false_positives", "mota", "motp_iou", "idtp", "idf1"}
                 py-motmetrics; `motp_iou` is 1 − motmetrics' MOTP (a distance)

Needs: shapely jiwer sed_eval motmetrics (from PyPI).
"""

import json
import math
import sys
import warnings

warnings.filterwarnings("ignore")


def finite_or_none(x):
    x = float(x)
    return x if math.isfinite(x) else None


def box_iou(case):
    import numpy as np
    from motmetrics.distances import boxiou

    a = np.asarray(case["a"], dtype=float)
    b = np.asarray(case["b"], dtype=float)
    return {"iou": finite_or_none(boxiou(a, b))}


def polygon_iou(case):
    from shapely.geometry import Polygon

    def polygon(points):
        try:
            p = Polygon(points)
            return p, bool(p.is_valid) and p.area > 0
        except Exception:  # fewer than 3 points, non-finite coordinates, ...
            return None, False

    a, valid_a = polygon(case["a"])
    b, valid_b = polygon(case["b"])
    out = {
        "valid_a": valid_a,
        "valid_b": valid_b,
        "area_a": finite_or_none(a.area) if a is not None else None,
        "area_b": finite_or_none(b.area) if b is not None else None,
        "intersection": None,
        "iou": None,
    }
    if valid_a and valid_b:
        inter = a.intersection(b).area
        union = a.union(b).area
        out["intersection"] = inter
        out["iou"] = inter / union if union > 0 else 0.0
    return out


def normalise(text, n):
    import jiwer

    if n.get("lowercase"):
        text = jiwer.ToLowerCase()(text)
    if n.get("strip_punctuation"):
        text = jiwer.RemovePunctuation()(text)
    fillers = n.get("fillers") or []
    if fillers:
        normalised = set()
        for f in fillers:
            normalised.add(normalise(f, {**n, "fillers": [], "collapse_whitespace": True}))
        text = " ".join(w for w in text.split() if w not in normalised)
    if n.get("collapse_whitespace"):
        text = jiwer.Strip()(jiwer.RemoveMultipleSpaces()(text))
    return text


def edit_rate(case, characters):
    import jiwer

    n = case.get("normalization", {})
    ref = normalise(case["reference"], n)
    hyp = normalise(case["hypothesis"], n)
    if characters:
        out = jiwer.process_characters(ref, hyp)
        rate = out.cer
    else:
        out = jiwer.process_words(ref, hyp)
        rate = out.wer
    return {
        "rate": float(rate),
        "hits": out.hits,
        "substitutions": out.substitutions,
        "deletions": out.deletions,
        "insertions": out.insertions,
    }


def events(case):
    import sed_eval

    def event_list(items):
        return [
            {"event_onset": float(on), "event_offset": float(off), "event_label": label, "file": "item"}
            for on, off, label in items
        ]

    reference = event_list(case["reference"])
    estimated = event_list(case["estimated"])
    labels = sorted({e["event_label"] for e in reference + estimated})
    metrics = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=labels,
        t_collar=case.get("t_collar", 0.2),
        percentage_of_length=case.get("percentage_of_length", 0.5),
        evaluate_onset=case.get("evaluate_onset", True),
        evaluate_offset=case.get("evaluate_offset", True),
        event_matching_type=case.get("matching", "optimal"),
    )
    metrics.evaluate(reference_event_list=reference, estimated_event_list=estimated)
    overall = metrics.overall_f_measure()
    per_class = {}
    for label in labels:
        counts = metrics.class_wise[label]
        f = metrics.class_wise_f_measure(label)
        per_class[label] = {
            "nref": int(counts["Nref"]),
            "nsys": int(counts["Nsys"]),
            "ntp": int(counts["Ntp"]),
            "f1": finite_or_none(f["f_measure"]),
        }
    return {
        "nref": int(metrics.overall["Nref"]),
        "nsys": int(metrics.overall["Nsys"]),
        "ntp": int(metrics.overall["Ntp"]),
        "f1": finite_or_none(overall["f_measure"]),
        "precision": finite_or_none(overall["precision"]),
        "recall": finite_or_none(overall["recall"]),
        "per_class": per_class,
    }


def mot(case):
    import numpy as np
    import motmetrics as mm
    from motmetrics.distances import boxiou

    max_distance = 1.0 - case.get("min_iou", 0.5)
    acc = mm.MOTAccumulator(auto_id=False)

    def by_frame(rows):
        frames = {}
        for track, frame, x, y, w, h in rows:
            frames.setdefault(int(frame), {}).setdefault(int(track), [x, y, w, h])
        return frames

    gold = by_frame(case["gold"])
    predicted = by_frame(case["predicted"])
    for frame in sorted(set(gold) | set(predicted)):
        objs = sorted(gold.get(frame, {}).items())
        hyps = sorted(predicted.get(frame, {}).items())
        o = np.asarray([b for _, b in objs], dtype=float).reshape(-1, 4)
        h = np.asarray([b for _, b in hyps], dtype=float).reshape(-1, 4)
        if len(objs) and len(hyps):
            iou = boxiou(o[:, None], h[None, :])
            # Zero overlap never pairs (annoqa's rule; equal to motmetrics' for min_iou > 0).
            dist = np.where((iou > 0) & (1.0 - iou <= max_distance), 1.0 - iou, np.nan)
        else:
            dist = np.empty((len(objs), len(hyps)))
        acc.update([t for t, _ in objs], [t for t, _ in hyps], dist, frameid=frame)

    names = [
        "num_objects",
        "num_predictions",
        "num_matches",
        "num_switches",
        "num_misses",
        "num_false_positives",
        "mota",
        "motp",
        "idtp",
        "idf1",
    ]
    summary = mm.metrics.create().compute(acc, metrics=names, name="item")
    row = {name: summary[name].iloc[0] for name in names}
    out = {name: int(row[name]) for name in names[:6]}
    out["idtp"] = int(row["idtp"])
    out["mota"] = finite_or_none(row["mota"])
    motp = finite_or_none(row["motp"])
    out["motp_iou"] = None if motp is None else 1.0 - motp
    out["idf1"] = finite_or_none(row["idf1"])
    return out


KINDS = {
    "box_iou": box_iou,
    "polygon_iou": polygon_iou,
    "wer": lambda case: edit_rate(case, characters=False),
    "cer": lambda case: edit_rate(case, characters=True),
    "events": events,
    "mot": mot,
}


def main():
    cases = json.load(sys.stdin)["cases"]
    results = []
    for case in cases:
        kind = case.get("kind")
        try:
            results.append(KINDS[kind](case))
        except Exception as e:  # one bad case must not hide the others' results
            results.append({"error": f"{kind}: {type(e).__name__}: {e}"})
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
