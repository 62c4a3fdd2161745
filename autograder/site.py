"""`kp site`: the course as static web pages, for students or for instructors.

Each chapter page is one notebook rendered with nbconvert's JupyterLab
template (figures are embedded PNGs, math is typeset by a MathJax served from
the site, nothing is fetched from a CDN):

* **student** (`build/site/`): the release `course/CH/CH.ipynb` (stubs, no
  solution code, no hidden test), with the outputs of the executed solution
  copied into every cell that is neither an answer nor a test cell; answer and
  test cells are shown as released, without outputs;
* **instructor** (`build/site-instructor/`): the executed solution as it ran,
  with each chapter's measured claims from `results/CH.json`.

Both have an index: the results table of `kp demo` (from the committed
records `results/CH.json`), the pattern map (pattern EN · 中文 -> chapter ->
library modules) and a glossary EN · 中文 collected from the chapters'
opening cells. Chapters come from `autograder.chapters.list_chapters`, so a
new chapter lands on the site without touching this module.

Executed notebooks come from `build/executed/CH.ipynb` (what `kp run` and
`kp demo` write) when that file is newer than the solution notebook; else the
chapter is executed at `profile` first. Every page says which profile its
outputs come from.

MathJax 2 and reveal.js are npm packages installed by `make site-assets`
into `$(VENV)/share/kp-site/node_modules` (or `$KP_SITE_ASSETS`); building
never downloads anything.

Used by `autograder.cli` (`kp site`) and `autograder.slides`.
"""

from __future__ import annotations

import copy
import dataclasses
import html
import logging
import os
import re
import shutil
import sys
import time
from pathlib import Path

from autograder.chapters import list_chapters
from autograder.demo import TABLE_HEADERS, relative, run_chapter, table_rows
from autograder.notebooks import is_solution_cell, is_test_cell, read_notebook

AUDIENCES = ("student", "instructor")
#: Pinned npm packages the pages load (installed by `make site-assets`).
ASSET_VERSIONS = {"mathjax": "2.7.9", "reveal.js": "4.6.1"}
TEMPLATES = Path(__file__).resolve().parent / "site_templates"
#: MathJax 2's combined configuration: TeX in, CommonHTML out (woff fonts), the Safe extension.
MATHJAX_CONFIG = "TeX-AMS_CHTML-full,Safe"
#: Parts of the MathJax package a CommonHTML page never loads (paths inside it; the site would be 70 MiB with them).
MATHJAX_UNUSED = ("unpacked", "test", *(f"fonts/HTML-CSS/{f}" for f in ("Asana-Math", "Gyre-Pagella", "Gyre-Termes",
                  "Latin-Modern", "Neo-Euler", "STIX-Web", "TeX/eot", "TeX/otf", "TeX/svg")), "jax/output/SVG", "jax/output/HTML-CSS", "jax/output/NativeMML",
                  "jax/output/PreviewHTML", "jax/output/PlainSource", "localization")
_PROFILE_LINE = re.compile(r"profile=(smoke|default|full)\b")
#: An English term and its Chinese as the opening cells write them: "many-to-one (多对一)" or "mixing time · 混合时间".
_TERM = re.compile(r"([A-Za-z0-9][A-Za-z0-9\- ]{1,60}?)\s*(?:\(([^()]*?[\u4e00-\u9fff][^()]*?)\)"
                   r"|（([^（）]*?[\u4e00-\u9fff][^（）]*?)）|·\s*([\u4e00-\u9fff][\u4e00-\u9fff\- ]*[\u4e00-\u9fff]|[\u4e00-\u9fff]))")
_CJK = re.compile(r"[\u4e00-\u9fff]")
FILLER = {"a", "an", "the", "and", "or", "of", "against", "vs", "with", "through", "by", "from", "on", "in",
          "to", "is", "are", "read", "its", "their", "as"}
COMMON_MODULES = ("keras_patterns", "keras_patterns.session", "keras_patterns.results")


#: nbconvert's logger for the pages: its one warning (figures have no alt text) is about every notebook here.
QUIET_LOG = logging.getLogger("autograder.site.nbconvert")
QUIET_LOG.setLevel(logging.ERROR)


class SiteError(RuntimeError):
    """Something the site needs is missing (the message says how to get it)."""


def site_dir(root, audience):
    """Where the site of `audience` is written: `build/site/` (student) or `build/site-instructor/`."""
    check_audience(audience)
    return Path(root) / "build" / ("site" if audience == "student" else "site-instructor")


def check_audience(audience):
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}; got {audience!r}")
    return audience


