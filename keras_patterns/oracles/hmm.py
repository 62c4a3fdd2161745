"""Exact posteriors of a discrete hidden Markov model: the limits of one-way and two-way taggers.

A per-residue tagger that reads the sequence left to right can at best output the *filtering*
posterior P(state_t | x_1..x_t); a bidirectional tagger can at best output the *smoothing*
posterior P(state_t | x_1..x_T). When the data come from a known HMM both are exact and cheap
(forward and forward-backward recursions), so the accuracy of their argmax is the Bayes-optimal
per-residue accuracy of each model family: the ceiling that chapter 01 compares its RNNs with.

Conventions: ``initial`` has shape `(S,)`, ``transition[i, j] = P(z_{t+1}=j | z_t=i)`` has shape
`(S, S)`, ``emission[i, v] = P(x_t=v | z_t=i)`` has shape `(S, V)`, and an observation sequence is
a 1-D array of integers in `[0, V)`. Several hidden states may share one output label (a chain
of states per label gives segments a minimum length); ``state_to_label`` maps them.

Numpy only: no Keras import, so the oracle runs anywhere and is checked by brute force.
"""

import numpy as np

from keras_patterns.checks import (
    check_choice,
    check_float_array,
    check_int_array,
    check_positive_int,
    check_probabilities,
    check_shapes,
)

__all__ = [
    "forward_filter",
    "forward_backward",
    "log_likelihood",
    "label_posterior",
    "label_posteriors",
    "argmax_accuracy",
    "mean_max_probability",
    "q3_limit",
    "expected_accuracy",
]

_METHODS = ("smoothing", "filtering")


def _check_model(initial, transition, emission):
    initial = check_probabilities("initial", initial, ndim=1)
    transition = check_probabilities("transition", transition, ndim=2)
    emission = check_probabilities("emission", emission, ndim=2)
    num_states = initial.shape[0]
    if transition.shape != (num_states, num_states):
        raise ValueError(
            f"`transition` must have shape (S, S) = ({num_states}, {num_states}) to match "
            f"`initial`. Received: transition.shape={transition.shape}"
        )
    if emission.shape[0] != num_states:
        raise ValueError(
            f"`emission` must have one row per hidden state ({num_states}) to match `initial`. "
            f"Received: emission.shape={emission.shape}"
        )
    return initial, transition, emission


def _check_obs(obs, num_symbols):
    return check_int_array(
        "obs", obs, ndim=1, shape="(T,)", min_size=1, low=0, high=num_symbols,
        what="symbol ids (the columns of `emission`)", integral_floats=True,
        hint="one sequence of symbol ids; for a batch, call the function once per sequence: padding is not a symbol",
    )


def _forward(obs, initial, transition, emission):
    """Scaled forward pass: normalised alphas (T, S) and the scaling constants (T,)."""
    likelihoods = emission[:, obs].T  # (T, S): P(x_t | z_t = s)
    length, num_states = likelihoods.shape
    alphas = np.empty((length, num_states))
    scales = np.empty(length)
    predicted = initial
    for t in range(length):
        joint = predicted * likelihoods[t]
        total = joint.sum()
        if total <= 0.0:
            raise ValueError(
                f"Observation {int(obs[t])} at position {t} has probability zero under the model "
                "given the symbols before it. Is a padding id (e.g. 0) still in the sequence? "
                "Strip padding before calling the oracle."
            )
        alphas[t] = joint / total
        scales[t] = total
        predicted = alphas[t] @ transition
    return alphas, scales, likelihoods


def forward_filter(obs, initial, transition, emission, return_loglik=False):
    """Filtering posteriors P(state_t | x_1..x_t) of an HMM, by the scaled forward recursion.

    This is the best that any left-to-right (unidirectional) model can know about position t.
    Each step is normalised, so sequences of any length neither underflow nor overflow.

    Used in chapter 01.

    Args:
        obs: 1-D integer array of length T, symbol ids in `[0, V)`.
        initial: array `(S,)`, the distribution of the first hidden state.
        transition: array `(S, S)`, row i is P(next state | state i).
        emission: array `(S, V)`, row i is P(symbol | state i).
        return_loglik: if True, also return log P(x_1..x_T).

    Returns:
        Array `(T, S)` whose row t sums to 1; with `return_loglik=True`, a tuple
        `(filtered, loglik)`.

    Example:

    >>> initial = np.array([0.5, 0.5])
    >>> transition = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> emission = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> forward_filter(np.array([0, 0, 1]), initial, transition, emission).shape
    (3, 2)
    """
    initial, transition, emission = _check_model(initial, transition, emission)
    obs = _check_obs(obs, emission.shape[1])
    alphas, scales, _ = _forward(obs, initial, transition, emission)
    if return_loglik:
        return alphas, float(np.log(scales).sum())
    return alphas


