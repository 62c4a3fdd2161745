import time

import numpy as np
import pytest

from keras_patterns.data import series as S


@pytest.mark.parametrize(
    "name,length,first,last",
    [("sunspots", 309, 5.0, 2.9), ("co2", 526, None, None), ("nile", 100, 1120.0, 740.0)],
)
def test_loaders_return_clean_float_arrays(name, length, first, last):
    x = S.load_series(name)
    assert x.shape == (length,) and x.dtype == np.float64
    assert np.all(np.isfinite(x))
    if first is not None:
        assert x[0] == first and x[-1] == last


def test_co2_is_the_monthly_mean_of_the_weekly_data():
    import statsmodels.api as sm

    weekly = sm.datasets.co2.load_pandas().data["co2"]
    x = S.load_co2()
    # March 1958 has weekly values; its monthly value is their mean.
    march = weekly["1958-03"].dropna()
    assert x[0] == pytest.approx(march.mean())
    # Months with no measurement at all are interpolated, never left empty.
    empty = weekly.resample("MS").mean().isna().to_numpy()
    assert empty.any() and np.all(np.isfinite(x[empty]))
    assert 310 < x.min() < x.max() < 375


def test_split_is_chronological_and_standardised_with_train_statistics():
    split = S.prepare_series("sunspots", test_fraction=0.2)
    raw = S.load_sunspots()
    assert split.train.shape == (247,) and split.test.shape == (62,)
    assert split.mean == pytest.approx(raw[:247].mean()) and split.std == pytest.approx(raw[:247].std())
    np.testing.assert_allclose(split.series * split.std + split.mean, raw, rtol=1e-12)
    assert split.train.mean() == pytest.approx(0.0, abs=1e-12)
    assert split.train.std() == pytest.approx(1.0)
    assert split.test.mean() != pytest.approx(0.0, abs=1e-3)  # the test part's own mean is not used
    train, test = S.chronological_split(split.series, split.test_fraction)
    np.testing.assert_array_equal(train, split.train)


def test_differenced_series_is_one_shorter():
    split = S.prepare_series("co2", difference=True)
    assert split.name == "co2_diff"
    assert len(split.series) == 525
    np.testing.assert_allclose(split.series * split.std + split.mean, np.diff(S.load_co2()), atol=1e-9)


def test_baseline_of_a_known_ar1_matches_its_closed_form():
    # On a long simulated AR(1) the fitted AR(1) baseline is close to the exact H-step MSE.
    from keras_patterns.oracles import ar1

    x = ar1.simulate_ar1(3000, seed=5)
    horizons = (1, 2, 4)
    mse, details = S.classical_baseline_mse(x, horizons, test_fraction=0.5, order=(1, 0, 0), trend="n",
                                            return_details=True)
    np.testing.assert_allclose(mse, ar1.optimal_mse(horizons), rtol=0.1)
    # Forecasts from the origin t are phi_hat^h x_t: nothing after t is used.
    phi_hat = details["forecasts"][:, 1] / details["forecasts"][:, 0]
    np.testing.assert_allclose(phi_hat, phi_hat[0], rtol=1e-6)
    origins = details["origins"]
    np.testing.assert_allclose(details["forecasts"][:, 0], phi_hat[0] * x[origins], rtol=1e-6)
    assert origins[0] == 1499 and origins[-1] == len(x) - 1 - 4


def test_baseline_origins_match_the_test_windows():
    split = S.prepare_series("nile", test_fraction=0.3)
    window, horizons = 8, (1, 2, 4)
    _, Y = S.make_windows(np.concatenate([split.train[-window:], split.test]), window, horizons)
    _, details = S.classical_baseline_mse(split.series, horizons, test_fraction=split.test_fraction,
                                          **S.DEFAULT_ARIMA["nile"], return_details=True)
    np.testing.assert_allclose(details["targets"], Y, rtol=1e-6)


