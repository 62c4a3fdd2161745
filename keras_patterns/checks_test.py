"""Tests of keras_patterns.checks: what each check accepts, converts, and says when it refuses."""

import numpy as np
import pytest

from keras_patterns import checks


def test_check_int_converts_and_refuses_bools_floats_and_out_of_range():
    assert checks.check_int("length", np.int64(3), minimum=0) == 3
    assert type(checks.check_int("length", np.int64(3), minimum=0)) is int
    assert checks.check_int("k", 5, minimum=1, maximum=5) == 5
    assert checks.check_int("num_series", None, minimum=1, allow_none=True) is None
    with pytest.raises(ValueError, match=r"`length` must be an integer >= 0\. Received: length=-1"):
        checks.check_int("length", -1, minimum=0)
    with pytest.raises(ValueError, match=r"`num_layers` must be a positive integer\. Received: num_layers=True"):
        checks.check_positive_int("num_layers", True)
    with pytest.raises(ValueError, match=r"`num_hiddens` must be a positive integer\. Received: num_hiddens=2\.5"):
        checks.check_positive_int("num_hiddens", 2.5)
    with pytest.raises(ValueError, match=r"an integer in \[1, 4\]\. Received: k=5"):
        checks.check_int("k", 5, minimum=1, maximum=4)
    with pytest.raises(ValueError, match=r"None or a positive integer\. Received: num_series=0"):
        checks.check_positive_int("num_series", 0, allow_none=True)


def test_check_number_intervals():
    assert checks.check_number("phi", np.float32(0.5), low=-1, high=1, include_low=False, include_high=False) == 0.5
    assert checks.check_number("p_in", 1, low=0, high=1, include_low=False) == 1.0
    with pytest.raises(ValueError, match=r"`phi` must be a finite real number in \(-1, 1\) \(a stationary AR\(1\)\)\. "
                                         r"Received: phi=1\.0"):
        checks.check_number("phi", 1.0, low=-1, high=1, include_low=False, include_high=False,
                            hint="a stationary AR(1)")
    with pytest.raises(ValueError, match=r"`p_in` must be a finite real number in \(0, 1\]\. Received: p_in=0"):
        checks.check_number("p_in", 0, low=0, high=1, include_low=False)
    with pytest.raises(ValueError, match=r"> 0\. Received: learning_rate=nan"):
        checks.check_positive_number("learning_rate", float("nan"))
    for bad in (True, "0.1", np.array([0.1]), None):
        with pytest.raises(ValueError, match="sigma"):
            checks.check_positive_number("sigma", bad)


def test_check_choice_lists_the_valid_names():
    assert checks.check_choice("cell", "gru", ("gru", "lstm")) == "gru"
    with pytest.raises(ValueError, match=r"Unknown `cell`\. Valid names: \['gru', 'lstm'\]\. Received: cell='rnn'"):
        checks.check_choice("cell", "rnn", ("gru", "lstm"))
    with pytest.raises(ValueError, match=r"Received: name=\['a'\]"):
        checks.check_choice("name", ["a"], {"a": 1})


@pytest.mark.parametrize(
    "horizons,match",
    [((2, 1), "increasing"), ((1, 1), "increasing"), ((), "horizons"), (4, "horizons"), ((0, 1), "positive"),
     ((1, 2.0), "positive"), ((True, 2), "positive")],
)
def test_check_horizons_refuses(horizons, match):
    with pytest.raises(ValueError, match=match):
        checks.check_horizons(horizons)


def test_check_horizons_accepts_arrays_and_returns_python_ints():
    assert checks.check_horizons(np.array([1, 4, 16])) == (1, 4, 16)
    assert all(type(h) is int for h in checks.check_horizons(np.array([1, 4])))


def test_check_positive_ints_keeps_shape_and_order():
    np.testing.assert_array_equal(checks.check_positive_ints("horizons", [4, 1]), [4, 1])
    assert checks.check_positive_ints("horizon", 3).shape == ()
    with pytest.raises(ValueError, match=r"`horizons` must be a positive integer or an array of positive integers"):
        checks.check_positive_ints("horizons", [1.5])
    with pytest.raises(ValueError, match="horizons"):
        checks.check_positive_ints("horizons", [])


