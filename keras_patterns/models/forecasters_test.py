import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pytest

from keras_patterns.data.series import horizon_targets, make_windows
from keras_patterns.models.forecasters import IteratedForecaster, build_direct_forecaster, teacher_forcing_inputs
from keras_patterns.oracles import ar1

HORIZONS = (1, 2, 4, 8, 16)


@pytest.fixture(autouse=True)
def _seeded():
    """Every model of these tests is built under a fixed seed, so a failure reproduces."""
    keras.utils.set_random_seed(0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _gru_step(x, h, kernel, recurrent, bias):
    # Keras' GRU with reset_after=True: gates ordered z, r, h; bias rows (input, recurrent).
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, hh = np.split(h @ recurrent + bias[1], 3, axis=-1)
    z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
    return z * h + (1 - z) * np.tanh(xh + r * hh)


def _golden_model(units=2):
    """An IteratedForecaster with fixed, non-random weights, and the same weights as numpy arrays."""
    model = IteratedForecaster(units)
    model.build(((None, 5, 1), (None, 3, 1)))
    weights = [
        np.linspace(-1.0, 1.0, w.size).reshape(w.shape).astype("float32") * (0.9 if i % 2 else 1.1)
        for i, w in enumerate(model.get_weights())
    ]
    model.set_weights(weights)
    return model, weights


def _numpy_forecast(weights, window, decoder_inputs=None, horizon=None):
    enc_k, enc_r, enc_b, dec_k, dec_r, dec_b, head_k, head_b = weights
    h = np.zeros((window.shape[0], enc_r.shape[0]))
    for t in range(window.shape[1]):
        h = _gru_step(window[:, t], h, enc_k, enc_r, enc_b)
    steps = horizon if decoder_inputs is None else decoder_inputs.shape[1]
    value, out = window[:, -1], []
    for k in range(steps):
        # Teacher forcing reads the given input; the rollout reads its own last prediction.
        x = value if decoder_inputs is None else decoder_inputs[:, k]
        h = _gru_step(x, h, dec_k, dec_r, dec_b)
        value = h @ head_k + head_b
        out.append(value[:, 0])
    return np.stack(out, axis=1)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: build_direct_forecaster(8, (1, 2), num_hiddens=0), "num_hiddens"),
        (lambda: build_direct_forecaster(8, (2, 1)), "increasing"),
        (lambda: IteratedForecaster(0), "num_hiddens"),
        (lambda: IteratedForecaster(4).forecast(np.zeros((2, 5, 1)), 0), "horizon"),
        (lambda: teacher_forcing_inputs(np.zeros((2, 4)), np.zeros((2, 3))), "window"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_teacher_forcing_inputs_shift_the_targets_right():
    X, Y = make_windows(np.arange(12.0), 4, (1, 2, 3))
    d = keras.ops.convert_to_numpy(teacher_forcing_inputs(X, Y))
    assert d.shape == (len(X), 3, 1)
    np.testing.assert_array_equal(d[0, :, 0], [3, 4, 5])   # x_t, x_{t+1}, x_{t+2}
    np.testing.assert_array_equal(Y[0], [4, 5, 6])


def test_direct_forecaster_shape_and_save_round_trip(tmp_path):
    model = build_direct_forecaster(16, HORIZONS, num_hiddens=8)
    X = np.random.default_rng(0).normal(size=(4, 16, 1)).astype("float32")
    y = keras.ops.convert_to_numpy(model(X))
    assert y.shape == (4, len(HORIZONS))
    model.save(tmp_path / "direct.keras")
    loaded = keras.saving.load_model(tmp_path / "direct.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(X)), y, rtol=1e-6, atol=1e-6)


def test_layers_and_inputs_are_named():
    # The names show in model.summary() and in the saved weights' paths; the input's is the key a dict feeds.
    model = build_direct_forecaster(8, (1, 2), num_hiddens=4, name="d")
    assert model.name == "d" and [t.name for t in model.inputs] == ["window"]
    assert [layer.name for layer in model.layers] == ["window", "d_encoder", "d_heads"]
    iterated = IteratedForecaster(3, name="it")
    iterated.build(((None, 5, 1), (None, 3, 1)))
    assert [w.path for w in iterated.weights] == [
        "it/encoder/gru_cell/kernel", "it/encoder/gru_cell/recurrent_kernel", "it/encoder/gru_cell/bias",
        "it/decoder/decoder_cell/kernel", "it/decoder/decoder_cell/recurrent_kernel", "it/decoder/decoder_cell/bias",
        "it/head/kernel", "it/head/bias",
    ]


def test_iterated_shapes():
    model = IteratedForecaster(8)
    X, Y = make_windows(ar1.simulate_ar1(60, seed=0), 16, HORIZONS)
    assert tuple(model((X, teacher_forcing_inputs(X, Y))).shape) == (len(X), 16)
    assert tuple(model.forecast(X, 5).shape) == (len(X), 5)


def test_rollout_and_teacher_forcing_match_a_numpy_gru():
    model, weights = _golden_model()
    window = np.linspace(-2.0, 2.0, 3 * 5).reshape(3, 5, 1)
    targets = np.array([[0.5, -1.0, 2.0]] * 3)
    decoder_inputs = keras.ops.convert_to_numpy(teacher_forcing_inputs(window, targets))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.forecast(window, 4)),
        _numpy_forecast(weights, window, horizon=4),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model((window.astype("float32"), decoder_inputs))),
        _numpy_forecast(weights, window, decoder_inputs=decoder_inputs),
        atol=1e-5,
    )


