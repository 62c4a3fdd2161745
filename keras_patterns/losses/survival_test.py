"""The hazard head's censored likelihood, the integrated survival and the consistency violation."""

import itertools

import keras
import numpy as np
import pytest

from keras_patterns.losses import survival as loss


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_integrated_survival_from_logits():
    z = np.random.default_rng(0).normal(-2, 1, (4, 52)).astype("float32")
    assert np.allclose(np.asarray(loss.survival_from_hazard_logits(z)), np.prod(1 - sigmoid(z.astype(float)), axis=1), rtol=1e-4)
    # where sigmoid rounds to 1, the product is 0, not NaN
    assert float(np.asarray(loss.survival_from_hazard_logits(np.array([[200.0, 0.0]], "float32")))[0]) == 0.0


def test_censored_nll_is_minus_the_log_likelihood_by_brute_force():
    rng = np.random.default_rng(1)
    z = rng.normal(-1, 1, (1, 4))
    h = sigmoid(z[0])
    for time, event in itertools.product(range(1, 5), (0, 1)):
        survive = np.prod(1 - h[:time - 1])
        likelihood = survive * (h[time - 1] if event else 1 - h[time - 1])
        got = float(np.asarray(loss.censored_nll(z.astype("float32"), np.array([time]), np.array([event])))[0])
        assert got == pytest.approx(-np.log(likelihood), rel=1e-4)


def test_censored_nll_is_stable():
    v = np.asarray(loss.censored_nll(np.array([[-300.0, 300.0]], "float32"), np.array([2]), np.array([1])))
    assert np.isfinite(v).all() and v[0] < 1e-6


def test_consistency_violation():
    v = np.asarray(loss.consistency_violation(np.array([[0.5], [1.0]], "float32"), np.zeros((2, 2), "float32")))
    assert np.allclose(v, [0.25, 0.75])
    with pytest.raises(ValueError, match="one row per subject"):
        loss.consistency_violation(np.zeros(3, "float32"), np.zeros((2, 2), "float32"))


def test_pack_targets():
    y = loss.pack_targets(np.array([2, 3, 1]), np.array([1, 0, 0]), weeks=3)
    assert y.dtype == np.float32
    assert y.tolist() == [[0, 1, -1, 0], [0, 0, 0, 1], [0, -1, -1, -1]]


def test_penalised_loss_parts():
    t, e = np.array([3, 1, 2]), np.array([0, 0, 1])
    y = loss.pack_targets(t, e, 3)
    p = np.random.default_rng(2).normal(-1, 1, (3, 4)).astype("float32")
    nll = np.asarray(loss.censored_nll(p[:, :3], t, e))
    status = np.array([1.0, -1.0, 0.0])
    zs = p[:, 3].astype(float)
    head = np.where(status >= 0, np.maximum(zs, 0) - np.maximum(status, 0) * zs + np.log1p(np.exp(-np.abs(zs))), 0.0)
    viol = np.abs(sigmoid(zs) - np.prod(1 - sigmoid(p[:, :3].astype(float)), axis=1))
    for w in (0.0, 2.5):
        got = np.asarray(loss.penalised_survival_loss(y, p, w))
        assert np.allclose(got, nll + head + w * viol, atol=1e-5)


def test_keras_losses_train_and_serialise():
    l = loss.PenalisedSurvivalLoss(weight=3.0)
    again = keras.losses.deserialize(keras.losses.serialize(l))
    assert isinstance(again, loss.PenalisedSurvivalLoss) and again.weight == 3.0
    y = loss.pack_targets(np.array([2, 1]), np.array([1, 0]), 2)
    p = np.zeros((2, 3), "float32")
    assert float(l(y, p)) == pytest.approx(float(np.mean(np.asarray(loss.penalised_survival_loss(y, p, 3.0)))), rel=1e-6)
    c = loss.CensoredHazardLoss()
    h = np.full((2, 2), 0.25, "float32")
    want = np.mean(np.asarray(loss.censored_nll(np.log(h / (1 - h)), np.array([2, 1]), np.array([1, 0]))))
    assert float(c(y[:, :2], h)) == pytest.approx(float(want), rel=1e-5)
    assert isinstance(keras.losses.deserialize(keras.losses.serialize(c)), loss.CensoredHazardLoss)


@pytest.mark.parametrize("call, match", [
    (lambda: loss.censored_nll(np.zeros((2, 3), "float32"), np.array([0, 1]), np.array([0, 1])), "time"),
    (lambda: loss.censored_nll(np.zeros((2, 3), "float32"), np.array([4, 1]), np.array([0, 1])), "time"),
    (lambda: loss.censored_nll(np.zeros((2, 3), "float32"), np.array([1, 1]), np.array([0, 2])), "event"),
    (lambda: loss.censored_nll(np.zeros(3, "float32"), np.array([1]), np.array([0])), "subjects, weeks"),
    (lambda: loss.PenalisedSurvivalLoss(weight=-1.0), "weight"),
    (lambda: loss.pack_targets(np.array([1]), np.array([0]), 0), "weeks"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
