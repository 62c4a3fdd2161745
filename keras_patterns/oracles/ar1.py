"""Exact answers for multi-step forecasting of a Gaussian AR(1) process.

The process is x_t = phi * x_{t-1} + e_t with e_t ~ N(0, sigma^2), started
from its stationary law N(0, sigma^2 / (1 - phi^2)) so that every window of
it has the same distribution. The chapter's default is phi = 0.9, sigma = 1.

Everything a forecaster of x_{t+H} from the past can achieve is known in
closed form here:

- `optimal_forecast`: the conditional mean phi^H x_t (the Bayes forecast
  under squared error; older values add nothing because AR(1) is Markov).
- `optimal_mse`: its error sigma^2 (1 - phi^(2H)) / (1 - phi^2), the floor
  that no model can beat.
- `iterated_excess_mse`: what an iterated (plug-in) forecaster loses when its
  one-step coefficient is phi_hat instead of phi; its H-step forecast is
  phi_hat^H x_t, so the one-step error compounds (复合误差) through the power.
- `asymptotic_excess_mse`: the expected excess, to first order in 1/n, of the
  two least-squares strategies fit on n samples: iterated (fit one step,
  raise to the power H) and direct (regress x_{t+H} on x_t, a noisier target).

Plain numpy, no Keras. Used in chapter 11.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

from keras_patterns.checks import (
    check_choice,
    check_float_array,
    check_int_array,
    check_number,
    check_positive_int,
    check_positive_ints,
    check_positive_number,
)

PHI = 0.9
"""The chapter's AR(1) coefficient. Used in chapter 11."""

SIGMA = 1.0
"""The chapter's innovation standard deviation. Used in chapter 11."""

STRATEGIES = ("iterated", "direct")
"""The two multi-step strategies of `asymptotic_excess_mse`. Used in chapter 11."""


def _check_process(phi, sigma):
    phi = check_number("phi", phi, low=-1, high=1, include_low=False, include_high=False, hint="a stationary AR(1)")
    return phi, check_positive_number("sigma", sigma)


def stationary_variance(phi=PHI, sigma=SIGMA):
    """Variance of the stationary AR(1), gamma(0) = sigma^2 / (1 - phi^2).

    Args:
        phi: the AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.

    Returns:
        A float: 5.263... for the chapter's phi = 0.9, sigma = 1.

    Example:

    >>> stationary_variance(0.9, 1.0)     # 1 / 0.19
    5.2631578947368...

    Used in chapter 11.
    """
    phi, sigma = _check_process(phi, sigma)
    return sigma**2 / (1.0 - phi**2)


def autocovariance(lags, phi=PHI, sigma=SIGMA):
    """Autocovariance gamma(k) = phi^|k| sigma^2 / (1 - phi^2) of the stationary AR(1).

    Args:
        lags: an integer or an integer array of lags k (any sign).
        phi: the AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.

    Returns:
        A float array with the shape of `lags`.

    Example:

    >>> autocovariance([0, 1, 2], 0.9)      # shape (3,)
    array([5.26315789, 4.73684211, 4.26315789])

    Used in chapter 11.
    """
    phi, sigma = _check_process(phi, sigma)
    k = check_int_array("lags", lags)
    return stationary_variance(phi, sigma) * phi ** np.abs(k).astype("float64")


def simulate_ar1(num_steps, phi=PHI, sigma=SIGMA, *, num_series=None, seed=0):
    """Simulate the stationary Gaussian AR(1) x_t = phi x_{t-1} + e_t.

    The first value is drawn from the stationary law N(0, sigma^2/(1-phi^2)),
    so there is no burn-in and every time step has the same distribution.

    Args:
        num_steps: length of each series.
        phi: the AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.
        num_series: `None` for one series, or the number of independent series.
        seed: seed of the `numpy.random.Generator` (or a `Generator` itself).

    Returns:
        A float64 array of shape `(num_steps,)`, or `(num_series, num_steps)`.

    Example:

    >>> x = simulate_ar1(1000, seed=0)          # shape (1000,)
    >>> xs = simulate_ar1(50, num_series=8)     # shape (8, 50)

    Used in chapter 11.
    """
    phi, sigma = _check_process(phi, sigma)
    num_steps = check_positive_int("num_steps", num_steps)
    num_series = check_positive_int("num_series", num_series, allow_none=True)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows = 1 if num_series is None else num_series
    e = rng.normal(0.0, sigma, size=(rows, num_steps))
    x = np.empty_like(e)
    x[:, 0] = e[:, 0] / np.sqrt(1.0 - phi**2)
    if x.shape[1] > 1:
        # lfilter runs the recursion in C; zi carries x_0 into the first step.
        x[:, 1:], _ = scipy.signal.lfilter([1.0], [1.0, -phi], e[:, 1:], axis=1, zi=phi * x[:, :1])
    return x[0] if num_series is None else x


