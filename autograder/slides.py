"""`kp slides CH`: a reveal.js lecture deck of a chapter's executed solution.

The deck is nbconvert's slides exporter on the executed notebook (the student
deck: the release with the solution's outputs, as on the student site), with
slide metadata added here from the kinds of cells, so that no solution
notebook is edited (their bytes are hashed by the mutation reports). The rules
make a lecture flow: the textbook chapter's idea, the figure, the few lines of
the pattern, the result against its limit, the verdict:

* a markdown cell with a `#` or `##` heading starts a slide; any other
  markdown cell is a sub-slide under it;
* an answer cell is a sub-slide: its code (the pattern's lines) in the
  instructor deck, the released stub in the student deck;
* a code cell that draws a figure, or prints a result against its limit or a
  verdict, is a sub-slide showing its output only;
* every other cell (parameters, set-up, tests, helpers) is left out.

reveal.js and MathJax are copied beside the deck (`build/slides/_static/`):
nothing is fetched from a CDN.

Used by `autograder.cli` (`kp slides`).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from autograder.notebooks import is_solution_cell, is_test_cell, read_notebook
from autograder.site import (MATHJAX_CONFIG, QUIET_LOG, TEMPLATES, check_audience, copy_assets, executed_notebook,
                             notebook_profile, render_linked_cards, student_notebook)

HIDE_INPUT = "kp-hide-input"
#: A code cell whose source says this shows a result against its limit or a verdict.
_RESULT = re.compile(r"\bverdict\(|\.claim\(|\blimit|\bbayes|\boracle|\bgap\b", re.I)


def _has_figure(cell):
    return any("image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
               for out in cell.get("outputs", []))


def _has_output(cell):
    return any(out.get("output_type") in ("stream", "execute_result", "display_data") for out in cell.get("outputs", []))


def slide_kind(cell, audience):
    """The reveal.js slide type of a cell ("slide", "subslide" or "skip") and whether its input is hidden."""
    if cell.cell_type == "markdown":
        first = next((line for line in cell.source.splitlines() if line.strip()), "")
        return ("slide" if re.match(r"#{1,2} ", first) else "subslide"), False
    if cell.cell_type != "code" or is_test_cell(cell):
        return "skip", False
    if is_solution_cell(cell):
        return "subslide", False
    if _has_figure(cell):
        return "subslide", True
    if _has_output(cell) and _RESULT.search(cell.source):
        return "subslide", True
    return "skip", False


def tag_for_lecture(nb, audience):
    """A copy of `nb` with `slideshow` metadata (and hide-input tags) set by `slide_kind`."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        kind, hide = slide_kind(cell, audience)
        cell.metadata["slideshow"] = {"slide_type": kind}
        tags = [t for t in cell.metadata.get("tags", []) if t != HIDE_INPUT]
        cell.metadata["tags"] = tags + [HIDE_INPUT] if hide else tags
        if is_solution_cell(cell) and cell.cell_type == "code":
            cell.outputs = []
    return nb


def build_slides(root, chapter, audience="instructor", out=None, profile="smoke", progress=print):
    """Write the deck of `chapter` for `audience` into `out` (default `build/slides/`); return the HTML path."""
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    check_audience(audience)
    root = Path(root)
    out = Path(out) if out is not None else root / "build" / "slides"
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out, reveal=True)
    path, _ = executed_notebook(chapter, root, profile, progress)
    ran = read_notebook(path)
    nb = student_notebook(read_notebook(chapter.release_notebook), ran) if audience == "student" else ran
    nb = tag_for_lecture(nb, audience)
    nb.metadata["title"] = f"{chapter.id} ({audience}, outputs at profile {notebook_profile(ran) or 'unknown'})"
    config = Config()
    config.TagRemovePreprocessor.remove_input_tags = {HIDE_INPUT}
    config.TagRemovePreprocessor.enabled = True
    exporter = SlidesExporter(config=config, template_name="kp_slides", extra_template_basedirs=[str(TEMPLATES)])
    exporter.log = QUIET_LOG
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    exporter.reveal_url_prefix = "_static/reveal.js"
    exporter.reveal_theme = "white"  # its fonts are in the package; "simple" imports Google Fonts
    exporter.mathjax_url = f"_static/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    deck = out / f"{chapter.id}.{audience}.slides.html"
    deck.write_text(body, encoding="utf-8")
    render_linked_cards(out, root)  # the data cards the deck links to, as pages beside it
    progress(f"{chapter.id}: wrote {deck} ({sum(1 for c in nb.cells if c.metadata['slideshow']['slide_type'] != 'skip')} slides)")
    return deck
