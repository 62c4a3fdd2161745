"""Protein secondary structure per residue: a synthetic HMM with exact limits, and real DSSP labels.

Chapter 01 tags every residue of a protein chain as helix (H), strand (E) or coil (C). It uses two
data sets, both plain numpy (the GPU lecture machine runs Keras on JAX without TensorFlow; for
TensorFlow users `keras_patterns.data.tfds` makes the TFDS dataset `kp_proteins` from them).

1. **Synthetic proteins** from `ProteinHMM`, a semi-Markov-like hidden Markov model: segments of
   helix, strand and coil with minimum lengths and geometric tails, and amino acids emitted from
   the Chou-Fasman conformational propensities. Because the generator is known, the best possible
   per-residue accuracy of a one-way tagger (filtering) and of a two-way tagger (smoothing) are
   exact (`keras_patterns.oracles.hmm`).
2. **Real chains**: the 50 PDB chains with DSSP 3-state strings that ship with the
   `MDAnalysisTests` package (`load_dssp_chains`), recomputable from the backbone with pydssp
   (`recompute_dssp_labels`).

Encodings shared by both: token id = index in `AMINO_ACIDS` + 1 (0 is padding) and label =
index in `SS_LABELS` (0 = H, 1 = E, 2 = C).

One module of about 800 lines on purpose: it is one data family, whose generator and real loader
share these encodings and the published tables below (Chou-Fasman propensities, Swiss-Prot
composition, PDB residue names); docstrings with examples take a third of it.
"""

import dataclasses
import functools
import gzip
import importlib.util
import os
import typing
import warnings

import numpy as np

from keras_patterns.checks import check_int, check_int_array, check_number, check_positive_int, check_probabilities
from keras_patterns.oracles import hmm as hmm_oracle

__all__ = [
    "AMINO_ACIDS",
    "SS_LABELS",
    "PAD_ID",
    "NUM_TOKENS",
    "CHOU_FASMAN_PROPENSITY",
    "SWISSPROT_COMPOSITION",
    "THREE_TO_ONE",
    "SPLIT_SIZES",
    "ProteinHMM",
    "encode_sequence",
    "decode_tokens",
    "decode_labels",
    "segment_lengths",
    "pad",
    "make_splits",
    "DSSPChain",
    "dssp_data_dir",
    "read_pdb_backbone",
    "load_dssp_chains",
    "dssp_splits",
    "recompute_dssp_labels",
]

#: The 20 standard amino acids, one-letter codes in alphabetical order. Token id = index + 1.
#: Used in chapter 01.
AMINO_ACIDS = tuple("ACDEFGHIKLMNPQRSTVWY")

#: Secondary-structure labels in label-id order: 0 = helix (H), 1 = strand (E), 2 = coil (C).
#: Used in chapter 01.
SS_LABELS = ("H", "E", "C")

#: Token id reserved for padding; real residues are 1..20. Used in chapter 01.
PAD_ID = 0

#: Vocabulary size including the padding id (21). Used in chapter 01.
NUM_TOKENS = len(AMINO_ACIDS) + 1

#: Chou-Fasman conformational parameters (P(alpha), P(beta), P(turn)) per amino acid.
#:
#: Chou, P. Y. & Fasman, G. D. (1978). Prediction of the secondary structure of proteins from
#: their amino acid sequence. Adv. Enzymol. Relat. Areas Mol. Biol. 47, 45-148; the same table is
#: in Annu. Rev. Biochem. 47, 251-276 (1978). P(alpha) and P(beta) equal AAindex CHOP780201 and
#: CHOP780202; P(turn) is the table's beta-turn column (AAindex CHOP780101). Each is the
#: frequency of the residue in that conformation divided by its overall frequency, so 1.0 means
#: "no preference". The turn column stands in for coil here. Used in chapter 01.
CHOU_FASMAN_PROPENSITY = {
    #      P(a)  P(b)  P(t)
    "A": (1.42, 0.83, 0.66),
    "C": (0.70, 1.19, 1.19),
    "D": (1.01, 0.54, 1.46),
    "E": (1.51, 0.37, 0.74),
    "F": (1.13, 1.38, 0.60),
    "G": (0.57, 0.75, 1.56),
    "H": (1.00, 0.87, 0.95),
    "I": (1.08, 1.60, 0.47),
    "K": (1.16, 0.74, 1.01),
    "L": (1.21, 1.30, 0.59),
    "M": (1.45, 1.05, 0.60),
    "N": (0.67, 0.89, 1.56),
    "P": (0.57, 0.55, 1.52),
    "Q": (1.11, 1.10, 0.98),
    "R": (0.98, 0.93, 0.95),
    "S": (0.77, 0.75, 1.43),
    "T": (0.83, 1.19, 0.96),
    "V": (1.06, 1.70, 0.50),
    "W": (1.08, 1.37, 0.96),
    "Y": (0.69, 1.47, 1.14),
}

