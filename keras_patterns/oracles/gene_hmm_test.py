"""The gene HMM: its tables, its structure, its sampler, and forward-backward against brute force."""

import itertools

import numpy as np
import pytest

from keras_patterns.oracles import gene_hmm as g
from keras_patterns.oracles import hmm


@pytest.fixture(scope="module")
def model():
    return g.build_gene_model()


def tiny_model():
    """Genes of a dozen bases (site of 2, spacer 1-2, few codons), so short contigs hold whole genes."""
    return g.build_gene_model(mean_intergenic=2.0, mean_codons=1.5, rbs="AG", spacer=(1, 2), rbs_strength=0.8,
                              codon_usage={"GCT": 3.0, "AAA": 1.0, "TAA": 5.0},
                              start_codons={"ATG": 0.7, "GTG": 0.3}, stop_codons={"TAA": 0.6, "TGA": 0.4})


def test_tables_are_the_published_ones():
    assert len(g.CODON_USAGE) == 64
    assert abs(sum(g.CODON_USAGE.values()) - 1000.0) < 1.0, "a per-thousand table sums to 1000"
    sense = g.sense_codon_probabilities()
    assert len(sense) == 61 and not set(sense) & {"TAA", "TAG", "TGA"}
    assert abs(sum(sense.values()) - 1.0) < 1e-12
    assert max(sense, key=sense.get) == "CTG", "CTG (leucine) is E. coli's most used codon"
    stops = np.array([g.STOP_CODONS[c] for c in ("TAA", "TGA", "TAG")])
    assert np.allclose(stops / stops.sum(), [0.625, 0.3125, 0.0625])
    assert abs(sum(g.START_CODONS.values()) - 1.0) < 1e-12 and g.SHINE_DALGARNO == "AGGAGG"


def test_reverse_complement():
    assert g.reverse_complement("ATGAAACCC") == "GGGTTTCAT"
    assert g.reverse_complement("") == ""
    with pytest.raises(ValueError, match="ACGT"):
        g.reverse_complement("ATGN")


def test_model_is_stochastic_and_stationary(model):
    assert model.num_states == 130
    assert np.allclose(model.transition.sum(1), 1) and np.all(model.transition >= 0)
    assert np.allclose(model.emission.sum(1), 1) and np.all(model.emission >= 0)
    assert np.allclose(model.initial @ model.transition, model.initial) and abs(model.initial.sum() - 1) < 1e-12
    assert set(model.labels.tolist()) == {0, 1, 2}
    # Symmetric strands: as much plus as minus coding at stationarity.
    assert abs(model.initial[model.labels == 1].sum() - model.initial[model.labels == 2].sum()) < 1e-9


def _codon_law(model, prefix):
    """The exact law of the three bases emitted from the block's position-1 states, by following its states."""
    idx = {n: i for i, n in enumerate(model.names)}
    law = {}
    for name, i in idx.items():
        if not name.startswith(prefix + "1:"):
            continue
        b1 = name[-1]
        # entry probability of b1 from any state outside the block (normalised below)
        for ab in (b1 + b for b in g.BASES):
            j = idx.get(f"{prefix}2:{ab}")
            if j is None:
                continue
            p2 = model.transition[i, j]
            k = idx[f"{prefix}3:{ab}"]
            assert model.transition[j, k] == 1.0
            for b3, e in zip(g.BASES, model.emission[k]):
                law[ab + b3] = law.get(ab + b3, 0.0) + p2 * e
    return law


