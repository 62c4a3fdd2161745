"""Exact quantities of the simple random walk on a graph: the limits of the walk models.

The walk starts at a node `X_0` drawn uniformly from the `n` nodes and moves
to a uniformly chosen neighbour at each step, ignoring edge weights:
`P = D^-1 A`. Each node `u` belongs to one community `labels[u]`. Two tasks
are read off the walk `X_0, ..., X_L`:

- the global task (many-to-one, 多对一): name the community of the start
  node `X_0`;
- the local task (many-to-many, 多对多): at each step `t`, name the
  community of the next node `X_{t+1}`, knowing the walk up to `X_t`.

Everything here is exact (matrix powers, eigenvalues, no Monte Carlo); the
walks themselves are sampled by `keras_patterns.data.graphs.sample_walks`.

Bayes limits, with `c(u) = labels[u]`:

- Global task from the last node only:
  `acc(L) = sum_v max_c sum_{u: c(u)=c} (1/n) P^L[u, v]`. It falls from 1
  at `L = 0` to the largest community share once the walk has mixed.
- Global task from the last `k` nodes `X_{L-k+1}, ..., X_L`: by the Markov
  property, `X_0` is independent of the later nodes given `X_{L-k+1}`, so
  the limit is `acc(L - k + 1)`.
- Global task from the whole walk (`k = L + 1`): 1, because `c(X_0)` is a
  function of `X_0`. A many-to-one model that reads the whole walk can be
  perfect at any `L`; what it needs is memory of the first input.
- Local task at step `t`: `sum_u p_t(u) max_c sum_{v: c(v)=c} P[u, v]` with
  `p_t` the law of `X_t`. Seeing `X_0, ..., X_{t-1}` as well does not help
  (Markov property). As `t` grows, `p_t` tends to the stationary `pi`, so
  the limit tends to a value that does not depend on `t`.

Used in chapter 14.
"""

import networkx as nx
import numpy as np

from keras_patterns.checks import check_float_array, check_int, check_int_array, check_number, check_probabilities

_ATOL = 1e-9


def _check_labels(labels, num_nodes):
    return check_int_array("labels", labels, ndim=1, shape=(num_nodes,), low=0, what="community ids",
                           hint="one community per node")


def _one_hot(labels):
    return np.eye(int(labels.max()) + 1)[labels]


def adjacency_matrix(graph):
    """Unweighted adjacency matrix of a graph, nodes in the order `0..n-1`.

    Edge weights are ignored: the course's walk is the simple random walk.

    Args:
        graph: An undirected `networkx.Graph` whose nodes are the integers
            `0, ..., n-1`, or a square symmetric array with entries in
            `{0, 1}`.

    Returns:
        A float64 array of shape `(n, n)` with `A[u, v] = 1` for an edge.

    Example:

    >>> a = adjacency_matrix(nx.path_graph(3))
    >>> a.tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]

    Used in chapter 14.
    """
    if isinstance(graph, nx.Graph):
        if graph.is_directed() or graph.is_multigraph():
            raise ValueError(
                "`graph` must be a simple undirected networkx.Graph. "
                f"Received: {type(graph).__name__}"
            )
        n = graph.number_of_nodes()
        if set(graph.nodes) != set(range(n)):
            raise ValueError(
                "The nodes of `graph` must be the integers 0..n-1 (use "
                "networkx.convert_node_labels_to_integers). "
                f"Received: nodes={sorted(graph.nodes, key=str)[:5]}..."
            )
        return nx.to_numpy_array(graph, nodelist=range(n), weight=None)
    a = np.asarray(graph, dtype="float64")
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(
            "`graph` must be a networkx.Graph or a square, non-empty matrix. "
            f"Received: shape={a.shape}"
        )
    if not np.array_equal(a, a.T) or not np.isin(a, (0.0, 1.0)).all():
        raise ValueError(
            "An adjacency matrix must be symmetric with entries 0 or 1. "
            "Received: a matrix that is not"
        )
    return a


