"""The two-headed SMILES model of chapter 04: a shared Bi-GRU trunk, an attention-pooled reaction-type head
(many-to-one, 多对一) and a per-token reactive-centre head (many-to-many, 多对多), with the alignment output.

`build_reaction_model` returns a model with three named outputs:

- "reaction_type": probabilities `(batch, num_types)`, from attention pooling
  (`keras_patterns.layers.AttentionPooling`) of the trunk's states;
- "reactive": per-token probability of being in the reaction centre `(batch, steps)`;
- "alignment": the pair (activity, attention weight) per token `(batch, steps, 2)`,
  the input of the regulariser `keras_patterns.losses.alignment.alignment_loss`.

`compile_reaction_model` sets the joint loss: cross-entropy of the type +
masked binary cross-entropy of the tokens + `weight` x (1 - alignment).
`evaluate` measures type accuracy, reactive-token F1 and the alignment;
`gradient_x_input` computes the post-hoc contribution of each token.

Used in chapter 04.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_patterns.checks import check_int_array, check_number, check_positive_int
from keras_patterns.diagnostics.gradients import input_gradients
from keras_patterns.layers.attention_pooling import AttentionPooling
from keras_patterns.losses.alignment import alignment_loss, alignment_score, masked_binary_crossentropy


@keras.saving.register_keras_serializable(package="keras_patterns")
class TokenScores(keras.layers.Layer):
    """`(batch, steps, 1)` -> `(batch, steps)`, 0 on masked steps; the mask stops here (the losses read padding).

    Call arguments:
        inputs: float `(batch, steps, 1)`.
        mask: optional bool `(batch, steps)`.

    Returns:
        Float `(batch, steps)`.

    Example:

    >>> keras.ops.convert_to_numpy(TokenScores()(np.ones((1, 3, 1)), mask=np.array([[True, True, False]]))).tolist()
    [[1.0, 1.0, 0.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        scores = ops.squeeze(inputs, axis=-1)
        return scores if mask is None else scores * ops.cast(mask, scores.dtype)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])


