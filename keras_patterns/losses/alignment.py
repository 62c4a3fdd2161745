"""The local-global alignment score between a per-token activity and a per-token contribution.

A multi-task model of chapter 04 has a many-to-many head, the per-token
activity `a_t` (probability that token `t` is in the reaction centre), and a
many-to-one head that decides the reaction type, to which each token
contributes `c_t` (the attention weights of an attention-pooled head, or
gradient x input after training). The alignment score (局部-全局对齐分数) is
their cosine over the real tokens of one example,

    align = sum_t m_t a_t c_t / (sqrt(sum_t m_t a_t^2) sqrt(sum_t m_t c_t^2)),

in [0, 1] for non-negative `a` and `c` (1: the head decides from the tokens
it calls active, in the same proportions), and 0 for an all-zero vector.
`alignment_loss` (weight x (1 - align)) is the regulariser of the joint loss; `masked_binary_crossentropy` is the many-to-many head's own loss.

Written with `keras.ops` (any backend). Used in chapter 04.
"""

from __future__ import annotations

import keras
from keras import ops

_EPSILON = 1e-7


def alignment_score(activity, contribution, mask):
    """Cosine between per-token activity and contribution over the real tokens, one value per example.

    Args:
        activity: float `(batch, steps)`, non-negative.
        contribution: float `(batch, steps)`, non-negative.
        mask: `(batch, steps)`, 1 (or True) on real tokens, 0 on padding.

    Returns:
        A float tensor `(batch,)` in [0, 1] (0 where either vector is all zero).

    Example:

    >>> a = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 9.0]], "float32")
    >>> c = np.array([[0.5, 0.0, 0.5], [1.0, 0.0, 0.0]], "float32")
    >>> m = np.array([[1, 1, 1], [1, 1, 0]], "float32")
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(alignment_score(a, c, m))]
    [1.0, 0.7071]
    """
    activity = ops.convert_to_tensor(activity)
    dtype = activity.dtype if "float" in str(activity.dtype) else "float32"
    activity = ops.cast(activity, dtype)
    contribution = ops.cast(contribution, dtype)
    mask = ops.cast(mask, dtype)
    if len(activity.shape) != 2 or tuple(contribution.shape) != tuple(activity.shape) \
            or tuple(mask.shape) != tuple(activity.shape):
        raise ValueError(
            "`activity`, `contribution` and `mask` must be 2-D arrays of one shape (batch, steps). Received: "
            f"activity.shape={tuple(activity.shape)}, contribution.shape={tuple(contribution.shape)}, "
            f"mask.shape={tuple(mask.shape)}"
        )
    a, c = activity * mask, contribution * mask
    dot = ops.sum(a * c, axis=-1)
    norms = ops.sqrt(ops.sum(a * a, axis=-1)) * ops.sqrt(ops.sum(c * c, axis=-1))
    return dot / ops.maximum(norms, _EPSILON)


@keras.saving.register_keras_serializable(package="keras_patterns")
def alignment_loss(y_true, y_pred):
    """weight x (1 - alignment), per example: the regulariser, as a Keras loss of a model's "alignment" output.

    The weight travels with the targets, so that one compiled model trains at
    every weight of a sweep without being traced again: `y_true` is the token
    mask times the weight `lambda` (`lambda` on real tokens, 0 on padding).
    The gradient reaches the contribution only: the activity is a constant here.

    Args:
        y_true: float `(batch, steps)`: `lambda >= 0` on real tokens, 0 on padding.
        y_pred: float `(batch, steps, 2)`: `[..., 0]` the activity, `[..., 1]` the contribution.

    Returns:
        A float tensor `(batch,)`; 0 when `lambda` is 0.

    Example:

    >>> activity, attention = [[1.0, 0.0, 1.0]], [[0.0, 0.0, 1.0]]
    >>> pair = np.stack([activity, attention], axis=-1).astype("float32")   # (1, 3, 2)
    >>> weight_on_tokens = 2.0 * np.ones((1, 3), "float32")
    >>> [round(float(v), 4) for v in keras.ops.convert_to_numpy(alignment_loss(weight_on_tokens, pair))]  # 2 (1 - 1/sqrt 2)
    [0.5858]
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    weight = ops.max(y_true, axis=-1)
    mask = ops.cast(y_true > 0, y_pred.dtype)
    # The activity is held fixed (stop_gradient): the term moves the contribution towards the tokens the
    # many-to-many head calls active, and leaves that head to its own labels (pulling it towards a peaked
    # attention would cost its F1).
    return weight * (1.0 - alignment_score(ops.stop_gradient(y_pred[..., 0]), y_pred[..., 1], mask))


@keras.saving.register_keras_serializable(package="keras_patterns")
def masked_binary_crossentropy(y_true, y_pred):
    """Binary cross-entropy of per-token probabilities, averaged over the real tokens of each example.

    Args:
        y_true: int or float `(batch, steps)`: 0 or 1 on real tokens, -1 on padding.
        y_pred: float `(batch, steps)`, probabilities.

    Returns:
        A float tensor `(batch,)` (0 for an example with no real token).

    Example:

    >>> y = np.array([[1, 0, -1]], "float32")
    >>> p = np.array([[0.5, 0.5, 0.9]], "float32")
    >>> round(float(keras.ops.convert_to_numpy(masked_binary_crossentropy(y, p))[0]), 4)   # ln 2
    0.6931
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    real = ops.cast(y_true >= 0, y_pred.dtype)
    p = ops.clip(y_pred, _EPSILON, 1.0 - _EPSILON)
    target = ops.maximum(y_true, 0.0)
    per_token = -(target * ops.log(p) + (1.0 - target) * ops.log(1.0 - p)) * real
    return ops.sum(per_token, axis=-1) / ops.maximum(ops.sum(real, axis=-1), 1.0)
