"""Tests of keras_patterns.survival_baselines: Kaplan-Meier, the time-varying Cox model's weekly hazards, C^td, Brier.

Each score is checked against an independent computation: lifelines' own estimators (Harrell's C of
`lifelines.utils.concordance_index`, `CoxPHFitter` on static covariates), hand-computed small cases, and the
Rossi set (`keras_patterns.data.rossi`), where nobody is censored before week 52.
"""

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.utils import concordance_index

from keras_patterns import survival_baselines as sb
from keras_patterns.data import rossi


@pytest.fixture(scope="module")
def data():
    return rossi.load_rossi()


@pytest.fixture(scope="module")
def long(data):
    return rossi.person_period(data)


@pytest.fixture(scope="module")
def cox(long):
    return sb.fit_cox_time_varying(long)


def test_kaplan_meier_hand_case():
    # Week 1: 1 of 4 arrested; week 2: 1 of 3 (the censored man is still at risk); week 3: 1 of 1.
    np.testing.assert_allclose(sb.kaplan_meier_curve([1, 2, 2, 3], [1, 1, 0, 1], horizon=4), [0.75, 0.5, 0.0, 0.0])
    assert sb.kaplan_meier([2, 2, 5], [0, 1, 0], horizon=3) == pytest.approx(2 / 3)
    assert sb.kaplan_meier([3.0, 4.0], [1.0, 0.0], horizon=2) == 1.0  # whole-number floats are accepted


def test_kaplan_meier_on_rossi_is_the_share_not_arrested(data):
    """No censoring before week 52: the KM curve is 1 - (arrests so far) / 432."""
    curve = sb.kaplan_meier_curve(data["week"], data["arrest"])
    assert curve.shape == (52,) and curve.dtype == np.float64
    arrested_by = np.array([((data["arrest"] == 1) & (data["week"] <= t)).sum() for t in range(1, 53)])
    np.testing.assert_allclose(curve, 1 - arrested_by / 432, rtol=0, atol=1e-12)
    assert sb.kaplan_meier(data["week"], data["arrest"], 52) == pytest.approx(318 / 432, abs=1e-12)


def test_kaplan_meier_bad_input():
    with pytest.raises(ValueError, match="`time`"):
        sb.kaplan_meier([0, 2], [1, 0])
    with pytest.raises(ValueError, match="`time`"):
        sb.kaplan_meier([1.5, 2], [1, 0])
    with pytest.raises(ValueError, match="`event`"):
        sb.kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError, match=r"`event`.*shape \(2,\).*event.shape=\(3,\)"):
        sb.kaplan_meier([1, 2], [1, 0, 1])
    with pytest.raises(ValueError, match="`horizon`"):
        sb.kaplan_meier_curve([1, 2], [1, 0], horizon=0)


def test_cox_coefficients_on_rossi(cox):
    """The lagged-employment model, coefficients measured with lifelines 0.30.3 (Efron ties; age and prio per
    STANDARDISE scale): employment of the week before lowers the weekly hazard by a factor of about 0.46."""
    measured = {"fin": -0.3670, "age": -0.3079, "race": 0.3290, "wexp": -0.0691, "mar": -0.3420,
                "paro": -0.0740, "prio": 0.2542, "emp": -0.7839}
    assert list(cox.params_.index) == list(measured)
    np.testing.assert_allclose(cox.params_.to_numpy(), list(measured.values()), atol=1e-4)
    assert cox.summary.loc["emp", "p"] < 0.001 and cox.summary.loc["prio", "p"] < 0.01


def test_fox_weisberg_specification(long):
    """unfold(lag = 1) of Fox & Weisberg leaves out week 1 (its lag is NA); in raw units that model reads
    fin -0.351, age -0.050, prio 0.092, employed -0.787 (measured here; see the data card)."""
    fitter = sb.fit_cox_time_varying(long[long["stop"] > 1])
    raw = fitter.params_.copy()
    for name, (_, scale) in rossi.STANDARDISE.items():
        raw[name] = raw[name] / scale
    np.testing.assert_allclose(raw[["fin", "age", "race", "wexp", "mar", "paro", "prio", "emp"]].to_numpy(),
                               [-0.3513, -0.0498, 0.3215, -0.0476, -0.3448, -0.0471, 0.0920, -0.7869], atol=1e-4)


