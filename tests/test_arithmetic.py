"""Tests for cnncourse.arithmetic: sizes equal the real ops' shapes, the fifteen relationships
of Dumoulin & Visin (2016), receptive fields by hand and by brute force, and every error."""
import itertools
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.signal
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnncourse.arithmetic import (ReceptiveField, conv_output_shape, conv_output_size,
                                  conv_transpose_output_size, explain_conv_output_size,
                                  pool_output_size, receptive_field, same_padding)


def _functional(name):
    """The op from cnncourse.functional, or skip while it has not been written yet."""
    import cnncourse.functional as F
    if not hasattr(F, name):
        pytest.skip(f"cnncourse.functional.{name} does not exist yet")
    return getattr(F, name)


def _positions(i, k, s, p, d):
    """Tiny loop: count the window positions of a (dilated) kernel over a padded axis."""
    count, start = 0, -p
    while start + d * (k - 1) <= i - 1 + p:      # the window's last tap is inside the padded input
        count += 1
        start += s
    return count


# --------------------------------------------------------------------------- the real ops
sizes = st.integers(1, 14)
kernels = st.integers(1, 5)
strides = st.integers(1, 4)
paddings = st.integers(0, 3)
dilations = st.integers(1, 3)


@settings(max_examples=200, deadline=None)
@given(H=sizes, W=sizes, kH=kernels, kW=kernels, sH=strides, sW=strides, pH=paddings, pW=paddings,
       dH=dilations, dW=dilations)
def test_conv_output_size_equals_conv2d_shape(H, W, kH, kW, sH, sW, pH, pW, dH, dW):
    conv2d = _functional("conv2d")
    x = np.zeros((1, 1, H, W))
    weight = np.zeros((1, 1, kH, kW))
    args = dict(stride=(sH, sW), padding=(pH, pW), dilation=(dH, dW))
    try:
        expected = (conv_output_size(H, kH, sH, pH, dH), conv_output_size(W, kW, sW, pW, dW))
    except ValueError:
        with pytest.raises(ValueError):
            conv2d(x, weight, **args)
        return
    assert conv2d(x, weight, **args).shape[2:] == expected
    assert conv_output_shape((H, W), (kH, kW), (sH, sW), (pH, pW), (dH, dW)) == expected


@settings(max_examples=200, deadline=None)
@given(H=st.integers(1, 8), W=st.integers(1, 8), kH=kernels, kW=kernels, sH=strides, sW=strides,
       pH=paddings, pW=paddings, dH=dilations, dW=dilations, data=st.data())
def test_conv_transpose_output_size_equals_conv_transpose2d_shape(H, W, kH, kW, sH, sW, pH, pW,
                                                                  dH, dW, data):
    conv_transpose2d = _functional("conv_transpose2d")
    aH = data.draw(st.integers(0, max(sH, dH) - 1), label="aH")
    aW = data.draw(st.integers(0, max(sW, dW) - 1), label="aW")
    try:
        expected = (conv_transpose_output_size(H, kH, sH, pH, aH, dH),
                    conv_transpose_output_size(W, kW, sW, pW, aW, dW))
    except ValueError:
        assume(False)           # padding eats the whole output; the error is tested below
    x = np.zeros((1, 1, H, W))
    weight = np.zeros((1, 1, kH, kW))
    out = conv_transpose2d(x, weight, stride=(sH, sW), padding=(pH, pW), output_padding=(aH, aW),
                           dilation=(dH, dW))
    assert out.shape[2:] == expected


@settings(max_examples=200, deadline=None)
@given(H=sizes, W=sizes, kH=kernels, kW=kernels, stride=st.one_of(st.none(), st.tuples(strides, strides)),
       data=st.data())
