"""Chapter 04's challenge: name the reaction type from the tokens of a reaction SMILES, against RDKit's rules.

The data are fixed (`keras_patterns.data.reactions`, independent of the
chapter's own sets and of the profile): `NUM_TRAIN` reactions drawn from the
NCI molecules of the training split and `NUM_TEST` from the disjoint test
split, every reaction SMILES at most `MAX_LEN` tokens, tokenised with the
SMILES regular expression and padded with 0 to int32 `(N, MAX_LEN)` by a
vocabulary built on the training reactions (`vocabulary()`; a test token it
lacks becomes 1, "unknown"). The target is the reaction type, int32 `(N,)`
in `0..4` (`REACTION_TYPES`); the loss is sparse categorical cross-entropy,
so a design outputs probabilities `(batch, 5)`.

The limit is the rule-based classifier (`oracles.reactions.rule_classify`:
each RDKit template run again on the reactants) on the same test reactions:
the types are defined by those templates, so it names every one (100 %). The
rules are tight (few parameters, few updates): reading the reagent is easy,
doing it in 120 updates with 5,000 weights is the design problem.

Used in chapter 04.
"""

from __future__ import annotations

import functools

import numpy as np

from keras_patterns.challenges.core import ChallengeRules, ChallengeTask
from keras_patterns.challenges.gaussians import accuracy_points
from keras_patterns.data import reactions as data
from keras_patterns.oracles import reactions as oracle

#: Fixed sizes and seeds (independent of the chapter's own sets), and the padded length.
NUM_TRAIN = 1200
NUM_TEST = 600
TRAIN_SEED = 4_101
TEST_SEED = 4_102
MAX_LEN = 64

#: The default rules: parameters, optimizer updates, batch size, and the scale in accuracy points.
RULES = dict(max_params=5_000, max_updates=120, max_batch_size=128, full_within=2.0, zero_at=12.0)


@functools.lru_cache(maxsize=None)
def _reactions():
    train = data.make_reactions(NUM_TRAIN, TRAIN_SEED, "train", max_tokens=MAX_LEN)
    test = data.make_reactions(NUM_TEST, TEST_SEED, "test", max_tokens=MAX_LEN)
    return tuple(train), tuple(test)


def vocabulary():
    """The challenge's token -> id dict (0 padding, 1 unknown), built on its training reactions."""
    return data.build_vocabulary(_reactions()[0])


def reactions_task(**rules):
    """The chapter-04 challenge: the reaction type of a reaction SMILES, graded against RDKit's rules.

    Args:
        **rules: overrides of `RULES` (5,000 parameters, 120 updates, batch at most 128,
            full points within 2 accuracy points of the limit, none from 12).

    Returns:
        A `ChallengeTask`: `x_train` int32 `(1200, 64)`, `y_train` int32 `(1200,)`, `x_test` int32
        `(600, 64)`, `y_test` int32 `(600,)`; loss "sparse_categorical_crossentropy"; score the test
        accuracy in points; limit the rule classifier's accuracy on the same test reactions.

    Example:

    >>> task = reactions_task()
    >>> task.x_train.shape, task.y_test.shape, task.limit
    ((1200, 64), (600,), 100.0)
    """
    train, test = _reactions()
    vocab = vocabulary()
    x_train = data.encode(list(train), vocab, MAX_LEN)
    x_test = data.encode(list(test), vocab, MAX_LEN)
    limit = 100.0 * oracle.rule_accuracy([r.smiles for r in test], x_test["reaction_type"])
    return ChallengeTask(
        name=(f"name the reaction type (one of {len(data.REACTION_TYPES)}) from the {MAX_LEN} padded tokens of a "
              "reaction SMILES"),
        x_train=x_train["tokens"], y_train=x_train["reaction_type"], x_test=x_test["tokens"],
        y_test=x_test["reaction_type"], loss="sparse_categorical_crossentropy", score=accuracy_points,
        limit=limit, higher_is_better=True, units="accuracy points", rules=ChallengeRules(**{**RULES, **rules}),
        describe_limit=f"RDKit's templates run again on the reactants (rule_classify) on the same test reactions "
                       f"({limit:.2f} %)",
    )
