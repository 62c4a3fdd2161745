"""Tests of keras_patterns.data.motifs: the sampler follows its generator, exactly as the oracle assumes.

The law of the sampled sequences is compared with the law enumerated from the generator's definition
(tiny case), the sites' columns with the PWM, and the labels with the planted starts.
"""

import itertools

import numpy as np
import pytest

from keras_patterns.data import motifs


def test_ctcf_counts_are_jaspar_ma0139_1():
    counts = motifs.CTCF_COUNTS
    assert counts.shape == (19, 4)
    assert counts.sum(axis=1).min() == 908 and counts.sum(axis=1).max() == 913, "JASPAR MA0139.1: 908-913 sites a column"
    assert motifs.consensus(motifs.pwm(counts)) == "TGGCCACCAGGGGGCGCTA"
    assert counts[4].tolist() == [8, 903, 0, 2] and counts[9].tolist() == [5, 0, 903, 3]


def test_pwm_normalises_with_the_pseudocount():
    p = motifs.pwm([[1, 0, 0, 3]], pseudocount=1.0)
    np.testing.assert_allclose(p, [[2 / 8, 1 / 8, 1 / 8, 4 / 8]])
    np.testing.assert_allclose(motifs.pwm([[1, 0, 0, 3]], pseudocount=0.0), [[0.25, 0, 0, 0.75]])
    np.testing.assert_allclose(motifs.pwm().sum(axis=1), 1.0)


def test_sampler_law_matches_the_generator_on_a_tiny_case():
    motif = np.array([[0.7, 0.1, 0.1, 0.1], [0.05, 0.05, 0.1, 0.8]])
    background = np.array([0.4, 0.3, 0.2, 0.1])
    length, prior, n = 3, 0.3, 200_000
    sample = motifs.sample_motif_sequences(n, length, seed=1, motif=motif, background=background, present_prob=prior)
    code = sample["ids"] @ (4 ** np.arange(length)[::-1])
    counts = np.bincount(code, minlength=4 ** length)
    expected = []
    for x in itertools.product(range(4), repeat=length):
        p_bg = np.prod(background[list(x)])
        p_site = np.mean([np.prod([motif[t - s, b] if s <= t < s + 2 else background[b] for t, b in enumerate(x)])
                          for s in range(2)])
        expected.append((1 - prior) * p_bg + prior * p_site)
    expected = np.array(expected) * n
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 63 + 6 * np.sqrt(2 * 63), f"chi2 = {chi2:.1f} on 63 degrees of freedom"


def test_labels_follow_the_planted_start():
    sample = motifs.sample_motif_sequences(2000, 40, seed=2)
    ids, present, start, local = sample["ids"], sample["present"], sample["start"], sample["local"]
    assert ids.dtype == np.int32 and present.dtype == np.int32 and local.dtype == np.int32
    assert ids.shape == local.shape == (2000, 40) and ids.min() >= 0 and ids.max() <= 3
    assert abs(present.mean() - 0.5) < 0.05
    assert np.all(start[present == 0] == -1) and np.all(local[present == 0] == 0)
    carriers = np.flatnonzero(present)
    assert start[carriers].min() == 0 and start[carriers].max() == 40 - 19, "starts uniform over all 22 placements"
    assert np.all(local[carriers].sum(axis=1) == 19)
    for i in carriers[:50]:
        assert np.all(local[i, start[i]:start[i] + 19] == 1)
    sites = np.stack([ids[i, start[i]:start[i] + 19] for i in carriers])
    freq = np.stack([np.bincount(sites[:, j], minlength=4) for j in range(19)]) / len(sites)
    assert np.abs(freq - motifs.pwm()).max() < 0.05, "site columns follow the PWM"
    background = ids[present == 0].ravel()
    assert np.abs(np.bincount(background, minlength=4) / background.size - 0.25).max() < 0.01


def test_same_seed_same_data_and_present_prob_extremes():
    a = motifs.sample_motif_sequences(10, 25, seed=7)
    b = motifs.sample_motif_sequences(10, 25, seed=7)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert motifs.sample_motif_sequences(20, 25, seed=0, present_prob=0.0)["present"].sum() == 0
    assert motifs.sample_motif_sequences(20, 25, seed=0, present_prob=1.0)["present"].sum() == 20
    assert motifs.sample_motif_sequences(5, 19, seed=0, present_prob=1.0)["start"].tolist() == [0] * 5


def test_one_hot_and_decode():
    x = motifs.one_hot(np.array([[0, 1, 2, 3]]))
    assert x.dtype == np.float32 and x.shape == (1, 4, 4)
    np.testing.assert_array_equal(x[0], np.eye(4))
    assert motifs.decode([3, 2, 1, 0]) == "TGCA"


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: motifs.sample_motif_sequences(0, 30, seed=0), "num_sequences"),
        (lambda: motifs.sample_motif_sequences(5, 10, seed=0), "length"),
        (lambda: motifs.sample_motif_sequences(5, 30, seed=0, present_prob=2.0), "present_prob"),
        (lambda: motifs.sample_motif_sequences(5, 30, seed=0, motif=np.ones((3, 4))), "motif"),
        (lambda: motifs.sample_motif_sequences(5, 30, seed=0, background=[1, 0, 0, 0]), "background"),
        (lambda: motifs.pwm([[1, 2, 3]]), "counts"),
        (lambda: motifs.pwm([[1, -2, 3, 0]]), "non-negative"),
        (lambda: motifs.pwm([[1, 2, 3, 0]], pseudocount=-1), "pseudocount"),
        (lambda: motifs.pwm([[0, 0, 0, 0]], pseudocount=0), "positive total"),
        (lambda: motifs.one_hot([[0, 4]]), "ids"),
        (lambda: motifs.one_hot([0, 1]), "ids"),
        (lambda: motifs.decode([[0]]), "ids"),
    ],
)
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_default_pwm_is_ctcf_with_one_pseudocount_per_cell():
    np.testing.assert_allclose(motifs.pwm(), (motifs.CTCF_COUNTS + 1) / (motifs.CTCF_COUNTS + 1).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(motifs.pwm(pseudocount=0.0)[4], [8 / 913, 903 / 913, 0, 2 / 913])


@pytest.mark.parametrize("counts", [[1, 2, 3, 4], [[[1, 2, 3, 4]]]])
def test_counts_of_the_wrong_rank_are_refused_by_name(counts):
    with pytest.raises(ValueError, match=r"`counts` must be a 2-D array of shape \(width, 4\)"):
        motifs.pwm(counts)
