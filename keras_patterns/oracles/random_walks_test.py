"""Tests of keras_patterns.oracles.random_walks against independent computations.

Every exact quantity is checked against a different route to the same number:
enumeration of all walks, eigenvectors, networkx spectra, a walk propagated
node by node over networkx adjacency lists, and closed forms on the complete
graph. The walks sampled from these matrices are tested with their sampler, in
`keras_patterns/data/graphs_test.py`.
"""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.linalg

from keras_patterns.oracles import random_walks as rw
from keras_patterns.data import graphs

TOL = 1e-6


def _tiny_graph():
    # A triangle with a tail and a pendant: aperiodic, irregular degrees, and
    # small enough to enumerate every walk of up to 5 steps (4**5 prefixes).
    graph = nx.Graph([(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (3, 5)])
    labels = np.array([0, 0, 0, 1, 1, 1])
    return graph, labels


def _enumerate_walks(graph, length):
    """Yields (walk, probability) for every walk, start uniform, from networkx."""
    n = graph.number_of_nodes()
    frontier = [((u,), 1.0 / n) for u in range(n)]
    for _ in range(length):
        frontier = [
            (walk + (v,), prob / graph.degree(walk[-1]))
            for walk, prob in frontier
            for v in graph.neighbors(walk[-1])
        ]
    return frontier


def _accuracy_by_key(walk_probs, key, target):
    """Bayes accuracy of guessing target(walk) from key(walk), by enumeration."""
    table = {}
    for walk, prob in walk_probs:
        cell = table.setdefault(key(walk), {})
        cell[target(walk)] = cell.get(target(walk), 0.0) + prob
    return sum(max(cell.values()) for cell in table.values())


@pytest.fixture(scope="module")
def karate():
    graph, labels = graphs.karate_club()
    return graph, labels, rw.transition_matrix(graph)


def test_transition_matrix_is_row_normalised_adjacency(karate):
    graph, _, p = karate
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    for u in graph:
        for v in graph:
            expected = 1.0 / graph.degree(u) if graph.has_edge(u, v) else 0.0
            assert p[u, v] == pytest.approx(expected, abs=1e-15)


def test_transition_matrix_ignores_weights(karate):
    graph, _, p = karate
    assert any(d["weight"] != 1 for _, _, d in graph.edges(data=True))
    np.testing.assert_array_equal(p, rw.transition_matrix(nx.Graph(graph.edges())))


def test_transition_matrix_rejects_isolated_nodes():
    graph = nx.path_graph(3)
    graph.add_node(3)
    with pytest.raises(ValueError, match=r"isolated nodes=\[3\]"):
        rw.transition_matrix(graph)


def test_input_validation_messages():
    with pytest.raises(ValueError, match="0..n-1"):
        rw.transition_matrix(nx.relabel_nodes(nx.path_graph(3), {0: "a"}))
    with pytest.raises(ValueError, match="symmetric"):
        rw.transition_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="sum to 1"):
        rw.mixing_time(np.array([[0.5, 0.4], [0.5, 0.5]]))
    p = rw.transition_matrix(nx.complete_graph(3))
    with pytest.raises(ValueError, match="Received: length=-1"):
        rw.global_bayes_accuracy(p, np.array([0, 0, 1]), -1)
    with pytest.raises(ValueError, match=r"labels.shape=\(2,\)"):
        rw.global_bayes_accuracy(p, np.array([0, 1]), 1)
    with pytest.raises(ValueError, match="Received: window=5, length=3"):
        rw.window_bayes_accuracy(p, np.array([0, 0, 1]), 3, 5)
    with pytest.raises(ValueError, match="no unique stationary"):
        rw.stationary_distribution(
            rw.transition_matrix(nx.disjoint_union(nx.complete_graph(3), nx.complete_graph(3)))
        )


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_stationary_distribution_three_ways(name):
    graph, _ = graphs.load_graph(name)
    p = rw.transition_matrix(graph)
    by_degree = np.array([graph.degree(u) for u in range(34)]) / (2 * graph.number_of_edges())
    values, vectors = np.linalg.eig(p.T)
    leading = np.real(vectors[:, np.argmax(np.real(values))])
    by_eigenvector = leading / leading.sum()
    pi = rw.stationary_distribution(p)
    np.testing.assert_allclose(pi, by_degree, atol=TOL)
    np.testing.assert_allclose(by_eigenvector, by_degree, atol=TOL)
    np.testing.assert_allclose(rw.degree_stationary_distribution(graph), by_degree, atol=1e-15)
    np.testing.assert_allclose(pi @ p, pi, atol=TOL)
    np.testing.assert_allclose(pi @ rw.lazy_transition_matrix(p), pi, atol=TOL)


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_eigenvalues_match_networkx_and_scipy(name):
    graph, _ = graphs.load_graph(name)
    p = rw.transition_matrix(graph)
    eig = rw.transition_eigenvalues(p)
    # The normalised Laplacian I - D^-1/2 A D^-1/2 is similar to I - P.
    laplacian = np.sort(nx.normalized_laplacian_spectrum(graph, weight=None))
    np.testing.assert_allclose(eig, 1.0 - laplacian, atol=TOL)
    general = np.sort(np.real(scipy.linalg.eigvals(p)))[::-1]
    np.testing.assert_allclose(eig, general, atol=TOL)
    gap = 1.0 - max(abs(general[1]), abs(general[-1]))
    assert rw.spectral_gap(p) == pytest.approx(gap, abs=TOL)
    lazy_general = np.sort(np.real(scipy.linalg.eigvals(rw.lazy_transition_matrix(p))))[::-1]
    assert rw.spectral_gap(p, lazy=True) == pytest.approx(1.0 - lazy_general[1], abs=TOL)


