"""The grader on the fixture course: release, autograde a mixed batch, feedback, self-test."""

import csv
import json
import shutil

import nbformat
import pytest

from autograder import environment, errors, feedback, nbgrader_app, notebooks, release, submissions, wrong_answers
from autograder.chapters import list_chapters
from autograder.cli import main
from autograder.selftest import selftest

from conftest import REPO, edited, grade_id, without, write_submission

TESTS = ["test_mean_pool", "test_softmax_sums", "test_softmax_stable"]


def _solution(course, chapter="ch01_tiny"):
    return nbformat.read(str(course / "solutions" / chapter / f"{chapter}.ipynb"), as_version=4)


def _ch01(course):
    return list_chapters(course)[0]


# ------------------------------------------------------------------------------------------
# Fixtures (wrong answers) format


def test_load_fixtures_reads_the_documented_format(course):
    fixtures = wrong_answers.load_fixtures(_ch01(course))
    assert [f.name for f in fixtures] == ["mean_over_wrong_axis", "softmax_unstable", "mean_pool_alternative"]
    assert fixtures[0].cells == {"mean_pool": "def mean_pool(x):\n    return np.asarray(x, dtype=float).mean(axis=1)"}
    assert fixtures[0].fails == ("test_mean_pool",)
    assert fixtures[2].fails == ()
    nb = wrong_answers.apply_fixture(_solution(course), fixtures[1])
    assert [c.source for c in nb.cells if grade_id(c) == "softmax"][0].startswith("def softmax(z):\n    e = np.exp(")
    assert wrong_answers.load_fixtures(list_chapters(course)[1]) == []  # ch02 has none


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"name": "x", "cell": "test_mean_pool", "source": "", "fails": []}, "not a solution code cell"),
        ({"name": "x", "cell": "mean_pool", "source": "", "fails": ["mean_pool"]}, "not test cells"),
        ({"name": "x", "cell": "mean_pool", "fails": []}, "needs 'cell' and 'source'"),
        ({"name": "two words", "cell": "mean_pool", "source": "", "fails": []}, "'name' must be a word"),
        ({"name": "x", "cell": "mean_pool", "source": "", "fails": [], "points": 1}, "unknown keys"),
    ],
)
def test_load_fixtures_rejects_bad_entries(course, entry, message):
    (course / "autograder" / "fixtures" / "ch01_tiny.json").write_text(json.dumps([entry]))
    with pytest.raises(errors.GradingError, match=message):
        wrong_answers.load_fixtures(_ch01(course))


def test_load_fixtures_rejects_duplicate_names(course):
    entry = {"name": "x", "cell": "mean_pool", "source": "", "fails": []}
    (course / "autograder" / "fixtures" / "ch01_tiny.json").write_text(json.dumps([entry, entry]))
    with pytest.raises(errors.GradingError, match="duplicate name"):
        wrong_answers.load_fixtures(_ch01(course))


# ------------------------------------------------------------------------------------------
# Pieces


def test_restore_missing_cells_puts_them_back_in_place(course):
    solution = _solution(course)
    order = [grade_id(c) or c.get("id") for c in solution.cells]
    damaged = without(solution, "setup", "test_mean_pool", "test_softmax_sums", "test_softmax_stable")
    restored, names = submissions.restore_missing_cells(damaged, solution)
    assert names == ["setup", "test_mean_pool", "test_softmax_sums", "test_softmax_stable"]
    assert [grade_id(c) or c.get("id") for c in restored.cells] == order
    unchanged, none = submissions.restore_missing_cells(solution, solution)
    assert none == [] and unchanged == solution


def test_redact_hidden_tests_removes_regions_and_tracebacks():
    cell = nbformat.v4.new_code_cell(
        "visible = 1\n### BEGIN HIDDEN TESTS\nassert secret_check(), 'hint'\n### END HIDDEN TESTS"
    )
    cell.outputs = [
        nbformat.v4.new_output("error", ename="AssertionError", evalue="hint", traceback=["assert secret_check()"])
    ]
    plain = nbformat.v4.new_code_cell("x = 1")
    plain.outputs = [nbformat.v4.new_output("error", ename="E", evalue="v", traceback=["kept"])]
    pre = feedback.RedactHiddenTests()
    cell, _ = pre.preprocess_cell(cell, {}, 0)
    plain, _ = pre.preprocess_cell(plain, {}, 1)
    assert cell.source == "visible = 1"
    assert "secret_check" not in json.dumps(cell.outputs) and "AssertionError: hint" in cell.outputs[0].traceback[0]
    assert plain.outputs[0].traceback == ["kept"]


def test_kernel_environment_is_quiet_and_smoke(tmp_path):
    env = environment.kernel_environment("smoke", tmp_path)
    assert env["KP_PROFILE"] == "smoke" and env["KP_RESULTS_DIR"] == str(tmp_path)
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3" and env["PYTHONWARNINGS"] == "ignore"


