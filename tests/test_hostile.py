"""Hostile and broken submissions on the fixture course: each gets only what it earned, the batch goes on,
nobody else's grade changes, parallel and repeated grading give the same CSV, and the sandbox holds.

The attacks themselves are in `tests/fixtures/hostile/attacks.py`.
"""

import copy
import csv
import importlib.util
import os
import socket
import uuid

import nbformat
import pytest

from autograder import notebooks, submissions, wrong_answers
from autograder.cli import main
from autograder.grader import Grader
from autograder.sandbox import bwrap, guard
from autograder.submissions import Submission

from conftest import FIXTURE_COURSE, edited, grade_id, write_submission

TESTS = ["test_mean_pool", "test_softmax_sums", "test_softmax_stable"]

_spec = importlib.util.spec_from_file_location("attacks", FIXTURE_COURSE.parent / "hostile" / "attacks.py")
attacks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(attacks)

needs_bwrap = pytest.mark.skipif(
    bwrap.bwrap_problem() is not None, reason=f"bubblewrap unusable here: {bwrap.bwrap_problem()}"
)


def _solution(course):
    return nbformat.read(str(course / "solutions" / "ch01_tiny" / "ch01_tiny.ipynb"), as_version=4)


def _controls(course):
    """Honest students: right, wrong in a visible test, wrong in a hidden test."""
    from autograder.chapters import list_chapters

    solution = _solution(course)
    ch = [c for c in list_chapters(course) if c.id == "ch01_tiny"][0]
    fixtures = {f.name: f for f in wrong_answers.load_fixtures(ch)}
    return {
        "alice_right": solution,
        "frank_axis": wrong_answers.apply_fixture(solution, fixtures["mean_over_wrong_axis"]),
        "gina_unstable": wrong_answers.apply_fixture(solution, fixtures["softmax_unstable"]),
    }


def _structural(course):
    """Submissions that attack the notebook's structure, each with the `softmax_unstable` mistake (3 of 5)."""
    unstable = _controls(course)["gina_unstable"]
    subs = {}
    # Test cells edited to `pass` and one deleted.
    nb = edited(unstable, "test_softmax_stable", "pass")
    nb = edited(nb, "test_softmax_sums", "pass")
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_mean_pool"]
    subs["edits_tests"] = nb
    # A test cell turned into a solution cell, another worth 100 points, a locked cell unlocked.
    nb = copy.deepcopy(unstable)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if grade_id(cell) == "test_softmax_stable":
            meta.update(solution=True, grade=False, locked=False)
            cell.source = "pass"
        if grade_id(cell) == "test_mean_pool":
            meta["points"] = 100
        if grade_id(cell) == "test_softmax_sums":
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    subs["changes_metadata"] = nb
    # A duplicate of a test cell (same grade id, `pass`) before the real one, and a made-up graded cell.
    nb = copy.deepcopy(unstable)
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "test_softmax_stable")
    dup = copy.deepcopy(nb.cells[index])
    dup.source = "pass"
    dup.id = "dup-cell"
    extra = copy.deepcopy(nb.cells[index])
    extra.source = "pass"
    extra.id = "extra-cell"
    extra.metadata["nbgrader"].update(grade_id="bonus", points=50)
    nb.cells[index:index] = [dup, extra]
    subs["duplicates_ids"] = nb
    return subs


def _read(path):
    with open(path, newline="") as f:
        return {(r["student"], r["chapter"]): r for r in csv.DictReader(f)}


def _grade(course, subs_dir, out, *extra):
    assert main(["--root", str(course), "grade", str(subs_dir), "--out", str(out), "--timeout", "5", *extra]) == 0
    return _read(out)


