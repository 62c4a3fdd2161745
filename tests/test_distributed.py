"""`kp grade` on Dask distributed, with the real engine on localhost: the same CSV as the local engine.

A small class of the real chapter ch01_protein_ss (the solution, the unchanged
release, a wrong answer from `autograder/fixtures/ch01_protein_ss.json`, and a
notebook that kills its own kernel) is graded once by the local engine
(`--jobs 1`) and then by Dask, on a `LocalCluster` (`--engine dask`) and on a
`dask scheduler` / `dask worker` pair started as separate processes
(`--scheduler tcp://127.0.0.1:PORT`): the CSVs must be the same bytes. On the
tiny fixture course, a submission that kills its Dask worker costs its own row
only.
"""

import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the dask engine needs dask and distributed (pinned in pyproject.toml)")

from autograder import dask_engine as kpd  # noqa: E402
from autograder import notebooks, wrong_answers  # noqa: E402
from autograder.chapters import list_chapters  # noqa: E402
from autograder.cli import main  # noqa: E402
from autograder.grader import Grader  # noqa: E402
from autograder.submissions import Submission  # noqa: E402

from conftest import REPO, edited, write_submission  # noqa: E402

CH01 = "ch01_protein_ss"
CH01_TESTS = ["q3_tests", "filter_tests", "bigru_tests", "causal_tests", "challenge_test"]


