"""Tests of the answer-cell screen: what it flags, what it lets through (every chapter's solutions and fixtures)."""

import json

import pytest

from autograder import screen as screening
from autograder.chapters import find_root, list_chapters
from autograder.notebooks import read_notebook
from autograder.wrong_answers import load_fixtures

ROOT = find_root()


@pytest.mark.parametrize(
    "source, refs, expected",
    [
        ("def f(P, pi):\n    return rw.mixing_time(P)\n", ["mixing_time"], "reference implementation `rw.mixing_time`"),
        ("from keras_patterns.random_walks import mixing_time as m\n", ["mixing_time"], "keras_patterns.random_walks.mixing_time"),
        ("f = getattr(rw, 'mixing_time')\n", ["mixing_time"], "(by name)"),
        ("import keras_patterns.oracles.hmm as h\nf = h.forward_filter\n", ["forward_filter"], "`h.forward_filter`"),
        ("def q3(a, b, c):\n    return get_ipython().user_ns['_pooled']\n", [], "`get_ipython`"),
        ("import sys\ndef f():\n    return sys._getframe(1).f_globals['_want']\n", [], "`_getframe`"),
        ("import __main__\n", [], "imports `__main__`"),
        ("import sys\nx = sys.modules['__main__']\n", [], "`sys.modules`"),
        ("import inspect\n", [], "imports `inspect`"),
        ("class L(float):\n    def __sub__(self, other):\n        return 0.0\n", [], "defines `__sub__`"),
        ("class A(np.ndarray):\n    __array_function__ = lambda *a: True\n", [], "defines `__array_function__`"),
        ("L = type('L', (float,), {})\n", [], "type(name, bases, dict)"),
        ("from unittest.mock import ANY\n", [], "imports `unittest.mock`"),
        ("exec('x = 1')\n", [], "`exec`"),
        ("import importlib\n", [], "imports `importlib`"),
        ("setattr(L, '__eq__', f)\n", [], "reaches `__eq__` by name"),
    ],
)
def test_shortcuts_are_flagged(source, refs, expected):
    reasons = screening.screen_source(source, refs)
    assert any(expected in r for r in reasons), reasons


@pytest.mark.parametrize(
    "source",
    [
        "def forward_filter(obs, initial, transition, emission):\n    x = np.stack([initial])\n    return x\n",
        "m = keras.layers.Dense(3, name='forecast')\n",  # a string that only looks like a reference
        "class Tagger(keras.layers.Layer):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "    def call(self, x):\n        return x\n    def get_config(self):\n        return {}\n",
        "def mixing_time(P, pi, epsilon=0.25, max_steps=100):\n    return int(np.argmax(np.arange(3) > 1))\n",
        "%timeit x = 1\n",  # a magic: not Python, left to the tests
    ],
)
def test_honest_answers_are_not_flagged(source):
    assert screening.screen_source(source, ["forecast", "mixing_time", "forward_filter"]) == []


def test_solutions_and_wrong_answer_fixtures_pass_the_screen():
    chapters = list_chapters(ROOT)
    assert chapters
    for ch in chapters:
        refs = screening.load_references(ROOT, ch.id)
        assert refs, f"{ch.id} has no reference implementations listed in autograder/screen.json"
        solution = read_notebook(ch.solution_notebook)
        answers = screening.tests_of_answers(solution)
        assert answers and all(answers.values()), answers
        assert screening.screen(solution, answers, refs) == {}, ch.id
        for fixture in load_fixtures(ch, solution):
            for cell, source in fixture.cells.items():
                assert screening.screen_source(source, refs) == [], (ch.id, fixture.name, cell)


def test_references_name_real_library_functions():
    """Every name in screen.json exists in the course package, so a renamed function cannot slip through."""
    import importlib
    import pkgutil

    import keras_patterns

    names = set()
    for info in pkgutil.walk_packages(keras_patterns.__path__, "keras_patterns."):
        if not info.name.endswith("_test"):
            names.update(vars(importlib.import_module(info.name)))
    for ch in list_chapters(ROOT):
        missing = screening.load_references(ROOT, ch.id) - names - {"forecast"}
        assert not missing, f"{ch.id}: not in keras_patterns: {sorted(missing)}"


def test_tests_of_answers_follows_notebook_order():
    ch = [c for c in list_chapters(ROOT) if c.id == "ch01_protein_ss"][0]
    answers = screening.tests_of_answers(read_notebook(ch.solution_notebook))
    assert answers == {"q3_answer": ["q3_tests"], "filter_answer": ["filter_tests"],
                       "bigru_answer": ["bigru_tests"], "causal_answer": ["causal_tests"],
                       "challenge_answer": ["challenge_test"]}


def test_bad_screen_file_is_named(tmp_path):
    (tmp_path / "autograder").mkdir()
    (tmp_path / "autograder" / "screen.json").write_text("{not json")
    with pytest.raises(ValueError, match="screen.json is not valid JSON"):
        screening.load_references(tmp_path, "ch01")
    (tmp_path / "autograder" / "screen.json").write_text(json.dumps({"ch01": "mixing_time"}))
    with pytest.raises(ValueError, match="must map to a list"):
        screening.load_references(tmp_path, "ch01")
    assert screening.load_references(tmp_path / "nowhere", "ch01") == set()