def test_codon_states_give_the_exact_joint_law(model):
    # Enter from the start codon's last state: weights P(b1) on the plus codon block.
    idx = {n: i for i, n in enumerate(model.names)}
    start_exit = idx["+start3:AT"]
    sense = g.sense_codon_probabilities()
    law = {}
    for b1 in g.BASES:
        i = idx.get(f"+codon1:{b1}")
        w = model.transition[start_exit, i]
        for codon, p in _codon_law(model, "+codon").items():
            if codon[0] == b1:
                law[codon] = law.get(codon, 0.0) + w * p
    assert set(k for k, v in law.items() if v > 0) == set(sense), "61 sense codons, no stop"
    for codon, p in sense.items():
        assert abs(law[codon] - p) < 1e-12, codon
    # Minus strand: the block emits reverse complements with the same probabilities.
    rc_law = {}
    for b1 in g.BASES:
        i = idx.get(f"-codon1:{b1}")
        if i is None:
            continue
        w = model.transition[idx["-stop3:TT"], i]
        for codon, p in _codon_law(model, "-codon").items():
            if codon[0] == b1:
                rc_law[codon] = rc_law.get(codon, 0.0) + w * p
    for codon, p in sense.items():
        assert abs(rc_law[g.reverse_complement(codon)] - p) < 1e-12, codon


def _genes(bases, states, model):
    """Plus-strand genes (start index, end index exclusive) read off the true path."""
    kinds = model.kinds[states]
    labels = model.labels[states]
    genes = []
    t = 0
    while t < len(states):
        if kinds[t] == 3 and labels[t] == 1 and model.names[states[t]].startswith("+start1"):
            u = t
            while u < len(states) and labels[u] == 1:
                u += 1
            if u < len(states):
                genes.append((t, u))
            t = u
        else:
            t += 1
    return genes


def test_sampled_genes_are_well_formed(model):
    bases, states = model.sample(40, 2000, seed=3)
    letters = np.array(list(g.BASES))
    codon_counts = {}
    seen = 0
    for x, s in zip(bases, states):
        for a, b in _genes(x, s, model):
            gene = "".join(letters[x[a:b]])
            seen += 1
            assert len(gene) % 3 == 0 and gene[:3] in g.START_CODONS and gene[-3:] in g.STOP_CODONS
            inner = [gene[i:i + 3] for i in range(3, len(gene) - 3, 3)]
            assert inner and not set(inner) & set(g.STOP_CODONS), "no in-frame stop inside a gene"
            for c in inner:
                codon_counts[c] = codon_counts.get(c, 0) + 1
            # The spacer between the site and the start: 5..10 background bases after 6 site bases.
            kinds = model.kinds[s[max(0, a - 16):a]]
            if a >= 16:
                assert 5 <= np.sum(kinds == g.KINDS.index("spacer")) <= 10
    assert seen > 100
    sense = g.sense_codon_probabilities()
    total = sum(codon_counts.values())
    # CTG's share within 5 standard errors of the table.
    p = sense["CTG"]
    assert abs(codon_counts["CTG"] / total - p) < 5 * np.sqrt(p * (1 - p) / total)


def test_minus_strand_genes_are_reverse_complements(model):
    bases, states = model.sample(20, 3000, seed=4)
    letters = np.array(list(g.BASES))
    found = 0
    for x, s in zip(bases, states):
        labels = model.labels[s]
        names = [model.names[i] for i in s]
        for t in range(len(s) - 1):
            if names[t].startswith("-stop1") and (t == 0 or labels[t - 1] != 2):
                u = t
                while u < len(s) and labels[u] == 2:
                    u += 1
                if u == len(s):
                    continue
                gene = g.reverse_complement("".join(letters[x[t:u]]))
                assert gene[:3] in g.START_CODONS and gene[-3:] in g.STOP_CODONS and len(gene) % 3 == 0
                found += 1
    assert found > 20


def test_lengths_follow_the_parameters():
    model = g.build_gene_model(mean_intergenic=30.0, mean_codons=20.0)
    _, states = model.sample(50, 3000, seed=5)
    labels = model.labels[states]
    coding = (labels > 0).mean()
    # Expected coding share: gene (start + codons + stop) over gene + site + spacer + intergenic.
    gene = 3 * (20 + 2)
    expected = gene / (gene + 6 + 7.5 + 30)
    assert abs(coding - expected) < 0.03