def transition_matrix(graph):
    """Transition matrix `P = D^-1 A` of the simple random walk.

    Args:
        graph: A `networkx.Graph` with nodes `0..n-1`, or its adjacency
            matrix (see `adjacency_matrix`). Edge weights are ignored.

    Returns:
        A float64 array of shape `(n, n)`; row `u` is uniform over the
        neighbours of `u`.

    Raises:
        ValueError: If a node has no neighbour (the walk cannot leave it).

    Example:

    >>> p = transition_matrix(nx.path_graph(3))
    >>> p[1].tolist()
    [0.5, 0.0, 0.5]

    Used in chapter 14.
    """
    a = adjacency_matrix(graph)
    degrees = a.sum(axis=1)
    isolated = np.flatnonzero(degrees == 0)
    if isolated.size:
        raise ValueError(
            "The random walk is undefined on isolated nodes. "
            f"Received: isolated nodes={isolated.tolist()}"
        )
    return a / degrees[:, None]


def lazy_transition_matrix(transition):
    """Lazy walk `(I + P) / 2`: stay put with probability 1/2.

    The lazy walk is aperiodic on every connected graph, so it mixes even on
    a bipartite graph, where the simple walk does not.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.

    Returns:
        The lazy transition matrix, shape `(n, n)`.

    Example:

    >>> lazy_transition_matrix(np.array([[0.0, 1.0], [1.0, 0.0]])).tolist()
    [[0.5, 0.5], [0.5, 0.5]]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    return 0.5 * (np.eye(len(p)) + p)


def degree_stationary_distribution(graph):
    """Stationary distribution `pi(u) = deg(u) / 2m` of the simple walk.

    Args:
        graph: A `networkx.Graph` with nodes `0..n-1`, or its adjacency
            matrix.

    Returns:
        A float64 array of shape `(n,)` summing to 1.

    Example:

    >>> degree_stationary_distribution(nx.path_graph(3)).tolist()
    [0.25, 0.5, 0.25]

    Used in chapter 14.
    """
    degrees = adjacency_matrix(graph).sum(axis=1)
    if degrees.sum() == 0:
        raise ValueError("`graph` has no edge. Received: a graph with 0 edges")
    return degrees / degrees.sum()


def stationary_distribution(transition):
    """Stationary distribution `pi` of an irreducible chain, `pi P = pi`.

    Solves the linear system `pi (P - I) = 0`, `sum(pi) = 1` directly, so it
    does not rely on the walk being on a graph; for the simple walk it
    equals `degree_stationary_distribution`.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`, irreducible.

    Returns:
        A float64 array of shape `(n,)` summing to 1.

    Raises:
        ValueError: If the chain has no unique stationary distribution (it
            is not irreducible, e.g. the graph is disconnected).

    Example:

    >>> stationary_distribution(transition_matrix(nx.path_graph(3))).round(6).tolist()
    [0.25, 0.5, 0.25]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    n = len(p)
    system = np.vstack([p.T - np.eye(n), np.ones((1, n))])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    if np.linalg.matrix_rank(system) < n:
        raise ValueError(
            "The chain has no unique stationary distribution (is the graph "
            "connected?). Received: a reducible transition matrix"
        )
    pi, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    # Rounding can leave entries of order -1e-17; a law must be non-negative.
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def walk_distribution(transition, length, start=None):
    """Law of the walk's position `X_L` after `length` steps.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        length: Number of steps `L >= 0`.
        start: Law of `X_0`, shape `(n,)`; uniform when None.

    Returns:
        A float64 array of shape `(n,)`, `start @ P^L`.

    Example:

    >>> p = transition_matrix(nx.path_graph(3))
    >>> walk_distribution(p, 1, start=np.array([1.0, 0.0, 0.0])).tolist()
    [0.0, 1.0, 0.0]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    length = check_int("length", length, minimum=0)
    n = len(p)
    if start is None:
        q = np.full(n, 1.0 / n)
    else:
        q = check_probabilities("start", start, ndim=1, shape=(n,))
    return q @ np.linalg.matrix_power(p, length)


def start_community_posterior(transition, labels, length):
    """Posterior of the start community given the last node, start uniform.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.
        length: Number of steps `L >= 0`.

    Returns:
        A float64 array of shape `(n, num_communities)`: row `v` is
        `P(c(X_0) = c | X_L = v)` (uniform where `X_L = v` is impossible).

    Example:

    >>> p = transition_matrix(nx.complete_graph(3))
    >>> start_community_posterior(p, np.array([0, 0, 1]), 0)[2].tolist()
    [0.0, 1.0]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    y = _check_labels(labels, len(p))
    length = check_int("length", length, minimum=0)
    # joint[v, c] = P(X_L = v, c(X_0) = c) with X_0 uniform.
    joint = np.linalg.matrix_power(p, length).T @ _one_hot(y) / len(p)
    totals = joint.sum(axis=1, keepdims=True)
    uniform = np.full_like(joint, 1.0 / joint.shape[1])
    return np.where(totals > 0, joint / np.where(totals > 0, totals, 1.0), uniform)


def global_bayes_accuracy(transition, labels, length):
    """Bayes accuracy of naming the start community from the last node.

    `acc(L) = sum_v max_c sum_{u: c(u)=c} (1/n) P^L[u, v]`, with the start
    node uniform. A model that sees the whole walk can reach 1 instead (see
    `window_bayes_accuracy`).

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.
        length: Number of steps `L >= 0`.

    Returns:
        A float in `[max_c share(c), 1]`; 1 at `L = 0`.

    Example:

    >>> p = transition_matrix(nx.complete_graph(4))
    >>> round(global_bayes_accuracy(p, np.array([0, 0, 1, 1]), 1), 6)
    0.666667

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    y = _check_labels(labels, len(p))
    length = check_int("length", length, minimum=0)
    if length == 0:
        # X_L = X_0 names its own community; return 1 exactly, not 34 * (1/34).
        return 1.0
    joint = np.linalg.matrix_power(p, length).T @ _one_hot(y) / len(p)
    return float(joint.max(axis=1).sum())


def global_bayes_accuracies(transition, labels, lengths):
    """`global_bayes_accuracy` at each walk length of `lengths`.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.
        lengths: Iterable of walk lengths `L >= 0`.

    Returns:
        A float64 array with one accuracy per length.

    Example:

    >>> p = transition_matrix(nx.complete_graph(4))
    >>> global_bayes_accuracies(p, np.array([0, 0, 1, 1]), [0, 1]).round(3).tolist()
    [1.0, 0.667]

    Used in chapter 14.
    """
    return np.array(
        [global_bayes_accuracy(transition, labels, length) for length in lengths]
    )


def window_bayes_accuracy(transition, labels, length, window):
    """Bayes accuracy of the start community from the last `window` nodes.

    The model sees `X_{L-k+1}, ..., X_L` with `k = window`. Given the first
    node it sees, the start is independent of the rest (Markov property), so
    the limit is `global_bayes_accuracy(P, labels, L - k + 1)`. With
    `window = L + 1` the model sees `X_0`, and the limit is 1.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.
        length: Number of steps `L >= 0`.
        window: Number of last nodes seen, `1 <= window <= L + 1`.

    Returns:
        A float, the Bayes accuracy.

    Example:

    >>> p = transition_matrix(nx.complete_graph(4))
    >>> window_bayes_accuracy(p, np.array([0, 0, 1, 1]), 3, 4)
    1.0

    Used in chapter 14.
    """
    length = check_int("length", length, minimum=0)
    window = check_int("window", window, minimum=1)
    if window > length + 1:
        raise ValueError(
            "`window` can be at most `length + 1` (the whole walk). "
            f"Received: window={window}, length={length}"
        )
    return global_bayes_accuracy(transition, labels, length - window + 1)


def next_community_probabilities(transition, labels):
    """Probability that the next node is in each community, per current node.

    This is the Bayes predictor of the local task: from `X_t = u`, the
    community of `X_{t+1}` is `c` with probability
    `sum_{v: c(v)=c} P[u, v]`.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.

    Returns:
        A float64 array of shape `(n, num_communities)`, rows summing to 1.

    Example:

    >>> p = transition_matrix(nx.path_graph(3))
    >>> next_community_probabilities(p, np.array([0, 0, 1]))[1].tolist()
    [0.5, 0.5]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    y = _check_labels(labels, len(p))
    return p @ _one_hot(y)


def local_bayes_accuracy(transition, labels, step=None):
    """Bayes accuracy of the local task: the community of `X_{t+1}` from `X_t`.

    `sum_u p_t(u) max_c sum_{v: c(v)=c} P[u, v]`, where `p_t` is the law of
    `X_t` with the start uniform, or the stationary distribution `pi` when
    `step` is None. Knowing the earlier nodes too does not raise it (Markov
    property), so it is also the limit of a causal many-to-many model.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.
        step: The step `t >= 0` at which the prediction is made, or None for
            the walk at stationarity.

    Returns:
        A float, the Bayes accuracy.

    Example:

    >>> p = transition_matrix(nx.path_graph(3))
    >>> round(local_bayes_accuracy(p, np.array([0, 0, 1])), 6)
    0.75

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    best = next_community_probabilities(p, labels).max(axis=1)
    if step is None:
        q = stationary_distribution(p)
    else:
        q = walk_distribution(p, check_int("step", step, minimum=0))
    return float(q @ best)


def local_bayes_accuracies(transition, labels, length):
    """`local_bayes_accuracy` at each step `t = 0, ..., length - 1`.

    These are the limits of the `length` outputs of a many-to-many tagger
    reading a walk of `length` steps (`length + 1` nodes).

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        labels: Community of each node, int array of shape `(n,)`.
        length: Number of steps `L >= 1`.

    Returns:
        A float64 array of shape `(length,)`.

    Example:

    >>> p = transition_matrix(nx.path_graph(3))
    >>> local_bayes_accuracies(p, np.array([0, 0, 1]), 2).round(4).tolist()
    [0.8333, 0.6667]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    length = check_int("length", length, minimum=1)
    best = next_community_probabilities(p, labels).max(axis=1)
    q = np.full(len(p), 1.0 / len(p))
    out = np.empty(length)
    for t in range(length):
        out[t] = q @ best
        q = q @ p
    return out


def transition_eigenvalues(transition):
    """Eigenvalues of a reversible transition matrix, largest first.

    For a reversible chain, `D_pi^1/2 P D_pi^-1/2` is symmetric with the
    same eigenvalues, so they are real and a symmetric solver finds them
    accurately.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`, irreducible and
            reversible (every simple or lazy walk on a connected graph is).

    Returns:
        A float64 array of shape `(n,)`, sorted in decreasing order; the
        first is 1.

    Example:

    >>> transition_eigenvalues(transition_matrix(nx.path_graph(3))).round(6).tolist()
    [1.0, 0.0, -1.0]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    pi = stationary_distribution(p)
    root = np.sqrt(pi)
    sym = root[:, None] * p / root[None, :]
    if not np.allclose(sym, sym.T, atol=1e-10):
        raise ValueError(
            "`transition` must be reversible (pi[u] P[u, v] = pi[v] P[v, u]). "
            "Received: a non-reversible transition matrix"
        )
    return np.linalg.eigvalsh(0.5 * (sym + sym.T))[::-1]


