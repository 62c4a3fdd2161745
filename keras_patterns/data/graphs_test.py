"""Tests of keras_patterns.data.graphs: the three graphs, the walks sampled on them and the task targets."""

import networkx as nx
import numpy as np
import pytest

from keras_patterns.data import graphs
from keras_patterns.oracles import random_walks as rw


@pytest.fixture(scope="module")
def karate():
    graph, labels = graphs.karate_club()
    return graph, labels, rw.transition_matrix(graph)


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_every_graph_is_a_connected_aperiodic_34_node_two_community_graph(name):
    graph, labels = graphs.load_graph(name, seed=0)
    assert isinstance(graph, nx.Graph) and not graph.is_directed()
    assert sorted(graph.nodes) == list(range(graphs.NUM_NODES))
    assert labels.shape == (34,) and labels.dtype == np.int64
    assert set(labels.tolist()) == {0, 1}
    assert nx.is_connected(graph)
    assert not nx.is_bipartite(graph)  # the simple walk is aperiodic
    assert nx.number_of_selfloops(graph) == 0
    assert len(graph.graph["community_names"]) == 2
    assert graph.graph["name"] == name


def test_karate_club_matches_networkx():
    graph, labels = graphs.karate_club()
    reference = nx.karate_club_graph()
    assert graph.number_of_edges() == 78
    assert set(graph.edges) == set(reference.edges)
    names = [reference.nodes[u]["club"] for u in range(34)]
    assert [graphs.KARATE_COMMUNITY_NAMES[c] for c in labels] == names
    assert graph.graph["community_names"] == ("Mr. Hi", "Officer")
    assert np.bincount(labels).tolist() == [17, 17]
    # The instructor (node 0) and the administrator (node 33) lead the clubs.
    assert labels[0] == 0 and labels[33] == 1


@pytest.mark.parametrize("loader", [graphs.fast_mixing_graph, graphs.slow_mixing_graph])
def test_generated_graphs_are_deterministic_in_the_seed(loader):
    g1, l1 = loader(seed=7)
    g2, l2 = loader(seed=7)
    g3, _ = loader(seed=8)
    assert set(g1.edges) == set(g2.edges)
    np.testing.assert_array_equal(l1, l2)
    assert set(g1.edges) != set(g3.edges)
    np.testing.assert_array_equal(l1, [0] * 17 + [1] * 17)


@pytest.mark.parametrize("seed", range(5))
def test_slow_mixing_graph_has_a_single_bridge(seed):
    graph, labels = graphs.slow_mixing_graph(seed=seed)
    crossing = [(u, v) for u, v in graph.edges if labels[u] != labels[v]]
    assert len(crossing) == 1
    assert tuple(sorted(crossing[0])) == tuple(sorted(graph.graph["bridge"]))
    assert nx.edge_connectivity(graph) == 1
    for c in (0, 1):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(labels == c).tolist()))


@pytest.mark.parametrize("seed", range(5))
def test_fast_mixing_graph_is_denser_inside_communities(seed):
    graph, labels = graphs.fast_mixing_graph(seed=seed)
    inside = sum(labels[u] == labels[v] for u, v in graph.edges)
    across = graph.number_of_edges() - inside
    # Expected 0.5 * 2 * C(17, 2) = 136 inside and 0.25 * 17**2 = 72 across.
    assert inside > across > 0
    assert "partition" not in graph.graph


def test_registry_errors_list_valid_names():
    valid = r"Valid names: \['fast_mixing', 'karate_club', 'slow_mixing'\]"
    with pytest.raises(ValueError, match=valid + r". Received: name='karate'"):
        graphs.load_graph("karate")
    with pytest.raises(ValueError, match="Received: seed=-1"):
        graphs.load_graph("fast_mixing", seed=-1)
    with pytest.raises(ValueError, match="Received: seed=1.5"):
        graphs.slow_mixing_graph(seed=1.5)
    with pytest.raises(ValueError, match="Received: p_in=0"):
        graphs.fast_mixing_graph(p_in=0)
    with pytest.raises(ValueError, match="Received: p_in=1.5"):
        graphs.slow_mixing_graph(p_in=1.5)


