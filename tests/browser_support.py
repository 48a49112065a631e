"""What a reader of the built book meets, measured in Debian's Chromium with the network cut off.

Used by ``tests/test_browser.py``; also runnable on its own to print the table that the closing
note of issue 11 asks for (one row per page and width)::

    python tests/browser_support.py [_build/html]

Every request that is not a ``file://`` URL is aborted, so a page is seen as an offline reader
sees it. Chromium comes from the system (``apt-get install chromium``), driven by playwright from
PyPI with ``executable_path``: nothing here downloads a browser.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
AXE_JS = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
HEIGHT = 900
# Figure text, in CSS px, as rendered (issue 11, build item 1).
MIN_FIGURE_TEXT_PX = {1280: 13.0, 390: 8.0}

# Console messages and uncaught errors that are not the book's fault, each with its reason.
# A pattern is matched (re.search) against "console.<type>: <text>" or "pageerror: <message>".
CONSOLE_ALLOW = {
    r"^pageerror: Identifier 'THEBE_JS_URL' has already been declared":
        "sphinx-book-theme 1.3 and sphinx-thebe both declare `const THEBE_JS_URL` in their "
        "scripts; the second declaration throws, harmlessly (Thebe is only used by the launch "
        "button's live-code mode, which the book does not enable)",
    r"^console\.error: Got invalid theme mode: \. Resetting to auto\.":
        "pydata-sphinx-theme logs this with console.error on a first visit, when localStorage "
        "holds no light/dark choice yet; it then picks 'auto', which is what we want",
}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def book_pages(html: Path = HTML) -> list[Path]:
    """The pages of the book, in the order of _toc.yml (not Sphinx's genindex/search pages, and
    not the JupyterLite site's pages, which are not part of the book)."""
    toc = (ROOT / "_toc.yml").read_text()
    entries = re.findall(r"(?:file|root):\s*['\"]?([^'\"\s#]+)", toc)
    return [html / (e.removesuffix(".ipynb").removesuffix(".md") + ".html") for e in entries]


def is_chapter(page: Path) -> bool:
    """A chapter is a page built from a notebook: the pages that have launch buttons."""
    return (ROOT / "book" / (page.stem + ".ipynb")).exists()


# ---------------------------------------------------------------------------------------------
# Figure style: the smallest text the book's figure style produces, in points

_STYLE_PROBE = textwrap.dedent(
    r"""
    import json, os, sys, warnings
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties
    warnings.simplefilter("ignore")
    KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
            "legend.fontsize", "figure.titlesize")
    def smallest():
        sizes = {}
        for k in KEYS:
            v = plt.rcParams[k]
            sizes[k] = FontProperties(size=v).get_size_in_points()
        return sizes
    out = {"__default__": smallest()}
    for name, source in json.load(sys.stdin).items():
        matplotlib.rcdefaults()
        try:
            exec(compile(source, name, "exec"), {"__name__": "__main__"})
        except Exception as exc:  # reported, and the test fails on it
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        out[name] = smallest()
    print(json.dumps(out))
    """
)


def _imports_cell(notebook: Path) -> str | None:
    """The chapter's imports cell, where the figure style is applied (build item 1): the first code
    cell that imports cnncourse, other than an install cell (one that mentions pip)."""
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if re.search(r"^(import|from)\s+cnncourse\b", source, re.M) and "pip" not in source:
            # magics (%matplotlib inline, %pip) are not Python
            return "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))
    return None


def figure_text_points(python: str = sys.executable) -> dict[str, dict]:
    """For each chapter notebook, the text sizes (pt) of the matplotlib rcParams once its imports
    cell has run (the style each chapter's figures are drawn with), under "__default__" those of
    matplotlib's defaults. Runs the cells in one subprocess, from book/, with the Agg backend."""
    sources = {}
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        cell = _imports_cell(nb)
        if cell is not None:
            sources[nb.stem] = cell
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([python, "-c", _STYLE_PROBE], input=json.dumps(sources), capture_output=True,
                          text=True, cwd=ROOT / "book", env=env, timeout=300)
    if proc.returncode:
        raise RuntimeError(f"figure style probe failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Images: what made them, at what dpi

def png_info(data: bytes) -> dict | None:
    """Width, height, dpi (from pHYs) and the Software text of a PNG, or None if not a PNG."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    info = {"dpi": None, "software": ""}
    i = 8
    while i + 8 <= len(data):
        (n,), kind = struct.unpack(">I", data[i:i + 4]), data[i + 4:i + 8]
        chunk = data[i + 8:i + 8 + n]
        if kind == b"IHDR":
            info["width"], info["height"] = struct.unpack(">II", chunk[:8])
        elif kind == b"pHYs":
            ppu_x, _, unit = struct.unpack(">IIB", chunk)
            if unit == 1:  # pixels per metre
                info["dpi"] = ppu_x * 0.0254
        elif kind == b"tEXt" and chunk.startswith(b"Software\x00"):
            info["software"] = chunk[9:].decode("latin-1")
        elif kind == b"IDAT":
            break
        i += 12 + n
    return info


def svg_info(data: bytes) -> dict | None:
    """Matplotlib SVG: user units are points; the viewBox width is the figure width in pt."""
    head = data[:4000].decode("utf-8", "replace")
    if "<svg" not in head:
        return None
    m = re.search(r'viewBox="\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)', head)
    return {"viewbox_width": float(m.group(1)) if m else None,
            "software": "Matplotlib" if "Matplotlib" in head or "matplotlib" in head else ""}


def image_bytes(src: str) -> bytes | None:
    if src.startswith("data:"):
        meta, _, payload = src.partition(",")
        return base64.b64decode(payload) if ";base64" in meta else unquote(payload).encode()
    if src.startswith("file://"):
        path = Path(unquote(urlparse(src).path))
        return path.read_bytes() if path.is_file() else None
    return None


def figure_text_px(src: str, rendered_width: float, natural_width: float, points: float) -> dict | None:
    """Height in CSS px of `points`-pt text in a matplotlib image shown `rendered_width` px wide:
    pt * dpi / 72 image pixels, times rendered / natural width. None if not a matplotlib image."""
    data = image_bytes(src)
    if data is None or not rendered_width:
        return None
    png = png_info(data)
    if png is not None:
        if "matplotlib" not in png["software"].lower():
            return None
        dpi = png["dpi"] or 72.0
        px = points * dpi / 72 * rendered_width / (natural_width or png["width"])
        return {"px": px, "dpi": round(dpi, 1), "natural": natural_width or png["width"]}
    svg = svg_info(data)
    if svg is not None and svg["software"] and svg["viewbox_width"]:
        return {"px": points * rendered_width / svg["viewbox_width"], "dpi": "svg", "natural": svg["viewbox_width"]}
    return None


# ---------------------------------------------------------------------------------------------
# The page, measured in the browser

_PASSIVE_JS = r"""
(vw) => {
  const art = document.querySelector('article') || document.querySelector('main') || document.body;
  const visible = (e) => {
    if (!e || !e.getClientRects().length) return false;
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    return e.checkVisibility ? e.checkVisibility({checkVisibilityCSS: true, checkOpacity: true}) : true;
  };
  const describe = (e) => {
    let s = e.tagName.toLowerCase();
    if (e.id) s += '#' + e.id;
    if (e.classList.length) s += '.' + [...e.classList].slice(0, 3).join('.');
    return s;
  };
  const out = {};

  // ---- math: .math elements MathJax did not turn into mjx-container; TeX left in the text
  const maths = [...art.querySelectorAll('.math')];
  out.math_total = maths.length;
  out.mathjax_containers = art.querySelectorAll('mjx-container').length;
  out.raw_math = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.trim().slice(0, 70));
  const clone = art.cloneNode(true);
  clone.querySelectorAll('mjx-container, pre, code, script, style, .highlight, textarea, .math').forEach(e => e.remove());
  const text = clone.textContent;
  const leftovers = [];
  const re = /\$\$?[^$\n]{0,60}\$?\$?|\\[([]|\\(frac|sum|partial|mathbf|mathrm|begin|end|cdot|left|right|times|sigma|ell|delta|nabla)\b/g;
  let m;
  while ((m = re.exec(text)) && leftovers.length < 20) {
    const a = Math.max(0, m.index - 25);
    leftovers.push(text.slice(a, m.index + 45).replace(/\s+/g, ' '));
  }
  out.tex_leftovers = leftovers;

  // ---- images
  out.images = [...art.querySelectorAll('img')].map(img => {
    const r = img.getBoundingClientRect();
    return {alt: img.getAttribute('alt'), src: img.currentSrc || img.src, where: describe(img.parentElement),
            rendered: r.width, natural: img.naturalWidth, visible: visible(img),
            animation: !!img.closest('.animation')};
  });

  // ---- widget views: rendered, and if not, is there a visible fallback in the same output?
  out.widgets = [...art.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')].map((s, i) => {
    const box = s.closest('.cell_output, .output') || s.parentElement;
    const rendered = [...box.querySelectorAll('.jupyter-widgets, .widget-subarea, .lm-Widget, .p-Widget')].filter(visible);
    const fallback = [...box.querySelectorAll('img, svg, canvas, video, .animation, pre, .output.text_html, table')]
      .filter(e => !e.closest('.jupyter-widgets, .lm-Widget, .p-Widget') && visible(e)
                   && (e.tagName !== 'PRE' || e.textContent.trim().length > 0));
    let model = '';
    try { model = JSON.parse(s.textContent).model_id; } catch (e) {}
    return {index: i, model, rendered: rendered.length > 0, fallback: fallback.map(describe).slice(0, 3),
            cell: describe(box)};
  });

  // ---- progress bars frozen short of 100 % (a tqdm widget's text fallback: "  0%|   | 0/426")
  out.frozen_progress = [...art.querySelectorAll('.cell_output pre, .output pre')].flatMap(p =>
    [...p.textContent.matchAll(/^.*?(\d{1,3})%\|.*$/gm)].filter(m => Number(m[1]) < 100).map(m => m[0].trim().slice(0, 80)));

  // ---- wider than the viewport, or than the box that clips or scrolls it: only code may scroll
  const wide = [];
  const what = (c) => {   // the text, the TeX source of math, and the section it sits in
    let text = c.textContent.trim();
    const mj = c.closest('mjx-container');
    if (mj && window.MathJax && MathJax.startup && MathJax.startup.document) {
      try { const items = MathJax.startup.document.getMathItemsWithin(mj.parentElement);
            const item = items.find(i => i.typesetRoot === mj) || items[0];
            if (item) text = 'TeX ' + item.math.trim(); } catch (e) {}
    }
    const sec = c.closest('section');
    const h = sec && sec.querySelector('h1, h2, h3, h4');
    return text.slice(0, 60).replace(/\s+/g, ' ') + (h ? ` [section "${h.textContent.trim().replace(/[#¶]$/, '').slice(0, 50)}"]` : '');
  };
  const walk = (parent, clip, clipEl) => {
    for (const c of parent.children) {
      const cs = getComputedStyle(c);
      if (cs.display === 'none' || cs.visibility === 'hidden') continue;
      if ((cs.clip && cs.clip !== 'auto') || (cs.clipPath && cs.clipPath !== 'none')) continue;  // screen-reader only
      const r = c.getBoundingClientRect();
      if (r.width >= 1 && r.height >= 1 && (r.right > clip.right + 1 || r.left < clip.left - 1)) {
        const scrolls = clipEl && ['auto', 'scroll'].includes(getComputedStyle(clipEl).overflowX);
        const code = scrolls && (c.closest('pre') || c.querySelector('pre') && c.textContent.trim() === c.querySelector('pre').textContent.trim());
        if (!code && wide.length < 25) {
          const verdict = !clipEl ? 'overflows the page' : scrolls ? 'scrolls sideways' : 'is cut off';
          wide.push(`${describe(c)} ${Math.round(r.width)}px wide (x ${Math.round(r.left)}..${Math.round(r.right)}) ${verdict}` +
                    (clipEl ? ` in ${describe(clipEl)} (x ${Math.round(clip.left)}..${Math.round(clip.right)})` : '') +
                    ': ' + what(c));
        }
        continue;   // report the outermost offender only
      }
      if (cs.overflowX !== 'visible' && r.width >= 1) {
        if (r.width <= 1 || r.height <= 1) continue;   // a visually hidden box
        const left = r.left + c.clientLeft;
        walk(c, {left: Math.max(left, clip.left), right: Math.min(left + c.clientWidth, clip.right)}, c);
      } else {
        walk(c, clip, clipEl);
      }
    }
  };
  walk(art, {left: 0, right: vw}, null);
  out.page_scroll_width = document.documentElement.scrollWidth;
  out.too_wide = wide;

  // ---- code and output blocks that need horizontal scrolling (informative, issue item 4)
  out.scrolled_blocks = [...art.querySelectorAll('pre')].filter(p => visible(p) && p.scrollWidth > p.clientWidth + 1).length;

  // ---- launch buttons anywhere on the page (the theme puts them in the article header)
  out.links = [...document.querySelectorAll('a[href], button[onclick], [data-url]')].map(a => ({
    text: (a.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60),
    title: a.getAttribute('title') || a.getAttribute('aria-label') || '',
    href: a.getAttribute('href') || a.getAttribute('data-url') || '',
    abs: a.href || '',
  })).filter(l => /binder|colab|lite|browser/i.test(l.text + ' ' + l.title + ' ' + l.href));
  return out;
}
"""

_ANIMATIONS_JS = r"""
async () => {
  // press every Play button at once, then watch each animation's frame (slider and image) move
  const art = document.querySelector('article') || document.body;
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  const boxOf = (e) => { let a = e.parentElement; while (a && a !== art && !a.querySelector('img')) a = a.parentElement; return a || art; };
  const anims = [...art.querySelectorAll('button[title="Play"], button[aria-label="Play"]')].map((btn, i) => {
    const box = boxOf(btn);
    const img = box.querySelector('img');
    const slider = box.querySelector('input[type="range"]');
    const state = () => (slider ? slider.value : '') + '|' + (img ? (img.currentSrc || img.src).slice(-200) : '');
    return {i, btn, box, slider, img, state, before: state(), advanced: false};
  });
  for (const a of anims) a.btn.click();
  for (let t = 0; t < 40 && anims.some(a => !a.advanced); t++) {
    await sleep(100);
    for (const a of anims) if (!a.advanced && a.state() !== a.before) a.advanced = true;
  }
  for (const a of anims) {
    const pause = a.box.querySelector('button[title="Pause"], button[aria-label="Pause"]');
    if (pause) pause.click();
  }
  await sleep(200);
  // every slider (animations and the explorers' static versions): moving it changes the picture
  const sliders = [...art.querySelectorAll('input[type="range"]')].filter(r => !r.closest('.jupyter-widgets')).map((r, i) => {
    const img = boxOf(r).querySelector('img');
    const before = img ? (img.currentSrc || img.src) : null;
    const target = Number(r.value) === Number(r.max) ? r.min : r.max;
    r.value = target;
    r.dispatchEvent(new Event('input', {bubbles: true}));
    r.dispatchEvent(new Event('change', {bubbles: true}));
    return {i, r, img, before, label: r.getAttribute('aria-label') || r.id || r.name || ''};
  });
  await sleep(300);
  return {
    animations: anims.map(a => ({index: a.i, advanced: a.advanced, frames: a.slider ? Number(a.slider.max) + 1 : null,
                                 slider: !!a.slider, image: !!a.img})),
    sliders: sliders.map(s => ({index: s.i, label: s.label.slice(0, 60), image: !!s.img,
                                moves_picture: !!s.img && (s.img.currentSrc || s.img.src) !== s.before})),
  };
}
"""

_DROPDOWNS_JS = r"""
async () => {
  // every solution: hidden at first, shown after one click on its toggle
  const art = document.querySelector('article') || document.body;
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  const visible = (e) => !!e && e.getClientRects().length > 0 && e.getBoundingClientRect().height > 1 &&
                          (!e.checkVisibility || e.checkVisibility({checkVisibilityCSS: true}));
  const sols = [...art.querySelectorAll('.solution')].map(sol => {
    const title = (sol.querySelector('.admonition-title, summary') || sol).textContent.trim().replace(/\s+/g, ' ').slice(0, 60);
    const body = [...sol.children].find(c => !c.matches('.admonition-title, summary, button'));
    const trigger = sol.querySelector('button.toggle-button, summary, .admonition-title');
    return {sol, title, body, trigger, hidden_before: !visible(body)};
  });
  for (const s of sols) if (s.trigger) s.trigger.click();
  await sleep(500);
  return sols.map(s => ({title: s.title, hidden_before: s.hidden_before, opens: visible(s.body), trigger: !!s.trigger}));
}
"""

_WIDGET_RESPONDS_JS = r"""
async (index) => {
  // move the first control of a rendered widget view; does anything else in its output change?
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  const s = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')[index];
  const box = s.closest('.cell_output, .output') || s.parentElement;
  const snapshot = () => [...box.querySelectorAll('img')].map(i => i.currentSrc || i.src).join('|') + '#' +
                         [...box.querySelectorAll('.widget-html-content, .widget-output, pre, canvas')].map(e => e.textContent).join('|');
  const before = snapshot();
  const slider = box.querySelector('.noUi-handle, input[type="range"], .ui-slider-handle');
  const select = box.querySelector('select');
  const button = box.querySelector('button.jupyter-button, .widget-button');
  if (slider) { slider.focus(); for (const k of ['ArrowRight', 'ArrowRight', 'ArrowUp'])
                 slider.dispatchEvent(new KeyboardEvent('keydown', {key: k, bubbles: true})); }
  else if (select && select.options.length > 1) { select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
                                                   select.dispatchEvent(new Event('change', {bubbles: true})); }
  else if (button) button.click();
  else return {control: false, responds: false};
  await sleep(1500);
  return {control: true, responds: snapshot() !== before};
}
"""


@dataclass
class PageReport:
    page: str
    width: int
    failed_local: list = field(default_factory=list)
    blocked_remote: list = field(default_factory=list)
    console: list = field(default_factory=list)
    passive: dict = field(default_factory=dict)
    animations: list = field(default_factory=list)
    sliders: list = field(default_factory=list)
    dropdowns: list = field(default_factory=list)
    widget_checks: dict = field(default_factory=dict)
    axe: list = field(default_factory=list)
    figure_text: list = field(default_factory=list)
    seconds: float = 0.0

    # ---- derived findings (each one a test)
    def console_problems(self):
        return [m for m in self.console if not any(re.search(p, m) for p in CONSOLE_ALLOW)]

    def raw_tex(self):
        return self.passive["raw_math"] + self.passive["tex_leftovers"]

    def bad_alts(self):
        bad = []
        for img in self.passive["images"]:
            alt = (img["alt"] or "").strip()
            stem = Path(urlparse(img["src"]).path).stem if not img["src"].startswith("data:") else ""
            if (not alt or re.fullmatch(r"[0-9a-f]{16,}(\.\w+)?", alt) or (stem and stem in alt)
                    or re.search(r"\.(png|svg|jpe?g|gif)$", alt, re.I)
                    or alt.lower() in {"image", "png", "figure", "output", "img", "picture", "plot"}):
                bad.append(f"{'animation frame' if img['animation'] else 'image'} in {img['where']}: alt={img['alt']!r}")
        return bad

    def dead_widgets(self):
        dead = []
        for w in self.passive["widgets"]:
            check = self.widget_checks.get(w["index"])
            if w["rendered"]:
                if not check or not check["responds"]:
                    dead.append(f"widget view {w['index']} ({w['cell']}) is drawn but "
                                + ("has no control" if check and not check["control"] else "nothing changes when its control moves"))
            elif not w["fallback"]:
                dead.append(f"widget view {w['index']} ({w['cell']}) renders nothing and has no fallback in its output")
        for line in self.passive.get("frozen_progress", []):
            dead.append(f"a progress bar frozen short of the end (a widget's text fallback): {line!r}")
        return dead

    def smallest_figure_text(self):
        return min((f["px"] for f in self.figure_text), default=None)


def _console_line(msg) -> str:
    text = msg.text
    loc = msg.location or {}
    if msg.type == "error" and text.startswith("Failed to load resource") and loc.get("url"):
        text += f" ({loc['url']})"
    return f"console.{msg.type}: {text}"


def _resolve_failed_request(html: Path, url: str) -> str:
    return url.replace(html.as_uri(), "")


def measure_page(context, page_path: Path, width: int, *, html: Path = HTML, points: dict | None = None,
                 interactive: bool = True, axe: bool = True) -> PageReport:
    """Load one page in `context` (network already blocked) and measure everything."""
    t0 = time.perf_counter()
    rep = PageReport(page=page_path.stem, width=width)
    page = context.new_page()
    page.on("console", lambda m: rep.console.append(_console_line(m)) if m.type in ("error", "assert") else None)
    page.on("pageerror", lambda e: rep.console.append(f"pageerror: {e.message if hasattr(e, 'message') else e}"))

    def failed(req):
        if req.url.startswith("file://"):
            rep.failed_local.append(f"{_resolve_failed_request(html, req.url)} ({req.failure})")
        elif not req.url.startswith("data:"):
            rep.blocked_remote.append(req.url)
    page.on("requestfailed", failed)
    try:
        page.goto(page_path.as_uri(), wait_until="load", timeout=60000)
        # MathJax typesets asynchronously; wait for it if it loaded at all
        page.evaluate("""async () => {
            const t0 = Date.now();
            while (Date.now() - t0 < 8000) {
                if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
                    await MathJax.startup.promise; break; }
                if (document.readyState === 'complete' && Date.now() - t0 > 1500) break;
                await new Promise(r => setTimeout(r, 100));
            }
        }""")
        page.wait_for_timeout(300)
        rep.passive = page.evaluate(_PASSIVE_JS, width)
        pts = points or {}
        style = pts.get(page_path.stem) or pts.get("__default__") or {"font.size": 10.0}
        smallest_pt = min(v for v in style.values() if isinstance(v, (int, float))) if "error" not in style else None
        for img in rep.passive["images"]:
            if not img["visible"] or smallest_pt is None:
                continue
            fig = figure_text_px(img["src"], img["rendered"], img["natural"], smallest_pt)
            if fig:
                fig.update(where=("animation" if img["animation"] else img["where"]), rendered=round(img["rendered"]),
                           points=smallest_pt)
                rep.figure_text.append(fig)
        if style.get("error"):
            rep.figure_text.append({"px": 0.0, "error": style["error"]})
        if interactive:
            rep.dropdowns = page.evaluate(_DROPDOWNS_JS)
        if axe:
            page.add_script_tag(path=str(AXE_JS))
            result = page.evaluate("""async () => {
                const r = await axe.run({include: [['article']]}, {resultTypes: ['violations'], preload: false});
                return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
                    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                    first: v.nodes.slice(0, 2).map(n => n.target.join(' ') + ' :: ' + n.html.slice(0, 120))}));
            }""")
            rep.axe = result
        if interactive:
            played = page.evaluate(_ANIMATIONS_JS)
            rep.animations, rep.sliders = played["animations"], played["sliders"]
            for w in rep.passive["widgets"]:
                if w["rendered"]:
                    rep.widget_checks[w["index"]] = page.evaluate(_WIDGET_RESPONDS_JS, w["index"])
    finally:
        page.close()
    rep.seconds = time.perf_counter() - t0
    return rep


def launch(playwright, chromium: str):
    return playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu",
                                                                       "--disable-dev-shm-usage"])


def offline_context(browser, width: int):
    ctx = browser.new_context(viewport={"width": width, "height": HEIGHT}, device_scale_factor=1,
                              service_workers="block")
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file://", "data:")) else r.abort())
    return ctx


def summary_row(reports: list[PageReport]) -> dict:
    """One page at one width, in the issue's terms."""
    r = reports[0]
    p = r.passive
    return {
        "page": r.page, "width": r.width,
        "raw TeX": len(p["raw_math"]) + len(p["tex_leftovers"]),
        "math": f"{p['math_total'] - len(p['raw_math'])}/{p['math_total']}",
        "smallest fig text px": (round(r.smallest_figure_text(), 1) if r.smallest_figure_text() is not None else "-"),
        "figs": len(r.figure_text),
        "dead widgets": len(r.dead_widgets()),
        "bad alt": len(r.bad_alts()),
        "axe serious/critical": sum(v["count"] for v in r.axe),
        "failed local": len(r.failed_local),
        "blocked remote": len(set(r.blocked_remote)),
        "console errors": len(r.console_problems()),
        "too wide": len(p["too_wide"]),
        "scrolled pre": p["scrolled_blocks"],
        "anims stuck": sum(1 for a in r.animations if not a["advanced"]),
        "sliders stuck": sum(1 for a in r.sliders if not a["moves_picture"]),
        "dropdowns not opening": sum(1 for d in r.dropdowns if not d["opens"] or not d["hidden_before"]),
    }


