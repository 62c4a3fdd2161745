"""Notebook session set-up: quiet logs, profiles, seeds and the device line.

Every chapter's first (locked) code cell calls `setup()`. It exists because
nbgrader scores a graded cell 0 when it writes anything to stderr: TensorFlow
prints its start-up lines on the first import and the first op, and a
`warnings.warn` anywhere does the same. `setup()` silences both and runs one
op, so the noise (if any) lands in the set-up cell and never in a test cell.

Used in every chapter.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import platform
import random
import time
import warnings

import numpy as np

from keras_patterns.checks import check_int

PROFILES = ("smoke", "default", "full")
BACKENDS = ("tensorflow", "jax", "torch")


def quiet_environment(environ=None):
    """Set the environment variables that keep TensorFlow and JAX quiet.

    Must run before the first `import keras` (it is idempotent). Returns the
    mapping it changed, so a caller can pass the same variables to a kernel.

    Used in every chapter (and by `kp` for the kernels it starts).
    """
    environ = os.environ if environ is None else environ
    quiet = {
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "ABSL_MIN_LOG_LEVEL": "3",
        "GRPC_VERBOSITY": "ERROR",
        "PYTHONWARNINGS": "ignore",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "KMP_WARNINGS": "0",
    }
    for key, value in quiet.items():
        environ.setdefault(key, value)
    return quiet


def resolve_profile(profile=None):
    """Return a valid profile name: the argument, else `$KP_PROFILE`, else "default".

    While nbgrader autogrades (`NBGRADER_EXECUTION=autograde`) the grader's
    `$KP_PROFILE` (else "smoke") wins over the argument, so a submission cannot
    make its own grading run at another size.

    Raises:
        ValueError: naming the valid profiles, when the name is not one of them.

    Used in every chapter.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        profile = os.environ.get("KP_PROFILE", "smoke")
    name = profile if profile is not None else os.environ.get("KP_PROFILE", "default")
    name = str(name).strip().lower()
    if name not in PROFILES:
        raise ValueError(
            f"Unknown profile {name!r}. Valid profiles: {', '.join(PROFILES)} "
            "(set KP_PROFILE or pass --profile)."
        )
    return name


def pick(profile, **sizes):
    """Pick the value for `profile` from keyword arguments smoke=, default=, full=.

    Example:

    >>> pick("smoke", smoke=64, default=2000, full=20000)
    64
    """
    profile = resolve_profile(profile)
    missing = [p for p in PROFILES if p not in sizes]
    if missing:
        raise ValueError(f"pick() needs a value for every profile; missing: {missing}")
    return sizes[profile]


def set_seed(seed):
    """Seed Python, NumPy and the Keras backend, without importing TensorFlow needlessly.

    `keras.utils.set_random_seed` imports TensorFlow whenever it is installed,
    even on the JAX backend; this does the same seeding but touches TensorFlow
    only when it is the backend.

    Used in every chapter.
    """
    seed = check_int("seed", seed)
    import keras
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return seed
    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.manual_seed(seed)
    return seed


def describe_device():
    """One line naming the backend's compute device (GPU model, or CPU model and cores)."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            dev = jax.devices()[0]
            if dev.platform != "cpu":
                return f"{dev.device_kind} ({dev.platform}, jax)"
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return f"{torch.cuda.get_device_name(0)} (cuda, torch)"
        elif backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                return f"{gpus[0].name} (tensorflow)"
    except Exception:  # the device line is informative only
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"CPU: {cpu}, {os.cpu_count()} cores ({backend})"


@dataclasses.dataclass(frozen=True)
class Session:
    """What `setup()` found: profile, backend, device, seed and the start time."""

    profile: str
    backend: str
    device: str
    seed: int
    started: float

    def elapsed(self):
        """Seconds since `setup()`."""
        return time.perf_counter() - self.started


def setup(profile=None, seed=0):
    """Quiet the logs, import Keras, run one op, seed everything; return a `Session`.

    Args:
        profile: "smoke", "default" or "full"; None reads `$KP_PROFILE`
            (default "default").
        seed: the global seed.

    Returns:
        A `Session` with the profile, backend, device line, seed and start time.
        At `smoke` it also prints `keras_patterns.results.SMOKE_NOTE` (the
        numbers of a smoke run only prove that the code runs).

    Example:

    >>> session = setup()          # first code cell of every chapter
    >>> session.profile, session.backend
    ('default', 'tensorflow')

    Used in every chapter.
    """
    started = time.perf_counter()
    profile = resolve_profile(profile)
    quiet_environment()
    warnings.filterwarnings("ignore")
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        tf.autograph.set_verbosity(0)
    # The first op initialises the backend (and prints whatever it prints) here.
    keras.ops.convert_to_numpy(keras.ops.sum(keras.ops.ones((2, 2))))
    set_seed(seed)
    if profile == "smoke":
        from keras_patterns.results import SMOKE_NOTE

        print(SMOKE_NOTE)
    return Session(profile, backend, describe_device(), int(seed), started)
