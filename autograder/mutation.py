"""Mutation testing of a chapter's tests: do they catch small, plausible mistakes?

    python -m autograder.mutation CH [--max N] [--jobs N] [--out build/mutation/CH.json]

Every solution cell of the chapter is mutated one small change at a time
(`autograder.mutants`: operators, constants, flags such as `go_backwards` or
`return_sequences`, reductions, deleted statements, ...). Each mutant is the
solution notebook with that one cell replaced; all of them are graded as
pseudo-students in one private nbgrader course (`autograder.grader.Grader`,
the same path as `kp grade`), after the unchanged solution (which must get
full marks). A mutant is *caught* when it loses any point, or cannot be
graded at all.

The report (`autograder.mutation_report`) lists every mutant, the points each
test cell lost, and the score `caught / (mutants - equivalent)`. Survivors
are examined by a person: their verdicts live in the committed report
`autograder/mutation/<chapter>.json` and are carried over to every new run.
`--extra-tests FILE` grades against a temporary copy of the chapter whose
test cells have extra asserts appended, to prove that a proposed assert kills
its survivors and keeps the solution's full marks, without touching the
notebook. Method and results: `autograder/MUTATION.md`.

A tool for the course's authors, not run by `kp`.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from autograder.chapters import Chapter, ChapterError, find_root, list_chapters, resolve_chapter
from autograder.grader import Grader
from autograder.mutants import MutationError, apply_mutant, generate_mutants, sample
from autograder.mutation_report import build_report, load_verdicts, notebook_sha, rescore, results_markdown, write_json
from autograder.notebooks import CHALLENGE_PREFIX, without_challenge
from autograder.selftest import selftest as run_selftest
from autograder.submissions import Submission

# --------------------------------------------------------------------------------------------
# Grading


def _result_record(result):
    max_cells = dict(result.max_cells)
    cells = dict(result.cells)
    lost = {}
    for name, points in max_cells.items():
        got = cells.get(name)
        missing = points if got is None else points - got
        if missing > 1e-9 or not result.ok:
            lost[name] = round(points if not result.ok else missing, 6)
    return {
        "status": result.status,
        "score": result.score,
        "max_score": result.max_score,
        "cells": cells,
        "lost": lost,
        "error": result.error,
        "notes": list(result.notes),
        "seconds": result.seconds,
    }


def _grade_chunk(root, chapter_id, items, timeout, workdir, checkpoint=None, describe=None, jobs=None):
    """Grade (label, notebook) pairs of one chapter in one private course; returns [(label, record)].

    Each record is appended to `checkpoint` (JSON lines) as soon as it is ready,
    so that an interrupted run can be resumed.
    """
    chapter = Chapter(chapter_id, Path(root))
    kwargs = {"profile": "smoke", "timeout": timeout}
    if workdir is not None:
        kwargs["workdir"] = workdir
    describe = describe or {}
    out = []
    with Grader(Path(root), [chapter], **kwargs) as grader:
        subs = [Submission(label, chapter, nb, label=label) for label, nb in items]

        def progress(result):
            record = _result_record(result)
            if result.label.endswith("-solution"):
                state = "full marks" if not record["lost"] else "NOT FULL"
            else:
                state = "caught" if record["lost"] else "SURVIVED"
            lost = ", ".join(f"{k} -{v:g}" for k, v in record["lost"].items()) or "-"
            print(f"  {result.label}  {state:8s} {result.seconds:5.1f} s  {describe.get(result.label, '')}  lost: {lost}",
                  file=sys.stderr, flush=True)
            if checkpoint is not None:
                with open(checkpoint, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"label": result.label, "record": record}) + "\n")

        grade_kwargs = {"feedback": False, "progress": progress}
        if jobs is not None:
            grade_kwargs["jobs"] = jobs
        for result in grader.grade(subs, **grade_kwargs):
            out.append((result.label, _result_record(result)))
    return out


def _grade_chunk_in_worker(args):
    return _grade_chunk(*args)


def grade_notebooks(root, chapter_id, items, timeout=None, jobs=1, checkpoint=None, describe=None):
    """Grade (label, notebook) pairs as pseudo-students of one chapter; returns {label: record}.

    With `jobs` > 1 the grading API's own parallelism is used when it has one
    (a `jobs` argument to `Grader.grade`), otherwise the items are split into
    `jobs` groups graded by separate processes, each with its own private course.
    """
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        return dict(_grade_chunk(root, chapter_id, items, timeout, None, checkpoint, describe))
    if "jobs" in inspect.signature(Grader.grade).parameters:
        return dict(_grade_chunk(root, chapter_id, items, timeout, None, checkpoint, describe, jobs))
    groups = [items[i::jobs] for i in range(jobs)]
    out = {}
    with tempfile.TemporaryDirectory(prefix="kp-mutation-") as tmp:
        tasks = [
            (str(root), chapter_id, group, timeout, str(Path(tmp) / f"worker{i}"), checkpoint, describe)
            for i, group in enumerate(groups)
        ]
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            for chunk in pool.map(_grade_chunk_in_worker, tasks):
                out.update(chunk)
    return out


def read_checkpoint(path):
    """{label: record} from a checkpoint file (a torn last line is ignored)."""
    out = {}
    path = Path(path)
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        out[item["label"]] = item["record"]
    return out


# --------------------------------------------------------------------------------------------
# Extra tests (proving a proposed assert without editing the notebook)


def load_extra_tests(path):
    """{test cell grade_id: source appended to it} from a JSON file (values: a string or a list of lines)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise MutationError(f"{path}: must map test cell grade ids to sources")
    return {k: v if isinstance(v, str) else "\n".join(v) for k, v in raw.items()}


