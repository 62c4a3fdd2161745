"""Run grading kernels in a bubblewrap sandbox, with limits, and check that tests were not tampered with.

`kp grade` and `kp selftest` execute students' code. Each submission's kernel
runs here under [bubblewrap](https://github.com/containers/bubblewrap)
(`apt-get install bubblewrap`):

- **What it sees.** A new mount namespace whose root is empty and read-only;
  bound read-only: the system (`/usr`, the `/lib*` and `/bin` links, a few
  files of `/etc`), the Python installation and its virtual environment, the
  installed `keras_patterns` package and the course's `datasets/`. Writable:
  one scratch folder per submission (the kernel's working folder, `HOME` and
  `TMPDIR`), which also holds the kernel's connection file and sockets.
  Not visible: `solutions/`, `course/`, the grader's private nbgrader course
  (source notebooks with hidden tests, the gradebook, other students'
  submissions and autograded notebooks), the instructor's `build/`.
- **Namespaces.** New PID, network (no interface but a down loopback: no
  network at all), IPC and UTS namespaces; the kernel talks to the grader over
  Unix sockets (ZMQ `ipc` transport) in its scratch folder.
- **Who it is.** When the grader runs as root, the kernel runs as an unused
  uid (`61000 + n`) with no capabilities, so that the process limit counts
  only its own processes and no root-owned file can be written; otherwise it
  runs in a new user namespace as the grader's user.
- **Limits** (`Limits`): address space (RLIMIT_AS), processes and threads
  (RLIMIT_NPROC), file size (RLIMIT_FSIZE), open files, no core dumps; a wall
  time per notebook after which the whole kernel tree is killed (the PID
  namespace dies with it); output kept per notebook (the rest is dropped).
  The time per cell is nbgrader's `Execute.timeout`.

`SandboxedExecute` replaces nbgrader's `Execute` preprocessor: it starts the
kernel through `SandboxKernelManager`, keeps the points of the cells that ran
when a kernel dies or is killed (every cell that did not run gets an error,
so its test scores 0), truncates output floods, and runs the integrity guard
(`GUARD_SOURCE`) before the first cell and after every test cell.

Used by `keras_patterns.grading`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import signal
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path

MISSING_BWRAP = (
    "bubblewrap is not installed: grading runs students' code and needs it to isolate each kernel "
    "(apt-get install bubblewrap); pass --sandbox none to grade without isolation"
)

#: Sandbox kinds `kp grade --sandbox` accepts.
KINDS = ("bwrap", "none")

#: Files of /etc a Python kernel may need (bound read-only when present).
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/mime.types",
    "/etc/fonts",
    "/etc/ssl/certs",
    "/etc/alternatives",
)

#: Environment variables passed into the kernel (everything else is dropped).
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "KERAS_BACKEND", "JUPYTER_PREFER_ENV_PATH", "PYTHONHASHSEED")
KEPT_ENV_PREFIXES = ("KP_", "NBGRADER_", "TF_", "XLA_", "KMP_", "ABSL_", "GRPC_", "PYTHONWARNINGS", "OMP_", "MKL_")

#: The mime type of the integrity guard's reports.
GUARD_MIME = "application/x-kp-guard+json"


@dataclasses.dataclass
class Limits:
    """Resource limits of one grading kernel.

    Attributes:
        memory_mb: address space of each kernel process (RLIMIT_AS). TensorFlow
            reserves address space it never touches; 6 GiB holds every chapter
            at the `smoke` profile.
        processes: processes and threads of the sandbox user (RLIMIT_NPROC);
            TensorFlow starts a few dozen threads.
        file_size_mb: the largest file the kernel may write (RLIMIT_FSIZE).
        open_files: RLIMIT_NOFILE.
        notebook_seconds: wall time of a whole notebook; then the kernel tree is killed.
        output_bytes: output kept per notebook (stream text and rich data); the rest is dropped.
    """

    memory_mb: int = 6144
    processes: int = 256
    file_size_mb: int = 256
    open_files: int = 1024
    notebook_seconds: int = 900
    output_bytes: int = 2_000_000


# --------------------------------------------------------------------------------------------
# Finding and probing bubblewrap


@functools.lru_cache(maxsize=None)
def bwrap_problem():
    """None when bubblewrap is installed and can create its namespaces here; else why not."""
    path = shutil.which("bwrap")
    if path is None:
        return MISSING_BWRAP
    probe = [path, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent"]
    if os.geteuid() != 0:
        probe.append("--unshare-user")
    try:
        done = subprocess.run([*probe, "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap is installed but cannot run here ({exc}); pass --sandbox none to grade without isolation"
    if done.returncode != 0:
        why = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        return (
            f"bubblewrap is installed but cannot create namespaces here ({why[0]}); "
            "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) "
            "or pass --sandbox none to grade without isolation"
        )
    return None


def resolve_kind(kind):
    """The sandbox to use: `kind` ("bwrap", "none") or, for None, bwrap (refusing when it cannot run).

    Raises:
        RuntimeError: bubblewrap is wanted but missing or unusable.
    """
    if kind not in (None, *KINDS):
        raise ValueError(f"unknown sandbox {kind!r}; valid: {', '.join(KINDS)}")
    if kind == "none":
        return "none"
    problem = bwrap_problem()
    if problem:
        raise RuntimeError(problem)
    return "bwrap"


# --------------------------------------------------------------------------------------------
# The sandbox command


def _package_dirs():
    """Folders of the installed `keras_patterns` package (an editable install points into the repository)."""
    spec = importlib.util.find_spec("keras_patterns")
    dirs = list(spec.submodule_search_locations or []) if spec else []
    return [Path(d).resolve() for d in dirs]


def python_paths():
    """Folders the kernel's Python needs, read-only: the installation, the environment, site-packages."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        value = sysconfig.get_paths().get(name)
        if value:
            paths.add(Path(value))
    return sorted({p.resolve() for p in paths if p.exists()})


