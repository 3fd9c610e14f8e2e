#!/usr/bin/env python3
"""A real Label Studio as the judge of `annoqa convert`.

Usage: ls_crosscheck.py --annoqa BIN --work DIR --corpus DIR [--seed N] [--port N]
                        [--url URL --email E --password P]

`--url` uses a Label Studio that is already running (while working on this script) instead of
starting a fresh one; it must have the given account and no users besides it.

Run with the Python of a venv that has `label-studio` (its `label-studio` script is found
beside this interpreter). For every case (seeded generated annoqa records, and Label Studio
exports from the interop corpus read with `annoqa convert --from ls`):

1. `annoqa convert RECORDS --from annoqa --to ls -o ls.json` (which also writes
   `ls.label_config.xml`), `--to coco`, `--to yolo` (image cases);
2. the SDK's `LabelInterface` (the code Label Studio validates predictions with) checks every
   annotation and prediction of `ls.json` against the config annoqa wrote;
3. a fresh Label Studio (own data dir and SQLite, loopback, session login + CSRF) gets a
   project with that config and imports `ls.json` through `/api/projects/{id}/import`;
4. its own exporters (`/api/projects/{id}/export?exportType=JSON|COCO|YOLO|YOLO_OBB`) give
   the files compared with annoqa's: JSON value by value (floats to 1e-9), COCO semantically
   (images by file name, categories by name, annotations by image + category + bbox within
   1e-6, ignoring ids and order), YOLO per label file, line by line, numerically.

Where Label Studio's exporter departs from its own documented meaning, the difference is
checked against a model of exactly that departure and listed as `ls-deviation` (with the
source line that causes it) instead of failing; anything else is a `MISMATCH` and the script
exits 1.
"""

import argparse
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import requests

FLOAT_TOLERANCE = 1e-9
PIXEL_TOLERANCE = 1e-6
ADMIN_EMAIL = "crosscheck@example.com"
ADMIN_PASSWORD = "crosscheck-Pass-1"
# Label Studio keeps user ids; the generated records use annotators 1..3 and the corpus up to 2.
EXTRA_USERS = 2

# ---------------------------------------------------------------------------------------------
# Results table


class Table:
    """Rows of (case, check, status, detail); status is ok, MISMATCH, ls-deviation or skipped."""

    def __init__(self):
        self.rows = []

    def add(self, case, check, status, detail=""):
        self.rows.append((case, check, status, detail))
        print(f"  {status:12} {case} / {check}{': ' + detail if detail else ''}", flush=True)

    def mismatches(self):
        return [r for r in self.rows if r[2] == "MISMATCH"]

    def render(self):
        head = ("case", "check", "status", "detail")
        widths = [max(len(str(r[i])) for r in self.rows + [head]) for i in range(3)]
        lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head[:3], widths)) + " | detail |"]
        lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|---|")
        for case, check, status, detail in self.rows:
            detail = detail.replace("|", "\\|").replace("\n", " ")
            if len(detail) > 400:
                detail = detail[:400] + " …"
            lines.append(f"| {case.ljust(widths[0])} | {check.ljust(widths[1])} | {status.ljust(widths[2])} | {detail} |")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Generated records


def region_id(rng):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
    return "".join(rng.choice(alphabet) for _ in range(10))


IMAGE_SIZES = [(640, 480), (1920, 1080), (500, 500), (333, 777), (1000, 1000), (800, 600), (1280, 720), (450, 900)]


def gen_box(rng, width, height, labels, rotated):
    w = rng.uniform(5, width / 3)
    h = rng.uniform(5, height / 3)
    x = rng.uniform(0, width - w)
    y = rng.uniform(0, height - h)
    region = {"type": "b_box", "x": x, "y": y, "width": w, "height": h, "label": rng.choice(labels)}
    if rotated:
        region["rotation"] = rng.uniform(1, 359)
    return region


def gen_polygon(rng, width, height, labels):
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    radius = rng.uniform(0.05, 0.18) * min(width, height)
    n = rng.randint(3, 7)
    # Points around a centre at increasing angles: a simple polygon.
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    points = [[cx + radius * rng.uniform(0.5, 1) * math.cos(a), cy + radius * rng.uniform(0.5, 1) * math.sin(a)] for a in angles]
    return {"type": "polygon", "points": points, "label": rng.choice(labels)}


def image_records(rng):
    records = []
    for k, (width, height) in enumerate(IMAGE_SIZES):
        item = {"id": str(101 + k), "media": {"type": "image", "src": f"https://images.example.org/set/img-{101 + k}.jpg", "width": width, "height": height}}
        annotators = ["1"] if k % 2 == 0 else ["1", "2", "3"]
        for annotator in annotators:
            regions = []
            for _ in range(rng.randint(1, 4)):
                regions.append({"id": region_id(rng), "control": "label", **gen_box(rng, width, height, ["car", "person", "bike"], rng.random() < 0.35)})
            for _ in range(rng.randint(1, 2)):
                regions.append({"id": region_id(rng), "control": "poly", **gen_polygon(rng, width, height, ["road", "sky"])})
            regions.append({"id": region_id(rng), "control": "scene", "type": "choice", "labels": [rng.choice(["day", "night", "dusk"])]})
            records.append({"item": item, "annotator": annotator, "source": "annotation", "regions": regions})
        prediction = []
        for _ in range(rng.randint(1, 3)):
            region = {"id": region_id(rng), "control": "label", **gen_box(rng, width, height, ["car", "person", "bike"], False)}
            region["attributes"] = {"score": repr(round(rng.uniform(0.5, 0.99), 4))}
            prediction.append(region)
        records.append({"item": item, "annotator": "detector-v2", "source": "prediction", "regions": prediction, "score": round(rng.uniform(0.5, 0.99), 4)})
    return records


KEYPOINT_LABELS = ["nose", "left_eye", "right_eye"]


