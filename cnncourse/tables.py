"""One way to print a table, as text and as HTML: used by :class:`cnncourse.train.History`,
:class:`cnncourse.train.CVResult` and :class:`cnncourse.models.Summary`.

>>> print(text_table(["epoch", "loss"], [["1", "0.5000"], ["2", "0.2500"]]))
epoch    loss
    1  0.5000
    2  0.2500
"""
from __future__ import annotations

import html
from typing import Callable, Sequence

__all__ = ["text_table", "html_table"]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]],
               align: Sequence[Callable] | None = None) -> str:
    """Columns padded to their widest cell, two spaces apart.

    ``align`` gives one of ``str.rjust`` (the default) or ``str.ljust`` per column.
    """
    align = list(align) if align is not None else [str.rjust] * len(header)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells):
        return "  ".join(a(c, w) for a, c, w in zip(align, cells, widths)).rstrip()

    return "\n".join([line(header)] + [line(r) for r in rows])


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], *,
               bold_row: int | None = None, caption: str | None = None,
               footer: Sequence[str] = ()) -> str:
    """A ``<table>`` with a header row; cells are escaped. ``bold_row`` highlights one row
    (the best value of a cross-validation); ``caption`` goes above, ``footer`` lines below."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(("<tr style='font-weight:bold'>" if i == bold_row else "<tr>")
                   + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for i, r in enumerate(rows))
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if caption:
        out = f"<b>{html.escape(caption)}</b>" + out
    if footer:
        out += "<p>" + "<br>".join(html.escape(line) for line in footer) + "</p>"
    return out
