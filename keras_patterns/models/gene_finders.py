"""Per-base gene finders: a dilated CNN, a Bi-GRU, the hybrid CNN -> Bi-GRU, and the hybrid with pooling.

All four read a one-hot contig, float `(batch, T, 4)` (A, C, G, T), and return per-base probabilities
`(batch, T, 3)` of non-coding, coding on the plus strand, coding on the minus strand (many-to-many).

- `build_cnn_gene_finder`: stacked `Conv1D` with growing dilation rates, `padding="same"`, no pooling: each
  output sees a window of `receptive_field(kernel_size, dilations)` bases centred on it, and no further.
- `build_rnn_gene_finder`: a bidirectional GRU over the raw bases: it can carry information along the whole
  contig but must learn codon statistics (three-base periodicity) step by step.
- `build_hybrid_gene_finder`: the textbook chapter's pattern, a 1-D CNN front end (local motifs: codons, start
  and stop codons, the Shine-Dalgarno site) feeding a Bi-GRU back end (long-range context: where a gene began,
  on which strand, in which frame).
- `build_pooled_gene_finder`: the hybrid with strided max pooling between the two and `UpSampling1D` back to
  one output per base, so the Bi-GRU works at a coarser resolution (`pool` bases per step).

Used in chapter 02.
"""

from __future__ import annotations

import keras

from keras_patterns.checks import check_int, check_positive_int

__all__ = [
    "receptive_field",
    "build_cnn_gene_finder",
    "build_rnn_gene_finder",
    "build_hybrid_gene_finder",
    "build_pooled_gene_finder",
]

NUM_CLASSES = 3


def _check_dilations(dilations):
    if isinstance(dilations, (str, bytes)) or not hasattr(dilations, "__iter__"):
        raise ValueError(f"`dilations` must be a non-empty sequence of positive ints, e.g. (1, 2, 4). "
                         f"Received: dilations={dilations!r}")
    values = list(dilations)
    if not values:
        raise ValueError("`dilations` must be a non-empty sequence of positive ints, e.g. (1, 2, 4). Received: []")
    return tuple(check_positive_int("dilations[i]", d) for d in values)


def receptive_field(kernel_size, dilations):
    """Receptive field, in bases, of stacked stride-1 `Conv1D` layers with these dilation rates.

    A layer of kernel k and dilation d widens the window by (k - 1) * d, so the stack sees
    `1 + sum_i (k - 1) * d_i` bases (centred on the output with `padding="same"` and odd k).

    Args:
        kernel_size: a positive int, the same for every layer.
        dilations: a non-empty sequence of positive ints, one per layer.

    Returns:
        A Python int.

    Example:

    >>> receptive_field(3, (1, 2, 4, 8))
    31
    """
    kernel_size = check_positive_int("kernel_size", kernel_size)
    return 1 + sum((kernel_size - 1) * d for d in _check_dilations(dilations))


def _inputs(name):
    return keras.Input(shape=(None, 4), dtype="float32", name="bases")


def _conv_stack(x, filters, kernel_size, dilations, name):
    for i, d in enumerate(dilations):
        x = keras.layers.Conv1D(filters, kernel_size, dilation_rate=d, padding="same", activation="relu",
                                name=f"{name}_conv{i}_d{d}")(x)
    return x


def _head(x, name):
    return keras.layers.Dense(NUM_CLASSES, activation="softmax", name=f"{name}_probs")(x)


def build_cnn_gene_finder(filters=32, kernel_size=3, dilations=(1, 2, 4, 8), *, name="cnn_gene_finder"):
    """CNN only: stacked dilated `Conv1D` (ReLU, `padding="same"`, no pooling) -> Dense softmax per base.

    Args:
        filters: channels of every convolution.
        kernel_size: kernel width of every convolution.
        dilations: one dilation rate per layer.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`, float `(batch, T, 4)` -> probabilities `(batch, T, 3)`.

    Example:

    >>> build_cnn_gene_finder(8, 3, (1, 2)).output_shape
    (None, None, 3)
    """
    filters, kernel_size = check_positive_int("filters", filters), check_positive_int("kernel_size", kernel_size)
    dilations = _check_dilations(dilations)
    bases = _inputs(name)
    return keras.Model(bases, _head(_conv_stack(bases, filters, kernel_size, dilations, name), name), name=name)


