"""Proof that each check of the chapter contract (`tests/test_chapters.py`) can fail.

For each part id, one real chapter that passes that part is copied (only the files the contract reads)
into a temporary course root; each breaker in `BREAKERS` then removes or breaks the part, and the part's
check must fail with a message that starts with the chapter and the part (`CH: part: ...`). Every part
has at least one breaker.

A part that drifts while the course is edited (a mutation report older than its notebook, a record
measured on a slow machine) is first repaired in the copy (`REPAIRS`), so the proof holds whatever the
state of the real chapters; the real files are never changed.
"""

import functools
import json
import re
import shutil
from pathlib import Path

import pytest

from test_chapters import (
    BEGIN_HIDDEN, BEGIN_SOLUTION, CHALLENGE_TEST, CHAPTERS, CHECKS, CJK, CONTRACT, END_HIDDEN, END_SOLUTION,
    MAX_CHALLENGE_SECONDS, MAX_WALL_SECONDS,
    PATTERN_LINE, REPO, Unreadable, data_families, is_answer_cell, is_test_cell, notebook_sha, read_notebook,
    grade_id, release_rel, solution_rel, source, split_hidden, steps,
)



def copy_chapter(src, dst, ch):
    """Copy the files of chapter `ch` that the contract reads (and the contract itself) from `src` to `dst`."""
    src, dst = Path(src), Path(dst)
    rels = [solution_rel(ch), release_rel(ch), f"autograder/fixtures/{ch}.json", f"autograder/mutation/{ch}.json",
            "autograder/screen.json", f"results/{ch}.json", CONTRACT]
    try:
        rels += [f"datasets/{f}/README.md" for f in data_families(read_notebook(src, solution_rel(ch)))]
    except Unreadable:
        pass
    for rel in rels:
        if (src / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dst / rel)
    return dst


def _edit_json(root, rel, change):
    path = Path(root) / rel
    data = json.loads(path.read_text(encoding="utf-8"))
    data = change(data) or data
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _edit_solution(change):
    return lambda root, ch: _edit_json(root, solution_rel(ch), change)


def _set_source(cell, text):
    cell["source"] = text.splitlines(keepends=True)


def _cells_of_first_step(nb):
    return next(iter(steps(nb).values()))


def _drop_answers_after_two(nb):
    for cell in [c for c in nb["cells"] if is_answer_cell(c)][2:]:
        cell["metadata"]["nbgrader"]["solution"] = False


def _strip_visible(nb):
    for cell in _cells_of_first_step(nb):
        _, hidden, _ = split_hidden(source(cell))
        _set_source(cell, '"""checks"""\n' + "".join(f"{BEGIN_HIDDEN}\n{h}\n{END_HIDDEN}\n" for h in hidden))


def _strip_hidden(nb):
    for cell in _cells_of_first_step(nb):
        _set_source(cell, split_hidden(source(cell))[0] + "\n")


def _unclose_hidden(nb):
    for cell in _cells_of_first_step(nb):
        _set_source(cell, "\n".join(ln for ln in source(cell).splitlines() if ln.strip() != END_HIDDEN) + "\n")


def _drop_tests_of_first_step(nb):
    doomed = [id(c) for c in _cells_of_first_step(nb)]
    nb["cells"] = [c for c in nb["cells"] if id(c) not in doomed]


def _unmark_solution(nb):
    cell = next(c for c in nb["cells"] if is_answer_cell(c))
    kept = [ln for ln in source(cell).splitlines() if ln.strip() not in (BEGIN_SOLUTION, END_SOLUTION)]
    _set_source(cell, "\n".join(kept))


def _add_output(nb):
    cell = next(c for c in nb["cells"] if c.get("cell_type") == "code")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["hello\n"]}]
    cell["execution_count"] = 1


def _touch_markdown(nb):
    cell = [c for c in nb["cells"] if c.get("cell_type") == "markdown"][-1]
    _set_source(cell, source(cell) + "\n\nOne more sentence.\n")


def _drop_plots(nb):
    plotting = re.compile(r"\b(plt|figures|ax|axes|fig)\.\w+\(")
    nb["cells"] = [c for c in nb["cells"] if c.get("cell_type") != "code" or is_answer_cell(c) or is_test_cell(c)
                   or not plotting.search(source(c))]


def _opening(change):
    def edit(nb):
        cell = next(c for c in nb["cells"] if c.get("cell_type") == "markdown")
        _set_source(cell, change(source(cell)))
    return _edit_solution(edit)


def _no_chinese_term(text):
    m = PATTERN_LINE.search(text)
    return text[: m.start(1)] + re.sub(f"[{CJK}]", "", m.group(1)) + text[m.end(1):]


