"""Tests of the exact HMM oracles against brute-force enumeration of all hidden paths."""

import itertools

import numpy as np
import pytest

from keras_patterns.oracles import hmm


def random_hmm(rng, num_states=3, num_symbols=4):
    initial = rng.dirichlet(np.ones(num_states))
    transition = rng.dirichlet(np.ones(num_states), size=num_states)
    emission = rng.dirichlet(np.ones(num_symbols), size=num_states)
    return initial, transition, emission


def brute_force(obs, initial, transition, emission):
    """Joint P(path, obs) for every path: smoothing, filtering and likelihood by summation."""
    num_states = initial.shape[0]
    length = obs.shape[0]
    paths = np.array(list(itertools.product(range(num_states), repeat=length)))
    joint = initial[paths[:, 0]] * emission[paths[:, 0], obs[0]]
    for t in range(1, length):
        joint = joint * transition[paths[:, t - 1], paths[:, t]] * emission[paths[:, t], obs[t]]
    smoothing = np.zeros((length, num_states))
    for t in range(length):
        np.add.at(smoothing[t], paths[:, t], joint)
    likelihood = joint.sum()
    smoothing /= likelihood
    # Filtering at t: the same enumeration on the prefix x_1..x_t.
    filtering = np.zeros((length, num_states))
    for t in range(length):
        prefix_paths = np.array(list(itertools.product(range(num_states), repeat=t + 1)))
        weight = initial[prefix_paths[:, 0]] * emission[prefix_paths[:, 0], obs[0]]
        for s in range(1, t + 1):
            weight = (
                weight
                * transition[prefix_paths[:, s - 1], prefix_paths[:, s]]
                * emission[prefix_paths[:, s], obs[s]]
            )
        np.add.at(filtering[t], prefix_paths[:, t], weight)
        filtering[t] /= filtering[t].sum()
    return smoothing, filtering, np.log(likelihood)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_posteriors_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    initial, transition, emission = random_hmm(rng)
    obs = rng.integers(0, 4, size=5)
    smoothing, filtering, loglik = brute_force(obs, initial, transition, emission)

    smoothed, loglik_fb = hmm.forward_backward(obs, initial, transition, emission, return_loglik=True)
    filtered, loglik_f = hmm.forward_filter(obs, initial, transition, emission, return_loglik=True)

    np.testing.assert_allclose(smoothed, smoothing, atol=1e-10, rtol=0)
    np.testing.assert_allclose(filtered, filtering, atol=1e-10, rtol=0)
    assert abs(loglik_fb - loglik) < 1e-10
    assert abs(loglik_f - loglik) < 1e-10
    assert abs(hmm.log_likelihood(obs, initial, transition, emission) - loglik) < 1e-10


def test_filter_and_smoother_differ_before_the_end_and_agree_at_it():
    rng = np.random.default_rng(7)
    initial, transition, emission = random_hmm(rng)
    obs = rng.integers(0, 4, size=6)
    filtered = hmm.forward_filter(obs, initial, transition, emission)
    smoothed = hmm.forward_backward(obs, initial, transition, emission)
    np.testing.assert_allclose(filtered[-1], smoothed[-1], atol=1e-12)
    # Otherwise the test above would also pass for a smoother that just returned the filter.
    assert np.max(np.abs(filtered[:-1] - smoothed[:-1])) > 1e-3


