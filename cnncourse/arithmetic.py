"""Convolution arithmetic: output sizes, 'same' padding and receptive fields.

Everything here is about one spatial axis at a time, with PyTorch's conventions: padding is
*per side* (a padding of 1 adds one row on top and one at the bottom), sizes are rounded
*down* (floor), and a dilation of 1 means an ordinary, undilated kernel.

The central formula (PyTorch's ``Conv2d`` documentation, Dumoulin & Visin 2016, relationship 15)::

    o = floor((i + 2p - d(k - 1) - 1) / s) + 1

where ``i`` is the input size, ``k`` the kernel size, ``s`` the stride, ``p`` the padding per
side and ``d`` the dilation. ``d(k - 1) + 1`` is the *effective* kernel size (the span a
dilated kernel covers). :func:`explain_conv_output_size` writes the formula out with the
numbers substituted, which is how the padding-and-stride chapter uses it.

All functions accept only ints (``True``, ``2.0`` and ``'3'`` are refused with a ``TypeError``)
and name themselves and the offending argument in every error. The formulas themselves live
in :mod:`cnncourse.geometry` (which :mod:`cnncourse.functional` uses too), the checks in
:mod:`cnncourse.checks`: this module is their validated, explained public face.

(Why one module of ~520 lines: it is the padding-and-stride chapter's reference, the output
sizes, their written-out explanation and receptive fields, most of it numpydoc with worked
examples; splitting it would split one chapter's API over several imports.)
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import NamedTuple

from . import geometry
from .checks import check_int

__all__ = [
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "conv_output_shape",
    "same_padding",
    "explain_conv_output_size",
    "ReceptiveField",
    "receptive_field",
]


# --------------------------------------------------------------------------- validation
def _conv_args(fn, input_size, kernel_size, stride, padding, dilation):
    return (check_int(input_size, fn, "input_size", 1), check_int(kernel_size, fn, "kernel_size", 1),
            check_int(stride, fn, "stride", 1), check_int(padding, fn, "padding", 0),
            check_int(dilation, fn, "dilation", 1))


def _too_small(fn: str, i: int, k: int, p: int, d: int) -> ValueError:
    k_eff = geometry.effective_kernel(k, d)
    eff = f"effective size d*(k-1)+1 = {d}*({k}-1)+1 = {k_eff}" if d != 1 else f"size {k}"
    return ValueError(f"{fn}: the kernel ({eff}) is larger than the padded input "
                      f"(i + 2p = {i} + 2*{p} = {i + 2 * p}), so there is no position for it; "
                      f"use a smaller kernel or dilation, or more padding")


# --------------------------------------------------------------------------- output sizes
def conv_output_size(input_size: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Output size of a convolution along one axis.

    Parameters
    ----------
    input_size : int
        ``i``, the input height or width (>= 1).
    kernel_size : int
        ``k`` (>= 1).
    stride : int, default 1
        ``s`` (>= 1).
    padding : int, default 0
        ``p``, zero padding added on *each* side (>= 0).
    dilation : int, default 1
        ``d``, spacing between kernel taps (>= 1; 1 is an ordinary kernel).

    Returns
    -------
    int
        ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1``, the same as ``H_out`` of
        :func:`cnncourse.functional.conv2d`.

    Raises
    ------
    TypeError
        If an argument is not an int (bools and floats are refused).
    ValueError
        If an argument is out of range, or the effective kernel ``d(k - 1) + 1`` is larger
        than the padded input ``i + 2p`` (the output would be empty).

    See Also
    --------
    explain_conv_output_size : the same computation, written out with the numbers.
    conv_output_shape : both axes at once.

    Examples
    --------
    >>> conv_output_size(28, 5)                 # LeNet's first layer
    24
    >>> conv_output_size(7, 3, stride=2)        # floor((7 - 3) / 2) + 1
    3
    >>> conv_output_size(6, 3, stride=2, padding=1)  # floor(5 / 2) + 1: the last (padding) row unused
    3
    """
    fn = "conv_output_size"
    i, k, s, p, d = _conv_args(fn, input_size, kernel_size, stride,
                               padding, dilation)
    # (i + 2p - d(k - 1) - 1) // s + 1
    out = geometry.out_length(i + 2 * p, k, s, d)
    if out <= 0:
        raise _too_small(fn, i, k, p, d)
    return out


