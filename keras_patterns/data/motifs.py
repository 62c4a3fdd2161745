"""Synthetic DNA with a real transcription-factor motif planted in half of the sequences.

The generator (its exact posteriors are in `keras_patterns.oracles.motifs`):

1. a sequence of `length` bases is drawn i.i.d. from the background `(A, C, G, T)` frequencies
   (uniform by default);
2. with probability `present_prob` (1/2 by default) a motif site is planted: a start `s` is drawn
   uniformly from `0, ..., length - width`, and bases `s, ..., s + width - 1` are redrawn, base `j` of the
   site from column `j` of the position weight matrix (PWM);
3. the global label (many-to-one, 多对一) is 1 when a site was planted; the local label of base `t`
   (many-to-many, 多对多) is 1 when `t` lies in the planted site.

A background stretch may look like the motif by chance, so neither label is a function of the bases:
the Bayes classifier errs, and its accuracy is the limit a model is measured against.

The motif is CTCF's, JASPAR CORE MA0139.1 (Kim et al. 2007, *Cell* 128:1231-1245: 19 columns, from
ChIP-chip sites; JASPAR data are free to use, CC BY 4.0). Its counts are `CTCF_COUNTS`; `pwm` turns
counts into probabilities with a pseudocount.

Bases are coded `A=0, C=1, G=2, T=3` (`BASES`); `one_hot` turns ids into the float one-hot input whose
gradient is the saliency map (input gradients need a float input).

Used in chapter 03.
"""

import numpy as np

from keras_patterns.checks import (
    check_float_array,
    check_int_array,
    check_number,
    check_positive_int,
    check_probabilities,
)

BASES = "ACGT"
"""The alphabet, in id order: base id `i` is `BASES[i]`. Used in chapter 03."""

CTCF_COUNTS = np.array(
    [
        [87, 291, 76, 459],
        [167, 145, 414, 187],
        [281, 49, 449, 134],
        [56, 800, 21, 36],
        [8, 903, 0, 2],
        [744, 13, 65, 91],
        [40, 528, 334, 11],
        [107, 433, 48, 324],
        [851, 11, 32, 18],
        [5, 0, 903, 3],
        [333, 3, 566, 9],
        [54, 12, 504, 341],
        [12, 0, 890, 8],
        [56, 8, 775, 71],
        [104, 733, 5, 67],
        [372, 13, 507, 17],
        [82, 482, 307, 37],
        [117, 322, 73, 396],
        [402, 181, 266, 59],
    ],
    dtype="int64",
)
"""JASPAR MA0139.1 (CTCF) counts, shape `(19, 4)`: row `j` = column `j` of the motif, counts of A, C, G, T.

Used in chapter 03.
"""

UNIFORM_BACKGROUND = np.full(4, 0.25)
"""Background base frequencies `(A, C, G, T)` of the generator by default. Used in chapter 03."""


def pwm(counts=None, pseudocount=1.0):
    """Position weight matrix (probabilities) from position counts, with a pseudocount.

    A zero count would make a base impossible inside the site, so that one mismatch rules a placement
    out; the pseudocount (added to every count before normalising) keeps every base possible.

    Args:
        counts: int or float array `(width, 4)` of non-negative counts per column and base (A, C, G, T);
            `CTCF_COUNTS` when None.
        pseudocount: number >= 0 added to every count.

    Returns:
        A float64 array `(width, 4)` whose rows sum to 1.

    Example:

    >>> p = pwm()
    >>> p.shape, round(float(p[4, 1]), 4)   # column 5 of CTCF is a C in 903 of 913 sites
    ((19, 4), 0.9858)

    Used in chapter 03.
    """
    counts = check_float_array("counts", CTCF_COUNTS if counts is None else counts, ndim=2, shape="(width, 4)")
    if counts.shape[1] != 4 or counts.shape[0] < 1:
        raise ValueError(f"`counts` must have shape (width, 4), one column per base A, C, G, T. "
                         f"Received: counts.shape={counts.shape}")
    if np.any(counts < 0):
        raise ValueError(f"`counts` must be non-negative. Received: min={counts.min()}")
    pseudocount = check_number("pseudocount", pseudocount, low=0)
    total = counts + pseudocount
    if np.any(total.sum(axis=1) <= 0):
        raise ValueError("Every row of `counts` needs a positive total (or use pseudocount > 0).")
    return total / total.sum(axis=1, keepdims=True)


