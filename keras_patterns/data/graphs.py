"""Graphs with two planted communities, and the random walks sampled on them.

Three graphs of 34 nodes each, loaded offline from networkx or generated
deterministically from a seed:

- `karate_club()`: Zachary's karate club (1977), its two clubs as communities.
- `fast_mixing_graph(seed)`: a dense two-block stochastic block model; the
  walk forgets its start within a few steps.
- `slow_mixing_graph(seed)`: two dense random blocks joined by one bridge
  edge; the walk needs tens of steps to forget its start.

Every loader returns `(graph, labels)`: an undirected `networkx.Graph` whose
nodes are the integers `0, ..., 33`, and an int array of shape `(34,)` with
`labels[u]` in `{0, 1}` the community of node `u`. The community names are in
`graph.graph["community_names"]`.

The data the models read are walks on these graphs: `sample_walks` draws
them from a transition matrix (`keras_patterns.oracles.random_walks.transition_matrix`,
where the exact limits of both tasks are computed too), and
`make_global_targets` (many-to-one, 多对一: the start node's community) and
`make_local_targets` (many-to-many, 多对多: the next node's community) turn
them into `(inputs, targets)` pairs for `model.fit`.

Used in chapter 14.
"""

import networkx as nx
import numpy as np

from keras_patterns.checks import (
    check_choice,
    check_int,
    check_int_array,
    check_number,
    check_positive_int,
    check_probabilities,
)

NUM_NODES = 34
"""Number of nodes of every graph in this module. Used in chapter 14."""

KARATE_COMMUNITY_NAMES = ("Mr. Hi", "Officer")
"""Community names of the karate club, in label order. Used in chapter 14."""

_MAX_TRIES = 100


def _finish(graph, labels, name, community_names, **params):
    graph.graph["name"] = name
    graph.graph["community_names"] = tuple(community_names)
    graph.graph.update(params)
    return graph, np.asarray(labels, dtype="int64")


def karate_club():
    """Zachary's karate club, with its two clubs as communities.

    The 34 members of a university karate club and the 78 friendships that
    Zachary (1977) observed outside the club; the club split into the
    followers of the instructor ("Mr. Hi", label 0) and of the administrator
    ("Officer", label 1). Edge weights (number of contexts of interaction)
    are kept as the `weight` attribute but the course's random walk ignores
    them.

    Returns:
        A tuple `(graph, labels)`: a `networkx.Graph` with nodes `0..33` and
        an int64 array of shape `(34,)`, `labels[u] = 0` for "Mr. Hi" and
        `1` for "Officer", as networkx's node attribute `club` says (17
        members each).

    Example:

    >>> graph, labels = karate_club()
    >>> graph.number_of_nodes(), graph.number_of_edges(), int(labels.sum())
    (34, 78, 17)

    Used in chapter 14.
    """
    graph = nx.karate_club_graph()
    labels = [
        KARATE_COMMUNITY_NAMES.index(graph.nodes[u]["club"])
        for u in range(graph.number_of_nodes())
    ]
    return _finish(graph, labels, "karate_club", KARATE_COMMUNITY_NAMES)


def fast_mixing_graph(seed=0, p_in=0.5, p_out=0.25):
    """A fast-mixing graph: a dense two-block stochastic block model.

    Two blocks of 17 nodes; each pair inside a block is an edge with
    probability `p_in`, each pair across with probability `p_out`. With the
    defaults the graph is a good expander (about 200 edges, absolute spectral
    gap about 0.5), so the walk mixes in 2 to 3 steps, yet the next node still
    tells something about the community (`p_in > p_out`). Draws that are not
    connected or are bipartite are rejected and redrawn from the same random
    stream, so the graph is a deterministic function of the arguments.

    Args:
        seed: Non-negative integer seed.
        p_in: Edge probability inside a community, in `(0, 1]`.
        p_out: Edge probability across communities, in `(0, 1]`.

    Returns:
        A tuple `(graph, labels)`: a `networkx.Graph` with nodes `0..33` and
        an int64 array of shape `(34,)`, nodes `0..16` in community 0 and
        `17..33` in community 1.

    Example:

    >>> graph, labels = fast_mixing_graph(seed=0)
    >>> graph.number_of_nodes(), nx.is_connected(graph)
    (34, True)

    Used in chapter 14.
    """
    seed = check_int("seed", seed, minimum=0)
    p_in = check_number("p_in", p_in, low=0, high=1, include_low=False)
    p_out = check_number("p_out", p_out, low=0, high=1, include_low=False)
    half = NUM_NODES // 2
    rng = np.random.default_rng(seed)
    for _ in range(_MAX_TRIES):
        graph = nx.stochastic_block_model(
            [half, half],
            [[p_in, p_out], [p_out, p_in]],
            seed=int(rng.integers(2**31)),
        )
        # A disconnected graph has no unique stationary distribution and a
        # bipartite one a periodic walk: neither has a finite mixing time.
        if nx.is_connected(graph) and not nx.is_bipartite(graph):
            break
    else:  # pragma: no cover - needs absurdly small probabilities
        raise ValueError(
            f"No connected, non-bipartite graph in {_MAX_TRIES} draws. "
            f"Received: p_in={p_in!r}, p_out={p_out!r}"
        )
    # Keep nodes and edges only, not the block-model bookkeeping attributes.
    simple = nx.Graph()
    simple.add_nodes_from(range(NUM_NODES))
    simple.add_edges_from(graph.edges())
    graph = simple
    labels = [0] * half + [1] * half
    return _finish(
        graph, labels, "fast_mixing", ("block 0", "block 1"),
        seed=seed, p_in=p_in, p_out=p_out,
    )


