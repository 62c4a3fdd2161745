"""Classical per-residue baselines for sequence taggers.

The GOR-style window classifier (Garnier, Osguthorpe & Robson 1978) predicts a
residue's class from the amino acids in a window around it; here it is a
multinomial logistic regression on one-hot windows (scikit-learn). It sees both
sides of the residue but only `half_width` residues away, which makes it the
natural classical counterpart of a bidirectional tagger.

Used in chapter 01.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.checks import check_int, check_int_array, check_positive_int, check_positive_number, check_shapes


def window_features(tokens, mask, num_tokens, half_width=8):
    """One-hot windows around every real position.

    Args:
        tokens: int array `(N, T)`, ids 1..num_tokens, 0 = padding.
        mask: `(N, T)`, true where real.
        num_tokens: the alphabet size.
        half_width: residues on each side.

    Returns:
        A float32 array `(real positions, (2 * half_width + 1) * (num_tokens + 1))`;
        id 0 in a window marks "beyond the chain end".
    """
    num_tokens = check_positive_int("num_tokens", num_tokens)
    half_width = check_int("half_width", half_width, minimum=0)
    tokens = check_int_array("tokens", tokens, ndim=2, shape="(N, T)", what="token ids")
    mask = np.asarray(mask).astype(bool)
    check_shapes(tokens=(tokens, ("N", "T")), mask=(mask, ("N", "T")))
    if tokens[mask].min(initial=1) < 1 or tokens.max(initial=0) > num_tokens:
        raise ValueError(
            f"`tokens` must hold real token ids in 1..{num_tokens} where `mask` is true (0 pads). "
            f"Received: min={tokens[mask].min(initial=1)}, max={tokens.max(initial=0)}"
        )
    width = 2 * half_width + 1
    padded = np.pad(np.where(mask, tokens, 0), ((0, 0), (half_width, half_width)))
    rows, cols = np.nonzero(mask)
    windows = np.stack([padded[rows, cols + k] for k in range(width)], axis=1)  # (P, width)
    features = np.zeros((len(rows), width * (num_tokens + 1)), dtype="float32")
    features[np.arange(len(rows))[:, None], np.arange(width) * (num_tokens + 1) + windows] = 1.0
    return features


def majority_accuracy(y_train, m_train, y_test, m_test):
    """Accuracy of always predicting the most frequent training class, pooled over real positions.

    Args:
        y_train: int labels `(N, T)` of the training chains.
        m_train: `(N, T)`, true where real.
        y_test: int labels `(M, T')` of the test chains.
        m_test: `(M, T')`, true where real.

    Returns:
        A Python float in [0, 1].

    Used in chapter 01.
    """
    check_shapes(y_train=(np.shape(y_train), ("N", "T")), m_train=(np.shape(m_train), ("N", "T")))
    check_shapes(y_test=(np.shape(y_test), ("M", "T'")), m_test=(np.shape(m_test), ("M", "T'")))
    train_labels = np.asarray(y_train)[np.asarray(m_train).astype(bool)]
    majority = np.bincount(train_labels).argmax()
    test_labels = np.asarray(y_test)[np.asarray(m_test).astype(bool)]
    return float(np.mean(test_labels == majority))


def window_logreg_accuracy(train, test, num_tokens, half_width=8, C=0.05, seed=0):
    """Per-residue accuracy of a GOR-style window logistic regression.

    Args:
        train, test: `(tokens, labels, mask)` triples of `(N, T)` arrays.
        num_tokens: the alphabet size.
        half_width: residues on each side of the window.
        C: inverse L2 regularisation strength.
        seed: for the solver.

    Returns:
        Pooled per-residue accuracy on `test`, a Python float.

    Used in chapter 01.
    """
    from sklearn.linear_model import LogisticRegression

    C = check_positive_number("C", C)
    (xtr, ytr, mtr), (xte, yte, mte) = train, test
    # Newton-CG converges in a handful of iterations on one-hot windows (lbfgs takes 3x longer here).
    clf = LogisticRegression(C=C, solver="newton-cg", max_iter=200, random_state=seed)
    clf.fit(window_features(xtr, mtr, num_tokens, half_width), np.asarray(ytr)[np.asarray(mtr).astype(bool)])
    pred = clf.predict(window_features(xte, mte, num_tokens, half_width))
    return float(np.mean(pred == np.asarray(yte)[np.asarray(mte).astype(bool)]))
