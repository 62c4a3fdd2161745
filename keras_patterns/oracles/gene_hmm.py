"""A prokaryotic gene-structure HMM on both strands, and its exact per-base posteriors.

The hidden path walks through intergenic background, genes on the plus strand
(Shine-Dalgarno site, spacer, start codon, coding codons, stop codon) and genes
on the minus strand (the same parts, reverse-complemented, so read left to
right: stop, codons, start, spacer, site). Every base gets one of three labels:
0 non-coding, 1 coding on the plus strand, 2 coding on the minus strand (start
and stop codons are coding, as in a CDS annotation).

Codons are expanded into states that remember the partial codon, so the joint
law of the three bases of a codon is exactly the codon table's, with no
in-frame stop, and the model stays an ordinary first-order HMM:

- a position-1 state per first base `b1` (emits `b1`, entered with `P(b1)`);
- a position-2 state per prefix `b1 b2` (emits `b2`, entered with `P(b2 | b1)`);
- a position-3 state per prefix `b1 b2`, emitting `b3` with `P(b3 | b1 b2)`.

Prefixes of probability 0 get no state. The same construction, applied to the
reverse complement of the table, gives the minus strand's codons, and applied to
the start and stop tables, their codons.

Published tables (the data card `datasets/genes/README.md` cites them):

- `CODON_USAGE`: E. coli K-12 codon usage, per thousand codons, from the
  Codon Usage Database (Nakamura, Gojobori and Ikemura 2000, Nucleic Acids
  Res. 28:292, species 83333, 5,122 CDS). The coding codons use its 61 sense
  codons; its three stop codons give the stop frequencies (TAA 62 %, TGA 31 %,
  TAG 6 %).
- `START_CODONS`: start-codon use of the E. coli K-12 genome annotation
  (Blattner et al. 1997, Science 277:1453): ATG 83 %, GTG 14 %, TTG 3 %.
- `SHINE_DALGARNO`: the consensus AGGAGG (Shine and Dalgarno 1974, PNAS
  71:1342), 5 to 10 nt upstream of the start codon.

The exact limit is the forward-backward posterior of the labels, batched over
contigs of one length (NumPy; the transition matrix is sparse, and the
recursions multiply only its non-zero blocks through a dense matrix of about
130 states, which is fast on a CPU). The brute-force check sums over every
state path, in `gene_hmm_test.py`.

NumPy only: no Keras import.

Used in chapter 02.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from keras_patterns.checks import (
    check_float_array,
    check_int,
    check_int_array,
    check_number,
    check_positive_int,
)

__all__ = [
    "BASES",
    "CODON_USAGE",
    "START_CODONS",
    "STOP_CODONS",
    "SHINE_DALGARNO",
    "GeneModel",
    "build_gene_model",
    "reverse_complement",
    "sense_codon_probabilities",
    "third_base_law",
    "label_posteriors",
    "codon_bases",
    "bayes_predictions",
    "boundary_mask",
    "brute_force_label_posteriors",
]

#: Base ids: A=0, C=1, G=2, T=3, so the complement of base b is 3 - b.
BASES = "ACGT"
LABELS = ("non-coding", "coding +", "coding -")

#: E. coli K-12 codon usage per thousand codons (Codon Usage Database, species 83333; Nakamura et al. 2000).
CODON_USAGE = {
    "TTT": 22.4, "TTC": 16.6, "TTA": 13.9, "TTG": 13.7, "CTT": 11.0, "CTC": 11.0, "CTA": 3.9, "CTG": 52.6,
    "ATT": 30.3, "ATC": 25.0, "ATA": 4.4, "ATG": 27.8, "GTT": 18.3, "GTC": 15.3, "GTA": 10.9, "GTG": 26.4,
    "TCT": 8.5, "TCC": 8.6, "TCA": 7.2, "TCG": 8.9, "CCT": 7.0, "CCC": 5.5, "CCA": 8.5, "CCG": 23.2,
    "ACT": 9.0, "ACC": 23.4, "ACA": 7.1, "ACG": 14.4, "GCT": 15.3, "GCC": 25.5, "GCA": 20.3, "GCG": 33.7,
    "TAT": 16.3, "TAC": 12.3, "TAA": 2.0, "TAG": 0.2, "CAT": 12.9, "CAC": 9.7, "CAA": 15.5, "CAG": 28.8,
    "AAT": 17.7, "AAC": 21.7, "AAA": 33.6, "AAG": 10.2, "GAT": 32.1, "GAC": 19.1, "GAA": 39.4, "GAG": 17.8,
    "TGT": 5.2, "TGC": 6.4, "TGA": 1.0, "TGG": 15.2, "CGT": 20.9, "CGC": 22.0, "CGA": 3.6, "CGG": 5.4,
    "AGT": 8.8, "AGC": 16.1, "AGA": 2.1, "AGG": 1.2, "GGT": 24.7, "GGC": 29.6, "GGA": 8.0, "GGG": 11.1,
}
STOP_CODONS = {codon: CODON_USAGE[codon] for codon in ("TAA", "TGA", "TAG")}
#: Start codons of the E. coli K-12 annotation (Blattner et al. 1997), as fractions.
START_CODONS = {"ATG": 0.83, "GTG": 0.14, "TTG": 0.03}
SHINE_DALGARNO = "AGGAGG"

#: Kinds of state (`GeneModel.kinds`).
KINDS = ("intergenic", "rbs", "spacer", "start", "codon", "stop")


def _ids(sequence):
    return [BASES.index(b) for b in sequence]


def reverse_complement(sequence):
    """The reverse complement of a DNA string over ACGT.

    Example:

    >>> reverse_complement("ATGC")
    'GCAT'
    """
    if not isinstance(sequence, str) or any(b not in BASES for b in sequence):
        raise ValueError(f"`sequence` must be a string over 'ACGT'. Received: sequence={sequence!r}")
    return sequence[::-1].translate(str.maketrans("ACGT", "TGCA"))


def sense_codon_probabilities(usage=None):
    """The coding codons' law: the usage table without its stop codons, normalised.

    Args:
        usage: a dict codon -> frequency (non-negative numbers), or None for `CODON_USAGE`.

    Returns:
        A dict over the 61 sense codons whose values sum to 1.

    Example:

    >>> p = sense_codon_probabilities()
    >>> len(p), round(p["CTG"], 4)
    (61, 0.0528)
    """
    table = _check_table("usage", CODON_USAGE if usage is None else usage)
    sense = {c: v for c, v in table.items() if c not in STOP_CODONS}
    total = sum(sense.values())
    if total <= 0:
        raise ValueError("`usage` must give a positive frequency to at least one sense codon.")
    return {c: v / total for c, v in sense.items()}


def third_base_law(codon_probabilities):
    """P(b3 | b1 b2): the emission of the position-3 states, from a law over codons.

    Args:
        codon_probabilities: a dict codon -> probability (or frequency; normalised here), e.g. from
            `sense_codon_probabilities()`.

    Returns:
        float64 `(4, 4, 4)`: entry `[b1, b2, b3]` is P(third base b3 | first two bases b1 b2), bases indexed
        A, C, G, T; a prefix no codon has gets a row of zeros (it has no state).

    Example:

    >>> law = third_base_law(sense_codon_probabilities())
    >>> round(float(law[3, 0, 1]), 4), float(law[3, 0, 0])  # after T, A only C or T: TAA, TAG are stops
    (0.4301, 0.0)
    """
    table = _check_table("codon_probabilities", codon_probabilities)
    law = np.zeros((4, 4, 4))
    for codon, value in table.items():
        law[tuple(_ids(codon))] = value
    totals = law.sum(axis=2, keepdims=True)
    return np.divide(law, totals, out=np.zeros_like(law), where=totals > 0)


def _check_table(name, table):
    if not isinstance(table, dict) or not table:
        raise ValueError(f"`{name}` must be a non-empty dict codon -> frequency. Received: {name}={table!r}")
    out = {}
    for codon, value in table.items():
        if not isinstance(codon, str) or len(codon) != 3 or any(b not in BASES for b in codon):
            raise ValueError(f"`{name}` keys must be codons of three letters over 'ACGT'. Received key {codon!r}")
        value = check_number(f"{name}[{codon!r}]", value, low=0.0)
        out[codon] = float(value)
    if sum(out.values()) <= 0:
        raise ValueError(f"`{name}` must give a positive frequency to at least one codon.")
    return out


@dataclass
class GeneModel:
    """The gene HMM as arrays: `S` hidden states over the 4 bases.

    Attributes:
        initial: float64 `(S,)`, the law of the first state (the chain's stationary law, so a contig may start
            inside a gene).
        transition: float64 `(S, S)`, row i is P(next state | state i).
        emission: float64 `(S, 4)`, row i is P(base | state i), bases A, C, G, T.
        labels: int64 `(S,)`, the label of each state: 0 non-coding, 1 coding +, 2 coding -.
        kinds: int64 `(S,)`, the index in `KINDS` of each state's part (intergenic, rbs, spacer, start, codon,
            stop).
        names: the states' names, e.g. "+codon2:AT" (the plus strand's position-2 state after A, T).
        params: the arguments the model was built with.
    """

    initial: np.ndarray
    transition: np.ndarray
    emission: np.ndarray
    labels: np.ndarray
    kinds: np.ndarray
    names: list
    params: dict = field(default_factory=dict)

    @property
    def num_states(self):
        return len(self.names)

    def sample(self, num_contigs, length, seed):
        """Sample contigs: `(bases, states)`, both int64 `(num_contigs, length)`.

        Vectorised over contigs: at each position every contig draws its next state (inverse CDF of its
        transition row) and its base.
        """
        num_contigs = check_positive_int("num_contigs", num_contigs)
        length = check_positive_int("length", length)
        rng = np.random.default_rng(check_int("seed", seed, minimum=0))
        cum_t = np.cumsum(self.transition, axis=1)
        cum_e = np.cumsum(self.emission, axis=1)
        states = np.empty((num_contigs, length), dtype=np.int64)
        bases = np.empty((num_contigs, length), dtype=np.int64)
        last = self.num_states - 1
        state = np.minimum((np.cumsum(self.initial)[None, :] < rng.random((num_contigs, 1))).sum(1), last)
        for t in range(length):
            if t:
                state = np.minimum((cum_t[state] < rng.random((num_contigs, 1))).sum(1), last)
            states[:, t] = state
            bases[:, t] = np.minimum((cum_e[state] < rng.random((num_contigs, 1))).sum(1), 3)
        return bases, states


class _Builder:
    """Collects states and edges; blocks connect through their entry distributions."""

    def __init__(self):
        self.names, self.emissions, self.labels, self.kinds, self.edges = [], [], [], [], {}

    def state(self, name, emission, label, kind):
        self.names.append(name)
        self.emissions.append(np.asarray(emission, dtype=float))
        self.labels.append(label)
        self.kinds.append(KINDS.index(kind))
        return len(self.names) - 1

    def edge(self, i, j, p):
        if p > 0:
            self.edges[i, j] = self.edges.get((i, j), 0.0) + p

    def link(self, sources, entry, p=1.0):
        """From each (state, weight) in `sources`, enter a block with the entry law `entry` ({state: prob})."""
        for i, w in sources:
            for j, q in entry.items():
                self.edge(i, j, w * p * q)


def _one_hot(b):
    e = np.zeros(4)
    e[b] = 1.0
    return e


def _triplet_block(builder, prefix, table, label, kind):
    """States of a triplet chain with the exact joint law `table` ({triplet: prob}).

    Returns `(entry, exits)`: the entry law over its position-1 states and its position-3 states (the exits).
    """
    total = sum(table.values())
    p = {k: v / total for k, v in table.items() if v > 0}
    first = {}
    for codon, v in p.items():
        first[codon[0]] = first.get(codon[0], 0.0) + v
    pair = {}
    for codon, v in p.items():
        pair[codon[:2]] = pair.get(codon[:2], 0.0) + v
    one = {b: builder.state(f"{prefix}1:{b}", _one_hot(BASES.index(b)), label, kind) for b in sorted(first)}
    two = {ab: builder.state(f"{prefix}2:{ab}", _one_hot(BASES.index(ab[1])), label, kind) for ab in sorted(pair)}
    three = {}
    for ab in sorted(pair):
        emission = np.zeros(4)
        for codon, v in p.items():
            if codon[:2] == ab:
                emission[BASES.index(codon[2])] = v / pair[ab]
        three[ab] = builder.state(f"{prefix}3:{ab}", emission, label, kind)
        builder.edge(one[ab[0]], two[ab], pair[ab] / first[ab[0]])
        builder.edge(two[ab], three[ab], 1.0)
    entry = {one[b]: v for b, v in first.items()}
    return entry, list(three.values())


def _motif_block(builder, prefix, pwm, label, kind):
    """A chain of states, one per motif position (emission row = the position's base law)."""
    ids = [builder.state(f"{prefix}{k}", row, label, kind) for k, row in enumerate(pwm)]
    for a, b in zip(ids, ids[1:]):
        builder.edge(a, b, 1.0)
    return ids


def _spacer_block(builder, prefix, background, low, high):
    """Spacer of a length uniform on [low, high]: a chain left at position k with hazard 1/(high - k + 1)."""
    ids = [builder.state(f"{prefix}{k}", background, 0, "spacer") for k in range(1, high + 1)]
    exits = []
    for k, i in enumerate(ids, start=1):
        leave = 1.0 / (high - k + 1) if k >= low else 0.0
        if k < high:
            builder.edge(i, ids[k], 1.0 - leave)
        if leave > 0:
            exits.append((i, leave))
    return ids[0], exits


def build_gene_model(*, mean_intergenic=60.0, mean_codons=40.0, plus_fraction=0.5, rbs_strength=0.7,
                     spacer=(5, 10), rbs=SHINE_DALGARNO, background=(0.3, 0.2, 0.2, 0.3),
                     codon_usage=None, start_codons=None, stop_codons=None):
    """Build the two-strand gene HMM.

    A gene on the plus strand, left to right: the Shine-Dalgarno site `rbs` (position k emits its consensus
    base with probability `rbs_strength`, each other base with `(1 - rbs_strength) / 3`), a spacer of
    background bases whose length is uniform on `spacer` (both ends included), the start codon, a geometric
    number of coding codons (at least one, mean `mean_codons`), the stop codon. A gene on the minus strand is
    the reverse complement of that, read left to right. Intergenic stretches are geometric (at least one base,
    mean `mean_intergenic`) of background bases; each gene is on the plus strand with probability
    `plus_fraction`.

    Args:
        mean_intergenic: mean intergenic length in bases, a float >= 1.
        mean_codons: mean number of coding codons between start and stop, a float >= 1.
        plus_fraction: probability that a gene is on the plus strand, in [0, 1].
        rbs_strength: probability of the consensus base at each site position, in [0.25, 1].
        spacer: `(low, high)`, the spacer lengths (ints, 1 <= low <= high).
        rbs: the site's consensus, a non-empty string over ACGT.
        background: base law (A, C, G, T) of intergenic and spacer bases, 4 non-negative numbers summing to 1.
        codon_usage: dict codon -> frequency for the coding codons (stops are dropped), None for `CODON_USAGE`.
        start_codons: dict codon -> frequency, None for `START_CODONS`.
        stop_codons: dict codon -> frequency, None for `STOP_CODONS`.

    Returns:
        A `GeneModel`.

    Example:

    >>> model = build_gene_model()
    >>> model.num_states, model.transition.shape, bool(np.allclose(model.transition.sum(1), 1))
    (130, (130, 130), True)
    """
    mean_intergenic = check_number("mean_intergenic", mean_intergenic, low=1.0)
    mean_codons = check_number("mean_codons", mean_codons, low=1.0)
    plus_fraction = check_number("plus_fraction", plus_fraction, low=0.0, high=1.0)
    rbs_strength = check_number("rbs_strength", rbs_strength, low=0.25, high=1.0)
    if (not isinstance(spacer, (tuple, list)) or len(spacer) != 2
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in spacer)
            or not 1 <= spacer[0] <= spacer[1]):
        raise ValueError(f"`spacer` must be a pair of ints (low, high) with 1 <= low <= high. Received: spacer={spacer!r}")
    if not isinstance(rbs, str) or not rbs or any(b not in BASES for b in rbs):
        raise ValueError(f"`rbs` must be a non-empty string over 'ACGT'. Received: rbs={rbs!r}")
    background = check_float_array("background", background, ndim=1, shape=(4,))
    if np.any(background < 0) or abs(background.sum() - 1.0) > 1e-9:
        raise ValueError(f"`background` must be 4 non-negative numbers (A, C, G, T) summing to 1. "
                         f"Received: background={background.tolist()}")
    sense = sense_codon_probabilities(codon_usage)
    starts = _check_table("start_codons", START_CODONS if start_codons is None else start_codons)
    stops = _check_table("stop_codons", STOP_CODONS if stop_codons is None else stop_codons)
    low, high = int(spacer[0]), int(spacer[1])

    pwm = np.full((len(rbs), 4), (1.0 - rbs_strength) / 3.0)
    for k, b in enumerate(_ids(rbs)):
        pwm[k, b] = rbs_strength
    rc = lambda table: {reverse_complement(c): v for c, v in table.items()}  # noqa: E731
    stay_coding = 1.0 - 1.0 / mean_codons
    enter_gene = 1.0 / mean_intergenic

    b = _Builder()
    intergenic = b.state("intergenic", background, 0, "intergenic")
    # Plus strand: site -> spacer -> start -> codons (loop) -> stop -> intergenic.
    site = _motif_block(b, "+rbs", pwm, 0, "rbs")
    spacer_entry, spacer_exits = _spacer_block(b, "+spacer", background, low, high)
    start_entry, start_exits = _triplet_block(b, "+start", starts, 1, "start")
    codon_entry, codon_exits = _triplet_block(b, "+codon", sense, 1, "codon")
    stop_entry, stop_exits = _triplet_block(b, "+stop", stops, 1, "stop")
    b.edge(intergenic, site[0], enter_gene * plus_fraction)
    b.edge(site[-1], spacer_entry, 1.0)
    b.link(spacer_exits, start_entry)
    b.link([(s, 1.0) for s in start_exits], codon_entry)
    b.link([(s, 1.0) for s in codon_exits], codon_entry, stay_coding)
    b.link([(s, 1.0) for s in codon_exits], stop_entry, 1.0 - stay_coding)
    b.link([(s, 1.0) for s in stop_exits], {intergenic: 1.0})
    # Minus strand, read left to right: reverse-complemented stop -> codons (loop) -> start -> spacer -> site.
    rstop_entry, rstop_exits = _triplet_block(b, "-stop", rc(stops), 2, "stop")
    rcodon_entry, rcodon_exits = _triplet_block(b, "-codon", rc(sense), 2, "codon")
    rstart_entry, rstart_exits = _triplet_block(b, "-start", rc(starts), 2, "start")
    rspacer_entry, rspacer_exits = _spacer_block(b, "-spacer", background, low, high)
    rsite = _motif_block(b, "-rbs", pwm[::-1, ::-1], 0, "rbs")
    b.link([(intergenic, enter_gene * (1.0 - plus_fraction))], rstop_entry)
    b.link([(s, 1.0) for s in rstop_exits], rcodon_entry)
    b.link([(s, 1.0) for s in rcodon_exits], rcodon_entry, stay_coding)
    b.link([(s, 1.0) for s in rcodon_exits], rstart_entry, 1.0 - stay_coding)
    b.link([(s, 1.0) for s in rstart_exits], {rspacer_entry: 1.0})
    b.link(rspacer_exits, {rsite[0]: 1.0})
    b.edge(rsite[-1], intergenic, 1.0)
    b.edge(intergenic, intergenic, 1.0 - enter_gene)

    num_states = len(b.names)
    transition = np.zeros((num_states, num_states))
    for (i, j), p in b.edges.items():
        transition[i, j] = p
    initial = _stationary(transition)
    params = dict(mean_intergenic=mean_intergenic, mean_codons=mean_codons, plus_fraction=plus_fraction,
                  rbs_strength=rbs_strength, spacer=(low, high), rbs=rbs, background=background.tolist())
    return GeneModel(initial, transition, np.array(b.emissions), np.array(b.labels, dtype=np.int64),
                     np.array(b.kinds, dtype=np.int64), list(b.names), params)