#: Amino-acid composition of UniProtKB/Swiss-Prot in percent (release 2013_04 statistics,
#: Bairoch, release notes). The values add up to 99.89 (the rest is ambiguous codes); the
#: generator normalises them. Used in chapter 01.
SWISSPROT_COMPOSITION = {
    "A": 8.25, "C": 1.37, "D": 5.45, "E": 6.75, "F": 3.86,
    "G": 7.07, "H": 2.27, "I": 5.96, "K": 5.84, "L": 9.66,
    "M": 2.42, "N": 4.06, "P": 4.70, "Q": 3.93, "R": 5.53,
    "S": 6.56, "T": 5.34, "V": 6.87, "W": 1.08, "Y": 2.92,
}  # fmt: skip

#: PDB three-letter residue names to one-letter codes. Selenomethionine (MSE) is read as
#: methionine, its sulphur-for-selenium substitute used for crystallographic phasing.
#: Used in chapter 01.
THREE_TO_ONE = {
    "ALA": "A", "CYS": "C", "ASP": "D", "GLU": "E", "PHE": "F", "GLY": "G", "HIS": "H",
    "ILE": "I", "LYS": "K", "LEU": "L", "MET": "M", "ASN": "N", "PRO": "P", "GLN": "Q",
    "ARG": "R", "SER": "S", "THR": "T", "VAL": "V", "TRP": "W", "TYR": "Y", "MSE": "M",
}  # fmt: skip

#: Number of synthetic sequences per split for each course profile (lengths 50-200, mean ~125
#: residues). The test split is always >= 60,000 residues except in `smoke`, so that the
#: measured gap between the two limits is well above test-set noise. Used in chapter 01.
SPLIT_SIZES = {
    "smoke": {"train": 64, "val": 16, "test": 32},
    "default": {"train": 1000, "val": 200, "test": 500},
    "full": {"train": 8000, "val": 500, "test": 1000},
}

_DSSP_TO_LABEL = {"H": 0, "E": 1, "-": 2}
_TOKEN_OF = {aa: i + 1 for i, aa in enumerate(AMINO_ACIDS)}


def _propensity_matrix():
    return np.array([CHOU_FASMAN_PROPENSITY[aa] for aa in AMINO_ACIDS]).T  # (3, 20)


def _background_frequencies():
    freq = np.array([SWISSPROT_COMPOSITION[aa] for aa in AMINO_ACIDS])
    return freq / freq.sum()


def _as_rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _read_only(array):
    array.setflags(write=False)
    return array


