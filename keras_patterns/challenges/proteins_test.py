"""Chapter 01's challenge task: fixed chains, the exact smoothing limit on them, and a scale that tells designs apart."""

import keras
import numpy as np
import pytest

from keras_patterns.challenges import ChallengeRuleError, run_challenge
from keras_patterns.challenges import proteins as challenge
from keras_patterns.data.proteins import ProteinHMM


@pytest.fixture(scope="module")
def task():
    return challenge.protein_task()


def batched_label_posteriors(tokens, hmm, method):
    """Forward(-backward) on all chains at once (they share one length): an independent implementation."""
    num, length = tokens.shape
    likelihood = hmm.emission[:, tokens].transpose(1, 2, 0)  # (N, T, S)
    alpha = np.empty((num, length, hmm.num_states))
    predicted = np.broadcast_to(hmm.initial, (num, hmm.num_states))
    for t in range(length):
        joint = predicted * likelihood[:, t]
        alpha[:, t] = joint / joint.sum(axis=1, keepdims=True)
        predicted = alpha[:, t] @ hmm.transition
    states = alpha
    if method == "smoothing":
        beta = np.ones((num, hmm.num_states))
        states = np.empty_like(alpha)
        states[:, -1] = alpha[:, -1]
        for t in range(length - 2, -1, -1):
            beta = (likelihood[:, t + 1] * beta) @ hmm.transition.T
            beta /= beta.sum(axis=1, keepdims=True)
            post = alpha[:, t] * beta
            states[:, t] = post / post.sum(axis=1, keepdims=True)
    one_hot = np.eye(3)[hmm.state_to_label]  # (S, 3)
    return states @ one_hot


def test_the_limit_is_the_smoothing_posteriors_q3_on_the_same_test_chains(task):
    post = batched_label_posteriors(task.x_test, ProteinHMM(), "smoothing")
    assert task.limit == pytest.approx(100 * np.mean(post.argmax(-1) == task.y_test), abs=1e-9)
    assert task.limit == pytest.approx(challenge.q3_points(task.y_test, post), abs=1e-9)
    # The data card's smoothing limit at the defaults: 78.9 +- 0.3 % (chains of 50..200 residues).
    assert 77.5 < task.limit < 81.0


def test_the_one_way_limit_is_several_points_lower(task):
    post = batched_label_posteriors(task.x_test, ProteinHMM(), "filtering")
    filtering = challenge.filtering_limit(task)
    assert filtering == pytest.approx(100 * np.mean(post.argmax(-1) == task.y_test), abs=1e-9)
    # A perfect one-way design is more than full_within below the limit: it cannot earn full points.
    assert task.limit - filtering > task.rules.full_within + 3


@pytest.mark.parametrize("profile", ["smoke", "default", "full"])
def test_the_task_is_the_same_whatever_the_profile(task, profile, monkeypatch):
    monkeypatch.setenv("KP_PROFILE", profile)
    other = challenge.protein_task()
    assert other.x_train.shape == (challenge.NUM_TRAIN, challenge.LENGTH) == task.x_train.shape
    assert other.x_test.shape == (challenge.NUM_TEST, challenge.LENGTH) == task.x_test.shape
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(other, name), getattr(task, name)), name
    assert other.limit == task.limit and other.rules == task.rules


def test_the_data_are_tokens_and_classes_without_padding(task):
    for x, y in ((task.x_train, task.y_train), (task.x_test, task.y_test)):
        assert x.dtype == np.int32 and y.dtype == np.int32 and x.shape == y.shape
        assert x.min() >= 1 and x.max() <= 20, "token ids 1..20, no padding"
        assert set(np.unique(y)) == {0, 1, 2}
        assert np.all(y[:, 0] == 2), "every chain starts in coil"
    # Train and test are independent draws: no test chain appears in the training set.
    train = {row.tobytes() for row in task.x_train}
    assert not any(row.tobytes() in train for row in task.x_test)


