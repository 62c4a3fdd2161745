import os
from pathlib import Path

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


# The other installed backend, in a fresh interpreter (Keras picks its backend once per process). Both
# TensorFlow and JAX are installed on the course's machines; PyTorch is not (its PyPI wheel pulls CUDA).
_OTHER = {"tensorflow": "jax", "jax": "tensorflow"}
_PROBE = """
import numpy as np, keras
from keras_patterns.diagnostics.gradients import input_gradients
x = np.arange(6, dtype="float32").reshape(2, 3)
dense = keras.layers.Dense(2, use_bias=False, kernel_initializer=keras.initializers.Constant([[1., -1.], [2., 0.], [0., 3.]]))
g = input_gradients(lambda t: dense(t) ** 2, x)
print("|".join(map(str, (keras.backend.backend(), type(g).__name__, g.dtype, g.shape, np.round(g, 4).tolist()))))
"""


def _expected_square_dense_gradient(x):
    w = np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]])
    return 2 * (x @ w) @ w.T


def test_gradient_of_a_squared_layer_matches_the_closed_form():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    dense = keras.layers.Dense(2, use_bias=False,
                               kernel_initializer=keras.initializers.Constant([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]]))
    g = input_gradients(lambda t: dense(t) ** 2, x)
    assert isinstance(g, np.ndarray) and g.shape == (2, 3)
    np.testing.assert_allclose(g, _expected_square_dense_gradient(x), rtol=1e-5)


@pytest.mark.parametrize("backend", [_OTHER.get(keras.backend.backend(), "jax")])
def test_the_other_installed_backend_gives_the_same_gradient(backend):
    import subprocess
    import sys

    import keras_patterns

    # The fresh interpreter imports the very keras_patterns this test imported (a scratch copy under test
    # included), not whichever one its working directory or the editable install would give it.
    package_root = str(Path(keras_patterns.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=path)
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    name, kind, dtype, shape, values = proc.stdout.strip().splitlines()[-1].split("|")
    assert (name, kind, dtype, shape) == (backend, "ndarray", "float32", "(2, 3)")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(np.array(eval(values)), _expected_square_dense_gradient(x), rtol=1e-5)


def test_an_unknown_backend_is_refused_with_the_supported_ones(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "numpy")
    with pytest.raises(NotImplementedError, match=r"supports the tensorflow, jax, torch backends; Keras runs on 'numpy'"):
        input_gradients(lambda t: t, np.ones((2, 2), dtype="float32"))


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_each_backends_autodiff_on_plain_operators(backend):
    # Each backend's function called directly, with a function of plain operators that any tensor type
    # supports, so that both run in this process whichever backend Keras was started on.
    from keras_patterns.diagnostics import gradients

    x = np.array([[1.0, -2.0, 0.5]], dtype="float32")
    g = gradients._GRADIENTS[backend](lambda t: t * t * t, x)
    assert isinstance(g, np.ndarray) and g.shape == (1, 3) and g.dtype == np.float32
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-6)