def build_rnn_gene_finder(units=32, *, name="rnn_gene_finder"):
    """Bi-GRU only: Bidirectional(GRU(units, return_sequences=True)) -> Dense softmax per base.

    Args:
        units: units of each direction's GRU.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`, float `(batch, T, 4)` -> probabilities `(batch, T, 3)`.

    Example:

    >>> build_rnn_gene_finder(8).output_shape
    (None, None, 3)
    """
    units = check_positive_int("units", units)
    bases = _inputs(name)
    x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name=f"{name}_bigru")(bases)
    return keras.Model(bases, _head(x, name), name=name)


def build_hybrid_gene_finder(filters=32, kernel_size=3, dilations=(1, 2, 4), units=24, *,
                             name="hybrid_gene_finder"):
    """The hybrid: dilated `Conv1D` front end (no pooling) -> Bi-GRU back end -> Dense softmax per base.

    Args:
        filters: channels of every convolution.
        kernel_size: kernel width of every convolution.
        dilations: one dilation rate per convolution.
        units: units of each direction's GRU.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`, float `(batch, T, 4)` -> probabilities `(batch, T, 3)`.

    Example:

    >>> build_hybrid_gene_finder(8, 3, (1, 2), 4).output_shape
    (None, None, 3)
    """
    filters, kernel_size = check_positive_int("filters", filters), check_positive_int("kernel_size", kernel_size)
    dilations, units = _check_dilations(dilations), check_positive_int("units", units)
    bases = _inputs(name)
    x = _conv_stack(bases, filters, kernel_size, dilations, name)
    x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name=f"{name}_bigru")(x)
    return keras.Model(bases, _head(x, name), name=name)


def build_pooled_gene_finder(filters=32, kernel_size=3, dilations=(1, 2, 4), units=24, pool=4, *,
                             name="pooled_gene_finder"):
    """The hybrid with pooling: conv front end -> MaxPooling1D(pool) -> Bi-GRU -> UpSampling1D(pool) -> Dense.

    The Bi-GRU runs on `T / pool` steps and every group of `pool` bases shares its state, so a label change
    inside a group (a start or stop codon) cannot be placed to the base. T must be a multiple of `pool`.

    Args:
        filters: channels of every convolution.
        kernel_size: kernel width of every convolution.
        dilations: one dilation rate per convolution.
        units: units of each direction's GRU.
        pool: pooling size and stride (an int >= 1; 1 is the hybrid).
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`, float `(batch, T, 4)` -> probabilities `(batch, T, 3)`.

    Example:

    >>> build_pooled_gene_finder(8, 3, (1, 2), 4, pool=4).output_shape
    (None, None, 3)
    """
    filters, kernel_size = check_positive_int("filters", filters), check_positive_int("kernel_size", kernel_size)
    dilations, units = _check_dilations(dilations), check_positive_int("units", units)
    pool = check_int("pool", pool, minimum=1)
    bases = _inputs(name)
    x = _conv_stack(bases, filters, kernel_size, dilations, name)
    x = keras.layers.MaxPooling1D(pool, strides=pool, name=f"{name}_pool")(x)
    x = keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True), name=f"{name}_bigru")(x)
    x = keras.layers.UpSampling1D(pool, name=f"{name}_upsample")(x)
    return keras.Model(bases, _head(x, name), name=name)


#: The chapter's four models at matched sizes (parameter counts within 20 % of each other; the unit test checks).
CHAPTER_BUILDERS = {
    "cnn": lambda: build_cnn_gene_finder(32, 3, (1, 2, 4, 8, 16)),
    "rnn": lambda: build_rnn_gene_finder(40),
    "hybrid": lambda: build_hybrid_gene_finder(32, 3, (1, 2, 4), 20),
    "pooled": lambda: build_pooled_gene_finder(32, 3, (1, 2, 4), 20, pool=4),
}