def test_config_sets_timeouts_and_restores_cells(course):
    cfg = nbgrader_app.load_config(course, course / "private")
    assert cfg.Execute.timeout >= 120 and cfg.Execute.startup_timeout >= 60
    assert cfg.OverwriteCells.add_missing_cells is True
    assert feedback.RedactHiddenTests in cfg.GenerateFeedback.preprocessors
    assert cfg.CourseDirectory.root == str(course / "private")


def test_find_leaks(tmp_path):
    folder = tmp_path / "course"
    (folder / "ch01_x").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, str(folder / "ch01_x" / "ch01_x.ipynb"))
    assert release.find_leaks(folder) == []
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="2")]
    nbformat.write(nb, str(folder / "ch01_x" / "ch01_x.ipynb"))
    (folder / "notes.md").write_text("### BEGIN HIDDEN TESTS\n")
    leaks = release.find_leaks(folder)
    assert len(leaks) == 2 and "outputs" in leaks[0] and "BEGIN HIDDEN TESTS" in leaks[1]


# ------------------------------------------------------------------------------------------
# kp release


@pytest.mark.slow
def test_release_generates_course_and_check_detects_staleness(course, capsys):
    assert main(["--root", str(course), "release"]) == 0
    released = course / "course" / "ch01_tiny" / "ch01_tiny.ipynb"
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text and "hidden_sentinel" not in text
    assert "raise NotImplementedError()" in text and '"outputs": []' in text
    assert main(["--root", str(course), "release", "--check"]) == 0  # deterministic: same bytes again

    # A changed test cell makes course/ stale; --check lists it and changes nothing.
    path = course / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb = edited(nb, "test_softmax_sums", '"""softmax sums to one."""\nassert softmax([0.0]).sum() == 1.0')
    nbformat.write(nb, str(path))
    orphan = course / "course" / "ch05_gone" / "ch05_gone.ipynb"
    orphan.parent.mkdir()
    orphan.write_text("{}")
    capsys.readouterr()
    assert main(["--root", str(course), "release", "--check"]) == 1
    err = capsys.readouterr().err
    assert "course/ch01_tiny/ch01_tiny.ipynb (differs" in err
    assert "course/ch05_gone/ch05_gone.ipynb (not generated" in err
    assert "softmax sums to one over the last axis" in released.read_text()

    assert main(["--root", str(course), "release"]) == 0
    assert not orphan.parent.exists()
    assert main(["--root", str(course), "release", "--check"]) == 0

    # Releasing one chapter leaves the others' released files alone.
    others = sorted(p.relative_to(course) for p in (course / "course").rglob("*")
                    if p.is_file() and "ch01_tiny" not in p.parts)
    assert others, "the fixture course has a second chapter"
    (ch01,) = [c for c in list_chapters(course) if c.id == "ch01_tiny"]
    release.release(course, [ch01])
    assert all((course / p).is_file() for p in others)
    assert main(["--root", str(course), "release", "--check"]) == 0

    # A file in course/ that holds a hidden test (or a notebook with outputs) is refused.
    (course / "course" / "README.md").write_text("### BEGIN HIDDEN TESTS\n")
    capsys.readouterr()
    assert main(["--root", str(course), "release", "--check"]) == 1
    assert "README.md: contains 'BEGIN HIDDEN TESTS'" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# kp grade