def conv_transpose_output_size(input_size: int, kernel_size: int, stride: int = 1,
                               padding: int = 0, output_padding: int = 0,
                               dilation: int = 1) -> int:
    """Output size of a transposed convolution along one axis.

    Parameters
    ----------
    input_size : int
        ``i'``, the size of the transposed convolution's input (>= 1).
    kernel_size, stride, padding, dilation : int
        The parameters of the *forward* convolution this one is the transpose of.
    output_padding : int, default 0
        ``a``, extra rows/columns added on one side of the output (0 <= a < max(s, d), as
        PyTorch). A strided convolution maps several input sizes to the same output size;
        ``a = (i + 2p - d(k - 1) - 1) mod s`` picks the original ``i``.

    Returns
    -------
    int
        ``o' = (i' - 1)s - 2p + d(k - 1) + a + 1``, the same as ``H_out`` of
        :func:`cnncourse.functional.conv_transpose2d`.

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If an argument is out of range, ``output_padding`` is not smaller than the stride or
        the dilation, or the padding is so large that the output would be empty.

    Examples
    --------
    >>> conv_transpose_output_size(3, 3, stride=2)       # 2*(3 - 1) + 3
    7
    >>> conv_output_size(8, 3, stride=2)                 # 7 and 8 both give 3 ...
    3
    >>> conv_transpose_output_size(3, 3, stride=2, output_padding=1)  # ... a = 1 recovers 8
    8
    """
    fn = "conv_transpose_output_size"
    i = check_int(input_size, fn, "input_size", 1)
    k = check_int(kernel_size, fn, "kernel_size", 1)
    s = check_int(stride, fn, "stride", 1)
    p = check_int(padding, fn, "padding", 0)
    a = check_int(output_padding, fn, "output_padding", 0)
    d = check_int(dilation, fn, "dilation", 1)
    if a >= s and a >= d:
        raise ValueError(f"{fn}: output_padding must be smaller than either stride or dilation "
                         f"(as PyTorch), got output_padding={a}, stride={s}, dilation={d}")
    out = geometry.transpose_out_length(i, k, s, p, a, d)   # (i-1)s - 2p + d(k-1) + a + 1
    if out <= 0:
        raise ValueError(f"{fn}: padding={p} removes the whole output: (i-1)*s - 2p + d(k-1) + a + 1 "
                         f"= ({i}-1)*{s} - 2*{p} + {d}*({k}-1) + {a} + 1 = {out}; use less padding")
    return out


def pool_output_size(input_size: int, kernel_size: int, stride: int | None = None,
                     padding: int = 0, dilation: int = 1) -> int:
    """Output size of a pooling layer along one axis (PyTorch's floor mode).

    Parameters
    ----------
    input_size : int
        ``i`` (>= 1).
    kernel_size : int
        ``k``, the pooling window (>= 1).
    stride : int or None, default None
        ``s``; ``None`` means ``kernel_size`` (non-overlapping windows), as PyTorch.
    padding : int, default 0
        Per side; at most ``kernel_size // 2``, as PyTorch (a window must never be all padding).
    dilation : int, default 1

    Returns
    -------
    int
        ``o = floor((i + 2p - d(k - 1) - 1) / s) + 1`` (Dumoulin & Visin, relationship 7,
        with padding and dilation). Leftover rows/columns at the end are dropped.

    Raises
    ------
    TypeError
        If an argument is not an int (or ``None`` for ``stride``).
    ValueError
        If an argument is out of range, the padding exceeds half the window, or the window
        is larger than the padded input.

    Examples
    --------
    >>> pool_output_size(28, 2)              # 2x2 max pooling halves the size
    14
    >>> pool_output_size(7, 2)               # the last row is dropped
    3
    >>> pool_output_size(7, 3, stride=2)     # overlapping windows
    3
    """
    fn = "pool_output_size"
    i = check_int(input_size, fn, "input_size", 1)
    k = check_int(kernel_size, fn, "kernel_size", 1)
    s = k if stride is None else check_int(stride, fn, "stride", 1)
    p = check_int(padding, fn, "padding", 0)
    d = check_int(dilation, fn, "dilation", 1)
    if 2 * p > k:
        raise ValueError(f"{fn}: padding must be at most half the kernel size (as PyTorch), "
                         f"got padding={p}, kernel_size={k}")
    out = geometry.out_length(i + 2 * p, k, s, d)
    if out <= 0:
        raise _too_small(fn, i, k, p, d)
    return out


def _pair(value, name: str, fn: str) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{fn}: {name} must be an int or a pair (h, w), got {value!r}")
        return tuple(value)
    return (value, value)


