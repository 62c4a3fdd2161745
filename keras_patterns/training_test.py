"""Tests of keras_patterns.training: the budgets, the seeding and early stopping of the shared loops."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from keras_patterns.data.series import horizon_targets, make_windows  # noqa: E402
from keras_patterns.models.forecasters import IteratedForecaster, build_direct_forecaster, teacher_forcing_inputs  # noqa: E402
from keras_patterns.models.taggers import build_causal_tagger  # noqa: E402
from keras_patterns.oracles import ar1  # noqa: E402
from keras_patterns.training import fit_classifier, fit_forecaster, predict_proba  # noqa: E402

HORIZONS = (1, 2, 4, 8, 16)


def test_fit_forecaster_counts_steps_and_is_seeded():
    X, Y = make_windows(ar1.simulate_ar1(120, seed=0), 8, (1, 2))
    targets = horizon_targets(Y, (1, 2))

    def run(seed):
        return fit_forecaster(lambda: build_direct_forecaster(8, (1, 2), 4), X, targets, seed=seed,
                              max_steps=10, batch_size=32)

    model, info = run(0)
    # 111 windows in batches of 32: 4 steps per epoch, so 3 epochs reach the 10-step budget.
    assert info["epochs"] == 3 and info["steps"] == 12
    assert set(info["history"]) == {"loss"}
    again, _ = run(0)
    other, _ = run(1)
    np.testing.assert_allclose(np.asarray(model(X[:5])), np.asarray(again(X[:5])), atol=1e-6)
    assert np.abs(np.asarray(model(X[:5])) - np.asarray(other(X[:5]))).max() > 1e-4


def test_fit_forecaster_trains_the_iterated_model_with_early_stopping():
    X, Y = make_windows(ar1.simulate_ar1(200, seed=2), 8, HORIZONS)
    inputs = (X[:-40], teacher_forcing_inputs(X[:-40], Y[:-40]))
    val = ((X[-40:], teacher_forcing_inputs(X[-40:], Y[-40:])), Y[-40:])
    model, info = fit_forecaster(lambda: IteratedForecaster(4), inputs, Y[:-40], val, seed=0, max_steps=300,
                                 batch_size=64, patience=1)
    assert isinstance(model, IteratedForecaster) and "val_loss" in info["history"]
    assert info["epochs"] <= 100 and info["steps"] == 3 * info["epochs"]
    with pytest.raises(ValueError, match="max_steps"):
        fit_forecaster(lambda: IteratedForecaster(4), inputs, Y[:-40], seed=0, max_steps=0)
    with pytest.raises(TypeError, match="keras.Model"):
        fit_forecaster(lambda: "not a model", X, Y, seed=0, max_steps=1)


def _tagging_data(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(16, 7)).astype("int32")
    return x, (x % 3).astype("int32")


def test_fit_classifier_is_seeded_and_validates_only_with_epochs_to_stop():
    train, val = _tagging_data(0), _tagging_data(1)

    def run(seed, epochs):
        return fit_classifier(lambda: build_causal_tagger(5, num_hiddens=4), train, val, seed=seed, epochs=epochs,
                              batch_size=8)

    model, info = run(0, epochs=2)
    assert info["epochs"] == 2 and "val_loss" in info["history"]
    again, _ = run(0, epochs=2)
    np.testing.assert_allclose(predict_proba(model, val[0]), predict_proba(again, val[0]), atol=1e-6)
    # With one epoch there is nothing to stop early: no validation pass is run.
    _, single = run(0, epochs=1)
    assert single["epochs"] == 1 and set(single["history"]) == {"loss"}
    with pytest.raises(ValueError, match="Received: epochs=0"):
        run(0, epochs=0)
    with pytest.raises(TypeError, match="keras.Model"):
        fit_classifier(lambda: "not a model", train, val, seed=0, epochs=1)
