"""Repository hygiene: one source, no committed outputs, nothing secret in the release."""

import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(ROOT.glob("solutions/ch*/ch*.ipynb"))
RELEASE = sorted(ROOT.glob("course/ch*/ch*.ipynb"))


def test_there_is_at_least_one_chapter_and_its_release():
    assert SOLUTIONS, "no solution notebooks found under solutions/"
    released = {p.parent.name for p in RELEASE}
    assert {p.parent.name for p in SOLUTIONS} == released, "course/ must hold exactly the released chapters"


@pytest.mark.parametrize("path", SOLUTIONS + RELEASE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_outputs_and_a_kernelspec(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", "papermill needs a kernelspec"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: cell {i} has committed outputs"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count"


@pytest.mark.parametrize("path", RELEASE, ids=lambda p: str(p.relative_to(ROOT)))
def test_release_holds_no_solution_or_hidden_test(path):
    text = path.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{path} contains {marker!r}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.parent.name)
def test_graded_cells_are_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    ids = []
    first_code = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    assert first_code.metadata.get("nbgrader", {}).get("locked"), "the set-up cell must be locked"
    assert "setup(" in first_code.source, "the set-up cell must call keras_patterns.session.setup()"
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if not meta:
            continue
        ids.append(meta["grade_id"])
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta.get("grade"):
            assert meta.get("points", 0) > 0 and meta.get("locked"), meta["grade_id"]
            assert cell.source.lstrip().startswith('"""'), f"{meta['grade_id']}: start with a docstring saying what is checked"
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            assert "assert" in visible, f"{meta['grade_id']}: needs at least one visible test"
    assert len(ids) == len(set(ids)), "duplicate grade ids"


def test_generated_files_are_not_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [t for t in tracked if t.startswith(("build/", ".venv/")) or t.endswith("gradebook.db")]


def test_data_cards_exist_for_every_loader():
    for module in (ROOT / "keras_patterns" / "data").glob("*.py"):
        if module.name.startswith("_") or module.name.endswith("_test.py"):
            continue
        card = ROOT / "datasets" / module.stem / "README.md"
        assert card.exists(), f"{module.name} has no data card at {card.relative_to(ROOT)}"
        assert "licen" in card.read_text().lower(), f"{card} must state the licence"
