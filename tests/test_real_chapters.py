"""The grader proved on every real chapter, each chapter graded as one class.

Per chapter, one grader grades one batch of pseudo-students with two workers
and warm kernels (what `kp grade --jobs 2` does for a class):

- the self-test's (`autograder.selftest.selftest_cases`): the solution gets
  full marks, the unchanged release 0, the solution without its locked cells
  full marks, and each wrong-answer fixture loses exactly the cells it names;
- hostile students: a kernel that exits in the last answer keeps the points
  before it; numpy patched in the first answer zeroes the notebook; an answer
  that calls the library's implementation of the first step loses that
  step's points (the answer-cell screen).

That the screened shortcut is real (it would earn every point without the
screen) is checked once for the whole course, in one batch, since it needs a
grader with the screen off.

One batch per chapter keeps a chapter's share of CI small (the chapter
contract asks for at most 2.5 minutes of `make test` per chapter).
"""

import pytest

from autograder import notebooks
from autograder.chapters import list_chapters
from autograder.grader import Grader
from autograder.screen import tests_of_answers as answer_tests
from autograder.sandbox import bwrap
from autograder.selftest import check_results, selftest_cases
from autograder.submissions import Submission

from conftest import REPO, edited, grade_id

REAL = list_chapters(REPO)
IDS = [ch.id for ch in REAL]

#: Per chapter: (its first answer cell, an answer that calls the library's implementation of that step).
SHORTCUTS = {
    "ch01_protein_ss": ("q3_answer", "def q3(y_true, y_prob, mask):\n    real = np.asarray(mask).astype(bool)\n"
                        "    return oracles.hmm.argmax_accuracy([np.asarray(y_prob)[real]], [np.asarray(y_true)[real]])\n"),
    "ch02_hybrid_genes": ("receptive_field_answer", "from keras_patterns.models import gene_finders as _kp_gf\n"
                          "def receptive_field(kernel_size, dilations):\n    return _kp_gf.receptive_field(kernel_size, dilations)\n"),
    "ch03_motif_trunk": ("posterior_answer", "from keras_patterns.oracles import motifs as _om\n"
                         "def site_posterior(ids, motif, prior=0.5):\n    return _om.presence_posterior(ids, motif, prior=prior)\n"),
    "ch04_smiles_multitask": ("tokenize_answer", "from keras_patterns.data import reactions as _kp_reactions\n"
                              "def tokenize(smiles):\n    return _kp_reactions.tokenize(smiles)\n"),
    "ch05_survival_heads": ("survival_answer", "from keras_patterns.oracles import hazards as _kp_hazards\n"
                            "def survival_product(hazards):\n    return _kp_hazards.discrete_survival(np.asarray(hazards))\n"
                            "def survival_exponential(hazards):\n    return _kp_hazards.exponential_survival(np.asarray(hazards))\n"),
    "ch11_forecasting": ("optimal_answer", "def optimal_mse(horizons, phi=PHI, sigma=SIGMA):\n"
                         "    return ar1.optimal_mse(horizons, phi, sigma)\n"),
    "ch14_random_walks": ("transition_answer", "from keras_patterns.oracles import random_walks as _rw\n"
                          "def transition_matrix(graph):\n    return _rw.transition_matrix(graph)\n"),
}

#: The challenge step's test cell (the contract's part `challenge`).
CHALLENGE_TEST = "challenge_test"

#: Seconds per cell: the batch runs two kernels on CI's two cores.
CELL_TIMEOUT = 60

needs_bwrap = pytest.mark.skipif(
    bwrap.bwrap_problem() is not None, reason=f"bubblewrap unusable here: {bwrap.bwrap_problem()}"
)


def _hostile_students(chapter):
    """name -> notebook, for the hostile students of `chapter` (built from its solution)."""
    solution = notebooks.read_notebook(chapter.solution_notebook)
    answers = answer_tests(solution)
    first, shortcut = SHORTCUTS[chapter.id]
    last = list(answers)[-1]
    source = {grade_id(c): c.source for c in solution.cells}
    return {
        "exits_in_last_answer": edited(solution, last, source[last] + "\nimport os\nos._exit(1)\n"),
        "patches_numpy": edited(solution, first, source[first] + "\nnp.allclose = lambda *a, **k: True\n"),
        "shortcut": edited(solution, first, shortcut),
    }