def keypoint_records(rng):
    records = []
    for k, (width, height) in enumerate(IMAGE_SIZES[:4]):
        item = {"id": str(201 + k), "media": {"type": "image", "src": f"https://images.example.org/pose/p-{201 + k}.jpg", "width": width, "height": height}}
        regions = []
        for _ in range(rng.randint(1, 2)):
            box = {"id": region_id(rng), "control": "box", **gen_box(rng, width, height, ["person"], False)}
            regions.append(box)
            for label in KEYPOINT_LABELS:
                regions.append({
                    "id": region_id(rng), "control": "kp", "type": "keypoint",
                    "x": box["x"] + rng.uniform(0.1, 0.9) * box["width"], "y": box["y"] + rng.uniform(0.1, 0.9) * box["height"],
                    "label": label, "attributes": {"parent": box["id"]},
                })
        records.append({"item": item, "annotator": "1", "source": "annotation", "regions": regions})
    return records


TEXTS = [
    "Ada Lovelace met Charles Babbage in London in 1833.",
    "Grüße aus Zürich: Müller & Söhne GmbH eröffnet in Köln.",
    "東京の Sony と大阪の Panasonic が提携した。",
    "The 🚀 launch by SpaceX from Florida went well 🎉 says NASA.",
    "Ελληνικά: ο Νίκος ζει στην Αθήνα και δουλεύει στη ΔΕΗ.",
    "Plain ASCII text about Acme Corp and Jane Doe in Paris.",
]


def text_records(rng):
    records = []
    for k, text in enumerate(TEXTS):
        item = {"id": str(301 + k), "media": {"type": "text", "text": text}}
        # Word offsets in Unicode scalar values (Python str indices are code points).
        words = [(m.start(), m.end()) for m in re.finditer(r"[^\s:.,&。が]+", text)]
        for annotator in ["1", "2"][: 1 + k % 2]:
            regions = []
            for start, end in sorted(rng.sample(words, min(len(words), rng.randint(1, 3)))):
                regions.append({"id": region_id(rng), "control": "ner", "type": "text_span", "start": start, "end": end, "label": rng.choice(["PER", "ORG", "LOC"])})
            regions.append({"id": region_id(rng), "control": "sentiment", "type": "choice", "labels": [rng.choice(["positive", "negative", "neutral"])]})
            records.append({"item": item, "annotator": annotator, "source": "annotation", "regions": regions})
    return records


def audio_records(rng):
    records = []
    for k in range(4):
        duration = 30.0 + k
        item = {"id": str(401 + k), "media": {"type": "audio", "src": f"https://audio.example.org/clip-{401 + k}.wav", "duration": duration, "sample_rate": 16000, "channels": 1}}
        regions = []
        t = 0.0
        for _ in range(rng.randint(1, 4)):
            start = t + rng.uniform(0.1, 3)
            end = start + rng.uniform(0.5, 4)
            t = end
            label = rng.choice(["speech", "music", "noise"])
            region = {"id": region_id(rng), "control": "seg", "type": "audio_segment", "start": start, "end": end, "label": label}
            if label == "speech":
                region["transcript"] = rng.choice(["hello there", "good morning everyone", "ça va très bien"])
            regions.append(region)
        regions.append({"id": region_id(rng), "control": "quality", "type": "choice", "labels": [rng.choice(["clean", "noisy"])]})
        records.append({"item": item, "annotator": "1", "source": "annotation", "regions": regions})
    return records


def generated_cases(seed):
    rng = random.Random(seed)
    return [
        ("gen-image", image_records(rng), True),
        ("gen-keypoints", keypoint_records(rng), True),
        ("gen-text", text_records(rng), False),
        ("gen-audio", audio_records(rng), False),
    ]


# Label Studio exports in the corpus that come with their labeling config: (case, data, config).
CORPUS_CASES = [
    ("sdk-export-coco", "ls-sdk/tests/custom/converter/data/test_export_coco/data.json", "ls-sdk/tests/custom/converter/data/test_export_coco/label_config.xml"),
    ("sdk-export-yolo-keypoints", "ls-sdk/tests/custom/converter/data/test_export_yolo/data_keypoints.json", "ls-sdk/tests/custom/converter/data/test_export_yolo/label_config_keypoints.xml"),
    ("conv-export-yolo", "ls-converter/tests/data/test_export_yolo/data.json", "ls-converter/tests/data/test_export_yolo/label_config.xml"),
    ("conv-export-yolo-obb", "ls-converter/tests/data/test_export_yolo/data_obb.json", "ls-converter/tests/data/test_export_yolo/label_config_obb.xml"),
    ("conv-export-yolo-polygons", "ls-converter/tests/data/test_export_yolo/data_polygons.json", "ls-converter/tests/data/test_export_yolo/label_config_polygons.xml"),
    ("conv-export-json-min", "ls-converter/tests/data/test_export_json_min/data.json", "ls-converter/tests/data/test_export_json_min/label_config.xml"),
]


# ---------------------------------------------------------------------------------------------
# annoqa


