"""Lay down a new chapter's skeleton that already has the shape of the chapter contract.

    python -m autograder.new_chapter ch02_hybrid_genes [--title "..."] [--root .]

(to be wired to `kp new chNN_slug`). It writes, and refuses to overwrite:

- `solutions/CH/CH.ipynb`: the opening cell (the textbook chapter's section and problem id from the
  course map in `CHAPTER_CONTRACT.md`, the pattern's terms in English and Chinese where the course
  map's pattern names them), the parameters and set-up cells, three graded step stubs (an answer cell
  between `### BEGIN SOLUTION` / `### END SOLUTION`, a locked test cell with visible asserts and
  hidden tests), a placeholder challenge step (`challenge_answer`, `challenge_test`: the two-Gaussians
  task of `keras_patterns.challenges.gaussians`), a figure cell and a results-record cell;
- `autograder/fixtures/CH.json`: one wrong answer per step, each failing its step's test cell, and two
  challenge designs (one earning partial points, one breaking a rule);
- an entry for CH in `autograder/screen.json` (the step function names: point them at the library's
  implementations of the steps).

The skeleton passes the contract's shape parts (`solution`, `graded-steps`, `hidden-tests`,
`fixtures`, `figure`, `opening-cell`, `screen-entry`) as it is; `release`, `data-cards`,
`mutation-report`, `results-record` and `challenge` (which needs the record) come from running the tools on the written chapter (see "How
to add a chapter" in `CHAPTER_CONTRACT.md`). The steps are placeholders (row means, running sums, time
reversal) that run on NumPy alone, so `kp selftest` and the mutation tool work on the skeleton at once;
replace every `TODO`.

Standard library only; imports nothing else of `autograder`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

CONTRACT = "CHAPTER_CONTRACT.md"
CHAPTER_RE = re.compile(r"^ch(\d{2})_[a-z0-9_]+$")

#: The course's vocabulary (EN · 中文), to name the pattern's terms in the opening cell.
VOCABULARY = {
    "many-to-one": "多对一",
    "many-to-many": "多对多",
    "sequence-to-sequence": "序列到序列",
    "bidirectional": "双向循环神经网络",
    "encoder": "编码器",
    "decoder": "解码器",
    "attention": "注意力机制",
    "multi-task": "多任务学习",
    "consistency violation": "一致性违背值",
    "hazard": "风险函数",
    "survival": "生存函数",
    "saliency": "显著性",
    "coupling": "耦合损失",
    "mixing time": "混合时间",
}

#: The three placeholder steps: (answer id stem, function, what it stands for, answer, test, hidden, wrong answer).
STEPS = [
    dict(
        stem="step_one", mark="①", what="the row means (TODO: the pattern's first piece)",
        answer='''def step_one(x):
    """TODO: say what the step computes. Placeholder: the mean over the last axis.

    Args:
        x: array-like of shape (batch, time), floats.
    Returns:
        NumPy float64 array of shape (batch,).
    """
    ### BEGIN SOLUTION
    return np.asarray(x, dtype="float64").mean(axis=-1)
    ### END SOLUTION''',
        visible='''_out = np.asarray(step_one([[1.0, 2.0, 3.0], [4.0, 5.0, 9.0]]))
assert _out.shape == (2,), f"one number per row; got shape {_out.shape}"
assert np.allclose(_out, [2.0, 6.0]), "the mean of each row (TODO: a golden number of the real step)"''',
        hidden='''_x = np.random.default_rng(0).normal(size=(5, 7))
assert np.allclose(step_one(_x), _x.sum(axis=1) / 7), "the mean over the last axis, for any shape"''',
        wrong=("step_one_sum", "Sums where the step asks for the mean.",
               '''def step_one(x):
    return np.asarray(x, dtype="float64").sum(axis=-1)'''),
    ),
    dict(
        stem="step_two", mark="②", what="running sums (TODO: the pattern's second piece)",
        answer='''def step_two(x):
    """TODO: say what the step computes. Placeholder: running sums over time.

    Args:
        x: array-like of shape (batch, time) or (time,), floats.
    Returns:
        NumPy float64 array of the same shape: element t is x[..., 0] + ... + x[..., t].
    """
    ### BEGIN SOLUTION
    return np.cumsum(np.asarray(x, dtype="float64"), axis=-1)
    ### END SOLUTION''',
        visible='''assert np.allclose(step_two([1.0, 2.0, 3.0]), [1.0, 3.0, 6.0]), "element t sums x[0..t]"''',
        hidden='''_x = np.arange(6.0).reshape(2, 3)
assert np.asarray(step_two(_x)).shape == (2, 3), "keep the shape: sum over the last (time) axis only"
assert np.allclose(step_two(_x), [[0, 1, 3], [3, 7, 12]]), "each row is summed on its own"''',
        wrong=("step_two_flattened", "np.cumsum without an axis flattens a batch.",
               '''def step_two(x):
    return np.cumsum(np.asarray(x, dtype="float64"))'''),
    ),
    dict(
        stem="step_three", mark="③", what="time reversal (TODO: the pattern's third piece)",
        answer='''def step_three(x):
    """TODO: say what the step computes. Placeholder: the sequences read backwards.

    Args:
        x: array-like of shape (batch, time) or (time,).
    Returns:
        NumPy array of the same shape and dtype, reversed along the last (time) axis.
    """
    ### BEGIN SOLUTION
    return np.asarray(x)[..., ::-1]
    ### END SOLUTION''',
        visible='''assert np.array_equal(step_three([1, 2, 3]), [3, 2, 1]), "read the sequence backwards"''',
        hidden='''_x = np.arange(6).reshape(2, 3)
assert np.array_equal(step_three(_x), [[2, 1, 0], [5, 4, 3]]), "reverse time (the last axis), not the batch"''',
        wrong=("step_three_reverses_batch", "Reverses the first axis (the batch) instead of time.",
               '''def step_three(x):
    return np.asarray(x)[::-1]'''),
    ),
]


class NewChapterError(ValueError):
    """A chapter that cannot be laid down (bad id, no course map row, files already there)."""


def course_map_row(root, number):
    """{'problem', 'section', 'pattern'} of chapter `number` in the course map of CHAPTER_CONTRACT.md, or None."""
    path = Path(root) / CONTRACT
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[:2] == ["ch", "problem"]:
            header = [c.lower() for c in cells]
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                values = [c.strip() for c in row.strip().strip("|").split("|")]
                if values[0].isdigit() and int(values[0]) == number:
                    get = dict(zip(header, values))
                    return {"problem": get.get("problem"), "section": get.get("section of the textbook chapter", ""),
                            "pattern": get.get("pattern", "")}
    return None


def pattern_terms(pattern):
    """'many-to-one (多对一), ...' for the vocabulary terms the course map's pattern names (a TODO when none)."""
    found = [f"{en} ({zh})" for en, zh in VOCABULARY.items() if en in pattern.lower()]
    return ", ".join(found) if found else "TODO-term (待定)"