def conv_output_shape(input_shape, kernel_size, stride=1, padding=0, dilation=1) -> tuple[int, int]:
    """Output ``(H_out, W_out)`` of a 2D convolution.

    Parameters
    ----------
    input_shape : (int, int)
        ``(H, W)``.
    kernel_size, stride, dilation : int or (int, int)
        An int is used for both axes.
    padding : int, (int, int), 'valid' or 'same'
        Per side. ``'valid'`` is 0; ``'same'`` (stride 1 only) pads so that the output has
        the input's size, see :func:`same_padding`.

    Returns
    -------
    (int, int)
        :func:`conv_output_size` applied to each axis.

    Examples
    --------
    >>> conv_output_shape((28, 32), 5)
    (24, 28)
    >>> conv_output_shape((7, 8), (3, 2), stride=(2, 1), padding=(1, 0))
    (4, 7)
    >>> conv_output_shape((7, 8), 4, padding="same")
    (7, 8)
    """
    fn = "conv_output_shape"
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 2):
        raise TypeError(f"{fn}: input_shape must be a pair (H, W), got {input_shape!r}")
    ks, ss, ds = (_pair(v, n, fn) for v, n in
                  ((kernel_size, "kernel_size"), (stride, "stride"), (dilation, "dilation")))
    for axis, name in enumerate(("H", "W")):
        check_int(input_shape[axis], fn, f"input_shape[{axis}] ({name})", 1)
    if isinstance(padding, str):
        # 'valid' is 0; 'same' (stride 1 only) keeps the size whatever the possibly
        # asymmetric split is
        if padding == "same":
            ks, ss, ds = ([check_int(v, fn, n, 1) for v in vs] for vs, n in
                          ((ks, "kernel_size"), (ss, "stride"), (ds, "dilation")))
        pads = geometry.resolve_padding(padding, ks, ss, ds, fn)
        if padding == "same":
            return (int(input_shape[0]), int(input_shape[1]))
        pads = (pads[0][0], pads[1][0])
    else:
        pads = _pair(padding, "padding", fn)
    out = []
    for axis, name in enumerate(("H", "W")):
        try:
            out.append(conv_output_size(input_shape[axis], ks[axis], ss[axis], pads[axis], ds[axis]))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{fn} (axis {name}): {exc}") from None
    return tuple(out)


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """Per-side padding that keeps the size unchanged at stride 1 (PyTorch's ``padding='same'``).

    Parameters
    ----------
    kernel_size : int
        ``k`` (>= 1).
    dilation : int, default 1
        ``d`` (>= 1).

    Returns
    -------
    (before, after) : (int, int)
        ``total = d(k - 1)``, ``before = total // 2``, ``after = total - before``. For an even
        effective kernel the extra row/column goes *after* (bottom/right), as PyTorch.

    Examples
    --------
    >>> same_padding(3)
    (1, 1)
    >>> same_padding(4)                # total 3: one before, two after
    (1, 2)
    >>> same_padding(3, dilation=2)    # effective kernel 5
    (2, 2)
    """
    fn = "same_padding"
    k = check_int(kernel_size, fn, "kernel_size", 1)
    d = check_int(dilation, fn, "dilation", 1)
    return geometry.same_padding(k, d)