@dataclasses.dataclass(frozen=True)
class ProteinHMM:
    """Generator of synthetic protein chains with helix / strand / coil labels.

    The hidden process is a sequence of segments. A segment of class c (H, E or C) lasts
    `min_lengths[c]` residues plus a geometric tail, so its mean length is `mean_lengths[c]`;
    the class of the next segment is drawn from `segment_transition[c]`. As an HMM this is a
    chain of `min_lengths[c]` hidden states per class, the last one with a self-loop: 11 hidden
    states with the defaults. Every state of class c emits amino acid a with probability

        P(a | c) ∝ freq(a) · propensity(a, c) ** sharpness

    where `freq` is the Swiss-Prot composition and `propensity` the Chou-Fasman table (the turn
    column for coil). With `sharpness=1` these are the residue frequencies Chou and Fasman
    observed in each conformation (a propensity is P(a | c) / P(a)); `sharpness=2` doubles every
    log-odds, so that one residue says more about its class and the bidirectional advantage is
    large enough to see in a lesson (see `datasets/proteins/README.md` for the measured limits).

    Used in chapter 01.

    Args:
        min_lengths: minimum segment length of (H, E, C), integers >= 1.
        mean_lengths: mean segment length of (H, E, C), each >= its minimum.
        segment_transition: 3x3 row-stochastic matrix with a zero diagonal, P(next class |
            class) in `SS_LABELS` order.
        initial_segment: distribution of the class of the first segment.
        sharpness: exponent k applied to the propensities (k=0 makes residues uninformative).

    Example:

    >>> model = ProteinHMM()
    >>> tokens, labels = model.sample(4, seed=0, min_length=30, max_length=40)
    >>> len(tokens), tokens[0].shape == labels[0].shape
    (4, True)
    >>> model.emission.shape  # one row per hidden state, one column per token id (0 = padding)
    (11, 21)
    """

    min_lengths: tuple = (5, 3, 3)
    mean_lengths: tuple = (12.0, 5.5, 6.0)
    # Helices and strands are almost always separated by coil, and a coil leads to a strand more
    # often than to a helix: the pattern of the real DSSP chains (see the data card).
    segment_transition: tuple = (
        (0.0, 0.05, 0.95),
        (0.05, 0.0, 0.95),
        (0.4, 0.6, 0.0),
    )
    # DSSP cannot give the first residue a hydrogen-bonded structure: every real chain starts in coil.
    initial_segment: tuple = (0.0, 0.0, 1.0)
    sharpness: float = 2.0

    def __post_init__(self):
        # Store plain tuples so that instances stay hashable and compare by value.
        object.__setattr__(self, "min_lengths", tuple(int(m) for m in self.min_lengths))
        object.__setattr__(self, "mean_lengths", tuple(float(m) for m in self.mean_lengths))
        object.__setattr__(
            self,
            "segment_transition",
            tuple(tuple(float(p) for p in row) for row in np.asarray(self.segment_transition)),
        )
        object.__setattr__(self, "initial_segment", tuple(float(p) for p in self.initial_segment))
        object.__setattr__(self, "sharpness", float(self.sharpness))
        if len(self.min_lengths) != 3 or min(self.min_lengths) < 1:
            raise ValueError(
                "`min_lengths` must hold three integers >= 1, for (H, E, C). "
                f"Received: min_lengths={self.min_lengths}"
            )
        if len(self.mean_lengths) != 3 or any(
            mean < low for mean, low in zip(self.mean_lengths, self.min_lengths)
        ):
            raise ValueError(
                "`mean_lengths` must hold three numbers, each >= the matching minimum length. "
                f"Received: mean_lengths={self.mean_lengths}, min_lengths={self.min_lengths}"
            )
        matrix = check_probabilities("segment_transition", self.segment_transition, ndim=2, shape=(3, 3))
        if np.any(np.diag(matrix) != 0):
            raise ValueError(
                "`segment_transition` must have a zero diagonal: a segment is followed by a "
                "segment of another class (a longer segment is the job of `mean_lengths`). "
                f"Received: diagonal={np.diag(matrix).tolist()}"
            )
        check_probabilities("initial_segment", self.initial_segment, ndim=1, shape=(3,))
        check_number("sharpness", self.sharpness, low=0)

    # Derived arrays: computed once per instance, read-only so that the dataclass stays frozen.

    @functools.cached_property
    def self_loop(self):
        """Self-loop probability of the last state of each class, shape `(3,)`."""
        tails = np.array(self.mean_lengths) - np.array(self.min_lengths)
        return _read_only(tails / (tails + 1.0))

    @functools.cached_property
    def label_emission(self):
        """P(token | class), shape `(3, 21)`; column 0 (padding) is 0."""
        weights = _background_frequencies()[None, :] * _propensity_matrix() ** self.sharpness
        weights /= weights.sum(axis=1, keepdims=True)
        return _read_only(np.concatenate([np.zeros((3, 1)), weights], axis=1))

    @functools.cached_property
    def state_to_label(self):
        """Label id of each hidden state, shape `(S,)`."""
        return _read_only(np.repeat(np.arange(3), self.min_lengths))

    @property
    def num_states(self):
        """Number of hidden states S = sum of the minimum lengths."""
        return int(sum(self.min_lengths))

    @functools.cached_property
    def initial(self):
        """Distribution of the first hidden state, shape `(S,)`."""
        first = np.concatenate([[0], np.cumsum(self.min_lengths)[:-1]])
        initial = np.zeros(self.num_states)
        initial[first] = self.initial_segment
        return _read_only(initial)

    @functools.cached_property
    def transition(self):
        """Hidden-state transition matrix, shape `(S, S)`."""
        first = np.concatenate([[0], np.cumsum(self.min_lengths)[:-1]])
        last = first + np.array(self.min_lengths) - 1
        matrix = np.zeros((self.num_states, self.num_states))
        segment = np.array(self.segment_transition)
        for c in range(3):
            for state in range(first[c], last[c]):
                matrix[state, state + 1] = 1.0
            matrix[last[c], last[c]] = self.self_loop[c]
            matrix[last[c], first] += (1.0 - self.self_loop[c]) * segment[c]
        return _read_only(matrix)

    @functools.cached_property
    def emission(self):
        """P(token | hidden state), shape `(S, 21)`; token ids index the columns directly."""
        return _read_only(self.label_emission[self.state_to_label])

    def expected_class_fractions(self):
        """Long-run fraction of residues in each class (H, E, C), ignoring sequence ends.

        Returns:
            Array `(3,)`: the stationary segment-class distribution weighted by mean length.
        """
        segment = np.array(self.segment_transition)
        eigenvalues, eigenvectors = np.linalg.eig(segment.T)
        stationary = np.real(eigenvectors[:, np.argmin(np.abs(eigenvalues - 1.0))])
        stationary /= stationary.sum()
        weights = stationary * np.array(self.mean_lengths)
        return weights / weights.sum()

    def sample(self, num_sequences, seed=None, min_length=50, max_length=200):
        """Samples labelled chains, lengths uniform in `[min_length, max_length]`.

        Segments are drawn whole (class, then length = minimum + geometric tail), which has
        exactly the distribution of the expanded-state HMM and is much faster than stepping it
        residue by residue. The last segment is cut by the chain end and may be shorter than
        its minimum.

        Args:
            num_sequences: number of chains.
            seed: int, `None` or a `numpy.random.Generator`.
            min_length: shortest chain.
            max_length: longest chain.

        Returns:
            `(tokens, labels)`: two lists of int32 arrays, token ids in 1..20 and label ids in
            0..2 (`SS_LABELS` order), one pair per chain.
        """
        num_sequences = check_int("num_sequences", num_sequences, minimum=0)
        min_length = check_positive_int("min_length", min_length)
        max_length = check_positive_int("max_length", max_length)
        if min_length > max_length:
            raise ValueError(
                "Need 1 <= min_length <= max_length. "
                f"Received: min_length={min_length}, max_length={max_length}"
            )
        rng = _as_rng(seed)
        segment = np.array(self.segment_transition)
        start = np.array(self.initial_segment)
        stop = 1.0 - self.self_loop
        emission = self.label_emission
        tokens, labels = [], []
        for _ in range(num_sequences):
            length = int(rng.integers(min_length, max_length + 1))
            label = np.empty(length, dtype=np.int32)
            position = 0
            c = rng.choice(3, p=start)
            while position < length:
                # numpy's geometric counts trials up to the first success (>= 1).
                tail = rng.geometric(stop[c]) - 1 if stop[c] < 1.0 else 0
                run = self.min_lengths[c] + tail
                label[position : position + run] = c
                position += run
                c = rng.choice(3, p=segment[c])
            token = np.empty(length, dtype=np.int32)
            for c in range(3):
                where = np.flatnonzero(label == c)
                token[where] = rng.choice(NUM_TOKENS, size=where.size, p=emission[c])
            tokens.append(token)
            labels.append(label)
        return tokens, labels

    def label_posteriors(self, tokens, method="smoothing"):
        """Exact P(label | tokens) for each chain, `(T_i, 3)` each.

        Args:
            tokens: list of unpadded token-id arrays.
            method: `"smoothing"` (bidirectional limit) or `"filtering"` (unidirectional).

        Returns:
            List of arrays `(T_i, 3)`.
        """
        return hmm_oracle.label_posteriors(
            tokens, self.initial, self.transition, self.emission, self.state_to_label, 3, method
        )

    def q3_limits(self, tokens, labels):
        """Bayes-optimal Q3 of both model families on a labelled sample.

        Args:
            tokens: list of unpadded token-id arrays.
            labels: list of label arrays of the same lengths.

        Returns:
            Dict with `"smoothing"` and `"filtering"` (argmax accuracy against the true labels,
            pooled over residues) and `"smoothing_expected"`, `"filtering_expected"` (mean
            maximum posterior, the same quantity without label noise).
        """
        result = {}
        for method in ("smoothing", "filtering"):
            posteriors = self.label_posteriors(tokens, method)
            result[method] = hmm_oracle.argmax_accuracy(posteriors, labels)
            result[f"{method}_expected"] = hmm_oracle.mean_max_probability(posteriors)
        return result


