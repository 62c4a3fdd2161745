"""Chapter 02's challenge task: fixed contigs, the exact Bayes limit on them, the rules."""

import numpy as np
import pytest

from keras_patterns.challenges import genes as challenge
from keras_patterns.data import genes
from keras_patterns.oracles import hmm


@pytest.fixture(scope="module")
def task():
    return challenge.gene_task()


def test_the_limit_is_the_bayes_rule_on_the_same_test_contigs(task):
    model = genes.chapter_model()
    one_hot = np.eye(3)[model.labels]
    bases = task.x_test.argmax(-1)
    # The generic (one contig at a time) forward-backward of oracles.hmm, on 30 of the test contigs.
    some = slice(0, 30)
    post = np.stack([hmm.forward_backward(x, model.initial, model.transition, model.emission) @ one_hot
                     for x in bases[some]])
    right = post.argmax(-1) == task.y_test[some]
    assert challenge.accuracy_points(task.y_test[some], post) == pytest.approx(100 * right.mean())
    assert 90.0 < task.limit < 99.0
    # The full test set's limit, against the batched oracle's.
    full = genes.bayes_limits({"bases": bases, "labels": task.y_test.astype(int),
                               "boundary": np.ones_like(task.y_test, dtype=bool)})
    assert task.limit == pytest.approx(full[0], abs=1e-9)


@pytest.mark.parametrize("profile", ["smoke", "default"])
def test_the_task_is_the_same_whatever_the_profile(task, profile, monkeypatch):
    monkeypatch.setenv("KP_PROFILE", profile)
    other = challenge.gene_task()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(other, name), getattr(task, name)), name
    assert other.limit == task.limit and other.rules == task.rules


def test_the_data_are_one_hot_contigs_with_three_labels(task):
    assert task.x_train.shape == (challenge.NUM_TRAIN, challenge.LENGTH, 4)
    assert task.x_test.shape == (challenge.NUM_TEST, challenge.LENGTH, 4)
    for x, y in ((task.x_train, task.y_train), (task.x_test, task.y_test)):
        assert x.dtype == np.float32 and y.dtype == np.int32 and x.shape[:2] == y.shape
        assert np.all(x.sum(-1) == 1) and set(np.unique(y).tolist()) == {0, 1, 2}
    train = {row.tobytes() for row in task.x_train}
    assert not any(row.tobytes() in train for row in task.x_test)
    assert challenge.LENGTH % 8 == 0


def test_accuracy_points_and_its_shape_check():
    y = np.array([[0, 1, 2, 2], [1, 1, 1, 1]])
    probs = np.eye(3)[np.array([[0, 1, 0, 2], [1, 1, 1, 0]])]
    assert challenge.accuracy_points(y, probs) == 75.0
    with pytest.raises(ValueError, match=r"\(2, 4, 3\)"):
        challenge.accuracy_points(y, probs[..., :2])


def test_rules_and_overrides(task):
    assert task.rules.max_params == challenge.RULES["max_params"] and task.rules.full_within == 36.0 and task.rules.zero_at == 48.0
    small = challenge.gene_task(num_train=4, num_test=4, max_updates=10)
    assert small.rules.max_updates == 10 and small.x_train.shape == (4, challenge.LENGTH, 4)
    with pytest.raises(ValueError, match="num_test"):
        challenge.gene_task(num_test=0)


def test_the_scale_tells_a_trained_cnn_from_a_constant_answer(task):
    """A model that always answers "non-coding" earns nothing; the measured CNN (gap 32.8) earns all."""
    constant = np.zeros(task.y_test.shape + (3,))
    constant[..., 0] = 1.0
    gap = task.gap(challenge.accuracy_points(task.y_test, constant))
    assert task.rules.points(gap, 4) == 0.0
    assert task.rules.points(32.8, 4) == 4.0 and 0.5 < task.rules.points(42.4, 4) < 2.5


def test_the_task_names_its_units_and_direction():
    # A task of its own, not the module's fixture: mutmut runs for a mutant only the tests that called it.
    task = challenge.gene_task(num_train=4, num_test=4)
    assert task.units == "accuracy points" and task.higher_is_better and task.loss == "sparse_categorical_crossentropy"
    # The notebook prints the limit's description: it names the exact rule and the limit on these contigs.
    assert "forward-backward" in task.describe_limit and f"{task.limit:.2f}" in task.describe_limit