def test_load_graph_ignores_seed_for_karate():
    g0, _ = graphs.load_graph("karate_club", seed=0)
    g5, _ = graphs.load_graph("karate_club", seed=5)
    assert set(g0.edges) == set(g5.edges)


def test_sample_walks_validation_messages():
    p = rw.transition_matrix(nx.complete_graph(3))
    with pytest.raises(ValueError, match="Received: num_walks=0"):
        graphs.sample_walks(p, 2, 0, seed=0)
    with pytest.raises(ValueError, match="Received: start=3"):
        graphs.sample_walks(p, 2, 4, seed=0, start=3)
    with pytest.raises(ValueError, match=r"shape \(\) or \(4,\)"):
        graphs.sample_walks(p, 2, 4, seed=0, start=np.array([0, 1]))
    with pytest.raises(ValueError, match="sum to 1"):
        graphs.sample_walks(np.array([[0.5, 0.4], [0.5, 0.5]]), 2, 4, seed=0)


def test_sample_walks_shape_determinism_and_validity(karate):
    graph, _, p = karate
    walks = graphs.sample_walks(p, length=6, num_walks=500, seed=3)
    assert walks.shape == (500, 7) and walks.dtype == np.int64
    np.testing.assert_array_equal(walks, graphs.sample_walks(p, 6, 500, seed=3))
    assert not np.array_equal(walks, graphs.sample_walks(p, 6, 500, seed=4))
    for u, v in zip(walks[:, :-1].ravel(), walks[:, 1:].ravel()):
        assert graph.has_edge(int(u), int(v))
    assert graphs.sample_walks(p, 0, 5, seed=0).shape == (5, 1)
    starts = np.arange(34)
    np.testing.assert_array_equal(graphs.sample_walks(p, 3, 34, seed=0, start=starts)[:, 0], starts)


def test_sample_walks_match_matrix_powers(karate):
    _, _, p = karate
    n, num_walks, length = 34, 40_000, 4
    walks = graphs.sample_walks(p, length, num_walks, seed=0)
    # Each frequency is a binomial proportion with standard error
    # sqrt(q (1 - q) / N) <= 0.0025 at N = 40,000; 5 standard errors make a
    # false alarm over 34 nodes unlikely (< 34 * 6e-7) and still catch an
    # off-by-one step (which moves some frequencies by 0.01 or more).
    for t in (0, 1, length):
        expected = rw.walk_distribution(p, t)
        observed = np.bincount(walks[:, t], minlength=n) / num_walks
        se = np.sqrt(expected * (1 - expected) / num_walks)
        assert np.all(np.abs(observed - expected) <= 5 * se + 1e-12)
    fixed = graphs.sample_walks(p, length, num_walks, seed=1, start=0)
    expected = np.linalg.matrix_power(p, length)[0]
    observed = np.bincount(fixed[:, -1], minlength=n) / num_walks
    se = np.sqrt(expected * (1 - expected) / num_walks)
    assert np.all(np.abs(observed - expected) <= 5 * se + 1e-12)


def test_sampled_walks_estimate_global_accuracy(karate):
    _, labels, p = karate
    num_walks = 40_000
    walks = graphs.sample_walks(p, 2, num_walks, seed=5)
    # Plug-in rule from the exact posterior, scored on sampled walks: a mean
    # of Bernoullis with standard error <= 0.0025.
    rule = rw.start_community_posterior(p, labels, 2).argmax(axis=1)
    accuracy = np.mean(rule[walks[:, -1]] == labels[walks[:, 0]])
    assert accuracy == pytest.approx(rw.global_bayes_accuracy(p, labels, 2), abs=5 * 0.0025)