def build_reaction_model(vocab_size, max_len, num_types=5, embedding_dim=32, num_hiddens=32,
                         name="reaction_model"):
    """Embedding (mask_zero) -> Bi-GRU trunk -> attention-pooled type head + per-token reactive head.

    Args:
        vocab_size: number of token ids (0 is padding).
        max_len: padded length of the token sequences.
        num_types: number of reaction types.
        embedding_dim: width of the token embedding.
        num_hiddens: width of each direction of the GRU.
        name: the model's name.

    Returns:
        An uncompiled `keras.Model` from int32 tokens `(batch, max_len)` to the dict
        {"reaction_type": (batch, num_types), "reactive": (batch, max_len), "alignment": (batch, max_len, 2)}.

    Example:

    >>> model = build_reaction_model(20, 7)
    >>> out = model(np.array([[3, 4, 5, 0, 0, 0, 0]], "int32"))
    >>> tuple(out["reaction_type"].shape), tuple(out["reactive"].shape), tuple(out["alignment"].shape)
    ((1, 5), (1, 7), (1, 7, 2))
    """
    vocab_size = check_positive_int("vocab_size", vocab_size)
    max_len = check_positive_int("max_len", max_len)
    num_types = check_positive_int("num_types", num_types)
    tokens = keras.Input(shape=(max_len,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(vocab_size, check_positive_int("embedding_dim", embedding_dim), mask_zero=True,
                               name="embedding")(tokens)
    states = keras.layers.Bidirectional(
        keras.layers.GRU(check_positive_int("num_hiddens", num_hiddens), return_sequences=True), name="trunk")(x)
    pooled, attention = AttentionPooling(return_attention=True, name="pooling")(states)
    probs = keras.layers.Dense(num_types, activation="softmax", name="reaction_type")(pooled)
    activity = keras.layers.Dense(1, activation="sigmoid", name="token_head")(states)
    reactive = TokenScores(name="reactive")(activity)
    pair = keras.layers.Concatenate(axis=-1, name="alignment")(
        [reactive[..., None], keras.layers.Reshape((max_len, 1), name="attention")(attention)])
    return keras.Model(tokens, {"reaction_type": probs, "reactive": reactive, "alignment": pair}, name=name)


def compile_reaction_model(model, learning_rate=1e-2):
    """Compile with the joint loss: type cross-entropy + token cross-entropy + lambda x (1 - alignment).

    The regulariser's weight lambda is not fixed here: it travels in the
    "alignment" targets (`targets(data, weight)`), so one compiled model trains
    at every weight.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(check_number("learning_rate", learning_rate, low=0.0, include_low=False)),
        loss={"reaction_type": "sparse_categorical_crossentropy", "reactive": masked_binary_crossentropy,
              "alignment": alignment_loss},
    )
    return model


def targets(data, weight=0.0):
    """The fit targets of an encoded set (`keras_patterns.data.reactions.encode`), a dict by output name.

    "alignment" is the token mask times the regulariser's weight `weight` (>= 0).
    """
    weight = check_number("weight", weight, low=0.0)
    return {"reaction_type": data["reaction_type"], "reactive": data["reactive"],
            "alignment": (data["mask"] * weight).astype("float32")}


def fit_runs(build, train, runs, *, epochs, batch_size=64, learning_rate=1e-2, evaluate_on=None):
    """Train one model per `(weight, seed)` in `runs`, on one compiled model (traced once, re-initialised per run).

    For each run: seed everything, take the initial weights of a fresh `build()`,
    reset the optimizer, and fit with the regulariser's weight in the targets.

    Args:
        build: zero-argument function returning an uncompiled model like `build_reaction_model`'s.
        train: an encoded training set.
        runs: a list of `(weight, seed)` pairs.
        epochs, batch_size, learning_rate: the training.
        evaluate_on: an encoded set to `evaluate` each run on (or None).

    Returns:
        A list, one dict per run: "weight", "seed", "weights" (the trained weights, a list of arrays),
        and, with `evaluate_on`, the keys of `evaluate` without "outputs".
    """
    from keras_patterns.session import set_seed

    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    model = compile_reaction_model(build(), learning_rate)
    model.optimizer.build(model.trainable_variables)
    fresh_optimizer = [np.array(v.numpy() if hasattr(v, "numpy") else v) for v in model.optimizer.variables]
    # One throw-away epoch first: on JAX the first fit of a compiled model does not train like the later ones
    # (measured: same seed, different weights), so every run below is a later one. Its effect is reset. It holds
    # one full batch and the last partial one, so both batch shapes are traced here and not in the first run.
    warm = batch_size + len(train["tokens"]) % batch_size
    model.fit(train["tokens"][:warm], targets({k: v[:warm] for k, v in train.items()}),
              batch_size=batch_size, epochs=1, verbose=0)
    out = []
    for weight, seed in runs:
        set_seed(int(seed))
        model.set_weights(build().get_weights())
        for variable, value in zip(model.optimizer.variables, fresh_optimizer):
            variable.assign(value)
        set_seed(int(seed))  # the batch order
        model.fit(train["tokens"], targets(train, weight), batch_size=batch_size, epochs=epochs, shuffle=True,
                  verbose=0)
        run = {"weight": float(weight), "seed": int(seed), "weights": model.get_weights()}
        if evaluate_on is not None:
            run.update({k: v for k, v in evaluate(model, evaluate_on).items() if k != "outputs"})
        out.append(run)
    return out, model


def token_f1(labels, probabilities, mask, threshold=0.5):
    """F1 of the reactive-token predictions (probability > threshold) over the real tokens (a Python float)."""
    mask = np.asarray(mask) > 0
    truth = np.asarray(labels)[mask] == 1
    guess = np.asarray(probabilities)[mask] > threshold
    tp = float(np.sum(truth & guess))
    denominator = float(np.sum(truth) + np.sum(guess))
    return 2 * tp / denominator if denominator else 1.0


def evaluate(model, data, batch_size=256):
    """Type accuracy, reactive-token F1 and mean alignment (activity against attention) on an encoded set.

    Returns:
        A dict of Python floats: "accuracy", "f1", "alignment"; and the NumPy outputs under "outputs".
    """
    out = model.predict(data["tokens"], batch_size=batch_size, verbose=0)
    out = {k: np.asarray(v) for k, v in out.items()}
    align = alignment_score(out["alignment"][..., 0], out["alignment"][..., 1], data["mask"])
    return {
        "accuracy": float(np.mean(out["reaction_type"].argmax(-1) == data["reaction_type"])),
        "f1": token_f1(data["reactive"], out["reactive"], data["mask"]),
        "alignment": float(np.mean(ops.convert_to_numpy(align))),
        "outputs": out,
    }


def gradient_x_input(model, tokens):
    """Post-hoc contribution of each token to the predicted type: |sum_d (d p_hat / d e_td) e_td|.

    `p_hat` is the probability of the type the model predicts; `e_t` the token's
    embedding. Computed through `keras_patterns.diagnostics.gradients.input_gradients`
    (any backend).

    Args:
        model: from `build_reaction_model`.
        tokens: int32 `(batch, max_len)`.

    Returns:
        A float array `(batch, max_len)`, 0 on padding.
    """
    tokens = check_int_array("tokens", tokens, ndim=2, low=0, what="token ids").astype("int32")
    mask = tokens != 0
    embedded = np.asarray(ops.convert_to_numpy(model.get_layer("embedding")(tokens)), dtype="float32")
    chosen = np.asarray(model.predict(tokens, verbose=0)["reaction_type"]).argmax(-1)
    one_hot = np.eye(model.get_layer("reaction_type").units, dtype="float32")[chosen]
    trunk, pooling, head = (model.get_layer(n) for n in ("trunk", "pooling", "reaction_type"))

    def chosen_probability(x):
        pooled, _ = pooling(trunk(x, mask=mask), mask=mask)
        return head(pooled) * one_hot

    grads = input_gradients(chosen_probability, embedded)
    return np.abs((grads * embedded).sum(-1)) * mask
