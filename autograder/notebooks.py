"""Reading nbgrader notebooks: which cell is what, hidden-test regions, and the normal form of a release.

Every part of the grader asks the same questions of a cell (its grade id; is
it a test, solution or locked cell?) and of a notebook (its test cells and
their points; the modules its instructor cells import). They are answered here
once, from nbgrader's cell metadata, so that release, grading, the screen, the
fixtures and the self-test cannot disagree. Nothing here runs a kernel or
nbgrader itself: only `nbformat`.

Used by every module of `autograder` that reads a notebook.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import re
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

#: Cell metadata kept in released notebooks (everything else is dropped).
KEPT_CELL_METADATA = ("nbgrader", "deletable", "editable", "tags", "jupyter", "slideshow")

#: Notebook metadata kept in released notebooks.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info", "jupytext")


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


def strip_hidden(source):
    """A cell's source without its hidden-test regions (nor their markers)."""
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


def preload_modules(notebooks):
    """The modules the instructor's cells of `notebooks` import (set-up and test cells, not students' cells).

    A warm-kernel server imports these once, so that no kernel pays for them
    again. `from a.b import c` names `a.b` and `a.b.c` (c may be a submodule);
    cells that do not parse (magics) are skipped.
    """
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


#: Grade ids of a chapter's open challenge step start with this (`challenge_answer`, `challenge_test`, ...).
CHALLENGE_PREFIX = "challenge"


def is_challenge_cell(cell):
    """A cell of the open challenge step (its grade id starts with `CHALLENGE_PREFIX`)."""
    return (grade_id(cell) or "").startswith(CHALLENGE_PREFIX)


def challenge_start(nb):
    """Index of the first challenge cell, or None when the notebook has no challenge step."""
    for index, cell in enumerate(nb.cells):
        if is_challenge_cell(cell):
            return index
    return None


def without_challenge(nb):
    """A copy of `nb` cut before its challenge step (which is the last graded step of a chapter).

    The challenge's grade depends only on the student's own design (its task
    uses no earlier step's code), so tools that vary the earlier steps
    (mutation testing) grade this shorter notebook and save the challenge's
    training time on every variant.
    """
    nb = copy.deepcopy(nb)
    start = challenge_start(nb)
    if start is not None:
        later = [grade_id(c) for c in nb.cells[start:] if nbgrader_meta(c).get("grade") and not is_challenge_cell(c)]
        if later:
            raise ValueError(f"the challenge step must be the last graded step; graded after it: {later}")
        nb.cells = nb.cells[:start]
    return nb


#: Modules under keras_patterns.data that are not data families (they need no data card).
NOT_FAMILIES = {"tfds"}


def data_families(nb):
    """The `keras_patterns.data` families a notebook imports, in order of first import.

    A family is a module `keras_patterns/data/FAMILY.py` with a data card
    `datasets/FAMILY/README.md` (`kp release` copies the card beside the
    student's notebook; the chapter contract checks that it exists).
    """
    found = []
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        text = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        if tree is None:
            names = re.findall(r"keras_patterns\.data\.(\w+)", text)
            for m in re.finditer(r"from\s+keras_patterns\.data\s+import\s+\(?([\w\s,]+)", text):
                names += [part.split()[0] for part in m.group(1).split(",") if part.strip()]
        else:
            names = []
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    if node.module == "keras_patterns.data":
                        names += [a.name for a in node.names]
                    elif node.module.startswith("keras_patterns.data."):
                        names.append(node.module.split(".")[2])
                elif isinstance(node, ast.Import):
                    names += [a.name.split(".")[2] for a in node.names if a.name.startswith("keras_patterns.data.")]
        for name in names:
            if name not in found and name not in NOT_FAMILIES and not name.startswith("_"):
                found.append(name)
    return found
