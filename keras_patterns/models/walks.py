"""GRU models that read random walks on a graph: many-to-one and many-to-many.

A walk `X_0, ..., X_L` is a sequence of node ids. Two tasks, whose Bayes
limits `keras_patterns.oracles.random_walks` computes exactly:

- global task, many-to-one (多对一): `build_many_to_one_walk_classifier`
  reads the walk and names the community of the start node `X_0`;
- local task, many-to-many (多对多): `build_many_to_many_walk_tagger` reads
  `X_0, ..., X_{L-1}` and at each step `t` names the community of the next
  node `X_{t+1}`, using only `X_0, ..., X_t` (the GRU runs forward only).

The walks and their `(inputs, targets)` pairs come from `keras_patterns.data.graphs`
(`sample_walks`, `make_global_targets`, `make_local_targets`);
`keras_patterns.metrics.per_step_accuracy` scores the tagger step by step.

Used in chapter 14.
"""

import keras

from keras_patterns.checks import check_positive_int, check_positive_number


def build_many_to_one_walk_classifier(
    num_nodes,
    num_hiddens,
    num_classes=2,
    embedding_dim=None,
    name="many_to_one_walk_classifier",
):
    """Many-to-one GRU: node embedding, GRU, softmax over start communities.

    Only the last hidden state reaches the head, so to name the start
    community of a long walk the GRU must carry it from the first step to the
    last. Fed the whole walk, its Bayes limit is 1 at any length; fed only
    the last `k` nodes (slice the inputs), it is
    `oracles.random_walks.window_bayes_accuracy(P, labels, L, k)`.

    Args:
        num_nodes: Number of nodes of the graph (embedding vocabulary).
        num_hiddens: Width of the GRU state.
        num_classes: Number of communities.
        embedding_dim: Width of the node embedding; `num_hiddens` when None.
        name: Name of the model.

    Returns:
        An uncompiled `keras.Model` mapping int walks of shape
        `(batch, steps)` (any number of steps) to probabilities of shape
        `(batch, num_classes)`.

    Example:

    >>> model = build_many_to_one_walk_classifier(34, 16)
    >>> tuple(model(np.zeros((3, 5), "int32")).shape)
    (3, 2)

    Used in chapter 14.
    """
    num_nodes = check_positive_int("num_nodes", num_nodes)
    num_hiddens = check_positive_int("num_hiddens", num_hiddens)
    num_classes = check_positive_int("num_classes", num_classes)
    embedding_dim = check_positive_int("embedding_dim", num_hiddens if embedding_dim is None else embedding_dim)
    walks = keras.Input(shape=(None,), dtype="int32", name="walk")
    x = keras.layers.Embedding(num_nodes, embedding_dim, name="node_embedding")(walks)
    state = keras.layers.GRU(num_hiddens, name="gru")(x)
    probs = keras.layers.Dense(num_classes, activation="softmax", name="start_community")(state)
    return keras.Model(walks, probs, name=name)


def build_many_to_many_walk_tagger(
    num_nodes,
    num_hiddens,
    num_classes=2,
    embedding_dim=None,
    name="many_to_many_walk_tagger",
):
    """Many-to-many GRU: at each step, softmax over the next node's community.

    The GRU runs forward only, so the output at step `t` depends on the
    inputs `X_0, ..., X_t` and nothing later (causal). Its Bayes limit at
    step `t` is `oracles.random_walks.local_bayes_accuracy(P, labels, t)`: the current
    node already holds all that the past says about the next node.

    Args:
        num_nodes: Number of nodes of the graph (embedding vocabulary).
        num_hiddens: Width of the GRU state.
        num_classes: Number of communities.
        embedding_dim: Width of the node embedding; `num_hiddens` when None.
        name: Name of the model.

    Returns:
        An uncompiled `keras.Model` mapping int walks of shape
        `(batch, steps)` to probabilities of shape
        `(batch, steps, num_classes)`.

    Example:

    >>> model = build_many_to_many_walk_tagger(34, 16)
    >>> tuple(model(np.zeros((3, 5), "int32")).shape)
    (3, 5, 2)

    Used in chapter 14.
    """
    num_nodes = check_positive_int("num_nodes", num_nodes)
    num_hiddens = check_positive_int("num_hiddens", num_hiddens)
    num_classes = check_positive_int("num_classes", num_classes)
    embedding_dim = check_positive_int("embedding_dim", num_hiddens if embedding_dim is None else embedding_dim)
    walks = keras.Input(shape=(None,), dtype="int32", name="walk")
    x = keras.layers.Embedding(num_nodes, embedding_dim, name="node_embedding")(walks)
    states = keras.layers.GRU(num_hiddens, return_sequences=True, name="gru")(x)
    # Dense acts on the last axis, i.e. the same head at every step.
    probs = keras.layers.Dense(num_classes, activation="softmax", name="next_community")(states)
    return keras.Model(walks, probs, name=name)


def compile_walk_model(model, learning_rate=1e-2):
    """Compiles a walk model with Adam, sparse cross-entropy and accuracy.

    Args:
        model: A model from `build_many_to_one_walk_classifier` or
            `build_many_to_many_walk_tagger`.
        learning_rate: Adam's learning rate; the models are small, so a
            large rate trains them in a few epochs.

    Returns:
        The same model, compiled.

    Example:

    >>> model = compile_walk_model(build_many_to_one_walk_classifier(34, 8))
    >>> type(model.optimizer).__name__, model.loss
    ('Adam', 'sparse_categorical_crossentropy')

    Used in chapter 14.
    """
    learning_rate = check_positive_number("learning_rate", learning_rate)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
