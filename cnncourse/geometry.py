"""The one home of convolution geometry: output sizes, padding resolution and 'same' padding.

:mod:`cnncourse.arithmetic` is the public face the book uses (one axis at a time, every
argument validated, explanations); this module holds the formulas themselves, on already
validated ints and ``(h, w)`` pairs, for :mod:`cnncourse.functional`, :mod:`cnncourse.filters`,
:mod:`cnncourse.viz` and :mod:`cnncourse.nn`. Each formula is written here once:

* :func:`out_length`: ``(padded - d*(k - 1) - 1) // s + 1`` (conv and pooling), where
  ``padded = i + before + after`` (``i + 2p`` for a symmetric padding ``p``);
* :func:`transpose_out_length`: ``(i - 1)*s - 2p + d*(k - 1) + a + 1``;
* :func:`same_padding`: ``total = d*(k - 1)``, ``before = total // 2``, extra after;
* :func:`resolve_padding`: an int, an ``(h, w)`` pair, ``'valid'`` or ``'same'`` (stride 1
  only, as PyTorch) to per-side padding ``((top, bottom), (left, right))``, the one
  representation of padding that every cache of :mod:`cnncourse.functional` stores.
"""
from __future__ import annotations

from .checks import pair

__all__ = ["effective_kernel", "out_length", "transpose_out_length", "same_padding",
           "resolve_padding", "symmetric_padding", "padded_hw", "out_hw", "transpose_out_hw"]


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span ``d*(k - 1) + 1`` that a dilated kernel covers."""
    return dilation * (kernel - 1) + 1


def out_length(padded: int, kernel: int, stride: int = 1,
               dilation: int = 1) -> int:
    """Output length along one axis of an input padded to ``padded``.

    ``(padded - d*(k - 1) - 1) // s + 1``: PyTorch's ``H_out`` with
    ``padded = H + 2p``. Zero or negative when the (dilated) kernel
    does not fit; callers report that.
    """
    span = effective_kernel(kernel, dilation)
    return (padded - span) // stride + 1


def transpose_out_length(size: int, kernel: int, stride: int = 1, padding: int = 0,
                         output_padding: int = 0, dilation: int = 1) -> int:
    """Output length of a transposed convolution: ``(i - 1)*s - 2p + d*(k - 1) + a + 1``."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """``(before, after)`` padding that keeps the size at stride 1; the extra one goes after."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def symmetric_padding(padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(ph, pw)`` (per side, symmetric) as ``((ph, ph), (pw, pw))``."""
    ph, pw = padding
    return ((ph, ph), (pw, pw))


def resolve_padding(padding, kernel, stride, dilation, fn: str,
                    name: str = "padding") -> tuple[tuple[int, int], tuple[int, int]]:
    """Per-side padding ``((top, bottom), (left, right))`` from an int, a pair, 'valid' or 'same'.

    ``kernel``, ``stride`` and ``dilation`` are ``(h, w)`` pairs of validated ints. ``'same'``
    needs stride 1 (PyTorch's rule: with a larger stride no padding keeps the size).
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if tuple(stride) != (1, 1):
                raise ValueError(f"{fn}: {name}='same' needs stride 1 (as in PyTorch), got "
                                 f"stride={tuple(stride)}; give the padding as an int or a pair")
            return tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
        raise ValueError(f"{fn}: {name} must be an int, a pair (h, w), 'valid' or 'same', "
                         f"got {padding!r}")
    return symmetric_padding(pair(padding, fn, name, min_value=0))


def padded_hw(hw, padding) -> tuple[int, int]:
    """``(H + top + bottom, W + left + right)`` for ``padding = ((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = padding
    return (hw[0] + top + bottom, hw[1] + left + right)


def out_hw(hw, kernel, stride, padding, dilation=(1, 1)) -> tuple[int, int]:
    """``(H_out, W_out)`` of a convolution or pooling: :func:`out_length` on each axis."""
    hp, wp = padded_hw(hw, padding)
    return (out_length(hp, kernel[0], stride[0], dilation[0]),
            out_length(wp, kernel[1], stride[1], dilation[1]))


def transpose_out_hw(hw, kernel, stride, padding, output_padding, dilation) -> tuple[int, int]:
    """``(H_out, W_out)`` of a transposed convolution; ``padding = ((ph, ph), (pw, pw))``
    (a transposed convolution's padding is always symmetric, as in PyTorch)."""
    return tuple(transpose_out_length(hw[a], kernel[a], stride[a], padding[a][0],
                                      output_padding[a], dilation[a]) for a in (0, 1))
