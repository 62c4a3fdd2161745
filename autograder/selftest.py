"""`kp selftest`: prove the grader on each chapter with pseudo-students whose grades are known.

For each chapter, in one private course, it grades the solution (full marks
in every test cell), the unchanged release (exactly 0: every test really
tests the student's code), the solution with every locked cell deleted (full
marks: a deleted cell can neither cost nor win points) and the solution with
each wrong-answer fixture applied (0 in the cells the fixture names, the
stated range in its partial-credit cells, full marks elsewhere), and checks that no feedback page shows a hidden-test line.
Any difference is a `Check` with its problems; `kp selftest` exits 1 on one.

Used by `kp selftest`, `autograder.mutation --selftest` and the tests.
"""

from __future__ import annotations

import copy
import dataclasses

from autograder.errors import GradingError
from autograder.feedback import leaked_hidden_lines
from autograder.grader import Grader
from autograder.grades import GradeResult, format_points
from autograder.notebooks import is_locked_cell, is_test_cell, read_notebook, test_cells
from autograder.submissions import Submission
from autograder.wrong_answers import apply_fixture, load_fixtures


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
        """The expected total (a partial-credit range counts its low end)."""
        return sum(v[0] if isinstance(v, tuple) else v for v in self.expected.values())


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
        expected = {k: (0.0 if k in fx.fails else fx.partial.get(k, v)) for k, v in tests.items()}
        cases.append((f"fixture:{fx.name}", apply_fixture(solution, fx), expected, []))
    return cases


def check_results(chapter, cases, results, grader, feedback_check=True):
    """Compare graded `cases` (from `selftest_cases`) with what each must score; returns their `Check`s."""
    checks = []
    for (case, _nb, expected, _notes), result in zip(cases, results):
        problems = []
        if not result.ok:
            problems.append(f"not graded: {result.error}")
        else:
            for name, want in expected.items():
                got = result.cells.get(name)
                if isinstance(want, tuple):  # a range: partial credit (a weakened challenge model)
                    if got is None or not want[0] - 1e-9 <= got <= want[1] + 1e-9:
                        problems.append(f"{name}: got {format_points(got) or 'nothing'}, expected between "
                                        f"{format_points(want[0])} and {format_points(want[1])}")
                elif got is None or abs(got - want) > 1e-9:
                    problems.append(f"{name}: got {format_points(got) or 'nothing'}, expected {format_points(want)}")
            if result.status != "graded":
                problems.append(result.status)
            if result.feedback is not None:
                leaked = leaked_hidden_lines(
                    result.feedback.read_text(encoding="utf-8"), grader.source[chapter.id], grader.release[chapter.id]
                )
                if leaked:
                    problems.append(f"feedback shows hidden tests: {leaked[:2]}")
            elif feedback_check:
                problems.append("no feedback page was generated")
        checks.append(Check(chapter.id, case, expected, result, problems))
    return checks


def selftest(root, chapters, progress=None, timeout=None, feedback_check=True, workdir=None, whole_notebook=False,
             sandbox=None, limits=None, kernels=None, jobs=1):
    """Grade each chapter's pseudo-students and compare with what they must score.

    All of a chapter's pseudo-students are one grading batch; `jobs` of them
    are graded at once (as `kp grade --jobs`), which changes no grade.

    Returns a list of `Check`s (one per pseudo-student).
    """
    checks = []
    with Grader(root, chapters, profile="smoke", timeout=timeout, workdir=workdir, whole_notebook=whole_notebook,
                sandbox=sandbox, limits=limits, kernels=kernels, jobs=jobs) as grader:
        for ch in chapters:
            try:
                cases = selftest_cases(ch, grader)
            except GradingError as exc:
                checks.append(Check(ch.id, "fixtures", {}, None, [str(exc)]))
                continue
            subs = [Submission(case, ch, nb, notes=list(notes), label=case) for case, nb, _, notes in cases]
            results = grader.grade(subs, feedback=feedback_check, progress=progress)
            checks.extend(check_results(ch, cases, results, grader, feedback_check))
    return checks