def test_pool_output_size_equals_max_pool2d_shape(H, W, kH, kW, stride, data):
    max_pool2d = _functional("max_pool2d")
    pH = data.draw(st.integers(0, kH // 2), label="pH")
    pW = data.draw(st.integers(0, kW // 2), label="pW")
    sH, sW = (None, None) if stride is None else stride
    try:
        expected = (pool_output_size(H, kH, sH, pH), pool_output_size(W, kW, sW, pW))
    except ValueError:
        assume(False)
    out = max_pool2d(np.zeros((1, 1, H, W)), (kH, kW), stride, (pH, pW))
    assert out.shape[2:] == expected


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_same_padding_matches_conv2d_same(k, d):
    conv2d = _functional("conv2d")
    rng = np.random.default_rng(k * 10 + d)
    x = rng.standard_normal((1, 1, 9, 8))
    weight = rng.standard_normal((1, 1, k, k))
    before, after = same_padding(k, d)
    padded = np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))
    by_hand = conv2d(padded, weight, dilation=d)
    assert by_hand.shape == x.shape
    np.testing.assert_allclose(conv2d(x, weight, padding="same", dilation=d), by_hand, rtol=1e-12)


# --------------------------------------------------------------------------- scipy and a loop
@pytest.mark.parametrize("i, k", [(5, 3), (6, 3), (7, 4), (8, 1), (4, 4), (9, 2)],
                         ids=lambda v: str(v))
def test_sizes_equal_scipy_correlate2d_shapes(i, k):
    x, w = np.zeros((i, i + 1)), np.zeros((k, k))
    assert scipy.signal.correlate2d(x, w, "valid").shape == conv_output_shape((i, i + 1), k)
    assert scipy.signal.correlate2d(x, w, "full").shape == conv_output_shape((i, i + 1), k, padding=k - 1)
    assert scipy.signal.correlate2d(x, w, "same").shape == conv_output_shape((i, i + 1), k, padding="same")


def test_sizes_equal_window_count_exhaustive():
    for i, k, s, p, d in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(0, 3), range(1, 3)):
        count = _positions(i, k, s, p, d)
        if count == 0:
            with pytest.raises(ValueError, match="larger than the padded input"):
                conv_output_size(i, k, s, p, d)
        else:
            assert conv_output_size(i, k, s, p, d) == count, (i, k, s, p, d)
            if 2 * p <= k:
                assert pool_output_size(i, k, s, p, d) == count


# --------------------------------------------------------------------------- Dumoulin & Visin
# Convolution relationships 1-7 and 15: (i, k, s, p, d) -> o by the paper's formula.
CONV_RELATIONSHIPS = {
    "R1-no-padding-unit-stride": (lambda i, k, s, p, d: (i - k) + 1,
                                  [(4, 3, 1, 0, 1), (5, 5, 1, 0, 1), (28, 5, 1, 0, 1), (7, 2, 1, 0, 1)]),
    "R2-zero-padding-unit-stride": (lambda i, k, s, p, d: (i - k) + 2 * p + 1,
                                    [(5, 4, 1, 2, 1), (6, 3, 1, 1, 1), (4, 5, 1, 1, 1), (3, 2, 1, 3, 1)]),
    "R3-half-padding": (lambda i, k, s, p, d: i,
                        [(5, 3, 1, 1, 1), (6, 5, 1, 2, 1), (7, 7, 1, 3, 1), (1, 1, 1, 0, 1)]),
    "R4-full-padding": (lambda i, k, s, p, d: i + (k - 1),
                        [(5, 3, 1, 2, 1), (4, 4, 1, 3, 1), (2, 5, 1, 4, 1)]),
    "R5-no-padding-strided": (lambda i, k, s, p, d: math.floor((i - k) / s) + 1,
                              [(5, 3, 2, 0, 1), (6, 3, 2, 0, 1), (9, 4, 3, 0, 1), (7, 7, 4, 0, 1)]),
    "R6-padding-strided": (lambda i, k, s, p, d: math.floor((i + 2 * p - k) / s) + 1,
                           [(5, 3, 2, 1, 1), (6, 3, 2, 1, 1), (7, 4, 3, 2, 1), (8, 5, 4, 2, 1)]),
    "R15-dilated": (lambda i, k, s, p, d: math.floor((i + 2 * p - k - (k - 1) * (d - 1)) / s) + 1,
                    [(7, 3, 1, 0, 2), (9, 3, 2, 1, 3), (12, 4, 3, 2, 2), (5, 2, 1, 0, 4)]),
}
CONV_CASES = [pytest.param(name, *case, id=f"{name}-i{case[0]}-k{case[1]}-s{case[2]}-p{case[3]}-d{case[4]}")
              for name, (_, cases) in CONV_RELATIONSHIPS.items() for case in cases]


@pytest.mark.parametrize("name, i, k, s, p, d", CONV_CASES)
def test_dumoulin_visin_convolution(name, i, k, s, p, d):
    formula = CONV_RELATIONSHIPS[name][0]
    assert conv_output_size(i, k, s, p, d) == formula(i, k, s, p, d)
    if name == "R3-half-padding":
        assert k % 2 == 1 and p == k // 2 and same_padding(k) == (p, p)


@pytest.mark.parametrize("i, k, s", [(5, 3, 1), (5, 3, 2), (6, 3, 2), (7, 2, 2), (9, 3, 3)],
                         ids=lambda v: str(v))
def test_dumoulin_visin_r7_pooling(i, k, s):
    assert pool_output_size(i, k, s) == math.floor((i - k) / s) + 1


# Transposed relationships 8-14: the forward conv (i, k, s, p); o = its output size is the
# transposed conv's input i'. Each gives o' by the paper's formula, the equivalent direct
# convolution (k', s', p') on the (stretched) i', and o' must recover i.
def _transposed_case(name, i, k, s, p):
    o = conv_output_size(i, k, s, p)                    # i' of the transposed convolution
    a = (i + 2 * p - k) % s
    formulas = {
        "R8-no-padding-unit-stride": lambda: o + (k - 1),
        "R9-padding-unit-stride": lambda: o + (k - 1) - 2 * p,
        "R10-half-padding": lambda: o,
        "R11-full-padding": lambda: o - (k - 1),
        "R12-no-padding-strided": lambda: s * (o - 1) + k,
        "R13-padding-strided": lambda: s * (o - 1) + k - 2 * p,
        "R14-general": lambda: s * (o - 1) + a + k - 2 * p,
    }
    return o, a, formulas[name]()


TRANSPOSED_CASES = {
    "R8-no-padding-unit-stride": [(4, 3, 1, 0), (5, 5, 1, 0), (6, 2, 1, 0)],
    "R9-padding-unit-stride": [(5, 4, 1, 2), (6, 3, 1, 1), (4, 5, 1, 2)],
    "R10-half-padding": [(5, 3, 1, 1), (6, 5, 1, 2), (7, 1, 1, 0)],
    "R11-full-padding": [(5, 3, 1, 2), (4, 4, 1, 3), (3, 2, 1, 1)],
    "R12-no-padding-strided": [(5, 3, 2, 0), (7, 3, 2, 0), (10, 4, 3, 0)],   # (i - k) % s == 0
    "R13-padding-strided": [(5, 3, 2, 1), (8, 4, 3, 1), (6, 4, 2, 1)],      # (i + 2p - k) % s == 0
    "R14-general": [(6, 3, 2, 1), (6, 3, 2, 0), (8, 4, 3, 1), (7, 5, 4, 2), (9, 3, 4, 0)],
}
T_CASES = [pytest.param(name, *case, id=f"{name}-i{case[0]}-k{case[1]}-s{case[2]}-p{case[3]}")
           for name, cases in TRANSPOSED_CASES.items() for case in cases]


@pytest.mark.parametrize("name, i, k, s, p", T_CASES)
def test_dumoulin_visin_transposed(name, i, k, s, p):
    o, a, expected = _transposed_case(name, i, k, s, p)
    if name in ("R12-no-padding-strided", "R13-padding-strided") or s == 1:
        assert a == 0, "the relationship's precondition (the stride divides i + 2p - k)"
    assert conv_transpose_output_size(o, k, s, p, output_padding=a) == expected
    assert expected == i, "the transposed convolution recovers the original input size"
    # the equivalent direct convolution: stretch i' by inserting s - 1 zeros between inputs,
    # add a zeros at the end, pad k - p - 1 on each side, unit stride
    stretched = o + (s - 1) * (o - 1) + a
    assert conv_output_size(stretched, k, 1, k - p - 1) == expected
    if s == 1:                      # relationships 8-11 state p' directly
        p_prime = {"R8-no-padding-unit-stride": k - 1, "R9-padding-unit-stride": k - p - 1,
                   "R10-half-padding": k // 2, "R11-full-padding": 0}.get(name, k - p - 1)
        assert conv_output_size(o, k, 1, p_prime) == expected


@pytest.mark.parametrize("name, i, k, s, p", T_CASES)
def test_dumoulin_visin_transposed_real_op(name, i, k, s, p):
    conv2d, conv_transpose2d = _functional("conv2d"), _functional("conv_transpose2d")
    o, a, expected = _transposed_case(name, i, k, s, p)
    x = np.zeros((1, 1, i, i + 1))
    w = np.zeros((1, 1, k, k))
    y = conv2d(x, w, stride=s, padding=p)
    assert y.shape[2] == o
    a_w = (i + 1 + 2 * p - k) % s
    back = conv_transpose2d(y, w, stride=s, padding=p, output_padding=(a, a_w))
    assert back.shape[2:] == x.shape[2:]


def test_strided_convolution_loses_the_input_size():
    # relationship 14's point: i = 7 and i = 8 both give o = 3 for k = 3, s = 2
    assert conv_output_size(7, 3, 2) == conv_output_size(8, 3, 2) == 3
    assert conv_transpose_output_size(3, 3, 2) == 7
    assert conv_transpose_output_size(3, 3, 2, output_padding=1) == 8


# --------------------------------------------------------------------------- hand cases
@pytest.mark.parametrize("args, expected", [
    ((28, 5), 24), ((32, 3, 1, 1), 32), ((7, 3, 2), 3), ((224, 7, 2, 3), 112), ((227, 11, 4), 55),
    ((6, 3, 2, 1), 3), ((10, 3, 1, 0, 2), 6), ((1, 1), 1), ((3, 5, 1, 1), 1),
], ids=["lenet", "vgg-same", "stride-2", "resnet-stem", "alexnet", "stride-not-dividing",
        "dilated", "one-by-one", "padding-saves-big-kernel"])
def test_conv_output_size_hand(args, expected):
    assert conv_output_size(*args) == expected


@pytest.mark.parametrize("args, expected", [
    ((3, 3, 2), 7), ((3, 3, 2, 1), 5), ((3, 3, 2, 1, 1), 6), ((4, 4, 2, 1), 8), ((5, 3, 1, 1), 5),
    ((2, 3, 1, 0, 0, 2), 6),
], ids=["s2", "s2-p1", "s2-p1-a1", "dcgan-k4s2p1", "same", "dilated"])
def test_conv_transpose_output_size_hand(args, expected):
    assert conv_transpose_output_size(*args) == expected


@pytest.mark.parametrize("args, expected", [
    ((28, 2), 14), ((7, 2), 3), ((7, 3, 2), 3), ((6, 3, 2, 1), 3), ((5, 3, 1, 1), 5), ((7, 2, None, 1), 4),
    ((9, 3, 2, 0, 2), 3),
], ids=["halve", "odd-drops-last", "overlapping", "padded", "same", "stride-none", "dilated"])
def test_pool_output_size_hand(args, expected):
    assert pool_output_size(*args) == expected


@pytest.mark.parametrize("k, d, expected", [(1, 1, (0, 0)), (2, 1, (0, 1)), (3, 1, (1, 1)), (4, 1, (1, 2)),
                                            (5, 1, (2, 2)), (3, 2, (2, 2)), (2, 3, (1, 2)), (4, 2, (3, 3))])
def test_same_padding(k, d, expected):
    before, after = same_padding(k, d)
    assert (before, after) == expected
    assert before + after == d * (k - 1)
    # with the per-side split applied, a stride-1 convolution keeps the size
    assert _positions(10 + before + after, k, 1, 0, d) == 10


@pytest.mark.parametrize("shape, args, expected", [
    ((28, 28), (5,), (24, 24)), ((28, 32), ((5, 3),), (24, 30)), ((7, 8), ((3, 2), (2, 1), (1, 0)), (4, 7)),
    ((10, 12), (3, 1, 0, (1, 2)), (8, 8)), ((7, 8), (4, 1, "same"), (7, 8)), ((7, 8), (3, 1, "valid"), (5, 6)),
], ids=["square", "non-square-kernel", "pairs", "dilation-pair", "same-even", "valid"])
def test_conv_output_shape(shape, args, expected):
    assert conv_output_shape(shape, *args) == expected


def test_explain_conv_output_size_example():
    assert explain_conv_output_size(7, 3, stride=2) == \
        "floor((7 + 2*0 - 1*(3-1) - 1) / 2) + 1 = floor(4/2) + 1 = 3"


def test_explain_conv_output_size_remainder():
    text = explain_conv_output_size(10, 3, stride=3, padding=1)
    assert text == "floor((10 + 2*1 - 1*(3-1) - 1) / 3) + 1 = floor(9/3) + 1 = 4"
    text = explain_conv_output_size(11, 3, stride=3, padding=1)
    first, second = text.split("\n")
    assert first == "floor((11 + 2*1 - 1*(3-1) - 1) / 3) + 1 = floor(10/3) + 1 = 4"
    assert second == ("the stride 3 does not divide 10 (remainder 1): the last 1 row/column of the "
                      "padded input (size 13) is never visited (only padding: every input row/column is used)")
    text = explain_conv_output_size(12, 3, stride=3, padding=1)
    assert text.endswith("the last 2 rows/columns of the padded input (size 14) are never visited "
                         "(1 of them input, 1 padding)")
    assert explain_conv_output_size(6, 3, stride=2, padding=1).endswith(
        "is never visited (only padding: every input row/column is used)")
    assert explain_conv_output_size(8, 3, stride=2).endswith("of the padded input (size 8) is never visited")


def test_explain_stride_larger_than_kernel():
    assert explain_conv_output_size(5, 1, stride=2) == (
        "floor((5 + 2*0 - 1*(1-1) - 1) / 2) + 1 = floor(4/2) + 1 = 3\n"
        "the stride 2 is larger than the kernel 1: 1 row/column is skipped between neighbouring windows")
    assert "skipped" not in explain_conv_output_size(9, 2, stride=3, dilation=2)   # k_eff 3 == s
    assert explain_conv_output_size(9, 2, stride=5, dilation=2).endswith(
        "the stride 5 is larger than the effective kernel 3: 2 rows/columns are skipped between neighbouring windows")


@settings(max_examples=200, deadline=None)
@given(i=sizes, k=kernels, s=strides, p=paddings, d=dilations)
def test_explain_agrees_with_conv_output_size(i, k, s, p, d):
    assume(_positions(i, k, s, p, d) > 0)
    text = explain_conv_output_size(i, k, s, p, d)
    assert int(text.split("\n")[0].rsplit("= ", 1)[1]) == conv_output_size(i, k, s, p, d)
    match = re.search(r"the last (\d+) row", text)
    visited_span = (conv_output_size(i, k, s, p, d) - 1) * s + d * (k - 1) + 1
    assert (int(match.group(1)) if match else 0) == i + 2 * p - visited_span
    # input rows (not padding) beyond the last window's last tap
    lost_input = max(0, (p + i - 1) - (visited_span - 1))
    match = re.search(r"\((\d+) of them input", text)
    if "only padding" in text:
        assert lost_input == 0
    elif match:
        assert int(match.group(1)) == lost_input
    else:
        assert lost_input == (int(re.search(r"the last (\d+) row", text).group(1)) if "never visited" in text else 0)


# --------------------------------------------------------------------------- receptive fields
@pytest.mark.parametrize("layers, expected", [
    ([(3,), (3,), (3,)], ReceptiveField(7, 1, 3.0)),
    ([(3, 1, 1), (3, 1, 1), (3, 1, 1)], ReceptiveField(7, 1, 0.0)),
    ([(3, 1, 1), (2, 2), (3, 1, 1)], ReceptiveField(8, 2, 0.5)),
    ([(3, 1, 0, 1), (3, 1, 0, 2), (3, 1, 0, 4)], ReceptiveField(15, 1, 7.0)),
    ([(5,), (2, 2), (5,), (2, 2)], ReceptiveField(16, 4, 7.5)),          # LeNet-5's features
    ([(7, 2, 3), (3, 2, 1)], ReceptiveField(11, 4, 0.0)),                  # ResNet stem
    ([(1,)], ReceptiveField(1, 1, 0.0)),
], ids=["three-3x3", "three-3x3-padded", "conv3-pool2-conv3", "dilated-1-2-4", "lenet5",
        "resnet-stem", "1x1"])
def test_receptive_field_hand(layers, expected):
    fields = receptive_field(layers)
    assert len(fields) == len(layers)
    assert fields[-1] == expected


def test_receptive_field_every_layer():
    fields = receptive_field([(3,), (2, 2), (3,)])
    assert fields == [ReceptiveField(3, 1, 1.0), ReceptiveField(4, 2, 1.5), ReceptiveField(8, 2, 3.5)]


def test_receptive_field_layer_forms_agree():
    as_tuples = [(3, 1, 1, 1), (2, 2, 0, 1), (3, 1, 2, 2)]
    as_dicts = [dict(kernel_size=3, padding=1), dict(kernel_size=2, stride=2), dict(kernel_size=3, padding=2, dilation=2)]
    as_objects = [SimpleNamespace(kernel_size=(3, 5), stride=(1, 1), padding=(1, 2), dilation=(1, 1)),
                  SimpleNamespace(kernel_size=(2, 2), stride=None, padding=0, dilation=1),
                  SimpleNamespace(kernel_size=3, stride=1, padding=(2, 0), dilation=(2, 1))]
    assert receptive_field(as_tuples) == receptive_field(as_dicts) == receptive_field(as_objects)
    assert receptive_field(as_objects, axis=1)[-1] == receptive_field([(5, 1, 2), (2, 2), (3,)])[-1]


def test_receptive_field_nn_layers():
    nn = pytest.importorskip("cnncourse.nn")
    if not all(hasattr(nn, name) for name in ("Conv2d", "MaxPool2d", "ReLU", "Sequential", "Flatten")):
        pytest.skip("cnncourse.nn layers not available yet")
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(2, 2, (3, 5), padding="same", rng=rng), nn.ReLU())
    assert receptive_field(model)[-1] == ReceptiveField(10, 2, 2.5)
    assert receptive_field(model, axis=1)[-1] == ReceptiveField(14, 2, 2.5)
    with pytest.raises(ValueError, match=r"receptive_field: layers\[5\] \(Flatten\) mixes all positions"):
        receptive_field(list(model) + [nn.Flatten()])


def _support(layers, n, j):
    """Input positions that output j of a 1D stack depends on: backprop a one-hot with loops."""
    lengths = [n]
    for k, s, p, d in layers:
        lengths.append(_positions(lengths[-1], k, s, p, d))
    grad = np.zeros(lengths[-1])
    grad[j] = 1.0
    for (k, s, p, d), n_in in zip(reversed(layers), reversed(lengths[:-1])):
        grad_in = np.zeros(n_in)
        for q in range(len(grad)):
            for t in range(k):                       # tap t of window q reads input q*s - p + t*d
                pos = q * s - p + t * d
                if 0 <= pos < n_in:
                    grad_in[pos] += grad[q]          # all-ones kernel: positive weights
        grad = grad_in
    return np.flatnonzero(grad)


layer_strategy = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2), st.integers(1, 3))


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(layer_strategy, min_size=1, max_size=4))
def test_receptive_field_brute_force(layers):
    field = receptive_field(layers)[-1]
    n = 2 * field.size + field.jump * 4 + 8
    out_len = n
    for k, s, p, d in layers:
        out_len = _positions(out_len, k, s, p, d)
        assume(out_len > 0)
    j = out_len // 2
    centre = field.start + j * field.jump
    assume(centre - (field.size - 1) / 2 >= 0 and centre + (field.size - 1) / 2 <= n - 1)
    support = _support(layers, n, j)
    assert support[-1] - support[0] + 1 == field.size
    assert (support[0] + support[-1]) / 2 == centre


