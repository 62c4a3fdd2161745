"""Tests of the synthetic protein generator and of the real DSSP chains loader."""

import gzip
import importlib.util
import os

import numpy as np
import pytest

from keras_patterns.data import proteins
from keras_patterns.oracles import hmm

HAS_MDA_TESTS = importlib.util.find_spec("MDAnalysisTests") is not None
HAS_PYDSSP = all(importlib.util.find_spec(name) is not None for name in ("pydssp", "einops"))
needs_mda_tests = pytest.mark.skipif(not HAS_MDA_TESTS, reason="MDAnalysisTests is not installed")
needs_pydssp = pytest.mark.skipif(
    not (HAS_MDA_TESTS and HAS_PYDSSP), reason="pydssp (with einops) or MDAnalysisTests is not installed"
)


# ---------------------------------------------------------------------------- tables


def test_alphabet_and_tables_cover_the_twenty_amino_acids():
    assert len(proteins.AMINO_ACIDS) == 20 and len(set(proteins.AMINO_ACIDS)) == 20
    assert set(proteins.CHOU_FASMAN_PROPENSITY) == set(proteins.AMINO_ACIDS)
    assert set(proteins.SWISSPROT_COMPOSITION) == set(proteins.AMINO_ACIDS)
    assert proteins.SS_LABELS == ("H", "E", "C")
    # Spot checks against Chou & Fasman (1978): the strongest former of each conformation.
    assert proteins.CHOU_FASMAN_PROPENSITY["E"][0] == 1.51
    assert proteins.CHOU_FASMAN_PROPENSITY["V"][1] == 1.70
    assert proteins.CHOU_FASMAN_PROPENSITY["G"][2] == proteins.CHOU_FASMAN_PROPENSITY["N"][2] == 1.56
    assert abs(sum(proteins.SWISSPROT_COMPOSITION.values()) - 100.0) < 0.2


def test_encode_decode_round_trip():
    sequence = "".join(proteins.AMINO_ACIDS)
    tokens = proteins.encode_sequence(sequence)
    assert tokens.tolist() == list(range(1, 21))
    assert proteins.decode_tokens(np.append(tokens, [0, 0])) == sequence
    with pytest.raises(ValueError, match="X"):
        proteins.encode_sequence("AXC")


# ---------------------------------------------------------------------------- the HMM