def _cell_id(chapter_id, key):
    return hashlib.sha256(f"{chapter_id}/{key}".encode()).hexdigest()[:8]


def _lines(text):
    return text.splitlines(keepends=True)


def _markdown(chapter_id, key, text):
    return {"cell_type": "markdown", "id": _cell_id(chapter_id, key), "metadata": {}, "source": _lines(text)}


def _code(chapter_id, key, text, *, grade_id=None, solution=False, grade=False, points=None, tags=None):
    meta = {}
    if grade_id is not None:
        nb = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3, "solution": solution}
        if points is not None:
            nb["points"] = points
        meta["nbgrader"] = dict(sorted(nb.items()))
    if tags:
        meta["tags"] = list(tags)
    return {"cell_type": "code", "execution_count": None, "id": _cell_id(chapter_id, key), "metadata": meta,
            "outputs": [], "source": _lines(text)}


CHALLENGE_TEXT = """## 4 · Challenge: your own model against the limit

TODO: the chapter's task (keras_patterns/challenges/FAMILY.py) in place of the placeholder (two Gaussian
classes, whose Bayes accuracy is Phi(mu)). Say: what is fixed (the training and test sets, whatever the
profile; the loss), the limit and how it is computed on the same test set, the rules with their numbers
(parameters, optimizer updates = epochs x ceil(training examples / batch size), batch size), the scale
(full points within 2 points of the limit, none from 6, linear between), that the grade is the same on
every grading (seeded, deterministic ops), and the time budget (at most 30 s).

`build_challenge_model()` takes no argument and returns `(model, training)`: an **uncompiled**
`keras.Model` with TODO inputs (shape, dtype) and outputs (shape), and a dict with any of `optimizer`
(`"adam"`, `"adamw"`, `"rmsprop"`, `"sgd"`, `"nadam"`), `learning_rate` (float), `batch_size` (int) and
`epochs` (int). A design that breaks a rule scores 0, with a message saying what to change."""