def test_long_sequence_does_not_underflow():
    rng = np.random.default_rng(3)
    initial, transition, emission = random_hmm(rng, num_states=4, num_symbols=20)
    obs = rng.integers(0, 20, size=2000)
    smoothed, loglik = hmm.forward_backward(obs, initial, transition, emission, return_loglik=True)
    filtered = hmm.forward_filter(obs, initial, transition, emission)
    assert np.all(np.isfinite(smoothed)) and np.all(np.isfinite(filtered))
    np.testing.assert_allclose(smoothed.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(filtered.sum(axis=1), 1.0, atol=1e-12)
    # An unscaled product of 2000 probabilities below 1/20 would be far below 1e-308.
    assert np.isfinite(loglik) and loglik < -2000 * np.log(20) * 0.5


def test_label_posterior_sums_expanded_states():
    post = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    labels = hmm.label_posterior(post, np.array([0, 0, 2, 1]), num_labels=3)
    np.testing.assert_allclose(labels, [[0.3, 0.4, 0.3], [0.5, 0.25, 0.25]])


def test_q3_limit_pools_residues_and_smoothing_beats_filtering():
    # Sticky two-state chain with noisy emissions: context on both sides helps.
    initial = np.array([0.5, 0.5])
    transition = np.array([[0.95, 0.05], [0.05, 0.95]])
    emission = np.array([[0.7, 0.3], [0.3, 0.7]])
    rng = np.random.default_rng(0)
    observations, labels = [], []
    for length in (400, 300, 300):
        states = [rng.choice(2, p=initial)]
        for _ in range(length - 1):
            states.append(rng.choice(2, p=transition[states[-1]]))
        states = np.array(states)
        labels.append(states)
        observations.append(np.array([rng.choice(2, p=emission[s]) for s in states]))
    args = (initial, transition, emission, np.array([0, 1]))
    smooth = hmm.q3_limit(observations, labels, *args, method="smoothing")
    filt = hmm.q3_limit(observations, labels, *args, method="filtering")
    assert smooth > filt + 0.02
    # A per-residue classifier that ignores context gets 0.7; both limits must beat it.
    assert filt > 0.72
    expected = hmm.expected_accuracy(observations, *args, method="smoothing")
    assert abs(expected - smooth) < 0.05


def test_argmax_accuracy_pools_over_residues_not_sequences():
    posteriors = [np.array([[1.0, 0.0]] * 9), np.array([[1.0, 0.0]])]
    labels = [np.zeros(9, dtype=int), np.ones(1, dtype=int)]
    # Pooled: 9 of 10 right. Averaging per sequence would give (1 + 0) / 2 = 0.5.
    assert hmm.argmax_accuracy(posteriors, labels) == pytest.approx(0.9)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda m: {**m, "initial": m["initial"] * 2}, "`initial` must sum to 1"),
        (lambda m: {**m, "transition": np.full((3, 2), 0.5)}, "shape"),
        (lambda m: {**m, "emission": m["emission"] + 0.1}, "row 0"),
        (lambda m: {**m, "emission": -m["emission"]}, "non-negative"),
        (lambda m: {**m, "obs": np.array([0, 4])}, r"\[0, 4\)"),
        (lambda m: {**m, "obs": np.array([0.5, 1.0])}, "integer"),
        (lambda m: {**m, "obs": np.zeros((2, 3), dtype=int)}, "1-D"),
    ],
)
def test_bad_inputs_raise_clear_errors(change, message):
    rng = np.random.default_rng(0)
    initial, transition, emission = random_hmm(rng)
    model = {
        "obs": np.array([0, 1, 2]),
        "initial": initial,
        "transition": transition,
        "emission": emission,
    }
    bad = change(model)
    for function in (hmm.forward_filter, hmm.forward_backward):
        with pytest.raises(ValueError, match=message):
            function(bad["obs"], bad["initial"], bad["transition"], bad["emission"])


def test_impossible_observation_names_padding():
    initial = np.array([1.0, 0.0])
    transition = np.eye(2)
    emission = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="padding"):
        hmm.forward_backward(np.array([1, 0, 2]), initial, transition, emission)


def test_unknown_method_and_single_sequence_are_rejected():
    initial = np.array([1.0])
    transition = np.array([[1.0]])
    emission = np.array([[1.0]])
    with pytest.raises(ValueError, match="method"):
        hmm.label_posteriors(
            [np.array([0])], initial, transition, emission, np.array([0]), method="viterbi"
        )
    with pytest.raises(ValueError, match="list of sequences"):
        hmm.label_posteriors(np.array([0, 0]), initial, transition, emission, np.array([0]))


