"""The bubblewrap sandbox of one grading kernel: what it sees, who it is, its limits and its environment.

- **What it sees.** A new mount namespace whose root is empty and read-only;
  bound read-only: the system (`/usr`, the `/lib*` and `/bin` links, a few
  files of `/etc`), the Python installation and its virtual environment, the
  installed `keras_patterns` package (`package_dirs`) and the course's
  `datasets/` (`read_only_paths`). Writable: one scratch folder per
  submission (the kernel's working folder, `HOME` and `TMPDIR`), which also
  holds the kernel's connection file and sockets. Everything else is not
  there: `solutions/`, `course/`, `autograder/`, the grader's private course.
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

Nothing here starts a kernel: `autograder.sandbox.execute` and
`autograder.sandbox.warm` do, with the command lines built here.

Used by `autograder.grader`, `autograder.sandbox.warm`,
`autograder.sandbox.execute`, `autograder.sandbox.guard` and `kp grade`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
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


def package_dirs():
    """Folders of the installed `keras_patterns` package (an editable install points into the repository).

    Kernels may read these (the notebooks import the library); the guard
    checks that every loaded `keras_patterns` module is a file inside them.
    """
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
LAUNCHER_SOURCE = r"""
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
        launcher = [os.path.realpath(sys.executable), "-I", "-S", "-c", LAUNCHER_SOURCE, spec]
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
    paths = [*python_paths(), *package_dirs()]
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

