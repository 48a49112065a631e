import numpy as np
import pytest
from scipy import ndimage, signal

from cnncourse import filters


def _ref_corr(x, k, p, s):
    """Reference single-channel cross-correlation with per-side zero padding and stride."""
    xp = np.pad(x, [(p[0], p[0]), (p[1], p[1])])
    full = signal.correlate2d(xp, k, mode="valid")
    return full[::s[0], ::s[1]]


def test_kernels_sum_and_shape():
    g = filters.gaussian_kernel(1.0)
    assert g.shape == (7, 7)
    assert np.isclose(g.sum(), 1.0)
    assert np.allclose(g, g.T) and np.allclose(g, g[::-1])
    assert filters.gaussian_kernel(2.0, size=5).shape == (5, 5)
    assert np.isclose(filters.box_kernel(3).sum(), 1.0)
    assert np.isclose(filters.SHARPEN.sum(), 1.0)
    assert np.isclose(filters.LAPLACIAN.sum(), 0.0)
    assert np.array_equal(filters.SOBEL_Y, filters.SOBEL_X.T)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_gaussian_kernel_errors(bad):
    with pytest.raises(ValueError, match="gaussian_kernel: sigma must be "):
        filters.gaussian_kernel(bad)


@pytest.mark.parametrize("bad", ["1", True])
def test_gaussian_kernel_type_errors(bad):
    with pytest.raises(TypeError, match="gaussian_kernel: sigma must be a real number, got "):
        filters.gaussian_kernel(bad)


