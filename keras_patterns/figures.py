"""Figures a lecturer would put on a slide, shared by the chapters.

Used in chapters 01, 11 and 14.
"""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() in ("", "agg") or not _in_notebook():
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _in_notebook():
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False


def plot_label_tracks(labels, tracks, class_names, title=None, colors=None):
    """Per-position class probabilities of several predictors against the true labels.

    Args:
        labels: int array `(T,)`, the true class per position.
        tracks: dict name -> array `(T, C)` of probabilities (an oracle's
            posterior, a model's softmax).
        class_names: the C class names, e.g. ("H", "E", "C").
        title: figure title.
        colors: optional list of C colours for the label strip.

    Returns:
        The matplotlib `Figure` (one panel per class, plus the true-label strip).

    Used in chapter 01.
    """
    plt = _plt()
    labels = np.asarray(labels)
    num_classes = len(class_names)
    for name, probs in tracks.items():
        if np.shape(probs) != (len(labels), num_classes):
            raise ValueError(f"track {name!r} has shape {np.shape(probs)}; expected {(len(labels), num_classes)}")
    colors = colors or ["tab:red", "tab:blue", "tab:gray", "tab:green", "tab:purple"][:num_classes]
    fig, axes = plt.subplots(num_classes + 1, 1, figsize=(11, 1.2 + 1.6 * num_classes), sharex=True,
                             gridspec_kw={"height_ratios": [0.35] + [1] * num_classes})
    strip = np.array([[plt.matplotlib.colors.to_rgb(colors[c]) for c in labels]])
    axes[0].imshow(strip, aspect="auto", interpolation="nearest", extent=(-0.5, len(labels) - 0.5, 0, 1))
    axes[0].set_yticks([])
    axes[0].set_ylabel("true", rotation=0, ha="right", va="center")
    styles = ["-", "--", "-.", ":"]
    for c, ax in enumerate(axes[1:]):
        for i, (name, probs) in enumerate(tracks.items()):
            ax.plot(np.asarray(probs)[:, c], styles[i % len(styles)], lw=1.4, label=name)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(f"P({class_names[c]})")
        ax.fill_between(np.arange(len(labels)), 0, 1, where=labels == c, color=colors[c], alpha=0.12, step="mid")
    axes[1].legend(loc="upper right", ncol=len(tracks), fontsize=8, frameon=False)
    axes[-1].set_xlabel("position")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_scores_against_limits(scores, limits, ylabel, title=None, limit_for=None):
    """Bars of per-seed scores (mean, with each seed as a dot) beside dashed limit lines.

    Args:
        scores: dict model name -> list of per-seed scores.
        limits: dict limit name -> value.
        ylabel: axis label, e.g. "Q3 on the test set".
        title: figure title.
        limit_for: optional dict model name -> limit name, to draw each limit
            over its own model's bar instead of across the whole plot.

    Returns:
        The matplotlib `Figure`.

    Used in chapters 01, 11 and 14.
    """
    plt = _plt()
    names = list(scores)
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(names), 3.6))
    means = [float(np.mean(scores[n])) for n in names]
    ax.bar(range(len(names)), means, color="tab:blue", alpha=0.55, width=0.6)
    for i, n in enumerate(names):
        ax.plot(np.full(len(scores[n]), i), scores[n], "o", color="k", ms=4)
        ax.text(i, means[i], f"{means[i]:.3f}", ha="center", va="bottom", fontsize=9)
    palette = ["tab:red", "tab:green", "tab:orange", "tab:purple"]
    for j, (lname, value) in enumerate(limits.items()):
        if limit_for and lname in limit_for.values():
            xs = [i for i, n in enumerate(names) if limit_for.get(n) == lname]
            for i in xs:
                ax.hlines(value, i - 0.4, i + 0.4, colors=palette[j % 4], linestyles="--",
                          label=f"{lname} = {value:.3f}" if i == xs[0] else None)
        else:
            ax.axhline(value, color=palette[j % 4], ls="--", label=f"{lname} = {value:.3f}")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel(ylabel)
    low = min(min(min(v) for v in scores.values()), min(limits.values()))
    high = max(max(max(v) for v in scores.values()), max(limits.values()))
    pad = 0.15 * (high - low) + 1e-3
    ax.set_ylim(low - pad, high + pad)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
