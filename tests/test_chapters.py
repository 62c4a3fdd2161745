"""The chapter contract (`CHAPTER_CONTRACT.md`), as a test.

`CHAPTER_CONTRACT.md` lists every part a chapter must have, one table row per part id. This file reads
that table and has one check per part id (`CHECKS`); `test_contract_ids_match_the_checks` fails when the
two sets differ. Every chapter found as `solutions/chNN_slug/` is checked part by part
(`test_chapter_part`, ids `CH-part`). Each check is a function `(root, chapter) -> [problem, ...]` over
a course root, so `tests/test_chapter_contract_self.py` can copy one real chapter into a temporary course
root, break one part at a time, and prove that the check of that part then fails, naming the chapter and
the part.

Reads files only (notebook JSON, reports, records): nothing is imported from `autograder` or executed,
and the whole file runs in well under 10 s.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import re
from pathlib import Path

import pytest

from autograder.notebooks import data_families

REPO = Path(__file__).resolve().parents[1]
CONTRACT = "CHAPTER_CONTRACT.md"
CHAPTER_RE = re.compile(r"^ch(\d{2})_[a-z0-9_]+$")

MIN_STEPS = 3
MIN_MUTATION_SCORE = 0.9
MIN_SEEDS = 3
MAX_WALL_SECONDS = 180
#: The open challenge step's grade ids and its grading budget (seconds of training and scoring per grading).
CHALLENGE_ANSWER, CHALLENGE_TEST = "challenge_answer", "challenge_test"
MAX_CHALLENGE_SECONDS = 30

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
RELEASE_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
#: Calls of matplotlib that draw nothing (settings, closing).
NOT_DRAWING = {"rcParams", "rc", "rcdefaults", "style", "use", "close", "ioff", "ion", "switch_backend"}
MUTATION_VERDICTS = ("equivalent", "weakness")  # autograder/mutation.py VERDICTS
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: An English term followed by its Chinese: "many-to-one (多对一)", "many-to-one · 多对一".
EN_ZH_TERM = re.compile(rf"[A-Za-z][A-Za-z0-9\- ]*\s*(?:\(|（|·)\s*[{CJK}]")
PATTERN_LINE = re.compile(r"\*\*Patterns?:?\*\*:?(.*?)(?:\*\*|\n\s*\n|\Z)", re.S)
ASSERT_LINE = re.compile(r"^\s*assert\b|\bassert_\w*\(", re.M)


# ---------------------------------------------------------------------------------------------------
# Reading the contract document


def markdown_tables(text):
    """[(header cells, [row cells, ...]), ...] of the pipe tables in Markdown `text`."""
    tables, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line.startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", nxt):
            header = _cells(line)
            rows, i = [], i + 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i].strip()))
                i += 1
            tables.append((header, rows))
        else:
            i += 1
    return tables


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(root, first_column):
    path = Path(root) / CONTRACT
    if not path.is_file():
        return None
    for header, rows in markdown_tables(path.read_text(encoding="utf-8")):
        if header and header[0].lower() == first_column:
            return header, rows
    return None


def contract_part_ids(root=REPO):
    """The part ids of the contract's table of parts, in order."""
    table = _table(root, "part id")
    if table is None:
        return []
    return [row[0].strip("` ") for row in table[1] if row and row[0].strip("` ")]


def contract_rules(root=REPO):
    """{part id: its rule, in words}."""
    table = _table(root, "part id")
    header, rows = table
    col = [h.lower() for h in header].index("rule")
    return {row[0].strip("` "): row[col] for row in rows}


def course_map(root):
    """{chapter number: problem id} from the contract's course map table."""
    table = _table(root, "ch")
    if table is None:
        return {}
    header, rows = table
    col = [h.lower() for h in header].index("problem")
    return {int(row[0]): row[col].strip() for row in rows if row and row[0].isdigit()}


# ---------------------------------------------------------------------------------------------------
# Reading a chapter's files


def chapters(root):
    """Chapter ids: the folders solutions/chNN_slug/ (a folder without its notebook fails `solution`)."""
    base = Path(root) / "solutions"
    return sorted(p.name for p in base.iterdir() if p.is_dir() and CHAPTER_RE.match(p.name)) if base.is_dir() else []


