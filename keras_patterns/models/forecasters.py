"""Direct and iterated multi-step forecasters: two ways to predict H steps ahead.

To forecast x_{t+H} from a window x_{t-L+1}, ..., x_t there are two patterns:

- Direct (多对一 per horizon): a many-to-one GRU encoder reads the window and
  one linear output per horizon predicts x_{t+H} directly
  (`build_direct_forecaster`). No error is fed back, but the H-step target
  carries H innovations of noise, so its weights are estimated less precisely.
- Iterated (序列到序列, seq2seq): a GRU encoder (编码器) reads the window and a GRU
  decoder (解码器) predicts one step at a time (`IteratedForecaster`). It is trained
  with teacher forcing (the decoder reads the true x_{t+k-1}, `teacher_forcing_inputs`),
  and at inference it reads its own previous prediction, so a one-step error is
  fed back and compounds with the horizon (复合误差).

The supervised pairs come from `keras_patterns.data.series.make_windows` (and
`horizon_targets` for the direct model), `keras_patterns.training.fit_forecaster`
trains either model for a budget of gradient steps, `keras_patterns.metrics.mse_per_horizon`
scores them, and the exact limits for AR(1) data are in `keras_patterns.oracles.ar1`.

Used in chapter 11.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_patterns.checks import check_horizons, check_positive_int, check_shapes


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
    >>> tuple(model(np.zeros((4, 16, 1), "float32")).shape)
    (4, 5)

    Used in chapter 11.
    """
    if window is not None:
        window = check_positive_int("window", window)
    horizons = check_horizons(horizons)
    num_hiddens = check_positive_int("num_hiddens", num_hiddens)
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

    >>> from keras_patterns.data.series import make_windows
    >>> X, Y = make_windows(np.arange(10.0), 3, (1, 2))
    >>> keras.ops.convert_to_numpy(teacher_forcing_inputs(X, Y))[0, :, 0].tolist()   # the last input, then the first target
    [2.0, 3.0]

    Used in chapter 11.
    """
    window = ops.convert_to_tensor(window)
    targets = ops.convert_to_tensor(targets, dtype=window.dtype)
    check_shapes(window=(window, ("batch", "L", 1)), targets=(targets, ("batch", "H")))
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

    >>> from keras_patterns.data.series import make_windows
    >>> from keras_patterns.oracles.ar1 import simulate_ar1
    >>> X, Y = make_windows(simulate_ar1(100, seed=0), 16, (1, 2, 4, 8, 16))
    >>> model = IteratedForecaster(8)
    >>> model.compile(optimizer="adam", loss="mse")
    >>> model.fit((X, teacher_forcing_inputs(X, Y)), Y, epochs=1, verbose=0)  # doctest: +ELLIPSIS
    <keras.src.callbacks.history.History object at ...>
    >>> tuple(model((X, teacher_forcing_inputs(X, Y))).shape)   # 100 - 16 - 16 + 1 windows
    (69, 16)
    >>> tuple(model.forecast(X, 16).shape)
    (69, 16)

    Used in chapter 11.
    """

    def __init__(self, num_hiddens=32, **kwargs):
        super().__init__(**kwargs)
        self.num_hiddens = check_positive_int("num_hiddens", num_hiddens)
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
        horizon = check_positive_int("horizon", horizon)
        window = ops.convert_to_tensor(window, dtype=self.compute_dtype)
        check_shapes(window=(window, ("batch", "L", 1)))
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
