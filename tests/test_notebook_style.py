"""Code on the page fits the page: no line of shown code is wider than 76 columns.

At 1280 px a chapter's code cell holds about 77 monospace columns; a longer line makes the
block scroll sideways (issue 12). Measured in Chromium (tests/browser_support.py, 1280 px):
a code cell is 686 px wide, a captioned ``literalinclude`` block 664 px, 619 px once the
page's dropdowns are open (the browser test opens them; 71- and 72-column listing lines then
scrolled, and axe-core reported them as scroll regions without a tab stop, since the theme sets
tab stops at load), and a code cell inside an exercise or solution box 617 px (75 columns
scrolled). Hence three limits: 76 columns for code cells and for code fences in markdown cells,
69 for package code pulled in by ``literalinclude`` (read here with Sphinx's own reader, so
``:pyobject:``, ``:start-at:``, ``:dedent:`` and the rest select what the page shows), and 69
for code cells between ``{exercise-start}``/``{solution-start}`` and their ``-end``.

Cells tagged ``remove-cell`` are not on the page and are skipped: that is the install cell,
whose ``%pip`` line holds the pinned git URL that tests/test_run_anywhere.py checks verbatim.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import install_cell  # noqa: E402

MAX_COLUMNS = 76
LITERALINCLUDE_COLUMNS = 69
BOX_COLUMNS = 69
CHAPTERS = install_cell.chapters(ROOT)
HIDDEN_TAGS = {"remove-cell", "remove-input"}
DIRECTIVE = re.compile(r"```\{literalinclude\}[ \t]*(\S+)[ \t]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)")
OPTION = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*?)[ \t]*$", re.M)
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(\{[^}]*\}|[\w+-]*)?(.*)$")
BOX = re.compile(r"\{(exercise|solution)-(start|end)\}")


def code_fence_lines(markdown):
    """The lines inside code fences (```python, ```text, bare ```) of a MyST markdown text;
    directive fences (```{note} ... ```) are followed but their text is not code."""
    stack, out = [], []
    for line in markdown.splitlines():
        m = FENCE.match(line)
        top = stack[-1] if stack else None
        if top and top[0] == "code":
            closes = (m and m.group(1)[0] == top[1][0] and len(m.group(1)) >= len(top[1])
                      and not (m.group(2) or m.group(3).strip()))
            if closes:
                stack.pop()
            else:
                out.append(line)
            continue
        if not m:
            continue
        ticks, info = m.group(1), m.group(2) or ""
        if info.startswith("{"):
            stack.append(("directive", ticks))
        elif not info and top and top[0] == "directive" and len(ticks) == len(top[1]):
            stack.pop()
        else:
            stack.append(("code", ticks))
    return out


def long_code_lines(nb, limit=MAX_COLUMNS, box_limit=BOX_COLUMNS):
    """(cell index, line number, width) of every shown code line too wide for its block:
    code cells (narrower inside exercise and solution boxes) and markdown code fences."""
    found, in_box = [], False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            lines = code_fence_lines(cell.source)
            width = limit
            for m in BOX.finditer(cell.source):
                in_box = m.group(2) == "start"
        elif HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        else:
            lines = cell.source.splitlines()
            width = box_limit if in_box else limit
        for n, line in enumerate(lines, 1):
            if len(line) > width:
                found.append((i, n, len(line)))
    return found


def literalincludes(nb, notebook_dir):
    """(path, options) of every ``literalinclude`` in the notebook's markdown cells."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for m in DIRECTIVE.finditer(cell.source):
            options = dict(OPTION.findall(m.group(2)))
            options.pop("caption", None)
            options.pop("language", None)
            if "dedent" in options:
                options["dedent"] = int(options["dedent"])
            out.append(((notebook_dir / m.group(1)).resolve(), options))
    return out


def shown_lines(path, options):
    """The lines the page shows, as Sphinx's literalinclude selects them."""
    from sphinx.directives.code import LiteralIncludeReader

    reader = LiteralIncludeReader(str(path), options, SimpleNamespace(source_encoding="utf-8"))
    text, _ = reader.read()
    return text.splitlines()


def test_checkers_see_a_long_line_and_skip_hidden_cells():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1\n" + "y = " + "1 + " * 20 + "1"),
                nbformat.v4.new_code_cell("z" * 90, metadata={"tags": ["remove-cell"]}),
                nbformat.v4.new_markdown_cell("w" * 90 + "\n```{note}\n" + "v" * 90 + "\n```\n"
                                              "```python\n" + "u" * 77 + "\n```"),
                nbformat.v4.new_markdown_cell("```{exercise-start} A box\n:label: x\n```"),
                nbformat.v4.new_code_cell("t" * 70),
                nbformat.v4.new_markdown_cell("```{exercise-end}\n```"),
                nbformat.v4.new_code_cell("s" * 70)]
    assert long_code_lines(nb) == [(0, 2, 4 + 4 * 20 + 1), (2, 1, 77), (4, 1, 70)]
    nb.cells = nb.cells[:3]
    source = ROOT / "cnncourse" / "viz" / "pool.py"
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "```{literalinclude} ../cnncourse/viz/pool.py\n:pyobject: shift_sensitivity\n"
        ":start-at: x = np.asarray(x)\n:dedent: 4\n:caption: a caption\n```"))
    [(path, options)] = literalincludes(nb, ROOT / "book")
    assert path == source and options == {
        "pyobject": "shift_sensitivity", "start-at": "x = np.asarray(x)", "dedent": 4}
    lines = shown_lines(path, options)
    assert lines[0] == "x = np.asarray(x)" and lines[-1].startswith("return ")
    whole = shown_lines(path, {"pyobject": "shift_sensitivity"})
    assert whole[0].startswith("def shift_sensitivity(") and len(whole) > len(lines)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_code_cells_fit_76_columns(path):
    nb = nbformat.read(path, as_version=4)
    long = long_code_lines(nb)
    assert not long, (
        f"{path.name}: code lines wider than {MAX_COLUMNS} columns ({BOX_COLUMNS} in an "
        "exercise or solution box) scroll on the page (cell index, line, width): " + ", ".join(map(str, long)))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_package_code_shown_by_literalinclude_fits_69_columns(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for source, options in literalincludes(nb, path.parent):
        for n, line in enumerate(shown_lines(source, options), 1):
            if len(line) > LITERALINCLUDE_COLUMNS:
                what = options.get("pyobject", options.get("start-at", ""))
                problems.append(f"{source.relative_to(ROOT)} ({what}) shown line {n}: "
                                f"{len(line)} columns")
    assert not problems, f"{path.name}: " + "; ".join(problems)