def optimal_forecast(x_t, horizon, phi=PHI):
    """The Bayes-optimal H-step forecast E[x_{t+H} | x_t, x_{t-1}, ...] = phi^H x_t.

    Args:
        x_t: the last observed value(s), any shape.
        horizon: a positive integer H.
        phi: the AR coefficient, in (-1, 1).

    Returns:
        An array with the shape of `x_t`.

    Example:

    >>> optimal_forecast(np.array([1.0, -2.0]), 2, 0.9)     # shape (2,)
    array([ 0.81, -1.62])

    Used in chapter 11.
    """
    phi, _ = _check_process(phi, 1.0)
    h = check_positive_int("horizon", horizon)
    return phi**h * np.asarray(x_t, dtype="float64")


def optimal_mse(horizons, phi=PHI, sigma=SIGMA):
    """The smallest possible H-step mean squared error, sigma^2 (1 - phi^(2H)) / (1 - phi^2).

    It is the variance of the H innovations that arrive after the forecast
    origin, sum_{j<H} phi^(2j) sigma^2, and it rises from sigma^2 at H = 1 to
    the stationary variance as H grows: the target of a direct forecaster
    gets noisier with the horizon.

    Args:
        horizons: a positive integer H, or an array of them.
        phi: the AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.

    Returns:
        A float array with the shape of `horizons`.

    Example:

    >>> optimal_mse([1, 2, 4, 8, 16])     # shape (5,)
    array([1.        , 1.81      , 2.997541  , 4.28788411, 5.08243769])

    Used in chapter 11.
    """
    phi, sigma = _check_process(phi, sigma)
    h = check_positive_ints("horizons", horizons).astype("float64")
    return sigma**2 * (1.0 - phi ** (2.0 * h)) / (1.0 - phi**2)


def iterated_excess_mse(phi_hat, horizons, phi=PHI, sigma=SIGMA):
    """Extra MSE of the iterated forecast phi_hat^H x_t over the optimal one.

    The error splits into the optimal error and a coefficient-error term,
    E[(x_{t+H} - phi_hat^H x_t)^2] = optimal_mse(H) + (phi^H - phi_hat^H)^2 gamma(0),
    because the future innovations are independent of x_t. This function
    returns the second term, with phi_hat fixed (not fit on the test data).

    Args:
        phi_hat: the forecaster's one-step coefficient(s), any shape.
        horizons: a positive integer H, or an array broadcastable with `phi_hat`.
        phi: the true AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.

    Returns:
        A float array, the broadcast shape of `phi_hat` and `horizons`.

    Example:

    >>> iterated_excess_mse(0.85, [1, 16])      # shape (2,)
    array([0.01315789, 0.06490689])

    Used in chapter 11.
    """
    phi, sigma = _check_process(phi, sigma)
    h = check_positive_ints("horizons", horizons).astype("float64")
    phi_hat = check_float_array("phi_hat", phi_hat)
    return (phi**h - phi_hat**h) ** 2 * stationary_variance(phi, sigma)


def iterated_mse(phi_hat, horizons, phi=PHI, sigma=SIGMA):
    """Total H-step MSE of the iterated forecast phi_hat^H x_t: optimal plus excess.

    Args:
        phi_hat: the forecaster's one-step coefficient(s), any shape.
        horizons: a positive integer H, or an array broadcastable with `phi_hat`.
        phi: the true AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.

    Returns:
        A float array, the broadcast shape of `phi_hat` and `horizons`.

    Example:

    >>> iterated_mse(0.9, [1, 2])      # phi_hat = phi: the optimal MSE, shape (2,)
    array([1.  , 1.81])

    Used in chapter 11.
    """
    return optimal_mse(horizons, phi, sigma) + iterated_excess_mse(phi_hat, horizons, phi, sigma)


