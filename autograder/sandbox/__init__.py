"""Run grading kernels in a bubblewrap sandbox, with limits, and check that tests were not tampered with.

`kp grade` and `kp selftest` execute students' code. Each submission's kernel
runs under [bubblewrap](https://github.com/containers/bubblewrap)
(`apt-get install bubblewrap`); the parts, one job each:

- `bwrap`: what a kernel sees and may do. A new mount namespace whose root is
  empty and read-only; bound read-only: the system (`/usr`, the `/lib*` and
  `/bin` links, a few files of `/etc`), the Python installation and its
  virtual environment, the installed `keras_patterns` package and the
  course's `datasets/`. Writable: one scratch folder per submission (the
  kernel's working folder, `HOME` and `TMPDIR`), which also holds the kernel's
  connection file and sockets. Not visible: `solutions/`, `course/`,
  `autograder/` (this package, its fixtures and mutation reports), the
  grader's private nbgrader course (source notebooks with hidden tests, the
  gradebook, other students' submissions and autograded notebooks), the
  instructor's `build/`. New PID, network (no interface but a down loopback),
  IPC and UTS namespaces; as root the kernel runs as an unused uid with no
  capabilities. Limits (`Limits`): address space, processes and threads, file
  size, open files, no core dumps, a wall time per notebook, output kept per
  notebook.
- `warm`: warm kernels (`WarmKernels`, the default for a root grader): one
  server per grader, in the same sandbox, imports Keras and the course once
  and forks each submission's kernel, which takes its own mount and IPC
  namespaces and its own uid before running anything; it saves the 4-5 s
  TensorFlow import of a fresh kernel. The server runs a code string
  (`warm.SERVER_SOURCE`) and imports nothing of `autograder`, which the
  sandbox does not show.
- `execute`: `SandboxedExecute` replaces nbgrader's `Execute` preprocessor: it
  starts the kernel through `SandboxKernelManager`, keeps the points of the
  cells that ran when a kernel dies or is killed (every cell that did not run
  gets an error, so its test scores 0), truncates output floods, and runs the
  integrity guard before the first cell and after every test cell.
- `guard`: the integrity guard's kernel-side code (`GUARD_SOURCE`) and the
  comparison of its reports, outside the kernel.
- `processes`: finding and killing what a kernel left running.

This package imports none of its modules here: import the one you need
(`from autograder.sandbox.bwrap import Limits`), so that reading a limit does
not load jupyter_client and nbgrader.

Used by `autograder.grader`, `autograder.nbgrader_app` and `kp grade`.
"""
