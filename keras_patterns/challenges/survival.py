"""Chapter 05's challenge: weekly hazards of the generated follow-up, graded by the survival they imply.

The data are chapter 05's generator (`keras_patterns.data.hazards`): each subject's weekly covariates
`fin, age, employed, week`, float32 `(batch, 52, 4)`, and right-censored follow-up. A design maps them to 52
weekly hazard **probabilities**, float32 `(batch, 52)` (a causal or not, recurrent or not, many-to-many
model: any architecture), trained with the censored negative log-likelihood (`CensoredHazardLoss`) on
fixed training subjects. It is scored on fixed test subjects by how far the survival its hazards imply,
prod_t (1 - h_t), is from the exact survival of the generator, in percentage points:

    score = 100 * mean_i | prod_t (1 - h_it) - S_i |.

The limit is 0: the true hazards imply the exact survival. The score needs no observed outcome, so the test
set's luck (who happened to be arrested) does not blur it.

The data do not depend on the profile. NumPy only: the same task on every backend. Used in chapter 05.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.checks import check_positive_int
from keras_patterns.data.hazards import WEEKS, sample_follow_up
from keras_patterns.losses.survival import CensoredHazardLoss, pack_targets

NUM_TRAIN = 4000
NUM_TEST = 4000
TRAIN_SEED = 51_001
TEST_SEED = 51_002

#: The rules: parameters, optimizer updates, batch size, and the scale in survival points. A logistic regression of
#: the generator's own form, fitted on the same 4,000 follow-ups, is 1.55 points from the exact survival (the noise of
#: estimating hazards from them); a recurrent model that must find the form itself earns full points within 2 more.
#: One survival rate for everyone scores 11.2.
RULES = dict(max_params=5000, max_updates=600, max_batch_size=256, full_within=3.5, zero_at=10.0)


def survival_error(true_survival):
    """A score function: 100 * mean |prod_t (1 - h_t) - S| against the exact survival `true_survival` `(N,)`."""
    true_survival = np.asarray(true_survival, dtype="float64")

    def score(y_true, predictions):
        h = np.asarray(predictions, dtype="float64")
        if h.ndim != 2 or h.shape[0] != len(true_survival):
            raise ValueError(f"the model must return one hazard per week, shape (N, weeks) with N = "
                             f"{len(true_survival)}. Received: predictions of shape {h.shape}")
        if not np.all(np.isfinite(h)) or h.min() < 0 or h.max() > 1:
            raise ValueError("the model's hazards must be probabilities in [0, 1] (end with a sigmoid). Received "
                             f"values in [{np.nanmin(h):g}, {np.nanmax(h):g}]")
        return float(100.0 * np.mean(np.abs(np.prod(1.0 - h, axis=1) - true_survival)))

    return score


def survival_task(num_train=NUM_TRAIN, num_test=NUM_TEST, **rules):
    """The chapter-05 challenge: weekly hazards whose survival matches the exact one.

    Args:
        num_train: training subjects (their observed, censored follow-up).
        num_test: test subjects (their exact survival).
        **rules: overrides of `RULES` (5,000 parameters, 600 updates, batch at most 256, full points within
            3.5 survival points of the limit, none from 10).

    Returns:
        A `ChallengeTask`: `x_train` float32 `(num_train, 52, 4)`, `y_train` float32 `(num_train, 52)` (1 event,
        0 at risk, -1 not at risk), `x_test` float32 `(num_test, 52, 4)`, `y_test` the exact survival float64
        `(num_test,)`; loss `CensoredHazardLoss`; limit 0.

    Example:

    >>> task = survival_task(num_train=10, num_test=10)
    >>> task.x_train.shape, task.y_train.shape, task.limit
    ((10, 52, 4), (10, 52), 0.0)
    """
    num_train = check_positive_int("num_train", num_train)
    num_test = check_positive_int("num_test", num_test)
    train = sample_follow_up(num_train, seed=TRAIN_SEED)
    test = sample_follow_up(num_test, seed=TEST_SEED)
    score = survival_error(test["survival"])
    return ChallengeTask(
        name=f"weekly hazards of {num_train:,} censored follow-ups of {WEEKS} weeks (fin, age, employed, week)",
        x_train=train["x"], y_train=pack_targets(train["time"], train["event"], WEEKS)[:, :WEEKS],
        x_test=test["x"], y_test=test["survival"], loss=CensoredHazardLoss(), score=score,
        limit=score(None, test["hazard"]), higher_is_better=False, units="survival points",
        rules=ChallengeRules(**{**RULES, **rules}),
        describe_limit="the generator's true hazards, whose survival is exact (score 0)",
    )