def _stationary(transition):
    """The stationary law pi = pi P (the chain is irreducible through the intergenic state, aperiodic by its loop)."""
    n = len(transition)
    system = np.vstack([transition.T - np.eye(n), np.ones((1, n))])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def _check_bases(bases):
    bases = check_int_array("bases", bases, low=0, high=4, min_size=1, what="base ids (A=0, C=1, G=2, T=3)",
                            hint="contigs of one length, int base ids")
    if bases.ndim == 1:
        bases = bases[None, :]
    if bases.ndim != 2:
        raise ValueError(f"`bases` must be a 1-D contig (T,) or a 2-D batch (num_contigs, T). "
                         f"Received: bases.shape={bases.shape}")
    return bases


def _check_model(model):
    if not isinstance(model, GeneModel):
        raise ValueError(f"`model` must be a GeneModel (from build_gene_model). Received: {type(model).__name__}")
    return model


def label_posteriors(model, bases, chunk=256):
    """Exact per-base label posteriors P(label_t | x_1..x_T) by the scaled forward-backward recursion.

    Args:
        model: a `GeneModel`.
        bases: int array `(T,)` or `(num_contigs, T)`, base ids 0..3 (A, C, G, T); contigs of one length.
        chunk: contigs per batch of the recursion (memory: chunk * T * S floats).

    Returns:
        float64 `(num_contigs, T, 3)`, rows summing to 1: non-coding, coding +, coding - (a 1-D contig gives
        `num_contigs = 1`).

    Example:

    >>> model = build_gene_model()
    >>> post = label_posteriors(model, np.array([0, 3, 2, 1, 1]))
    >>> post.shape, bool(np.allclose(post.sum(-1), 1))
    ((1, 5, 3), True)
    """
    model = _check_model(model)
    bases = _check_bases(bases)
    chunk = check_positive_int("chunk", chunk)
    out = np.empty(bases.shape + (3,))
    for start in range(0, len(bases), chunk):
        out[start:start + chunk] = _posteriors(model, bases[start:start + chunk])
    return out