def test_check_int_array_shape_dtype_and_range():
    out = checks.check_int_array("labels", [0, 1, 1], shape=(3,), low=0)
    assert out.dtype == np.int64
    with pytest.raises(ValueError, match=r"`labels` must be a 1-D array of shape \(3,\) \(one community per node\)\. "
                                         r"Received: labels\.shape=\(2,\)"):
        checks.check_int_array("labels", [0, 1], ndim=1, shape=(3,), hint="one community per node")
    with pytest.raises(ValueError, match=r"must be a 2-D array of shape \(num_walks, length \+ 1\)\. "
                                         r"Received: walks\.shape=\(3,\)"):
        checks.check_int_array("walks", [0, 1, 2], ndim=2, shape="(num_walks, length + 1)")
    with pytest.raises(ValueError, match=r"`walks` must hold node ids in \[0, 4\)\. Received: min=0, max=4"):
        checks.check_int_array("walks", [[0, 4]], ndim=2, low=0, high=4, what="node ids")
    with pytest.raises(ValueError, match=r"integer array of symbol ids\. Received: obs\.shape=\(2,\), obs\.dtype=float64"):
        checks.check_int_array("obs", [0.5, 1.0], what="symbol ids", integral_floats=True)
    np.testing.assert_array_equal(checks.check_int_array("obs", [0.0, 2.0], integral_floats=True), [0, 2])
    with pytest.raises(ValueError, match="at least 1 value"):
        checks.check_int_array("obs", np.array([], dtype=int), min_size=1)
    with pytest.raises(ValueError, match="integer array"):
        checks.check_int_array("mask", np.array([True, False]))


def test_check_float_array():
    out = checks.check_float_array("series", [1, 2, 3], ndim=1, min_size=3)
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match=r"`series` must be a 1-D array with at least 3 values\. "
                                         r"Received: series\.shape=\(3, 3\)"):
        checks.check_float_array("series", np.ones((3, 3)), ndim=1, min_size=3)
    with pytest.raises(ValueError, match=r"no NaN or infinity; interpolate them first\. Received: 1 NaN"):
        checks.check_float_array("series", [1.0, np.nan], hint="interpolate them first")
    with pytest.raises(ValueError, match="real numbers"):
        checks.check_float_array("series", ["a", "b"])


def test_check_probabilities_vectors_and_stochastic_matrices():
    p = checks.check_probabilities("transition", [[0.9, 0.1], [0.2, 0.8]], ndim=2, shape="square")
    assert p.dtype == np.float64
    # float32 rounding is accepted.
    checks.check_probabilities("initial", np.full(3, 1 / 3, dtype="float32"), ndim=1)
    with pytest.raises(ValueError, match=r"`initial` must sum to 1\. Received: sum=2\. Normalise it"):
        checks.check_probabilities("initial", [1.0, 1.0], ndim=1)
    with pytest.raises(ValueError, match=r"Every row of `emission` must sum to 1 \(row 1\)\. Received: row 1 sums to 0\.9"):
        checks.check_probabilities("emission", [[1.0, 0.0], [0.5, 0.4]], ndim=2)
    with pytest.raises(ValueError, match="non-negative"):
        checks.check_probabilities("emission", [[1.5, -0.5]], ndim=2)
    with pytest.raises(ValueError, match=r"square and non-empty\. Received: transition\.shape=\(2, 3\)"):
        checks.check_probabilities("transition", np.full((2, 3), 1 / 3), ndim=2, shape="square")
    with pytest.raises(ValueError, match=r"shape \(3,\)\. Received: start\.shape=\(2,\)"):
        checks.check_probabilities("start", [0.5, 0.5], ndim=1, shape=(3,))


