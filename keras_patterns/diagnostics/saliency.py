"""Input-gradient saliency (输入梯度显著性) of a model's global logit, per position of the sequence.

For a one-hot input `x` of shape `(steps, channels)` and the global head's logit `f(x)`, the saliency of
position `t` is the norm of the gradient over its channels,

    s_t = || d f(x) / d x_t ||_2,

how much a small change of the base at `t` would move the decision. On sequences that carry a motif,
`saliency_ratio` compares the mean saliency inside the motif with the mean outside it: a model that
reads the motif has a ratio well above 1. The gradients come from
`keras_patterns.diagnostics.gradients.input_gradients`, so this runs on TensorFlow, JAX and PyTorch.

Used in chapter 03 (chapters 04 and 07 reuse it).
"""

import numpy as np

from keras_patterns.checks import check_float_array, check_int, check_int_array, check_positive_int, check_shapes
from keras_patterns.diagnostics.gradients import input_gradients


def _logit(model, output, unit):
    def fn(x):
        out = model(x)
        out = out[output] if isinstance(out, dict) else out
        return out[:, unit]
    return fn


def position_saliency(model, inputs, output="global", unit=0, batch_size=256):
    """Per-position norms of the gradient of a model's logit with respect to its one-hot input.

    Args:
        model: a `keras.Model` (or callable) from float inputs `(batch, steps, channels)` to a tensor
            `(batch, units)`, or to a dict of them (then `output` picks one).
        inputs: float array `(N, steps, channels)`, e.g. `keras_patterns.data.motifs.one_hot(ids)`.
        output: the dict key of the logit to differentiate (ignored for a model with one tensor output).
        unit: which logit of that output, an int in `[0, units)`.
        batch_size: sequences per gradient call (memory, not results).

    Returns:
        A float64 NumPy array `(N, steps)` of non-negative saliencies.

    Example:

    >>> w = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]], "float32")   # a linear "model": sum_t x_t . w_t
    >>> position_saliency(lambda x: keras.ops.sum(x * w, axis=(1, 2))[:, None], np.zeros((1, 3, 2), "float32")).tolist()
    [[1.0, 2.0, 5.0]]

    Used in chapter 03.
    """
    inputs = check_float_array("inputs", inputs, ndim=3, shape="(N, steps, channels)").astype("float32")
    unit = check_int("unit", unit, minimum=0)
    batch_size = check_positive_int("batch_size", batch_size)
    fn = _logit(model, output, unit)
    grads = [input_gradients(fn, inputs[i:i + batch_size]) for i in range(0, len(inputs), batch_size)]
    grads = np.concatenate(grads, axis=0).astype("float64")
    return np.sqrt(np.sum(grads ** 2, axis=-1))


def saliency_ratio(saliency, in_motif, carriers=None):
    """Mean saliency at motif positions over mean saliency elsewhere, on the sequences that carry a motif.

    Args:
        saliency: float array `(N, steps)`, e.g. from `position_saliency`.
        in_motif: 0/1 int or bool array `(N, steps)`: 1 where the position lies in a planted motif.
        carriers: bool or 0/1 array `(N,)`, the sequences to use; by default those with a motif position.

    Returns:
        A Python float: `mean(saliency[in motif]) / mean(saliency[not in motif])`, both means over the
        positions of the carriers only.

    Example:

    >>> saliency_ratio(np.array([[1.0, 3.0, 1.0], [5.0, 5.0, 5.0]]), np.array([[0, 1, 0], [0, 0, 0]]))
    3.0

    Used in chapter 03.
    """
    saliency = check_float_array("saliency", saliency, ndim=2, shape="(N, steps)")
    in_motif = np.asarray(in_motif)
    in_motif = check_int_array("in_motif", in_motif.astype("int64") if in_motif.dtype == bool else in_motif,
                               ndim=2, low=0, high=2, what="0/1 motif flags", integral_floats=True)
    check_shapes(saliency=(saliency, ("N", "steps")), in_motif=(in_motif, ("N", "steps")))
    if carriers is None:
        rows = in_motif.any(axis=1)
    else:
        carriers = np.asarray(carriers)
        rows = check_int_array("carriers", carriers.astype("int64") if carriers.dtype == bool else carriers,
                               shape=(len(saliency),), low=0, high=2, what="0/1 flags",
                               integral_floats=True).astype(bool)
    if np.any(saliency < 0):
        raise ValueError(f"`saliency` must be non-negative (norms of gradients). Received: min={saliency.min()}")
    inside = in_motif[rows] == 1
    if not inside.any() or inside.all():
        raise ValueError("The carriers must have motif positions and other positions: "
                         f"received {int(inside.sum())} motif positions of {inside.size}.")
    outside_mean = saliency[rows][~inside].mean()
    if outside_mean == 0:
        raise ValueError("The saliency outside the motif is 0 everywhere: the ratio is undefined.")
    return float(saliency[rows][inside].mean() / outside_mean)
