"""The environment of kernels: what grading and `kp run` set while a notebook runs.

A kernel inherits the environment of the process that starts it, so both the
grader and `kp run` set variables around the start (`patched_environ`) and put
them back afterwards, leaving the caller's environment as it was. The
variables themselves come from `keras_patterns.session.quiet_environment`
(nbgrader scores a graded cell 0 when it writes anything to stderr, and
TensorFlow writes start-up lines there unless told not to).

Used by `autograder.nbgrader_app`, `autograder.grader` and `autograder.demo`.
"""

from __future__ import annotations

import contextlib
import os

from keras_patterns.session import quiet_environment


@contextlib.contextmanager
def patched_environ(values):
    """Set environment variables for the duration (kernels inherit the environment of their parent)."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = str(value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def kernel_environment(profile, results_dir):
    """The variables a grading kernel runs with: the quiet set, the profile, a scratch results folder.

    `JUPYTER_PREFER_ENV_PATH=1` makes the `python3` kernel the one of this
    environment even when the user has a `python3` kernelspec of their own
    (which could lack `keras_patterns` and fail every test).
    """
    env = dict(quiet_environment({}))
    env["KP_PROFILE"] = profile
    env["KP_RESULTS_DIR"] = str(results_dir)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    return env

