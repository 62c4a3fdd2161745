"""`kp`: run, demo, release, grade and self-test the course, and start a new chapter.

    kp run CH [--profile smoke|default|full] [--backend tensorflow|jax|torch]
    kp demo [--profile P] [--backend B]
    kp release [--check]
    kp grade DIR [--out grades.csv] [--profile smoke] [--timeout S] [--jobs N] [--sandbox bwrap|none] [--kernels warm|fresh]
    kp selftest [CH ...] [--jobs N] [--sandbox bwrap|none]
    kp new chNN_slug [--title T] [--problem N]
    kp site [CH ...] [--audience student|instructor|both] [--profile P]
    kp slides CH [--audience student|instructor] [--profile P]

A chapter is named by its id (`ch01_protein_ss`) or number (`ch01`, `01`, `1`).
The course root is `--root`, else `$KP_ROOT`, else found upward from the
working directory. A wrong chapter, profile or backend name prints one line
naming the valid ones and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from autograder.chapters import ChapterError, find_root, list_chapters, resolve_chapters
from autograder.demo import TABLE_HEADERS, check_backend, relative, run_chapter, table_rows, write_summary
from autograder.tables import format_number, format_table
from keras_patterns.session import BACKENDS, PROFILES, resolve_profile

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A wrong name or argument: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _say(*lines, file=None):
    print(*lines, sep="\n", file=file or sys.stdout, flush=True)


def cmd_run(args, root):
    from keras_patterns.results import load_results

    chapter = resolve_chapters([args.chapter], root)[0]
    profile = resolve_profile(args.profile)
    check_backend(args.backend)
    ok, message, _ = run_chapter(chapter, root, profile, args.backend)
    if not ok:
        _say(message, file=sys.stderr)
        return EXIT_FAIL
    _say(message)
    record = load_results(root / "build" / "results" / f"{chapter.id}.json")
    _say("", format_table(table_rows([record]), TABLE_HEADERS))
    return EXIT_OK


def cmd_demo(args, root):
    from keras_patterns.results import load_results

    profile = resolve_profile(args.profile)
    check_backend(args.backend)
    chapters = list_chapters(root)
    if not chapters:
        _say(f"kp demo: no finished chapter in {root / 'solutions'}", file=sys.stderr)
        return EXIT_FAIL
    records, failures, times = [], [], []
    started = time.perf_counter()
    for i, chapter in enumerate(chapters, 1):
        ok, message, seconds = run_chapter(chapter, root, profile, args.backend, position=(i, len(chapters)))
        if ok:
            _say(message)
            try:
                records.append(load_results(root / "build" / "results" / f"{chapter.id}.json"))
            except (ValueError, json.JSONDecodeError) as exc:
                ok = False
                failures.append((chapter.id, f"bad results record: {exc}"))
        else:
            _say(message, file=sys.stderr)
            failures.append((chapter.id, message))
        times.append(f"{chapter.id} {seconds:.1f} s")
        # Progress (stdout only: the table and summary.md below do not change).
        _say(f"[{i}/{len(chapters)}] {chapter.id}: {'done' if ok else 'FAILED'} in {seconds:.1f} s"
             f" ({time.perf_counter() - started:.1f} s so far, {len(chapters) - i} to go)")
    rows = table_rows(records, failures)
    backend = args.backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    summary = write_summary(root / "build" / "results" / "summary.md", rows, profile, backend)
    _say("", format_table(rows, TABLE_HEADERS), f"summary: {relative(summary, root)}",
         f"chapter times: {', '.join(times)} (total {time.perf_counter() - started:.1f} s)")
    if failures:
        _say(f"kp demo: {len(failures)} of {len(chapters)} chapters failed: "
             + ", ".join(ch for ch, _ in failures), file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


# ------------------------------------------------------------------------------------------
# kp release


def cmd_release(args, root):
    from autograder.release import release

    chapters = list_chapters(root)
    report = release(root, chapters, check=args.check)
    status = EXIT_OK
    if args.check:
        if report.stale:
            _say("kp release --check: course/ is stale; run `kp release` to regenerate:", file=sys.stderr)
            _say(*(f"  {line}" for line in report.stale), file=sys.stderr)
            status = EXIT_FAIL
        else:
            _say(f"course/ is up to date ({len(report.written)} files from {len(chapters)} chapters)")
    else:
        _say(*(f"course/{p}" for p in report.written))
        _say(f"regenerated course/ from solutions/ ({len(chapters)} chapters)"
             + (f"; {len(report.stale)} files changed" if report.stale else "; nothing changed"))
    if report.leaks:
        _say("kp release: course/ must hold no solutions, hidden tests or outputs:", file=sys.stderr)
        _say(*(f"  {line}" for line in report.leaks), file=sys.stderr)
        status = EXIT_FAIL
    return status


# ------------------------------------------------------------------------------------------
# kp new


def cmd_new(args, root):
    from autograder.new_chapter import CONTRACT, NewChapterError, new_chapter

    try:
        written = new_chapter(root, args.chapter, title=args.title, problem=args.problem)
    except NewChapterError as exc:
        raise UsageError(str(exc)) from exc
    _say(*(f"wrote {relative(p, root)}" for p in written))
    _say(f"next: replace every TODO, then follow 'How to add a chapter' in {CONTRACT}")
    return EXIT_OK


# ------------------------------------------------------------------------------------------
# kp grade / kp selftest


def _progress_line(result):
    label = f"{result.student}/{result.chapter}"
    score = f"{format_number(result.score)}/{format_number(result.max_score)}"
    extra = f"  {result.error}" if result.error else ""
    notes = f"  ({'; '.join(result.notes)})" if result.notes else ""
    _say(f"  {label:<40} {score:>9}  {result.status}  {result.seconds:.1f} s{extra}{notes}")


def _limits(args):
    from autograder.sandbox.bwrap import Limits

    limits = Limits()
    if getattr(args, "memory_mb", None):
        limits.memory_mb = args.memory_mb
    if getattr(args, "notebook_timeout", None):
        limits.notebook_seconds = args.notebook_timeout
    return limits


def _grading_options(p):
    """The options `kp grade` and `kp selftest` share: the private course, cell time, sandbox, limits, kernels."""
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: the nbgrader config's)")
    p.add_argument("--keep", metavar="WORKDIR", default=None, help="build the private nbgrader course here and keep it")
    p.add_argument(
        "--whole-notebook", action="store_true",
        help="also run the cells after the last graded cell (training, figures); they cannot change a grade",
    )
    p.add_argument("--sandbox", choices=("bwrap", "none"), default=None,
                   help="isolate each kernel with bubblewrap (default; refused when bwrap is missing) "
                        "or not at all ('none': trusted notebooks only)")
    p.add_argument("--memory-mb", type=int, default=None, help="address space of each kernel (default 6144)")
    p.add_argument("--notebook-timeout", type=int, default=None,
                   help="seconds per notebook; then its kernel is killed (default 900)")
    p.add_argument("--kernels", choices=("warm", "fresh"), default=None,
                   help="warm: fork each kernel from a sandboxed server that has already imported Keras and the "
                        "course (default when the grader runs as root with bwrap); fresh: a new Python per submission")


def cmd_grade(args, root):
    from autograder.feedback import write_failure_feedback
    from autograder.grader import Grader
    from autograder.grades import write_grades_csv
    from autograder.submissions import collect_submissions

    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"{args.dir} is not a folder (expected DIR/<student>/<chapter>/<notebook>.ipynb)")
    chapters = list_chapters(root)
    submissions = collect_submissions(folder, chapters)
    if not submissions:
        _say(f"kp grade: no submissions in {folder} (expected DIR/<student>/<chapter>/<notebook>.ipynb)",
             file=sys.stderr)
        return EXIT_FAIL
    needed = [ch for ch in chapters if any(s.chapter.id == ch.id and s.notebook is not None for s in submissions)]
    engine = args.engine or ("dask" if args.scheduler else "local")
    if engine == "local" and args.scheduler:
        raise UsageError("--scheduler grades on a Dask cluster: use it with --engine dask (or alone)")
    out = Path(args.out)
    out_dir = out.parent
    _say(f"grading {len(submissions)} submissions at profile {args.profile}"
         f" ({', '.join(ch.id for ch in needed) or 'no known chapter'})")
    started = time.perf_counter()
    if engine == "dask":
        from autograder.dask_engine import DaskGrader, EngineError

        try:
            grader = DaskGrader(
                root, needed, scheduler=args.scheduler, workers=max(1, min(args.jobs, len(submissions))),
                workdir=args.keep, profile=args.profile, timeout=args.timeout, whole_notebook=args.whole_notebook,
                sandbox=args.sandbox, limits=_limits(args), kernels=args.kernels,
            )
        except EngineError as exc:
            raise UsageError(str(exc)) from None
        _say(f"engine: dask, {grader.where}")
    else:
        grader = Grader(
            root, needed, profile=args.profile, timeout=args.timeout, workdir=args.keep,
            whole_notebook=args.whole_notebook, sandbox=args.sandbox, limits=_limits(args), jobs=args.jobs,
            kernels=args.kernels,
        )
    try:
        results = grader.grade(submissions, feedback=True, progress=_progress_line)
        for result in results:
            target = out_dir / "feedback" / result.student / result.chapter / f"{result.chapter}.html"
            if result.feedback is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(result.feedback, target)
            elif not result.ok or result.status == "tampered":
                write_failure_feedback(result, target)
            if not result.ok and result.log:
                log = out_dir / "logs" / f"{result.student}_{result.chapter}.log"
                log.parent.mkdir(parents=True, exist_ok=True)
                log.write_text(result.log, encoding="utf-8")
    finally:
        grader.close()
    write_grades_csv(results, out)
    failed = [r for r in results if not r.ok]
    _say(f"wrote {out} and {out_dir / 'feedback'}/: {len(results)} submissions, "
         f"{len(failed)} could not be graded, {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def cmd_selftest(args, root):
    from autograder.selftest import selftest

    chapters = resolve_chapters(args.chapters, root)
    if not chapters:
        _say(f"kp selftest: no finished chapter in {root / 'solutions'}; nothing to test")
        return EXIT_OK
    _say(f"self-test of {', '.join(ch.id for ch in chapters)} (profile smoke)")
    started = time.perf_counter()
    checks = selftest(
        root, chapters, progress=_progress_line, timeout=args.timeout, workdir=args.keep,
        whole_notebook=args.whole_notebook, sandbox=args.sandbox, limits=_limits(args), kernels=args.kernels,
        jobs=args.jobs,
    )
    rows = []
    for check in checks:
        got = f"{format_number(check.result.score)}/{format_number(check.result.max_score)}" if check.result else "-"
        rows.append(
            [check.chapter, check.case, got, format_number(check.expected_score) if check.expected else "-",
             "ok" if check.ok else "MISMATCH", "; ".join(check.problems)]
        )
    _say("", format_table(rows, ["chapter", "case", "score", "expected", "verdict", "problems"]))
    bad = [c for c in checks if not c.ok]
    _say(f"{len(checks) - len(bad)} of {len(checks)} checks passed in {time.perf_counter() - started:.1f} s")
    return EXIT_FAIL if bad else EXIT_OK


# ------------------------------------------------------------------------------------------
# kp site, kp slides


def cmd_site(args, root):
    from autograder.site import build_site

    chapters = sorted(resolve_chapters(args.chapters, root), key=lambda ch: (ch.number, ch.id))
    audiences = ("student", "instructor") if args.audience == "both" else (args.audience,)
    for audience in audiences:
        _say(f"== {audience} site of {len(chapters)} chapters (a chapter without a fresh build/executed "
             f"notebook runs at {args.profile})")
        report = build_site(root, audience, profile=args.profile, chapters=chapters, progress=_say)
        _say(f"{audience} site: {relative(report.folder / 'index.html', root)}, {len(report.pages)} pages "
             f"in {report.seconds:.1f} s ({len(report.executed)} chapters executed)")
    return EXIT_OK


def cmd_slides(args, root):
    from autograder.slides import build_slides

    chapter = resolve_chapters([args.chapter], root)[0]
    deck = build_slides(root, chapter, args.audience, profile=args.profile, progress=_say)
    _say(f"open {relative(deck, root)} in a browser (reveal.js: arrows move, S shows the speaker notes)")
    return EXIT_OK


# ------------------------------------------------------------------------------------------


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, help="the course root (default: $KP_ROOT, or found upward)")
    parser = _Parser(prog="kp", description="Run, demo, release, grade and self-test the keras-patterns course.",
                     parents=[common])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    run = sub.add_parser("run", parents=[common], help="execute one chapter's solution notebook")
    run.add_argument("chapter", metavar="CH", help="e.g. ch01_protein_ss, ch01, 01 or 1")
    run.add_argument("--profile", choices=PROFILES, default=None, help="default: $KP_PROFILE, else 'default'")
    run.add_argument("--backend", choices=BACKENDS, default=None, help="default: $KERAS_BACKEND, else tensorflow")

    demo = sub.add_parser("demo", parents=[common], help="run every finished chapter and print the results table")
    demo.add_argument("--profile", choices=PROFILES, default=None, help="default: $KP_PROFILE, else 'default'")
    demo.add_argument("--backend", choices=BACKENDS, default=None, help="default: $KERAS_BACKEND, else tensorflow")

    rel = sub.add_parser("release", parents=[common], help="regenerate course/ from solutions/ with nbgrader")
    rel.add_argument("--check", action="store_true", help="only check that course/ is up to date (exit 1 if not)")

    grade = sub.add_parser("grade", parents=[common], help="autograde DIR/<student>/<chapter>/<notebook>.ipynb")
    grade.add_argument("dir", metavar="DIR")
    grade.add_argument("--out", default="grades.csv", help="the grades CSV; feedback goes beside it (default: grades.csv)")
    grade.add_argument("--profile", choices=PROFILES, default="smoke", help="the profile kernels run at (default: smoke)")
    _grading_options(grade)
    grade.add_argument("--jobs", "-j", type=int, default=1,
                       help="submissions graded at once (default 1); with --engine dask, the local Dask workers")
    grade.add_argument("--engine", choices=("local", "dask"), default=None,
                       help="'local' (default): worker processes of this command; 'dask': Dask distributed "
                            "(a LocalCluster of --jobs workers, or the cluster of --scheduler)")
    grade.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on the Dask cluster of this scheduler, e.g. tcp://host:8786 (implies --engine dask; "
                            "workers need this course root at the same path and the same environment)")

    st = sub.add_parser("selftest", parents=[common], help="prove the grader on every chapter (or those named)")
    st.add_argument("chapters", metavar="CH", nargs="*")
    _grading_options(st)
    st.add_argument("--jobs", "-j", type=int, default=1,
                    help="pseudo-students graded at once (default 1); the grades do not depend on it")

    new = sub.add_parser("new", parents=[common], help="lay down a new chapter's skeleton (see CHAPTER_CONTRACT.md)")
    new.add_argument("chapter", metavar="CH", help="the new chapter's id, chNN_slug")
    new.add_argument("--title", default=None, help="the notebook's title")
    new.add_argument("--problem", default=None, help="the textbook chapter's problem id (default: the course map's)")

    site = sub.add_parser("site", parents=[common], help="build the static course site (build/site/, build/site-instructor/)")
    site.add_argument("chapters", metavar="CH", nargs="*", help="the chapters (default: every finished chapter)")
    site.add_argument("--audience", choices=("student", "instructor", "both"), default="both",
                      help="student: the release with the solution's outputs (build/site/); instructor: the executed "
                           "solutions and measured claims (build/site-instructor/); default both")
    site.add_argument("--profile", choices=PROFILES, default="smoke",
                      help="the profile a chapter runs at when build/executed/CH.ipynb is missing or older than its "
                           "source (default smoke; `kp demo` first gives the pages default-profile outputs)")

    slides = sub.add_parser("slides", parents=[common], help="write a reveal.js lecture deck of one chapter (build/slides/)")
    slides.add_argument("chapter", metavar="CH", help="e.g. ch14_random_walks, ch14, 14")
    slides.add_argument("--audience", choices=("student", "instructor"), default="instructor",
                        help="instructor (default): with the solution code; student: the released stubs")
    slides.add_argument("--profile", choices=PROFILES, default="smoke",
                        help="the profile the chapter runs at when its executed notebook is not fresh (default smoke)")
    return parser


COMMANDS = {"run": cmd_run, "demo": cmd_demo, "release": cmd_release, "grade": cmd_grade, "selftest": cmd_selftest,
            "new": cmd_new, "site": cmd_site, "slides": cmd_slides}


def main(argv=None):
    """The `kp` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    prog = f"kp {args.command}"
    try:
        root = find_root(getattr(args, "root", None))
        return COMMANDS[args.command](args, root)
    except (ChapterError, UsageError) as exc:
        _say(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:
        if "Valid profiles" in str(exc):
            _say(f"{prog}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise
    except RuntimeError as exc:
        _say(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        _say(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