def test_rollout_feeds_back_its_own_predictions():
    model, _ = _golden_model()
    window = np.linspace(-2.0, 2.0, 3 * 5).reshape(3, 5, 1).astype("float32")
    rollout = keras.ops.convert_to_numpy(model.forecast(window, 6))
    # Teacher forcing on the model's own predictions reproduces the rollout exactly.
    own = keras.ops.convert_to_numpy(teacher_forcing_inputs(window, rollout))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model((window, own))), rollout, atol=1e-6)
    # Different true futures: teacher-forced outputs change from step 2 on, step 1 and the rollout do not.
    futures = [np.zeros((3, 6), "float32"), np.full((3, 6), 3.0, "float32")]
    forced = [keras.ops.convert_to_numpy(model((window, teacher_forcing_inputs(window, f)))) for f in futures]
    np.testing.assert_allclose(forced[0][:, 0], forced[1][:, 0], atol=1e-7)
    assert np.all(np.abs(forced[0][:, 1:] - forced[1][:, 1:]) > 1e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.forecast(window, 6)), rollout, atol=0)


def test_iterated_config_and_save_round_trip(tmp_path):
    model, _ = _golden_model(units=3)
    config = model.get_config()
    assert config["num_hiddens"] == 3
    clone = IteratedForecaster.from_config(config)
    assert clone.num_hiddens == 3 and clone.name == model.name
    window = np.linspace(-1.0, 1.0, 2 * 5).reshape(2, 5, 1).astype("float32")
    model.save(tmp_path / "iterated.keras")
    loaded = keras.saving.load_model(tmp_path / "iterated.keras")
    assert isinstance(loaded, IteratedForecaster)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.forecast(window, 4)),
        keras.ops.convert_to_numpy(model.forecast(window, 4)),
        atol=1e-6,
    )


def test_short_training_reaches_the_optimal_one_step_error():
    # Both strategies, trained briefly on AR(1), score near the exact one-step MSE on fresh data.
    keras.utils.set_random_seed(0)
    window, horizons = 8, (1, 2, 4)
    X, Y = make_windows(ar1.simulate_ar1(4000, seed=1), window, horizons)
    test = ar1.simulate_ar1(window + 4, num_series=3000, seed=2).astype("float32")
    X_test, y1_test = test[:, :window, None], test[:, window]
    oracle = np.mean((y1_test - ar1.optimal_forecast(X_test[:, -1, 0], 1)) ** 2)

    direct = build_direct_forecaster(window, horizons, num_hiddens=16)
    direct.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    direct.fit(X, horizon_targets(Y, horizons), epochs=4, batch_size=128, verbose=0)
    direct_mse = np.mean((keras.ops.convert_to_numpy(direct(X_test))[:, 0] - y1_test) ** 2)

    iterated = IteratedForecaster(16)
    iterated.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    iterated.fit((X, teacher_forcing_inputs(X, Y)), Y, epochs=4, batch_size=128, verbose=0)
    iterated_mse = np.mean((keras.ops.convert_to_numpy(iterated.forecast(X_test, 1))[:, 0] - y1_test) ** 2)

    # The oracle's own test MSE is about 1; 15 % above it leaves room for a few epochs of training.
    assert direct_mse < 1.15 * oracle, (direct_mse, oracle)
    assert iterated_mse < 1.15 * oracle, (iterated_mse, oracle)
