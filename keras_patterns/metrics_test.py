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
