"""Many-to-many sequence taggers: one label per time step.

A tagger reads a sequence of tokens and emits a distribution over classes at
every position (many-to-many, 多对多). The *bidirectional* tagger (双向循环神经网络)
conditions the output at position t on the whole sequence x_1..x_T; the
*causal* (one-way) tagger only on x_1..x_t. Their best possible accuracies are
the smoothing and the filtering posteriors of `keras_patterns.oracles.hmm`.

Used in chapter 01.
"""

from __future__ import annotations

import keras

from keras_patterns.checks import check_choice, check_positive_int

RNN_CELLS = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
MERGE_MODES = ("concat", "sum", "mul", "ave")


def _check(num_tokens, num_hiddens, num_classes, cell, embedding_dim, num_layers):
    for name, value in (("num_tokens", num_tokens), ("num_hiddens", num_hiddens), ("num_classes", num_classes),
                        ("embedding_dim", embedding_dim), ("num_layers", num_layers)):
        check_positive_int(name, value)
    check_choice("cell", cell, sorted(RNN_CELLS))


def _embed(num_tokens, embedding_dim, name):
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    # Token 0 is padding: mask_zero makes every layer below skip padded steps,
    # and the loss and metrics ignore them.
    x = keras.layers.Embedding(num_tokens + 1, embedding_dim, mask_zero=True, name=f"{name}_embedding")(tokens)
    return tokens, x


def build_bidirectional_tagger(num_tokens, num_hiddens=64, num_classes=3, *, cell="gru",
                               embedding_dim=16, merge_mode="concat", num_layers=1,
                               name="bidirectional_tagger"):
    """A masked bidirectional RNN tagger (many-to-many, 双向).

    Embedding (token 0 = padding, masked) -> `num_layers` x Bidirectional(RNN,
    return_sequences=True) -> Dense softmax per position.

    Args:
        num_tokens: number of real tokens; ids run 1..num_tokens, 0 pads.
        num_hiddens: units of each direction's RNN.
        num_classes: classes per position (3 for H/E/C).
        cell: "gru" or "lstm".
        embedding_dim: size of the token embedding.
        merge_mode: how the two directions' states are merged at each step.
        num_layers: stacked bidirectional layers.
        name: the model's name.

    Returns:
        A `keras.Model` mapping int tokens `(batch, T)` to probabilities
        `(batch, T, num_classes)`, carrying the padding mask.

    Example:

    >>> model = build_bidirectional_tagger(20, num_hiddens=8)
    >>> tuple(model(np.ones((4, 50), "int32")).shape)
    (4, 50, 3)

    Used in chapter 01.
    """
    _check(num_tokens, num_hiddens, num_classes, cell, embedding_dim, num_layers)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    tokens, x = _embed(num_tokens, embedding_dim, name)
    for i in range(num_layers):
        x = keras.layers.Bidirectional(
            RNN_CELLS[cell](num_hiddens, return_sequences=True), merge_mode=merge_mode, name=f"{name}_birnn{i}"
        )(x)
    probs = keras.layers.Dense(num_classes, activation="softmax", name=f"{name}_head")(x)
    return keras.Model(tokens, probs, name=name)


def build_causal_tagger(num_tokens, num_hiddens=64, num_classes=3, *, cell="gru",
                        embedding_dim=16, num_layers=1, name="causal_tagger"):
    """A masked one-way (causal) RNN tagger: the output at t sees x_1..x_t only.

    Args:
        num_tokens: number of real tokens; ids run 1..num_tokens, 0 pads.
        num_hiddens: RNN units.
        num_classes: classes per position.
        cell: "gru" or "lstm".
        embedding_dim: size of the token embedding.
        num_layers: stacked RNN layers (all forward in time).
        name: the model's name.

    Returns:
        A `keras.Model` mapping `(batch, T)` tokens to `(batch, T, num_classes)`.

    Example:

    >>> model = build_causal_tagger(20, num_hiddens=8)
    >>> tuple(model(np.ones((4, 50), "int32")).shape)
    (4, 50, 3)

    Used in chapter 01.
    """
    _check(num_tokens, num_hiddens, num_classes, cell, embedding_dim, num_layers)
    tokens, x = _embed(num_tokens, embedding_dim, name)
    for i in range(num_layers):
        x = RNN_CELLS[cell](num_hiddens, return_sequences=True, name=f"{name}_rnn{i}")(x)
    probs = keras.layers.Dense(num_classes, activation="softmax", name=f"{name}_head")(x)
    return keras.Model(tokens, probs, name=name)