def fit_ar1_coefficient(series, horizon=1):
    """Least-squares coefficient of x_{t+H} on x_t (no intercept) from a sample.

    With `horizon=1` it is the one-step estimate phi_hat that an iterated
    forecaster raises to the power H; with `horizon=H` it is the direct
    strategy's estimate of phi^H, fit on the noisier H-step target.

    Args:
        series: a 1-D array (one series) or 2-D `(num_series, num_steps)`
            array, each row fit separately.
        horizon: the positive integer lag H of the regression.

    Returns:
        A float (1-D input) or a float array of shape `(num_series,)`:
        sum_t x_t x_{t+H} / sum_t x_t^2, over t = 0 .. num_steps - H - 1.

    Example:

    >>> fit_ar1_coefficient(simulate_ar1(20_000, seed=1))     # close to 0.9
    0.8964...

    Used in chapter 11.
    """
    x = check_float_array("series", series)
    h = check_positive_int("horizon", horizon)
    if x.ndim not in (1, 2) or x.shape[-1] <= h:
        raise ValueError(
            f"`series` must be 1-D or 2-D with more than `horizon` = {h} steps. Received shape: {x.shape}"
        )
    past, future = x[..., :-h], x[..., h:]
    denom = np.sum(past * past, axis=-1)
    if np.any(denom == 0):
        raise ValueError("`series` is identically zero before the last `horizon` steps; the fit is undefined.")
    coef = np.sum(past * future, axis=-1) / denom
    return float(coef) if x.ndim == 1 else coef


def asymptotic_excess_mse(horizons, num_samples, *, strategy="iterated", phi=PHI, sigma=SIGMA):
    """Expected excess MSE, to first order in 1/n, of a least-squares H-step forecaster.

    Both strategies forecast x_{t+H} linearly from x_t with a coefficient fit
    by least squares on a training series of `num_samples` = n values, and are
    scored on independent test data:

    - "iterated": fit phi_hat on the one-step target, forecast phi_hat^H x_t.
      By the delta method with n Var(phi_hat) -> 1 - phi^2, the excess is
      H^2 phi^(2H-2) sigma^2 / n: it grows with H while H < -1/ln|phi|
      (the compounding of the one-step error), then decays as phi^H -> 0.
    - "direct": regress x_{t+H} on x_t. Its residual is an MA(H-1) of the
      future innovations, so the estimate is noisier; for Gaussian noise,
      n Var(b_H) -> sum_{|k|<H} (phi^(2|k|) - phi^(2H)), and the excess is
      that times gamma(0) / n.

    For a correctly specified AR(1) the direct excess is at least the
    iterated one at every H (equal at H = 1): the price of the noisier target.
    A misspecified one-step model breaks this ordering.

    Args:
        horizons: a positive integer H, or an array of them.
        num_samples: the training-series length n (a positive number).
        strategy: "iterated" or "direct".
        phi: the AR coefficient, in (-1, 1).
        sigma: the innovation standard deviation.

    Returns:
        A float array with the shape of `horizons`.

    Example:

    >>> asymptotic_excess_mse([1, 8], 1000, strategy="iterated")   # shape (2,)
    array([0.001     , 0.01464115])
    >>> asymptotic_excess_mse([1, 8], 1000, strategy="direct")     # shape (2,)
    array([0.001     , 0.02524336])

    Used in chapter 11.
    """
    phi, sigma = _check_process(phi, sigma)
    h = check_positive_ints("horizons", horizons)
    num_samples = check_positive_number("num_samples", num_samples)
    check_choice("strategy", strategy, STRATEGIES)
    hf = h.astype("float64")
    if strategy == "iterated":
        return hf**2 * phi ** (2.0 * hf - 2.0) * sigma**2 / num_samples
    # Long-run variance of x_t u_t, with u_t = x_{t+H} - phi^H x_t: by Isserlis'
    # theorem only the gamma(k) * Cov(u_t, u_{t+k}) products survive, for |k| < H.
    phi2 = phi**2
    sum_powers = 1.0 + 2.0 * phi2 * (1.0 - phi2 ** (hf - 1.0)) / (1.0 - phi2)
    n_var = sum_powers - (2.0 * hf - 1.0) * phi2**hf
    return n_var * stationary_variance(phi, sigma) / num_samples
