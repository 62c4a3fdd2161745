"""Driving nbgrader: the course's configuration, pointed at a private course, and running its converters.

Every nbgrader run of `kp` (`generate_assignment` for the release,
`autograde` and `generate_feedback` for each submission) happens in a private,
temporary course folder with its own gradebook, so that nothing is written
into the repository and parallel graders never share a database. The
settings that are not folders (timeouts, cell restoring, the feedback
preprocessors) come from the course's `autograder/nbgrader_config.py`,
read from the course root as nbgrader's own commands read it.

Facts this is built around (nbgrader 0.9.6): nbgrader runs the `alembic`
command in a new process for every new gradebook, so `run_app` answers that
question in-process and puts this Python's scripts on PATH; autograde's
`Execute` is replaced by `autograder.sandbox.execute.SandboxedExecute`.

Used by `autograder.release` and `autograder.grader`.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
import warnings
from pathlib import Path

from autograder.environment import patched_environ
from autograder.errors import GradingError

#: Where a course keeps its nbgrader configuration, relative to its root.
CONFIG_FILE = Path("autograder") / "nbgrader_config.py"

#: The logger nbgrader's converters write to (kept out of the grader's terminal; `run_app` captures it).
LOG_NAME = "autograder.nbgrader"


def config_path(root):
    """The nbgrader config used for `root`: its own `autograder/nbgrader_config.py`, else this package's.

    The package's copy is the same file as the repository's (this module lives
    beside it), so a course root without a config of its own is graded with the
    course's settings.
    """
    own = Path(root) / CONFIG_FILE
    if own.is_file():
        return own
    packaged = Path(__file__).resolve().parent / CONFIG_FILE.name
    if packaged.is_file():
        return packaged
    raise GradingError(f"no nbgrader config: neither {own} nor {packaged} exists")


def load_config(root, course_root=None):
    """Load the course's nbgrader config, pointed at `course_root` (a private course folder).

    The timeouts, preprocessors and restore options come from the config file;
    the folders are always overridden so that nothing is written into the
    repository.
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = config_path(root)
    cfg = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    cfg = Config(copy.deepcopy(dict(cfg)))
    if course_root is not None:
        course_root = Path(course_root)
        cfg.CourseDirectory.root = str(course_root)
        cfg.CourseDirectory.source_directory = "source"
        cfg.CourseDirectory.release_directory = "release"
        cfg.CourseDirectory.submitted_directory = "submitted"
        cfg.CourseDirectory.autograded_directory = "autograded"
        cfg.CourseDirectory.feedback_directory = "feedback"
        cfg.CourseDirectory.db_url = f"sqlite:///{course_root / 'gradebook.db'}"
        cfg.CourseDirectory.student_id = "*"
        cfg.CourseDirectory.notebook_id = "*"
    return cfg


def use_sandboxed_execute(cfg):
    """Make nbgrader's autograde run notebooks with `autograder.sandbox.execute.SandboxedExecute`."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        Execute,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from autograder.sandbox.execute import SandboxedExecute

    pre = cfg.Autograde.get("autograde_preprocessors") or [
        Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
        CheckCellMetadata,
    ]
    cfg.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p for p in pre]
    return cfg


def logger():
    """The quiet logger handed to nbgrader's converters (a NullHandler; `run_app` captures what they log)."""
    log = logging.getLogger(LOG_NAME)
    if not log.handlers:
        log.addHandler(logging.NullHandler())
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


def _use_inprocess_alembic():
    """Answer nbgrader's "which gradebook schema is current?" without a subprocess.

    nbgrader runs `alembic heads` in a new process for every new gradebook
    (4 s on a busy 2-core machine, and it needs the venv on PATH). The answer
    is the head revision of nbgrader's own migration scripts, which alembic's
    Python API reads directly; if that fails nbgrader's own way stays.
    """
    import nbgrader.api

    if getattr(nbgrader.api.get_alembic_version, "_kp_inprocess", False):
        return
    try:
        from alembic.script import ScriptDirectory
        from nbgrader.dbutil import ALEMBIC_DIR

        head = ScriptDirectory(ALEMBIC_DIR).get_current_head()
    except Exception:  # noqa: BLE001 - keep nbgrader's subprocess
        return
    if not head:
        return

    def get_alembic_version():
        return head

    get_alembic_version._kp_inprocess = True
    nbgrader.api.get_alembic_version = get_alembic_version


def run_app(app):
    """Run an nbgrader converter, capturing its log: returns (ok, log text).

    nbgrader runs the `alembic` command when it creates a gradebook, so the
    folder of this Python's scripts goes first on PATH (a venv need not be
    activated).
    """
    from nbgrader.utils import capture_log

    _use_inprocess_alembic()
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        path = bindir + os.pathsep + path
    with patched_environ({"PATH": path}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy warnings
        result = capture_log(app)
    text = result.get("log", "")
    if result.get("error"):
        text += "\n" + result["error"]
    return bool(result.get("success")), text