def assets_dir():
    """The folder holding the npm packages `mathjax` and `reveal.js` (SiteError if they are not installed)."""
    given = os.environ.get("KP_SITE_ASSETS")
    folder = Path(given) if given else Path(sys.prefix) / "share" / "kp-site" / "node_modules"
    missing = [name for name in ASSET_VERSIONS if not (folder / name / "package.json").is_file()]
    if missing:
        pins = " ".join(f"{name}@{version}" for name, version in ASSET_VERSIONS.items())
        raise SiteError(
            f"the site's scripts ({', '.join(missing)}) are not installed in {folder}: run `make site-assets` "
            f"(npm install {pins} there), or point $KP_SITE_ASSETS at a node_modules folder holding them"
        )
    return folder


def _skip(top, unused):
    """A copytree `ignore` leaving out the paths `unused` (relative to `top`)."""
    unused = {Path(top) / u for u in unused}
    return lambda folder, names: [n for n in names if Path(folder) / n in unused]


def copy_assets(dest, reveal=False):
    """Copy MathJax (and reveal.js) into `dest/_static/`; return that folder."""
    source = assets_dir()
    static = Path(dest) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    if not (static / "mathjax" / "MathJax.js").is_file():
        shutil.copytree(source / "mathjax", static / "mathjax", ignore=_skip(source / "mathjax", MATHJAX_UNUSED),
                        dirs_exist_ok=True)
    if reveal and not (static / "reveal.js" / "dist" / "reveal.js").is_file():
        shutil.copytree(source / "reveal.js", static / "reveal.js",
                        ignore=shutil.ignore_patterns("*.map", "*.md", "demo.html", "index.html", "js", "css", "test"),
                        dirs_exist_ok=True)
    shutil.copyfile(TEMPLATES / "site.css", static / "site.css")
    return static


# ------------------------------------------------------------------------------------------
# The notebooks a page is made of


def notebook_profile(nb):
    """The profile an executed chapter ran at, read from the set-up cell's `profile=...` line (None if absent)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            found = _PROFILE_LINE.search(text)
            if found:
                return found.group(1)
    return None


def is_fresh(executed, source):
    """Whether `executed` exists, is newer than `source` and ran to its end (papermill recorded no exception)."""
    executed = Path(executed)
    if not executed.is_file() or executed.stat().st_mtime <= Path(source).stat().st_mtime:
        return False
    try:
        return not read_notebook(executed).metadata.get("papermill", {}).get("exception")
    except Exception:  # noqa: BLE001 - an unreadable notebook is not fresh: execute again
        return False


def executed_notebook(chapter, root, profile="smoke", progress=print):
    """(path, reused) of the chapter's executed solution, executing it at `profile` unless a fresh one exists.

    Fresh: see `is_fresh` (newer than `solutions/CH/CH.ipynb`, and it ran to its end).
    Raises SiteError when the execution fails.
    """
    path = Path(root) / "build" / "executed" / f"{chapter.id}.ipynb"
    if is_fresh(path, chapter.solution_notebook):
        return path, True
    progress(f"{chapter.id}: {relative(path, root)} is missing or older than its source; executing at {profile}")
    ok, message, _ = run_chapter(chapter, root, profile)
    if not ok:
        raise SiteError(message)
    return path, False


def student_notebook(release, executed):
    """The release with the executed solution's outputs in every cell that is neither an answer nor a test.

    The two notebooks must have the same cells in the same order (nbgrader keeps
    them: it rewrites answer cells and strips hidden tests, it deletes no cell).
    Raises SiteError when they do not line up (the release is stale: run `kp release`).
    """
    page = copy.deepcopy(release)
    if len(release.cells) != len(executed.cells):
        raise SiteError(
            f"the release has {len(release.cells)} cells and the executed solution {len(executed.cells)}: "
            "course/ is stale, run `kp release`"
        )
    for i, (cell, ran) in enumerate(zip(page.cells, executed.cells)):
        if cell.cell_type != ran.cell_type or (not is_solution_cell(cell) and not is_test_cell(cell)
                                                and cell.source != ran.source):
            raise SiteError(f"cell {i} of the release differs from the executed solution's: run `kp release`")
        if cell.cell_type != "code":
            continue
        if is_solution_cell(cell) or is_test_cell(cell):
            cell.outputs, cell.execution_count = [], None
        else:
            cell.outputs, cell.execution_count = copy.deepcopy(ran.outputs), ran.execution_count
    return page


def instructor_notebook(executed):
    return copy.deepcopy(executed)


# ------------------------------------------------------------------------------------------
# The index: results, pattern map, glossary


def chapter_title(nb, fallback):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
            break
    return fallback


def opening_cell(nb):
    return next((cell.source for cell in nb.cells if cell.cell_type == "markdown"), "")


def pattern_terms(text):
    """[(english, chinese)] of the terms in a text, in order, without repeats (English compared case-blind)."""
    found, seen = [], set()
    for line in text.splitlines():
        if line.lstrip().startswith(">"):  # the textbook's quotation is Chinese prose, not terms
            continue
        for match in _TERM.finditer(line):
            # The term: at most the last four words before its Chinese, after the last filler word.
            words = match.group(1).strip(" -").split()[-4:]
            cut = max((i + 1 for i, word in enumerate(words) if word.lower() in FILLER), default=0)
            english = " ".join(words[cut:])
            if len(english) < 3 or english.lower() in seen:
                continue
            seen.add(english.lower())
            found.append((english, next(g for g in match.groups()[1:] if g).strip()))
    return found


def pattern_line(text):
    """The opening cell's `**Pattern:**` line (up to the next ` · **`), as plain text."""
    found = re.search(r"\*\*Pattern:\*\*(.*?)(?:·\s*\*\*|\n\n|$)", text, flags=re.S)
    return " ".join(found.group(1).split()).strip(" ·") if found else ""