def solution_rel(ch):
    return f"solutions/{ch}/{ch}.ipynb"


def release_rel(ch):
    return f"course/{ch}/{ch}.ipynb"


class Unreadable(Exception):
    """A file the check needs is missing or not what it should be (the message says which)."""


def read_json(root, rel):
    path = Path(root) / rel
    if not path.is_file():
        raise Unreadable(f"{rel} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise Unreadable(f"{rel} is not valid JSON ({err})") from None


def read_notebook(root, rel):
    nb = read_json(root, rel)
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise Unreadable(f"{rel} is not an nbformat-4 notebook")
    return nb


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader") or {}


def grade_id(cell):
    return nbgrader(cell).get("grade_id")


def is_answer_cell(cell):
    return cell.get("cell_type") == "code" and bool(nbgrader(cell).get("solution")) and bool(grade_id(cell))


def is_test_cell(cell):
    meta = nbgrader(cell)
    graded = bool(meta.get("grade")) and not meta.get("solution")
    return cell.get("cell_type") == "code" and graded and bool(grade_id(cell))


def steps(nb):
    """{answer cell grade id: [its test cells]}: the test cells after an answer, up to the next answer."""
    mapping, current = {}, None
    for cell in nb["cells"]:
        if is_answer_cell(cell):
            current = grade_id(cell)
            mapping[current] = []
        elif is_test_cell(cell) and current is not None:
            mapping[current].append(cell)
    return mapping


def split_hidden(text):
    """(visible text, [hidden blocks], [problems]) of a test cell's source."""
    visible, hidden, problems, block = [], [], [], None
    for line in text.splitlines():
        mark = line.strip()
        if mark == BEGIN_HIDDEN:
            if block is not None:
                problems.append(f"a second `{BEGIN_HIDDEN}` before `{END_HIDDEN}`")
            block = []
        elif mark == END_HIDDEN:
            if block is None:
                problems.append(f"`{END_HIDDEN}` without `{BEGIN_HIDDEN}`")
            else:
                hidden.append("\n".join(block))
            block = None
        elif block is not None:
            block.append(line)
        else:
            visible.append(line)
    if block is not None:
        problems.append(f"`{BEGIN_HIDDEN}` is never closed by `{END_HIDDEN}`")
    return "\n".join(visible), hidden, problems


def code_cells_ast(nb):
    """[(cell index, ast module or None, source)] of the code cells (IPython magics and shell lines dropped)."""
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        text = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in source(cell).splitlines())
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        out.append((i, tree, text))
    return out


def draws_a_figure(nb):
    """True when a code cell calls matplotlib or keras_patterns.figures (through the names they are imported as)."""
    modules, functions = set(), set()
    trees = code_cells_ast(nb)
    for _, tree, text in trees:
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "matplotlib" or a.name == "keras_patterns.figures":
                        # `import matplotlib.pyplot` binds `matplotlib`; `... as plt` binds `plt`.
                        modules.add(a.asname or a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] == "matplotlib" or node.module == "keras_patterns.figures":
                    functions.update(a.asname or a.name for a in node.names)
                elif node.module == "keras_patterns":
                    modules.update(a.asname or a.name for a in node.names if a.name == "figures")
    for _, tree, text in trees:
        if tree is None:
            if re.search(r"\b(plt|figures)\.\w+\(", text):
                return True
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func, chain = node.func, []
            while isinstance(func, ast.Attribute):
                chain.append(func.attr)
                func = func.value
            if NOT_DRAWING.intersection(chain):
                continue
            if isinstance(func, ast.Name):
                if func.id in modules and isinstance(node.func, ast.Attribute):
                    return True
                if func.id in functions:
                    return True
    return False


def notebook_sha(path):
    """The hash the mutation tool records (autograder/mutation.py `notebook_sha`): sha256 of the bytes, 16 hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@functools.lru_cache(maxsize=None)
def results_verdicts():
    """keras_patterns.results.VERDICTS, read from the library's source (importing it would import NumPy only,
    but reading keeps this test independent of the library's import graph)."""
    for rel in ("keras_patterns/results.py", "keras_patterns/results/__init__.py"):
        path = REPO / rel
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "VERDICTS" for t in node.targets):
                return tuple(ast.literal_eval(node.value))
    from keras_patterns.results import VERDICTS

    return tuple(VERDICTS)


