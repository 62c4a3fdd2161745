"""How long `kp site` and `kp slides` take: the build from executed notebooks, per audience, and one deck.

    .venv/bin/python benchmarks/bench_site.py [--repeat 3] [CH ...]

Measures what a user waits for once `build/executed/` is fresh (after `make demo` or `kp run`): the
chapters are not executed here (a stale one is refused, not run, so that the numbers are the
build's own). Prints one line per measurement: the median and the spread over the repeats, and the
site's size. This is a benchmark script, not a timed test: CI does not run it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.chapters import resolve_chapters  # noqa: E402
from autograder.site import build_site, is_fresh  # noqa: E402
from autograder.slides import build_slides  # noqa: E402


def _size(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    chapters = resolve_chapters(args.chapters, REPO)
    stale = [ch.id for ch in chapters if not is_fresh(REPO / "build" / "executed" / f"{ch.id}.ipynb",
                                                      ch.solution_notebook)]
    if stale:
        sys.exit(f"bench_site: build/executed/ is not fresh for {', '.join(stale)}: run `kp run CH` (or name the "
                 "chapters to time)")
    print(f"{len(chapters)} chapters: {', '.join(ch.id for ch in chapters)}; {args.repeat} repeats")
    with tempfile.TemporaryDirectory() as tmp:
        for audience in ("student", "instructor"):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                build_site(REPO, audience, out=Path(tmp) / audience, chapters=chapters, progress=lambda _: None)
                times.append(time.perf_counter() - started)
            print(f"{audience:10s} site: median {statistics.median(times):.2f} s (min {min(times):.2f}, "
                  f"max {max(times):.2f}), {_size(Path(tmp) / audience):.1f} MiB")
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            build_slides(REPO, chapters[-1], "instructor", out=Path(tmp) / "slides", progress=lambda _: None)
            times.append(time.perf_counter() - started)
        print(f"deck of {chapters[-1].id}: median {statistics.median(times):.2f} s (min {min(times):.2f}, "
              f"max {max(times):.2f}), {_size(Path(tmp) / 'slides'):.1f} MiB with reveal.js and MathJax")


if __name__ == "__main__":
    main()
