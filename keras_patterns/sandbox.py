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

**Warm kernels** (`WarmKernels`, the default for a root grader): one server
per grader, in the same sandbox, imports Keras and the course once and forks
each submission's kernel, which takes its own mount and IPC namespaces and
its own uid before running anything; it saves the 4-5 s TensorFlow import of
a fresh kernel. A grader that is not root gets fresh kernels.

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
import select
import signal
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
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

    def bwrap_args(self, privileged=False):
        """The bubblewrap command line up to `--`: namespaces, the read-only system, the writable scratch.

        `privileged` (the warm-kernel server, run by a root grader) keeps root's
        capabilities inside, so that it can give each kernel it forks its own uid.
        """
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise RuntimeError(MISSING_BWRAP)
        scratch = Path(self.scratch).resolve()
        args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if self.uid is None and not privileged:
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
        return args

    def command(self, cmd):
        """`cmd` (a kernel command line) wrapped in bwrap and the limits launcher."""
        args = self.bwrap_args()
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
# Warm kernels: a fork server inside the sandbox

#: Modules every warm-kernel server imports (the kernel itself); the chapters' own imports are added.
PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell")

#: Runs as root inside the sandbox: imports `preload`, then forks one kernel per request line.
#: A forked kernel gets fresh mount and IPC namespaces (its own /dev/shm), its own uid, the
#: limits, the submission's environment and scratch folder, and becomes an ipykernel.
_SERVER = r"""
import json, os, sys
spec = json.loads(sys.argv[1])
import importlib
for name in spec["preload"]:
    try:
        importlib.import_module(name)
    except BaseException:
        pass
import ctypes, resource, signal, tempfile
import ipykernel.kernelapp
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped by the kernel, not waited for
requests = os.fdopen(os.dup(0), "r")
replies = os.fdopen(os.dup(1), "w", buffering=1)
devnull = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(devnull, fd)
os.close(devnull)


def kernel(req):
    if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    if libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=256m,mode=1777") != 0:
        raise OSError(ctypes.get_errno(), "mount /dev/shm")
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS: no setuid program can give root back
        raise OSError(ctypes.get_errno(), "prctl")
    uid = req["uid"]
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    for name, value in req["limits"].items():
        res = getattr(resource, name)
        soft, hard = resource.getrlimit(res)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(res, (value, value))
    os.chdir(req["scratch"])
    os.environ.clear()
    os.environ.update(req["env"])
    os.environ["JPY_PARENT_PID"] = "1"
    tempfile.tempdir = None
    while "" in sys.path:
        sys.path.remove("")
    sys.argv = ["ipykernel_launcher", "-f", req["connection_file"]]
    ipykernel.kernelapp.launch_new_instance()


def fork_kernel(req, pipe):
    # A new session whose leader exits at once: the kernel is in its own process group (the
    # grader kills the group) but not its leader, so ipykernel interrupts the kernel alone,
    # not the processes the student's code forked, as with a fresh kernel.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    requests.close()
    replies.close()
    os.setsid()
    pid = os.fork()
    if pid:
        os.write(pipe, str(pid).encode() + b"\n")
        os._exit(0)
    os.close(pipe)
    kernel(req)


replies.write(json.dumps({"ready": os.getpid()}) + "\n")
for line in requests:
    req = json.loads(line)
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(r)
        os.close(w)
        replies.write(json.dumps({"error": str(exc)}) + "\n")
        continue
    if pid == 0:
        try:
            os.close(r)
            fork_kernel(req, w)
        finally:
            os._exit(1)
    os.close(w)
    with os.fdopen(r) as f:
        answer = f.readline().strip()
    replies.write(json.dumps({"pid": int(answer)} if answer.isdigit() else {"error": "the kernel did not start"}) + "\n")
"""


