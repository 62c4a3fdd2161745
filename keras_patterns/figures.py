"""Figures a lecturer would put on a slide, shared by the chapters.

Used in chapters 01, 11 and 14.
"""

from __future__ import annotations

import numpy as np

from keras_patterns.checks import check_float_array, check_int_array, check_number, check_shapes


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


def plot_label_tracks(labels, tracks, class_names, title=None, colors=None, styles=None):
    """Per-position class probabilities of several predictors against the true labels.

    Args:
        labels: int array `(T,)`, the true class per position.
        tracks: dict name -> array `(T, C)` of probabilities (an oracle's
            posterior, a model's softmax).
        class_names: the C class names, e.g. ("H", "E", "C").
        title: figure title.
        colors: optional list of C colours for the label strip.
        styles: optional dict name -> (colour, linestyle) for the tracks; pair
            an oracle with its model by giving both one colour.

    Returns:
        The matplotlib `Figure` (one panel per class, plus the true-label strip).

    Used in chapter 01.
    """
    plt = _plt()
    num_classes = len(class_names)
    labels = check_int_array("labels", labels, ndim=1, shape="(T,)", low=0, high=num_classes, what="class ids")
    for name, probs in tracks.items():
        check_shapes(**{"labels": (labels, ("T",)), f"tracks[{name!r}]": (np.shape(probs), ("T", num_classes))})
    colors = colors or ["tab:red", "tab:blue", "tab:gray", "tab:green", "tab:purple"][:num_classes]
    fig, axes = plt.subplots(num_classes + 1, 1, figsize=(12, 1.2 + 1.6 * num_classes), sharex=True,
                             gridspec_kw={"height_ratios": [0.35] + [1] * num_classes})
    strip = np.array([[plt.matplotlib.colors.to_rgb(colors[c]) for c in labels]])
    axes[0].imshow(strip, aspect="auto", interpolation="nearest", extent=(-0.5, len(labels) - 0.5, 0, 1))
    axes[0].set_yticks([])
    axes[0].set_ylabel("true", rotation=0, ha="right", va="center")
    default_styles = [("tab:blue", "-"), ("tab:blue", "--"), ("tab:orange", "-"), ("tab:orange", "--")]
    styles = styles or {name: default_styles[i % 4] for i, name in enumerate(tracks)}
    for c, ax in enumerate(axes[1:]):
        for name, probs in tracks.items():
            color, ls = styles[name]
            ax.plot(np.asarray(probs)[:, c], ls=ls, color=color, lw=1.5 if ls == "-" else 1.2, label=name)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(f"P({class_names[c]})")
        ax.fill_between(np.arange(len(labels)), 0, 1, where=labels == c, color=colors[c], alpha=0.12, step="mid")
    handles = [plt.matplotlib.patches.Patch(color=colors[c], alpha=0.5, label=class_names[c]) for c in range(num_classes)]
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.3), fontsize=8, frameon=False)
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    axes[-1].set_xlabel("position")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_scores_against_limits(scores, limits, ylabel, title=None, limit_for=None):
    """Each model's per-seed scores (dots) and mean (bar), beside dashed limit lines.

    Args:
        scores: dict model name -> list of per-seed scores.
        limits: dict limit name -> value.
        ylabel: axis label, e.g. "Q3 on the test set".
        title: figure title.
        limit_for: optional dict model name -> limit name, to draw each limit
            over its own model instead of across the whole plot.

    Returns:
        The matplotlib `Figure`.

    Used in chapters 01, 11 and 14.
    """
    plt = _plt()
    names = list(scores)
    fig, ax = plt.subplots(figsize=(3.2 + 1.4 * len(names), 3.8))
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:red"]
    for lname, value in limits.items():
        check_number(f"limits[{lname!r}]", value)
    for i, n in enumerate(names):
        values = check_float_array(f"scores[{n!r}]", scores[n], ndim=1, min_size=1)
        jitter = np.linspace(-0.08, 0.08, len(values)) if len(values) > 1 else np.zeros(1)
        ax.plot(i + jitter, values, "o", color=palette[i % 5], ms=5, alpha=0.8)
        ax.hlines(values.mean(), i - 0.18, i + 0.18, color=palette[i % 5], lw=3)
        ax.annotate(f"{values.mean():.3f}", (i + 0.2, values.mean()), va="center", fontsize=9)
    for j, (lname, value) in enumerate(limits.items()):
        owners = [i for i, n in enumerate(names) if limit_for and limit_for.get(n) == lname]
        if owners:
            for i in owners:
                ax.hlines(value, i - 0.35, i + 0.35, colors="k", linestyles="--", lw=1.2)
                ax.annotate(f"{lname} {value:.3f}", (i - 0.35, value), xytext=(0, 4),
                            textcoords="offset points", fontsize=8)
        else:
            ax.axhline(value, color="k", ls=":", lw=1)
            ax.annotate(f"{lname} {value:.3f}", (-0.45, value), xytext=(0, 3), textcoords="offset points", fontsize=8)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.5, len(names) - 0.3)
    ax.set_ylabel(ylabel)
    low = min(min(min(v) for v in scores.values()), min(limits.values()))
    high = max(max(max(v) for v in scores.values()), max(limits.values()))
    pad = 0.15 * (high - low) + 1e-3
    ax.set_ylim(low - pad, high + 2 * pad)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
