"""`kp_proteins`: protein chains with helix / strand / coil labels per residue, as a TFDS dataset.

Made from `keras_patterns.data.proteins`: the synthetic configs are `make_splits(profile, seed=0)`
(`synthetic_smoke`, `synthetic` = the `default` profile, `synthetic_full`; sizes `SPLIT_SIZES`),
the real one is `dssp_splits(seed=0)` (`dssp`: 50 PDB chains with DSSP labels). One example per
chain, in the loader's order; the loader's `val` split is TFDS's `validation`.

Features: `tokens` int32 `(length,)` (amino-acid ids 1..20, `AMINO_ACIDS` order) and `labels`
int32 `(length,)` (0 = H, 1 = E, 2 = C, `SS_LABELS` order); `dssp` adds the chain's `name` and
one-letter `sequence`. `as_supervised=True` gives `(tokens, labels)`.

Used in chapter 01.
"""

import numpy as np

from keras_patterns.data import proteins as loader
from keras_patterns.data.tfds import _common
from keras_patterns.data.tfds._common import tfds

SPLITS = {"train": "train", "validation": "val", "test": "test"}
"""TFDS split name -> the loader's split name."""

SEED = 0
"""The seed of `make_splits` and `dssp_splits` (the course's fixed splits)."""


def _synthetic(profile):
    sizes = loader.SPLIT_SIZES[profile]
    return _common.make_config(
        f"synthetic{_common.profile_suffix(profile)}",
        f"Synthetic chains of ProteinHMM(), make_splits({profile!r}, seed={SEED}): "
        f"{sizes['train']} / {sizes['val']} / {sizes['test']} chains, lengths 50..200.",
        "synthetic",
        profile,
    )


class KpProteins(tfds.core.GeneratorBasedBuilder):
    """Protein secondary structure per residue: synthetic HMM chains and real DSSP chains (chapter 01)."""

    VERSION = _common.VERSION
    RELEASE_NOTES = _common.RELEASE_NOTES
    BUILDER_CONFIGS = [_synthetic(p) for p in _common.PROFILES] + [
        _common.make_config(
            "dssp",
            f"The 50 PDB chains with DSSP 3-state labels of MDAnalysisTests, dssp_splits(seed={SEED}): "
            "35 / 5 / 10 chains.",
            "dssp",
        )
    ]
    DEFAULT_CONFIG_NAME = "synthetic"

    def _info(self):
        features = {
            "tokens": tfds.features.Tensor(shape=(None,), dtype=np.int32, doc="amino-acid ids 1..20 (AMINO_ACIDS)"),
            "labels": tfds.features.Tensor(shape=(None,), dtype=np.int32, doc="0 = helix H, 1 = strand E, 2 = coil C"),
        }
        if self.builder_config.source == "dssp":
            features["name"] = tfds.features.Text(doc="PDB id and chain letter, e.g. 1ahsA")
            features["sequence"] = tfds.features.Text(doc="one-letter amino-acid string")
        metadata = {
            "amino_acids": "".join(loader.AMINO_ACIDS),
            "ss_labels": "".join(loader.SS_LABELS),
            "pad_id": loader.PAD_ID,
            "seed": SEED,
            "loader": (
                f"keras_patterns.data.proteins.make_splits({self.builder_config.profile!r}, seed={SEED})"
                if self.builder_config.source == "synthetic"
                else f"keras_patterns.data.proteins.dssp_splits(seed={SEED})"
            ),
        }
        return _common.dataset_info(
            self,
            "proteins",
            features=tfds.features.FeaturesDict(features),
            supervised_keys=("tokens", "labels"),
            metadata=metadata,
        )

    def split_sizes(self):
        """Chains per TFDS split, as the loader declares them (without generating anything)."""
        if self.builder_config.source == "synthetic":
            return {split: loader.SPLIT_SIZES[self.builder_config.profile][ours] for split, ours in SPLITS.items()}
        splits = loader.dssp_splits(seed=SEED)
        return {split: len(splits[ours]) for split, ours in SPLITS.items()}

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing is downloaded: the chains come from the NumPy loader
        if self.builder_config.source == "synthetic":
            splits = loader.make_splits(self.builder_config.profile, seed=SEED)
            examples = {
                split: ({"tokens": x, "labels": y} for x, y in zip(*splits[ours])) for split, ours in SPLITS.items()
            }
        else:
            splits = loader.dssp_splits(seed=SEED)
            examples = {
                split: (
                    {"tokens": c.tokens, "labels": c.labels, "name": c.name, "sequence": c.sequence}
                    for c in splits[ours]
                )
                for split, ours in SPLITS.items()
            }
        return {split: self._generate_examples(chains) for split, chains in examples.items()}

    def _generate_examples(self, examples):
        # Integer keys in the loader's order: with shuffling disabled TFDS stores them in this order.
        yield from enumerate(examples)