def combined_table(rows: list[dict]) -> str:
    """The closing note's table: one line per page, both widths, plus a total line."""
    by = {}
    for r in rows:
        by.setdefault(r["page"], {})[r["width"]] = r
    head = ["page", "raw TeX offline", "smallest figure text px (1280 / 390)", "dead widgets",
            "images without real alt", "axe serious/critical nodes", "failed local / blocked remote requests",
            "console errors (1280)", "too wide or cut at 390", "code blocks scrolling at 1280", "animations / sliders stuck"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    total = [0] * len(head)
    smallest = {1280: [], 390: []}
    for page, w in by.items():
        a, b = w[1280], w[390]
        for width, r in w.items():
            if r["smallest fig text px"] != "-":
                smallest[width].append(r["smallest fig text px"])
        cells = [page, a["raw TeX"], f"{a['smallest fig text px']} / {b['smallest fig text px']}", a["dead widgets"],
                 a["bad alt"], a["axe serious/critical"], f"{a['failed local']} / {a['blocked remote']}",
                 a["console errors"], b["too wide"], a["scrolled pre"],
                 f"{a['anims stuck'] + b['anims stuck']} / {a['sliders stuck'] + b['sliders stuck']}"]
        for i in (1, 3, 4, 5, 7, 8, 9):
            total[i] += cells[i]
        total[6] = (total[6] or (0, 0))
        total[6] = (total[6][0] + a["failed local"], total[6][1] + a["blocked remote"])
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    tot = ["**all pages**", total[1], f"{min(smallest[1280], default='-')} / {min(smallest[390], default='-')}",
           total[3], total[4], total[5], f"{total[6][0]} / {total[6][1]}", total[7], total[8], total[9], ""]
    lines.append("| " + " | ".join(str(c) for c in tot) + " |")
    return "\n".join(lines)


def main(argv):
    from playwright.sync_api import sync_playwright

    html = Path(argv[1]).resolve() if len(argv) > 1 else HTML
    points = figure_text_points()
    print("figure style (smallest text pt):",
          {k: (min(v.values()) if "error" not in v else v["error"]) for k, v in points.items()})
    rows, details = [], []
    with sync_playwright() as p:
        browser = launch(p, chromium_path())
        for width in WIDTHS:
            ctx = offline_context(browser, width)
            for page in book_pages(html):
                rep = measure_page(ctx, page, width, html=html, points=points, axe=(width == 1280))
                rows.append(summary_row([rep]))
                details.append(rep)
            ctx.close()
        browser.close()
    print(combined_table(rows))
    print()
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    if "-v" in argv:
        for rep in details:
            print(f"\n## {rep.page} @ {rep.width}px ({rep.seconds:.1f}s)")
            for name, items in (("raw TeX", rep.raw_tex()), ("dead widgets", rep.dead_widgets()),
                                ("bad alt", rep.bad_alts()), ("axe", rep.axe), ("failed local", rep.failed_local),
                                ("blocked remote", sorted(set(rep.blocked_remote))),
                                ("console", rep.console_problems()), ("too wide", rep.passive["too_wide"]),
                                ("figure text", sorted(rep.figure_text, key=lambda f: f["px"])[:5]),
                                ("animations", [a for a in rep.animations if not a["advanced"]]),
                                ("sliders", [a for a in rep.sliders if not a["moves_picture"]]),
                                ("dropdowns", [d for d in rep.dropdowns if not d["opens"] or not d["hidden_before"]])):
                if items:
                    print(f"- {name}: {len(items)}")
                    for it in items[:12]:
                        print(f"    {it}")


if __name__ == "__main__":
    main(sys.argv)