def _minimal(paths):
    """Drop paths that lie inside another one of the list."""
    out = []
    for p in sorted(set(paths), key=lambda q: (len(q.parts), str(q))):
        if not any(p == q or q in p.parents for q in out):
            out.append(p)
    return out


def sandbox_uid():
    """An unused uid for this grader process's kernels (only when the grader runs as root)."""
    return 61000 + os.getpid() % 4000


#: Runs first inside the sandbox: drop to the sandbox uid (as root), set the limits, exec the kernel.
_LAUNCHER = r"""
import json, os, resource, sys
spec = json.loads(sys.argv[1])
if spec["uid"] is not None:
    os.setgroups([])
    os.setgid(spec["uid"])
    os.setuid(spec["uid"])
for name, value in spec["limits"].items():
    res = getattr(resource, name)
    soft, hard = resource.getrlimit(res)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(res, (value, value))
# The grader's pid means nothing in this PID namespace (bwrap --die-with-parent watches the grader).
# 1 (init) also keeps ipykernel from printing its connection banner on the grader's terminal.
os.environ["JPY_PARENT_PID"] = "1"
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclasses.dataclass
class Sandbox:
    """How one kernel is wrapped: its scratch folder, what it may read, its user and its limits."""

    scratch: Path
    read_only: list
    limits: Limits
    uid: int | None = None  # None: a user namespace as the grader's own user

    def rlimits(self):
        mb = 1024 * 1024
        return {
            "RLIMIT_AS": int(self.limits.memory_mb) * mb,
            "RLIMIT_NPROC": int(self.limits.processes),
            "RLIMIT_FSIZE": int(self.limits.file_size_mb) * mb,
            "RLIMIT_NOFILE": int(self.limits.open_files),
            "RLIMIT_CORE": 0,
        }

    def command(self, cmd):
        """`cmd` (a kernel command line) wrapped in bwrap and the limits launcher."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise RuntimeError(MISSING_BWRAP)
        scratch = Path(self.scratch).resolve()
        args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if self.uid is None:
            args += ["--unshare-user", "--cap-drop", "ALL"]
        args += ["--die-with-parent", "--hostname", "sandbox"]
        for top in ("/usr",):
            args += ["--ro-bind", top, top]
        for link in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        args += ["--proc", "/proc", "--dev", "/dev"]
        binds = _minimal([Path(p).resolve() for p in self.read_only if Path(p).exists()])
        etc = [Path(p) for p in ETC_FILES if os.path.exists(p)]
        parents = sorted({a for p in [*binds, scratch, *etc] for a in p.parents if str(a) != "/"},
                         key=lambda q: (len(q.parts), str(q)))
        for parent in parents:
            args += ["--perms", "0755", "--dir", str(parent)]
        for path in etc:
            args += ["--ro-bind", str(path), str(path)]
        for path in binds:
            args += ["--ro-bind", str(path), str(path)]
        args += ["--bind", str(scratch), str(scratch), "--remount-ro", "/", "--chdir", str(scratch)]
        spec = json.dumps({"uid": self.uid, "limits": self.rlimits()})
        launcher = [os.path.realpath(sys.executable), "-I", "-S", "-c", _LAUNCHER, spec]
        exe = cmd[0] if os.path.isabs(cmd[0]) else (shutil.which(cmd[0]) or cmd[0])
        return [*args, "--", *launcher, exe, *cmd[1:]]

    def environment(self, env):
        """The kernel's environment: the quiet variables and the profile, HOME and TMPDIR in scratch."""
        kept = {k: v for k, v in env.items() if k in KEPT_ENV or k.startswith(KEPT_ENV_PREFIXES)}
        scratch = str(Path(self.scratch).resolve())
        kept.update(HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=os.path.join(scratch, ".matplotlib"))
        kept.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        kept.setdefault("LANG", "C.UTF-8")
        return kept


