"""Benchmark of grading a class (issue 4's speed target), not a timed test.

    .venv/bin/python benchmarks/bench_grading.py [--students 100] [--jobs 2] [--kernels warm fresh]

Builds a class of chapter-01 submissions the way a real class looks (a third
right, a third with one of the wrong-answer fixtures, a third the untouched
release), grades it with `kp grade DIR --jobs N` once per kernel mode, and
reports the whole command's wall time and the seconds per submitted notebook
amortised over the class (target: at most 3 s for 100 notebooks with
`--jobs 2` on a 2-core machine). It checks the CSV too: every right notebook
14/14, every blank 0, every fixture its expected score, and the same CSV
from every mode.

Writes `build/benchmarks/grading.json` (and prints it).
"""

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.chapters import list_chapters, resolve_chapter  # noqa: E402
from autograder.notebooks import read_notebook, test_cells, write_notebook  # noqa: E402
from autograder.wrong_answers import apply_fixture, load_fixtures  # noqa: E402

CHAPTER = "ch01_protein_ss"


def build_class(folder, students):
    """`students` submissions: right, wrong (the fixtures in turn) and blank, in rotation; returns expected scores."""
    ch = resolve_chapter(CHAPTER, list_chapters(ROOT))
    solution = read_notebook(ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb")
    blank = read_notebook(ROOT / "course" / CHAPTER / f"{CHAPTER}.ipynb")
    fixtures = load_fixtures(ch, solution)
    points = test_cells(solution)
    full = sum(points.values())
    expected = {}
    for i in range(students):
        name = f"student{i:03d}"
        kind = i % 3
        if kind == 0:
            nb, score = solution, full
        elif kind == 1:
            fx = fixtures[(i // 3) % len(fixtures)]
            nb, score = apply_fixture(solution, fx), full - sum(points[c] for c in fx.fails)
        else:
            nb, score = blank, 0
        write_notebook(nb, Path(folder) / name / CHAPTER / f"{CHAPTER}.ipynb")
        expected[name] = score
    return expected


def grade(folder, out, jobs, kernels):
    cmd = [sys.executable, "-m", "autograder.cli", "--root", str(ROOT), "grade", str(folder),
           "--out", str(out), "--jobs", str(jobs), "--kernels", kernels]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
    with open(out, newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return seconds, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kernels", nargs="+", default=["warm"], choices=("warm", "fresh"))
    args = parser.parse_args()
    load = os.getloadavg()[0]
    out = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": sys.version.split()[0],
        "profile": "smoke",  # what `kp grade` runs kernels at
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "device": "CPU",
        "chapter": CHAPTER,
        "students": args.students,
        "jobs": args.jobs,
        "load_before": round(load, 2),
        "runs": {},
    }
    with tempfile.TemporaryDirectory(prefix="kp-bench-") as tmp:
        folder = Path(tmp) / "class"
        expected = build_class(folder, args.students)
        csvs = {}
        for kernels in args.kernels:
            target = Path(tmp) / kernels / "grades.csv"
            seconds, rows = grade(folder, target, args.jobs, kernels)
            wrong = {s: (rows[s]["score"], want) for s, want in expected.items() if float(rows[s]["score"]) != want}
            out["runs"][kernels] = {
                "wall_seconds": round(seconds, 1),
                "seconds_per_notebook": round(seconds / args.students, 2),
                "target_seconds_per_notebook": 3.0,
                "met": seconds / args.students <= 3.0,
                "scores_as_expected": not wrong,
                "unexpected": dict(list(wrong.items())[:5]),
            }
            csvs[kernels] = target.read_bytes()
        if len(csvs) > 1:
            out["same_csv_across_modes"] = len(set(csvs.values())) == 1
    dest = ROOT / "build" / "benchmarks" / "grading.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
