"""Attention pooling (注意力池化): a sequence of states to one vector, with a weight per token.

A many-to-one head that does not read only the last state: it scores every
state, turns the scores into weights with a softmax over the real (unmasked)
tokens, and returns the weighted sum. The weights are each token's share of
the pooled vector, a per-token contribution to the global decision that is
differentiable without second derivatives, so a loss can act on it (the
local-global alignment regulariser of chapter 04, `keras_patterns.losses.alignment`).

Used in chapter 04.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_patterns")
class AttentionPooling(keras.layers.Layer):
    """Softmax attention over time, masked, pooled into one vector.

    `score_t = h_t . w + b`, `alpha = softmax(score)` over the unmasked steps
    (masked steps get weight exactly 0), `pooled = sum_t alpha_t h_t`.

    Args:
        return_attention: also return the weights `alpha`.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`).

    Call arguments:
        inputs: float tensor `(batch, steps, features)`.
        mask: optional bool tensor `(batch, steps)`, True on real steps (Keras
            passes it from an `Embedding(mask_zero=True)` upstream). A row
            with no real step pools to zeros, with all weights 0.

    Returns:
        `pooled`, float `(batch, features)`; with `return_attention=True`, the
        pair `(pooled, alpha)`, `alpha` float `(batch, steps)` whose rows sum
        to 1 over the real steps.

    Example:

    >>> layer = AttentionPooling(return_attention=True)
    >>> h = np.array([[[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]], "float32")
    >>> pooled, alpha = layer(h, mask=np.array([[True, True, False]]))
    >>> [round(float(a), 3) for a in alpha[0]], tuple(pooled.shape)
    ([0.5, 0.5, 0.0], (1, 2))
    """

    def __init__(self, return_attention=False, **kwargs):
        super().__init__(**kwargs)
        self.return_attention = bool(return_attention)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "AttentionPooling expects inputs of shape (batch, steps, features) with a known number of "
                f"features. Received: input_shape={input_shape}"
            )
        # Zero init: the untrained layer averages the real steps, a neutral start for the head above.
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], 1), initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(), initializer="zeros")

    def call(self, inputs, mask=None):
        scores = ops.squeeze(ops.matmul(inputs, self.kernel), axis=-1) + self.bias
        if mask is None:
            alpha = ops.softmax(scores, axis=-1)
        else:
            real = ops.cast(mask, scores.dtype)
            # Subtracting the masked max keeps exp() finite; masked steps are zeroed, not just made small.
            shifted = scores - ops.max(ops.where(mask, scores, ops.min(scores)), axis=-1, keepdims=True)
            weights = ops.exp(ops.minimum(shifted, 0.0)) * real
            alpha = weights / ops.maximum(ops.sum(weights, axis=-1, keepdims=True), 1e-12)
        pooled = ops.sum(inputs * ops.expand_dims(alpha, -1), axis=1)
        return (pooled, alpha) if self.return_attention else pooled

    def compute_mask(self, inputs, mask=None):
        return (None, None) if self.return_attention else None

    def compute_output_shape(self, input_shape):
        pooled = (input_shape[0], input_shape[2])
        return (pooled, (input_shape[0], input_shape[1])) if self.return_attention else pooled

    def get_config(self):
        return {**super().get_config(), "return_attention": self.return_attention}
