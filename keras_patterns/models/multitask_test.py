"""Tests of keras_patterns.models.multitask: shapes, named outputs, masking, a shared trunk, every argument used."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.models.multitask import build_multitask_model, build_single_task_model, count_trunk_params


def _one_hot(ids, vocab=4):
    return np.eye(vocab, dtype="float32")[np.asarray(ids)]


def _ids(n=3, steps=12, seed=0, low=0, high=4):
    return np.random.default_rng(seed).integers(low, high, size=(n, steps)).astype("int32")


def _outputs(model, x):
    return {k: np.asarray(v) for k, v in model(x).items()}


def test_named_outputs_and_shapes():
    model = build_multitask_model(4, 8, global_units=3, local_units=2)
    assert sorted(model.output) == ["global", "local"]
    out = _outputs(model, _one_hot(_ids(5, 9)))
    assert out["global"].shape == (5, 3) and out["local"].shape == (5, 9, 2)
    single = build_single_task_model(4, 8)
    assert sorted(single.output) == ["global"]
    assert _outputs(single, _one_hot(_ids(5, 9)))["global"].shape == (5, 1)


def test_heads_share_one_trunk():
    model = build_multitask_model(4, 8)
    trunk = [layer for layer in model.layers if layer.name.startswith("trunk")]
    assert len(trunk) == 1, "both heads read the same recurrent layer"
    consumers = {node.operation.name for node in trunk[0]._outbound_nodes}
    assert {"global", "local"} <= consumers or "final_states" in consumers
    # Changing a trunk weight changes both heads.
    x = _one_hot(_ids())
    before = _outputs(model, x)
    kernel = trunk[0].weights[0]
    kernel.assign(kernel.numpy() + 0.3)
    after = _outputs(model, x)
    assert not np.allclose(before["global"], after["global"]) and not np.allclose(before["local"], after["local"])


def test_single_and_multitask_trunks_have_the_same_size():
    for kwargs in ({}, {"num_layers": 2, "cell": "lstm"}, {"bidirectional": False, "global_pooling": "mean"}):
        multi, single = build_multitask_model(4, 8, **kwargs), build_single_task_model(4, 8, **kwargs)
        assert count_trunk_params(multi) == count_trunk_params(single)
        directions = 1 if kwargs.get("bidirectional") is False else 2
        assert multi.count_params() - single.count_params() == 8 * directions + 1, "only the local head differs"


@pytest.mark.parametrize("kwargs", [
    {}, {"cell": "lstm", "bidirectional": False}, {"cell": "simple_rnn", "num_layers": 2, "global_pooling": "mean"},
])
def test_masked_padding_changes_neither_head(kwargs):
    model = build_multitask_model(4, 6, **kwargs)
    ids = _ids(2, 10, seed=1)
    x = _one_hot(ids)
    padded = np.concatenate([x, np.zeros((2, 5, 4), "float32")], axis=1)
    short, long = _outputs(model, x), _outputs(model, padded)
    np.testing.assert_allclose(short["global"], long["global"], atol=1e-5,
                               err_msg="padding (all-zero rows) must not change the global head")
    np.testing.assert_allclose(short["local"], long["local"][:, :10], atol=1e-5)
    unmasked = build_multitask_model(4, 6, mask=False, **kwargs)
    unmasked.set_weights(model.get_weights())
    assert not np.allclose(_outputs(unmasked, padded)["global"], short["global"], atol=1e-5), \
        "mask=False must read the padding"


def test_embedding_input_masks_id_zero():
    model = build_multitask_model(5, 6, input_mode="embedding", embedding_dim=3)
    ids = _ids(2, 8, seed=2, low=1, high=5)
    padded = np.concatenate([ids, np.zeros((2, 4), "int32")], axis=1)
    np.testing.assert_allclose(_outputs(model, ids)["global"], _outputs(model, padded)["global"], atol=1e-5)
    assert model.get_layer("embedding").output_dim == 3 and model.get_layer("embedding").input_dim == 5
    assert build_multitask_model(5, 7, input_mode="embedding").get_layer("embedding").output_dim == 7


def _signature(model, x):
    out = _outputs(model, x)
    return (model.count_params(), tuple(layer.__class__.__name__ for layer in model.layers),
            {k: v.shape for k, v in out.items()})


def test_every_argument_changes_the_model():
    base = dict(vocab_size=4, num_hiddens=6)
    x = _one_hot(_ids(2, 7))
    x5 = _one_hot(_ids(2, 7, high=5), vocab=5)
    ref = _signature(build_multitask_model(**base), x)
    variants = {
        "vocab_size": (dict(vocab_size=5), x5),
        "num_hiddens": (dict(num_hiddens=7), x),
        "num_layers": (dict(num_layers=2), x),
        "cell": (dict(cell="lstm"), x),
        "bidirectional": (dict(bidirectional=False), x),
        "global_units": (dict(global_units=2), x),
        "local_units": (dict(local_units=3), x),
        "global_pooling": (dict(global_pooling="mean"), x),
        "mask": (dict(mask=False), x),
    }
    for arg, (change, inputs) in variants.items():
        assert _signature(build_multitask_model(**{**base, **change}), inputs) != ref, f"{arg} is ignored"
    ids = _ids(2, 7)
    e1 = build_multitask_model(4, 6, input_mode="embedding")
    e2 = build_multitask_model(4, 6, input_mode="embedding", embedding_dim=2)
    assert _signature(e1, ids) != _signature(e2, ids), "embedding_dim is ignored"
    assert _signature(e1, ids) != ref, "input_mode is ignored"
    assert build_multitask_model(4, 6, name="trunk_model").name == "trunk_model"
    assert build_single_task_model(4, 6, name="alone").name == "alone"
    single_ref = _signature(build_single_task_model(**base), x)
    for arg, (change, inputs) in variants.items():
        if arg == "local_units":
            continue
        assert _signature(build_single_task_model(**{**base, **change}), inputs) != single_ref, f"single: {arg} is ignored"
    assert _signature(build_single_task_model(4, 6, input_mode="embedding", embedding_dim=2), ids) != \
        _signature(build_single_task_model(4, 6, input_mode="embedding"), ids)


def test_last_pooling_reads_both_directions_and_the_lstm_hidden_state():
    model = build_multitask_model(4, 5, cell="lstm")
    assert model.get_layer("final_states").output.shape[-1] == 10, "forward h and backward h, not the cells"
    forward = build_multitask_model(4, 5, bidirectional=False)
    x = _one_hot(_ids(1, 6))
    # A unidirectional trunk's summary is its last output: the global head reads the last step.
    out = _outputs(forward, x)
    dense = forward.get_layer("global")
    seq = forward.get_layer("trunk_gru_1")(x)[0]
    np.testing.assert_allclose(out["global"], np.asarray(dense(seq[:, -1])), atol=1e-5)


def test_models_train_and_serialise(tmp_path):
    model = build_multitask_model(4, 4)
    model.compile(optimizer="adam", loss={"global": "mse", "local": "mse"})
    x = _one_hot(_ids(8, 6))
    model.fit(x, {"global": np.ones((8, 1)), "local": np.ones((8, 6, 1))}, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(_outputs(again, x)["global"], _outputs(model, x)["global"], atol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(vocab_size=0), "vocab_size"), (dict(num_hiddens=2.5), "num_hiddens"), (dict(num_layers=0), "num_layers"),
    (dict(cell="rnn"), "cell"), (dict(input_mode="ids"), "input_mode"), (dict(global_pooling="max"), "global_pooling"),
    (dict(bidirectional=1), "bidirectional"), (dict(mask="yes"), "mask"), (dict(global_units=0), "global_units"),
    (dict(local_units=-1), "local_units"), (dict(embedding_dim=3), "embedding_dim"),
    (dict(input_mode="embedding", embedding_dim=0), "embedding_dim"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_multitask_model(**{"vocab_size": 4, "num_hiddens": 4, **kwargs})
    if "local_units" not in kwargs:
        with pytest.raises(ValueError, match=match):
            build_single_task_model(**{"vocab_size": 4, "num_hiddens": 4, **kwargs})
    with pytest.raises(ValueError, match="model"):
        count_trunk_params("not a model")


def test_trunk_layers_are_numbered_from_one():
    """The trunk's layers are named trunk_bi<cell>_<k> (k = 1 .. num_layers), as model.summary() and saved weights show."""
    names = [layer.name for layer in build_multitask_model(4, 6, num_layers=2).layers if layer.name.startswith("trunk")]
    assert names == ["trunk_bigru_1", "trunk_bigru_2"], names
