"""Warm kernels: a fork server inside the sandbox that imports the course once and forks each submission's kernel.

Importing TensorFlow costs 4-5 s of CPU in every new Python, more than all of
a chapter's tests. `WarmKernels` runs one Python per grader in the same
bubblewrap sandbox as a fresh kernel (same read-only view, no network, new
PID, IPC and UTS namespaces), whose only writable folder holds the kernels'
scratch folders. It imports what the chapters' instructor cells import
(`autograder.notebooks.preload_modules`) and ipykernel, then never runs
anything else; for each submission it forks a kernel that takes fresh mount
and IPC namespaces, `no_new_privs`, a uid of its own, the limits and the
submission's environment before it runs any student code.

The server is a code string (`SERVER_SOURCE`) run by the sandbox's Python:
it imports nothing of `autograder`, which the sandbox does not show, only
the standard library, ipykernel and the modules it is asked to preload.

Used by `autograder.grader` (which starts and closes the server) and
`autograder.sandbox.execute` (whose kernel manager asks it for a kernel).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from autograder.sandbox.bwrap import Limits, Sandbox
from autograder.sandbox.processes import all_pids, kill_tree, proc_status

#: Modules every warm-kernel server imports (the kernel itself); the chapters' own imports are added.
PRELOAD = ("IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell")

#: Runs as root inside the sandbox: imports `preload`, then forks one kernel per request line.
#: A forked kernel gets fresh mount and IPC namespaces (its own /dev/shm), its own uid, the
#: limits, the submission's environment and scratch folder, and becomes an ipykernel.
SERVER_SOURCE = r"""
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
            status = proc_status(self.pid)
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
            import, `autograder.notebooks.preload_modules`); one that fails is skipped.
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
               sys.executable, "-c", SERVER_SOURCE, spec]
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
        for pid in all_pids():
            status = proc_status(pid)
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
    """Forget the server of `token` (the grader closes it)."""
    _WARM.pop(token, None)



def warm_server(token):
    """The server registered under `token`; None for "" or a token no longer registered."""
    return _WARM.get(token)
