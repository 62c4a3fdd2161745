"""GRU models that read random walks on a graph: many-to-one and many-to-many.

A walk `X_0, ..., X_L` is a sequence of node ids. Two tasks, whose Bayes
limits `keras_patterns.oracles.random_walks` computes exactly:

- global task, many-to-one (多对一): `build_many_to_one_walk_classifier`
  reads the walk and names the community of the start node `X_0`;
- local task, many-to-many (多对多): `build_many_to_many_walk_tagger` reads
  `X_0, ..., X_{L-1}` and at each step `t` names the community of the next
  node `X_{t+1}`, using only `X_0, ..., X_t` (the GRU runs forward only).

`make_global_targets` and `make_local_targets` turn sampled walks into
`(inputs, targets)` pairs for `model.fit`.

Used in chapter 14.
"""

import numpy as np

import keras
from keras import ops


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _check_walks(walks, labels):
    walks = np.asarray(walks)
    labels = np.asarray(labels)
    if walks.ndim != 2 or not np.issubdtype(walks.dtype, np.integer):
        raise ValueError(
            "`walks` must be an int array of shape (num_walks, length + 1). "
            f"Received: walks.shape={walks.shape}, walks.dtype={walks.dtype}"
        )
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "`labels` must be an int array of shape (num_nodes,). "
            f"Received: labels.shape={labels.shape}, labels.dtype={labels.dtype}"
        )
    if walks.size and (walks.min() < 0 or walks.max() >= len(labels)):
        raise ValueError(
            f"`walks` must hold node ids in [0, {len(labels)}). "
            f"Received: min={walks.min()}, max={walks.max()}"
        )
    return walks.astype("int32"), labels.astype("int32")


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
    `random_walks.window_bayes_accuracy(P, labels, L, k)`.

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
    num_nodes = _check_positive_int("num_nodes", num_nodes)
    num_hiddens = _check_positive_int("num_hiddens", num_hiddens)
    num_classes = _check_positive_int("num_classes", num_classes)
    embedding_dim = _check_positive_int("embedding_dim", embedding_dim or num_hiddens)
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
    step `t` is `random_walks.local_bayes_accuracy(P, labels, t)`: the current
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
    num_nodes = _check_positive_int("num_nodes", num_nodes)
    num_hiddens = _check_positive_int("num_hiddens", num_hiddens)
    num_classes = _check_positive_int("num_classes", num_classes)
    embedding_dim = _check_positive_int("embedding_dim", embedding_dim or num_hiddens)
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
    >>> model.optimizer.name
    'adam'

    Used in chapter 14.
    """
    if not learning_rate > 0:
        raise ValueError(
            f"`learning_rate` must be positive. Received: learning_rate={learning_rate!r}"
        )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_global_targets(walks, labels, window=None):
    """Inputs and targets of the global task: the start node's community.

    Args:
        walks: Int array `(num_walks, length + 1)` from
            `random_walks.sample_walks`.
        labels: Community of each node, int array `(num_nodes,)`.
        window: None to feed the whole walk, or `k >= 1` to feed only the
            last `k` nodes (the model then cannot see `X_0` unless
            `k = length + 1`).

    Returns:
        A tuple `(x, y)`: int32 inputs `(num_walks, k)` (or the whole walk)
        and int32 targets `(num_walks,)`, `y = labels[walks[:, 0]]`.

    Example:

    >>> x, y = make_global_targets(np.array([[0, 1, 2]]), np.array([0, 1, 1]), window=1)
    >>> x.tolist(), y.tolist()
    ([[2]], [0])

    Used in chapter 14.
    """
    walks, labels = _check_walks(walks, labels)
    y = labels[walks[:, 0]]
    if window is None:
        return walks, y
    window = _check_positive_int("window", window)
    if window > walks.shape[1]:
        raise ValueError(
            "`window` can be at most the number of nodes in a walk. "
            f"Received: window={window}, walks.shape={walks.shape}"
        )
    return walks[:, -window:], y


def make_local_targets(walks, labels):
    """Inputs and targets of the local task: the next node's community.

    Args:
        walks: Int array `(num_walks, length + 1)`, `length >= 1`.
        labels: Community of each node, int array `(num_nodes,)`.

    Returns:
        A tuple `(x, y)` of int32 arrays of shape `(num_walks, length)`:
        `x[:, t] = X_t` and `y[:, t] = labels[X_{t+1}]`.

    Example:

    >>> x, y = make_local_targets(np.array([[0, 1, 2]]), np.array([0, 1, 1]))
    >>> x.tolist(), y.tolist()
    ([[0, 1]], [[1, 1]])

    Used in chapter 14.
    """
    walks, labels = _check_walks(walks, labels)
    if walks.shape[1] < 2:
        raise ValueError(
            "The local task needs walks of at least one step (2 nodes). "
            f"Received: walks.shape={walks.shape}"
        )
    return walks[:, :-1], labels[walks[:, 1:]]


def per_step_accuracy(y_true, y_prob):
    """Accuracy of the argmax prediction at each step of a many-to-many output.

    Args:
        y_true: Int targets, shape `(batch, steps)`.
        y_prob: Probabilities, shape `(batch, steps, num_classes)`; a tensor
            of any backend or a numpy array.

    Returns:
        A float64 numpy array of shape `(steps,)`.

    Example:

    >>> per_step_accuracy(np.array([[1, 0]]), np.array([[[0.2, 0.8], [0.3, 0.7]]])).tolist()
    [1.0, 0.0]

    Used in chapter 14.
    """
    predicted = ops.argmax(ops.convert_to_tensor(y_prob), axis=-1)
    hits = ops.equal(ops.cast(predicted, "int32"), ops.convert_to_tensor(y_true, dtype="int32"))
    accuracy = ops.mean(ops.cast(hits, "float32"), axis=0)
    return np.asarray(ops.convert_to_numpy(accuracy), dtype="float64")