def encode_sequence(sequence):
    """One-letter amino-acid string to token ids (1..20).

    Used in chapter 01.

    Args:
        sequence: string of one-letter codes from `AMINO_ACIDS`.

    Returns:
        int32 array of token ids.

    Example:

    >>> encode_sequence("ACY")
    array([ 1,  2, 20], dtype=int32)
    """
    unknown = sorted(set(sequence) - set(_TOKEN_OF))
    if unknown:
        raise ValueError(
            f"`sequence` holds codes outside the 20 standard amino acids: {unknown}. "
            "Map or drop them first."
        )
    return np.array([_TOKEN_OF[aa] for aa in sequence], dtype=np.int32)


def decode_tokens(tokens):
    """Token ids to a one-letter string; padding (0) is dropped.

    Used in chapter 01.

    Example:

    >>> decode_tokens([1, 2, 20, 0])
    'ACY'
    """
    tokens = check_int_array("tokens", tokens, ndim=1, shape="(T,)", low=0, high=NUM_TOKENS, what="token ids")
    return "".join(AMINO_ACIDS[t - 1] for t in tokens.tolist() if t != PAD_ID)


def decode_labels(labels):
    """Label ids to an H/E/C string.

    Used in chapter 01.

    Example:

    >>> decode_labels([0, 0, 2, 1])
    'HHCE'
    """
    labels = check_int_array("labels", labels, ndim=1, shape="(T,)", low=0, high=len(SS_LABELS), what="label ids")
    return "".join(SS_LABELS[c] for c in labels.tolist())


