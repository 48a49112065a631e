"""Displayable messages: plain text everywhere, a coloured box in Jupyter (``_repr_html_``).

Every piece of text that may come from the learner (values, exception messages, tracebacks)
goes through :func:`html.escape`.
"""
from __future__ import annotations

import html

__all__ = ["Message", "COLOURS", "TITLE_COLOURS", "TEXT_COLOUR", "contrast_ratio"]

# (border, background) per style. The border is decoration; every TEXT is drawn in a colour with
# a WCAG contrast of at least 4.5:1 against the background (tests/test_exercises.py checks it).
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
# The headline's colour per style (the border's hue, dark enough to read).
TITLE_COLOURS = {
    "correct": "#1b5e20",
    "incorrect": "#b71c1c",
    "error": "#b71c1c",
    "timeout": "#b71c1c",
    "not attempted": "#7a5200",
    "hint": "#0d47a1",
    "solution": "#424242",
    "info": "#424242",
}
TEXT_COLOUR = "#212121"


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21; text needs 4.5)."""
    hi, lo = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


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
        style = self.style if self.style in COLOURS else "info"
        border, background = COLOURS[style]
        title = TITLE_COLOURS[style]
        out = [f'<div class="cnncourse-{html.escape(self.style.replace(" ", "-"))}" '
               f'style="border-left: 6px solid {border}; background: {background}; '
               f'padding: 0.5em 1em; margin: 0.5em 0; border-radius: 4px; color: {TEXT_COLOUR};">',
               f'<p style="margin: 0.2em 0; font-weight: bold; color: {title};">'
               f"{html.escape(self.headline)}</p>"]
        for kind, text in self.blocks:
            if kind == "pre":
                out.append('<pre style="margin: 0.3em 0; padding: 0.3em; background: transparent; '
                           f'color: {TEXT_COLOUR}; white-space: pre-wrap;">{html.escape(text)}</pre>')
            else:
                out.append(f'<p style="margin: 0.3em 0;">{html.escape(text)}</p>')
        out.append("</div>")
        return "\n".join(out)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())
