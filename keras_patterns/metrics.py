"""Per-position metrics for many-to-many taggers, with padding masks honoured.

Q3 (three-state accuracy) is the fraction of *residues* whose secondary
structure (helix H, strand E, coil C) is predicted correctly. It is pooled over
residues, not averaged per sequence: long chains weigh more, as in CASP and
in the DSSP literature.

Used in chapter 01.
"""

from __future__ import annotations

import keras
from keras import ops


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
    if len(y_prob.shape) != 3 or tuple(y_true.shape) != tuple(y_prob.shape[:2]) or tuple(mask.shape) != tuple(y_true.shape):
        raise ValueError(
            "masked_q3 expects y_true (batch, T), y_prob (batch, T, C) and mask (batch, T). "
            f"Received shapes: y_true={tuple(y_true.shape)}, y_prob={tuple(y_prob.shape)}, mask={tuple(mask.shape)}"
        )
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

    >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=[MaskedQ3()])

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
