"""The built book as a reader meets it: every page in Debian's Chromium, offline, at 1280 and 390 px.

Needs ``_build/html`` (the README's first command) and Chromium (``apt-get install chromium``;
playwright from requirements.txt drives it through ``executable_path``, never ``playwright
install``). Every request that is not a local file is aborted, so what passes here works for a
reader with no network. Locally the tests skip when the build or Chromium is missing; with
``CI=true`` they fail instead. Each page is loaded once per width (one browser for the module);
the tests below then judge what was measured (``tests/browser_support.py``).
"""
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

import browser_support as bs

IN_CI = os.environ.get("CI", "").lower() == "true"
PAGES = bs.book_pages()
CHAPTERS = [p for p in PAGES if bs.is_chapter(p)]
ids = [p.stem for p in PAGES]


def unavailable(reason):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run there)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the whole module (needs no build: the self-test below uses it alone)."""
    path = bs.chromium_path()
    if not path:
        unavailable("Chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install -r requirements.txt")
    if not bs.AXE_JS.exists():
        pytest.fail(f"axe-core missing at {bs.AXE_JS}", pytrace=False)
    with sync_playwright() as p:
        b = bs.launch(p, path)
        yield b
        b.close()


@pytest.fixture(scope="module")
def browser(chromium):
    if not (bs.HTML / "book" / "intro.html").exists():
        unavailable(f"no built book at {bs.HTML}: run the README's first command (jupyter-book build)")
    return chromium


@pytest.fixture(scope="module")
def style_points(browser):
    """Text sizes (pt) of each chapter's figure style, from its imports cell."""
    return bs.figure_text_points()


@pytest.fixture(scope="module")
def measured(browser, style_points):
    """measured(page, width) -> PageReport, each page loaded once per width."""
    contexts, cache = {}, {}

    def get(page: Path, width: int) -> bs.PageReport:
        if (page, width) not in cache:
            if not page.exists():
                pytest.fail(f"{page.relative_to(bs.ROOT)} was not built, though _toc.yml lists it", pytrace=False)
            if width not in contexts:
                contexts[width] = bs.offline_context(browser, width)
            cache[page, width] = bs.measure_page(contexts[width], page, width, points=style_points,
                                                 axe=(width == 1280))
        return cache[page, width]

    yield get
    for ctx in contexts.values():
        ctx.close()
    out = os.environ.get("CNNCOURSE_BROWSER_TABLE")   # optional: the closing note's table, to a file
    if out and len(cache) == 2 * len(PAGES):
        rows = [bs.summary_row([cache[p, w]]) for w in bs.WIDTHS for p in PAGES]
        Path(out).write_text(bs.combined_table(rows) + "\n")


both_widths = pytest.mark.parametrize("width", bs.WIDTHS, ids=[f"{w}px" for w in bs.WIDTHS])
every_page = pytest.mark.parametrize("page", PAGES, ids=ids)


def listing(items, limit=15):
    items = list(items)
    more = f"\n  ... and {len(items) - limit} more" if len(items) > limit else ""
    return "\n  " + "\n  ".join(str(i) for i in items[:limit]) + more


@every_page
@both_widths
def test_no_failed_local_request(measured, page, width):
    rep = measured(page, width)
    assert not rep.failed_local, f"{page.stem} @ {width}px: local files the page asks for are missing:" \
                                 + listing(rep.failed_local)


@every_page
@both_widths
def test_no_console_error(measured, page, width):
    """Blocked CDN requests show up here too ("Failed to load resource ... (https://...)")."""
    rep = measured(page, width)
    problems = rep.console_problems()
    assert not problems, (f"{page.stem} @ {width}px: console errors (allow-list: CONSOLE_ALLOW in "
                          f"tests/browser_support.py):" + listing(problems)
                          + ("\n blocked remote requests:" + listing(sorted(set(rep.blocked_remote)))
                             if rep.blocked_remote else ""))


@every_page
@both_widths
def test_all_math_rendered_offline(measured, page, width):
    rep = measured(page, width)
    p = rep.passive
    assert not rep.raw_tex(), (f"{page.stem} @ {width}px: {len(p['raw_math'])} of {p['math_total']} math "
                               f"expressions left as raw TeX, {len(p['tex_leftovers'])} TeX/$ leftovers in "
                               f"the text:" + listing(rep.raw_tex()))
    if p["math_total"]:
        assert p["mathjax_containers"] >= p["math_total"], "MathJax output missing"