def _posteriors(model, bases):
    num, length = bases.shape
    emit = model.emission.T[bases]  # (B, T, S)
    trans = model.transition
    alphas = np.empty_like(emit)
    predicted = np.broadcast_to(model.initial, (num, model.num_states))
    for t in range(length):
        joint = predicted * emit[:, t]
        total = joint.sum(axis=1, keepdims=True)
        if np.any(total <= 0):
            bad = int(np.flatnonzero(total[:, 0] <= 0)[0])
            raise ValueError(f"Contig {bad} has probability zero under the model at position {t}: "
                             "is it over A, C, G, T (ids 0..3)?")
        alphas[:, t] = joint / total
        predicted = alphas[:, t] @ trans
    beta = np.ones((num, model.num_states))
    gammas = np.empty_like(emit)
    gammas[:, -1] = alphas[:, -1]
    for t in range(length - 2, -1, -1):
        beta = (emit[:, t + 1] * beta) @ trans.T
        beta /= beta.sum(axis=1, keepdims=True)
        g = alphas[:, t] * beta
        gammas[:, t] = g / g.sum(axis=1, keepdims=True)
    one_hot = np.eye(3)[model.labels]  # (S, 3)
    return gammas @ one_hot


def bayes_predictions(posteriors):
    """The Bayes rule per base: the label of largest posterior, int64 `(num_contigs, T)`."""
    posteriors = check_float_array("posteriors", posteriors, ndim=3)
    if posteriors.shape[-1] != 3:
        raise ValueError(f"`posteriors` must have shape (num_contigs, T, 3). Received: {posteriors.shape}")
    return posteriors.argmax(-1)