@pytest.mark.parametrize("name", S.SERIES_NAMES)
def test_baselines_beat_persistence(name):
    # (Its speed is a benchmark's business, not a unit test's: no wall-clock assertion here.)
    split = S.prepare_series(name)
    horizons = (1, 2, 4) if name == "nile" else (1, 2, 4, 8, 16)
    mse, details = S.classical_baseline_mse(split.series, horizons, **S.DEFAULT_ARIMA[name], return_details=True)
    targets, origins = details["targets"], details["origins"]
    persistence = np.mean((targets - split.series[origins][:, None]) ** 2, axis=0)[np.asarray(horizons) - 1]
    assert np.all(np.isfinite(mse)) and mse.shape == (len(horizons),)
    # The last value is a weak forecaster of a cycle or a seasonal trend; a fitted ARIMA does better on average.
    assert mse.mean() < persistence.mean(), (name, mse, persistence)
    # The MSE is the mean over origins of the squared error of the returned forecasts.
    columns = np.asarray(horizons) - 1
    np.testing.assert_allclose(mse, np.mean((details["forecasts"] - targets)[:, columns] ** 2, axis=0), rtol=1e-10)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: S.load_series("airline"), "name"),
        (lambda: S.chronological_split(np.arange(10.0), 1.0), "test_fraction"),
        (lambda: S.chronological_split(np.ones((3, 3)), 0.2), "1-D"),
        (lambda: S.chronological_split(np.array([1.0, np.nan, 2.0, 3.0]), 0.5), "NaN"),
        (lambda: S.standardize(np.ones(5), np.ones(2)), "constant"),
        (lambda: S.classical_baseline_mse(np.arange(50.0), (1, 20)), "shorter"),
        (lambda: S.classical_baseline_mse(np.arange(50.0), (2, 1)), "horizons"),
        (lambda: S.make_windows(np.arange(5.0), 3, (1, 2, 4)), "too short"),
        (lambda: S.make_windows(np.ones((5, 2)), 2, (1,)), "1-D"),
        (lambda: S.make_windows(np.arange(9.0), 0, (1,)), "window"),
        (lambda: S.horizon_targets(np.zeros((3, 4)), (1, 8)), "max_H"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_make_windows_values_and_shapes():
    X, Y = S.make_windows(np.arange(10.0), window=3, horizons=(1, 2))
    assert X.shape == (6, 3, 1) and Y.shape == (6, 2)
    assert X.dtype == "float32" and Y.dtype == "float32"
    np.testing.assert_array_equal(X[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(Y[0], [3, 4])
    np.testing.assert_array_equal(X[-1, :, 0], [5, 6, 7])
    np.testing.assert_array_equal(Y[-1], [8, 9])
    # The targets are every step up to max(horizons), whatever the horizons in between.
    X, Y = S.make_windows(np.arange(40.0), 8, (1, 4, 16))
    assert Y.shape == (17, 16)
    np.testing.assert_array_equal(S.horizon_targets(Y, (1, 4, 16))[0], [8, 11, 23])


def test_test_windows_start_at_the_last_training_value():
    train, test = np.arange(20.0), np.arange(20.0, 30.0)
    X, Y = S.make_windows(np.concatenate([train[-4:], test]), 4, (1, 3))
    assert X[0, -1, 0] == train[-1] and Y[0, 0] == test[0]
    assert len(X) == len(test) - 3 + 1


def test_make_windows_copies_its_output():
    series = np.arange(12.0, dtype="float32")
    X, _ = S.make_windows(series, 4, (1,))
    X[0, 0, 0] = 99.0
    assert series[0] == 0.0 and X[1, 0, 0] == 1.0


# --- Issue 15: defaults, window counts, and what classical_baseline_mse's arguments change. ---


def test_default_split_is_a_fifth_and_names_follow_differencing():
    assert S.num_train_steps(309) == 247
    train, test = S.chronological_split(np.arange(10.0))
    assert (len(train), len(test)) == (8, 2)
    half = S.prepare_series("nile", test_fraction=0.5)
    assert (len(half.train), len(half.test)) == (50, 50)
    assert S.prepare_series("nile").name == "nile"
    assert S.prepare_series("nile", difference=True).name == "nile_diff"


@pytest.mark.parametrize("length,window,horizons", [(10, 3, (1, 2)), (20, 4, (1, 5)), (9, 8, (1,))])
def test_make_windows_counts_every_full_window(length, window, horizons):
    X, Y = S.make_windows(np.arange(float(length)), window, horizons)
    num = length - window - max(horizons) + 1  # the last window's farthest target is the last value
    assert X.shape[0] == Y.shape[0] == num
    assert Y[-1, -1] == length - 1


def _ar_series(n=120, offset=5.0, seed=0):
    from keras_patterns.oracles.ar1 import simulate_ar1

    return simulate_ar1(n, seed=seed) + offset


def test_classical_baseline_arguments_each_change_the_forecasts():
    x = _ar_series()
    base = dict(order=(1, 0, 0))
    mse, details = S.classical_baseline_mse(x, (1, 2), **base, return_details=True)
    np.testing.assert_allclose(mse, S.classical_baseline_mse(x, (1, 2), **base, trend="c"))
    assert not np.allclose(mse, S.classical_baseline_mse(x, (1, 2), **base, trend="n"))
    assert not np.allclose(mse, S.classical_baseline_mse(x, (1, 2), **base, method="burg"))
    assert not np.allclose(mse, S.classical_baseline_mse(x, (1, 2), **base, seasonal_order=(1, 0, 0, 4)))
    assert isinstance(S.classical_baseline_mse(x, (1, 2), **base), np.ndarray)  # details only when asked


def test_classical_baseline_never_reads_values_after_the_origin():
    x = _ar_series()
    _, details = S.classical_baseline_mse(x, (1, 2), order=(1, 0, 0), return_details=True)
    changed = x.copy()
    changed[-1] += 10.0  # the future of every origin but the last ones
    _, after = S.classical_baseline_mse(changed, (1, 2), order=(1, 0, 0), return_details=True)
    np.testing.assert_allclose(after["forecasts"][:-2], details["forecasts"][:-2], rtol=0, atol=1e-12)


def test_classical_baseline_times_its_two_phases():
    import time

    start = time.perf_counter()
    _, details = S.classical_baseline_mse(_ar_series(), (1, 2), order=(1, 0, 0), return_details=True)
    elapsed = time.perf_counter() - start
    fit, forecast = details["fit_seconds"], details["forecast_seconds"]
    assert 0 < fit and 0 < forecast and fit + forecast <= elapsed


def test_make_windows_needs_window_plus_max_horizon_values():
    X, _ = S.make_windows(np.arange(5.0), 3, (2,))      # exactly window + max_h values: one window
    assert X.shape == (1, 3, 1)
    with pytest.raises(ValueError, match="at least 5 values"):
        S.make_windows(np.arange(4.0), 3, (2,))
