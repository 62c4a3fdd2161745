"""Chapter 05's generator: shapes, censoring rules, and its frequencies against the exact survival."""

import numpy as np
import pytest

from keras_patterns.data import hazards
from keras_patterns.oracles import hazards as oracle


@pytest.fixture(scope="module")
def big():
    return hazards.sample_follow_up(20000, seed=3)


def test_shapes_and_dtypes():
    d = hazards.sample_follow_up(7, seed=1)
    assert d["x"].shape == (7, 52, 4) and d["x"].dtype == np.float32
    assert d["hazard"].shape == (7, 52) and d["survival"].shape == (7,)
    for key in ("time", "event", "latent_time", "alive"):
        assert d[key].dtype == np.int32 and d[key].shape == (7,)
    assert np.allclose(d["x"][:, :, 3], np.arange(1, 53) / 52)
    assert np.array_equal(d["x"][:, :, 2], d["employed"])
    assert np.allclose(d["x"][:, 0, 0], d["fin"]) and np.allclose(d["x"][:, 5, 1], d["age"].astype("float32"))


def test_deterministic_per_seed():
    a, b = hazards.sample_follow_up(50, seed=4), hazards.sample_follow_up(50, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["time"], hazards.sample_follow_up(50, seed=5)["time"])


def test_hazard_and_survival_are_the_oracles(big):
    assert np.allclose(big["hazard"], oracle.true_hazards(big["x"]))
    assert np.allclose(big["survival"], np.prod(1 - big["hazard"], axis=1))


def test_censoring_rules(big):
    t, e, latent = big["time"], big["event"], big["latent_time"]
    assert t.min() >= 1 and t.max() <= 52
    assert np.all(t[e == 1] == latent[e == 1])           # an event is seen in its week
    assert np.all(latent[e == 0] > t[e == 0])            # a censored subject had no event by its time
    assert np.array_equal(big["alive"], (latent > 52).astype("int32"))
    assert ((e == 0) & (t < 52)).mean() > 0.2            # dropout censors about a third before week 52


def test_no_dropout_means_administrative_censoring_only():
    d = hazards.sample_follow_up(2000, seed=6, dropout=0.0)
    assert np.all(d["time"][d["event"] == 0] == 52)
    assert np.array_equal(d["alive"], 1 - d["event"])


def test_frequencies_match_the_exact_survival(big):
    # the share alive at week 52 estimates the mean exact survival; 4 standard errors
    se = np.sqrt(big["survival"].mean() * (1 - big["survival"].mean()) / len(big["alive"]))
    assert abs(big["alive"].mean() - big["survival"].mean()) < 4 * se
    # and within a risk group: the employed-all-year subjects survive more
    steady = big["employed"].mean(axis=1) > 0.8
    assert abs(big["alive"][steady].mean() - big["survival"][steady].mean()) < 0.03
    assert big["survival"][steady].mean() > big["survival"][~steady].mean() + 0.1


def test_employment_chain(big):
    e = big["employed"].astype(float)
    assert abs(e[:, 0].mean() - hazards.P_START) < 0.02
    keep = (e[:, 1:] * e[:, :-1]).sum() / e[:, :-1].sum()
    find = ((1 - e[:, :-1]) * e[:, 1:]).sum() / (1 - e[:, :-1]).sum()
    assert abs(keep - hazards.P_KEEP) < 0.01 and abs(find - hazards.P_FIND) < 0.01


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_subjects=0), "num_subjects"),
    (dict(num_subjects=3, dropout=1.0), "dropout"),
    (dict(num_subjects=3, seed=-1), "seed"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        hazards.sample_follow_up(**kwargs)