def _drop_course_map_row(root, ch):
    path = Path(root) / CONTRACT
    number = ch[2:4]
    path.write_text("\n".join(ln for ln in path.read_text(encoding="utf-8").splitlines()
                              if not ln.startswith(f"| {number} |")) + "\n", encoding="utf-8")


def _remove(rel_of):
    return lambda root, ch: (Path(root) / rel_of(ch)).unlink()


def _results(change):
    return lambda root, ch: _edit_json(root, f"results/{ch}.json", change)


def _fixtures(change):
    return lambda root, ch: _edit_json(root, f"autograder/fixtures/{ch}.json", change)


def _mutation(change):
    return lambda root, ch: _edit_json(root, f"autograder/mutation/{ch}.json", change)


def _fixtures_without_last_step(root, ch):
    last = list(steps(read_notebook(root, solution_rel(ch))))[-1]
    _edit_json(root, f"autograder/fixtures/{ch}.json", lambda fx: [f for f in fx if f["cell"] != last])


def _fixtures_right_answers_only(root, ch):
    first = next(iter(steps(read_notebook(root, solution_rel(ch)))))

    def change(fx):
        for f in fx:
            if f["cell"] == first:
                f["fails"] = []
    _edit_json(root, f"autograder/fixtures/{ch}.json", change)


def _unexamined_survivor(report):
    m = next((m for m in report["mutants"] if not m["caught"]), report["mutants"][0])
    m["caught"] = False
    m.pop("verdict", None)


def _release_marker(marker):
    def edit(nb):
        cell = next(c for c in nb["cells"] if c.get("cell_type") == "code")
        _set_source(cell, source(cell) + f"\n{marker}\n")
    return lambda root, ch: _edit_json(root, release_rel(ch), edit)


def _release_stale(root, ch):
    def edit(nb):
        doomed = next(c for c in nb["cells"] if is_test_cell(c))
        nb["cells"] = [c for c in nb["cells"] if c is not doomed]
    _edit_json(root, release_rel(ch), edit)


def _remove_first_data_card(root, ch):
    family = data_families(read_notebook(root, solution_rel(ch)))[0]
    (Path(root) / f"datasets/{family}/README.md").unlink()


def _data_card_without_licence(root, ch):
    family = data_families(read_notebook(root, solution_rel(ch)))[0]
    path = Path(root) / f"datasets/{family}/README.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?i)licen[cs]e[sd]?", "terms", text), encoding="utf-8")


def _no_data_family(nb):
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            _set_source(cell, re.sub(r"keras_patterns\.data", "keras_patterns.elsewhere", source(cell)))


def _remove_screen_entry(root, ch):
    _edit_json(root, "autograder/screen.json", lambda s: s.pop(ch))


def _empty_screen_entry(root, ch):
    _edit_json(root, "autograder/screen.json", lambda s: s.update({ch: []}))


def _drop_keys(*keys):
    def change(r):
        for k in keys:
            r.pop(k, None)
    return change


def _drop_challenge(nb):
    nb["cells"] = [c for c in nb["cells"] if not (grade_id(c) or "").startswith("challenge")]


def _challenge_without_points(nb):
    for cell in nb["cells"]:
        if grade_id(cell) == CHALLENGE_TEST:
            _set_source(cell, source(cell).rstrip() + "\nassert True")


