"""What imports what: no circle in `autograder` or `keras_patterns`, and nothing of the grader in a kernel.

The grading system (`autograder`) and the library notebooks import
(`keras_patterns`) are two packages so that a student's kernel never loads
the grader: it would be code the student could reach and patch, and
bubblewrap does not show `autograder/` to kernels anyway. These tests read
the import statements of every module with `ast` (module-level and
function-local imports alike, so a circle hidden in a function is found
too), and import what the release notebooks import in a fresh Python.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.notebooks import preload_modules, read_notebook
from autograder.sandbox import bwrap, guard, warm

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("autograder", "keras_patterns")
#: What `keras_patterns` (what notebooks import) must never import.
GRADING_TOPS = ("autograder", "nbgrader")


def module_files(root=REPO, packages=PACKAGES):
    """{dotted module name: path} of every Python file of `packages` under `root`."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(tree, module, is_package):
    """(module named, [names taken from it] or None for `import m`) for every import statement of `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the module's package
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}".strip(".")
            yield base, [alias.name for alias in node.names]


def imported_names(source, module, is_package=False):
    """Every module name the source imports, anywhere in it (functions, `try` blocks, class bodies).

    `from a import b` names `a` and `a.b` (b may be a submodule).
    """
    names = set()
    for base, taken in _imports(ast.parse(source), module, is_package):
        names.add(base)
        names.update(f"{base}.{name}" for name in taken or () if name != "*")
    return names


def import_graph(files):
    """{module: {modules of `files` it imports}}.

    `import a.b` is an edge to `a.b`; `from a import b` to the module `a.b` when
    there is one, else to `a` (b is a name defined in `a`). A parent package is
    not an edge of its submodule's import: the packages here import nothing in
    their `__init__`, or only their own submodules.
    """
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for base, taken in _imports(tree, module, path.name == "__init__.py"):
            for name in taken if taken is not None else [None]:
                target = base if name is None else (f"{base}.{name}" if f"{base}.{name}" in files else base)
                if target in files and target != module:
                    edges.add(target)
        graph[module] = edges
    return graph


def cycles(graph):
    """The import circles of `graph`, each as a list of modules that leads back to its first one."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(_circle(graph, sorted(component)))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _circle(graph, component):
    """The shortest circle through the first module of a strongly connected component (for the message)."""
    members, start = set(component), component[0]
    previous, queue = {}, [start]
    while queue:  # breadth-first from `start` until an edge leads back to it
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(previous[chain[-1]])
                return [*reversed(chain), start]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    raise AssertionError(f"{component} is not strongly connected")


FILES = module_files()
GRAPH = import_graph(FILES)


# ------------------------------------------------------------------------------------------
# The checker itself finds what it must