def codon_bases(model, states):
    """The bases of start and stop codons along state paths.

    Args:
        model: the `GeneModel` that produced `states`.
        states: int array `(num_contigs, T)`, the true state path.

    Returns:
        bool `(num_contigs, T)`: True where the state is a base of a start or a stop codon (either strand).

    Example:

    >>> model = build_gene_model()
    >>> _, states = model.sample(1, 400, seed=0)
    >>> int(codon_bases(model, states).sum() % 3)
    0

    Used in chapter 02.
    """
    model = _check_model(model)
    states = check_int_array("states", states, ndim=2, low=0, high=model.num_states, what="state ids")
    kinds = model.kinds[states]
    return (kinds == KINDS.index("start")) | (kinds == KINDS.index("stop"))


def boundary_mask(model, states, radius=5):
    """Bases within `radius` nt of a start or a stop codon (the codon's own bases included).

    Args:
        model: the `GeneModel` that produced `states`.
        states: int array `(num_contigs, T)`, the true state path.
        radius: int >= 0.

    Returns:
        bool `(num_contigs, T)`.

    Example:

    >>> model = build_gene_model()
    >>> _, states = model.sample(2, 300, seed=0)
    >>> boundary_mask(model, states).shape
    (2, 300)
    """
    radius = check_int("radius", radius, minimum=0)
    codon_base = codon_bases(model, states)
    mask = np.zeros_like(codon_base)
    length = codon_base.shape[1]
    for shift in range(-radius, radius + 1):
        lo, hi = max(0, shift), min(length, length + shift)
        if lo < hi:  # a shift longer than the contig reaches no base
            mask[:, lo:hi] |= codon_base[:, lo - shift:hi - shift]
    return mask