def slow_mixing_graph(seed=0, p_in=0.5):
    """A slow-mixing graph: two dense random blocks joined by one bridge.

    Each community is an Erdos-Renyi graph G(17, `p_in`); one edge between a
    random node of each community (the bridge) is the only way across. The
    walk crosses the bridge about once every 130 steps with the defaults, so
    its mixing time is tens of steps (about 64) and the start community can
    still be guessed from the last node after 64 steps. Blocks that are not
    connected are redrawn from the same random stream, so the graph is a
    deterministic function of the arguments.

    Args:
        seed: Non-negative integer seed.
        p_in: Edge probability inside a community, in `(0, 1]`.

    Returns:
        A tuple `(graph, labels)`: a `networkx.Graph` with nodes `0..33` and
        an int64 array of shape `(34,)`, nodes `0..16` in community 0 and
        `17..33` in community 1. `graph.graph["bridge"]` is the bridge edge.

    Example:

    >>> graph, labels = slow_mixing_graph(seed=0)
    >>> nx.edge_connectivity(graph)
    1

    Used in chapter 14.
    """
    seed = check_int("seed", seed, minimum=0)
    p_in = check_number("p_in", p_in, low=0, high=1, include_low=False)
    half = NUM_NODES // 2
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(2):
        for _ in range(_MAX_TRIES):
            block = nx.gnp_random_graph(half, p_in, seed=int(rng.integers(2**31)))
            # A triangle makes the whole walk aperiodic (odd cycle).
            if nx.is_connected(block) and not nx.is_bipartite(block):
                break
        else:  # pragma: no cover - needs absurdly small probabilities
            raise ValueError(
                f"No connected, non-bipartite block in {_MAX_TRIES} draws. "
                f"Received: p_in={p_in!r}"
            )
        blocks.append(block)
    graph = nx.disjoint_union(blocks[0], blocks[1])
    bridge = (int(rng.integers(half)), half + int(rng.integers(half)))
    graph.add_edge(*bridge)
    labels = [0] * half + [1] * half
    return _finish(
        nx.Graph(graph), labels, "slow_mixing", ("block 0", "block 1"),
        seed=seed, p_in=p_in, bridge=bridge,
    )


GRAPHS = {
    "karate_club": karate_club,
    "fast_mixing": fast_mixing_graph,
    "slow_mixing": slow_mixing_graph,
}
"""Registry of the graph loaders by name. Used in chapter 14."""


def load_graph(name, seed=0):
    """Loads a graph of the registry `GRAPHS` by name.

    Args:
        name: One of `"karate_club"`, `"fast_mixing"`, `"slow_mixing"`.
        seed: Seed of the generated graphs; ignored by `"karate_club"`, which
            is fixed data.

    Returns:
        A tuple `(graph, labels)` as returned by the loader.

    Example:

    >>> graph, labels = load_graph("slow_mixing", seed=0)
    >>> labels.shape
    (34,)

    Used in chapter 14.
    """
    check_choice("name", name, sorted(GRAPHS))
    if name == "karate_club":
        check_int("seed", seed, minimum=0)
        return karate_club()
    return GRAPHS[name](seed=seed)