def course_with_extra_tests(root, chapter_id, extra, dest):
    """A copy of the chapter (and the grader config) under `dest`, cut before its challenge step, with `extra`
    (which may be empty) appended as hidden tests.

    The open challenge step is not mutated: its answer is the student's free design, and its grade depends on
    that design alone, so grading it again for every mutant of an earlier step would only cost its training time.
    """
    import nbformat

    root, dest = Path(root), Path(dest)
    shutil.copytree(root / "solutions" / chapter_id, dest / "solutions" / chapter_id)
    config = root / "autograder" / "nbgrader_config.py"
    if config.is_file():
        (dest / "autograder").mkdir(parents=True, exist_ok=True)
        shutil.copy(config, dest / "autograder" / "nbgrader_config.py")
    fixtures = root / "autograder" / "fixtures" / f"{chapter_id}.json"
    if fixtures.is_file():
        (dest / "autograder" / "fixtures").mkdir(parents=True, exist_ok=True)
        # The copy has no challenge step, so its wrong answers go too.
        kept = [fx for fx in json.loads(fixtures.read_text(encoding="utf-8"))
                if not any(str(c).startswith(CHALLENGE_PREFIX)
                           for c in [fx.get("cell", ""), *fx.get("cells", {}), *fx.get("fails", [])])]
        (dest / "autograder" / "fixtures" / fixtures.name).write_text(json.dumps(kept, indent=1), encoding="utf-8")
    (dest / "pyproject.toml").write_text("# a temporary copy for autograder.mutation --extra-tests\n")
    path = dest / "solutions" / chapter_id / f"{chapter_id}.ipynb"
    nb = without_challenge(nbformat.read(str(path), as_version=4))
    found = set()
    for cell in nb.cells:
        gid = (cell.get("metadata", {}).get("nbgrader", {}) or {}).get("grade_id")
        if gid in (extra or {}):
            meta = cell.metadata["nbgrader"]
            if not meta.get("grade") or meta.get("solution"):
                raise MutationError(f"--extra-tests: {gid} is not a test cell")
            cell.source = cell.source.rstrip("\n") + "\n### BEGIN HIDDEN TESTS\n" + extra[gid].rstrip("\n") + "\n### END HIDDEN TESTS"
            found.add(gid)
    missing = set(extra or {}) - found
    if missing:
        raise MutationError(f"--extra-tests: no test cells {sorted(missing)} in {chapter_id}")
    nbformat.write(nb, str(path))
    return dest


# --------------------------------------------------------------------------------------------
# Command line


def _resolve(root, name):
    try:
        return resolve_chapter(name, list_chapters(root))
    except ChapterError as exc:
        raise MutationError(str(exc)) from exc