def _proc_status(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return None


def _all_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def kill_uid(uid, rounds=5):
    """SIGKILL every process whose real uid is `uid` (what a forked kernel left behind); returns how many."""
    killed = set()
    for _ in range(rounds):
        found = []
        for pid in _all_pids():
            status = _proc_status(pid)
            if status and status.get("Uid", "").split()[:1] == [str(uid)] and status.get("State", "")[:1] != "Z":
                found.append(pid)
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except OSError:
                pass
    return len(killed)


class ForkedKernel:
    """The `subprocess.Popen` face of a kernel forked by the warm-kernel server (what jupyter_client's provisioner uses).

    `pid` is the kernel's pid as the grader sees it; the server, not the grader,
    is its parent, so liveness is read from /proc.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None
        self._start = self._start_time()

    def _start_time(self):
        try:
            with open(f"/proc/{self.pid}/stat", encoding="utf-8") as f:
                return f.read().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return None

    def poll(self):
        if self.returncode is None:
            status = _proc_status(self.pid)
            if status is None or status.get("State", "")[:1] in ("Z", "X") or self._start_time() != self._start:
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class WarmKernels:
    """A fork server for grading kernels: one sandboxed Python imports the course's libraries once, then forks a kernel per submission.

    Importing TensorFlow takes 4-5 s of CPU in every fresh kernel, more than
    a chapter's tests. The server (run by bubblewrap as root, in the same
    namespaces and read-only view as a fresh kernel's sandbox, with one
    writable folder holding the kernels' scratch folders) imports `PRELOAD`
    and the course package, then for each submission forks a child that
    takes fresh mount and IPC namespaces, a uid of its own (so it cannot
    signal, trace or read the server or an earlier kernel), the limits, the
    submission's environment and scratch folder, and runs ipykernel. Every
    kernel starts from the same never-used state, so a submission cannot
    leave anything for the next one; what its processes leave running is
    killed by uid (`kill_uid`) when its notebook ends.

    Only a grader running as root can hand out uids; elsewhere kernels are
    fresh processes (`Sandbox.command`).

    Args:
        folder: the writable folder; kernels' scratch folders go inside it.
        read_only: what the server and kernels may read besides the system.
        env: the server's environment (the import-time variables: backend, quiet logs).
        preload: modules to import besides `PRELOAD` (what the chapters' locked cells
            import, `keras_patterns.grading.preload_modules`); one that fails is skipped.
        start_timeout: seconds to wait for the imports.
    """

    def __init__(self, folder, read_only, env, preload=(), start_timeout=300):
        self.folder = Path(folder)
        self.read_only = list(read_only)
        self.env = dict(env)
        self.preload = [*PRELOAD, *[m for m in preload if m not in PRELOAD]]
        self.start_timeout = start_timeout
        self.proc = None
        self.server_pid = None
        self._lock = threading.Lock()
        self._uids = 0
        self._uid_base = 100000 + (os.getpid() % 4000) * 1000

    def next_uid(self):
        """A uid for the next kernel (this grader's range; reused after 1,000 kernels, long dead by then)."""
        self._uids += 1
        return self._uid_base + self._uids % 1000

    def start(self):
        """Start the server and wait until it has imported everything; raises RuntimeError if it cannot."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o711)
        home = self.folder / "server"
        home.mkdir(exist_ok=True)
        os.chmod(home, 0o755)
        sandbox = Sandbox(self.folder, self.read_only, Limits(), uid=None)
        env = sandbox.environment(self.env)
        env.update(HOME=str(home.resolve()), TMPDIR=str(home.resolve()), MPLCONFIGDIR=str(home.resolve()),
                   MPLBACKEND="module://matplotlib_inline.backend_inline")
        spec = json.dumps({"preload": self.preload})
        cmd = [*sandbox.bwrap_args(privileged=True), "--chdir", str(home.resolve()), "--",
               sys.executable, "-c", _SERVER, spec]
        # The server's own start-up errors (a kernel's stderr never goes here: the server drops it before forking).
        self.log_path = self.folder.parent / f"{self.folder.name}-server.log"
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                         env=env, start_new_session=True, text=True, bufsize=1)
        deadline = time.monotonic() + self.start_timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, left))
            if not ready:
                self.close()
                raise RuntimeError(f"the warm-kernel server did not start within {self.start_timeout} s")
            line = self.proc.stdout.readline()
            if not line:
                code = self.proc.wait()
                self.proc = None
                raise RuntimeError(f"the warm-kernel server exited while importing (code {code}): {self._log_tail()}")
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "ready" in msg:
                break
        self.server_pid = self._outer_pid(msg["ready"], ancestor=self.proc.pid)
        if self.server_pid is None:
            self.close()
            raise RuntimeError("the warm-kernel server started but could not be found in /proc")
        return self

    def _log_tail(self):
        try:
            lines = Path(self.log_path).read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return " | ".join(lines[-3:]) or "no log"

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _outer_pid(self, inner, ancestor):
        """The grader-side pid of the process `inner` (a pid inside the sandbox) whose parent chain reaches `ancestor`."""
        parents = {}
        for pid in _all_pids():
            status = _proc_status(pid)
            if status:
                parents[pid] = (int(status.get("PPid", "0") or 0), status.get("NSpid", "").split())
        for pid, (ppid, nspid) in parents.items():
            if nspid and nspid[-1] == str(inner) and len(nspid) > 1:
                up, seen = ppid, 0
                while up and seen < 10:
                    if up == ancestor:
                        return pid
                    up, seen = parents.get(up, (0, []))[0], seen + 1
        return None

    def spawn(self, scratch, connection_file, env, uid, rlimits):
        """Fork a kernel for one submission; returns its `ForkedKernel`."""
        with self._lock:
            if not self.alive:
                self.start()
            req = {"scratch": str(Path(scratch).resolve()), "connection_file": str(Path(connection_file).resolve()),
                   "env": env, "uid": int(uid), "limits": rlimits}
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], 60)
            if not ready:
                self.close()
                raise RuntimeError("the warm-kernel server did not answer within 60 s")
            line = self.proc.stdout.readline()
            if not line:
                self.close()
                raise RuntimeError("the warm-kernel server died")
            msg = json.loads(line)
            if "pid" not in msg:
                raise RuntimeError(f"the warm-kernel server could not fork: {msg.get('error')}")
            pid = self._outer_pid(msg["pid"], ancestor=self.proc.pid)
            if pid is None:
                raise RuntimeError("a forked kernel could not be found in /proc")
            return ForkedKernel(pid)

    def close(self):
        if self.proc is not None:
            kill_tree(self.proc.pid)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            self.proc = None


#: Warm-kernel servers by token (a traitlets config cannot carry the object itself).
_WARM = {}


def register_warm(server):
    """Make `server` reachable from `SandboxedExecute` by the token this returns."""
    token = f"warm-{id(server)}"
    _WARM[token] = server
    return token


def unregister_warm(token):
    _WARM.pop(token, None)


# --------------------------------------------------------------------------------------------
# Kernel manager and execute preprocessor

from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from traitlets import Any as TAny  # noqa: E402
from traitlets import Dict as TDict  # noqa: E402
from traitlets import Int as TInt  # noqa: E402
from traitlets import Unicode  # noqa: E402
from traitlets import default  # noqa: E402

_LIVE = {}  # kernel manager id -> process group id, for the per-notebook watchdog


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
                  "warm": _WARM.get(self.warm) if (sandbox is not None and sandbox.uid is not None) else None}
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
