import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.models.taggers import build_bidirectional_tagger, build_causal_tagger


def _probs(model, x):
    return keras.ops.convert_to_numpy(model(x))


@pytest.fixture(autouse=True)
def _seeded():
    """Every model of these tests is built under a fixed seed, so a failure reproduces."""
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def tokens():
    rng = np.random.default_rng(0)
    return rng.integers(1, 21, size=(3, 12)).astype("int32")


@pytest.mark.parametrize("build", [build_bidirectional_tagger, build_causal_tagger])
def test_shape_and_probabilities(build, tokens):
    p = _probs(build(20, num_hiddens=8), tokens)
    assert p.shape == (3, 12, 3)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)


def test_bidirectional_output_depends_on_the_future(tokens):
    model = build_bidirectional_tagger(20, num_hiddens=8)
    changed = tokens.copy()
    changed[:, -1] = changed[:, -1] % 20 + 1
    diff = np.abs(_probs(model, tokens) - _probs(model, changed))
    assert diff[:, 0].max() > 1e-6, "position 0 must see the last token"


@pytest.mark.parametrize("kwargs", [dict(), dict(cell="lstm"), dict(num_layers=2), dict(cell="lstm", num_layers=3)])
def test_causal_output_ignores_the_future(tokens, kwargs):
    model = build_causal_tagger(20, num_hiddens=8, **kwargs)
    changed = tokens.copy()
    changed[:, 6:] = changed[:, 6:] % 20 + 1
    diff = np.abs(_probs(model, tokens) - _probs(model, changed))
    assert diff[:, :6].max() < 1e-6
    assert diff[:, 6:].max() > 1e-6


@pytest.mark.parametrize("build", [build_bidirectional_tagger, build_causal_tagger])
@pytest.mark.parametrize("kwargs", [dict(), dict(cell="lstm", num_layers=2)])
def test_padding_does_not_change_real_positions(build, tokens, kwargs):
    model = build(20, num_hiddens=8, **kwargs)
    padded = np.concatenate([tokens, np.zeros((3, 5), "int32")], axis=1)
    np.testing.assert_allclose(_probs(model, padded)[:, :12], _probs(model, tokens), atol=1e-5)
    # Padding in front: an unmasked RNN would run over the zeros first and change every real output,
    # for the causal tagger too (padding at the end cannot reach its earlier positions).
    front = np.concatenate([np.zeros((3, 4), "int32"), tokens], axis=1)
    np.testing.assert_allclose(_probs(model, front)[:, 4:], _probs(model, tokens), atol=1e-5)
    # The output carries the padding mask (the loss and MaskedQ3 read it).
    mask = keras.src.backend.get_keras_mask(model(padded))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mask), padded != 0)


def test_config_round_trip(tokens):
    model = build_bidirectional_tagger(20, num_hiddens=8, cell="lstm", merge_mode="sum")
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_probs(clone, tokens), _probs(model, tokens), atol=1e-6)
    # The config says what the builder was asked for (a rebuild of itself would pass with any argument ignored).
    birnn = [layer for layer in clone.layers if isinstance(layer, keras.layers.Bidirectional)]
    assert len(birnn) == 1 and birnn[0].merge_mode == "sum"
    assert isinstance(birnn[0].forward_layer, keras.layers.LSTM) and birnn[0].forward_layer.units == 8


def _layers(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_bidirectional_tagger_builds_what_its_arguments_say():
    model = build_bidirectional_tagger(20, num_hiddens=6, num_classes=4, cell="lstm", embedding_dim=5,
                                       merge_mode="concat", num_layers=2, name="tg")
    assert model.name == "tg"
    (embedding,) = _layers(model, keras.layers.Embedding)
    assert embedding.input_dim == 21 and embedding.output_dim == 5 and embedding.mask_zero
    birnn = _layers(model, keras.layers.Bidirectional)
    assert [b.name for b in birnn] == ["tg_birnn0", "tg_birnn1"]
    assert all(isinstance(b.forward_layer, keras.layers.LSTM) and b.forward_layer.units == 6 for b in birnn)
    assert all(b.forward_layer.return_sequences and b.merge_mode == "concat" for b in birnn)
    head = model.layers[-1]
    assert head.units == 4 and head.kernel.shape == (12, 4)  # concat of two directions of 6
    p = _probs(model, np.ones((2, 7), "int32"))
    assert p.shape == (2, 7, 4)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-5)
    assert build_bidirectional_tagger(20, num_hiddens=6, merge_mode="sum").layers[-1].kernel.shape == (6, 3)


def test_causal_tagger_builds_what_its_arguments_say():
    model = build_causal_tagger(20, num_hiddens=6, num_classes=4, cell="lstm", embedding_dim=5, num_layers=3,
                                name="ct")
    assert model.name == "ct"
    (embedding,) = _layers(model, keras.layers.Embedding)
    assert embedding.input_dim == 21 and embedding.output_dim == 5 and embedding.mask_zero
    rnns = _layers(model, keras.layers.LSTM)
    assert [r.name for r in rnns] == ["ct_rnn0", "ct_rnn1", "ct_rnn2"]
    assert all(r.units == 6 and r.return_sequences and not r.go_backwards for r in rnns)
    assert not _layers(model, keras.layers.Bidirectional)
    assert model.layers[-1].units == 4
    assert _probs(model, np.ones((2, 7), "int32")).shape == (2, 7, 4)
    assert _layers(build_causal_tagger(20), keras.layers.GRU)[0].units == 64  # the documented defaults


BASE = dict(num_tokens=20, num_hiddens=4, num_classes=3, cell="gru", embedding_dim=6, num_layers=1)
CHANGES = [("num_tokens", 25), ("num_hiddens", 5), ("num_classes", 4), ("cell", "lstm"), ("embedding_dim", 7),
           ("num_layers", 2), ("name", "other")]


def _signature(model, x):
    return (model.name, model.count_params(), tuple(layer.name for layer in model.layers),
            np.round(_probs(model, x), 6).tobytes())


@pytest.mark.parametrize("build,extra", [(build_causal_tagger, []),
                                         (build_bidirectional_tagger, [("merge_mode", "sum"), ("merge_mode", "mul"),
                                                                       ("merge_mode", "ave")])])
def test_output_depends_on_every_argument(build, extra, tokens):
    """A builder that ignored one of its arguments would give the base model's signature for it."""
    def built(**change):
        keras.utils.set_random_seed(0)
        return _signature(build(**(BASE | change)), tokens)

    base = built()
    assert built() == base  # same arguments and seed: the same model
    for name, value in CHANGES + extra:
        assert built(**{name: value}) != base, f"{build.__name__} ignores {name}"


@pytest.mark.parametrize("kwargs", [dict(num_tokens=0), dict(num_hiddens=2.5), dict(cell="rnn"), dict(num_layers=0)])
def test_bad_arguments_are_named(kwargs):
    args = dict(num_tokens=20, num_hiddens=8) | kwargs
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        build_causal_tagger(**args)


def test_unknown_merge_mode_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Valid names: \['concat', 'sum', 'mul', 'ave'\]\. Received: merge_mode='max'"):
        build_bidirectional_tagger(20, merge_mode="max")


@pytest.mark.parametrize("kwargs", [dict(num_tokens=0), dict(num_hiddens=0), dict(num_classes=0),
                                    dict(embedding_dim=0), dict(num_layers=0), dict(cell="rnn")])
def test_bidirectional_bad_arguments_are_named(kwargs):
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        build_bidirectional_tagger(**(dict(num_tokens=20, num_hiddens=8) | kwargs))