def segment_lengths(labels, drop_last=True):
    """Lengths of the runs of each label, pooled over chains.

    Used in chapter 01 (to compare synthetic and real segment lengths).

    Args:
        labels: list of label-id arrays.
        drop_last: if True, skip each chain's final run, which the chain end may have cut.

    Returns:
        Dict from label id to an int array of run lengths.

    Example:

    >>> segment_lengths([np.array([2, 2, 0, 0, 0, 2])], drop_last=False)[0]
    array([3])
    """
    runs = {c: [] for c in range(len(SS_LABELS))}
    for index, label in enumerate(labels):
        label = check_int_array(f"labels[{index}]", label, ndim=1, shape="(T,)", low=0, high=len(SS_LABELS),
                                what="label ids")
        if label.size == 0:
            continue
        boundaries = np.flatnonzero(np.diff(label)) + 1
        starts = np.concatenate([[0], boundaries])
        ends = np.concatenate([boundaries, [label.size]])
        if drop_last:
            starts, ends = starts[:-1], ends[:-1]
        for start, end in zip(starts, ends):
            runs[int(label[start])].append(end - start)
    return {c: np.array(v, dtype=np.int64) for c, v in runs.items()}


def pad(sequences, labels=None, max_length=None, pad_id=PAD_ID, label_pad=0):
    """Right-pads variable-length chains to a batch array with a mask.

    Padded label positions hold `label_pad` (a valid class id, so sparse losses do not fail);
    the mask, or `sample_weight=mask`, keeps them out of the loss and the metrics.

    Used in chapter 01.

    Args:
        sequences: list of token-id arrays.
        labels: optional list of label arrays of the same lengths.
        max_length: padded length T; defaults to the longest chain. Longer chains raise.
        pad_id: token id of padding.
        label_pad: label id written at padded positions.

    Returns:
        `(x, mask)` or, with labels, `(x, y, mask)`: `x` and `y` int32 `(N, T)`, `mask` bool
        `(N, T)`, True on real residues.

    Example:

    >>> x, y, mask = pad([np.array([3, 4, 5]), np.array([6])], [np.array([0, 0, 2]), np.array([1])])
    >>> x.tolist(), mask.sum(axis=1).tolist()
    ([[3, 4, 5], [6, 0, 0]], [3, 1])
    """
    max_length = check_positive_int("max_length", max_length, allow_none=True)
    pad_id = check_int("pad_id", pad_id)
    label_pad = check_int("label_pad", label_pad)
    lengths = [len(s) for s in sequences]
    if not lengths:
        raise ValueError("`sequences` is empty: nothing to pad.")
    if labels is not None:
        if len(labels) != len(sequences):
            raise ValueError(
                "`labels` must hold one array per sequence. "
                f"Received: {len(labels)} label arrays for {len(sequences)} sequences"
            )
        for index, (s, y) in enumerate(zip(sequences, labels)):
            if len(s) != len(y):
                raise ValueError(
                    f"Sequence {index} has {len(s)} residues but {len(y)} labels; they must match."
                )
    longest = max(lengths)
    if max_length is None:
        max_length = longest
    elif longest > max_length:
        raise ValueError(
            f"A sequence has {longest} residues, more than max_length={max_length}. "
            "Raise max_length or crop the chains first."
        )
    x = np.full((len(sequences), max_length), pad_id, dtype=np.int32)
    mask = np.zeros((len(sequences), max_length), dtype=bool)
    y = np.full((len(sequences), max_length), label_pad, dtype=np.int32) if labels is not None else None
    for i, s in enumerate(sequences):
        x[i, : len(s)] = s
        mask[i, : len(s)] = True
        if y is not None:
            y[i, : len(s)] = labels[i]
    return (x, mask) if y is None else (x, y, mask)


