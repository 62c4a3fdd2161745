"""Tests of keras_patterns.data.tfds: every `kp_` builder and config builds offline and equals the NumPy loader.

Every config of every builder (all 20, the `_full` sizes included: together they build in about 20 s
on two cores) is built by `tfds.load` into one temporary `data_dir`, with sockets, GCS and the
download manager blocked, and read back; its examples must equal, array for array and in order,
what the NumPy loader gives when called here directly, split for split. Nothing is skipped: without
tensorflow-datasets the import below fails with the pip command (CI installs it).
"""

import functools
import importlib.util
import socket
import subprocess
import sys

import numpy as np
import pytest

import keras_patterns.data.tfds as kp_tfds  # an ImportError here names the pip command
import tensorflow as tf
import tensorflow_datasets as tfds
from keras_patterns.data import graphs, proteins, series
from keras_patterns.data.graphs import sample_walks
from keras_patterns.data.series import make_windows
from keras_patterns.data.tfds import _common
from keras_patterns.oracles import ar1
from keras_patterns.oracles.random_walks import transition_matrix

CONFIGS = {
    "kp_proteins": ["synthetic_smoke", "synthetic", "synthetic_full", "dssp"],
    "kp_series": ["ar1_smoke", "ar1", "ar1_full", "sunspots", "co2", "co2_diff", "nile"],
    "kp_graphs": [f"{g}{s}" for g in ("karate_club", "fast_mixing", "slow_mixing") for s in ("_smoke", "", "_full")],
}
ALL = [(name, config) for name, configs in CONFIGS.items() for config in configs]
PROFILE = {"_smoke": "smoke", "_full": "full"}


def _profile(config):
    return next((p for suffix, p in PROFILE.items() if config.endswith(suffix)), "default")


def _refuse(*args, **kwargs):
    raise AssertionError(f"kp_ datasets must build offline; a network call was attempted: {args!r:.200}")


def _local_only(function):
    """tf.io.gfile `function` refusing gs:// paths (TensorFlow's C++ GCS client is out of Python's sockets' reach)."""

    def guarded(*args, **kwargs):
        if any(str(a).startswith("gs://") for a in (*args, *kwargs.values())):
            _refuse(*args)
        return function(*args, **kwargs)

    return guarded


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One TFDS data_dir for the module, with every way to the network blocked while the tests run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse)
        patch.setattr(socket.socket, "connect_ex", _refuse)
        patch.setattr(socket, "create_connection", _refuse)
        patch.setattr(socket, "getaddrinfo", _refuse)
        patch.setattr(tfds.core.utils.gcs_utils, "exists", _refuse)
        for method in ("download", "download_and_extract", "extract", "download_kaggle_data"):
            patch.setattr(tfds.download.DownloadManager, method, _refuse)
        gfile = tf.io.gfile
        for function in ("exists", "glob", "isdir", "listdir", "makedirs", "stat", "walk", "GFile", "copy", "rename"):
            patch.setattr(gfile, function, _local_only(getattr(gfile, function)))
        # The builder and the expectation below share one call of the (deterministic) loader per argument set:
        # this halves the time of `synthetic_full`, and a builder calling it otherwise would miss the cache.
        patch.setattr(proteins, "make_splits", functools.lru_cache(maxsize=None)(proteins.make_splits))
        patch.delenv("TFDS_DATA_DIR", raising=False)
        tfds.disable_progress_bar()
        yield tmp_path_factory.mktemp("tfds")


