"""`kp_graphs`: random walks on the three two-community graphs of chapter 14, as a TFDS dataset.

One config per graph of `keras_patterns.data.graphs` (`karate_club`, `fast_mixing`,
`slow_mixing`, generated graphs with seed 0) and per walk-set size of chapter 14's profiles
(`<graph>_smoke`, `<graph>` = `default`, `<graph>_full`; `WALK_SIZES`). An example is one simple
random walk of `WALK_LENGTH` = 64 steps (65 nodes, start uniform), sampled by the library's
`sample_walks` on `transition_matrix(graph)`; `train` has seed 1,000 (chapter 14's training walks
of seed 0), `test` seed 20,000. The sampler draws step by step, so the walks of any shorter length
L with the same seed are the first L + 1 nodes of these.

Features: `walk` int64 `(65,)` node ids, `communities` int64 `(65,)` (`labels[walk]`: the global
task's target is `communities[0]`, the local task's `communities[1:]`) and `label`, the start
node's community as a class label (names in the info). `as_supervised=True` gives `(walk, label)`.
The graph itself (edges, node labels, community names) is in `info.metadata`.

Used in chapter 14.
"""

import numpy as np

from keras_patterns.checks import check_choice
from keras_patterns.data import graphs as loader
from keras_patterns.data.graphs import sample_walks
from keras_patterns.data.tfds import _common
from keras_patterns.data.tfds._common import tfds
from keras_patterns.oracles.random_walks import transition_matrix

WALK_LENGTH = 64
"""Steps per walk (the longest walk of chapter 14); a walk has `WALK_LENGTH + 1` nodes."""

WALK_SIZES = {
    "smoke": {"train": 256, "test": 500},
    "default": {"train": 4000, "test": 4000},
    "full": {"train": 8000, "test": 8000},
}
"""Walks per split: chapter 14's `walks` and `test_walks` per profile."""

GRAPH_SEED = 0
"""Seed of the generated graphs (the data card's)."""

WALK_SEEDS = {"train": 1_000, "test": 20_000}
"""Seed of `sample_walks` per split."""


def _config(graph, profile):
    sizes = WALK_SIZES[profile]
    return _common.make_config(
        f"{graph}{_common.profile_suffix(profile)}",
        f"Random walks of {WALK_LENGTH} steps on {graph} (graph seed {GRAPH_SEED}), profile {profile!r}: "
        f"{sizes['train']} training walks (seed {WALK_SEEDS['train']}), {sizes['test']} test walks "
        f"(seed {WALK_SEEDS['test']}).",
        graph,
        profile,
    )


def load_walks(graph, profile):
    """The graph's labels and walks per split, `(labels, {"train": walks, "test": walks})`, as the configs hold them."""
    check_choice("profile", profile, tuple(WALK_SIZES))
    g, labels = loader.load_graph(graph, seed=GRAPH_SEED)
    p = transition_matrix(g)
    walks = {
        split: sample_walks(p, WALK_LENGTH, WALK_SIZES[profile][split], seed=WALK_SEEDS[split])
        for split in ("train", "test")
    }
    return labels, walks


class KpGraphs(tfds.core.GeneratorBasedBuilder):
    """Random walks with community labels on the karate club, a fast- and a slow-mixing graph (chapter 14)."""

    VERSION = _common.VERSION
    RELEASE_NOTES = _common.RELEASE_NOTES
    BUILDER_CONFIGS = [_config(g, p) for g in loader.GRAPHS for p in _common.PROFILES]
    DEFAULT_CONFIG_NAME = "karate_club"

    def _info(self):
        graph, labels = loader.load_graph(self.builder_config.source, seed=GRAPH_SEED)
        names = list(graph.graph["community_names"])
        nodes = WALK_LENGTH + 1
        features = {
            "walk": tfds.features.Tensor(shape=(nodes,), dtype=np.int64, doc="node ids X_0, ..., X_64"),
            "communities": tfds.features.Tensor(shape=(nodes,), dtype=np.int64, doc="labels[X_0], ..., labels[X_64]"),
            "label": tfds.features.ClassLabel(names=names, doc="community of the start node X_0"),
        }
        metadata = {
            "graph": self.builder_config.source,
            "graph_seed": GRAPH_SEED,
            "num_nodes": graph.number_of_nodes(),
            "edges": sorted([min(u, v), max(u, v)] for u, v in graph.edges),
            "labels": labels.tolist(),
            "community_names": names,
            "walk_length": WALK_LENGTH,
            "walk_seeds": dict(WALK_SEEDS),
        }
        return _common.dataset_info(
            self,
            "graphs",
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("walk", "label"),
            metadata=metadata,
        )

    def split_sizes(self):
        """Walks per split, as `WALK_SIZES` declares them (without sampling)."""
        return dict(WALK_SIZES[self.builder_config.profile])

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing is downloaded: graphs and walks come from the library
        labels, walks = load_walks(self.builder_config.source, self.builder_config.profile)
        return {
            split: self._generate_examples(
                {"walk": walk, "communities": community, "label": int(community[0])}
                for walk, community in zip(w, np.asarray(labels)[w])
            )
            for split, w in walks.items()
        }

    def _generate_examples(self, examples):
        # Integer keys in the sampler's order: with shuffling disabled TFDS stores them in this order.
        yield from enumerate(examples)
