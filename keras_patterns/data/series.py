"""Three real time series shipped with statsmodels, and a classical forecasting baseline.

All three load offline from `statsmodels.api.datasets`:

- `load_sunspots()`: yearly mean sunspot numbers, 1700-2008 (309 values).
- `load_co2()`: CO2 at Mauna Loa in ppmv, weekly 1958-2001 with 59 missing
  weeks; resampled to monthly means and linearly interpolated (526 values,
  March 1958 to December 2001). It trends upward: pass `difference=True` to
  `prepare_series` to forecast monthly changes instead, since a network
  trained on standardised levels cannot extrapolate past its training range.
- `load_nile()`: yearly Nile flow at Aswan, 1871-1970, in 10^8 m^3 (100 values).

`prepare_series` makes the chronological train/test split and standardises
both parts with the training part's mean and standard deviation only.
`make_windows` cuts a series (synthetic or real) into supervised pairs, input
windows and the values that follow them, and `horizon_targets` picks the
columns a direct forecaster predicts. `classical_baseline_mse` fits an ARIMA
once on the training part and scores its forecasts from every origin of the
test part, at the same origins as
`make_windows(np.concatenate([train[-window:], test]), ...)`.

Plain NumPy (statsmodels only inside the loaders and the baseline), no Keras.

Used in chapter 11.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np

from keras_patterns.checks import (
    check_choice,
    check_float_array,
    check_horizons,
    check_number,
    check_positive_int,
)

SERIES_NAMES = ("sunspots", "co2", "nile")
"""Names accepted by `load_series` and `prepare_series`. Used in chapter 11."""

DEFAULT_ARIMA = {
    "sunspots": {"order": (9, 0, 0), "trend": "c", "method": "burg"},
    "co2": {"order": (2, 1, 0), "seasonal_order": (1, 1, 0, 12), "trend": "n"},
    "co2_diff": {"order": (13, 0, 0), "trend": "c", "method": "burg"},
    "nile": {"order": (0, 1, 1), "trend": "n"},
}
"""Classical ARIMA settings per series, for `classical_baseline_mse(**DEFAULT_ARIMA[name])`.

Sunspots: AR(9), the order AIC picks on the training part (AR(1..16)). CO2
levels: the seasonal ARIMA(2,1,0)(1,1,0)_12. CO2 monthly changes
(`"co2_diff"`): AR(13), the order BIC picks, which spans the yearly cycle. Nile: ARIMA(0,1,1), the local-level
model of Durbin & Koopman. The pure AR models are fit by Burg's method,
which gives the same likelihood as the state-space MLE to 0.3 on these
series in a tenth of a second instead of up to 9 s. Used in chapter 11.
"""


def _statsmodels_datasets():
    import statsmodels.api as sm

    return sm.datasets


def load_sunspots():
    """Yearly sunspot numbers, 1700-2008: a float64 array of shape `(309,)`.

    Example:

    >>> load_sunspots().shape
    (309,)

    Used in chapter 11.
    """
    frame = _statsmodels_datasets().sunspots.load_pandas().data
    return frame["SUNACTIVITY"].to_numpy(dtype="float64")


def load_co2():
    """Monthly mean CO2 at Mauna Loa (ppmv), March 1958 - December 2001: shape `(526,)`.

    statsmodels ships weekly flask measurements with 59 missing weeks. They
    are averaged per calendar month (weeks labelled by their Saturday) and
    any month still without data is filled by linear interpolation in time.

    Example:

    >>> load_co2().shape
    (526,)

    Used in chapter 11.
    """
    weekly = _statsmodels_datasets().co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate(method="time")
    return monthly.to_numpy(dtype="float64")


def load_nile():
    """Yearly Nile flow at Aswan, 1871-1970, in 10^8 m^3: shape `(100,)`.

    Example:

    >>> load_nile().shape
    (100,)

    Used in chapter 11.
    """
    frame = _statsmodels_datasets().nile.load_pandas().data
    return frame["volume"].to_numpy(dtype="float64")


_LOADERS = {"sunspots": load_sunspots, "co2": load_co2, "nile": load_nile}


def load_series(name):
    """Load one of `SERIES_NAMES` as a clean 1-D float64 array (no missing values).

    Args:
        name: "sunspots", "co2" or "nile".

    Returns:
        A float64 array of shape `(num_steps,)`, in the series' own units.

    Example:

    >>> load_series("nile")[:3]       # shape (3,)
    array([1120., 1160.,  963.])

    Used in chapter 11.
    """
    check_choice("name", name, SERIES_NAMES)
    return _LOADERS[name]()


def num_train_steps(num_steps, test_fraction=0.2):
    """Length of the training part of a chronological split: the first `num_steps - round(test_fraction * num_steps)`.

    Example:

    >>> num_train_steps(309, 0.2)     # 247 train, 62 test
    247

    Used in chapter 11.
    """
    num_steps = check_positive_int("num_steps", num_steps)
    test_fraction = check_number("test_fraction", test_fraction, low=0, high=1, include_low=False, include_high=False)
    num_test = int(round(test_fraction * num_steps))
    if num_test < 1 or num_test >= num_steps - 1:
        raise ValueError(
            f"test_fraction={test_fraction} leaves no usable train or test part of a series of {num_steps} steps."
        )
    return num_steps - num_test


def chronological_split(series, test_fraction=0.2):
    """Split a series in time order: the first part trains, the last `test_fraction` tests.

    Args:
        series: a 1-D array-like.
        test_fraction: share of the (latest) steps held out, in (0, 1).

    Returns:
        A tuple `(train, test)` of float64 arrays.

    Example:

    >>> train, test = chronological_split(np.arange(10.0), 0.2)
    >>> train.shape, test.shape
    ((8,), (2,))

    Used in chapter 11.
    """
    x = _check_series(series)
    n_train = num_train_steps(len(x), test_fraction)
    return x[:n_train], x[n_train:]


def _check_series(series):
    return check_float_array("series", series, ndim=1, min_size=3, hint="interpolate missing values first")


def standardize(train, test):
    """Standardise both parts with the training part's mean and standard deviation.

    The test part's own statistics are never used, so nothing about the
    future leaks into the inputs.

    Args:
        train: 1-D array.
        test: 1-D array.

    Returns:
        A tuple `(train_z, test_z, mean, std)`.

    Example:

    >>> tr, te, mean, std = standardize(np.array([1.0, 3.0]), np.array([5.0]))
    >>> te        # (5 - 2) / 1, shape (1,)
    array([3.])

    Used in chapter 11.
    """
    train = check_float_array("train", train, ndim=1, min_size=2)
    test = check_float_array("test", test, ndim=1)
    mean, std = float(np.mean(train)), float(np.std(train))
    if not std > 0:
        raise ValueError("The training part is constant (std 0); it cannot be standardised.")
    return (train - mean) / std, (test - mean) / std, mean, std


@dataclasses.dataclass(frozen=True)
class SeriesSplit:
    """A standardised chronological split of a real series.

    Attributes:
        name: the series' name ("co2_diff" for differenced CO2).
        train: standardised training part, float64 `(num_train,)`.
        test: standardised test part, float64 `(num_test,)`.
        mean: training mean in the series' units (of the differences if differenced).
        std: training standard deviation in the same units.

    Used in chapter 11.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    mean: float
    std: float

    @property
    def series(self):
        """Train then test, standardised: the input of `classical_baseline_mse`."""
        return np.concatenate([self.train, self.test])

    @property
    def test_fraction(self):
        """The held-out share, so `chronological_split(self.series, self.test_fraction)` recovers the parts."""
        return len(self.test) / (len(self.train) + len(self.test))