def test_complete_graph_closed_forms():
    # On K_n, P = (J - I) / (n - 1): eigenvalues 1 and -1/(n-1), so
    # P^L[u, u] = 1/n + (n-1)/n r^L and P^L[u, v] = 1/n - r^L/n, r = -1/(n-1).
    n = 6
    p = rw.transition_matrix(nx.complete_graph(n))
    labels = np.array([0, 0, 0, 1, 1, 1])
    r = -1.0 / (n - 1)
    assert rw.spectral_gap(p) == pytest.approx(1.0 - 1.0 / (n - 1), abs=TOL)
    for length in range(8):
        same = 1 / n + (n - 1) / n * r**length  # P^L[u, u]
        other = 1 / n - r**length / n
        # From end node v: start community of v has mass same + 2*other (over
        # the 3 nodes of v's community), the other community 3*other.
        in_own = (same + 2 * other) / n
        in_other = 3 * other / n
        expected = n * max(in_own, in_other)
        assert rw.global_bayes_accuracy(p, labels, length) == pytest.approx(expected, abs=TOL)
        d = max((n - 1) / n * abs(r) ** length, 0.0)  # TV of row u from uniform
        assert rw.distance_to_stationarity(p, length)[-1] == pytest.approx(d, abs=TOL)


@pytest.mark.parametrize("length", [0, 1, 2, 3, 5])
def test_global_accuracy_by_enumerating_all_walks(length):
    graph, labels = _tiny_graph()
    p = rw.transition_matrix(graph)
    walks = _enumerate_walks(graph, length)
    assert sum(prob for _, prob in walks) == pytest.approx(1.0, abs=1e-12)
    start_label = lambda walk: labels[walk[0]]
    by_last = _accuracy_by_key(walks, lambda walk: walk[-1], start_label)
    assert rw.global_bayes_accuracy(p, labels, length) == pytest.approx(by_last, abs=TOL)
    for window in range(1, length + 2):
        by_window = _accuracy_by_key(walks, lambda walk: walk[-window:], start_label)
        assert rw.window_bayes_accuracy(p, labels, length, window) == pytest.approx(
            by_window, abs=TOL
        )
    whole = _accuracy_by_key(walks, lambda walk: walk, start_label)
    assert whole == pytest.approx(1.0, abs=1e-12)
    assert rw.window_bayes_accuracy(p, labels, length, length + 1) == 1.0


def test_start_posterior_by_enumeration():
    graph, labels = _tiny_graph()
    p = rw.transition_matrix(graph)
    posterior = rw.start_community_posterior(p, labels, 3)
    joint = np.zeros((6, 2))
    for walk, prob in _enumerate_walks(graph, 3):
        joint[walk[-1], labels[walk[0]]] += prob
    np.testing.assert_allclose(posterior, joint / joint.sum(axis=1, keepdims=True), atol=TOL)
    assert rw.global_bayes_accuracy(p, labels, 3) == pytest.approx(joint.max(axis=1).sum(), abs=TOL)


