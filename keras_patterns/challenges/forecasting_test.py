"""Chapter 11's challenge: fixed data, the optimal forecast's score as the limit, and a scale that separates designs."""

import keras
import numpy as np
import pytest

from keras_patterns.challenges import ChallengeRuleError, run_challenge
from keras_patterns.challenges import forecasting as F
from keras_patterns.oracles import ar1


@pytest.fixture(scope="module")
def task():
    return F.forecasting_task()


def linear_design(epochs=12, learning_rate=1e-2, batch_size=64):
    """A linear forecaster on the whole window: AR(1)'s optimum is linear, so it can reach it."""

    def build():
        inputs = keras.Input(shape=(F.WINDOW, 1))
        outputs = keras.layers.Dense(len(F.HORIZONS))(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, outputs), {"optimizer": "adam", "learning_rate": learning_rate,
                                              "batch_size": batch_size, "epochs": epochs}

    return build


def test_the_data_have_the_stated_shapes_and_dtypes(task):
    assert task.x_train.shape == (F.NUM_TRAIN, F.WINDOW, 1) and task.x_train.dtype == np.float32
    assert task.y_train.shape == (F.NUM_TRAIN, len(F.HORIZONS)) and task.y_train.dtype == np.float32
    assert task.x_test.shape == (F.NUM_TEST, F.WINDOW, 1) and task.x_test.dtype == np.float32
    assert task.y_test.shape == (F.NUM_TEST, len(F.HORIZONS))
    assert task.num_train == 5000 and not task.higher_is_better and task.loss == "mse"
    # The targets are the values H steps after each window's last value (one training series, overlapping windows).
    x = ar1.simulate_ar1(F.NUM_TRAIN + F.WINDOW + F.HORIZONS[-1] - 1, seed=F.TRAIN_SEED).astype("float32")
    for i in (0, 17, F.NUM_TRAIN - 1):
        assert np.array_equal(task.x_train[i, :, 0], x[i:i + F.WINDOW])
        assert np.array_equal(task.y_train[i], x[[i + F.WINDOW - 1 + h for h in F.HORIZONS]])


def test_forecasting_task_wires_its_arguments_data_limit_and_rules():
    # forecasting_task called here, not through the module fixture (a mutation run does not rerun a fixture's
    # builder for each of its mutants): small sets, a rule override, every field checked independently.
    task = F.forecasting_task(num_train=40, num_test=30, max_updates=99)
    x = ar1.simulate_ar1(40 + F.WINDOW + F.HORIZONS[-1] - 1, seed=F.TRAIN_SEED)
    assert task.x_train.shape == (40, F.WINDOW, 1) and task.y_train.shape == (40, len(F.HORIZONS))
    for i in range(40):
        assert np.array_equal(task.x_train[i, :, 0], x[i:i + F.WINDOW].astype("float32"))
        assert np.array_equal(task.y_train[i], x[[i + F.WINDOW - 1 + h for h in F.HORIZONS]].astype("float32"))
    values = ar1.simulate_ar1(F.WINDOW + F.HORIZONS[-1], num_series=30, seed=F.TEST_SEED)
    assert task.x_test.dtype == np.float32 and np.array_equal(task.x_test, values[:, :F.WINDOW, None].astype("float32"))
    assert np.array_equal(task.y_test, values[:, [F.WINDOW - 1 + h for h in F.HORIZONS]])
    for got, want in zip(F.test_windows(30), (task.x_test, task.y_test)):
        assert np.array_equal(got, want), "test_windows' default seed is TEST_SEED"
    optimal = np.stack([ar1.PHI**h * task.x_test[:, -1, 0].astype("float64") for h in F.HORIZONS], axis=1)
    np.testing.assert_allclose(F.optimal_forecasts(task.x_test), optimal, rtol=1e-12)
    mse_optimal = ((optimal - task.y_test) ** 2).mean(axis=0)
    off = optimal + np.linspace(-0.5, 0.5, 30)[:, None]
    want = 100 * np.mean(((off - task.y_test) ** 2).mean(axis=0) / mse_optimal)
    assert task.score(task.y_test, off) == pytest.approx(want, rel=1e-12)
    assert task.limit == pytest.approx(100.0, abs=1e-9)
    assert task.loss == "mse" and not task.higher_is_better and task.units == "% excess"
    assert task.rules == F.ChallengeRules(**{**F.RULES, "max_updates": 99}) and task.sample_weight is None
    assert str(F.HORIZONS) in task.name and "windows of 8" in task.name
    assert ", ".join(f"{m:.3f}" for m in mse_optimal) + f" at H = {F.HORIZONS}" in task.describe_limit


