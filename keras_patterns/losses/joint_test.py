"""Tests of keras_patterns.losses.joint: the ops formula against NumPy, and against what Keras trains."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.losses.joint import compile_multitask, head_cross_entropy, joint_loss
from keras_patterns.models.multitask import build_multitask_model, build_single_task_model


def _bce(y, z):
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_head_cross_entropy_binary_and_categorical_match_numpy():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 1)).astype("float32") * 3
    y = rng.integers(0, 2, size=5)
    np.testing.assert_allclose(np.asarray(head_cross_entropy(y, z)), _bce(y, z[:, 0]), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(head_cross_entropy(y[:, None], z)), _bce(y, z[:, 0]), rtol=1e-5)
    big = np.array([[80.0], [-80.0]], "float32")
    np.testing.assert_allclose(np.asarray(head_cross_entropy(np.array([0, 1]), big)), [80.0, 80.0], rtol=1e-5), \
        "the stable form does not overflow"
    logits = rng.normal(size=(4, 3)).astype("float32")
    labels = np.array([0, 2, 1, 2])
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(np.asarray(head_cross_entropy(labels, logits)), -log_p[np.arange(4), labels], rtol=1e-5)
    # Class ids with a trailing axis of 1 drop that axis only, also where another axis is 1 (one item, one step).
    np.testing.assert_allclose(np.asarray(head_cross_entropy(labels[:, None], logits)), -log_p[np.arange(4), labels],
                               rtol=1e-5)
    one = np.asarray(head_cross_entropy(labels[:1, None], logits[:1]))
    assert one.shape == (1,)
    np.testing.assert_allclose(one, -log_p[[0], labels[:1]], rtol=1e-5)
    steps = np.asarray(head_cross_entropy(labels[:2, None, None], logits[:2, None, :]))
    assert steps.shape == (2, 1)
    np.testing.assert_allclose(steps[:, 0], -log_p[np.arange(2), labels[:2]], rtol=1e-5)


def test_joint_loss_weights_and_masks():
    rng = np.random.default_rng(1)
    g = rng.normal(size=(4, 1)).astype("float32")
    l = rng.normal(size=(4, 6, 1)).astype("float32")
    yg, yl = rng.integers(0, 2, 4), rng.integers(0, 2, (4, 6))
    mask = np.ones((4, 6)); mask[:, 4:] = 0; mask[0, 2:] = 0
    lg, ll = _bce(yg, g[:, 0]).mean(), _bce(yl, l[..., 0])
    for wg, wl in ((1.0, 1.0), (0.3, 2.0), (0.0, 1.0), (1.0, 0.0)):
        got = float(joint_loss(yg, g, yl, l, wg, wl))
        assert got == pytest.approx(wg * lg + wl * ll.mean(), rel=1e-5)
        got = float(joint_loss(yg, g, yl, l, wg, wl, mask=mask))
        assert got == pytest.approx(wg * lg + wl * (ll * mask).sum() / mask.sum(), rel=1e-5), \
            "the local term averages over the real steps only"


def test_joint_loss_masks_down_to_one_real_step_and_to_none():
    # One real step in the whole batch: the local term is that step's cross-entropy (divided by 1);
    # no real step: the local term is 0 (0 / max(0, 1)), not NaN.
    g = np.zeros((2, 1), "float32")
    l = np.array([[[2.0], [-1.0], [0.5]], [[1.5], [3.0], [-2.0]]], "float32")
    yg, yl = np.array([0, 1]), np.array([[1, 0, 1], [0, 0, 1]])
    one = np.zeros((2, 3)); one[1, 2] = 1
    assert float(joint_loss(yg, g, yl, l, 0.0, 1.0, mask=one)) == pytest.approx(_bce(1, -2.0), rel=1e-5)
    assert float(joint_loss(yg, g, yl, l, 1.0, 1.0, mask=np.zeros((2, 3)))) == pytest.approx(np.log(2), rel=1e-5)


@pytest.mark.parametrize("weights", [(1.0, 1.0), (0.5, 3.0)])
def test_compile_multitask_trains_on_the_joint_loss(weights):
    keras.utils.set_random_seed(0)
    model = compile_multitask(build_multitask_model(4, 4), *weights)
    rng = np.random.default_rng(2)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (16, 7))]
    y = {"global": rng.integers(0, 2, (16, 1)), "local": rng.integers(0, 2, (16, 7, 1))}
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    out = model(x)
    want = float(joint_loss(y["global"], out["global"], y["local"], out["local"], *weights))
    assert logs["loss"] == pytest.approx(want, rel=1e-4), "Keras' dict of losses with loss_weights is joint_loss"
    assert set(logs) >= {"global_accuracy", "local_accuracy"}
    assert logs["global_accuracy"] == pytest.approx(np.mean((np.asarray(out["global"]) > 0) == (y["global"] == 1)))
    before = logs["loss"]
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)["loss"] < before


def test_compile_single_task_and_multiclass_heads():
    model = compile_multitask(build_single_task_model(4, 4), local_weight=5.0, learning_rate=0.01, optimizer="sgd")
    assert sorted(model.loss) == ["global"] and type(model.optimizer).__name__ == "SGD"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    multi = compile_multitask(build_multitask_model(4, 4, global_units=3, local_units=2), 1.0, 1.0)
    rng = np.random.default_rng(3)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (8, 5))]
    y = {"global": rng.integers(0, 3, (8,)), "local": rng.integers(0, 2, (8, 5))}
    logs = multi.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    out = multi(x)
    assert logs["loss"] == pytest.approx(float(joint_loss(y["global"], out["global"], y["local"], out["local"])), rel=1e-4)
    # Several logits: each head's accuracy is still reported as "{head}_accuracy", and it is the argmax's.
    assert set(logs) >= {"global_accuracy", "local_accuracy"}
    assert logs["global_accuracy"] == pytest.approx(np.mean(np.argmax(np.asarray(out["global"]), -1) == y["global"]))
    assert logs["local_accuracy"] == pytest.approx(np.mean(np.argmax(np.asarray(out["local"]), -1) == y["local"]))


@pytest.mark.parametrize("name,cls", [("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"), ("sgd", "SGD"),
                                      ("nadam", "Nadam")])
def test_compile_multitask_builds_each_named_optimizer(name, cls):
    model = compile_multitask(build_multitask_model(4, 2), learning_rate=0.02, optimizer=name)
    assert type(model.optimizer).__name__ == cls
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)


@pytest.mark.parametrize("call,match", [
    (lambda m: compile_multitask(m, global_weight=-1), "global_weight"),
    (lambda m: compile_multitask(m, local_weight=float("nan")), "local_weight"),
    (lambda m: compile_multitask(m, 0.0, 0.0), "both be 0"),
    (lambda m: compile_multitask(m, learning_rate=0), "learning_rate"),
    (lambda m: compile_multitask(m, optimizer="adagrad"), "optimizer"),
    (lambda m: compile_multitask(keras.Sequential([keras.layers.Dense(1)])), "global"),
    (lambda m: joint_loss(np.zeros(2), np.zeros((2, 1)), np.zeros((2, 3)), np.zeros((2, 3, 1)), mask=np.ones((2, 4))),
     "mask"),
])
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call(build_multitask_model(4, 2))
