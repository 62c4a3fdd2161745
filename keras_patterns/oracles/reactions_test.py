"""Tests of keras_patterns.oracles.reactions: the rule classifier is exact on the generated data."""

import numpy as np
import pytest

from keras_patterns.data import reactions as R
from keras_patterns.oracles import reactions as O


def test_rule_classifier_names_every_generated_reaction():
    rs = R.make_reactions(150, seed=11) + R.make_reactions(60, seed=12, split="test")
    assert O.rule_accuracy([r.smiles for r in rs], [r.reaction_type for r in rs]) == 1.0


def test_rule_classifier_enumerates_orders_and_refuses_the_unexplained():
    assert O.rule_classify("CN.CC(=O)O>>CNC(C)=O") == 0  # reactants in the other order
    assert O.rule_classify("CC(=O)O.CN>>CC(=O)NC") == 0  # products written non-canonically
    assert O.rule_classify("CC(=O)O.CN>>CC(=O)OC") == -1  # not what either template makes
    assert O.rule_classify("CC(=O)O.CCO>>CCOC(C)=O") == 1
    assert O.rule_classify("COC(C)=O.O>>CO.CC(=O)O") == 2
    assert O.rule_classify("O=[N+]([O-])c1ccccc1>>Nc1ccccc1") == 4
    assert O.rule_classify("CCN.CS(=O)(=O)Cl>>CCNS(C)(=O)=O") == 3
    with pytest.raises(ValueError, match="reaction_smiles"):
        O.rule_classify("CC.CN")


def test_rule_accuracy_counts_mistakes_and_checks_types():
    smiles = ["CC(=O)O.CN>>CNC(C)=O", "CC(=O)O.CCO>>CCOC(C)=O"]
    assert O.rule_accuracy(smiles, [0, 0]) == 0.5
    with pytest.raises(ValueError, match="reaction_types"):
        O.rule_accuracy(smiles, [0])


def test_fingerprint_baseline_learns_the_types():
    train, test = R.make_reactions(300, seed=0), R.make_reactions(100, seed=1, split="test")
    predicted = O.fingerprint_baseline([r.smiles for r in train], [r.reaction_type for r in train],
                                       [r.smiles for r in test], num_bits=256)
    assert predicted.shape == (100,) and predicted.dtype == np.int64  # type ids, as the data's labels
    assert np.mean(predicted == [r.reaction_type for r in test]) > 0.9
