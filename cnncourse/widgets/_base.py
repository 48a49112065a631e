"""The one base class of every explorer: display, the kernel-free static version, PNG rendering.

An explorer displays as an ipywidgets view *and* an HTML fallback in one mime bundle:

* with a kernel (Jupyter, Colab, Binder, JupyterLite) the front end picks the widget view,
  and the controls recompute everything live;
* in the static book, the build drops the widget view (``nb_mime_priority_overrides`` in
  ``_config.yml``), so the reader gets :meth:`Explorer.static_html`: a labelled slider over one
  parameter whose pictures were all computed when the notebook ran (the player of
  :mod:`cnncourse.viz.player`), so it really responds, with no kernel and no widget state.

Subclasses implement :meth:`_build_widget` (the ipywidgets UI), :meth:`static_sweep` (which
parameter the static version varies), :meth:`_static_set` and :meth:`_static_frame`.
"""
from __future__ import annotations

import functools
import html
import io
import re

from cnncourse.viz.player import player_html
from cnncourse.viz.style import BOOK_DPI, BOOK_STYLE

__all__ = ["Explorer"]

STATIC_NOTE = ("Static version: each picture was computed when this page was built; move the slider "
               "to switch between them. To change every control, launch this page as a notebook "
               "(the rocket button at the top) or run it locally.")


def figure_png(fig) -> bytes:
    """Render a matplotlib figure to PNG at the book's resolution and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=BOOK_DPI)
    plt.close(fig)
    return buf.getvalue()


def _plain(text: str) -> str:
    """HTML summary -> plain text (for alt texts and captions)."""
    text = re.sub(r"<br\s*/?>", "; ", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _with_book_style(method):
    """Run a drawing method under the book's figure style (whatever the caller's rcParams)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        import matplotlib.pyplot as plt

        with plt.rc_context(BOOK_STYLE):
            return method(self, *args, **kwargs)
    return wrapper


class Explorer:
    """Base class of the book's explorers (see the module docstring).

    Every subclass's ``update`` and ``figure`` run under the book's figure style
    (:data:`cnncourse.viz.style.BOOK_STYLE`), so live and static pictures look the same.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("update", "figure"):
            if name in cls.__dict__:
                setattr(cls, name, _with_book_style(cls.__dict__[name]))

    #: One sentence on what the explorer's picture shows (the static frames' alt text starts with it).
    description = "An interactive figure"
    _ui = None

    # -- the live widget ---------------------------------------------------------------------
    @property
    def widget(self):
        """The ipywidgets user interface (built on first use)."""
        if self._ui is None:
            self._ui = self._build_widget()
        return self._ui

    def _build_widget(self):  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    def _observe(self, *controls):
        """Call ``update()`` when any of ``controls`` changes (unless ``_busy``)."""
        for c in controls:
            c.observe(lambda change: None if getattr(self, "_busy", False) else self.update(), names="value")

    # -- the static version ------------------------------------------------------------------
    def static_sweep(self) -> tuple[str, str, list]:  # pragma: no cover - every subclass implements it
        """``(parameter name, label shown to the reader, values)`` varied by the static version."""
        raise NotImplementedError

    def _static_get(self, name):
        value = getattr(self, name)
        return value.value if hasattr(value, "value") and hasattr(value, "observe") else value

    def _static_set(self, name, value) -> None:  # pragma: no cover - every subclass implements it
        raise NotImplementedError

    def _static_frame(self) -> tuple[bytes | None, str]:  # pragma: no cover - every subclass implements it
        """The current picture (PNG bytes, or None when there is none) and a one-line summary."""
        raise NotImplementedError

    def static_frames(self) -> list[dict]:
        """Every frame of the static version: ``value``, ``label``, ``png``, ``text``, ``alt``.

        The explorer's settings are restored afterwards. Values whose configuration is invalid
        are skipped (the static version only shows pictures that exist).
        """
        name, label, values = self.static_sweep()
        before = self._static_get(name)
        frames = []
        try:
            for value in values:
                self._static_set(name, value)
                png, text = self._static_frame()
                if not png:
                    continue
                shown = self._static_label(name, value)
                frames.append({"value": value, "label": f"{label}: {shown}", "png": png, "text": text,
                               "alt": f"{self.description}, with {label} = {shown}. {text}"})
        finally:
            self._static_set(name, before)
        if not frames:
            raise ValueError(f"{type(self).__name__}.static_frames: no value of {name} gives a picture")
        return frames

    def _static_label(self, name, value) -> str:
        return str(value)

    def static_html(self) -> str:
        """The kernel-free version: a slider over the precomputed frames, with a note."""
        name, label, _ = self.static_sweep()
        frames = self.static_frames()
        current = self._static_get(name)
        initial = next((k for k, f in enumerate(frames) if f["value"] == current), 0)
        player = player_html([f["png"] for f in frames], alts=[f["alt"] for f in frames],
                             labels=[f"{f['label']} — {f['text']}" for f in frames], kind="explorer",
                             slider_label=label, group_label=f"{type(self).__name__}: {label}",
                             attrs={"explorer": type(self).__name__, "parameter": name}, initial=initial)
        return (f'<div class="cnn-explorer-static" data-explorer="{type(self).__name__}">'
                f'<p class="cnn-explorer-note"><strong>{html.escape(type(self).__name__)}</strong>. '
                f'{html.escape(STATIC_NOTE)}</p>{player}</div>')

    # -- display -----------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        """The widget view (live, with a kernel) plus the static HTML (the book without one)."""
        static = self.static_html()   # first: sweeping a built widget would redraw it at every frame
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = static
        bundle["text/plain"] = f"{type(self).__name__}: {self.description} (needs a kernel for the live controls)"
        return bundle
