"""A small, self-contained HTML player over precomputed PNG frames (no kernel, no CDN).

Two uses, one player:

* :class:`BookAnimation` (what every ``viz.animate_*`` returns): a ``FuncAnimation`` whose
  ``_repr_html_`` is this player with Play/Pause, step and first/last buttons and a frame
  slider. Displaying it is all a chapter does (no ``HTML(anim.to_jshtml())`` plumbing).
* the static version of each explorer in :mod:`cnncourse.widgets`: a labelled slider over one
  parameter whose frames were computed when the notebook ran.

Everything is in the HTML fragment: the frames (base64 PNG), a ~40-line script, scoped CSS
(images shrink to the column, controls wrap on a phone). Every frame has an ``alt`` text and
every control an ``aria-label``. Without JavaScript the first frame still shows, with its alt.

Markup (for tests and CSS): ``div.cnn-player[data-cnn-player="animation"|"explorer"]`` with
``data-n-frames`` and ``data-frame`` (the frame shown, updated by the script),
``img.cnn-player-frame``, ``button[data-action=first|prev|play|next|last]``,
``input.cnn-player-slider`` and ``.cnn-player-caption`` (``aria-live``).
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import json

import matplotlib.pyplot as plt
from matplotlib import animation

from .style import BOOK_DPI

__all__ = ["player_html", "png_bytes", "BookAnimation"]

_CSS = """<style>
.cnn-player{max-width:100%;margin:0.5em 0;font-size:0.95rem}
.cnn-player img.cnn-player-frame{display:block;max-width:100%;height:auto}
.cnn-player .cnn-player-controls{display:flex;flex-wrap:wrap;gap:0.3em;align-items:center;margin-top:0.3em;max-width:100%}
.cnn-player button{min-width:2.6em;min-height:2.2em;padding:0.1em 0.5em;border:1px solid #555;border-radius:4px;background:#f4f4f4;color:#111;cursor:pointer}
.cnn-player button:focus-visible,.cnn-player input:focus-visible{outline:2px solid #0b5cad;outline-offset:2px}
.cnn-player input.cnn-player-slider{flex:1 1 10em;min-width:8em;max-width:100%}
.cnn-player .cnn-player-caption{margin-top:0.2em;color:#222}
.cnn-player label{margin-right:0.3em}
</style>"""

_JS = """<script>
(function(){
  var root=document.getElementById(%(id)s); if(!root||root.dataset.ready)return; root.dataset.ready="1";
  var data=JSON.parse(root.querySelector("script.cnn-player-data").textContent);
  var img=root.querySelector("img.cnn-player-frame"), slider=root.querySelector("input.cnn-player-slider");
  var caption=root.querySelector(".cnn-player-caption"), play=root.querySelector("button[data-action=play]");
  var n=data.frames.length, k=0, timer=null;
  function show(i){k=Math.max(0,Math.min(n-1,i)); img.src=data.frames[k]; img.alt=data.alts[k];
    slider.value=k; slider.setAttribute("aria-valuetext",data.labels[k]); root.dataset.frame=k;
    if(caption)caption.textContent=data.labels[k];}
  function stop(){if(timer){clearInterval(timer);timer=null;} if(play){play.textContent="\\u25B6"; play.setAttribute("aria-label","Play");}}
  function start(){stop(); if(k>=n-1)show(0); timer=setInterval(function(){ if(k>=n-1){stop();} else show(k+1);}, data.interval);
    play.textContent="\\u275A\\u275A"; play.setAttribute("aria-label","Pause");}
  slider.addEventListener("input",function(){stop(); show(parseInt(slider.value,10));});
  root.querySelectorAll("button[data-action]").forEach(function(b){b.addEventListener("click",function(){
    var a=b.dataset.action;
    if(a==="play"){ if(timer)stop(); else start(); }
    else { stop(); show(a==="first"?0:a==="last"?n-1:a==="prev"?k-1:k+1); }
  });});
  show(parseInt(root.dataset.frame || "0", 10));
})();
</script>"""


def png_bytes(fig, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes at the book's resolution (the figure is not closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=BOOK_DPI if dpi is None else dpi)
    return buf.getvalue()


def compact_png(png: bytes) -> bytes:
    """The same picture in fewer bytes: a 256-colour palette (median cut), dpi and Software kept.

    A player embeds every frame in the page and in the saved notebook, so frames of photos cost
    about 250 KB each as full-colour PNG; the palette version is about 40% smaller and looks the
    same (figures have few colours; photos are shown in gray or one colour map). The original is
    returned when it is already smaller, or when Pillow (a matplotlib dependency) is missing.
    """
    try:
        from PIL import Image, PngImagePlugin
    except ImportError:  # pragma: no cover - matplotlib always brings Pillow
        return png
    try:
        im = Image.open(io.BytesIO(png))
        im.load()
    except Exception:  # not a picture Pillow can read: embed it as it is
        return png
    info = PngImagePlugin.PngInfo()
    for key, value in im.info.items():
        if isinstance(value, str):
            info.add_text(key, value)
    palette = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    buf = io.BytesIO()
    palette.save(buf, format="PNG", optimize=True, pnginfo=info, dpi=im.info.get("dpi", (BOOK_DPI, BOOK_DPI)))
    small = buf.getvalue()
    return small if len(small) < len(png) else png


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(compact_png(png)).decode("ascii")


def player_html(frames, *, alts, labels=None, kind: str = "animation", interval: int = 700,
                slider_label: str = "Frame", group_label: str | None = None, attrs: dict | None = None,
                initial: int = 0) -> str:
    """HTML of a player over ``frames`` (a list of PNG bytes).

    Parameters
    ----------
    frames : list of bytes
        PNG images, all the same size.
    alts : str or list of str
        The alt text of each frame (one string: used for every frame, with "frame k of n").
    labels : list of str, optional
        Shown under the image and read by screen readers as the slider's value.
    kind : {'animation', 'explorer'}
        ``'animation'`` has Play/Pause and step buttons; ``'explorer'`` only the slider.
    slider_label : str
        The slider's visible label and ``aria-label``.
    attrs : dict, optional
        Extra ``data-*`` attributes on the root element.
    """
    fn = "player_html"
    frames = list(frames)
    if not frames or not all(isinstance(f, (bytes, bytearray)) for f in frames):
        raise ValueError(f"{fn}: frames must be a non-empty list of PNG bytes")
    if kind not in ("animation", "explorer"):
        raise ValueError(f"{fn}: kind must be 'animation' or 'explorer', got {kind!r}")
    n = len(frames)
    if isinstance(alts, str):
        alts = [f"{alts} (frame {k + 1} of {n})" if n > 1 else alts for k in range(n)]
    alts = [str(a) for a in alts]
    if len(alts) != n or not all(a.strip() for a in alts):
        raise ValueError(f"{fn}: alts must give one non-empty text per frame ({n}), got {len(alts)}")
    if labels is None:
        labels = [f"frame {k + 1} of {n}" for k in range(n)]
    labels = [str(s) for s in labels]
    if len(labels) != n:
        raise ValueError(f"{fn}: labels must have one entry per frame ({n}), got {len(labels)}")
    if not (0 <= initial < n):
        raise ValueError(f"{fn}: initial must be in [0, {n - 1}], got {initial}")
    uris = [_data_uri(bytes(f)) for f in frames]
    payload = json.dumps({"frames": uris, "alts": alts, "labels": labels, "interval": int(interval)})
    pid = "cnnp-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
    esc = html.escape
    extra = "".join(f' data-{esc(k)}="{esc(str(v))}"' for k, v in (attrs or {}).items())
    group = esc(group_label or ("Animation controls" if kind == "animation" else slider_label))
    parts = [f'<div class="cnn-player" id="{pid}" data-cnn-player="{kind}" data-n-frames="{n}" '
             f'data-frame="{initial}"{extra}>', _CSS,
             f'<img class="cnn-player-frame" src="{uris[initial]}" alt="{esc(alts[initial])}">',
             f'<div class="cnn-player-controls" role="group" aria-label="{group}">']
    if kind == "animation":
        for action, symbol, label in (("first", "\u00AB", "First frame"), ("prev", "\u2039", "Previous frame"),
                                      ("play", "\u25B6", "Play"), ("next", "\u203A", "Next frame"),
                                      ("last", "\u00BB", "Last frame")):
            parts.append(f'<button type="button" data-action="{action}" aria-label="{label}" '
                         f'title="{label}">{symbol}</button>')
    else:
        parts.append(f'<label for="{pid}-slider">{esc(slider_label)}</label>')
    parts.append(f'<input type="range" class="cnn-player-slider" id="{pid}-slider" min="0" max="{n - 1}" '
                 f'step="1" value="{initial}" aria-label="{esc(slider_label)}" '
                 f'aria-valuetext="{esc(labels[initial])}">')
    parts.append("</div>")
    parts.append(f'<div class="cnn-player-caption" aria-live="polite">{esc(labels[initial])}</div>')
    safe_payload = payload.replace("</", "<\\/")
    parts.append(f'<script type="application/json" class="cnn-player-data">{safe_payload}</script>')
    parts.append(_JS % {"id": json.dumps(pid)})
    parts.append("</div>")
    return "".join(parts)


class BookAnimation(animation.FuncAnimation):
    """A ``FuncAnimation`` that displays itself as the book's player (``_repr_html_``).

    Its figure is closed when it is made (so Jupyter does not also show the last frame as a
    still image); the frames are drawn when it is displayed.

    Parameters
    ----------
    fig, func, frames, interval
        As ``FuncAnimation``.
    alt : str
        What the animation shows, for the frames' alt text ("frame k of n" is added).
    labels : list of str, optional
        One caption per frame.
    """

    def __init__(self, fig, func, frames, *, alt: str, labels=None, interval: int = 700, **kwargs):
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError("BookAnimation: alt must be a non-empty description of the animation")
        super().__init__(fig, func, frames=frames, interval=interval, blit=False, **kwargs)
        self.alt = alt
        self.labels = labels
        self._html = None
        plt.close(fig)

    def frames_png(self) -> list[bytes]:
        """Draw every frame and return them as PNG bytes (at the figure's dpi)."""
        self._init_draw()
        out = []
        for data in self.new_saved_frame_seq():
            self._draw_next_frame(data, blit=False)
            out.append(png_bytes(self._fig, dpi=self._fig.dpi))
        return out

    def _repr_html_(self):
        if self._html is None:
            self._html = player_html(self.frames_png(), alts=self.alt, labels=self.labels,
                                     kind="animation", interval=self._interval)
        return self._html

    def to_html(self) -> str:
        """The player's HTML (what the book shows)."""
        return self._repr_html_()
