"""Tests of keras_patterns.data.contigs: the real genes sit where their start and stop codons say they do.

The coordinates are checked against biology, not against the loader: every gene read from its file must begin
with a start codon and end with a stop codon on its own strand, which catches an off-by-one or a swapped strand.
The E. coli contig comes from pyrodigal's wheel; the plasmid from `make data` (these tests fail, saying so, when
it is missing).
"""

import gzip

import numpy as np
import pytest

from keras_patterns.data import contigs

STARTS, STOPS = {"ATG", "GTG", "TTG"}, {"TAA", "TAG", "TGA"}


def _revcomp(s):
    return s[::-1].translate(str.maketrans("ACGT", "TGCA"))


def _codon_ends(sequence, genes):
    """(first codon, last codon) of each gene read on its own strand."""
    out = []
    for start, end, strand in genes:
        cds = sequence[start:end] if strand == 1 else _revcomp(sequence[start:end])
        out.append((cds[:3], cds[-3:], len(cds)))
    return out


@pytest.fixture(scope="module")
def ecoli():
    return contigs.load_ecoli_contig()


@pytest.fixture(scope="module")
def plasmid():
    try:
        return contigs.load_plasmid()
    except FileNotFoundError as error:
        pytest.fail(f"the plasmid is missing (make data): {error}")


def test_encode_decode_and_bad_letters():
    assert contigs.encode("acgTN").tolist() == [0, 1, 2, 3, 4]
    assert contigs.encode("ACGTN").dtype == np.int8
    assert contigs.decode(contigs.encode("GATTACAN")) == "GATTACAN"
    with pytest.raises(ValueError, match="'R' at base 2"):
        contigs.encode("ACRT")
    with pytest.raises(ValueError, match="'é' at base 2"):  # not ASCII: the same clear error, not a UnicodeEncodeError
        contigs.encode("ACéT")
    with pytest.raises(ValueError, match="non-empty str"):
        contigs.encode("")
    with pytest.raises(ValueError, match="base ids"):
        contigs.decode(np.array([0, 5]))


def test_gene_labels_strands_overlap_and_bad_genes():
    assert contigs.gene_labels(6, []).tolist() == [0] * 6
    assert contigs.gene_labels(6, [(0, 6, -1)]).tolist() == [2] * 6
    # the later beginning wins where genes overlap, whatever the order given
    assert contigs.gene_labels(8, [(3, 6, -1), (1, 4, 1)]).tolist() == [0, 1, 1, 2, 2, 2, 0, 0]
    assert contigs.gene_labels(5, [(0, 3, 1), (0, 2, -1)]).tolist() == [2, 2, 1, 0, 0]
    for bad in ([(2, 2, 1)], [(0, 7, 1)], [(-1, 3, 1)], [(0, 3, 0)], [(0, 3)]):
        with pytest.raises(ValueError, match=r"genes\[0\]"):
            contigs.gene_labels(6, bad)


def test_parse_prodigal_headers():
    lines = [">c_1 # 205 # 945 # -1 # ID=1_1", "ACGT\n", ">c_2 # 1 # 9 # 1 # ID=1_2\n"]
    assert contigs.parse_prodigal_headers(lines) == [(204, 945, -1), (0, 9, 1)]
    with pytest.raises(ValueError, match="not a Prodigal header"):
        contigs.parse_prodigal_headers([">c_1 205 945"])


def test_parse_genbank_cds():
    text = ("LOCUS       X\nFEATURES             Location/Qualifiers\n"
            "     gene            3..8\n     CDS             3..8\n"
            "     CDS             complement(<10..>12)\n"
            "ORIGIN\n        1 acgtacgtac gt\n//\n")
    sequence, genes = contigs.parse_genbank_cds(text)
    assert sequence == "ACGTACGTACGT" and genes == [(2, 8, 1), (9, 12, -1)]
    with pytest.raises(ValueError, match="not a simple range"):
        contigs.parse_genbank_cds(text.replace("3..8\nORIGIN", "join(1..2,4..8)\nORIGIN").replace(
            "CDS             3..8", "CDS             join(1..2,4..8)"))
    # A file of two records: the first record's features and sequence.
    second = "LOCUS       Y\nFEATURES             Location/Qualifiers\n     CDS             1..3\nORIGIN\n        1 tttt\n//\n"
    assert contigs.parse_genbank_cds(text + second) == (sequence, genes)
    with pytest.raises(ValueError, match="no ORIGIN"):
        contigs.parse_genbank_cds("LOCUS X\n//\n")


def test_ecoli_contig_genes_start_and_stop_where_biology_says(ecoli):
    sequence = ecoli["sequence"]
    assert len(sequence) == contigs.ECOLI_LENGTH == len(ecoli["ids"]) == len(ecoli["labels"])
    assert len(ecoli["genes"]) == 403 and len(ecoli["dropped"]) == 1
    ends = _codon_ends(sequence, ecoli["genes"])
    assert all(stop in STOPS for _, stop, _ in ends), "every call ends with a stop codon on its strand"
    assert all(n % 3 == 0 for _, _, n in ends), "every call is whole codons"
    assert np.mean([start in STARTS for start, _, _ in ends]) > 0.98, "calls begin with a start codon"
    assert {s for _, _, s in ecoli["genes"]} == {1, -1}


