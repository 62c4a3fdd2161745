"""Shared fixtures: a private copy of the tiny fixture course in `tests/fixtures/course`.

The fixture course has two chapters whose notebooks import numpy only
(`ch01_tiny`: two solution cells, three test cells with visible and hidden
tests and three wrong-answer fixtures; `ch02_pair`: one of each), so the
grader's tests run in seconds. Each test gets its own copy, with the
repository's real `autograder/nbgrader_config.py`, so the real configuration
is what is tested.
"""

import copy
import shutil
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE_COURSE = Path(__file__).resolve().parent / "fixtures" / "course"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A fresh copy of the fixture course (with the real nbgrader config); returns its root."""
    root = tmp_path / "course_root"
    shutil.copytree(FIXTURE_COURSE, root)
    shutil.copy(REPO / "autograder" / "nbgrader_config.py", root / "autograder" / "nbgrader_config.py")
    (root / "pyproject.toml").write_text("# marks the fixture course root\n")
    monkeypatch.delenv("KP_ROOT", raising=False)
    monkeypatch.delenv("KP_PROFILE", raising=False)
    monkeypatch.delenv("KP_RESULTS_DIR", raising=False)
    return root


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def edited(nb, cell_id, source):
    """A copy of `nb` with the cell `cell_id` given `source`."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if grade_id(cell) == cell_id:
            cell.source = source
    return nb


def without(nb, *cell_ids):
    """A copy of `nb` without the cells named."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if grade_id(c) not in cell_ids]
    return nb


def write_submission(folder, student, chapter, nb, name=None):
    path = Path(folder) / student / chapter / (name or f"{chapter}.ipynb")
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
