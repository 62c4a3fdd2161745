"""Exact posteriors and Bayes limits of the planted-motif generator of `keras_patterns.data.motifs`.

Under the generator a sequence `x` of length `T` either has no site (probability `1 - pi`; every base
from the background `b`) or has one site starting at `s`, uniform over the `P = T - W + 1` placements
(probability `pi / P` each; bases `s..s+W-1` from the PWM `M`, the others from `b`). So

    P(x | site at s) / P(x | no site) = LR_s(x) = prod_j M[j, x_{s+j}] / b[x_{s+j}],

and summing over the placements,

    P(site | x)            = pi * mean_s LR_s / (pi * mean_s LR_s + 1 - pi),
    P(base t in site | x)  = (pi / P) * sum_{s <= t < s + W} LR_s / (pi * mean_s LR_s + 1 - pi).

The Bayes classifier thresholds these at 1/2. Its accuracy is `E_x[max(p(x), 1 - p(x))]`, which
`bayes_accuracy` estimates without bias on a sample (averaging `max(p, 1 - p)` has a smaller variance
than scoring the rule against the sample's labels; the tests check both against the exact sum over all
`4^T` sequences of tiny cases). All sums are in log space, so long sequences do not underflow.

Used in chapter 03.
"""

import numpy as np

from keras_patterns.checks import check_float_array, check_int_array, check_number, check_shapes
from keras_patterns.data.motifs import check_motif


def _ids(ids, width):
    ids = check_int_array("ids", ids, ndim=2, low=0, high=4, what="base ids (A=0, C=1, G=2, T=3)",
                          hint="(num_sequences, length)")
    if ids.shape[1] < width:
        raise ValueError(f"`ids` must have at least the motif's width {width} bases per sequence. "
                         f"Received: ids.shape={ids.shape}")
    return ids


def placement_log_likelihood_ratios(ids, motif, background=None):
    """`log LR_s(x)` of every placement `s` of the site, for every sequence.

    Args:
        ids: int array `(N, T)` of base ids in 0..3.
        motif: PWM `(W, 4)`, rows summing to 1.
        background: base frequencies `(4,)` (uniform when None).

    Returns:
        A float64 array `(N, T - W + 1)`: entry `[i, s]` is `sum_j log(M[j, x_{s+j}] / b[x_{s+j}])`.

    Example:

    >>> m = np.array([[0.7, 0.1, 0.1, 0.1]])   # a one-base motif, mostly A
    >>> np.round(np.exp(placement_log_likelihood_ratios([[0, 1]], m)), 6).tolist()
    [[2.8, 0.4]]

    Used in chapter 03.
    """
    motif, background = check_motif(motif, background)
    ids = _ids(ids, len(motif))
    width, places = len(motif), ids.shape[1] - len(motif) + 1
    with np.errstate(divide="ignore"):
        log_ratio = np.log(motif) - np.log(background)  # (W, 4); -inf where the PWM forbids a base
    scores = np.zeros((len(ids), places))
    for j in range(width):
        scores += log_ratio[j, ids[:, j:j + places]]
    return scores


def _placement_weights(ids, motif, background, prior):
    """Posterior over (no site, site at 0, ..., site at P-1): shapes (N,) and (N, P)."""
    prior = check_number("prior", prior, low=0, high=1)
    scores = placement_log_likelihood_ratios(ids, motif, background)
    places = scores.shape[1]
    with np.errstate(divide="ignore"):
        site = np.log(prior) - np.log(places) + scores
        absent = np.full((len(scores), 1), np.log1p(-prior))
    logits = np.concatenate([absent, site], axis=1)
    top = logits.max(axis=1, keepdims=True)
    weights = np.exp(logits - top)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights[:, 0], weights[:, 1:]


def presence_posterior(ids, motif, background=None, prior=0.5):
    """Exact `P(a site is present | x)` under the generator.

    Args:
        ids: int array `(N, T)` of base ids in 0..3.
        motif: PWM `(W, 4)`, rows summing to 1.
        background: base frequencies `(4,)` (uniform when None).
        prior: the generator's `present_prob`, in [0, 1].

    Returns:
        A float64 array `(N,)` of probabilities.

    Example:

    >>> m = np.array([[0.7, 0.1, 0.1, 0.1]])
    >>> np.round(presence_posterior([[0, 1]], m), 6).tolist()   # mean LR 1.6: 1.6 / 2.6
    [0.615385]

    Used in chapter 03.
    """
    absent, _ = _placement_weights(ids, motif, background, prior)
    return 1.0 - absent


