"""Argument checks shared by every public function of `keras_patterns`.

A wrong argument fails at once with a `ValueError` that names the argument, says what was
expected (type, range, shape) and what was received, in the form Keras itself uses:

    `num_hiddens` must be a positive integer. Received: num_hiddens=2.5

Each check returns the value converted to what the caller computes with (a Python `int`, a
`float`, a float64 or int64 NumPy array, a tuple of horizons), so a function validates and
converts its arguments in one line each. Checks of one argument's type and range live here;
rules that tie a function's own arguments together (the emission matrix of an HMM has one row
per hidden state) stay in that function, written with these checks.

Plain NumPy, no Keras import: the oracles and data loaders use it on machines without a
deep-learning backend. Shapes are read from `.shape`, so Keras tensors of any backend are
checked by `check_shapes` without being converted.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_int",
    "check_positive_int",
    "check_number",
    "check_positive_number",
    "check_choice",
    "check_horizons",
    "check_positive_ints",
    "check_int_array",
    "check_float_array",
    "check_probabilities",
    "check_shapes",
]

#: Probabilities arrive as float32 from some callers: rows that sum to 1 within this are accepted.
PROBABILITY_ATOL = 1e-6


def _is_int(value):
    # bool is an int subclass, but `num_layers=True` is a mistake, not 1.
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _hint(hint):
    return f" ({hint})" if hint else ""


def check_int(name, value, *, minimum=None, maximum=None, allow_none=False):
    """An integer (Python or NumPy, not bool) within `[minimum, maximum]`.

    Args:
        name: the argument's name, as the caller spells it.
        value: the value received.
        minimum: smallest valid value, or None for no lower bound.
        maximum: largest valid value, or None for no upper bound.
        allow_none: whether None is valid (it is then returned as is).

    Returns:
        The value as a Python `int` (or None).

    Example:

    >>> check_int("length", 3, minimum=0)
    3
    """
    if value is None and allow_none:
        return None
    in_range = _is_int(value) and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not in_range:
        if minimum is not None and maximum is not None:
            expected = f"an integer in [{minimum}, {maximum}]"
        elif minimum == 1:
            expected = "a positive integer"
        elif minimum is not None:
            expected = f"an integer >= {minimum}"
        elif maximum is not None:
            expected = f"an integer <= {maximum}"
        else:
            expected = "an integer"
        if allow_none:
            expected = f"None or {expected}"
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")
    return int(value)


def check_positive_int(name, value, *, allow_none=False):
    """An integer >= 1: a size, a count, a number of units or steps.

    Example:

    >>> check_positive_int("num_hiddens", 32)
    32
    """
    return check_int(name, value, minimum=1, allow_none=allow_none)


def check_number(name, value, *, low=None, high=None, include_low=True, include_high=True, hint=""):
    """A finite real number (not bool) in an interval.

    Args:
        name: the argument's name.
        value: the value received.
        low: lower bound, or None.
        high: upper bound, or None.
        include_low: whether `low` itself is valid (`[low, ...`) or not (`(low, ...`).
        include_high: whether `high` itself is valid.
        hint: what the range means, added in parentheses (e.g. "a stationary AR(1)").

    Returns:
        The value as a Python `float`.

    Example:

    >>> check_number("phi", 0.9, low=-1, high=1, include_low=False, include_high=False)
    0.9
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and np.isfinite(value)
    if ok:
        ok = (low is None or (value >= low if include_low else value > low)) and (
            high is None or (value <= high if include_high else value < high)
        )
    if not ok:
        if low is not None and high is not None:
            interval = f" in {'[' if include_low else '('}{low}, {high}{']' if include_high else ')'}"
        elif low is not None:
            interval = f" {'>=' if include_low else '>'} {low}"
        elif high is not None:
            interval = f" {'<=' if include_high else '<'} {high}"
        else:
            interval = ""
        raise ValueError(f"`{name}` must be a finite real number{interval}{_hint(hint)}. Received: {name}={value!r}")
    return float(value)


def check_positive_number(name, value, *, hint=""):
    """A finite real number > 0: a rate, a scale, a sample size.

    Example:

    >>> check_positive_number("learning_rate", 1e-2)
    0.01
    """
    return check_number(name, value, low=0, include_low=False, hint=hint)


def check_choice(name, value, choices):
    """One of a fixed set of names (a cell type, a method, a registry key).

    Args:
        name: the argument's name.
        value: the value received.
        choices: the valid values, in the order the message lists them.

    Returns:
        The value, unchanged.

    Example:

    >>> check_choice("cell", "gru", ("gru", "lstm"))
    'gru'
    """
    try:
        valid = value in choices
    except TypeError:  # an unhashable value tested against a dict's keys
        valid = False
    if not valid:
        raise ValueError(f"Unknown `{name}`. Valid names: {list(choices)!r}. Received: {name}={value!r}")
    return value


