"""Chapter 14's challenge: fixed walks, the Bayes limit on the same test walks, and the scale on cheap designs.

The designs here are lookup tables on one node of the window (68 weights,
about 2 s each): reading `X_4` is the Bayes classifier itself, reading `X_5`
is held to `acc(5)`, reading the last node to `acc(24)`.
"""

import math

import keras
import numpy as np
import pytest

from keras_patterns.challenges import ChallengeRuleError, run_challenge
from keras_patterns.challenges import walks
from keras_patterns.data import graphs
from keras_patterns.oracles import random_walks as rw


@pytest.fixture(scope="module")
def task():
    return walks.walks_task()


def lookup(position, epochs=10, learning_rate=3e-2, batch_size=128):
    """A design that reads one node of the window through a 34 x 2 table of logits."""
    def build():
        x = keras.Input(shape=(walks.WINDOW,), dtype="int32")
        node = keras.layers.Lambda(lambda t: t[:, position])(x)
        logits = keras.layers.Embedding(graphs.NUM_NODES, 2)(node)
        return keras.Model(x, keras.layers.Softmax()(logits)), {
            "optimizer": "adam", "learning_rate": learning_rate, "batch_size": batch_size, "epochs": epochs}
    return build


def independent_bayes(x):
    """The Bayes rule from the whole window, by the chain rule, with no shortcut through the Markov property.

    P(c(X_0) = c, X_4..X_24 = x) = sum_{u in c} (1/n) P^4[u, x_0] prod_t P[x_t, x_{t+1}];
    P^4 by repeated vector-matrix products, not `matrix_power`.
    """
    g, labels = graphs.karate_club()
    a = np.zeros((34, 34))
    for u, v in g.edges():
        a[u, v] = a[v, u] = 1.0
    p = a / a.sum(axis=1, keepdims=True)
    steps = walks.LENGTH - walks.WINDOW + 1
    scores = np.zeros((len(x), 2))
    for c in (0, 1):
        law = (labels == c) / 34.0
        for _ in range(steps):
            law = law @ p
        log_rest = np.log(p[x[:, :-1], x[:, 1:]]).sum(axis=1)
        scores[:, c] = np.log(law[x[:, 0]]) + log_rest
    return scores.argmax(axis=1)


def test_sizes_dtypes_and_that_the_window_is_the_end_of_the_walk(task):
    assert task.x_train.shape == (walks.NUM_TRAIN, walks.WINDOW) == (4000, 21)
    assert task.x_test.shape == (walks.NUM_TEST, walks.WINDOW) == (4000, 21)
    assert task.x_train.dtype == np.int32 and task.y_train.dtype == np.int32
    assert set(np.unique(task.y_test)) == {0, 1} and task.x_test.min() >= 0 and task.x_test.max() < 34
    p, labels = walks.graph()
    full = graphs.sample_walks(p, walks.LENGTH, walks.NUM_TEST, seed=walks.TEST_SEED)
    assert np.array_equal(task.x_test, full[:, -walks.WINDOW:])
    assert np.array_equal(task.y_test, labels[full[:, 0]])
    # Consecutive window nodes are neighbours in the graph: the window is a walk.
    assert np.all(p[task.x_test[:, :-1], task.x_test[:, 1:]] > 0)
    # Training and test walks are independent draws.
    assert not np.array_equal(task.x_train, task.x_test)


def test_walks_task_wires_its_arguments_data_limit_and_rules():
    # walks_task called here, not through the module fixture (a mutation run does not rerun a fixture's
    # builder for each of its mutants): small sets, a rule override, every field checked independently.
    task = walks.walks_task(num_train=50, num_test=60, max_updates=10)
    p, labels = walks.graph()
    for x, y, num, seed in ((task.x_train, task.y_train, 50, walks.TRAIN_SEED),
                            (task.x_test, task.y_test, 60, walks.TEST_SEED)):
        full = graphs.sample_walks(p, walks.LENGTH, num, seed=seed)
        assert np.array_equal(x, full[:, -walks.WINDOW:]) and np.array_equal(y, labels[full[:, 0]])
    bayes = independent_bayes(task.x_test)
    assert task.limit == pytest.approx(100.0 * np.mean(bayes == task.y_test), abs=1e-9)
    assert task.loss == "sparse_categorical_crossentropy" and task.higher_is_better
    assert task.score is walks.accuracy_points and task.units == "accuracy points" and task.sample_weight is None
    assert task.rules == walks.ChallengeRules(**{**walks.RULES, "max_updates": 10})
    assert task.name.endswith("from its last 21 nodes (X_4..X_24)")
    mean = 100 * rw.global_bayes_accuracy(p, labels, 4)
    assert f"({task.limit:.2f} %; {mean:.2f} % on average)" in task.describe_limit


@pytest.mark.parametrize("profile", ["smoke", "default", "full"])
def test_the_task_does_not_depend_on_the_profile(task, monkeypatch, profile):
    monkeypatch.setenv("KP_PROFILE", profile)
    again = walks.walks_task()
    assert np.array_equal(again.x_train, task.x_train) and np.array_equal(again.y_test, task.y_test)
    assert again.limit == task.limit and again.rules == task.rules


def test_the_limit_is_the_bayes_rule_on_the_same_test_walks(task):
    bayes = independent_bayes(task.x_test)
    assert np.array_equal(bayes, walks.bayes_predictions(task.x_test))
    assert task.limit == pytest.approx(100.0 * np.mean(bayes == task.y_test), abs=1e-9)
    # Golden numbers: 74.975 % on these 4000 test walks; acc(4) = 74.51 % on average, within test noise.
    assert task.limit == pytest.approx(74.975, abs=1e-9)
    mean = 100.0 * rw.global_bayes_accuracy(*walks.graph(), 4)
    assert abs(task.limit - mean) < 2 * 100 * math.sqrt(0.75 * 0.25 / walks.NUM_TEST)


def test_the_training_walks_hold_the_bayes_rule(task):
    # The majority start community of each first window node, counted on the training walks, is the
    # Bayes rule: a design that learns it from the data reaches the limit.
    first = task.x_train[:, 0]
    counts = np.zeros((34, 2))
    np.add.at(counts, (first, task.y_train), 1)
    seen = counts.sum(axis=1) > 0
    assert np.array_equal(counts[seen].argmax(axis=1), walks.bayes_predictions(np.flatnonzero(seen)[:, None]))


def test_reading_x4_earns_full_points_and_the_same_every_time(task):
    first = run_challenge(task, lookup(0), points=4, verbose=False)
    second = run_challenge(task, lookup(0), points=4, verbose=False)
    assert first.points == 4.0 and first.gap <= 2.0
    assert (first.score, first.points) == (second.score, second.points)
    assert first.params == 68 and first.updates == 10 * math.ceil(4000 / 128)


def test_reading_the_wrong_node_loses_points(task):
    # X_5 carries acc(5) = 70.9 % on average (72.1 % here): partial points. The last node, acc(24) = 51.3 %: none.
    second = run_challenge(task, lookup(1), points=4, verbose=False)
    assert 0.0 < second.points < 4.0 and 2.0 < second.gap < 6.0
    last = run_challenge(task, lookup(walks.WINDOW - 1), points=4, verbose=False)
    assert last.points == 0.0 and last.gap > 15.0


def test_a_design_over_the_update_limit_is_refused(task):
    with pytest.raises(ChallengeRuleError, match="400"):
        run_challenge(task, lookup(0, epochs=20, batch_size=64), points=4, verbose=False)
