"""The chapters' sizes against the chapter contract's targets (issues 10 to 13), not a timed test.

    .venv/bin/python benchmarks/bench_sizes.py                      # every chapter, smoke and default
    .venv/bin/python benchmarks/bench_sizes.py ch02 ch03 --profiles smoke
    .venv/bin/python benchmarks/bench_sizes.py --save               # also write results/sizes.md

Runs `kp run CH --profile P` for each chapter and profile, one at a time, and reports two times: the
command's wall time (kernel start and the results table included) and the notebook's own `wall_seconds`
from its results record (the cells' time). Targets: `smoke` under 30 s, `default` at most 180 s, on the
course's 2-core CPU. The machine is named; a loaded machine gives upper bounds, so run it alone.

Writes `build/benchmarks/sizes.json`; with `--save`, a table in `results/sizes.md` as well.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KP = [sys.executable, "-m", "autograder.cli"]
TARGETS = {"smoke": 30.0, "default": 180.0}


def machine():
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores"


def chapters(given):
    found = sorted(p.parent.name for p in ROOT.glob("solutions/ch*/ch*.ipynb"))
    if not given:
        return found
    picked = [c for c in found if any(c == g or c.startswith(g + "_") for g in given)]
    unknown = [g for g in given if not any(c == g or c.startswith(g + "_") for c in found)]
    if unknown:
        sys.exit(f"no such chapter: {', '.join(unknown)} (chapters: {', '.join(found)})")
    return picked


def measure(chapter, profile):
    env = dict(os.environ, KP_ROOT=str(ROOT))
    env.pop("KP_RESULTS_DIR", None)
    start = time.perf_counter()
    proc = subprocess.run(KP + ["run", chapter, "--profile", profile], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"kp run {chapter} --profile {profile} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    record = json.loads((ROOT / "build" / "results" / f"{chapter}.json").read_text())
    return {"chapter": chapter, "profile": profile, "command_seconds": round(seconds, 1),
            "notebook_seconds": round(float(record["wall_seconds"]), 1), "target_seconds": TARGETS[profile],
            "within_target": float(record["wall_seconds"]) <= TARGETS[profile]}


def table(rows, where):
    lines = [f"# Chapter sizes: wall seconds against the chapter contract's targets", "",
             f"Measured by `benchmarks/bench_sizes.py` on {date.today().isoformat()}, {where}, one run at a time, "
             "CPU TensorFlow. `notebook s` is the record's `wall_seconds` (the cells' time), `command s` the whole "
             "`kp run` (kernel start and the results table included). Targets: `smoke` under 30 s, `default` at "
             "most 180 s.", "",
             "| chapter | profile | notebook s | command s | target s | within |", "|---|---|---:|---:|---:|---|"]
    lines += [f"| {r['chapter']} | {r['profile']} | {r['notebook_seconds']} | {r['command_seconds']} | "
              f"{r['target_seconds']:.0f} | {'yes' if r['within_target'] else '**no**'} |" for r in rows]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="e.g. ch02 ch03 (default: every chapter)")
    parser.add_argument("--profiles", nargs="+", default=["smoke", "default"], choices=sorted(TARGETS))
    parser.add_argument("--save", action="store_true", help="also write the table to results/sizes.md")
    args = parser.parse_args()
    where = machine()
    rows = []
    for chapter in chapters(args.chapters):
        for profile in args.profiles:
            rows.append(measure(chapter, profile))
            print(json.dumps(rows[-1]), flush=True)
    dest = ROOT / "build" / "benchmarks" / "sizes.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps({"machine": where, "python": sys.version.split()[0], "rows": rows}, indent=2) + "\n")
    print(table(rows, where))
    if args.save:
        (ROOT / "results" / "sizes.md").write_text(table(rows, where))


if __name__ == "__main__":
    main()