def check_horizons(horizons):
    """Forecast horizons: a non-empty, strictly increasing sequence of positive integers.

    Args:
        horizons: a sequence such as `(1, 2, 4, 8, 16)`.

    Returns:
        The horizons as a tuple of Python ints.

    Example:

    >>> check_horizons([1, 2, 4])
    (1, 2, 4)

    Used in chapter 11.
    """
    try:
        values = tuple(horizons)
    except TypeError:
        raise ValueError(
            f"`horizons` must be a sequence of positive integers, e.g. (1, 2, 4). Received: horizons={horizons!r}"
        ) from None
    if not values or any(not _is_int(h) or h < 1 for h in values):
        raise ValueError(
            f"`horizons` must be a non-empty sequence of positive integers. Received: horizons={horizons!r}"
        )
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"`horizons` must be strictly increasing. Received: horizons={horizons!r}")
    return tuple(int(h) for h in values)


def check_positive_ints(name, value):
    """A positive integer or an array of positive integers, in any order (horizons of a formula).

    Example:

    >>> check_positive_ints("horizons", [1, 16, 4])
    array([ 1, 16,  4])

    Returns:
        An int64 NumPy array with the shape of `value` (0-d for a scalar).
    """
    array = np.asarray(value)
    if array.size == 0 or not np.issubdtype(array.dtype, np.integer) or np.any(array < 1):
        raise ValueError(
            f"`{name}` must be a positive integer or an array of positive integers. Received: {name}={value!r}"
        )
    return array.astype("int64")


def _shape_requirement(name, ndim, shape):
    text = f"`{name}` must be a {ndim}-D array" if ndim is not None else f"`{name}` must be an array"
    return f"{text} of shape {shape}" if shape else text


def check_int_array(name, value, *, ndim=None, shape=None, low=None, high=None, min_size=0, what=None,
                    integral_floats=False, hint=""):
    """An integer array (ids, labels, lags) of a given rank and range.

    Args:
        name: the argument's name.
        value: an array-like.
        ndim: required number of dimensions, or None for any.
        shape: required shape, a tuple of ints (checked) or a string such as "(num_walks, length + 1)"
            (only shown in the message), or None.
        low: smallest valid entry, or None.
        high: entries must be `< high`, or None (ids in `[low, high)`).
        min_size: fewest entries.
        what: what the entries are, for the messages ("node ids", "symbol ids"), or None.
        integral_floats: accept a float array whose entries are whole numbers (converted).
        hint: what the argument is, added in parentheses to the shape message.

    Returns:
        The array as int64.

    Example:

    >>> check_int_array("labels", [0, 1, 1], shape=(3,), low=0)
    array([0, 1, 1])
    """
    array = np.asarray(value)
    exact = shape if isinstance(shape, tuple) else None
    shape_text = str(exact) if exact is not None else shape
    if (ndim is not None and array.ndim != ndim) or (exact is not None and array.shape != exact):
        raise ValueError(
            f"{_shape_requirement(name, ndim, shape_text)}{_hint(hint)}. Received: {name}.shape={array.shape}"
        )
    if not np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        whole = (
            integral_floats and np.issubdtype(array.dtype, np.floating)
            and np.all(np.isfinite(array)) and np.all(array == np.round(array))
        )
        if not whole:
            raise ValueError(
                f"`{name}` must be an integer array{' of ' + what if what else ''}{_hint(hint)}. "
                f"Received: {name}.shape={array.shape}, {name}.dtype={array.dtype}"
            )
    if array.size < min_size:
        raise ValueError(f"`{name}` must hold at least {min_size} value(s). Received: {name}.size={array.size}")
    if array.size and ((low is not None and array.min() < low) or (high is not None and array.max() >= high)):
        if low is not None and high is not None:
            expected = f"in [{low}, {high})"
        elif low is not None:
            expected = f">= {low}"
        else:
            expected = f"< {high}"
        raise ValueError(
            f"`{name}` must hold {what or 'values'} {expected}. Received: min={array.min()}, max={array.max()}"
        )
    return array.astype("int64")


def check_float_array(name, value, *, ndim=None, shape=None, min_size=0, finite=True, hint=""):
    """A real-valued array (a series, coefficients) of a given rank, without NaN or infinity.

    Args:
        name: the argument's name.
        value: an array-like.
        ndim: required number of dimensions, or None for any.
        shape: required shape, a tuple (checked) or a string (only shown in the message), or None.
        min_size: fewest entries (along the only axis of a 1-D array).
        finite: whether NaN and infinities are refused.
        hint: advice added to the message (what to do about it).

    Returns:
        The array as float64.

    Example:

    >>> check_float_array("series", [1.0, 2.0, 3.0], ndim=1, min_size=3)
    array([1., 2., 3.])
    """
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be an array of real numbers. Received: {name}={value!r}") from None
    exact = shape if isinstance(shape, tuple) else None
    shape_text = str(exact) if exact is not None else shape
    if (ndim is not None and array.ndim != ndim) or (exact is not None and array.shape != exact) or array.size < min_size:
        at_least = f" with at least {min_size} values" if min_size else ""
        raise ValueError(
            f"{_shape_requirement(name, ndim, shape_text)}{at_least}. Received: {name}.shape={array.shape}"
        )
    if finite and not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(
            f"`{name}` must hold finite values, no NaN or infinity{'; ' + hint if hint else ''}. "
            f"Received: {bad} NaN or infinite value(s)"
        )
    return array


