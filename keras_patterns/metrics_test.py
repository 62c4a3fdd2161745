"""Tests of keras_patterns.metrics: padding never counts, pooling is over positions, shapes are checked."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_patterns import metrics  # noqa: E402
from keras_patterns.metrics import MaskedQ3, masked_q3, mse_per_horizon  # noqa: E402
from keras_patterns.models.taggers import build_causal_tagger  # noqa: E402


def _probs(model, x):
    return keras.ops.convert_to_numpy(model(x))


def test_masked_q3_pools_residues_and_ignores_padding():
    y_true = np.array([[0, 1, 2, 0], [1, 1, 0, 0]])
    pred = np.array([[0, 1, 0, 2], [2, 2, 2, 2]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]])
    y_prob = np.eye(3)[pred]
    # Row 0: positions 0 and 1 right of 4 real; row 1: none of its 2 real positions.
    assert float(masked_q3(y_true, y_prob, mask)) == pytest.approx(2 / 6)
    metric = MaskedQ3()
    metric.update_state(y_true, y_prob, sample_weight=mask)
    assert float(metric.result()) == pytest.approx(2 / 6)


def test_masked_q3_refuses_bad_shapes_and_empty_masks():
    with pytest.raises(ValueError, match="Received shapes"):
        masked_q3(np.zeros((2, 3)), np.zeros((2, 4, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="no real position"):
        masked_q3(np.zeros((1, 3)), np.zeros((1, 3, 3)), np.zeros((1, 3)))


def test_compiled_metric_ignores_padding():
    keras.utils.set_random_seed(0)
    model = build_causal_tagger(20, num_hiddens=4)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[MaskedQ3()])
    x = np.array([[1, 2, 3, 0, 0]], "int32")
    pred = _probs(model, x)[0].argmax(-1)
    # Labels that the model gets right on the real positions and wrong on the padded ones:
    # a metric that counted padding would score 3/5 instead of 1.
    y = np.concatenate([pred[:3], (pred[3:] + 1) % 3])[None]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["q3"] == pytest.approx(1.0)


def test_per_step_accuracy():
    y = np.array([[0, 1, 1], [1, 1, 0]])
    probs = np.eye(2)[np.array([[0, 1, 0], [0, 1, 0]])] * 0.8 + 0.1
    np.testing.assert_allclose(metrics.per_step_accuracy(y, probs), [0.5, 1.0, 0.5])
    with pytest.raises(ValueError, match="Received shapes"):
        metrics.per_step_accuracy(y[:, :2], probs)


def test_mse_per_horizon_is_per_column():
    y_true = np.zeros((4, 3))
    y_pred = np.array([[1.0, 0.0, 2.0]] * 4)
    np.testing.assert_allclose(mse_per_horizon(y_true, y_pred), [1.0, 0.0, 4.0])
    with pytest.raises(ValueError, match="same"):
        mse_per_horizon(np.zeros((2, 3)), np.zeros((2, 2)))


# --- Issue 15: pooling over batches, reset, the mask times sample_weight, and properties. ---

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _batch(rng, batch, steps, classes=3):
    y = rng.integers(0, classes, size=(batch, steps))
    prob = rng.dirichlet(np.ones(classes), size=(batch, steps))
    mask = rng.integers(0, 2, size=(batch, steps))
    mask[:, 0] = 1
    return y, prob, mask


def _q3_by_hand(y, prob, weight):
    hits = (prob.argmax(-1) == y).astype(float)
    return float((hits * weight).sum() / weight.sum())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n1=st.integers(1, 4), n2=st.integers(1, 4), steps=st.integers(1, 6))
def test_metrics_pooled_over_two_batches_equal_the_metric_on_their_concatenation(seed, n1, n2, steps):
    rng = np.random.default_rng(seed)
    (y1, p1, m1), (y2, p2, m2) = _batch(rng, n1, steps), _batch(rng, n2, steps)
    y, p, m = np.concatenate([y1, y2]), np.concatenate([p1, p2]), np.concatenate([m1, m2])
    metric = MaskedQ3()
    metric.update_state(y1, p1, sample_weight=m1)
    metric.update_state(y2, p2, sample_weight=m2)
    whole = float(masked_q3(y, p, m))
    assert float(metric.result()) == pytest.approx(whole, abs=1e-6)
    assert whole == pytest.approx(_q3_by_hand(y, p, m), abs=1e-6)
    # Pooled over positions, not the mean of the two batches' scores (they differ in general).
    np.testing.assert_allclose(
        metrics.per_step_accuracy(y, p),
        (n1 * metrics.per_step_accuracy(y1, p1) + n2 * metrics.per_step_accuracy(y2, p2)) / (n1 + n2), atol=1e-6)
    t1, t2 = rng.normal(size=(n1, steps)), rng.normal(size=(n2, steps))
    q1, q2 = rng.normal(size=(n1, steps)), rng.normal(size=(n2, steps))
    np.testing.assert_allclose(
        mse_per_horizon(np.concatenate([t1, t2]), np.concatenate([q1, q2])),
        (n1 * mse_per_horizon(t1, q1) + n2 * mse_per_horizon(t2, q2)) / (n1 + n2), rtol=1e-10)


def test_masked_q3_metric_pools_batches_and_resets():
    # Batch 1: 1 right of 2 real positions; batch 2: 3 right of 3. Pooled: 4 / 5 (the mean of scores is 0.75).
    eye = np.eye(3)
    metric = MaskedQ3()
    metric.update_state(np.array([[0, 1, 2]]), eye[[[0, 2, 2]]], sample_weight=np.array([[1, 1, 0]]))
    assert float(metric.result()) == pytest.approx(0.5)
    metric.update_state(np.array([[1, 1, 0]]), eye[[[1, 1, 0]]])
    assert float(metric.result()) == pytest.approx(4 / 5)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    metric.update_state(np.array([[1, 1, 0]]), eye[[[1, 0, 0]]])
    assert float(metric.result()) == pytest.approx(2 / 3)  # nothing left of the first two batches
    # Labels with a trailing axis of 1, as Keras passes them for sparse targets.
    metric.reset_state()
    metric.update_state(np.array([[[0], [1], [2]]]), eye[[[0, 1, 0]]])
    assert float(metric.result()) == pytest.approx(2 / 3)


def test_masked_q3_metric_multiplies_the_padding_mask_into_sample_weight():
    keras.utils.set_random_seed(0)
    model = build_causal_tagger(20, num_hiddens=4)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[MaskedQ3()], weighted_metrics=[])
    x = np.array([[1, 2, 3, 4, 0], [5, 6, 7, 0, 0]], "int32")
    pred = _probs(model, x).argmax(-1)
    # Right at positions (0, 0), (0, 1), (1, 0); wrong at every other position, padded ones included.
    y = (pred + 1) % 3
    y[0, :2] = pred[0, :2]
    y[1, 0] = pred[1, 0]
    weights = np.array([[2.0, 1.0, 1.0, 1.0, 5.0], [1.0, 3.0, 3.0, 9.0, 9.0]])
    metric = MaskedQ3()
    metric.update_state(y, model(x), sample_weight=weights)
    # Real weights: row 0: 2, 1, 1, 1 (right: 2 + 1); row 1: 1, 3, 3 (right: 1), 12 in all.
    # Padded weights 5, 9, 9 drop out (counting them would give 4 / 35); ignoring the weights, 3 / 7.
    assert float(metric.result()) == pytest.approx(4 / 12)
    plain = MaskedQ3()
    plain.update_state(y, model(x))
    assert float(plain.result()) == pytest.approx(3 / 7)


def test_masked_q3_function_and_per_step_accuracy_by_hand():
    y = np.array([[2, 0], [1, 1]])
    logits = np.array([[[0.0, 1.0, 3.0], [5.0, 0.0, 0.0]], [[0.0, 0.0, 1.0], [0.0, 2.0, 0.0]]])
    assert float(masked_q3(y, logits, np.ones((2, 2)))) == pytest.approx(3 / 4)   # logits work too
    assert float(masked_q3(y, logits, np.array([[1, 0], [1, 0]]))) == pytest.approx(1 / 2)
    acc = metrics.per_step_accuracy(y, logits)
    assert acc.dtype == np.float64
    np.testing.assert_allclose(acc, [0.5, 1.0])


def test_mse_per_horizon_averages_over_samples_by_hand():
    y_true = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]])
    y_pred = np.array([[0.0, 2.0], [1.0, 1.0], [0.0, 3.0]])
    mse = mse_per_horizon(y_true, y_pred)
    assert mse.dtype == np.float64 and mse.shape == (2,)
    np.testing.assert_allclose(mse, [(1 + 4 + 0) / 3, (0 + 4 + 9) / 3])
    np.testing.assert_allclose(mse_per_horizon([[1, 2]], [[1, 2]]), [0.0, 0.0])  # lists and ints are accepted


def test_masked_q3_state_variables_are_named():
    # The names are what a checkpoint of the metric's state and `metric.variables` show.
    assert [v.name for v in MaskedQ3().variables] == ["correct", "count"]
