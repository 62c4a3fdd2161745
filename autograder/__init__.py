"""autograder: the grading system of the keras-patterns course (`kp`), apart from the library notebooks import.

`keras_patterns` is what a student's notebook imports; this package releases,
grades and self-tests those notebooks with nbgrader, and nothing of it is ever
imported by a kernel that runs a student's code (tested in
`tests/test_import_graph.py`). One module per job:

| module | job |
|---|---|
| `cli` | the `kp` command: parser, commands, exit statuses |
| `demo` | `kp run` / `kp demo`: execute solution notebooks, the results table, `summary.md` |
| `tables` | the plain-text tables and numbers `kp` prints |
| `chapters` | the chapter registry: finished chapters, their names, the course root |
| `environment` | the variables kernels run with, set for the duration of a run |
| `notebooks` | reading nbgrader notebooks: cell kinds, test cells, hidden regions, the release's normal form |
| `nbgrader_app` | the course's nbgrader config, pointed at a private course; running nbgrader's converters |
| `nbgrader_config.py` | that config (a traitlets file, read from the course root, not imported) |
| `release` | `kp release`: `course/` from `solutions/`, normalised, refusing leaks |
| `submissions` | a submission; reading a class's folder; repairing a notebook's structure against the release |
| `screen` | the answer-cell screen (shortcuts found in the source, outside the kernel; `screen.json`) |
| `grader` | `kp grade`: the private course that grades submissions one by one, in sandboxed kernels |
| `grades` | a submission's grade and the grades CSV |
| `feedback` | feedback pages without hidden tests |
| `sandbox/` | `bwrap` (the sandbox), `warm` (warm kernels), `execute` (nbgrader's Execute in the sandbox), `guard` (integrity guard), `processes` |
| `dask_engine` | `kp grade --engine dask`: the same grading on a Dask cluster |
| `wrong_answers` | wrong-answer fixtures (`fixtures/<chapter>.json`) |
| `selftest` | `kp selftest`: pseudo-students whose grades are known |
| `mutants`, `mutation_report`, `mutation` | mutation testing of the chapters' tests (`python -m autograder.mutation`; reports in `mutation/`) |
| `errors` | `GradingError`, a problem with the course itself |
| `new_chapter` | a new chapter's skeleton in the shape of the chapter contract (`kp new`, or `python -m autograder.new_chapter`) |

Nothing is imported here: import the module you need, so that `kp release`
does not load the Dask engine nor a kernel manager. No module imports in a
circle (`tests/test_import_graph.py`).
"""
