"""Mutation testing of the chapters' tests (`python -m autograder.mutation`), on the fixture course.

The generator is checked on the fixture notebooks and on a made-up solution
cell that holds every construct it mutates; one grading run (three mutants and
the solution of `ch01_tiny`, numpy only) checks that a wrong mutant is caught,
that an equivalent one survives, that verdicts are carried over, and the
report's fields.
"""

import ast
import json

import nbformat
import pytest

from autograder import mutation, mutation_report
from autograder.mutants import KINDS, MutationError, apply_mutant, cell_mutants, generate_mutants, sample

from conftest import REPO, grade_id

KERAS_CELL = '''def build(num_tokens, num_hiddens, num_classes, x, y, mask, a, b):
    """A made-up solution cell holding every construct the generator mutates."""
    ### BEGIN SOLUTION
    # a comment that must survive every mutant
    tokens = keras.Input(shape=(None,), dtype="int32")
    h = keras.layers.Embedding(num_tokens + 1, 16)(tokens)
    h = keras.layers.Bidirectional(keras.layers.GRU(num_hiddens, return_sequences=True), merge_mode="concat")(h)
    h = keras.layers.LSTM(num_hiddens)(h)
    probs = keras.layers.Dense(num_classes, activation="softmax")(h)
    total = np.sum(x * y, axis=-1, keepdims=True) / 2
    if -total.max() < 0 and not mask.any():
        total = a @ b[:, 0]
    return keras.Model(tokens, probs), total.astype(float).T
    ### END SOLUTION


def outside(x):
    return x + 1  # not in a solution region: never mutated
'''


