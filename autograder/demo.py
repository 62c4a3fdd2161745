"""`kp run` and `kp demo`: execute chapters' solution notebooks, and the course's results table.

A chapter's solution notebook runs with papermill in a kernel of this
environment, at a profile (`KP_PROFILE`) and a Keras backend, with the quiet
environment of `keras_patterns.session`. It writes
`build/executed/<chapter>.ipynb`, and the notebook writes its own results
record `build/results/<chapter>.json` (checked here: a notebook that ran but
saved no record is a failure). `table_rows` turns records into the rows of
the table `kp` prints and `write_summary` writes to `summary.md`.

This is the part of `kp` that does not grade; it lives in `autograder`
because `kp` does, and it imports nothing of the grading modules.

Used by `autograder.cli`.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import time
from pathlib import Path

from autograder.environment import patched_environ
from autograder.tables import format_number
from keras_patterns.session import quiet_environment

#: Extra kernel arguments for `kp run`: no history file, no ipykernel start-up warnings.
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]


def relative(path, root):
    """`path` relative to the course root when it is inside it (what `kp` prints), else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def check_backend(backend):
    """Refuse (RuntimeError, saying how to install it) a Keras backend this environment lacks."""
    name = backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(name)
    if module and importlib.util.find_spec(module) is None:
        how = {"tensorflow": "pip install -e '.[cpu]'", "jax": "pip install -e '.[jax]'", "torch": "pip install torch"}
        raise RuntimeError(
            f"the {name} backend is not installed in this environment ({how[name]}, or choose another with --backend)"
        )


def _cell_label(nb_path, cell_index):
    """'cell 7 (train_model: def train(...)' for an error report: index, grade id, first line."""
    import nbformat

    label = f"cell {cell_index}"
    try:
        cell = nbformat.read(str(nb_path), as_version=4).cells[cell_index]
    except Exception:  # noqa: BLE001 - the label is informative only
        return label
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
    first = first if len(first) <= 60 else first[:57] + "..."
    inside = ": ".join(part for part in (gid, first) if part)
    return f"{label} ({inside})" if inside else label


def run_chapter(chapter, root, profile, backend=None, position=None):
    """Execute a chapter's solution notebook with papermill; return (ok, message, seconds).

    Writes `build/executed/<chapter>.ipynb`; the notebook writes
    `build/results/<chapter>.json` itself, and this checks that it did.
    `position` (`(i, n)`, from `kp demo`) puts the chapter's place in the
    run into its header line.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    root = Path(root)
    executed = root / "build" / "executed" / f"{chapter.id}.ipynb"
    results_dir = root / "build" / "results"
    record = results_dir / f"{chapter.id}.json"
    executed.parent.mkdir(parents=True, exist_ok=True)
    results_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in quiet_environment({}).items() if key not in os.environ}
    env.update({"KP_PROFILE": profile, "KP_RESULTS_DIR": str(results_dir), "JUPYTER_PREFER_ENV_PATH": "1"})
    if backend:
        env["KERAS_BACKEND"] = backend
    shown = os.environ.get("KERAS_BACKEND", "tensorflow") if not backend else backend
    place = f"[{position[0]}/{position[1]}] " if position else ""
    print(f"== {place}{chapter.id}: profile {profile}, backend {shown}", flush=True)
    started_wall, started = time.time(), time.perf_counter()
    where = relative(executed, root)
    try:
        with patched_environ(env):
            pm.execute_notebook(
                str(chapter.solution_notebook),
                str(executed),
                kernel_name="python3",
                progress_bar=True,
                cwd=str(chapter.solution_dir),
                start_timeout=120,
                extra_arguments=KERNEL_ARGUMENTS,
            )
    except PapermillExecutionError as exc:
        seconds = time.perf_counter() - started
        return (
            False,
            f"{chapter.id}: {_cell_label(chapter.solution_notebook, exc.cell_index)} raised "
            f"{exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}\n"
            f"  the executed notebook (with the traceback) is {where}",
            seconds,
        )
    except Exception as exc:  # noqa: BLE001 - a dead kernel, a missing kernel: report and go on
        seconds = time.perf_counter() - started
        return False, f"{chapter.id}: execution failed: {type(exc).__name__}: {exc}\n  see {where}", seconds
    seconds = time.perf_counter() - started
    if not record.is_file() or record.stat().st_mtime < started_wall - 1:
        return (
            False,
            f"{chapter.id}: the notebook ran but did not write {relative(record, root)} "
            "(its last cells must call ResultsRecord(...).save())",
            seconds,
        )
    return True, f"{chapter.id}: wrote {where} and {relative(record, root)} in {seconds:.1f} s", seconds


def table_rows(records, failures=()):
    """Rows (chapter, metric, value, limit, gap, claims, device, wall s) for the course table."""
    rows = []
    for rec in records:
        head = rec.get("headline") or {}
        metric, limit = head.get("metric"), head.get("limit")
        value = rec["metrics"].get(metric) if metric else None
        limit_value = {**rec["metrics"], **rec["limits"]}.get(limit) if limit else None
        gap = value - limit_value if value is not None and limit_value is not None else None
        claims = "; ".join(f"{c['id']}: {c['verdict']}" for c in rec.get("claims", [])) or "-"
        rows.append(
            [
                rec["chapter"],
                metric or "-",
                format_number(value),
                f"{limit} = {format_number(limit_value)}" if limit else "-",
                format_number(gap, signed=True),
                claims,
                rec.get("device", "-"),
                format_number(rec.get("wall_seconds")),
            ]
        )
    for chapter, message in failures:
        reason = message.splitlines()[0].removeprefix(f"{chapter}: ")
        rows.append([chapter, "FAILED", "-", "-", "-", reason, "-", "-"])
    return rows


TABLE_HEADERS = ["chapter", "headline metric", "value", "limit / baseline", "gap", "claims", "device", "wall s"]


def write_summary(path, rows, profile, backend):
    def cell(text):
        return str(text).replace("|", "\\|")

    lines = [
        "# keras-patterns: course results",
        "",
        f"Written by `kp demo` on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; "
        f"profile `{profile}`, backend `{backend}`. The gap is the value minus the limit or baseline.",
        "",
        "| " + " | ".join(TABLE_HEADERS) + " |",
        "|" + "|".join("---" for _ in TABLE_HEADERS) + "|",
    ]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

