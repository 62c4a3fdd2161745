"""Open challenge steps: a student's own model graded by its gap to the exact limit.

`core` holds the mechanism (`ChallengeRules`, `ChallengeTask`, `run_challenge`);
each chapter's module builds its task with fixed data and the exact limit on
the same test set:

- `keras_patterns.challenges.proteins`: chapter 01, a tagger against the HMM's posterior decoding.
- `keras_patterns.challenges.survival`: chapter 05, weekly hazards against the exact survival.
- `keras_patterns.challenges.forecasting`: chapter 11, a forecaster against the optimal forecast.
- `keras_patterns.challenges.walks`: chapter 14, a walk classifier against the Bayes classifier.

Used in chapters 01, 11 and 14.
"""

from keras_patterns.challenges.core import (
    OPTIMIZERS,
    TRAINING_DEFAULTS,
    ChallengeResult,
    ChallengeRuleError,
    ChallengeRules,
    ChallengeTask,
    check_training,
    deterministic,
    run_challenge,
)

__all__ = [
    "OPTIMIZERS",
    "TRAINING_DEFAULTS",
    "ChallengeResult",
    "ChallengeRuleError",
    "ChallengeRules",
    "ChallengeTask",
    "check_training",
    "deterministic",
    "run_challenge",
]
