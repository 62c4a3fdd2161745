"""Gradients through any Keras backend: the one place that needs each backend's own autodiff.

Everything else in `keras_patterns` is written with `keras.ops` and runs on TensorFlow, JAX and PyTorch
alike. Gradients with respect to inputs (input-gradient saliency 显著性, gradient sensitivity to an
input channel) need each backend's autodiff (`tf.GradientTape`, `jax.grad`, `torch.autograd`), so they
live behind `input_gradients` here; the per-loss gradient norms on a shared kernel of chapter 08 will be
written on the same dispatch.

Used in chapters 03, 04, 07, 08 and 09.
"""

from __future__ import annotations

import keras
import numpy as np


def input_gradients(fn, inputs):
    """Gradient of `sum(fn(inputs))` with respect to `inputs`, on any backend.

    Args:
        fn: a callable (a model, a layer, a function of `keras.ops`) taking one
            float tensor and returning a tensor.
        inputs: a float array-like.

    Returns:
        A NumPy array with the shape of `inputs`.

    Example:

    >>> g = input_gradients(lambda x: keras.ops.sum(x ** 2, axis=-1), np.ones((2, 3)))
    >>> g.tolist()   # 2 * x
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """
    x_np = np.asarray(inputs)
    if not np.issubdtype(x_np.dtype, np.floating):
        raise TypeError(
            "input_gradients needs float inputs (gradients of integer token ids are undefined; "
            f"differentiate with respect to one-hot or embedded inputs). Received dtype {x_np.dtype}."
        )
    backend = keras.backend.backend()
    if backend not in _GRADIENTS:
        raise NotImplementedError(
            f"input_gradients supports the {', '.join(_GRADIENTS)} backends; Keras runs on {backend!r}. "
            "Set KERAS_BACKEND to one of them before importing keras."
        )
    return _GRADIENTS[backend](fn, x_np)


def _tensorflow_gradients(fn, x_np):
    import tensorflow as tf

    x = tf.convert_to_tensor(x_np)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(fn(x))
    return tape.gradient(y, x).numpy()


def _jax_gradients(fn, x_np):
    import jax
    import jax.numpy as jnp

    return np.asarray(jax.grad(lambda x: jnp.sum(fn(x)))(jnp.asarray(x_np)))


def _torch_gradients(fn, x_np):
    # Not run on the course's machines (no PyTorch there); tested where torch is installed.
    import torch

    x = torch.tensor(x_np, requires_grad=True, device=keras.src.backend.torch.core.get_device())
    y = torch.sum(fn(x))
    (grad,) = torch.autograd.grad(y, x)
    return grad.detach().cpu().numpy()


#: Keras backend name -> its autodiff.
_GRADIENTS = {"tensorflow": _tensorflow_gradients, "jax": _jax_gradients, "torch": _torch_gradients}
