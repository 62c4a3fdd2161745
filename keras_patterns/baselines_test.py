import numpy as np
import pytest

from keras_patterns.baselines import majority_accuracy, window_features, window_logreg_accuracy


def test_window_features_place_neighbours_and_chain_ends():
    tokens = np.array([[1, 2, 3, 0]])
    mask = tokens > 0
    f = window_features(tokens, mask, num_tokens=3, half_width=1).reshape(3, 3, 4)
    # Residue 0: left neighbour is beyond the chain (id 0), itself 1, right 2.
    assert f[0].argmax(-1).tolist() == [0, 1, 2]
    assert f[2].argmax(-1).tolist() == [2, 3, 0]
    assert f.sum() == 9


def test_window_logreg_learns_a_local_rule():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 5, size=(200, 30))
    y = (np.roll(x, -1, axis=1) > 2).astype(int)  # the class is read off the right neighbour
    y[:, -1] = 0
    m = np.ones_like(x, bool)
    acc = window_logreg_accuracy((x[:150], y[:150], m[:150]), (x[150:], y[150:], m[150:]), 4, half_width=1, C=10)
    assert acc > 0.97
    assert majority_accuracy(y[:150], m[:150], y[150:], m[150:]) < 0.7


def test_bad_tokens_are_named():
    with pytest.raises(ValueError, match="1..3"):
        window_features(np.array([[4]]), np.array([[True]]), 3)


# --- Issue 15: exact values (counted by hand), defaults, dtype. ---


def test_majority_accuracy_is_the_test_share_of_the_training_majority():
    # Training: real labels 2, 2, 1, 0, 2 (the padded 1s do not count): the majority is 2.
    y_train = np.array([[2, 2, 1, 1], [0, 2, 1, 1]])
    m_train = np.array([[1, 1, 1, 0], [1, 1, 0, 0]])
    # Test: real labels 2, 0, 2, 1 -> 2 of 4 are 2; the padded 2 does not count.
    y_test = np.array([[2, 0, 2], [1, 2, 2]])
    m_test = np.array([[1, 1, 1], [1, 0, 0]])
    assert majority_accuracy(y_train, m_train, y_test, m_test) == 0.5
    assert majority_accuracy(y_train, m_train, y_test == 2, m_test) == 0.0  # labels 1/0: 2 is never right


def test_window_features_default_half_width_is_eight_and_float32():
    tokens = np.array([[1, 2, 3]])
    f = window_features(tokens, tokens > 0, num_tokens=3)
    assert f.dtype == np.float32
    assert f.shape == (3, 17 * 4)
    np.testing.assert_array_equal(f, window_features(tokens, tokens > 0, num_tokens=3, half_width=8))
    # The centre slot (8) holds the residue itself.
    assert f.reshape(3, 17, 4)[:, 8].argmax(-1).tolist() == [1, 2, 3]


def test_window_logreg_defaults_are_the_documented_ones():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 5, size=(60, 20))
    y = ((np.roll(x, -3, axis=1) + x) % 3).astype(int)  # a rule over a window of 4
    m = np.ones_like(x, bool)
    train, test = (x[:40], y[:40], m[:40]), (x[40:], y[40:], m[40:])
    default = window_logreg_accuracy(train, test, 4)
    assert default == window_logreg_accuracy(train, test, 4, half_width=8, C=0.05, seed=0)
    assert default != window_logreg_accuracy(train, test, 4, half_width=8, C=5.0)
    assert default != window_logreg_accuracy(train, test, 4, half_width=9)


@pytest.mark.parametrize("seed", [0, 1])
def test_window_logreg_default_regularisation_is_c_0_05(seed):
    # Few noisy chains: the strength of the L2 penalty changes the predictions (C=0.05 against C=1.05).
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 5, size=(30, 20))
    y = ((np.roll(x, -1, axis=1) > 2) ^ (rng.random((30, 20)) < 0.3)).astype(int)
    m = np.ones_like(x, bool)
    train, test = (x[:15], y[:15], m[:15]), (x[15:], y[15:], m[15:])
    default = window_logreg_accuracy(train, test, 4, half_width=3)
    assert default == window_logreg_accuracy(train, test, 4, half_width=3, C=0.05)
    assert default != window_logreg_accuracy(train, test, 4, half_width=3, C=1.05)