@pytest.mark.parametrize("seed", range(6))
def test_forward_backward_matches_brute_force(seed):
    model = tiny_model()
    bases, _ = model.sample(1, 12, seed=seed)
    exact = g.label_posteriors(model, bases[0])[0]
    brute = g.brute_force_label_posteriors(model, bases[0])
    assert np.allclose(exact, brute, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_forward_backward_matches_brute_force_on_the_chapter_model(model, seed):
    bases, _ = model.sample(1, 10, seed=100 + seed)
    assert np.allclose(g.label_posteriors(model, bases)[0], g.brute_force_label_posteriors(model, bases[0]),
                       atol=1e-12)


def test_brute_force_enumerates_every_path_of_a_tiny_contig():
    # Brute force over all S^T state sequences (not only the search's), on 3 bases.
    model = tiny_model()
    x = np.array([0, 2, 0])
    totals = np.zeros((3, 3))
    for path in itertools.product(range(model.num_states), repeat=3):
        p = model.initial[path[0]] * model.emission[path[0], x[0]]
        for t in range(1, 3):
            p *= model.transition[path[t - 1], path[t]] * model.emission[path[t], x[t]]
        for t, s in enumerate(path):
            totals[t, model.labels[s]] += p
    assert np.allclose(g.brute_force_label_posteriors(model, x), totals / totals.sum(1, keepdims=True))


def test_batched_posteriors_match_the_generic_hmm(model):
    bases, _ = model.sample(5, 200, seed=6)
    batched = g.label_posteriors(model, bases, chunk=2)
    one_hot = np.eye(3)[model.labels]
    for x, post in zip(bases, batched):
        generic = hmm.forward_backward(x, model.initial, model.transition, model.emission) @ one_hot
        assert np.allclose(post, generic, atol=1e-10)


def test_bayes_rule_beats_every_other_rule_in_expectation(model):
    bases, states = model.sample(50, 300, seed=7)
    post = g.label_posteriors(model, bases)
    labels = model.labels[states]
    bayes = (g.bayes_predictions(post) == labels).mean()
    expected = post.max(-1).mean()
    assert abs(bayes - expected) < 0.01, "the realised Bayes accuracy is close to its expectation"
    for rule in (np.zeros_like(labels), (post[..., 1] > post[..., 2]).astype(int) + 1):
        assert (rule == labels).mean() < bayes


def test_boundary_mask():
    model = g.build_gene_model()
    states = np.zeros((1, 30), dtype=np.int64)
    idx = {n: i for i, n in enumerate(model.names)}
    states[0, 12:15] = [idx["+stop1:T"], idx["+stop2:TA"], idx["+stop3:TA"]]
    mask = g.boundary_mask(model, states, radius=5)
    assert mask[0].tolist() == [False] * 7 + [True] * 13 + [False] * 10
    assert g.boundary_mask(model, states, radius=0)[0].sum() == 3
    edge = np.zeros((1, 6), dtype=np.int64)
    edge[0, 0] = idx["+start1:A"]
    assert g.boundary_mask(model, edge, radius=2)[0].tolist() == [True, True, True, False, False, False]
    # A radius longer than the contig: every base of it is near the codon (no shape error).
    assert g.boundary_mask(model, edge[:, :3], radius=5)[0].tolist() == [True, True, True]
    far = np.zeros((2, 4), dtype=np.int64)
    far[1, 3] = idx["+stop3:TA"]
    assert g.boundary_mask(model, far, radius=9).tolist() == [[False] * 4, [True] * 4]


def test_codon_bases_marks_start_and_stop_codons_of_both_strands():
    model = g.build_gene_model()
    idx = {n: i for i, n in enumerate(model.names)}
    states = np.zeros((2, 8), dtype=np.int64)
    states[0, 1:4] = [idx["+start1:A"], idx["+start2:AT"], idx["+start3:AT"]]
    states[1, 5] = idx["+stop3:TA"]
    minus = [n for n in model.names if n.startswith("-") and ("stop" in n or "start" in n)]
    assert minus, "the minus strand has its own start and stop states"
    states[1, 0] = idx[minus[0]]
    want = [[False, True, True, True, False, False, False, False], [True, False, False, False, False, True, False, False]]
    assert g.codon_bases(model, states).tolist() == want
    assert not g.codon_bases(model, np.zeros((1, 5), dtype=np.int64)).any(), "intergenic bases are no codon bases"
    coding = [i for i, n in enumerate(model.names) if model.kinds[i] == g.KINDS.index("codon")]
    assert not g.codon_bases(model, np.array([coding[:3]])).any(), "a coding codon is not a start or stop codon"
    with pytest.raises(ValueError, match="states"):
        g.codon_bases(model, np.array([[model.num_states]]))


def test_bad_input_is_named():
    model = g.build_gene_model()
    with pytest.raises(ValueError, match="mean_codons"):
        g.build_gene_model(mean_codons=0.5)
    with pytest.raises(ValueError, match="spacer"):
        g.build_gene_model(spacer=(6, 3))
    with pytest.raises(ValueError, match="background"):
        g.build_gene_model(background=(0.5, 0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="rbs"):
        g.build_gene_model(rbs="AGN")
    with pytest.raises(ValueError, match="usage"):
        g.build_gene_model(codon_usage={"AUG": 1.0})
    with pytest.raises(ValueError, match="bases"):
        g.label_posteriors(model, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="bases"):
        g.label_posteriors(model, np.zeros((2, 3, 4), dtype=int))
    with pytest.raises(ValueError, match="model"):
        g.label_posteriors("model", np.array([0, 1]))
    with pytest.raises(ValueError, match="posteriors"):
        g.bayes_predictions(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="at most 16"):
        g.brute_force_label_posteriors(model, np.zeros(17, dtype=int))
    with pytest.raises(ValueError, match="num_contigs"):
        model.sample(0, 10, seed=0)


def test_third_base_law_golden():
    law = g.third_base_law(g.sense_codon_probabilities())
    a, c, gg, t = range(4)
    assert law[a, t, gg] == pytest.approx(27.8 / (30.3 + 25.0 + 4.4 + 27.8)), "P(G | AT) = ATG / (ATA+ATC+ATG+ATT)"
    assert law[t, a, a] == 0.0 and law[t, a, gg] == 0.0 and law[t, gg, a] == 0.0, "no stop codon"
    assert law[t, a, c] == pytest.approx(12.3 / 28.6)
    assert np.allclose(law.sum(-1), 1.0)
    assert np.array_equal(g.third_base_law({"ATG": 2.0})[a, t], [0, 0, 1, 0])
    assert g.third_base_law({"ATG": 2.0})[c].sum() == 0.0, "an absent prefix: zeros"
    model = g.build_gene_model()
    k = model.names.index("+codon3:AT")
    assert np.allclose(model.emission[k], law[a, t]), "the position-3 state emits P(b3 | b1 b2)"
    with pytest.raises(ValueError, match="codon"):
        g.third_base_law({"AT": 1.0})


def test_defaults_are_recorded_and_state_names_say_their_strand_and_part():
    model = g.build_gene_model()
    assert model.params == dict(mean_intergenic=60.0, mean_codons=40.0, plus_fraction=0.5, rbs_strength=0.7,
                                spacer=(5, 10), rbs="AGGAGG", background=[0.3, 0.2, 0.2, 0.3])
    for i, name in enumerate(model.names):
        kind = g.KINDS[model.kinds[i]]
        if kind != "intergenic":
            assert name[0] in "+-" and name[1:].startswith(kind), (name, kind)


def test_contigs_in_the_same_state_draw_their_bases_independently():
    model = g.build_gene_model()
    bases, states = model.sample(400, 40, seed=5)
    intergenic = model.kinds[states] == g.KINDS.index("intergenic")
    same, pairs = 0, 0
    for t in range(40):
        b = bases[intergenic[:, t], t]
        same += int(np.sum(b[:-1] == b[1:]))
        pairs += max(len(b) - 1, 0)
    # Independent draws from (0.3, 0.2, 0.2, 0.3) agree with probability 0.26; one shared draw per step always agrees.
    assert pairs > 1000 and abs(same / pairs - 0.26) < 0.05