@every_page
@both_widths
def test_every_animation_advances_after_play(measured, page, width):
    rep = measured(page, width)
    stuck = [a for a in rep.animations if not a["advanced"]]
    assert not stuck, f"{page.stem} @ {width}px: animations that did not move within 4 s of Play:" + listing(stuck)


@every_page
@both_widths
def test_every_slider_moves_its_picture(measured, page, width):
    """Animation sliders and the explorers' kernel-free versions respond with no kernel."""
    rep = measured(page, width)
    stuck = [s for s in rep.sliders if not s["moves_picture"]]
    assert not stuck, f"{page.stem} @ {width}px: sliders that change no picture:" + listing(stuck)


@every_page
@both_widths
def test_every_solution_is_a_dropdown_that_opens(measured, page, width):
    rep = measured(page, width)
    bad = [d for d in rep.dropdowns if not (d["hidden_before"] and d["opens"])]
    assert not bad, f"{page.stem} @ {width}px: solutions shown open, or not opening on click:" + listing(bad)


@every_page
@both_widths
def test_no_widget_view_without_working_fallback(measured, page, width):
    rep = measured(page, width)
    dead = rep.dead_widgets()
    assert not dead, f"{page.stem} @ {width}px: dead widgets:" + listing(dead)


@every_page
def test_nothing_but_scrollable_code_wider_than_a_phone(measured, page):
    rep = measured(page, 390)
    p = rep.passive
    assert not p["too_wide"], f"{page.stem} @ 390px: wider than the viewport and not scrollable code:" \
                              + listing(p["too_wide"])
    assert p["page_scroll_width"] <= 390, f"{page.stem} @ 390px: the page scrolls sideways ({p['page_scroll_width']} px)"


@every_page
def test_every_image_has_a_real_alt(measured, page):
    rep = measured(page, 1280)
    bad = rep.bad_alts()
    assert not bad, f"{page.stem}: {len(bad)} images whose alt is missing, empty or a file name:" + listing(bad)


@every_page
@both_widths
def test_figure_text_large_enough(measured, page, width):
    """style's smallest font size (pt) x image dpi / 72 x rendered / natural width >= 13 px (8 on a phone)."""
    rep = measured(page, width)
    floor = bs.MIN_FIGURE_TEXT_PX[width]
    small = [f for f in rep.figure_text if f["px"] < floor]
    assert not small, (f"{page.stem} @ {width}px: figures whose text renders under {floor} px:"
                       + listing({k: (round(v, 1) if isinstance(v, float) else v) for k, v in f.items()}
                                 for f in sorted(small, key=lambda f: f["px"])))


@every_page
def test_axe_no_serious_or_critical_violation_in_article(measured, page):
    rep = measured(page, 1280)
    assert not rep.axe, f"{page.stem}: axe-core serious/critical violations inside <article>:" + listing(rep.axe)


def _local_target(page: Path, href: str) -> Path | None:
    """The file a launch link opens inside the built site, if it is one (relative or absolute URL)."""
    url = urlparse(href)
    if not url.scheme or url.scheme == "file":
        target = (page.parent / unquote(url.path)).resolve() if not url.scheme else Path(unquote(url.path))
        return target if target.exists() else None
    parts = [x for x in unquote(url.path).split("/") if x]   # published URL: find its file in the build
    for i in range(len(parts)):
        candidate = bs.HTML.joinpath(*parts[i:])
        if candidate.is_file() or (candidate / "index.html").is_file():
            return candidate
    return None


