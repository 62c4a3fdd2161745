"""Wrong-answer fixtures: plausible mistakes, each naming the test cells it must fail.

`autograder/fixtures/<chapter>.json` holds, per chapter, a list of answers a
student might give (a missing mask, a transposed matrix, a one-way RNN where a
bidirectional one is asked for) and the test cells each must lose. The
self-test grades the solution with each fixture applied and checks that
exactly those cells score 0, so a test that does not catch the mistake it was
written for, or catches more than it should, is found. The format is
documented in `autograder/README.md`; `load_fixtures` checks every entry and
names the file, entry and key of the first problem.

Used by `autograder.selftest`, `autograder/screen_test.py`, the tests and
`benchmarks/bench_grading.py`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re

from autograder.errors import GradingError
from autograder.notebooks import grade_id, is_solution_cell, read_notebook, test_cells


@dataclasses.dataclass(frozen=True)
class Fixture:
    """A wrong (or alternative) answer: the solution notebook with some solution cells replaced.

    `fails` names the test cells that must score 0; `partial` maps test
    cells to the `[low, high]` range their points must fall in (a weakened
    challenge model earns some points, not all); every other test cell must
    keep full marks (so `fails=[]` states that an alternative answer is
    accepted).
    """

    name: str
    cells: dict  # grade_id of a solution cell -> replacement source
    fails: tuple
    description: str = ""
    partial: dict = dataclasses.field(default_factory=dict)  # test grade_id -> (low, high)


def _source_text(value, where):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise GradingError(f"{where}: source must be a string or a list of lines")


def load_fixtures(chapter, solution=None):
    """Read and check `autograder/fixtures/<chapter>.json` (an empty list when there is none).

    Format: a JSON list of objects, each
    `{"name": str, "cell": grade_id, "source": str | [lines], "fails": [grade_id, ...]}`,
    or with `"cells": {grade_id: source, ...}` in place of `cell`/`source`
    when one wrong idea spans several cells; `"description"` is optional, and
    `"partial": {test grade_id: [low, high]}` says a test cell must earn
    between `low` and `high` points (inclusive; `low > 0` and `high` below the
    cell's points for "partial credit").
    """
    path = chapter.fixtures_file
    if not path.is_file():
        return []
    where = str(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GradingError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(raw, list):
        raise GradingError(f"{where}: must hold a JSON list of fixtures")
    nb = solution if solution is not None else read_notebook(chapter.solution_notebook)
    solution_ids = {grade_id(c) for c in nb.cells if is_solution_cell(c) and c.cell_type == "code"}
    tests = test_cells(nb)
    fixtures, names = [], set()
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise GradingError(f"{at}: must be an object")
        unknown = set(item) - {"name", "cell", "source", "cells", "fails", "description", "partial"}
        if unknown:
            raise GradingError(f"{at}: unknown keys {sorted(unknown)}")
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise GradingError(f"{at}: 'name' must be a word of letters, digits, _ . -")
        if name in names:
            raise GradingError(f"{at}: duplicate name {name!r}")
        names.add(name)
        if "cells" in item:
            if "cell" in item or "source" in item:
                raise GradingError(f"{at}: give either 'cells' or 'cell' + 'source'")
            if not isinstance(item["cells"], dict) or not item["cells"]:
                raise GradingError(f"{at}: 'cells' must map grade ids to sources")
            cells = {k: _source_text(v, at) for k, v in item["cells"].items()}
        else:
            if "cell" not in item or "source" not in item:
                raise GradingError(f"{at}: needs 'cell' and 'source' (or 'cells')")
            cells = {item["cell"]: _source_text(item["source"], at)}
        for cell in cells:
            if cell not in solution_ids:
                raise GradingError(
                    f"{at}: {cell!r} is not a solution code cell of {chapter.id}; "
                    f"solution cells: {', '.join(sorted(solution_ids))}"
                )
        fails = item.get("fails")
        if not isinstance(fails, list) or not all(isinstance(f, str) for f in fails):
            raise GradingError(f"{at}: 'fails' must be a list of test cell grade ids")
        bad = [f for f in fails if f not in tests]
        if bad:
            raise GradingError(f"{at}: {bad} are not test cells of {chapter.id}; test cells: {', '.join(tests)}")
        partial = item.get("partial", {})
        if not isinstance(partial, dict):
            raise GradingError(f"{at}: 'partial' must map test cell grade ids to [low, high]")
        ranges = {}
        for test, bounds in partial.items():
            if test not in tests or test in fails:
                raise GradingError(f"{at}: partial: {test!r} is not a test cell of {chapter.id} outside 'fails'")
            ok = (isinstance(bounds, list) and len(bounds) == 2 and all(isinstance(b, (int, float)) for b in bounds)
                  and 0 <= bounds[0] <= bounds[1] <= tests[test])
            if not ok:
                raise GradingError(f"{at}: partial[{test!r}] must be [low, high] with 0 <= low <= high <= "
                                   f"{tests[test]:g} (the cell's points)")
            ranges[test] = (float(bounds[0]), float(bounds[1]))
        fixtures.append(Fixture(name, cells, tuple(fails), str(item.get("description", "")), ranges))
    return fixtures


def apply_fixture(solution, fixture):
    """The solution notebook with the fixture's cells replaced."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in fixture.cells:
            cell.source = fixture.cells[gid]
    return nb
