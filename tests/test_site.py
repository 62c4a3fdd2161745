"""The course site and the lecture decks: the builder's rules, the leak check, and a real browser.

Three layers:

* unit tests of `autograder.site` / `autograder.slides` on small notebooks (fast);
* the **leak check** (`slow`): both sites are built from the chapters' executed notebooks
  (`build/executed/`, which tests/test_notebooks.py has just written at smoke in `make test`; a chapter
  without a fresh one is executed at smoke) into `build/site/` and `build/site-instructor/`. It does
  not use the builder's helpers: it reads each solution notebook's JSON itself and collects every
  line inside `### BEGIN SOLUTION` / `### END SOLUTION` and `### BEGIN HIDDEN TESTS` / `### END HIDDEN
  TESTS`. A line counts unless it is trivial (no letter or digit, or a lone `pass`, `return`,
  `else:`, `try:`, `finally:`, `break`, `continue`, `...`) or it also appears, as a whole line, in
  any released notebook `course/*/*.ipynb` (a visible test of one chapter may be another's hidden
  one: then it is public anyway). Every file under
  `build/site/` is read as text (HTML with its tags removed and entities decoded: the code
  highlighter splits a line into spans) and no whole stripped line of it may equal a counted line.
  The same check must find lines on the instructor site, so it is shown to be able to fail; chapter
  14's student deck must hold none, its instructor deck some;
* the **browser test** (`slow`): Debian's chromium, headless, driven by Playwright, loads every
  page of both sites and the instructor deck of chapter 14 from a local HTTP server, with every
  request that leaves the server aborted and counted. Each page: no console error, no page
  error, no failed or outside request; every image loaded (natural width > 0); MathJax finished,
  no `$$` left in the text and no `$` left in a rendered markdown cell (but `$NAME`, an environment variable); every internal link
  resolves. Screenshots of the index and of chapter 14 go to `build/site-screens/`.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import shutil
import threading
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from autograder import site, slides
from autograder.chapters import list_chapters, resolve_chapter
from autograder.cli import main

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENS = REPO / "build" / "site-screens"


# ------------------------------------------------------------------------------------------
# Unit tests of the builder's rules


def _cell(kind, source, grade_id=None, solution=False, grade=False, outputs=None):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution}
    if kind == "code" and outputs is not None:
        cell.outputs = outputs
    return cell


def _stream(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _pair():
    """(release, executed) of a tiny chapter: a setup cell, an answer, its test, a figure cell."""
    executed = nbformat.v4.new_notebook(cells=[
        _cell("markdown", "# Chapter 99 · A title\n\n**Pattern:** many-to-one (多对一) · **Data:** none"),
        _cell("code", "x = 1\nprint(f'profile=smoke x={x}')", outputs=[_stream("profile=smoke x=1\n")]),
        _cell("code", "def f(x):\n    ### BEGIN SOLUTION\n    return x * 42\n    ### END SOLUTION", "f", solution=True,
              outputs=[_stream("solution output\n")]),
        _cell("code", "assert f(1) == 42\n### BEGIN HIDDEN TESTS\nassert f(2) == 84\n### END HIDDEN TESTS", "t_f",
              grade=True, outputs=[_stream("test output\n")]),
        _cell("code", "plt.plot([1, 2]); print(verdict(True))",
              outputs=[nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="}), _stream("holds\n")]),
    ])
    release = nbformat.v4.new_notebook(cells=[nbformat.from_dict(dict(c)) for c in executed.cells])
    release.cells[2] = _cell("code", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()", "f",
                             solution=True)
    release.cells[3] = _cell("code", "assert f(1) == 42\n", "t_f", grade=True)
    for cell in release.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return release, executed


def test_student_notebook_takes_outputs_only_where_they_are_not_answers_or_tests():
    release, executed = _pair()
    page = site.student_notebook(release, executed)
    assert page.cells[1].outputs[0]["text"] == "profile=smoke x=1\n", "a set-up cell must show the solution's output"
    assert page.cells[2].outputs == [] and "YOUR CODE HERE" in page.cells[2].source, "the answer cell is the stub"
    assert page.cells[3].outputs == [] and "HIDDEN" not in page.cells[3].source and "84" not in page.cells[3].source
    assert "image/png" in page.cells[4].outputs[0]["data"], "a figure cell must carry the solution's figure"
    assert release.cells[1].outputs == [], "the release itself must not be changed"


def test_student_notebook_refuses_a_stale_release():
    release, executed = _pair()
    with pytest.raises(site.SiteError, match="kp release"):
        site.student_notebook(nbformat.v4.new_notebook(cells=release.cells[:-1]), executed)
    release.cells[1].source = "x = 2"
    with pytest.raises(site.SiteError, match="cell 1 of the release differs"):
        site.student_notebook(release, executed)


def test_profile_terms_and_title_from_a_notebook():
    release, executed = _pair()
    assert site.notebook_profile(executed) == "smoke" and site.notebook_profile(release) is None
    assert site.chapter_title(release, "x") == "Chapter 99 · A title"
    text = ("**Pattern:** many-to-one (多对一) against many-to-many (多对多), read through the mixing time (混合时间)"
            " · bidirectional RNN · 双向循环神经网络, a head and a many-to-many (多对多)\n> 引用 (引用)")
    assert site.pattern_terms(text) == [("many-to-one", "多对一"), ("many-to-many", "多对多"),
                                        ("mixing time", "混合时间"), ("bidirectional RNN", "双向循环神经网络")]
    assert site.pattern_line(release.cells[0].source) == "many-to-one (多对一)"


def test_library_modules_tell_modules_from_functions():
    nb = nbformat.v4.new_notebook(cells=[_cell("code", "from keras_patterns.data import graphs\n"
                                                       "from keras_patterns.training import fit_classifier\n"
                                                       "from keras_patterns.oracles import random_walks as rw\n"
                                                       "from keras_patterns.session import setup\n"
                                                       "from keras_patterns import baselines, figures")])
    assert site.library_modules(nb, REPO) == ["keras_patterns.data.graphs", "keras_patterns.training",
                                              "keras_patterns.oracles.random_walks", "keras_patterns.baselines",
                                              "keras_patterns.figures"]


def test_course_map_is_read_from_the_contract():
    rows = site.course_map(REPO)
    assert [r[0] for r in rows] == list(range(1, 15)), "CHAPTER_CONTRACT.md's course map has 14 rows"
    assert rows[13][1] == "3171383" and "random walks" in rows[13][3]


def test_is_fresh_needs_a_newer_notebook_that_ran_to_its_end(tmp_path):
    source, executed = tmp_path / "s.ipynb", tmp_path / "e.ipynb"
    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, str(source))
    assert not site.is_fresh(executed, source), "a missing executed notebook is not fresh"
    nb.metadata["papermill"] = {"exception": None}
    nbformat.write(nb, str(executed))
    os.utime(source, (1, 1))
    assert site.is_fresh(executed, source)
    nb.metadata["papermill"] = {"exception": True}
    nbformat.write(nb, str(executed))
    assert not site.is_fresh(executed, source), "a run that raised must be executed again"
    nb.metadata["papermill"] = {"exception": None}
    nbformat.write(nb, str(executed))
    os.utime(executed, (0, 0))
    assert not site.is_fresh(executed, source), "an executed notebook older than its source is stale"


def test_missing_assets_say_how_to_install_them(tmp_path, monkeypatch):
    monkeypatch.setenv("KP_SITE_ASSETS", str(tmp_path))
    with pytest.raises(site.SiteError, match=r"make site-assets.*mathjax@2\.7\.9 reveal\.js@4\.6\.1"):
        site.assets_dir()


def test_bad_audience_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"audience must be one of student, instructor; got 'teacher'"):
        site.site_dir(REPO, "teacher")


def test_slide_rules_follow_a_lecture():
    _, executed = _pair()
    kinds = [slides.slide_kind(c, "instructor") for c in executed.cells]
    assert kinds == [("slide", False), ("skip", False), ("subslide", False), ("skip", False), ("subslide", True)]
    deck = slides.tag_for_lecture(executed, "instructor")
    assert deck.cells[2].outputs == [], "an answer's own output is not a slide"
    assert slides.HIDE_INPUT in deck.cells[4].metadata["tags"]
    assert "slideshow" not in executed.cells[0].metadata, "the notebook given must not be changed"


@pytest.mark.parametrize("argv", [["site", "ch77"], ["slides", "ch77"], ["slides", "1", "--audience", "x"]])
def test_site_and_slides_name_errors_exit_2(course, capsys, argv):
    assert main(["--root", str(course), *argv]) == 2
    err = capsys.readouterr().err
    assert "Valid chapters: ch01_tiny" in err or "invalid choice: 'x'" in err


# ------------------------------------------------------------------------------------------
# Both sites built from the chapters' executed notebooks; the leak check


def _regions(source):
    """Lines inside solution and hidden-test regions of one cell source (markers excluded)."""
    inside, found = False, []
    for line in source.split("\n"):
        if re.search(r"###\s*BEGIN (SOLUTION|HIDDEN TESTS)", line):
            inside = True
        elif re.search(r"###\s*END (SOLUTION|HIDDEN TESTS)", line):
            inside = False
        elif inside:
            found.append(line.strip())
    return found


TRIVIAL = {"pass", "return", "else:", "try:", "finally:", "break", "continue", "..."}


def _trivial(line):
    return not re.search(r"[A-Za-z0-9]", line) or line in TRIVIAL


def public_lines(root):
    """Every stripped line of every released notebook `course/*/*.ipynb`."""
    public = set()
    for path in sorted((root / "course").glob("ch*/ch*.ipynb")):
        release = json.loads(path.read_text(encoding="utf-8"))
        public |= {line.strip() for cell in release["cells"] for line in "".join(cell["source"]).split("\n")}
    return public


def secret_lines(root, chapter_id):
    """The counted lines of one chapter (see the module docstring), read from the notebooks' JSON."""
    solution = json.loads((root / "solutions" / chapter_id / f"{chapter_id}.ipynb").read_text(encoding="utf-8"))
    lines = {line for cell in solution["cells"] for line in _regions("".join(cell["source"]))}
    return {line for line in lines if not _trivial(line)} - public_lines(root)