# ---------------------------------------------------------------------------------------------------
# The checks: one per part id, each (root, chapter) -> [problem, ...], every problem "CH: part: ..."

CHECKS = {}


def part(part_id):
    def register(check):
        @functools.wraps(check)
        def run(root, ch):
            root = Path(root)
            try:
                problems = list(check(root, ch))
            except Unreadable as err:
                problems = [str(err)]
            return [f"{ch}: {part_id}: {p}" for p in problems]

        CHECKS[part_id] = run
        return run

    return register


@part("solution")
def check_solution(root, ch):
    nb = read_notebook(root, solution_rel(ch))
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            yield f"{solution_rel(ch)}: cell {i} has outputs or an execution count (clear them before committing)"


@part("release")
def check_release(root, ch):
    rel = release_rel(ch)
    path = root / rel
    if not path.is_file():
        yield f"{rel} is missing (run `kp release`)"
        return
    text = path.read_text(encoding="utf-8")
    for marker in RELEASE_MARKERS:
        if marker in text:
            yield f"{rel} contains {marker!r}: the release must not hold solutions or hidden tests (run `kp release`)"
    nb = read_notebook(root, rel)
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            yield f"{rel}: cell {i} has outputs"
    try:
        solution = read_notebook(root, solution_rel(ch))
    except Unreadable:
        return  # the `solution` check reports it
    ids = lambda n: {grade_id(c) for c in n["cells"] if grade_id(c)}  # noqa: E731
    missing, extra = sorted(ids(solution) - ids(nb)), sorted(ids(nb) - ids(solution))
    if missing or extra:
        yield (f"{rel} is stale: its grade ids differ from the solution's (missing {missing}, extra {extra}); "
               "run `kp release`")


@part("graded-steps")
def check_graded_steps(root, ch):
    rel = solution_rel(ch)
    nb = read_notebook(root, rel)
    found = steps(nb)
    if len(found) < MIN_STEPS:
        yield (f"{rel} has {len(found)} graded step(s) (nbgrader solution cells with a grade_id); "
               f"at least {MIN_STEPS} are needed")
    ids = [grade_id(c) for c in nb["cells"] if grade_id(c)]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        yield f"duplicate grade ids {dups}"
    answers = {grade_id(c): c for c in nb["cells"] if is_answer_cell(c)}
    for step, tests in found.items():
        text = source(answers[step])
        if BEGIN_SOLUTION not in text or END_SOLUTION not in text:
            yield f"step {step}: its answer cell has no `{BEGIN_SOLUTION}` ... `{END_SOLUTION}` block"
        if not tests:
            yield f"step {step}: no test cell (nbgrader `grade: true`) follows it before the next step"
            continue
        for cell in tests:
            if not (nbgrader(cell).get("points") or 0) > 0:
                yield f"step {step}: test cell {grade_id(cell)} has no points"
        if not any(ASSERT_LINE.search(split_hidden(source(c))[0]) for c in tests):
            yield f"step {step}: its test cells have no visible assert (outside `{BEGIN_HIDDEN}`)"


@part("hidden-tests")
def check_hidden_tests(root, ch):
    nb = read_notebook(root, solution_rel(ch))
    found = steps(nb)
    if not found:
        yield "no graded steps, so no hidden tests"
    for step, tests in found.items():
        blocks = []
        for cell in tests:
            _, hidden, problems = split_hidden(source(cell))
            blocks += hidden
            for p in problems:
                yield f"step {step}: test cell {grade_id(cell)}: {p}"
        if not any(ASSERT_LINE.search(b) for b in blocks):
            yield (f"step {step}: its test cells have no hidden tests "
                   f"(an assert between `{BEGIN_HIDDEN}` and `{END_HIDDEN}`)")


