"""Graphs with two planted communities, for random walks on graphs.

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

Used in chapter 14.
"""

import networkx as nx
import numpy as np

NUM_NODES = 34
"""Number of nodes of every graph in this module. Used in chapter 14."""

KARATE_COMMUNITY_NAMES = ("Mr. Hi", "Officer")
"""Community names of the karate club, in label order. Used in chapter 14."""

_MAX_TRIES = 100


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"`seed` must be a non-negative integer. Received: seed={seed!r}"
        )
    return int(seed)


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
    seed = _check_seed(seed)
    for name, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 < p <= 1.0:
            raise ValueError(f"`{name}` must be in (0, 1]. Received: {name}={p!r}")
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
    seed = _check_seed(seed)
    if not 0.0 < p_in <= 1.0:
        raise ValueError(f"`p_in` must be in (0, 1]. Received: p_in={p_in!r}")
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
    if name not in GRAPHS:
        raise ValueError(
            f"Unknown graph name. Valid names: {sorted(GRAPHS)}. "
            f"Received: name={name!r}"
        )
    if name == "karate_club":
        _check_seed(seed)
        return karate_club()
    return GRAPHS[name](seed=seed)
