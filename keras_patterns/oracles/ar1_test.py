import numpy as np
import pytest
from statsmodels.tsa.arima_process import ArmaProcess, arma_acovf
from statsmodels.tsa.ar_model import AutoReg

from keras_patterns.oracles import ar1

HORIZONS = np.array([1, 2, 4, 8, 16])


@pytest.mark.parametrize("phi,sigma", [(0.9, 1.0), (0.5, 2.0), (-0.7, 0.3)])
def test_optimal_mse_is_the_sum_of_squared_ma_weights(phi, sigma):
    # Independent route: the H-step error is sigma^2 * sum_{j<H} psi_j^2 over the MA(inf) weights.
    psi = ArmaProcess(ar=[1.0, -phi], ma=[1.0]).arma2ma(int(HORIZONS.max()))
    expected = [sigma**2 * np.sum(psi[:h] ** 2) for h in HORIZONS]
    np.testing.assert_allclose(ar1.optimal_mse(HORIZONS, phi, sigma), expected, rtol=1e-10)


@pytest.mark.parametrize("phi,sigma", [(0.9, 1.0), (-0.3, 1.7)])
def test_autocovariance_matches_statsmodels(phi, sigma):
    expected = arma_acovf(np.array([1.0, -phi]), np.array([1.0]), nobs=20, sigma2=sigma**2)
    np.testing.assert_allclose(ar1.autocovariance(np.arange(20), phi, sigma), expected, rtol=1e-6)
    assert ar1.stationary_variance(phi, sigma) == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(ar1.autocovariance([-3, 3], phi, sigma), [expected[3]] * 2, rtol=1e-12)


def test_optimal_mse_rises_from_sigma2_to_the_stationary_variance():
    mse = ar1.optimal_mse(np.arange(1, 200))
    assert mse[0] == pytest.approx(1.0)
    assert np.all(np.diff(mse[:100]) > 0)
    assert mse[-1] == pytest.approx(ar1.stationary_variance(), rel=1e-8)


def test_iterated_mse_is_optimal_plus_coefficient_error():
    # Exact identity: E[(x_{t+H} - c x_t)^2] = gamma(0) - 2 c gamma(H) + c^2 gamma(0) with c = phi_hat^H.
    phi_hat = np.array([0.7, 0.85, 0.9, 0.95])[:, None]
    gamma = arma_acovf(np.array([1.0, -0.9]), np.array([1.0]), nobs=17)
    c = phi_hat**HORIZONS
    direct_expansion = gamma[0] - 2 * c * gamma[HORIZONS] + c**2 * gamma[0]
    np.testing.assert_allclose(ar1.iterated_mse(phi_hat, HORIZONS), direct_expansion, rtol=1e-6)
    np.testing.assert_allclose(ar1.iterated_excess_mse(0.9, HORIZONS), 0.0, atol=1e-12)


def test_forecasts_and_errors_match_simulation():
    # Simulate many futures from stationary starting points and score the closed forms.
    rng = np.random.default_rng(0)
    paths = ar1.simulate_ar1(17, num_series=200_000, seed=rng)
    x_t, future = paths[:, 0], paths[:, 1:]
    sd = np.sqrt(ar1.optimal_mse(HORIZONS))
    for h, s in zip(HORIZONS, sd):
        err = future[:, h - 1] - ar1.optimal_forecast(x_t, int(h))
        # Mean within 5 standard errors, MSE within 2 %.
        assert abs(err.mean()) < 5 * s / np.sqrt(len(err)), h
        assert np.mean(err**2) == pytest.approx(ar1.optimal_mse(int(h)), rel=0.02), h
        # The optimal error is uncorrelated with the last value (orthogonality of the conditional mean).
        assert abs(np.corrcoef(err, x_t)[0, 1]) < 0.02, h
        for phi_hat in (0.8, 0.95):
            mse = np.mean((future[:, h - 1] - phi_hat**h * x_t) ** 2)
            assert mse == pytest.approx(ar1.iterated_mse(phi_hat, int(h)), rel=0.02), (h, phi_hat)


