"""Chapter 03's challenge: fixed sequences, the Bayes limit on the same test set, rules and the scale."""

import keras
import numpy as np
import pytest

from keras_patterns.challenges import ChallengeRuleError, run_challenge
from keras_patterns.challenges import motifs as challenge
from keras_patterns.data import motifs


@pytest.fixture(scope="module")
def task():
    return challenge.motifs_task()


def conv_design(filters=8, epochs=4):
    """A PWM scanner: one convolution as wide as the motif, max over positions, a softmax."""
    def build():
        x = keras.Input(shape=(challenge.LENGTH, 4))
        h = keras.layers.Conv1D(filters, 19, activation="relu")(x)
        h = keras.layers.GlobalMaxPooling1D()(h)
        model = keras.Model(x, keras.layers.Dense(2, activation="softmax")(h))
        return model, {"optimizer": "adam", "learning_rate": 1e-2, "batch_size": 64, "epochs": epochs}
    return build


def test_sizes_dtypes_and_fixed_data(task):
    assert task.x_train.shape == (4000, 40, 4) and task.x_train.dtype == np.float32
    assert task.x_test.shape == (4000, 40, 4) and task.y_test.dtype == np.int32
    np.testing.assert_array_equal(task.x_train.sum(axis=-1), 1.0)
    again = challenge.motifs_task()
    np.testing.assert_array_equal(again.x_test, task.x_test)
    assert not np.array_equal(task.x_train[:100], task.x_test[:100]), "train and test are independent draws"
    assert 0.45 < task.y_train.mean() < 0.55


def test_limit_is_the_bayes_rule_on_the_test_set_by_direct_summation(task):
    ids = task.x_test.argmax(axis=-1)
    m, width = motifs.pwm(), 19
    # P(x | site) / P(x | none) = mean over placements of prod_j 4 m[j, x_{s+j}]; site when it exceeds 1.
    ratio = np.zeros(len(ids))
    for s in range(40 - width + 1):
        ratio += np.prod(4 * m[np.arange(width), ids[:, s:s + width]], axis=1)
    ratio /= 40 - width + 1
    assert task.limit == pytest.approx(100 * np.mean((ratio > 1) == (task.y_test == 1)), abs=1e-9)
    assert task.limit == pytest.approx(98.75, abs=1e-9)


def test_motifs_task_wires_its_arguments_data_limit_and_rules():
    # motifs_task called here, not through the module fixture (a mutation run does not rerun a fixture's
    # builder for each of its mutants): small sets, a rule override, every field checked independently.
    task = challenge.motifs_task(num_train=30, num_test=100, max_updates=10)  # the rule misses 1 of these 100
    for x, y, num, seed in ((task.x_train, task.y_train, 30, challenge.TRAIN_SEED),
                            (task.x_test, task.y_test, 100, challenge.TEST_SEED)):
        data = motifs.sample_motif_sequences(num, challenge.LENGTH, seed=seed)
        assert x.dtype == np.float32 and np.array_equal(x, np.eye(4, dtype="float32")[data["ids"]])
        assert np.array_equal(y, data["present"])
    ids, m, width = task.x_test.argmax(axis=-1), motifs.pwm(), 19
    ratio = np.mean([np.prod(4 * m[np.arange(width), ids[:, s:s + width]], axis=1)
                     for s in range(challenge.LENGTH - width + 1)], axis=0)
    assert task.limit == pytest.approx(100 * np.mean((ratio > 1) == (task.y_test == 1)), abs=1e-9)
    assert task.limit < 100
    assert task.loss == "sparse_categorical_crossentropy" and task.higher_is_better
    assert task.score is challenge.accuracy_points and task.units == "accuracy points" and task.sample_weight is None
    assert task.rules == challenge.ChallengeRules(**{**challenge.RULES, "max_updates": 10})
    assert task.name.startswith("say whether a 40-base DNA sequence carries a CTCF site")
    assert "summed over the 22 placements" in task.describe_limit and f"({task.limit:.2f} %;" in task.describe_limit


def test_a_pwm_scanner_comes_close_and_a_big_design_is_refused(task):
    result = run_challenge(task, conv_design(), points=4, verbose=False)
    assert result.score > task.limit - 4 and result.points > 0, result
    assert result.seconds < 30
    def too_big():
        x = keras.Input(shape=(40, 4))
        h = keras.layers.Flatten()(x)
        return keras.Model(x, keras.layers.Dense(2, activation="softmax")(keras.layers.Dense(200)(h))), {}
    with pytest.raises(ChallengeRuleError, match="parameters"):
        run_challenge(task, too_big, points=4, verbose=False)
    with pytest.raises(ChallengeRuleError):
        run_challenge(task, conv_design(epochs=20), points=4, verbose=False)


def test_bad_sizes_name_the_argument():
    with pytest.raises(ValueError, match="num_sequences"):
        challenge.challenge_sequences(0, seed=1)
