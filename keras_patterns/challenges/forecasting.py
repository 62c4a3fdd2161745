"""Chapter 11's challenge: forecast a fixed AR(1) at five horizons, graded against the optimal forecast.

The series is the chapter's AR(1), x_t = 0.9 x_{t-1} + e_t with e_t ~ N(0, 1).
A design maps a window of the last `WINDOW` values, float32 of shape
`(batch, 8, 1)`, to one forecast per horizon in `HORIZONS`, float32 of shape
`(batch, 5)` (a direct, many-to-one forecaster; any architecture). It is
trained with squared error on the windows of one fixed training series and
scored on fixed, independent test windows.

The score is the mean over the five horizons of the test MSE as a percentage
of the optimal forecast's MSE *on the same test windows*:

    score = 100 / 5 * sum_H  MSE_model(H) / MSE_optimal_on_test(H),

where the optimal forecast is phi^H x_t (`keras_patterns.oracles.ar1`). The
limit is the optimal forecast's own score, 100 (%), and the gap is the mean
percent excess over it. Dividing by the optimum on the same windows removes
most of the test noise (the innovations that no forecaster can predict), and
weighing each horizon by its own optimum makes H = 1, whose optimum is
sigma^2 = 1, count as much as H = 16, whose optimum is 5.08.

The data do not depend on the profile (a grading at `smoke` grades the same
task). NumPy only: it builds the same task on every backend.

Used in chapter 11.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.checks import check_positive_int
from keras_patterns.data.series import horizon_targets, make_windows
from keras_patterns.oracles import ar1

#: The window length and the horizons of the challenge (the chapter's).
WINDOW = 8
HORIZONS = (1, 2, 4, 8, 16)

#: Fixed sizes and seeds: the training series' windows and the independent test windows.
NUM_TRAIN = 5000
NUM_TEST = 5000
TRAIN_SEED = 31_001
TEST_SEED = 31_002

#: The default rules: parameters, optimizer updates, batch size, and the scale in percent excess.
RULES = dict(max_params=5000, max_updates=1000, max_batch_size=128, full_within=2.0, zero_at=6.0)


def percent_of_optimal(optimal_mse):
    """A score function: mean over horizons of 100 * MSE(H) / optimal_mse[H].

    Args:
        optimal_mse: float array of shape `(len(HORIZONS),)`, the optimal
            forecast's MSE on the test windows, one per horizon.

    Returns:
        `score(y_true, predictions) -> float`, with `y_true` and
        `predictions` of shape `(N, len(HORIZONS))`.
    """
    optimal_mse = np.asarray(optimal_mse, dtype="float64")

    def score(y_true, predictions):
        y_true = np.asarray(y_true, dtype="float64")
        predictions = np.asarray(predictions, dtype="float64")
        if predictions.shape != y_true.shape:
            raise ValueError(
                f"the model must return one forecast per horizon, shape (N, {y_true.shape[1]}). "
                f"Received: predictions of shape {predictions.shape}"
            )
        mse = np.mean((predictions - y_true) ** 2, axis=0)
        return float(100.0 * np.mean(mse / optimal_mse))

    return score


def test_windows(num_test=NUM_TEST, seed=TEST_SEED):
    """The fixed test windows: `num_test` independent stretches of the AR(1) (a fresh series each).

    Returns:
        `(X, Y)`: float32 `X` of shape `(num_test, WINDOW, 1)` and float64
        `Y` of shape `(num_test, len(HORIZONS))`, the values at the horizons.
    """
    num_test = check_positive_int("num_test", num_test)
    values = ar1.simulate_ar1(WINDOW + HORIZONS[-1], num_series=num_test, seed=seed)
    X = values[:, :WINDOW, None].astype("float32")
    Y = horizon_targets(values[:, WINDOW:], HORIZONS)
    return X, Y


def optimal_forecasts(X):
    """The optimal forecasts phi^H x_t of windows `X` (N, WINDOW, 1): float64 of shape (N, len(HORIZONS))."""
    x_t = np.asarray(X, dtype="float64")[:, -1, 0]
    return np.stack([ar1.optimal_forecast(x_t, h) for h in HORIZONS], axis=1)


def forecasting_task(num_train=NUM_TRAIN, num_test=NUM_TEST, **rules):
    """The chapter-11 challenge: a forecaster of the AR(1) at H = 1, 2, 4, 8, 16, against phi^H x_t.

    Args:
        num_train: windows of the one training series (overlapping, as in the chapter).
        num_test: independent test windows.
        **rules: overrides of `RULES` (5,000 parameters, 1,000 updates, batch at most 128,
            full points within 2 % excess over the optimum, none from 6 %).

    Returns:
        A `ChallengeTask`: `x_train` float32 `(num_train, 8, 1)`, `y_train` float32
        `(num_train, 5)`, `x_test` float32 `(num_test, 8, 1)`, `y_test` float64
        `(num_test, 5)`; loss "mse"; score in percent of the optimal MSE on the
        test windows; limit 100, the optimal forecast's score.

    Example:

    >>> task = forecasting_task()
    >>> task.x_train.shape, task.y_test.shape, task.limit
    ((5000, 8, 1), (5000, 5), 100.0)
    """
    num_train = check_positive_int("num_train", num_train)
    train = ar1.simulate_ar1(num_train + WINDOW + HORIZONS[-1] - 1, seed=TRAIN_SEED)
    x_train, y_all = make_windows(train, WINDOW, HORIZONS)
    y_train = horizon_targets(y_all, HORIZONS).astype("float32")
    x_test, y_test = test_windows(num_test)
    optimal = np.mean((optimal_forecasts(x_test) - y_test) ** 2, axis=0)
    score = percent_of_optimal(optimal)
    settings = {**RULES, **rules}
    return ChallengeTask(
        name=f"forecast the AR(1) x_t = {ar1.PHI:g} x_(t-1) + e_t at H = {HORIZONS} from windows of {WINDOW}",
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, loss="mse", score=score,
        limit=score(y_test, optimal_forecasts(x_test)), higher_is_better=False,
        units="% excess", rules=ChallengeRules(**settings),
        describe_limit=("the optimal forecast phi^H x_t on the same test windows (its MSE there: "
                        + ", ".join(f"{m:.3f}" for m in optimal) + f" at H = {HORIZONS}), which scores 100 %"),
    )
