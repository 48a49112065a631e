"""The kernel-free version of every explorer: one base class, a widget view for a kernel, and an
HTML fallback (a slider over precomputed pictures) that the static book shows instead."""
import base64
import json
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("ipywidgets")

from cnncourse import nn, widgets  # noqa: E402
from cnncourse.widgets._base import Explorer  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _model():
    rng = np.random.default_rng(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 4, 5, rng=rng))


rng = np.random.default_rng(0)
EXPLORERS = {
    "ConvArithmeticExplorer": lambda: widgets.ConvArithmeticExplorer(input_size=6, kernel_size=3, stride=2),
    "FilterExplorer": lambda: widgets.FilterExplorer(rng.random((24, 30)), preset="sharpen"),
    "SmoothingExplorer": lambda: widgets.SmoothingExplorer(np.sin(np.linspace(0, 6, 80)), width=11),
    "ShiftExplorer": lambda: widgets.ShiftExplorer(rng.random((12, 12)), np.ones((3, 3)), max_shift=3),
    "PoolingExplorer": lambda: widgets.PoolingExplorer(rng.random((16, 16)), kind="max", kernel_size=4),
    "PoolRoutingExplorer": lambda: widgets.PoolRoutingExplorer(np.round(rng.standard_normal((6, 6)), 1),
                                                               kernel_size=3, stride=2),
    "FeatureMapExplorer": lambda: widgets.FeatureMapExplorer(_model(), rng.random((4, 1, 8, 10)).astype(np.float32),
                                                             layer=1),
}


def test_one_base_class():
    for make in EXPLORERS.values():
        assert isinstance(make(), Explorer)
    import cnncourse.widgets.conv as wc
    import cnncourse.widgets.pool as wp
    assert not hasattr(wc, "_Explorer") and not hasattr(wp, "_Explorer")


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_bundle_has_live_view_and_working_fallback(name):
    ex = EXPLORERS[name]()
    param, label, values = ex.static_sweep()
    before = ex._static_get(param)
    bundle = ex._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle[WIDGET_VIEW]["model_id"]     # live, with a kernel
    html = bundle["text/html"]
    assert f'data-explorer="{name}"' in html and 'data-cnn-player="explorer"' in html
    assert "Static version" in html and "launch" in html.lower()
    assert "http://" not in html and "https://" not in html
    assert ex._static_get(param) == before                                 # the sweep restored it
    data = json.loads(re.search(r'class="cnn-player-data">(.*?)</script>', html).group(1).replace("<\\/", "</"))
    n = len(data["frames"])
    assert n >= 3 and f'data-n-frames="{n}"' in html
    assert len(set(data["frames"])) == n                                   # each value its own picture
    assert len(set(data["labels"])) == n and all(lab.startswith(label) for lab in data["labels"])
    assert all(ex.description in alt for alt in data["alts"])
    slider = re.search(r'<input type="range" class="cnn-player-slider"[^>]*>', html).group(0)
    assert f'max="{n - 1}"' in slider and f'aria-label="{label}"' in slider
    assert re.search(rf'<label for="[^"]+">{re.escape(label)}</label>', html)
    first = base64.b64decode(data["frames"][0].split(",", 1)[1])
    assert first[:4] == b"\x89PNG"


def test_fallback_frames_are_the_live_pictures():
    ex = widgets.SmoothingExplorer(np.sin(np.linspace(0, 6, 80)), width=11)
    frames = ex.static_frames()
    ex.width.value = frames[2]["value"]
    assert frames[2]["png"] == bytes(ex.image.value)
    assert f"{ex.state['error_smoothed']:.3f}" in frames[2]["text"]


def test_pooling_fallback_restores_stride():
    ex = widgets.PoolingExplorer(np.random.default_rng(1).random((12, 12)), kernel_size=3, stride=1)
    ex.static_html()
    assert (ex.kernel_size, ex.stride) == (3, 1)
