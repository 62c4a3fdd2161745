"""The weighted joint loss of a two-headed model (联合损失): `w_g * L_global + w_l * L_local`.

Keras already knows how to train a model with named outputs on a weighted sum of their losses:
`model.compile(loss={"global": ..., "local": ...}, loss_weights={"global": w_g, "local": w_l})`.
`compile_multitask` does that for the models of `keras_patterns.models.multitask` (logit outputs, so
every loss takes `from_logits=True`). `joint_loss` writes the same number out with `keras.ops`, so that
a chapter can show (and test) what Keras minimises:

    L = w_g * mean_i CE(y_i, g_i) + w_l * sum_{i,t} m_it CE(y_it, l_it) / sum_{i,t} m_it,

with `CE` the binary cross-entropy of a logit (one unit) or the sparse categorical cross-entropy of
`C` logits, and `m` the mask of real (non-padding) steps (all ones when None).

Used in chapter 03 (chapters 04-10 reuse it).
"""

import keras
from keras import ops

from keras_patterns.checks import check_number, check_positive_number


def _head_loss(units):
    if units == 1:
        return keras.losses.BinaryCrossentropy(from_logits=True)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _head_metric(units):
    if units == 1:
        return keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")
    return keras.metrics.SparseCategoricalAccuracy(name="accuracy")


def _weights(global_weight, local_weight):
    global_weight = check_number("global_weight", global_weight, low=0)
    local_weight = check_number("local_weight", local_weight, low=0)
    if global_weight == 0 and local_weight == 0:
        raise ValueError("`global_weight` and `local_weight` cannot both be 0: nothing would be trained.")
    return global_weight, local_weight


def compile_multitask(model, global_weight=1.0, local_weight=1.0, learning_rate=1e-3, optimizer="adam"):
    """Compiles a model with logit outputs `"global"` (and `"local"`) on the weighted joint loss.

    A single-task model (no `"local"` output) gets the global loss alone, whatever `local_weight` is.
    Each head's loss is binary cross-entropy for one logit, sparse categorical for several; its
    accuracy is reported as `"{head}_accuracy"` (Keras prefixes the output's name) (a logit's threshold is 0, i.e. probability 1/2).

    Args:
        model: A `keras.Model` whose outputs are a dict holding `"global"` and optionally `"local"`.
        global_weight: Weight `w_g >= 0` of the global loss.
        local_weight: Weight `w_l >= 0` of the local loss.
        learning_rate: The optimizer's learning rate, > 0.
        optimizer: `"adam"`, `"adamw"`, `"rmsprop"`, `"sgd"` or `"nadam"`.

    Returns:
        The same model, compiled.

    Example:

    >>> from keras_patterns.models.multitask import build_multitask_model
    >>> model = compile_multitask(build_multitask_model(4, 8), local_weight=0.5)
    >>> sorted(model.loss), type(model.optimizer).__name__
    (['global', 'local'], 'Adam')

    Used in chapter 03.
    """
    try:
        outputs = model.output
    except (AttributeError, ValueError):  # a model never called has no outputs
        outputs = None
    if not isinstance(model, keras.Model) or not isinstance(outputs, dict) or "global" not in outputs:
        raise ValueError("`model` must be a keras.Model whose outputs are a dict with a 'global' key "
                         f"(from keras_patterns.models.multitask). Received: {model!r}")
    global_weight, local_weight = _weights(global_weight, local_weight)
    learning_rate = check_positive_number("learning_rate", learning_rate)
    optimizers = {"adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
                  "rmsprop": keras.optimizers.RMSprop, "sgd": keras.optimizers.SGD, "nadam": keras.optimizers.Nadam}
    if optimizer not in optimizers:
        raise ValueError(f"Unknown `optimizer`. Valid names: {list(optimizers)!r}. Received: optimizer={optimizer!r}")
    heads = [h for h in ("global", "local") if h in model.output]
    units = {h: int(model.output[h].shape[-1]) for h in heads}
    model.compile(
        optimizer=optimizers[optimizer](learning_rate),
        loss={h: _head_loss(units[h]) for h in heads},
        loss_weights={h: {"global": global_weight, "local": local_weight}[h] for h in heads},
        metrics={h: [_head_metric(units[h])] for h in heads},
    )
    return model


def head_cross_entropy(labels, logits):
    """Per-item cross-entropy of logits: binary for one unit, sparse categorical for several.

    Args:
        labels: int or float labels: `(..., 1)` or `(...)` of 0/1 for one unit, `(...)` class ids else.
        logits: float logits `(..., units)`.

    Returns:
        A float tensor of shape `logits.shape[:-1]`.

    Example:

    >>> float(head_cross_entropy(np.array([[1.0]]), np.array([[0.0]]))[0])   # log 2
    0.6931471824645996

    Used in chapter 03.
    """
    logits = ops.convert_to_tensor(logits, dtype="float32")
    labels = ops.convert_to_tensor(labels)
    if logits.shape[-1] == 1:
        if len(labels.shape) == len(logits.shape):
            labels = ops.squeeze(labels, axis=-1)
        z, y = logits[..., 0], ops.cast(labels, "float32")
        # log(1 + exp(-|z|)) + max(z, 0) - y z: the stable form of the binary cross-entropy of a logit.
        return ops.softplus(-ops.abs(z)) + ops.maximum(z, 0.0) - y * z
    if len(labels.shape) == len(logits.shape):
        labels = ops.squeeze(labels, axis=-1)
    log_probs = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(ops.cast(labels, "int32"), -1), axis=-1)
    return -picked[..., 0]


def joint_loss(global_labels, global_logits, local_labels, local_logits, global_weight=1.0, local_weight=1.0,
               mask=None):
    """The weighted joint loss `w_g * L_global + w_l * L_local`, as `compile_multitask` trains it.

    Args:
        global_labels: labels of the global task, `(batch,)` or `(batch, 1)`.
        global_logits: float logits `(batch, global_units)`.
        local_labels: labels per step, `(batch, steps)` or `(batch, steps, 1)`.
        local_logits: float logits `(batch, steps, local_units)`.
        global_weight: `w_g >= 0`.
        local_weight: `w_l >= 0`.
        mask: 0/1 or bool `(batch, steps)`, the real steps; None for all.

    Returns:
        A scalar float32 tensor: the global loss averaged over the batch, the local loss averaged over the
        real steps, weighted and summed.

    Example:

    >>> g = np.zeros((2, 1), "float32"); l = np.zeros((2, 3, 1), "float32")
    >>> round(float(joint_loss(np.array([0, 1]), g, np.zeros((2, 3)), l, 1.0, 0.5)), 6)   # 1.5 log 2
    1.039721

    Used in chapter 03.
    """
    global_weight, local_weight = _weights(global_weight, local_weight)
    global_term = ops.mean(head_cross_entropy(global_labels, global_logits))
    per_step = head_cross_entropy(local_labels, local_logits)
    if mask is None:
        local_term = ops.mean(per_step)
    else:
        mask = ops.cast(ops.convert_to_tensor(mask), "float32")
        if tuple(mask.shape) != tuple(per_step.shape):
            raise ValueError(f"`mask` must have shape (batch, steps) = {tuple(per_step.shape)}. "
                             f"Received: mask.shape={tuple(mask.shape)}")
        local_term = ops.sum(per_step * mask) / ops.maximum(ops.sum(mask), 1.0)
    return global_weight * global_term + local_weight * local_term
