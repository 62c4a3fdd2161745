"""Tests of keras_patterns.layers.attention_pooling: masking, the weights, serialisation, the Keras layer test."""

import keras
import numpy as np
import pytest
from keras.src import testing

from keras_patterns.layers.attention_pooling import AttentionPooling


class AttentionPoolingLayerTest(testing.TestCase):
    def test_run_layer_test(self):
        self.run_layer_test(
            AttentionPooling, init_kwargs={}, input_shape=(2, 5, 3), expected_output_shape=(2, 3),
            expected_num_trainable_weights=2, expected_num_non_trainable_weights=0, supports_masking=True,
        )

    def test_run_layer_test_with_attention(self):
        self.run_layer_test(
            AttentionPooling, init_kwargs={"return_attention": True}, input_shape=(2, 5, 3),
            expected_output_shape=((2, 3), (2, 5)), expected_num_trainable_weights=2,
        )


def test_weights_are_named_and_shaped_for_checkpoints():
    """A checkpoint and `get_layer(...).weights` find the scoring vector and its bias by name."""
    layer = AttentionPooling()
    layer.build((None, None, 3))
    assert [(w.name, tuple(w.shape)) for w in layer.weights] == [("kernel", (3, 1)), ("bias", ())]


def _layer(kernel, bias=0.0, **kwargs):
    layer = AttentionPooling(**kwargs)
    layer.build((None, None, len(kernel)))
    layer.set_weights([np.asarray(kernel, "float32").reshape(-1, 1), np.asarray(bias, "float32")])
    return layer


def test_weights_are_a_masked_softmax_and_pool_the_states():
    h = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], bool)
    kernel = np.array([0.5, -1.0, 2.0, 0.1])
    pooled, alpha = _layer(kernel, 0.3, return_attention=True)(h, mask=mask)
    pooled, alpha = keras.ops.convert_to_numpy(pooled), keras.ops.convert_to_numpy(alpha)
    for i in range(3):
        scores = h[i, mask[i]] @ kernel
        want = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        np.testing.assert_allclose(alpha[i, mask[i]], want, rtol=1e-5, atol=1e-6)
        assert np.all(alpha[i, ~mask[i]] == 0.0)
        np.testing.assert_allclose(pooled[i], want @ h[i, mask[i]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alpha.sum(-1), 1.0, atol=1e-6)


def test_untrained_layer_averages_and_an_empty_row_pools_to_zero():
    h = np.arange(24, dtype="float32").reshape(2, 3, 4)
    layer = AttentionPooling(return_attention=True)
    pooled, alpha = layer(h, mask=np.array([[1, 1, 0], [0, 0, 0]], bool))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(pooled)[0], h[0, :2].mean(0), rtol=1e-6)
    assert np.all(keras.ops.convert_to_numpy(alpha)[1] == 0) and np.all(keras.ops.convert_to_numpy(pooled)[1] == 0)
    unmasked = keras.ops.convert_to_numpy(AttentionPooling()(h))
    np.testing.assert_allclose(unmasked, h.mean(1), rtol=1e-6)


def test_mask_from_embedding_reaches_the_layer_and_config_round_trips():
    tokens = keras.Input((4,), dtype="int32")
    x = keras.layers.Embedding(10, 3, mask_zero=True)(tokens)
    pooled, alpha = AttentionPooling(return_attention=True)(x)
    model = keras.Model(tokens, alpha)
    out = keras.ops.convert_to_numpy(model(np.array([[3, 4, 0, 0]], "int32")))
    np.testing.assert_allclose(out, [[0.5, 0.5, 0.0, 0.0]], atol=1e-6)
    layer = AttentionPooling(return_attention=True, name="p")
    clone = AttentionPooling.from_config(layer.get_config())
    assert clone.return_attention and clone.name == "p"


def test_bad_input_rank_is_refused():
    with pytest.raises(ValueError, match="batch, steps, features"):
        AttentionPooling()(np.zeros((2, 3), "float32"))
