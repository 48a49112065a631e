"""Every message of cnncourse.checks, triggered (numpy's test_errors habit)."""
import numpy as np
import pytest

from cnncourse import checks as C


# ------------------------------------------------------------------------------------ ints
@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3)], ids=["int", "np.int64", "np.int32"])
def test_check_int_accepts_ints(value):
    out = C.check_int(value, "f", "n")
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value, kind", [(True, "bool"), (False, "bool"), (2.0, "float"),
                                         (2.5, "float"), ("1", "str"), (None, "NoneType"),
                                         (np.bool_(True), "bool")],
                         ids=["True", "False", "2.0", "2.5", "str", "None", "np.bool_"])
def test_check_int_refuses_non_ints(value, kind):
    with pytest.raises(TypeError, match=rf"^LPPool2d: kernel_size must be an int, got .* \({kind}"):
        C.check_int(value, "LPPool2d", "kernel_size")


def test_positive_int_messages():
    assert C.check_positive_int(1, "f", "n") == 1
    with pytest.raises(ValueError, match=r"^Flatten: start_dim must be a positive int \(>= 1\), got 0$"):
        C.check_positive_int(0, "Flatten", "start_dim")
    with pytest.raises(TypeError, match=r"^Flatten: start_dim must be an int, got 2.5 \(float\)$"):
        C.check_positive_int(2.5, "Flatten", "start_dim")


def test_non_negative_int_messages():
    assert C.check_non_negative_int(0, "f", "n") == 0
    with pytest.raises(ValueError, match=r"^f: padding must be an int >= 0, got -1$"):
        C.check_non_negative_int(-1, "f", "padding")
    with pytest.raises(ValueError, match=r"^f: n must be an int >= 3, got 2$"):
        C.check_int(2, "f", "n", min_value=3)


def test_is_int_and_is_real():
    assert C.is_int(np.int8(1)) and not C.is_int(True) and not C.is_int(1.0)
    assert C.is_real(1) and C.is_real(np.float32(1.5)) and not C.is_real(True)
    assert not C.is_real("1") and not C.is_real(1j)


# ------------------------------------------------------------------------------------ pair
@pytest.mark.parametrize("value, expected", [(2, (2, 2)), ((2, 3), (2, 3)), ([4, 1], (4, 1)),
                                             ((np.int64(2), 3), (2, 3))])
def test_pair_accepts(value, expected):
    out = C.pair(value, "f", "n")
    assert out == expected and all(type(v) is int for v in out)


@pytest.mark.parametrize("value", [True, 2.0, (2, 2.0), (True, 1), (1, 2, 3), "2", None, (1,)])
def test_pair_refuses_non_int_pairs(value):
    with pytest.raises(TypeError, match=r"^max_pool2d: kernel_size must be an int or a pair of "
                                        r"ints \(h, w\), got "):
        C.pair(value, "max_pool2d", "kernel_size")


def test_pair_range_messages():
    with pytest.raises(ValueError, match=r"^f: stride must be positive, got \(1, 0\)$"):
        C.pair((1, 0), "f", "stride", min_value=1)
    with pytest.raises(ValueError, match=r"^f: padding must be >= 0, got -1$"):
        C.pair(-1, "f", "padding")
    with pytest.raises(ValueError, match=r"^f: n must be >= 2, got 1$"):
        C.pair(1, "f", "n", min_value=2)
    assert C.pair(-5, "f", "n", min_value=None) == (-5, -5)


# ------------------------------------------------------------------------------------ reals
def test_check_real():
    assert C.check_real(1, "f", "x") == 1.0 and type(C.check_real(1, "f", "x")) is float
    assert C.check_real(np.float32(0.5), "f", "x") == 0.5
    with pytest.raises(TypeError, match=r"^LeakyReLU: negative_slope must be a real number, "
                                        r"got '0.1' \(str\)$"):
        C.check_real("0.1", "LeakyReLU", "negative_slope")
    with pytest.raises(TypeError, match=r"^BatchNorm2d: eps must be a real number, got True \(bool\)$"):
        C.check_real(True, "BatchNorm2d", "eps")
    with pytest.raises(ValueError, match=r"^f: x must be a finite number, got nan$"):
        C.check_real(float("nan"), "f", "x")
    with pytest.raises(ValueError, match=r"^f: x must be a finite number, got inf$"):
        C.check_real(float("inf"), "f", "x")
    assert C.check_real(float("inf"), "f", "x", finite=False) == float("inf")
    with pytest.raises(ValueError, match=r"^f: x must be a finite number, got nan$"):
        C.check_real(float("nan"), "f", "x", finite=False)


