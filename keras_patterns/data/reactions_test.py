"""Tests of keras_patterns.data.reactions: the tokenizer, the reaction-centre labels and the generator."""

import numpy as np
import pytest
from rdkit import Chem

from keras_patterns.data import reactions as R


def test_tokenize_known_tokens_and_round_trip():
    assert R.tokenize("c1ccccc1[N+](=O)[O-]") == ["c", "1", "c", "c", "c", "c", "c", "1", "[N+]", "(", "=", "O", ")",
                                                  "[O-]"]
    assert R.tokenize("BrCCl%10>>[nH]") == ["Br", "C", "Cl", "%10", ">", ">", "[nH]"]
    for r in R.make_reactions(50, seed=3):
        assert "".join(R.tokenize(r.smiles)) == r.smiles
        assert list(r.tokens) == R.tokenize(r.smiles)


@pytest.mark.parametrize("bad", ["C C", "CX", 3, None])
def test_tokenize_refuses_what_it_cannot_split(bad):
    with pytest.raises(ValueError, match="smiles"):
        R.tokenize(bad)


def test_atom_tokens_are_the_atoms_rdkit_parses_in_order():
    for smiles in ("CC(=O)Oc1ccccc1C(=O)O", "O=[N+]([O-])c1ccc(Cl)cc1Br", "C[C@H](N)C(=O)O", "c1cc[nH]c1"):
        atoms = [t for t in R.tokenize(smiles) if R.is_atom_token(t)]
        mol = Chem.MolFromSmiles(smiles)
        assert len(atoms) == mol.GetNumAtoms()
        for token, atom in zip(atoms, mol.GetAtoms()):
            assert token.strip("[]").lstrip("0123456789")[:len(atom.GetSymbol())].lower() == atom.GetSymbol().lower()


def test_atom_token_labels_and_its_checks():
    tokens, labels = R.atom_token_labels("CC(=O)O", [0, 3])  # atoms C0 C1 O2 O3
    assert tokens == ["C", "C", "(", "=", "O", ")", "O"] and labels.tolist() == [1, 0, 0, 0, 0, 0, 1]
    with pytest.raises(ValueError, match="atoms"):
        R.atom_token_labels("CC", [2])


def _reactant_centre_by_match(name, reactants):
    """Brute force on one-site reactants: template match + GetReactingAtoms, as atom indices per reactant."""
    rxn = R.reaction(name)
    out = []
    for i, (smiles, reacting) in enumerate(zip(reactants, rxn.GetReactingAtoms())):
        matches = Chem.MolFromSmiles(smiles).GetSubstructMatches(rxn.GetReactantTemplate(i))
        assert len(matches) == 1
        out.append(sorted(matches[0][j] for j in reacting))
    return out


@pytest.mark.parametrize("name,reactants,smiles,centre", [
    ("amide_coupling", ["CC(=O)O", "CN"], "CC(=O)O.CN>>CNC(C)=O", ["C", "O", "N", "N", "C"]),
    ("esterification", ["CC(=O)O", "CCO"], "CC(=O)O.CCO>>CCOC(C)=O", ["C", "O", "O", "O", "C"]),
    ("ester_hydrolysis", ["COC(C)=O", "O"], "COC(C)=O.O>>CC(=O)O.CO", ["O", "C", "O", "C", "O", "O"]),
    ("sulfonamide", ["CCN", "CS(=O)(=O)Cl"], "CCN.CS(=O)(=O)Cl>>CCNS(C)(=O)=O", ["N", "S", "Cl", "N", "S"]),
    ("nitro_reduction", ["O=[N+]([O-])c1ccccc1"], "O=[N+]([O-])c1ccccc1>>Nc1ccccc1", ["O", "[N+]", "[O-]", "N"]),
])
def test_each_template_golden_reaction_and_centre(name, reactants, smiles, centre):
    r = R.apply_template(name, reactants)
    assert r.smiles == smiles and r.reaction_type == R.REACTION_TYPES.index(name)
    assert [t for t, label in zip(r.tokens, r.labels) if label] == centre
    # The reactant side's labels are the template's reacting atoms, found by a substructure match.
    for mol_smiles, atoms in zip(reactants, _reactant_centre_by_match(name, reactants)):
        _, want = R.atom_token_labels(Chem.MolToSmiles(Chem.MolFromSmiles(mol_smiles)), atoms)
        start = r.smiles.index(Chem.MolToSmiles(Chem.MolFromSmiles(mol_smiles)))
        offset = len(R.tokenize(r.smiles[:start]))
        assert list(r.labels[offset: offset + len(want)]) == want.tolist()


