"""nbgrader's `Execute`, with each kernel in the sandbox: partial credit, output caps and the integrity guard.

`SandboxedExecute` replaces nbgrader's `Execute` preprocessor
(`autograder.nbgrader_app.use_sandboxed_execute`). It starts the kernel
through `SandboxKernelManager`: wrapped in bubblewrap
(`autograder.sandbox.bwrap.Sandbox.command`), or forked by the warm-kernel
server (`autograder.sandbox.warm`), falling back to a fresh sandboxed kernel
when the server cannot give one. It keeps the points of the cells that ran
when a kernel dies or is killed (every cell that did not run gets an error, so
its test scores 0), stops a notebook that runs past its wall time, truncates
output floods, and runs the integrity guard (`autograder.sandbox.guard`)
before the first cell and after every test cell. What happened goes into a
JSON report the grader reads (`report_path`).

Used by nbgrader's autograde, as configured by `autograder.grader`.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbformat.notebooknode import NotebookNode
from traitlets import Any as TAny
from traitlets import Dict as TDict
from traitlets import Int as TInt
from traitlets import Unicode, default

from autograder.notebooks import is_test_cell
from autograder.sandbox.bwrap import Limits, Sandbox, read_only_paths
from autograder.sandbox.guard import GUARD_SOURCE, check_guard_reports, guard_payload
from autograder.sandbox.processes import kill_tree, kill_uid
from autograder.sandbox.warm import warm_server

try:
    from nbgrader.preprocessors import Execute as _Execute
except ImportError:  # pragma: no cover - nbgrader is a dependency
    _Execute = object

#: Kernel manager id -> the kernel's pid (its process group), for the per-notebook watchdog.
_LIVE = {}


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs inside `sandbox` and talks over Unix sockets in its scratch folder."""

    sandbox = TAny(None, allow_none=True)
    warm = TAny(None, allow_none=True)  # a WarmKernels server that forks the kernel (None: a fresh process)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandbox is not None:
            scratch = Path(self.sandbox.scratch).resolve()
            self.transport = "ipc"
            self.ip = str(scratch / "k")
            self.connection_file = str(scratch / "kernel.json")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.sandbox is None:
            return cmd
        # SIGINT sent to bwrap's process group does not reach a busy kernel (measured); ipykernel's
        # interrupt_request on the control channel does (the kernel signals itself).
        self.kernel_spec.interrupt_mode = "message"
        if self.warm is not None:
            return cmd  # not run: the warm server forks the kernel
        return self.sandbox.command(cmd)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.sandbox is not None and self.warm is not None:
            uid = self.sandbox.uid
            env = self.sandbox.environment(kw.get("env") or os.environ)
            env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
            os.chown(self.connection_file, uid, uid)
            try:
                process = self.warm.spawn(self.sandbox.scratch, self.connection_file, env, uid, self.sandbox.rlimits())
            except (RuntimeError, OSError, ValueError) as exc:
                # The server's trouble must not cost this submission: a fresh sandboxed kernel instead.
                self.log.warning("warm kernel unavailable (%s); starting a fresh one", exc)
                self.warm = None
                await self._async_launch_kernel(self.sandbox.command(kernel_cmd), **kw)
                return
            provisioner = self.provisioner
            provisioner.process = process
            provisioner.pid = process.pid
            try:
                provisioner.pgid = os.getpgid(process.pid)
            except OSError:
                provisioner.pgid = None
            provisioner.cwd = str(Path(self.sandbox.scratch).resolve())
            _LIVE[id(self)] = process.pid
            self._reconcile_connection_info(provisioner.connection_info)
            return
        if self.sandbox is not None:
            kw["env"] = self.sandbox.environment(kw.get("env") or os.environ)
            kw["cwd"] = str(Path(self.sandbox.scratch).resolve())
            if self.sandbox.uid is not None and os.path.exists(self.connection_file):
                os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)
        await super()._async_launch_kernel(kernel_cmd, **kw)
        pid = getattr(self.provisioner, "pid", None) or getattr(getattr(self.provisioner, "process", None), "pid", None)
        if pid:
            _LIVE[id(self)] = pid

    async def _async_cleanup_resources(self, restart=False):
        _LIVE.pop(id(self), None)
        await super()._async_cleanup_resources(restart=restart)