def _expected(name, config):
    """The loader's splits for a config, {split: {feature: array or list}}, computed from the NumPy loaders."""
    profile = _profile(config)
    if name == "kp_proteins" and config == "dssp":
        splits = proteins.dssp_splits(seed=0)
        return {
            tfds_split: {
                "tokens": [c.tokens for c in splits[ours]],
                "labels": [c.labels for c in splits[ours]],
                "name": [c.name for c in splits[ours]],
                "sequence": [c.sequence for c in splits[ours]],
            }
            for tfds_split, ours in (("train", "train"), ("validation", "val"), ("test", "test"))
        }
    if name == "kp_proteins":
        splits = proteins.make_splits(profile, seed=0)
        return {
            tfds_split: {"tokens": splits[ours][0], "labels": splits[ours][1]}
            for tfds_split, ours in (("train", "train"), ("validation", "val"), ("test", "test"))
        }
    if name == "kp_series" and config.startswith("ar1"):
        train = {"smoke": 300, "default": 5000, "full": 20000}[profile]  # chapter 11's largest training size
        X, Y = make_windows(ar1.simulate_ar1(train + 8 + 16 - 1, seed=1), 8, (1, 2, 4, 8, 16))
        test = ar1.simulate_ar1(8 + 16, num_series={"smoke": 500, "default": 5000, "full": 20000}[profile],
                                seed=10_000).astype("float32")
        return {"train": {"window": X, "future": Y}, "test": {"window": test[:, :8, None], "future": test[:, 8:]}}
    if name == "kp_series":
        difference = config == "co2_diff"
        split = series.prepare_series(config.removesuffix("_diff"), difference=difference)
        raw = series.load_series(config.removesuffix("_diff"))
        raw = np.diff(raw) if difference else raw
        n = len(split.train)
        return {
            "train": {"step": np.arange(n), "value": split.train, "raw": raw[:n]},
            "test": {"step": np.arange(n, len(raw)), "value": split.test, "raw": raw[n:]},
        }
    graph_name = config.removesuffix("_smoke").removesuffix("_full")
    graph, labels = graphs.load_graph(graph_name, seed=0)
    sizes = {"smoke": (256, 500), "default": (4000, 4000), "full": (8000, 8000)}[profile]  # chapter 14's
    out = {}
    for split, num, seed in (("train", sizes[0], 1_000), ("test", sizes[1], 20_000)):
        walks = sample_walks(transition_matrix(graph), 64, num, seed=seed)
        out[split] = {"walk": walks, "communities": labels[walks], "label": labels[walks[:, 0]]}
    return out


def _read(dataset, ragged):
    """A split as {feature: stacked array}, or, for chains of different lengths, {feature: list of arrays}."""
    if not ragged:
        return tfds.as_numpy(dataset.batch(1 << 20).get_single_element())
    batch = dataset.ragged_batch(1 << 20).get_single_element()
    out = {}
    for key, value in batch.items():
        if isinstance(value, tf.RaggedTensor):
            cuts = np.cumsum(value.row_lengths().numpy())[:-1]
            out[key] = np.split(value.flat_values.numpy(), cuts)
        else:
            out[key] = [v.decode() if isinstance(v, bytes) else v for v in value.numpy()]
    return out


@pytest.mark.parametrize("name, config", ALL, ids=[f"{n}/{c}" for n, c in ALL])
def test_every_config_builds_offline_and_equals_the_numpy_loader(data_dir, name, config):
    splits, info = tfds.load(f"{name}/{config}", data_dir=data_dir, with_info=True)
    builder = tfds.builder(f"{name}/{config}", data_dir=data_dir)
    expected = _expected(name, config)
    assert list(splits) == list(expected), "the splits are the loader's, in its order"
    assert {s: info.splits[s].num_examples for s in expected} == builder.split_sizes(), "declared sizes"
    for split, want in expected.items():
        got = _read(splits[split], ragged=name == "kp_proteins")
        assert sorted(got) == sorted(want), f"{split}: features"
        for key, values in want.items():
            if isinstance(values, list):
                assert len(got[key]) == len(values), f"{split}/{key}: number of examples"
                for i, (g, w) in enumerate(zip(got[key], values)):
                    if isinstance(w, str):
                        assert g == w, f"{split}/{key}[{i}]"
                    else:
                        assert g.dtype == w.dtype and np.array_equal(g, w), f"{split}/{key}[{i}]"
            else:
                values = np.asarray(values)
                assert got[key].shape == values.shape, f"{split}/{key}: shape"
                assert np.array_equal(got[key], values), f"{split}/{key}: values (exact, in order)"
                if key not in ("step", "label"):  # dtypes of the loaders' arrays; step and label are int32/int64
                    assert got[key].dtype == values.dtype, f"{split}/{key}: dtype"