@part("fixtures")
def check_fixtures(root, ch):
    rel = f"autograder/fixtures/{ch}.json"
    fixtures = read_json(root, rel)
    nb = read_notebook(root, solution_rel(ch))
    if not isinstance(fixtures, list) or not all(isinstance(f, dict) for f in fixtures):
        yield f"{rel} must be a JSON list of fixtures (objects)"
        return
    answer_ids = list(steps(nb))
    test_ids = {grade_id(c) for c in nb["cells"] if is_test_cell(c)}
    covered = set()
    for i, f in enumerate(fixtures):
        name = f.get("name", f"#{i}")
        if "cells" in f:  # one wrong idea over several cells: {"cells": {grade_id: source, ...}}
            cells = list(f["cells"]) if isinstance(f["cells"], dict) else []
            if not cells:
                yield f"{rel}: fixture {name}: 'cells' must map answer cell ids to sources"
        else:
            cells = [f.get("cell")]
            if "source" not in f:
                yield f"{rel}: fixture {name} has no 'source'"
        if "name" not in f or not isinstance(f.get("fails"), list):
            yield f"{rel}: fixture {name} needs a 'name' and a 'fails' list"
        for cell in cells:
            if cell not in answer_ids:
                yield f"{rel}: fixture {name} names cell {cell!r}, which is not a graded step's answer cell"
        for t in f.get("fails") or []:
            if t not in test_ids:
                yield f"{rel}: fixture {name} must fail {t!r}, which is not a test cell"
        if f.get("fails"):
            covered.update(cells)
    for step in answer_ids:
        if step not in covered:
            yield f"{rel}: step {step} has no wrong-answer fixture (one with cell {step!r} and a non-empty fails)"


@part("mutation-report")
def check_mutation_report(root, ch):
    rel = f"autograder/mutation/{ch}.json"
    report = read_json(root, rel)
    nb_path = root / solution_rel(ch)
    if not nb_path.is_file():
        raise Unreadable(f"{solution_rel(ch)} is missing")
    if report.get("chapter") != ch:
        yield f"{rel} is the report of chapter {report.get('chapter')!r}"
    sha = notebook_sha(nb_path)
    if report.get("notebook_sha256") != sha:
        yield (f"{rel} was made from another version of the solution (notebook_sha256 "
               f"{report.get('notebook_sha256')!r}, the solution's is {sha!r}): rerun the mutation tool "
               "(autograder/MUTATION.md)")
    summary = report.get("summary") or {}
    score = summary.get("score")
    if not isinstance(score, (int, float)) or score < MIN_MUTATION_SCORE:
        need = f"{MIN_MUTATION_SCORE:.0%}".replace("%", " %")
        yield f"{rel}: score {score!r} (caught / non-equivalent mutants); at least {need} is needed"
    mutants = report.get("mutants")
    if not isinstance(mutants, list) or not mutants:
        yield f"{rel} lists no mutants"
        mutants = []
    unexamined = [m.get("id", "?") for m in mutants
                  if not m.get("caught") and m.get("verdict") not in MUTATION_VERDICTS]
    if unexamined or (summary.get("unexamined") or 0) > 0:
        shown = ", ".join(unexamined[:5]) + (" ..." if len(unexamined) > 5 else "")
        yield (f"{rel}: {max(len(unexamined), summary.get('unexamined') or 0)} surviving mutant(s) not examined "
               f"(verdict `equivalent` or `weakness` needed): {shown}")


@part("data-cards")
def check_data_cards(root, ch):
    nb = read_notebook(root, solution_rel(ch))
    families = data_families(nb)
    if not families:
        yield "the notebook loads no data family (from keras_patterns.data import FAMILY)"
    for family in families:
        rel = f"datasets/{family}/README.md"
        path = root / rel
        if not path.is_file():
            yield f"{rel} is missing (the notebook loads keras_patterns.data.{family})"
            continue
        text = path.read_text(encoding="utf-8")
        if not text.lstrip().startswith("# Data card"):
            yield f"{rel} does not start with '# Data card'"
        loader = (f"keras_patterns.data import {family}", f"keras_patterns.data.{family}",
                  f"keras_patterns/data/{family}")
        if not any(s in text for s in loader):
            yield f"{rel} does not show its loader (keras_patterns.data.{family})"
        if not re.search(r"licen[cs]e", text, re.I):
            yield f"{rel} does not state the licence"


