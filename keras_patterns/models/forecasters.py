"""Direct and iterated multi-step forecasters: two ways to predict H steps ahead.

To forecast x_{t+H} from a window x_{t-L+1}, ..., x_t there are two patterns:

- Direct (多对一 per horizon): a many-to-one GRU encoder reads the window and
  one linear output per horizon predicts x_{t+H} directly
  (`build_direct_forecaster`). No error is fed back, but the H-step target
  carries H innovations of noise, so its weights are estimated less precisely.
- Iterated (序列到序列, seq2seq): a GRU encoder reads the window and a GRU
  decoder predicts one step at a time (`IteratedForecaster`). It is trained
  with teacher forcing (the decoder reads the true x_{t+k-1}), and at
  inference it reads its own previous prediction, so a one-step error is
  fed back and compounds with the horizon (复合误差).

`make_windows` cuts a series into supervised pairs; `teacher_forcing_inputs`
builds the decoder's training inputs; `fit_forecaster` trains either model
for a budget of gradient steps. The exact limits for AR(1) data are in
`keras_patterns.oracles.ar1`.

Used in chapter 11.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import ops

from keras_patterns.session import set_seed


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


def check_horizons(horizons):
    """Validate forecast horizons: a non-empty, strictly increasing sequence of positive integers.

    Args:
        horizons: a sequence such as `(1, 2, 4, 8, 16)`.

    Returns:
        The horizons as a tuple of Python ints.

    Example:

    >>> check_horizons([1, 2, 4])
    (1, 2, 4)

    Used in chapter 11.
    """
    try:
        values = tuple(horizons)
    except TypeError:
        raise ValueError(
            f"`horizons` must be a sequence of positive integers, e.g. (1, 2, 4). Received: horizons={horizons!r}"
        ) from None
    if not values or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in values):
        raise ValueError(
            f"`horizons` must be a non-empty sequence of positive integers. Received: horizons={horizons!r}"
        )
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"`horizons` must be strictly increasing. Received: horizons={horizons!r}")
    return tuple(int(h) for h in values)


def make_windows(series, window, horizons):
    """Cut a 1-D series into input windows and the values that follow each.

    Window i is `series[i : i + window]`; its forecast origin is the last value
    in it, x_t with t = i + window - 1, and its targets are the next
    `max(horizons)` values x_{t+1}, ..., x_{t+max(horizons)}, all of them, so
    that the same pairs train the direct model (columns `h - 1`, see
    `horizon_targets`) and the iterated one (every step, for teacher forcing).

    To forecast a test segment from the end of the training segment, prepend
    the last `window` training values:
    `make_windows(np.concatenate([train[-window:], test]), window, horizons)`;
    its first origin is the last training value, as in
    `keras_patterns.data.series.classical_baseline_mse`.

    Args:
        series: a 1-D array-like of floats.
        window: the input length L.
        horizons: increasing positive integers; only their maximum sets `Y`.

    Returns:
        A tuple `(X, Y)` of float32 arrays: `X` of shape `(N, window, 1)` and
        `Y` of shape `(N, max(horizons))`, with `N = len(series) - window - max(horizons) + 1`.

    Example:

    >>> X, Y = make_windows(np.arange(10.0), window=3, horizons=(1, 2))
    >>> X.shape, Y.shape        # (6, 3, 1), (6, 2)
    >>> X[0, :, 0], Y[0]        # [0, 1, 2], [3, 4]

    Used in chapter 11.
    """
    x = np.asarray(series, dtype="float32")
    if x.ndim != 1:
        raise ValueError(f"`series` must be 1-D. Received: series with shape {x.shape}")
    window = _check_positive_int("window", window)
    max_h = check_horizons(horizons)[-1]
    num = x.shape[0] - window - max_h + 1
    if num < 1:
        raise ValueError(
            f"`series` of length {x.shape[0]} is too short for window={window} and max(horizons)={max_h}: "
            f"it needs at least {window + max_h} values."
        )
    # sliding_window_view shares memory with `x`; copy so callers can edit windows safely.
    frames = np.lib.stride_tricks.sliding_window_view(x, window + max_h)[:num].copy()
    return frames[:, :window, None], frames[:, window:]


def horizon_targets(Y, horizons):
    """Select the columns of `Y` (from `make_windows`) that a direct model predicts.

    Args:
        Y: array of shape `(N, max_H)`, column `k` holding x_{t+k+1}.
        horizons: increasing positive integers, at most `Y.shape[1]`.

    Returns:
        An array of shape `(N, len(horizons))`: x_{t+h} for each h.

    Example:

    >>> X, Y = make_windows(np.arange(40.0), 8, (1, 4, 16))
    >>> horizon_targets(Y, (1, 4, 16)).shape       # (17, 3)

    Used in chapter 11.
    """
    horizons = check_horizons(horizons)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] < horizons[-1]:
        raise ValueError(
            f"`Y` must have shape (N, max_H) with max_H >= max(horizons) = {horizons[-1]}. "
            f"Received: Y with shape {Y.shape}, horizons={horizons}"
        )
    return Y[:, np.asarray(horizons) - 1]


def mse_per_horizon(y_true, y_pred):
    """Mean squared error of each column (horizon) over the samples.

    Args:
        y_true: array of shape `(N, num_horizons)`.
        y_pred: array of the same shape.

    Returns:
        A float64 NumPy array of shape `(num_horizons,)`.

    Example:

    >>> mse_per_horizon(np.zeros((4, 2)), np.ones((4, 2)))    # shape (2,)
    array([1., 1.])

    Used in chapter 11.
    """
    y_true = np.asarray(y_true, dtype="float64")
    y_pred = np.asarray(y_pred, dtype="float64")
    if y_true.shape != y_pred.shape or y_true.ndim != 2:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same 2-D shape (N, num_horizons). "
            f"Received: {y_true.shape} and {y_pred.shape}"
        )
    return np.mean((y_true - y_pred) ** 2, axis=0)


def build_direct_forecaster(window, horizons, num_hiddens=32, *, name="direct_forecaster"):
    """The direct strategy: a many-to-one GRU encoder with one linear output per horizon.

    GRU(num_hiddens) reads the window; its last hidden state feeds a Dense
    layer with one unit per horizon, so output h is a linear function of the
    encoding, fit to x_{t+h} directly. Train it on
    `(X, horizon_targets(Y, horizons))` with a squared error.

    Args:
        window: the input length L (or `None` for any length).
        horizons: increasing positive integers, e.g. `(1, 2, 4, 8, 16)`.
        num_hiddens: GRU units.
        name: the model's name.

    Returns:
        A `keras.Model` mapping windows `(batch, window, 1)` to forecasts
        `(batch, len(horizons))`, column j for horizon `horizons[j]`.

    Example:

    >>> model = build_direct_forecaster(16, (1, 2, 4, 8, 16), num_hiddens=32)
    >>> model(np.zeros((4, 16, 1), "float32")).shape      # (4, 5)

    Used in chapter 11.
    """
    if window is not None:
        window = _check_positive_int("window", window)
    horizons = check_horizons(horizons)
    num_hiddens = _check_positive_int("num_hiddens", num_hiddens)
    inputs = keras.Input(shape=(window, 1), name="window")
    encoding = keras.layers.GRU(num_hiddens, name=f"{name}_encoder")(inputs)
    outputs = keras.layers.Dense(len(horizons), name=f"{name}_heads")(encoding)
    return keras.Model(inputs, outputs, name=name)


def teacher_forcing_inputs(window, targets):
    """Decoder inputs for teacher forcing: the true value before each target step.

    At decoder step k (k = 1..H) the input is the true x_{t+k-1}: the last
    window value x_t for k = 1, then the targets shifted right by one.

    Args:
        window: tensor of shape `(batch, L, 1)`.
        targets: tensor of shape `(batch, H)`, the true x_{t+1}, ..., x_{t+H}.

    Returns:
        A float tensor of shape `(batch, H, 1)`: x_t, x_{t+1}, ..., x_{t+H-1}.

    Example:

    >>> X, Y = make_windows(np.arange(10.0), 3, (1, 2))
    >>> teacher_forcing_inputs(X, Y)[0, :, 0]          # [2, 3], shape (2,)

    Used in chapter 11.
    """
    window = ops.convert_to_tensor(window)
    targets = ops.convert_to_tensor(targets, dtype=window.dtype)
    if len(window.shape) != 3 or window.shape[-1] != 1 or len(targets.shape) != 2:
        raise ValueError(
            "`window` must have shape (batch, L, 1) and `targets` shape (batch, H). "
            f"Received: window with shape {tuple(window.shape)}, targets with shape {tuple(targets.shape)}"
        )
    previous = ops.concatenate([window[:, -1, :], targets[:, :-1]], axis=1)
    return ops.expand_dims(previous, -1)


@keras.saving.register_keras_serializable(package="keras_patterns")
class IteratedForecaster(keras.Model):
    """The iterated strategy: a GRU encoder-decoder (seq2seq) that forecasts one step at a time.

    The encoder GRU reads the window; its last state starts the decoder GRU,
    whose every output goes through a shared linear head to predict the next
    value. The decoder input at step k is the value at t+k-1: the true one in
    `call` (teacher forcing, for training) and the model's own prediction in
    `forecast` (autoregressive rollout, for inference).

    Args:
        num_hiddens: units of the encoder and of the decoder GRU.
        **kwargs: base `keras.Model` arguments such as `name`.

    Call arguments:
        inputs: a tuple `(window, decoder_inputs)`: `window` of shape
            `(batch, L, 1)` and `decoder_inputs` of shape `(batch, H, 1)`,
            usually `teacher_forcing_inputs(window, targets)`.
        training: Python boolean, passed to the GRU layers.

    Returns:
        One-step predictions of shape `(batch, H)`: column k - 1 predicts
        x_{t+k} from the window and `decoder_inputs[:, :k]`.

    Example:

    >>> X, Y = make_windows(simulate_ar1(600), 16, (1, 2, 4, 8, 16))
    >>> model = IteratedForecaster(32)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> model.fit((X, teacher_forcing_inputs(X, Y)), Y, epochs=1, verbose=0)
    >>> model((X, teacher_forcing_inputs(X, Y))).shape      # (569, 16)
    >>> model.forecast(X, 16).shape                         # (569, 16)

    Used in chapter 11.
    """

    def __init__(self, num_hiddens=32, **kwargs):
        super().__init__(**kwargs)
        self.num_hiddens = _check_positive_int("num_hiddens", num_hiddens)
        self.encoder = keras.layers.GRU(num_hiddens, name="encoder")
        self.decoder_cell = keras.layers.GRUCell(num_hiddens, name="decoder_cell")
        # The RNN wrapper and the rollout in `forecast` step the same cell, so
        # the weights that teacher forcing trains are the ones the rollout uses.
        self.decoder = keras.layers.RNN(self.decoder_cell, return_sequences=True, name="decoder")
        self.head = keras.layers.Dense(1, name="head")

    def build(self, input_shape):
        window_shape, decoder_shape = input_shape
        self.encoder.build(window_shape)
        self.decoder.build(decoder_shape)
        self.head.build((None, self.num_hiddens))
        self.built = True

    def call(self, inputs, training=False):
        window, decoder_inputs = inputs
        state = self.encoder(window, training=training)
        outputs = self.decoder(decoder_inputs, initial_state=[state], training=training)
        return ops.squeeze(self.head(outputs), axis=-1)

    def forecast(self, window, horizon):
        """Autoregressive rollout: predict `horizon` steps, each from the previous prediction.

        Args:
            window: array or tensor of shape `(batch, L, 1)`.
            horizon: number of steps H to roll forward.

        Returns:
            A tensor of shape `(batch, horizon)`: column k - 1 is the forecast
            of x_{t+k}, made without seeing any value after x_t.

        Used in chapter 11.
        """
        horizon = _check_positive_int("horizon", horizon)
        window = ops.convert_to_tensor(window, dtype=self.compute_dtype)
        if len(window.shape) != 3 or window.shape[-1] != 1:
            raise ValueError(f"`window` must have shape (batch, L, 1). Received: shape {tuple(window.shape)}")
        if not self.built:
            self.build((tuple(window.shape), (window.shape[0], horizon, 1)))
        states = [self.encoder(window)]
        value = window[:, -1, :]
        predictions = []
        for _ in range(horizon):
            output, states = self.decoder_cell(value, states)
            value = self.head(output)
            predictions.append(value)
        return ops.concatenate(predictions, axis=1)

    def get_config(self):
        return {**super().get_config(), "num_hiddens": self.num_hiddens}


def fit_forecaster(build, inputs, targets, validation=None, *, seed, max_steps, batch_size=64,
                   learning_rate=3e-3, patience=5, verbose=0):
    """Seed, build, compile (Adam, squared error) and fit a forecaster for a budget of gradient steps.

    The budget is counted in gradient steps, not epochs, so that a small and
    a large training set get comparable optimisation: the number of epochs
    is `ceil(max_steps / steps_per_epoch)`. With `validation`, training stops
    when the validation loss has not improved for `patience` epochs and the
    best epoch's weights are kept.

    Args:
        build: a zero-argument callable returning an uncompiled `keras.Model`
            (called after seeding, so the seed fixes the initial weights).
        inputs: what the model reads: windows `(N, L, 1)` for the direct
            model, `(windows, teacher_forcing_inputs(...))` for the iterated one.
        targets: float array `(N, outputs)`.
        validation: `(inputs, targets)` for early stopping, or `None` (no
            early stopping: every epoch of the budget runs).
        seed: seeds weights and batch order.
        max_steps: gradient-step budget (at least 1).
        batch_size: mini-batch size.
        learning_rate: Adam's learning rate.
        patience: epochs without improvement of `val_loss` before stopping.
        verbose: passed to `fit`.

    Returns:
        `(model, info)`: the trained model, and a dict with `epochs` (run),
        `steps` (gradient steps run), `seconds` and the `history` dict.

    Example:

    >>> X, Y = make_windows(simulate_ar1(600), 8, (1, 2, 4))
    >>> model, info = fit_forecaster(lambda: build_direct_forecaster(8, (1, 2, 4)),
    ...                              X, horizon_targets(Y, (1, 2, 4)), seed=0, max_steps=50)
    >>> info["steps"]       # 9 steps per epoch, 6 epochs: 54

    Used in chapter 11.
    """
    max_steps = _check_positive_int("max_steps", max_steps)
    batch_size = _check_positive_int("batch_size", batch_size)
    num = len(targets)
    if num < 1:
        raise ValueError("`targets` is empty: there is nothing to fit.")
    steps_per_epoch = math.ceil(num / batch_size)
    epochs = max(1, math.ceil(max_steps / steps_per_epoch))
    set_seed(seed)
    model = build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build() must return a keras.Model. Received: {type(model).__name__}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    callbacks = []
    if validation is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True))
    started = time.perf_counter()
    history = model.fit(inputs, targets, validation_data=validation, epochs=epochs, batch_size=batch_size,
                        shuffle=True, callbacks=callbacks, verbose=verbose)
    run = len(history.history["loss"])
    info = {
        "epochs": run,
        "steps": run * steps_per_epoch,
        "seconds": time.perf_counter() - started,
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    }
    return model, info