def spectral_gap(transition, lazy=False):
    """Absolute spectral gap of the walk, or the spectral gap of its lazy walk.

    With eigenvalues `1 = l_1 > l_2 >= ... >= l_n >= -1`:

    - `lazy=False`: the absolute gap `1 - max(|l_2|, |l_n|)` of `P` itself,
      which governs how fast `P^t` converges; it is 0 on a bipartite graph
      (`l_n = -1`, the walk is periodic and never mixes).
    - `lazy=True`: the gap of `(I + P) / 2`, whose eigenvalues
      `(1 + l_i) / 2` are all non-negative: `(1 - l_2) / 2`.

    Args:
        transition: Transition matrix `P` of the (non-lazy) walk, `(n, n)`.
        lazy: Whether to return the gap of the lazy walk.

    Returns:
        A float in `[0, 1]`.

    Example:

    >>> p = transition_matrix(nx.complete_graph(4))
    >>> round(spectral_gap(p), 6), round(spectral_gap(p, lazy=True), 6)
    (0.666667, 0.666667)

    Used in chapter 14.
    """
    eig = transition_eigenvalues(transition)
    if len(eig) == 1:
        return 1.0
    if lazy:
        return float((1.0 - eig[1]) / 2.0)
    return float(1.0 - max(abs(eig[1]), abs(eig[-1])))


