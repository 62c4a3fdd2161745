"""Loss terms of a hazard head and a survival head, and the consistency violation that ties them (一致性违背值).

A two-headed survival model reads a subject's weekly covariates. Its many-to-many **hazard head** gives a logit
z_t per week, the hazard h_t = sigmoid(z_t) = P(event in week t | no event before); its many-to-one **survival
head** gives one logit from the final state, S_T = P(no event in weeks 1..T). The discrete model implies

    S_T^int = prod_t (1 - h_t) = exp(-sum_t softplus(z_t))        (`survival_from_hazard_logits`),

which the textbook chapter writes as exp(-sum_t h_t), the continuous formula S = exp(-∫h) (a little higher:
log(1 - h) < -h). Nothing in two separately trained heads makes S_T equal S_T^int; their distance
|S_T - S_T^int| is the **consistency violation** (`consistency_violation`), a diagnostic and a penalty.

- `censored_nll`: the discrete-time (person-period) negative log-likelihood of the hazard head under right
  censoring: a subject observed until week tau contributes sum_{t<tau} -log(1 - h_t), plus -log h_tau if tau is
  an event or -log(1 - h_tau) if it is censored.
- `pack_targets`, `PenalisedSurvivalLoss`: Keras trains both heads through one output, the hazard logits and
  the survival logit side by side `(batch, T + 1)`, against packed targets `(N, T + 1)` (the weekly event
  indicators, -1 where the subject is not at risk; then the status at T, -1 where it is censored before T),
  on NLL + cross-entropy of the survival head + weight * violation.

All with `keras.ops`, from logits (stable at any logit). Used in chapter 05.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_patterns.checks import check_int_array, check_number, check_positive_int


def _cross_entropy(labels, logits):
    """Binary cross-entropy of logits, elementwise: max(z, 0) - y z + log(1 + exp(-|z|))."""
    return ops.maximum(logits, 0.0) - labels * logits + ops.log1p(ops.exp(-ops.abs(logits)))


def _known_cross_entropy(targets, logits):
    """The cross-entropy where the packed target is known (0 or 1), and 0 where it is -1 (not at risk, unknown)."""
    known = ops.cast(targets >= 0, "float32")
    return known * _cross_entropy(ops.maximum(targets, 0.0), logits)


def survival_from_hazard_logits(hazard_logits):
    """S_T^int = prod_t (1 - sigmoid(z_t)) = exp(-sum_t softplus(z_t)), from logits `(N, T)`: a tensor `(N,)`.

    Example:

    >>> s = survival_from_hazard_logits(np.zeros((1, 2), "float32"))   # two weeks of hazard 1/2
    >>> round(float(s[0]), 6)
    0.25
    """
    z = ops.convert_to_tensor(hazard_logits, "float32")
    if len(z.shape) != 2:
        raise ValueError(f"`hazard_logits` must have shape (subjects, weeks). Received: hazard_logits.shape={tuple(z.shape)}")
    return ops.exp(-ops.sum(ops.softplus(z), axis=1))


def consistency_violation(survival, hazard_logits):
    """|S_T - S_T^int| per subject: the survival head's probability against the integrated hazards.

    Args:
        survival: the survival head's probabilities, `(N,)` or `(N, 1)`.
        hazard_logits: the hazard head's logits `(N, T)`.

    Returns:
        float32 tensor `(N,)`.
    """
    s = ops.reshape(ops.convert_to_tensor(survival, "float32"), (-1,))
    integrated = survival_from_hazard_logits(hazard_logits)
    if s.shape[0] is not None and integrated.shape[0] is not None and s.shape[0] != integrated.shape[0]:
        raise ValueError(f"`survival` and `hazard_logits` must have one row per subject. Received: "
                         f"{s.shape[0]} and {integrated.shape[0]}")
    return ops.abs(s - integrated)


def _week_targets(time, event, weeks):
    time = check_int_array("time", time, ndim=1, low=1, high=weeks + 1, what="observed weeks 1..T")
    event = check_int_array("event", event, ndim=1, shape=time.shape, low=0, high=2, what="0/1 event indicators")
    t = np.arange(1, weeks + 1)[None, :]
    at_risk = t <= time[:, None]
    happened = (t == time[:, None]) & (event[:, None] == 1)
    return happened.astype("float32"), at_risk.astype("float32")


def censored_nll(hazard_logits, time, event):
    """Each subject's discrete-time negative log-likelihood under right censoring.

    Args:
        hazard_logits: `(N, T)` logits of the weekly hazards (tensor or float array).
        time: int array `(N,)`, the observed week tau in 1..T.
        event: 0/1 int array `(N,)`: 1 when tau is the event's week, 0 when the subject is censored after week tau.

    Returns:
        float32 tensor `(N,)`: sum_{t <= tau} CE(y_t, z_t) with y_t = 1 only at an event's week.

    Example:

    >>> nll = censored_nll(np.zeros((1, 3), "float32"), np.array([2]), np.array([1]))   # h = 1/2, event in week 2
    >>> round(float(nll[0]), 4)   # 2 log 2
    1.3863
    """
    z = ops.convert_to_tensor(hazard_logits, "float32")
    if len(z.shape) != 2:
        raise ValueError(f"`hazard_logits` must have shape (subjects, weeks). Received: hazard_logits.shape={tuple(z.shape)}")
    weeks = int(z.shape[1])
    week_targets = ops.convert_to_tensor(pack_targets(time, event, weeks)[:, :weeks])
    return ops.sum(_known_cross_entropy(week_targets, z), axis=1)


def pack_targets(time, event, weeks):
    """The targets of `PenalisedSurvivalLoss`: float32 `(N, weeks + 1)`.

    Columns 0..weeks-1: 1 in an event's week, 0 in a week at risk without event, -1 after tau (not at risk).
    Column `weeks`: the status at week T: 1 alive (tau = T, no event), 0 dead (an event), -1 unknown (censored
    before T).
    """
    weeks = check_positive_int("weeks", weeks)
    happened, at_risk = _week_targets(time, event, weeks)
    time, event = np.asarray(time), np.asarray(event)
    status = np.where(event == 1, 0.0, np.where(time == weeks, 1.0, -1.0))
    return np.concatenate([np.where(at_risk > 0, happened, -1.0), status[:, None]], axis=1).astype("float32")


def penalised_survival_loss(y_packed, y_pred, weight):
    """Per subject: NLL of the hazard head + cross-entropy of the survival head (status known) + weight * violation.

    Args:
        y_packed: `(N, T + 1)` targets of `pack_targets`.
        y_pred: `(N, T + 1)` logits: the T hazard logits, then the survival logit.
        weight: the violation's weight, >= 0.

    Returns:
        float32 tensor `(N,)`.
    """
    y = ops.convert_to_tensor(y_packed, "float32")
    p = ops.convert_to_tensor(y_pred, "float32")
    weeks = int(p.shape[-1]) - 1
    z, s_logit = p[:, :weeks], p[:, weeks]
    nll = ops.sum(_known_cross_entropy(y[:, :weeks], z), axis=1)
    head = _known_cross_entropy(y[:, weeks], s_logit)
    return nll + head + weight * consistency_violation(ops.sigmoid(s_logit), z)


@keras.saving.register_keras_serializable(package="keras_patterns")
class PenalisedSurvivalLoss(keras.losses.Loss):
    """The two heads' training loss, `penalised_survival_loss`, as a Keras loss (mean over the batch).

    Args:
        weight: the weight of the consistency violation |S_T - prod(1 - h_t)| (0: the heads train apart).
        name: the loss's name.

    Example:

    >>> loss = PenalisedSurvivalLoss(weight=1.0)
    >>> y = pack_targets(np.array([2]), np.array([0]), weeks=2)     # alive through week 2, the end
    >>> round(float(loss(y, np.zeros((1, 3), "float32"))), 4)     # 2 log 2 + log 2 + |1/2 - 1/4|
    2.3294
    """

    def __init__(self, weight=0.0, name="penalised_survival_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.weight = check_number("weight", weight, low=0)

    def call(self, y_true, y_pred):
        return penalised_survival_loss(y_true, y_pred, self.weight)

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="keras_patterns")
class CensoredHazardLoss(keras.losses.Loss):
    """The censored NLL of weekly hazard **probabilities** `(batch, T)`, against `pack_targets(...)[:, :T]`.

    The target of week t is 1 at an event, 0 at risk without one, -1 when not at risk (the week is skipped).
    Each subject's loss is the sum over its weeks at risk; Keras takes the mean over the batch.

    Example:

    >>> y = pack_targets(np.array([2]), np.array([1]), weeks=3)[:, :3]     # the event in week 2
    >>> round(float(CensoredHazardLoss()(y, np.full((1, 3), 0.5, "float32"))), 4)   # 2 log 2
    1.3863
    """

    def __init__(self, name="censored_hazard_loss", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y = ops.convert_to_tensor(y_true, "float32")
        h = ops.clip(ops.convert_to_tensor(y_pred, "float32"), 1e-7, 1.0 - 1e-7)
        at_risk = ops.cast(y >= 0, "float32")
        target = ops.maximum(y, 0.0)
        return -ops.sum(at_risk * (target * ops.log(h) + (1.0 - target) * ops.log1p(-h)), axis=1)