def library_modules(nb, root):
    """The `keras_patterns` modules the notebook imports, e.g. ['keras_patterns.data.graphs', ...].

    `from keras_patterns.data import graphs` names the module `keras_patterns.data.graphs` (a file or
    package of that name exists); `from keras_patterns.training import fit_classifier` names
    `keras_patterns.training`. The session and results helpers every chapter uses are left out.
    """
    modules = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"\s*from (keras_patterns(?:\.\w+)*) import \(?([\w ,]+)", line)
            names = []
            if m:
                folder = Path(root).joinpath(*m.group(1).split("."))
                for name in m.group(2).split(","):
                    name = name.split(" as ")[0].strip()
                    is_module = (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()
                    names.append(f"{m.group(1)}.{name}" if name and is_module else m.group(1))
            m = re.match(r"\s*import (keras_patterns\.[\w.]+)", line)
            if m:
                names.append(m.group(1))
            for name in names:
                if name not in modules and name not in COMMON_MODULES:
                    modules.append(name)
    return modules


def course_map(root):
    """[(number, problem, section, pattern)] from CHAPTER_CONTRACT.md's course map table."""
    path = Path(root) / "CHAPTER_CONTRACT.md"
    rows = []
    if not path.is_file():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*(\d{2})\s*\|\s*(\d+)\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*$", line)
        if m:
            rows.append((int(m.group(1)), m.group(2), m.group(3), m.group(4)))
    return rows


def load_records(root, chapters):
    """{chapter id: record} of the committed results records `results/CH.json` that exist."""
    from keras_patterns.results import load_results

    records = {}
    for chapter in chapters:
        path = Path(root) / "results" / f"{chapter.id}.json"
        if path.is_file():
            records[chapter.id] = load_results(path)
    return records


def _table(headers, rows, cls="kp-table"):
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _nav(pages, current, prefix=""):
    links = [f'<a href="{prefix}index.html"{" class=current" if current == "index" else ""}>Index</a>']
    for chapter_id, title in pages:
        cls = " class=current" if chapter_id == current else ""
        links.append(f'<a href="{prefix}{chapter_id}.html"{cls} title="{html.escape(title)}">{chapter_id[:4]}</a>')
    return '<nav class="kp-nav">' + " ".join(links) + "</nav>"


def _banner(audience, profile, reused):
    what = ("Student edition: the release with the solution's outputs; answer and test cells are shown as you get them."
            if audience == "student" else "Instructor edition: the executed solution, hidden tests included.")
    outputs = f"Outputs from a run at profile <code>{profile or 'unknown'}</code>"
    if profile == "smoke":
        outputs += " (smoke: the numbers only prove the code runs; every verdict is inconclusive)"
    outputs += "." if reused else ", executed for this build."
    return f'<div class="kp-banner"><p>{what} {outputs}</p></div>'


def claims_html(record):
    if not record or not record.get("claims"):
        return "<p>No results record for this chapter yet.</p>"
    rows = []
    for claim in record["claims"]:
        measured = ", ".join(f"{k} = {_fmt(v)}" for k, v in (claim.get("measured") or {}).items()) \
            if isinstance(claim.get("measured"), dict) else _fmt(claim.get("measured"))
        rows.append([html.escape(claim["id"]), html.escape(claim["statement"]), html.escape(measured),
                     f'<span class="verdict">{html.escape(claim["verdict"])}</span>'])
    note = (f"<p>From <code>results/{html.escape(record['chapter'])}.json</code>: profile "
            f"<code>{html.escape(record['profile'])}</code>, seeds {html.escape(str(record['seeds']))}, "
            f"{html.escape(str(record['device']))}.</p>")
    return note + _table(["claim", "the textbook chapter says", "measured", "verdict"], rows)


def _fmt(value):
    from autograder.tables import format_number

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(value)
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value[:8]) + (", ..." if len(value) > 8 else "") + "]"
    return str(value)


