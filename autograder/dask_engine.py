"""Grade a class on a Dask cluster: the same per-submission work as `kp grade`, spread over machines.

`kp grade --jobs N` grades N submissions at once on one machine. A class that
outgrows one machine is graded here with Dask distributed: each submission is
one Dask task that runs exactly what the local engine runs for it,
`Grader.grade_one(submission, feedback, sid=...)`, on a Dask worker.

- Each worker builds its own private `Grader` (its own nbgrader course and
  gradebook in a temporary folder) once, in a `GraderPlugin` (a
  `distributed.WorkerPlugin`) whose `teardown` closes it. The plugin is
  registered under a name with a random token, so two grading runs on one
  cluster never share a grader. A worker needs only the course root at the
  same path and the same environment as the client (the sources of
  `solutions/`, the nbgrader config and `datasets/` are read there).
- A worker process grades one submission at a time (a process-wide lock), so a
  worker started with several threads stays correct; start workers with
  `--nthreads 1` and `--nworkers N` instead.
- Student ids are given on the client, in submission order, exactly as
  `Grader.student_id` gives them, so they do not depend on which worker
  grades what.
- The feedback page comes back in the task's result and the client writes it
  into its own folder: workers on other machines need no shared disk.
- Results come back in the order of the submissions whatever finished first,
  so the CSV does not depend on the engine or on the number of workers. A task
  that raises, or whose worker dies more often than the scheduler's
  `allowed-failures` (Dask retries it on another worker first), becomes an
  "error" row for that submission only: no row is ever lost.

`scheduler=None` starts a `distributed.LocalCluster` of `workers` one-thread
worker processes on this machine, with `allowed-failures` 1 and
`worker-saturation` 1.0 (a worker holds only the task it runs, so a worker
that dies takes no innocent queued submission with it). Otherwise it
connects to a running scheduler (`dask scheduler` and `dask worker` on
several machines, or dask-jobqueue's `SLURMCluster`); those two settings are
then the scheduler's own (see autograder/README.md).

Used by `kp grade --engine dask` and `kp grade --scheduler ADDRESS`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path

from autograder.grader import Grader
from autograder.grades import empty_result
from autograder.notebooks import read_notebook, test_cells
from autograder.sandbox.bwrap import resolve_kind
from autograder.submissions import safe_id

try:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - dask is a dependency; EngineError says so when it is missing
    _WorkerPlugin = object

#: Seconds to reach a scheduler given by address, and to wait for its first worker.
CONNECT_TIMEOUT = 10
WORKER_TIMEOUT = 60

#: How often a LocalCluster's scheduler tries a task whose worker died, after the first try.
ALLOWED_FAILURES = 1

INSTALL_HINT = "pip install dask==2026.8.0 distributed==2026.8.0 (or grade with --engine local)"

# One submission at a time in a worker process: `Grader` sets environment variables while it grades.
_GRADE_LOCK = threading.Lock()


class EngineError(RuntimeError):
    """The Dask engine cannot start: dask is missing, or the scheduler cannot be reached or has no worker."""


def _import_distributed():
    try:
        import dask
        import distributed
    except ImportError as exc:
        raise EngineError(f"the dask engine needs dask and distributed ({exc}); {INSTALL_HINT}") from None
    return dask, distributed


class GraderPlugin(_WorkerPlugin):
    """A Dask worker plugin: builds the worker's private `Grader` at setup, closes it at teardown."""

    def __init__(self, name, root, chapters, options, keep=None):
        self.name = name
        self.root = str(root)
        self.chapters = list(chapters)
        self.options = dict(options)
        self.keep = None if keep is None else str(keep)
        self.grader = None
        self.error = None

    def _build(self):
        # A short temporary path as `Grader` makes it (kernels' ZMQ ipc sockets live under it: at most 107 bytes).
        workdir = None
        if self.keep is not None:
            workdir = Path(self.keep) / "workers" / f"{self.name}-{os.getpid()}"
        return Grader(self.root, self.chapters, workdir=workdir, **self.options)

    async def setup(self, worker):
        # In a thread: generating the private course takes seconds, and the worker's event loop must keep answering.
        try:
            self.grader = await asyncio.get_running_loop().run_in_executor(None, self._build)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            raise

    def teardown(self, worker):
        grader, self.grader = self.grader, None
        if grader is not None:
            grader.close()