def log_likelihood(obs, initial, transition, emission):
    """Log-likelihood log P(x_1..x_T) of one sequence under an HMM (natural log).

    Used in chapter 01.

    Args:
        obs: 1-D integer array of length T, symbol ids in `[0, V)`.
        initial: array `(S,)`.
        transition: array `(S, S)`.
        emission: array `(S, V)`.

    Returns:
        A Python float.

    Example:

    >>> log_likelihood(np.array([0]), np.array([1.0]), np.array([[1.0]]), np.array([[0.25, 0.75]]))
    -1.3862943611198906
    """
    return forward_filter(obs, initial, transition, emission, return_loglik=True)[1]


def forward_backward(obs, initial, transition, emission, return_loglik=False):
    """Smoothing posteriors P(state_t | x_1..x_T) of an HMM, by the scaled forward-backward recursion.

    This is the best that any model reading the whole sequence (e.g. a bidirectional RNN) can
    know about position t. At the last position it equals the filtering posterior.

    Used in chapter 01.

    Args:
        obs: 1-D integer array of length T, symbol ids in `[0, V)`.
        initial: array `(S,)`.
        transition: array `(S, S)`.
        emission: array `(S, V)`.
        return_loglik: if True, also return log P(x_1..x_T).

    Returns:
        Array `(T, S)` whose row t sums to 1; with `return_loglik=True`, a tuple
        `(smoothed, loglik)`.

    Example:

    >>> initial = np.array([0.5, 0.5])
    >>> transition = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> emission = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> post = forward_backward(np.array([0, 0, 1]), initial, transition, emission)
    >>> np.allclose(post.sum(axis=1), 1.0)
    True
    """
    initial, transition, emission = _check_model(initial, transition, emission)
    obs = _check_obs(obs, emission.shape[1])
    alphas, scales, likelihoods = _forward(obs, initial, transition, emission)
    length = obs.shape[0]
    # beta_t is scaled by the same constants as alpha, so alpha_t * beta_t is the posterior.
    betas = np.empty_like(alphas)
    betas[-1] = 1.0
    for t in range(length - 2, -1, -1):
        betas[t] = transition @ (likelihoods[t + 1] * betas[t + 1]) / scales[t + 1]
    posterior = alphas * betas
    # Renormalising only removes rounding error; the rows already sum to 1 analytically.
    posterior /= posterior.sum(axis=1, keepdims=True)
    if return_loglik:
        return posterior, float(np.log(scales).sum())
    return posterior


def label_posterior(state_posterior, state_to_label, num_labels=None):
    """Sums the posteriors of hidden states that share an output label.

    Used in chapter 01.

    Args:
        state_posterior: array `(T, S)` from `forward_filter` or `forward_backward`.
        state_to_label: integer array `(S,)`, the label of each hidden state.
        num_labels: number of labels L; defaults to `max(state_to_label) + 1`.

    Returns:
        Array `(T, L)`, P(label_t | ...) for each position.

    Example:

    >>> post = np.array([[0.2, 0.3, 0.5]])
    >>> label_posterior(post, np.array([0, 0, 1]))
    array([[0.5, 0.5]])
    """
    state_posterior = check_float_array("state_posterior", state_posterior, ndim=2, shape="(T, S)")
    state_to_label = check_int_array("state_to_label", state_to_label, ndim=1, shape=(state_posterior.shape[1],),
                                     low=0, what="labels", hint="one label per hidden state")
    if num_labels is None:
        num_labels = int(state_to_label.max()) + 1
    num_labels = check_positive_int("num_labels", num_labels)
    check_int_array("state_to_label", state_to_label, low=0, high=num_labels, what="labels (ids below `num_labels`)")
    one_hot = np.zeros((state_to_label.shape[0], num_labels))
    one_hot[np.arange(state_to_label.shape[0]), state_to_label] = 1.0
    return state_posterior @ one_hot


def label_posteriors(
    observations, initial, transition, emission, state_to_label, num_labels=None, method="smoothing"
):
    """Label posteriors of many sequences, by smoothing (two-way) or filtering (one-way).

    Used in chapter 01.

    Args:
        observations: list of 1-D integer arrays (unpadded sequences).
        initial: array `(S,)`.
        transition: array `(S, S)`.
        emission: array `(S, V)`.
        state_to_label: integer array `(S,)`.
        num_labels: number of labels L; defaults to `max(state_to_label) + 1`.
        method: `"smoothing"` (forward-backward, the bidirectional limit) or `"filtering"`
            (forward only, the unidirectional limit).

    Returns:
        List of arrays `(T_i, L)`, one per sequence.

    Example:

    >>> initial = np.array([0.5, 0.5])
    >>> transition = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> emission = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> posts = label_posteriors([np.array([0, 1])], initial, transition, emission, np.array([0, 1]))
    >>> posts[0].shape
    (2, 2)
    """
    check_choice("method", method, _METHODS)
    if isinstance(observations, np.ndarray) and observations.ndim == 1:
        raise ValueError(
            "`observations` must be a list of sequences, not one sequence. "
            "Wrap it: `[obs]`."
        )
    function = forward_backward if method == "smoothing" else forward_filter
    return [
        label_posterior(function(obs, initial, transition, emission), state_to_label, num_labels)
        for obs in observations
    ]