def test_check_shapes_binds_named_dimensions_across_arguments():
    sizes = checks.check_shapes(y_true=(np.zeros((2, 5)), ("batch", "T")),
                                y_prob=(np.zeros((2, 5, 3)), ("batch", "T", "C")))
    assert sizes == {"batch": 2, "T": 5, "C": 3}
    # A shape tuple works as well as an array, and None (a symbolic size) matches anything.
    assert checks.check_shapes(window=((None, 8, 1), ("batch", "L", 1))) == {"L": 8}
    with pytest.raises(ValueError, match=r"Expected shapes y_true \(batch, T\), y_prob \(batch, T, C\) "
                                         r"\(the same batch, T in all\)\. "
                                         r"Received shapes: y_true=\(2, 4\), y_prob=\(2, 5, 3\)"):
        checks.check_shapes(y_true=(np.zeros((2, 4)), ("batch", "T")), y_prob=(np.zeros((2, 5, 3)), ("batch", "T", "C")))
    with pytest.raises(ValueError, match=r"`window` must have shape \(batch, L, 1\)\. Received: window\.shape=\(2, 4\)"):
        checks.check_shapes(window=(np.zeros((2, 4)), ("batch", "L", 1)))
    with pytest.raises(ValueError, match=r"Received: window\.shape=\(2, 4, 2\)"):
        checks.check_shapes(window=(np.zeros((2, 4, 2)), ("batch", "L", 1)))


