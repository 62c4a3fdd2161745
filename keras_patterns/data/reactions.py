"""Reaction SMILES with a reaction type and a reactive-centre label per token, made by RDKit from real molecules.

The molecules are real: the first 5,000 structures of the NCI open database,
shipped inside RDKit's wheel (`rdkit/Data/NCI/first_5K.smi`), kept when they
parse, are one fragment and have at most `max_heavy_atoms` heavy atoms. Each
example applies one of five RDKit reaction templates (`TEMPLATES`, reaction
SMARTS with atom maps) to such a molecule and, for the two-reactant
templates, a common reagent from a short fixed list (`REAGENTS`):

====================  ===================================  ====================================
reaction type         NCI substrate                        partner
====================  ===================================  ====================================
amide_coupling        a carboxylic acid                    an amine (methylamine, morpholine...)
esterification        a carboxylic acid                    an alcohol (methanol, ethanol...)
ester_hydrolysis      an ester                             water
sulfonamide           an amine                             a sulfonyl chloride (MsCl, TsCl...)
nitro_reduction       a nitro compound                     none
====================  ===================================  ====================================

An example is the reaction SMILES `reactants>>products` (RDKit canonical
SMILES of each molecule), its **global label** (the reaction type, many-to-one,
多对一) and its **local labels** (many-to-many, 多对多): one per token of the
SMILES tokenizer, 1 when the token is an atom of the reaction centre (an atom
whose bonds change: matched by a template atom that `GetReactingAtoms()` lists,
including the leaving atoms the template deletes, and their images in the
products), 0 otherwise (other atoms, bonds, rings, brackets, `.` and `>`).

The tokenizer is the regular expression of Schwaller et al., "Molecular
Transformer: a model for uncertainty-calibrated chemical reaction
prediction", ACS Central Science 5, 1572-1583 (2019), `SMILES_REGEX`. RDKit
numbers the atoms of a parsed SMILES in the order they are written, so the
k-th atom token of a molecule's SMILES is its atom k.

The data are deterministic given the seed; the NCI substrates are split by
molecule (`split="train"` or `"test"`), so no test substrate is seen in
training. Nothing is downloaded or written to disk. Used in chapter 04.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re

import numpy as np

from keras_patterns.checks import check_choice, check_int, check_int_array, check_positive_int

#: The SMILES tokenizer's regular expression (Schwaller et al. 2019), one token per match.
SMILES_REGEX = (
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|\%[0-9]{2}|[0-9])"
)
_TOKEN = re.compile(SMILES_REGEX)
_ATOM_TOKEN = re.compile(r"^(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\*)$")

#: The reaction types, in label order.
REACTION_TYPES = ("amide_coupling", "esterification", "ester_hydrolysis", "sulfonamide", "nitro_reduction")

#: Reaction SMARTS of each type (atom-mapped; unmapped reactant atoms are the leaving atoms RDKit deletes).
TEMPLATES = {
    "amide_coupling": "[C:1](=[O:2])[OX2H1].[NX3;H2,H1;!$(NC=[O,S,N]);!$(N[S,P]=O);!$(N-[N,O]);!$(N-a):3]"
                      ">>[C:1](=[O:2])[N:3]",
    "esterification": "[C:1](=[O:2])[OX2H1].[OX2H1:3][CX4:4]>>[C:1](=[O:2])[O:3][C:4]",
    "ester_hydrolysis": "[CX3:1](=[O:2])[OX2:3][CX4:4].[OX2H2:5]>>[C:1](=[O:2])[O:5].[O:3][C:4]",
    "sulfonamide": "[NX3;H2,H1;!$(NC=[O,S,N]);!$(N[S,P]=O);!$(N-[N,O]);!$(N-a):4].[S:1](=[O:2])(=[O:3])Cl"
                   ">>[S:1](=[O:2])(=[O:3])[N:4]",
    "nitro_reduction": "[c,C:1][N+:2](=O)[O-]>>[*:1][NH2+0:2]",
}

#: The functional group an NCI substrate must carry, per type (SMARTS).
SUBSTRATE_PATTERNS = {
    "amide_coupling": "[CX3](=O)[OX2H1]",
    "esterification": "[CX3](=O)[OX2H1]",
    "ester_hydrolysis": "[CX3](=O)[OX2][CX4]",
    "sulfonamide": "[NX3;H2,H1;!$(NC=[O,S,N]);!$(N[S,P]=O);!$(N-[N,O]);!$(N-a)]",
    "nitro_reduction": "[c,C][N+](=O)[O-]",
}

#: The fixed partners of each type, as SMILES (None: a one-reactant template).
REAGENTS = {
    "amide_coupling": ("CN", "CNC", "NCc1ccccc1", "C1COCCN1", "C1CCNCC1", "CCN"),
    "esterification": ("CO", "CCO", "CC(C)O", "OCc1ccccc1"),
    "ester_hydrolysis": ("O",),
    "sulfonamide": ("CS(=O)(=O)Cl", "Cc1ccc(S(=O)(=O)Cl)cc1", "O=S(=O)(Cl)c1ccccc1"),
    "nitro_reduction": None,
}

#: Seeds of the two substrate splits' molecule assignment: every molecule goes to one split only.
TEST_FRACTION = 0.25
_SPLIT_SEED = 4_004

#: Reserved token ids.
PAD, UNK = 0, 1


def _rdkit():
    try:
        from rdkit import Chem, RDLogger
        from rdkit.Chem import AllChem
    except ImportError as error:  # pragma: no cover - the course pins rdkit
        raise ImportError(
            "keras_patterns.data.reactions needs RDKit: pip install rdkit==2026.9.1 (the course's pin, "
            "in pyproject.toml)"
        ) from error
    RDLogger.DisableLog("rdApp.*")  # RDKit writes parse warnings to stderr, which a graded cell must not
    return Chem, AllChem


def tokenize(smiles):
    """Split a SMILES (or reaction SMILES) into tokens with `SMILES_REGEX`.

    Args:
        smiles: a str, e.g. "CC(=O)O" or "CC(=O)O.CN>>CNC(C)=O".

    Returns:
        A list of str whose concatenation is `smiles`.

    Raises:
        ValueError: when `smiles` is not a str, or holds characters no token matches.

    Example:

    >>> tokenize("CC(=O)Cl.c1ccccc1[N+](=O)[O-]>>Br")
    ['C', 'C', '(', '=', 'O', ')', 'Cl', '.', 'c', '1', 'c', 'c', 'c', 'c', 'c', '1', '[N+]', '(', '=', 'O', ')', '[O-]', '>', '>', 'Br']
    """
    if not isinstance(smiles, str):
        raise ValueError(f"`smiles` must be a str. Received: smiles={smiles!r} of type {type(smiles).__name__}")
    tokens = _TOKEN.findall(smiles)
    if "".join(tokens) != smiles:
        raise ValueError(
            f"`smiles` holds characters the SMILES tokenizer does not know (e.g. a space or a bare letter "
            f"like 'X'). Received: smiles={smiles!r}"
        )
    return tokens


def is_atom_token(token):
    """Whether a token is an atom (a bracket atom, an organic-subset element, aromatic or not, or `*`).

    Example:

    >>> [is_atom_token(t) for t in ("Cl", "[nH]", "c", "(", "=", "1", ">")]
    [True, True, True, False, False, False, False]
    """
    return bool(_ATOM_TOKEN.match(token))


def atom_token_labels(smiles, atoms):
    """Labels per token of a molecule's SMILES: 1 on the atom tokens of the given atom indices.

    RDKit numbers a parsed SMILES's atoms in the order they are written, so
    atom `k` is the k-th atom token.

    Args:
        smiles: one molecule's SMILES (no `.`), a str.
        atoms: atom indices (ints in `[0, number of atoms)`).

    Returns:
        `(tokens, labels)`: a list of str and an int64 array of the same length.

    Example:

    >>> atom_token_labels("CC(=O)O", [1, 3])
    (['C', 'C', '(', '=', 'O', ')', 'O'], array([0, 1, 0, 0, 0, 0, 1]))
    """
    tokens = tokenize(smiles)
    positions = [i for i, t in enumerate(tokens) if is_atom_token(t)]
    atoms = check_int_array("atoms", list(atoms), ndim=1, low=0, high=max(len(positions), 1), what="atom indices")
    labels = np.zeros(len(tokens), dtype="int64")
    labels[np.asarray(positions, dtype="int64")[atoms]] = 1
    return tokens, labels


@dataclasses.dataclass(frozen=True)
class Reaction:
    """One example: the reaction SMILES, its type and its tokens with their reactive-centre labels."""

    smiles: str
    reaction_type: int
    tokens: tuple
    labels: tuple

    @property
    def reactants(self):
        return self.smiles.split(">>")[0].split(".")

    @property
    def products(self):
        return self.smiles.split(">>")[1].split(".")


@functools.lru_cache(maxsize=None)
def reaction(name):
    """The initialised RDKit `ChemicalReaction` of a reaction type (one of `REACTION_TYPES`)."""
    _, AllChem = _rdkit()
    rxn = AllChem.ReactionFromSmarts(TEMPLATES[check_choice("name", name, REACTION_TYPES)])
    rxn.Initialize()
    return rxn


def _written(mol, reactive):
    """Canonical SMILES of `mol` and the labels of its tokens, `reactive` being atom indices of `mol`."""
    Chem, _ = _rdkit()
    smiles = Chem.MolToSmiles(mol)
    order = [int(i) for i in mol.GetProp("_smilesAtomOutputOrder").strip("[]").split(",") if i]
    position = {atom: k for k, atom in enumerate(order)}  # written k-th = atom k of the parsed SMILES
    return atom_token_labels(smiles, sorted(position[a] for a in reactive))


def apply_template(name, reactants, outcome=0):
    """Run a reaction type's template on reactant SMILES and label the reaction centre of the result.

    Args:
        name: one of `REACTION_TYPES`.
        reactants: SMILES, one per reactant template, in the template's order.
        outcome: which of the distinct outcomes (sorted by their product SMILES) to keep, when the
            template matches several sites (taken modulo their number).

    Returns:
        A `Reaction`, or None when the template does not apply (or no product sanitizes).

    Example:

    >>> r = apply_template("amide_coupling", ["CC(=O)O", "CN"])
    >>> r.smiles
    'CC(=O)O.CN>>CNC(C)=O'
    >>> [t for t, label in zip(r.tokens, r.labels) if label]   # C and OH of the acid, N; then N-C in the amide
    ['C', 'O', 'N', 'N', 'C']
    """
    outcomes = _outcomes(check_choice("name", name, REACTION_TYPES), tuple(reactants))
    if not outcomes:
        return None
    return outcomes[check_int("outcome", outcome, minimum=0) % len(outcomes)]


@functools.lru_cache(maxsize=65536)
def _outcomes(name, reactants):
    """Every distinct outcome of a template on reactants, sorted by product SMILES (a tuple of `Reaction`)."""
    Chem, _ = _rdkit()
    rxn = reaction(name)
    mols = [Chem.MolFromSmiles(s) for s in reactants]
    if len(mols) != rxn.GetNumReactantTemplates() or any(m is None for m in mols):
        return ()
    reacting_maps = set()
    for i, atoms in enumerate(rxn.GetReactingAtoms(mappedAtomsOnly=True)):
        template = rxn.GetReactantTemplate(i)
        reacting_maps |= {template.GetAtomWithIdx(j).GetAtomMapNum() for j in atoms}
    results = {}
    for products in rxn.RunReactants(mols):
        try:
            for p in products:
                Chem.SanitizeMol(p)
        except Exception:  # RDKit raises several types for a product that does not sanitize
            continue
        kept = [set() for _ in mols]  # reactant atoms that reach a product
        centre = [set() for _ in mols]
        written = []
        for p in products:
            reactive = set()
            for atom in p.GetAtoms():
                if not atom.HasProp("react_atom_idx"):
                    reactive.add(atom.GetIdx())  # created by the template
                    continue
                source, index = atom.GetIntProp("react_idx"), atom.GetIntProp("react_atom_idx")
                kept[source].add(index)
                if atom.HasProp("old_mapno") and atom.GetIntProp("old_mapno") in reacting_maps:
                    reactive.add(atom.GetIdx())
                    centre[source].add(index)
            written.append(_written(p, reactive))
        parts = []
        for i, m in enumerate(mols):
            deleted = set(range(m.GetNumAtoms())) - kept[i]  # the leaving atoms
            parts.append(_written(m, centre[i] | deleted))
        key = ".".join(Chem.MolToSmiles(p) for p in products)
        if key in results:
            continue
        tokens, labels = [], []
        for side, sep in ((parts, [">", ">"]), (written, [])):
            for k, (t, lab) in enumerate(side):
                if k:
                    tokens.append(".")
                    labels.append(0)
                tokens += t
                labels += lab.tolist()
            tokens += sep
            labels += [0] * len(sep)
        results[key] = Reaction("".join(tokens), REACTION_TYPES.index(name), tuple(tokens), tuple(labels))
    return tuple(results[k] for k in sorted(results))


@functools.lru_cache(maxsize=None)
def nci_molecules(max_heavy_atoms=18):
    """Canonical SMILES of the NCI molecules shipped with RDKit: one fragment, at most `max_heavy_atoms` heavy atoms.

    Returns:
        A tuple of str, in the file's order (duplicates removed).
    """
    Chem, _ = _rdkit()
    from rdkit import RDConfig

    max_heavy_atoms = check_positive_int("max_heavy_atoms", max_heavy_atoms)
    path = os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi")
    seen, out = set(), []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            mol = Chem.MolFromSmiles(fields[0]) if fields else None
            if mol is None or mol.GetNumHeavyAtoms() > max_heavy_atoms:
                continue
            smiles = Chem.MolToSmiles(mol)
            if "." in smiles or smiles in seen:
                continue
            seen.add(smiles)
            out.append(smiles)
    return tuple(out)


@functools.lru_cache(maxsize=None)
def substrates(name, split, max_heavy_atoms=18):
    """The NCI molecules a reaction type applies to, in one split (a tuple of canonical SMILES)."""
    Chem, _ = _rdkit()
    check_choice("split", split, ("train", "test"))
    pattern = Chem.MolFromSmarts(SUBSTRATE_PATTERNS[check_choice("name", name, REACTION_TYPES)])
    molecules = nci_molecules(max_heavy_atoms)
    in_test = np.random.default_rng(_SPLIT_SEED).random(len(molecules)) < TEST_FRACTION
    return tuple(s for s, m, t in zip(molecules, _parsed(max_heavy_atoms), in_test)
                 if t == (split == "test") and m.HasSubstructMatch(pattern))


@functools.lru_cache(maxsize=None)
def _parsed(max_heavy_atoms):
    Chem, _ = _rdkit()
    return tuple(Chem.MolFromSmiles(s) for s in nci_molecules(max_heavy_atoms))


def make_reactions(num, seed, split="train", max_heavy_atoms=18, max_tokens=None):
    """Draw `num` reactions: a type uniformly, an NCI substrate of that split, a reagent, one matching site.

    Args:
        num: number of examples (a positive int).
        seed: the NumPy seed (an int).
        split: "train" or "test": which NCI molecules the substrates come from (disjoint sets).
        max_heavy_atoms: the largest NCI substrate kept.
        max_tokens: redraw a reaction whose SMILES has more tokens than this (None: keep all).

    Returns:
        A list of `num` `Reaction`s.

    Example:

    >>> rs = make_reactions(3, seed=0)
    >>> [REACTION_TYPES[r.reaction_type] for r in rs], all(len(r.tokens) == len(r.labels) for r in rs)
    (['nitro_reduction', 'esterification', 'amide_coupling'], True)
    """
    num = check_positive_int("num", num)
    max_tokens = check_positive_int("max_tokens", max_tokens, allow_none=True)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    out = []
    while len(out) < num:
        name = REACTION_TYPES[rng.integers(len(REACTION_TYPES))]
        pool = substrates(name, split, max_heavy_atoms)
        substrate = pool[rng.integers(len(pool))]
        partners = REAGENTS[name]
        reactants = [substrate] if partners is None else [substrate, partners[rng.integers(len(partners))]]
        example = apply_template(name, reactants, outcome=int(rng.integers(1 << 30)))
        if example is not None and (max_tokens is None or len(example.tokens) <= max_tokens):
            out.append(example)
    return out


def build_vocabulary(reactions):
    """Token -> id for the tokens of `reactions`: 0 is padding, 1 unknown, the rest sorted (a dict)."""
    tokens = sorted({t for r in reactions for t in r.tokens})
    return {"<pad>": PAD, "<unk>": UNK, **{t: i + 2 for i, t in enumerate(tokens)}}


def encode(reactions, vocabulary, max_len):
    """Pad the reactions to arrays for `model.fit`.

    Args:
        reactions: a list of `Reaction`.
        vocabulary: from `build_vocabulary` (unknown tokens become `UNK`).
        max_len: the padded length; longer reactions are refused.

    Returns:
        A dict of NumPy arrays: "tokens" int32 `(N, max_len)` (0 = padding),
        "reaction_type" int32 `(N,)`, "reactive" int32 `(N, max_len)`
        (0/1 on real tokens, -1 on padding) and "mask" float32 `(N, max_len)` (1 on real tokens).
    """
    max_len = check_positive_int("max_len", max_len)
    n = len(reactions)
    x = np.zeros((n, max_len), dtype="int32")
    local = np.full((n, max_len), -1, dtype="int32")
    for i, r in enumerate(reactions):
        if len(r.tokens) > max_len:
            raise ValueError(f"`max_len` must be at least the longest reaction's {len(r.tokens)} tokens. "
                             f"Received: max_len={max_len}")
        x[i, : len(r.tokens)] = [vocabulary.get(t, UNK) for t in r.tokens]
        local[i, : len(r.labels)] = r.labels
    return {"tokens": x, "reaction_type": np.array([r.reaction_type for r in reactions], dtype="int32"),
            "reactive": local, "mask": (x != PAD).astype("float32")}


def fingerprint_difference(smiles, radius=2, num_bits=1024):
    """Morgan count fingerprint of the products minus that of the reactants (the classical reaction feature).

    Args:
        smiles: a list of reaction SMILES.
        radius: the Morgan radius.
        num_bits: the fingerprint's length.

    Returns:
        A float32 array `(len(smiles), num_bits)`.
    """
    Chem, _ = _rdkit()
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=check_positive_int("radius", radius),
                                                          fpSize=check_positive_int("num_bits", num_bits))
    out = np.zeros((len(smiles), num_bits), dtype="float32")
    for i, s in enumerate(smiles):
        left, right = s.split(">>")
        for side, sign in ((left, -1.0), (right, 1.0)):
            for part in side.split("."):
                out[i] += sign * generator.GetCountFingerprintAsNumPy(Chem.MolFromSmiles(part)).astype("float32")
    return out