def make_splits(sizes="default", seed=0, model=None, min_length=50, max_length=200):
    """Samples train / val / test splits of synthetic chains.

    Each split has its own random stream derived from `seed`, so the test set for a given seed
    and size does not change when the training set grows.

    Used in chapter 01.

    Args:
        sizes: a profile name from `SPLIT_SIZES` (`"smoke"`, `"default"`, `"full"`) or a dict
            `{"train": n, "val": n, "test": n}` of chain counts.
        seed: integer seed.
        model: a `ProteinHMM`; defaults to `ProteinHMM()`.
        min_length: shortest chain.
        max_length: longest chain.

    Returns:
        Dict from split name to `(tokens, labels)` lists (as `ProteinHMM.sample` returns).

    Example:

    >>> splits = make_splits({"train": 8, "val": 2, "test": 4}, seed=1)
    >>> [len(splits[k][0]) for k in ("train", "val", "test")]
    [8, 2, 4]
    """
    if isinstance(sizes, str):
        if sizes not in SPLIT_SIZES:
            raise ValueError(
                f"Unknown profile {sizes!r}; use one of {sorted(SPLIT_SIZES)} or a dict of sizes."
            )
        sizes = SPLIT_SIZES[sizes]
    if set(sizes) != {"train", "val", "test"}:
        raise ValueError(
            "`sizes` must have exactly the keys 'train', 'val', 'test'. "
            f"Received: keys={sorted(sizes)}"
        )
    sizes = {name: check_int(f"sizes[{name!r}]", size, minimum=0) for name, size in sizes.items()}
    model = ProteinHMM() if model is None else model
    streams = np.random.SeedSequence(seed).spawn(3)
    return {
        name: model.sample(sizes[name], np.random.default_rng(stream), min_length, max_length)
        for name, stream in zip(("train", "val", "test"), streams)
    }


# --------------------------------------------------------------------------------------------
# Real data: DSSP 3-state labels of PDB chains shipped with MDAnalysisTests.
# --------------------------------------------------------------------------------------------


class DSSPChain(typing.NamedTuple):
    """One real protein chain with its DSSP 3-state labels.

    Used in chapter 01.

    Attributes:
        name: file stem, PDB id plus chain letter (e.g. `"1ahsA"`).
        sequence: one-letter amino-acid string.
        tokens: int32 token ids (1..20).
        labels: int32 label ids (0 = H, 1 = E, 2 = C).
    """

    name: str
    sequence: str
    tokens: np.ndarray
    labels: np.ndarray


def _package_dir(package, pip_name):
    # find_spec locates a top-level package without executing it: importing MDAnalysisTests or
    # pydssp would pull in MDAnalysis (seconds) or torch (not installed).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"The package `{package}` is needed for the real protein data of chapter 01 but is "
            f"not installed. Install it with `pip install {pip_name}`."
        )
    return list(spec.submodule_search_locations)[0]


