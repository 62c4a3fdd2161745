"""The exact reaction-type classifier (RDKit's templates, run again) and the classical fingerprint baseline.

The reaction types of `keras_patterns.data.reactions` are defined by RDKit
templates, so the truth is computable: `rule_classify` runs every template on
an example's reactants (in every order) and returns the type whose outcome is
the example's products. On the course's data it names the type of every
example (accuracy 1: the limit of the many-to-one task, reported as
`acc_reaction_type_rdkit_rule`); it returns -1 for a reaction no template
explains.

The classical baseline (`fingerprint_baseline`) is a logistic regression on
the difference of Morgan count fingerprints, products minus reactants: the
bits a reaction makes and breaks.

Used in chapter 04.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from keras_patterns.checks import check_int_array, check_positive_int
from keras_patterns.data import reactions as data


def _canonical(smiles_list):
    Chem, _ = data._rdkit()
    out = []
    for s in smiles_list:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            return None
        out.append(Chem.MolToSmiles(mol))
    return tuple(sorted(out))


@functools.lru_cache(maxsize=65536)
def rule_classify(reaction_smiles):
    """The reaction type whose RDKit template turns the reactants into the products, or -1.

    Args:
        reaction_smiles: "reactants>>products", molecules separated by ".".

    Returns:
        A Python int: the index in `REACTION_TYPES`, or -1 when no template explains the reaction.

    Example:

    >>> rule_classify("CC(=O)O.CN>>CNC(C)=O"), rule_classify("CC(=O)O.CO>>COC(C)=O"), rule_classify("CC>>CC")
    (0, 1, -1)
    """
    if not isinstance(reaction_smiles, str) or reaction_smiles.count(">>") != 1:
        raise ValueError(f"`reaction_smiles` must be a str 'reactants>>products'. Received: {reaction_smiles!r}")
    Chem, _ = data._rdkit()
    left, right = reaction_smiles.split(">>")
    wanted = _canonical(right.split("."))
    mols = [Chem.MolFromSmiles(s) for s in left.split(".")]
    if wanted is None or any(m is None for m in mols):
        return -1
    for index, name in enumerate(data.REACTION_TYPES):
        rxn = data.reaction(name)
        for chosen in itertools.permutations(mols, rxn.GetNumReactantTemplates()):
            for products in rxn.RunReactants(chosen):
                try:
                    got = tuple(sorted(Chem.MolToSmiles(Chem.MolFromSmiles(Chem.MolToSmiles(p))) for p in products))
                except Exception:  # an outcome that does not sanitize explains nothing
                    continue
                if got == wanted:
                    return index
    return -1


def rule_accuracy(reaction_smiles, reaction_types):
    """Accuracy of `rule_classify` on a list of reaction SMILES and their int types (a Python float)."""
    types = check_int_array("reaction_types", reaction_types, ndim=1, shape=(len(reaction_smiles),), low=0,
                            high=len(data.REACTION_TYPES), what="reaction types")
    return float(np.mean([rule_classify(s) == t for s, t in zip(reaction_smiles, types)]))


def fingerprint_baseline(train_smiles, train_types, test_smiles, radius=2, num_bits=1024):
    """Logistic regression on Morgan fingerprint differences (products minus reactants): predicted test types.

    Args:
        train_smiles, test_smiles: lists of reaction SMILES.
        train_types: int array `(len(train_smiles),)` of reaction types.
        radius, num_bits: of the Morgan fingerprint (`data.reactions.fingerprint_difference`).

    Returns:
        An int64 array `(len(test_smiles),)` of predicted types.
    """
    from sklearn.linear_model import LogisticRegression

    types = check_int_array("train_types", train_types, ndim=1, shape=(len(train_smiles),), low=0,
                            high=len(data.REACTION_TYPES), what="reaction types")
    num_bits = check_positive_int("num_bits", num_bits)
    model = LogisticRegression(max_iter=2000)
    model.fit(data.fingerprint_difference(train_smiles, radius, num_bits), types)
    return model.predict(data.fingerprint_difference(test_smiles, radius, num_bits)).astype("int64")
