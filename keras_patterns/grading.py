"""Release, autograde and self-test the course with nbgrader.

Three jobs, each behind one `kp` command:

- `release`: regenerate `course/` (the student notebooks) from `solutions/`
  with nbgrader's `generate_assignment`, normalised so the output depends on
  the sources only, and refuse a release that holds solutions, hidden tests or
  outputs.
- `Grader`: a private, temporary nbgrader course (source copied from
  `solutions/`, its own gradebook) that autogrades submissions one by one in
  fresh kernels at the `smoke` profile, so that one submission's failure (an
  error, a timeout, a dead kernel) never stops the batch nor touches another's
  grade, and writes feedback without hidden tests.
- `selftest`: proves the grader on every chapter: the solution gets full
  marks, the unchanged release gets zero, and each wrong-answer fixture loses
  exactly the points of the test cells it names.

Facts this module is built around (measured with nbgrader 0.9.6): a graded
cell scores 0 when it writes anything to stderr, so kernels get the quiet
environment of `keras_patterns.session.quiet_environment`; the default cell
timeout is 30 s, so the course's `autograder/nbgrader_config.py` raises it;
nbgrader restores deleted *graded* cells (`OverwriteCells.add_missing_cells`)
but not deleted locked cells such as the set-up cell, so `restore_missing_cells`
puts every missing instructor cell back before nbgrader sees the submission.

Used by `kp release`, `kp grade` and `kp selftest`.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import hashlib
import html
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from keras_patterns.chapters import Chapter
from keras_patterns.session import quiet_environment

#: Strings that must never appear in a released file.
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

#: Cell metadata kept in released notebooks (everything else is dropped).
KEPT_CELL_METADATA = ("nbgrader", "deletable", "editable", "tags", "jupyter", "slideshow")

#: Notebook metadata kept in released notebooks.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info", "jupytext")

CONFIG_FILE = Path("autograder") / "nbgrader_config.py"

_LOG_NAME = "keras_patterns.nbgrader"


class GradingError(RuntimeError):
    """A problem with the course itself (not with a submission): bad sources, bad fixtures."""


# --------------------------------------------------------------------------------------------
# Configuration


def config_path(root):
    """The nbgrader config used for `root`: its own `autograder/nbgrader_config.py`, else this repository's."""
    own = Path(root) / CONFIG_FILE
    if own.is_file():
        return own
    repo = Path(__file__).resolve().parent.parent / CONFIG_FILE
    if repo.is_file():
        return repo
    raise GradingError(f"no nbgrader config: neither {own} nor {repo} exists")


def load_config(root, course_root=None):
    """Load the course's nbgrader config, pointed at `course_root` (a private course folder).

    The timeouts, preprocessors and restore options come from the config file;
    the folders are always overridden so that nothing is written into the
    repository.
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = config_path(root)
    cfg = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    cfg = Config(copy.deepcopy(dict(cfg)))
    if course_root is not None:
        course_root = Path(course_root)
        cfg.CourseDirectory.root = str(course_root)
        cfg.CourseDirectory.source_directory = "source"
        cfg.CourseDirectory.release_directory = "release"
        cfg.CourseDirectory.submitted_directory = "submitted"
        cfg.CourseDirectory.autograded_directory = "autograded"
        cfg.CourseDirectory.feedback_directory = "feedback"
        cfg.CourseDirectory.db_url = f"sqlite:///{course_root / 'gradebook.db'}"
        cfg.CourseDirectory.student_id = "*"
        cfg.CourseDirectory.notebook_id = "*"
    return cfg


def use_sandboxed_execute(cfg):
    """Make nbgrader's autograde run notebooks with `keras_patterns.sandbox.SandboxedExecute`."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        Execute,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from keras_patterns.sandbox import SandboxedExecute

    pre = cfg.Autograde.get("autograde_preprocessors") or [
        Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
        CheckCellMetadata,
    ]
    cfg.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p for p in pre]
    return cfg


def _logger():
    log = logging.getLogger(_LOG_NAME)
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def _use_inprocess_alembic():
    """Answer nbgrader's "which gradebook schema is current?" without a subprocess.

    nbgrader runs `alembic heads` in a new process for every new gradebook
    (4 s on a busy 2-core machine, and it needs the venv on PATH). The answer
    is the head revision of nbgrader's own migration scripts, which alembic's
    Python API reads directly; if that fails nbgrader's own way stays.
    """
    import nbgrader.api

    if getattr(nbgrader.api.get_alembic_version, "_kp_inprocess", False):
        return
    try:
        from alembic.script import ScriptDirectory
        from nbgrader.dbutil import ALEMBIC_DIR

        head = ScriptDirectory(ALEMBIC_DIR).get_current_head()
    except Exception:  # noqa: BLE001 - keep nbgrader's subprocess
        return
    if not head:
        return

    def get_alembic_version():
        return head

    get_alembic_version._kp_inprocess = True
    nbgrader.api.get_alembic_version = get_alembic_version


