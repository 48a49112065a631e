"""Every ``{literalinclude}`` of the book points at code that exists.

The chapters show the package's own code (``:pyobject:`` plus ``:start-at:``/``:end-at:``);
a rename or a moved line would only surface in the slow ``jupyter-book build -W``. This test
resolves each listing the way Sphinx does, in a second.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
PATTERN = re.compile(r"```\{literalinclude\}\s*(\S+)\s*\n((?::[\w-]+:.*\n)*)")


def _listings():
    for page in sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md")):
        if page.suffix == ".ipynb":
            cells = nbformat.read(page, as_version=4).cells
            text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
        else:
            text = page.read_text()
        for match in PATTERN.finditer(text):
            options = dict(re.findall(r":([\w-]+):\s*(.*)", match.group(2)))
            yield pytest.param(page.name, match.group(1), options,
                               id=f"{page.stem}-{options.get('pyobject', match.group(1))}")


def _pyobject_source(source: str, dotted: str) -> str | None:
    node = ast.parse(source)
    for part in dotted.split("."):
        node = next((n for n in ast.iter_child_nodes(node)
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
    return "\n".join(source.splitlines()[node.lineno - 1:node.end_lineno])


LISTINGS = list(_listings())


def test_the_book_has_listings():
    assert len(LISTINGS) >= 10


@pytest.mark.parametrize("page, target, options", LISTINGS)
def test_listing_resolves(page, target, options):
    path = (BOOK / target).resolve()
    assert path.is_file(), f"{page}: literalinclude of a missing file {target}"
    text = path.read_text()
    if "pyobject" in options:
        text = _pyobject_source(text, options["pyobject"])
        assert text is not None, f"{page}: {target} has no {options['pyobject']}"
    for key in ("start-at", "start-after", "end-at", "end-before"):
        if key in options:
            assert options[key] in text, (f"{page}: :{key}: {options[key]!r} not found in "
                                          f"{options.get('pyobject', target)}")
