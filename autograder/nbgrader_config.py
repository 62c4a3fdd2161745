"""nbgrader configuration of the keras-patterns course.

`kp release`, `kp grade` and `kp selftest` load this file and point the
course folders at a private temporary course (so nothing is written into the
repository); the settings below that are not folders apply to them unchanged.
To use it with nbgrader's own commands, from the repository root:

    nbgrader autograde ch01_protein_ss --JupyterApp.config_file=autograder/nbgrader_config.py

Layout: source notebooks in `solutions/<chapter>/`, student versions in
`course/<chapter>/`, everything nbgrader writes (gradebook, submissions,
autograded notebooks, feedback) under `build/nbgrader/`.
"""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from autograder.feedback import RedactHiddenTests

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "nbgrader")
os.makedirs(BUILD, exist_ok=True)

c.CourseDirectory.course_id = "keras-patterns"
c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "build/nbgrader/submitted"
c.CourseDirectory.autograded_directory = "build/nbgrader/autograded"
c.CourseDirectory.feedback_directory = "build/nbgrader/feedback"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(BUILD, "gradebook.db")
# Checkpoints, caches and whatever a local run leaves beside a notebook stay out of the release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*", "build"]

# Execution. nbgrader's default cell timeout is 30 s, which a correct answer can
# exceed on a slow machine; at the smoke profile no chapter cell comes near 120 s.
# A cell that runs past it is interrupted and scores 0; the rest of the notebook
# still runs. The kernel gets 120 s to start (TensorFlow's import is slow on 2 cores).
c.Execute.timeout = 120
c.Execute.startup_timeout = 120
c.Execute.interrupt_on_timeout = True

# A student cannot change the instructor's cells: locked and test cells are
# overwritten with the source version, and deleted graded cells are put back
# (kp also puts back deleted locked cells, which nbgrader does not).
c.OverwriteCells.add_missing_cells = True

# Feedback: nbgrader shows the autograded notebook, hidden tests included;
# RedactHiddenTests removes them and the tracebacks that would quote them.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, RedactHiddenTests]

# Kernels: no history file (parallel graders never share one), and no start-up
# log lines (ipykernel's warnings go to the grader's terminal, not to a cell).
c.Execute.extra_arguments = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
