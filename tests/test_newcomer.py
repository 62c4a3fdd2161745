"""What a newcomer meets before any chapter: JupyterLab without its news pop-up, an install without warnings."""

import os
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
