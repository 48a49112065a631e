"""Code on the page fits the page: no line of shown code is wider than 76 columns.

At 1280 px the book's code blocks hold about 76 monospace columns; a longer line makes the
block scroll sideways (issue 12). Two kinds of code appear on a chapter page: the code cells
of the notebook, and package code pulled in by ``literalinclude`` (read here with Sphinx's own
reader, so ``:pyobject:``, ``:start-at:``, ``:dedent:`` and the rest select what the page shows).

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
CHAPTERS = install_cell.chapters(ROOT)
HIDDEN_TAGS = {"remove-cell", "remove-input"}
DIRECTIVE = re.compile(r"```\{literalinclude\}[ \t]*(\S+)[ \t]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)*)")
OPTION = re.compile(r"^[ \t]*:([\w-]+):[ \t]*(.*?)[ \t]*$", re.M)


def long_code_lines(nb, limit=MAX_COLUMNS):
    """(cell index, line number, width) of every shown code line wider than ``limit``."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        for n, line in enumerate(cell.source.splitlines(), 1):
            if len(line) > limit:
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
                nbformat.v4.new_markdown_cell("w" * 90)]
    assert long_code_lines(nb) == [(0, 2, 4 + 4 * 20 + 1)]
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
        f"{path.name}: code lines wider than {MAX_COLUMNS} columns scroll on the page "
        "(cell index, line, width): " + ", ".join(map(str, long)))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_package_code_shown_by_literalinclude_fits_76_columns(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for source, options in literalincludes(nb, path.parent):
        for n, line in enumerate(shown_lines(source, options), 1):
            if len(line) > MAX_COLUMNS:
                what = options.get("pyobject", options.get("start-at", ""))
                problems.append(f"{source.relative_to(ROOT)} ({what}) shown line {n}: "
                                f"{len(line)} columns")
    assert not problems, f"{path.name}: " + "; ".join(problems)