# Every message, word for word: the message is what a check computes (the student reads it to fix a call).
MESSAGES = [
    ("c.check_int('k', 0, minimum=1, maximum=4)",
     '`k` must be an integer in [1, 4]. Received: k=0'),
    ("c.check_int('k', 2, maximum=1)",
     '`k` must be an integer <= 1. Received: k=2'),
    ("c.check_int('k', 2.0)",
     '`k` must be an integer. Received: k=2.0'),
    ("c.check_int('k', 2.0, maximum=3)",
     '`k` must be an integer <= 3. Received: k=2.0'),
    ("c.check_int('length', -1, minimum=0)",
     '`length` must be an integer >= 0. Received: length=-1'),
    ("c.check_int('n', None)",
     '`n` must be an integer. Received: n=None'),
    ("c.check_int('n', 9, maximum=4, allow_none=True)",
     '`n` must be None or an integer <= 4. Received: n=9'),
    ("c.check_number('x', 'a')",
     "`x` must be a finite real number. Received: x='a'"),
    ("c.check_number('x', 2, high=1)",
     '`x` must be a finite real number <= 1. Received: x=2'),
    ("c.check_number('x', 1, high=1, include_high=False)",
     '`x` must be a finite real number < 1. Received: x=1'),
    ("c.check_number('x', 0, low=0, include_low=False)",
     '`x` must be a finite real number > 0. Received: x=0'),
    ("c.check_number('x', -1, low=0)",
     '`x` must be a finite real number >= 0. Received: x=-1'),
    ("c.check_number('x', 2, low=0, high=1, hint='a share')",
     '`x` must be a finite real number in [0, 1] (a share). Received: x=2'),
    ("c.check_number('x', 0, low=0, high=1, include_low=False, include_high=False)",
     '`x` must be a finite real number in (0, 1). Received: x=0'),
    ("c.check_number('x', float('inf'))",
     '`x` must be a finite real number. Received: x=inf'),
    ("c.check_positive_number('rate', 0)",
     '`rate` must be a finite real number > 0. Received: rate=0'),
    ("c.check_positive_number('rate', -1, hint='per second')",
     '`rate` must be a finite real number > 0 (per second). Received: rate=-1'),
    ("c.check_choice('cell', ['gru'], ('gru', 'lstm'))",
     "Unknown `cell`. Valid names: ['gru', 'lstm']. Received: cell=['gru']"),
    ("c.check_positive_ints('h', [1, 0])",
     '`h` must be a positive integer or an array of positive integers. Received: h=[1, 0]'),
    ("c.check_positive_ints('h', 0)",
     '`h` must be a positive integer or an array of positive integers. Received: h=0'),
    ("c.check_int_array('ids', [[1]], ndim=1)",
     '`ids` must be a 1-D array. Received: ids.shape=(1, 1)'),
    ("c.check_int_array('ids', [1, 2], shape=(3,))",
     '`ids` must be an array of shape (3,). Received: ids.shape=(2,)'),
    ("c.check_int_array('ids', [0.5])",
     '`ids` must be an integer array. Received: ids.shape=(1,), ids.dtype=float64'),
    ("c.check_int_array('ids', [0.5], hint='one per node')",
     '`ids` must be an integer array (one per node). Received: ids.shape=(1,), ids.dtype=float64'),
    ("c.check_int_array('ids', [1, 2], min_size=3)",
     '`ids` must hold at least 3 value(s). Received: ids.size=2'),
    ("c.check_int_array('ids', [-1, 2], low=0)",
     '`ids` must hold values >= 0. Received: min=-1, max=2'),
    ("c.check_int_array('ids', [1, 5], high=5)",
     '`ids` must hold values < 5. Received: min=1, max=5'),
    ("c.check_int_array('ids', [1, 5], low=0, high=5)",
     '`ids` must hold values in [0, 5). Received: min=1, max=5'),
    ("c.check_int_array('ids', [1.0, 2.0])",
     '`ids` must be an integer array. Received: ids.shape=(2,), ids.dtype=float64'),
    ("c.check_float_array('s', [[1.0]], ndim=1)",
     '`s` must be a 1-D array. Received: s.shape=(1, 1)'),
    ("c.check_float_array('s', [1.0, 2.0], shape=(3,))",
     '`s` must be an array of shape (3,). Received: s.shape=(2,)'),
    ("c.check_float_array('s', [1.0, 2.0], ndim=1, shape=(3,), min_size=3)",
     '`s` must be a 1-D array of shape (3,) with at least 3 values. Received: s.shape=(2,)'),
    ("c.check_float_array('s', [1.0, 2.0], min_size=3)",
     '`s` must be an array with at least 3 values. Received: s.shape=(2,)'),
    ("c.check_float_array('s', [np.inf, np.nan, 1.0])",
     '`s` must hold finite values, no NaN or infinity. Received: 2 NaN or infinite value(s)'),
    ("c.check_probabilities('p', [[0.5, 0.5]], ndim=1)",
     '`p` must have 1 dimension(s), shape (S,). Received: p.shape=(1, 2)'),
    ("c.check_probabilities('p', [0.5, 0.5], ndim=2)",
     '`p` must have 2 dimension(s), shape (S, S) or (S, V). Received: p.shape=(2,)'),
    ("c.check_probabilities('p', np.zeros((0, 0)), ndim=2, shape='square')",
     '`p` must have 2 dimension(s), shape (n, n), square and non-empty. Received: p.shape=(0, 0)'),
    ("c.check_probabilities('p', [[1.0]], ndim=2, shape=(2, 2))",
     '`p` must have 2 dimension(s), shape (2, 2). Received: p.shape=(1, 1)'),
    ("c.check_probabilities('p', [0.5, np.nan], ndim=1)",
     '`p` must hold finite, non-negative probabilities. Received: min=0.5, any non-finite=True'),
    ("c.check_probabilities('p', [1.5, -0.5], ndim=1)",
     '`p` must hold finite, non-negative probabilities. Received: min=-0.5, any non-finite=False'),
    ("c.check_probabilities('p', [[0.5, 0.5], [0.7, 0.7]], ndim=2)",
     'Every row of `p` must sum to 1 (row 1). Received: row 1 sums to 1.4. Normalise it, e.g. `p / p.sum(axis=-1, keepdims=True)`.'),
    ("c.check_probabilities('p', [0.5, 0.5 + 2e-6], ndim=1)",
     '`p` must sum to 1. Received: sum=1.000002. Normalise it, e.g. `p / p.sum(axis=-1, keepdims=True)`.'),
    ("c.check_shapes(x=(np.zeros(3), ('n', 2)))",
     '`x` must have shape (n, 2). Received: x.shape=(3,)'),
    ('c.check_shapes(x=(np.zeros(3), (4,)))',
     '`x` must have shape (4,). Received: x.shape=(3,)'),
    ("c.check_shapes(x=(np.zeros((2,)), ('a', 'b')), y=(np.zeros((2, 3)), ('a', 'b')))",
     'Expected shapes x (a, b), y (a, b) (the same a, b in all). Received shapes: x=(2,), y=(2, 3)'),
    ("c.check_shapes(x=(np.zeros((2, 3)), ('a', 1)), y=(np.zeros((2, 3)), ('c', 3)))",
     'Expected shapes x (a, 1), y (c, 3). Received shapes: x=(2, 3), y=(2, 3)'),
    ("c.check_shapes(x=(np.zeros(2), ('a', 'b')), y=(np.zeros((2, 3)), ('a', 3)))",
     'Expected shapes x (a, b), y (a, 3) (the same a in all). Received shapes: x=(2,), y=(2, 3)'),
    ("c.check_shapes(x=(np.zeros((2, 3)), ('a', 'b')), y=(np.zeros((3, 3)), ('a', 3)))",
     'Expected shapes x (a, b), y (a, 3) (the same a in all). Received shapes: x=(2, 3), y=(3, 3)'),
    ("c.check_int_array('m', [True, False], integral_floats=True)",
     '`m` must be an integer array. Received: m.shape=(2,), m.dtype=bool'),
    ("c.check_shapes(x=(np.zeros((3, 2)), (4, 2)))",
     '`x` must have shape (4, 2). Received: x.shape=(3, 2)'),
]