def dssp_data_dir():
    """Folder of the DSSP test data inside the installed MDAnalysisTests package.

    Used in chapter 01.

    Returns:
        Path of `MDAnalysisTests/data/dssp`.
    """
    return os.path.join(_package_dir("MDAnalysisTests", "MDAnalysisTests==2.11.0"), "data", "dssp")


def read_pdb_backbone(path):
    """Reads residue names and backbone coordinates (N, CA, C, O) from a (gzipped) PDB file.

    Plain-Python parser of ATOM records: one residue per (chain, number, insertion code), in
    file order; only the first alternate location of an atom is kept. HETATM records are
    skipped.

    Used in chapter 01.

    Args:
        path: a `.pdb` or `.pdb.gz` file.

    Returns:
        `(residue_names, coords)`: list of three-letter names and a float array `(L, 4, 3)`.
        Raises ValueError if a residue lacks one of N, CA, C, O.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    order = {"N": 0, "CA": 1, "C": 2, "O": 3}
    names, coords, keys = [], [], []
    with opener(path, "rt") as handle:
        for line in handle:
            if not line.startswith("ATOM"):
                continue
            key = line[21:27]  # chain id, residue number, insertion code
            if not keys or key != keys[-1]:
                keys.append(key)
                names.append(line[17:20].strip())
                coords.append([None] * 4)
            atom = line[12:16].strip()
            if atom in order and coords[-1][order[atom]] is None:
                coords[-1][order[atom]] = [float(line[30:38]), float(line[38:46]), float(line[46:54])]
    for index, atoms in enumerate(coords):
        if any(a is None for a in atoms):
            missing = [a for a, i in order.items() if atoms[i] is None]
            raise ValueError(
                f"{os.path.basename(str(path))}: residue {index} ({names[index]} {keys[index].strip()}) "
                f"lacks backbone atom(s) {missing}."
            )
    return names, np.array(coords, dtype=np.float64).reshape(len(coords), 4, 3)


def _dssp_names(data_dir):
    # The reference files are `<name>.pdb.dssp` next to `<name>.pdb.gz`; other .pdb.gz files in
    # the folder (e.g. a deliberately broken one) have no reference and are not chains of ours.
    return sorted(f[: -len(".pdb.dssp")] for f in os.listdir(data_dir) if f.endswith(".pdb.dssp"))


@functools.lru_cache(maxsize=4)
def _load_dssp_chains_cached(data_dir):
    chains, skipped = [], []
    for name in _dssp_names(data_dir):
        with open(os.path.join(data_dir, f"{name}.pdb.dssp")) as handle:
            reference = handle.read().split()[0]
        residues, _ = read_pdb_backbone(os.path.join(data_dir, f"{name}.pdb.gz"))
        unknown = sorted({r for r in residues if r not in THREE_TO_ONE})
        if unknown:
            # Dropping the chain keeps every label aligned with a real, encodable residue.
            skipped.append((name, f"non-standard residues {unknown}"))
            continue
        if len(residues) != len(reference):
            skipped.append((name, f"{len(residues)} residues but {len(reference)} DSSP labels"))
            continue
        bad = sorted(set(reference) - set(_DSSP_TO_LABEL))
        if bad:
            skipped.append((name, f"unexpected DSSP codes {bad}"))
            continue
        sequence = "".join(THREE_TO_ONE[r] for r in residues)
        tokens = _read_only(encode_sequence(sequence))
        labels = _read_only(np.array([_DSSP_TO_LABEL[c] for c in reference], dtype=np.int32))
        chains.append(DSSPChain(name, sequence, tokens, labels))
    return tuple(chains), tuple(skipped)


def load_dssp_chains(return_skipped=False, data_dir=None):
    """Loads the real chains: sequence and DSSP 3-state labels of each PDB chain in MDAnalysisTests.

    The labels are pydssp's 3-state strings shipped as `*.pdb.dssp` ('H' helix, 'E' strand,
    '-' other, mapped to H, E, C). A chain is skipped, with a warning, if a residue is not one
    of the 20 standard amino acids (or MSE), or if its residue count differs from its label
    string. With MDAnalysisTests 2.11.0 all 50 chains load (6,860 residues).

    Used in chapter 01.

    Args:
        return_skipped: if True, also return the `(name, reason)` pairs of skipped chains.
        data_dir: folder of `<name>.pdb.gz` / `<name>.pdb.dssp` pairs; defaults to
            `dssp_data_dir()`.

    Returns:
        List of `DSSPChain`, sorted by name; with `return_skipped=True`, a tuple
        `(chains, skipped)`.

    Example:

    >>> chains = load_dssp_chains()
    >>> chains[0].name, decode_labels(chains[0].labels[:8])
    ('1ahsA', 'CCCCECEC')
    """
    data_dir = dssp_data_dir() if data_dir is None else os.fspath(data_dir)
    chains, skipped = _load_dssp_chains_cached(data_dir)
    for name, reason in skipped:
        warnings.warn(f"load_dssp_chains: skipped {name}: {reason}", stacklevel=2)
    if return_skipped:
        return list(chains), list(skipped)
    return list(chains)


def dssp_splits(seed=0, fractions=(0.7, 0.1, 0.2)):
    """Fixed train / val / test split of the real chains, by chain (no chain is in two splits).

    Used in chapter 01.

    Args:
        seed: integer seed of the shuffle; the default 0 is the course's fixed split.
        fractions: shares of chains for (train, val, test); rounded, test gets the remainder.

    Returns:
        Dict from split name to a list of `DSSPChain`.

    Example:

    >>> splits = dssp_splits()
    >>> [len(splits[k]) for k in ("train", "val", "test")]
    [35, 5, 10]
    """
    fractions = check_probabilities("fractions", fractions, ndim=1, shape=(3,))
    chains = load_dssp_chains()
    order = np.random.default_rng(seed).permutation(len(chains))
    num_train = int(round(fractions[0] * len(chains)))
    num_val = int(round(fractions[1] * len(chains)))
    parts = {
        "train": order[:num_train],
        "val": order[num_train : num_train + num_val],
        "test": order[num_train + num_val :],
    }
    return {name: [chains[i] for i in sorted(index)] for name, index in parts.items()}


@functools.lru_cache(maxsize=1)
def _pydssp_numpy():
    path = os.path.join(_package_dir("pydssp", "--no-deps pydssp==0.9.1 einops"), "pydssp_numpy.py")
    # pydssp/__init__.py imports torch; its numpy implementation needs only numpy and einops.
    spec = importlib.util.spec_from_file_location("keras_patterns_pydssp_numpy", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"pydssp's numpy implementation needs `{error.name}`. Install it with "
            f"`pip install {error.name}`."
        ) from error
    return module


def recompute_dssp_labels(name, proline_donor_mask=True, data_dir=None):
    """Recomputes a chain's 3-state labels from its backbone coordinates with pydssp.

    pydssp (Minami 2023) is a differentiable re-implementation of DSSP's hydrogen-bond rule in
    numpy. Proline has no backbone N-H, so it cannot donate a hydrogen bond; the shipped
    reference strings were made with prolines masked as donors (`proline_donor_mask=True`
    reproduces them exactly for all 50 chains; without the mask 18 of 6,860 residues differ).

    Used in chapter 01.

    Args:
        name: chain name as in `DSSPChain.name`, e.g. `"1ahsA"`.
        proline_donor_mask: if True, prolines are not hydrogen-bond donors.
        data_dir: folder of the PDB files; defaults to `dssp_data_dir()`.

    Returns:
        int32 array of label ids (0 = H, 1 = E, 2 = C).

    Example:

    >>> labels = recompute_dssp_labels("1ahsA")
    >>> decode_labels(labels[:8])
    'CCCCECEC'
    """
    data_dir = dssp_data_dir() if data_dir is None else os.fspath(data_dir)
    path = os.path.join(data_dir, f"{name}.pdb.gz")
    if not os.path.exists(path):
        raise ValueError(
            f"No chain named {name!r} in {data_dir}. "
            f"Known names: {', '.join(_dssp_names(data_dir)[:5])}, ..."
        )
    residues, coords = read_pdb_backbone(path)
    donor_mask = np.array([r != "PRO" for r in residues]) if proline_donor_mask else None
    onehot = _pydssp_numpy().assign(coords, donor_mask=donor_mask)  # columns: loop, helix, strand
    pydssp_to_label = np.array([2, 0, 1], dtype=np.int32)
    return pydssp_to_label[np.argmax(onehot, axis=-1)]
