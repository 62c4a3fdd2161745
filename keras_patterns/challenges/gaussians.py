"""A worked example of a challenge task: two Gaussian classes, whose Bayes accuracy is known in closed form.

Classes 0 and 1, equally likely, with x ~ N(-mu, 1) and N(+mu, 1) in one
dimension: the Bayes classifier is `x > 0` and its accuracy is Phi(mu). The
task's limit is that classifier's accuracy on the same test draws. A logistic
regression can reach it; a model that never trains cannot.

It is the placeholder challenge of a new chapter's skeleton (`kp new`) and the
test bed of `keras_patterns.challenges.core`; real chapters build their own task.

Used by `kp new` and the challenge tests.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.checks import check_positive_int, check_positive_number


def accuracy_points(y_true, probabilities):
    """Accuracy in points (percent) of the argmax of `probabilities` (N, classes) against integer labels (N,)."""
    return 100.0 * float(np.mean(np.argmax(np.asarray(probabilities), axis=-1) == np.asarray(y_true)))


def two_gaussians_task(mu=1.0, num_train=512, num_test=4000, seed=7, **rules):
    """The two-Gaussians challenge: fixed draws, the Bayes classifier's accuracy on the test draws as the limit.

    Args:
        mu: half the distance between the class means (the Bayes accuracy is Phi(mu)).
        num_train, num_test: sizes of the fixed training and test sets.
        seed: the seed of the draws.
        **rules: overrides of the default `ChallengeRules` (50 parameters, 400 updates, batch 64,
            full points within 2 accuracy points, none from 6).

    Returns:
        A `ChallengeTask` with x float32 of shape (N, 1) and y int64 labels of shape (N,).

    Example:

    >>> task = two_gaussians_task()
    >>> task.x_train.shape, task.y_test.shape, round(task.limit, 1)
    ((512, 1), (4000,), 83.9)
    """
    mu = check_positive_number("mu", mu)
    num_train = check_positive_int("num_train", num_train)
    num_test = check_positive_int("num_test", num_test)
    rng = np.random.default_rng(seed)

    def draw(n):
        y = rng.integers(0, 2, size=n)
        x = (rng.normal(size=n) + mu * (2 * y - 1)).astype("float32")[:, None]
        return x, y

    x_train, y_train = draw(num_train)
    x_test, y_test = draw(num_test)
    bayes = 100.0 * float(np.mean((x_test[:, 0] > 0) == (y_test == 1)))
    settings = dict(max_params=50, max_updates=400, max_batch_size=64, full_within=2.0, zero_at=6.0)
    settings.update(rules)
    return ChallengeTask(
        name=f"two Gaussian classes {2 * mu:g} apart", x_train=x_train, y_train=y_train, x_test=x_test,
        y_test=y_test, loss="sparse_categorical_crossentropy", score=accuracy_points, limit=bayes,
        higher_is_better=True, units="accuracy points", rules=ChallengeRules(**settings),
        describe_limit="the Bayes classifier x > 0 on the same test draws",
    )
