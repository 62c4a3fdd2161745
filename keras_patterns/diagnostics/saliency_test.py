"""Tests of keras_patterns.diagnostics.saliency: gradient norms of known functions, and the ratio's definition."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.diagnostics.saliency import position_saliency, saliency_ratio
from keras_patterns.models.multitask import build_multitask_model


def test_linear_model_saliency_is_the_weight_norm_per_position():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 4)).astype("float32")
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (3, 6))]
    s = position_saliency(lambda t: keras.ops.sum(t * w, axis=(1, 2))[:, None], x)
    assert s.shape == (3, 6) and s.dtype == np.float64
    np.testing.assert_allclose(s, np.tile(np.linalg.norm(w, axis=1), (3, 1)), rtol=1e-5)


def test_quadratic_model_saliency_depends_on_each_sequence_and_picks_the_unit():
    # f_k(x) = (k + 1) * sum x^2: gradient 2 (k + 1) x, norm 2 (k + 1) |x_t| per position.
    x = np.random.default_rng(1).normal(size=(4, 5, 3)).astype("float32")
    fn = lambda t: {"global": keras.ops.stack([keras.ops.sum(t ** 2, axis=(1, 2)) * (k + 1) for k in range(2)], axis=1)}
    for unit in (0, 1):
        s = position_saliency(fn, x, unit=unit, batch_size=3)
        np.testing.assert_allclose(s, 2 * (unit + 1) * np.linalg.norm(x, axis=-1), rtol=1e-5)


def test_saliency_of_a_multitask_model_reads_the_global_logit():
    keras.utils.set_random_seed(0)
    model = build_multitask_model(4, 4, bidirectional=False)
    x = np.eye(4, dtype="float32")[np.random.default_rng(2).integers(0, 4, (2, 5))]
    s = position_saliency(model, x)
    eps = 1e-2
    # Finite differences of the global logit along the gradient direction at one position.
    base = np.asarray(model(x)["global"])[:, 0]
    for t in (0, 4):
        bumped = x.copy()
        bumped[:, t] += eps
        g = (np.asarray(model(bumped)["global"])[:, 0] - base) / eps
        assert np.all(np.abs(g) <= s[:, t] * 2 + 1e-3), "a directional derivative is bounded by the gradient norm"
    assert np.all(s >= 0) and np.any(s > 0)
    local = position_saliency(model, x, output="local")
    assert not np.allclose(local, s), "output='local' differentiates the other head"


def test_saliency_ratio_definition():
    s = np.array([[1.0, 4.0, 4.0, 1.0], [2.0, 2.0, 2.0, 6.0], [9.0, 9.0, 9.0, 9.0]])
    m = np.array([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    # Carriers: rows 0 and 1. Inside: 4, 4, 6 (mean 14/3); outside: 1, 1, 2, 2, 2 (mean 8/5).
    assert saliency_ratio(s, m) == pytest.approx((14 / 3) / (8 / 5))
    assert saliency_ratio(s, m.astype(bool)) == pytest.approx((14 / 3) / (8 / 5))
    assert saliency_ratio(s, m, carriers=[1, 0, 0]) == pytest.approx(4.0)
    assert saliency_ratio(s, m, carriers=np.array([True, True, True])) == pytest.approx((14 / 3) / (44 / 9))
    # 0/1 flags may come as floats (integral_floats), for in_motif and for carriers alike.
    assert saliency_ratio(s, m.astype("float64"), carriers=np.array([1.0, 0.0, 0.0])) == pytest.approx(4.0)


@pytest.mark.parametrize("call,match", [
    (lambda: saliency_ratio(np.ones((2, 3)), np.ones((2, 4))), "shapes"),
    (lambda: saliency_ratio(np.ones((2, 3)), np.zeros((2, 3))), "motif positions"),
    (lambda: saliency_ratio(np.ones((1, 3)), np.ones((1, 3))), "motif positions"),
    (lambda: saliency_ratio(-np.ones((1, 3)), np.array([[0, 1, 0]])), "non-negative"),
    (lambda: saliency_ratio(np.array([[0.0, 1.0, 0.0]]), np.array([[0, 1, 0]])), "outside"),
    (lambda: saliency_ratio(np.ones((1, 3)), np.array([[0, 2, 0]])), "in_motif"),
    (lambda: saliency_ratio(np.ones((1, 3)), np.array([[0.0, 0.5, 1.0]])), "in_motif"),  # not truncated to 0
    (lambda: saliency_ratio(np.ones((1, 3)), np.array([[0, 1, 0]]), carriers=[1, 1]), "carriers"),
    (lambda: saliency_ratio(np.ones((2, 3)), np.array([[0, 1, 0], [0, 1, 0]]), carriers=[1, 2]),
     "`carriers` must hold 0/1 flags in"),
    (lambda: position_saliency(lambda t: t[:, 0], np.ones((2, 3))), "inputs"),
    (lambda: position_saliency(lambda t: t[:, 0], np.ones((2, 3, 4)), unit=-1), "unit"),
    (lambda: position_saliency(lambda t: t[:, 0], np.ones((2, 3, 4)), batch_size=0), "batch_size"),
])
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
