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
