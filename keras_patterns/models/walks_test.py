"""Tests of keras_patterns.models.walks: shapes, causality, and training to the limit."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import ops  # noqa: E402

from keras_patterns import metrics  # noqa: E402
from keras_patterns.data import graphs  # noqa: E402
from keras_patterns.models import walks as wm  # noqa: E402
from keras_patterns.oracles import random_walks as rw  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    """Every model of these tests is built under a fixed seed, so a failure reproduces."""
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def karate():
    graph, labels = graphs.karate_club()
    return labels, rw.transition_matrix(graph)


@pytest.mark.parametrize("steps", [1, 5, 17])
def test_shapes(steps):
    x = np.random.default_rng(0).integers(34, size=(3, steps)).astype("int32")
    one = wm.build_many_to_one_walk_classifier(34, 8)
    many = wm.build_many_to_many_walk_tagger(34, 8, num_classes=3, embedding_dim=4)
    p_one = ops.convert_to_numpy(one(x))
    p_many = ops.convert_to_numpy(many(x))
    assert p_one.shape == (3, 2)
    assert p_many.shape == (3, steps, 3)
    np.testing.assert_allclose(p_one.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(p_many.sum(-1), 1.0, atol=1e-5)


def test_builders_validate_arguments():
    with pytest.raises(ValueError, match="Received: num_nodes=0"):
        wm.build_many_to_one_walk_classifier(0, 8)
    with pytest.raises(ValueError, match="Received: num_hiddens=2.5"):
        wm.build_many_to_many_walk_tagger(34, 2.5)
    with pytest.raises(ValueError, match="Received: learning_rate=0"):
        wm.compile_walk_model(wm.build_many_to_one_walk_classifier(34, 4), learning_rate=0)


def test_many_to_many_tagger_is_causal():
    keras.utils.set_random_seed(0)
    model = wm.build_many_to_many_walk_tagger(34, 16)
    rng = np.random.default_rng(0)
    x = rng.integers(34, size=(8, 12)).astype("int32")
    base = ops.convert_to_numpy(model(x))
    for t in range(11):
        changed = x.copy()
        changed[:, t + 1 :] = rng.integers(34, size=changed[:, t + 1 :].shape)
        out = ops.convert_to_numpy(model(changed))
        np.testing.assert_allclose(out[:, : t + 1], base[:, : t + 1], atol=1e-6)
        # ... and the change is visible from step t + 1 on (the test can fail).
        assert np.abs(out[:, t + 1 :] - base[:, t + 1 :]).max() > 1e-4


def test_many_to_one_classifier_sees_the_first_node():
    keras.utils.set_random_seed(0)
    model = wm.build_many_to_one_walk_classifier(34, 16)
    x = np.random.default_rng(1).integers(34, size=(8, 6)).astype("int32")
    changed = x.copy()
    changed[:, 0] = (changed[:, 0] + 1) % 34
    diff = np.abs(ops.convert_to_numpy(model(changed)) - ops.convert_to_numpy(model(x)))
    assert diff.max() > 1e-5


# Training tests. The test sets hold 4,000 walks: a global accuracy is a mean of
# 4,000 Bernoullis (standard error <= 0.008), so 0.03 is about 4 standard errors,
# with room left for a model that is not quite at its limit after a short fit.
NUM_TEST = 4000


def _fit(model, x, y, epochs=4):
    wm.compile_walk_model(model, learning_rate=1e-2)
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    return model


def test_many_to_one_reaches_bayes_limits(karate):
    labels, p = karate
    keras.utils.set_random_seed(1)
    length = 4
    train = graphs.sample_walks(p, length, 3000, seed=10)
    test = graphs.sample_walks(p, length, NUM_TEST, seed=11)
    # Whole walk: the GRU can carry X_0 through 4 steps, limit 1.
    model = _fit(
        wm.build_many_to_one_walk_classifier(34, 16), *graphs.make_global_targets(train, labels)
    )
    x, y = graphs.make_global_targets(test, labels)
    accuracy = float(np.mean(np.argmax(model.predict(x, verbose=0, batch_size=1000), -1) == y))
    assert accuracy >= 1.0 - 0.03
    # Last node only: the limit is acc(L) from the powers of P (0.745 here).
    limit = rw.window_bayes_accuracy(p, labels, length, 1)
    model = _fit(
        wm.build_many_to_one_walk_classifier(34, 16),
        *graphs.make_global_targets(train, labels, window=1),
    )
    x, y = graphs.make_global_targets(test, labels, window=1)
    accuracy = float(np.mean(np.argmax(model.predict(x, verbose=0, batch_size=1000), -1) == y))
    assert accuracy == pytest.approx(limit, abs=0.03)


def test_many_to_many_reaches_local_bayes_limit(karate):
    labels, p = karate
    keras.utils.set_random_seed(2)
    length = 6
    train = graphs.sample_walks(p, length, 3000, seed=20)
    test = graphs.sample_walks(p, length, NUM_TEST, seed=21)
    model = _fit(wm.build_many_to_many_walk_tagger(34, 16), *graphs.make_local_targets(train, labels))
    x, y = graphs.make_local_targets(test, labels)
    per_step = metrics.per_step_accuracy(y, model.predict(x, verbose=0, batch_size=1000))
    limits = rw.local_bayes_accuracies(p, labels, length)
    # Mean over 6 steps of 4,000 walks: standard error about 0.003.
    assert per_step.mean() == pytest.approx(limits.mean(), abs=0.02)
    np.testing.assert_allclose(per_step, limits, atol=0.04)


# --- Issue 15: each builder builds what its arguments say. ---


@pytest.mark.parametrize("build,head,sequences", [(wm.build_many_to_one_walk_classifier, "start_community", False),
                                                  (wm.build_many_to_many_walk_tagger, "next_community", True)])
def test_walk_builders_build_what_their_arguments_say(build, head, sequences):
    model = build(12, 5, num_classes=3, embedding_dim=4, name="w")
    assert model.name == "w"
    embedding, gru, dense = (model.get_layer(n) for n in ("node_embedding", "gru", head))
    assert (embedding.input_dim, embedding.output_dim) == (12, 4)
    assert gru.units == 5 and gru.return_sequences == sequences and not gru.go_backwards
    assert dense.units == 3 and dense.kernel.shape == (5, 3)
    out = keras.ops.convert_to_numpy(model(np.array([[0, 11, 3]], "int32")))
    assert out.shape == ((1, 3, 3) if sequences else (1, 3))
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    default = build(12, 5)
    assert default.get_layer("node_embedding").output_dim == 5  # embedding_dim defaults to num_hiddens
    assert default.get_layer(head).units == 2
    assert default.name == build.__name__.replace("build_", "")
    # Node ids go in as int32 through the input the notebooks feed by name.
    assert [(t.name, str(t.dtype)) for t in model.inputs] == [("walk", "int32")]
    with pytest.raises(ValueError, match=r"^`embedding_dim` must be a positive integer\. Received: embedding_dim=0"):
        build(12, 5, embedding_dim=0)


def test_compile_walk_model_uses_its_learning_rate_and_reports_accuracy():
    model = wm.compile_walk_model(wm.build_many_to_one_walk_classifier(6, 3), learning_rate=0.25)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.25)
    default = wm.compile_walk_model(wm.build_many_to_one_walk_classifier(6, 3))
    assert float(keras.ops.convert_to_numpy(default.optimizer.learning_rate)) == pytest.approx(1e-2)
    logs = model.evaluate(np.array([[0, 1], [2, 3]], "int32"), np.array([0, 1]), verbose=0, return_dict=True)
    assert set(logs) >= {"loss", "accuracy"}