def _rows(path):
    with open(path, newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def ch01_class(tmp_path_factory):
    """DIR/<student>/ch01_protein_ss/ch01_protein_ss.ipynb for four students."""
    (ch,) = [c for c in list_chapters(REPO) if c.id == CH01]
    solution = notebooks.read_notebook(ch.solution_notebook)
    fixtures = {f.name: f for f in wrong_answers.load_fixtures(ch)}
    subs = tmp_path_factory.mktemp("class") / "submissions"
    write_submission(subs, "alice_solution", CH01, solution)
    write_submission(subs, "bob_release", CH01, notebooks.read_notebook(ch.release_notebook))
    write_submission(subs, "carol_transposed", CH01,
                     wrong_answers.apply_fixture(solution, fixtures["filter_transposed_transition"]))
    # Kills its kernel in the third solution cell: the two tests before it count, nothing after.
    write_submission(subs, "dave_exits", CH01, edited(solution, "bigru_answer", "import os\nos._exit(1)"))
    return subs


@pytest.fixture(scope="module")
def local_csv(ch01_class, tmp_path_factory):
    """The class graded by the local engine, one at a time: the reference CSV."""
    out = tmp_path_factory.mktemp("local") / "grades.csv"
    assert main(["--root", str(REPO), "grade", str(ch01_class), "--out", str(out), "--jobs", "1"]) == 0
    rows = _rows(out)

    def grades(student):
        row = rows[student]
        return row["score"], row["max_score"], [row[t] for t in CH01_TESTS], row["status"]

    assert grades("alice_solution") == ("18", "18", ["3", "3", "4", "4", "4"], "graded")
    assert grades("bob_release") == ("0", "18", ["0", "0", "0", "0", "0"], "graded")
    assert grades("carol_transposed") == ("15", "18", ["3", "0", "4", "4", "4"], "graded")
    assert grades("dave_exits") == ("6", "18", ["3", "3", "0", "0", "0"], "error")
    assert "kernel died" in rows["dave_exits"]["error"]
    return out


def _check_same_as_local(out, local_csv):
    assert out.read_bytes() == local_csv.read_bytes()  # rows, order, columns, errors: the same bytes
    for student in ("alice_solution", "bob_release", "carol_transposed", "dave_exits"):
        page = out.parent / "feedback" / student / CH01 / f"{CH01}.html"
        assert page.is_file(), page
        text = page.read_text(encoding="utf-8")
        assert len(text) > 10_000 and "HIDDEN TESTS" not in text, student  # nbgrader's page, redacted


@pytest.mark.slow
def test_dask_localcluster_gives_the_local_engines_csv(ch01_class, local_csv, tmp_path, capsys):
    out = tmp_path / "dask" / "grades.csv"
    started = time.perf_counter()
    status = main(["--root", str(REPO), "grade", str(ch01_class), "--out", str(out), "--engine", "dask", "--jobs", "2"])
    seconds = time.perf_counter() - started
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "engine: dask, a LocalCluster of 2 worker processes on this machine" in captured.out
    assert "4 submissions, 1 could not be graded" in captured.out
    _check_same_as_local(out, local_csv)
    print(f"dask LocalCluster, 2 workers: {seconds:.1f} s")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.slow
def test_kp_grade_on_a_running_dask_scheduler_and_workers(ch01_class, local_csv, tmp_path, capsys):
    """`dask scheduler` and `dask worker` as their own processes, as on a cluster; `kp grade --scheduler`."""
    dask_cli = Path(sys.executable).with_name("dask")
    assert dask_cli.exists(), "the dask console script is not installed in this environment"
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # The workers' own temporary folder (short: kernels' ZMQ ipc sockets live under it).
    worker_tmp = Path(tempfile.mkdtemp(prefix="kpw-"))
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1",
               DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0")
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = []
    try:
        with open(logs / "scheduler.log", "w") as log:
            procs.append(subprocess.Popen(
                [str(dask_cli), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            ))
        with open(logs / "worker.log", "w") as log:
            procs.append(subprocess.Popen(
                [str(dask_cli), "worker", address, "--nthreads", "1", "--nworkers", "2", "--no-dashboard"],
                stdout=log, stderr=subprocess.STDOUT, env=dict(env, TMPDIR=str(worker_tmp)),
            ))
        out = tmp_path / "remote" / "grades.csv"
        started = time.perf_counter()
        status = main(["--root", str(REPO), "grade", str(ch01_class), "--out", str(out), "--scheduler", address])
        seconds = time.perf_counter() - started
        captured = capsys.readouterr()
        assert status == 0, captured.err + (logs / "worker.log").read_text()
        assert f"engine: dask, the Dask scheduler at {address}" in captured.out
        _check_same_as_local(out, local_csv)
        # Closing the run closed each worker's grader: no private course is left on the workers' disk.
        assert not list(worker_tmp.glob("kp-grade-*"))
        assert all(p.poll() is None for p in procs)  # the cluster outlives the run
        print(f"dask scheduler + 2 workers: {seconds:.1f} s")
    finally:
        for proc in reversed(procs):
            _stop(proc)
        shutil.rmtree(worker_tmp, ignore_errors=True)


@pytest.mark.slow
def test_a_submission_that_kills_its_dask_worker_loses_only_its_own_row(course, tmp_path):
    """The sandbox keeps a kernel from reaching its grader; without it (`none`) a kernel can kill its Dask
    worker, which stands for any worker crash: Dask retries the task on a new worker once, then it is an
    error row, and the students graded on the same workers keep their grades."""
    (ch,) = [c for c in list_chapters(course) if c.id == "ch01_tiny"]
    solution = notebooks.read_notebook(ch.solution_notebook)
    fixtures = {f.name: f for f in wrong_answers.load_fixtures(ch)}
    killer = edited(solution, "softmax", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    subs = [
        Submission("alice", ch, solution),
        Submission("mallory", ch, killer),
        Submission("frank", ch, wrong_answers.apply_fixture(solution, fixtures["mean_over_wrong_axis"])),
        Submission("gina", ch, wrong_answers.apply_fixture(solution, fixtures["softmax_unstable"])),
    ]
    seen = []
    results = kpd.grade_with_dask(course, subs, workers=2, sandbox="none", timeout=30, progress=seen.append,
                                  workdir=tmp_path / "work")
    assert [r.student for r in results] == ["alice", "mallory", "frank", "gina"]  # submission order
    assert sorted(r.student for r in seen) == ["alice", "frank", "gina", "mallory"]
    by = {r.student: r for r in results}
    assert (by["alice"].score, by["alice"].status) == (5.0, "graded")
    assert by["frank"].cells == {"test_mean_pool": 0.0, "test_softmax_sums": 1.0, "test_softmax_stable": 2.0}
    assert by["gina"].cells == {"test_mean_pool": 2.0, "test_softmax_sums": 1.0, "test_softmax_stable": 0.0}
    assert by["mallory"].status == "error" and by["mallory"].score == 0.0 and by["mallory"].max_score == 5.0
    assert "worker grading it died 2 times" in by["mallory"].error
    assert by["mallory"].cells == {"test_mean_pool": 0.0, "test_softmax_sums": 0.0, "test_softmax_stable": 0.0}
    # The client wrote the feedback pages it got back from the workers.
    for student in ("alice", "frank", "gina"):
        assert by[student].feedback == tmp_path / "work" / "feedback" / student / "ch01_tiny" / "ch01_tiny.html"
        assert by[student].feedback.is_file()
    assert by["mallory"].feedback is None


# ------------------------------------------------------------------------------------------
# Cheap: ids, and the exit-2 errors


def test_student_ids_are_those_of_one_grader(course):
    (ch,) = [c for c in list_chapters(course) if c.id == "ch01_tiny"]
    names = ["a b", "a_b", ".hidden", "a b", "émile", "a_b_2", "", "a_b"]
    subs = [Submission(n, ch, None) for n in names]
    with Grader(course, [], sandbox="none") as grader:
        expected = [grader.student_id(n) for n in names]
    assert kpd._student_ids(subs) == expected
    assert len(set(expected)) == len(set(names))


def _one_line(capsys):
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_unreachable_scheduler_exits_2_saying_what_to_do(course, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(kpd, "CONNECT_TIMEOUT", 2)
    write_submission(tmp_path / "subs", "alice", "ch01_tiny", notebooks.read_notebook(
        course / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"))
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    args = ["--root", str(course), "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]
    assert main([*args, "--scheduler", address]) == 2
    line = _one_line(capsys)
    assert f"cannot reach the Dask scheduler at {address}" in line and "dask scheduler" in line
    assert main([*args, "--engine", "local", "--scheduler", address]) == 2
    assert "--scheduler grades on a Dask cluster" in _one_line(capsys)
    assert not (tmp_path / "g.csv").exists()


def test_missing_dask_exits_2_saying_what_to_install(course, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    write_submission(tmp_path / "subs", "alice", "ch01_tiny", notebooks.read_notebook(
        course / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"))
    args = ["--root", str(course), "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]
    assert main([*args, "--engine", "dask"]) == 2
    line = _one_line(capsys)
    assert "the dask engine needs dask and distributed" in line and "pip install dask==" in line
    assert "--engine local" in line
