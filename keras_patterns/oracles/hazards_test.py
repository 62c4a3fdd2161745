"""The exact hazards and survival of chapter 05's generator, against hand values and brute force."""

import itertools

import numpy as np
import pytest

from keras_patterns.oracles import hazards as oracle


def test_true_hazards_by_hand():
    x = np.zeros((1, 2, 4))
    x[0, :, 0] = 1.0   # aid
    x[0, :, 1] = 0.5   # half an SD of age
    x[0, 1, 2] = 1.0   # employed in week 2
    u2 = (1 - oracle.RHO) * 1.0
    logits = [oracle.A_LATE + oracle.A_EARLY + oracle.B_FIN + 0.5 * oracle.B_AGE,
              oracle.A_LATE + oracle.A_EARLY * np.exp(-1 / oracle.A_DECAY) + oracle.B_FIN + 0.5 * oracle.B_AGE + oracle.B_WORK * u2]
    assert np.allclose(oracle.true_hazards(x)[0], 1 / (1 + np.exp(-np.array(logits))))


def test_week_column_is_not_read():
    x = np.random.default_rng(0).random((3, 5, 4))
    y = x.copy(); y[:, :, 3] = 7.0
    assert np.allclose(oracle.true_hazards(x), oracle.true_hazards(y))


def test_employment_record_recursion():
    e = np.array([[1, 1, 0, 1]], float)
    u, want = 0.0, []
    for v in e[0]:
        u = 0.8 * u + 0.2 * v
        want.append(u)
    assert np.allclose(oracle.employment_record(e, rho=0.8)[0], want)


def test_survival_is_the_probability_of_no_event_by_enumeration():
    h = np.array([[0.1, 0.3, 0.2], [0.5, 0.0, 0.9]])
    for row, s in zip(h, oracle.discrete_survival(h)):
        # every outcome of three weekly draws, stopping at the first event
        total_none = 0.0
        for draws in itertools.product([0, 1], repeat=3):
            p = np.prod([row[t] if d else 1 - row[t] for t, d in enumerate(draws)])
            total_none += p * (sum(draws) == 0)
        assert abs(s - total_none) < 1e-12


def test_exponential_formula_is_above_the_product():
    h = np.random.default_rng(1).uniform(0, 0.2, (50, 52))
    gap = oracle.survival_gap(h)
    assert np.all(gap > 0)
    # second order: exp(-sum h) - prod(1 - h) is close to S * sum h^2 / 2 for small h
    small = h * 0.05
    approx = oracle.discrete_survival(small) * (small ** 2).sum(axis=1) / 2
    assert np.allclose(oracle.survival_gap(small), approx, rtol=0.05)


def test_brier_scores():
    assert oracle.brier_score(np.array([1.0, 0.25]), np.array([1, 0])) == pytest.approx(0.25 ** 2 / 2)
    assert oracle.expected_brier(np.array([0.5, 1.0])) == pytest.approx(0.125)


def test_expected_brier_is_the_oracle_mean_by_simulation():
    s = np.random.default_rng(2).uniform(0.2, 0.9, 4000)
    alive = (np.random.default_rng(3).random((50, 4000)) < s).astype(int)
    mean_brier = np.mean([oracle.brier_score(s, a) for a in alive])
    assert abs(mean_brier - oracle.expected_brier(s)) < 0.002


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 3, 3)), "4 features"),
    (np.zeros((2, 3)), "subjects, weeks, 4"),
])
def test_true_hazards_refuses_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        oracle.true_hazards(bad)


def test_survival_refuses_non_probabilities():
    with pytest.raises(ValueError, match="probabilities"):
        oracle.discrete_survival(np.array([[0.5, 1.5]]))
    with pytest.raises(ValueError, match="0/1"):
        oracle.brier_score(np.array([0.5]), np.array([2]))