@pytest.mark.parametrize("profile", ["smoke", "default", "full"])
def test_the_task_is_the_same_whatever_the_profile(monkeypatch, task, profile):
    monkeypatch.setenv("KP_PROFILE", profile)
    again = F.forecasting_task()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(again, name), getattr(task, name)), name
    assert again.limit == task.limit and again.rules == task.rules


def test_the_limit_is_the_optimal_forecast_on_the_same_test_windows(task):
    # An independent computation: phi^H times the last value of each window, its MSE per horizon on the test targets.
    x_t = task.x_test[:, -1, 0].astype("float64")
    optimal = np.stack([ar1.PHI**h * x_t for h in F.HORIZONS], axis=1)
    mse_optimal = ((optimal - task.y_test) ** 2).mean(axis=0)
    assert task.limit == pytest.approx(100.0, abs=1e-9)
    assert task.score(task.y_test, optimal) == pytest.approx(100.0, abs=1e-9)
    # On 5,000 windows each per-horizon MSE is within a few percent of the exact sigma^2 (1 - phi^2H) / (1 - phi^2).
    assert np.allclose(mse_optimal, ar1.optimal_mse(np.array(F.HORIZONS)), rtol=0.06)
    # A forecast twice as far from the optimum as another costs four times its excess (the score is an MSE ratio).
    shift = np.full_like(optimal, 0.1)
    one, two = task.score(task.y_test, optimal + shift), task.score(task.y_test, optimal + 2 * shift)
    assert (two - 100) == pytest.approx(4 * (one - 100), rel=0.1)


def test_the_score_weighs_each_horizon_by_its_own_optimum(task):
    x_t = task.x_test[:, -1, 0].astype("float64")
    optimal = np.stack([ar1.PHI**h * x_t for h in F.HORIZONS], axis=1)
    mse_optimal = ((optimal - task.y_test) ** 2).mean(axis=0)
    worse = optimal.copy()
    worse[:, 0] += 0.3  # an extra 0.09 of squared error at H = 1 only
    ratio_h1 = ((worse[:, 0] - task.y_test[:, 0]) ** 2).mean() / mse_optimal[0]
    expected = 100 * (ratio_h1 + 4) / 5  # the other four horizons are at their optimum: ratio 1 each
    assert task.score(task.y_test, worse) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="one forecast per horizon"):
        task.score(task.y_test, optimal[:, :3])


def test_forecasting_the_mean_earns_nothing(task):
    # The mean forecast's MSE is the stationary variance 5.26 at every horizon: 426 % above the optimum at H = 1.
    zero = np.zeros_like(task.y_test)
    assert task.gap(task.score(task.y_test, zero)) > 100
    assert task.rules.points(task.gap(task.score(task.y_test, zero)), 4) == 0.0


def test_a_trained_linear_forecaster_earns_full_points_and_an_untrained_one_none(task):
    good = run_challenge(task, linear_design(), points=4, verbose=False)
    assert good.params == 45 and good.updates == 12 * 79
    assert good.gap <= task.rules.full_within and good.points == 4.0
    weak = run_challenge(task, linear_design(epochs=1, learning_rate=1e-5), points=4, verbose=False)
    assert weak.gap >= task.rules.zero_at and weak.points == 0.0


def test_the_rules_bound_updates_and_batch_size(task):
    with pytest.raises(ChallengeRuleError, match="optimizer updates"):
        run_challenge(task, linear_design(epochs=20, batch_size=64), points=4, verbose=False)  # 1,580 updates
    with pytest.raises(ChallengeRuleError, match="batch_size"):
        run_challenge(task, linear_design(batch_size=256), points=4, verbose=False)