def read_only_paths(course_root=None):
    """What a kernel may read besides the system: Python, its environment, `keras_patterns`, `datasets/`."""
    paths = [*python_paths(), *_package_dirs()]
    if course_root is not None and (Path(course_root) / "datasets").is_dir():
        paths.append(Path(course_root) / "datasets")
    return paths


def prepare_scratch(scratch, uid):
    """Create the scratch folder, empty, owned by the sandbox user."""
    scratch = Path(scratch)
    if scratch.exists():
        shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    if uid is not None:
        os.chown(scratch, uid, uid)
    os.chmod(scratch, 0o700)
    return scratch


# --------------------------------------------------------------------------------------------
# Kernel manager and execute preprocessor

from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from traitlets import Any as TAny  # noqa: E402
from traitlets import Dict as TDict  # noqa: E402
from traitlets import Int as TInt  # noqa: E402
from traitlets import Unicode  # noqa: E402

_LIVE = {}  # kernel manager id -> process group id, for the per-notebook watchdog


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs inside `sandbox` and talks over Unix sockets in its scratch folder."""

    sandbox = TAny(None, allow_none=True)

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
        return self.sandbox.command(cmd)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
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


def kill_tree(pid):
    """SIGKILL a kernel's process group (bwrap and, with its PID namespace, everything inside)."""
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


try:
    from nbgrader.preprocessors import Execute as _Execute
except ImportError:  # pragma: no cover - nbgrader is a dependency
    _Execute = object


def _error_output(ename, evalue):
    from nbformat.notebooknode import NotebookNode

    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SandboxedExecute(_Execute):
    """nbgrader's `Execute`, with the kernel in a sandbox, partial credit, output caps and the integrity guard.

    Configured per submission (traitlets): `sandbox_spec` (None: no sandbox),
    `limits`, `report_path` (a JSON report written after the run), `guard`
    (run the integrity guard).
    """

    sandbox_spec = TDict(None, allow_none=True).tag(config=True)
    limits = TDict({}).tag(config=True)
    report_path = Unicode("").tag(config=True)
    guard = TInt(1).tag(config=True)

    def create_kernel_manager(self):
        sandbox = None
        if self.sandbox_spec:
            spec = dict(self.sandbox_spec)
            sandbox = Sandbox(Path(spec["scratch"]), spec["read_only"], Limits(**self.limits), spec.get("uid"))
        kwargs = {"config": self.config, "sandbox": sandbox}
        if self.kernel_name:
            kwargs["kernel_name"] = self.kernel_name
        self.km = SandboxKernelManager(**kwargs)
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
                from nbformat.notebooknode import NotebookNode

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
        from keras_patterns.grading import is_test_cell
        from nbformat.notebooknode import NotebookNode

        self._kp_limits = Limits(**self.limits)
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
                if key == id(getattr(self, "km", None)):
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
            if getattr(self, "km", None) is not None:
                pid = _LIVE.pop(id(self.km), None)
                if pid:
                    kill_tree(pid)
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
                reports.append(_guard_payload(g))
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


# --------------------------------------------------------------------------------------------
# The integrity guard

