"""A causal recurrent trunk with a hazard head (多对多) and a survival head (多对一): chapter 05's model.

The trunk is one unidirectional GRU over the weekly covariates, so that the hazard of week t reads weeks
1..t only (a hazard is a forecast: it may not see the future). Two heads read it:

- **hazard head** `"hazard"`: a `Dense(1)` at every week, the logit z_t of h_t, squeezed to `(batch, T)`;
- **survival head** `"survival"`: a `Dense(1)` on the GRU's final state, the logit of S_T.

`pack_heads` puts both side by side, `(batch, T + 1)`, the single output that
`keras_patterns.losses.survival.PenalisedSurvivalLoss` trains, so that the loss can tie one head to the other.

Used in chapter 05.
"""

from __future__ import annotations

import keras

from keras_patterns.checks import check_positive_int


def build_hazard_survival_model(num_features, num_hiddens, weeks=52):
    """The two-headed survival model, uncompiled, with logit outputs.

    Args:
        num_features: features per week.
        num_hiddens: GRU units.
        weeks: weeks per sequence (the input's fixed length).

    Returns:
        A `keras.Model` from float32 `(batch, weeks, num_features)` to a dict: `"hazard"` `(batch, weeks)` and
        `"survival"` `(batch, 1)`, both logits.

    Example:

    >>> model = build_hazard_survival_model(3, 8)
    >>> out = model(np.zeros((2, 52, 3), "float32"))
    >>> tuple(out["hazard"].shape), tuple(out["survival"].shape)
    ((2, 52), (2, 1))
    """
    num_features = check_positive_int("num_features", num_features)
    num_hiddens = check_positive_int("num_hiddens", num_hiddens)
    weeks = check_positive_int("weeks", weeks)
    covariates = keras.Input(shape=(weeks, num_features), name="covariates")
    states, final = keras.layers.GRU(num_hiddens, return_sequences=True, return_state=True, name="trunk")(covariates)
    hazard = keras.layers.Reshape((weeks,), name="hazard")(keras.layers.Dense(1, name="hazard_logit")(states))
    survival = keras.layers.Dense(1, name="survival")(final)
    return keras.Model(covariates, {"hazard": hazard, "survival": survival}, name="hazard_survival")


def pack_heads(model):
    """The same model with one output: the hazard logits and the survival logit side by side, `(batch, T + 1)`."""
    if not isinstance(model, keras.Model) or not isinstance(model.output, dict):
        raise ValueError("`model` must be a keras.Model with a dict output {'hazard': (batch, T), 'survival': "
                         f"(batch, 1)}}, as build_hazard_survival_model returns. Received: {type(model).__name__}")
    missing = {"hazard", "survival"} - set(model.output)
    if missing:
        raise ValueError(f"`model`'s outputs must include 'hazard' and 'survival'. Missing: {sorted(missing)}")
    packed = keras.layers.Concatenate(axis=-1, name="heads")([model.output["hazard"], model.output["survival"]])
    return keras.Model(model.inputs, packed, name=f"{model.name}_packed")