def prepare_series(name, *, test_fraction=0.2, difference=False):
    """Load a series, split it in time order and standardise it with training statistics.

    Args:
        name: "sunspots", "co2" or "nile".
        test_fraction: share of the latest steps held out for testing.
        difference: forecast x_t - x_{t-1} instead of x_t (one value shorter).

    Returns:
        A `SeriesSplit`.

    Example:

    >>> split = prepare_series("sunspots")
    >>> split.train.shape, split.test.shape
    ((247,), (62,))

    Used in chapter 11.
    """
    x = load_series(name)
    if difference:
        x = np.diff(x)
    train, test = chronological_split(x, test_fraction)
    train, test, mean, std = standardize(train, test)
    return SeriesSplit(f"{name}_diff" if difference else name, train, test, mean, std)


def make_windows(series, window, horizons):
    """Cut a 1-D series into input windows and the values that follow each.

    Window i is `series[i : i + window]`; its forecast origin is the last value
    in it, x_t with t = i + window - 1, and its targets are the next
    `max(horizons)` values x_{t+1}, ..., x_{t+max(horizons)}, all of them, so
    that the same pairs train the direct model (columns `h - 1`, see
    `horizon_targets`) and the iterated one (every step, for teacher forcing).

    To forecast a test segment from the end of the training segment, prepend
    the last `window` training values:
    `make_windows(np.concatenate([train[-window:], test]), window, horizons)`;
    its first origin is the last training value, as in `classical_baseline_mse`.

    Args:
        series: a 1-D array-like of floats.
        window: the input length L.
        horizons: increasing positive integers; only their maximum sets `Y`.

    Returns:
        A tuple `(X, Y)` of float32 arrays: `X` of shape `(N, window, 1)` and
        `Y` of shape `(N, max(horizons))`, with `N = len(series) - window - max(horizons) + 1`.

    Example:

    >>> X, Y = make_windows(np.arange(10.0), window=3, horizons=(1, 2))
    >>> X.shape, Y.shape
    ((6, 3, 1), (6, 2))
    >>> X[0, :, 0].tolist(), Y[0].tolist()
    ([0.0, 1.0, 2.0], [3.0, 4.0])

    Used in chapter 11.
    """
    x = check_float_array("series", series, ndim=1).astype("float32")
    window = check_positive_int("window", window)
    max_h = check_horizons(horizons)[-1]
    num = x.shape[0] - window - max_h + 1
    if num < 1:
        raise ValueError(
            f"`series` of length {x.shape[0]} is too short for window={window} and max(horizons)={max_h}: "
            f"it needs at least {window + max_h} values."
        )
    # sliding_window_view shares memory with `x`; copy so callers can edit windows safely.
    frames = np.lib.stride_tricks.sliding_window_view(x, window + max_h)[:num].copy()
    return frames[:, :window, None], frames[:, window:]


