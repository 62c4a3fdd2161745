"""Tests of keras_patterns.data.graphs."""

import networkx as nx
import numpy as np
import pytest

from keras_patterns.data import graphs


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