def test_simulation_is_stationary_from_the_first_step():
    paths = ar1.simulate_ar1(30, num_series=100_000, seed=1)
    np.testing.assert_allclose(paths.var(axis=0)[[0, 1, 29]], ar1.stationary_variance(), rtol=0.03)
    lag1 = np.mean(paths[:, 0] * paths[:, 1])
    assert lag1 == pytest.approx(ar1.autocovariance(1), rel=0.03)


def test_simulation_follows_the_recursion_exactly():
    a = ar1.simulate_ar1(50, 0.6, 2.0, seed=3)
    rng = np.random.default_rng(3)
    e = rng.normal(0.0, 2.0, size=(1, 50))[0]
    expected = np.empty(50)
    expected[0] = e[0] / np.sqrt(1 - 0.36)
    for t in range(1, 50):
        expected[t] = 0.6 * expected[t - 1] + e[t]
    np.testing.assert_allclose(a, expected, rtol=1e-12)
    np.testing.assert_array_equal(ar1.simulate_ar1(50, seed=7), ar1.simulate_ar1(50, seed=7))


def test_fitted_coefficient_matches_least_squares_and_statsmodels():
    x = ar1.simulate_ar1(3000, seed=2)
    for h in (1, 4):
        lstsq = np.linalg.lstsq(x[:-h, None], x[h:], rcond=None)[0][0]
        assert ar1.fit_ar1_coefficient(x, h) == pytest.approx(lstsq, rel=1e-10)
    autoreg = AutoReg(x, lags=1, trend="n").fit().params[0]
    assert ar1.fit_ar1_coefficient(x) == pytest.approx(autoreg, rel=1e-8)
    rows = np.stack([x[:1000], x[1000:2000]])
    np.testing.assert_allclose(
        ar1.fit_ar1_coefficient(rows), [ar1.fit_ar1_coefficient(r) for r in rows], rtol=1e-12
    )


@pytest.mark.parametrize("strategy", ar1.STRATEGIES)
def test_asymptotic_excess_matches_monte_carlo(strategy):
    # Fit each strategy on 2000 independent training series and score the exact excess of each fit.
    n, horizons = 4000, np.array([1, 2, 4, 8])
    train = ar1.simulate_ar1(n, num_series=2000, seed=11)
    gamma0 = ar1.stationary_variance()
    for h in horizons:
        if strategy == "iterated":
            excess = ar1.iterated_excess_mse(ar1.fit_ar1_coefficient(train), int(h))
        else:
            excess = (0.9**h - ar1.fit_ar1_coefficient(train, int(h))) ** 2 * gamma0
        expected = ar1.asymptotic_excess_mse(int(h), n, strategy=strategy)
        # Monte Carlo error is about 3 % (chi-square with 2000 draws); first-order terms add a few %.
        assert excess.mean() == pytest.approx(expected, rel=0.12), (strategy, h)