@pytest.mark.filterwarnings("ignore:.*will be keyword-only:DeprecationWarning")  # lifelines' CoxPHFitter on pandas 3
def test_time_varying_cox_with_static_covariates_is_the_ordinary_cox_model(data, long):
    """Static covariates only: the same coefficients and survival curves as CoxPHFitter on (week, arrest)."""
    static = long.drop(columns=["emp"])
    fitter = sb.fit_cox_time_varying(static)
    wide = pd.DataFrame(data["static"].astype("float64"), columns=rossi.STATIC_COLUMNS)
    wide["week"], wide["arrest"] = data["week"], data["arrest"]
    ordinary = CoxPHFitter().fit(wide, duration_col="week", event_col="arrest")
    np.testing.assert_allclose(fitter.params_.to_numpy(), ordinary.params_.to_numpy(), atol=1e-6)
    hazards = sb.cox_weekly_hazards(fitter, static, 432)
    survival = np.cumprod(1 - hazards, axis=1)
    # At the weeks with an arrest (lifelines interpolates its step function between them when asked for others).
    weeks = np.unique(data["week"][data["arrest"] == 1])
    expected = ordinary.predict_survival_function(wide[list(rossi.STATIC_COLUMNS)]).T
    np.testing.assert_array_equal(expected.columns.to_numpy(), weeks)
    at_risk = np.isfinite(survival[:, weeks - 1])
    np.testing.assert_allclose(survival[:, weeks - 1][at_risk], expected.to_numpy()[at_risk], rtol=1e-6)


def test_cox_weekly_hazards_shape_nan_and_formula(data, long, cox):
    hazards = sb.cox_weekly_hazards(cox, long, 432)
    assert hazards.shape == (432, 52) and hazards.dtype == np.float64
    at_risk = np.arange(1, 53)[None, :] <= data["week"][:, None]
    assert np.all(np.isfinite(hazards[at_risk])) and np.all(np.isnan(hazards[~at_risk]))
    assert np.all((hazards[at_risk] >= 0) & (hazards[at_risk] < 1))
    # By hand for man 1 (arrested in week 17, employed in weeks 10..14): dH0 from the baseline, x centred at the
    # fitted frame's mean.
    base = cox.baseline_cumulative_hazard_.iloc[:, 0]
    h0 = np.array([base[base.index <= t].iloc[-1] if (base.index <= t).any() else 0.0 for t in range(0, 53)])
    covariates = list(cox.params_.index)
    mean = long[covariates].mean().to_numpy()
    rows = long[long["id"] == 1]
    linear = (rows[covariates].to_numpy() - mean) @ cox.params_.to_numpy()
    np.testing.assert_allclose(hazards[1, :17], 1 - np.exp(-np.diff(h0)[:17] * np.exp(linear)), rtol=1e-10)
    # A week without an arrest in the data has no baseline increment: hazard 0.
    quiet = sorted(set(range(1, 53)) - set(data["week"][data["arrest"] == 1].tolist()))
    assert quiet and np.all(hazards[:, np.array(quiet) - 1][at_risk[:, np.array(quiet) - 1]] == 0)
    # Employment of the week before lowers that week's hazard (emp's coefficient is negative).
    assert hazards[1, 11] < hazards[1, 8]


def test_cox_weekly_hazards_of_held_out_men(long):
    train = long[long["id"] < 300]
    fitter = sb.fit_cox_time_varying(train)
    hazards = sb.cox_weekly_hazards(fitter, long[long["id"] >= 300], 432, horizon=20)
    assert hazards.shape == (432, 20)
    assert np.all(np.isnan(hazards[:300])) and np.isfinite(hazards[300:, 0]).all()


