"""Tests of keras_patterns.training: the budgets, the seeding and early stopping of the shared loops."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import time  # noqa: E402

import keras  # noqa: E402
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


def _anti_validation(seed=2, n=160):
    """A one-step task whose validation targets are the negated ones: learning the task makes the
    validation loss rise, so early stopping must fire after its patience."""
    X, Y = make_windows(ar1.simulate_ar1(n, seed=seed), 8, (1,))
    return X[:-40], Y[:-40], (X[-40:], -Y[-40:])


@pytest.mark.parametrize("patience", [1, 3])
def test_fit_forecaster_stops_early_and_keeps_the_best_epoch(patience):
    X, Y, val = _anti_validation()
    model, info = fit_forecaster(lambda: build_direct_forecaster(8, (1,), 4), X, Y, val, seed=0, max_steps=200,
                                 batch_size=32, learning_rate=0.03, patience=patience)
    val_loss = info["history"]["val_loss"]
    budget_epochs = 200 // 4  # 112 windows in batches of 32: 4 steps per epoch
    best = int(np.argmin(val_loss))
    # Keras's EarlyStopping: it stops `patience` epochs after the best one, far before the budget.
    assert info["epochs"] == len(val_loss) == best + 1 + patience < budget_epochs
    assert info["steps"] == 4 * info["epochs"]
    # restore_best_weights: the returned model is the best epoch's.
    assert float(model.evaluate(*val, verbose=0)) == pytest.approx(val_loss[best], rel=1e-4)


def test_fit_forecaster_passes_batch_size_and_learning_rate_on():
    X, Y, _ = _anti_validation()

    def run(**kwargs):
        return fit_forecaster(lambda: build_direct_forecaster(8, (1,), 4), X, Y, seed=0, **kwargs)

    _, small = run(max_steps=10, batch_size=16)     # 112 windows / 16: 7 steps per epoch, 2 epochs
    assert (small["epochs"], small["steps"]) == (2, 14)
    _, exact = run(max_steps=1, batch_size=200)     # one batch holds every window: one step
    assert (exact["epochs"], exact["steps"]) == (1, 1)
    slow, _ = run(max_steps=8, learning_rate=1e-4)
    fast, _ = run(max_steps=8, learning_rate=0.05)
    assert np.abs(np.asarray(slow(X[:8])) - np.asarray(fast(X[:8]))).max() > 1e-3


def test_fit_forecaster_trains_the_iterated_model_with_validation():
    X, Y = make_windows(ar1.simulate_ar1(120, seed=2), 8, HORIZONS)
    inputs = (X[:-30], teacher_forcing_inputs(X[:-30], Y[:-30]))
    val = ((X[-30:], teacher_forcing_inputs(X[-30:], Y[-30:])), Y[-30:])
    model, info = fit_forecaster(lambda: IteratedForecaster(4), inputs, Y[:-30], val, seed=0, max_steps=4,
                                 batch_size=64, patience=1)
    assert isinstance(model, IteratedForecaster) and "val_loss" in info["history"]
    assert info["epochs"] == 2 and info["steps"] == 4  # 67 windows in batches of 64: 2 steps per epoch
    with pytest.raises(ValueError, match="max_steps"):
        fit_forecaster(lambda: IteratedForecaster(4), inputs, Y[:-30], seed=0, max_steps=0)
    with pytest.raises(TypeError, match="keras.Model"):
        fit_forecaster(lambda: "not a model", X, Y, seed=0, max_steps=1)


def test_fit_forecaster_defaults_batches_of_64_quietly_and_times_the_fit(capsys):
    # 65 windows: one epoch of 2 steps in batches of 64 (of 65 a batch would hold them all); verbose=0 prints nothing.
    X = np.random.default_rng(0).normal(size=(65, 8, 1)).astype("float32")
    started = time.perf_counter()
    _, info = fit_forecaster(lambda: build_direct_forecaster(8, (1,), 2), X, X[:, -1, :], seed=0, max_steps=2)
    elapsed = time.perf_counter() - started
    assert (info["epochs"], info["steps"]) == (1, 2)
    assert capsys.readouterr().out == "", "no progress bar by default"
    assert 0 < info["seconds"] <= elapsed, "the seconds of the fit itself"


def test_predict_proba_passes_its_batch_size_on():
    # A model whose output is the size of the batch it is called on: the batches predict_proba uses.
    x = keras.Input(shape=(3,))
    model = keras.Model(x, keras.layers.Lambda(lambda t: keras.ops.ones_like(t[:, :1]) * keras.ops.cast(
        keras.ops.shape(t)[0], "float32"))(x))
    out = predict_proba(model, np.zeros((10, 3), "float32"), batch_size=4)
    assert isinstance(out, np.ndarray) and out[:, 0].tolist() == [4] * 8 + [2] * 2
    assert predict_proba(model, np.zeros((10, 3), "float32"))[:, 0].tolist() == [10] * 10, "256 by default"


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


def test_fit_classifier_shuffles_the_training_set():
    # The same seed, model and batches as fit_classifier, fitted in the given order: other weights, since
    # fit_classifier draws a new batch order (shuffle=True).
    from keras_patterns.session import set_seed

    train = _tagging_data(0)
    build = lambda: build_causal_tagger(5, num_hiddens=4)  # noqa: E731
    model, _ = fit_classifier(build, train, None, seed=0, epochs=2, batch_size=4, learning_rate=0.05)
    set_seed(0)
    ordered = build()
    ordered.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    ordered.fit(train[0], train[1], epochs=2, batch_size=4, shuffle=False, verbose=0)
    assert np.abs(predict_proba(model, train[0]) - predict_proba(ordered, train[0])).max() > 1e-4


def test_fit_classifier_stops_early_keeps_the_best_epoch_and_passes_its_arguments_on():
    train = _tagging_data(0)
    x_val, y_val = _tagging_data(1)
    anti = (x_val, (y_val + 1) % 3)  # the better the model learns x % 3, the worse it does here

    def run(**kwargs):
        return fit_classifier(lambda: build_causal_tagger(5, num_hiddens=4), train, anti, seed=0, batch_size=8,
                              **kwargs)

    model, info = run(epochs=40, learning_rate=0.05, patience=1, metrics=["accuracy"])
    val_loss = info["history"]["val_loss"]
    best = int(np.argmin(val_loss))
    assert info["epochs"] == len(val_loss) == best + 2 < 40
    assert "accuracy" in info["history"] and "val_accuracy" in info["history"]
    assert model.evaluate(*anti, verbose=0, return_dict=True)["loss"] == pytest.approx(val_loss[best], rel=1e-4)
    slow, _ = run(epochs=1, learning_rate=1e-4)
    fast, _ = run(epochs=1, learning_rate=0.05)
    assert np.abs(predict_proba(slow, x_val) - predict_proba(fast, x_val)).max() > 1e-3
    assert predict_proba(fast, x_val, batch_size=3).shape == (16, 7, 3)
