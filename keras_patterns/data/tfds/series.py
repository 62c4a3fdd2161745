"""`kp_series`: the time series of chapter 11, as a TFDS dataset.

Made from the NumPy loaders, with nothing downloaded:

- `ar1_smoke`, `ar1` (the `default` profile), `ar1_full`: windows of the stationary AR(1) of
  `keras_patterns.oracles.ar1.simulate_ar1` (phi = 0.9, sigma = 1), window L = 8 and the next 16
  values. `train` is `make_windows(simulate_ar1(n + 23, seed=1), 8, HORIZONS)` with n the
  profile's largest training size (chapter 11's training series of seed 0: a smaller training
  set of the chapter is its first windows, its validation part the last tenth); `test` is the
  chapter's independent test windows, `simulate_ar1(24, num_series=m, seed=10_000)` as float32.
  Features `window` float32 `(8, 1)` and `future` float32 `(16,)` (x_{t+1..t+16}); as supervised
  `(window, future)`.
- `sunspots`, `co2`, `nile` and `co2_diff` (CO2's monthly changes, `difference=True`): one example
  per time step of `keras_patterns.data.series.prepare_series(name)`, in time order, split as it
  splits (the last 20 % test). Features `step` int32 (index in the series), `value` float64
  (standardised with the training part's mean and std, as `prepare_series` returns it) and `raw`
  float64 (the loaded value, or change, in the series' units); `metadata` holds `mean` and `std`.

Used in chapter 11.
"""

import numpy as np

from keras_patterns.checks import check_choice
from keras_patterns.data import series as loader
from keras_patterns.data.series import make_windows
from keras_patterns.data.tfds import _common
from keras_patterns.data.tfds._common import tfds
from keras_patterns.oracles import ar1

WINDOW = 8
"""Input window L of the AR(1) configs (chapter 11's)."""

HORIZONS = (1, 2, 4, 8, 16)
"""Forecast horizons of chapter 11; the `future` feature holds all 16 next values."""

AR1_SIZES = {
    "smoke": {"train": 300, "test": 500},
    "default": {"train": 5000, "test": 5000},
    "full": {"train": 20000, "test": 20000},
}
"""Windows per split of the AR(1) configs: chapter 11's largest training size and its test size per profile."""

AR1_TRAIN_SEED = 1
"""Seed of the AR(1) training series (chapter 11 draws seed s's series with seed s + 1)."""

AR1_TEST_SEED = 10_000
"""Seed of the AR(1) test windows (chapter 11's)."""

REAL = {
    "sunspots": ("sunspots", False),
    "co2": ("co2", False),
    "co2_diff": ("co2", True),
    "nile": ("nile", False),
}
"""Real configs: name -> (`prepare_series` name, `difference`)."""


def _ar1(profile):
    sizes = AR1_SIZES[profile]
    return _common.make_config(
        f"ar1{_common.profile_suffix(profile)}",
        f"AR(1) windows (phi = {ar1.PHI}, sigma = {ar1.SIGMA}, L = {WINDOW}, next 16 values), profile {profile!r}: "
        f"{sizes['train']} training windows of one series (seed {AR1_TRAIN_SEED}), "
        f"{sizes['test']} independent test windows (seed {AR1_TEST_SEED}).",
        "ar1",
        profile,
    )


def _real(name):
    series_name, difference = REAL[name]
    what = "monthly changes of CO2" if difference else series_name
    return _common.make_config(
        name,
        f"The {what} series, one example per step, as "
        f"prepare_series({series_name!r}{', difference=True' if difference else ''}) splits and standardises it.",
        name,
    )


def ar1_windows(profile):
    """The AR(1) splits of a profile, `{"train": (X, Y), "test": (X, Y)}`, float32, as the configs hold them."""
    sizes = AR1_SIZES[check_choice("profile", profile, tuple(AR1_SIZES))]
    train = ar1.simulate_ar1(sizes["train"] + WINDOW + HORIZONS[-1] - 1, seed=AR1_TRAIN_SEED)
    test = ar1.simulate_ar1(WINDOW + HORIZONS[-1], num_series=sizes["test"], seed=AR1_TEST_SEED).astype("float32")
    return {"train": make_windows(train, WINDOW, HORIZONS), "test": (test[:, :WINDOW, None], test[:, WINDOW:])}


class KpSeries(tfds.core.GeneratorBasedBuilder):
    """AR(1) forecasting windows and three real series from statsmodels (chapter 11)."""

    VERSION = _common.VERSION
    RELEASE_NOTES = _common.RELEASE_NOTES
    BUILDER_CONFIGS = [_ar1(p) for p in _common.PROFILES] + [_real(name) for name in REAL]
    DEFAULT_CONFIG_NAME = "ar1"

    def _info(self):
        config = self.builder_config
        if config.source == "ar1":
            features = {
                "window": tfds.features.Tensor(shape=(WINDOW, 1), dtype=np.float32, doc="x_{t-7}, ..., x_t"),
                "future": tfds.features.Tensor(shape=(HORIZONS[-1],), dtype=np.float32, doc="x_{t+1}, ..., x_{t+16}"),
            }
            supervised = ("window", "future")
            metadata = {
                "phi": ar1.PHI, "sigma": ar1.SIGMA, "window": WINDOW, "horizons": list(HORIZONS),
                "train_seed": AR1_TRAIN_SEED, "test_seed": AR1_TEST_SEED,
            }
        else:
            features = {
                "step": tfds.features.Scalar(dtype=np.int32, doc="index of the value in the (differenced) series"),
                "value": _common.float64(()),
                "raw": _common.float64(()),
            }
            supervised = None
            split = self._prepared()
            metadata = {"series": split.name, "mean": split.mean, "std": split.std, "test_fraction": split.test_fraction}
        return _common.dataset_info(
            self, "series", features=tfds.features.FeaturesDict(features), supervised_keys=supervised, metadata=metadata
        )

    def _prepared(self):
        series_name, difference = REAL[self.builder_config.source]
        return loader.prepare_series(series_name, difference=difference)

    def split_sizes(self):
        """Examples per split, as the loaders declare them (without generating the AR(1) windows)."""
        if self.builder_config.source == "ar1":
            return dict(AR1_SIZES[self.builder_config.profile])
        split = self._prepared()
        return {"train": len(split.train), "test": len(split.test)}

    def _split_generators(self, dl_manager):
        del dl_manager  # nothing is downloaded: the series come from the NumPy loaders
        if self.builder_config.source == "ar1":
            windows = ar1_windows(self.builder_config.profile)
            return {
                name: self._generate_examples({"window": x, "future": y} for x, y in zip(X, Y))
                for name, (X, Y) in windows.items()
            }
        split = self._prepared()
        series_name, difference = REAL[self.builder_config.source]
        raw = loader.load_series(series_name)
        if difference:
            raw = np.diff(raw)
        n = len(split.train)
        return {
            "train": self._generate_examples(self._steps(0, split.train, raw[:n])),
            "test": self._generate_examples(self._steps(n, split.test, raw[n:])),
        }

    @staticmethod
    def _steps(start, values, raw):
        for offset, (value, original) in enumerate(zip(values, raw)):
            yield {"step": start + offset, "value": value, "raw": original}

    def _generate_examples(self, examples):
        # Integer keys in the loader's order: with shuffling disabled TFDS stores them in this order.
        yield from enumerate(examples)