# --------------------------------------------------------------------------- errors
SIZE_FUNCS = [conv_output_size, conv_transpose_output_size, pool_output_size, explain_conv_output_size]
SIZE_IDS = [f.__name__ for f in SIZE_FUNCS]


@pytest.mark.parametrize("fn", SIZE_FUNCS, ids=SIZE_IDS)
@pytest.mark.parametrize("bad", [2.0, "3", True, None, np.float64(2.0)], ids=["float", "str", "bool", "None", "np.float64"])
@pytest.mark.parametrize("arg", ["input_size", "kernel_size", "padding"])
def test_error_not_an_int(fn, bad, arg):
    args = dict(input_size=8, kernel_size=2, padding=0)
    args[arg] = bad
    with pytest.raises(TypeError, match=rf"{fn.__name__}: {arg} must be an int, got"):
        fn(**args)


def test_numpy_ints_accepted():
    assert conv_output_size(np.int64(8), np.int32(3)) == 6


@pytest.mark.parametrize("fn", SIZE_FUNCS, ids=SIZE_IDS)
@pytest.mark.parametrize("arg, bad, what", [
    ("input_size", 0, r"a positive int \(>= 1\)"), ("kernel_size", 0, r"a positive int \(>= 1\)"),
    ("stride", 0, r"a positive int \(>= 1\)"),
    ("padding", -1, "an int >= 0"), ("dilation", 0, r"a positive int \(>= 1\)"),
])
def test_error_out_of_range(fn, arg, bad, what):
    args = dict(input_size=8, kernel_size=2)
    args[arg] = bad
    with pytest.raises(ValueError, match=rf"{fn.__name__}: {arg} must be {what}, got {bad}"):
        fn(**args)