def brute_force_label_posteriors(model, bases):
    """Label posteriors of one short contig by summing P(path, x) over every state path (depth-first search).

    Paths through a zero transition or a zero emission contribute nothing, so the search prunes them; no
    recursion of forward-backward is used. Exponential in T: for tests on contigs of a dozen bases.

    Args:
        model: a `GeneModel`.
        bases: int array `(T,)`, base ids 0..3, 1 <= T <= 16.

    Returns:
        float64 `(T, 3)`.
    """
    model = _check_model(model)
    bases = check_int_array("bases", bases, ndim=1, low=0, high=4, min_size=1, what="base ids")
    if len(bases) > 16:
        raise ValueError(f"`bases` is enumerated path by path: at most 16 bases. Received: {len(bases)}")
    successors = [np.flatnonzero(row) for row in model.transition]
    totals = np.zeros((len(bases), 3))

    def walk(t, state, prob, labels):
        prob = prob * model.emission[state, bases[t]]
        if prob == 0.0:
            return
        labels = labels + [model.labels[state]]
        if t == len(bases) - 1:
            for k, lab in enumerate(labels):
                totals[k, lab] += prob
            return
        for nxt in successors[state]:
            walk(t + 1, nxt, prob * model.transition[state, nxt], labels)

    for s in np.flatnonzero(model.initial):
        walk(0, s, model.initial[s], [])
    return totals / totals.sum(axis=1, keepdims=True)
