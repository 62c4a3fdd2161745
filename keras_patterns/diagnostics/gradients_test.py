import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.diagnostics.gradients import input_gradients


def test_gradient_of_square_is_twice_input():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    g = input_gradients(lambda t: keras.ops.sum(t**2, axis=-1), x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)


def test_gradient_through_a_layer_matches_its_kernel():
    dense = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(0.5))
    g = input_gradients(dense, np.ones((4, 3), dtype="float32"))
    np.testing.assert_allclose(g, np.full((4, 3), 0.5), rtol=1e-6)


def test_integer_inputs_are_refused_with_advice():
    with pytest.raises(TypeError, match="one-hot"):
        input_gradients(lambda t: t, np.ones((2, 2), dtype="int32"))