@pytest.mark.parametrize("fn", [conv_output_size, explain_conv_output_size, pool_output_size],
                         ids=["conv_output_size", "explain_conv_output_size", "pool_output_size"])
def test_error_kernel_larger_than_padded_input(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: the kernel \(size 5\) is larger than the "
                                         rf"padded input \(i \+ 2p = 3 \+ 2\*0 = 3\)"):
        fn(3, 5)


def test_error_dilated_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"conv_output_size: the kernel \(effective size d\*\(k-1\)\+1 = "
                                         r"2\*\(3-1\)\+1 = 5\) is larger than the padded input \(i \+ 2p = 3 \+ 2\*0 = 3\)"):
        conv_output_size(3, 3, dilation=2)


def test_error_transpose_output_padding_too_large():
    with pytest.raises(ValueError, match=r"conv_transpose_output_size: output_padding must be smaller than "
                                         r"either stride or dilation .*output_padding=2, stride=2, dilation=1"):
        conv_transpose_output_size(3, 3, stride=2, output_padding=2)
    assert conv_transpose_output_size(3, 3, stride=1, output_padding=1, dilation=2) == 8


def test_error_transpose_padding_eats_output():
    with pytest.raises(ValueError, match=r"conv_transpose_output_size: padding=3 removes the whole output"):
        conv_transpose_output_size(2, 2, padding=3)


