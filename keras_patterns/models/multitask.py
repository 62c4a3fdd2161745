"""A shared recurrent trunk with a many-to-one head and a many-to-many head (多任务学习, multi-task learning).

One trunk (one-hot or embedded tokens, then stacked recurrent layers, bidirectional by default) reads
the sequence; two heads read the trunk:

- the **global head** (many-to-one, 多对一), output `"global"`: a dense layer on a summary of the whole
  sequence (the top layer's final states, or the masked mean of its outputs), shape `(batch, global_units)`;
- the **local head** (many-to-many, 多对多), output `"local"`: the same dense layer at every step of the
  top layer's outputs, shape `(batch, steps, local_units)`.

Both heads output **logits** (no activation): the losses take `from_logits=True`, and input-gradient
saliency (`keras_patterns.diagnostics.saliency`) differentiates the global logit, which a sigmoid would
flatten where the model is confident. `build_single_task_model` is the same trunk with the global head
alone, the baseline against which the local task's help is measured. Padding is masked: all-zero rows of
a one-hot input, id 0 of an embedded input, when `mask=True`; a masked step changes neither head.

The weighted joint loss is in `keras_patterns.losses.joint` (`compile_multitask`, `joint_loss`).

Used in chapter 03 (chapters 04-10 reuse it).
"""

import keras

from keras_patterns.checks import check_choice, check_positive_int

CELLS = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM, "simple_rnn": keras.layers.SimpleRNN}
"""Recurrent cells the trunk can use, by name. Used in chapter 03."""

INPUT_MODES = ("one_hot", "embedding")
"""How tokens enter the trunk: float one-hot rows `(batch, steps, vocab_size)`, or int ids `(batch, steps)`."""

POOLINGS = ("last", "mean")
"""What the global head reads: the top layer's final states, or the masked mean of its outputs."""


def _trunk(vocab_size, num_hiddens, num_layers, cell, bidirectional, input_mode, embedding_dim, mask, pooling):
    vocab_size = check_positive_int("vocab_size", vocab_size)
    num_hiddens = check_positive_int("num_hiddens", num_hiddens)
    num_layers = check_positive_int("num_layers", num_layers)
    cell = check_choice("cell", cell, tuple(CELLS))
    input_mode = check_choice("input_mode", input_mode, INPUT_MODES)
    pooling = check_choice("global_pooling", pooling, POOLINGS)
    if not isinstance(bidirectional, bool) or not isinstance(mask, bool):
        name, value = ("bidirectional", bidirectional) if not isinstance(bidirectional, bool) else ("mask", mask)
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
    if input_mode == "one_hot":
        if embedding_dim is not None:
            raise ValueError("`embedding_dim` is only used with input_mode='embedding'. "
                             f"Received: embedding_dim={embedding_dim!r} with input_mode='one_hot'")
        inputs = keras.Input(shape=(None, vocab_size), dtype="float32", name="tokens")
        # A one-hot row is never all zeros, so an all-zero row can only be padding.
        x = keras.layers.Masking(0.0, name="padding_mask")(inputs) if mask else inputs
    else:
        embedding_dim = check_positive_int("embedding_dim", num_hiddens if embedding_dim is None else embedding_dim)
        inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
        x = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask, name="embedding")(inputs)
    summary = None
    for i in range(num_layers):
        top = i == num_layers - 1
        layer = CELLS[cell](num_hiddens, return_sequences=True, return_state=top and pooling == "last",
                            name=f"trunk_{cell}_{i + 1}")
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"trunk_bi{cell}_{i + 1}")
        out = layer(x)
        if top and pooling == "last":
            x, states = out[0], out[1:]
            # Final hidden states only (an LSTM also returns its cells): forward last, backward first step.
            per_direction = len(states) // (2 if bidirectional else 1)
            hidden = states[::per_direction]
            summary = hidden[0] if len(hidden) == 1 else keras.layers.Concatenate(name="final_states")(hidden)
        else:
            x = out
    if summary is None:
        summary = keras.layers.GlobalAveragePooling1D(name="masked_mean")(x)
    return inputs, x, summary