CHALLENGE_ANSWER = """import keras


def build_challenge_model():
    \"\"\"Return (model, training): an uncompiled keras.Model and its training settings (see the rules above).\"\"\"
    ### BEGIN SOLUTION
    inputs = keras.Input(shape=(1,))
    outputs = keras.layers.Dense(2, activation="softmax")(inputs)
    model = keras.Model(inputs, outputs)
    return model, {"optimizer": "adam", "learning_rate": 0.05, "batch_size": 32, "epochs": 10}
    ### END SOLUTION"""

CHALLENGE_TEST = """\"\"\"Your design, trained on the fixed data and graded by its gap to the limit (points: its value below).\"\"\"
from keras_patterns.challenges import run_challenge
from keras_patterns.challenges.gaussians import two_gaussians_task  # TODO: the chapter's task

challenge_task = two_gaussians_task()
result = run_challenge(challenge_task, build_challenge_model, points=4)
assert result.params <= challenge_task.rules.max_params
### BEGIN HIDDEN TESTS
assert result.updates <= challenge_task.rules.max_updates
### END HIDDEN TESTS
result.points"""

#: The skeleton's challenge fixtures: a design that cannot learn the threshold (partial points), one too big (0).
CHALLENGE_FIXTURES = [
    {"name": "challenge_fixed_threshold",
     "description": "No bias and an input shifted by 0.65: the decision threshold is stuck at 0.65, not 0.",
     "cell": "challenge_answer",
     "source": CHALLENGE_ANSWER.split("    ### BEGIN SOLUTION")[0] + (
         "    inputs = keras.Input(shape=(1,))\n"
         "    shifted = keras.layers.Rescaling(1.0, offset=-0.65)(inputs)\n"
         "    outputs = keras.layers.Dense(2, activation=\"softmax\", use_bias=False)(shifted)\n"
         "    return keras.Model(inputs, outputs), {\"learning_rate\": 0.05, \"epochs\": 10}\n"),
     "fails": [], "partial": {"challenge_test": [0.5, 3.5]}},
    {"name": "challenge_too_many_parameters",
     "description": "A hidden layer of 64 units: more parameters than the rules allow.",
     "cell": "challenge_answer",
     "source": CHALLENGE_ANSWER.split("    ### BEGIN SOLUTION")[0] + (
         "    inputs = keras.Input(shape=(1,))\n"
         "    hidden = keras.layers.Dense(64, activation=\"tanh\")(inputs)\n"
         "    outputs = keras.layers.Dense(2, activation=\"softmax\")(hidden)\n"
         "    return keras.Model(inputs, outputs), {\"learning_rate\": 0.05, \"epochs\": 10}\n"),
     "fails": ["challenge_test"]},
]


