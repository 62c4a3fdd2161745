"""Pytest's header names the Keras backend, so CI's output shows which backend each run tested.

Two more things for CI (issue 15):

- `KP_FAIL_ON_SKIP=1` (set by `.ci/run` and the Makefile's test targets) turns any skipped test into a
  failed run: the summary counts the skips and names them, and the exit status is 1, so a green CI run
  means every collected test ran. Run with `-r s` to see each skip's reason in the short summary too.
- Doctests (`--doctest-modules`, the Makefile's `test-doctest`) see `np` and `keras` without importing
  them, as every example in the library assumes `import numpy as np` and `import keras`.
"""

import os

import pytest


def pytest_report_header(config):
    import keras

    return f"keras {keras.__version__}, backend: {keras.backend.backend()}"


@pytest.fixture(autouse=True)
def _doctest_names(request):
    """Give doctests `np` and `keras` (a no-op for ordinary tests)."""
    namespace = request.getfixturevalue("doctest_namespace")
    if "np" not in namespace:
        import keras
        import numpy as np

        namespace.update(np=np, keras=keras)


def _fail_on_skip():
    return os.environ.get("KP_FAIL_ON_SKIP", "") not in ("", "0")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if not _fail_on_skip():
        return
    terminalreporter.section("skipped tests (KP_FAIL_ON_SKIP=1)")
    terminalreporter.write_line(f"{len(skipped)} skipped")
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        terminalreporter.write_line(f"SKIPPED {report.nodeid}: {reason}")


def pytest_sessionfinish(session, exitstatus):
    if not _fail_on_skip():
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        session.exitstatus = 1