@pytest.mark.parametrize("page", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_has_binder_colab_and_browser_launch_buttons(measured, page):
    links = measured(page, 1280).passive["links"]
    notebook = f"book/{page.stem}.ipynb"
    label = lambda l: f"{l['text']} {l['title']}"
    binder = [l for l in links if "binder" in label(l).lower() and "binder" in l["href"]]
    colab = [l for l in links if "colab" in label(l).lower() and "colab.research.google.com" in l["href"]]
    lite = [l for l in links if "run in the browser" in label(l).lower()]
    assert binder and colab and lite, f"{page.stem}: launch buttons found: {links}"
    for kind, found in (("Binder", binder), ("Colab", colab), ("Run in the browser", lite)):
        assert any(notebook in unquote(l["href"]) or f"{page.stem}.ipynb" in unquote(l["href"]) for l in found), \
            f"{page.stem}: the {kind} button does not open {notebook}: {[l['href'] for l in found]}"
    targets = [(l["href"], _local_target(page, l["href"])) for l in lite]
    assert any(t for _, t in targets), \
        f"{page.stem}: 'Run in the browser' opens nothing that the build contains: {[l['href'] for l in lite]}"
    # the JupyterLite app opens ?path=<notebook> from its contents (files/ beside jupyter-lite.json)
    for href, target in targets:
        path = parse_qs(urlparse(href).query).get("path", [None])[0]
        site = next((d for d in [target, *target.parents]
                     if (d / "jupyter-lite.json").is_file() and (d / "files").is_dir()), None) if target else None
        if path and site:
            assert (site / "files" / path).is_file(), \
                f"{page.stem}: 'Run in the browser' opens {path}, but the lite site has no {site.name}/files/{path}"


# ---- the checks themselves can fail: a page with every fault, measured the same way ----------

BAD_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>bad</title><style>img { max-width: 100%; }</style>
<script src="missing-local.js"></script><script src="https://cdn.example.org/x.js"></script></head>
<body><article>
<p>Inline <span class="math">\\(x^2\\)</span> and a stray $E = mc^2$ and \\frac{a}{b}.</p>
<div class="cell_output"><img src="fig.png" alt="fig.png"></div>
<div class="cell_output"><script type="application/vnd.jupyter.widget-view+json">{"model_id": "m"}</script></div>
<div class="cell_output"><pre>  0%|          | 0/426 [00:00&lt;?, ?batch/s]</pre></div>
<div class="cell_output"><pre>epoch 3/3: 100%|##########| 142/142 [00:01, 99.0batch/s]</pre></div>
<div class="cell_output"><div class="animation"><img src="fig.png" alt="frame">
  <input type="range" min="0" max="3" value="0" aria-label="frame">
  <button aria-label="Play" onclick="void 0">play</button></div></div>
<div class="solution dropdown admonition"><p class="admonition-title">Solution</p><section><p>shown</p></section></div>
<div style="width: 600px; height: 20px; background: #eee">a 600 px wide block</div>
<p style="color: #ddd">low contrast text</p>
</article></body></html>"""


def test_the_checks_catch_a_broken_page(chromium, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2), dpi=72)
    ax.plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "fig.png", dpi=72)   # 576 px natural, squeezed into a phone: 9 pt -> < 6 px
    plt.close(fig)
    (tmp_path / "bad.html").write_text(BAD_PAGE)
    points = {"bad": {"font.size": 9.0}}
    ctx = bs.offline_context(chromium, 390)
    try:
        rep = bs.measure_page(ctx, tmp_path / "bad.html", 390, html=tmp_path, points=points)
    finally:
        ctx.close()
    assert any("missing-local.js" in f for f in rep.failed_local)
    assert rep.blocked_remote == ["https://cdn.example.org/x.js"]
    assert rep.console_problems()
    assert rep.passive["raw_math"] == ["\\(x^2\\)"] and len(rep.passive["tex_leftovers"]) >= 2
    assert len(rep.bad_alts()) == 1 and "fig.png" in rep.bad_alts()[0]   # the frame's alt is text
    assert len(rep.dead_widgets()) == 2 and "0/426" in rep.dead_widgets()[1]   # not the 100 % one
    assert [a["advanced"] for a in rep.animations] == [False]
    assert [s["moves_picture"] for s in rep.sliders] == [False]
    assert rep.dropdowns and not rep.dropdowns[0]["hidden_before"]
    assert any("600px wide" in w for w in rep.passive["too_wide"])
    assert rep.figure_text and rep.smallest_figure_text() < bs.MIN_FIGURE_TEXT_PX[390]
    assert {v["id"] for v in rep.axe} >= {"color-contrast"}
