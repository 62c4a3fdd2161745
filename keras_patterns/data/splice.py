"""Real DNA: primate splice junctions (UCI / StatLog) and E. coli promoters, read from R's data files.

Two classic sets of Towell, Shavlik & Noordewier (UCI "molecular biology" databases), as R packages ship
them; `pyreadr` reads the `.rda` files without R:

- `load_splice_junctions()`: 3,186 primate sequences of 60 bases centred on a candidate splice
  junction, from the StatLog version in the R package **mlbench** (`data/DNA.rda`). Classes (`SPLICE_CLASSES`):
  `"ei"` (exon→intron, the donor site: the intron starts with GT), `"ie"` (intron→exon, the acceptor site:
  the intron ends with AG) and `"n"` (neither). The junction lies between bases `SPLICE_JUNCTION - 1`
  and `SPLICE_JUNCTION` (0-based; positions -30..-1 | +1..+30 of the UCI description).
  StatLog codes each base in 3 bits (`STATLOG_BITS`: A=100, C=010, G=001, T=000), 180 columns in all;
  the loader decodes them.
- `load_promoters()`: 106 E. coli sequences of 57 bases (positions -50..+7), 53 promoters and 53
  non-promoters, from the R package **kernlab** (`data/promotergene.rda`).

The files come from Debian's `r-cran-mlbench` and `r-cran-kernlab`, unpacked at install time
(`make data`: `apt-get download` and `dpkg -x`, no R) into `data_dir()`; nothing is downloaded
when a loader runs. A missing file raises `FileNotFoundError` naming that command.

Both loaders return base ids coded `A=0, C=1, G=2, T=3` (as `keras_patterns.data.motifs`) and the
float32 one-hot input of the recurrent trunk. Plain NumPy, no Keras.

Used in chapter 03.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import numpy as np

from keras_patterns.checks import check_choice, check_float_array, check_int, check_int_array, check_number, check_positive_int
from keras_patterns.data.motifs import one_hot

SPLICE_CLASSES = ("ei", "ie", "n")
"""Class names of the splice junctions, in label-id order. Used in chapter 03."""

SPLICE_JUNCTION = 30
"""Index of the first base after the junction: it lies between bases 29 and 30 (0-based). Used in chapter 03."""

SPLICE_COUNTS = {"ei": 767, "ie": 765, "n": 1654}
"""Sequences per class in the StatLog set (3,186 in all). Used in chapter 03."""

PROMOTER_CLASSES = ("non-promoter", "promoter")
"""Class names of the promoter set, in label-id order (kernlab's `-` and `+`). Used in chapter 03."""

STATLOG_BITS = {"A": (1, 0, 0), "C": (0, 1, 0), "G": (0, 0, 1), "T": (0, 0, 0)}
"""StatLog's three indicator bits of each base (mlbench's documentation of `DNA`). Used in chapter 03."""

DATA_ENV = "KP_DATA_DIR"
"""Environment variable naming the folder of the data files, in place of `data_dir()`'s default."""

FILES = {"splice": ("DNA.rda", "mlbench", "r-cran-mlbench"),
         "promoters": ("promotergene.rda", "kernlab", "r-cran-kernlab")}
"""File, R package and Debian package of each set."""

FETCH_HINT = ("run `make data` at the course root (apt-get download {deb}, then dpkg -x; it puts {file} in "
              "{folder}), or set ${env} to a folder holding {file}")


def data_dir():
    """The folder the loaders read: `$KP_DATA_DIR`, else `<sys.prefix>/share/kp-data` (where `make data` puts the files).

    Example:

    >>> data_dir().name
    'kp-data'
    """
    given = os.environ.get(DATA_ENV)
    return Path(given) if given else Path(sys.prefix) / "share" / "kp-data"


def data_file(which, folder=None):
    """The path of a set's `.rda` file, checked to exist.

    Looks in `folder` if given, else in `data_dir()` and then in the R library of Debian's package
    (`/usr/lib/R/site-library/PACKAGE/data/`, where `apt-get install r-cran-mlbench` puts it).

    Args:
        which: `"splice"` or `"promoters"`.
        folder: a folder holding the file, or None.

    Returns:
        A `pathlib.Path`.

    Raises:
        FileNotFoundError: the file is in none of those places; the message says how to fetch it.

    Used in chapter 03.
    """
    name, package, deb = FILES[check_choice("which", which, tuple(FILES))]
    places = [Path(folder)] if folder is not None else [data_dir(), Path("/usr/lib/R/site-library") / package / "data"]
    for place in places:
        if (place / name).is_file():
            return place / name
    hint = FETCH_HINT.format(deb=deb, file=name, folder=places[0], env=DATA_ENV)
    raise FileNotFoundError(f"{name} (R package {package}) is not in {', '.join(map(str, places))}: {hint}")


@functools.lru_cache(maxsize=4)
def _read_frame(path):
    try:
        import pyreadr
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError("the real DNA loaders read R's .rda files with pyreadr: "
                                  "`pip install pyreadr==0.5.8` (pinned in pyproject.toml)") from error
    frames = pyreadr.read_r(path)
    if len(frames) != 1:
        raise ValueError(f"{path} holds {len(frames)} objects ({list(frames)}), expected one data frame")
    return next(iter(frames.values()))


def decode_statlog_bits(bits):
    """StatLog's 3 indicator bits per base to base ids.

    Args:
        bits: 0/1 int array `(N, 3 * T)`: bases `t` in columns `3t, 3t + 1, 3t + 2`, coded as `STATLOG_BITS`.

    Returns:
        An int32 array `(N, T)` of base ids, `A=0, C=1, G=2, T=3`.

    Raises:
        ValueError: a triple has more than one 1 (no base is coded so).

    Example:

    >>> decode_statlog_bits([[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0]]).tolist()   # A, T, G, C
    [[0, 3, 2, 1]]

    Used in chapter 03.
    """
    bits = check_int_array("bits", bits, ndim=2, low=0, high=2, what="StatLog indicator bits")
    if bits.shape[1] % 3:
        raise ValueError(f"`bits` must have 3 columns per base. Received: bits.shape={bits.shape}")
    triples = bits.reshape(len(bits), -1, 3)
    bad = triples.sum(axis=-1) > 1
    if bad.any():
        row, base = map(int, np.argwhere(bad)[0])
        raise ValueError(f"`bits` row {row}, base {base}: {triples[row, base].tolist()} codes no base "
                         "(StatLog: A=100, C=010, G=001, T=000)")
    # T = 000 is the only triple without a 1; the others are A, C, G in bit order.
    return np.where(triples.any(axis=-1), triples.argmax(axis=-1), 3).astype("int32")


def _frame_array(frame, columns):
    return np.asarray(frame[columns].to_numpy(dtype=str))


def _read_only(array):
    array.setflags(write=False)
    return array


@functools.lru_cache(maxsize=4)
def _splice_cached(path):
    frame = _read_frame(path)
    columns = [c for c in frame.columns if c != "Class"]
    if "Class" not in frame.columns or not columns or columns != [f"V{i}" for i in range(1, len(columns) + 1)] \
            or len(columns) % 3:
        raise ValueError(f"{path}: not mlbench's DNA frame (columns V1..V180, 3 per base, and Class); "
                         f"found {list(frame.columns)[:4]}...")
    bits = _frame_array(frame, columns).astype("int64")
    names = _frame_array(frame, ["Class"])[:, 0]
    unknown = sorted(set(names) - set(SPLICE_CLASSES))
    if unknown:
        raise ValueError(f"{path}: unknown classes {unknown}, expected {SPLICE_CLASSES}")
    ids = decode_statlog_bits(bits)
    labels = np.array([SPLICE_CLASSES.index(n) for n in names], dtype="int32")
    return _read_only(ids), _read_only(labels)


def load_splice_junctions(folder=None):
    """The 3,186 primate splice-junction sequences (StatLog DNA, R package mlbench), decoded.

    Args:
        folder: a folder holding `DNA.rda`; by default `data_dir()` (then Debian's R library).

    Returns:
        A dict: `"x"` float32 `(3186, 60, 4)` one-hot input; `"ids"` int32 `(3186, 60)` base ids
        (A=0 C=1 G=2 T=3); `"labels"` int32 `(3186,)` class ids into `"classes"`, the tuple
        `SPLICE_CLASSES` (`"ei"`, `"ie"`, `"n"`); `"junction"` the int `SPLICE_JUNCTION` (30: the junction
        lies between bases 29 and 30). `ids` and `labels` are read-only (they are cached).

    Raises:
        FileNotFoundError: `DNA.rda` is missing; the message names the command that fetches it (`make data`).

    Example:

    >>> data = load_splice_junctions()
    >>> data["x"].shape, data["x"].dtype, np.bincount(data["labels"]).tolist(), data["junction"]
    ((3186, 60, 4), dtype('float32'), [767, 765, 1654], 30)

    Used in chapter 03.
    """
    ids, labels = _splice_cached(str(data_file("splice", folder)))
    return {"x": one_hot(ids), "ids": ids, "labels": labels, "classes": SPLICE_CLASSES, "junction": SPLICE_JUNCTION}


@functools.lru_cache(maxsize=4)
def _promoters_cached(path):
    frame = _read_frame(path)
    columns = [f"V{i}" for i in range(2, 59)]
    missing = [c for c in columns + ["Class"] if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: not kernlab's promotergene frame (columns Class, V2..V58); missing {missing[:3]}")
    letters = np.char.upper(_frame_array(frame, columns))
    unknown = sorted(set(letters.ravel()) - set("ACGT"))
    if unknown:
        raise ValueError(f"{path}: bases other than A, C, G, T: {unknown}")
    ids = np.searchsorted(np.array(list("ACGT")), letters).astype("int32")
    signs = _frame_array(frame, ["Class"])[:, 0]
    if set(signs) - {"+", "-"}:
        raise ValueError(f"{path}: classes other than + and -: {sorted(set(signs))}")
    return _read_only(ids), _read_only((signs == "+").astype("int32"))


def load_promoters(folder=None):
    """The 106 E. coli promoter and non-promoter sequences of 57 bases (R package kernlab, `promotergene`).

    Args:
        folder: a folder holding `promotergene.rda`; by default `data_dir()` (then Debian's R library).

    Returns:
        A dict: `"x"` float32 `(106, 57, 4)`; `"ids"` int32 `(106, 57)` (positions -50..+7); `"labels"`
        int32 `(106,)`, 1 for a promoter; `"classes"` the tuple `PROMOTER_CLASSES`.

    Example:

    >>> data = load_promoters()
    >>> data["x"].shape, np.bincount(data["labels"]).tolist()
    ((106, 57, 4), [53, 53])

    Used in chapter 03.
    """
    ids, labels = _promoters_cached(str(data_file("promoters", folder)))
    return {"x": one_hot(ids), "ids": ids, "labels": labels, "classes": PROMOTER_CLASSES}


def sequence_groups(ids):
    """Group ids of identical sequences: items `i` and `j` share a group exactly when `ids[i] == ids[j]`.

    The splice set repeats sequences (3,186 rows, 3,001 distinct sequences): a split that puts a copy on
    each side tests on training data. Pass these as `stratified_split(..., groups=...)`.

    Example:

    >>> sequence_groups([[0, 1], [2, 3], [0, 1]]).tolist()
    [0, 1, 0]

    Used in chapter 03.
    """
    ids = check_int_array("ids", ids, ndim=2, low=0, what="base ids")
    return np.unique(ids, axis=0, return_inverse=True)[1].reshape(-1).astype("int64")


def stratified_split(labels, test_fraction=0.25, seed=0, groups=None):
    """A fixed train / test split that keeps each class's share: index arrays into `labels`.

    Args:
        labels: int array `(N,)` of class ids.
        test_fraction: share of each class in the test part, in (0, 1).
        seed: int seed of the shuffle (the same seed gives the same split).
        groups: None, or an int array `(N,)`: items of one group go to the same side (e.g.
            `sequence_groups(ids)`, so that no test sequence is also a training one). A group counts for
            the class of its first item.

    Returns:
        `(train, test)`: sorted int64 index arrays, disjoint, covering `0 .. N - 1`. Class `c` puts
        `round(test_fraction * G_c)` of its `G_c` groups (items, without `groups`) in `test`.

    Example:

    >>> train, test = stratified_split(np.array([0, 0, 0, 0, 1, 1, 1, 1]), 0.5, seed=0)
    >>> len(train), len(test), sorted(np.array([0, 0, 0, 0, 1, 1, 1, 1])[test].tolist())
    (4, 4, [0, 0, 1, 1])

    Used in chapter 03.
    """
    labels = check_int_array("labels", labels, ndim=1, low=0, what="class ids")
    test_fraction = check_number("test_fraction", test_fraction, low=0, high=1, include_low=False, include_high=False)
    seed = check_int("seed", seed, minimum=0)
    if groups is None:
        groups = np.arange(len(labels))
    groups = check_int_array("groups", groups, ndim=1, shape=labels.shape, what="group ids")
    _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    group_labels = labels[first]
    rng = np.random.default_rng(seed)
    test_groups = []
    for c in np.unique(group_labels):
        members = rng.permutation(np.flatnonzero(group_labels == c))
        test_groups.append(members[:int(round(test_fraction * len(members)))])
    in_test = np.isin(inverse.reshape(-1), np.concatenate(test_groups))
    return np.flatnonzero(~in_test).astype("int64"), np.flatnonzero(in_test).astype("int64")


def junction_share(saliency, junction=SPLICE_JUNCTION, within=3):
    """Share of the saliency that falls within `within` bases of the junction, pooled over the sequences.

    The bases within `within` of a junction between bases `junction - 1` and `junction` are
    `junction - within .. junction + within - 1` (for the splice set's default: bases 27..32, the
    `2 * within` closest). A model that spreads its saliency evenly over `T` bases scores `2 * within / T`.

    Args:
        saliency: non-negative float array `(N, T)` (e.g. `keras_patterns.diagnostics.saliency.position_saliency`).
        junction: int in `[within, T - within]`.
        within: positive int, bases on each side.

    Returns:
        A Python float in [0, 1]: `saliency[:, window].sum() / saliency.sum()`.

    Example:

    >>> junction_share(np.array([[0.0, 1.0, 1.0, 0.0, 2.0, 0.0]]), junction=2, within=1)
    0.5

    Used in chapter 03.
    """
    saliency = check_float_array("saliency", saliency, ndim=2, shape="(N, T)")
    if np.any(saliency < 0):
        raise ValueError(f"`saliency` must be non-negative (norms of gradients). Received: min={saliency.min()}")
    within = check_positive_int("within", within)
    junction = check_int("junction", junction, minimum=within, maximum=saliency.shape[1] - within)
    total = saliency.sum()
    if total <= 0:
        raise ValueError("`saliency` is all zeros: no share to take")
    return float(saliency[:, junction - within:junction + within].sum() / total)
