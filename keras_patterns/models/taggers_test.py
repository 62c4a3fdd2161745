import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.models.taggers import build_bidirectional_tagger, build_causal_tagger


def _probs(model, x):
    return keras.ops.convert_to_numpy(model(x))


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


def test_causal_output_ignores_the_future(tokens):
    model = build_causal_tagger(20, num_hiddens=8)
    changed = tokens.copy()
    changed[:, 6:] = changed[:, 6:] % 20 + 1
    diff = np.abs(_probs(model, tokens) - _probs(model, changed))
    assert diff[:, :6].max() < 1e-6
    assert diff[:, 6:].max() > 1e-6


@pytest.mark.parametrize("build", [build_bidirectional_tagger, build_causal_tagger])
def test_padding_does_not_change_real_positions(build, tokens):
    model = build(20, num_hiddens=8)
    padded = np.concatenate([tokens, np.zeros((3, 5), "int32")], axis=1)
    np.testing.assert_allclose(_probs(model, padded)[:, :12], _probs(model, tokens), atol=1e-5)


def test_config_round_trip(tokens):
    model = build_bidirectional_tagger(20, num_hiddens=8, cell="lstm", merge_mode="sum")
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_probs(clone, tokens), _probs(model, tokens), atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(num_tokens=0), dict(num_hiddens=2.5), dict(cell="rnn"), dict(num_layers=0)])
def test_bad_arguments_are_named(kwargs):
    args = dict(num_tokens=20, num_hiddens=8) | kwargs
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        build_causal_tagger(**args)


def test_unknown_merge_mode_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"Valid names: \['concat', 'sum', 'mul', 'ave'\]\. Received: merge_mode='max'"):
        build_bidirectional_tagger(20, merge_mode="max")
