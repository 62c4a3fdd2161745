"""`kp release`: regenerate `course/` (the student notebooks) from `solutions/` with nbgrader.

nbgrader's `generate_assignment` runs in a private temporary course (its
gradebook too, so nothing lands in the repository), then every notebook is
normalised (`autograder.notebooks.normalise_notebook`: no outputs, no
execution counts, stable cell ids, only the metadata that matters) so that
`course/` depends on `solutions/` alone and is the same bytes on every
machine. A release that would hold a solution, a hidden test or an output is
refused (`find_leaks`). The data cards of the families a chapter loads are
copied beside its notebook (`course/CH/datasets/FAMILY/`), so that a student
with only `course/` can read them. `--check` compares instead of writing, for CI.

The grader uses `generate_assignments` too: it grades against a release made
the same way, in its own private course.

Used by `kp release` and `autograder.grader`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.chapters import CHAPTER_PATTERN
from autograder.errors import GradingError
from autograder.nbgrader_app import load_config, logger, run_app
from autograder.notebooks import data_families, normalise_notebook, read_notebook, write_notebook

#: Strings that must never appear in a released file.
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


@dataclasses.dataclass
class ReleaseReport:
    """What `release` did: files written (relative to `course/`), stale files, leaks found in `course/`."""

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


def generate_assignments(root, chapters, course_root, cfg):
    """Run generate_assignment for each chapter in a private course; return {chapter: release dir}."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import temp_attrs

    _copy_sources(chapters, Path(course_root) / "source")
    coursedir = CourseDirectory(config=cfg)
    out = {}
    for ch in chapters:
        with temp_attrs(coursedir, assignment_id=ch.id, student_id="."):
            app = GenerateAssignment(coursedir=coursedir, config=cfg, log=logger())
            app.force = True
            app.create_assignment = True
            ok, text = run_app(app)
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
        released = generate_assignments(root, chapters, cfg_root, cfg)
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
            written += copy_data_cards(root, ch, Path(dest))
        return written
    finally:
        shutil.rmtree(cfg_root, ignore_errors=True)


def copy_data_cards(root, chapter, dest):
    """Copy the data cards of the families the chapter loads into `dest/CH/datasets/FAMILY/`.

    A student who has only `course/` can then open the card the notebook cites
    (`datasets/FAMILY/README.md`, relative to the notebook). Returns the files
    written, relative to `dest`.
    """
    written = []
    for family in data_families(read_notebook(chapter.solution_notebook)):
        card_dir = Path(root) / "datasets" / family
        for path in sorted(card_dir.glob("*.md")):
            rel = Path(chapter.id) / "datasets" / family / path.name
            target = Path(dest) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(CARD_NOTE.format(family=family) + path.read_text(encoding="utf-8"), encoding="utf-8")
            os.chmod(target, 0o644)
            written.append(rel)
    return written


#: Put on top of each copied data card: its paths of the course library are not files beside the notebook.
CARD_NOTE = (
    "> A copy of the course repository's `datasets/{family}/`, beside your notebook. Paths such as "
    "`keras_patterns/data/{family}.py` name the course library's source: in a notebook, `help()` on the "
    "module (e.g. `help(keras_patterns.data.{family})`) shows it. Commands and scripts below are for "
    "the course's maintainers, run from the repository's root.\n\n"
)


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


def _managed_files(course_dir, chapters_ids, solutions_dir):
    """Files in course/ that this release owns: everything in the folders of the chapters released, and in
    orphaned chapter folders (chNN_* with no solution left). Another chapter's release is not touched, so
    releasing one chapter leaves the others as they are."""
    files = set()
    course_dir = Path(course_dir)
    if not course_dir.is_dir():
        return files
    for sub in course_dir.iterdir():
        orphan = CHAPTER_PATTERN.match(sub.name) and not (Path(solutions_dir) / sub.name).is_dir()
        if sub.is_dir() and (orphan or sub.name in chapters_ids):
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
        old_files = _managed_files(course_dir, {ch.id for ch in chapters}, root / "solutions")
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




def _tail(text, lines=25):
    return "\n".join(text.strip().splitlines()[-lines:])