def test_im2col_is_functional_im2col_per_image():
    from cnncourse.functional import window
    from cnncourse.geometry import resolve_padding

    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    cols = filters.im2col(x, (3, 2), stride=2, padding=1, dilation=(1, 2))
    pad = resolve_padding(1, (3, 2), (2, 2), (1, 2), "test")
    batch = window.im2col(window.pad2d(x, pad), (3, 2), (2, 2), (1, 2))
    assert cols.shape == (2, 3 * 3 * 2, batch.shape[1] // 2)
    np.testing.assert_array_equal(cols[1], batch[:, cols.shape[2]:])
    same = filters.conv2d_im2col(x, np.ones((4, 3, 3, 3)), padding="same")
    assert same.shape == (2, 4, 7, 6)


def test_gaussian_kernel_even_size_error():
    with pytest.raises(ValueError, match="gaussian_kernel: size must be odd"):
        filters.gaussian_kernel(1.0, size=4)


def test_to_grayscale():
    img = np.zeros((2, 3, 3), dtype=np.uint8)
    img[..., 0] = 255
    gray = filters.to_grayscale(img)
    assert gray.shape == (2, 3) and gray.dtype == np.float32
    assert np.allclose(gray, 0.299)
    with pytest.raises(ValueError, match="to_grayscale: image must have shape"):
        filters.to_grayscale(np.zeros((4, 4)))


@pytest.mark.parametrize("kshape", [(3, 3), (5, 3), (2, 4)], ids=str)
def test_filter2d_zero_matches_scipy(kshape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 9))
    k = rng.standard_normal(kshape)
    out = filters.filter2d(x, k)
    # PyTorch's 'same': extra padding at the bottom/right for even kernels
    kh, kw = kshape
    xp = np.pad(x, [((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2)])
    assert np.allclose(out, signal.correlate2d(xp, k, mode="valid"))
    assert out.shape == x.shape


def test_filter2d_reflect_and_colour():
    rng = np.random.default_rng(1)
    x = rng.random((6, 8, 3)).astype(np.float32)
    k = filters.gaussian_kernel(0.8, size=3)
    out = filters.filter2d(x, k, boundary="reflect")
    assert out.shape == x.shape and out.dtype == np.float32
    for c in range(3):
        ref = ndimage.correlate(x[..., c].astype(float), k, mode="mirror")
        assert np.allclose(out[..., c], ref, atol=1e-5)


def test_filter2d_errors():
    with pytest.raises(ValueError, match="filter2d: boundary"):
        filters.filter2d(np.zeros((3, 3)), np.ones((3, 3)), boundary="wrap")
    with pytest.raises(TypeError, match="filter2d: image"):
        filters.filter2d(np.zeros((3, 3), dtype=int), np.ones((3, 3)))


def test_sobel_on_step_edge():
    x = np.zeros((6, 6))
    x[:, 3:] = 1.0
    gx, gy, mag = filters.sobel(x)
    assert np.allclose(gy, 0)
    assert (gx[:, 2:4] > 0).all() and np.allclose(gx[:, [0, 5]], 0)
    assert np.allclose(mag, np.abs(gx))


def test_harris_finds_square_corners():
    x = np.zeros((40, 40))
    x[10:30, 12:28] = 1.0
    R = filters.harris_response(x)
    assert R.shape == x.shape
    corners = filters.harris_corners(R, threshold_rel=0.1, min_distance=3)
    assert len(corners) == 4
    expected = np.array([[10, 12], [10, 27], [29, 12], [29, 27]])
    for c in expected:
        assert np.abs(corners - c).sum(axis=1).min() <= 2
    # edges give negative response, flat regions ~0
    assert R[20, 12] < 0 and abs(R[2, 2]) < 1e-12


@pytest.mark.parametrize("shape,kshape,stride,padding", [
    ((5, 5), (3, 3), 1, 0),
    ((4, 6), (2, 3), 1, 0),
    ((5, 7), (3, 3), 2, 1),
    ((6, 5), (3, 2), (2, 1), (0, 1)),
], ids=["square", "nonsquare", "stride2-pad1", "pairs"])
def test_conv_matrix_matches_correlation(shape, kshape, stride, padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    k = rng.standard_normal(kshape)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    p = padding if isinstance(padding, tuple) else (padding, padding)
    T = filters.conv_matrix(shape, k, stride=stride, padding=padding)
    ref = _ref_corr(x, k, p, s)
    assert T.shape == (ref.size, x.size)
    assert np.allclose(T @ x.ravel(), ref.ravel())


def test_conv_matrix_errors():
    with pytest.raises(ValueError, match="conv_matrix: kernel"):
        filters.conv_matrix((2, 2), np.ones((3, 3)))
    with pytest.raises(ValueError, match="conv_matrix: kernel must be 2-D"):
        filters.conv_matrix((4, 4), np.ones(3))


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), ((2, 1), (0, 2), 1), (1, 1, 2)],
                         ids=["plain", "s2p1", "pairs", "dilated"])
def test_im2col_conv_matches_loops(stride, padding, dilation):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    out = filters.conv2d_im2col(x, w, b, stride, padding, dilation)
    s = stride if isinstance(stride, tuple) else (stride, stride)
    p = padding if isinstance(padding, tuple) else (padding, padding)
    d = dilation
    wd = np.zeros((4, 3, d * 2 + 1, d * 1 + 1))
    wd[:, :, ::d, ::d] = w
    ref = np.stack([np.stack([sum(_ref_corr(x[n, c], wd[o, c], p, s) for c in range(3)) + b[o]
                              for o in range(4)]) for n in range(2)])
    assert out.shape == ref.shape
    assert np.allclose(out, ref)
    cols = filters.im2col(x, (3, 2), stride, padding, dilation)
    assert cols.shape == (2, 3 * 3 * 2, ref.shape[2] * ref.shape[3])


def test_im2col_keeps_dtype_and_errors():
    x = np.ones((1, 1, 4, 4), dtype=np.float32)
    assert filters.im2col(x, 3).dtype == np.float32
    assert filters.conv2d_im2col(x, np.ones((1, 1, 3, 3), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="im2col: kernel_size"):
        filters.im2col(x, 5)
    with pytest.raises(ValueError, match="conv2d_im2col: x has 1 channel but weight expects 2"):
        filters.conv2d_im2col(x, np.ones((1, 2, 3, 3), np.float32))
