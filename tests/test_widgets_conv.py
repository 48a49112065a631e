import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("ipywidgets")

from cnncourse import filters  # noqa: E402
from cnncourse.widgets import conv as W  # noqa: E402


def _formula(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def test_arithmetic_explorer_initial_state():
    ex = W.conv_arithmetic_explorer()
    assert ex.state["output_size"] == 3 and ex.state["error"] is None
    assert "output size 3×3" in ex.label.value
    assert ex.image.value[:4] == b"\x89PNG"
    assert ex.step.max == 8


@pytest.mark.parametrize("i,k,p,s,d", [(7, 3, 1, 2, 1), (6, 3, 0, 2, 1), (8, 3, 2, 1, 2), (5, 1, 0, 3, 1)])
def test_arithmetic_explorer_follows_sliders(i, k, p, s, d):
    ex = W.ConvArithmeticExplorer()
    ex.input_size.value, ex.kernel_size.value, ex.padding.value = i, k, p
    ex.stride.value, ex.dilation.value = s, d
    o = _formula(i, k, s, p, d)
    assert ex.state["output_size"] == o
    assert f"output size {o}×{o}" in ex.label.value
    assert ex.step.max == o * o - 1


def test_arithmetic_explorer_mentions_unvisited_rows():
    ex = W.ConvArithmeticExplorer(input_size=8, kernel_size=3, stride=2)
    assert ex.state["output_size"] == 3
    assert "never visited" in ex.state["formula"]


def test_arithmetic_explorer_invalid_config_shows_error_not_raise():
    ex = W.ConvArithmeticExplorer()
    ex.input_size.value = 2
    ex.kernel_size.value = 5  # does not fit: output would be empty
    assert ex.state["output_size"] is None
    assert ex.state["error"]
    assert "Invalid configuration" in ex.label.value
    ex.padding.value = 2  # 2 + 4 = 6 >= 5: valid again
    assert ex.state["output_size"] == _formula(2, 5, 1, 2, 1)
    assert ex.state["error"] is None


def test_arithmetic_explorer_step_clamped_when_output_shrinks():
    ex = W.ConvArithmeticExplorer(input_size=8)
    ex.step.value = 30
    ex.input_size.value = 4
    assert ex.step.max == 3 and ex.step.value <= 3


def test_arithmetic_explorer_transposed():
    ex = W.ConvArithmeticExplorer(input_size=3, kernel_size=3, stride=2, padding=1, transposed=True,
                                  output_padding=1)
    assert ex.state["output_size"] == (3 - 1) * 2 - 2 + 2 + 1 + 1
    ex.output_padding.value = 2  # must be < stride: refused with a message
    assert ex.state["output_size"] is None and "output_padding" in ex.state["error"]


def test_filter_explorer_presets_and_custom():
    rng = np.random.default_rng(0)
    img = rng.random((40, 50)).astype(np.float32)
    ex = W.filter_explorer(img, preset="identity")
    assert np.allclose(ex.state["output"], img)
    ex.preset.value = "Sobel x (vertical edges)"
    assert np.allclose(ex.kernel, filters.SOBEL_X)
    assert np.allclose(ex.state["output"], filters.filter2d(img, filters.SOBEL_X, "reflect"), atol=1e-5)
    assert "sums to 0" in ex.label.value
    ex.set_kernel(np.full((3, 3), 2.0))
    assert ex.preset.value == "custom"
    assert np.allclose(ex.state["kernel"], 2.0)
    assert "sums to 18" in ex.label.value


def test_filter_explorer_typing_one_cell():
    img = np.zeros((10, 10), np.float32)
    img[5, 5] = 1
    ex = W.FilterExplorer(img, preset="identity")
    ex.cells[4].value = 3.0
    assert ex.preset.value == "custom"
    assert ex.state["output"][5, 5] == pytest.approx(3.0)


def test_filter_explorer_downsamples_and_errors():
    ex = W.FilterExplorer(np.zeros((600, 512), np.float32), max_size=256)
    assert max(ex.state["output"].shape) <= 256
    with pytest.raises(ValueError, match="FilterExplorer: image must be 2-D"):
        W.FilterExplorer(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="preset must be one of"):
        W.FilterExplorer(np.zeros((4, 4)), preset="blur")


def test_smoothing_explorer_reduces_error():
    t = np.linspace(0, 4 * np.pi, 200)
    ex = W.smoothing_explorer(np.sin(t), noise=0.4, width=1)
    assert ex.state["error_smoothed"] == pytest.approx(ex.state["error_noisy"])
    ex.width.value = 11
    assert ex.state["error_smoothed"] < 0.5 * ex.state["error_noisy"]
    assert ex.state["kernel"].sum() == pytest.approx(1.0)
    ex.kind.value = "gaussian"
    assert ex.state["kernel"].sum() == pytest.approx(1.0)
    assert len(ex.state["smoothed"]) == 200


def test_shift_explorer_equivariance_and_predictions():
    img = np.zeros((16, 16), np.float32)
    img[5:9, 6:10] = 1
    k = filters.SOBEL_X.astype(np.float32)
    models = {"sum": lambda X: np.array([[0.0, float(X.sum())]])}
    ex = W.shift_explorer(img, k, models=models, class_names=["a", "b"])
    f0 = ex.state["feature_map"]
    ex.dx.value, ex.dy.value = 2, 1
    f1 = ex.state["feature_map"]
    assert np.allclose(f1[1:, 2:], f0[:-1, :-2])
    assert ex.state["predictions"]["sum"][0] == 1
    assert "sum: <b>b</b>" in ex.label.value


def test_shift_function():
    x = np.arange(9.0).reshape(3, 3)
    assert np.array_equal(W.ShiftExplorer.shift(x, 1, 0), [[0, 0, 1], [0, 3, 4], [0, 6, 7]])
    assert np.array_equal(W.ShiftExplorer.shift(x, 0, -1), [[3, 4, 5], [6, 7, 8], [0, 0, 0]])
