"""Feedback pages: nbgrader's, without the hidden tests, and the grader's own short ones.

nbgrader's `generate_feedback` shows the autograded notebook, and the
autograder has put the hidden tests back into its test cells; without
`RedactHiddenTests` (named in `autograder/nbgrader_config.py`) every student
would read them. A submission that was screened gets a banner saying why
(`add_feedback_banner`); one that could not be graded gets a page of its own
(`write_failure_feedback`). `leaked_hidden_lines` is the self-test's check
that no page shows a hidden line.

Used by `autograder/nbgrader_config.py`, `autograder.grader`,
`autograder.selftest` and `kp grade`.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from autograder.grades import format_points
from autograder.notebooks import hidden_lines, strip_hidden

try:
    from nbgrader.preprocessors import NbGraderPreprocessor as _PreprocessorBase
except ImportError:  # pragma: no cover - nbgrader is a dependency
    _PreprocessorBase = object


class RedactHiddenTests(_PreprocessorBase):
    """Feedback preprocessor: drop hidden-test regions and the tracebacks that would quote them.

    nbgrader's `generate_feedback` shows the autograded notebook, whose test
    cells hold the hidden tests again (the autograder restores them). This
    removes the regions and, in those cells, replaces an error's traceback by
    its last line (the assertion message, written for students).
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if "BEGIN HIDDEN TESTS" not in cell.source:
            return cell, resources
        cell.source = strip_hidden(cell.source).rstrip()
        # Only the errors stay: anything else printed while hidden tests ran could quote them.
        cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                output.traceback = [message, "(traceback hidden: this cell holds hidden tests)"]
        return cell, resources


def add_feedback_banner(path, text):
    """Put a notice at the top of a feedback page (why some tests were set to 0)."""
    path = Path(path)
    page = path.read_text(encoding="utf-8")
    notice = (f"<div style='border:2px solid #c00;padding:0.8em;margin:1em;background:#fff4f4'>"
              f"<strong>Screened:</strong> {html.escape(text)}</div>")
    match = re.search(r"<body[^>]*>", page)
    page = page[: match.end()] + notice + page[match.end():] if match else notice + page
    try:
        os.chmod(path, 0o644)  # nbgrader writes feedback read-only
    except OSError:
        pass
    path.write_text(page, encoding="utf-8")


def write_failure_feedback(result, path):
    """A small feedback page for a submission that could not be graded."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>"
        f"{html.escape(result.chapter)}</title></head><body>\n"
        f"<h1>{html.escape(result.chapter)}: not graded</h1>\n"
        f"<p>Score: 0 / {format_points(result.max_score)}</p>\n"
        f"<p>Why: {html.escape(result.error)}</p>\n</body></html>\n",
        encoding="utf-8",
    )
    return path


def leaked_hidden_lines(feedback_html, source_nb, release_nb):
    """Hidden-test lines of `source_nb` that can be read in a feedback page."""
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback_html))
    visible = set()
    for cell in release_nb.cells:
        visible.update(line.strip() for line in cell.source.split("\n"))
    leaked = []
    for cell in source_nb.cells:
        for line in hidden_lines(cell.source):
            line = line.strip()
            if len(line) >= 12 and not line.startswith("#") and line not in visible and line in text:
                leaked.append(line)
    return leaked
