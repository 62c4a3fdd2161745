"""What a newcomer meets before any chapter: JupyterLab without its news pop-up, an install without warnings."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"


def test_make_lab_uses_the_project_jupyter_config():
    make = (ROOT / "Makefile").read_text()
    lab = make.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter_config" in lab, "make lab must read jupyter_config/"


def test_jupyterlab_news_pop_up_is_disabled_by_the_project_config():
    # Ask JupyterLab's own page-config reader, as `jupyter lab` does at start-up.
    code = (
        "import os.path as p; from jupyter_core.paths import jupyter_config_path;"
        "from jupyterlab_server.config import get_page_config;"
        "print(get_page_config([p.join(d, 'labconfig') for d in jupyter_config_path()], '').get('disabledExtensions'))"
    )
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(ROOT / "jupyter_config"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert ANNOUNCEMENTS in out, out


def test_license_is_an_spdx_string():
    # setuptools >= 77 warns on every install about the TOML-table form.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(project["license"], str), "license must be an SPDX expression, e.g. \"MIT\""


def _fake_python(folder, name, version=None):
    """A `name` on PATH that behaves like Python `version`, or like a pyenv shim of an unselected version."""
    path = folder / name
    if version is None:
        path.write_text(f"#!/bin/sh\necho 'pyenv: {name}: command not found' >&2\nexit 127\n")
    else:
        major, minor = version.split(".")
        path.write_text(
            "#!/bin/sh\n"
            f'case "$2" in *executable*) echo "{path}";; *) echo "{major}.{minor}";; esac\n'
        )
    path.chmod(0o755)


def _find_python(tmp_path, *args):
    # Only the fakes and the few tools the script uses are on PATH (no real python3.X of this machine).
    tools = tmp_path / "tools"
    tools.mkdir(exist_ok=True)
    for tool in ("env", "bash", "basename", "ls", "sort"):
        if not (tools / tool).exists():
            (tools / tool).symlink_to(shutil.which(tool))
    env = {"PATH": f"{tmp_path}:{tools}", "PYENV_ROOT": str(tmp_path / "no-pyenv"), "HOME": str(tmp_path)}
    return subprocess.run([str(ROOT / "bin" / "find-python"), *args], env=env, capture_output=True, text=True)


def test_find_python_runs_each_candidate_and_skips_a_broken_shim(tmp_path):
    _fake_python(tmp_path, "python3.13")  # a pyenv shim that fails when run
    _fake_python(tmp_path, "python3.12", "3.12")
    _fake_python(tmp_path, "python3.11", "3.11")
    out = _find_python(tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "python3.12"), out
    out = _find_python(tmp_path, "python3.11")
    assert out.returncode == 0 and out.stdout.strip() == str(tmp_path / "python3.11"), out


def test_find_python_says_what_it_needs_when_it_finds_none(tmp_path):
    _fake_python(tmp_path, "python3.13")
    _fake_python(tmp_path, "python3.10", "3.10")
    out = _find_python(tmp_path)
    assert out.returncode == 1 and not out.stdout
    assert "needs Python 3.11, 3.12 or 3.13" in out.stderr and "PYTHON=" in out.stderr, out.stderr
    out = _find_python(tmp_path, "python3.10")
    assert out.returncode == 1 and "python3.10 is Python 3.10" in out.stderr, out.stderr


def test_requires_python_covers_the_tested_pythons():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert spec == ">=3.11,<3.14", spec
    assert "3.12" in (ROOT / ".ci" / "run").read_text() and "3.13" in (ROOT / ".ci" / "run").read_text()