@pytest.mark.parametrize("kwargs, value, msg", [
    (dict(low=0, low_open=True), 0, r"must be > 0, got 0.0$"),
    (dict(low=0), -1, r"must be >= 0, got -1.0$"),
    (dict(high=1, high_open=True), 1, r"must be < 1, got 1.0$"),
    (dict(high=1), 2, r"must be <= 1, got 2.0$"),
    (dict(low=0, high=1, high_open=True), 1, r"must be in \[0, 1\), got 1.0$"),
    (dict(low=0, high=1, low_open=True), 0, r"must be in \(0, 1\], got 0.0$"),
])
def test_check_real_ranges(kwargs, value, msg):
    with pytest.raises(ValueError, match=r"^Dropout: p " + msg):
        C.check_real(value, "Dropout", "p", **kwargs)
    inside = 0.5
    assert C.check_real(inside, "Dropout", "p", **kwargs) == inside


def test_check_bool():
    assert C.check_bool(np.bool_(True), "f", "b") is True
    with pytest.raises(TypeError, match=r"^f: bias must be True or False, got 1 \(int\)$"):
        C.check_bool(1, "f", "bias")


# ------------------------------------------------------------------------------------ arrays
def test_check_array_messages():
    x = np.zeros((2, 3, 4, 5))
    assert C.check_array(x, "f", "x", 4) is x
    with pytest.raises(TypeError, match=r"^conv2d: x must be a numpy ndarray, got list$"):
        C.check_array([1.0], "conv2d", "x")
    with pytest.raises(TypeError, match=r"^conv2d: x must have a floating dtype \(float32 or "
                                        r"float64\), got int64$"):
        C.check_array(np.zeros(3, dtype=np.int64), "conv2d", "x")
    assert C.check_array(np.zeros(3, dtype=np.int64), "f", "t", floating=False).dtype == np.int64
    with pytest.raises(ValueError, match=r"^conv2d: x must be 4-D \(N, C, H, W\), got shape \(3,\)$"):
        C.check_array(np.zeros(3), "conv2d", "x", 4)
    with pytest.raises(ValueError, match=r"^f: x must be 5-D, got shape \(3,\)$"):
        C.check_array(np.zeros(3), "f", "x", 5)


def test_check_floating_dtype():
    assert C.check_floating_dtype("float32", "f") == np.float32
    with pytest.raises(TypeError, match=r"^f: dtype must be a floating dtype \(float32 or "
                                        r"float64\), got int32$"):
        C.check_floating_dtype(np.int32, "f")
    with pytest.raises(TypeError, match=r"^f: dtype must be a numpy floating dtype such as "):
        C.check_floating_dtype(object(), "f")


def test_check_same_dtype():
    x = np.zeros(2)
    C.check_same_dtype("f", x, weight=np.zeros(2), bias=None)
    with pytest.raises(TypeError, match=r"^conv2d: weight has dtype float32 but x has dtype "
                                        r"float64; convert one of them with .astype\(\)$"):
        C.check_same_dtype("conv2d", x, weight=np.zeros(2, np.float32))


# ------------------------------------------------------------------------------------ rng
def test_as_rng_policy():
    g = np.random.default_rng(0)
    assert C.as_rng(g, "f") is g
    assert isinstance(C.as_rng(None, "f"), np.random.Generator)
    a, b = C.as_rng(7, "f").random(3), C.as_rng(np.int64(7), "f").random(3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.random.default_rng(7).random(3))


@pytest.mark.parametrize("seed, kind", [(True, "bool"), (1.5, "float"), ("0", "str"),
                                        (np.random.RandomState(0), "RandomState")])
def test_as_rng_refuses(seed, kind):
    with pytest.raises(TypeError, match=rf"^shapes: seed must be an int seed, None or a numpy "
                                        rf"Generator \(np.random.default_rng\(seed\)\), got .*\({kind}\)$"):
        C.as_rng(seed, "shapes", "seed")


def test_as_rng_negative_seed():
    with pytest.raises(ValueError, match=r"^fit: rng must be a non-negative int seed, None or a "
                                         r"numpy Generator, got -1$"):
        C.as_rng(-1, "fit")


# ------------------------------------------------------------------------------------ backward
def test_check_cache():
    from typing import NamedTuple

    class Cache(NamedTuple):
        x: int

    c = Cache(1)
    assert C.check_cache(c, "op_backward", Cache, "op_forward") is c
    with pytest.raises(TypeError, match=r"^op_backward: cache must be the Cache returned by "
                                        r"op_forward, got tuple$"):
        C.check_cache((1,), "op_backward", Cache, "op_forward")