def test_cox_bad_input(long, cox):
    with pytest.raises(ValueError, match="missing"):
        sb.fit_cox_time_varying(long.drop(columns=["stop"]))
    with pytest.raises(ValueError, match="no covariate"):
        sb.fit_cox_time_varying(long[["id", "start", "stop", "arrest"]])
    with pytest.raises(ValueError, match="one row per week"):
        sb.fit_cox_time_varying(long.assign(stop=long["stop"] + 1))
    with pytest.raises(ValueError, match="pandas DataFrame"):
        sb.fit_cox_time_varying(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="`penalizer`"):
        sb.fit_cox_time_varying(long, penalizer=-1.0)
    with pytest.raises(ValueError, match="num_subjects=10"):
        sb.cox_weekly_hazards(cox, long, 10)
    with pytest.raises(ValueError, match="fitted lifelines"):
        sb.cox_weekly_hazards(object(), long, 432)
    with pytest.raises(ValueError, match=r"lacks the fitter's covariates \['emp'\]"):
        sb.cox_weekly_hazards(cox, long.drop(columns=["emp"]), 432)
    with pytest.raises(ValueError, match="same id and stop"):
        sb.cox_weekly_hazards(cox, pd.concat([long.iloc[:3], long.iloc[:1]]), 432)
    with pytest.raises(ValueError, match="`horizon`"):
        sb.cox_weekly_hazards(cox, long, 432, horizon=0)


def test_concordance_hand_case():
    # Men: 0 arrested in week 1, 1 arrested in week 2, 2 followed through week 3.
    # Comparable pairs: (0, 1) and (0, 2) at week 1, (1, 2) at week 2.
    survival = np.array([[0.5, 0.4, 0.3],
                         [0.7, 0.6, 0.5],
                         [0.5, 0.9, 0.8]])
    # week 1: 0.5 < 0.7 concordant, 0.5 == 0.5 tie; week 2: 0.6 < 0.9 concordant.
    assert sb.time_dependent_concordance(survival, [1, 2, 3], [1, 1, 0]) == pytest.approx(2.5 / 3)
    # A later week of man 0 is not read: C^td reads each pair at the case's own week only.
    survival[0, 2] = 0.99
    assert sb.time_dependent_concordance(survival, [1, 2, 3], [1, 1, 0]) == pytest.approx(2.5 / 3)
    # Entries after a man's time may be NaN (not at risk): they are not read.
    survival[0, 1:] = np.nan
    survival[1, 2] = np.nan
    assert sb.time_dependent_concordance(survival, [1, 2, 3], [1, 1, 0]) == pytest.approx(2.5 / 3)
    # Equal weeks: a man censored in week t outlived one arrested in week t; two arrests in one week are no pair.
    same_week = np.array([[0.2], [0.9], [0.1]])
    assert sb.time_dependent_concordance(same_week, [1, 1, 1], [1, 0, 1]) == 1.0  # pairs (0, 1), (2, 1)
    with pytest.raises(ValueError, match="no comparable pair"):
        sb.time_dependent_concordance(np.array([[0.2], [0.9]]), [1, 1], [1, 1])