#: Runs in the kernel before the first cell and after each test cell; reports fingerprints of
#: the objects tests rely on. It imports what it needs afresh and keeps no state in the kernel.
GUARD_SOURCE = r'''
def __kp_guard():
    import builtins, hashlib, json, sys, types
    import numpy, numpy.testing
    from IPython import get_ipython
    from IPython.display import publish_display_data
    ids = {}
    def stable(k):
        if isinstance(k, (frozenset, set)):
            return "{" + ",".join(sorted(stable(x) for x in k)) + "}"
        if isinstance(k, tuple):
            return "(" + ",".join(stable(x) for x in k) + ")"
        return repr(k)
    def code_sig(f):
        c = getattr(f, "__code__", None)
        if c is None:
            return None
        h = hashlib.sha256(c.co_code)
        h.update(repr(c.co_names).encode())
        h.update(stable(tuple(k for k in c.co_consts if not isinstance(k, types.CodeType))).encode())
        return h.hexdigest()[:16]
    def watch(name, obj):
        target = getattr(obj, "__func__", obj)  # a bound method is a new object at each access
        ids[name] = [id(target), id(getattr(target, "__code__", None)), code_sig(target), id(getattr(obj, "__self__", None))]
    for k, v in sorted(vars(builtins).items()):
        if not k.startswith("_") or k in ("__import__", "__build_class__"):
            watch("builtins." + k, v)
    for mod in (numpy, numpy.testing, numpy.linalg):
        for k, v in sorted(vars(mod).items()):
            if not k.startswith("_"):
                watch(mod.__name__ + "." + k, v)
    watch("IPython.display.publish_display_data", publish_display_data)
    for k in ("numpy", "numpy.testing", "builtins", "sys", "IPython", "IPython.display"):
        watch("sys.modules[" + k + "]", sys.modules.get(k))
    for k in ("excepthook", "displayhook", "breakpointhook", "unraisablehook"):
        watch("sys." + k, getattr(sys, k, None))
    watch("sys.gettrace()", sys.gettrace())
    watch("sys.getprofile()", sys.getprofile())
    def origin(obj):
        f = getattr(obj, "__func__", obj)
        c = getattr(f, "__code__", None)
        if c is not None:
            return c.co_filename
        m = sys.modules.get(getattr(type(obj), "__module__", "") or "")
        return getattr(m, "__file__", None) or repr(type(obj))
    hooks = {"sys.meta_path": list(sys.meta_path), "sys.path_hooks": list(sys.path_hooks)}
    import threading
    watch("threading._trace_hook", getattr(threading, "_trace_hook", None))
    watch("threading._profile_hook", getattr(threading, "_profile_hook", None))
    shell = get_ipython()
    cls = type(shell)
    ids["shell.type"] = [id(cls)]
    ids["shell.overrides"] = sorted(k for k in vars(shell) if callable(vars(shell)[k]) and k not in ("_ipython_display_formatter",))
    for k in ("showtraceback", "_showtraceback", "showsyntaxerror", "run_cell", "run_cell_async", "run_ast_nodes",
              "run_code", "transform_cell", "transform_ast", "_run_cell", "init_traceback_handlers", "get_exception_only",
              "should_run_async"):
        watch("shell." + k, getattr(cls, k, None))
    for k, v in sorted(shell.events.callbacks.items()):
        hooks["shell.events." + k] = list(v)
    hooks["shell.input_transformers"] = list(shell.input_transformers_cleanup) + list(shell.input_transformers_post)
    ns = shell.user_ns
    watch("user_ns.__builtins__", ns.get("__builtins__"))
    ids["user_ns.fake_modules"] = sorted(k for k, v in list(ns.items()) if isinstance(v, types.ModuleType)
                                         and sys.modules.get(v.__name__) is not v)
    ids["shell.input_transformer_manager"] = [id(shell.input_transformer_manager)]
    ids["shell.ast_transformers"] = [id(f) for f in shell.ast_transformers]
    ids["shell.custom_exceptions"] = repr(shell.custom_exceptions)
    ids["shell.CustomTB"] = [id(getattr(shell, "CustomTB", None))]
    ids["shell.InteractiveTB"] = [id(shell.InteractiveTB), id(type(shell.InteractiveTB))]
    ids["shell.displayhook"] = [id(shell.displayhook), id(type(shell.displayhook))]
    ids["shell.display_pub"] = [id(shell.display_pub), id(type(shell.display_pub)), id(type(shell.display_pub).publish)]
    ids["shell.compile"] = [id(shell.compile), id(type(shell.compile))]
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        kcls = type(kernel)
        ids["kernel.type"] = [id(kcls)]
        ids["kernel.overrides"] = sorted(k for k in vars(kernel) if callable(vars(kernel)[k]))
        for k in ("do_execute", "execute_request", "send_response", "_publish_status", "finish_metadata"):
            watch("kernel." + k, getattr(kcls, k, None))
        session = kernel.session
        ids["session.type"] = [id(type(session))]
        ids["session.overrides"] = sorted(k for k in vars(session) if callable(vars(session)[k]))
        for k in ("send", "serialize", "sign", "msg"):
            watch("session." + k, getattr(type(session), k, None))
    course = {}
    for name, mod in sorted(sys.modules.items()):
        if (name == "keras_patterns" or name.startswith("keras_patterns.")) and isinstance(mod, types.ModuleType):
            funcs = {}
            for k, v in sorted(vars(mod).items()):
                if isinstance(v, types.FunctionType) and getattr(v, "__module__", None) == name:
                    funcs[k] = code_sig(v)
            course[name] = [getattr(mod, "__file__", None), funcs]
    hooks = {k: [[id(x), origin(x)] for x in v] for k, v in hooks.items()}
    publish_display_data({"application/x-kp-guard+json": {"ids": ids, "hooks": hooks, "course": course}})
__kp_guard()
del __kp_guard
'''


