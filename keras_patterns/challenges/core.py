"""The open challenge step: a student's own model, graded by its gap to the exact limit.

Every chapter ends with a challenge: the student designs a model (any
architecture) and its training (optimizer, learning rate, batch size,
epochs), within stated limits on parameters and optimizer updates, and the
grade is the trained model's measured gap to the exact limit (the Bayes
classifier, the optimal forecast) on a fixed test set. The course can do
this because it knows the best possible answer.

The pieces:

- `ChallengeRules`: the limits (parameters, updates, batch size) and the
  grading scale (full points within `full_within` of the limit, none from
  `zero_at` on, linear in between).
- `ChallengeTask`: the fixed data, the loss, the score, and the limit's
  score on the same test set (a chapter's module under
  `keras_patterns.challenges` builds one).
- `run_challenge(task, build, points=...)`: seeds everything (and makes
  TensorFlow's ops deterministic), calls the student's `build()`, checks the
  limits, compiles, trains, scores on the test set and returns a
  `ChallengeResult` whose `points` the test cell shows (nbgrader reads a
  test cell's numeric result as its partial credit).

The data and the training budget do not depend on the profile, so a grading
run at `smoke` grades the same challenge as a run at `default`; the limits
keep one run within the course's grading budget (at most 30 s on the
course's 2-core CPU, measured in each chapter's results record).

Used in chapters 01, 11 and 14 (and every chapter after them).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable

import numpy as np

from keras_patterns.checks import check_choice, check_positive_int, check_positive_number

#: Optimizers a design may name (Keras's own names).
OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd", "nadam")

#: The keys a design's training dict may hold, with their defaults.
TRAINING_DEFAULTS = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 32, "epochs": 1}


@dataclasses.dataclass(frozen=True)
class ChallengeRules:
    """The limits a design must keep and the scale that turns a gap into points.

    Args:
        max_params: most trainable and non-trainable weights the model may have.
        max_updates: most optimizer updates training may take
            (`epochs * ceil(num_train / batch_size)`).
        max_batch_size: largest mini-batch.
        full_within: a gap at or below this earns full points (in the task's units).
        zero_at: a gap at or above this earns none; linear in between.
    """

    max_params: int
    max_updates: int
    max_batch_size: int
    full_within: float
    zero_at: float

    def __post_init__(self):
        check_positive_int("max_params", self.max_params)
        check_positive_int("max_updates", self.max_updates)
        check_positive_int("max_batch_size", self.max_batch_size)
        check_positive_number("zero_at", self.zero_at)
        if not 0 <= self.full_within < self.zero_at:
            raise ValueError(
                f"full_within must be at least 0 and below zero_at. Received: full_within={self.full_within}, "
                f"zero_at={self.zero_at}"
            )

    def points(self, gap, points):
        """Points for a measured `gap` out of `points`: full up to `full_within`, 0 from `zero_at`, linear between.

        Rounded to 2 decimals, so that the grade a student sees is the grade stored.

        Example:

        >>> rules = ChallengeRules(max_params=1000, max_updates=100, max_batch_size=64, full_within=2, zero_at=6)
        >>> rules.points(1.5, 4), rules.points(4.0, 4), rules.points(7.0, 4)
        (4.0, 2.0, 0.0)
        """
        points = check_positive_number("points", points)
        gap = float(gap)
        if not math.isfinite(gap):
            return 0.0
        if gap <= self.full_within:
            return float(points)
        if gap >= self.zero_at:
            return 0.0
        return round(points * (self.zero_at - gap) / (self.zero_at - self.full_within), 2)

    def describe(self, units):
        """The rules in one sentence (what a task's `str()` prints)."""
        return (
            f"at most {self.max_params:,} parameters, {self.max_updates:,} optimizer updates "
            f"(epochs x ceil(training examples / batch size)), batch size at most {self.max_batch_size}; "
            f"full points within {self.full_within:g} {units} of the limit, none from {self.zero_at:g} {units} on"
        )


@dataclasses.dataclass
class ChallengeTask:
    """A chapter's challenge: fixed data, the loss, the score and the exact limit on the same test set.

    Args:
        name: what the challenge is, in the chapter's words.
        x_train, y_train: the fixed training set (arrays, or what `fit` takes).
        x_test, y_test: the fixed test set.
        loss: the loss the model is trained with (a Keras loss name or object).
        score: `score(y_test, predictions) -> float`, in the task's units.
        limit: the exact limit's score on the same test set.
        higher_is_better: True for accuracies, False for errors.
        units: how a gap is read, e.g. "accuracy points".
        rules: the `ChallengeRules`.
        sample_weight: training sample weights (e.g. a padding mask), or None.
        describe_limit: one line saying what the limit is.
    """

    name: str
    x_train: Any
    y_train: Any
    x_test: Any
    y_test: Any
    loss: Any
    score: Callable
    limit: float
    higher_is_better: bool
    units: str
    rules: ChallengeRules
    sample_weight: Any = None
    describe_limit: str = "the exact limit"

    @property
    def num_train(self):
        first = self.x_train[0] if isinstance(self.x_train, (tuple, list)) else self.x_train
        return len(first)

    def gap(self, score):
        """How far `score` is from the limit, in the task's units (never negative)."""
        gap = (self.limit - score) if self.higher_is_better else (score - self.limit)
        return max(0.0, float(gap))

    def __str__(self):
        return f"{self.name}: {self.rules.describe(self.units)}."


@dataclasses.dataclass
class ChallengeResult:
    """What one challenge run measured."""

    score: float
    limit: float
    gap: float
    points: float
    max_points: float
    params: int
    updates: int
    training: dict
    seconds: float
    units: str

    def as_dict(self):
        return dataclasses.asdict(self)

    def __str__(self):
        return (
            f"score {self.score:.4g} against the limit {self.limit:.4g}: gap {self.gap:.3g} {self.units} -> "
            f"{self.points:g} of {self.max_points:g} points ({self.params:,} parameters, {self.updates:,} updates, "
            f"{self.seconds:.1f} s)"
        )


class ChallengeRuleError(ValueError):
    """A design that breaks the challenge's rules (the message says which and how to fix it)."""


def check_training(training, rules, num_train):
    """Validate a design's training dict; return it completed with defaults and its number of updates."""
    if not isinstance(training, dict):
        raise ChallengeRuleError(
            f"build() must return (model, training) with training a dict of {sorted(TRAINING_DEFAULTS)}. "
            f"Received training of type {type(training).__name__}."
        )
    unknown = sorted(set(training) - set(TRAINING_DEFAULTS))
    if unknown:
        raise ChallengeRuleError(
            f"training has unknown keys {unknown}; allowed: {sorted(TRAINING_DEFAULTS)} (the loss and the data are fixed)."
        )
    out = {**TRAINING_DEFAULTS, **training}
    out["optimizer"] = check_choice("training['optimizer']", str(out["optimizer"]).lower(), OPTIMIZERS)
    out["learning_rate"] = check_positive_number("training['learning_rate']", out["learning_rate"])
    out["batch_size"] = check_positive_int("training['batch_size']", out["batch_size"])
    out["epochs"] = check_positive_int("training['epochs']", out["epochs"])
    if out["batch_size"] > rules.max_batch_size:
        raise ChallengeRuleError(
            f"batch_size {out['batch_size']} is above the challenge's limit of {rules.max_batch_size}: lower it."
        )
    updates = out["epochs"] * math.ceil(num_train / out["batch_size"])
    if updates > rules.max_updates:
        most = rules.max_updates // math.ceil(num_train / out["batch_size"])
        raise ChallengeRuleError(
            f"{out['epochs']} epochs of batch size {out['batch_size']} on {num_train} training examples are "
            f"{updates} optimizer updates; the challenge allows {rules.max_updates} (at this batch size, at most "
            f"{most} epochs)."
        )
    return out, updates


def deterministic(seed):
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic (same grade every time)."""
    import keras

    from keras_patterns.session import set_seed

    set_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _optimizer(name, learning_rate):
    import keras

    classes = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW, "rmsprop": keras.optimizers.RMSprop,
               "sgd": keras.optimizers.SGD, "nadam": keras.optimizers.Nadam}
    return classes[name](learning_rate=learning_rate)


def run_challenge(task, build, *, points, seed=0, verbose=True):
    """Train the student's design on the task's fixed data and grade its gap to the limit.

    Args:
        task: a `ChallengeTask`.
        build: a zero-argument callable returning `(model, training)`: an
            uncompiled `keras.Model` and a dict with any of `optimizer`
            (one of `OPTIMIZERS`), `learning_rate`, `batch_size`, `epochs`;
            a key left out takes its default from `TRAINING_DEFAULTS`
            ("adam", 1e-3, 32, 1).
            It is called after seeding, so its weights are the same every run.
        points: the test cell's points (the result's `points` is out of these).
        seed: the seed for weights and batch order.
        verbose: print one line of what was measured.

    Returns:
        A `ChallengeResult`.

    Raises:
        ChallengeRuleError: when the design breaks a limit (too many
            parameters, updates or a too large batch), or `build` returns
            something else than `(keras.Model, dict)`.
    """
    import keras

    if not callable(build):
        raise TypeError(f"build must be a zero-argument function returning (model, training). Received: {build!r}")
    points = check_positive_number("points", points)
    deterministic(seed)
    built = build()
    if not (isinstance(built, tuple) and len(built) == 2):
        raise ChallengeRuleError(
            "build() must return a pair (model, training): an uncompiled keras.Model and a dict such as "
            "{'optimizer': 'adam', 'learning_rate': 3e-3, 'batch_size': 32, 'epochs': 5}."
        )
    model, training = built
    if not isinstance(model, keras.Model):
        raise ChallengeRuleError(f"build()'s model must be a keras.Model. Received: {type(model).__name__}")
    training, updates = check_training(training, task.rules, task.num_train)
    if not model.built:
        raise ChallengeRuleError("build()'s model has no weights yet: give it an Input (keras.Input(shape=...)).")
    params = int(model.count_params())
    if params > task.rules.max_params:
        raise ChallengeRuleError(
            f"the model has {params:,} parameters; the challenge allows {task.rules.max_params:,}: make it smaller."
        )
    model.compile(optimizer=_optimizer(training["optimizer"], training["learning_rate"]), loss=task.loss)
    started = time.perf_counter()
    model.fit(task.x_train, task.y_train, sample_weight=task.sample_weight, batch_size=training["batch_size"],
              epochs=training["epochs"], shuffle=True, verbose=0)
    predictions = np.asarray(model.predict(task.x_test, batch_size=256, verbose=0))
    seconds = time.perf_counter() - started
    score = float(task.score(task.y_test, predictions))
    gap = task.gap(score)
    result = ChallengeResult(
        score=score, limit=float(task.limit), gap=gap, points=task.rules.points(gap, points), max_points=points,
        params=params, updates=updates, training=training, seconds=round(seconds, 2), units=task.units,
    )
    if verbose:
        print(result)
    return result