def test_label_posterior_checks_the_state_to_label_map():
    post = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"`state_to_label` must be a 1-D array of shape \(3,\)"):
        hmm.label_posterior(post, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"`state_to_label` must hold labels \(ids below `num_labels`\) in \[0, 2\)"):
        hmm.label_posterior(post, np.array([0, 1, 2]), num_labels=2)
    with pytest.raises(ValueError, match=r"Expected shapes posteriors\[0\] \(T, L\), labels\[0\] \(T,\)"):
        hmm.argmax_accuracy([post], [np.zeros(3, dtype=int)])


# --- Issue 15: properties, exact values against brute force, defaults and label counts. ---

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(1, 30), num_states=st.integers(1, 4))
def test_filtering_rows_sum_to_one_and_agree_with_smoothing_at_the_last_step(seed, length, num_states):
    rng = np.random.default_rng(seed)
    initial, transition, emission = random_hmm(rng, num_states=num_states, num_symbols=3)
    obs = rng.integers(0, 3, size=length)
    filtered = hmm.forward_filter(obs, initial, transition, emission)
    smoothed = hmm.forward_backward(obs, initial, transition, emission)
    assert filtered.shape == smoothed.shape == (length, num_states)
    np.testing.assert_allclose(filtered.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(smoothed.sum(axis=1), 1.0, atol=1e-12)
    assert filtered.min() >= 0 and smoothed.min() >= 0
    np.testing.assert_allclose(filtered[-1], smoothed[-1], atol=1e-10)


def _sampled_hmm_problem(seed=5):
    rng = np.random.default_rng(seed)
    initial, transition, emission = random_hmm(rng, num_states=3, num_symbols=3)
    state_to_label = np.array([0, 1, 1])
    observations = [rng.integers(0, 3, size=n) for n in (4, 6, 5)]
    labels = [rng.integers(0, 2, size=len(o)) for o in observations]
    return observations, labels, initial, transition, emission, state_to_label


def test_q3_limit_and_expected_accuracy_equal_their_brute_force_values():
    observations, labels, initial, transition, emission, s2l = _sampled_hmm_problem()
    for method, index in (("smoothing", 0), ("filtering", 1)):
        hits = total = max_sum = 0.0
        for obs, lab in zip(observations, labels):
            state_post = brute_force(obs, initial, transition, emission)[index]
            label_post = np.stack([state_post[:, s2l == k].sum(1) for k in range(2)], axis=1)
            hits += np.sum(label_post.argmax(1) == lab)
            max_sum += label_post.max(1).sum()
            total += len(obs)
        q3 = hmm.q3_limit(observations, labels, initial, transition, emission, s2l, method=method)
        expected = hmm.expected_accuracy(observations, initial, transition, emission, s2l, method=method)
        assert q3 == pytest.approx(hits / total, abs=1e-12)
        assert expected == pytest.approx(max_sum / total, abs=1e-12)
    # The default method is smoothing, for both.
    args = (initial, transition, emission, s2l)
    assert hmm.q3_limit(observations, labels, *args) == hmm.q3_limit(observations, labels, *args, method="smoothing")
    smooth = hmm.expected_accuracy(observations, *args, method="smoothing")
    assert hmm.expected_accuracy(observations, *args) == smooth
    assert hmm.expected_accuracy(observations, *args, method="filtering") != pytest.approx(smooth, abs=1e-6)


def test_label_posteriors_have_one_column_per_label():
    observations, _, initial, transition, emission, s2l = _sampled_hmm_problem()
    post = hmm.forward_backward(observations[0], initial, transition, emission)
    assert hmm.label_posterior(post, s2l).shape == (4, 2)
    wide = hmm.label_posteriors(observations, initial, transition, emission, s2l, num_labels=4)
    assert [p.shape for p in wide] == [(4, 4), (6, 4), (5, 4)]
    np.testing.assert_allclose(wide[0][:, 2:], 0.0)
    np.testing.assert_allclose(wide[0][:, :2], hmm.label_posterior(post, s2l))
