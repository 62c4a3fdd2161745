"""Screen a submission's answer cells, outside any kernel, for shortcuts that would earn unearned points.

A graded step's tests run in the same kernel as the student's answer, and the
course package (which the tests and the lecture need) ships a reference
implementation of every graded step: `oracles.hmm.forward_filter`,
`random_walks.mixing_time`, `taggers.build_bidirectional_tagger`, ... An
answer that calls it passes every test without doing the step. Neither the
sandbox nor the integrity guard sees that: nothing the grader relies on was
changed. Other shortcuts need no library at all: an answer can read the
test's own expected values from the notebook's namespace
(`get_ipython().user_ns`, `sys._getframe().f_back`, `import __main__`), or
return an object that compares equal to anything (a class with `__eq__` or
`__sub__`, `unittest.mock.ANY`).

`screen` reads the source of each answer cell (with `ast`, before the
notebook runs: the student's code cannot change the verdict) and reports,
per answer cell, what it found:

- a reference implementation named in `autograder/screen.json` for the
  chapter, reached as an attribute (`rw.mixing_time`), imported by name
  (`from keras_patterns.random_walks import mixing_time`) or by name
  (`getattr(rw, "mixing_time")`);
- the notebook's namespace or the caller's frames (`get_ipython`, `user_ns`,
  `_getframe`, `f_back`, `f_globals`, `f_locals`, `globals()`, `inspect`,
  `__main__`, `sys.modules`, `gc`);
- objects that lie to comparisons: a class defining comparison, arithmetic,
  conversion or NumPy-dispatch methods, `type(name, bases, dict)`, or
  `unittest.mock`;
- code built at run time (`exec`, `eval`, `compile`, `__import__`,
  `importlib`, `builtins`, `ctypes`).

No graded step needs any of these. The grader gives 0 to the test cells of a
flagged step (the test cells between that answer cell and the next one) and
says why in the CSV's `notes` and on the feedback page; an instructor can
regrade by hand a false alarm. A determined student can still hide a call
(building names from pieces, copying the library's code): this screen stops
the shortcuts that need no effort, and says so in `autograder/README.md`.

Used by `autograder.grader.Grader`.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from autograder.notebooks import grade_id, is_solution_cell, is_test_cell

#: Names that reach the notebook's namespace or the caller's frames.
INTROSPECTION = {
    "get_ipython", "user_ns", "user_global_ns", "_getframe", "f_back", "f_globals", "f_locals", "f_code",
    "globals", "currentframe", "__main__", "get_referrers", "get_objects", "_current_frames", "settrace",
    "setprofile",
}

#: Calls whose string arguments name attributes (`getattr(rw, "mixing_time")`).
BY_NAME_CALLS = {"getattr", "setattr", "hasattr", "delattr", "attrgetter", "methodcaller"}

#: Modules no answer imports.
FORBIDDEN_MODULES = {
    "inspect": "the caller's frames",
    "gc": "the interpreter's objects",
    "__main__": "the notebook's namespace",
    "builtins": "the builtins",
    "ctypes": "raw memory",
    "importlib": "code loaded at run time",
    "unittest.mock": "objects that equal anything",
    "unittest": "objects that equal anything",
    "mock": "objects that equal anything",
}

#: Methods that let an object lie to a test's comparison.
LYING_METHODS = {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__",
    "__sub__", "__rsub__", "__add__", "__radd__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
    "__abs__", "__neg__", "__pos__", "__float__", "__int__", "__index__", "__round__", "__hash__",
    "__array__", "__array_ufunc__", "__array_function__", "__array_priority__", "__array_wrap__",
    "__array_finalize__", "__instancecheck__", "__subclasscheck__", "__getattr__", "__getattribute__",
    "__class__", "__contains__", "__getitem__", "__iter__",
}

#: Calls that build and run code at run time.
DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__"}

SCREEN_FILE = Path("autograder") / "screen.json"


def load_references(root, chapter_id):
    """The reference implementations an answer of `chapter_id` may not use (from `autograder/screen.json`)."""
    path = Path(root) / SCREEN_FILE
    if not path.is_file():
        return set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); fix it or delete it") from None
    names = data.get(chapter_id, [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{path}: {chapter_id!r} must map to a list of function names")
    return set(names)


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def screen_source(source, references=()):
    """What one answer cell's `source` does that no answer needs: a sorted list of short reasons."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # it will fail its tests on its own; IPython magics land here too
    references = set(references)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in references:
                found.add(f"uses the course's reference implementation `{_dotted(node) or node.attr}`")
            if node.attr in INTROSPECTION:
                found.add(f"reads the notebook's namespace or frames (`{node.attr}`)")
            if node.attr == "modules" and _dotted(node) == "sys.modules":
                found.add("reads the notebook's namespace or frames (`sys.modules`)")
        elif isinstance(node, ast.Name):
            if node.id in INTROSPECTION and isinstance(node.ctx, ast.Load):
                found.add(f"reads the notebook's namespace or frames (`{node.id}`)")
            if node.id in DYNAMIC_CALLS and isinstance(node.ctx, ast.Load):
                found.add(f"builds or changes code at run time (`{node.id}`)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                for bad, why in FORBIDDEN_MODULES.items():
                    if module == bad or module.startswith(bad + "."):
                        found.add(f"imports `{module}` ({why})")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in references:
                        found.add(f"uses the course's reference implementation `{node.module}.{alias.name}`")
                    if alias.name in INTROSPECTION or alias.name in ("ANY", "_getframe"):
                        found.add(f"imports `{alias.name}` from `{node.module}`")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in LYING_METHODS:
                found.add(f"defines `{node.name}`, which lets a result lie to the tests' comparisons")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in LYING_METHODS:
                    found.add(f"defines `{target.id}`, which lets a result lie to the tests' comparisons")
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "type" and len(node.args) == 3:
                found.add("creates a class at run time (`type(name, bases, dict)`)")
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if func in BY_NAME_CALLS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        if arg.value in references:
                            found.add(f"uses the course's reference implementation `{arg.value}` (by name)")
                        elif arg.value in LYING_METHODS or arg.value in INTROSPECTION:
                            found.add(f"reaches `{arg.value}` by name")
    return sorted(found)


def screen(nb, solution_cell_ids, references=()):
    """{grade id of an answer cell: [reasons]} for the answer cells of notebook `nb` that the screen flags.

    Args:
        nb: the submission (after `sanitise_submission`: grade ids and cell types are the release's).
        solution_cell_ids: the grade ids of the chapter's answer (solution) cells.
        references: names of the course's reference implementations (`load_references`).
    """
    wanted = set(solution_cell_ids)
    flagged = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.cell_type != "code" or gid not in wanted:
            continue
        reasons = screen_source(cell.source, references)
        if reasons:
            flagged[gid] = reasons
    return flagged


def tests_of_answers(release):
    """{answer cell grade id: [the test cells after it, up to the next answer cell]} in notebook order."""
    mapping, current = {}, None
    for cell in release.cells:
        gid = grade_id(cell)
        if not gid:
            continue
        if is_solution_cell(cell) and cell.cell_type == "code":
            current = gid
            mapping[current] = []
        elif is_test_cell(cell) and current is not None:
            mapping[current].append(gid)
    return mapping