def test_ecoli_regions_leave_out_the_n_run_and_the_call_across_it(ecoli):
    ids, (lo, hi, _) = ecoli["ids"], ecoli["dropped"][0]
    assert (ids[lo:hi] == 4).sum() == 432_770 == (ids == 4).sum(), "the one N run lies inside the dropped call"
    regions = [contigs.ECOLI_TRAIN_REGION, *contigs.ECOLI_TEST_REGIONS]
    for a, b in regions:
        assert not (ids[a:b] == 4).any()
        assert b <= lo or a >= hi, "no region base is labelled by the dropped call"
    assert contigs.ECOLI_TRAIN_REGION[1] <= contigs.ECOLI_TEST_REGIONS[0][0], "training and test bases are disjoint"
    test_shares = np.bincount(np.concatenate([ecoli["labels"][a:b] for a, b in contigs.ECOLI_TEST_REGIONS]), minlength=3)
    assert 0.05 < test_shares[0] / test_shares.sum() < 0.2, "E. coli's genome is about 88 % coding"
    assert not ecoli["ids"].flags.writeable


def test_plasmid_cds_start_and_stop_where_biology_says(plasmid):
    assert len(plasmid["sequence"]) == 9609 and len(plasmid["genes"]) == 10
    assert plasmid["genes"][0] == (86, 1109, 1) and plasmid["genes"][-1] == (8087, 8360, -1)
    for start, stop, n in _codon_ends(plasmid["sequence"], plasmid["genes"]):
        assert stop in STOPS and n % 3 == 0
    assert np.bincount(plasmid["labels"]).tolist() == [3800, 4163, 1646]


def test_missing_plasmid_names_the_fetch_command(tmp_path):
    with pytest.raises(FileNotFoundError, match="make data.*python-biopython-doc"):
        contigs.load_plasmid(tmp_path)


def test_plasmid_reads_from_a_given_folder(tmp_path, plasmid):
    text = ("FEATURES             Location/Qualifiers\n     CDS             1..6\nORIGIN\n        1 atgtaa\n//\n")
    with gzip.open(tmp_path / contigs.PLASMID_FILE, "wt") as handle:
        handle.write(text)
    mini = contigs.load_plasmid(tmp_path)
    assert mini["sequence"] == "ATGTAA" and mini["labels"].tolist() == [1] * 6


def test_windows():
    ids, labels = np.arange(11) % 4, np.arange(11) % 3
    x, y = contigs.windows(ids, labels, [(0, 5), (5, 11)], 2)
    assert x.tolist() == [[0, 1], [2, 3], [1, 2], [3, 0], [1, 2]] and x.dtype == np.int64 and y.dtype == np.int64
    assert y.tolist() == [[0, 1], [2, 0], [2, 0], [1, 2], [0, 1]]
    for regions, match in (([(3, 3)],  "lo < hi"), ([(0, 12)], "hi"), ([(0, 1)], "no region")):
        with pytest.raises(ValueError, match=match):
            contigs.windows(ids, labels, regions, 2)
    with pytest.raises(ValueError, match="shape of `ids`"):
        contigs.windows(ids, labels[:5], [(0, 5)], 2)


def test_reverse_complement_is_the_other_strand():
    rng = np.random.default_rng(0)
    ids, labels = rng.integers(0, 5, (3, 7)), rng.integers(0, 3, (3, 7))
    rc_ids, rc_labels = contigs.reverse_complement(ids, labels)
    assert contigs.decode(rc_ids[0]) == _revcomp(contigs.decode(ids[0]).replace("N", "n")).replace("n", "N")
    assert (rc_labels[:, ::-1] == np.array([0, 2, 1])[labels]).all()
    back = contigs.reverse_complement(rc_ids, rc_labels)
    assert (back[0] == ids).all() and (back[1] == labels).all()


def test_prodigal_baseline(ecoli, plasmid):
    meta = contigs.prodigal_labels(plasmid["sequence"])
    assert meta.shape == (9609,) and 0.9 < np.mean(meta == plasmid["labels"]) < 1.0
    (a, b), (c, d) = contigs.ECOLI_TRAIN_REGION, contigs.ECOLI_TEST_REGIONS[1]
    trained = contigs.prodigal_labels(ecoli["sequence"][c:d], ecoli["sequence"][a:b])
    assert np.mean(trained == ecoli["labels"][c:d]) > 0.95, "Prodigal trained on the training bases agrees with itself"
    with pytest.raises(ValueError, match="20,000"):
        contigs.prodigal_labels(plasmid["sequence"], plasmid["sequence"])
