"""What a submission is, how a class's folder is read, and how a notebook is made the release's again.

Students return notebooks that nbgrader alone would grade unfairly: renamed,
in a folder named `ch01` instead of `ch01_protein_ss`, with the set-up cell
deleted, a test cell turned into a solution cell or worth 100 points. Before
nbgrader sees a submission, outside any kernel, this module reads it
(`collect_submissions`: every problem becomes a `Submission` with an `error`,
never an exception) and repairs its structure against the release
(`sanitise_submission`, then `restore_missing_cells`); nbgrader then restores
the source of the locked and test cells.

Used by `autograder.grader`, `autograder.cli`, `autograder.selftest` and
`autograder.mutation`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.chapters import Chapter, ChapterError, resolve_chapter
from autograder.notebooks import grade_id, nbgrader_meta, read_notebook


@dataclasses.dataclass
class Submission:
    """One student's notebook for one chapter (`notebook` is None when it could not be read)."""

    student: str
    chapter: Chapter
    notebook: NotebookNode | None
    error: str = ""
    notes: list = dataclasses.field(default_factory=list)
    label: str = ""


def collect_submissions(folder, chapters):
    """Read `folder/<student>/<chapter>/<notebook>.ipynb` into `Submission`s.

    A chapter folder may be named `ch01_protein_ss` or `ch01`; its notebook
    should be `<chapter>.ipynb`, but a folder holding exactly one notebook is
    accepted under any name. Problems become submissions with an `error`.
    """
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


def safe_id(name, taken):
    """An nbgrader student id for `name` that is a safe folder name and not in `taken` (which it joins).

    Two students whose names differ only in unsafe characters get `x` and `x_2`,
    in the order they are asked for; the Dask engine asks in submission order on
    the client, so the ids do not depend on which worker grades what.
    """
    base = re.sub(r"[^A-Za-z0-9_.@+-]", "_", name).lstrip(".") or "student"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


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