def build_multitask_model(
    vocab_size=4,
    num_hiddens=32,
    *,
    num_layers=1,
    cell="gru",
    bidirectional=True,
    input_mode="one_hot",
    embedding_dim=None,
    global_units=1,
    local_units=1,
    global_pooling="last",
    mask=True,
    name="multitask_model",
):
    """Shared recurrent trunk with a many-to-one head `"global"` and a many-to-many head `"local"`.

    Args:
        vocab_size: Number of token kinds: the one-hot width, or the embedding's vocabulary (with
            `mask=True`, id 0 is then padding).
        num_hiddens: Width of each recurrent layer (per direction).
        num_layers: Number of stacked recurrent layers in the trunk.
        cell: `"gru"`, `"lstm"` or `"simple_rnn"`.
        bidirectional: Whether each trunk layer reads both ways (the local head then sees the whole
            sequence at every step).
        input_mode: `"one_hot"` (float inputs, differentiable for saliency) or `"embedding"` (int ids).
        embedding_dim: Width of the embedding (`input_mode="embedding"` only); `num_hiddens` when None.
        global_units: Logits of the global head: 1 for a binary task, `C` for `C` classes.
        local_units: Logits of the local head at each step.
        global_pooling: `"last"` (the top layer's final states; both directions' when bidirectional) or
            `"mean"` (the masked mean of the top layer's outputs).
        mask: Whether padding (all-zero one-hot rows, or id 0) is masked out.
        name: Name of the model.

    Returns:
        An uncompiled `keras.Model` from tokens (float `(batch, steps, vocab_size)` or int
        `(batch, steps)`) to a dict of logits: `"global"` `(batch, global_units)` and `"local"`
        `(batch, steps, local_units)`.

    Example:

    >>> model = build_multitask_model(4, 8)
    >>> out = model(np.eye(4, dtype="float32")[np.zeros((2, 10), "int32")])
    >>> sorted(out), tuple(out["global"].shape), tuple(out["local"].shape)
    (['global', 'local'], (2, 1), (2, 10, 1))

    Used in chapter 03.
    """
    global_units = check_positive_int("global_units", global_units)
    local_units = check_positive_int("local_units", local_units)
    inputs, states, summary = _trunk(vocab_size, num_hiddens, num_layers, cell, bidirectional, input_mode,
                                     embedding_dim, mask, global_pooling)
    global_logits = keras.layers.Dense(global_units, name="global")(summary)
    # Dense acts on the last axis: the same local head at every step.
    local_logits = keras.layers.Dense(local_units, name="local")(states)
    return keras.Model(inputs, {"global": global_logits, "local": local_logits}, name=name)


def build_single_task_model(
    vocab_size=4,
    num_hiddens=32,
    *,
    num_layers=1,
    cell="gru",
    bidirectional=True,
    input_mode="one_hot",
    embedding_dim=None,
    global_units=1,
    global_pooling="last",
    mask=True,
    name="single_task_model",
):
    """The trunk of `build_multitask_model` with the many-to-one head `"global"` alone.

    Args:
        vocab_size, num_hiddens, num_layers, cell, bidirectional, input_mode, embedding_dim,
        global_units, global_pooling, mask, name: as in `build_multitask_model`.

    Returns:
        An uncompiled `keras.Model` from tokens to a dict `{"global": logits (batch, global_units)}`.

    Example:

    >>> model = build_single_task_model(4, 8)
    >>> out = model(np.eye(4, dtype="float32")[np.zeros((2, 10), "int32")])
    >>> sorted(out), tuple(out["global"].shape)
    (['global'], (2, 1))

    Used in chapter 03.
    """
    global_units = check_positive_int("global_units", global_units)
    inputs, _, summary = _trunk(vocab_size, num_hiddens, num_layers, cell, bidirectional, input_mode,
                                embedding_dim, mask, global_pooling)
    return keras.Model(inputs, {"global": keras.layers.Dense(global_units, name="global")(summary)}, name=name)


def count_trunk_params(model):
    """Number of weights in the trunk (every layer but the heads `"global"` and `"local"`).

    The single-task and the multi-task models of the same arguments share the trunk's size; only the
    local head (`num_hiddens * directions * local_units + local_units` weights) differs.

    Example:

    >>> count_trunk_params(build_multitask_model(4, 8)) == count_trunk_params(build_single_task_model(4, 8))
    True

    Used in chapter 03.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"`model` must be a keras.Model. Received: model={model!r}")
    return int(sum(layer.count_params() for layer in model.layers if layer.name not in ("global", "local")))