def test_direct_excess_is_never_below_iterated_and_equal_at_one_step():
    h = np.arange(1, 40)
    direct = ar1.asymptotic_excess_mse(h, 1000, strategy="direct")
    iterated = ar1.asymptotic_excess_mse(h, 1000, strategy="iterated")
    assert direct[0] == pytest.approx(iterated[0], rel=1e-12)
    assert direct[0] == pytest.approx((1 - 0.9**2) * ar1.stationary_variance() / 1000, rel=1e-12)
    assert np.all(direct[1:] > iterated[1:])
    # The iterated excess compounds, then fades as phi^H forgets the origin: its peak is near -1/ln(phi).
    assert 8 <= np.argmax(iterated) + 1 <= 10


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: ar1.optimal_mse([1, 0]), "horizons"),
        (lambda: ar1.optimal_mse([1.5]), "horizons"),
        (lambda: ar1.optimal_mse(2, phi=1.0), "phi"),
        (lambda: ar1.optimal_mse(2, sigma=0.0), "sigma"),
        (lambda: ar1.optimal_forecast(1.0, [1, 2]), "horizon"),
        (lambda: ar1.simulate_ar1(0), "num_steps"),
        (lambda: ar1.simulate_ar1(5, num_series=0), "num_series"),
        (lambda: ar1.fit_ar1_coefficient(np.ones(3), 3), "series"),
        (lambda: ar1.asymptotic_excess_mse(1, 100, strategy="both"), "strategy"),
        (lambda: ar1.asymptotic_excess_mse(1, 0), "num_samples"),
        (lambda: ar1.iterated_excess_mse(np.nan, 1), "phi_hat"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- Issue 15: defaults, prefixes and the sigma^2 scaling of every error. ---


def test_simulate_ar1_default_seed_is_zero_and_shorter_series_are_prefixes():
    np.testing.assert_array_equal(ar1.simulate_ar1(20), ar1.simulate_ar1(20, seed=0))
    long = ar1.simulate_ar1(50, seed=3)
    for n in (1, 2, 3, 10):
        np.testing.assert_allclose(ar1.simulate_ar1(n, seed=3), long[:n], rtol=0, atol=1e-12)
    # A Generator is used as it is: two calls on one generator continue its stream.
    rng = np.random.default_rng(3)
    first, second = ar1.simulate_ar1(5, seed=rng), ar1.simulate_ar1(5, seed=rng)
    assert not np.allclose(first, second)
    np.testing.assert_allclose(first, long[:5], atol=1e-12)


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_every_error_scales_with_sigma_squared(sigma):
    horizons = [1, 2, 5]
    base = dict(phi=0.8, sigma=1.0)
    scaled = dict(phi=0.8, sigma=sigma)
    s2 = sigma**2
    np.testing.assert_allclose(ar1.optimal_mse(horizons, **scaled), s2 * ar1.optimal_mse(horizons, **base))
    np.testing.assert_allclose(ar1.iterated_excess_mse(0.7, horizons, **scaled),
                               s2 * ar1.iterated_excess_mse(0.7, horizons, **base))
    np.testing.assert_allclose(ar1.iterated_mse(0.7, horizons, **scaled), s2 * ar1.iterated_mse(0.7, horizons, **base))
    for strategy in ("iterated", "direct"):
        np.testing.assert_allclose(ar1.asymptotic_excess_mse(horizons, 500, strategy=strategy, **scaled),
                                   s2 * ar1.asymptotic_excess_mse(horizons, 500, strategy=strategy, **base))
    np.testing.assert_allclose(ar1.autocovariance([0, 3], **scaled), s2 * ar1.autocovariance([0, 3], **base))


def test_asymptotic_excess_mse_default_is_iterated_with_its_closed_form():
    h = np.array([1, 3, 8])
    phi, sigma, n = 0.7, 1.5, 400
    by_hand = h**2 * phi ** (2 * h - 2) * sigma**2 / n
    np.testing.assert_allclose(ar1.asymptotic_excess_mse(h, n, phi=phi, sigma=sigma), by_hand, rtol=1e-12)
    np.testing.assert_allclose(ar1.asymptotic_excess_mse(h, n, strategy="iterated", phi=phi, sigma=sigma), by_hand)


def test_fit_ar1_coefficient_returns_a_python_float_for_one_series():
    coef = ar1.fit_ar1_coefficient(ar1.simulate_ar1(300, seed=1))
    assert type(coef) is float


def test_optimal_forecast_is_float64_whatever_the_input_dtype():
    # phi**h is a Python float: without the cast a float32 input would give a float32 forecast.
    out = ar1.optimal_forecast(np.array([1.0, 2.0], dtype="float32"), 2, 0.9)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [0.81, 1.62], rtol=1e-15)