def test_matrices_are_stochastic_and_consistent():
    model = proteins.ProteinHMM()
    assert model.num_states == sum(model.min_lengths) == 11
    np.testing.assert_allclose(model.transition.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(model.emission.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(model.initial.sum(), 1.0, atol=1e-12)
    assert np.all(model.emission[:, proteins.PAD_ID] == 0.0)
    assert model.state_to_label.tolist() == [0] * 5 + [1] * 3 + [2] * 3
    # Inside a chain of states the path is forced; only the last state of a class loops.
    assert model.transition[0, 1] == 1.0
    assert model.transition[4, 4] == pytest.approx((12 - 5) / (12 - 5 + 1))
    with pytest.raises(ValueError):
        model.transition[0, 0] = 0.5  # frozen: derived arrays are read-only


def test_emission_follows_the_propensity_formula():
    model = proteins.ProteinHMM(sharpness=2.0)
    props = np.array([proteins.CHOU_FASMAN_PROPENSITY[a] for a in proteins.AMINO_ACIDS])
    # P(a|H) / P(a|C) must be proportional to (P_alpha / P_turn) ** k: background cancels.
    ratio = model.label_emission[0, 1:] / model.label_emission[2, 1:]
    expected = (props[:, 0] / props[:, 2]) ** 2
    np.testing.assert_allclose(ratio / ratio[0], expected / expected[0], rtol=1e-12)
    # Relative to the background, glutamate is the top helix former and valine the top strand former.
    background = np.array([proteins.SWISSPROT_COMPOSITION[a] for a in proteins.AMINO_ACIDS])
    enrichment = model.label_emission[:, 1:] / background
    assert proteins.AMINO_ACIDS[np.argmax(enrichment[0])] == "E"
    assert proteins.AMINO_ACIDS[np.argmax(enrichment[1])] == "V"
    flat = proteins.ProteinHMM(sharpness=0.0)
    np.testing.assert_allclose(flat.label_emission[0], flat.label_emission[2])


def test_sampling_is_deterministic_and_in_range():
    model = proteins.ProteinHMM()
    a_tokens, a_labels = model.sample(20, seed=5, min_length=30, max_length=60)
    b_tokens, b_labels = model.sample(20, seed=5, min_length=30, max_length=60)
    c_tokens, _ = model.sample(20, seed=6, min_length=30, max_length=60)
    assert all(np.array_equal(x, y) for x, y in zip(a_tokens, b_tokens))
    assert all(np.array_equal(x, y) for x, y in zip(a_labels, b_labels))
    assert not all(len(x) == len(y) and np.array_equal(x, y) for x, y in zip(a_tokens, c_tokens))
    tokens = np.concatenate(a_tokens)
    labels = np.concatenate(a_labels)
    assert tokens.min() >= 1 and tokens.max() <= 20
    assert set(np.unique(labels)) <= {0, 1, 2}
    assert all(30 <= len(t) <= 60 and len(t) == len(y) for t, y in zip(a_tokens, a_labels))
    assert all(y[0] == 2 for y in a_labels)  # every chain starts in coil by default


def test_segment_lengths_respect_minimums_and_match_the_analytic_mean():
    model = proteins.ProteinHMM()
    # Long chains: only one segment per chain is cut by the end, so the complete ones are
    # an almost unbiased sample of the segment-length distribution.
    _, labels = model.sample(25, seed=0, min_length=3000, max_length=3000)
    runs = proteins.segment_lengths(labels)
    for c in range(3):
        lengths = runs[c]
        assert lengths.size > 500
        assert lengths.min() == model.min_lengths[c]
        standard_error = lengths.std() / np.sqrt(lengths.size)
        assert abs(lengths.mean() - model.mean_lengths[c]) < 4 * standard_error, (c, lengths.mean())
        # Geometric tail: the minimum length itself has probability 1 - self-loop.
        assert abs(np.mean(lengths == model.min_lengths[c]) - (1 - model.self_loop[c])) < 0.05
    fractions = np.bincount(np.concatenate(labels), minlength=3) / sum(map(len, labels))
    np.testing.assert_allclose(fractions, model.expected_class_fractions(), atol=0.02)


def test_smoothing_limit_beats_filtering_limit_on_a_sample():
    model = proteins.ProteinHMM()
    tokens, labels = model.sample(40, seed=11)
    limits = model.q3_limits(tokens, labels)
    assert limits["smoothing"] > limits["filtering"] + 0.03
    # Context must help beyond reading each residue alone with the true class frequencies.
    fractions = model.expected_class_fractions()
    per_residue = np.argmax(fractions[:, None] * model.label_emission, axis=0)
    flat_tokens, flat_labels = np.concatenate(tokens), np.concatenate(labels)
    no_context = np.mean(per_residue[flat_tokens] == flat_labels)
    assert limits["filtering"] > no_context + 0.03
    # The oracle called directly gives the same number as the convenience method.
    direct = hmm.q3_limit(tokens, labels, model.initial, model.transition, model.emission,
                          model.state_to_label, 3, method="filtering")
    assert direct == limits["filtering"]


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(ValueError, match="zero diagonal"):
        proteins.ProteinHMM(segment_transition=((0.5, 0.25, 0.25), (0.5, 0, 0.5), (0.5, 0.5, 0)))
    with pytest.raises(ValueError, match="mean_lengths"):
        proteins.ProteinHMM(mean_lengths=(3.0, 5.5, 6.0))
    with pytest.raises(ValueError, match="min_length"):
        proteins.ProteinHMM().sample(2, seed=0, min_length=10, max_length=5)


def test_pad_shapes_mask_and_errors():
    tokens = [np.array([3, 4, 5]), np.array([6])]
    labels = [np.array([0, 1, 2]), np.array([2])]
    x, y, mask = proteins.pad(tokens, labels, max_length=5)
    assert x.shape == y.shape == mask.shape == (2, 5)
    assert x.dtype == np.int32 and mask.dtype == bool
    assert x.tolist() == [[3, 4, 5, 0, 0], [6, 0, 0, 0, 0]]
    assert mask.sum(axis=1).tolist() == [3, 1]
    assert np.all(x[~mask] == proteins.PAD_ID)
    x2, mask2 = proteins.pad(tokens)
    assert x2.shape == (2, 3) and mask2.shape == (2, 3)
    with pytest.raises(ValueError, match="max_length"):
        proteins.pad(tokens, max_length=2)
    with pytest.raises(ValueError, match="labels"):
        proteins.pad(tokens, [np.array([0, 1])])


def test_make_splits_sizes_and_stable_test_set():
    small = proteins.make_splits({"train": 4, "val": 2, "test": 3}, seed=3)
    large = proteins.make_splits({"train": 9, "val": 2, "test": 3}, seed=3)
    assert [len(small[k][0]) for k in ("train", "val", "test")] == [4, 2, 3]
    # Growing the training set must not change the test set.
    assert all(np.array_equal(a, b) for a, b in zip(small["test"][0], large["test"][0]))
    assert not np.array_equal(small["train"][0][0], small["test"][0][0])
    smoke = proteins.make_splits("smoke", seed=0)
    assert len(smoke["train"][0]) == proteins.SPLIT_SIZES["smoke"]["train"]
    with pytest.raises(ValueError, match="profile"):
        proteins.make_splits("huge")


# ---------------------------------------------------------------------------- real chains


@needs_mda_tests
def test_dssp_chains_load_and_match_the_shipped_strings():
    chains, skipped = proteins.load_dssp_chains(return_skipped=True)
    assert skipped == []
    assert len(chains) == 50
    assert sum(len(c.labels) for c in chains) == 6860
    first = chains[0]
    with open(os.path.join(proteins.dssp_data_dir(), f"{first.name}.pdb.dssp")) as handle:
        reference = handle.read().split()[0]
    assert proteins.decode_labels(first.labels).replace("C", "-") == reference
    for chain in chains:
        assert len(chain.sequence) == len(chain.tokens) == len(chain.labels)
        assert chain.tokens.min() >= 1 and chain.tokens.max() <= 20
    fractions = np.bincount(np.concatenate([c.labels for c in chains]), minlength=3) / 6860
    np.testing.assert_allclose(fractions, [0.3598, 0.2449, 0.3953], atol=5e-4)


@needs_mda_tests
def test_dssp_splits_are_disjoint_fixed_and_complete():
    splits = proteins.dssp_splits(seed=0)
    names = {k: [c.name for c in v] for k, v in splits.items()}
    assert [len(names[k]) for k in ("train", "val", "test")] == [35, 5, 10]
    everything = names["train"] + names["val"] + names["test"]
    assert len(set(everything)) == 50
    assert names == {k: [c.name for c in v] for k, v in proteins.dssp_splits(seed=0).items()}
    assert names["test"] != [c.name for c in proteins.dssp_splits(seed=1)["test"]]


def test_loader_skips_chains_it_cannot_align(tmp_path):
    atom = "ATOM  {serial:5d}  {atom:<3} {res} A{num:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00\n"

    def write_chain(name, residues, labels):
        lines = []
        for i, res in enumerate(residues):
            for j, a in enumerate(("N", "CA", "C", "O")):
                fields = dict(serial=4 * i + j + 1, atom=a, res=res, num=i + 1, x=i, y=j, z=0.0)
                lines.append(atom.format(**fields))
        with gzip.open(tmp_path / f"{name}.pdb.gz", "wt") as handle:
            handle.writelines(lines)
        (tmp_path / f"{name}.pdb.dssp").write_text(f"{labels} {name}.pdb\n")

    write_chain("good", ["ALA", "GLY", "MSE"], "-H-")
    write_chain("oddres", ["ALA", "UNK", "GLY"], "---")
    write_chain("short", ["ALA", "GLY"], "---")
    with pytest.warns(UserWarning, match="skipped"):
        chains, skipped = proteins.load_dssp_chains(return_skipped=True, data_dir=tmp_path)
    assert [c.name for c in chains] == ["good"]
    assert chains[0].sequence == "AGM" and chains[0].labels.tolist() == [2, 0, 2]
    assert dict(skipped).keys() == {"oddres", "short"}
    assert "UNK" in dict(skipped)["oddres"]


def test_missing_package_error_names_the_pip_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    def find_spec(name, *args):
        return None if name == "MDAnalysisTests" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ModuleNotFoundError, match="pip install MDAnalysisTests"):
        proteins.load_dssp_chains()


@needs_pydssp
def test_own_pdb_parser_matches_pydssp_reader():
    spec = importlib.util.spec_from_file_location(
        "pdbio_for_test", os.path.join(proteins._package_dir("pydssp", "pydssp"), "pdbio.py")
    )
    pdbio = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pdbio)
    for name in ("1ahsA", "3t5gB"):
        path = os.path.join(proteins.dssp_data_dir(), f"{name}.pdb.gz")
        names, coords = proteins.read_pdb_backbone(path)
        with gzip.open(path, "rt") as handle:
            text = handle.read()
        their_coords, their_names = pdbio.read_pdbtext_with_checking(text, return_sequence=True)
        np.testing.assert_array_equal(coords, their_coords)
        assert names == their_names.tolist()