def index_html(root, audience, chapters, titles, notebooks, records, static="_static"):
    esc = html.escape
    results_rows = table_rows([records[ch.id] for ch in chapters if ch.id in records])
    missing = [ch.id for ch in chapters if ch.id not in records]
    parts = [
        f"<h1>keras-patterns: RNN architecture patterns, measured ({'student' if audience == 'student' else 'instructor'} site)</h1>",
        "<p>A course built from one textbook chapter, 应用与跨学科连接 (Applications and interdisciplinary connections): "
        "each chapter builds one of its applications and measures the textbook chapter's claim against an exact limit.</p>",
        "<h2 id=chapters>Chapters</h2><ol class=kp-chapters>"
        + "".join(f'<li value="{ch.number}"><a href="{ch.id}.html">{esc(titles[ch.id])}</a></li>' for ch in chapters)
        + "</ol>",
        "<h2 id=results>Results</h2>",
        "<p>The table <code>kp demo</code> prints, from the committed records <code>results/CH.json</code> "
        "(measured at the profile each record names, over its seeds). The gap is the value minus the limit or baseline.</p>",
        _table(TABLE_HEADERS, [[esc(str(c)) for c in row] for row in results_rows]),
    ]
    if missing:
        parts.append(f"<p>No results record yet for {esc(', '.join(missing))}.</p>")
    if audience == "instructor":
        parts.append("<h2 id=claims>Measured claims</h2>")
        for ch in chapters:
            parts.append(f'<h3><a href="{ch.id}.html">{esc(ch.id)}</a></h3>' + claims_html(records.get(ch.id)))
    # Pattern map: every row of the course map; the finished ones link to their chapter.
    done = {ch.number: ch for ch in chapters}
    rows = []
    for number, problem, section, pattern in course_map(root):
        ch = done.get(number)
        if ch:
            line = pattern_line(opening_cell(notebooks[ch.id]))
            zh = " · ".join(dict.fromkeys(z for _, z in pattern_terms(line))) or "-"
            link = f'<a href="{ch.id}.html">{esc(ch.id)}</a>'
            modules = "<br>".join(f"<code>{esc(m)}</code>" for m in library_modules(notebooks[ch.id], root))
        else:
            zh, link, modules = "-", f"ch{number:02d} (not written yet)", "-"
        rows.append([esc(pattern), esc(zh), link, modules, esc(section), esc(problem)])
    parts += ["<h2 id=patterns>Pattern map</h2>",
              _table(["pattern", "中文", "chapter", "library modules", "section of the textbook chapter", "problem"], rows)]
    terms = {}
    for ch in chapters:
        for english, chinese in pattern_terms(opening_cell(notebooks[ch.id])):
            terms.setdefault((english, chinese), []).append(ch)
    gloss = [[esc(en), esc(zh), ", ".join(f'<a href="{c.id}.html">{c.short}</a>' for c in chs)]
             for (en, zh), chs in sorted(terms.items())]
    parts += ["<h2 id=glossary>Glossary EN · 中文</h2>",
              "<p>The terms the chapters' opening cells give in both languages.</p>",
              _table(["English", "中文", "chapters"], gloss)]
    nav = _nav([(ch.id, titles[ch.id]) for ch in chapters], "index")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>keras-patterns</title>'
            '<link rel="icon" href="data:,">'
            f'<link rel="stylesheet" href="{static}/site.css"></head>\n<body class="kp-index">{nav}'
            f'<main>{body}</main></body></html>\n')


# ------------------------------------------------------------------------------------------
# Rendering


def page_exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="kp_page", extra_template_basedirs=[str(TEMPLATES)])
    exporter.log = QUIET_LOG
    exporter.mathjax_url = f"_static/mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    exporter.exclude_input_prompt = False
    return exporter


def render_page(nb, exporter, header, title):
    nb = copy.deepcopy(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"kp_static": "_static", "kp_header": header})
    return body


_MD_LINK = re.compile(r'href="(?![a-z]+:|/|#)([^"#?]+\.md)([#?][^"]*)?"')


