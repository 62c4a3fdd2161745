"""The integrity guard: fingerprints of what the tests rely on, taken in the kernel and compared outside it.

A student's code runs in the same kernel as the tests that judge it, so it
can change anything the tests call. `GUARD_SOURCE` is a grader cell that
`SandboxedExecute` runs before the student's first cell and after every test
cell; it reports the identities (and, for Python functions, a hash of the
code) of every builtin, the public objects of numpy, numpy.testing and
numpy.linalg, the interpreter's and IPython's hooks, ipykernel's reply path,
and the functions of every loaded `keras_patterns` module.
`check_guard_reports`, outside the kernel, requires every later report to
equal the first, allows new hooks only when their code is installed
(read-only) code, and compiles the installed `keras_patterns` files itself
(`module_code_signatures`) to check that no course function was replaced.
What this does not catch is listed in `autograder/README.md`.

Used by `autograder.sandbox.execute`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import types
from pathlib import Path

from autograder.sandbox.bwrap import package_dirs, python_paths

#: The mime type of the integrity guard's reports.
GUARD_MIME = "application/x-kp-guard+json"

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

def guard_payload(cell):
    """The report of one executed guard cell; `{"error": [...]}` when it wrote none (it failed or was stopped)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "display_data" and GUARD_MIME in output.get("data", {}):
            data = output["data"][GUARD_MIME]
            return json.loads(data) if isinstance(data, str) else data
    return {"error": [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"] or ["no report"]}


def module_code_signatures(path):
    """{qualified name: code signature} of every function defined in the Python file `path`,
    compiled here, outside any kernel (the same signature as the guard's `code_sig`)."""
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
            if not file or not file.endswith(".py") or not os.path.isfile(file) or not _inside(file, package_dirs()):
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
