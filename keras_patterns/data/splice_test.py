"""Tests of keras_patterns.data.splice: the real DNA decodes to what biology says a splice junction is.

The real files come from `make data` (Debian's r-cran-mlbench and r-cran-kernlab, unpacked into
`data_dir()`); these tests need them and fail, saying so, when they are missing. The decoding is also
checked on small `.rda` files written here with pyreadr, where every base is known.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest

from keras_patterns.data import splice
from keras_patterns.data.motifs import decode


def _bits(sequence):
    return [b for base in sequence for b in splice.STATLOG_BITS[base]]


def _write_dna(folder, sequences, classes):
    """A miniature mlbench DNA frame: V1..V(3T) as '0'/'1' factors, then Class, as R stores it."""
    bits = np.array([_bits(s) for s in sequences])
    frame = pd.DataFrame({f"V{i + 1}": pd.Categorical(bits[:, i].astype(str)) for i in range(bits.shape[1])})
    frame["Class"] = pd.Categorical(classes)
    pyreadr.write_rdata(str(folder / "DNA.rda"), frame, df_name="DNA")


@pytest.fixture(scope="module")
def real():
    try:
        return splice.load_splice_junctions()
    except FileNotFoundError as error:
        pytest.fail(f"the real splice junctions are missing (make data): {error}")


def test_counts_shapes_and_dtypes(real):
    assert real["x"].shape == (3186, 60, 4) and real["x"].dtype == np.float32
    assert real["ids"].shape == (3186, 60) and real["ids"].dtype == np.int32
    assert real["labels"].shape == (3186,) and real["labels"].dtype == np.int32
    assert real["classes"] == ("ei", "ie", "n") and real["junction"] == 30
    counts = dict(zip(real["classes"], np.bincount(real["labels"], minlength=3).tolist()))
    assert counts == splice.SPLICE_COUNTS == {"ei": 767, "ie": 765, "n": 1654}
    np.testing.assert_array_equal(real["x"].sum(axis=-1), 1.0)
    np.testing.assert_array_equal(real["x"].argmax(axis=-1), real["ids"])
    # StatLog's 3,186 are UCI's 3,190 less the 4 with ambiguous bases; they repeat sequences (measured once:
    # 3,001 distinct, one of them under two classes), which is why the chapter splits by sequence.
    groups = splice.sequence_groups(real["ids"])
    assert len(np.unique(groups)) == 3001
    assert sum(len(set(real["labels"][groups == g])) > 1 for g in np.flatnonzero(np.bincount(groups) > 1)) == 1


def test_consensus_at_the_junction(real):
    """Donors (ei): the intron starts with GT right after the junction; acceptors (ie): it ends with AG right before."""
    j, ids, labels = real["junction"], real["ids"], real["labels"]
    gt = (ids[:, j] == 2) & (ids[:, j + 1] == 3)
    ag = (ids[:, j - 2] == 0) & (ids[:, j - 1] == 2)
    assert gt[labels == 0].mean() > 0.98, f"GT after the junction in {gt[labels == 0].mean():.3f} of the donors"
    assert ag[labels == 1].mean() > 0.99, f"AG before the junction in {ag[labels == 1].mean():.3f} of the acceptors"
    assert gt[labels == 2].mean() < 0.1 and ag[labels == 2].mean() < 0.1, "the 'neither' sequences have no consensus"
    # Shifted by one base, the dinucleotides are rare: the junction index is exact, not approximate.
    assert ((ids[:, j + 1] == 2) & (ids[:, j + 2] == 3))[labels == 0].mean() < 0.3
    assert ((ids[:, j - 3] == 0) & (ids[:, j - 2] == 2))[labels == 1].mean() < 0.3
    # The acceptor's polypyrimidine tract: C or T make up most of the 15 bases before the AG.
    assert np.isin(ids[labels == 1, j - 17:j - 2], [1, 3]).mean() > 0.6
    # The donor consensus MAG|GTRAGT (Mount 1982): G at +5 in most donors.
    assert (ids[labels == 0, j + 4] == 2).mean() > 0.7


def test_base_composition_is_plausible(real):
    shares = np.bincount(real["ids"].ravel(), minlength=4) / real["ids"].size
    assert np.all((shares > 0.2) & (shares < 0.3)), f"A, C, G, T shares {shares.round(3).tolist()}"


def test_loaded_arrays_are_read_only_and_x_is_fresh(real):
    with pytest.raises(ValueError):
        real["ids"][0, 0] = 1
    again = splice.load_splice_junctions()
    again["x"][0, 0] = 0.0
    assert splice.load_splice_junctions()["x"][0, 0].sum() == 1.0


def test_decoding_a_written_frame(tmp_path):
    sequences = ["ACGTTGCA", "TTTTAAAA", "GGGCCCAT"]
    _write_dna(tmp_path, sequences, ["ei", "n", "ie"])
    splice._splice_cached.cache_clear()
    data = splice.load_splice_junctions(tmp_path)
    assert [decode(s) for s in data["ids"]] == sequences
    assert data["labels"].tolist() == [0, 2, 1]
    assert data["x"].shape == (3, 8, 4)


def test_statlog_bits():
    assert splice.decode_statlog_bits([_bits("TACG")]).tolist() == [[3, 0, 1, 2]]
    with pytest.raises(ValueError, match="codes no base"):
        splice.decode_statlog_bits([[1, 1, 0]])
    with pytest.raises(ValueError, match="3 columns per base"):
        splice.decode_statlog_bits([[1, 0, 0, 0]])
    with pytest.raises(ValueError, match="bits"):
        splice.decode_statlog_bits([[2, 0, 0]])


def test_missing_file_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv(splice.DATA_ENV, str(tmp_path / "nowhere"))
    assert splice.data_dir() == tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="make data") as error:
        splice.load_splice_junctions(tmp_path)
    assert "DNA.rda" in str(error.value) and "r-cran-mlbench" in str(error.value) and str(tmp_path) in str(error.value)
    with pytest.raises(FileNotFoundError, match="promotergene.rda"):
        splice.load_promoters(tmp_path)
    with pytest.raises(ValueError, match="which"):
        splice.data_file("genes")


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    _write_dna(tmp_path, ["ACGT"], ["n"])
    splice._splice_cached.cache_clear()
    monkeypatch.setenv(splice.DATA_ENV, str(tmp_path))
    assert splice.data_file("splice") == tmp_path / "DNA.rda"
    assert splice.load_splice_junctions()["ids"].tolist() == [[0, 1, 2, 3]]
    splice._splice_cached.cache_clear()


def test_a_frame_that_is_not_mlbench_dna_is_refused(tmp_path):
    pyreadr.write_rdata(str(tmp_path / "DNA.rda"), pd.DataFrame({"V1": ["0"], "Class": ["n"]}), df_name="DNA")
    splice._splice_cached.cache_clear()
    with pytest.raises(ValueError, match="not mlbench's DNA"):
        splice.load_splice_junctions(tmp_path)
    _write_dna(tmp_path, ["ACGT"], ["xx"])
    splice._read_frame.cache_clear()
    with pytest.raises(ValueError, match="unknown classes"):
        splice.load_splice_junctions(tmp_path)


def test_promoters():
    try:
        data = splice.load_promoters()
    except FileNotFoundError as error:
        pytest.fail(f"the promoters are missing (make data): {error}")
    assert data["x"].shape == (106, 57, 4) and data["x"].dtype == np.float32 and data["ids"].dtype == np.int32
    assert np.bincount(data["labels"]).tolist() == [53, 53] and data["classes"] == ("non-promoter", "promoter")
    # kernlab's first row (a promoter), read from the file once by hand and upper-cased.
    assert decode(data["ids"][0]) == "GCCTTCTCCAAAACGTGTTTTTTGTTGTTAATTCGGTGTAGACTTGTAAACCTAAAT"
    assert data["labels"][0] == 1 and data["labels"][-1] == 0


def test_stratified_split():
    labels = np.repeat([0, 1, 2], [40, 20, 100])
    train, test = splice.stratified_split(labels, 0.25, seed=3)
    assert np.bincount(labels[test]).tolist() == [10, 5, 25]
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(labels)
    assert np.all(np.diff(test) > 0) and np.all(np.diff(train) > 0)
    again = splice.stratified_split(labels, 0.25, seed=3)
    np.testing.assert_array_equal(again[1], test)
    assert not np.array_equal(splice.stratified_split(labels, 0.25, seed=4)[1], test)
    # round, not truncation: 7 and 3 items at 0.25 give 1.75 and 0.75, so 2 and 1 test items.
    small = np.repeat([0, 1], [7, 3])
    assert np.bincount(small[splice.stratified_split(small, 0.25)[1]]).tolist() == [2, 1]
    # Groups go whole to one side, each counted for its first item's class.
    groups = np.arange(len(labels)) // 4
    train, test = splice.stratified_split(labels, 0.25, seed=3, groups=groups)
    assert not set(groups[train]) & set(groups[test]) and len(train) + len(test) == len(labels)
    assert np.bincount(labels[test]).tolist() == [8, 4, 24], "round(0.25 * groups) of each class: 2, 1 and 6 groups of 4"
    with pytest.raises(ValueError, match="groups"):
        splice.stratified_split(labels, 0.25, groups=groups[:-1])
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="test_fraction"):
            splice.stratified_split(labels, bad)


def test_split_of_the_real_set_keeps_copies_together(real):
    groups = splice.sequence_groups(real["ids"])
    train, test = splice.stratified_split(real["labels"], 0.25, seed=0, groups=groups)
    seen = {real["ids"][i].tobytes() for i in train}
    assert not any(real["ids"][i].tobytes() in seen for i in test), "a test sequence is also a training one"
    shares = np.bincount(real["labels"][test], minlength=3) / np.bincount(real["labels"], minlength=3)
    assert np.all(np.abs(shares - 0.25) < 0.02), shares


def test_sequence_groups():
    assert splice.sequence_groups([[0, 1, 2], [0, 1, 3], [0, 1, 2], [3, 3, 3]]).tolist() == [0, 1, 0, 2]
    assert splice.sequence_groups(np.zeros((2, 5), "int32")).dtype == np.int64


def test_junction_share():
    s = np.array([[1.0, 1.0, 5.0, 5.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]])
    assert splice.junction_share(s, junction=3, within=1) == pytest.approx(12 / 16)
    assert splice.junction_share(s, junction=3, within=2) == pytest.approx(14 / 16)
    assert splice.junction_share(np.ones((4, 60))) == pytest.approx(6 / 60)   # bases 27..32 of 60
    one = np.zeros((1, 60)); one[0, 32] = 1.0
    assert splice.junction_share(one) == 1.0
    one = np.zeros((1, 60)); one[0, 33] = 1.0
    assert splice.junction_share(one) == 0.0
    one = np.zeros((1, 60)); one[0, 26] = 1.0
    assert splice.junction_share(one) == 0.0
    with pytest.raises(ValueError, match="non-negative"):
        splice.junction_share(-s)
    with pytest.raises(ValueError, match="junction"):
        splice.junction_share(s, junction=0, within=1)
    with pytest.raises(ValueError, match="all zeros"):
        splice.junction_share(np.zeros((2, 6)), junction=3, within=1)


def test_the_documented_defaults_and_places(monkeypatch, tmp_path):
    labels = np.repeat([0, 1, 2], [40, 20, 100])
    for got, want in zip(splice.stratified_split(labels), splice.stratified_split(labels, 0.25, seed=0)):
        np.testing.assert_array_equal(got, want)
    # Without a folder, the loader looks in data_dir() and then in Debian's R library, and its hint names
    # the environment variable that points elsewhere.
    monkeypatch.setenv(splice.DATA_ENV, str(tmp_path / "nowhere"))
    debian = Path("/usr/lib/R/site-library") / "mlbench" / "data"
    try:
        found = splice.data_file("splice")
    except FileNotFoundError as error:
        message = str(error)
        assert str(debian) in message and f"${splice.DATA_ENV}" in message, message
    else:  # a machine with R's mlbench installed system-wide
        assert found == debian / "DNA.rda"