def _tiny(course=None):
    root = course if course is not None else REPO / "tests" / "fixtures" / "course"
    return nbformat.read(str(root / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"), as_version=4)


# ------------------------------------------------------------------------------------------
# Generating mutants


def test_fixture_notebook_gets_the_expected_kinds():
    mutants = generate_mutants(_tiny())
    assert {m.cell for m in mutants} == {"mean_pool", "softmax"}
    kinds = {m.kind for m in mutants}
    assert kinds == {"arith", "axis", "flag", "reduction", "drop-keyword", "swap-operands", "unwrap", "delete"}
    made = {(m.cell, m.kind, m.mutated) for m in mutants}
    assert ("mean_pool", "axis", "return np.asarray(x, dtype=float).mean(axis=1)") in made
    assert ("mean_pool", "reduction", "return np.asarray(x, dtype=float).sum(axis=0)") in made
    assert ("softmax", "arith", "e = np.exp(z + z.max(axis=-1, keepdims=True))") in made
    assert ("softmax", "flag", "e = np.exp(z - z.max(axis=-1, keepdims=False))") in made
    assert ("softmax", "reduction", "e = np.exp(z - z.min(axis=-1, keepdims=True))") in made
    assert ("softmax", "arith", "return e * e.sum(axis=-1, keepdims=True)") in made
    deleted = [m for m in mutants if m.kind == "delete" and m.cell == "softmax"]
    assert [m.mutated for m in deleted] == ["pass"] * 3
    # ch02_pair: `return 2 * x`.
    pair = nbformat.read(str(REPO / "tests/fixtures/course/solutions/ch02_pair/ch02_pair.ipynb"), as_version=4)
    assert sorted(m.mutated for m in generate_mutants(pair)) == sorted(
        ["return 2 / x", "return 3 * x", "return 0 * x", "return 1 * x", "pass"]
    )


def test_every_operator_on_a_keras_cell():
    mutants = cell_mutants("build_answer", KERAS_CELL)
    assert {m.kind for m in mutants} == set(KINDS)
    changes = {(m.original, m.mutated) for m in mutants}

    def has(before, after):
        return any(before in o and after in n for o, n in changes)

    assert has("Embedding(num_tokens + 1, 16)", "Embedding(num_tokens + 1, 16, mask_zero=True)")
    assert has("GRU(num_hiddens, return_sequences=True)", "GRU(num_hiddens, return_sequences=False)")
    assert has("GRU(num_hiddens, return_sequences=True)", "GRU(num_hiddens, return_sequences=True, go_backwards=True)")
    assert has("LSTM(num_hiddens)(h)", "LSTM(num_hiddens, return_sequences=True)(h)")
    assert has('merge_mode="concat"', 'merge_mode="sum"')
    assert has('activation="softmax"', 'activation="linear"') and has('activation="softmax"', 'activation="sigmoid"')
    assert has("keras.layers.Bidirectional(keras.layers.GRU", "h = keras.layers.GRU(num_hiddens, return_sequences=True)(h)")
    assert has("axis=-1", "axis=0") and has("axis=-1", "axis=1")
    assert has("keepdims=True", "keepdims=False")
    assert has("np.sum(x * y", "np.mean(x * y") and has("total.max()", "total.min()")
    assert has("x * y", "x / y") and has("/ 2", "* 2") and has("/ 2", "/ 1")
    assert has("a @ b", "a * b") and has("a @ b", "b[:, 0] @ a") and has("b[:, 0]", "b[0, :]")
    assert has("< 0", "<= 0") and has("-total.max()", "total.max()") and has("not mask.any()", "mask.any()")
    assert has("keras.Model(tokens, probs)", "keras.Model(probs, tokens)")
    assert has("total.astype(float).T", "total.astype(float)") and has(".astype(float).T", "total.T")
    assert has('dtype="int32"', "keras.Input(shape=(None,))")


def test_mutants_are_distinct_programs_that_touch_only_the_solution():
    original = ast.dump(ast.parse(KERAS_CELL))
    mutants = cell_mutants("build_answer", KERAS_CELL)
    dumps = [ast.dump(ast.parse(m.source)) for m in mutants]
    assert original not in dumps and len(set(dumps)) == len(dumps)
    assert len({m.id for m in mutants}) == len(mutants)
    for m in mutants:
        assert m.source.count("### BEGIN SOLUTION") == 1 and "# a comment that must survive" in m.source
        assert m.source.split("### END SOLUTION")[1] == KERAS_CELL.split("### END SOLUTION")[1], m.id
        assert m.source.split("### BEGIN SOLUTION")[0] == KERAS_CELL.split("### BEGIN SOLUTION")[0], m.id
    # Same notebook, same mutants, same ids.
    assert [m.id for m in cell_mutants("build_answer", KERAS_CELL)] == [m.id for m in mutants]


def test_sample_and_apply():
    nb = _tiny()
    mutants = generate_mutants(nb)
    picked = sample(mutants, 5)
    assert len(picked) == 5 and picked == sample(mutants, 5) and [m for m in mutants if m in picked] == picked
    changed = apply_mutant(nb, picked[0])
    assert [c.source for c in changed.cells if grade_id(c) == picked[0].cell] == [picked[0].source]
    assert sum(a.source != b.source for a, b in zip(nb.cells, changed.cells)) == 1


def test_summary_score_leaves_out_equivalent_mutants():
    mutants = [
        {"kind": "arith", "caught": True},
        {"kind": "arith", "caught": True},
        {"kind": "delete", "caught": False, "verdict": "equivalent", "justification": "dead code"},
        {"kind": "flag", "caught": False, "verdict": "weakness", "test": {"cell": "t", "assert": "assert x"}, "verified": True},
        {"kind": "flag", "caught": False},
    ]
    s = mutation_report.summarise(mutants)
    assert (s["mutants"], s["caught"], s["survived"], s["equivalent"], s["weakness"], s["unexamined"]) == (5, 2, 3, 1, 1, 1)
    assert s["score"] == 0.5 and s["score_with_proposed_tests"] == 0.75
    assert s["by_kind"]["flag"] == {"mutants": 2, "caught": 0, "equivalent": 0}


def test_extra_tests_go_into_a_copy(course, tmp_path):
    before = (course / "solutions/ch01_tiny/ch01_tiny.ipynb").read_text()
    copy = mutation.course_with_extra_tests(course, "ch01_tiny", {"test_mean_pool": "assert True, 'extra'"}, tmp_path / "c")
    assert (course / "solutions/ch01_tiny/ch01_tiny.ipynb").read_text() == before
    cell = next(c for c in _tiny(copy).cells if grade_id(c) == "test_mean_pool")
    assert cell.source.endswith("### BEGIN HIDDEN TESTS\nassert True, 'extra'\n### END HIDDEN TESTS")
    with pytest.raises(MutationError, match="not a test cell"):
        mutation.course_with_extra_tests(course, "ch01_tiny", {"mean_pool": "pass"}, tmp_path / "d")


def test_list_needs_no_grader(course, capsys):
    assert mutation.main(["ch02", "--root", str(course), "--list"]) == 0
    assert "5 mutants" in capsys.readouterr().out
    assert mutation.main(["ch09", "--root", str(course), "--list"]) == 1


# ------------------------------------------------------------------------------------------
# Grading mutants


def test_bad_mutant_is_caught_equivalent_survives_and_the_report_is_complete(course, tmp_path):
    mutants = {m.description: m for m in generate_mutants(_tiny(course)) if m.cell == "mean_pool"}
    wrong_axis = mutants["axis=0 -> axis=1"]  # the visible test catches it
    deleted = mutants["deleted `return np.asarray(x, dtype=float).mean(axis=0)`"]  # returns None
    no_dtype = mutants["keyword dtype= removed"]  # mean() of a number array is float anyway: equivalent
    verdicts = tmp_path / "verdicts.json"
    verdicts.write_text(json.dumps({"mutants": [
        {"id": no_dtype.id, "sha": no_dtype.sha, "verdict": "equivalent", "justification": "mean() returns floats"},
        {"id": wrong_axis.id, "sha": "stale", "verdict": "equivalent", "justification": "a stale verdict is ignored"},
    ]}))
    out = tmp_path / "report.json"
    code = mutation.main([
        "ch01", "--root", str(course), "--out", str(out), "--verdicts", str(verdicts),
        "--only", wrong_axis.id, deleted.id, no_dtype.id,
    ])
    assert code == 0
    report = json.loads(out.read_text())
    assert {"chapter", "notebook", "notebook_sha256", "baseline", "summary", "seconds", "mutants"} <= set(report)
    assert report["chapter"] == "ch01_tiny" and report["baseline"]["score"] == report["baseline"]["max_score"] == 5
    records = {m["id"]: m for m in report["mutants"]}
    for record in records.values():
        assert {"id", "cell", "kind", "line", "description", "original", "mutated", "caught", "lost", "status"} <= set(record)
    assert records[wrong_axis.id]["caught"] is True and records[wrong_axis.id]["lost"] == {"test_mean_pool": 2}
    assert "verdict" not in records[wrong_axis.id]
    assert records[deleted.id]["caught"] is True
    survivor = records[no_dtype.id]
    assert survivor["caught"] is False and survivor["lost"] == {} and survivor["verdict"] == "equivalent"
    s = report["summary"]
    assert (s["mutants"], s["caught"], s["survived"], s["equivalent"], s["score"]) == (3, 2, 1, 1, 1.0)
    assert not out.with_name("report.partial.jsonl").exists()


def test_rescore_checks_verdicts_and_markdown_lists_survivors(tmp_path):
    report = {
        "chapter": "ch01_tiny",
        "seconds_per_notebook": 1.0,
        "mutants": [
            {"id": "a", "kind": "arith", "caught": True, "original": "x + 1", "mutated": "x - 1"},
            {"id": "b", "kind": "flag", "caught": False, "original": "f(k=True)", "mutated": "f(k=False)",
             "verdict": "weakness", "test": {"cell": "test_f", "assert": "assert f() == 1"}, "verified": True},
            {"id": "c", "kind": "delete", "caught": False, "original": "y = 1", "mutated": "pass", "verdict": "equivalent"},
        ],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report))
    with pytest.raises(MutationError, match="c: an equivalent mutant needs a justification"):
        mutation_report.rescore(path)
    report["mutants"][2]["justification"] = "y is never read"
    path.write_text(json.dumps(report))
    s = mutation_report.rescore(path)["summary"]
    assert (s["score"], s["score_with_proposed_tests"]) == (0.5, 1.0)
    text = mutation_report.results_markdown([json.loads(path.read_text())])
    assert "| ch01_tiny | 3 | 1 | 1 | 1 | 0 | **50.0%** | 100.0% |" in text
    assert "**Equivalent**: y is never read" in text and "assert f() == 1" in text