def skeleton_notebook(chapter_id, title, problem, section, pattern):
    """The solution notebook of a new chapter (nbformat 4.5 JSON as a dict)."""
    number = int(CHAPTER_RE.match(chapter_id).group(1))
    ch = chapter_id
    steps_line = ", ".join(f"{s['mark']} {s['what']}" for s in STEPS)
    opening = f"""# Chapter {number:02d} · {title}

**Pattern:** {pattern_terms(pattern)} ·
**Textbook chapter:** 应用与跨学科连接 › {section or "TODO"}, problem {problem} ·
**Data:** TODO (`datasets/FAMILY/README.md`).

> TODO: the textbook chapter's sentence this chapter tests, in Chinese.

*TODO: its English translation.*

TODO: the idea in the course's words ({pattern or "the pattern"}), the exact limit or the classical baseline
it is measured against, and the claim to test.

**You will build** (graded): {steps_line}.
"""
    cells = [
        _markdown(ch, "opening", opening),
        _code(ch, "parameters", "# Papermill and `kp run` may override these; None means: read KP_PROFILE "
              "(smoke | default | full).\nPROFILE = None\nSEEDS = None", grade_id="parameters", tags=["parameters"]),
        _code(ch, "setup", """from keras_patterns.session import pick, set_seed, setup

session = setup(PROFILE)  # quiet logs, import Keras, run one op, seed everything

import matplotlib.pyplot as plt
import numpy as np

# TODO: from keras_patterns.data import FAMILY   (and write datasets/FAMILY/README.md)
from keras_patterns.results import ResultsRecord, verdict

CONFIG = pick(
    session.profile,
    smoke=dict(seeds=[0]),
    default=dict(seeds=[0, 1, 2]),
    full=dict(seeds=[0, 1, 2]),
)
SEEDS = SEEDS or CONFIG["seeds"]
print(f"profile={session.profile} backend={session.backend} device={session.device} seeds={SEEDS}")""",
              grade_id="setup"),
    ]
    for k, s in enumerate(STEPS, start=1):
        cells.append(_markdown(ch, f"{s['stem']}_text", f"## {k} · Step {s['mark']}: {s['what']}\n\n"
                               "TODO: what the step computes; its arguments' and return value's types, shapes and "
                               "dtypes; every size it leaves to you; the library functions it must not call (the "
                               "grader gives 0 to an answer that reaches them)."))
        cells.append(_code(ch, f"{s['stem']}_answer", s["answer"], grade_id=f"{s['stem']}_answer", solution=True))
        test = (f'"""TODO: what the tests check."""\n{s["visible"]}\n'
                f'### BEGIN HIDDEN TESTS\n{s["hidden"]}\n### END HIDDEN TESTS')
        cells.append(_code(ch, f"{s['stem']}_tests", test, grade_id=f"{s['stem']}_tests", grade=True, points=2))
    cells += [
        _markdown(ch, "challenge_text", CHALLENGE_TEXT),
        _code(ch, "challenge_answer", CHALLENGE_ANSWER, grade_id="challenge_answer", solution=True),
        _code(ch, "challenge_test", CHALLENGE_TEST, grade_id="challenge_test", grade=True, points=4),
        _markdown(ch, "figure_text", "## 5 · A figure\n\nTODO: the figure a lecturer would put on a slide."),
        _code(ch, "figure", """_t = np.arange(1, 11)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(_t, step_two(np.ones(10)) / _t, marker="o", label="TODO: model")
ax.axhline(1.0, color="0.4", linestyle="--", label="TODO: limit")
ax.set_xlabel("TODO")
ax.set_ylabel("TODO")
ax.legend()
plt.show()""", grade_id="locked_figure"),
        _markdown(ch, "claim_text", "## 6 · The claim, measured\n\nTODO: the textbook chapter's claim, what is "
                  "measured over the seeds, and the verdict (at `smoke` the numbers only prove that the code runs)."),
        _code(ch, "claim", f"""record = ResultsRecord("{ch}", session, seeds=SEEDS)
record.metric("TODO_metric", 0.0)
record.limit("TODO_limit", 0.0)
record.headline("TODO_metric", "TODO_limit")
record.claim("TODO_claim", "TODO: the claim, in words.", {{}}, verdict(False, inconclusive=True, profile=session.profile))
record.challenge(result)  # the reference design's challenge (this cell runs after the last graded cell)
record.save()  # prints where: build/results/{ch}.json at the course root, or $KP_RESULTS_DIR""", grade_id="locked_claim"),
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def skeleton_fixtures():
    """One wrong answer per placeholder step, each failing that step's test cell."""
    return [
        {"name": s["wrong"][0], "description": s["wrong"][1], "cell": f"{s['stem']}_answer",
         "source": s["wrong"][2].splitlines(), "fails": [f"{s['stem']}_tests"]}
        for s in STEPS
    ] + [{**fx, "source": fx["source"].splitlines()} for fx in CHALLENGE_FIXTURES]


def new_chapter(root, chapter_id, *, title=None, problem=None):
    """Write the skeleton of chapter `chapter_id` under the course `root`; returns the paths written.

    Args:
        root: the course root (holds `solutions/`, `autograder/`, `CHAPTER_CONTRACT.md`).
        chapter_id: `chNN_slug`.
        title: the notebook's title (default: a TODO).
        problem: the textbook chapter's problem id (default: the course map's, for chapter NN).

    Raises:
        NewChapterError: a bad id, no problem id, or the chapter's files (or screen entry) already there.
    """
    root = Path(root)
    m = CHAPTER_RE.match(chapter_id)
    if not m:
        raise NewChapterError(f"a chapter id is chNN_slug (lower case, digits, _); got {chapter_id!r}")
    row = course_map_row(root, int(m.group(1))) or {}
    problem = problem or row.get("problem")
    if not problem:
        raise NewChapterError(f"chapter {m.group(1)} has no row in the course map of {CONTRACT}; pass its problem id")
    notebook = root / "solutions" / chapter_id / f"{chapter_id}.ipynb"
    fixtures = root / "autograder" / "fixtures" / f"{chapter_id}.json"
    screen_path = root / "autograder" / "screen.json"
    screen = json.loads(screen_path.read_text(encoding="utf-8")) if screen_path.is_file() else {}
    there = [str(p.relative_to(root)) for p in (notebook.parent, fixtures) if p.exists()]
    if chapter_id in screen:
        there.append(f"{screen_path.relative_to(root)} entry {chapter_id}")
    if there:
        raise NewChapterError(f"{chapter_id} already has {', '.join(there)}; nothing written")

    nb = skeleton_notebook(chapter_id, title or "TODO: the chapter's title", problem, row.get("section", ""),
                           row.get("pattern", ""))
    notebook.parent.mkdir(parents=True)
    notebook.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    fixtures.parent.mkdir(parents=True, exist_ok=True)
    fixtures.write_text(json.dumps(skeleton_fixtures(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    screen[chapter_id] = [s["stem"] for s in STEPS]
    screen_path.parent.mkdir(parents=True, exist_ok=True)
    screen_path.write_text(json.dumps(screen, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [notebook, fixtures, screen_path]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder.new_chapter", description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", help="the new chapter's id, chNN_slug")
    parser.add_argument("--title", help="the notebook's title")
    parser.add_argument("--problem", help="the textbook chapter's problem id (default: from the course map)")
    parser.add_argument("--root", default=".", help="the course root (default: the current folder)")
    args = parser.parse_args(argv)
    try:
        written = new_chapter(args.root, args.chapter, title=args.title, problem=args.problem)
    except NewChapterError as err:
        print(f"kp new: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"next: replace every TODO, then see 'How to add a chapter' in {CONTRACT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