@pytest.fixture(scope="module", params=REAL, ids=IDS)
def graded_class(request):
    """One chapter's pseudo-students and hostile students, graded in one batch: (chapter, checks, hostile results)."""
    chapter = request.param
    with Grader(REPO, [chapter], timeout=CELL_TIMEOUT, jobs=2) as grader:
        cases = selftest_cases(chapter, grader)
        hostile = _hostile_students(chapter)
        subs = [Submission(case, chapter, nb, notes=list(notes), label=case) for case, nb, _, notes in cases]
        subs += [Submission(name, chapter, nb, label=name) for name, nb in hostile.items()]
        # The weakened challenge design twice more, as two other students: three gradings of one submission.
        weakened = [(case, nb) for case, nb, expected, _ in cases if isinstance(expected.get(CHALLENGE_TEST), tuple)]
        again = [f"regraded_{i}" for i in (1, 2)] if weakened else []
        subs += [Submission(name, chapter, weakened[0][1], label=name) for name in again]
        results = grader.grade(subs, feedback=True)
        checks = check_results(chapter, cases, results[: len(cases)], grader)
    rest = dict(zip([*hostile, *again], results[len(cases):]))
    if weakened:
        rest["weakened"] = results[[c[0] for c in cases].index(weakened[0][0])]
    return chapter, checks, rest


def test_every_real_chapter_has_a_shortcut_attack():
    assert sorted(SHORTCUTS) == sorted(IDS)


@needs_bwrap
@pytest.mark.slow
def test_selftest_of_the_chapter(graded_class):
    """Solution: full marks; unchanged release: zero; each wrong-answer fixture: exactly its cells lost."""
    chapter, checks, _ = graded_class
    assert chapter.fixtures_file.is_file(), f"{chapter.id} has no wrong-answer fixtures ({chapter.fixtures_file})"
    failed = [f"{c.case}: {'; '.join(c.problems)}" for c in checks if not c.ok]
    assert not failed, "\n".join(failed)
    assert any(c.case.startswith("fixture:") for c in checks)


@needs_bwrap
@pytest.mark.slow
def test_hostile_students_of_the_chapter(graded_class):
    """A kernel that exits in the last answer keeps the points before it; numpy patched in the first answer
    zeroes the notebook; calling the library's implementation of the first step costs that step's points."""
    chapter, checks, got = graded_class
    solution = notebooks.read_notebook(chapter.solution_notebook)
    points = notebooks.test_cells(solution)
    full = sum(points.values())
    answers = answer_tests(solution)
    first, last = SHORTCUTS[chapter.id][0], list(answers)[-1]
    summary = {k: (r.score, r.status, r.error[:80]) for k, r in got.items()}
    honest = next(c.result for c in checks if c.case == "solution")
    assert (honest.score, honest.status) == (full, "graded"), "the honest solution in the same batch"
    exits = got["exits_in_last_answer"]
    assert exits.status == "error" and exits.score == full - sum(points[t] for t in answers[last]), summary
    assert (got["patches_numpy"].score, got["patches_numpy"].status) == (0.0, "tampered"), summary
    cut = got["shortcut"]
    assert cut.status == "screened" and cut.score == full - sum(points[t] for t in answers[first]), summary
    assert all(cut.cells[t] == 0 for t in answers[first])


@needs_bwrap
@pytest.mark.slow
def test_the_challenge_grade_is_the_same_on_three_gradings(graded_class):
    """The weakened challenge design, graded three times by different kernels: the same partial points."""
    chapter, _, got = graded_class
    assert "weakened" in got, f"{chapter.id} has no weakened challenge design (a fixture with 'partial')"
    points = [got[k].cells.get(CHALLENGE_TEST) for k in ("weakened", "regraded_1", "regraded_2")]
    full = got["weakened"].max_cells[CHALLENGE_TEST]
    assert points[0] is not None and 0 < points[0] < full, points
    assert points[0] == points[1] == points[2], f"{chapter.id}: the same design graded {points}"


@needs_bwrap
@pytest.mark.slow
def test_screened_shortcuts_would_earn_every_point_without_the_screen():
    """The screen's threat is real on every chapter: each shortcut passes every test when nothing screens it."""
    subs = [Submission(f"shortcut_{ch.id}", ch, _hostile_students(ch)["shortcut"]) for ch in REAL]
    with Grader(REPO, REAL, timeout=CELL_TIMEOUT, jobs=2, screen=False) as grader:
        results = grader.grade(subs, feedback=False)
    for ch, result in zip(REAL, results):
        full = sum(notebooks.test_cells(notebooks.read_notebook(ch.solution_notebook)).values())
        assert (result.score, result.status) == (full, "graded"), f"{ch.id}: {result.score} {result.status} {result.error}"
