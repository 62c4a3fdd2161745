"""The challenge mechanism on a task whose Bayes accuracy is known in closed form.

Two Gaussian classes N(-mu, 1) and N(+mu, 1) in one dimension, equally likely:
the Bayes classifier is sign(x) and its accuracy is Phi(mu). A logistic
regression can reach it; a model that never trains cannot.
"""

import math

import keras
import numpy as np
import pytest
from scipy.stats import norm

from keras_patterns.challenges import ChallengeRuleError, ChallengeRules, check_training, run_challenge
from keras_patterns.challenges.gaussians import accuracy_points, two_gaussians_task

MU = 1.0


def gaussian_task(**kwargs):
    return two_gaussians_task(mu=MU, **kwargs)


def logistic(epochs=10, learning_rate=0.05, batch_size=32, hidden=None):
    def build():
        inputs = keras.Input(shape=(1,))
        h = inputs if hidden is None else keras.layers.Dense(hidden, activation="tanh")(inputs)
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))
        return model, {"optimizer": "adam", "learning_rate": learning_rate, "batch_size": batch_size,
                       "epochs": epochs}
    return build


def test_limit_is_the_closed_form_bayes_accuracy():
    task = gaussian_task()
    assert abs(task.limit - 100 * norm.cdf(MU)) < 1.5  # 4000 test draws: sd about 0.6 points


def test_two_gaussians_task_defaults_data_and_fields():
    task = two_gaussians_task()
    explicit = two_gaussians_task(mu=1.0, num_train=512, num_test=4000, seed=7)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(task, name), getattr(explicit, name)), "the defaults are mu=1, 512, 4000, seed 7"
    assert task.x_train.shape == (512, 1) and task.x_test.shape == (4000, 1) and task.x_test.dtype == np.float32
    assert task.y_test.shape == (4000,) and set(np.unique(task.y_test)) == {0, 1}
    assert task.limit == pytest.approx(100 * np.mean((task.x_test[:, 0] > 0) == (task.y_test == 1)), abs=1e-9)
    assert task.loss == "sparse_categorical_crossentropy" and task.higher_is_better
    assert task.units == "accuracy points" and task.name == "two Gaussian classes 2 apart"
    assert task.describe_limit == "the Bayes classifier x > 0 on the same test draws"
    assert task.rules == ChallengeRules(max_params=50, max_updates=400, max_batch_size=64, full_within=2.0,
                                        zero_at=6.0)
    # Another mu, sizes and seed: class means at -mu and +mu with unit spread (4000 draws: sd of a mean ~0.03).
    other = two_gaussians_task(mu=2.5, num_train=30, num_test=4000, seed=3, max_updates=10)
    assert len(other.x_train) == 30 and other.rules.max_updates == 10 and other.rules.max_params == 50
    x, y = other.x_test[:, 0], other.y_test
    assert abs(x[y == 1].mean() - 2.5) < 0.15 and abs(x[y == 0].mean() + 2.5) < 0.15
    assert abs(x[y == 1].std() - 1.0) < 0.1 and 0.45 < y.mean() < 0.55
    assert not np.array_equal(other.x_test, two_gaussians_task(mu=2.5, num_test=4000, seed=4).x_test)


def test_accuracy_points_is_the_argmax_accuracy_in_points():
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert accuracy_points([0, 1, 1], p) == pytest.approx(200 / 3)
    assert accuracy_points(np.array([1, 0, 0]), p) == pytest.approx(100 / 3)
    assert accuracy_points([2, 0], np.eye(3)[[2, 0]]) == 100.0


def test_points_scale_is_full_linear_then_zero():
    rules = ChallengeRules(max_params=1, max_updates=1, max_batch_size=1, full_within=2, zero_at=6)
    assert [rules.points(g, 4) for g in (0, 2, 3, 5, 6, 9)] == [4.0, 4.0, 3.0, 1.0, 0.0, 0.0]
    assert rules.points(float("nan"), 4) == 0.0
    with pytest.raises(ValueError, match="full_within"):
        ChallengeRules(max_params=1, max_updates=1, max_batch_size=1, full_within=6, zero_at=2)


def test_a_trained_logistic_regression_earns_full_points_and_the_same_every_run():
    task = gaussian_task()
    first = run_challenge(task, logistic(), points=4, verbose=False)
    second = run_challenge(task, logistic(), points=4, verbose=False)
    assert first.gap <= 2.0 and first.points == 4.0
    assert first.score == second.score and first.points == second.points
    assert first.params == 4 and first.updates == 10 * math.ceil(512 / 32)


def test_a_design_stuck_at_the_wrong_threshold_earns_partial_points():
    # No bias and the input shifted by 0.65: the decision is x > 0.65, whose expected accuracy is
    # (Phi(mu - 0.65) + Phi(mu + 0.65)) / 2 = 79.4 %, about 4.5 points below Phi(mu): on the linear part of the scale.
    def build():
        inputs = keras.Input(shape=(1,))
        shifted = keras.layers.Rescaling(1.0, offset=-0.65)(inputs)
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax", use_bias=False)(shifted)), {
            "learning_rate": 0.05, "epochs": 10}

    task = gaussian_task()
    stuck = run_challenge(task, build, points=4, verbose=False)
    expected = 50 * (norm.cdf(MU - 0.65) + norm.cdf(MU + 0.65))
    assert abs(stuck.score - expected) < 1.5
    assert 2.0 < stuck.gap < 6.0 and 0 < stuck.points < 4
    assert stuck.points == round(4 * (6.0 - stuck.gap) / 4.0, 2)