def explain_conv_output_size(input_size: int, kernel_size: int, stride: int = 1,
                             padding: int = 0, dilation: int = 1) -> str:
    """The output-size formula written out with the numbers substituted.

    Parameters
    ----------
    input_size, kernel_size, stride, padding, dilation : int
        As :func:`conv_output_size`.

    Returns
    -------
    str
        One line ``floor((i + 2*p - d*(k-1) - 1) / s) + 1 = floor(n/s) + 1 = o``; when the
        stride does not divide ``n = i + 2p - d(k - 1) - 1`` a second line says how many
        rows/columns at the end of the padded input no window ever reaches (``n mod s``),
        and how many of those are padding rather than input; when the stride is larger than
        the effective kernel, a last line says how many are skipped between windows.

    Raises
    ------
    TypeError, ValueError
        As :func:`conv_output_size`.

    Examples
    --------
    >>> print(explain_conv_output_size(7, 3, stride=2))
    floor((7 + 2*0 - 1*(3-1) - 1) / 2) + 1 = floor(4/2) + 1 = 3
    >>> print(explain_conv_output_size(8, 3, stride=2))
    floor((8 + 2*0 - 1*(3-1) - 1) / 2) + 1 = floor(5/2) + 1 = 3
    the stride 2 does not divide 5 (remainder 1): the last 1 row/column of the padded input (size 8) is never visited
    >>> print(explain_conv_output_size(8, 3, stride=3, padding=1))
    floor((8 + 2*1 - 1*(3-1) - 1) / 3) + 1 = floor(7/3) + 1 = 3
    the stride 3 does not divide 7 (remainder 1): the last 1 row/column of the padded input (size 10) is never visited (only padding: every input row/column is used)
    """
    fn = "explain_conv_output_size"
    i, k, s, p, d = _conv_args(fn, input_size, kernel_size, stride, padding, dilation)
    n = i + 2 * p - geometry.effective_kernel(k, d)     # i + 2p - d(k-1) - 1
    if n < 0:
        raise _too_small(fn, i, k, p, d)
    out = geometry.out_length(i + 2 * p, k, s, d)      # floor(n / s) + 1
    text = f"floor(({i} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1 = floor({n}/{s}) + 1 = {out}"
    rest = n % s
    if rest:
        rows = "row/column" if rest == 1 else "rows/columns"
        text += (f"\nthe stride {s} does not divide {n} (remainder {rest}): the last {rest} {rows} "
                 f"of the padded input (size {i + 2 * p}) {'is' if rest == 1 else 'are'} never visited")
        lost = max(0, rest - p)         # the trailing p of them are padding
        if lost == 0:
            text += " (only padding: every input row/column is used)"
        elif lost < rest:
            text += f" ({lost} of them input, {rest - lost} padding)"
    k_eff = geometry.effective_kernel(k, d)
    if s > k_eff and out > 1:
        gap = s - k_eff
        text += (f"\nthe stride {s} is larger than the {'effective ' if d > 1 else ''}kernel {k_eff}: "
                 f"{gap} {'row/column is' if gap == 1 else 'rows/columns are'} skipped between "
                 f"neighbouring windows")
    return text


# --------------------------------------------------------------------------- receptive fields
class ReceptiveField(NamedTuple):
    """Receptive field of one layer's output along one axis, in input pixels.

    Attributes
    ----------
    size : int
        How many input pixels one output pixel sees.
    jump : int
        Distance in input pixels between two neighbouring output pixels (product of strides).
    start : float
        Input coordinate of the centre of the first output pixel's receptive field (input
        pixel ``j`` has coordinate ``j``; negative values lie in the padding).
    """

    size: int
    jump: int
    start: float


_LAYER_KEYS = ("kernel_size", "stride", "padding", "dilation")
_DEFAULTS = (None, 1, 0, 1)
# attributes of layers that mix all positions: adaptive/global pooling, Linear, Flatten
_GLOBAL_ATTRS = ("output_size", "in_features", "start_dim")


def _layer_params(layer, index: int, axis: int, fn: str):
    """(kernel_size, stride, padding, dilation) of one layer along ``axis``, or None if pointwise."""
    where = f"layers[{index}]"
    if isinstance(layer, Mapping):
        unknown = set(layer) - set(_LAYER_KEYS)
        if unknown:
            raise ValueError(f"{fn}: {where} has unknown keys {sorted(unknown)}; "
                             f"expected {list(_LAYER_KEYS)}")
        if "kernel_size" not in layer:
            raise ValueError(f"{fn}: {where} is a mapping without 'kernel_size', got {dict(layer)!r}")
        values = [layer.get(key, default) for key, default in zip(_LAYER_KEYS, _DEFAULTS)]
    elif isinstance(layer, (tuple, list)):
        if not 1 <= len(layer) <= 4:
            raise ValueError(f"{fn}: {where} must be (kernel_size, stride=1, padding=0, "
                             f"dilation=1), got {layer!r}")
        values = list(layer) + list(_DEFAULTS[len(layer):])
    elif isinstance(layer, (numbers.Number, str)) or layer is None:
        raise TypeError(f"{fn}: {where} must be a tuple (kernel_size, stride, padding, dilation), "
                        f"a mapping with those keys, or a layer object, got {layer!r}")
    elif hasattr(layer, "output_padding"):
        raise ValueError(f"{fn}: {where} ({type(layer).__name__}) is a transposed convolution, which "
                         f"upsamples; receptive_field handles convolution and pooling layers only")
    elif not hasattr(layer, "kernel_size"):
        if any(hasattr(layer, attr) for attr in _GLOBAL_ATTRS):
            raise ValueError(f"{fn}: {where} ({type(layer).__name__}) mixes all positions, so every "
                             f"output sees the whole input; pass only the layers before it")
        return None                     # activations, batch norm, dropout: pointwise
    else:
        values = [getattr(layer, key, default) for key, default in zip(_LAYER_KEYS, _DEFAULTS)]

    k, s, p, d = values
    if s is None:                       # a pooling layer's stride=None means kernel_size
        s = k

    def one_axis(value, name):
        if isinstance(value, (tuple, list)):
            if len(value) <= axis:
                raise ValueError(f"{fn}: {where}.{name}={value!r} has no axis {axis}")
            value = value[axis]
        return value

    k, s, d = (one_axis(v, n) for v, n in ((k, "kernel_size"), (s, "stride"), (d, "dilation")))
    k = check_int(k, fn, f"{where} kernel_size", 1)
    s = check_int(s, fn, f"{where} stride", 1)
    d = check_int(d, fn, f"{where} dilation", 1)
    if isinstance(p, str):            # 'valid' or 'same': the padding before (top/left)
        p = geometry.resolve_padding(p, (k, k), (s, s), (d, d), fn, f"{where} padding")[0][0]
    else:
        p = check_int(one_axis(p, "padding"), fn, f"{where} padding", 0)
    return k, s, p, d


