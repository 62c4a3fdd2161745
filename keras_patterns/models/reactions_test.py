"""Tests of keras_patterns.models.reactions: the two-headed model, its training runs and diagnostics."""

import keras
import numpy as np
import pytest
from keras.src import testing

from keras_patterns.data import reactions as R
from keras_patterns.models import reactions as M


@pytest.fixture(scope="module")
def tiny():
    rs = R.make_reactions(64, seed=0, max_tokens=40)
    vocab = R.build_vocabulary(rs)
    return R.encode(rs, vocab, 40), len(vocab)


def test_outputs_shapes_and_attention_respects_padding(tiny):
    data, vocab = tiny
    model = M.build_reaction_model(vocab, 40, num_hiddens=8, embedding_dim=8)
    out = {k: keras.ops.convert_to_numpy(v) for k, v in model(data["tokens"][:5]).items()}
    assert out["reaction_type"].shape == (5, 5) and out["reactive"].shape == (5, 40)
    np.testing.assert_allclose(out["reaction_type"].sum(-1), 1.0, rtol=1e-5)
    attention = out["alignment"][..., 1]
    np.testing.assert_allclose(attention.sum(-1), 1.0, rtol=1e-5)
    assert np.all(attention[data["mask"][:5] == 0] == 0)
    np.testing.assert_allclose(out["alignment"][..., 0], out["reactive"])


def test_fit_runs_reinitialises_and_the_weight_raises_alignment(tiny):
    data, vocab = tiny
    build = lambda: M.build_reaction_model(vocab, 40, num_hiddens=8, embedding_dim=8)  # noqa: E731
    runs, _ = M.fit_runs(build, data, [(0.0, 0), (0.0, 0), (20.0, 0)], epochs=3, batch_size=16, evaluate_on=data)
    for a, b in zip(runs[0]["weights"], runs[1]["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)  # same seed, same start, same result
    assert runs[2]["alignment"] > runs[0]["alignment"]
    assert set(runs[0]) >= {"accuracy", "f1", "alignment", "weight", "seed"}


def test_layers_are_named():
    # The names show in model.summary() and the saved weights; gradient_x_input looks layers up by name.
    model = M.build_reaction_model(12, 9, num_hiddens=4, embedding_dim=4, name="rm")
    assert model.name == "rm"
    assert {layer.name for layer in model.layers} >= {"tokens", "embedding", "trunk", "pooling", "reaction_type",
                                                      "token_head", "reactive", "attention", "alignment"}


def test_evaluate_scores_the_outputs_against_the_labels():
    # A stand-in model with outputs chosen by hand, so that activity and attention point different ways.
    outputs = {"reaction_type": np.array([[0.7, 0.3], [0.6, 0.4]]),
               "reactive": np.array([[0.9, 0.2, 0.4], [0.6, 0.7, 0.9]]),
               "alignment": np.stack([np.array([[0.9, 0.2, 0.4], [0.6, 0.7, 0.9]]),
                                      np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])], axis=-1).astype("float32")}

    class Stub:
        def predict(self, tokens, batch_size=None, verbose="auto"):
            assert verbose == 0 and batch_size == 7
            return outputs

    data = {"tokens": np.ones((2, 3), "int32"), "mask": np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]]),
            "reaction_type": np.array([0, 1]), "reactive": np.array([[1, 0, 1], [0, 1, 0]])}
    got = M.evaluate(Stub(), data, batch_size=7)
    assert got["accuracy"] == pytest.approx(0.5)
    # Real tokens: truth 1 0 1 | 0 1, guessed (> 0.5) 1 0 0 | 1 1: 2 hits, 3 true, 3 guessed.
    assert got["f1"] == pytest.approx(2 * 2 / (3 + 3))
    # Cosines over the real tokens: 0.9 / sqrt(1.01) and 0.65 / (sqrt(0.85) sqrt(0.5)).
    want = (0.9 / np.sqrt(1.01) + 0.65 / (np.sqrt(0.85) * np.sqrt(0.5))) / 2
    assert got["alignment"] == pytest.approx(want, rel=1e-5)
    assert got["outputs"]["reactive"] is not None and set(got) == {"accuracy", "f1", "alignment", "outputs"}


def test_token_f1_and_targets():
    labels = np.array([[1, 0, 1, -1]])
    probs = np.array([[0.9, 0.8, 0.1, 0.9]])
    mask = np.array([[1, 1, 1, 0]])
    assert M.token_f1(labels, probs, mask) == pytest.approx(0.5)  # tp 1, 2 true, 2 guessed
    data = {"reaction_type": np.zeros(1), "reactive": labels, "mask": mask.astype("float32")}
    assert M.targets(data, 2.0)["alignment"].tolist() == [[2.0, 2.0, 2.0, 0.0]]
    with pytest.raises(ValueError, match="weight"):
        M.targets(data, -1.0)


def test_gradient_x_input_is_zero_on_padding(tiny, capsys):
    data, vocab = tiny
    model = M.build_reaction_model(vocab, 40, num_hiddens=8, embedding_dim=8)
    assert [t.name for t in model.inputs] == ["tokens"], "the input a dict of arrays is fed by"
    capsys.readouterr()
    g = M.gradient_x_input(model, data["tokens"][:4])
    # Silent: no progress bar in a notebook cell. Python-level output only: TensorFlow's C++ logging writes to
    # the process's stderr on its own (seen on Python 3.12's TensorFlow) and is not this function's.
    assert capsys.readouterr() == ("", "")
    assert g.shape == (4, 40) and np.all(g >= 0) and np.all(g[data["mask"][:4] == 0] == 0)
    assert np.all(g.sum(-1) > 0)


class TokenScoresLayerTest(testing.TestCase):
    def test_run_layer_test(self):
        self.run_layer_test(M.TokenScores, init_kwargs={}, input_shape=(2, 5, 1), expected_output_shape=(2, 5),
                            expected_num_trainable_weights=0, supports_masking=True)