def _grade_task(plugin_name, sub, sid, feedback):
    """The Dask task of one submission: `Grader.grade_one` on this worker's grader; returns (result, page)."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(plugin_name)
    grader = getattr(plugin, "grader", None)
    if grader is None:
        why = getattr(plugin, "error", None) or "the grader plugin is not registered here"
        raise RuntimeError(f"no grader on Dask worker {worker.address}: {why}")
    with _GRADE_LOCK:
        result = grader.grade_one(sub, feedback, sid=sid)
    page = None
    if result.feedback is not None:
        page = Path(result.feedback).read_bytes()
        result.feedback = None  # a path on the worker's disk: the client writes its own copy
    return result, page


def _student_ids(submissions):
    """The nbgrader id of each submission's student, as one `Grader` gives them (in submission order)."""
    taken, ids = set(), {}
    out = []
    for sub in submissions:
        if sub.student not in ids:
            ids[sub.student] = safe_id(sub.student, taken)
        out.append(ids[sub.student])
    return out


class DaskGrader:
    """Grades submissions of `chapters` on a Dask cluster; the same interface as `Grader` (`grade`, `close`).

    Args:
        root: the course root; on every worker machine it must be at the same path.
        chapters: the `Chapter`s to prepare.
        scheduler: the address of a running Dask scheduler (`tcp://host:8786`);
            None starts a LocalCluster of `workers` processes on this machine.
        workers: worker processes of the LocalCluster (ignored with `scheduler`).
        workdir: a folder to keep (like `Grader`'s): the client's copies of the
            feedback pages go to `workdir/feedback/<student id>/<chapter>/`, and
            each worker builds its private course in `workdir/workers/` on its
            own machine; by default both are temporary.
        options: for each worker's `Grader` (`profile`, `timeout`, `whole_notebook`,
            `sandbox`, `limits`, `guard`, `kernels`).

    Raises:
        EngineError: dask is missing, the scheduler cannot be reached, or it has no worker.
        RuntimeError: a worker could not build its grader (bubblewrap missing, no course at that path).
    """

    def __init__(self, root, chapters, scheduler=None, workers=2, workdir=None, **options):
        dask, distributed = _import_distributed()
        self._distributed = distributed
        self.root = Path(root)
        self.chapters = list(chapters)
        self.token = uuid.uuid4().hex[:12]
        self.plugin_name = f"kp-grader-{self.token}"
        self.keep = workdir is not None
        self.dir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="kp-dask-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cluster = None
        self.client = None
        self._plugin = False
        self._tests = {}
        for ch in self.chapters:
            self._tests[ch.id] = test_cells(read_notebook(ch.solution_notebook))
        try:
            if scheduler is None:
                options["sandbox"] = resolve_kind(options.get("sandbox"))  # refuse here, before any worker starts
                n = max(1, int(workers))
                with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                                      "distributed.scheduler.worker-saturation": 1.0}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                self.client = distributed.Client(self.cluster)
                self.where = f"a LocalCluster of {n} worker process{'es' if n > 1 else ''} on this machine"
            else:
                try:
                    self.client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
                except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address
                    raise EngineError(
                        f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: {exc}); "
                        f"start one with `dask scheduler` and workers with `dask worker {scheduler} --nthreads 1`, "
                        "or leave out --scheduler to grade on this machine"
                    ) from None
                try:
                    self.client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
                except Exception:  # noqa: BLE001 - a TimeoutError
                    raise EngineError(
                        f"the Dask scheduler at {scheduler} has no worker (waited {WORKER_TIMEOUT} s); "
                        f"start some with `dask worker {scheduler} --nthreads 1`"
                    ) from None
                n = len(self.client.scheduler_info(n_workers=-1).get("workers", {}))
                self.where = f"the Dask scheduler at {scheduler} ({n} worker{'s' if n != 1 else ''} now)"
            plugin = GraderPlugin(self.plugin_name, self.root, self.chapters, options,
                                  keep=self.dir.resolve() if self.keep else None)
            try:
                self.client.register_plugin(plugin, name=self.plugin_name)
            except Exception as exc:  # noqa: BLE001 - the worker's own error, re-raised by Dask
                self._plugin = True  # some workers may hold it: unregister on close
                raise RuntimeError(f"a Dask worker could not prepare the grader: {type(exc).__name__}: {exc}") from None
            self._plugin = True
        except BaseException:
            self.close()
            raise

    def close(self):
        """Close every worker's grader, the client and the LocalCluster; remove the temporary folder."""
        if self.client is not None:
            if self._plugin:
                try:
                    self.client.unregister_worker_plugin(self.plugin_name)
                except Exception:  # noqa: BLE001 - a worker that is gone has nothing to close
                    pass
                self._plugin = False
            try:
                self.client.close()
            except Exception:  # noqa: BLE001
                pass
            self.client = None
        if self.cluster is not None:
            try:
                self.cluster.close()
            except Exception:  # noqa: BLE001
                pass
            self.cluster = None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _error_result(self, sub, error):
        """The row of a submission whose task failed: as `Grader._empty_result` makes it."""
        return empty_result(sub, self._tests.get(sub.chapter.id, {}), "error", error)

    def grade(self, submissions, feedback=True, progress=None):
        """Grade each submission in one Dask task; returns a `GradeResult` per submission, in their order.

        `progress` is called with each result as it arrives (in completion order).
        """
        distributed = self._distributed
        from distributed.scheduler import KilledWorker

        sids = _student_ids(submissions)
        futures = [
            self.client.submit(_grade_task, self.plugin_name, sub, sid, feedback,
                               key=f"kp-grade-{self.token}-{i}", pure=False)
            for i, (sub, sid) in enumerate(zip(submissions, sids))
        ]
        index = {future.key: i for i, future in enumerate(futures)}
        results = [None] * len(submissions)
        for future in distributed.as_completed(futures):
            i = index[future.key]
            sub = submissions[i]
            try:
                result, page = future.result()
            except KilledWorker as exc:
                tries = getattr(exc, "allowed_failures", ALLOWED_FAILURES) + 1
                result, page = self._error_result(
                    sub, f"the Dask worker grading it died {tries} time{'s' if tries > 1 else ''} "
                         "(a crash or out of memory); not graded"), None
            except Exception as exc:  # noqa: BLE001 - one task's failure is one row
                result, page = self._error_result(sub, f"the grader failed: {type(exc).__name__}: {exc}"), None
            finally:
                future.release()
            if page is not None:
                path = self.dir / "feedback" / sids[i] / result.chapter / f"{result.chapter}.html"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(page)
                result.feedback = path
            results[i] = result
            if progress is not None:
                progress(result)
        return results


def grade_with_dask(root, submissions, chapters=None, scheduler=None, workers=2, feedback=True, progress=None,
                    workdir=None, **grader_options):
    """Grade `Submission`s on Dask and return their `GradeResult`s (in the same order).

    The Dask counterpart of `autograder.grader.grade_submissions`:
    `chapters` defaults to those the submissions name; with `scheduler=None`
    a LocalCluster of `workers` processes is started and closed. The results'
    feedback pages stay (under `workdir/feedback/`) only when `workdir` is
    given, as with `Grader`. `grader_options` go to each worker's `Grader`.
    """
    if chapters is None:
        seen = {}
        for sub in submissions:
            if sub.notebook is not None:
                seen.setdefault(sub.chapter.id, sub.chapter)
        chapters = list(seen.values())
    with DaskGrader(root, chapters, scheduler=scheduler, workers=workers, workdir=workdir,
                    **grader_options) as grader:
        return grader.grade(submissions, feedback=feedback, progress=progress)