def test_error_pool_padding_more_than_half_kernel():
    with pytest.raises(ValueError, match=r"pool_output_size: padding must be at most half the kernel size.*"
                                         r"padding=2, kernel_size=3"):
        pool_output_size(8, 3, padding=2)
    with pytest.raises(TypeError, match=r"pool_output_size: stride must be an int, got 1.5"):
        pool_output_size(8, 3, stride=1.5)


def test_error_same_padding():
    with pytest.raises(TypeError, match=r"same_padding: kernel_size must be an int, got 3.0"):
        same_padding(3.0)
    with pytest.raises(ValueError, match=r"same_padding: dilation must be a positive int"):
        same_padding(3, 0)


@pytest.mark.parametrize("args, exc, match", [
    (((28,), 3), TypeError, r"conv_output_shape: input_shape must be a pair \(H, W\), got \(28,\)"),
    (((28, 28), (3, 3, 3)), ValueError, r"conv_output_shape: kernel_size must be an int or a pair"),
    (((28, 28), 3, 2, "same"), ValueError, r"conv_output_shape: padding='same' needs stride 1"),
    (((28, 28), 3, 1, "half"), ValueError, r"conv_output_shape: padding must be an int, a pair \(h, w\), 'valid' or 'same'"),
    (((28, 3), 5), ValueError, r"conv_output_shape \(axis W\): conv_output_size: the kernel \(size 5\) is larger"),
    (((28, 28.0), 5), TypeError, r"conv_output_shape: input_shape\[1\] \(W\) must be an int"),
    (((28, 28), (5, 2.5)), TypeError, r"conv_output_shape \(axis W\): conv_output_size: kernel_size must be an int"),
], ids=["short-shape", "kernel-triple", "same-strided", "unknown-padding", "too-small-W", "float-W", "float-kernel"])
def test_error_conv_output_shape(args, exc, match):
    with pytest.raises(exc, match=match):
        conv_output_shape(*args)