def test_global_and_local_targets():
    labels = np.array([0, 0, 1, 1])
    walks = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
    x, y = graphs.make_global_targets(walks, labels)
    np.testing.assert_array_equal(x, walks)
    np.testing.assert_array_equal(y, [0, 1])
    x, y = graphs.make_global_targets(walks, labels, window=2)
    np.testing.assert_array_equal(x, [[2, 3], [1, 0]])
    np.testing.assert_array_equal(y, [0, 1])
    x, y = graphs.make_local_targets(walks, labels)
    np.testing.assert_array_equal(x, [[0, 1, 2], [3, 2, 1]])
    np.testing.assert_array_equal(y, [[0, 1, 1], [1, 0, 0]])
    assert x.dtype == y.dtype == np.int32
    with pytest.raises(ValueError, match="Received: window=5"):
        graphs.make_global_targets(walks, labels, window=5)
    with pytest.raises(ValueError, match="at least one step"):
        graphs.make_local_targets(walks[:, :1], labels)
    with pytest.raises(ValueError, match="Received: min=0, max=4"):
        graphs.make_local_targets(walks + np.array([0, 0, 0, 1]), labels)


# --- Issue 15: the data card's published figures, metadata, redraws, targets that tell columns apart. ---


def test_seed_zero_graphs_have_the_figures_of_the_data_card():
    # datasets/graphs/README.md publishes these for seed 0 (the results records were measured on them).
    fast, fast_labels = graphs.fast_mixing_graph()
    slow, slow_labels = graphs.slow_mixing_graph()
    assert fast.number_of_edges() == 214 and nx.diameter(fast) == 3
    degrees = [d for _, d in fast.degree()]
    assert (min(degrees), max(degrees)) == (7, 17)
    assert slow.number_of_edges() == 130 and nx.diameter(slow) == 6
    assert slow.graph["bridge"] == (8, 21) and slow.has_edge(8, 21)
    degrees = [d for _, d in slow.degree()]
    assert (min(degrees), max(degrees)) == (4, 11)
    for name, (graph, labels) in (("fast_mixing", (fast, fast_labels)), ("slow_mixing", (slow, slow_labels))):
        assert labels.dtype == np.int64
        same, same_labels = graphs.load_graph(name)
        assert sorted(same.edges()) == sorted(graph.edges())
        np.testing.assert_array_equal(same_labels, labels)
    assert graphs.karate_club()[1].dtype == np.int64


def test_generated_graphs_record_their_parameters():
    fast, _ = graphs.fast_mixing_graph(seed=2, p_in=0.6, p_out=0.2)
    assert fast.graph["name"] == "fast_mixing"
    assert (fast.graph["seed"], fast.graph["p_in"], fast.graph["p_out"]) == (2, 0.6, 0.2)
    assert fast.graph["community_names"] == ("block 0", "block 1")
    slow, _ = graphs.slow_mixing_graph(seed=3, p_in=0.7)
    assert slow.graph["name"] == "slow_mixing"
    assert (slow.graph["seed"], slow.graph["p_in"]) == (3, 0.7)
    assert slow.graph["community_names"] == ("block 0", "block 1")


@pytest.mark.parametrize("seed", range(6))
def test_sparse_draws_are_redrawn_until_connected_and_aperiodic(seed):
    # Average degree about 3: many first draws are disconnected, and those must be redrawn.
    fast, _ = graphs.fast_mixing_graph(seed=seed, p_in=0.12, p_out=0.06)
    assert nx.is_connected(fast) and not nx.is_bipartite(fast)
    slow, _ = graphs.slow_mixing_graph(seed=seed, p_in=0.2)
    assert nx.is_connected(slow) and not nx.is_bipartite(slow)
    for block in (range(0, 17), range(17, 34)):
        sub = slow.subgraph(block)
        assert nx.is_connected(sub) and not nx.is_bipartite(sub)


def test_global_targets_read_the_start_and_keep_the_last_steps():
    labels = np.array([0, 1, 0, 1, 0])
    walks = np.array([[0, 1, 2, 3, 4, 3], [1, 0, 1, 2, 3, 4]])
    x, y = graphs.make_global_targets(walks, labels, window=2)
    np.testing.assert_array_equal(y, [0, 1])          # the start's label, not the second node's
    np.testing.assert_array_equal(x, [[4, 3], [3, 4]])  # the last two nodes
    x, _ = graphs.make_global_targets(walks, labels, window=1)
    np.testing.assert_array_equal(x, [[3], [4]])
