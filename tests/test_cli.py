"""`kp`: chapter names, the exit-2 errors, and `kp run` / `kp demo` on the fixture course."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.chapters import ChapterError, find_root, list_chapters, resolve_chapter
from autograder.cli import main

from conftest import edited


def _chapters(tmp_path, *ids):
    for chapter_id in ids:
        folder = tmp_path / "solutions" / chapter_id
        folder.mkdir(parents=True)
        (folder / f"{chapter_id}.ipynb").write_text("{}")
    return list_chapters(tmp_path)


# ------------------------------------------------------------------------------------------
# Chapter names


def test_list_chapters_keeps_finished_chapters_in_order(tmp_path):
    chapters = _chapters(tmp_path, "ch11_forecast", "ch01_protein_ss", "ch02_genes")
    (tmp_path / "solutions" / "ch03_unfinished").mkdir()  # no notebook: not finished
    (tmp_path / "solutions" / "notes").mkdir()
    assert [ch.id for ch in list_chapters(tmp_path)] == ["ch01_protein_ss", "ch02_genes", "ch11_forecast"]
    assert chapters[0].solution_notebook == tmp_path / "solutions" / "ch01_protein_ss" / "ch01_protein_ss.ipynb"
    assert chapters[0].release_notebook == tmp_path / "course" / "ch01_protein_ss" / "ch01_protein_ss.ipynb"


@pytest.mark.parametrize(
    "name", ["ch01_protein_ss", "ch01", "01", "1", "CH01", "solutions/ch01_protein_ss/", "ch01_protein_ss.ipynb"]
)
def test_resolve_chapter_accepts_id_and_short_names(tmp_path, name):
    chapters = _chapters(tmp_path, "ch01_protein_ss", "ch11_forecast")
    assert resolve_chapter(name, chapters).id == "ch01_protein_ss"


@pytest.mark.parametrize("name", ["11", "ch11", "ch11_forecast"])
def test_resolve_chapter_two_digit_numbers(tmp_path, name):
    chapters = _chapters(tmp_path, "ch01_protein_ss", "ch11_forecast")
    assert resolve_chapter(name, chapters).id == "ch11_forecast"


@pytest.mark.parametrize("name", ["ch02", "2", "ch01_protein", "protein", "111", ""])
def test_resolve_chapter_rejects_unknown_names_listing_valid_ones(tmp_path, name):
    chapters = _chapters(tmp_path, "ch01_protein_ss", "ch11_forecast")
    with pytest.raises(ChapterError, match=r"Valid chapters: ch01_protein_ss \(ch01, 01, 1\), ch11_forecast"):
        resolve_chapter(name, chapters)


def test_resolve_chapter_with_no_chapters_says_so(tmp_path):
    with pytest.raises(ChapterError, match="no finished chapter"):
        resolve_chapter("ch01", [])


def test_resolve_chapter_ambiguous_number(tmp_path):
    chapters = _chapters(tmp_path, "ch01_a", "ch01_b")
    with pytest.raises(ChapterError, match="ambiguous"):
        resolve_chapter("1", chapters)
    assert resolve_chapter("ch01_b", chapters).id == "ch01_b"


def test_find_root_order(course, tmp_path, monkeypatch):
    assert find_root(str(course)) == course.resolve()
    monkeypatch.setenv("KP_ROOT", str(course))
    assert find_root() == course.resolve()
    monkeypatch.delenv("KP_ROOT")
    monkeypatch.chdir(course / "solutions" / "ch01_tiny")
    assert find_root() == course.resolve()  # found upward: pyproject.toml + solutions/
    with pytest.raises(ChapterError, match="no solutions/ folder"):
        find_root(str(tmp_path / "nowhere"))


# ------------------------------------------------------------------------------------------
# Exit status 2: one line on stderr naming the valid choices


def _one_line(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_unknown_chapter_exits_2_listing_chapters(course, capsys):
    assert main(["--root", str(course), "run", "ch07"]) == 2
    line = _one_line(capsys)
    assert "unknown chapter 'ch07'" in line and "ch01_tiny (ch01, 01, 1), ch02_pair (ch02, 02, 2)" in line


def test_unknown_profile_exits_2_listing_profiles(course, capsys):
    assert main(["--root", str(course), "run", "ch01", "--profile", "huge"]) == 2
    line = _one_line(capsys)
    assert "huge" in line and all(p in line for p in ("smoke", "default", "full"))


def test_unknown_backend_exits_2_listing_backends(course, capsys):
    assert main(["run", "ch01", "--backend", "theano", "--root", str(course)]) == 2
    line = _one_line(capsys)
    assert "theano" in line and all(b in line for b in ("tensorflow", "jax", "torch"))


def test_bad_profile_in_environment_exits_2(course, capsys, monkeypatch):
    monkeypatch.setenv("KP_PROFILE", "medium")
    assert main(["--root", str(course), "demo"]) == 2
    assert "Valid profiles: smoke, default, full" in _one_line(capsys)


def test_selftest_and_grade_name_errors_exit_2(course, capsys):
    assert main(["--root", str(course), "selftest", "ch01", "ch09"]) == 2
    assert "unknown chapter 'ch09'" in _one_line(capsys)
    assert main(["--root", str(course), "grade", str(course / "no_such_folder")]) == 2
    assert "is not a folder" in _one_line(capsys)
    assert main(["--root", str(course), "grade", ".", "--profile", "tiny"]) == 2
    _one_line(capsys)


def test_bad_root_exits_2(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "run", "1"]) == 2
    assert "not a course root" in _one_line(capsys)


def test_console_script_exit_2(course):
    kp = Path(sys.executable).with_name("kp")
    assert kp.exists(), "the kp console script is not installed in this environment"
    proc = subprocess.run(
        [str(kp), "run", "chapter-nine", "--root", str(course)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown chapter 'chapter-nine'. Valid chapters: ch01_tiny" in proc.stderr


# ------------------------------------------------------------------------------------------
# kp run / kp demo (papermill)


@pytest.mark.slow
def test_run_writes_executed_notebook_and_record(course, capsys):
    before = dict(os.environ)
    assert main(["--root", str(course), "run", "1", "--profile", "smoke"]) == 0
    assert dict(os.environ) == before  # the kernel's variables were set only while it ran
    executed = course / "build" / "executed" / "ch01_tiny.ipynb"
    record = json.loads((course / "build" / "results" / "ch01_tiny.json").read_text())
    assert record["profile"] == "smoke"  # KP_PROFILE reached the kernel
    assert nbformat.read(str(executed), as_version=4).cells[1].outputs == []  # ran (set-up prints nothing)
    out = capsys.readouterr().out
    assert "tiny_accuracy" in out and "tiny_claim: inconclusive at smoke" in out


@pytest.mark.slow
def test_run_reports_failing_cell_and_missing_record(course, capsys):
    path = course / "solutions" / "ch02_pair" / "ch02_pair.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nbformat.write(edited(nb, "double", "def double(x):\n    return x / 0"), str(path))
    assert main(["--root", str(course), "run", "ch02", "--profile", "smoke"]) == 1
    err = capsys.readouterr().err
    assert "cell 2 (test_double" in err and "ZeroDivisionError" in err
    assert "build/executed/ch02_pair.ipynb" in err

    nb.cells = nb.cells[:-1]  # the cell that saves the record
    nbformat.write(nb, str(path))
    assert main(["--root", str(course), "run", "ch02", "--profile", "smoke"]) == 1
    assert "did not write build/results/ch02_pair.json" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_runs_every_chapter_despite_a_failure(course, capsys):
    path = course / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nbformat.write(edited(nb, "setup", "raise RuntimeError('broken on purpose')"), str(path))
    assert main(["--root", str(course), "demo", "--profile", "smoke"]) == 1
    captured = capsys.readouterr()
    summary = (course / "build" / "results" / "summary.md").read_text()
    assert "| ch02_pair | pair_error | 0.1 | pair_error_limit = 0 | +0.1 | tiny_claim: inconclusive at smoke |" in summary
    assert "| ch01_tiny | FAILED |" in summary and "broken on purpose" in summary
    assert "profile `smoke`" in summary
    assert "ch02_pair" in captured.out and "1 of 2 chapters failed: ch01_tiny" in captured.err
    # Progress per chapter, with its time, on stdout only: the table and summary.md stay as they were.
    assert "== [1/2] ch01_tiny: profile smoke" in captured.out and "== [2/2] ch02_pair: profile smoke" in captured.out
    assert re.search(r"^\[1/2\] ch01_tiny: FAILED in \d+\.\d s", captured.out, re.M)
    assert re.search(r"^\[2/2\] ch02_pair: done in \d+\.\d s \(\d+\.\d s so far, 0 to go\)", captured.out, re.M)
    assert re.search(r"^chapter times: ch01_tiny \d+\.\d s, ch02_pair \d+\.\d s \(total \d+\.\d s\)$", captured.out, re.M)
    assert "[1/2]" not in summary and "chapter times" not in summary


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "release" in capsys.readouterr().out



# ------------------------------------------------------------------------------------------
# kp new


def test_new_lays_down_a_chapter_kp_then_lists(course, capsys):
    (course / "CHAPTER_CONTRACT.md").write_text((Path(__file__).parents[1] / "CHAPTER_CONTRACT.md").read_text())
    assert main(["--root", str(course), "new", "ch05_hazard_survival"]) == 0
    out = capsys.readouterr().out
    for rel in ("solutions/ch05_hazard_survival/ch05_hazard_survival.ipynb",
                "autograder/fixtures/ch05_hazard_survival.json", "autograder/screen.json"):
        assert f"wrote {rel}" in out and (course / rel).is_file(), out
    nb = nbformat.read(course / "solutions/ch05_hazard_survival/ch05_hazard_survival.ipynb", as_version=4)
    assert "problem 3171301" in nb.cells[0].source, "the opening cell takes the course map's problem id"
    assert "ch05_hazard_survival" in [ch.id for ch in list_chapters(course)]
    # A second time, nothing is overwritten and the error says what is there.
    assert main(["--root", str(course), "new", "ch05_hazard_survival"]) == 2
    assert "already has solutions/ch05_hazard_survival" in _one_line(capsys)


def test_new_rejects_a_bad_chapter_id(course, capsys):
    assert main(["--root", str(course), "new", "chapter5"]) == 2
    assert "chNN_slug" in _one_line(capsys)
    assert not (course / "solutions" / "chapter5").exists()
