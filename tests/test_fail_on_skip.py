"""KP_FAIL_ON_SKIP=1 (set by .ci/run): a run with a skipped test fails and names the skip (issue 15)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path, fail_on_skip):
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_demo.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    pass\n\n"
        "@pytest.mark.skip(reason='needs a tool that is missing')\n"
        "def test_skipped():\n    pass\n"
    )
    env = dict(os.environ, KP_FAIL_ON_SKIP="1" if fail_on_skip else "0", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-r", "s", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)


def test_a_skip_fails_the_run_and_is_named(tmp_path):
    proc = _run(tmp_path, fail_on_skip=True)
    assert proc.returncode == 1, proc.stdout
    assert "1 skipped" in proc.stdout
    assert "test_demo.py::test_skipped: Skipped: needs a tool that is missing" in proc.stdout


def test_without_the_variable_a_skip_is_only_reported(tmp_path):
    proc = _run(tmp_path, fail_on_skip=False)
    assert proc.returncode == 0, proc.stdout
    assert "1 passed, 1 skipped" in proc.stdout
