"""Sphinx extension: an author-year bibliography style for sphinxcontrib-bibtex.

The text cites "Dumoulin and Visin (2016)" (``bibtex_reference_style = author_year``); this
gives the bibliography the same labels ("Dumoulin and Visin, 2016"), sorted by author and year,
with DOI, arXiv and URL links (pybtex's ``unsrt`` formatting). Use it with
``bibtex_default_style: authoryear``.
"""
from __future__ import annotations

import re
from collections import Counter

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _last(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def author_year_label(entry) -> str:
    """'Hubel and Wiesel, 1962' / 'LeCun et al., 1998' / 'Goodfellow et al., 2016'."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last(p) for p in people]
    if not names:
        who = entry.fields.get("title", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        sorted_entries = list(sorted_entries)
        labels = [author_year_label(e) for e in sorted_entries]
        counts = Counter(labels)
        seen = Counter()
        for label in labels:
            if counts[label] > 1:          # two works by the same authors in one year: 2014a, 2014b
                seen[label] += 1
                label = label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


# docutils writes a bibliography as <div role="list" class="citation-list"> whose entries are
# <div class="citation" role="doc-biblioentry">. DPUB-ARIA 1.1 deprecates doc-biblioentry, and a
# list whose children are not role="listitem" fails axe's aria-required-children (critical): a
# screen reader announces an empty list. The entries become list items of that list.
_ENTRY_ROLE = re.compile(r'(<div class="citation"[^>]*?) role="doc-biblioentry"')


def listitem_entries(body: str) -> str:
    """The page body with every bibliography entry given role="listitem" instead of the
    deprecated role="doc-biblioentry"."""
    return _ENTRY_ROLE.sub(r'\1 role="listitem"', body)


def _fix_bibliography_roles(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if isinstance(body, str) and 'role="doc-biblioentry"' in body:
        context["body"] = listitem_entries(body)


def setup(app):
    app.connect("html-page-context", _fix_bibliography_roles)
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