@pytest.mark.parametrize("step", [0, 1, 2, 4])
def test_local_accuracy_by_enumeration(step):
    graph, labels = _tiny_graph()
    p = rw.transition_matrix(graph)
    walks = _enumerate_walks(graph, step + 1)
    next_label = lambda walk: labels[walk[-1]]
    from_current = _accuracy_by_key(walks, lambda walk: walk[-2], next_label)
    from_prefix = _accuracy_by_key(walks, lambda walk: walk[:-1], next_label)
    assert rw.local_bayes_accuracy(p, labels, step) == pytest.approx(from_current, abs=TOL)
    # Markov property: the whole prefix predicts no better than X_t.
    assert from_prefix == pytest.approx(from_current, abs=TOL)
    per_step = rw.local_bayes_accuracies(p, labels, step + 1)
    assert per_step[step] == pytest.approx(from_current, abs=TOL)


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_local_accuracy_at_stationarity(name):
    graph, labels = graphs.load_graph(name)
    p = rw.transition_matrix(graph)
    pi = rw.degree_stationary_distribution(graph)
    # Stationary edge measure: each directed edge (u, v) has mass 1/2m.
    m = graph.number_of_edges()
    expected = 0.0
    for u in graph:
        in_c = np.bincount([labels[v] for v in graph.neighbors(u)], minlength=2)
        expected += in_c.max() / (2 * m)
    assert rw.local_bayes_accuracy(p, labels) == pytest.approx(expected, abs=TOL)
    # The law of X_t with a uniform start tends to pi.
    assert rw.local_bayes_accuracy(p, labels, 2000) == pytest.approx(expected, abs=TOL)
    assert float(pi @ rw.next_community_probabilities(p, labels).max(axis=1)) == pytest.approx(
        expected, abs=TOL
    )


def _brute_force_mixing_time(graph, epsilon, max_steps=2000):
    """t_mix by pushing each start's law over networkx adjacency lists."""
    n = graph.number_of_nodes()
    two_m = 2 * graph.number_of_edges()
    pi = [graph.degree(u) / two_m for u in range(n)]
    laws = [[1.0 if v == u else 0.0 for v in range(n)] for u in range(n)]
    for t in range(max_steps + 1):
        worst = max(0.5 * sum(abs(law[v] - pi[v]) for v in range(n)) for law in laws)
        if worst <= epsilon + 1e-12:
            return t
        new_laws = []
        for law in laws:
            new = [0.0] * n
            for u in range(n):
                if law[u]:
                    share = law[u] / graph.degree(u)
                    for v in graph.neighbors(u):
                        new[v] += share
            new_laws.append(new)
        laws = new_laws
    raise AssertionError("did not mix")


@pytest.mark.parametrize("name", sorted(graphs.GRAPHS))
def test_mixing_time_brute_force_and_spectral_bounds(name):
    graph, _ = graphs.load_graph(name)
    p = rw.transition_matrix(graph)
    t_mix = rw.mixing_time(p)
    assert t_mix == _brute_force_mixing_time(graph, 0.25)
    d = rw.distance_to_stationarity(p, t_mix)
    assert d[-1] <= 0.25 < d[-2]
    assert np.all(np.diff(d) <= 1e-12)  # d(t) is non-increasing
    # Levin-Peres-Wilmer Thm 12.4 and 12.5 (reversible, aperiodic):
    # (t_rel - 1) log(1/(2 eps)) <= t_mix(eps) <= log(1/(eps pi_min)) t_rel.
    t_rel = rw.relaxation_time(p)
    pi_min = rw.degree_stationary_distribution(graph).min()
    assert (t_rel - 1) * math.log(2) <= t_mix <= math.log(4 / pi_min) * t_rel


def test_mixing_times_are_ordered_as_named():
    times = {
        name: rw.mixing_time(rw.transition_matrix(graphs.load_graph(name)[0]))
        for name in graphs.GRAPHS
    }
    assert times["fast_mixing"] * 10 <= times["karate_club"] * 5 <= times["slow_mixing"]
    # Pinned, so that the data card's numbers stay true.
    assert times == {"fast_mixing": 2, "karate_club": 10, "slow_mixing": 64}