def run_annoqa(binary, args):
    """Runs `annoqa ARGS`; returns (exit code, stderr)."""
    proc = subprocess.run([str(binary), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc.returncode, proc.stderr.strip()


# ---------------------------------------------------------------------------------------------
# Label Studio


class LabelStudio:
    """One Label Studio server started by this script, on loopback, with its own data dir."""

    def __init__(self, data_dir, port, url=None, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
        self.base = url.rstrip("/") if url else f"http://127.0.0.1:{port}"
        self.port = port
        self.email, self.password = email, password
        self.data_dir = Path(data_dir)
        self.proc = None
        self.session = requests.Session()

    def start(self, log_path):
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        env = dict(os.environ)
        env.update({
            "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir),
            "LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            # The import check of predictions (LabelInterface) is behind this flag; the script
            # runs the same check itself, so the server only logs.
            "DJANGO_DB": "sqlite",
        })
        exe = Path(sys.executable).parent / "label-studio"
        log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--port", str(self.port), "--internal-host", "127.0.0.1",
             "--data-dir", str(self.data_dir), "--username", self.email, "--password", self.password],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        deadline = time.time() + 900
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"label-studio exited ({self.proc.returncode}); see {log_path}")
            try:
                if requests.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(3)
        raise RuntimeError(f"label-studio did not answer /health within 15 minutes; see {log_path}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            # Our own process group (start_new_session), by its id.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def login(self):
        """Session login through the login form (legacy API tokens are off by default in 1.23)."""
        self.session.get(self.base + "/user/login/").raise_for_status()
        response = self.session.post(
            self.base + "/user/login/",
            data={"email": self.email, "password": self.password, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]},
            headers={"Referer": self.base + "/user/login/"}, allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"label-studio login failed: {response.status_code}")
        self.whoami = self.api("GET", "/api/current-user/whoami")

    def api(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers.update({"X-CSRFToken": self.session.cookies["csrftoken"], "Referer": self.base + "/"})
        response = self.session.request(method, self.base + path, headers=headers, timeout=600, **kwargs)
        if response.status_code >= 400:
            raise LabelStudioError(f"{method} {path}: {response.status_code} {response.text[:800]}")
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response.content

    def create_users(self, count):
        """Users 2, 3, …: the annotators' ids in the records (Label Studio refuses an import whose
        `completed_by` is not a member's id)."""
        for n in range(count):
            self.api("POST", "/api/users/", json={"email": f"annotator{n + 2}@example.com", "username": f"annotator{n + 2}", "password": f"crosscheck-Pass-{n + 2}"})

    def create_project(self, title, config):
        return self.api("POST", "/api/projects/", json={"title": title, "label_config": config})["id"]

    def import_tasks(self, project, tasks):
        return self.api("POST", f"/api/projects/{project}/import", json=tasks)

    def export(self, project, export_type):
        return self.api("GET", f"/api/projects/{project}/export", params={"exportType": export_type, "download_resources": "false"})


class LabelStudioError(RuntimeError):
    pass


# ---------------------------------------------------------------------------------------------
# Comparison helpers


def close(a, b, tol):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def diff_values(ours, theirs, path, out, tol=FLOAT_TOLERANCE):
    """Every place where `theirs` does not keep a value of `ours` (keys of ours drive)."""
    if isinstance(ours, bool) or isinstance(theirs, bool):
        if ours != theirs:
            out.append(f"{path}: annoqa {ours!r}, label studio {theirs!r}")
    elif isinstance(ours, (int, float)) and isinstance(theirs, (int, float)):
        if not close(float(ours), float(theirs), tol):
            out.append(f"{path}: annoqa {ours!r}, label studio {theirs!r}")
    elif isinstance(ours, dict) and isinstance(theirs, dict):
        for key, value in ours.items():
            if key not in theirs:
                out.append(f"{path}.{key}: annoqa writes {json.dumps(value)[:80]}, label studio drops it")
            else:
                diff_values(value, theirs[key], f"{path}.{key}", out, tol)
    elif isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            out.append(f"{path}: annoqa {len(ours)} entries, label studio {len(theirs)}")
        for i, (a, b) in enumerate(zip(ours, theirs)):
            diff_values(a, b, f"{path}[{i}]", out, tol)
    elif ours != theirs:
        out.append(f"{path}: annoqa {json.dumps(ours)[:80]}, label studio {json.dumps(theirs)[:80]}")


def canonical(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# Fields Label Studio assigns itself on import: ids (task, annotation, prediction) and the
# bookkeeping annoqa does not write.
ASSIGNED_KEYS = {"id", "task", "project", "created_at", "updated_at"}


def result_key(result):
    return (result.get("id"), result.get("from_name"), result.get("type"))


def compare_results(ours, theirs, path, out):
    theirs_by_key = {}
    for r in theirs:
        theirs_by_key.setdefault(result_key(r), []).append(r)
    for i, r in enumerate(ours):
        candidates = theirs_by_key.get(result_key(r)) or []
        if not candidates:
            out.append(f"{path}.result[{i}] ({r.get('type')} {r.get('id')}): not in label studio's export")
            continue
        diff_values(r, candidates.pop(0), f"{path}.result[{i}]", out)
    for key, rest in theirs_by_key.items():
        for _ in rest:
            out.append(f"{path}: label studio has an extra result {key}")


def compare_entries(kind, ours, theirs, path, out):
    """Annotations or predictions of one task, paired in order (import keeps it)."""
    if len(ours) != len(theirs):
        out.append(f"{path}.{kind}: annoqa {len(ours)}, label studio {len(theirs)}")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        here = f"{path}.{kind}[{i}]"
        for key, value in a.items():
            if key in ASSIGNED_KEYS or key == "result":
                continue
            if key not in b:
                out.append(f"{here}.{key}: annoqa writes {json.dumps(value)[:80]}, label studio drops it")
            else:
                diff_values(value, b[key], f"{here}.{key}", out)
        compare_results(a.get("result", []), b.get("result", []), here, out)


def compare_ls_json(ours_tasks, theirs_tasks):
    out = []
    by_data = {}
    for task in theirs_tasks:
        by_data.setdefault(canonical(task.get("data")), []).append(task)
    for i, task in enumerate(ours_tasks):
        path = f"$[{i}]"
        candidates = by_data.get(canonical(task.get("data"))) or []
        if not candidates:
            out.append(f"{path}: no task with the same data in label studio's export")
            continue
        other = candidates.pop(0)
        for key, value in task.items():
            if key in ASSIGNED_KEYS or key in ("annotations", "predictions"):
                continue
            if key not in other:
                out.append(f"{path}.{key}: annoqa writes {json.dumps(value)[:80]}, label studio drops it")
            else:
                diff_values(value, other[key], f"{path}.{key}", out)
        compare_entries("annotations", sort_entries(task.get("annotations", [])), sort_entries(other.get("annotations", [])), path, out)
        compare_entries("predictions", sort_entries(task.get("predictions", [])), sort_entries(other.get("predictions", [])), path, out)
    return out


def sort_entries(entries):
    def key(entry):
        who = entry.get("completed_by", entry.get("model_version"))
        if isinstance(who, dict):
            who = who.get("id")
        return (str(who), sorted(str(r.get("id")) for r in entry.get("result", [])))
    return sorted(entries, key=key)


# ---------------------------------------------------------------------------------------------
# COCO


LS_IMAGE_NAME = re.compile(r"^(?:.*/)?([0-9a-f]{8})__(.+)$")


def ls_image_name(file_name, urls):
    """Label Studio names an image it did not download `images/<md5(url)[:8]>__<basename>`
    (label_studio_sdk `_build_cache_path`); returns the basename and whether the hash is right."""
    m = LS_IMAGE_NAME.match(file_name or "")
    if not m:
        return os.path.basename(file_name or ""), False
    digest, name = m.groups()
    return name, any(hashlib.md5(u.encode()).hexdigest()[:8] == digest for u in urls)


def coco_index(coco, name_of_image):
    images = {}
    for image in coco.get("images", []):
        images[image["id"]] = (name_of_image(image.get("file_name")), image.get("width"), image.get("height"))
    categories = {c["id"]: c["name"] for c in coco.get("categories", [])}
    keypoint_names = {c["id"]: c.get("keypoints") or [] for c in coco.get("categories", [])}
    annotations = []
    for a in coco.get("annotations", []):
        image = images.get(a.get("image_id"), (None, None, None))
        annotations.append({
            "image": image[0], "category": categories.get(a.get("category_id")), "bbox": a.get("bbox") or [],
            "keypoint_names": keypoint_names.get(a.get("category_id"), []),
            "segmentation": a.get("segmentation") or [], "area": a.get("area"),
            # An instance whose keypoints are all (0, 0, 0) has none (COCO: v = 0 is "not labelled").
            "keypoints": a.get("keypoints") if any(a.get("keypoints") or []) else [],
        })
    return images, categories, annotations


def bbox_close(a, b):
    return len(a) == len(b) == 4 and all(abs(x - y) <= PIXEL_TOLERANCE for x, y in zip(a, b))


def flat_close(a, b):
    a = [v for part in a for v in (part if isinstance(part, list) else [part])]
    b = [v for part in b for v in (part if isinstance(part, list) else [part])]
    return len(a) == len(b) and all(abs(x - y) <= PIXEL_TOLERANCE for x, y in zip(a, b))


def compare_coco(ours, theirs, urls, choice_labels, rotated_models):
    """Returns (mismatches, deviations): lists of strings."""
    mismatches, deviations = [], []
    bad_hash = []

    def theirs_name(name):
        base, ok = ls_image_name(name, urls)
        if not ok:
            bad_hash.append(name)
        return base

    our_images, our_categories, our_annotations = coco_index(ours, lambda n: os.path.basename(n or ""))
    their_images, their_categories, their_annotations = coco_index(theirs, theirs_name)
    if bad_hash:
        deviations.append(f"{len(bad_hash)} label studio file names without the md5 prefix, e.g. {bad_hash[0]}")
    ours_set = {(n, w, h) for n, w, h in our_images.values()}
    theirs_set = {(n, w, h) for n, w, h in their_images.values()}
    if ours_set != theirs_set:
        mismatches.append(f"images: only annoqa {sorted(ours_set - theirs_set)[:4]}, only label studio {sorted(theirs_set - ours_set)[:4]}")
    if len(their_images) != len(theirs_set):
        deviations.append(f"label studio lists {len(their_images)} image entries for {len(theirs_set)} images (one per annotation: converter.py convert_to_coco `image_id = len(images)` per item)")
    our_names, their_names = set(our_categories.values()), set(their_categories.values())
    if our_names != their_names:
        extra = their_names - our_names
        if "default" in extra and any(a["category"] == "default" and a["keypoints"] for a in their_annotations):
            deviations.append("label studio puts every keypoint label into one category `default` (keypoints.py update_categories_for_keypoints)")
            extra = extra - {"default"}
        if extra and extra <= choice_labels and not (our_names - their_names):
            deviations.append(f"label studio adds categories {sorted(extra)} from Choices (converter.py _get_labels takes every control's labels)")
        elif not extra and not (our_names - their_names):
            pass
        else:
            mismatches.append(f"categories: only annoqa {sorted(our_names - their_names)}, only label studio {sorted(their_names - our_names)}")
    unmatched_theirs = list(their_annotations)
    unmatched_ours = []
    for a in our_annotations:
        for j, b in enumerate(unmatched_theirs):
            if a["image"] == b["image"] and a["category"] == b["category"] and bbox_close(a["bbox"], b["bbox"]) \
                    and flat_close(a["segmentation"], b["segmentation"]) and flat_close(a["keypoints"], b["keypoints"]):
                del unmatched_theirs[j]
                break
        else:
            unmatched_ours.append(a)
    explain_rotated(unmatched_ours, unmatched_theirs, rotated_models, deviations)
    explain_keypoints(unmatched_ours, unmatched_theirs, deviations, mismatches)
    for a in unmatched_ours:
        mismatches.append(f"annoqa annotation not in label studio's: {describe_coco(a)}")
    for b in unmatched_theirs:
        mismatches.append(f"label studio annotation not in annoqa's: {describe_coco(b)}")
    return mismatches, deviations


def describe_coco(a):
    text = f"{a['image']} {a['category']} bbox {[round(v, 4) for v in a['bbox']]}"
    if a["segmentation"]:
        text += f" segmentation of {sum(len(s) for s in a['segmentation']) // 2} points"
    if a["keypoints"]:
        text += f" keypoints {a['keypoints'][:9]}"
    return text


def rotated_boxes(records):
    """For each rotated box of the records: (image basename, label, pixel-true enclosing bbox,
    label studio's enclosing bbox computed in percent space, converter.py `rotated_rectangle`)."""
    models = []
    for record in records:
        media = record["item"]["media"]
        if media.get("type") != "image":
            continue
        W, H = media["width"], media["height"]
        for r in record["regions"]:
            if r.get("type") != "b_box" or not r.get("rotation"):
                continue
            models.append((os.path.basename(media["src"]), r["label"], true_enclosing(r), ls_percent_enclosing(r, W, H)))
    return models


def true_enclosing(r):
    theta = math.radians(r["rotation"])
    c, s = math.cos(theta), math.sin(theta)
    xs, ys = [], []
    for dx, dy in [(0, 0), (r["width"], 0), (r["width"], r["height"]), (0, r["height"])]:
        xs.append(r["x"] + dx * c - dy * s)
        ys.append(r["y"] + dx * s + dy * c)
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def ls_percent_enclosing(r, W, H):
    """label_studio_sdk converter.py Converter.rotated_rectangle, on the percent values, then
    scaled to pixels as convert_to_coco does."""
    x, y, w, h = r["x"] / W * 100, r["y"] / H * 100, r["width"] / W * 100, r["height"] / H * 100
    alpha = math.atan(h / w)
    beta = math.pi * (r["rotation"] / 180)
    radius = math.sqrt((w / 2) ** 2 + (h / 2) ** 2)
    x0 = x - radius * (math.cos(math.pi - alpha - beta) - math.cos(math.pi - alpha)) + w / 2
    y0 = y + radius * (math.sin(math.pi - alpha - beta) - math.sin(math.pi - alpha)) + h / 2
    thetas = [alpha + beta, math.pi - alpha + beta, math.pi + alpha + beta, 2 * math.pi - alpha + beta]
    xs = [x0 + radius * math.cos(t) for t in thetas]
    ys = [y0 + radius * math.sin(t) for t in thetas]
    return [min(xs) * W / 100, min(ys) * H / 100, (max(xs) - min(xs)) * W / 100, (max(ys) - min(ys)) * H / 100]


def explain_keypoints(unmatched_ours, unmatched_theirs, deviations, mismatches):
    """Label Studio writes an annotation's boxes without keypoints, plus one instance of category
    `default` holding all its keypoints rounded to whole pixels, later ones of a name replacing
    earlier ones (keypoints.py process_keypoints_for_coco); annoqa writes each box with its own
    keypoints. Pairs are explained when the boxes agree and every keypoint Label Studio wrote is
    the rounding of an annoqa keypoint of the same name on that image."""
    merged = [b for b in unmatched_theirs if b["category"] == "default" and b["keypoints"]]
    for b in merged:
        ours_here = [a for a in unmatched_ours if a["image"] == b["image"] and a["keypoints"]]
        if not ours_here:
            continue
        candidates = {}
        for a in ours_here:
            for i, name in enumerate(a["keypoint_names"]):
                x, y, v = a["keypoints"][3 * i: 3 * i + 3]
                if v:
                    candidates.setdefault(name, set()).add((round(x), round(y)))
        wrong = []
        for i, name in enumerate(b["keypoint_names"]):
            x, y, v = b["keypoints"][3 * i: 3 * i + 3]
            if v and (x, y) not in candidates.get(name, set()):
                wrong.append(f"{name} ({x}, {y})")
        if wrong:
            mismatches.append(f"{b['image']}: label studio keypoints {wrong} are no annoqa keypoint rounded")
            continue
        unmatched_theirs.remove(b)
        for a in ours_here:
            box = next((c for c in unmatched_theirs if c["image"] == a["image"] and c["category"] == a["category"] and not c["keypoints"] and bbox_close(c["bbox"], a["bbox"])), None)
            if box is not None:
                unmatched_theirs.remove(box)
                unmatched_ours.remove(a)
        deviations.append(f"{b['image']}: label studio merges the keypoints of {len(ours_here)} instance(s) into one `default` instance rounded to whole pixels (keypoints.py process_keypoints_for_coco); each agrees with annoqa's rounded")


def explain_rotated(unmatched_ours, unmatched_theirs, models, deviations):
    """Pairs left over where annoqa has the rotated box's true enclosing box and Label Studio the
    one its converter computes in percent space (wrong unless the image is square)."""
    explained = []
    for image, label, true_box, ls_box in models:
        ours = next((a for a in unmatched_ours if a["image"] == image and a["category"] == label and bbox_close(a["bbox"], true_box)), None)
        theirs = next((b for b in unmatched_theirs if b["image"] == image and b["category"] == label and bbox_close(b["bbox"], ls_box)), None)
        if ours is not None and theirs is not None:
            unmatched_ours.remove(ours)
            unmatched_theirs.remove(theirs)
            explained.append((image, max(abs(a - b) for a, b in zip(true_box, ls_box))))
    if explained:
        image, worst = max(explained, key=lambda e: e[1])
        deviations.append(f"{len(explained)} rotated boxes: annoqa writes the true enclosing box, label studio rotates in percent space "
                          f"(converter.py rotated_rectangle ignores the aspect ratio), up to {worst:.1f} px apart ({image})")


# ---------------------------------------------------------------------------------------------
# YOLO


def yolo_files_from_dir(root):
    files = {}
    for path in Path(root).rglob("*"):
        if path.is_file():
            files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
    return files


def yolo_files_from_zip(blob):
    files = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for name in archive.namelist():
            if not name.endswith("/"):
                files[name] = archive.read(name).decode("utf-8")
    return files


def label_files(files, strip_hash):
    out = {}
    for name, text in files.items():
        if not name.endswith(".txt") or name.endswith("classes.txt"):
            continue
        stem = Path(name).stem
        if strip_hash:
            m = re.match(r"^[0-9a-f]{8}__(.+)$", stem)
            stem = m.group(1) if m else stem
        out[stem] = text
    return out


def class_names(files):
    for name, text in files.items():
        if name.endswith("classes.txt"):
            return [line.strip() for line in text.splitlines() if line.strip()]
    return None


def parse_yolo_lines(text, names):
    lines = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        index = int(parts[0])
        label = names[index] if names and 0 <= index < len(names) else f"#{index}"
        lines.append((label, [float(v) for v in parts[1:]]))
    return lines


def keypoint_dims(files):
    """`kpt_shape: [K, D]` of annoqa's data.yaml, as (K, D), or None."""
    for name, text in files.items():
        if name.endswith("data.yaml"):
            m = re.search(r"^kpt_shape:\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]", text, re.M)
            if m:
                return int(m.group(1)), int(m.group(2))
    return None


def drop_visibility(lines, count):
    """Label Studio's pose lines carry (x, y, v) per keypoint; as (x, y) when annoqa's dataset
    declares two values per keypoint (v is 2 for every keypoint Label Studio writes, and a
    missing one is 0 0 0)."""
    out = []
    for label, values in lines:
        if len(values) == 4 + 3 * count:
            kps = values[4:]
            values = values[:4] + [v for i in range(count) for v in kps[3 * i: 3 * i + 2]]
        out.append((label, values))
    return out


def compare_yolo(ours_files, theirs_files, single_annotation_stems, polygon_labels, obb):
    mismatches, deviations = [], []
    our_names, their_names = class_names(ours_files), class_names(theirs_files)
    ours, theirs = label_files(ours_files, False), label_files(theirs_files, True)
    dims = keypoint_dims(ours_files)
    if dims and dims[1] == 2:
        deviations.append(f"label studio writes keypoints as (x, y, v) and no data.yaml; annoqa declares kpt_shape [{dims[0]}, 2]: compared on x, y")
    dropped_polygons = 0
    for stem in sorted(set(ours) | set(theirs)):
        if stem not in single_annotation_stems:
            deviations.append(f"{stem}: not compared, several annotations of one image (label studio's YOLO keeps one: convert_to_yolo writes label files per annotation with os.replace)")
            continue
        a = parse_yolo_lines(ours.get(stem, ""), our_names)
        b = parse_yolo_lines(theirs.get(stem, ""), their_names)
        if dims and dims[1] == 2:
            b = drop_visibility(b, dims[0])
        if obb and not any(label in polygon_labels for label, _ in a):
            kept = [(label, values) for label, values in b if label not in polygon_labels]
            dropped_polygons += len(b) - len(kept)
            b = kept
        if stem not in ours or stem not in theirs:
            if a or b:
                mismatches.append(f"{stem}.txt: only in {'annoqa' if stem in ours else 'label studio'} ({len(a) or len(b)} lines)")
            continue
        remaining = list(b)
        for label, values in a:
            hit = next((k for k, (l2, v2) in enumerate(remaining) if l2 == label and len(v2) == len(values) and all(abs(x - y) <= PIXEL_TOLERANCE for x, y in zip(values, v2))), None)
            if hit is None:
                mismatches.append(f"{stem}.txt: annoqa line `{label} {' '.join(f'{v:.6f}' for v in values)}` not in label studio's")
            else:
                del remaining[hit]
        for label, values in remaining:
            mismatches.append(f"{stem}.txt: label studio line `{label} {' '.join(f'{v:.6f}' for v in values)}` not in annoqa's")
    if dropped_polygons:
        deviations.append(f"label studio writes {dropped_polygons} polygon lines into its YOLO_OBB dataset (exports/yolo.py writes polygons whatever is_obb), which an OBB reader takes for boxes; annoqa leaves polygons out of an obb dataset and says so")
    return mismatches, deviations


# ---------------------------------------------------------------------------------------------
# One case


def with_model_index(config_text):
    """The config with `model_index` on every KeyPointLabels label that lacks one, in label
    order; None when nothing was missing."""
    root = ET.fromstring(config_text)
    changed = False
    for tag in root.iter("KeyPointLabels"):
        for index, label in enumerate(tag.iter("Label")):
            if label.get("model_index") is None:
                label.set("model_index", str(index))
                changed = True
    return ET.tostring(root, encoding="unicode") if changed else None


def config_facts(config_text):
    """Choice labels, and whether keypoints / rotated boxes / polygons appear, from an LS config."""
    root = ET.fromstring(config_text)
    choices = {c.get("value") for tag in root.iter("Choices") for c in tag.iter("Choice")}
    tags = {e.tag for e in root.iter()}
    return choices, tags


def has_rotation(tasks):
    return any(r.get("value", {}).get("rotation") for t in tasks for a in t.get("annotations", []) for r in a.get("result", []))


def run_case(ls, annoqa, work, case, records_path, is_image, table, original=None):
    """Converts one records file with annoqa, imports it into Label Studio, exports, compares."""
    case_dir = work / case
    ls_json = case_dir / "annoqa-ls.json"
    rc, err = run_annoqa(annoqa, ["convert", records_path, "--from", "annoqa", "--to", "ls", "-o", ls_json])
    if rc != 0:
        table.add(case, "annoqa --to ls", "MISMATCH", f"exit {rc}: {err[-300:]}")
        return
    config_path = ls_json.with_suffix(".label_config.xml")
    if not config_path.is_file():
        table.add(case, "annoqa --to ls", "MISMATCH", f"no {config_path.name} written")
        return
    config = config_path.read_text(encoding="utf-8")
    tasks = json.loads(ls_json.read_text(encoding="utf-8"))
    table.add(case, "annoqa --to ls", "ok", f"{len(tasks)} tasks" + (f"; stderr: {err[-200:]}" if "skip" in err.lower() else ""))
    records = [json.loads(line) for line in Path(records_path).read_text(encoding="utf-8").splitlines() if line.strip()]

    validate_with_label_interface(case, config, tasks, table)
    try:
        project = ls.create_project(case[:50], config)
    except LabelStudioError as e:
        table.add(case, "label studio accepts the config", "MISMATCH", str(e))
        return
    table.add(case, "label studio accepts the config", "ok")
    expected = (len(tasks), sum(len(t.get("annotations", [])) for t in tasks), sum(len(t.get("predictions", [])) for t in tasks))
    try:
        answer = ls.import_tasks(project, tasks)
    except LabelStudioError as e:
        table.add(case, "label studio imports the tasks", "MISMATCH", str(e))
        return
    got = (answer.get("task_count"), answer.get("annotation_count"), answer.get("prediction_count"))
    table.add(case, "label studio imports the tasks", "ok" if got == expected else "MISMATCH", f"tasks/annotations/predictions {got}, expected {expected}")

    exported = ls.export(project, "JSON")
    (case_dir / "ls-export.json").write_bytes(exported if isinstance(exported, bytes) else json.dumps(exported).encode())
    theirs = exported if isinstance(exported, list) else json.loads(exported)
    if expand_predictions(ls, theirs):
        table.add(case, "JSON: predictions", "note", "label studio's JSON export lists predictions by id only (data_export/api.py ExportAPI.get expands only drafts); read from /api/predictions/{id}/")
        (case_dir / "ls-export.json").write_text(json.dumps(theirs, ensure_ascii=False), encoding="utf-8")
    diffs = compare_ls_json(tasks, theirs)
    table.add(case, "JSON: label studio keeps every value", "ok" if not diffs else "MISMATCH", "; ".join(diffs[:6]) + (f" (+{len(diffs) - 6} more)" if len(diffs) > 6 else ""))
    check_read_back(case, annoqa, case_dir, records, table)
    if is_image:
        compare_image_exports(ls, annoqa, case_dir, case, project, records, tasks, config, table)
    if original is not None:
        run_original(ls, annoqa, case_dir, case, records, original, table)


def run_original(ls, annoqa, case_dir, case, records, original, table):
    """The corpus export itself, imported into a project with its own config, against annoqa
    reading that file: annoqa's Label Studio reader judged without its writer in between."""
    data, config_path = original
    config = Path(config_path).read_text(encoding="utf-8")
    tasks = json.loads(Path(data).read_text(encoding="utf-8"))
    tasks = tasks if isinstance(tasks, list) else [tasks]
    for task in tasks:
        task.pop("id", None)
        for annotation in task.get("annotations", []):
            # Label Studio resolves a `completed_by` object by its e-mail, which is no member
            # here; its id is what annoqa reads as the annotator.
            if isinstance(annotation.get("completed_by"), dict):
                annotation["completed_by"] = annotation["completed_by"].get("id")
    project = ls.create_project(("original " + case)[:50], config)
    ls.import_tasks(project, tasks)
    compare_image_exports(ls, annoqa, case_dir, case, project, records, tasks, config, table, original=(data, config_path))


def expand_predictions(ls, tasks):
    """Replaces prediction ids by the predictions; says whether there were any."""
    expanded = False
    for task in tasks:
        predictions = task.get("predictions") or []
        if predictions and all(isinstance(p, int) for p in predictions):
            task["predictions"] = [ls.api("GET", f"/api/predictions/{p}/") for p in predictions]
            expanded = True
    return expanded


def validate_with_label_interface(case, config, tasks, table):
    from label_studio_sdk.label_interface import LabelInterface

    try:
        interface = LabelInterface(config)
    except Exception as e:  # noqa: BLE001 — any parse failure is the finding
        table.add(case, "LabelInterface parses the config", "MISMATCH", str(e))
        return
    errors = []
    for i, task in enumerate(tasks):
        for kind in ("annotations", "predictions"):
            for j, entry in enumerate(task.get(kind, [])):
                for error in interface.validate_prediction(entry, return_errors=True) or []:
                    errors.append(f"$[{i}].{kind}[{j}]: {error}")
    table.add(case, "LabelInterface validates every result", "ok" if not errors else "MISMATCH", "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""))


def check_read_back(case, annoqa, case_dir, records, table):
    """Label Studio's own JSON export read back by annoqa gives the records it started from
    (items and annotators renumbered by Label Studio are mapped back by order)."""
    back = case_dir / "ls-export.annoqa.jsonl"
    rc, err = run_annoqa(annoqa, ["convert", case_dir / "ls-export.json", "--from", "ls", "--config", case_dir / "annoqa-ls.label_config.xml", "--to", "annoqa", "-o", back])
    if rc != 0:
        table.add(case, "label studio's JSON read back = records", "MISMATCH", f"exit {rc}: {err[-300:]}")
        return
    again = [json.loads(line) for line in back.read_text(encoding="utf-8").splitlines() if line.strip()]
    diffs = []

    def key(record):
        media = record["item"]["media"]
        return (media.get("src", media.get("text")), record["source"], record["annotator"] if record["source"] == "prediction" else "", sorted(r["id"] for r in record["regions"]))

    theirs_by_key = {}
    for record in again:
        theirs_by_key.setdefault(canonical(key(record)), []).append(record)
    for i, record in enumerate(records):
        hits = theirs_by_key.get(canonical(key(record))) or []
        if not hits:
            diffs.append(f"record {i} (item {record['item']['id']}, {record['annotator']}): not read back")
            continue
        other = hits.pop(0)
        # What a Label Studio task carries of the media: the text, the URL, an image's size
        # (original_width/height of its results); not an audio's duration.
        media, media_back = record["item"]["media"], other["item"]["media"]
        for field in ("type", "src", "text", "width", "height"):
            if field in media:
                diff_values(media[field], media_back.get(field), f"record {i}.item.media.{field}", diffs)
        ours_regions = sorted(record["regions"], key=lambda r: (r["id"], r["control"]))
        theirs_regions = sorted(other["regions"], key=lambda r: (r["id"], r["control"]))
        diff_values(ours_regions, theirs_regions, f"record {i}.regions", diffs)
        if record.get("score") is not None:
            diff_values(record["score"], other.get("score"), f"record {i}.score", diffs)
    table.add(case, "label studio's JSON read back = records", "ok" if not diffs else "MISMATCH", "; ".join(d.replace("label studio", "read back") for d in diffs[:6]) + (f" (+{len(diffs) - 6} more)" if len(diffs) > 6 else ""))


def compare_image_exports(ls, annoqa, case_dir, case, project, records, tasks, config, table, original=None):
    """COCO and YOLO of Label Studio's exporters against annoqa's: of annoqa's records by default;
    with `original` = (export, config), of that Label Studio file as annoqa reads it, against
    the project it was imported into unchanged."""
    if original is None:
        # Label Studio's COCO and YOLO exporters read annotations only (converter.py
        # annotation_result_from_task), so annoqa converts the annotation records for them.
        annotations_only = case_dir / "annotations.jsonl"
        annotations_only.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records if r["source"] == "annotation"), encoding="utf-8")
        source, suffix, prefix = [annotations_only, "--from", "annoqa"], "", ""
    else:
        source, suffix, prefix = [original[0], "--from", "ls", "--config", original[1]], "-original", "original file: "
    urls = [r["item"]["media"].get("src", "") for r in records]
    choices, tags = config_facts(config)

    variant = with_model_index(config) if "KeyPointLabels" in tags else None
    if variant is not None:
        failure = ""
        try:
            ls.export(project, "COCO")
        except LabelStudioError as e:
            failure = "its COCO export fails (" + str(e).split('"detail":"')[-1][:60] + "…) and "
        table.add(case, prefix + "keypoints need model_index", "note",
                  f"annoqa's config has no model_index on KeyPointLabels labels: {failure}label studio's YOLO leaves keypoints out "
                  "(keypoints.py build_kp_order); COCO and YOLO compared on a second project whose config adds model_index in label order")
        project = ls.create_project((case + " model_index")[:50], variant)
        ls.import_tasks(project, tasks)

    coco_path = case_dir / f"annoqa-coco{suffix}.json"
    rc, err = run_annoqa(annoqa, ["convert", *source, "--to", "coco", "-o", coco_path])
    if rc != 0:
        table.add(case, prefix + "COCO", "MISMATCH", f"annoqa exit {rc}: {err[-300:]}")
    else:
        try:
            blob = ls.export(project, "COCO")
            theirs = coco_from_export(blob)
            (case_dir / f"ls-coco{suffix}.json").write_text(json.dumps(theirs, indent=1))
            mismatches, deviations = compare_coco(json.loads(coco_path.read_text()), theirs, urls, choices, rotated_boxes(records))
            report(table, case, prefix + "COCO", mismatches, deviations)
        except LabelStudioError as e:
            table.add(case, prefix + "COCO", "ls-deviation" if "KeyPointLabels" in tags else "MISMATCH", f"label studio's export fails: {str(e)[:300]}")

    counts = {}
    for r in records:
        if r["source"] == "annotation":
            stem = Path(r["item"]["media"]["src"]).stem
            counts[stem] = counts.get(stem, 0) + 1
    single = {stem for stem, n in counts.items() if n == 1}
    yolo_dir = case_dir / f"annoqa-yolo{suffix}"
    if yolo_dir.exists():
        shutil.rmtree(yolo_dir)
    rc, err = run_annoqa(annoqa, ["convert", *source, "--to", "yolo", "-o", yolo_dir])
    if rc != 0:
        table.add(case, prefix + "YOLO", "MISMATCH", f"annoqa exit {rc}: {err[-300:]}")
        return
    ours = yolo_files_from_dir(yolo_dir)
    # Label Studio's plain YOLO drops rotation (utils.py convert_annotation_to_yolo); its OBB
    # exporter keeps it, so rotated data is compared with YOLO_OBB.
    export_type = "YOLO_OBB" if has_rotation(tasks) else "YOLO"
    try:
        theirs = yolo_files_from_zip(ls.export(project, export_type))
    except LabelStudioError as e:
        table.add(case, f"{prefix}YOLO ({export_type})", "MISMATCH", f"label studio's export fails: {str(e)[:300]}")
        return
    polygon_labels = {r["label"] for rec in records for r in rec["regions"] if r.get("type") == "polygon"}
    mismatches, deviations = compare_yolo(ours, theirs, single, polygon_labels, export_type == "YOLO_OBB")
    report(table, case, f"{prefix}YOLO ({export_type})", mismatches, deviations)


def coco_from_export(blob):
    if isinstance(blob, dict):
        return blob
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json"))
        return json.loads(archive.read(name))


def report(table, case, check, mismatches, deviations):
    if mismatches:
        table.add(case, check, "MISMATCH", "; ".join(mismatches[:6]) + (f" (+{len(mismatches) - 6} more)" if len(mismatches) > 6 else ""))
    else:
        table.add(case, check, "ok")
    for d in deviations:
        table.add(case, check, "ls-deviation", d)


# ---------------------------------------------------------------------------------------------


def prepare_cases(args, work, table):
    """Writes the records file of every case; returns [(case, records path, is image)]."""
    cases = []
    for name, records, is_image in generated_cases(args.seed):
        path = work / name / "records.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        cases.append((name, path, is_image, None))
    corpus = Path(args.corpus)
    for name, data, config in CORPUS_CASES:
        if not (corpus / data).is_file():
            table.add(name, "corpus file", "skipped", f"{corpus / data} not found")
            continue
        path = work / name / "records.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        rc, err = run_annoqa(args.annoqa, ["convert", corpus / data, "--from", "ls", "--config", corpus / config, "--to", "annoqa", "-o", path])
        if rc != 0:
            table.add(name, "annoqa --from ls", "MISMATCH", f"exit {rc}: {err[-300:]}")
            continue
        table.add(name, "annoqa --from ls", "ok", err.splitlines()[-1] if err else "")
        cases.append((name, path, True, (corpus / data, corpus / config)))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annoqa", required=True, type=Path)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=18089)
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--url", help="an already running Label Studio (development only)")
    parser.add_argument("--email", default=ADMIN_EMAIL)
    parser.add_argument("--password", default=ADMIN_PASSWORD)
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    table = Table()
    cases = prepare_cases(args, work, table)

    ls = LabelStudio(work / "label-studio-data", args.port, args.url, args.email, args.password)
    try:
        if not args.url:
            print(f"starting label studio on {ls.base} (data in {ls.data_dir}; the first start migrates for a few minutes)", flush=True)
            ls.start(work / "label-studio.log")
        ls.login()
        users = ls.api("GET", "/api/users/")
        if len(users) < 1 + EXTRA_USERS:
            ls.create_users(1 + EXTRA_USERS - len(users))
        for case, path, is_image, original in cases:
            if args.only and args.only not in case:
                continue
            print(f"== {case}", flush=True)
            try:
                run_case(ls, args.annoqa, work, case, path, is_image, table, original)
            except LabelStudioError as e:
                table.add(case, "label studio", "MISMATCH", str(e)[:400])
    finally:
        ls.stop()
    summary = table.render()
    (work / "summary.md").write_text(summary + "\n", encoding="utf-8")
    print()
    print(summary)
    bad = table.mismatches()
    statuses = [row[2] for row in table.rows]
    print(f"\n{statuses.count('ok')} ok, {statuses.count('ls-deviation')} label studio deviations, {statuses.count('note')} notes, "
          f"{statuses.count('skipped')} skipped, {len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