@pytest.mark.parametrize("layers, exc, match", [
    ([(3,), (2.0,)], TypeError, r"receptive_field: layers\[1\] kernel_size must be an int, got 2.0"),
    ([(3, 0)], ValueError, r"receptive_field: layers\[0\] stride must be a positive int \(>= 1\), got 0"),
    ([(3, 1, -1)], ValueError, r"receptive_field: layers\[0\] padding must be an int >= 0, got -1"),
    ([(3, 1, 0, 1, 9)], ValueError, r"receptive_field: layers\[0\] must be \(kernel_size, stride=1, padding=0, dilation=1\)"),
    ([()], ValueError, r"receptive_field: layers\[0\] must be \(kernel_size"),
    ([{"kernel": 3}], ValueError, r"receptive_field: layers\[0\] has unknown keys \['kernel'\]"),
    ([{"stride": 2}], ValueError, r"receptive_field: layers\[0\] is a mapping without 'kernel_size'"),
    ([3], TypeError, r"receptive_field: layers\[0\] must be a tuple \(kernel_size, stride, padding, dilation\)"),
    ([(True,)], TypeError, r"receptive_field: layers\[0\] kernel_size must be an int, got True"),
    ([SimpleNamespace(output_size=1)], ValueError, r"receptive_field: layers\[0\] \(SimpleNamespace\) mixes all positions"),
    ([SimpleNamespace(kernel_size=2, output_padding=0)], ValueError, r"receptive_field: layers\[0\] .*transposed convolution"),
    ([SimpleNamespace(kernel_size=(3, 3, 3), padding="full")], ValueError, r"receptive_field: layers\[0\] padding must be"),
], ids=["float-kernel", "zero-stride", "negative-padding", "five-values", "empty-tuple", "unknown-key",
        "no-kernel-key", "bare-int", "bool-kernel", "adaptive", "transposed", "string-padding"])
def test_error_receptive_field_layers(layers, exc, match):
    with pytest.raises(exc, match=match):
        receptive_field(layers)


def test_error_receptive_field_arguments():
    with pytest.raises(TypeError, match=r"receptive_field: layers must be an iterable of layers.*got int"):
        receptive_field(3)
    with pytest.raises(TypeError, match=r"receptive_field: layers must be an iterable of layers.*got dict"):
        receptive_field({"kernel_size": 3})
    with pytest.raises(ValueError, match=r"receptive_field: axis must be 0 \(height\) or 1 \(width\), got 2"):
        receptive_field([(3,)], axis=2)


def test_receptive_field_pointwise_layers_and_empty_stack():
    relu = SimpleNamespace()
    assert receptive_field([(3,), relu]) == [ReceptiveField(3, 1, 1.0)] * 2
    assert receptive_field([]) == []
