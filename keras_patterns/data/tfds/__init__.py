"""The course's data families as TensorFlow Datasets builders, made from the NumPy loaders.

Importing this package registers three builders (one per module of `keras_patterns.data`):

| builder | configs | made from |
|---|---|---|
| `kp_proteins` | `synthetic_smoke`, `synthetic`, `synthetic_full`, `dssp` | `data.proteins.make_splits`, `dssp_splits` |
| `kp_series` | `ar1_smoke`, `ar1`, `ar1_full`, `sunspots`, `co2`, `co2_diff`, `nile` | `oracles.ar1.simulate_ar1`, `data.series.prepare_series` |
| `kp_graphs` | `karate_club`, `fast_mixing`, `slow_mixing`, each also `_smoke` and `_full` | `data.graphs.load_graph`, `data.graphs.sample_walks` |

A config without a suffix is the `default` profile's size. Every dataset is version 1.0.0, holds
the loader's arrays in the loader's order and splits (`val` is named `validation`), and has its
data card (`datasets/<family>/README.md`) as description and the card's BibTeX as citation.

    import tensorflow_datasets as tfds
    import keras_patterns.data.tfds  # registers kp_proteins, kp_series, kp_graphs
    ds = tfds.load("kp_proteins/synthetic", split="train", data_dir="build/tfds")

Offline: the builders download nothing (their `_split_generators` ignore the download manager and
call the loaders, which read installed packages or generate), and TFDS 4.9.10 keeps GCS off unless
`try_gcs=True` is passed, so `tfds.load` never opens a connection (tested with sockets blocked).
The data lands in `data_dir` (else `$TFDS_DATA_DIR`, else `~/tensorflow_datasets`). One TFDS call
does reach GCS: `tfds.list_builders()` fetches the community list unless given
`with_community_datasets=False`.

Neither `keras_patterns` nor `keras_patterns.data` imports this package: the notebooks use the
NumPy loaders, so JAX and PyTorch need no TensorFlow. A missing tensorflow-datasets raises an
ImportError naming the pip command.

Used in chapters 01, 11 and 14.
"""

from keras_patterns.data.tfds._common import PIP_COMMAND, RELEASE_NOTES, VERSION, card_citation, card_description
from keras_patterns.data.tfds.graphs import KpGraphs
from keras_patterns.data.tfds.proteins import KpProteins
from keras_patterns.data.tfds.series import KpSeries

BUILDERS = {"kp_proteins": KpProteins, "kp_series": KpSeries, "kp_graphs": KpGraphs}
"""The registered builders by TFDS name."""

FAMILIES = {"kp_proteins": "proteins", "kp_series": "series", "kp_graphs": "graphs"}
"""The data family (and data card folder) of each builder."""

__all__ = [
    "BUILDERS",
    "FAMILIES",
    "KpGraphs",
    "KpProteins",
    "KpSeries",
    "PIP_COMMAND",
    "RELEASE_NOTES",
    "VERSION",
    "card_citation",
    "card_description",
]