@part("results-record")
def check_results_record(root, ch):
    rel = f"results/{ch}.json"
    record = read_json(root, rel)
    if not isinstance(record, dict):
        yield f"{rel} is not a JSON object"
        return
    if record.get("chapter") != ch:
        yield f"{rel}: chapter is {record.get('chapter')!r}"
    if record.get("profile") != "default":
        yield f"{rel}: profile is {record.get('profile')!r}; commit the record of `kp run {ch} --profile default`"
    seeds = record.get("seeds")
    if not isinstance(seeds, list) or len(seeds) < MIN_SEEDS:
        yield f"{rel}: seeds {seeds!r}; at least {MIN_SEEDS} are needed"
    if not isinstance(record.get("metrics"), dict) or not record.get("metrics"):
        yield f"{rel}: no metrics"
    if not any(isinstance(record.get(k), dict) and record.get(k) for k in ("limits", "baselines")):
        yield f"{rel}: no limits or baselines"
    claims = record.get("claims")
    if not isinstance(claims, list) or not claims:
        yield f"{rel}: no claims"
        claims = []
    allowed = results_verdicts()
    for i, claim in enumerate(claims):
        verdict = claim.get("verdict") if isinstance(claim, dict) else None
        if verdict not in allowed:
            cid = claim.get("id", f"#{i}") if isinstance(claim, dict) else f"#{i}"
            yield f"{rel}: claim {cid} has verdict {verdict!r}, not one of {list(allowed)}"
    wall = record.get("wall_seconds")
    if not isinstance(wall, (int, float)) or isinstance(wall, bool):
        yield f"{rel}: wall_seconds is {wall!r}"
    elif wall > MAX_WALL_SECONDS:
        yield f"{rel}: wall_seconds {wall} > {MAX_WALL_SECONDS} s (the default profile's budget on a 2-core CPU)"


@part("challenge")
def check_challenge(root, ch):
    rel = solution_rel(ch)
    nb = read_notebook(root, rel)
    found = steps(nb)
    if CHALLENGE_ANSWER not in found:
        yield f"{rel} has no challenge step (an answer cell with grade id {CHALLENGE_ANSWER!r})"
        return
    if list(found)[-1] != CHALLENGE_ANSWER:
        yield f"{rel}: the challenge must be the last graded step (after it: {list(found)[list(found).index(CHALLENGE_ANSWER) + 1:]})"
    tests = {grade_id(c): c for c in found[CHALLENGE_ANSWER]}
    test = tests.get(CHALLENGE_TEST)
    if test is None:
        yield f"the challenge step has no test cell {CHALLENGE_TEST!r}"
        return
    text = source(test)
    if "run_challenge(" not in text:
        yield f"{CHALLENGE_TEST} does not grade with keras_patterns.challenges.run_challenge"
    try:
        body = ast.parse(text).body
    except SyntaxError:
        body = []
    if not body or not isinstance(body[-1], ast.Expr):
        yield (f"{CHALLENGE_TEST}'s last statement (after its hidden tests) must be an expression giving its "
               "points (nbgrader reads it as partial credit), e.g. `result.points`")
    fixtures = read_json(root, f"autograder/fixtures/{ch}.json")
    points = nbgrader(test).get("points") or 0
    weakened = [f for f in fixtures if isinstance(f, dict) and isinstance(f.get("partial"), dict)
                and CHALLENGE_TEST in f["partial"]]
    if not any(0 < f["partial"][CHALLENGE_TEST][0] and f["partial"][CHALLENGE_TEST][1] < points for f in weakened):
        yield (f"autograder/fixtures/{ch}.json has no weakened challenge design: a fixture with "
               f'"partial": {{"{CHALLENGE_TEST}": [low, high]}}, 0 < low <= high < {points:g}')
    record = read_json(root, f"results/{ch}.json")
    metrics, limits = record.get("metrics") or {}, record.get("limits") or {}
    if not ({"challenge_score", "challenge_gap"} <= set(metrics) and "challenge_limit" in limits):
        yield f"results/{ch}.json does not record the reference design's challenge (record.challenge(result))"
    seconds = ((record.get("extra") or {}).get("challenge") or {}).get("seconds")
    if not isinstance(seconds, (int, float)) or seconds > MAX_CHALLENGE_SECONDS:
        yield (f"results/{ch}.json: the challenge took {seconds!r} s; it must train and score within "
               f"{MAX_CHALLENGE_SECONDS} s (the grading budget)")


