"""Chapter 01's challenge: tag every residue of fixed synthetic chains, graded against the exact smoothing limit.

The chains come from the chapter's `ProteinHMM` (`keras_patterns.data.proteins`,
the defaults: 11 hidden states, helix / strand / coil segments, Chou-Fasman
emissions with sharpness 2). Every chain has the same length, `LENGTH`
residues, so there is no padding and no mask: a design maps int32 tokens of
shape `(batch, LENGTH)` (ids 1..20) to class probabilities of shape
`(batch, LENGTH, 3)` (H, E, C; a softmax at every residue). It is trained with
sparse categorical cross-entropy on a fixed training set and scored on a fixed,
independent test set.

The score is Q3 in points: the percentage of test residues whose argmax class
is the true class, pooled over all residues. The limit is the Q3 of the exact
smoothing posterior P(class_t | x_1..x_T) (forward-backward,
`keras_patterns.oracles.hmm`) *on the same test chains*: no model can beat it
but by test noise, and measuring both on the same residues removes most of
that noise from the gap. The filtering posterior P(class_t | x_1..x_t), the
best a one-way (causal) model can do, is several points lower (see
`filtering_limit`), so a one-way design earns partial points at best.

The data do not depend on the profile (a grading at `smoke` grades the same
task). NumPy only: it builds the same task on every backend.

Used in chapter 01.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.checks import check_positive_int
from keras_patterns.data.proteins import ProteinHMM
from keras_patterns.oracles import hmm as hmm_oracle

#: Residues per chain (every chain of the task has this length: no padding).
LENGTH = 100

#: Fixed sizes (chains) and seeds of the training and the independent test set.
NUM_TRAIN = 600
NUM_TEST = 400
TRAIN_SEED = 1_001
TEST_SEED = 1_002

#: The default rules: parameters, optimizer updates, batch size, and the scale in Q3 points.
RULES = dict(max_params=15_000, max_updates=120, max_batch_size=32, full_within=2.0, zero_at=10.0)


def q3_points(y_true, probabilities):
    """Q3 in points: 100 x the fraction of residues whose argmax class is the true class, pooled.

    Args:
        y_true: integer array `(N, T)`, the true classes (0 = H, 1 = E, 2 = C).
        probabilities: array `(N, T, 3)`, a distribution (or any scores) per residue.

    Returns:
        A Python float in [0, 100].

    Example:

    >>> q3_points(np.array([[0, 1, 2, 2]]), np.eye(3)[[[0, 1, 0, 2]]])
    75.0
    """
    y_true = np.asarray(y_true)
    probabilities = np.asarray(probabilities)
    if probabilities.shape != y_true.shape + (3,):
        raise ValueError(
            f"the model must return one distribution over the 3 classes per residue, shape "
            f"{y_true.shape + (3,)}. Received: predictions of shape {probabilities.shape}"
        )
    return 100.0 * float(np.mean(np.argmax(probabilities, axis=-1) == y_true))


def sample_chains(num_chains, seed, length=LENGTH, model=None):
    """`num_chains` chains of `length` residues from `model` (default `ProteinHMM()`).

    Returns:
        `(tokens, labels)`: int32 arrays of shape `(num_chains, length)`, token ids in 1..20 and
        class ids in 0..2.
    """
    num_chains = check_positive_int("num_chains", num_chains)
    length = check_positive_int("length", length)
    model = ProteinHMM() if model is None else model
    tokens, labels = model.sample(num_chains, seed=seed, min_length=length, max_length=length)
    return np.stack(tokens).astype("int32"), np.stack(labels).astype("int32")


def _posterior_q3(tokens, labels, method, model=None):
    model = ProteinHMM() if model is None else model
    posteriors = model.label_posteriors(list(tokens), method)
    return 100.0 * hmm_oracle.argmax_accuracy(posteriors, list(labels))


def filtering_limit(task_or_tokens, labels=None, model=None):
    """The one-way limit: Q3 points of the exact filtering posterior's argmax on the test chains.

    Args:
        task_or_tokens: a task from `protein_task` (its test set is used), or int tokens `(N, T)`.
        labels: the classes `(N, T)` when tokens are given.
        model: the `ProteinHMM` (default `ProteinHMM()`).

    Returns:
        A Python float in [0, 100].
    """
    if isinstance(task_or_tokens, ChallengeTask):
        tokens, labels = task_or_tokens.x_test, task_or_tokens.y_test
    else:
        tokens = task_or_tokens
    return _posterior_q3(tokens, labels, "filtering", model)


def protein_task(num_train=NUM_TRAIN, num_test=NUM_TEST, **rules):
    """The chapter-01 challenge: a per-residue H/E/C tagger of fixed HMM chains, against the smoothing limit.

    Args:
        num_train: training chains (of `LENGTH` residues each).
        num_test: test chains, drawn independently of the training set.
        **rules: overrides of `RULES` (15,000 parameters, 120 updates, batch at most 32,
            full points within 2 Q3 points of the limit, none from 10).

    Returns:
        A `ChallengeTask`: `x_train` int32 `(num_train, 100)`, `y_train` int32 `(num_train, 100)`,
        `x_test` int32 `(num_test, 100)`, `y_test` int32 `(num_test, 100)`; loss
        "sparse_categorical_crossentropy" (the model outputs probabilities); score Q3 in points;
        limit the exact smoothing posterior's Q3 on the same test chains.

    Example:

    >>> task = protein_task()
    >>> task.x_train.shape, task.y_test.shape, round(task.limit, 1)
    ((600, 100), (400, 100), 79.8)
    """
    num_train = check_positive_int("num_train", num_train)
    num_test = check_positive_int("num_test", num_test)
    model = ProteinHMM()
    x_train, y_train = sample_chains(num_train, TRAIN_SEED, model=model)
    x_test, y_test = sample_chains(num_test, TEST_SEED, model=model)
    limit = _posterior_q3(x_test, y_test, "smoothing", model)
    settings = {**RULES, **rules}
    return ChallengeTask(
        name=(f"tag every residue (H, E, C) of {num_test} fixed synthetic chains of {LENGTH} residues, "
              f"trained on {num_train} others"),
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        loss="sparse_categorical_crossentropy", score=q3_points, limit=limit, higher_is_better=True,
        units="Q3 points", rules=ChallengeRules(**settings),
        describe_limit=f"the exact smoothing (forward-backward) posterior's Q3 on the same test chains, {limit:.2f}",
    )