def page_lines(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return {line.strip() for line in text.split("\n")}


def leaks(folder, secrets):
    """[(file, line)] of the counted lines found in any text file under `folder`."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".ipynb", ".json", ".txt", ".md", ".py", ".js", ".css"):
            if "_static" in path.relative_to(folder).parts:
                continue  # MathJax and reveal.js, copied from npm: not built from the notebooks
            found += [(path.name, line) for line in sorted(page_lines(path) & secrets)]
    return found


@pytest.fixture(scope="module")
def built():
    """Both sites built with `kp site`, and the instructor deck of chapter 14; returns the chapters.

    Every finished chapter, or those named in $KP_SITE_TEST_CHAPTERS (comma-separated: for a working
    tree that holds another author's unfinished chapter).
    """
    names = [n for n in os.environ.get("KP_SITE_TEST_CHAPTERS", "").split(",") if n]
    chapters = [resolve_chapter(n, list_chapters(REPO)) for n in names] or list_chapters(REPO)
    assert main(["site", *(ch.id for ch in chapters), "--profile", "smoke"]) == 0
    assert main(["slides", "ch14", "--audience", "instructor"]) == 0
    assert main(["slides", "ch14", "--audience", "student"]) == 0
    return chapters


@pytest.mark.slow
def test_student_site_holds_no_line_of_any_solution_or_hidden_test(built):
    student, instructor = REPO / "build" / "site", REPO / "build" / "site-instructor"
    for chapter in built:
        secrets = secret_lines(REPO, chapter.id)
        assert len(secrets) >= 5, f"{chapter.id}: too few solution lines to make the leak check mean anything"
        assert not leaks(student, secrets), f"{chapter.id}: solution or hidden-test lines on the student site"
        # The same check finds them where they belong: it can fail.
        assert len(leaks(instructor, secrets)) >= len(secrets) // 2, f"{chapter.id}: the check misses the instructor's"


@pytest.mark.slow
def test_solution_code_is_only_in_the_instructor_deck(built):
    secrets = secret_lines(REPO, "ch14_random_walks")
    student = page_lines(REPO / "build" / "slides" / "ch14_random_walks.student.slides.html") & secrets
    instructor = page_lines(REPO / "build" / "slides" / "ch14_random_walks.instructor.slides.html") & secrets
    assert not student, f"solution lines in the student deck: {sorted(student)[:5]}"
    assert len(instructor) >= 5, "the instructor deck must show the pattern's lines (the answer cells)"


@pytest.mark.slow
def test_every_page_is_there_and_says_its_profile(built):
    for folder in (REPO / "build" / "site", REPO / "build" / "site-instructor"):
        index = (folder / "index.html").read_text(encoding="utf-8")
        for chapter in built:
            page = (folder / f"{chapter.id}.html").read_text(encoding="utf-8")
            assert "Outputs from a run at profile" in page, f"{chapter.id}: the page must say which profile it shows"
            assert f'href="{chapter.id}.html"' in index
        for part in ("Results", "Pattern map", "Glossary EN · 中文", "多对一"):
            assert part in index, f"the index lacks {part!r}"
        assert "https://" not in re.sub(r'<a [^>]*href="https://[^"]*"', "", index)
    assert "Measured claims" in (REPO / "build" / "site-instructor" / "index.html").read_text(encoding="utf-8")


def _pages(folder):
    """Every page of a site (its own pages and the data cards), not the copied scripts."""
    root = REPO / "build" / folder
    return sorted(p for p in root.rglob("*.html") if "_static" not in p.relative_to(root).parts)


def _internal_links(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', text):
        if not re.match(r"[a-z]+:", target):
            yield target


@pytest.mark.slow
def test_every_internal_link_resolves_to_a_file(built):
    pages = [*_pages("site"), *_pages("site-instructor"), *(REPO / "build" / "slides").glob("*.html")]
    assert len(pages) >= 2 * (1 + len(built)) + 1
    broken = [(p.name, t) for p in pages for t in _internal_links(p) if not (p.parent / urllib.parse.unquote(t)).is_file()]
    assert not broken, f"links to files that are not in the site: {broken[:10]}"


# ------------------------------------------------------------------------------------------
# The browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built):
    handler = functools.partial(_Quiet, directory=str(REPO / "build"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


def _check_page(page, url, problems):
    """Load `url`; append what is wrong to `problems`; return the internal links of the page."""
    seen = []
    page.on("console", lambda m: seen.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: seen.append(f"request failed: {r.url}"))
    response = page.goto(url, wait_until="networkidle")
    if response is None or response.status != 200:
        seen.append(f"status {response.status if response else None}")
    page.wait_for_function("() => !window.MathJax || (window.MathJax.Hub && MathJax.Hub.queue.pending === 0"
                           " && MathJax.Hub.queue.running === 0)", timeout=60_000)
    page.wait_for_timeout(200)  # a console error from the last script gets reported
    images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.src.slice(0, 40)])")
    seen += [f"image not loaded: {src}" for complete, width, src in images if not complete or width == 0]
    text = page.inner_text("body")
    if "$$" in text:
        seen.append("raw $$ left: math not rendered")
    # MathJax replaces every $...$ it typesets; a `$` left in rendered markdown is math it missed, unless it
    # starts an environment variable's name ($KP_RESULTS_DIR) or stands in code (MathJax skips pre and code:
    # chapter 04 prints the SMILES regular expression, which matches a literal `$`).
    prose = "els => els.map(e => { const c = e.cloneNode(true); c.querySelectorAll('pre, code, script').forEach(x => x.remove()); return c.textContent; })"
    markdown = [re.sub(r"\$[A-Z_][A-Z0-9_]*", "", m) for m in page.eval_on_selector_all(".jp-RenderedMarkdown", prose)]
    seen += [f"raw $ in a markdown cell: {m[max(0, m.find('$') - 30):m.find('$') + 30]!r}" for m in markdown if "$" in m]
    if ".slides.html" not in url and not page.query_selector(".MathJax_CHTML, .kp-index"):
        seen.append("no typeset math on a chapter page")
    problems += [f"{url}: {s}" for s in seen]
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return [link.split("#")[0] for link in links if link.startswith(url.rsplit("/", 1)[0] + "/")]


@pytest.mark.slow
def test_both_sites_and_a_deck_in_a_real_browser(server, built):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is not installed: apt-get install chromium (.ci/run does)"
    urls = [f"{server}{page.relative_to(REPO / 'build').as_posix()}"
            for folder in ("site", "site-instructor") for page in _pages(folder)]
    assert len(urls) >= 2 * (1 + len(built))
    urls.append(f"{server}slides/ch14_random_walks.instructor.slides.html")
    problems, links, outside = [], set(), []
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 1000})

        def route(r):  # offline: anything not served by the site's own server is refused and counted
            if r.request.url.startswith(server) or r.request.url.startswith("data:"):
                return r.continue_()
            outside.append(r.request.url)
            return r.abort()

        context.route("**/*", route)
        for url in urls:
            page = context.new_page()
            links.update(_check_page(page, url, problems))
            if url.endswith("site/index.html"):
                page.screenshot(path=str(SCREENS / "index.png"))
            elif url.endswith("site/ch14_random_walks.html"):
                page.screenshot(path=str(SCREENS / "ch14_random_walks.png"))
                page.evaluate("document.querySelector('img').scrollIntoView()")
                page.screenshot(path=str(SCREENS / "ch14_random_walks-figure.png"))
            elif url.endswith(".slides.html"):
                page.keyboard.press("ArrowRight")
                page.wait_for_timeout(1500)  # the slide transition
                page.screenshot(path=str(SCREENS / "ch14_deck.png"))
            page.close()
        for link in sorted(links - set(urls)):
            page = context.new_page()
            response = page.goto(link)
            if response is None or response.status != 200:
                problems.append(f"broken internal link: {link}")
            page.close()
        browser.close()
    assert not outside, f"requests outside the site (it must work offline): {outside[:5]}"
    assert not problems, "\n".join(problems[:20])
    assert (SCREENS / "index.png").stat().st_size > 10_000
