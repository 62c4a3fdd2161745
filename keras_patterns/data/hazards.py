"""Chapter 05's generated follow-up: released subjects, a weekly employment path, events and censoring.

Every subject is followed for `WEEKS` (52) weeks, as the Rossi study followed released prisoners:

1. static covariates: `fin` ~ Bernoulli(1/2) (financial aid), `age` ~ N(0, 1) (standardised);
2. the employment path, a two-state Markov chain: employed in week 1 with probability `P_START`, then
   `P_KEEP` = P(employed_t | employed_{t-1}) and `P_FIND` = P(employed_t | not employed_{t-1});
3. the event: in week t, with the true hazard h_t of `keras_patterns.oracles.hazards` (given no event before);
4. loss to follow-up: after each event-free week t < 52, the subject drops out with probability `dropout`
   (independent of everything else): it is then censored, observed event-free through week t.

The observed time is tau = the event's week, the dropout's week or 52, and `event` says whether tau is an event.
The employment path is **external** here: it is recorded for all 52 weeks whatever happens (a registry's
records), so the model reads every subject's whole path, and the exact survival S_T = prod(1 - h_t) given it is
the target of both heads. The loss only counts the weeks at risk (1..tau); `latent_time`, the week of the event
had nobody dropped out (53: none within 52), is known because the data are generated, and gives the status at
week 52 of every test subject (`alive`), censored or not.

Plain NumPy, no Keras. Used in chapter 05.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.checks import check_int, check_number, check_positive_int
from keras_patterns.oracles import hazards as oracle

WEEKS = oracle.WEEKS
"""Weeks of follow-up. Used in chapter 05."""

P_START, P_KEEP, P_FIND = 0.3, 0.92, 0.07
"""The employment chain: P(employed in week 1), P(keep a job), P(find one in a week). Used in chapter 05."""

DROPOUT = 0.01
"""The default weekly probability of loss to follow-up. Used in chapter 05."""


def sample_follow_up(num_subjects, seed=0, *, weeks=WEEKS, dropout=DROPOUT):
    """Draw subjects, their covariate paths, events and censoring from the documented generator.

    Args:
        num_subjects: how many subjects.
        seed: the NumPy seed.
        weeks: weeks of follow-up.
        dropout: weekly probability of loss to follow-up after an event-free week, in [0, 1).

    Returns:
        A dict:
        - "x": float32 `(N, weeks, 4)`, the features `fin`, `age`, `employed`, `week` (t / 52) of every week (the
          models' input);
        - "employed": int8 `(N, weeks)`; "fin": int8 `(N,)`; "age": float64 `(N,)`;
        - "hazard": float64 `(N, weeks)`, the true h_t; "survival": float64 `(N,)`, the exact S_T = prod(1 - h_t);
        - "time": int32 `(N,)`, the observed time tau in 1..weeks; "event": int32 `(N,)`, 1 when tau is an event;
        - "latent_time": int32 `(N,)`, the event's week without censoring (weeks + 1: none within the follow-up);
        - "alive": int32 `(N,)`, 1 when there is no event within the follow-up (latent_time > weeks).

    Example:

    >>> d = sample_follow_up(4, seed=0)
    >>> d["x"].shape, d["time"].dtype.name, bool(np.all(d["time"] <= d["latent_time"]))
    ((4, 52, 4), 'int32', True)
    """
    num_subjects = check_positive_int("num_subjects", num_subjects)
    seed = check_int("seed", seed, minimum=0)
    weeks = check_positive_int("weeks", weeks)
    dropout = check_number("dropout", dropout, low=0, high=1, include_high=False)
    rng = np.random.default_rng(seed)
    fin = rng.integers(0, 2, num_subjects).astype("int8")
    age = rng.normal(size=num_subjects)
    employed = np.zeros((num_subjects, weeks), "int8")
    employed[:, 0] = rng.random(num_subjects) < P_START
    for t in range(1, weeks):
        p = np.where(employed[:, t - 1] == 1, P_KEEP, P_FIND)
        employed[:, t] = rng.random(num_subjects) < p
    clock = np.broadcast_to(np.arange(1, weeks + 1) / WEEKS, employed.shape)
    x = np.stack([np.broadcast_to(fin[:, None], employed.shape), np.broadcast_to(age[:, None], employed.shape),
                  employed, clock], axis=-1).astype("float32")
    hazard = oracle.true_hazards(x)
    happens = rng.random((num_subjects, weeks)) < hazard
    latent_time = np.where(happens.any(axis=1), happens.argmax(axis=1) + 1, weeks + 1).astype("int32")
    drops = rng.random((num_subjects, weeks - 1)) < dropout  # column t-1: lost after week t (t = 1..weeks-1)
    censor_time = np.where(drops.any(axis=1), drops.argmax(axis=1) + 1, weeks).astype("int32")
    event = (latent_time <= censor_time).astype("int32")
    time = np.where(event == 1, latent_time, censor_time).astype("int32")
    return {"x": x, "employed": employed, "fin": fin, "age": age, "hazard": hazard,
            "survival": oracle.discrete_survival(hazard), "time": time, "event": event,
            "latent_time": latent_time, "alive": (latent_time > weeks).astype("int32")}