#: (part id, how it is broken, breaker(root, chapter)): every part has at least one.
BREAKERS = [
    ("solution", "missing", _remove(solution_rel)),
    ("solution", "outputs", _edit_solution(_add_output)),
    ("solution", "not-json", lambda root, ch: (Path(root) / solution_rel(ch)).write_text("{")),
    ("release", "missing", _remove(release_rel)),
    ("release", "solution-marker", _release_marker(BEGIN_SOLUTION)),
    ("release", "hidden-marker", _release_marker(BEGIN_HIDDEN)),
    ("release", "stale", _release_stale),
    ("graded-steps", "two-steps", _edit_solution(_drop_answers_after_two)),
    ("graded-steps", "no-visible-assert", _edit_solution(_strip_visible)),
    ("graded-steps", "no-test-cell", _edit_solution(_drop_tests_of_first_step)),
    ("graded-steps", "no-solution-block", _edit_solution(_unmark_solution)),
    ("hidden-tests", "stripped", _edit_solution(_strip_hidden)),
    ("hidden-tests", "unclosed", _edit_solution(_unclose_hidden)),
    ("fixtures", "missing", _remove(lambda ch: f"autograder/fixtures/{ch}.json")),
    ("fixtures", "step-uncovered", _fixtures_without_last_step),
    ("fixtures", "right-answers-only", _fixtures_right_answers_only),
    ("fixtures", "unknown-cell", _fixtures(lambda fx: fx.append(
        {"name": "stale", "description": "", "cell": "no_such_answer", "source": [], "fails": ["no_such_tests"]}))),
    ("mutation-report", "missing", _remove(lambda ch: f"autograder/mutation/{ch}.json")),
    ("mutation-report", "stale-hash", _edit_solution(_touch_markdown)),
    ("mutation-report", "low-score", _mutation(lambda r: r["summary"].update(score=0.85))),
    ("mutation-report", "unexamined-survivor", _mutation(_unexamined_survivor)),
    ("data-cards", "missing", _remove_first_data_card),
    ("data-cards", "no-licence", _data_card_without_licence),
    ("data-cards", "no-family-loaded", _edit_solution(_no_data_family)),
    ("results-record", "missing", _remove(lambda ch: f"results/{ch}.json")),
    ("results-record", "smoke-profile", _results(lambda r: r.update(profile="smoke"))),
    ("results-record", "two-seeds", _results(lambda r: r.update(seeds=[0, 1]))),
    ("results-record", "no-metrics", _results(lambda r: r.update(metrics={}))),
    ("results-record", "no-limits", _results(_drop_keys("limits", "baselines"))),
    ("results-record", "no-claims", _results(lambda r: r.update(claims=[]))),
    ("results-record", "bad-verdict", _results(lambda r: r["claims"][0].update(verdict="probably"))),
    ("results-record", "too-slow", _results(lambda r: r.update(wall_seconds=MAX_WALL_SECONDS + 0.01))),
    ("challenge", "missing", _edit_solution(_drop_challenge)),
    ("challenge", "no-points-expression", _edit_solution(_challenge_without_points)),
    ("challenge", "no-weakened-design", _fixtures(lambda fx: [f.pop("partial", None) for f in fx])),
    ("challenge", "not-recorded", _results(lambda r: r["metrics"].pop("challenge_gap") and None)),
    ("challenge", "too-slow", _results(lambda r: r["extra"]["challenge"].update(seconds=MAX_CHALLENGE_SECONDS + 1))),
    ("figure", "no-plot", _edit_solution(_drop_plots)),
    ("opening-cell", "wrong-problem", _opening(lambda t: re.sub(r"\bproblem\s+\d+", "problem 1234567", t))),
    ("opening-cell", "no-problem", _opening(lambda t: re.sub(r"\bproblem\s+\d+", "problem", t))),
    ("opening-cell", "no-chinese-term", _opening(_no_chinese_term)),
    ("opening-cell", "not-in-course-map", _drop_course_map_row),
    ("screen-entry", "missing-entry", _remove_screen_entry),
    ("screen-entry", "empty-entry", _empty_screen_entry),
    ("screen-entry", "missing-file", _remove(lambda ch: "autograder/screen.json")),
]


def test_every_part_has_a_breaker():
    assert {p for p, _, _ in BREAKERS} == set(CHECKS)


#: How a copy is made to pass a part that drifts while the course is edited (a solution notebook edited after
#: its mutation run, a slow machine's record), so that the proof below does not depend on today's state.
#: These change the temporary copy only.
REPAIRS = {
    "mutation-report": lambda root, ch: _edit_json(
        root, f"autograder/mutation/{ch}.json",
        lambda r: r.update(notebook_sha256=notebook_sha(Path(root) / solution_rel(ch)))),
    "results-record": _results(lambda r: r.update(wall_seconds=min(r.get("wall_seconds") or 0, MAX_WALL_SECONDS))),
}


@functools.lru_cache(maxsize=None)
def _chapters_passing_first(part_id):
    return sorted(CHAPTERS, key=lambda ch: bool(CHECKS[part_id](REPO, ch)))


def _passing_copy(tmp_path, part_id):
    """(chapter, root): a copy of a real chapter that passes `part_id`: one that passes it now, else one whose copy
    passes once repaired (REPAIRS); (None, problems) when there is none."""
    order = _chapters_passing_first(part_id)
    problems = []
    for i, ch in enumerate(order):
        root = copy_chapter(REPO, tmp_path / f"course_root_{i}", ch)
        if CHECKS[part_id](root, ch) and part_id in REPAIRS:
            REPAIRS[part_id](root, ch)
        found = CHECKS[part_id](root, ch)
        if not found:
            return ch, root
        problems += found
    return None, problems


@pytest.mark.parametrize("part_id,how,breaker", [pytest.param(p, h, b, id=f"{p}-{h}") for p, h, b in BREAKERS])
def test_each_check_can_fail(tmp_path, part_id, how, breaker):
    ch, root = _passing_copy(tmp_path, part_id)
    if ch is None:
        pytest.skip(f"no chapter passes {part_id}, even repaired: " + "; ".join(root))
    breaker(root, ch)
    problems = CHECKS[part_id](root, ch)
    assert problems, f"{ch}: {part_id} broken ({how}) and its check still passes"
    assert all(p.startswith(f"{ch}: {part_id}: ") for p in problems), problems
