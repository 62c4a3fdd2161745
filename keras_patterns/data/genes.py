"""Synthetic prokaryotic contigs with per-base gene labels, and their exact Bayes limits.

Contigs are sampled from the two-strand gene HMM of `keras_patterns.oracles.gene_hmm` (E. coli codon
usage, start and stop codons at E. coli frequencies, a Shine-Dalgarno site 5 to 10 nt upstream of the
start, genes on both strands). Each base has a label: 0 non-coding, 1 coding on the plus strand, 2 coding
on the minus strand. Genes are shorter than real ones (mean 40 coding codons, about 126 bp with start and
stop, against about 950 bp in E. coli) so that contigs of a few hundred bases hold several genes and
models train on a CPU; the data card `datasets/genes/README.md` gives the sizes and the measured limits.

The limits are exact: forward-backward over the same HMM gives P(label_t | contig) for every base, and the
Bayes rule (its argmax) has the highest expected per-base accuracy of any predictor.

Used in chapter 02.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.checks import check_int, check_int_array, check_positive_int
from keras_patterns.oracles import gene_hmm

__all__ = ["chapter_model", "make_contigs", "one_hot", "bayes_limits", "accuracies"]

#: The chapter's generator settings (see `gene_hmm.build_gene_model`).
CHAPTER_PARAMS = dict(mean_intergenic=60.0, mean_codons=40.0, plus_fraction=0.5, rbs_strength=0.7,
                      spacer=(5, 10))
#: Bases within this many nt of a start or stop codon count as boundary bases.
BOUNDARY_RADIUS = 5


def chapter_model(**overrides):
    """The chapter's gene HMM: `gene_hmm.build_gene_model(**CHAPTER_PARAMS)`, with any argument overridden.

    Example:

    >>> chapter_model().num_states
    130
    """
    return gene_hmm.build_gene_model(**{**CHAPTER_PARAMS, **overrides})


def one_hot(bases):
    """One-hot bases: int `(..., T)` with ids 0..3 (A, C, G, T) -> float32 `(..., T, 4)`.

    Example:

    >>> one_hot(np.array([0, 3])).tolist()
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    """
    bases = check_int_array("bases", bases, low=0, high=4, min_size=1, what="base ids (A=0, C=1, G=2, T=3)")
    return np.eye(4, dtype="float32")[bases]


def make_contigs(num_contigs, length, seed, model=None, with_posteriors=False):
    """Sample contigs of one length with their labels and boundary masks.

    Args:
        num_contigs: a positive int.
        length: bases per contig, a positive int.
        seed: a non-negative int (the same seed gives the same contigs).
        model: a `gene_hmm.GeneModel`, or None for `chapter_model()`.
        with_posteriors: also compute the exact label posteriors (forward-backward; about 1 s per 100,000
            bases on one core).

    Returns:
        A dict of NumPy arrays: `bases` int64 `(N, T)`, `x` float32 `(N, T, 4)` (one-hot), `labels` int64
        `(N, T)` in {0, 1, 2}, `states` int64 `(N, T)` (the hidden path), `boundary` bool `(N, T)` (within
        `BOUNDARY_RADIUS` nt of a start or stop codon); with `with_posteriors`, `posteriors` float64
        `(N, T, 3)`.

    Example:

    >>> data = make_contigs(4, 120, seed=0)
    >>> data["x"].shape, data["labels"].shape, data["x"].dtype
    ((4, 120, 4), (4, 120), dtype('float32'))
    """
    num_contigs = check_positive_int("num_contigs", num_contigs)
    length = check_positive_int("length", length)
    seed = check_int("seed", seed, minimum=0)
    model = chapter_model() if model is None else gene_hmm._check_model(model)
    bases, states = model.sample(num_contigs, length, seed)
    data = {
        "bases": bases,
        "x": one_hot(bases),
        "labels": model.labels[states],
        "states": states,
        "boundary": gene_hmm.boundary_mask(model, states, BOUNDARY_RADIUS),
    }
    if with_posteriors:
        data["posteriors"] = gene_hmm.label_posteriors(model, bases)
    return data


def accuracies(labels, predictions, boundary):
    """Per-base accuracy overall and at boundary bases, in percent.

    Args:
        labels: int `(N, T)`, the true labels.
        predictions: int `(N, T)` predicted labels, or float `(N, T, 3)` probabilities (argmax taken).
        boundary: bool `(N, T)`, the boundary bases.

    Returns:
        `(base_acc, boundary_acc)`, Python floats in [0, 100].

    Example:

    >>> accuracies(np.array([[0, 1, 1]]), np.array([[0, 1, 2]]), np.array([[False, True, True]]))
    (66.66666666666666, 50.0)
    """
    labels = check_int_array("labels", labels, ndim=2, low=0, high=3, what="labels 0, 1, 2")
    predictions = np.asarray(predictions)
    if predictions.ndim == 3:
        if predictions.shape[-1] != 3:
            raise ValueError(f"`predictions` as probabilities must have shape (N, T, 3). Received: {predictions.shape}")
        predictions = predictions.argmax(-1)
    predictions = check_int_array("predictions", predictions, shape=labels.shape, low=0, high=3,
                                  what="labels 0, 1, 2", hint="the shape of `labels`")
    boundary = np.asarray(boundary)
    if boundary.dtype != bool or boundary.shape != labels.shape:
        raise ValueError(f"`boundary` must be a bool array of the shape of `labels` {labels.shape}. "
                         f"Received: dtype={boundary.dtype}, shape={boundary.shape}")
    if not boundary.any():
        raise ValueError("`boundary` marks no base: the contigs hold no start or stop codon")
    right = predictions == labels
    return float(100.0 * right.mean()), float(100.0 * right[boundary].mean())


def bayes_limits(data, model=None):
    """The Bayes rule's accuracies on these contigs: `(base_acc_limit, boundary_acc_limit)` in percent.

    Args:
        data: a dict from `make_contigs` (its `posteriors` are used if present, else computed).
        model: the `GeneModel` that sampled them, None for `chapter_model()`.

    Returns:
        Two Python floats in [0, 100].
    """
    if not isinstance(data, dict) or not {"bases", "labels", "boundary"} <= set(data):
        raise ValueError("`data` must be a dict from make_contigs (keys bases, labels, boundary)")
    model = chapter_model() if model is None else gene_hmm._check_model(model)
    posteriors = data.get("posteriors")
    if posteriors is None:
        posteriors = gene_hmm.label_posteriors(model, data["bases"])
    return accuracies(data["labels"], gene_hmm.bayes_predictions(posteriors), data["boundary"])
