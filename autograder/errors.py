"""The one error the grading system raises about the course itself.

A problem with a *submission* never raises: it becomes a row of the grades
CSV (status `error`, the reason in `error`). A problem with the *course* (a
source notebook nbgrader cannot release, a wrong-answer fixture that names a
cell the chapter does not have, a bad `autograder/screen.json`) stops the
command with `GradingError`, whose message names the file and what is wrong.
It lives in its own module because release, grading, fixtures and the
self-test all raise it and none of them should import another for it.
"""


class GradingError(RuntimeError):
    """A problem with the course itself (not with a submission): bad sources, bad fixtures."""