@pytest.mark.parametrize("call,message", MESSAGES, ids=[call for call, _ in MESSAGES])
def test_each_refusal_says_exactly_what_was_wrong(call, message):
    with pytest.raises(ValueError) as refused:
        eval(call, {"c": checks, "np": np})
    assert str(refused.value) == message


def test_an_unconvertible_float_array_names_the_value():
    with pytest.raises(ValueError, match=r"^`s` must be an array of real numbers\. Received: s=<object object at"):
        checks.check_float_array("s", object())


def test_bounds_are_inclusive_unless_told_otherwise():
    assert checks.check_int("k", 1, minimum=1, maximum=4) == 1
    assert checks.check_int("k", 4, minimum=1, maximum=4) == 4
    assert checks.check_int("k", -3, maximum=-3) == -3
    assert checks.check_number("x", 0, low=0, high=1) == 0.0
    assert checks.check_number("x", 1, low=0, high=1) == 1.0
    assert checks.check_number("x", 0.5, low=0, high=1, include_low=False, include_high=False) == 0.5
    assert checks.check_positive_number("rate", 1e-12) == 1e-12
    # The tolerance on a probability sum is inclusive too (0.25 is exact in binary).
    checks.check_probabilities("p", [0.5, 0.75], ndim=1, atol=0.25)
    with pytest.raises(ValueError, match="must sum to 1"):
        checks.check_probabilities("p", [0.5, 0.75], ndim=1, atol=0.125)
    # A 1 x 1 transition matrix is square and non-empty.
    np.testing.assert_array_equal(checks.check_probabilities("p", [[1]], ndim=2, shape="square"), [[1.0]])


def test_sizes_and_dtypes_by_default():
    # min_size defaults to 0: an empty array is an array.
    assert checks.check_int_array("ids", np.array([], dtype=int)).shape == (0,)
    assert checks.check_float_array("s", []).shape == (0,)
    # exactly min_size values are enough
    assert checks.check_int_array("ids", [1, 2], min_size=2).size == 2
    assert checks.check_float_array("s", [1.0, 2.0], min_size=2).size == 2
    # conversions: what the caller computes with
    assert checks.check_probabilities("p", [[1, 0], [0, 1]], ndim=2).dtype == np.float64
    assert checks.check_positive_ints("h", np.array([1, 2], dtype="int32")).dtype == np.int64
    assert checks.check_int_array("ids", np.array([1, 2], dtype="int8")).dtype == np.int64
    assert checks.check_int_array("ids", [1.0, 2.0], integral_floats=True).dtype == np.int64
    whole32 = checks.check_int_array("ids", np.array([1.0, 2.0], dtype="float32"), integral_floats=True)
    assert whole32.dtype == np.int64 and whole32.tolist() == [1, 2]
    # string shapes are only shown in messages; tuple shapes are checked
    assert checks.check_int_array("ids", [1, 2], shape="(n,)").shape == (2,)
    assert checks.check_float_array("s", [1.0, 2.0], shape="(T,)").shape == (2,)
    assert checks.check_float_array("s", [[1.0, 2.0]], shape=(1, 2)).shape == (1, 2)
    assert checks.check_int_array("ids", [[1, 2]], shape=(1, 2)).shape == (1, 2)
    # NaN allowed when finite=False
    assert np.isnan(checks.check_float_array("s", [np.nan], finite=False)[0])
