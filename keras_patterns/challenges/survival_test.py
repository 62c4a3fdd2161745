"""Chapter 05's challenge: fixed data, the exact limit, the score, and a rule."""

import keras
import numpy as np
import pytest

from keras_patterns.challenges import ChallengeRuleError, run_challenge
from keras_patterns.challenges.survival import survival_error, survival_task


@pytest.fixture(scope="module")
def task():
    return survival_task(num_train=300, num_test=200)


def test_task_is_fixed_and_the_truth_scores_zero(task):
    again = survival_task(num_train=300, num_test=200)
    assert np.array_equal(task.x_train, again.x_train) and np.array_equal(task.y_test, again.y_test)
    assert task.limit == 0.0 and not task.higher_is_better
    assert set(np.unique(task.y_train)) <= {-1.0, 0.0, 1.0}


def test_score_in_survival_points():
    score = survival_error(np.array([0.5, 0.81]))
    assert score(None, np.array([[0.5, 0.0], [0.1, 0.1]])) == pytest.approx(0.0)
    assert score(None, np.array([[0.0, 0.0], [0.1, 0.1]])) == pytest.approx(25.0)
    with pytest.raises(ValueError, match="one hazard per week"):
        score(None, np.zeros(2))
    with pytest.raises(ValueError, match="probabilities"):
        score(None, np.full((2, 2), 2.0))


def test_a_constant_hazard_is_far_and_a_trained_gru_is_closer(task):
    def constant():
        x = keras.Input(shape=(52, 4))
        out = keras.layers.Reshape((52,))(keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros")(x))
        return keras.Model(x, out), {"epochs": 1, "learning_rate": 1e-9}

    def gru():
        x = keras.Input(shape=(52, 4))
        h = keras.layers.GRU(8, return_sequences=True)(x)
        out = keras.layers.Reshape((52,))(keras.layers.Dense(1, activation="sigmoid")(h))
        return keras.Model(x, out), {"learning_rate": 1e-2, "batch_size": 32, "epochs": 5}

    flat = run_challenge(task, constant, points=4, verbose=False)
    trained = run_challenge(task, gru, points=4, verbose=False)
    assert flat.score > 15 and flat.points == 0   # hazard 1/2 every week: survival ~ 0
    assert trained.score < flat.score


def test_rules(task):
    def big():
        x = keras.Input(shape=(52, 4))
        out = keras.layers.Reshape((52,))(keras.layers.Dense(1, activation="sigmoid")(keras.layers.GRU(64, return_sequences=True)(x)))
        return keras.Model(x, out), {}
    with pytest.raises(ChallengeRuleError, match="parameters"):
        run_challenge(task, big, points=4, verbose=False)