def test_bipartite_walk_never_mixes_but_lazy_walk_does():
    p = rw.transition_matrix(nx.cycle_graph(6))
    assert rw.spectral_gap(p) == pytest.approx(0.0, abs=TOL)
    assert rw.relaxation_time(p) == float("inf")
    with pytest.raises(ValueError, match="bipartite"):
        rw.mixing_time(p, max_steps=200)
    lazy = rw.lazy_transition_matrix(p)
    assert rw.mixing_time(lazy) > 0
    # Lazy eigenvalues are (1 + l)/2; for C_6, l_2 = cos(2 pi / 6) = 1/2.
    assert rw.spectral_gap(p, lazy=True) == pytest.approx(0.25, abs=TOL)
    assert rw.spectral_gap(lazy) == pytest.approx(0.25, abs=TOL)


def test_karate_numbers_pinned(karate):
    graph, labels, p = karate
    assert not nx.is_bipartite(graph)  # so the simple walk is aperiodic
    expected = [1.0, 0.906356, 0.836719, 0.745129, 0.633337, 0.541791, 0.504296, 0.500046]
    got = rw.global_bayes_accuracies(p, labels, [0, 1, 2, 4, 8, 16, 32, 64])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert rw.spectral_gap(p) == pytest.approx(0.132272, abs=1e-6)
    assert rw.local_bayes_accuracy(p, labels) == pytest.approx(0.865385, abs=1e-6)
    assert rw.local_bayes_accuracy(p, labels) == pytest.approx(135 / 156, abs=1e-12)


# --- Issue 15: small chains whose answers are known by hand. ---


def test_spectral_gap_and_relaxation_time_of_small_chains():
    assert rw.spectral_gap(np.array([[1.0]])) == 1.0
    two = np.array([[0.9, 0.1], [0.1, 0.9]])  # eigenvalues 1 and 0.8
    assert rw.spectral_gap(two) == pytest.approx(0.2)
    assert rw.spectral_gap(two, lazy=True) == pytest.approx(0.1)  # (1 - 0.8) / 2
    assert rw.relaxation_time(two) == pytest.approx(5.0)
    assert rw.relaxation_time(two, lazy=True) == pytest.approx(10.0)


def test_mixing_time_counts_the_step_where_the_distance_reaches_epsilon():
    # d(t) = |1 - 2a|^t / 2 for the symmetric two-state chain: with a = 1/4, d(1) = 1/4 exactly.
    p = np.array([[0.75, 0.25], [0.25, 0.75]])
    assert rw.mixing_time(p) == 1
    assert rw.mixing_time(p, max_steps=1) == 1
    assert rw.mixing_time(p, epsilon=0.125) == 2
    with pytest.raises(ValueError, match="max_steps=1"):
        rw.mixing_time(p, epsilon=0.125, max_steps=1)


def test_total_variation_distance_of_two_vectors_is_a_float():
    d = rw.total_variation_distance(np.array([1.0, 0.0, 0.0]), np.array([0.25, 0.25, 0.5]))
    assert type(d) is float and d == pytest.approx(0.75)
    rows = rw.total_variation_distance(np.eye(2), np.array([0.5, 0.5]))
    np.testing.assert_allclose(rows, [0.5, 0.5])


def test_start_community_posterior_is_uniform_on_nodes_no_walk_reaches():
    # Node 0 is left at once and never re-entered: after one step no walk is there.
    p = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.5, 0.5]])
    post = rw.start_community_posterior(p, np.array([0, 1, 1]), 1)
    np.testing.assert_allclose(post[0], [0.5, 0.5])
    # Node 1 at step 1: from 0 (weight 1), 1 (0.5), 2 (0.5): P(start community 0) = 1/2.
    np.testing.assert_allclose(post[1], [0.5, 0.5])
    np.testing.assert_allclose(post[2], [0.0, 1.0])


def test_adjacency_matrix_of_an_integer_array_is_float64():
    a = rw.adjacency_matrix(np.array([[0, 1], [1, 0]]))
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a, [[0.0, 1.0], [1.0, 0.0]])