def card_page(markdown_text, title, depth):
    """A data card (markdown) as a page of the site, `depth` folders below its root."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    up = "../" * depth
    body = markdown2html_mistune(markdown_text)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<link rel="icon" href="data:,"><link rel="stylesheet" href="{up}_static/site.css">'
            f'<script src="{up}_static/mathjax/MathJax.js?config={MATHJAX_CONFIG}"></script></head>\n'
            f'<body class="kp-index"><nav class="kp-nav"><a href="{up}index.html">Index</a></nav>'
            f'<main class="jp-RenderedMarkdown">{body}</main></body></html>\n')


def render_linked_cards(out, root):
    """Render the markdown files the pages link to (data cards: `datasets/FAMILY/README.md` and the files
    they link to) as `.html` pages beside them, and point the links there; return the card pages.

    A link is resolved against the repository folder the page stands for (the chapter's notebook links
    `datasets/...` relative to `course/CH/`, where `kp release` copies the repository's `datasets/`).
    """
    out, root = Path(out), Path(root)
    queue, done = sorted(out.glob("*.html")), set()
    while queue:
        page = queue.pop(0)
        text = page.read_text(encoding="utf-8")
        folder = page.parent.relative_to(out)

        def rewrite(match):
            target = (folder / match.group(1)).as_posix()
            source = root / target
            if not source.is_file():
                return match.group(0)  # left as it is: the link check reports it
            dest = (out / target).with_suffix(".html")
            if dest not in done:
                done.add(dest)
                dest.parent.mkdir(parents=True, exist_ok=True)
                depth = len(Path(target).parts) - 1
                dest.write_text(card_page(source.read_text(encoding="utf-8"), target, depth), encoding="utf-8")
                queue.append(dest)
            return f'href="{match.group(1)[:-3]}.html{match.group(2) or ""}"'

        new = _MD_LINK.sub(rewrite, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
    return sorted(done)


@dataclasses.dataclass
class SiteReport:
    audience: str
    folder: Path
    pages: list
    executed: list
    seconds: float


def build_site(root, audience="student", out=None, profile="smoke", chapters=None, progress=print):
    """Write the site of `audience` into `out` (default `site_dir(root, audience)`); return a SiteReport.

    Args:
        root: the course root.
        audience: "student" or "instructor".
        out: the folder to write (emptied first).
        profile: the profile a chapter without a fresh executed notebook is executed at.
        chapters: the chapters (default: every finished chapter).
        progress: called with one line per step.
    """
    check_audience(audience)
    started = time.perf_counter()
    root = Path(root)
    chapters = list(chapters) if chapters is not None else list_chapters(root)
    out = Path(out) if out is not None else site_dir(root, audience)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_assets(out)
    exporter = page_exporter()
    executed, notebooks, titles, runs = {}, {}, {}, []
    for i, chapter in enumerate(chapters, 1):
        path, reused = executed_notebook(chapter, root, profile, progress)
        executed[chapter.id] = (read_notebook(path), reused)
        if not reused:
            runs.append(chapter.id)
        notebooks[chapter.id] = read_notebook(chapter.solution_notebook if audience == "instructor"
                                              else chapter.release_notebook)
        titles[chapter.id] = chapter_title(notebooks[chapter.id], chapter.id)
    records = load_records(root, chapters)
    pages = []
    for i, chapter in enumerate(chapters, 1):
        ran, reused = executed[chapter.id]
        if audience == "student":
            if not chapter.release_notebook.is_file():
                raise SiteError(f"{relative(chapter.release_notebook, root)} is missing: run `kp release`")
            nb = student_notebook(read_notebook(chapter.release_notebook), ran)
        else:
            nb = instructor_notebook(ran)
        header = _nav([(c.id, titles[c.id]) for c in chapters], chapter.id) + _banner(
            audience, notebook_profile(ran), reused)
        if audience == "instructor":
            header += ('<details class="kp-claims"><summary>Measured claims (results record)</summary>'
                       + claims_html(records.get(chapter.id)) + "</details>")
        page = out / f"{chapter.id}.html"
        page.write_text(render_page(nb, exporter, header, titles[chapter.id]), encoding="utf-8")
        pages.append(page)
        progress(f"[{i}/{len(chapters)}] {chapter.id}: {relative(page, root)} "
                 f"({'reused' if reused else 'executed'} {relative(root / 'build' / 'executed' / (chapter.id + '.ipynb'), root)})")
    index = out / "index.html"
    index.write_text(index_html(root, audience, chapters, titles, notebooks, records), encoding="utf-8")
    pages.insert(0, index)
    pages += render_linked_cards(out, root)
    return SiteReport(audience, out, pages, runs, time.perf_counter() - started)