@needs_pydssp
def test_pydssp_recomputes_the_shipped_labels():
    chains = proteins.load_dssp_chains()
    agree_masked = agree_plain = total = 0
    for chain in chains:
        masked = proteins.recompute_dssp_labels(chain.name)
        plain = proteins.recompute_dssp_labels(chain.name, proline_donor_mask=False)
        agree_masked += int(np.sum(masked == chain.labels))
        agree_plain += int(np.sum(plain == chain.labels))
        total += len(chain.labels)
    # Measured with MDAnalysisTests 2.11.0 and pydssp 0.9.1: identical with prolines masked as
    # donors, 18 residues differ without the mask.
    assert agree_masked == total
    assert 0.99 <= agree_plain / total < 1.0
    with pytest.raises(ValueError, match="No chain named"):
        proteins.recompute_dssp_labels("9zzzZ")


# --- Issue 15: the generator's arguments, defaults and dtypes; a PDB parsed column by column. ---


def test_protein_hmm_normalises_its_fields():
    model = proteins.ProteinHMM(min_lengths=[4, 2, 2], mean_lengths=[8, 4, 5], initial_segment=[0, 0, 1], sharpness=1)
    assert model.min_lengths == (4, 2, 2) and all(type(m) is int for m in model.min_lengths)
    assert model.mean_lengths == (8.0, 4.0, 5.0) and all(type(m) is float for m in model.mean_lengths)
    assert model.initial_segment == (0.0, 0.0, 1.0) and all(type(p) is float for p in model.initial_segment)
    assert type(model.sharpness) is float and model.sharpness == 1.0
    assert isinstance(model.segment_transition, tuple)
    rows = [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]
    listed = proteins.ProteinHMM(segment_transition=rows)
    assert listed.segment_transition == tuple(tuple(r) for r in rows)
    fractions = model.expected_class_fractions()
    np.testing.assert_allclose(np.sum(fractions), 1.0)
    assert np.all(np.asarray(fractions) > 0)


