"""Tests for cnncourse.viz.style (the book's figure style) and cnncourse.viz.player (the player)."""
import base64
import json
import re
import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cnncourse import viz  # noqa: E402
from cnncourse.viz import player, style  # noqa: E402


def _png_dpi_and_width(png: bytes):
    """(dpi from the pHYs chunk, pixel width) of a PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = struct.unpack(">I", png[16:20])[0]
    i = png.find(b"pHYs")
    ppm = struct.unpack(">I", png[i + 4:i + 8])[0]
    return ppm * 0.0254, width


def test_style_values():
    applied = viz.use_book_style()
    assert plt.rcParams["figure.dpi"] == style.BOOK_DPI >= 110
    assert plt.rcParams["savefig.dpi"] == style.BOOK_DPI
    for key in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize", "axes.labelsize"):
        assert plt.rcParams[key] >= style.FONT_SIZE, key
    assert applied["font.size"] == style.FONT_SIZE
    # line plots differ by line style and marker as well as colour
    cycle = plt.rcParams["axes.prop_cycle"].by_key()
    assert len(set(map(str, cycle["linestyle"]))) == len(cycle["color"]) == len(set(style.MARKERS))


@pytest.mark.parametrize("column,min_px", [(688, 13), (340, 8)], ids=["1280px", "390px"])
def test_text_size_rule_holds_for_the_widest_figure(column, min_px):
    # rendered height of FONT_SIZE-point text in a MAX_WIDTH_IN figure shown in `column` CSS px
    natural = style.MAX_WIDTH_IN * style.BOOK_DPI
    px = style.FONT_SIZE * style.BOOK_DPI / 72 * min(1.0, column / natural)
    assert px >= min_px


def test_history_plot_has_markers_integer_ticks_and_legend_off_the_axes():
    from types import SimpleNamespace
    h = SimpleNamespace(train_loss=[2.0, 1.0, 0.5], train_acc=[0.3, 0.6, 0.8], val_loss=[2.1, 1.2, 0.7],
                        val_acc=[0.3, 0.5, 0.7])
    fig = viz.plot_history({"SGD": h, "Adam": h})
    lines = fig.axes[0].get_lines()
    assert len({(l.get_marker(), l.get_linestyle(), l.get_color()) for l in lines}) == len(lines) == 4
    assert all(l.get_marker() not in ("", "None", None) for l in lines)
    ticks = fig.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)
    assert not fig.axes[0].get_legend() and fig.legends            # below the axes, not on the curves
    plt.close(fig)


def test_shift_plot_lines_differ_without_colour():
    fig = viz.plot_shift_sensitivity([1, 2, 3], {"unpooled": [0.5, 0.7, 0.8], "max 2x2": [0.2, 0.3, 0.4],
                                                 "max 4x4": [0.1, 0.2, 0.3]})
    lines = fig.axes[0].get_lines()
    assert len({(l.get_marker(), str(l.get_linestyle())) for l in lines}) == 3
    plt.close(fig)


def test_luminance_helper():
    assert style.relative_luminance("white") == pytest.approx(1.0)
    assert style.relative_luminance("black") == pytest.approx(0.0)
    assert style.contrast_ratio("white", "black") == pytest.approx(21.0)
    # the bug of the issue: dark navy and dark red cells need white text
    for dark in ("#08306b", "#67001f", plt.get_cmap("RdBu_r")(1.0), plt.get_cmap("RdBu_r")(0.0)):
        assert style.text_color_for(dark) == "white"
    for light in ("#ffffcc", "#f7f7f7", plt.get_cmap("RdBu_r")(0.5)):
        assert style.text_color_for(light) == "black"
    # whichever is chosen contrasts at least 4.5:1 on every colour of the book's colormaps
    for cmap in ("RdBu_r", "Blues", "Greens", "Oranges", "viridis", "gray"):
        for v in np.linspace(0, 1, 11):
            c = plt.get_cmap(cmap)(v)
            assert style.contrast_ratio(c, style.text_color_for(c)) >= 4.5, (cmap, v)
    with pytest.raises(ValueError, match="relative_luminance: color"):
        style.relative_luminance("not a colour")


def test_show_kernels_text_colours_follow_luminance():
    axes = viz.show_kernels([np.array([[-1.0, 0.0, 1.0]] * 3)])
    colours = {t.get_text(): t.get_color() for t in axes[0].texts}
    assert colours["-1"] == "white" and colours["1"] == "white" and colours["0"] == "black"
    assert all(t.get_fontsize() >= style.FONT_SIZE for t in axes[0].texts)
    plt.close("all")


def test_annotate_cells_errors_and_skips_empty():
    fig, ax = plt.subplots()
    im = ax.imshow(np.eye(2))
    texts = style.annotate_cells(ax, im, np.array([[1, 0], [0, 1]]), fmt=lambda v: str(v) if v else "")
    assert texts[0][1] is None and texts[0][0].get_text() == "1"
    with pytest.raises(ValueError, match="annotate_cells: values must be 2D"):
        style.annotate_cells(ax, im, np.zeros(3))
    plt.close(fig)


def test_fit_width():
    assert style.fit_width(12.8, 4.0) == (style.MAX_WIDTH_IN, 2.0)
    assert style.fit_width(3.0, 2.0) == (3.0, 2.0)


@pytest.mark.parametrize("make", [
    lambda: viz.animate_conv2d(6, 3),
    lambda: viz.animate_conv2d(x=np.arange(36.0).reshape(6, 6), kernel=np.ones((3, 3))),
    lambda: viz.animate_conv_transpose2d(2, 3, stride=2, padding=1, output_padding=1),
    lambda: viz.animate_pool2d(np.arange(36.0).reshape(6, 6), 2),
    lambda: viz.animate_pool_backward(np.arange(25.0).reshape(5, 5), 3, 2),
    lambda: viz.animate_filters([np.zeros((6, 1, 5, 5)), np.ones((6, 1, 5, 5))], val_acc=[0.5]),
], ids=["conv2d", "conv2d-values", "transpose", "pool", "pool-backward", "filters"])
def test_animations_display_as_player_at_book_dpi_and_fit(make):
    anim = make()
    html = anim._repr_html_()
    assert 'data-cnn-player="animation"' in html
    assert "http://" not in html and "https://" not in html and "font-awesome" not in html
    data = json.loads(re.search(r'class="cnn-player-data">(.*?)</script>', html).group(1).replace("<\\/", "</"))
    n = len(list(anim.new_frame_seq()))
    assert len(data["frames"]) == len(data["alts"]) == len(data["labels"]) == n
    assert all(len(a) > 30 for a in data["alts"])          # a real description, not a hash
    for action in ("first", "prev", "play", "next", "last"):
        assert re.search(rf'data-action="{action}" aria-label="[A-Z][a-z ]+"', html), action
    assert re.search(r'<input type="range" class="cnn-player-slider"[^>]*aria-label="Frame"', html)
    pngs = [base64.b64decode(f.split(",", 1)[1]) for f in data["frames"]]
    assert len(set(pngs)) > 1                               # the frames differ
    dpi, width = _png_dpi_and_width(pngs[0])
    assert round(dpi) == style.BOOK_DPI
    assert width <= style.MAX_WIDTH_IN * style.BOOK_DPI + 1   # never wider than the widest figure


def test_player_errors():
    with pytest.raises(ValueError, match="player_html: frames"):
        player.player_html([], alts="x")
    with pytest.raises(ValueError, match="player_html: alts"):
        player.player_html([b"\x89PNG"], alts=[" "])
    with pytest.raises(ValueError, match="player_html: kind"):
        player.player_html([b"\x89PNG"], alts="x", kind="video")
    with pytest.raises(ValueError, match="BookAnimation: alt"):
        fig = plt.figure()
        player.BookAnimation(fig, lambda i: [], frames=2, alt="")


def test_player_escapes_script_end_in_payload():
    html = player.player_html([b"\x89PNG"], alts="a </script><b>", labels=["</script>"])
    assert html.count("</script>") == 2     # the data block and the code, nothing injected


def test_progress_bar_is_one_plain_line_when_static(monkeypatch, capsys):
    from cnncourse.viz.progress import STATIC_ENV, progress_bar
    monkeypatch.setenv(STATIC_ENV, "1")
    bar = progress_bar(total=50, unit="batch")
    for _ in range(50):
        bar.update(1)
        bar.set_postfix(loss="0.1234")
    bar.close()
    out = capsys.readouterr().out
    final = out.split("\r")[-1].strip("\n")       # what myst-nb keeps after folding carriage returns
    assert "\n" not in final and "50/50" in final and final.endswith("loss=0.1234")   # nothing cut
    assert out.count("\r") <= 1 and out.endswith("\n")   # drawn once, when closed
    monkeypatch.delenv(STATIC_ENV)
    from tqdm.std import tqdm as std_tqdm
    assert isinstance(progress_bar(total=1, disable=True), std_tqdm)