def relaxation_time(transition, lazy=False):
    """Relaxation time `1 / spectral_gap(P, lazy)`.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        lazy: Whether to use the gap of the lazy walk.

    Returns:
        A float, infinite when the gap is 0.

    Example:

    >>> round(relaxation_time(transition_matrix(nx.complete_graph(4))), 6)
    1.5

    Used in chapter 14.
    """
    gap = spectral_gap(transition, lazy=lazy)
    return float("inf") if gap <= _ATOL else 1.0 / gap


def total_variation_distance(p, q):
    """Total-variation distance `(1/2) sum |p - q|` along the last axis.

    Args:
        p: Probability vector(s), shape `(..., n)`.
        q: Probability vector(s), broadcastable to `p`.

    Returns:
        The distance(s), shape `p.shape[:-1]` (a float for vectors).

    Example:

    >>> total_variation_distance(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    0.5

    Used in chapter 14.
    """
    p, q = check_float_array("p", p), check_float_array("q", q)
    d = 0.5 * np.abs(p - q).sum(axis=-1)
    return float(d) if np.ndim(d) == 0 else d


def distance_to_stationarity(transition, max_steps):
    """Worst-start distance `d(t) = max_u TV(P^t[u, :], pi)` for `t <= max_steps`.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`, irreducible.
        max_steps: Last step `t` to compute, `>= 0`.

    Returns:
        A float64 array of shape `(max_steps + 1,)`; `d(t)` is
        non-increasing in `t`.

    Example:

    >>> p = transition_matrix(nx.complete_graph(4))
    >>> distance_to_stationarity(p, 2).round(4).tolist()
    [0.75, 0.25, 0.0833]

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    max_steps = check_int("max_steps", max_steps, minimum=0)
    pi = stationary_distribution(p)
    power = np.eye(len(p))
    out = np.empty(max_steps + 1)
    for t in range(max_steps + 1):
        out[t] = total_variation_distance(power, pi).max()
        power = power @ p
    return out


def mixing_time(transition, epsilon=0.25, max_steps=100_000):
    """Total-variation mixing time `t_mix(eps) = min{t : d(t) <= eps}`.

    `d(t) = max_u TV(P^t[u, :], pi)`, the distance from stationarity of the
    walk started at the worst node.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`, irreducible.
        epsilon: Threshold in `(0, 1)`; 1/4 by convention.
        max_steps: Give up after this many steps.

    Returns:
        An int, the mixing time.

    Raises:
        ValueError: If `d(t) > epsilon` up to `max_steps`; a periodic walk
            (bipartite graph) never mixes: use `lazy_transition_matrix`.

    Example:

    >>> mixing_time(transition_matrix(nx.complete_graph(4)))
    1

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    epsilon = check_number("epsilon", epsilon, low=0, high=1, include_low=False, include_high=False)
    max_steps = check_int("max_steps", max_steps, minimum=0)
    pi = stationary_distribution(p)
    power = np.eye(len(p))
    for t in range(max_steps + 1):
        # The tolerance keeps t_mix stable against rounding when d(t) == eps.
        if total_variation_distance(power, pi).max() <= epsilon + 1e-12:
            return t
        power = power @ p
    raise ValueError(
        f"The walk is not within {epsilon} of stationarity after {max_steps} "
        "steps; a walk on a bipartite graph is periodic and never mixes (use "
        f"lazy_transition_matrix). Received: max_steps={max_steps}"
    )