def argmax_accuracy(posteriors, labels):
    """Accuracy of the argmax of posteriors, pooled over all positions of all sequences.

    Pooling (every residue counts once) rather than averaging per sequence matches how Q3 is
    reported and how a Keras metric over a masked batch is computed.

    Used in chapter 01.

    Args:
        posteriors: list of arrays `(T_i, L)`.
        labels: list of integer arrays `(T_i,)`, the true labels.

    Returns:
        A Python float in [0, 1].

    Example:

    >>> argmax_accuracy([np.array([[0.9, 0.1], [0.4, 0.6]])], [np.array([0, 0])])
    0.5
    """
    if len(posteriors) != len(labels):
        raise ValueError(
            "`posteriors` and `labels` must hold the same number of sequences. "
            f"Received: {len(posteriors)} and {len(labels)}"
        )
    correct = 0
    total = 0
    for index, (post, lab) in enumerate(zip(posteriors, labels)):
        post = np.asarray(post)
        lab = np.asarray(lab)
        check_shapes(**{f"posteriors[{index}]": (post, ("T", "L")), f"labels[{index}]": (lab, ("T",))})
        correct += int(np.sum(np.argmax(post, axis=1) == lab))
        total += lab.shape[0]
    if total == 0:
        raise ValueError("No positions to score: every sequence is empty.")
    return correct / total


def mean_max_probability(posteriors):
    """Mean over all positions of the largest posterior probability.

    If the data really come from the model, this is the *expected* accuracy of the argmax
    decision: an estimate of the Bayes accuracy without the sampling noise of the true labels.

    Used in chapter 01.

    Args:
        posteriors: list of arrays `(T_i, L)`.

    Returns:
        A Python float in [1/L, 1].

    Example:

    >>> mean_max_probability([np.array([[0.9, 0.1], [0.4, 0.6]])])
    0.75
    """
    maxima = [
        np.max(check_float_array(f"posteriors[{index}]", post, ndim=2, shape="(T, L)"), axis=1)
        for index, post in enumerate(posteriors)
    ]
    total = sum(m.shape[0] for m in maxima)
    if total == 0:
        raise ValueError("No positions to score: every sequence is empty.")
    return float(sum(m.sum() for m in maxima) / total)


def q3_limit(
    observations,
    labels,
    initial,
    transition,
    emission,
    state_to_label,
    num_labels=None,
    method="smoothing",
):
    """Bayes-optimal per-residue accuracy (Q3 for three labels) of a labelled sample.

    The accuracy of the argmax of the exact label posterior against the true labels, pooled
    over residues. `method="smoothing"` gives the limit of bidirectional taggers,
    `method="filtering"` the limit of left-to-right taggers.

    Used in chapter 01.

    Args:
        observations: list of 1-D integer arrays (unpadded sequences).
        labels: list of integer arrays, the true label of each position.
        initial: array `(S,)`.
        transition: array `(S, S)`.
        emission: array `(S, V)`.
        state_to_label: integer array `(S,)`.
        num_labels: number of labels L; defaults to `max(state_to_label) + 1`.
        method: `"smoothing"` or `"filtering"`.

    Returns:
        A Python float in [0, 1].

    Example:

    >>> initial = np.array([0.5, 0.5])
    >>> transition = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> emission = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> q3_limit([np.array([0, 0, 1, 1])], [np.array([0, 0, 1, 1])], initial, transition, emission,
    ...          np.array([0, 1]))
    1.0
    """
    posteriors = label_posteriors(
        observations, initial, transition, emission, state_to_label, num_labels, method
    )
    return argmax_accuracy(posteriors, labels)


def expected_accuracy(
    observations, initial, transition, emission, state_to_label, num_labels=None, method="smoothing"
):
    """Expected Bayes-optimal accuracy: the mean of the largest label posterior.

    Needs no true labels; on data sampled from the model it estimates the same quantity as
    `q3_limit` with less variance.

    Used in chapter 01.

    Args:
        observations: list of 1-D integer arrays (unpadded sequences).
        initial: array `(S,)`.
        transition: array `(S, S)`.
        emission: array `(S, V)`.
        state_to_label: integer array `(S,)`.
        num_labels: number of labels L; defaults to `max(state_to_label) + 1`.
        method: `"smoothing"` or `"filtering"`.

    Returns:
        A Python float in [1/L, 1].

    Example:

    >>> initial = np.array([0.5, 0.5])
    >>> transition = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> emission = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> round(expected_accuracy([np.array([0])], initial, transition, emission, np.array([0, 1])), 4)
    0.7273
    """
    posteriors = label_posteriors(
        observations, initial, transition, emission, state_to_label, num_labels, method
    )
    return mean_max_probability(posteriors)
