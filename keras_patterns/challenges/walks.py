"""Chapter 14's challenge: name a walk's start community from a late window, against the Bayes classifier.

A simple random walk `X_0, ..., X_L` of `LENGTH = 24` steps on Zachary's
karate club starts at a node drawn uniformly from the 34 nodes. The sensor
starts late: a design sees only the last `WINDOW = 21` nodes,
`X_4, ..., X_24`, int32 of shape `(batch, 21)`, and returns the probabilities
of the community of the hidden start `X_0`, float of shape `(batch, 2)`
(a many-to-one model; any architecture). It is trained with sparse
categorical cross-entropy on fixed training walks and scored on fixed,
independent test walks.

The limit is the Bayes classifier's accuracy *on the same test walks*. By the
Markov property the window's later nodes say nothing more about `X_0` than its
first node `X_4` does, so the Bayes classifier names the community `c` that
maximises `P(c(X_0) = c | X_4 = v)` (`oracles.random_walks.start_community_posterior`
at `LENGTH - WINDOW + 1 = 4` steps); on average it scores `acc(4)` = 74.5 %
(`oracles.random_walks.window_bayes_accuracy`). A model that reads only the
last node is held to `acc(24)` = 51.3 %, one that reads the window's second
node instead of its first to `acc(5)` = 70.9 %: a design must carry `X_4`
across the window's 20 later steps (or see that it is all that matters). A
forward GRU that reads `X_4` first has to remember it for 20 steps, which
takes it more training than one that reads the window backwards.

The score is the test accuracy in points (percent); the gap is the limit
minus the score. The data do not depend on the profile (a grading at `smoke`
grades the same task). NumPy only: it builds the same task on every backend.

Used in chapter 14.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.challenges.gaussians import accuracy_points
from keras_patterns.checks import check_positive_int
from keras_patterns.data import graphs
from keras_patterns.oracles import random_walks as rw

#: The walk length L (steps) and the window the design sees (its last nodes, X_{L-WINDOW+1}..X_L).
LENGTH = 24
WINDOW = 21

#: Fixed sizes and seeds of the training and test walks (independent of the chapter's own walks).
NUM_TRAIN = 4000
NUM_TEST = 4000
TRAIN_SEED = 14_001
TEST_SEED = 14_002

#: The default rules: parameters, optimizer updates, batch size, and the scale in accuracy points.
RULES = dict(max_params=10_000, max_updates=400, max_batch_size=256, full_within=2.0, zero_at=6.0)


def graph():
    """The challenge's graph: `(transition, labels)` of the karate club, float64 (34, 34) and int64 (34,)."""
    g, labels = graphs.karate_club()
    return rw.transition_matrix(g), labels


def window_walks(num_walks, seed, length=LENGTH, window=WINDOW):
    """Walks of `length` steps, start uniform, cut to their last `window` nodes.

    Returns:
        `(x, y)`: int32 `x` of shape `(num_walks, window)`, the nodes
        `X_{length-window+1}, ..., X_length`, and int32 `y` of shape
        `(num_walks,)`, the community of the hidden start `X_0`.
    """
    transition, labels = graph()
    walks = graphs.sample_walks(transition, length, check_positive_int("num_walks", num_walks), seed=seed)
    return graphs.make_global_targets(walks, labels, window=window)


def bayes_predictions(x, length=LENGTH, window=WINDOW):
    """The Bayes classifier's start community for windows `x` (N, window): int64 (N,).

    It reads the window's first node `X_{length-window+1}` through the exact
    posterior `P(c(X_0) | X_{length-window+1})`; the later nodes add nothing
    (Markov property).
    """
    transition, labels = graph()
    posterior = rw.start_community_posterior(transition, labels, length - window + 1)
    return posterior[np.asarray(x)[:, 0]].argmax(axis=-1)


def walks_task(num_train=NUM_TRAIN, num_test=NUM_TEST, **rules):
    """The chapter-14 challenge: the start community of a karate-club walk from its last 21 of 25 nodes.

    Args:
        num_train: training walks (fixed seed `TRAIN_SEED`).
        num_test: test walks (fixed seed `TEST_SEED`, independent of the training walks).
        **rules: overrides of `RULES` (10,000 parameters, 400 updates, batch at most 256,
            full points within 2 accuracy points of the limit, none from 6).

    Returns:
        A `ChallengeTask`: `x_train` int32 `(num_train, 21)`, `y_train` int32
        `(num_train,)`, `x_test` int32 `(num_test, 21)`, `y_test` int32
        `(num_test,)`; loss "sparse_categorical_crossentropy"; score the test
        accuracy in points; limit the Bayes classifier's accuracy on the same
        test walks.

    Example:

    >>> task = walks_task()
    >>> task.x_train.shape, task.y_test.shape, round(task.limit, 1)
    ((4000, 21), (4000,), 75.0)
    """
    x_train, y_train = window_walks(num_train, TRAIN_SEED)
    x_test, y_test = window_walks(num_test, TEST_SEED)
    bayes = bayes_predictions(x_test)
    limit = 100.0 * float(np.mean(bayes == y_test))
    settings = {**RULES, **rules}
    steps = LENGTH - WINDOW + 1
    return ChallengeTask(
        name=(f"name the start community of a {LENGTH}-step walk on the karate club from its last {WINDOW} nodes "
              f"(X_{steps}..X_{LENGTH})"),
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, loss="sparse_categorical_crossentropy",
        score=accuracy_points, limit=limit, higher_is_better=True, units="accuracy points",
        rules=ChallengeRules(**settings),
        describe_limit=(f"the Bayes classifier argmax_c P(c(X_0) = c | X_{steps}) on the same test walks "
                        f"({limit:.2f} %; {100 * rw.global_bayes_accuracy(*graph(), steps):.2f} % on average)"),
    )
