"""`autograder/new_chapter.py`: a new chapter's skeleton already has the chapter contract's shape.

The skeleton is checked with the contract's own checks (`tests/test_chapters.py`), and its placeholder
steps are run: the answers pass their tests, and each wrong-answer fixture fails the tests it names.
"""

import json
import shutil

import numpy as np
import pytest

from test_chapters import CHECKS, REPO, is_answer_cell, is_test_cell, grade_id, read_notebook, solution_rel, source

#: The parts a skeleton has as it is; the others come from running the tools on the written chapter.
SHAPE_PARTS = {"solution", "graded-steps", "hidden-tests", "fixtures", "figure", "opening-cell", "screen-entry"}
#: Of the rest, `challenge` holds in the notebook and fixtures but needs the results record.


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "course_root"
    (root / "autograder").mkdir(parents=True)
    shutil.copy(REPO / "CHAPTER_CONTRACT.md", root / "CHAPTER_CONTRACT.md")
    shutil.copy(REPO / "autograder" / "screen.json", root / "autograder" / "screen.json")
    return root


def new_chapter(*args, **kwargs):
    from autograder.new_chapter import new_chapter

    return new_chapter(*args, **kwargs)


def test_skeleton_has_the_shape(root):
    ch = "ch03_multitask_motifs"
    before = json.loads((root / "autograder" / "screen.json").read_text(encoding="utf-8"))
    written = new_chapter(root, ch, title="Motifs, globally and locally")
    assert {p.relative_to(root).as_posix() for p in written} == {
        solution_rel(ch), f"autograder/fixtures/{ch}.json", "autograder/screen.json"}
    for part_id in sorted(SHAPE_PARTS):
        assert CHECKS[part_id](root, ch) == [], part_id
    for part_id in sorted(set(CHECKS) - SHAPE_PARTS):
        assert CHECKS[part_id](root, ch), f"{part_id} cannot hold before the tools have run"
    after = json.loads((root / "autograder" / "screen.json").read_text(encoding="utf-8"))
    assert {k: v for k, v in after.items() if k != ch} == before, "the other chapters' screen entries are kept"
    opening = source(read_notebook(root, solution_rel(ch))["cells"][0])
    for text in ("problem 3171405", "many-to-one (多对一)", "many-to-many (多对多)", "生物信息学"):
        assert text in opening


def test_skeleton_is_a_valid_notebook_with_locked_setup(root):
    nbformat = pytest.importorskip("nbformat")
    ch = "ch12_speaker_attention"
    new_chapter(root, ch)
    nb = nbformat.read(str(root / solution_rel(ch)), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    setup = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    assert setup.metadata.nbgrader.locked and "setup(" in setup.source
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            assert cell.source.lstrip().startswith('"""') and cell.metadata.nbgrader.locked


def _run_steps(nb, replace=None):
    """{test cell id: None or the error} after running the answer and test cells (the steps with NumPy,
    the challenge with Keras), and the challenge's points."""
    namespace, outcome = {"np": np}, {}
    for cell in nb["cells"]:
        if is_answer_cell(cell):
            exec((replace or {}).get(grade_id(cell), source(cell)), namespace)
        elif is_test_cell(cell):
            try:
                exec(source(cell), namespace)
                outcome[grade_id(cell)] = None
            except Exception as err:  # an assert, or the challenge refusing a design
                outcome[grade_id(cell)] = err
    result = namespace.get("result")
    return outcome, (None if result is None or outcome.get("challenge_test") else result.points)


def test_skeleton_steps_pass_and_fixtures_fail(root):
    ch = "ch05_hazard_survival"
    new_chapter(root, ch)
    nb = read_notebook(root, solution_rel(ch))
    outcome, points = _run_steps(nb)
    assert all(err is None for err in outcome.values()) and points == 4.0
    fixtures = json.loads((root / f"autograder/fixtures/{ch}.json").read_text(encoding="utf-8"))
    assert any("partial" in f for f in fixtures) and any(f["fails"] == ["challenge_test"] for f in fixtures)
    for f in fixtures:
        outcome, points = _run_steps(nb, {f["cell"]: "\n".join(f["source"])})
        assert {t for t, err in outcome.items() if err is not None} == set(f["fails"]), f["name"]
        if "partial" in f:
            low, high = f["partial"]["challenge_test"]
            assert low <= points <= high, (f["name"], points)


def test_refuses_to_overwrite_and_bad_ids(root):
    from autograder.new_chapter import NewChapterError

    new_chapter(root, "ch02_gene_scaffold")
    with pytest.raises(NewChapterError, match="already has"):
        new_chapter(root, "ch02_gene_scaffold")
    with pytest.raises(NewChapterError, match="chNN_slug"):
        new_chapter(root, "chapter2")
    with pytest.raises(NewChapterError, match="no row in the course map"):
        new_chapter(root, "ch15_extra")
    new_chapter(root, "ch15_extra", problem="1234567")
    assert "problem 1234567" in source(read_notebook(root, solution_rel("ch15_extra"))["cells"][0])


def test_main_writes_and_reports(root, capsys):
    from autograder.new_chapter import main

    assert main(["ch04_smiles_alignment", "--root", str(root)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert main(["ch04_smiles_alignment", "--root", str(root)]) == 1
    assert "already has" in capsys.readouterr().err