@pytest.mark.slow
def test_grade_batch_each_submission_graded_on_its_own(course, tmp_path, capsys):
    assert main(["--root", str(course), "release"]) == 0
    solution = _solution(course)
    blank = nbformat.read(str(course / "course" / "ch01_tiny" / "ch01_tiny.ipynb"), as_version=4)
    fixtures = {f.name: f for f in wrong_answers.load_fixtures(_ch01(course))}
    subs = tmp_path / "submissions"
    write_submission(subs, "alice_correct", "ch01_tiny", solution)
    write_submission(subs, "alice_correct", "ch02", _solution(course, "ch02_pair"))
    write_submission(subs, "bob_blank", "ch01", blank, name="ch01_tiny_copy.ipynb")
    write_submission(subs, "carol_crash", "ch01_tiny", edited(solution, "softmax", "import os\nos._exit(1)"))
    write_submission(subs, "dave_deleted", "ch01_tiny", without(solution, "test_mean_pool", "test_softmax_sums"))
    write_submission(subs, "erin_loop", "ch01_tiny", edited(solution, "mean_pool", "while True:\n    pass"))
    write_submission(subs, "frank_wrong", "ch01_tiny", wrong_answers.apply_fixture(solution, fixtures["mean_over_wrong_axis"]))
    write_submission(subs, "gina_unstable", "ch01_tiny", wrong_answers.apply_fixture(solution, fixtures["softmax_unstable"]))
    write_submission(subs, "zed_lost", "ch09", solution)
    out = tmp_path / "out" / "grades.csv"
    assert main(["--root", str(course), "grade", str(subs), "--out", str(out), "--timeout", "5"]) == 0

    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        all_rows = list(reader)
        columns = reader.fieldnames
    assert columns == ["student", "chapter", "score", "max_score", *TESTS, "test_double", "status", "error", "notes"]
    rows = {row["student"]: row for row in all_rows if row["chapter"] != "ch02_pair"}
    (pair,) = [row for row in all_rows if row["chapter"] == "ch02_pair"]
    assert (pair["student"], pair["score"], pair["max_score"], pair["test_double"]) == ("alice_correct", "1", "1", "1")
    assert pair["test_mean_pool"] == ""

    def grades(student):
        row = rows[student]
        return row["score"], row["max_score"], [row[t] for t in TESTS], row["status"]

    assert grades("alice_correct") == ("5", "5", ["2", "1", "2"], "graded")
    assert grades("bob_blank") == ("0", "5", ["0", "0", "0"], "graded")
    # os._exit in the second solution cell: the points of the test before it count, nothing after.
    assert grades("carol_crash") == ("2", "5", ["2", "0", "0"], "error")
    assert "kernel died" in rows["carol_crash"]["error"]
    assert grades("dave_deleted") == ("5", "5", ["2", "1", "2"], "graded")
    assert "restored deleted cells: test_mean_pool, test_softmax_sums" in rows["dave_deleted"]["notes"]
    assert grades("erin_loop") == ("3", "5", ["0", "1", "2"], "graded")
    assert "timed out after 5 s" in rows["erin_loop"]["notes"]
    assert grades("frank_wrong") == ("3", "5", ["0", "1", "2"], "graded")
    assert grades("gina_unstable") == ("3", "5", ["2", "1", "0"], "graded")
    assert rows["zed_lost"]["status"] == "error" and "unknown chapter 'ch09'" in rows["zed_lost"]["error"]
    assert "graded ch01_tiny_copy.ipynb" in rows["bob_blank"]["notes"]

    feedback = tmp_path / "out" / "feedback"
    for student, row in rows.items():
        page = feedback / student / row["chapter"] / f"{row['chapter']}.html"
        assert page.is_file(), page
        text = page.read_text()
        assert "hidden_sentinel" not in text and "HIDDEN TESTS" not in text, student
    assert "average over axis 0, not axis 1" in (feedback / "frank_wrong" / "ch01_tiny" / "ch01_tiny.html").read_text()
    assert (tmp_path / "out" / "logs" / "carol_crash_ch01_tiny.log").is_file()
    assert (feedback / "alice_correct" / "ch02_pair" / "ch02_pair.html").is_file()
    assert "9 submissions, 2 could not be graded" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------
# kp selftest


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_selftest_passes_on_the_fixture_course(course, capsys, jobs):
    assert main(["--root", str(course), "selftest", "--jobs", jobs]) == 0
    out = capsys.readouterr().out
    assert "9 of 9 checks passed" in out
    for case in ("solution", "release", "deleted-locked-cells", "fixture:softmax_unstable"):
        assert case in out


@pytest.mark.slow
def test_selftest_catches_a_fixture_that_does_not_lose_what_it_claims(course):
    fixtures = course / "autograder" / "fixtures" / "ch01_tiny.json"
    fixtures.write_text(
        json.dumps(
            [
                {
                    "name": "claims_too_much",
                    "cell": "softmax",
                    "source": "def softmax(z):\n    e = np.exp(np.asarray(z, dtype=float))\n    return e / e.sum(-1, keepdims=True)",
                    "fails": ["test_softmax_sums", "test_softmax_stable"],
                }
            ]
        )
    )
    shutil.rmtree(course / "course", ignore_errors=True)  # no release yet: a fresh one is used
    checks = selftest(course, [_ch01(course)], feedback_check=False)
    verdicts = {c.case: c.ok for c in checks}
    assert verdicts == {
        "solution": True,
        "release": True,
        "deleted-locked-cells": True,
        "fixture:claims_too_much": False,
    }
    bad = [c for c in checks if not c.ok][0]
    assert bad.problems == ["test_softmax_sums: got 1, expected 0"]


def test_normalised_release_ids_depend_on_content_only(course):
    solution = _solution(course)
    shuffled = nbformat.read(str(course / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"), as_version=4)
    for i, cell in enumerate(shuffled.cells):
        cell.id = f"random-{i}"
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="noise")]
            cell.execution_count = 7
            cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    a, b = notebooks.normalise_notebook(solution), notebooks.normalise_notebook(shuffled)
    assert nbformat.writes(a) == nbformat.writes(b)
    assert [c.id for c in a.cells][:2] == ["intro", "setup"]
    assert len({c.id for c in a.cells}) == len(a.cells)


def test_until_last_graded_cell_keeps_what_can_change_a_grade(course):
    solution = _solution(course)
    cut = notebooks.until_last_graded_cell(solution)
    assert grade_id(cut.cells[-1]) == "test_softmax_stable"
    assert len(cut.cells) == len(solution.cells) - 2  # the results heading and cell


# ------------------------------------------------------------------------------------------
# The real course: course/ is current (the grader is proved on every chapter in test_real_chapters.py)


@pytest.mark.slow
def test_real_course_release_is_current(capsys):
    status = main(["--root", str(REPO), "release", "--check"])
    assert status == 0, capsys.readouterr().err