def _guard_payload(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "display_data" and GUARD_MIME in output.get("data", {}):
            data = output["data"][GUARD_MIME]
            return json.loads(data) if isinstance(data, str) else data
    return {"error": [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"] or ["no report"]}


def module_code_signatures(path):
    """{qualified name: code signature} of every function defined in the Python file `path`,
    compiled here, outside any kernel (the same signature as the guard's `code_sig`)."""
    import types

    source = Path(path).read_text(encoding="utf-8")
    code = compile(source, str(path), "exec", dont_inherit=True)
    sigs = {}

    def stable(k):  # as in GUARD_SOURCE: set order depends on the process's hash seed
        if isinstance(k, (frozenset, set)):
            return "{" + ",".join(sorted(stable(x) for x in k)) + "}"
        if isinstance(k, tuple):
            return "(" + ",".join(stable(x) for x in k) + ")"
        return repr(k)

    def walk(c):
        for k in c.co_consts:
            if isinstance(k, types.CodeType):
                h = hashlib.sha256(k.co_code)
                h.update(repr(k.co_names).encode())
                h.update(stable(tuple(x for x in k.co_consts if not isinstance(x, types.CodeType))).encode())
                sigs.setdefault(k.co_qualname, set()).add(h.hexdigest()[:16])
                walk(k)

    walk(code)
    return sigs


@functools.lru_cache(maxsize=256)
def _signatures_cached(path, mtime):
    return module_code_signatures(path)


def _inside(path, folders):
    try:
        real = Path(path).resolve()
    except (OSError, TypeError, ValueError):
        return False
    return any(real == f or f in real.parents for f in folders)


def check_guard_reports(reports, trusted=None):
    """What the guard reports show was changed (an empty list when nothing was).

    `reports[0]` is the guard before the first cell; the others ran after test
    cells (None: the cell did not run, because the kernel died). Functions of
    the course package are compared with their source files, compiled outside
    the kernel.
    """
    problems = []
    trusted = [Path(p).resolve() for p in (trusted if trusted is not None else python_paths())]
    if not reports or reports[0] is None:
        return problems
    first = reports[0]
    if "ids" not in first:
        return [f"the integrity guard could not run before the first cell ({first.get('error')})"]
    for n, rep in enumerate(reports[1:], 1):
        if rep is None:
            continue
        if "ids" not in rep:
            problems.append(f"the integrity guard after test cell {n} failed ({rep.get('error')})")
            continue
        changed = [k for k, v in first["ids"].items() if rep["ids"].get(k) != v]
        # A hook added since the start is allowed only when its code is installed (read-only) code.
        before = {k: {e[0] for e in v} for k, v in first.get("hooks", {}).items()}
        for k, entries in sorted(rep.get("hooks", {}).items()):
            for hook_id, where in entries:
                if hook_id not in before.get(k, set()) and not (
                    isinstance(where, str) and os.path.isabs(where) and _inside(where, trusted)
                ):
                    changed.append(f"{k} (a hook from {where})")
        if changed:
            problems.append(f"after test cell {n} these changed: {', '.join(sorted(changed)[:8])}")
        for modname, (file, funcs) in sorted(rep.get("course", {}).items()):
            if not file or not file.endswith(".py") or not os.path.isfile(file) or not _inside(file, _package_dirs()):
                problems.append(f"{modname} is not the installed course module")
                continue
            try:
                sigs = _signatures_cached(file, os.path.getmtime(file))
            except (OSError, SyntaxError, ValueError):
                continue
            allowed = set().union(*sigs.values()) if sigs else set()
            bad = [f"{modname}.{name}" for name, sig in funcs.items() if sig is not None and sig not in allowed]
            if bad:
                problems.append(f"after test cell {n} these course functions were replaced: {', '.join(bad[:8])}")
    return problems
