"""Exact answers of chapter 05's discrete-time survival generator: the true hazards and survival.

A subject is followed for `WEEKS` weeks. Its covariates are two static ones, `fin` (financial aid, 0/1) and
`age` (standardised), and one that varies by week, `employed` (0/1, a two-state Markov chain). Its hazard in
week t, the probability of the event in week t given no event before, is

    h_t = sigmoid(a_t + B_FIN * fin + B_AGE * age + B_WORK * u_t),
    u_t = RHO * u_{t-1} + (1 - RHO) * employed_t,   u_0 = 0,

with the baseline a_t = A_LATE + A_EARLY * exp(-(t - 1) / A_DECAY) (the risk is highest just after release)
and u_t a slowly updated employment record: a job protects more the longer it has been held, so the hazard
of week t depends on the whole path up to week t, and a model needs memory to know it.

Because the covariate path is external (the event does not change it), everything is exact in closed form:

- `true_hazards`: h_1..h_T of every subject from its covariate path;
- `discrete_survival`: S_T = prod_t (1 - h_t), the probability of no event in weeks 1..T, the identity the
  discrete model implies;
- `exponential_survival`: exp(-sum_t h_t), the textbook chapter's continuous-time formula S = exp(-∫h) applied
  to the weekly probabilities; it is above S_T (since log(1 - h) < -h), by `survival_gap`;
- `brier_score`, `expected_brier`: the Brier score of survival predictions against the status at week T, and
  the oracle's expected Brier E[S (1 - S)], the limit of calibration.

Plain NumPy, no Keras. Used in chapter 05.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.checks import check_float_array, check_int_array, check_number

WEEKS = 52
"""Weeks of follow-up (Rossi's 52). Used in chapter 05."""

FEATURES = ("fin", "age", "employed", "week")
"""The input features of week t, in column order (`week` is t / 52, a clock for the baseline). Used in chapter 05."""

A_LATE, A_EARLY, A_DECAY = -4.6, 1.0, 6.0
"""The baseline logit a_t = A_LATE + A_EARLY * exp(-(t - 1) / A_DECAY). Used in chapter 05."""

B_FIN, B_AGE, B_WORK = -0.7, -0.5, -2.5
"""Log-odds effects of financial aid, of one SD of age and of the employment record u_t. Used in chapter 05."""

RHO = 0.85
"""Memory of the employment record u_t = RHO u_{t-1} + (1 - RHO) employed_t. Used in chapter 05."""


def baseline_logits(weeks=WEEKS):
    """The baseline logit a_t of weeks 1..`weeks`: float64 `(weeks,)`."""
    t = np.arange(1, int(weeks) + 1, dtype="float64")
    return A_LATE + A_EARLY * np.exp(-(t - 1.0) / A_DECAY)


def employment_record(employed, rho=RHO):
    """u_t = rho u_{t-1} + (1 - rho) employed_t with u_0 = 0, for every subject and week.

    Args:
        employed: 0/1 array `(N, T)`.
        rho: the memory, in [0, 1).

    Returns:
        float64 `(N, T)`.
    """
    employed = check_float_array("employed", employed, ndim=2, shape="(subjects, weeks)")
    rho = check_number("rho", rho, low=0, high=1, include_high=False)
    record = np.zeros_like(employed)
    u = np.zeros(len(employed))
    for t in range(employed.shape[1]):
        u = rho * u + (1.0 - rho) * employed[:, t]
        record[:, t] = u
    return record


def true_hazards(x):
    """The generator's hazard h_t of every subject and week, from its covariate path.

    Args:
        x: float array `(N, T, 4)`, the features `FEATURES` of weeks 1..T (`fin` and `age` the same every week;
            the hazard does not read `week`, which only tells a model the time).

    Returns:
        float64 `(N, T)`, each in (0, 1).

    Example:

    >>> h = true_hazards(np.zeros((1, 3, 4)))   # no aid, mean age, never employed
    >>> np.round(h, 4).tolist()
    [[0.0266, 0.0229, 0.0202]]
    """
    x = check_float_array("x", x, ndim=3, shape="(subjects, weeks, 4): fin, age, employed, week")
    if x.shape[2] != len(FEATURES):
        raise ValueError(f"`x` must have {len(FEATURES)} features {FEATURES} on its last axis. Received: x.shape={x.shape}")
    logits = (baseline_logits(x.shape[1])[None, :] + B_FIN * x[:, :, 0] + B_AGE * x[:, :, 1]
              + B_WORK * employment_record(x[:, :, 2]))
    return 1.0 / (1.0 + np.exp(-logits))


def _hazard_array(hazards):
    hazards = check_float_array("hazards", hazards, ndim=2, shape="(subjects, weeks)")
    if hazards.min() < 0 or hazards.max() > 1:
        raise ValueError(f"`hazards` must be probabilities in [0, 1]. Received values in [{hazards.min():g}, {hazards.max():g}]")
    return hazards


def discrete_survival(hazards):
    """S_T = prod_t (1 - h_t): the probability of no event in weeks 1..T. float64 `(N,)` from `(N, T)`."""
    return np.prod(1.0 - _hazard_array(hazards), axis=1)


def exponential_survival(hazards):
    """exp(-sum_t h_t), the continuous-time formula on weekly probabilities. float64 `(N,)` from `(N, T)`."""
    return np.exp(-_hazard_array(hazards).sum(axis=1))


def survival_gap(hazards):
    """exp(-sum h) - prod(1 - h) >= 0 per subject: how far the textbook chapter's formula is above the identity."""
    return exponential_survival(hazards) - discrete_survival(hazards)


def brier_score(survival, alive):
    """Mean of (S_i - alive_i)^2: survival predictions against the status at week T (1 alive, 0 not).

    Args:
        survival: float array `(N,)` of probabilities.
        alive: 0/1 int array `(N,)`.

    Returns:
        float.
    """
    survival = check_float_array("survival", survival, ndim=1)
    alive = check_int_array("alive", alive, ndim=1, shape=survival.shape, low=0, high=2, what="0/1 statuses")
    return float(np.mean((survival - alive) ** 2))


def expected_brier(survival):
    """The oracle's expected Brier score E[S (1 - S)] over subjects with exact survival S: float."""
    survival = check_float_array("survival", survival, ndim=1)
    return float(np.mean(survival * (1.0 - survival)))
