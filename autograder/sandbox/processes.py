"""Finding and killing the processes a grading kernel leaves behind, from outside its sandbox.

A fresh kernel lives in its own PID namespace: killing bubblewrap's process
group (`kill_tree`) takes everything inside with it. A warm kernel is forked
by the warm-kernel server and shares the server's PID namespace, so what its
student code started is found by the kernel's own uid instead (`kill_uid`),
read from `/proc`.

Used by `autograder.sandbox.warm` and `autograder.sandbox.execute`.
"""

from __future__ import annotations

import os
import signal


def proc_status(pid):
    """The fields of `/proc/<pid>/status` ({name: value}); None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError:
        return None


def all_pids():
    """The pids of every process this namespace can see."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def kill_uid(uid, rounds=5):
    """SIGKILL every process whose real uid is `uid` (what a forked kernel left behind); returns how many."""
    killed = set()
    for _ in range(rounds):
        found = []
        for pid in all_pids():
            status = proc_status(pid)
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


def kill_tree(pid):
    """SIGKILL a kernel's process group (bwrap and, with its PID namespace, everything inside)."""
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