def test_sample_lengths_cover_exactly_the_requested_range():
    tokens, labels = proteins.ProteinHMM().sample(200, seed=0, min_length=5, max_length=6)
    assert {len(t) for t in tokens} == {5, 6}
    assert [len(t) for t in tokens] == [len(y) for y in labels]
    default, _ = proteins.ProteinHMM().sample(50, seed=0)
    assert 50 <= min(map(len, default)) and max(map(len, default)) <= 200
    assert all(t.dtype == np.int32 for t in default)


def test_label_posteriors_default_to_smoothing_and_q3_limits_report_both_families():
    model = proteins.ProteinHMM()
    tokens, labels = model.sample(4, seed=1, min_length=30, max_length=40)
    default = model.label_posteriors(tokens)
    for a, b in zip(default, model.label_posteriors(tokens, "smoothing")):
        np.testing.assert_array_equal(a, b)
    assert all(p.shape == (len(t), 3) for p, t in zip(default, tokens))
    limits = model.q3_limits(tokens, labels)
    assert set(limits) == {"smoothing", "filtering", "smoothing_expected", "filtering_expected"}
    for method in ("smoothing", "filtering"):
        posts = model.label_posteriors(tokens, method)
        assert limits[f"{method}_expected"] == pytest.approx(hmm.mean_max_probability(posts))
        assert limits[method] == pytest.approx(hmm.argmax_accuracy(posts, labels))


def test_segment_lengths_by_hand():
    labels = [np.array([0, 0, 1, 1, 1, 2]), np.array([], dtype=int), np.array([2]), np.array([1, 1, 0, 2, 2])]
    every = proteins.segment_lengths(labels, drop_last=False)
    assert {c: v.tolist() for c, v in every.items()} == {0: [2, 1], 1: [3, 2], 2: [1, 1, 2]}
    assert all(v.dtype == np.int64 for v in every.values())
    cut = proteins.segment_lengths(labels)  # the last run of each chain may be cut by its end: dropped
    assert {c: v.tolist() for c, v in cut.items()} == {0: [2, 1], 1: [3, 2], 2: []}


