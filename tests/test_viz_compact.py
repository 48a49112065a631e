"""Palette PNGs for the book's players and inline figures: same picture, fewer bytes."""
import base64
import io
import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from cnncourse.viz import player  # noqa: E402
from cnncourse.viz.style import BOOK_DPI  # noqa: E402


@pytest.fixture
def photo_png():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=BOOK_DPI)
    ax.imshow(np.random.default_rng(0).random((60, 80)), cmap="gray")
    ax.set_title("noise")
    png = player.png_bytes(fig)
    plt.close(fig)
    return png


def test_compact_png_is_smaller_and_keeps_size_dpi_and_software(photo_png):
    small = player.compact_png(photo_png)
    assert len(small) < 0.8 * len(photo_png)
    a, b = Image.open(io.BytesIO(photo_png)), Image.open(io.BytesIO(small))
    assert b.mode == "P" and a.size == b.size
    assert b.info["dpi"] == pytest.approx(a.info["dpi"], abs=0.01)
    assert "Matplotlib" in b.info["Software"]
    # the same picture: every pixel within a few levels of the original
    diff = np.abs(np.asarray(a.convert("RGB"), int) - np.asarray(b.convert("RGB"), int))
    assert np.percentile(diff, 99) <= 8


def test_compact_png_keeps_the_original_when_it_is_smaller():
    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    ax.axis("off")
    png = player.png_bytes(fig, dpi=20)
    plt.close(fig)
    assert len(player.compact_png(png)) <= len(png)


def test_player_frames_are_palette_pngs(photo_png):
    html = player.player_html([photo_png], alts=["a noise image"])
    data = base64.b64decode(html.split("data:image/png;base64,")[1].split('"')[0])
    assert Image.open(io.BytesIO(data)).mode == "P"


def test_use_book_style_makes_inline_figures_palette_pngs():
    code = textwrap.dedent("""
        import io, matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt, numpy as np
        from IPython.core.interactiveshell import InteractiveShell
        from PIL import Image
        from cnncourse import viz
        shell = InteractiveShell.instance()
        viz.use_book_style()
        fig, ax = plt.subplots()
        ax.imshow(np.random.default_rng(0).random((50, 50)), cmap="gray")
        data = shell.display_formatter.formatters["image/png"](fig)
        print(Image.open(io.BytesIO(data)).mode)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[-1] == "P"