def _error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SandboxedExecute(_Execute):
    """nbgrader's `Execute`, with the kernel in a sandbox, partial credit, output caps and the integrity guard.

    Configured per submission (traitlets): `sandbox_spec` (None: no sandbox),
    `limits`, `report_path` (a JSON report written after the run), `guard`
    (run the integrity guard).
    """

    sandbox_spec = TDict(None, allow_none=True).tag(config=True)
    warm = Unicode("").tag(config=True)  # token of a registered WarmKernels server ("": a fresh kernel)
    limits = TDict({}).tag(config=True)
    report_path = Unicode("").tag(config=True)
    guard = TInt(1).tag(config=True)

    @default("shutdown_kernel")
    def _default_shutdown_kernel(self):
        return "immediate"  # the grader has every output it needs; TensorFlow's graceful exit takes seconds

    def create_kernel_manager(self):
        sandbox = None
        if self.sandbox_spec:
            spec = dict(self.sandbox_spec)
            sandbox = Sandbox(Path(spec["scratch"]), spec["read_only"], Limits(**self.limits), spec.get("uid"))
        kwargs = {"config": self.config, "sandbox": sandbox,
                  "warm": warm_server(self.warm) if (sandbox is not None and sandbox.uid is not None) else None}
        if self.kernel_name:
            kwargs["kernel_name"] = self.kernel_name
        self.km = SandboxKernelManager(**kwargs)
        self._kp_km = self.km  # nbclient drops `self.km` when the kernel is shut down
        return self.km

    # -- output cap ----------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        if cell_index in self._kp_exempt:  # the grader's own guard cells
            return super().output(outs, msg, display_id, cell_index)
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._kp_output += size
        if self._kp_output > self._kp_limits.output_bytes and msg["msg_type"] in ("stream", "display_data", "execute_result", "update_display_data"):
            if not self._kp_truncated.get(cell_index):
                self._kp_truncated[cell_index] = True
                outs.append(NotebookNode(output_type="stream", name="stdout",
                                         text=f"\n[output truncated by the grader after {self._kp_limits.output_bytes} bytes]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # -- per cell ------------------------------------------------------------------------
    def preprocess_cell(self, cell, resources, index):
        self._kp_started.add(index)
        cell, resources = super().preprocess_cell(cell, resources, index)
        self._kp_done.add(index)
        return cell, resources

    # -- whole notebook ------------------------------------------------------------------
    def preprocess(self, nb, resources=None, km=None):
        self._kp_limits = Limits(**self.limits)
        self._kp_km = None
        self._kp_output = 0
        self._kp_truncated = {}
        self._kp_started, self._kp_done = set(), set()
        self._kp_exempt = set()
        report = {"died": None, "tampered": [], "truncated": False, "killed_after": None}
        original = list(nb.cells)
        injected = []
        if self.guard:
            cells = [NotebookNode(cell_type="code", source=GUARD_SOURCE, metadata={}, outputs=[], execution_count=None)]
            injected.append(cells[0])
            for cell in original:
                cells.append(cell)
                if is_test_cell(cell):
                    g = NotebookNode(cell_type="code", source=GUARD_SOURCE, metadata={}, outputs=[], execution_count=None)
                    cells.append(g)
                    injected.append(g)
            nb.cells = cells
            self._kp_exempt = {i for i, c in enumerate(nb.cells) if any(c is g for g in injected)}
        deadline = {"fired": False}

        def watchdog():
            deadline["fired"] = True
            for key, pid in list(_LIVE.items()):
                if key == id(getattr(self, "_kp_km", None)):
                    kill_tree(pid)

        timer = threading.Timer(self._kp_limits.notebook_seconds, watchdog)
        timer.daemon = True
        timer.start()
        try:
            super().preprocess(nb, resources, km)
        except Exception as exc:  # noqa: BLE001 - a dead, killed or unresponsive kernel
            report["died"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[:300]
        finally:
            timer.cancel()
            km = getattr(self, "_kp_km", None)
            if km is not None:
                pid = _LIVE.pop(id(km), None)
                if pid:
                    kill_tree(pid)
                if km.warm is not None:
                    kill_uid(km.sandbox.uid)  # what a forked kernel left running (it shares the server's PID namespace)
                self._kp_km = None
        if deadline["fired"]:
            report["killed_after"] = self._kp_limits.notebook_seconds
            report["died"] = report["died"] or "killed"
        # Cells that did not finish get an error, so their tests score 0.
        index_of = {id(c): i for i, c in enumerate(nb.cells)}
        if report["died"]:
            why = (f"the notebook ran past {self._kp_limits.notebook_seconds} s and was stopped"
                   if report["killed_after"] else "the kernel died before this cell finished")
            for cell in nb.cells:
                if cell.cell_type == "code" and index_of[id(cell)] not in self._kp_done:
                    cell.setdefault("outputs", [])
                    cell.outputs.append(_error_output("KernelDied", why))
        # Integrity: every guard that ran must report the fingerprints of the first one.
        if self.guard:
            reports = []
            for g in injected:
                i = index_of[id(g)]
                if i not in self._kp_done:
                    reports.append(None)
                    continue
                reports.append(guard_payload(g))
            trusted = (self.sandbox_spec or {}).get("read_only") or [str(p) for p in read_only_paths()]
            report["tampered"] = check_guard_reports(reports, trusted=trusted)
            if report["tampered"]:
                for cell in nb.cells:
                    if cell.cell_type == "code" and is_test_cell(cell):
                        cell.outputs.append(_error_output("IntegrityError", "the submission changed the grader's objects"))
            nb.cells = [c for c in nb.cells if not any(c is g for g in injected)]
        report["truncated"] = bool(self._kp_truncated)
        if self.report_path:
            Path(self.report_path).write_text(json.dumps(report), encoding="utf-8")
        return nb, resources