def test_the_card_call_loads_supervised_pairs(data_dir):
    train = tfds.load("kp_proteins/synthetic", split="train", data_dir=data_dir, as_supervised=True)
    tokens, labels = next(iter(tfds.as_numpy(train)))
    want_tokens, want_labels = proteins.make_splits("default", seed=0)["train"]
    assert np.array_equal(tokens, want_tokens[0]) and np.array_equal(labels, want_labels[0])
    walk, label = next(iter(tfds.as_numpy(tfds.load("kp_graphs/karate_club_smoke", split="test", data_dir=data_dir,
                                                    as_supervised=True))))
    assert walk.shape == (65,) and label == graphs.karate_club()[1][walk[0]]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_builder_is_versioned_with_its_data_card(name, data_dir):
    family = kp_tfds.FAMILIES[name]
    card = (_common.CARDS_DIR / family / "README.md").read_text(encoding="utf-8")
    # list_builders() would fetch the community list from GCS unless told not to.
    assert name.startswith("kp_") and name in tfds.list_builders(with_community_datasets=False)
    assert [c.name for c in kp_tfds.BUILDERS[name].BUILDER_CONFIGS] == CONFIGS[name]
    for config in CONFIGS[name]:
        builder = tfds.builder(f"{name}/{config}", data_dir=data_dir)
        assert builder.version == tfds.core.Version("1.0.0") and "1.0.0" in builder.release_notes
        assert builder.info.description == card.strip(), "the data card is the description"
        assert builder.info.citation == _common.card_citation(family).strip() and builder.info.citation.count("@") >= 2
        assert builder.info.citation in card.replace("```bibtex\n", "").replace("```", "")
        assert builder.builder_config.description, "every config says what it holds"
        assert info_metadata_is_json(builder.info.metadata)
    assert f"tfds.load(\"{name}/" in card, "the card shows the tfds.load call"


def info_metadata_is_json(metadata):
    import json

    return json.loads(json.dumps(dict(metadata))) == dict(metadata)


def test_shorter_walks_and_smaller_ar1_sets_are_prefixes():
    """The docstrings' claim: a config holds the chapter's shorter walks and smaller AR(1) training sets."""
    graph, _ = graphs.karate_club()
    p = transition_matrix(graph)
    long = sample_walks(p, 64, 300, seed=1_000)
    for length in (0, 1, 8, 32):
        assert np.array_equal(sample_walks(p, length, 300, seed=1_000), long[:, : length + 1])
    X, Y = make_windows(ar1.simulate_ar1(5000 + 23, seed=1), 8, (1, 2, 4, 8, 16))
    x, y = make_windows(ar1.simulate_ar1(500 + 23, seed=1), 8, (1, 2, 4, 8, 16))
    assert np.array_equal(X[:500], x) and np.array_equal(Y[:500], y)


def test_notebook_imports_do_not_load_tensorflow_datasets():
    code = (
        "import sys, keras_patterns, keras_patterns.data\n"
        "from keras_patterns.data import graphs, proteins, series\n"
        "bad = [m for m in sys.modules if m.startswith(('tensorflow_datasets', 'keras_patterns.data.tfds'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_tensorflow_datasets_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # `import tensorflow_datasets` now fails
    spec = importlib.util.spec_from_file_location("kp_tfds_without_tfds", _common.__file__)
    with pytest.raises(ImportError, match=r"pip install tensorflow-datasets==4\.9\.10 importlib_resources=="):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
