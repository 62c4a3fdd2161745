import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.metrics import MaskedQ3, masked_q3
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


@pytest.mark.parametrize("kwargs", [dict(num_tokens=0), dict(num_hiddens=2.5), dict(cell="rnn")])
def test_bad_arguments_are_named(kwargs):
    args = dict(num_tokens=20, num_hiddens=8) | kwargs
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        build_causal_tagger(**args)


def test_masked_q3_pools_residues_and_ignores_padding():
    y_true = np.array([[0, 1, 2, 0], [1, 1, 0, 0]])
    pred = np.array([[0, 1, 0, 2], [2, 2, 2, 2]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]])
    y_prob = np.eye(3)[pred]
    # Row 0: positions 0 and 1 right of 4 real; row 1: none of its 2 real positions.
    assert float(masked_q3(y_true, y_prob, mask)) == pytest.approx(2 / 6)
    metric = MaskedQ3()
    metric.update_state(y_true, y_prob, sample_weight=mask)
    assert float(metric.result()) == pytest.approx(2 / 6)


def test_masked_q3_refuses_bad_shapes_and_empty_masks():
    with pytest.raises(ValueError, match="Received shapes"):
        masked_q3(np.zeros((2, 3)), np.zeros((2, 4, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="no real position"):
        masked_q3(np.zeros((1, 3)), np.zeros((1, 3, 3)), np.zeros((1, 3)))


def test_compiled_metric_ignores_padding():
    model = build_causal_tagger(20, num_hiddens=4)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[MaskedQ3()])
    x = np.array([[1, 2, 3, 0, 0]], "int32")
    pred = _probs(model, x)[0].argmax(-1)
    # Labels that the model gets right on the real positions and wrong on the padded ones:
    # a metric that counted padding would score 3/5 instead of 1.
    y = np.concatenate([pred[:3], (pred[3:] + 1) % 3])[None]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["q3"] == pytest.approx(1.0)