def run(root, chapter_name, out=None, max_mutants=None, jobs=1, timeout=None, cells=None, only=None,
        verdicts_path=None, extra_tests_path=None, seed=0, list_only=False, resume=False, selftest=False, log=print):
    """Generate, grade and report the mutants of one chapter; returns the report (a dict)."""
    import nbformat

    root = Path(root).resolve()
    chapter = _resolve(root, chapter_name)
    nb_path = chapter.solution_notebook
    nb = without_challenge(nbformat.read(str(nb_path), as_version=4))
    mutants = generate_mutants(nb, cells=cells)
    if only:
        wanted = set(only)
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            raise MutationError(f"--only: no such mutants: {sorted(unknown)}")
        mutants = [m for m in mutants if m.id in wanted]
    mutants = sample(mutants, max_mutants, seed)
    if list_only:
        for m in mutants:
            before = m.original.replace("\n", "\n      ")
            after = m.mutated.replace("\n", "\n      ")
            log(f"{m.id:60s}  {m.description}\n    - {before}\n    + {after}")
        log(f"{len(mutants)} mutants")
        return None
    if verdicts_path is None:
        verdicts_path = root / "autograder" / "mutation" / f"{chapter.id}.json"
    verdicts = load_verdicts(verdicts_path)
    extra = load_extra_tests(extra_tests_path) if extra_tests_path else None

    if out is None:
        out = root / "build" / "mutation" / f"{chapter.id}.json"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Labels name the graded program: the solution notebook (and extra tests), and the mutant's source.
    key = hashlib.sha256((notebook_sha(nb_path) + json.dumps(extra, sort_keys=True)).encode()).hexdigest()[:8]
    checkpoint = out.with_name(out.stem + ".partial.jsonl")
    if not resume and checkpoint.exists():
        checkpoint.unlink()
    done = {k: v for k, v in read_checkpoint(checkpoint).items() if k.startswith(key + "-")}
    labels = {f"{key}-{m.sha}": m for m in mutants}
    base_label = f"{key}-solution"

    log(f"{chapter.id}: {len(mutants)} mutants ({len([l for l in labels if l in done])} already graded); "
        f"grading at the smoke profile, jobs={jobs}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kp-mutation-course-") as tmp:
        grade_root = course_with_extra_tests(root, chapter.id, extra, Path(tmp) / "course")
        nb = nbformat.read(str(grade_root / "solutions" / chapter.id / f"{chapter.id}.ipynb"), as_version=4)
        items = [(base_label, nb)] if base_label not in done else []
        items += [(label, apply_mutant(nb, m)) for label, m in labels.items() if label not in done]
        describe = {label: f"{m.id}" for label, m in labels.items()}
        describe[base_label] = "the solution"
        graded = dict(done)
        if items:
            graded.update(grade_notebooks(grade_root, chapter.id, items, timeout=timeout, jobs=jobs,
                                          checkpoint=checkpoint, describe=describe))
        selftest_problems = None
        if extra and selftest:
            log(f"{chapter.id}: kp selftest with the extra tests (solution, release, fixtures)")
            checks = run_selftest(grade_root, [Chapter(chapter.id, grade_root)], timeout=timeout, feedback_check=False)
            selftest_problems = [f"{c.case}: {p}" for c in checks for p in c.problems]
    seconds = time.perf_counter() - started
    baseline = graded.get(base_label)
    if baseline is None or baseline["lost"] or baseline["status"] != "graded":
        raise MutationError(
            f"the unchanged solution of {chapter.id} does not get full marks ({baseline}); "
            "mutation results would mean nothing"
        )
    results = {m.id: graded[label] for label, m in labels.items() if label in graded}
    notebook_rel = os.path.relpath(nb_path, root)
    report = build_report(
        chapter.id, notebook_rel, notebook_sha(nb_path), mutants, results,
        {"score": baseline["score"], "max_score": baseline["max_score"], "seconds": baseline["seconds"]},
        verdicts, seconds, extra_tests=extra, notebooks=len(items),
    )
    if selftest_problems is not None:
        report["extra_tests_selftest"] = selftest_problems or "passed"
        log(f"{chapter.id}: selftest with the extra tests: {selftest_problems or 'passed'}")
    if max_mutants is not None or only or cells:
        report["partial"] = {"max": max_mutants, "only": sorted(only) if only else None, "cells": cells, "seed": seed}
    write_json(report, out)
    checkpoint.unlink(missing_ok=True)
    s = report["summary"]
    log(f"{chapter.id}: {s['mutants']} mutants, {s['caught']} caught, {s['survived']} survived "
        f"({s['equivalent']} equivalent, {s['weakness']} weaknesses, {s['unexamined']} unexamined); "
        f"score {s['score']}; {seconds:.0f} s; report {out}")
    for m in report["mutants"]:
        if m["caught"] is False:
            log(f"  survived {m['id']}: {m['description']}  [{m.get('verdict', 'unexamined')}]")
    return report


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m autograder.mutation",
        description="Mutation testing of a chapter's tests: mutate the solution cells, grade each mutant, report survivors.",
    )
    p.add_argument("chapter", metavar="CH", nargs="?", help="a chapter: ch01_protein_ss, ch01, 01 or 1")
    p.add_argument("--root", default=None, help="the course root (default: found as kp finds it)")
    p.add_argument("--max", type=int, default=None, dest="max_mutants", help="grade at most N mutants (a seeded random choice)")
    p.add_argument("--seed", type=int, default=0, help="the seed of the --max choice (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="grade N mutants at once (default 1)")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: the nbgrader config's)")
    p.add_argument("--out", default=None, help="the report (default: build/mutation/<chapter>.json)")
    p.add_argument("--cells", nargs="+", default=None, metavar="GRADE_ID", help="mutate these solution cells only")
    p.add_argument("--only", nargs="+", default=None, metavar="ID", help="grade these mutant ids only")
    p.add_argument("--verdicts", default=None,
                   help="carry verdicts over from this report (default: autograder/mutation/<chapter>.json)")
    p.add_argument("--extra-tests", default=None, metavar="JSON",
                   help="append these asserts ({test grade_id: source}) to a temporary copy of the chapter's tests")
    p.add_argument("--list", action="store_true", help="list the mutants without grading them")
    p.add_argument("--selftest", action="store_true",
                   help="with --extra-tests: also run kp selftest (solution, release, wrong-answer fixtures) on the copy")
    p.add_argument("--rescore", nargs="?", const="", default=None, metavar="REPORT",
                   help="only recompute the summary of a report whose verdicts were edited "
                        "(default: autograder/mutation/<chapter>.json)")
    p.add_argument("--markdown", action="store_true",
                   help="print the results table and survivors of the committed reports (CH, or all) as Markdown")
    p.add_argument("--resume", action="store_true",
                   help="keep the grades of an interrupted run (OUT.partial.jsonl) and grade the rest only")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        root = find_root(args.root)
        if args.markdown:
            folder = root / "autograder" / "mutation"
            names = sorted(folder.glob("*.json")) if args.chapter in (None, "all") else [
                folder / f"{_resolve(root, args.chapter).id}.json"]
            reports = [json.loads(p.read_text(encoding="utf-8")) for p in names]
            print(results_markdown(sorted(reports, key=lambda r: r["chapter"])), end="")
            return 0
        if args.chapter is None:
            raise MutationError("name a chapter (CH)")
        if args.rescore is not None:
            chapter = _resolve(root, args.chapter)
            path = Path(args.rescore) if args.rescore else root / "autograder" / "mutation" / f"{chapter.id}.json"
            s = rescore(path)["summary"]
            print(f"{chapter.id}: {s['mutants']} mutants, {s['caught']} caught, {s['equivalent']} equivalent, "
                  f"{s['weakness']} weaknesses, {s['unexamined']} unexamined; score {s['score']} "
                  f"({s['score_with_proposed_tests']} with the proposed tests)")
            return 0
        run(
            root, args.chapter, out=args.out, max_mutants=args.max_mutants, jobs=max(1, args.jobs),
            timeout=args.timeout, cells=args.cells, only=args.only, verdicts_path=args.verdicts,
            extra_tests_path=args.extra_tests, seed=args.seed, list_only=args.list, resume=args.resume,
            selftest=args.selftest,
        )
    except MutationError as exc:
        print(f"autograder.mutation: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