def check_motif(motif, background=None):
    """Validates a PWM and a background; returns them as float64 arrays `(width, 4)` and `(4,)`.

    Example:

    >>> m, b = check_motif(pwm())
    >>> m.shape, b.tolist()
    ((19, 4), [0.25, 0.25, 0.25, 0.25])

    Used in chapter 03.
    """
    motif = check_probabilities("motif", motif, ndim=2)
    if motif.shape[1] != 4:
        raise ValueError(f"`motif` must have shape (width, 4), one column per base A, C, G, T. "
                         f"Received: motif.shape={motif.shape}")
    background = check_probabilities("background", UNIFORM_BACKGROUND if background is None else background,
                                     ndim=1, shape=(4,))
    if np.any(background <= 0):
        raise ValueError(f"`background` must give every base a positive probability. Received: {background.tolist()}")
    return motif, background


def sample_motif_sequences(num_sequences, length, seed, motif=None, background=None, present_prob=0.5):
    """Draws sequences from the generator of this module: background, and a motif site in about half.

    Args:
        num_sequences: positive int, number of sequences.
        length: int >= the motif's width, bases per sequence.
        seed: int, seed of a NumPy `default_rng` (the same seed gives the same sequences).
        motif: PWM `(width, 4)` (rows sum to 1); `pwm()` (CTCF) when None.
        background: base frequencies `(4,)`; uniform when None.
        present_prob: probability in [0, 1] that a sequence carries a site.

    Returns:
        A dict of NumPy arrays: `"ids"` int32 `(N, length)` base ids in 0..3; `"present"` int32 `(N,)`, the
        global label; `"start"` int32 `(N,)`, the site's first base (-1 without a site); `"local"` int32
        `(N, length)`, the local label (1 inside the site).

    Example:

    >>> data = sample_motif_sequences(4, 30, seed=0)
    >>> data["ids"].shape, data["local"].sum(axis=1).tolist(), data["present"].tolist()
    ((4, 30), [19, 19, 0, 0], [1, 1, 0, 0])

    Used in chapter 03.
    """
    num_sequences = check_positive_int("num_sequences", num_sequences)
    motif, background = check_motif(pwm() if motif is None else motif, background)
    width = len(motif)
    length = check_positive_int("length", length)
    if length < width:
        raise ValueError(f"`length` must be at least the motif's width {width}. Received: length={length}")
    present_prob = check_number("present_prob", present_prob, low=0, high=1)
    rng = np.random.default_rng(seed)
    ids = rng.choice(4, size=(num_sequences, length), p=background)
    present = rng.random(num_sequences) < present_prob
    start = np.where(present, rng.integers(0, length - width + 1, size=num_sequences), -1)
    # Inverse-CDF sampling of every site column at once: one uniform per base of the site.
    site = (rng.random((num_sequences, width, 1)) > np.cumsum(motif, axis=1)[None]).sum(axis=-1)
    site = np.minimum(site, 3)  # a uniform above the last cumsum's rounding error
    local = np.zeros((num_sequences, length), dtype="int32")
    for i in np.flatnonzero(present):
        ids[i, start[i]:start[i] + width] = site[i]
        local[i, start[i]:start[i] + width] = 1
    return {"ids": ids.astype("int32"), "present": present.astype("int32"), "start": start.astype("int32"),
            "local": local}


def one_hot(ids):
    """One-hot DNA: base ids `(N, T)` in 0..3 to float32 `(N, T, 4)`.

    Example:

    >>> one_hot([[0, 3]]).tolist()
    [[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]]

    Used in chapter 03.
    """
    ids = check_int_array("ids", ids, ndim=2, low=0, high=4, what="base ids (A=0, C=1, G=2, T=3)")
    return np.eye(4, dtype="float32")[ids]


def decode(ids):
    """Base ids `(T,)` to a string over ACGT.

    Example:

    >>> decode([1, 0, 2, 3])
    'CAGT'

    Used in chapter 03.
    """
    ids = check_int_array("ids", ids, ndim=1, low=0, high=4, what="base ids (A=0, C=1, G=2, T=3)")
    return "".join(BASES[i] for i in ids)


def consensus(motif=None):
    """The motif's most likely base at each column, as a string.

    Example:

    >>> consensus()
    'TGGCCACCAGGGGGCGCTA'

    Used in chapter 03.
    """
    motif, _ = check_motif(pwm() if motif is None else motif)
    return decode(motif.argmax(axis=1))
