"""Benchmark of chapter 01 (issue 2's judgement), not a timed test.

    .venv/bin/python benchmarks/bench_ch01.py [--skip-default]

1. `kp run ch01 --profile default`: wall time (target <= 180 s on a 2-core CPU), and the gaps of
   each tagger to its own exact limit (target <= 3 Q3 points, and no model above its limit by more
   than the test set's noise).
2. `kp grade` of one chapter-01 submission (the solution notebook) at `smoke`: wall time (target <= 10 s).

Writes `build/benchmarks/ch01.json` with the numbers and the machine.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KP = [sys.executable, "-m", "autograder.cli"]


def timed(cmd, **kw):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    return time.perf_counter() - start, proc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-default", action="store_true", help="only time the grading of one submission")
    args = parser.parse_args()
    out = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores", "python": sys.version.split()[0]}
    if not args.skip_default:
        seconds, proc = timed(KP + ["run", "ch01", "--profile", "default"])
        if proc.returncode:
            sys.exit(proc.stdout[-2000:] + proc.stderr[-2000:])
        rec = json.loads((ROOT / "build/results/ch01_protein_ss.json").read_text())
        m, lim = rec["metrics"], rec["limits"]
        noise = next(c["measured"]["noise_2se"] for c in rec["claims"] if c["id"] == "each_approaches_its_limit")
        out["default"] = {
            "wall_seconds": round(seconds, 1),
            "gap_bidirectional_points": round(100 * (lim["q3_limit_smoothing"] - m["q3_bidirectional"]), 2),
            "gap_unidirectional_points": round(100 * (lim["q3_limit_filtering"] - m["q3_unidirectional"]), 2),
            "noise_2se_points": round(100 * noise, 2),
            "metrics": m, "limits": lim, "verdicts": {c["id"]: c["verdict"] for c in rec["claims"]},
        }
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "class" / "student1" / "ch01_protein_ss"
        sub.mkdir(parents=True)
        shutil.copy(ROOT / "solutions/ch01_protein_ss/ch01_protein_ss.ipynb", sub)
        seconds, proc = timed(KP + ["grade", str(Path(tmp) / "class"), "--out", str(Path(tmp) / "grades.csv")])
        if proc.returncode:
            sys.exit(proc.stdout[-2000:] + proc.stderr[-2000:])
        out["grade_one_submission_seconds"] = round(seconds, 1)
        out["grades_csv"] = (Path(tmp) / "grades.csv").read_text()
    dest = ROOT / "build" / "benchmarks" / "ch01.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
