"""Tests of keras_patterns.oracles.motifs against brute-force enumeration of the generator.

On tiny cases (a 2- or 3-column motif, sequences of 4 or 5 bases) every sequence and every placement is
enumerated, the joint law P(x, site at s) is written down from the generator's definition (not from the
likelihood-ratio formula), and the posteriors, the Bayes accuracies and the AUC are checked against it.
"""

import itertools

import numpy as np
import pytest

from keras_patterns.data import motifs as data
from keras_patterns.oracles import motifs as om


def _case(width=2, seed=0):
    rng = np.random.default_rng(seed)
    motif = rng.dirichlet(np.ones(4) * 0.7, size=width)
    background = np.array([0.1, 0.2, 0.3, 0.4])
    return motif, background


def _enumerate(motif, background, length, prior):
    """All sequences, with P(x, no site) (N,) and P(x, site at s) (N, P), from the generator's definition."""
    width = len(motif)
    places = length - width + 1
    seqs = np.array(list(itertools.product(range(4), repeat=length)))
    absent = np.array([(1 - prior) * np.prod([background[b] for b in x]) for x in seqs])
    site = np.zeros((len(seqs), places))
    for i, x in enumerate(seqs):
        for s in range(places):
            prob = prior / places
            for t, b in enumerate(x):
                prob *= motif[t - s, b] if s <= t < s + width else background[b]
            site[i, s] = prob
    return seqs, absent, site


@pytest.mark.parametrize("width,length,prior", [(2, 4, 0.5), (3, 5, 0.3), (1, 3, 0.8), (3, 3, 0.5)])
def test_posteriors_match_enumeration(width, length, prior):
    motif, background = _case(width)
    seqs, absent, site = _enumerate(motif, background, length, prior)
    evidence = absent + site.sum(axis=1)
    assert abs(evidence.sum() - 1) < 1e-12, "the enumeration is a distribution"
    presence = om.presence_posterior(seqs, motif, background, prior)
    np.testing.assert_allclose(presence, site.sum(axis=1) / evidence, atol=1e-12)
    covers = np.zeros((site.shape[1], length))
    for s in range(site.shape[1]):
        covers[s, s:s + width] = 1
    np.testing.assert_allclose(om.position_posterior(seqs, motif, background, prior), site @ covers / evidence[:, None],
                               atol=1e-12)
    # Bayes accuracies: the exact sums, and the expectation of max(p, 1-p) under P(x).
    exact_global = np.maximum(absent, site.sum(axis=1)).sum()
    in_site = site @ covers
    exact_local = np.maximum(in_site, evidence[:, None] - in_site).sum() / length
    assert abs(np.sum(evidence * np.maximum(presence, 1 - presence)) - exact_global) < 1e-12
    weights = evidence / evidence.sum() * len(seqs)  # bayes_accuracy is an unweighted mean: reweight by P(x)
    q = om.position_posterior(seqs, motif, background, prior)
    assert abs(np.mean(weights[:, None] * np.maximum(q, 1 - q)) - exact_local) < 1e-12
    assert 0.5 <= exact_global <= 1


def test_log_likelihood_ratios_are_sums_over_site_columns():
    motif, background = _case(3, seed=4)
    ids = np.array([[0, 1, 2, 3, 0], [3, 3, 3, 3, 3]])
    scores = om.placement_log_likelihood_ratios(ids, motif, background)
    assert scores.shape == (2, 3)
    want = np.log(motif[0, 1] * motif[1, 2] * motif[2, 3] / (background[1] * background[2] * background[3]))
    assert abs(scores[0, 1] - want) < 1e-12, "placement 1 of the first sequence covers bases 1, 2, 3"
    assert abs(scores[1, 2] - np.log(np.prod(motif[:, 3]) / background[3] ** 3)) < 1e-12


def test_long_sequences_do_not_underflow_and_the_site_is_found():
    motif = data.pwm()
    sample = data.sample_motif_sequences(200, 400, seed=3, motif=motif)
    p = om.presence_posterior(sample["ids"], motif)
    q = om.position_posterior(sample["ids"], motif)
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(q))
    assert om.rule_accuracy(p, sample["present"]) > 0.85
    carriers = sample["present"] == 1
    # Where a site is, the posterior mass sits on it.
    inside = (q * sample["local"])[carriers].sum() / q[carriers].sum()
    assert inside > 0.9
    assert np.all(q <= p[:, None] + 1e-12), "a base cannot be in a site more likely than a site is present"


def test_prior_zero_and_one():
    motif, background = _case(2)
    ids = np.array([[0, 1, 2, 3]])
    assert om.presence_posterior(ids, motif, background, prior=0.0).tolist() == [0.0]
    assert om.presence_posterior(ids, motif, background, prior=1.0).tolist() == [1.0]
    assert abs(om.position_posterior(ids, motif, background, prior=1.0).sum() - 2) < 1e-12, \
        "with a site certain, the expected number of covered bases is its width"


