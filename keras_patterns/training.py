"""Small training loops shared by the chapters (the lesson is the model, not the loop).

- `fit_classifier`: a softmax model (a tagger, a walk model) for a number of epochs, with early
  stopping on the validation loss (chapters 01 and 14).
- `fit_forecaster`: a forecaster (direct or iterated) for a budget of gradient steps, with a squared
  error (chapter 11).

Both seed before building, so the seed fixes the initial weights and the batch order.

Used in chapters 01, 11 and 14.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from keras_patterns.checks import check_int, check_positive_int, check_positive_number
from keras_patterns.session import set_seed


def _seeded_build(build, seed):
    set_seed(seed)
    model = build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build() must return a keras.Model. Received: {type(model).__name__}")
    return model


def _history(history):
    return {k: [float(v) for v in vs] for k, vs in history.history.items()}


def fit_classifier(build, train, val, *, seed, epochs, batch_size=32, learning_rate=3e-3,
                   patience=3, metrics=None, verbose=0):
    """Seed, build, compile and fit a softmax model; keep the best epoch on validation loss.

    Args:
        build: a zero-argument callable returning an uncompiled `keras.Model`
            with softmax outputs (so a student's builder can be passed as
            `lambda: build_causal_tagger(20, 32)`).
        train: `(x, y)` arrays; integer labels.
        val: `(x, y)` arrays for early stopping, or None. With `epochs=1` there
            is nothing to stop early, so validation is skipped (it would only
            cost a second graph trace).
        seed: seeds weights and batch order.
        epochs: maximum number of epochs.
        batch_size: mini-batch size.
        learning_rate: Adam's learning rate.
        patience: epochs without improvement of `val_loss` before stopping.
        metrics: extra compiled metrics.
        verbose: passed to `fit`.

    Returns:
        `(model, info)` where info has `epochs`, `seconds` and the `history` dict.

    Used in chapters 01, 11 and 14.
    """
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    learning_rate = check_positive_number("learning_rate", learning_rate)
    patience = check_int("patience", patience, minimum=0)
    model = _seeded_build(build, seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=list(metrics or []),
    )
    validate = val is not None and epochs > 1
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)]
    started = time.perf_counter()
    history = model.fit(
        train[0], train[1], validation_data=val if validate else None, epochs=epochs, batch_size=batch_size,
        shuffle=True, callbacks=callbacks if validate else [], verbose=verbose,
    )
    info = {
        "epochs": len(history.history["loss"]),
        "seconds": time.perf_counter() - started,
        "history": _history(history),
    }
    return model, info


def predict_proba(model, x, batch_size=256):
    """`model.predict` as a NumPy array, quietly.

    Args:
        model: a built `keras.Model`.
        x: its inputs.
        batch_size: prediction batch size.

    Returns:
        The model's outputs (probabilities, for a softmax model) as a NumPy array.

    Used in chapter 01.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))


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

    >>> from keras_patterns.data.series import horizon_targets, make_windows
    >>> from keras_patterns.models.forecasters import build_direct_forecaster
    >>> from keras_patterns.oracles.ar1 import simulate_ar1
    >>> X, Y = make_windows(simulate_ar1(600, seed=0), 8, (1, 2, 4))
    >>> model, info = fit_forecaster(lambda: build_direct_forecaster(8, (1, 2, 4), num_hiddens=4),
    ...                              X, horizon_targets(Y, (1, 2, 4)), seed=0, max_steps=25)
    >>> info["epochs"], info["steps"]       # 589 windows: 10 steps per epoch, 3 epochs
    (3, 30)

    Used in chapter 11.
    """
    max_steps = check_positive_int("max_steps", max_steps)
    batch_size = check_positive_int("batch_size", batch_size)
    learning_rate = check_positive_number("learning_rate", learning_rate)
    patience = check_int("patience", patience, minimum=0)
    num = len(targets)
    if num < 1:
        raise ValueError("`targets` is empty: there is nothing to fit.")
    steps_per_epoch = math.ceil(num / batch_size)
    epochs = max(1, math.ceil(max_steps / steps_per_epoch))
    model = _seeded_build(build, seed)
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
        "history": _history(history),
    }
    return model, info
