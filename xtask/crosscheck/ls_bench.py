#!/usr/bin/env python3
"""`annoqa convert` against label-studio-sdk's converter on one large Label Studio export.

Usage:
  ls_bench.py generate DIR [--tasks N] [--annotators N] [--boxes N] [--seed N]
  ls_bench.py run --annoqa BIN --data DIR --out DIR [--runs N] [--sdk-runs N]
  ls_bench.py compare --data DIR --out DIR   (the comparisons again, on the last run's outputs)

`generate` writes DIR/export.json (a seeded Label Studio JSON export: N image tasks, each with
annotators × boxes `rectanglelabels` results in percent of original_width/height, as Label
Studio exports them) and DIR/label_config.xml. Nothing is random but the seed.

`run` times whole processes (wall clock, and peak RSS from getrusage of the finished child),
each `--runs` times, median reported:
  - `annoqa convert export.json --from ls --config label_config.xml --to coco -o …` and `--to yolo`;
  - label-studio-sdk's `Converter(config, project_dir, download_resources=False)
    .convert_to_coco(export.json, out, is_dir=False)` and `.convert_to_yolo(…)`, each in a fresh
    interpreter (this script's Python must have label-studio-sdk);
  - `annoqa report export.json --from ls --config label_config.xml --html …` when the binary
    has `report`.
Then checks the outputs agree (COCO semantically: images by file name, categories by name,
annotations by image + category + bbox within 1e-6, ignoring ids; YOLO per label file, line by
line, numerically, where Label Studio keeps every annotation of an image) and prints a Markdown
table (also DIR/results.md and results.json).
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

LABELS = ["car", "person", "bike", "truck", "bus"]
SIZES = [(640, 480), (1920, 1080), (1280, 720), (1024, 768), (800, 800)]
PIXEL_TOLERANCE = 1e-6

CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
""" + "".join(f'    <Label value="{label}"/>\n' for label in LABELS) + """  </RectangleLabels>
</View>
"""


def generate(args):
    out = Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    (out / "label_config.xml").write_text(CONFIG, encoding="utf-8")
    tmp = out / "export.json.partial"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("[")
        annotation_id = 0
        for task in range(1, args.tasks + 1):
            width, height = SIZES[rng.randrange(len(SIZES))]
            annotations = []
            for annotator in range(1, args.annotators + 1):
                annotation_id += 1
                results = []
                for box in range(args.boxes):
                    w = rng.uniform(1, 30)
                    h = rng.uniform(1, 30)
                    results.append({
                        "id": f"t{task}a{annotator}b{box}",
                        "type": "rectanglelabels",
                        "from_name": "label",
                        "to_name": "image",
                        "original_width": width,
                        "original_height": height,
                        "image_rotation": 0,
                        "value": {"x": rng.uniform(0, 100 - w), "y": rng.uniform(0, 100 - h), "width": w, "height": h,
                                  "rotation": 0, "rectanglelabels": [LABELS[rng.randrange(len(LABELS))]]},
                    })
                stamp = f"2026-01-{1 + task % 28:02d}T{annotator:02d}:{task % 60:02d}:00.000000Z"
                annotations.append({
                    "id": annotation_id, "completed_by": annotator, "result": results, "was_cancelled": False,
                    "ground_truth": False, "created_at": stamp, "updated_at": stamp, "lead_time": round(rng.uniform(5, 120), 3),
                    "task": task, "project": 1,
                })
            entry = {"id": task, "data": {"image": f"https://images.example.org/bench/img-{task:06d}.jpg"},
                     "annotations": annotations, "predictions": [], "meta": {}, "project": 1,
                     "created_at": "2026-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00.000000Z"}
            if task > 1:
                f.write(",\n")
            f.write(json.dumps(entry, separators=(",", ":")))
        f.write("]\n")
    os.replace(tmp, out / "export.json")
    size = (out / "export.json").stat().st_size
    print(f"wrote {out / 'export.json'}: {args.tasks} tasks x {args.annotators} annotators x {args.boxes} boxes, {size / 2**20:.0f} MiB")