def test_forbidden_base_rules_a_placement_out():
    motif = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])  # the site is exactly "AC"
    p = om.presence_posterior([[2, 2, 2, 2], [2, 0, 1, 2]], motif)
    assert p[0] == 0.0 and 0.5 < p[1] < 1.0
    q = om.position_posterior([[2, 0, 1, 2]], motif)
    np.testing.assert_allclose(q[0, [0, 3]], 0.0, atol=1e-15)
    assert abs(q[0, 1] - p[1]) < 1e-12 and abs(q[0, 2] - p[1]) < 1e-12


def test_bayes_accuracy_rule_accuracy_and_auc():
    assert om.bayes_accuracy([0.9, 0.2, 0.5]) == pytest.approx((0.9 + 0.8 + 0.5) / 3)
    assert om.bayes_accuracy(np.array([[0.0, 1.0]])) == 1.0
    assert om.rule_accuracy([0.9, 0.2, 0.6, 0.5], [1, 0, 0, 1]) == 0.5, "p = 1/2 is a 0"
    assert om.auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert om.auc([0.5, 0.5], [0, 1]) == 0.5, "ties count one half"
    assert om.auc([0.2, 0.1, 0.9], [1, 0, 1]) == 1.0
    rng = np.random.default_rng(0)
    scores, labels = rng.random(300), rng.integers(0, 2, 300)
    pairs = [(s1 > s0) + 0.5 * (s1 == s0) for s1 in scores[labels == 1] for s0 in scores[labels == 0]]
    assert om.auc(scores, labels) == pytest.approx(np.mean(pairs), abs=1e-12)


def test_bayes_rule_beats_other_thresholds_on_a_sample():
    motif = data.pwm()
    sample = data.sample_motif_sequences(3000, 60, seed=5, motif=motif)
    p = om.presence_posterior(sample["ids"], motif)
    best = om.rule_accuracy(p, sample["present"])
    assert abs(om.bayes_accuracy(p) - best) < 0.01, "the expected and the empirical accuracies agree"
    for threshold in (0.05, 0.2, 0.8, 0.95):
        assert np.mean((p > threshold) == sample["present"]) <= best + 0.004


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: om.presence_posterior([[0, 1, 4]], data.pwm()[:2]), "ids"),
        (lambda: om.presence_posterior([0, 1, 2], data.pwm()[:2]), "ids"),
        (lambda: om.presence_posterior([[0, 1]], data.pwm()[:3]), "width 3"),
        (lambda: om.presence_posterior([[0, 1]], np.ones((1, 4))), "motif"),
        (lambda: om.presence_posterior([[0, 1]], np.ones((1, 3)) / 3), "motif"),
        (lambda: om.presence_posterior([[0, 1]], data.pwm()[:1], prior=1.5), "prior"),
        (lambda: om.presence_posterior([[0, 1]], data.pwm()[:1], background=[0.5, 0.5, 0, 0]), "background"),
        (lambda: om.bayes_accuracy([0.2, 1.2]), "posterior"),
        (lambda: om.bayes_accuracy([]), "posterior"),
        (lambda: om.rule_accuracy([0.2, 0.3], [0, 1, 1]), "shapes"),
        (lambda: om.rule_accuracy([0.2, 0.3], [0, 2]), "labels"),
        (lambda: om.auc([0.2, 0.3], [1, 1]), "both classes"),
        (lambda: om.auc([0.2, 0.3], [1]), "labels"),
    ],
)
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_each_sequence_is_normalised_on_its_own():
    # A 600-column motif that is almost surely all A: the all-A sequence's log-ratio is about +826, the
    # all-C one's about -2600. Shifting both by one common maximum would underflow the second one to 0/0.
    motif = np.tile([[0.99, 0.0033, 0.0033, 0.0034]], (600, 1))
    ids = np.stack([np.zeros(600, "int64"), np.ones(600, "int64")])
    p = om.presence_posterior(ids, motif)
    assert np.all(np.isfinite(p)) and p[0] == 1.0 and p[1] == 0.0
    q = om.position_posterior(ids, motif)
    assert np.all(np.isfinite(q)) and np.all(q[0] == 1.0) and np.all(q[1] == 0.0)


def test_impossible_placements_and_certain_priors_raise_no_warning():
    import warnings

    motif = np.array([[1.0, 0.0, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        om.placement_log_likelihood_ratios([[1, 2]], motif)
        om.presence_posterior([[0, 1]], motif, prior=1.0)
        om.presence_posterior([[0, 1]], motif, prior=0.0)