@part("figure")
def check_figure(root, ch):
    nb = read_notebook(root, solution_rel(ch))
    if not draws_a_figure(nb):
        yield f"{solution_rel(ch)} draws no figure (no call of matplotlib or keras_patterns.figures)"


@part("opening-cell")
def check_opening_cell(root, ch):
    nb = read_notebook(root, solution_rel(ch))
    number = int(CHAPTER_RE.match(ch).group(1))
    expected = course_map(root).get(number)
    if expected is None:
        yield f"chapter {number:02d} has no row in the course map of {CONTRACT}"
    opening = next((c for c in nb["cells"] if c.get("cell_type") == "markdown"), None)
    if opening is None:
        yield "the notebook has no markdown cell to open it"
        return
    text = source(opening)
    named = re.findall(r"\bproblem\s+(\d+)", text)
    if expected is not None and expected not in named:
        said = f"names problem {', '.join(named)}" if named else "names no problem id"
        yield f"the opening cell {said}; the course map says `problem {expected}`"
    pattern = PATTERN_LINE.search(text)
    if pattern is None:
        yield "the opening cell has no `**Pattern:**` line"
    elif not EN_ZH_TERM.search(pattern.group(1)):
        yield ("the opening cell's `**Pattern:**` line gives no term in English and Chinese "
               "(e.g. `many-to-one (多对一)`)")


@part("screen-entry")
def check_screen_entry(root, ch):
    rel = "autograder/screen.json"
    screen = read_json(root, rel)
    names = screen.get(ch) if isinstance(screen, dict) else None
    if names is None:
        yield f"{rel} has no entry for {ch}"
    elif not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        yield f"{rel}: the entry for {ch} must be a non-empty list of names, got {names!r}"


# ---------------------------------------------------------------------------------------------------
# The contract, applied to every chapter

PART_IDS = contract_part_ids() or list(CHECKS)
CHAPTERS = chapters(REPO)


def test_contract_ids_match_the_checks():
    ids = contract_part_ids()
    assert ids, f"{CONTRACT} has no table whose first column is 'part id'"
    assert len(ids) == len(set(ids)), f"{CONTRACT}: duplicate part ids {ids}"
    assert set(ids) == set(CHECKS), (
        f"{CONTRACT} and tests/test_chapters.py disagree: parts without a check {sorted(set(ids) - set(CHECKS))}, "
        f"checks without a part {sorted(set(CHECKS) - set(ids))}"
    )


def test_contract_states_the_test_constants():
    rules = contract_rules()
    assert f"at least {MIN_STEPS} graded steps" in rules["graded-steps"].lower()
    assert f"{MIN_MUTATION_SCORE:.0%}".replace("%", " %") in rules["mutation-report"]
    assert f"at least {MIN_SEEDS} `seeds`" in rules["results-record"]
    assert f"at most {MAX_WALL_SECONDS} s" in rules["results-record"]
    assert f"within {MAX_CHALLENGE_SECONDS} s" in rules["challenge"] and CHALLENGE_TEST in rules["challenge"]


def test_course_map_has_the_fourteen_problem_ids():
    ids = course_map(REPO)
    assert sorted(ids) == list(range(1, 15)), f"{CONTRACT}: the course map must have rows 01..14, has {sorted(ids)}"
    assert all(re.fullmatch(r"\d{7}", v) for v in ids.values()), ids
    assert len(set(ids.values())) == 14, "problem ids repeat"


def test_there_are_chapters():
    assert CHAPTERS, "no chapter folder solutions/chNN_slug/ found"


@pytest.mark.parametrize("chapter,part_id", [pytest.param(c, p, id=f"{c}-{p}") for c in CHAPTERS for p in PART_IDS])
def test_chapter_part(chapter, part_id):
    assert part_id in CHECKS, f"{chapter}: {part_id}: {CONTRACT} names a part that this file does not check"
    problems = CHECKS[part_id](REPO, chapter)
    assert not problems, "\n".join(problems)