@pytest.fixture
def listener():
    """A TCP server on the grader's loopback that hostile kernels try to reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


@needs_bwrap
@pytest.mark.slow
def test_hostile_class_gets_only_what_it_earned(course, tmp_path, listener):
    assert main(["--root", str(course), "release"]) == 0
    marker = f"pwned-{uuid.uuid4().hex[:8]}"
    solution = _solution(course)
    controls = _controls(course)

    # The honest students graded alone.
    alone = tmp_path / "alone"
    for name, nb in controls.items():
        write_submission(alone, name, "ch01_tiny", nb)
    baseline = _grade(course, alone, tmp_path / "alone.csv")

    # The same students in a class full of attacks, two at a time.
    batch = tmp_path / "batch"
    for name, nb in controls.items():
        write_submission(batch, name, "ch01_tiny", nb)
    for name, source in attacks.ATTACKS.items():
        source = source.format(course=str(course), port=listener, marker=marker)
        write_submission(batch, f"x_{name}", "ch01_tiny", edited(solution, "softmax", source))
    for name, nb in _structural(course).items():
        write_submission(batch, f"y_{name}", "ch01_tiny", nb)
    rows = _grade(
        course, batch, tmp_path / "out" / "grades.csv",
        "--jobs", "2", "--memory-mb", "2048", "--notebook-timeout", "40",
    )

    # Nobody else's grade changed.
    for key, row in baseline.items():
        assert rows[key] == row, key

    def got(student):
        row = rows[(student, "ch01_tiny")]
        return tuple(int(float(row[t])) for t in TESTS), row["status"], row["max_score"]

    problems = []
    for name, (points, status) in attacks.EXPECTED.items():
        have, have_status, max_score = got(f"x_{name}")
        if have != points or (status and have_status != status) or max_score != "5":
            why = rows[(f"x_{name}", "ch01_tiny")]["error"]
            problems.append(f"{name}: got {have} {have_status} (max {max_score}), expected {points} {status} ({why})")
    for name in _structural(course):
        have, have_status, max_score = got(f"y_{name}")
        if have != (2, 1, 0) or have_status != "graded" or max_score != "5":
            problems.append(f"{name}: got {have} {have_status} (max {max_score}), expected (2, 1, 0) graded")
    assert not problems, "\n".join(problems)

    assert "output truncated" in rows[("x_floods", "ch01_tiny")]["notes"]
    assert "integrity check failed" in rows[("x_patches_numpy", "ch01_tiny")]["error"]
    assert "bonus" not in next(iter(rows.values()))  # a made-up grade id is no column
    # Nothing was written outside the scratch folders.
    assert not (course / "solutions" / "ch01_tiny" / marker).exists()
    assert not os.path.exists(f"/tmp/{marker}") and not os.path.exists(f"/{marker}")
    # Feedback shows no hidden test, whatever the kernel printed.
    for page in (tmp_path / "out" / "feedback").rglob("*.html"):
        text = page.read_text()
        assert "hidden_sentinel_big = softmax" not in text and "HIDDEN TESTS" not in text, page
        assert "mean_pool fails on a 4 x 3 input" not in text, page


@needs_bwrap
@pytest.mark.slow
def test_parallel_and_repeated_grading_give_the_same_csv(course, tmp_path):
    assert main(["--root", str(course), "release"]) == 0
    subs = tmp_path / "subs"
    for name, nb in _controls(course).items():
        write_submission(subs, name, "ch01_tiny", nb)
        write_submission(subs, name + "_2", "ch01_tiny", nb)
    write_submission(subs, "x_exits", "ch01_tiny", edited(_solution(course), "softmax", attacks.ATTACKS["exits"]))
    one = tmp_path / "one.csv"
    two = tmp_path / "two.csv"
    again = tmp_path / "again.csv"
    _grade(course, subs, one)
    _grade(course, subs, two, "--jobs", "2")
    _grade(course, subs, again, "--jobs", "2")
    assert one.read_bytes() == two.read_bytes() == again.read_bytes()
    assert len(_read(one)) == 7


#: Submission A (graded first, by the same worker as B): a correct answer, and traces left for B.
LEAVES_TRACES = attacks.CORRECT_SOFTMAX + (
    "import os, subprocess, sys, time\n"
    "open('/dev/shm/kp-note-{marker}', 'w').write('x')\n"
    "for path in [os.path.join(os.path.dirname(os.getcwd()), 'server', 'sitecustomize.py'),\n"
    "             os.path.join(os.path.dirname(os.getcwd()), 'kp-note-{marker}')]:\n"
    "    try:\n        open(path, 'w').write('x')\n    except OSError:\n        pass\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # kp-daemon-{marker}'],\n"
    "                 start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "time.sleep(0.5)\n"
)

#: Submission B: a correct answer only if it finds none of A's traces.
FINDS_NO_TRACES = attacks._if(
    "import os\ntraces = [p for p in ['/dev/shm/kp-note-{marker}', os.path.join(os.path.dirname(os.getcwd()), 'kp-note-{marker}'),\n"
    "          os.path.join(os.path.dirname(os.getcwd()), 'server', 'sitecustomize.py')] if os.path.exists(p)]\n"
    "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
    "    try:\n        if b'kp-daemon-{marker}' in open(f'/proc/{{pid}}/cmdline', 'rb').read():\n            traces.append(pid)\n"
    "    except OSError:\n        pass\n"
    "print(traces)\nwon = not traces"
)


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="warm kernels need a root grader (each kernel gets its own uid)")
def test_warm_kernels_leave_nothing_for_the_next_submission(course, tmp_path):
    from autograder.chapters import list_chapters

    ch = [c for c in list_chapters(course) if c.id == "ch01_tiny"][0]
    marker = uuid.uuid4().hex[:8]
    solution = _solution(course)
    a = edited(solution, "softmax", LEAVES_TRACES.format(marker=marker))
    b = edited(solution, "softmax", FINDS_NO_TRACES.format(marker=marker))
    parent = edited(solution, "softmax", attacks.ATTACKS["kills_its_parent"])
    with Grader(course, [ch], kernels="warm", timeout=10) as grader:
        first = grader.grade_one(Submission("a", ch, a), feedback=False)
        assert grader.kernels == "warm" and grader._warm is not None and grader._warm.alive
        server = grader._warm.server_pid
        killer = grader.grade_one(Submission("k", ch, parent), feedback=False)
        second = grader.grade_one(Submission("b", ch, b), feedback=False)
        # One server forked all three kernels: the second attack did not kill it.
        assert grader._warm.alive and grader._warm.server_pid == server
    assert (first.score, first.status) == (5.0, "graded"), (first.error, first.notes)
    assert (killer.score, killer.status) == (2.0, "graded"), (killer.error, killer.notes)
    assert (second.score, second.status) == (5.0, "graded"), (second.error, second.notes)
    daemons = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            if f"kp-daemon-{marker}".encode() in open(f"/proc/{pid}/cmdline", "rb").read():
                daemons.append(pid)
        except OSError:
            pass
    assert not daemons, "a process a kernel started outlived its notebook"


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="warm kernels need a root grader (each kernel gets its own uid)")
def test_a_failing_warm_server_costs_no_grade(course):
    import signal
    import time

    from autograder.chapters import list_chapters

    ch = [c for c in list_chapters(course) if c.id == "ch01_tiny"][0]
    solution = _solution(course)
    with Grader(course, [ch], kernels="warm", timeout=10) as grader:
        assert grader.grade_one(Submission("a", ch, solution), feedback=False).score == 5.0
        old = grader._warm.server_pid
        os.kill(old, signal.SIGKILL)  # the server dies between two submissions: the next one restarts it
        time.sleep(0.5)
        after = grader.grade_one(Submission("b", ch, solution), feedback=False)
        assert (after.score, after.status) == (5.0, "graded") and grader._warm.alive and grader._warm.server_pid != old

        def cannot_fork(*args, **kwargs):
            raise RuntimeError("simulated: the server cannot fork")

        grader._warm.spawn = cannot_fork  # then the submission gets a fresh sandboxed kernel
        fallback = grader.grade_one(Submission("c", ch, solution), feedback=False)
        assert (fallback.score, fallback.status) == (5.0, "graded"), (fallback.error, fallback.notes)


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="warm kernels need a root grader (each kernel gets its own uid)")
def test_warm_and_fresh_kernels_give_the_same_grades(course, tmp_path):
    assert main(["--root", str(course), "release"]) == 0
    subs = tmp_path / "subs"
    for name, nb in _controls(course).items():
        write_submission(subs, name, "ch01_tiny", nb)
    write_submission(subs, "x_exits", "ch01_tiny", edited(_solution(course), "softmax", attacks.ATTACKS["exits"]))
    write_submission(subs, "x_patches", "ch01_tiny", edited(_solution(course), "softmax", attacks.ATTACKS["patches_numpy"]))
    warm = tmp_path / "warm.csv"
    fresh = tmp_path / "fresh.csv"
    _grade(course, subs, warm, "--kernels", "warm")
    _grade(course, subs, fresh, "--kernels", "fresh")
    assert warm.read_bytes() == fresh.read_bytes()
    rows = _read(warm)
    assert rows[("alice_right", "ch01_tiny")]["score"] == "5" and rows[("x_exits", "ch01_tiny")]["score"] == "2"


@needs_bwrap
def test_screen_stops_shortcuts_the_guard_cannot_see(course):
    """Without the screen, an answer that lies to NumPy or calls the library earns points; with it, it does not."""
    from autograder.chapters import list_chapters

    ch = [c for c in list_chapters(course) if c.id == "ch01_tiny"][0]
    solution = _solution(course)
    subs = [Submission(name, ch, edited(solution, "softmax", attacks.ATTACKS[name]))
            for name in ("lies_to_comparisons", "calls_the_reference")]
    with Grader(course, [ch], timeout=10, screen=False) as grader:
        unscreened = [grader.grade_one(sub, feedback=False) for sub in subs]
    assert [r.score for r in unscreened] == [5.0, 5.0], [(r.score, r.status, r.error) for r in unscreened]
    with Grader(course, [ch], timeout=10) as grader:
        screened = [grader.grade_one(sub, feedback=True) for sub in subs]
        pages = [r.feedback.read_text() for r in screened]
    for result, page in zip(screened, pages):
        assert (result.score, result.status) == (2.0, "screened"), (result.student, result.score, result.status)
        assert result.cells == {"test_mean_pool": 2.0, "test_softmax_sums": 0.0, "test_softmax_stable": 0.0}
        assert any(n.startswith("screened softmax:") for n in result.notes), result.notes
        assert "Screened:" in page and "hidden_sentinel_big = softmax" not in page
    assert "__array_function__" in " ".join(screened[0].notes)
    assert "scipy.special.softmax" in " ".join(screened[1].notes)


def test_sandbox_refuses_without_bubblewrap(monkeypatch, course, tmp_path, capsys):
    bwrap.bwrap_problem.cache_clear()
    monkeypatch.setattr(bwrap.shutil, "which", lambda name: None)
    try:
        with pytest.raises(RuntimeError, match="apt-get install bubblewrap"):
            bwrap.resolve_kind(None)
        assert bwrap.resolve_kind("none") == "none"
        subs = tmp_path / "subs"
        write_submission(subs, "alice", "ch01_tiny", _solution(course))
        assert main(["--root", str(course), "grade", str(subs), "--out", str(tmp_path / "g.csv")]) == 1
        assert "apt-get install bubblewrap" in capsys.readouterr().err
    finally:
        bwrap.bwrap_problem.cache_clear()


@needs_bwrap
def test_sandbox_command_hides_the_course(tmp_path):
    scratch = bwrap.prepare_scratch(tmp_path / "scratch", None if os.geteuid() else bwrap.sandbox_uid())
    uid = None if os.geteuid() else bwrap.sandbox_uid()
    box = bwrap.Sandbox(scratch, [str(p) for p in bwrap.read_only_paths(FIXTURE_COURSE.parent.parent.parent)],
                        bwrap.Limits(memory_mb=1024), uid)
    import subprocess
    import sys

    code = (
        "import os, resource, keras_patterns\n"
        "print(sorted(os.listdir(os.path.dirname(os.path.dirname(keras_patterns.__file__)))))\n"
        "print(os.getcwd(), os.environ['HOME'], resource.getrlimit(resource.RLIMIT_AS)[0] >> 20)\n"
        "print(os.path.exists(%r))\n" % str(FIXTURE_COURSE)
    )
    done = subprocess.run(box.command([sys.executable, "-c", code]), env=box.environment(dict(os.environ)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listing, where, exists = done.stdout.splitlines()
    assert "solutions" not in listing and "tests" not in listing and "keras_patterns" in listing
    assert where.split() == [str(scratch.resolve()), str(scratch.resolve()), "1024"]
    assert exists == "False"


def test_sanitise_submission_restores_structure(course):
    release = notebooks.normalise_notebook(_solution(course))
    for name, nb in _structural(course).items():
        clean, notes = submissions.sanitise_submission(nb, release)
        ids = [grade_id(c) for c in clean.cells if grade_id(c)]
        assert len(ids) == len(set(ids)), name
        assert "bonus" not in ids
        for cell in clean.cells:
            if grade_id(cell) in TESTS:
                meta = cell.metadata["nbgrader"]
                assert cell.cell_type == "code" and meta["grade"] and not meta.get("solution"), name
                assert meta["points"] == {"test_mean_pool": 2, "test_softmax_sums": 1, "test_softmax_stable": 2}[grade_id(cell)]


def test_guard_reports_are_compared_outside_the_kernel():
    base = {"ids": {"numpy.allclose": [1, 2, "a", 3]}, "hooks": {"sys.meta_path": [[10, "/usr/lib/x.py"]]}, "course": {}}
    same = copy.deepcopy(base)
    assert guard.check_guard_reports([base, same, None], trusted=["/usr"]) == []
    patched = copy.deepcopy(base)
    patched["ids"]["numpy.allclose"] = [9, 2, "a", 3]
    assert "numpy.allclose" in guard.check_guard_reports([base, patched], trusted=["/usr"])[0]
    hooked = copy.deepcopy(base)
    hooked["hooks"]["sys.meta_path"].append([11, "/tmp/ipykernel_1/123.py"])
    assert "sys.meta_path" in guard.check_guard_reports([base, hooked], trusted=["/usr"])[0]
    installed = copy.deepcopy(base)
    installed["hooks"]["sys.meta_path"].append([12, "/usr/lib/python3/six.py"])
    assert guard.check_guard_reports([base, installed], trusted=["/usr"]) == []
    failed = {"error": ["NameError"]}
    assert "failed" in guard.check_guard_reports([base, failed], trusted=["/usr"])[0]


def test_guard_checks_course_functions_against_their_source():
    import keras_patterns.metrics as m

    sigs = guard.module_code_signatures(m.__file__)
    assert sigs  # every function of the file has a signature
    good = {"ids": {}, "hooks": {}, "course": {"keras_patterns.metrics": [m.__file__, {}]}}
    assert guard.check_guard_reports([good, good]) == []
    fake = {"ids": {}, "hooks": {}, "course": {"keras_patterns.metrics": [m.__file__, {"q3": "0000"}]}}
    assert "replaced" in guard.check_guard_reports([good, fake])[0]
    elsewhere = {"ids": {}, "hooks": {}, "course": {"keras_patterns.metrics": ["/tmp/metrics.py", {}]}}
    assert "not the installed" in guard.check_guard_reports([good, elsewhere])[0]