def test_apply_template_misses_and_outcomes():
    assert R.apply_template("amide_coupling", ["CCO", "CN"]) is None  # no acid
    two = {R.apply_template("nitro_reduction", ["O=[N+]([O-])c1ccc([N+](=O)[O-])c(Cl)c1"], outcome=k).smiles
           for k in range(4)}
    assert len(two) == 2  # two nitro groups, two distinct outcomes, taken modulo their number
    with pytest.raises(ValueError, match="name"):
        R.apply_template("suzuki", ["C"])


def test_make_reactions_is_deterministic_balanced_and_split_by_molecule():
    a, b = R.make_reactions(200, seed=5), R.make_reactions(200, seed=5)
    assert [r.smiles for r in a] == [r.smiles for r in b]
    assert [r.smiles for r in R.make_reactions(20, seed=6)] != [r.smiles for r in a[:20]]
    counts = np.bincount([r.reaction_type for r in a], minlength=5)
    assert counts.min() >= 20  # types drawn uniformly
    for name in R.REACTION_TYPES:
        assert not set(R.substrates(name, "train")) & set(R.substrates(name, "test"))
    short = R.make_reactions(30, seed=1, max_tokens=40)
    assert max(len(r.tokens) for r in short) <= 40
    with pytest.raises(ValueError, match="num"):
        R.make_reactions(0, seed=1)
    with pytest.raises(ValueError, match="split"):
        R.make_reactions(3, seed=1, split="valid")


def test_every_label_is_on_an_atom_token_and_every_reaction_has_a_centre():
    for r in R.make_reactions(100, seed=2):
        assert len(r.tokens) == len(r.labels)
        assert all(R.is_atom_token(t) for t, label in zip(r.tokens, r.labels) if label)
        left = r.smiles.index(">>")
        n_left = len(R.tokenize(r.smiles[:left]))
        assert 0 < sum(r.labels[:n_left]) and 0 < sum(r.labels[n_left:])


def test_encode_pads_and_masks():
    rs = R.make_reactions(5, seed=0)
    vocab = R.build_vocabulary(rs)
    assert vocab["<pad>"] == 0 and vocab["<unk>"] == 1 and len(set(vocab.values())) == len(vocab)
    data = R.encode(rs, vocab, 120)
    assert data["tokens"].shape == (5, 120) and data["tokens"].dtype == np.int32
    for i, r in enumerate(rs):
        n = len(r.tokens)
        assert data["mask"][i].sum() == n and np.all(data["tokens"][i, n:] == 0)
        assert data["reactive"][i, :n].tolist() == list(r.labels) and np.all(data["reactive"][i, n:] == -1)
    assert R.encode(rs, {"<pad>": 0, "<unk>": 1}, 120)["tokens"].max() == 1
    with pytest.raises(ValueError, match="max_len"):
        R.encode(rs, vocab, 3)


def test_fingerprint_difference_is_products_minus_reactants():
    fp = R.fingerprint_difference(["CC(=O)O.CN>>CNC(C)=O", "CC>>CC"], num_bits=256)
    assert fp.shape == (2, 256) and np.all(fp[1] == 0)
    assert fp[0].min() < 0 < fp[0].max()


def test_make_reactions_pinned_stream_and_the_token_bound_is_inclusive():
    """The first draws of seed 0 (a changed random stream changes them), and `max_tokens` keeps a reaction of
    exactly that many tokens: bounding by the longest of a draw keeps the draw as it is."""
    drawn = R.make_reactions(3, seed=0)
    assert [(r.smiles, r.reaction_type) for r in drawn] == [
        ("COc1cc([N+](=O)[O-])cc([N+](=O)[O-])c1>>COc1cc(N)cc([N+](=O)[O-])c1", 4),
        ("Nc1c(C(=O)O)cccc1[N+](=O)[O-].CO>>COC(=O)c1cccc([N+](=O)[O-])c1N", 1),
        ("COc1ccc2ccccc2c1C=C(C)C(=O)O.C1CCNCC1>>COc1ccc2ccccc2c1C=C(C)C(=O)N1CCCCC1", 0),
    ]
    free = R.make_reactions(12, seed=3)
    longest = max(len(r.tokens) for r in free)
    assert [r.smiles for r in R.make_reactions(12, seed=3, max_tokens=longest)] == [r.smiles for r in free]


def test_atom_token_labels_names_bad_atoms_and_fingerprint_default_length():
    with pytest.raises(ValueError, match="`atoms`.*1-D|`atoms`.*ndim|`atoms`.*dimension"):
        R.atom_token_labels("CCO", [[0, 1]])
    with pytest.raises(ValueError, match="`atoms`"):
        R.atom_token_labels("CCO", [3])
    assert R.fingerprint_difference(["CC(=O)O.CN>>CC(=O)NC"]).shape == (1, 1024)
