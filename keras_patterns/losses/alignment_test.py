"""Tests of keras_patterns.losses.alignment: the score against NumPy, the stop-gradient, the masked BCE."""

import keras
import numpy as np
import pytest

from keras_patterns.diagnostics.gradients import input_gradients
from keras_patterns.losses.alignment import alignment_loss, alignment_score, masked_binary_crossentropy


def _numpy_cosine(a, c, m):
    out = []
    for ai, ci, mi in zip(a, c, m):
        ai, ci = ai[mi > 0], ci[mi > 0]
        norm = np.linalg.norm(ai) * np.linalg.norm(ci)
        out.append(ai @ ci / norm if norm else 0.0)
    return np.array(out)


def test_alignment_score_is_the_masked_cosine():
    rng = np.random.default_rng(0)
    a, c = rng.random((6, 9)).astype("float32"), rng.random((6, 9)).astype("float32")
    m = (rng.random((6, 9)) < 0.7).astype("float32")
    m[0] = 0  # no real token: 0
    got = keras.ops.convert_to_numpy(alignment_score(a, c, m))
    np.testing.assert_allclose(got, _numpy_cosine(a, c, m), rtol=1e-5, atol=1e-6)
    assert got[0] == 0.0
    # Scale-free in each argument, 1 for proportional vectors.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(alignment_score(a, 3 * a, np.ones_like(a))), 1.0, rtol=1e-5)


def test_alignment_score_checks_shapes():
    with pytest.raises(ValueError, match="activity"):
        alignment_score(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 3)))


def test_alignment_loss_is_weight_times_one_minus_score_and_spares_the_activity():
    rng = np.random.default_rng(1)
    a, c = rng.random((4, 5)).astype("float32"), rng.random((4, 5)).astype("float32")
    weight = np.array([0.0, 1.0, 2.5, 1.0], "float32")[:, None] * np.array([[1, 1, 1, 1, 0]], "float32")
    pair = np.stack([a, c], -1)
    got = keras.ops.convert_to_numpy(alignment_loss(weight, pair))
    mask = (weight > 0).astype("float32")
    np.testing.assert_allclose(got, weight.max(-1) * (1 - _numpy_cosine(a, c, mask)), rtol=1e-5, atol=1e-6)
    grad = input_gradients(lambda p: alignment_loss(np.ones((4, 5), "float32"), p), pair.astype("float64"))
    assert np.all(grad[..., 0] == 0.0) and np.abs(grad[..., 1]).sum() > 0


def test_masked_binary_crossentropy_ignores_padding():
    y = np.array([[1, 0, -1, -1], [-1, -1, -1, -1]], "float32")
    p = np.array([[0.9, 0.2, 0.5, 0.99], [0.5, 0.5, 0.5, 0.5]], "float32")
    got = keras.ops.convert_to_numpy(masked_binary_crossentropy(y, p))
    np.testing.assert_allclose(got, [-(np.log(0.9) + np.log(0.8)) / 2, 0.0], rtol=1e-5)


def test_alignment_score_keeps_the_float_dtype_of_the_activity():
    """float64 in, float64 out, at float64 precision (where the backend has float64: JAX without x64 has not)."""
    a = np.array([[0.1, 0.7, 0.3, 0.2], [0.3, 0.1, 0.9, 0.4]])
    c = np.array([[0.7, 0.1, 0.3, 0.9], [0.2, 0.8, 0.1, 0.6]])
    m = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], "float32")
    got = alignment_score(a, c, m)
    if keras.backend.standardize_dtype(keras.ops.convert_to_tensor(np.float64(1.0)).dtype) != "float64":
        assert keras.backend.standardize_dtype(got.dtype) == "float32"  # JAX without x64: float64 is float32
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got), _numpy_cosine(a, c, m), rtol=1e-6)
        return
    assert keras.backend.standardize_dtype(got.dtype) == "float64"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(got), _numpy_cosine(a, c, m), rtol=1e-13)
    # An integer activity is scored in float32; integer contributions follow the activity's dtype.
    assert keras.backend.standardize_dtype(alignment_score(np.ones((2, 3), "int32"), c[:, :3], m[:, :3]).dtype) == "float32"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(alignment_score(a, np.array([[1, 0, 2, 5], [0, 1, 1, 3]]), m)),
                               _numpy_cosine(a, np.array([[1.0, 0, 2, 5], [0, 1, 1, 3]]), m), rtol=1e-13)
