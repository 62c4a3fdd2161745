"""Real prokaryotic DNA with per-base gene labels, and Prodigal, the gene finder its users run.

Two annotated sequences, both shipped offline:

- `load_ecoli_contig()`: the *E. coli* contig MIIJ01000039 (869,782 bp) that pyrodigal's wheel ships as test
  data (`pyrodigal/tests/data/MIIJ01000039.fna.gz`), with the 404 genes Prodigal calls on it in single mode
  (the headers of `MIIJ01000039.single.fna.gz`: `# begin # end # strand #`, 1-based, inclusive). These are
  **Prodigal's calls, not a curated annotation**: a model scored against them is scored on its agreement
  with Prodigal. The contig holds one run of 432,770 `N` (bases 383,781 to 816,550, 0-based), and Prodigal
  calls one "gene" of 432,918 bp across it; the loader drops that call and `ECOLI_REGIONS` leave the run
  and the call's flanks out.
- `load_plasmid()`: the *Yersinia pestis* plasmid pPCP1 (GenBank NC_005816.1, 9,609 bp, 10 CDS), a curated
  GenBank record that Debian's `python-biopython-doc` ships as Biopython's test file
  (`Tests/GenBank/NC_005816.gb.gz`); `make data` unpacks it into `splice.data_dir()`. Small: it can show
  whether a model trained on Prodigal's E. coli calls finds real genes of another enterobacterium, not
  rank models finely (9,609 bases, of which the 10 genes cover 60 %).

Labels per base, as `keras_patterns.data.genes`: 0 non-coding, 1 coding on the plus strand, 2 coding on the
minus strand; start and stop codons are coding. Where genes overlap (Prodigal lets genes overlap by a few
bases), the gene that begins later wins. Base ids are `A=0, C=1, G=2, T=3` and `N=4` (`BASES`).

`prodigal_labels` runs `pyrodigal.GeneFinder` (Prodigal 2.6's algorithm), the baseline a genome annotator
would pick. Plain NumPy and pyrodigal, no Keras.

Used in chapter 02.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

import numpy as np

from keras_patterns.checks import check_int, check_int_array, check_positive_int
from keras_patterns.data import splice

BASES = "ACGTN"
"""Base letters in id order; `N` (unknown) is id 4."""

ECOLI_CONTIG = "MIIJ01000039"
"""The contig's accession, as pyrodigal's test files name it. Used in chapter 02."""

ECOLI_LENGTH = 869_782
"""Bases of the contig."""

ECOLI_TRAIN_REGION = (0, 280_000)
"""Bases `[lo, hi)` of the contig a model (and Prodigal's own training) may learn from. Used in chapter 02."""

ECOLI_TEST_REGIONS = ((280_000, 383_736), (816_654, ECOLI_LENGTH))
"""The held-out bases: the rest of the stretch before the `N` run and the stretch after it, each ending where
Prodigal's call across the run begins or ends (so no test base is labelled by that call). Used in chapter 02."""

PLASMID = "NC_005816"
"""The curated GenBank record of `load_plasmid()`. Used in chapter 02."""

PLASMID_FILE = "NC_005816.gb.gz"
PLASMID_DEB = "python-biopython-doc"
PYRODIGAL_PIN = "pyrodigal==3.7.1"

_COMPLEMENT = np.array([3, 2, 1, 0, 4])
_STRAND_SWAP = np.array([0, 2, 1])


def _pyrodigal():
    try:
        import pyrodigal
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(f"chapter 02's real DNA and its baseline need pyrodigal: `pip install {PYRODIGAL_PIN}` "
                                  "(pinned in pyproject.toml)") from error
    return pyrodigal


def encode(sequence):
    """Base letters to ids: a str of `A C G T N` (any case) -> int8 `(T,)`, `A=0 C=1 G=2 T=3 N=4`.

    Raises:
        ValueError: a letter other than those five (IUPAC codes such as `R` or `Y` included).

    Example:

    >>> encode("ACgtN").tolist()
    [0, 1, 2, 3, 4]

    Used in chapter 02.
    """
    if not isinstance(sequence, str) or not sequence:
        raise ValueError(f"`sequence` must be a non-empty str of bases. Received: {type(sequence).__name__} "
                         f"{sequence!r:.40}")
    raw = np.frombuffer(sequence.upper().encode("ascii", "replace"), dtype="uint8")
    lookup = np.full(256, -1, dtype="int8")
    for i, letter in enumerate(BASES):
        lookup[ord(letter)] = i
    ids = lookup[raw]
    if (ids < 0).any():
        at = int(np.flatnonzero(ids < 0)[0])
        raise ValueError(f"`sequence` has {sequence[at]!r} at base {at}; only A, C, G, T and N are read")
    return ids


def decode(ids):
    """Base ids `(T,)` (0..4) back to a str of `ACGTN`.

    Example:

    >>> decode(np.array([0, 1, 2, 3, 4]))
    'ACGTN'
    """
    ids = check_int_array("ids", ids, ndim=1, low=0, high=5, what="base ids (A=0, C=1, G=2, T=3, N=4)")
    return "".join(np.array(list(BASES))[ids])


def gene_labels(length, genes):
    """Per-base labels from gene coordinates.

    Args:
        length: bases of the sequence, a positive int.
        genes: `(start, end, strand)` triples, 0-based, `end` exclusive, strand `+1` or `-1`.

    Returns:
        int64 `(length,)`: 0 non-coding, 1 coding on +, 2 coding on -. Where genes overlap, the one that begins
        later wins (for equal beginnings, the later in `genes`).

    Example:

    >>> gene_labels(8, [(1, 4, 1), (3, 6, -1)]).tolist()
    [0, 1, 1, 2, 2, 2, 0, 0]

    Used in chapter 02.
    """
    length = check_positive_int("length", length)
    labels = np.zeros(length, dtype="int64")
    order = sorted(range(len(genes)), key=lambda i: (genes[i][0], i))
    for i in order:
        try:
            start, end, strand = genes[i]
        except (TypeError, ValueError):
            raise ValueError(f"`genes[{i}]` must be a (start, end, strand) triple. Received: {genes[i]!r}") from None
        if not (0 <= start < end <= length) or strand not in (1, -1):
            raise ValueError(f"`genes[{i}]` = {genes[i]!r}: need 0 <= start < end <= length ({length}) "
                             "and strand +1 or -1")
        labels[start:end] = 1 if strand == 1 else 2
    return labels


def _read_fasta(path):
    with gzip.open(path, "rt") as handle:
        return "".join(line.strip() for line in handle if not line.startswith(">"))


def parse_prodigal_headers(lines):
    """Gene coordinates from Prodigal's FASTA headers (`>ID # begin # end # strand # ...`).

    Returns:
        A list of `(start, end, strand)`: 0-based, end exclusive, strand +1 or -1.

    Example:

    >>> parse_prodigal_headers([">c_1 # 205 # 945 # -1 # ID=1_1;partial=00"])
    [(204, 945, -1)]

    Used in chapter 02.
    """
    genes = []
    for line in lines:
        if not line.startswith(">"):
            continue
        fields = line.split(" # ")
        if len(fields) < 5:
            raise ValueError(f"not a Prodigal header (>ID # begin # end # strand # ...): {line.strip()!r:.80}")
        begin, end, strand = (int(f) for f in fields[1:4])
        genes.append((begin - 1, end, strand))
    return genes


@functools.lru_cache(maxsize=1)
def _ecoli_cached():
    from importlib import resources

    data = resources.files(_pyrodigal().__name__).joinpath("tests", "data")
    sequence = _read_fasta(data / f"{ECOLI_CONTIG}.fna.gz")
    with gzip.open(data / f"{ECOLI_CONTIG}.single.fna.gz", "rt") as handle:
        calls = parse_prodigal_headers(handle)
    if len(sequence) != ECOLI_LENGTH:
        raise ValueError(f"pyrodigal's {ECOLI_CONTIG} has {len(sequence)} bases, expected {ECOLI_LENGTH}: "
                         f"another pyrodigal than {PYRODIGAL_PIN}?")
    ids = encode(sequence)
    # Prodigal reads across the N run as one 432,918 bp "gene": no gene is that long, so the call is dropped.
    genes = [g for g in calls if not (ids[g[0]:g[1]] == 4).any()]
    ids.setflags(write=False)
    return sequence, ids, calls, genes


def load_ecoli_contig():
    """The E. coli contig MIIJ01000039 with Prodigal's gene calls as per-base labels.

    Returns:
        A dict: `"sequence"` the str of 869,782 bases; `"ids"` int8 `(869782,)` (read-only, `N=4`); `"labels"`
        int64 `(869782,)` (0, 1, 2; see the module docstring); `"genes"` the 403 kept calls as `(start, end,
        strand)`, 0-based, end exclusive; `"dropped"` the calls that cross the `N` run; `"train_region"`,
        `"test_regions"`: `ECOLI_TRAIN_REGION` and `ECOLI_TEST_REGIONS`.

    Raises:
        ModuleNotFoundError: pyrodigal is not installed (its wheel holds the files); the message says how.

    Example:

    >>> contig = load_ecoli_contig()
    >>> len(contig["sequence"]), len(contig["genes"]), np.bincount(contig["labels"]).tolist()
    (869782, 403, [483001, 170152, 216629])

    Used in chapter 02.
    """
    sequence, ids, calls, genes = _ecoli_cached()
    return {"sequence": sequence, "ids": ids, "labels": gene_labels(len(ids), genes), "genes": list(genes),
            "dropped": [g for g in calls if g not in genes],
            "train_region": ECOLI_TRAIN_REGION, "test_regions": ECOLI_TEST_REGIONS}


def plasmid_file(folder=None):
    """The path of `NC_005816.gb.gz`, in `folder` or `splice.data_dir()` (where `make data` puts it).

    Raises:
        FileNotFoundError: it is not there; the message names the command that fetches it.
    """
    place = Path(folder) if folder is not None else splice.data_dir()
    if not (place / PLASMID_FILE).is_file():
        raise FileNotFoundError(
            f"{PLASMID_FILE} is not in {place}: run `make data` at the course root (apt-get download {PLASMID_DEB}, "
            f"then dpkg -x; it copies Tests/GenBank/{PLASMID_FILE} there), or set ${splice.DATA_ENV} to a folder "
            f"holding it")
    return place / PLASMID_FILE


_LOCATION = re.compile(r"^(complement\()?<?(\d+)\.\.>?(\d+)\)?$")


def parse_genbank_cds(text):
    """The sequence and the CDS coordinates of a one-record GenBank flat file (simple locations only).

    Returns:
        `(sequence, genes)`: the str of the ORIGIN section (upper case) and `(start, end, strand)` per CDS,
        0-based, end exclusive.

    Raises:
        ValueError: a CDS with a joined or otherwise compound location, or no ORIGIN section.

    Used in chapter 02.
    """
    if "\nORIGIN" not in text:
        raise ValueError("not a GenBank flat file: no ORIGIN section")
    features, origin = text.split("\nORIGIN", 1)
    sequence = re.sub(r"[^A-Za-z]", "", origin.split("//")[0]).upper()
    genes = []
    for match in re.finditer(r"^ {5}CDS {13}(\S+)", features, flags=re.M):
        location = _LOCATION.match(match.group(1))
        if not location:
            raise ValueError(f"CDS location {match.group(1)!r} is not a simple range: this reader takes "
                             "`a..b` and `complement(a..b)` only")
        genes.append((int(location.group(2)) - 1, int(location.group(3)), -1 if location.group(1) else 1))
    return sequence, genes


def load_plasmid(folder=None):
    """The Y. pestis plasmid pPCP1 (GenBank NC_005816.1) with its curated CDS as per-base labels.

    Returns:
        A dict: `"sequence"` (9,609 bases), `"ids"` int8 `(9609,)`, `"labels"` int64 `(9609,)`, `"genes"` the
        10 CDS as `(start, end, strand)`.

    Raises:
        FileNotFoundError: the file is missing; the message names `make data`.

    Used in chapter 02.
    """
    with gzip.open(plasmid_file(folder), "rt") as handle:
        sequence, genes = parse_genbank_cds(handle.read())
    ids = encode(sequence)
    return {"sequence": sequence, "ids": ids, "labels": gene_labels(len(ids), genes), "genes": genes}


def windows(ids, labels, regions, length):
    """Cut regions of a sequence into non-overlapping windows (the remainder of each region is dropped).

    Args:
        ids: int `(T,)` base ids.
        labels: int `(T,)` per-base labels.
        regions: `(lo, hi)` pairs, `0 <= lo < hi <= T`.
        length: bases per window, a positive int.

    Returns:
        `(ids, labels)`: two int64 arrays `(num_windows, length)`, windows in region order.

    Example:

    >>> w, y = windows(np.arange(10) % 4, np.zeros(10, int), [(0, 5), (5, 10)], 2)
    >>> w.tolist()
    [[0, 1], [2, 3], [1, 2], [3, 0]]

    Used in chapter 02.
    """
    ids = check_int_array("ids", ids, ndim=1, low=0, high=5, what="base ids (A=0, C=1, G=2, T=3, N=4)")
    labels = check_int_array("labels", labels, shape=ids.shape, low=0, high=3, what="labels 0, 1, 2",
                             hint="the shape of `ids`")
    length = check_positive_int("length", length)
    pieces_x, pieces_y = [], []
    for lo, hi in regions:
        lo, hi = check_int("lo", lo, minimum=0), check_int("hi", hi, maximum=len(ids))
        if lo >= hi:
            raise ValueError(f"`regions` must be (lo, hi) pairs with lo < hi. Received: ({lo}, {hi})")
        n = (hi - lo) // length
        pieces_x.append(ids[lo:lo + n * length].reshape(n, length))
        pieces_y.append(labels[lo:lo + n * length].reshape(n, length))
    x, y = np.concatenate(pieces_x).astype("int64"), np.concatenate(pieces_y).astype("int64")
    if not len(x):
        raise ValueError(f"no region is as long as one window of {length} bases")
    return x, y


def reverse_complement(ids, labels):
    """The other strand of windows, read 5' to 3': bases reversed and complemented, strands 1 and 2 swapped.

    A gene on the plus strand of a window is a gene on the minus strand of its reverse complement, so adding
    these doubles the training bases and balances the two strands' labels.

    Args:
        ids: int `(N, T)` base ids (0..4).
        labels: int `(N, T)` labels (0, 1, 2).

    Returns:
        `(ids, labels)` of the same shapes.

    Example:

    >>> x, y = reverse_complement(np.array([[0, 0, 2]]), np.array([[0, 1, 1]]))
    >>> x.tolist(), y.tolist()
    ([[1, 3, 3]], [[2, 2, 0]])

    Used in chapter 02.
    """
    ids = check_int_array("ids", ids, ndim=2, low=0, high=5, what="base ids (A=0, C=1, G=2, T=3, N=4)")
    labels = check_int_array("labels", labels, shape=ids.shape, low=0, high=3, what="labels 0, 1, 2",
                             hint="the shape of `ids`")
    return _COMPLEMENT[ids[:, ::-1]], _STRAND_SWAP[labels[:, ::-1]]


def prodigal_labels(sequence, training_sequence=None):
    """Prodigal's per-base labels of a sequence: `pyrodigal.GeneFinder`, trained or in metagenomic mode.

    Args:
        sequence: the str to annotate.
        training_sequence: a str of at least 20,000 bases of the same genome to train Prodigal's model on
            (single mode, as one annotates a genome); None for metagenomic mode (pre-trained models, for a
            sequence too short to train on, such as a plasmid).

    Returns:
        int64 `(len(sequence),)`: 0, 1, 2 as `gene_labels`.

    Used in chapter 02.
    """
    pyrodigal = _pyrodigal()
    encode(sequence)  # the same letter check as the loaders
    if training_sequence is None:
        finder = pyrodigal.GeneFinder(meta=True)
    else:
        encode(training_sequence)
        if len(training_sequence) < 20_000:
            raise ValueError(f"`training_sequence` must have at least 20,000 bases (Prodigal's minimum). "
                             f"Received: {len(training_sequence)}; pass None for metagenomic mode")
        finder = pyrodigal.GeneFinder()
        finder.train(training_sequence.encode())
    genes = [(g.begin - 1, g.end, g.strand) for g in finder.find_genes(sequence.encode())]
    return gene_labels(len(sequence), genes)