def test_the_checker_finds_function_local_imports_and_circles():
    source = "import os\n\ndef later():\n    from autograder.grader import Grader\n    return Grader\n"
    assert "autograder.grader" in imported_names(source, "autograder.screen")
    assert imported_names("from . import bwrap\n", "autograder.sandbox.warm") >= {"autograder.sandbox.bwrap"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b", "c"}, "b": {"a"}, "c": {"b"}}) == [["a", "b", "a"]]
    assert cycles({"a": {"a"}}) == [["a", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_checker_sees_every_module():
    assert {"autograder.cli", "autograder.grader", "autograder.sandbox.warm", "keras_patterns.session"} <= set(FILES)
    assert "autograder.sandbox.bwrap" in GRAPH["autograder.grader"]  # a module-level edge
    assert "autograder.sandbox.execute" in GRAPH["autograder.nbgrader_app"]  # a function-local edge


# ------------------------------------------------------------------------------------------
# The rules


def test_no_import_circle_in_autograder_or_keras_patterns():
    found = cycles(GRAPH)
    assert not found, "import circles: " + "; ".join(" -> ".join(c) for c in found)


def test_internal_imports_name_modules_that_exist():
    """An import of `autograder.x` or `keras_patterns.x` that names no module is a leftover of a move."""
    missing = []
    for module, path in FILES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module]
            else:
                continue
            for name in targets:
                if name.split(".")[0] in PACKAGES and name not in FILES:
                    missing.append(f"{module}: {name}")
    assert not missing, "imports of modules that do not exist: " + ", ".join(missing)


def test_keras_patterns_imports_nothing_of_the_grader():
    bad = []
    for module, path in FILES.items():
        if not module.startswith("keras_patterns"):
            continue
        names = imported_names(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
        bad += [f"{module} imports {name}" for name in sorted(names) if name.split(".")[0] in GRADING_TOPS]
    assert not bad, "; ".join(bad)


# ------------------------------------------------------------------------------------------
# A kernel that runs a student's notebook loads nothing of the grader


RELEASES = sorted(REPO.glob("course/ch*/ch*.ipynb"))

#: Run in a fresh Python: import `names` as the warm-kernel server does, then report what is loaded.
KERNEL_IMPORTS = textwrap.dedent("""
    import importlib, json, sys
    names = json.loads(sys.argv[1])
    unimportable = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            parent, _, child = name.rpartition(".")
            if not (parent in sys.modules and hasattr(sys.modules[parent], child)):  # `from m import function`
                unimportable.append(f"{name}: {exc}")
    print(json.dumps({"modules": sorted(sys.modules), "unimportable": unimportable}))
""")


@pytest.mark.slow
def test_a_kernel_imports_nothing_of_the_grader():
    """What the release notebooks' instructor cells import, and the kernel itself, loads no autograder or nbgrader."""
    assert RELEASES, "no release notebooks under course/"
    names = [*warm.PRELOAD, *preload_modules([read_notebook(p) for p in RELEASES])]
    assert "keras_patterns.session" in names  # every chapter's set-up cell
    done = subprocess.run([sys.executable, "-c", KERNEL_IMPORTS, json.dumps(names)], cwd="/", capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["unimportable"], report["unimportable"]
    loaded = report["modules"]
    assert "keras_patterns.session" in loaded and "keras" in loaded  # it really imported the course
    grader = [m for m in loaded if m.split(".")[0] in GRADING_TOPS]
    assert not grader, f"a kernel would load {grader[:10]}"


@pytest.mark.parametrize("name, source", [("warm.SERVER_SOURCE", warm.SERVER_SOURCE),
                                          ("bwrap.LAUNCHER_SOURCE", bwrap.LAUNCHER_SOURCE),
                                          ("guard.GUARD_SOURCE", guard.GUARD_SOURCE)])
def test_code_run_inside_the_sandbox_imports_nothing_of_the_grader(name, source):
    """The warm-kernel server, the launcher and the guard run as code strings inside the sandbox, where
    `autograder/` is not visible: they must use nothing of it."""
    names = imported_names(source, "__main__")
    assert names, f"{name}: no imports found (not parsed?)"
    assert not [n for n in names if n.split(".")[0] in GRADING_TOPS], (name, sorted(names))


def test_kernels_read_keras_patterns_but_not_the_grader():
    """The sandbox shows the installed `keras_patterns` read-only, and neither `autograder/` nor `solutions/`."""
    paths = [Path(p).resolve() for p in bwrap.read_only_paths(REPO)]
    package = (REPO / "keras_patterns").resolve()
    assert package in bwrap.package_dirs()
    assert any(p == package or p in package.parents for p in paths), paths
    for hidden in ("autograder", "solutions", "course"):
        folder = (REPO / hidden).resolve()
        assert not any(p == folder or p in folder.parents for p in paths), f"{hidden}/ is visible to kernels: {paths}"


@pytest.mark.skipif(bwrap.bwrap_problem() is not None, reason=f"bubblewrap unusable here: {bwrap.bwrap_problem()}")
def test_inside_the_sandbox_keras_patterns_imports_and_autograder_does_not(tmp_path):
    """In a kernel's sandbox the library imports (from its read-only installation) and the grader cannot."""
    uid = None if os.geteuid() else bwrap.sandbox_uid()
    scratch = bwrap.prepare_scratch(tmp_path / "scratch", uid)
    box = bwrap.Sandbox(scratch, [str(p) for p in bwrap.read_only_paths(REPO)], bwrap.Limits(memory_mb=2048), uid)
    code = ("import importlib.util, json, keras_patterns.session\n"
            "print(json.dumps([keras_patterns.session.__file__, importlib.util.find_spec('autograder') is None,"
            " importlib.util.find_spec('nbgrader') is not None]))\n")
    done = subprocess.run(box.command([sys.executable, "-c", code]), env=box.environment(dict(os.environ)),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    session_file, no_autograder, nbgrader_installed = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(session_file).resolve() == (REPO / "keras_patterns" / "session.py").resolve()
    assert no_autograder, "a kernel can import autograder"
    assert nbgrader_installed  # nbgrader is installed (the environment is shared): only autograder/ is hidden
