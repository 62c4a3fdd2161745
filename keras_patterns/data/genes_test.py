"""Synthetic contigs: shapes, labels against the hidden path, determinism, limits."""

import numpy as np
import pytest

from keras_patterns.data import genes
from keras_patterns.oracles import gene_hmm


def test_make_contigs_shapes_and_labels():
    data = genes.make_contigs(6, 300, seed=1)
    model = genes.chapter_model()
    assert data["bases"].shape == (6, 300) and data["x"].shape == (6, 300, 4) and data["x"].dtype == np.float32
    assert np.array_equal(data["x"].argmax(-1), data["bases"]) and np.all(data["x"].sum(-1) == 1)
    assert np.array_equal(data["labels"], model.labels[data["states"]])
    assert set(np.unique(data["labels"]).tolist()) == {0, 1, 2}
    assert data["boundary"].dtype == bool and 0.02 < data["boundary"].mean() < 0.4
    # Boundaries sit where labels change (a gene's first or last base) or next to it.
    rows, cols = np.nonzero(np.diff(data["labels"], axis=1) != 0)
    assert rows.size and np.all(data["boundary"][rows, cols]) and np.all(data["boundary"][rows, cols + 1])


def test_same_seed_same_contigs_other_seed_other_contigs():
    a, b, c = (genes.make_contigs(3, 100, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a["bases"], b["bases"]) and not np.array_equal(a["bases"], c["bases"])


def test_chapter_model_overrides():
    assert genes.chapter_model().params["mean_codons"] == 40.0
    assert genes.chapter_model(mean_codons=10.0).params["mean_codons"] == 10.0


def test_one_hot():
    assert genes.one_hot(np.array([[2, 1]])).tolist() == [[[0, 0, 1, 0], [0, 1, 0, 0]]]
    with pytest.raises(ValueError, match="bases"):
        genes.one_hot(np.array([0, 4]))


def test_accuracies_golden():
    labels = np.array([[0, 0, 1, 1], [2, 2, 0, 0]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 0, 0]])
    mask = np.array([[False, True, True, False], [False, True, False, False]])
    assert genes.accuracies(labels, pred, mask) == pytest.approx((75.0, 100.0 / 3))
    probs = np.eye(3)[pred]
    assert genes.accuracies(labels, probs, mask) == pytest.approx((75.0, 100.0 / 3))
    with pytest.raises(ValueError, match="boundary"):
        genes.accuracies(labels, pred, mask.astype(int))
    with pytest.raises(ValueError, match="no base"):
        genes.accuracies(labels, pred, np.zeros_like(mask))
    with pytest.raises(ValueError, match="predictions"):
        genes.accuracies(labels, pred[:, :3], mask)
    with pytest.raises(ValueError, match=r"\(N, T, 3\)"):
        genes.accuracies(labels, np.zeros((2, 4, 2)), mask)


def test_bayes_limits_are_the_argmax_of_the_exact_posteriors():
    data = genes.make_contigs(20, 240, seed=2, with_posteriors=True)
    base, boundary = genes.bayes_limits(data)
    post = gene_hmm.label_posteriors(genes.chapter_model(), data["bases"])
    assert np.allclose(post, data["posteriors"])
    right = post.argmax(-1) == data["labels"]
    assert base == pytest.approx(100 * right.mean()) and boundary == pytest.approx(100 * right[data["boundary"]].mean())
    assert 85.0 < base < 100.0 and boundary < base, "boundaries are the hard bases"
    del data["posteriors"]
    assert genes.bayes_limits(data) == (base, boundary)
    with pytest.raises(ValueError, match="make_contigs"):
        genes.bayes_limits({"bases": data["bases"]})


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="length"):
        genes.make_contigs(2, 0, seed=0)
    with pytest.raises(ValueError, match="seed"):
        genes.make_contigs(2, 10, seed=-1)
    with pytest.raises(ValueError, match="model"):
        genes.make_contigs(2, 10, seed=0, model="hmm")


def test_bayes_limits_use_the_given_posteriors_and_model():
    other = genes.chapter_model(mean_codons=15.0)
    data = genes.make_contigs(10, 120, seed=3, model=other)
    own = genes.bayes_limits(data, other)
    right = gene_hmm.label_posteriors(other, data["bases"]).argmax(-1) == data["labels"]
    assert own == pytest.approx((100 * right.mean(), 100 * right[data["boundary"]].mean()))
    # Posteriors in the data are used as given, not recomputed: all-"coding -" posteriors score the share of 2s.
    fake = np.zeros(data["labels"].shape + (3,))
    fake[..., 2] = 1.0
    base, _ = genes.bayes_limits({**data, "posteriors": fake}, other)
    assert base == pytest.approx(100 * np.mean(data["labels"] == 2))