def receptive_field(layers, axis: int = 0) -> list[ReceptiveField]:
    """Receptive field after each layer of a stack of convolutions and poolings.

    Parameters
    ----------
    layers : iterable
        The layers, first to last. Each is one of

        * a tuple ``(kernel_size, stride=1, padding=0, dilation=1)`` (shorter tuples allowed);
        * a mapping with the keys ``kernel_size`` (required), ``stride``, ``padding``,
          ``dilation``;
        * any object with those attributes, e.g. a :class:`cnncourse.nn.Conv2d` or
          ``MaxPool2d``, so ``receptive_field(model)`` works on a ``Sequential``. Objects
          without ``kernel_size`` (ReLU, BatchNorm, Dropout) are treated as pointwise and
          leave the field unchanged. A ``Flatten``/``Linear`` head or an adaptive pooling
          layer mixes all positions, and a transposed convolution upsamples: those raise a
          ``ValueError`` (stop the stack before them).

        Values may be ints or ``(h, w)`` pairs; ``axis`` picks one. A stride of ``None`` means
        ``kernel_size`` (pooling); padding ``'same'`` uses :func:`same_padding`'s ``before``.
    axis : {0, 1}, default 0
        Which element of a pair to use: 0 for height, 1 for width.

    Returns
    -------
    list of ReceptiveField
        One ``(size, jump, start)`` per layer, from the recurrence (input: size 1, jump 1,
        start 0)::

            k_eff     = d(k - 1) + 1                       (effective kernel size)
            jump_out  = jump_in * s
            size_out  = size_in + (k_eff - 1) * jump_in
            start_out = start_in + ((k_eff - 1) / 2 - p) * jump_in

        ``start`` is the input coordinate of the centre of output pixel 0's field, so output
        pixel ``j`` is centred on ``start + j * jump``.

    Raises
    ------
    TypeError
        If a layer or one of its values has the wrong type.
    ValueError
        If a value is out of range or a layer is malformed.

    Examples
    --------
    >>> [rf.size for rf in receptive_field([(3,), (3,), (3,)])]      # three 3x3 convs
    [3, 5, 7]
    >>> receptive_field([(3, 1, 1), (2, 2), (3, 1, 1)])[-1]          # conv3, pool2, conv3
    ReceptiveField(size=8, jump=2, start=0.5)
    >>> receptive_field([{"kernel_size": 3, "dilation": 2 ** j} for j in range(3)])[-1].size
    15
    """
    fn = "receptive_field"
    if isinstance(axis, bool) or axis not in (0, 1):
        raise ValueError(f"{fn}: axis must be 0 (height) or 1 (width), got {axis!r}")
    if isinstance(layers, (Mapping, str)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"{fn}: layers must be an iterable of layers (tuples, mappings or layer "
                        f"objects), got {type(layers).__name__}")
    size, jump, start = 1, 1, 0.0
    fields = []
    for index, layer in enumerate(layers):
        params = _layer_params(layer, index, axis, fn)
        if params is not None:
            k, s, p, d = params
            k_eff = geometry.effective_kernel(k, d)
            size = size + (k_eff - 1) * jump
            start = start + ((k_eff - 1) / 2 - p) * jump
            jump = jump * s
        fields.append(ReceptiveField(size, jump, start))
    return fields