def check_probabilities(name, value, *, ndim, shape=None, atol=PROBABILITY_ATOL):
    """A probability vector (`ndim=1`) or a row-stochastic matrix (`ndim=2`, every row a distribution).

    Args:
        name: the argument's name.
        value: an array-like.
        ndim: 1 for a distribution, 2 for a matrix whose rows are distributions.
        shape: required shape (a tuple), `"square"` for a non-empty `(n, n)` matrix (a transition
            matrix), or None for any.
        atol: tolerance on each sum.

    Returns:
        The array as float64.

    Example:

    >>> check_probabilities("transition", [[0.9, 0.1], [0.2, 0.8]], ndim=2, shape="square")
    array([[0.9, 0.1],
           [0.2, 0.8]])
    """
    array = np.asarray(value, dtype="float64")
    expected = shape if isinstance(shape, tuple) else ("(S,)" if ndim == 1 else "(S, S) or (S, V)")
    if shape == "square":
        expected = "(n, n), square and non-empty"
        bad_shape = array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] == 0
    else:
        bad_shape = array.ndim != ndim or (isinstance(shape, tuple) and array.shape != shape)
    if bad_shape:
        raise ValueError(
            f"`{name}` must have {ndim} dimension(s), shape {expected}. Received: {name}.shape={array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(
            f"`{name}` must hold finite, non-negative probabilities. "
            f"Received: min={np.nanmin(array) if array.size else None}, "
            f"any non-finite={not np.all(np.isfinite(array))}"
        )
    sums = np.atleast_1d(array.sum(axis=-1))
    bad = np.flatnonzero(np.abs(sums - 1.0) > atol)
    if bad.size:
        first = int(bad[0])
        what = f"`{name}` must sum to 1" if ndim == 1 else f"Every row of `{name}` must sum to 1 (row {first})"
        got = f"sum={float(sums[first]):.8g}" if ndim == 1 else f"row {first} sums to {float(sums[first]):.8g}"
        raise ValueError(
            f"{what}. Received: {got}. Normalise it, e.g. `{name} / {name}.sum(axis=-1, keepdims=True)`."
        )
    return array


def _format_spec(spec):
    return "(" + ", ".join(str(d) for d in spec) + ("," if len(spec) == 1 else "") + ")"


def check_shapes(**specs):
    """The shapes of one or several arguments, with named dimensions that must agree.

    Each keyword is an argument's name and its `(shape, spec)` pair: `spec` is a tuple whose
    entries are ints (that size exactly) or names (any size, but the same size wherever the name
    appears, across all the arguments checked together). Unknown sizes (None, in a symbolic
    shape) match anything.

    Args:
        **specs: `name=(array_or_shape, spec)`; an array or tensor is read through `.shape`.

    Returns:
        A dict from each dimension name to its size.

    Example:

    >>> check_shapes(y_true=(np.zeros((2, 5)), ("batch", "T")), y_prob=(np.zeros((2, 5, 3)), ("batch", "T", "C")))
    {'batch': 2, 'T': 5, 'C': 3}
    """
    sizes, ok = {}, True
    received = {}
    for name, (array, spec) in specs.items():
        shape = tuple(getattr(array, "shape", array))
        received[name] = tuple(None if d is None else int(d) for d in shape)
        if len(shape) != len(spec):
            ok = False
            continue
        for dim, want in zip(received[name], spec):
            if dim is None:
                continue
            if isinstance(want, int):
                ok &= dim == want
            elif sizes.setdefault(want, dim) != dim:
                ok = False
    if not ok:
        expected = ", ".join(f"{name} {_format_spec(spec)}" for name, (_, spec) in specs.items())
        got = ", ".join(f"{name}={shape}" for name, shape in received.items())
        if len(specs) == 1:
            (name, (_, spec)), = specs.items()
            raise ValueError(f"`{name}` must have shape {_format_spec(spec)}. Received: {name}.shape={received[name]}")
        # The names that tie arguments together: those in the specs of two arguments or more.
        count = {}
        for _, spec in specs.values():
            for d in dict.fromkeys(d for d in spec if isinstance(d, str)):
                count[d] = count.get(d, 0) + 1
        shared = [d for d, n in count.items() if n > 1]
        rule = f" (the same {', '.join(shared)} in all)" if shared else ""
        raise ValueError(f"Expected shapes {expected}{rule}. Received shapes: {got}")
    return sizes