def test_protein_task_wires_its_arguments_data_limit_and_rules():
    # protein_task called here, not through the module fixture (a mutation run does not rerun a fixture's
    # builder for each of its mutants): small sets, a rule override, every field checked independently.
    task = challenge.protein_task(num_train=30, num_test=20, max_updates=50)
    hmm = ProteinHMM()
    for (x, y), num, seed in (((task.x_train, task.y_train), 30, challenge.TRAIN_SEED),
                              ((task.x_test, task.y_test), 20, challenge.TEST_SEED)):
        tokens, labels = hmm.sample(num, seed=seed, min_length=challenge.LENGTH, max_length=challenge.LENGTH)
        assert x.dtype == np.int32 and y.dtype == np.int32
        assert np.array_equal(x, np.stack(tokens)) and np.array_equal(y, np.stack(labels))
    post = batched_label_posteriors(task.x_test, hmm, "smoothing")
    assert task.limit == pytest.approx(100 * np.mean(post.argmax(-1) == task.y_test), abs=1e-9)
    assert task.loss == "sparse_categorical_crossentropy" and task.score is challenge.q3_points
    assert task.higher_is_better and task.units == "Q3 points" and task.sample_weight is None
    assert task.rules == challenge.ChallengeRules(**{**challenge.RULES, "max_updates": 50})
    assert "20 fixed synthetic chains" in task.name and "trained on 30 others" in task.name
    assert f"{task.limit:.2f}" in task.describe_limit


def test_q3_points_pools_residues_and_checks_the_shape():
    y = np.array([[0, 1, 2, 2], [1, 1, 1, 1]])
    p = np.eye(3)[np.array([[0, 1, 0, 2], [0, 0, 0, 1]])]
    assert challenge.q3_points(y, p) == 50.0
    with pytest.raises(ValueError, match="one distribution over the 3 classes"):
        challenge.q3_points(y, p[..., :2])


def design(layers, epochs, learning_rate=1e-2, batch_size=32):
    def build():
        tokens = keras.Input(shape=(challenge.LENGTH,), dtype="int32")
        x = keras.layers.Embedding(21, 16)(tokens)
        for layer in layers():
            x = layer(x)
        probs = keras.layers.Dense(3, activation="softmax")(x)
        model = keras.Model(tokens, probs)
        return model, {"optimizer": "adam", "learning_rate": learning_rate, "batch_size": batch_size, "epochs": epochs}
    return build


def dilated_convs():
    return [keras.layers.Conv1D(32, 9, padding="same", activation="relu"),
            keras.layers.Conv1D(32, 9, padding="same", activation="relu", dilation_rate=2)]


def test_a_small_two_sided_design_earns_full_points_and_a_context_free_one_none(task):
    # Two dilated convolutions see 24 residues on each side: enough to come within 2 points (about 4 s).
    good = run_challenge(task, design(dilated_convs, epochs=6), points=4, verbose=False)
    assert good.gap <= task.rules.full_within and good.points == 4.0
    assert good.updates == 6 * int(np.ceil(challenge.NUM_TRAIN / 32)) <= task.rules.max_updates
    # One residue at a time (no context): at best the per-residue classifier, far below the limit.
    alone = run_challenge(task, design(lambda: [keras.layers.Dense(16, activation="relu")], epochs=3),
                          points=4, verbose=False)
    assert alone.gap >= task.rules.zero_at and alone.points == 0.0


def test_the_rules_refuse_a_too_large_or_too_long_design(task):
    wide = design(lambda: [keras.layers.Bidirectional(keras.layers.GRU(64, return_sequences=True))], epochs=1)
    with pytest.raises(ChallengeRuleError, match="parameters"):
        run_challenge(task, wide, points=4, verbose=False)
    with pytest.raises(ChallengeRuleError, match="optimizer updates"):
        run_challenge(task, design(dilated_convs, epochs=7), points=4, verbose=False)
    with pytest.raises(ChallengeRuleError, match="batch_size 64"):
        run_challenge(task, design(dilated_convs, epochs=1, batch_size=64), points=4, verbose=False)