def test_encode_and_pad_give_int32():
    assert proteins.encode_sequence("AC").dtype == np.int32
    x, y, mask = proteins.pad([np.array([1, 2]), np.array([3])], [np.array([0, 1]), np.array([2])])
    assert x.dtype == y.dtype == np.int32
    assert x.tolist() == [[1, 2], [3, 0]] and y.tolist() == [[0, 1], [2, 0]]


def test_make_splits_defaults_and_arguments_reach_the_sampler():
    small = {"train": 6, "val": 2, "test": 3}
    base = proteins.make_splits(small, min_length=10, max_length=12)
    assert {name: len(base[name][0]) for name in base} == small
    assert all(10 <= len(t) <= 12 for name in base for t in base[name][0])
    same = proteins.make_splits(small, seed=0, min_length=10, max_length=12)
    assert all(np.array_equal(a, b) for a, b in zip(base["train"][0], same["train"][0]))
    flat = proteins.make_splits(small, model=proteins.ProteinHMM(sharpness=0.0), min_length=10, max_length=12)
    assert not all(np.array_equal(a, b) for a, b in zip(base["train"][0], flat["train"][0]))
    default = proteins.make_splits()
    assert {name: len(v[0]) for name, v in default.items()} == proteins.SPLIT_SIZES["default"]
    lengths = [len(t) for v in default.values() for t in v[0]]
    assert (min(lengths), max(lengths)) == (50, 200)  # 1700 uniform draws reach both documented ends


def _atom(serial, name, resname, chain, resnum, x, y, z):
    return (f"ATOM  {serial:5d} {name:^4s} {resname:3s} {chain}{resnum:4d}    "
            f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00           {name[0]}\n")


def test_read_pdb_backbone_reads_each_column(tmp_path):
    lines = ["HEADER    TEST\n", "REMARK   1 a comment before the atoms\n"]
    serial = 1
    coords = {}
    # Two chains with the same residue numbers (only the chain id tells them apart), big negative coordinates
    # that fill their 8 columns.
    for chain, resname in (("A", "ALA"), ("B", "GLY")):
        for i, atom in enumerate(("N", "CA", "C", "O", "CB")):
            xyz = (-100.0 - i - (chain == "B") * 10, 200.5 + i, -300.25)
            lines.append(_atom(serial, atom, resname, chain, 7, *xyz))
            coords[(chain, atom)] = xyz
            serial += 1
    lines.insert(4, "HETATM 9999  O   HOH A 900      1.000   2.000   3.000  1.00  0.00           O\n")
    path = tmp_path / "two.pdb"
    path.write_text("".join(lines))
    names, backbone = proteins.read_pdb_backbone(path)
    assert names == ["ALA", "GLY"]
    assert backbone.shape == (2, 4, 3) and backbone.dtype == np.float64
    for r, chain in enumerate("AB"):
        for a, atom in enumerate(("N", "CA", "C", "O")):
            np.testing.assert_allclose(backbone[r, a], coords[(chain, atom)])
    gz = tmp_path / "two.pdb.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("".join(lines))
    np.testing.assert_array_equal(proteins.read_pdb_backbone(gz)[1], backbone)
    broken = tmp_path / "broken.pdb"
    broken.write_text("".join(line for line in lines if " O   ALA" not in line))
    with pytest.raises(ValueError, match=r"lacks backbone atom\(s\) \['O'\]"):
        proteins.read_pdb_backbone(broken)


def test_a_seed_gives_the_same_chains_release_after_release():
    # The course's published numbers are measured on these draws: a change in how sample() consumes its
    # random stream (an extra draw at a segment that ends exactly at the chain's end, say) changes every
    # chain after it, so the stream itself is pinned here (values recorded with NumPy 2's PCG64).
    tokens, labels = proteins.ProteinHMM().sample(20, seed=11, min_length=5, max_length=30)
    assert [len(x) for x in labels] == [8, 8, 29, 20, 12, 19, 30, 22, 9, 15, 27, 5, 27, 17, 20, 15, 25, 25, 18, 13]
    assert [int(x.sum()) for x in labels] == [12, 16, 29, 14, 18, 30, 8, 35, 8, 21, 37, 6, 24, 30, 27, 28, 33, 34, 10, 22]
    assert [int(x.sum()) for x in tokens] == [71, 93, 221, 180, 125, 179, 250, 257, 68, 151, 310, 76, 196, 177, 173,
                                              182, 308, 250, 203, 172]