def test_a_wrong_gap_direction_would_show_for_errors():
    task = gaussian_task()
    task.higher_is_better = False
    assert task.gap(task.limit + 3) == 3 and task.gap(task.limit - 3) == 0


@pytest.mark.parametrize(
    "build, match",
    [
        (logistic(hidden=40), "parameters"),
        (logistic(epochs=100), "optimizer updates"),
        (logistic(batch_size=128), "batch_size 128"),
        (lambda: keras.Sequential([keras.layers.Dense(2)]), "pair"),
        (lambda: (keras.Sequential([keras.layers.Dense(2)]), {}), "no weights"),
        (lambda: ("model", {}), "keras.Model"),
    ],
)
def test_a_design_that_breaks_a_rule_is_refused_with_what_to_change(build, match):
    with pytest.raises(ChallengeRuleError, match=match):
        run_challenge(gaussian_task(), build, points=4, verbose=False)


def test_training_dict_checks():
    rules = ChallengeRules(max_params=10, max_updates=100, max_batch_size=64, full_within=1, zero_at=2)
    training, updates = check_training({"epochs": 3, "batch_size": 50}, rules, 100)
    assert updates == 6 and training["optimizer"] == "adam"
    # The last, partial batch of an epoch is an update too: 100 examples in batches of 32 are 4 updates.
    assert check_training({"epochs": 3, "batch_size": 32}, rules, 100)[1] == 12
    assert check_training({"epochs": 1, "batch_size": 64}, rules, 65)[1] == 2
    with pytest.raises(ChallengeRuleError, match="unknown keys"):
        check_training({"loss": "mse"}, rules, 100)
    with pytest.raises(ValueError, match="optimizer"):
        check_training({"optimizer": "lbfgs"}, rules, 100)
    with pytest.raises(ChallengeRuleError, match="at most 50 epochs"):
        check_training({"epochs": 51, "batch_size": 50}, rules, 100)


@pytest.mark.parametrize("name,cls", [("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"), ("sgd", "SGD"),
                                      ("nadam", "Nadam")])
def test_each_optimizer_name_builds_that_optimizer_with_the_learning_rate(name, cls):
    from keras_patterns.challenges.core import OPTIMIZERS, _optimizer

    assert name in OPTIMIZERS
    optimizer = _optimizer(name, 0.125)
    assert type(optimizer).__name__ == cls
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == 0.125


def test_points_at_the_edges_of_the_scale():
    rules = ChallengeRules(max_params=10, max_updates=10, max_batch_size=8, full_within=0.5, zero_at=2.5)
    assert rules.points(0.5, 3) == 3.0          # exactly at full_within: full points
    assert rules.points(2.5, 3) == 0.0          # exactly at zero_at: none
    assert rules.points(-1.0, 3) == 3.0         # better than the limit (test-set luck) is full points
    assert rules.points(1.5, 3) == 1.5
    assert rules.points(1.0, 3) == 2.25
    assert rules.points(float("nan"), 3) == 0.0
    assert rules.points(2.4999, 3) == 0.0       # rounded to 0.01 point


def test_the_result_keeps_the_completed_training_and_the_seconds_and_prints_once(capsys):
    task = gaussian_task()
    quiet = run_challenge(task, logistic(epochs=2), points=4, verbose=False)
    assert capsys.readouterr().out == ""  # nothing from fit or predict either
    assert quiet.training == {"optimizer": "adam", "learning_rate": 0.05, "batch_size": 32, "epochs": 2}
    assert isinstance(quiet.seconds, float) and quiet.seconds > 0 and round(quiet.seconds, 2) == quiet.seconds
    loud = run_challenge(task, logistic(epochs=2), points=4)
    assert capsys.readouterr().out == f"{loud}\n"
    assert str(loud).startswith(f"score {loud.score:.4g} against the limit {loud.limit:.4g}")


def test_training_shuffles_the_fixed_training_set():
    # The training set sorted by class: without shuffling, the last updates see class 1 only and one epoch of
    # plain SGD ends far from the Bayes threshold; shuffled batches mix both classes.
    import dataclasses

    task = gaussian_task()
    order = np.argsort(task.y_train, kind="stable")
    sorted_task = dataclasses.replace(task, x_train=task.x_train[order], y_train=task.y_train[order])

    def build():
        inputs = keras.Input(shape=(1,))
        model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))
        return model, {"optimizer": "sgd", "learning_rate": 0.5, "batch_size": 8, "epochs": 1}

    shuffled = run_challenge(sorted_task, build, points=4, verbose=False)
    # measured here: gap 0.0 shuffled, 21 points unshuffled
    assert shuffled.gap < 5.0, f"one shuffled epoch should reach the threshold, gap {shuffled.gap:.2f}"
