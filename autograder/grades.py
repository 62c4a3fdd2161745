"""A submission's grade and the grades CSV.

`GradeResult` is what every engine returns for one submission (the local
`Grader`, its worker processes and the Dask engine), so that `kp grade`
writes the same CSV bytes whichever engine graded the class. The CSV's
columns and number format are fixed here, once: `student, chapter, score,
max_score`, one column per test cell in first-seen order, then `status,
error, notes`; points as integers when whole, else two decimals.

Used by `autograder.grader`, `autograder.dask_engine`, `autograder.selftest`,
`autograder.feedback` and `kp grade`.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path


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


def format_points(value):
    """Points as the CSV and the self-test show them: "" for none, "2" for 2.0, "0.67" otherwise."""
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
                [r.student, r.chapter, format_points(r.score), format_points(r.max_score)]
                + [format_points(r.cells.get(name)) if name in r.max_cells else "" for name in columns]
                + [r.status, r.error, "; ".join(r.notes)]
            )
    return path