def test_concordance_crossing_curves_differ_from_a_single_score():
    """The survival at the case's week decides, not an overall ranking: crossing curves score by week."""
    survival = np.array([[0.9, 0.1, 0.1], [0.8, 0.8, 0.8], [0.95, 0.9, 0.85]])
    time, event = [2, 1, 3], [1, 1, 0]
    # Pairs: (1, 0) and (1, 2) at week 1: 0.8 < 0.9, 0.8 < 0.95; (0, 2) at week 2: 0.1 < 0.9. All concordant.
    assert sb.time_dependent_concordance(survival, time, event) == 1.0
    # Harrell's C of the last week's survival ranks man 0 (0.1) below man 1 (0.8), who was arrested first.
    assert concordance_index(time, survival[:, -1], event) == pytest.approx(2 / 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_concordance_equals_harrell_c_for_a_static_score(seed):
    rng = np.random.default_rng(seed)
    n, horizon = 200, 30
    score = rng.normal(size=n).round(1)  # rounded: ties in the score count 1/2 in both
    time = rng.integers(1, horizon + 1, size=n)
    event = rng.integers(0, 2, size=n)
    survival = np.exp(-np.arange(1, horizon + 1)[None, :] * 0.05 * np.exp(score)[:, None])
    harrell = concordance_index(time, -score, event)
    assert sb.time_dependent_concordance(survival, time, event) == pytest.approx(harrell, abs=1e-12)


def test_concordance_of_the_cox_model_on_rossi(data, long, cox):
    survival = np.cumprod(1 - sb.cox_weekly_hazards(cox, long, 432), axis=1)
    c = sb.time_dependent_concordance(survival, data["week"], data["arrest"])
    assert c == pytest.approx(0.6549, abs=5e-4)  # in-sample, measured
    # Kaplan-Meier gives every man the same curve: every pair is a tie.
    km = np.repeat(sb.kaplan_meier_curve(data["week"], data["arrest"])[None, :], 432, axis=0)
    assert sb.time_dependent_concordance(km, data["week"], data["arrest"]) == 0.5


def test_concordance_bad_input():
    good = np.full((3, 4), 0.5)
    with pytest.raises(ValueError, match="`survival` must be a 2-D array"):
        sb.time_dependent_concordance(np.full(3, 0.5), [1, 2, 3], [1, 0, 1])
    with pytest.raises(ValueError, match=r"`time` must be <= survival.shape\[1\] = 4"):
        sb.time_dependent_concordance(good, [1, 2, 5], [1, 0, 1])
    with pytest.raises(ValueError, match=r"`time` must have one entry per row of the scores \(3\)"):
        sb.time_dependent_concordance(good, [1, 2], [1, 0])
    with pytest.raises(ValueError, match="`event`"):
        sb.time_dependent_concordance(good, [1, 2, 3], [1, 0])
    bad = good.copy()
    bad[1, 0] = np.nan  # man 1 is at risk in week 1, when man 0 is a case
    with pytest.raises(ValueError, match="NaN or infinity at a week it is read"):
        sb.time_dependent_concordance(bad, [1, 2, 3], [1, 0, 1])


def test_brier_without_censoring_is_the_plain_mean(data):
    rng = np.random.default_rng(0)
    s = rng.uniform(size=432)
    alive = (data["week"] > 52) | ((data["week"] == 52) & (data["arrest"] == 0))
    assert sb.brier_at(s, data["week"], data["arrest"], 52) == pytest.approx(np.mean((s - alive) ** 2), abs=1e-12)
    # The same at an earlier horizon (nobody is censored before week 52 either).
    alive26 = data["week"] > 26
    assert sb.brier_at(s, data["week"], data["arrest"], 26) == pytest.approx(np.mean((s - alive26) ** 2), abs=1e-12)
    # Kaplan-Meier's constant S(52) = 318/432 scores p (1 - p).
    p = 318 / 432
    assert sb.brier_at(np.full(432, p), data["week"], data["arrest"], 52) == pytest.approx(p * (1 - p), abs=1e-12)


def test_brier_hand_case_with_censoring():
    # Censoring KM G: nobody censored before week 2; in week 2, 1 of the 3 men still followed -> G = 2/3 from then.
    # Man 0: arrested in week 1, weight 1 / G(0) = 1: 0.2^2. Man 1: censored in week 2 < 3: weight 0.
    # Man 2: arrested in week 3, weight 1 / G(2) = 1.5: 1.5 * 0.6^2. Man 3: followed past 3, 1 / G(2): 1.5 * 0.1^2.
    expected = (0.04 + 0 + 1.5 * 0.36 + 1.5 * 0.01) / 4
    assert sb.brier_at([0.2, 0.5, 0.6, 0.9], [1, 2, 3, 4], [1, 0, 1, 0], horizon=3) == pytest.approx(expected)
    # A man censored in the horizon week itself was followed through it: alive, weight 1 / G(horizon - 1) = 1.
    assert sb.brier_at([0.2, 0.5, 0.9], [1, 3, 4], [1, 0, 0], horizon=3) == pytest.approx((0.04 + 0.25 + 0.01) / 3)
    # Censored in week 2, before the horizon week 3 (1 of the 2 men then followed): G(2) = 1/2, weight 2 for man 2.
    assert sb.brier_at([0.2, 0.5, 0.9], [1, 2, 4], [1, 0, 0], horizon=3) == pytest.approx((0.04 + 0 + 2 * 0.01) / 3)


def test_brier_bad_input():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        sb.brier_at([1.2, 0.5], [1, 2], [1, 0])
    with pytest.raises(ValueError, match="`survival_at_horizon` must be a 1-D array"):
        sb.brier_at([[0.5]], [1], [1])
    with pytest.raises(ValueError, match=r"`time` must have one entry per row of the scores \(2\)"):
        sb.brier_at([0.5, 0.5], [1, 2, 3], [1, 0, 0])
    with pytest.raises(ValueError, match="`horizon`"):
        sb.brier_at([0.5, 0.5], [1, 2], [1, 0], horizon=-1)
