"""`kp grade`: autograde submissions with nbgrader, each on its own, in sandboxed kernels.

A `Grader` is a private, temporary nbgrader course (source copied from
`solutions/`, its own gradebook) that grades submissions one by one: each
is sanitised against the release (`autograder.submissions`), screened
(`autograder.screen`), cut after its last graded cell, and run by nbgrader's
autograde in its own sandboxed kernel (`autograder.sandbox`) at the `smoke`
profile, so that one submission's failure (an error, a timeout, a dead
kernel, tampering) never stops the batch nor touches another's grade.
Feedback pages come without hidden tests (`autograder.feedback`). With
`jobs` > 1 each worker process grades in its own copy of the private course;
results come back in submission order, so the CSV does not depend on `jobs`.

Facts this is built around (measured with nbgrader 0.9.6): a graded cell
scores 0 when it writes anything to stderr, so kernels get the quiet
environment of `keras_patterns.session.quiet_environment`; the default cell
timeout is 30 s, so the course's `autograder/nbgrader_config.py` raises it;
nbgrader restores deleted *graded* cells but not deleted locked cells such as
the set-up cell, so `restore_missing_cells` puts every missing instructor
cell back before nbgrader sees the submission.

Used by `kp grade`, `autograder.selftest`, `autograder.dask_engine` and
`autograder.mutation`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from autograder import screen as answer_screen
from autograder.environment import kernel_environment, patched_environ
from autograder.errors import GradingError
from autograder.feedback import add_feedback_banner
from autograder.grades import GradeResult, empty_result
from autograder.nbgrader_app import load_config, logger, run_app, use_sandboxed_execute
from autograder.notebooks import (
    grade_id,
    normalise_notebook,
    preload_modules,
    read_notebook,
    test_cells,
    until_last_graded_cell,
    write_notebook,
)
from autograder.release import generate_assignments
from autograder.sandbox.bwrap import Limits, prepare_scratch, read_only_paths, resolve_kind, sandbox_uid
from autograder.sandbox.warm import WarmKernels, register_warm, unregister_warm
from autograder.submissions import restore_missing_cells, safe_id, sanitise_submission


def explain_failure(log_text):
    """One line saying why nbgrader could not grade a submission."""
    checks = (
        ("DeadKernelError", "the kernel died while running the notebook (a crash, os._exit or out of memory)"),
        ("Kernel died", "the kernel died while running the notebook (a crash, os._exit or out of memory)"),
        ("UnresponsiveKernelError", "the kernel stopped responding and could not be interrupted"),
        ("became unresponsive", "the kernel stopped responding and could not be interrupted"),
        ("Kernel didn't respond", "the kernel did not start in time"),
        ("failed to validate", "the notebook's nbgrader metadata is corrupted"),
        ("NotJSONError", "the file is not a valid notebook"),
    )
    for needle, message in checks:
        if needle in log_text:
            return message
    errors = [ln for ln in log_text.splitlines() if ln.strip() and not ln.startswith("[INFO]")]
    return (errors[-1].strip() if errors else "nbgrader failed without a message")[:300]


class Grader:
    """A private nbgrader course in a temporary folder that grades submissions of `chapters`.

    Args:
        root: the course root (sources in `root/solutions`, config in `root/autograder`).
        chapters: the `Chapter`s to prepare.
        profile: the `KP_PROFILE` the kernels run with (grading runs at "smoke").
        timeout: per-cell timeout in seconds; None keeps the config's.
        workdir: where to build the private course; a temporary folder by default.
        keep: keep the private course after `close()` (for debugging).
        whole_notebook: run the cells after the last graded cell too. By
            default they are left out: a later cell cannot change an earlier
            cell's grade, and in a chapter they train models and draw figures
            (most of the run time), which the student has seen run already.
        sandbox: "bwrap" (each kernel in a bubblewrap sandbox), "none" (no
            isolation: only for trusted notebooks), or None: bwrap, refusing
            with a clear message when it is missing.
        limits: an `autograder.sandbox.bwrap.Limits` (memory, processes, output, time per notebook).
        guard: run the integrity guard (zero a submission that changed the grader's objects).
        screen: screen answer cells for shortcuts (`autograder.screen`) and zero the
            tests of a flagged step.
        jobs: submissions graded at once by `grade` (worker processes, each with its own gradebook).
        kernels: "warm" (forked from a sandboxed server that has already
            imported Keras and the course, `autograder.sandbox.warm.WarmKernels`;
            needs the bwrap sandbox and a root grader, else it falls back to
            fresh kernels), "fresh" (a new Python process per submission) or
            None: warm where possible.
    """

    def __init__(self, root, chapters, profile="smoke", timeout=None, workdir=None, keep=False, whole_notebook=False,
                 sandbox=None, limits=None, guard=True, jobs=1, kernels=None, screen=True, _prepared=None):
        self.root = Path(root)
        self.whole_notebook = whole_notebook
        self.chapters = {ch.id: ch for ch in chapters}
        self.profile = profile
        self.sandbox = resolve_kind(sandbox)
        self.limits = limits or Limits()
        self.guard = guard
        self.screen = screen
        self.jobs = max(1, int(jobs))
        self.keep = keep or workdir is not None
        self.dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="kp-grade-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cfg = use_sandboxed_execute(load_config(self.root, self.dir))
        if timeout is not None:
            self.cfg.Execute.timeout = int(timeout)
        self.timeout = self.cfg.Execute.get("timeout", 30)
        self.read_only = [str(p) for p in read_only_paths(self.root)]
        self.uid = sandbox_uid() if (self.sandbox == "bwrap" and os.geteuid() == 0) else None
        if kernels not in (None, "warm", "fresh"):
            raise ValueError(f"unknown kernels {kernels!r}; valid: warm, fresh")
        self.kernels = "warm" if (kernels in (None, "warm") and self.uid is not None) else "fresh"
        self._warm = None  # the WarmKernels server, started at the first submission
        self._kernels_started = 0
        self._warm_token = None
        self._taken = set()
        self._ids = {}  # student name -> nbgrader student id
        self.release = {}
        self.source = {}
        if _prepared is not None:
            # A worker of a parallel run: a copy of the prepared course, with its own gradebook.
            for name in ("source", "release"):
                shutil.copytree(Path(_prepared) / name, self.dir / name, dirs_exist_ok=True)
            shutil.copyfile(Path(_prepared) / "gradebook.db", self.dir / "gradebook.db")
            for ch in chapters:
                self.release[ch.id] = normalise_notebook(read_notebook(self.dir / "release" / ch.id / f"{ch.id}.ipynb"))
                self.source[ch.id] = read_notebook(self.dir / "source" / ch.id / f"{ch.id}.ipynb")
        elif chapters:
            released = generate_assignments(self.root, list(chapters), self.dir, self.cfg)
            for ch in chapters:
                self.release[ch.id] = normalise_notebook(read_notebook(released[ch.id] / f"{ch.id}.ipynb"))
                self.source[ch.id] = read_notebook(self.dir / "source" / ch.id / f"{ch.id}.ipynb")
        self.references = {}
        self.answer_tests = {}
        for ch_id, source in self.source.items():
            try:
                self.references[ch_id] = answer_screen.load_references(self.root, ch_id)
            except ValueError as exc:
                raise GradingError(str(exc)) from None
            self.answer_tests[ch_id] = answer_screen.tests_of_answers(source)

    def close(self):
        if self._warm is not None:
            self._warm.close()
            unregister_warm(self._warm_token)
            self._warm = None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _coursedir(self):
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.cfg)

    def student_id(self, student):
        """The nbgrader id of a student (stable for this grader)."""
        if student not in self._ids:
            self._ids[student] = safe_id(student, self._taken)
        return self._ids[student]

    def _options(self):
        return dict(profile=self.profile, timeout=self.timeout, whole_notebook=self.whole_notebook,
                    sandbox=self.sandbox, limits=self.limits, guard=self.guard, kernels=self.kernels,
                    screen=self.screen)

    def grade(self, submissions, feedback=True, progress=None, jobs=None):
        """Autograde each submission in its own fresh kernel; returns a `GradeResult` per submission.

        Args:
            submissions: `Submission`s (any students, any prepared chapters).
            feedback: also generate the feedback HTML (hidden tests removed).
            progress: called with each `GradeResult` as it is ready.
            jobs: submissions graded at once (default: the grader's `jobs`).
                Each worker process grades in its own copy of the private
                course, with its own gradebook; results come back in the order
                of `submissions`, so the CSV does not depend on `jobs`.
        """
        jobs = self.jobs if jobs is None else max(1, int(jobs))
        sids = [self.student_id(sub.student) for sub in submissions]
        if jobs == 1 or len(submissions) < 2:
            results = []
            for sub, sid in zip(submissions, sids):
                result = self.grade_one(sub, feedback, sid=sid)
                results.append(result)
                if progress is not None:
                    progress(result)
            return results
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        chapters = list(self.chapters.values())
        results = [None] * len(submissions)
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(jobs, len(submissions)), mp_context=ctx, initializer=_worker_init,
            initargs=(str(self.root), chapters, str(self.dir), self._options()),
        ) as pool:
            futures = {pool.submit(_worker_grade, sub, sid, feedback): i for i, (sub, sid) in enumerate(zip(submissions, sids))}
            for future in concurrent.futures.as_completed(futures):
                i = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker that died still gives a row
                    result = self._empty_result(submissions[i], "error", f"the grader failed: {type(exc).__name__}: {exc}")
                results[i] = result
                if progress is not None:
                    progress(result)
        return results

    def grade_one(self, sub, feedback=True, sid=None):
        """Grade one submission; never raises (a failure becomes an "error" result)."""
        started = time.perf_counter()
        try:
            result = self._grade_one(sub, feedback, sid or self.student_id(sub.student))
        except Exception as exc:  # noqa: BLE001 - one submission never stops the batch
            result = self._empty_result(sub, "error", f"the grader failed: {type(exc).__name__}: {exc}")
        result.seconds = round(time.perf_counter() - started, 2)
        return result

    def _empty_result(self, sub, status, error):
        tests = test_cells(self.source[sub.chapter.id]) if sub.chapter.id in self.source else {}
        return empty_result(sub, tests, status, error)

    def _warm_server(self):
        """The warm-kernel server (started on first use); None when kernels are fresh or it cannot start."""
        if self.kernels != "warm":
            return None
        if self._warm is None:
            env = dict(os.environ)
            env.update(kernel_environment(self.profile, self.dir / "scratch"))
            server = WarmKernels(self.dir / "warm", self.read_only, env,
                                    preload=preload_modules(self.release.values()))
            try:
                server.start()
            except RuntimeError as exc:
                logger().warning("warm kernels unavailable, using fresh ones: %s", exc)
                self.kernels = "fresh"
                return None
            self._warm = server
            self._warm_token = register_warm(server)
        return self._warm

    def _scratch(self, sid, ch):
        """A new, empty scratch folder for one submission's kernel, and the uid that kernel runs as.

        Named by a counter, not by the student: the kernel's sockets live in it
        and a Unix socket path is limited to 107 bytes.
        """
        self._kernels_started += 1
        name = f"k{self._kernels_started:05d}"
        warm = self._warm_server()
        if warm is not None:
            uid = warm.next_uid()
            return prepare_scratch(warm.folder / name, uid), uid
        return prepare_scratch(self.dir / "scratch" / name, self.uid), self.uid

    def _execute_config(self, scratch, report, uid=None):
        """The nbgrader config of one submission: its sandbox, limits, report file."""
        from traitlets.config import Config

        cfg = Config(copy.deepcopy(dict(self.cfg)))
        cfg.SandboxedExecute.limits = dataclasses.asdict(self.limits)
        cfg.SandboxedExecute.report_path = str(report)
        cfg.SandboxedExecute.guard = int(bool(self.guard))
        if self.sandbox == "bwrap":
            cfg.SandboxedExecute.sandbox_spec = {"scratch": str(scratch), "read_only": self.read_only,
                                                 "uid": self.uid if uid is None else uid}
            cfg.SandboxedExecute.warm = self._warm_token or ""  # set only while a warm server runs
        else:
            cfg.SandboxedExecute.sandbox_spec = None
        return cfg

    def _grade_one(self, sub, feedback, sid):
        from nbgrader.converters import Autograde, GenerateFeedback
        from nbgrader.utils import temp_attrs

        ch = sub.chapter.id
        if sub.notebook is None:
            return self._empty_result(sub, "error", sub.error or "no notebook")
        if ch not in self.release:
            raise GradingError(f"chapter {ch} was not prepared for grading")
        nb, sanitised = sanitise_submission(sub.notebook, self.release[ch])
        nb, restored = restore_missing_cells(nb, self.release[ch])
        notes = list(sub.notes) + sanitised
        if restored:
            notes.append("restored deleted cells: " + ", ".join(restored))
        flags = answer_screen.screen(nb, self.answer_tests.get(ch, {}), self.references.get(ch, ())) if self.screen else {}
        if not self.whole_notebook:
            nb = until_last_graded_cell(nb)
        write_notebook(nb, self.dir / "submitted" / sid / ch / f"{ch}.ipynb")
        scratch, uid = self._scratch(sid, ch)
        report_path = self.dir / "reports" / f"{sid}-{ch}.json"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.unlink(missing_ok=True)
        cfg = self._execute_config(scratch, report_path, uid)
        coursedir = self._coursedir()
        try:
            with patched_environ(kernel_environment(self.profile, scratch)):
                with temp_attrs(coursedir, assignment_id=ch, student_id=sid):
                    app = Autograde(coursedir=coursedir, config=cfg, log=logger())
                    app.force = True
                    app.create_student = True
                    ok, log_text = run_app(app)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else {}
        autograded = self.dir / "autograded" / sid / ch / f"{ch}.ipynb"
        if not ok or not autograded.is_file():
            result = self._empty_result(sub, "error", explain_failure(log_text))
            result.notes = notes
            result.log = log_text
            return result
        result = self._read_grades(sub, sid, autograded, notes)
        result.log = log_text
        if report.get("truncated"):
            result.notes.append("output truncated")
        if report.get("tampered"):
            result.status = "tampered"
            result.error = "integrity check failed: " + "; ".join(report["tampered"])[:500]
            result.score = 0.0
            result.cells = {k: 0.0 for k in result.cells}
        elif report.get("died"):
            result.status = "error"
            if report.get("killed_after"):
                result.error = f"the notebook ran past {report['killed_after']} s and was stopped (points earned before it count)"
            else:
                result.error = explain_failure(report["died"]) + " (points earned before it count)"
        banner = self._apply_screen(result, flags, ch)
        if feedback and result.status != "tampered":
            with temp_attrs(coursedir, assignment_id=ch, student_id=sid):
                app = GenerateFeedback(coursedir=coursedir, config=self.cfg, log=logger())
                app.force = True
                fb_ok, fb_log = run_app(app)
            html_path = self.dir / "feedback" / sid / ch / f"{ch}.html"
            if fb_ok and html_path.is_file():
                if banner:
                    add_feedback_banner(html_path, banner)
                result.feedback = html_path
            else:
                result.notes.append("feedback failed: " + explain_failure(fb_log))
        return result

    def _apply_screen(self, result, flags, ch):
        """Zero the tests of the answer cells the screen flagged (`autograder.screen`); returns the feedback text."""
        if not flags or result.status == "tampered":
            return ""
        lines = []
        for answer, reasons in sorted(flags.items()):
            tests = self.answer_tests.get(ch, {}).get(answer, [])
            for t in tests:
                if result.cells.get(t):
                    result.cells[t] = 0.0
            result.notes.append(f"screened {answer}: {'; '.join(reasons)}; {', '.join(tests) or 'no test'} set to 0"
                                " (regrade by hand if this is a false alarm)")
            lines.append(f"Your answer in cell {answer} {' and '.join(reasons)}. No step needs that, so "
                         f"{', '.join(tests) or 'its tests'} score 0.")
        result.score = float(sum(v for v in result.cells.values() if v))
        if result.status == "graded":
            result.status = "screened"
        return " ".join(lines)

    def _read_grades(self, sub, sid, autograded, notes):
        from nbgrader.api import Gradebook

        ch = sub.chapter.id
        order = list(test_cells(self.source[ch]))
        with Gradebook(self.cfg.CourseDirectory.db_url) as gb:
            snb = gb.find_submission_notebook(ch, ch, sid)
            grades = {g.name: g for g in snb.grades}
            cells = {}
            max_cells = {}
            manual = []
            for name in order + sorted(set(grades) - set(order)):
                g = grades.get(name)
                if g is None:
                    continue
                if g.cell_type != "code":
                    continue
                max_cells[name] = float(g.max_score)
                cells[name] = None if g.score is None else float(g.score)
                if g.needs_manual_grade:
                    manual.append(name)
            score, max_score = float(snb.score), float(snb.max_score)
        nb = read_notebook(autograded)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                    where = grade_id(cell) or f"cell {index}"
                    notes.append(f"{where} timed out after {self.timeout} s")
        status = "needs manual grading" if manual else "graded"
        return GradeResult(
            student=sub.student,
            chapter=ch,
            score=score,
            max_score=max_score,
            cells=cells,
            max_cells=max_cells,
            status=status,
            notes=notes,
            label=sub.label,
        )


_WORKER = {}


def _worker_init(root, chapters, prepared, options):
    """A parallel worker: its own copy of the prepared private course (so its own gradebook)."""
    workdir = Path(prepared) / "workers" / f"w{os.getpid()}"
    _WORKER["grader"] = Grader(root, chapters, workdir=workdir, _prepared=prepared, **options)


def _worker_grade(sub, sid, feedback):
    return _WORKER["grader"].grade_one(sub, feedback, sid=sid)


def grade_submissions(root, submissions, chapters=None, jobs=1, feedback=False, progress=None, **options):
    """Grade `Submission`s with a private grader and return their `GradeResult`s (in the same order).

    A convenience for tools (mutation testing, benchmarks): `chapters`
    defaults to those the submissions name; `options` go to `Grader`
    (`profile`, `timeout`, `sandbox`, `limits`, `guard`, `whole_notebook`).
    """
    if chapters is None:
        seen = {}
        for sub in submissions:
            if sub.notebook is not None:
                seen.setdefault(sub.chapter.id, sub.chapter)
        chapters = list(seen.values())
    with Grader(root, chapters, jobs=jobs, **options) as grader:
        return grader.grade(submissions, feedback=feedback, progress=progress)

