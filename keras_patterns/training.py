"""Small training loops shared by the chapters (the lesson is the model, not the loop).

Used in chapters 01, 11 and 14.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from keras_patterns.session import set_seed


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
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1. Received: epochs={epochs}")
    set_seed(seed)
    model = build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build() must return a keras.Model. Received: {type(model).__name__}")
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
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
    }
    return model, info


def predict_proba(model, x, batch_size=256):
    """`model.predict` as a NumPy array, quietly."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
