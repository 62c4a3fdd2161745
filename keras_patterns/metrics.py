"""Metrics of the course's patterns, one per kind of output.

- Per position of a many-to-many tagger (多对多), with padding masks honoured:
  `masked_q3` and the streaming `MaskedQ3` (chapter 01), `per_step_accuracy`
  (chapter 14).
- Per horizon of a multi-step forecaster: `mse_per_horizon` (chapter 11).

Q3 (three-state accuracy) is the fraction of *residues* whose secondary
structure (helix H, strand E, coil C) is predicted correctly. It is pooled over
residues, not averaged per sequence: long chains weigh more, as in CASP and
in the DSSP literature.

Used in chapters 01, 11 and 14.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_patterns.checks import check_shapes


def masked_q3(y_true, y_prob, mask):
    """Fraction of unmasked positions whose argmax class equals the label.

    Args:
        y_true: int labels `(batch, T)`.
        y_prob: class scores `(batch, T, C)` (probabilities or logits).
        mask: `(batch, T)`, true / 1 where the position is real.

    Returns:
        A scalar tensor: correct real positions / real positions.

    Raises:
        ValueError: on mismatched shapes, or when the mask has no real position.

    Example:

    >>> y_true = np.array([[0, 1, 2]])
    >>> y_prob = np.eye(3)[[[0, 2, 2]]]
    >>> float(masked_q3(y_true, y_prob, np.array([[1, 1, 0]])))   # 1 of 2
    0.5

    Used in chapter 01.
    """
    y_true = ops.convert_to_tensor(y_true)
    y_prob = ops.convert_to_tensor(y_prob)
    mask = ops.convert_to_tensor(mask)
    check_shapes(y_true=(y_true, ("batch", "T")), y_prob=(y_prob, ("batch", "T", "C")), mask=(mask, ("batch", "T")))
    real = ops.cast(mask, "float32")
    total = ops.sum(real)
    if float(ops.convert_to_numpy(total)) == 0:
        raise ValueError("masked_q3: the mask has no real position (all padding); nothing to score.")
    hits = ops.cast(ops.equal(ops.argmax(y_prob, axis=-1), ops.cast(y_true, "int64")), "float32")
    return ops.sum(hits * real) / total


@keras.saving.register_keras_serializable(package="keras_patterns")
class MaskedQ3(keras.metrics.Metric):
    """Streaming per-residue Q3 for `model.compile(metrics=[...])`.

    The padding mask that Keras attaches to `y_pred` (from `mask_zero=True`)
    is read here, as Keras's own metrics do, and multiplied into any
    `sample_weight`: padded positions never count. Counts are pooled over
    residues across batches.

    Args:
        name: metric name (default "q3").
        dtype: accumulator dtype.

    Example:

    >>> metric = MaskedQ3()
    >>> y_prob = np.eye(3)[[[0, 2, 2], [1, 1, 1]]]            # predicted classes 0 2 2 and 1 1 1
    >>> metric.update_state(np.array([[0, 1, 2]]), y_prob[:1], sample_weight=np.array([[1, 1, 0]]))
    >>> metric.update_state(np.array([[1, 0, 0]]), y_prob[1:])   # pooled: 1 + 1 right of 2 + 3
    >>> round(float(metric.result()), 4)
    0.4
    >>> metric.reset_state(); float(metric.result())
    0.0

    In a model: `model.compile("adam", "sparse_categorical_crossentropy", metrics=[MaskedQ3()])`.

    Used in chapter 01.
    """

    def __init__(self, name="q3", dtype="float32", **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct", dtype=self.dtype)
        self.count = self.add_variable(shape=(), initializer="zeros", name="count", dtype=self.dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.convert_to_tensor(y_true), "int64")
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        hits = ops.cast(ops.equal(ops.argmax(y_pred, axis=-1), y_true), self.dtype)
        # Keras does not pass the mask to metrics; its own metrics fetch it like this.
        mask = keras.src.backend.get_keras_mask(y_pred)
        weight = ops.ones_like(hits) if sample_weight is None else ops.cast(sample_weight, self.dtype)
        if mask is not None:
            weight = weight * ops.cast(mask, self.dtype)
        weight = ops.broadcast_to(ops.reshape(weight, ops.shape(weight)[: len(hits.shape)]), ops.shape(hits))
        self.correct.assign_add(ops.sum(hits * weight))
        self.count.assign_add(ops.sum(weight))

    def result(self):
        return ops.divide_no_nan(self.correct, self.count)

    def reset_state(self):
        self.correct.assign(0.0)
        self.count.assign(0.0)


def per_step_accuracy(y_true, y_prob):
    """Accuracy of the argmax prediction at each step of a many-to-many output.

    Args:
        y_true: Int targets, shape `(batch, steps)`.
        y_prob: Probabilities, shape `(batch, steps, num_classes)`; a tensor
            of any backend or a numpy array.

    Returns:
        A float64 numpy array of shape `(steps,)`.

    Example:

    >>> per_step_accuracy(np.array([[1, 0]]), np.array([[[0.2, 0.8], [0.3, 0.7]]])).tolist()
    [1.0, 0.0]

    Used in chapter 14.
    """
    y_prob = ops.convert_to_tensor(y_prob)
    y_true = ops.convert_to_tensor(y_true, dtype="int32")
    check_shapes(y_true=(y_true, ("batch", "steps")), y_prob=(y_prob, ("batch", "steps", "num_classes")))
    predicted = ops.argmax(y_prob, axis=-1)
    hits = ops.equal(ops.cast(predicted, "int32"), y_true)
    accuracy = ops.mean(ops.cast(hits, "float32"), axis=0)
    return np.asarray(ops.convert_to_numpy(accuracy), dtype="float64")


def mse_per_horizon(y_true, y_pred):
    """Mean squared error of each column (horizon) over the samples.

    Args:
        y_true: array of shape `(N, num_horizons)`.
        y_pred: array of the same shape.

    Returns:
        A float64 NumPy array of shape `(num_horizons,)`.

    Example:

    >>> mse_per_horizon(np.zeros((4, 2)), np.ones((4, 2)))    # shape (2,)
    array([1., 1.])

    Used in chapter 11.
    """
    y_true = np.asarray(y_true, dtype="float64")
    y_pred = np.asarray(y_pred, dtype="float64")
    check_shapes(y_true=(y_true, ("N", "num_horizons")), y_pred=(y_pred, ("N", "num_horizons")))
    return np.mean((y_true - y_pred) ** 2, axis=0)
