import gc

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

from cnncourse import viz  # noqa: E402
from cnncourse.viz import conv as V  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")
    gc.collect()  # unrendered animations warn when collected: do it here, under this file's filter


def _formula(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


@pytest.mark.parametrize("i,k,s,p,d", [(5, 3, 1, 0, 1), (5, 3, 2, 1, 1), (6, 3, 2, 0, 1), (7, 3, 2, 0, 2),
                                       (4, 4, 1, 2, 1)])
def test_conv_layout_output_matches_formula(i, k, s, p, d):
    lay = V.conv_layout(i, k, p, s, d)
    assert lay["output"] == (_formula(i, k, s, p, d),) * 2
    assert lay["padded"] == (i + 2 * p,) * 2


def test_conv_layout_nonsquare_and_strings():
    lay = V.conv_layout((4, 7), (3, 2), padding=(1, 0), stride=(1, 2))
    assert lay["output"] == ((4 + 2 - 3) // 1 + 1, (7 - 2) // 2 + 1)
    assert V.conv_layout(5, 3, "full")["output"] == (7, 7)
    assert V.conv_layout(5, 4, "same")["padding"] == (1, 2, 1, 2)
    assert V.conv_layout(5, 4, "same")["output"] == (5, 5)
    assert V.conv_layout(5, 3, "valid")["output"] == (3, 3)


def test_unvisited_cells_when_stride_does_not_divide():
    # 6 wide, kernel 3, stride 2: windows start at 0 and 2, so column 5 is never read
    vis = V.conv_layout(6, 3, stride=2)["visited"]
    assert not vis[:, 5].any() and not vis[5].any()
    assert vis[:5, :5].all()
    # dilation 2 and stride 2: odd cells are skipped
    vis = V.conv_layout(7, 3, stride=2, dilation=2)["visited"]
    assert vis[0, 0] and not vis[1, 1] and vis[6, 6]


@pytest.mark.parametrize("kwargs,match", [
    (dict(input_size=3, kernel_size=5), "padded input is only 3x3"),
    (dict(input_size=5, kernel_size=3, padding="half"), "padding must be"),
    (dict(input_size=5, kernel_size=3, padding="same", stride=2), "'same' needs stride 1"),
    (dict(input_size=5, kernel_size=3, stride=0), "conv_layout: stride must be positive, got 0"),
])
def test_conv_layout_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        V.conv_layout(**kwargs)


def test_conv_layout_type_error():
    with pytest.raises(TypeError, match="conv_layout: kernel_size"):
        V.conv_layout(5, 2.5)


def test_draw_conv2d_with_values_writes_output_numbers():
    x = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
    k = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    ax = V.draw_conv2d(x=x, kernel=k, step=8)
    texts = [t.get_text() for t in ax.texts]
    # the classic result 4 3 4 / 2 4 3 / 2 3 4 appears in the output cells
    for v in ["4", "3", "2"]:
        assert v in texts
    assert "output 3×3" in texts


def test_draw_conv2d_bad_step():
    with pytest.raises(ValueError, match=r"step must be an int in \[0, 8\]"):
        V.draw_conv2d(5, 3, step=9)


@pytest.mark.parametrize("args", [dict(input_size=5, kernel_size=3, padding=1, stride=2),
                                  dict(input_size=(4, 6), kernel_size=(2, 3), dilation=(1, 2))])
def test_animate_conv2d_frames(args):
    anim = V.animate_conv2d(**args, max_frames=40)
    assert isinstance(anim, FuncAnimation)
    lay = V.conv_layout(**args)
    assert len(list(anim.new_frame_seq())) == lay["output"][0] * lay["output"][1]


def test_animate_frames_capped():
    anim = V.animate_conv2d(12, 3, max_frames=20)
    steps = list(anim.new_frame_seq())
    assert len(steps) <= 20


def test_animate_conv1d_and_jshtml_small():
    anim = V.animate_conv1d([1, 2, 3, 4, 5], [1, 0, -1], padding=1)
    assert len(list(anim.new_frame_seq())) == 5
    html = anim.to_jshtml()
    assert "<img" in html or "data:image" in html
    assert len(html) < 400_000


@pytest.mark.parametrize("i,k,s,p,a", [(2, 3, 1, 0, 0), (3, 3, 2, 1, 1), (3, 4, 2, 1, 0), (2, 3, 3, 0, 2)])
def test_transpose_layout_output(i, k, s, p, a):
    lay = V.transpose_layout(i, k, s, p, a)
    expected = (i - 1) * s - 2 * p + (k - 1) + a + 1
    assert lay["output"] == (expected, expected)
    # the equivalent direct convolution has the same output size
    assert lay["grid"][0] - (k - 1) == expected
    assert lay["is_input"].sum() == i * i


def test_transpose_layout_matches_functional():
    from cnncourse.functional import conv_transpose2d
    x = np.ones((1, 1, 3, 4))
    w = np.ones((1, 1, 3, 3))
    out = conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    assert V.transpose_layout((3, 4), 3, 2, 1, 1)["output"] == out.shape[2:]


def test_transpose_layout_errors():
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        V.transpose_layout(3, 3, stride=1, output_padding=1)
    with pytest.raises(ValueError, match="padding <= dilation"):
        V.transpose_layout(3, 3, padding=3)


def test_animate_conv_transpose2d():
    anim = V.animate_conv_transpose2d(2, 3, stride=2, max_frames=10)
    assert len(list(anim.new_frame_seq())) <= 10
    V.draw_conv_transpose2d(2, 3, stride=2, step=None)


def test_draw_receptive_field_counts():
    ax = V.draw_receptive_field([(3, 1, 0, 1), (3, 1, 0, 2), (3, 1, 0, 4)])
    texts = [t.get_text() for t in ax.texts]
    assert "15 cells" in texts and "1 cell" in texts
    with pytest.raises(ValueError, match="layer 0"):
        V.draw_receptive_field([(0, 1)])


def test_show_kernels():
    axes = V.show_kernels([np.eye(3), np.ones((2, 2))], ["a", "b"])
    assert [a.get_title() for a in axes] == ["a", "b"]
    with pytest.raises(ValueError, match="2 kernels but 1 titles"):
        V.show_kernels([np.eye(3), np.eye(3)], ["a"])


def test_exported_from_viz():
    for name in ["draw_conv2d", "animate_conv2d", "animate_conv_transpose2d", "animate_conv1d"]:
        assert hasattr(viz, name)


@pytest.mark.parametrize("kind,weights", [("dense", "49 weights"), ("local", "15 weights"), ("shared", "3 weights")])
def test_draw_connectivity_counts(kind, weights):
    ax = V.draw_connectivity(7, 3, kind)
    assert ax.get_title().endswith(weights)
    n_edges = len(ax.lines)
    assert n_edges == {"dense": 49, "local": 15, "shared": 15}[kind]


def test_draw_connectivity_errors():
    with pytest.raises(ValueError, match="kind must be"):
        V.draw_connectivity(7, 3, "conv")
    with pytest.raises(ValueError, match="kernel_size <= n_inputs"):
        V.draw_connectivity(3, 5)