def horizon_targets(Y, horizons):
    """Select the columns of `Y` (from `make_windows`) that a direct model predicts.

    Args:
        Y: array of shape `(N, max_H)`, column `k` holding x_{t+k+1}.
        horizons: increasing positive integers, at most `Y.shape[1]`.

    Returns:
        An array of shape `(N, len(horizons))`: x_{t+h} for each h.

    Example:

    >>> X, Y = make_windows(np.arange(40.0), 8, (1, 4, 16))
    >>> horizon_targets(Y, (1, 4, 16)).shape
    (17, 3)

    Used in chapter 11.
    """
    horizons = check_horizons(horizons)
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] < horizons[-1]:
        raise ValueError(
            f"`Y` must have shape (N, max_H) with max_H >= max(horizons) = {horizons[-1]}. "
            f"Received: Y with shape {Y.shape}, horizons={horizons}"
        )
    return Y[:, np.asarray(horizons) - 1]


def classical_baseline_mse(series, horizons, *, test_fraction=0.2, order=(2, 0, 0), seasonal_order=(0, 0, 0, 0),
                           trend="c", method=None, return_details=False):
    """MSE per horizon of an ARIMA fit once on the training part, forecasting from every test origin.

    The model is fit on the training part only (maximum likelihood, or `method`). Its
    parameters are then frozen and the state-space filter is run over the
    whole series (`ARIMAResults.append(test, refit=False)`), so the forecast
    from origin t uses the data up to t and nothing later. Origins run from
    the last training value to the last value that still has `max(horizons)`
    values after it: the origins of
    `make_windows(np.concatenate([train[-window:], test]), window, horizons)`.

    Args:
        series: the whole 1-D series, train then test (e.g. `SeriesSplit.series`).
            The MSE is in its units: pass the standardised series to compare
            with networks trained on it.
        horizons: increasing positive integers.
        test_fraction: the held-out share, as in `chronological_split`.
        order: ARIMA (p, d, q).
        seasonal_order: seasonal (P, D, Q, s).
        trend: statsmodels' trend: "n", "c", "t" or "ct" ("c" needs d = D = 0).
        method: `ARIMA.fit`'s estimation method; `None` is the state-space
            MLE, "burg" is much faster for pure AR orders (p, 0, 0).
        return_details: also return the forecasts, targets and timing.

    Returns:
        A float64 array of shape `(len(horizons),)`; with `return_details`, a
        tuple `(mse, details)` where `details` holds `forecasts` and `targets`
        (both `(num_origins, max(horizons))`), `origins`, `fit_seconds` and
        `forecast_seconds`.

    Example:

    >>> split = prepare_series("sunspots")
    >>> classical_baseline_mse(split.series, (1, 2, 4), **DEFAULT_ARIMA["sunspots"]).shape
    (3,)

    Used in chapter 11.
    """
    from statsmodels.tsa.arima.model import ARIMA

    x = _check_series(series)
    horizons = check_horizons(horizons)
    max_h = horizons[-1]
    n_train = num_train_steps(len(x), test_fraction)
    origins = np.arange(n_train - 1, len(x) - max_h)
    if len(origins) < 1:
        raise ValueError(
            f"The test part ({len(x) - n_train} values) is shorter than max(horizons)={max_h}; "
            "lower the horizons or raise test_fraction."
        )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Convergence and frequency warnings are expected on short yearly series; the fit is checked by its error.
        warnings.simplefilter("ignore")
        model = ARIMA(x[:n_train], order=order, seasonal_order=seasonal_order, trend=trend)
        fitted = model.fit() if method is None else model.fit(method=method)
        full = fitted.append(x[n_train:], refit=False)
        fit_seconds = time.perf_counter() - start
        forecasts = np.empty((len(origins), max_h))
        for i, t in enumerate(origins):
            # dynamic=True: steps after t+1 are forecast from forecasts, never from data after t.
            forecasts[i] = full.get_prediction(start=t + 1, end=t + max_h, dynamic=True).predicted_mean
    forecast_seconds = time.perf_counter() - start - fit_seconds
    targets = np.stack([x[t + 1:t + 1 + max_h] for t in origins])
    columns = np.asarray(horizons) - 1
    mse = np.mean((forecasts[:, columns] - targets[:, columns]) ** 2, axis=0)
    if not return_details:
        return mse
    return mse, {
        "forecasts": forecasts,
        "targets": targets,
        "origins": origins,
        "fit_seconds": fit_seconds,
        "forecast_seconds": forecast_seconds,
    }