def measure(command, env=None):
    """Runs a command to completion; returns (seconds, peak RSS in MiB). RUSAGE_CHILDREN's
    ru_maxrss is the largest of all children a process waited for, so each command runs under
    a fresh `measure-one` process of its own, whose only child it is."""
    wrapper = [sys.executable, __file__, "measure-one", "--", *map(str, command)]
    proc = subprocess.run(wrapper, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(map(str, command))}` failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["seconds"], result["max_rss_mib"]


def measure_one(command):
    start = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-4000:])
        sys.exit(proc.returncode)
    # Linux reports ru_maxrss in KiB.
    max_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "max_rss_mib": max_rss}))


SDK_SNIPPET = """
import logging, sys
logging.disable(logging.WARNING)
from label_studio_sdk.converter import Converter
kind, config, data, out = sys.argv[1:5]
converter = Converter(config=config, project_dir=None, download_resources=False)
if kind == "coco":
    converter.convert_to_coco(data, out, is_dir=False)
else:
    converter.convert_to_yolo(data, out, is_dir=False)
"""


def fresh(path):
    path = Path(path)
    if path.exists():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return path


def run_folder(out, name, i):
    """The folder run `i` writes a YOLO dataset into: one per run, never a folder just deleted.
    ext4 passes over inodes freed in the last minute (`recently_deleted`) when it allocates
    one, so a run right after deleting 100,000 label files pays for that deletion, more with
    each run (10, 16, 59 s in one bench). The folders are deleted after all timings
    (`keep_last_run`)."""
    return fresh(out / f"{name}.run{i + 1}")


def keep_last_run(out, name, runs):
    """`out/name` becomes the last run's folder (the one compared); the others are deleted."""
    fresh(out / name)
    for i in range(runs):
        folder = out / f"{name}.run{i + 1}"
        if i == runs - 1:
            folder.rename(out / name)
        else:
            fresh(folder)


def timed_runs(name, runs, make_command):
    times, peaks = [], []
    for i in range(runs):
        command = make_command(i)
        # The previous run's outputs, deleted by `fresh`, reach the disk before the clock starts:
        # on a file system mounted with `discard` (as here) 100,000 deleted label files
        # otherwise stall the next run's journal for tens of seconds, whoever that run is.
        os.sync()
        seconds, peak = measure(command)
        times.append(seconds)
        peaks.append(peak)
        print(f"  {name} run {i + 1}: {seconds:.2f} s, peak RSS {peak:.0f} MiB", flush=True)
    return {"name": name, "median_s": statistics.median(times), "runs_s": times, "peak_rss_mib": max(peaks)}


def run(args):
    data = Path(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    export, config = data / "export.json", data / "label_config.xml"
    annoqa = str(Path(args.annoqa).resolve())
    results = {}
    results["annoqa_coco"] = timed_runs("annoqa convert --to coco", args.runs, lambda i: [
        annoqa, "convert", export, "--from", "ls", "--config", config, "--to", "coco", "-o", fresh(out / "annoqa-coco.json")])
    sdk_runs = args.sdk_runs or args.runs
    results["sdk_coco"] = timed_runs("label-studio-sdk convert_to_coco", sdk_runs, lambda i: [
        sys.executable, "-c", SDK_SNIPPET, "coco", config, export, fresh(out / "sdk-coco")])
    results["annoqa_yolo"] = timed_runs("annoqa convert --to yolo", args.runs, lambda i: [
        annoqa, "convert", export, "--from", "ls", "--config", config, "--to", "yolo", "-o", run_folder(out, "annoqa-yolo", i)])
    results["sdk_yolo"] = timed_runs("label-studio-sdk convert_to_yolo", sdk_runs, lambda i: [
        sys.executable, "-c", SDK_SNIPPET, "yolo", config, export, run_folder(out, "sdk-yolo", i)])
    has_report = subprocess.run([annoqa, "report", "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    if has_report:
        results["annoqa_report"] = timed_runs("annoqa report --html", args.runs, lambda i: [
            annoqa, "report", export, "--from", "ls", "--config", config, "--html", fresh(out / "report.html")])
    keep_last_run(out, "annoqa-yolo", args.runs)
    keep_last_run(out, "sdk-yolo", sdk_runs)
    coco = compare_coco(out / "annoqa-coco.json", out / "sdk-coco" / "result.json")
    yolo = compare_yolo(out / "annoqa-yolo", out / "sdk-yolo")
    summary = render(results, coco, yolo, has_report, data)
    (out / "results.json").write_text(json.dumps({"timings": results, "coco": coco, "yolo": yolo}, indent=1))
    (out / "results.md").write_text(summary)
    print(summary)
    return 0 if coco["equal"] and yolo["equal"] else 1


def recompare(args):
    """The comparisons and the table again, from the outputs and timings of the last `run`."""
    out = Path(args.out)
    results = json.loads((out / "results.json").read_text())["timings"]
    coco = compare_coco(out / "annoqa-coco.json", out / "sdk-coco" / "result.json")
    yolo = compare_yolo(out / "annoqa-yolo", out / "sdk-yolo")
    summary = render(results, coco, yolo, "annoqa_report" in results, Path(args.data))
    (out / "results.json").write_text(json.dumps({"timings": results, "coco": coco, "yolo": yolo}, indent=1))
    (out / "results.md").write_text(summary)
    print(summary)
    return 0 if coco["equal"] and yolo["equal"] else 1


def image_base(name):
    base = os.path.basename(name or "")
    m = re.match(r"^[0-9a-f]{8}__(.+)$", base)
    return m.group(1) if m else base


def compare_coco(ours_path, theirs_path):
    ours = json.loads(Path(ours_path).read_text())
    theirs = json.loads(Path(theirs_path).read_text())

    def index(coco):
        images = {i["id"]: (image_base(i["file_name"]), i.get("width"), i.get("height")) for i in coco["images"]}
        categories = {c["id"]: c["name"] for c in coco["categories"]}
        table = {}
        for a in coco["annotations"]:
            name = images[a["image_id"]][0]
            key = (name, categories[a["category_id"]])
            table.setdefault(key, []).append(a["bbox"])
        return set(images.values()), set(categories.values()), table

    our_images, our_categories, our_boxes = index(ours)
    their_images, their_categories, their_boxes = index(theirs)
    problems = []
    if our_images != their_images:
        problems.append(f"images differ: {len(our_images - their_images)} only annoqa, {len(their_images - our_images)} only sdk")
    if our_categories != their_categories:
        problems.append(f"categories differ: annoqa {sorted(our_categories)}, sdk {sorted(their_categories)}")
    unmatched = 0
    compared = 0
    for key in set(our_boxes) | set(their_boxes):
        a = sorted(our_boxes.get(key, []))
        b = sorted(their_boxes.get(key, []))
        compared += len(a)
        remaining = list(b)
        for box in a:
            hit = next((k for k, other in enumerate(remaining) if all(abs(x - y) <= PIXEL_TOLERANCE for x, y in zip(box, other))), None)
            if hit is None:
                unmatched += 1
            else:
                del remaining[hit]
        unmatched += len(remaining)
    if unmatched:
        problems.append(f"{unmatched} annotations unmatched")
    return {"equal": not problems, "annotations": compared, "problems": problems,
            "sdk_image_entries": len(theirs["images"]), "annoqa_image_entries": len(ours["images"])}


def compare_yolo(ours_dir, theirs_dir):
    """Label Studio's YOLO keeps one annotation per image (it rewrites the image's label file
    for each annotation, converter.py convert_to_yolo) where annoqa writes every annotator's
    boxes into the one file: files with as many lines are compared line for line, and every
    line Label Studio kept must be in annoqa's file of that image."""
    def read(root):
        root = Path(root)
        names = [l.strip() for l in (root / "classes.txt").read_text().splitlines() if l.strip()] if (root / "classes.txt").exists() else []
        files = {}
        for path in root.rglob("*.txt"):
            if path.name == "classes.txt":
                continue
            stem = image_base(path.stem)
            lines = []
            for line in path.read_text().splitlines():
                parts = line.split()
                if parts:
                    lines.append((names[int(parts[0])] if names else parts[0], [float(v) for v in parts[1:]]))
            files[stem] = lines
        return files

    ours, theirs = read(ours_dir), read(theirs_dir)
    same_count = [s for s in ours if s in theirs and len(ours[s]) == len(theirs[s])]
    different = 0
    for stem in same_count:
        a, b = sorted(ours[stem]), sorted(theirs[stem])
        if any(la != lb or any(abs(x - y) > PIXEL_TOLERANCE for x, y in zip(va, vb)) for (la, va), (lb, vb) in zip(a, b)):
            different += 1
    missing = 0
    for stem, lines in theirs.items():
        remaining = list(ours.get(stem, []))
        for label, values in lines:
            hit = next((k for k, (l2, v2) in enumerate(remaining) if l2 == label and len(v2) == len(values) and all(abs(x - y) <= PIXEL_TOLERANCE for x, y in zip(values, v2))), None)
            if hit is None:
                missing += 1
            else:
                del remaining[hit]
    line_counts = (sum(len(v) for v in ours.values()), sum(len(v) for v in theirs.values()))
    equal = different == 0 and missing == 0 and set(theirs) <= set(ours)
    return {"equal": equal, "files": (len(ours), len(theirs)), "lines": line_counts, "files_compared": len(same_count),
            "files_different": different, "sdk_lines_not_in_annoqa": missing}


def render(results, coco, yolo, has_report, data):
    lines = [f"data: {data / 'export.json'}", "", "| work | median | runs | peak RSS |", "| --- | ---: | --- | ---: |"]
    for r in results.values():
        lines.append(f"| {r['name']} | {r['median_s']:.2f} s | {', '.join(f'{t:.2f}' for t in r['runs_s'])} | {r['peak_rss_mib']:.0f} MiB |")
    lines.append("")
    for kind in ("coco", "yolo"):
        a, b = results[f"annoqa_{kind}"], results[f"sdk_{kind}"]
        lines.append(f"{kind}: annoqa is {b['median_s'] / a['median_s']:.1f}x faster (median), peak RSS {a['peak_rss_mib']:.0f} vs {b['peak_rss_mib']:.0f} MiB")
    lines.append(f"coco outputs equal: {coco['equal']} ({coco['annotations']} annotations; image entries annoqa {coco['annoqa_image_entries']}, sdk {coco['sdk_image_entries']}) {'; '.join(coco['problems'])}")
    lines.append(f"yolo outputs agree: {yolo['equal']} (files annoqa/sdk {yolo['files']}, lines annoqa/sdk {yolo['lines']}; "
                 f"sdk lines not in annoqa's file: {yolo['sdk_lines_not_in_annoqa']}; files of equal length compared line for line: {yolo['files_compared']}, differing {yolo['files_different']})")
    if not has_report:
        lines.append("annoqa report: not in this binary")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--tasks", type=int, default=100_000)
    g.add_argument("--annotators", type=int, default=3)
    g.add_argument("--boxes", type=int, default=10)
    g.add_argument("--seed", type=int, default=7)
    r = sub.add_parser("run")
    r.add_argument("--annoqa", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--runs", type=int, default=3)
    # The SDK's runs take minutes each and vary by a few percent: fewer of them change no
    # conclusion and save most of the bench's time.
    r.add_argument("--sdk-runs", type=int, default=0, help="runs of the SDK (default: --runs)")
    c = sub.add_parser("compare")
    c.add_argument("--data", required=True)
    c.add_argument("--out", required=True)
    m = sub.add_parser("measure-one")
    m.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args)
        return 0
    if args.command == "measure-one":
        command = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
        measure_one(command)
        return 0
    if args.command == "compare":
        return recompare(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