def test_check_dout_messages():
    d = np.zeros((2, 3))
    assert C.check_dout(d, "relu_backward", (2, 3), np.float64) is d
    with pytest.raises(ValueError, match=r"^relu_backward: dout must have the shape of the "
                                         r"forward output \(2, 3\), got \(3, 2\)$"):
        C.check_dout(np.zeros((3, 2)), "relu_backward", (2, 3), np.float64)
    with pytest.raises(ValueError, match=r"^relu_backward: dout must be 2-D \(N, D\), got shape \(6,\)$"):
        C.check_dout(np.zeros(6), "relu_backward", (2, 3), np.float64)
    with pytest.raises(TypeError, match=r"^relu_backward: dout has dtype float32 but the forward "
                                        r"ran in float64; convert it with .astype\(\)$"):
        C.check_dout(np.zeros((2, 3), np.float32), "relu_backward", (2, 3), np.float64)
    with pytest.raises(TypeError, match=r"^relu_backward: dout must have a floating dtype"):
        C.check_dout(np.zeros((2, 3), np.int64), "relu_backward", (2, 3), np.float64)
    with pytest.raises(TypeError, match=r"^relu_backward: dout must be a numpy ndarray, got int$"):
        C.check_dout(1, "relu_backward", (2, 3), np.float64)


# ------------------------------------------------------------------------------------ PyTorch kwargs
POOL = {"ceil_mode": (False, "output sizes are always rounded down"),
        "dilation": (1, "pooling windows are never dilated here")}


def test_reject_unsupported_accepts_pytorch_defaults():
    C.reject_unsupported("max_pool2d", {}, POOL)
    C.reject_unsupported("max_pool2d", {"ceil_mode": False, "dilation": 1}, POOL)
    C.reject_unsupported("max_pool2d", {"dilation": (1, 1)}, POOL)


@pytest.mark.parametrize("kwargs, name", [({"ceil_mode": True}, "ceil_mode"),
                                          ({"ceil_mode": 0}, "ceil_mode"),
                                          ({"dilation": 2}, "dilation"),
                                          ({"dilation": (1, 2)}, "dilation"),
                                          ({"dilation": True}, "dilation")])
def test_reject_unsupported_names_the_argument(kwargs, name):
    with pytest.raises(TypeError, match=rf"^max_pool2d: argument '{name}' is not supported \("
                                        rf".*\); got {name}=.*, only PyTorch's default "):
        C.reject_unsupported("max_pool2d", kwargs, POOL)


def test_reject_unsupported_unknown_name():
    with pytest.raises(TypeError, match=r"^max_pool2d\(\) got an unexpected keyword argument 'foo'$"):
        C.reject_unsupported("max_pool2d", {"foo": 1}, POOL)


# ------------------------------------------------------------------------------------ conv arrays
def test_check_conv_inputs_messages():
    x, w = np.zeros((8, 1, 28, 28)), np.zeros((6, 3, 5, 5))
    with pytest.raises(ValueError, match=r"^conv2d: x has 1 channel but weight expects 3 "
                                         r"\(x.shape=\(8, 1, 28, 28\), weight.shape=\(6, 3, 5, 5\)\)$"):
        C.check_conv_inputs("conv2d", x, w)
    with pytest.raises(ValueError, match=r"^conv_transpose2d: x has 1 channel but weight expects 6"):
        C.check_conv_inputs("conv_transpose2d", x, w, weight_in_axis=0)
    w = np.zeros((6, 1, 5, 5))
    with pytest.raises(ValueError, match=r"^conv2d: bias must have shape \(6,\), one value per "
                                         r"output channel of weight.shape=\(6, 1, 5, 5\), got shape \(3,\)$"):
        C.check_conv_inputs("conv2d", x, w, np.zeros(3))
    with pytest.raises(TypeError, match=r"^conv2d: bias has dtype float32 but x has dtype float64"):
        C.check_conv_inputs("conv2d", x, w, np.zeros(6, np.float32))
    with pytest.raises(ValueError, match=r"^conv2d_im2col: weight must be 4-D"):
        C.check_conv_inputs("conv2d_im2col", x, np.zeros((6, 5, 5)))
    out = C.check_conv_inputs("conv2d", x, w, np.zeros(6))
    assert out[0] is x and out[1] is w
