"""Chapter 03's challenge: does a DNA sequence carry a CTCF site? Graded against the exact Bayes classifier.

Sequences of `LENGTH = 40` bases come from the generator of `keras_patterns.data.motifs`: uniform
background, and in about half of them one CTCF site (JASPAR MA0139.1, 19 bases) at a uniform position. A
design reads the one-hot sequence, float32 of shape `(batch, 40, 4)`, and returns the probabilities of
"no site" and "site", float of shape `(batch, 2)` (a many-to-one model; any architecture). It is trained
with sparse categorical cross-entropy on fixed training sequences (their labels only: the per-base labels
are not part of the challenge) and scored on fixed, independent test sequences.

The limit is the Bayes classifier's accuracy *on the same test sequences*: it thresholds the exact
posterior `P(site | x)` (`oracles.motifs.presence_posterior`, a sum over the 22 placements) at 1/2. On
average it scores 98.94 % (the data card's table); a model that has not found the motif scores 50 %.

The score is the test accuracy in points (percent); the gap is the limit minus the score. The data do
not depend on the profile. NumPy only: it builds the same task on every backend.

Used in chapter 03.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.challenges.gaussians import accuracy_points
from keras_patterns.checks import check_positive_int
from keras_patterns.data import motifs
from keras_patterns.oracles import motifs as oracle

#: Bases per sequence.
LENGTH = 40

#: Fixed sizes and seeds of the training and test sequences (independent of the chapter's own data).
NUM_TRAIN = 4000
NUM_TEST = 4000
TRAIN_SEED = 3_001
TEST_SEED = 3_002

#: The default rules: parameters, optimizer updates, batch size, and the scale in accuracy points.
RULES = dict(max_params=20_000, max_updates=600, max_batch_size=256, full_within=2.0, zero_at=10.0)


def challenge_sequences(num_sequences, seed, length=LENGTH):
    """Sequences of the challenge: `(x, y, ids)`, float32 one-hot `(N, length, 4)`, int32 `(N,)`, int32 `(N, length)`."""
    data = motifs.sample_motif_sequences(check_positive_int("num_sequences", num_sequences), length, seed=seed)
    return motifs.one_hot(data["ids"]), data["present"], data["ids"]


def motifs_task(num_train=NUM_TRAIN, num_test=NUM_TEST, **rules):
    """The chapter-03 challenge: a CTCF site in a 40-base sequence, or not.

    Args:
        num_train: training sequences (fixed seed `TRAIN_SEED`).
        num_test: test sequences (fixed seed `TEST_SEED`, independent of the training ones).
        **rules: overrides of `RULES` (20,000 parameters, 600 updates, batch at most 256, full points
            within 2 accuracy points of the limit, none from 10).

    Returns:
        A `ChallengeTask`: `x_train` float32 `(num_train, 40, 4)`, `y_train` int32 `(num_train,)`,
        `x_test` float32 `(num_test, 40, 4)`, `y_test` int32 `(num_test,)`; loss
        "sparse_categorical_crossentropy"; score the test accuracy in points; limit the Bayes
        classifier's accuracy on the same test sequences.

    Example:

    >>> task = motifs_task()
    >>> task.x_train.shape, task.y_test.shape, round(task.limit, 2)
    ((4000, 40, 4), (4000,), 98.75)

    Used in chapter 03.
    """
    x_train, y_train, _ = challenge_sequences(num_train, TRAIN_SEED)
    x_test, y_test, ids_test = challenge_sequences(num_test, TEST_SEED)
    posterior = oracle.presence_posterior(ids_test, motifs.pwm())
    limit = 100.0 * oracle.rule_accuracy(posterior, y_test)
    return ChallengeTask(
        name=f"say whether a {LENGTH}-base DNA sequence carries a CTCF site (JASPAR MA0139.1, 19 bases)",
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, loss="sparse_categorical_crossentropy",
        score=accuracy_points, limit=limit, higher_is_better=True, units="accuracy points",
        rules=ChallengeRules(**{**RULES, **rules}),
        describe_limit=(f"the Bayes classifier P(site | x) > 1/2, summed over the {LENGTH - 18} placements, on the "
                        f"same test sequences ({limit:.2f} %; 98.94 % on average)"),
    )
