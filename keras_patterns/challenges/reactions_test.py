"""Chapter 04's challenge: fixed reactions, the rule classifier's limit on the same test set, the rules."""

import keras
import numpy as np
import pytest

from keras_patterns.challenges import ChallengeRuleError, run_challenge
from keras_patterns.challenges import reactions as challenge
from keras_patterns.data import reactions as data
from keras_patterns.oracles import reactions as oracle


@pytest.fixture(scope="module")
def task():
    return challenge.reactions_task()


def test_task_is_fixed_and_its_limit_is_the_rule_classifier(task):
    assert task.x_train.shape == (1200, 64) and task.x_test.shape == (600, 64)
    assert task.x_train.dtype == np.int32 and set(np.unique(task.y_train)) == set(range(5))
    again = challenge.reactions_task()
    assert np.array_equal(again.x_test, task.x_test) and np.array_equal(again.y_train, task.y_train)
    train, test = challenge._reactions()
    assert task.limit == 100.0 * oracle.rule_accuracy([r.smiles for r in test], task.y_test) == 100.0
    # Test substrates come from the other split: no test reaction is a training reaction.
    assert not {r.smiles for r in train} & {r.smiles for r in test}
    vocab = challenge.vocabulary()
    assert vocab == data.build_vocabulary(train) and task.x_test.max() < len(vocab)


def test_reactions_task_wires_its_data_limit_and_rules():
    # reactions_task called here, not through the module fixture (a mutation run does not rerun a fixture's
    # builder for each of its mutants): a rule override, every field checked independently.
    task = challenge.reactions_task(max_updates=10)
    train, test = challenge._reactions()
    vocab = challenge.vocabulary()
    for x, y, reactions in ((task.x_train, task.y_train, train), (task.x_test, task.y_test, test)):
        want = np.zeros((len(reactions), challenge.MAX_LEN), "int32")
        for i, r in enumerate(reactions):
            want[i, :len(r.tokens)] = [vocab.get(t, 1) for t in r.tokens]
        assert x.dtype == np.int32 and np.array_equal(x, want)
        assert np.array_equal(y, [r.reaction_type for r in reactions])
    rule = [oracle.rule_classify(r.smiles) for r in test]
    assert task.limit == pytest.approx(100.0 * np.mean(np.asarray(rule) == task.y_test), abs=1e-9)
    assert task.loss == "sparse_categorical_crossentropy" and task.higher_is_better
    assert task.score is challenge.accuracy_points and task.units == "accuracy points" and task.sample_weight is None
    assert task.rules == challenge.ChallengeRules(**{**challenge.RULES, "max_updates": 10})
    assert task.name == "name the reaction type (one of 5) from the 64 padded tokens of a reaction SMILES"
    assert task.describe_limit.endswith(f"on the same test reactions ({task.limit:.2f} %)")


def _mean_pool(epochs):
    def build():
        x = keras.Input(shape=(64,), dtype="int32")
        h = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(len(challenge.vocabulary()), 4)(x))
        return keras.Model(x, keras.layers.Dense(5, activation="softmax")(h)), {"learning_rate": 3e-2,
                                                                                 "batch_size": 128, "epochs": epochs}
    return build


def test_a_cheap_design_is_graded_deterministically_and_rules_bite(task):
    first = run_challenge(task, _mean_pool(3), points=4, verbose=False)
    second = run_challenge(task, _mean_pool(3), points=4, verbose=False)
    assert first.score == second.score and 0 <= first.points <= 4 and first.updates == 3 * 10
    assert first.gap == pytest.approx(100.0 - first.score)
    with pytest.raises(ChallengeRuleError, match="updates"):
        run_challenge(task, _mean_pool(13), points=4, verbose=False)
