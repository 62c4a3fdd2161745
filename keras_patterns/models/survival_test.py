"""The two-headed survival model: shapes, causality of the hazard head, the packed output, training."""

import keras
import numpy as np
import pytest

from keras_patterns.losses.survival import PenalisedSurvivalLoss, pack_targets
from keras_patterns.models.survival import build_hazard_survival_model, pack_heads


def test_outputs_and_weights():
    model = build_hazard_survival_model(3, 5, weeks=10)
    out = model(np.zeros((2, 10, 3), "float32"))
    assert tuple(out["hazard"].shape) == (2, 10) and tuple(out["survival"].shape) == (2, 1)
    assert model.count_params() == 3 * (5 * (3 + 5) + 2 * 5) + 2 * (5 + 1)


def test_hazard_head_is_causal_and_survival_head_reads_the_end():
    model = build_hazard_survival_model(2, 4, weeks=12)
    x = np.random.default_rng(0).random((3, 12, 2)).astype("float32")
    y = x.copy(); y[:, 8:] += 1
    a, b = model(x), model(y)
    assert np.allclose(np.asarray(a["hazard"])[:, :8], np.asarray(b["hazard"])[:, :8], atol=1e-6)
    assert not np.allclose(np.asarray(a["hazard"])[:, 8:], np.asarray(b["hazard"])[:, 8:])
    assert not np.allclose(np.asarray(a["survival"]), np.asarray(b["survival"]))


def test_pack_heads_concatenates_and_trains():
    model = build_hazard_survival_model(2, 4, weeks=6)
    packed = pack_heads(model)
    x = np.random.default_rng(1).random((16, 6, 2)).astype("float32")
    p = np.asarray(packed(x))
    out = model(x)
    assert p.shape == (16, 7)
    assert np.allclose(p[:, :6], np.asarray(out["hazard"])) and np.allclose(p[:, 6], np.asarray(out["survival"])[:, 0])
    y = pack_targets(np.random.default_rng(2).integers(1, 7, 16), np.random.default_rng(3).integers(0, 2, 16), 6)
    packed.compile(optimizer=keras.optimizers.Adam(0.05), loss=PenalisedSurvivalLoss(1.0))
    history = packed.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_hiddens"):
        build_hazard_survival_model(3, 0)
    with pytest.raises(ValueError, match="dict output"):
        inputs = keras.Input((3,))
        pack_heads(keras.Model(inputs, keras.layers.Dense(1)(inputs)))