def _run_app(app):
    """Run an nbgrader converter, capturing its log: returns (ok, log text).

    nbgrader runs the `alembic` command when it creates a gradebook, so the
    folder of this Python's scripts goes first on PATH (a venv need not be
    activated).
    """
    from nbgrader.utils import capture_log

    _use_inprocess_alembic()
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        path = bindir + os.pathsep + path
    with patched_environ({"PATH": path}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy warnings
        result = capture_log(app)
    text = result.get("log", "")
    if result.get("error"):
        text += "\n" + result["error"]
    return bool(result.get("success")), text


@contextlib.contextmanager
def patched_environ(values):
    """Set environment variables for the duration (kernels inherit the environment of their parent)."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def kernel_environment(profile, results_dir):
    """The variables a grading kernel runs with: the quiet set, the profile, a scratch results folder.

    `JUPYTER_PREFER_ENV_PATH=1` makes the `python3` kernel the one of this
    environment even when the user has a `python3` kernelspec of their own
    (which could lack `keras_patterns` and fail every test).
    """
    env = dict(quiet_environment({}))
    env["KP_PROFILE"] = profile
    env["KP_RESULTS_DIR"] = str(results_dir)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    return env


# --------------------------------------------------------------------------------------------
# Notebook helpers


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell):
    return nbgrader_meta(cell).get("grade_id")


def is_test_cell(cell):
    """An autograded test cell: a graded code cell that is not a solution cell."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_solution_cell(cell):
    return bool(nbgrader_meta(cell).get("solution"))


def is_locked_cell(cell):
    return bool(nbgrader_meta(cell).get("locked"))


def test_cells(nb):
    """{grade_id: points} of the autograded test cells, in notebook order."""
    return {grade_id(c): float(nbgrader_meta(c).get("points", 0)) for c in nb.cells if is_test_cell(c)}


def read_notebook(path):
    return nbformat.read(str(path), as_version=4)


def _split_hidden(source):
    """(visible lines, hidden lines) of a cell: the hidden-test regions' markers belong to neither."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        else:
            (hidden if inside else visible).append(line)
    return visible, hidden


def _strip_hidden(source):
    return "\n".join(_split_hidden(source)[0])


def hidden_lines(source):
    """The lines of a cell's hidden-test regions."""
    return _split_hidden(source)[1]


def _stable_ids(nb):
    """Cell ids that depend on the cells only: the grade id, else a hash of type and source."""
    taken = set()
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid:
            base = re.sub(r"[^A-Za-z0-9_-]", "-", gid)[:56]
        else:
            base = hashlib.sha1(f"{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:8]
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        cell.id = candidate


def normalise_notebook(nb):
    """Return a copy with no outputs, no execution counts and only the metadata that matters.

    Released notebooks go through this so that `course/` depends on the
    content of `solutions/` only (not on who last ran what, nor on the random
    cell ids a notebook builder may assign).
    """
    nb = copy.deepcopy(nb)
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        _stable_ids(nb)
    nb.metadata = NotebookNode({k: nb.metadata[k] for k in KEPT_NOTEBOOK_METADATA if k in nb.metadata})
    for cell in nb.cells:
        cell.metadata = NotebookNode({k: cell.metadata[k] for k in KEPT_CELL_METADATA if k in cell.metadata})
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if cell.cell_type != "markdown":
            cell.pop("attachments", None)
    return nb


def write_notebook(nb, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text, encoding="utf-8")


def _same_cell(a, b):
    """Whether submission cell `a` is reference cell `b`: same grade id, else same cell id, else same source."""
    if grade_id(b):
        return grade_id(a) == grade_id(b)
    if grade_id(a):
        return False
    if a.get("id") and a.get("id") == b.get("id"):
        return True
    return a.cell_type == b.cell_type and a.source == b.source


def restore_missing_cells(submission, reference):
    """Put back every instructor cell (locked, graded or solution) that a student deleted.

    nbgrader's `OverwriteCells.add_missing_cells` restores graded cells only;
    a deleted locked cell (the set-up cell, a data-loading cell) would make
    every later test fail. Each missing cell of `reference` (the released
    notebook) is inserted after the nearest earlier reference cell that the
    submission still has (matched by grade id, cell id or source), or first.
    nbgrader then overwrites locked cells with the source version.

    Returns:
        (notebook, [grade_ids restored]).
    """
    nb = copy.deepcopy(submission)
    present = {grade_id(c) for c in nb.cells if grade_id(c)}
    restored = []
    for k, ref_cell in enumerate(reference.cells):
        gid = grade_id(ref_cell)
        if not gid or gid in present:
            continue
        cell = copy.deepcopy(ref_cell)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        position = 0
        for earlier in reversed(reference.cells[:k]):
            found = next((i for i, c in enumerate(nb.cells) if _same_cell(c, earlier)), None)
            if found is not None:
                position = found + 1
                break
        nb.cells.insert(position, cell)
        present.add(gid)
        restored.append(gid)
    return nb, restored


def _instructor_meta(cell):
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task"))


def sanitise_submission(submission, reference):
    """Make a submission's nbgrader structure the release's, whatever the student did to the metadata.

    Outside any kernel, before nbgrader sees the notebook:

    - a cell carrying the grade id of an instructor cell of `reference` (the
      release) gets that cell's type and nbgrader metadata back (a test cell
      turned into a solution cell, changed points, a locked cell unlocked, a
      test cell turned into markdown);
    - a later cell with the same grade id (a duplicate) and a cell with nbgrader
      metadata that the release does not have become ordinary cells: they run,
      but they are not graded and are not instructor cells.

    nbgrader then replaces the source of locked and test cells by the source
    version, and `restore_missing_cells` puts back the deleted ones.

    Returns:
        (notebook, [notes]).
    """
    nb = copy.deepcopy(submission)
    ref = {grade_id(c): c for c in reference.cells if grade_id(c) and _instructor_meta(c)}
    seen, notes = set(), []
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if "nbgrader" not in cell.get("metadata", {}):
            cells.append(cell)
            continue
        if gid in ref and gid not in seen:
            seen.add(gid)
            want = ref[gid]
            keys = ("grade", "solution", "locked", "task", "points", "grade_id")
            mine, theirs = nbgrader_meta(cell), nbgrader_meta(want)
            changed = any(mine.get(k) != theirs.get(k) for k in keys) or cell.cell_type != want.cell_type
            if cell.cell_type != want.cell_type:
                if want.cell_type == "code":
                    cell = nbformat.v4.new_code_cell(cell.source)
                else:
                    cell = nbformat.v4.new_markdown_cell(cell.source)
            for key in ("nbgrader", "deletable", "editable"):
                if key in want.metadata:
                    cell.metadata[key] = copy.deepcopy(want.metadata[key])
                else:
                    cell.metadata.pop(key, None)
            if changed:
                notes.append(f"restored the metadata of {gid}")
        else:
            cell.metadata.pop("nbgrader", None)
            if gid:
                notes.append(f"ignored {'a duplicate of' if gid in seen or gid in ref else 'the nbgrader metadata of'} {gid}")
        cells.append(cell)
    nb.cells = cells
    return nb, notes


def preload_modules(notebooks):
    """The modules the instructor's cells of `notebooks` import (set-up and test cells, not students' cells).

    A warm-kernel server imports these once, so that no kernel pays for them
    again. `from a.b import c` names `a.b` and `a.b.c` (c may be a submodule);
    cells that do not parse (magics) are skipped.
    """
    import ast

    names = []
    for nb in notebooks:
        for cell in nb.cells:
            if cell.cell_type != "code" or is_solution_cell(cell):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
                    names += [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
    return list(dict.fromkeys(names))


def until_last_graded_cell(nb):
    """A copy of `nb` without the cells after its last graded cell (they cannot change a grade)."""
    graded = [i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade")]
    nb = copy.deepcopy(nb)
    if graded:
        nb.cells = nb.cells[: graded[-1] + 1]
    return nb


# --------------------------------------------------------------------------------------------
# Feedback without hidden tests

try:
    from nbgrader.preprocessors import NbGraderPreprocessor as _PreprocessorBase
except ImportError:  # pragma: no cover - nbgrader is a dependency
    _PreprocessorBase = object


class RedactHiddenTests(_PreprocessorBase):
    """Feedback preprocessor: drop hidden-test regions and the tracebacks that would quote them.

    nbgrader's `generate_feedback` shows the autograded notebook, whose test
    cells hold the hidden tests again (the autograder restores them). This
    removes the regions and, in those cells, replaces an error's traceback by
    its last line (the assertion message, written for students).
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if "BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = _strip_hidden(cell.source).rstrip()
        # Only the errors stay: anything else printed while hidden tests ran could quote them.
        cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                output.traceback = [message, "(traceback hidden: this cell holds hidden tests)"]
        return cell, resources


# --------------------------------------------------------------------------------------------
# Release


@dataclasses.dataclass
class ReleaseReport:
    written: list
    stale: list
    leaks: list


def _copy_sources(chapters, source_root):
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".*")
    for ch in chapters:
        dest = Path(source_root) / ch.id
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(ch.solution_dir, dest, ignore=ignore)


def _generate(root, chapters, course_root, cfg):
    """Run generate_assignment for each chapter in a private course; return {chapter: release dir}."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import temp_attrs

    _copy_sources(chapters, Path(course_root) / "source")
    coursedir = CourseDirectory(config=cfg)
    out = {}
    for ch in chapters:
        with temp_attrs(coursedir, assignment_id=ch.id, student_id="."):
            app = GenerateAssignment(coursedir=coursedir, config=cfg, log=_logger())
            app.force = True
            app.create_assignment = True
            ok, text = _run_app(app)
        if not ok:
            raise GradingError(f"nbgrader generate_assignment failed for {ch.id}:\n{_tail(text)}")
        out[ch.id] = Path(course_root) / "release" / ch.id
    return out


def generate_release(root, chapters, dest):
    """Generate the normalised student version of `chapters` into `dest/<chapter>/`.

    Returns the list of files written, relative to `dest`.
    """
    cfg_root = Path(tempfile.mkdtemp(prefix="kp-release-"))
    try:
        cfg = load_config(root, cfg_root)
        released = _generate(root, chapters, cfg_root, cfg)
        written = []
        for ch in chapters:
            for path in sorted(released[ch.id].rglob("*")):
                if not path.is_file():
                    continue
                rel = path.relative_to(released[ch.id].parent)
                target = Path(dest) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if path.suffix == ".ipynb":
                    write_notebook(normalise_notebook(read_notebook(path)), target)
                else:
                    shutil.copyfile(path, target)
                os.chmod(target, 0o644)
                written.append(rel)
        return written
    finally:
        shutil.rmtree(cfg_root, ignore_errors=True)


def find_leaks(folder):
    """Files under `folder` that hold a solution or hidden-test marker, or notebook outputs."""
    leaks = []
    folder = Path(folder)
    if not folder.is_dir():
        return leaks
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or ".ipynb_checkpoints" in path.parts:
            continue
        data = path.read_bytes()
        rel = path.relative_to(folder.parent)
        for marker in LEAK_MARKERS:
            if marker.encode() in data:
                leaks.append(f"{rel}: contains {marker!r}")
                break
        if path.suffix == ".ipynb":
            try:
                nb = nbformat.reads(data.decode("utf-8"), as_version=4)
            except Exception as exc:  # noqa: BLE001 - any unreadable notebook is a problem
                leaks.append(f"{rel}: not a readable notebook ({exc})")
                continue
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
                    leaks.append(f"{rel}: cell {index} has outputs or an execution count")
                    break
    return leaks


def _managed_files(course_dir, chapters_ids):
    """Files in course/ that `kp release` owns: everything in chapter folders (chNN_*)."""
    from keras_patterns.chapters import CHAPTER_PATTERN

    files = set()
    course_dir = Path(course_dir)
    if not course_dir.is_dir():
        return files
    for sub in course_dir.iterdir():
        if sub.is_dir() and (CHAPTER_PATTERN.match(sub.name) or sub.name in chapters_ids):
            for path in sub.rglob("*"):
                if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                    files.add(path.relative_to(course_dir))
    return files


def release(root, chapters, check=False):
    """Regenerate `root/course/` from `root/solutions/` (or, with `check`, only compare).

    Returns:
        A `ReleaseReport`: files written, stale files (differing, missing or
        orphaned, relative to `course/`), and leaks found in `course/`.
    """
    root = Path(root)
    course_dir = root / "course"
    with tempfile.TemporaryDirectory(prefix="kp-release-out-") as tmp:
        fresh = Path(tmp)
        written = generate_release(root, chapters, fresh)
        new_files = {Path(p) for p in written}
        old_files = _managed_files(course_dir, {ch.id for ch in chapters})
        stale = []
        for rel in sorted(new_files | old_files):
            new, old = fresh / rel, course_dir / rel
            if rel not in old_files:
                stale.append(f"course/{rel} (missing)")
            elif rel not in new_files:
                stale.append(f"course/{rel} (not generated from solutions/: remove it)")
            elif new.read_bytes() != old.read_bytes():
                stale.append(f"course/{rel} (differs from what solutions/ generates)")
        leaks = find_leaks(fresh)
        if leaks:
            raise GradingError("the generated release would leak:\n  " + "\n  ".join(leaks))
        if not check:
            for rel in old_files - new_files:
                (course_dir / rel).unlink()
            for rel in new_files:
                target = course_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh / rel, target)
            for sub in sorted(course_dir.glob("*/**"), reverse=True) if course_dir.is_dir() else []:
                if sub.is_dir() and not any(sub.iterdir()):
                    sub.rmdir()
            for sub in list(course_dir.iterdir()) if course_dir.is_dir() else []:
                if sub.is_dir() and not any(sub.iterdir()):
                    sub.rmdir()
        return ReleaseReport(written=sorted(new_files), stale=stale, leaks=find_leaks(course_dir))


# --------------------------------------------------------------------------------------------
# Grading


@dataclasses.dataclass
class Submission:
    """One student's notebook for one chapter (`notebook` is None when it could not be read)."""

    student: str
    chapter: Chapter
    notebook: NotebookNode | None
    error: str = ""
    notes: list = dataclasses.field(default_factory=list)
    label: str = ""


@dataclasses.dataclass
class GradeResult:
    """The grade of one submission."""

    student: str
    chapter: str
    score: float
    max_score: float
    cells: dict  # grade_id -> score (None when not graded)
    max_cells: dict  # grade_id -> points
    status: str  # "graded", "needs manual grading", "screened" (some steps zeroed by the screen), "tampered" or "error"
    error: str = ""
    notes: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    feedback: Path | None = None
    log: str = ""
    label: str = ""

    @property
    def ok(self):
        return self.status != "error"


def _tail(text, lines=25):
    return "\n".join(text.strip().splitlines()[-lines:])


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


def empty_result(sub, tests, status, error):
    """The row of a submission that earned nothing: every test cell of `tests` ({grade id: points}) at 0."""
    tests = dict(tests)
    return GradeResult(
        student=sub.student,
        chapter=sub.chapter.id,
        score=0.0,
        max_score=sum(tests.values()),
        cells={k: 0.0 for k in tests},
        max_cells=tests,
        status=status,
        error=error,
        notes=list(sub.notes),
        label=sub.label,
    )


def _safe_id(name, taken):
    base = re.sub(r"[^A-Za-z0-9_.@+-]", "_", name).lstrip(".") or "student"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


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
        limits: a `keras_patterns.sandbox.Limits` (memory, processes, output, time per notebook).
        guard: run the integrity guard (zero a submission that changed the grader's objects).
        screen: screen answer cells for shortcuts (`keras_patterns.screening`) and zero the
            tests of a flagged step.
        jobs: submissions graded at once by `grade` (worker processes, each with its own gradebook).
        kernels: "warm" (forked from a sandboxed server that has already
            imported Keras and the course, `keras_patterns.sandbox.WarmKernels`;
            needs the bwrap sandbox and a root grader, else it falls back to
            fresh kernels), "fresh" (a new Python process per submission) or
            None: warm where possible.
    """

    def __init__(self, root, chapters, profile="smoke", timeout=None, workdir=None, keep=False, whole_notebook=False,
                 sandbox=None, limits=None, guard=True, jobs=1, kernels=None, screen=True, _prepared=None):
        from keras_patterns import sandbox as sb

        self.root = Path(root)
        self.whole_notebook = whole_notebook
        self.chapters = {ch.id: ch for ch in chapters}
        self.profile = profile
        self.sandbox = sb.resolve_kind(sandbox)
        self.limits = limits or sb.Limits()
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
        self.read_only = [str(p) for p in sb.read_only_paths(self.root)]
        self.uid = sb.sandbox_uid() if (self.sandbox == "bwrap" and os.geteuid() == 0) else None
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
            released = _generate(self.root, list(chapters), self.dir, self.cfg)
            for ch in chapters:
                self.release[ch.id] = normalise_notebook(read_notebook(released[ch.id] / f"{ch.id}.ipynb"))
                self.source[ch.id] = read_notebook(self.dir / "source" / ch.id / f"{ch.id}.ipynb")
        from keras_patterns import screening

        self.references = {}
        self.answer_tests = {}
        for ch_id, source in self.source.items():
            try:
                self.references[ch_id] = screening.load_references(self.root, ch_id)
            except ValueError as exc:
                raise GradingError(str(exc)) from None
            self.answer_tests[ch_id] = screening.tests_of_answers(source)

    def close(self):
        if self._warm is not None:
            from keras_patterns import sandbox as sb

            self._warm.close()
            sb.unregister_warm(self._warm_token)
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
            self._ids[student] = _safe_id(student, self._taken)
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
        from keras_patterns import sandbox as sb

        if self.kernels != "warm":
            return None
        if self._warm is None:
            env = dict(os.environ)
            env.update(kernel_environment(self.profile, self.dir / "scratch"))
            server = sb.WarmKernels(self.dir / "warm", self.read_only, env,
                                    preload=preload_modules(self.release.values()))
            try:
                server.start()
            except RuntimeError as exc:
                _logger().warning("warm kernels unavailable, using fresh ones: %s", exc)
                self.kernels = "fresh"
                return None
            self._warm = server
            self._warm_token = sb.register_warm(server)
        return self._warm

    def _scratch(self, sid, ch):
        """A new, empty scratch folder for one submission's kernel, and the uid that kernel runs as.

        Named by a counter, not by the student: the kernel's sockets live in it
        and a Unix socket path is limited to 107 bytes.
        """
        from keras_patterns import sandbox as sb

        self._kernels_started += 1
        name = f"k{self._kernels_started:05d}"
        warm = self._warm_server()
        if warm is not None:
            uid = warm.next_uid()
            return sb.prepare_scratch(warm.folder / name, uid), uid
        return sb.prepare_scratch(self.dir / "scratch" / name, self.uid), self.uid

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
        from keras_patterns import screening

        flags = screening.screen(nb, self.answer_tests.get(ch, {}), self.references.get(ch, ())) if self.screen else {}
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
                    app = Autograde(coursedir=coursedir, config=cfg, log=_logger())
                    app.force = True
                    app.create_student = True
                    ok, log_text = _run_app(app)
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
                app = GenerateFeedback(coursedir=coursedir, config=self.cfg, log=_logger())
                app.force = True
                fb_ok, fb_log = _run_app(app)
            html_path = self.dir / "feedback" / sid / ch / f"{ch}.html"
            if fb_ok and html_path.is_file():
                if banner:
                    add_feedback_banner(html_path, banner)
                result.feedback = html_path
            else:
                result.notes.append("feedback failed: " + explain_failure(fb_log))
        return result

    def _apply_screen(self, result, flags, ch):
        """Zero the tests of the answer cells the screen flagged (`keras_patterns.screening`); returns the feedback text."""
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


def collect_submissions(folder, chapters):
    """Read `folder/<student>/<chapter>/<notebook>.ipynb` into `Submission`s.

    A chapter folder may be named `ch01_protein_ss` or `ch01`; its notebook
    should be `<chapter>.ipynb`, but a folder holding exactly one notebook is
    accepted under any name. Problems become submissions with an `error`.
    """
    from keras_patterns.chapters import ChapterError, resolve_chapter

    folder = Path(folder)
    subs = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for chapter_dir in sorted(p for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                ch = resolve_chapter(chapter_dir.name, chapters)
            except ChapterError as exc:
                subs.append(Submission(student_dir.name, Chapter(chapter_dir.name, Path(".")), None, str(exc)))
                continue
            notebooks = sorted(chapter_dir.glob("*.ipynb"))
            notes = []
            exact = chapter_dir / f"{ch.id}.ipynb"
            if exact.is_file():
                path = exact
            elif len(notebooks) == 1:
                path = notebooks[0]
                notes.append(f"graded {path.name} (expected {ch.id}.ipynb)")
            else:
                found = ", ".join(p.name for p in notebooks) or "none"
                subs.append(
                    Submission(student_dir.name, ch, None, f"expected {ch.id}.ipynb in {chapter_dir}; found: {found}")
                )
                continue
            try:
                nb = read_notebook(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable file gets a row
                subs.append(Submission(student_dir.name, ch, None, f"{path.name} is not a readable notebook: {exc}"))
                continue
            subs.append(Submission(student_dir.name, ch, nb, notes=notes))
    return subs


def _fmt(value):
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def write_grades_csv(results, path):
    """Write student, chapter, score, max_score, one column per test cell (its points), status, error, notes."""
    columns = []
    for r in results:
        for name in r.max_cells:
            if name not in columns:
                columns.append(name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "chapter", "score", "max_score", *columns, "status", "error", "notes"])
        for r in results:
            writer.writerow(
                [r.student, r.chapter, _fmt(r.score), _fmt(r.max_score)]
                + [_fmt(r.cells.get(name)) if name in r.max_cells else "" for name in columns]
                + [r.status, r.error, "; ".join(r.notes)]
            )
    return path


def add_feedback_banner(path, text):
    """Put a notice at the top of a feedback page (why some tests were set to 0)."""
    path = Path(path)
    page = path.read_text(encoding="utf-8")
    notice = (f"<div style='border:2px solid #c00;padding:0.8em;margin:1em;background:#fff4f4'>"
              f"<strong>Screened:</strong> {html.escape(text)}</div>")
    match = re.search(r"<body[^>]*>", page)
    page = page[: match.end()] + notice + page[match.end():] if match else notice + page
    try:
        os.chmod(path, 0o644)  # nbgrader writes feedback read-only
    except OSError:
        pass
    path.write_text(page, encoding="utf-8")


def write_failure_feedback(result, path):
    """A small feedback page for a submission that could not be graded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        f"{html.escape(result.chapter)}</title></head><body>\n"
        f"<h1>{html.escape(result.chapter)}: not graded</h1>\n"
        f"<p>Score: 0 / {_fmt(result.max_score)}</p>\n"
        f"<p>Why: {html.escape(result.error)}</p>\n</body></html>\n",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------------------------
# Wrong-answer fixtures and the self-test


@dataclasses.dataclass(frozen=True)
class Fixture:
    """A wrong (or alternative) answer: the solution notebook with some solution cells replaced.

    `fails` names the test cells that must score 0; every other test cell
    must keep full marks (so `fails=[]` states that an alternative answer is
    accepted).
    """

    name: str
    cells: dict  # grade_id of a solution cell -> replacement source
    fails: tuple
    description: str = ""


def _source_text(value, where):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise GradingError(f"{where}: source must be a string or a list of lines")


def load_fixtures(chapter, solution=None):
    """Read and check `autograder/fixtures/<chapter>.json` (an empty list when there is none).

    Format: a JSON list of objects, each
    `{"name": str, "cell": grade_id, "source": str | [lines], "fails": [grade_id, ...]}`,
    or with `"cells": {grade_id: source, ...}` in place of `cell`/`source`
    when one wrong idea spans several cells; `"description"` is optional.
    """
    path = chapter.fixtures_file
    if not path.is_file():
        return []
    where = str(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GradingError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(raw, list):
        raise GradingError(f"{where}: must hold a JSON list of fixtures")
    nb = solution if solution is not None else read_notebook(chapter.solution_notebook)
    solution_ids = {grade_id(c) for c in nb.cells if is_solution_cell(c) and c.cell_type == "code"}
    tests = test_cells(nb)
    fixtures, names = [], set()
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise GradingError(f"{at}: must be an object")
        unknown = set(item) - {"name", "cell", "source", "cells", "fails", "description"}
        if unknown:
            raise GradingError(f"{at}: unknown keys {sorted(unknown)}")
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise GradingError(f"{at}: 'name' must be a word of letters, digits, _ . -")
        if name in names:
            raise GradingError(f"{at}: duplicate name {name!r}")
        names.add(name)
        if "cells" in item:
            if "cell" in item or "source" in item:
                raise GradingError(f"{at}: give either 'cells' or 'cell' + 'source'")
            if not isinstance(item["cells"], dict) or not item["cells"]:
                raise GradingError(f"{at}: 'cells' must map grade ids to sources")
            cells = {k: _source_text(v, at) for k, v in item["cells"].items()}
        else:
            if "cell" not in item or "source" not in item:
                raise GradingError(f"{at}: needs 'cell' and 'source' (or 'cells')")
            cells = {item["cell"]: _source_text(item["source"], at)}
        for cell in cells:
            if cell not in solution_ids:
                raise GradingError(
                    f"{at}: {cell!r} is not a solution code cell of {chapter.id}; "
                    f"solution cells: {', '.join(sorted(solution_ids))}"
                )
        fails = item.get("fails")
        if not isinstance(fails, list) or not all(isinstance(f, str) for f in fails):
            raise GradingError(f"{at}: 'fails' must be a list of test cell grade ids")
        bad = [f for f in fails if f not in tests]
        if bad:
            raise GradingError(f"{at}: {bad} are not test cells of {chapter.id}; test cells: {', '.join(tests)}")
        fixtures.append(Fixture(name, cells, tuple(fails), str(item.get("description", ""))))
    return fixtures


def apply_fixture(solution, fixture):
    """The solution notebook with the fixture's cells replaced."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in fixture.cells:
            cell.source = fixture.cells[gid]
    return nb


def without_locked_cells(solution):
    """The solution with every locked cell (set-up, tests, read-only text) deleted: must still score full."""
    nb = copy.deepcopy(solution)
    nb.cells = [c for c in nb.cells if not (is_locked_cell(c) or is_test_cell(c))]
    return nb


@dataclasses.dataclass
class Check:
    """One self-test expectation and what was measured."""

    chapter: str
    case: str
    expected: dict  # grade_id -> expected score
    result: GradeResult | None
    problems: list

    @property
    def ok(self):
        return not self.problems

    @property
    def expected_score(self):
        return sum(self.expected.values())


def _leaked_hidden_lines(feedback_html, source_nb, release_nb):
    """Hidden-test lines of `source_nb` that can be read in a feedback page."""
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback_html))
    visible = set()
    for cell in release_nb.cells:
        visible.update(line.strip() for line in cell.source.split("\n"))
    leaked = []
    for cell in source_nb.cells:
        for line in hidden_lines(cell.source):
            line = line.strip()
            if len(line) >= 12 and not line.startswith("#") and line not in visible and line in text:
                leaked.append(line)
    return leaked


def selftest_cases(chapter, grader):
    """The pseudo-students of one chapter and the score each test cell must get."""
    solution = grader.source[chapter.id]
    tests = test_cells(solution)
    cases = []
    full = dict(tests)
    cases.append(("solution", copy.deepcopy(solution), full, []))
    if chapter.release_notebook.is_file():
        release_nb, note = read_notebook(chapter.release_notebook), []
    else:
        release_nb, note = grader.release[chapter.id], ["course/ has no release yet: used a fresh one"]
    cases.append(("release", release_nb, {k: 0.0 for k in tests}, note))
    cases.append(("deleted-locked-cells", without_locked_cells(solution), full, []))
    for fx in load_fixtures(chapter, solution):
        expected = {k: (0.0 if k in fx.fails else v) for k, v in tests.items()}
        cases.append((f"fixture:{fx.name}", apply_fixture(solution, fx), expected, []))
    return cases


def selftest(root, chapters, progress=None, timeout=None, feedback_check=True, workdir=None, whole_notebook=False,
             sandbox=None, limits=None, kernels=None):
    """Grade each chapter's pseudo-students and compare with what they must score.

    Returns a list of `Check`s (one per pseudo-student).
    """
    checks = []
    with Grader(root, chapters, profile="smoke", timeout=timeout, workdir=workdir, whole_notebook=whole_notebook,
                sandbox=sandbox, limits=limits, kernels=kernels) as grader:
        for ch in chapters:
            try:
                cases = selftest_cases(ch, grader)
            except GradingError as exc:
                checks.append(Check(ch.id, "fixtures", {}, None, [str(exc)]))
                continue
            subs = [Submission(case, ch, nb, notes=list(notes), label=case) for case, nb, _, notes in cases]
            results = grader.grade(subs, feedback=feedback_check, progress=progress)
            for (case, _nb, expected, _notes), result in zip(cases, results):
                problems = []
                if not result.ok:
                    problems.append(f"not graded: {result.error}")
                else:
                    for name, want in expected.items():
                        got = result.cells.get(name)
                        if got is None or abs(got - want) > 1e-9:
                            problems.append(f"{name}: got {_fmt(got) or 'nothing'}, expected {_fmt(want)}")
                    if result.status != "graded":
                        problems.append(result.status)
                    if result.feedback is not None:
                        leaked = _leaked_hidden_lines(
                            result.feedback.read_text(encoding="utf-8"), grader.source[ch.id], grader.release[ch.id]
                        )
                        if leaked:
                            problems.append(f"feedback shows hidden tests: {leaked[:2]}")
                    elif feedback_check:
                        problems.append("no feedback page was generated")
                checks.append(Check(ch.id, case, expected, result, problems))
    return checks


def format_table(rows, headers):
    """A plain-text table with aligned columns."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = io.StringIO()
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    return out.getvalue()
