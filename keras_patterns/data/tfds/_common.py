"""What every `kp_` TFDS builder shares: the import guard, the version, the data cards, the configs.

Used by the builders of `keras_patterns.data.tfds` (chapters 01, 11 and 14).
"""

import dataclasses
import pathlib
import re

import numpy as np

from keras_patterns.checks import check_choice

PIP_COMMAND = 'pip install tensorflow-datasets==4.9.10 importlib_resources==7.1.0   (or: pip install -e ".[cpu]")'
"""The install command that a missing tensorflow-datasets error names."""

try:
    # TFDS 4.9.10 imports importlib_resources without declaring it, so a missing one fails here too.
    import tensorflow_datasets as tfds
except ImportError as error:  # pragma: no cover - tested by loading this file without TFDS
    raise ImportError(
        "keras_patterns.data.tfds needs tensorflow-datasets (and TensorFlow); "
        f"{error.name or 'a module'} is missing. Install them with `{PIP_COMMAND}`. "
        "The NumPy loaders (keras_patterns.data.proteins, .series, .graphs) need neither."
    ) from error

VERSION = tfds.core.Version("1.0.0")
"""The version of every `kp_` dataset."""

RELEASE_NOTES = {
    "1.0.0": "First release: the examples of the keras_patterns.data NumPy loaders, same arrays, order and splits.",
}
"""Release notes of every `kp_` dataset, by version."""

CARDS_DIR = pathlib.Path(__file__).resolve().parents[3] / "datasets"
"""The data cards' folder, `datasets/` at the repository root (the package is installed with `pip install -e`)."""

_BIBTEX = re.compile(r"```bibtex\n(.*?)```", re.DOTALL)

DATA_FAMILIES = ("proteins", "series", "graphs")
"""The data families, one card folder `datasets/<family>/` and one module of `keras_patterns.data` each."""

PROFILES = ("smoke", "default", "full")
"""The course profiles, one synthetic config per profile."""


def card_path(family):
    """The data card of a family: `datasets/<family>/README.md`."""
    check_choice("family", family, DATA_FAMILIES)
    return CARDS_DIR / family / "README.md"


def card_description(family):
    """The data card's text, the description of the family's dataset (a pointer if the card is absent)."""
    path = card_path(family)
    if not path.is_file():
        return f"keras-patterns data family {family!r}; its data card is datasets/{family}/README.md in the repository."
    return path.read_text(encoding="utf-8")


def card_citation(family):
    """The BibTeX of the data card (its ```bibtex blocks, joined), or "" if the card is absent."""
    path = card_path(family)
    if not path.is_file():
        return ""
    return "\n".join(block.strip() + "\n" for block in _BIBTEX.findall(path.read_text(encoding="utf-8")))


def profile_suffix(profile):
    """Config-name suffix of a course profile: the `default` size has none (`synthetic`), the others `_smoke`, `_full`."""
    check_choice("profile", profile, PROFILES)
    return "" if profile == "default" else f"_{profile}"


@dataclasses.dataclass(eq=False)
class Config(tfds.core.BuilderConfig):
    """A `kp_` builder config: which real set or generator (`source`) and, for generators, which size (`profile`)."""

    source: str = ""
    profile: str | None = None


def make_config(name, description, source, profile=None):
    """One config at the shared version and release notes."""
    return Config(
        name=name,
        version=VERSION,
        release_notes=RELEASE_NOTES,
        description=description,
        source=source,
        profile=profile,
    )


def dataset_info(builder, family, *, features, supervised_keys=None, metadata=None):
    """The `DatasetInfo` of a `kp_` builder: the family's card as description and citation, order kept."""
    return tfds.core.DatasetInfo(
        builder=builder,
        description=card_description(family),
        citation=card_citation(family),
        features=features,
        supervised_keys=supervised_keys,
        # Examples are stored in the loader's order (integer keys), so a split reads back as the loader made it.
        disable_shuffling=True,
        metadata=tfds.core.MetadataDict(metadata or {}),
    )


def float64(shape):
    """A float64 tensor feature stored as raw bytes: tf.train.Example's float list would round it to float32."""
    return tfds.features.Tensor(shape=shape, dtype=np.float64, encoding=tfds.features.Encoding.BYTES)