def position_posterior(ids, motif, background=None, prior=0.5):
    """Exact `P(base t lies in the planted site | x)` for every base.

    Args:
        ids: int array `(N, T)` of base ids in 0..3.
        motif: PWM `(W, 4)`, rows summing to 1.
        background: base frequencies `(4,)` (uniform when None).
        prior: the generator's `present_prob`, in [0, 1].

    Returns:
        A float64 array `(N, T)` of probabilities.

    Example:

    >>> m = np.array([[0.7, 0.1, 0.1, 0.1]])
    >>> np.round(position_posterior([[0, 1]], m), 6).tolist()   # 0.5 * (2.8, 0.4) / 2 / 1.3
    [[0.538462, 0.076923]]

    Used in chapter 03.
    """
    motif, background = check_motif(motif, background)
    _, weights = _placement_weights(ids, motif, background, prior)
    width, (num, places) = len(motif), weights.shape
    # Base t is covered by the starts s in [t - W + 1, t]: a difference of cumulative sums.
    cumulative = np.concatenate([np.zeros((num, 1)), np.cumsum(weights, axis=1)], axis=1)
    t = np.arange(places + width - 1)
    high = np.minimum(t, places - 1) + 1
    low = np.maximum(t - width + 1, 0)
    return np.clip(cumulative[:, high] - cumulative[:, low], 0.0, 1.0)


def bayes_accuracy(posterior):
    """Expected accuracy of the Bayes rule, `mean(max(p, 1 - p))`, over any array of posteriors.

    Averaged over sequences drawn from the generator it is an unbiased estimate of the Bayes accuracy
    (of the global task for `presence_posterior`, of the per-base local task for `position_posterior`).

    Args:
        posterior: float array of probabilities in [0, 1], any shape.

    Returns:
        A Python float.

    Example:

    >>> bayes_accuracy([0.9, 0.2, 0.5])
    0.7333333333333334

    Used in chapter 03.
    """
    posterior = check_float_array("posterior", posterior, min_size=1)
    if np.any(posterior < 0) or np.any(posterior > 1):
        raise ValueError(f"`posterior` must hold probabilities in [0, 1]. Received: min={posterior.min()}, "
                         f"max={posterior.max()}")
    return float(np.mean(np.maximum(posterior, 1.0 - posterior)))


def rule_accuracy(posterior, labels):
    """Accuracy of the Bayes rule `p > 1/2` against the labels of one sample (what it scores on a test set).

    Args:
        posterior: float array of probabilities, any shape.
        labels: int array of 0/1 labels, the same shape.

    Returns:
        A Python float.

    Example:

    >>> rule_accuracy([0.9, 0.2, 0.6], [1, 0, 0])
    0.6666666666666666

    Used in chapter 03.
    """
    posterior = check_float_array("posterior", posterior, min_size=1)
    labels = check_int_array("labels", labels, low=0, high=2, what="0/1 labels")
    check_shapes(posterior=(posterior, tuple(f"d{i}" for i in range(posterior.ndim))),
                 labels=(labels, tuple(f"d{i}" for i in range(posterior.ndim))))
    return float(np.mean((posterior > 0.5) == (labels == 1)))


def auc(scores, labels):
    """Area under the ROC curve of `scores` against 0/1 `labels` (ties count one half).

    With the exact `presence_posterior` as scores it is the Bayes AUC on that sample: no score ranks the
    carriers above the others better on average.

    Args:
        scores: float array `(N,)`.
        labels: int array `(N,)` of 0/1, both classes present.

    Returns:
        A Python float in [0, 1].

    Example:

    >>> auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75

    Used in chapter 03.
    """
    scores = check_float_array("scores", scores, ndim=1, min_size=2)
    labels = check_int_array("labels", labels, shape=scores.shape, low=0, high=2, what="0/1 labels")
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if positives.size == 0 or negatives.size == 0:
        raise ValueError(f"`labels` must hold both classes. Received: {positives.size} ones, {negatives.size} zeros")
    order = np.sort(negatives)
    below = np.searchsorted(order, positives, side="left")
    equal = np.searchsorted(order, positives, side="right") - below
    return float((below.sum() + 0.5 * equal.sum()) / (positives.size * negatives.size))