def sample_walks(transition, length, num_walks, seed, start=None):
    """Samples random walks from a transition matrix.

    Args:
        transition: Transition matrix `P`, shape `(n, n)`.
        length: Number of steps `L >= 0`; each walk has `L + 1` nodes.
        num_walks: Number of walks `N >= 1`.
        seed: Seed of `numpy.random.default_rng`; the same seed gives the
            same walks.
        start: None for start nodes drawn uniformly from the `n` nodes, an
            int for one start node, or an int array of shape `(N,)`.

    Returns:
        An int64 array of shape `(N, L + 1)`; column 0 is the start node.

    Example:

    >>> from keras_patterns.oracles import random_walks
    >>> p = random_walks.transition_matrix(nx.path_graph(3))
    >>> walks = sample_walks(p, length=4, num_walks=2, seed=0, start=1)
    >>> walks.shape, walks[:, 0].tolist()
    ((2, 5), [1, 1])

    Used in chapter 14.
    """
    p = check_probabilities("transition", transition, ndim=2, shape="square")
    length = check_int("length", length, minimum=0)
    num_walks = check_positive_int("num_walks", num_walks)
    n = len(p)
    rng = np.random.default_rng(seed)
    if start is None:
        current = rng.integers(n, size=num_walks)
    else:
        given = np.asarray(start)
        if (
            not np.issubdtype(given.dtype, np.integer)
            or given.shape not in ((), (num_walks,))
            or given.min() < 0
            or given.max() >= n
        ):
            raise ValueError(
                f"`start` must be node ids in [0, {n}), one or one per walk "
                f"(shape () or ({num_walks},)). Received: start={start!r}"
            )
        current = np.broadcast_to(given, (num_walks,)).astype("int64")
    walks = np.empty((num_walks, length + 1), dtype="int64")
    walks[:, 0] = current
    cumulative = np.cumsum(p, axis=1)
    cumulative[:, -1] = 1.0  # rounding must never push a draw past the last node
    for t in range(1, length + 1):
        u = rng.random(num_walks)
        current = (u[:, None] >= cumulative[current]).sum(axis=1)
        walks[:, t] = current
    return walks


def _walks_and_labels(walks, labels):
    labels = check_int_array("labels", labels, ndim=1, shape="(num_nodes,)", low=0, what="community ids")
    walks = check_int_array("walks", walks, ndim=2, shape="(num_walks, length + 1)", low=0, high=len(labels),
                            what="node ids")
    return walks.astype("int32"), labels.astype("int32")


def make_global_targets(walks, labels, window=None):
    """Inputs and targets of the global task: the start node's community.

    Args:
        walks: Int array `(num_walks, length + 1)` from `sample_walks`.
        labels: Community of each node, int array `(num_nodes,)`.
        window: None to feed the whole walk, or `k >= 1` to feed only the
            last `k` nodes (the model then cannot see `X_0` unless
            `k = length + 1`).

    Returns:
        A tuple `(x, y)`: int32 inputs `(num_walks, k)` (or the whole walk)
        and int32 targets `(num_walks,)`, `y = labels[walks[:, 0]]`.

    Example:

    >>> x, y = make_global_targets(np.array([[0, 1, 2]]), np.array([0, 1, 1]), window=1)
    >>> x.tolist(), y.tolist()
    ([[2]], [0])

    Used in chapter 14.
    """
    walks, labels = _walks_and_labels(walks, labels)
    y = labels[walks[:, 0]]
    if window is None:
        return walks, y
    window = check_positive_int("window", window)
    if window > walks.shape[1]:
        raise ValueError(
            "`window` can be at most the number of nodes in a walk. "
            f"Received: window={window}, walks.shape={walks.shape}"
        )
    return walks[:, -window:], y


def make_local_targets(walks, labels):
    """Inputs and targets of the local task: the next node's community.

    Args:
        walks: Int array `(num_walks, length + 1)`, `length >= 1`.
        labels: Community of each node, int array `(num_nodes,)`.

    Returns:
        A tuple `(x, y)` of int32 arrays of shape `(num_walks, length)`:
        `x[:, t] = X_t` and `y[:, t] = labels[X_{t+1}]`.

    Example:

    >>> x, y = make_local_targets(np.array([[0, 1, 2]]), np.array([0, 1, 1]))
    >>> x.tolist(), y.tolist()
    ([[0, 1]], [[1, 1]])

    Used in chapter 14.
    """
    walks, labels = _walks_and_labels(walks, labels)
    if walks.shape[1] < 2:
        raise ValueError(
            "The local task needs walks of at least one step (2 nodes). "
            f"Received: walks.shape={walks.shape}"
        )
    return walks[:, :-1], labels[walks[:, 1:]]
