"""Tests for cnncourse.signal: the loop versions equal numpy (1D) and scipy (2D) in every mode."""
import itertools
import re

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncourse.signal import convolve1d, convolve2d, correlate1d, correlate2d

MODES = ["full", "valid", "same"]


def _id(value):
    return "x".join(map(str, value)) if isinstance(value, tuple) else str(value)


# --------------------------------------------------------------------------- 1D vs numpy
# (len(x), len(k)): odd/even kernels, kernel == signal, kernel longer than the signal.
SHAPES_1D = [(7, 3), (7, 4), (8, 3), (8, 4), (5, 5), (6, 6), (1, 1), (1, 4), (3, 1),
             (2, 5), (3, 6), (4, 7), (2, 3)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n, m", SHAPES_1D, ids=[f"N{n}-M{m}" for n, m in SHAPES_1D])
def test_1d_equals_numpy(n, m, mode):
    rng = np.random.default_rng(n * 100 + m)
    x, k = rng.standard_normal(n), rng.standard_normal(m)
    np.testing.assert_allclose(correlate1d(x, k, mode), np.correlate(x, k, mode), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(convolve1d(x, k, mode), np.convolve(x, k, mode), rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 12), m=st.integers(1, 12), mode=st.sampled_from(MODES),
       seed=st.integers(0, 2**32 - 1))
def test_1d_equals_numpy_property(n, m, mode, seed):
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal(n), rng.standard_normal(m)
    np.testing.assert_allclose(correlate1d(x, k, mode), np.correlate(x, k, mode), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(convolve1d(x, k, mode), np.convolve(x, k, mode), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_1d_integers_stay_integers(mode):
    x, k = np.array([3, 1, 4, 1, 5, 9]), np.array([2, 7, 1, 8])
    out = correlate1d(x, k, mode)
    assert out.dtype == np.correlate(x, k, mode).dtype
    np.testing.assert_array_equal(out, np.correlate(x, k, mode))
    np.testing.assert_array_equal(convolve1d(x, k, mode), np.convolve(x, k, mode))


def test_1d_accepts_lists():
    np.testing.assert_array_equal(correlate1d([1, 2, 3], [1, 1]), [1, 3, 5, 3])


def test_1d_hand_worked():
    # correlation: slide k = [1, 0, -1] (a derivative filter) over x, no flip
    x = np.array([0.0, 1.0, 4.0, 9.0, 16.0])
    # full[j] = sum_m x[j + m - 2] * k[m]
    np.testing.assert_array_equal(correlate1d(x, [1, 0, -1], "full"),
                                  [0, -1, -4, -8, -12, 9, 16])
    np.testing.assert_array_equal(correlate1d(x, [1, 0, -1], "valid"), [-4, -8, -12])
    np.testing.assert_array_equal(correlate1d(x, [1, 0, -1], "same"), [-1, -4, -8, -12, 9])
    # convolution flips the kernel: the derivative comes out with the other sign
    np.testing.assert_array_equal(convolve1d(x, [1, 0, -1], "valid"), [4, 8, 12])


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
@pytest.mark.parametrize("n, m", [(6, 3), (6, 4), (3, 6), (4, 7)], ids=["6-3", "6-4", "3-6", "4-7"])
def test_1d_flip_relation(n, m, mode):
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal(n), rng.standard_normal(m)
    full_conv = convolve1d(x, k, "full")
    np.testing.assert_allclose(full_conv, correlate1d(x, k[::-1], "full"), rtol=1e-12)
    if mode == "valid":
        np.testing.assert_allclose(convolve1d(x, k, mode), correlate1d(x, k[::-1], mode), rtol=1e-12)


def test_1d_same_is_numpy_centring_for_even_kernel():
    # numpy puts the kernel's centre at k[M // 2]: for [a, b] the output at i is x[i-1]*a + x[i]*b
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(correlate1d(x, [1.0, 10.0], "same"), [10, 21, 32, 43])
    np.testing.assert_array_equal(convolve1d(x, [1.0, 10.0], "same"), [1, 12, 23, 34])


def test_1d_same_kernel_longer_than_signal():
    # numpy swaps the arguments when the kernel is longer: 'same' then has the kernel's length
    x, k = np.array([1.0, 2.0]), np.array([1.0, 10.0, 100.0, 1000.0, 10000.0])
    out = correlate1d(x, k, "same")
    assert out.shape == (5,)
    np.testing.assert_array_equal(out, np.correlate(x, k, "same"))
    np.testing.assert_array_equal(correlate1d(x, k, "valid"), np.correlate(x, k, "valid"))


# --------------------------------------------------------------------------- 2D vs scipy
# (H, W, kH, kW): square and non-square, odd and even kernels, kernel == input,
# kernel larger than the input along both axes.
SHAPES_2D = [(5, 5, 3, 3), (6, 7, 3, 3), (6, 7, 2, 4), (7, 6, 4, 2), (5, 8, 3, 2), (8, 5, 1, 5),
             (4, 4, 4, 4), (1, 1, 1, 1), (3, 4, 5, 6), (2, 3, 4, 4), (1, 6, 1, 3), (6, 1, 2, 1)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", SHAPES_2D, ids=[f"x{h}x{w}-k{kh}x{kw}" for h, w, kh, kw in SHAPES_2D])
def test_2d_equals_scipy(shape, mode):
    H, W, kH, kW = shape
    rng = np.random.default_rng(H * 1000 + W * 100 + kH * 10 + kW)
    x, k = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
    np.testing.assert_allclose(correlate2d(x, k, mode), scipy.signal.correlate2d(x, k, mode),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(convolve2d(x, k, mode), scipy.signal.convolve2d(x, k, mode),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(H=st.integers(1, 7), W=st.integers(1, 7), kH=st.integers(1, 5), kW=st.integers(1, 5),
       mode=st.sampled_from(MODES), seed=st.integers(0, 2**32 - 1))
def test_2d_equals_scipy_property(H, W, kH, kW, mode, seed):
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal((H, W)), rng.standard_normal((kH, kW))
    try:
        expected = scipy.signal.correlate2d(x, k, mode)
        expected_conv = scipy.signal.convolve2d(x, k, mode)
    except ValueError:          # scipy refuses 'valid' when neither array fits in the other
        with pytest.raises(ValueError, match="valid"):
            correlate2d(x, k, mode)
        with pytest.raises(ValueError, match="valid"):
            convolve2d(x, k, mode)
        return
    np.testing.assert_allclose(correlate2d(x, k, mode), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(convolve2d(x, k, mode), expected_conv, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64], ids=["float32", "float64", "int64"])
def test_2d_keeps_dtype(dtype):
    x = np.arange(20).reshape(4, 5).astype(dtype)
    k = np.array([[1, 2], [3, 4]], dtype=dtype)
    for mode in MODES:
        out = correlate2d(x, k, mode)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, scipy.signal.correlate2d(x, k, mode), rtol=1e-6)


def test_2d_hand_worked_binary_image():
    # the course's worked example: a 5x5 binary image and a 3x3 filter give a 3x3 feature map
    x = np.array([[1, 1, 1, 0, 0],
                  [0, 1, 1, 1, 0],
                  [0, 0, 1, 1, 1],
                  [0, 0, 1, 1, 0],
                  [0, 1, 1, 0, 0]])
    k = np.array([[1, 0, 1],
                  [0, 1, 0],
                  [1, 0, 1]])
    expected = np.array([[4, 3, 4],
                         [2, 4, 3],
                         [2, 3, 4]])
    np.testing.assert_array_equal(correlate2d(x, k, "valid"), expected)
    # this kernel is symmetric under a 180-degree rotation, so convolution gives the same map
    np.testing.assert_array_equal(convolve2d(x, k, "valid"), expected)


def test_2d_hand_worked_asymmetric_kernel():
    x = np.array([[1, 2, 0], [0, 1, 3], [4, 0, 1]])
    k = np.array([[1, 0], [0, -1]])           # top-left minus bottom-right
    np.testing.assert_array_equal(correlate2d(x, k, "valid"), [[1 - 1, 2 - 3], [0 - 0, 1 - 1]])
    # convolution rotates the kernel: bottom-right minus top-left
    np.testing.assert_array_equal(convolve2d(x, k, "valid"), [[0, 1], [0, 0]])


def test_2d_same_is_pytorch_same_for_even_kernel():
    # correlate2d 'same' pads (k-1)//2 before and k//2 after, like PyTorch's padding='same'
    rng = np.random.default_rng(3)
    x, k = rng.standard_normal((5, 6)), rng.standard_normal((2, 4))
    padded = np.pad(x, ((0, 1), (1, 2)))
    np.testing.assert_allclose(correlate2d(x, k, "same"), correlate2d(padded, k, "valid"), rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kshape", [(3, 3), (2, 4), (4, 3)], ids=_id)
def test_2d_flip_relation(kshape, mode):
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((6, 7)), rng.standard_normal(kshape)
    np.testing.assert_allclose(convolve2d(x, k, "full"), correlate2d(x, k[::-1, ::-1], "full"), rtol=1e-12)
    if mode != "same":
        np.testing.assert_allclose(convolve2d(x, k, mode), correlate2d(x, np.rot90(k, 2), mode), rtol=1e-12)
    elif all(s % 2 == 1 for s in kshape):
        # for odd kernels the centres coincide and 'same' also satisfies the relation
        np.testing.assert_allclose(convolve2d(x, k, mode), correlate2d(x, k[::-1, ::-1], mode), rtol=1e-12)


def test_2d_valid_kernel_larger_on_both_axes_follows_scipy():
    x, k = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    out = correlate2d(x, k, "valid")
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out, scipy.signal.correlate2d(x, k, "valid"))


# --------------------------------------------------------------------------- errors
FUNCS = [correlate1d, convolve1d, correlate2d, convolve2d]
FUNC_IDS = [f.__name__ for f in FUNCS]


def _ok(fn):
    return (np.ones(4), np.ones(2)) if fn.__name__.endswith("1d") else (np.ones((4, 4)), np.ones((2, 2)))


@pytest.mark.parametrize("fn", FUNCS, ids=FUNC_IDS)
def test_error_wrong_ndim(fn):
    x, k = _ok(fn)
    wrong = np.ones((2, 2, 2))
    with pytest.raises(ValueError, match=rf"{fn.__name__}: x must be a {x.ndim}-D array.*got 3-D"):
        fn(wrong, k)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: k must be a {x.ndim}-D array.*got 3-D"):
        fn(x, wrong)


@pytest.mark.parametrize("fn", FUNCS, ids=FUNC_IDS)
def test_error_empty(fn):
    x, k = _ok(fn)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: x must not be empty"):
        fn(x[:0], k)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: k must not be empty"):
        fn(x, k[..., :0])


@pytest.mark.parametrize("fn", FUNCS, ids=FUNC_IDS)
def test_error_unknown_mode(fn):
    x, k = _ok(fn)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: mode must be one of 'full', 'valid', 'same', got 'samee'"):
        fn(x, k, mode="samee")
    with pytest.raises(TypeError, match=rf"{fn.__name__}: mode must be one of"):
        fn(x, k, mode=1)


@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([1 + 2j, 3j]), np.array([None, 1.0])],
                         ids=["str", "complex", "object"])
@pytest.mark.parametrize("fn", FUNCS, ids=FUNC_IDS)
def test_error_non_numeric(fn, bad):
    x, k = _ok(fn)
    bad = bad if x.ndim == 1 else bad.reshape(1, 2)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: x must have a real numeric dtype"):
        fn(bad, k)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: k must have a real numeric dtype"):
        fn(x, bad)


@pytest.mark.parametrize("fn", FUNCS, ids=FUNC_IDS)
def test_error_bool(fn):
    x, k = _ok(fn)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: x must have a numeric dtype.*got bool.*astype\(int\)"):
        fn(x.astype(bool), k)


@pytest.mark.parametrize("fn", [correlate2d, convolve2d], ids=["correlate2d", "convolve2d"])
@pytest.mark.parametrize("kshape", [(1, 5), (5, 1)], ids=["wider", "taller"])
def test_error_valid_kernel_larger_on_one_axis(fn, kshape):
    x, k = np.ones((3, 3)), np.ones(kshape)
    expected = (rf"{fn.__name__}: mode='valid' needs the kernel to fit inside x along both axes.*"
                + re.escape(f"x.shape=(3, 3), k.shape={kshape}"))
    with pytest.raises(ValueError, match=expected):
        fn(x, k, "valid")
    # 'full' and 'same' are fine
    assert fn(x, k, "full").shape == (3 + kshape[0] - 1, 3 + kshape[1] - 1)
    assert fn(x, k, "same").shape == (3, 3)


def test_all_exports():
    import cnncourse.signal as mod
    assert sorted(mod.__all__) == sorted(FUNC_IDS)
    for name in itertools.chain(mod.__all__):
        assert getattr(mod, name).__doc__
