"""Displayable messages: plain text everywhere, a coloured box in Jupyter (``_repr_html_``).

Every piece of text that may come from the learner (values, exception messages, tracebacks)
goes through :func:`html.escape`.
"""
from __future__ import annotations

import html

__all__ = ["Message", "COLOURS"]

# (border, background) per style
COLOURS = {
    "correct": ("#2e7d32", "#e8f5e9"),
    "incorrect": ("#c62828", "#ffebee"),
    "error": ("#c62828", "#ffebee"),
    "timeout": ("#c62828", "#fff3e0"),
    "not attempted": ("#f9a825", "#fffde7"),
    "hint": ("#1565c0", "#e3f2fd"),
    "solution": ("#616161", "#f5f5f5"),
    "info": ("#616161", "#fafafa"),
}


class Message:
    """A headline, then paragraphs of text and preformatted blocks.

    ``blocks`` is a list of ``(kind, text)`` with kind ``'p'`` (paragraph) or ``'pre'``
    (monospace: values, code, tracebacks). ``str()`` gives the plain-text rendering.
    """

    style = "info"

    def __init__(self, headline: str, blocks=(), style: str | None = None):
        self.headline = headline
        self.blocks = [(k, t) for k, t in blocks if t]
        if style is not None:
            self.style = style

    def __str__(self) -> str:
        parts = [self.headline]
        for kind, text in self.blocks:
            parts.append(_indent(text) if kind == "pre" else text)
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        border, background = COLOURS.get(self.style, COLOURS["info"])
        out = [f'<div class="cnncourse-{html.escape(self.style.replace(" ", "-"))}" '
               f'style="border-left: 6px solid {border}; background: {background}; '
               'padding: 0.5em 1em; margin: 0.5em 0; border-radius: 4px; color: #212121;">',
               f'<p style="margin: 0.2em 0; font-weight: bold; color: {border};">'
               f"{html.escape(self.headline)}</p>"]
        for kind, text in self.blocks:
            if kind == "pre":
                out.append('<pre style="margin: 0.3em 0; padding: 0.3em; background: transparent; '
                           f'white-space: pre-wrap;">{html.escape(text)}</pre>')
            else:
                out.append(f'<p style="margin: 0.3em 0;">{html.escape(text)}</p>')
        out.append("</div>")
        return "\n".join(out)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())
