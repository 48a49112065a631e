"""Pooling layers: thin modules over :mod:`cnncourse.functional` (pool, adaptive_pool). None has parameters."""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..functional._util import pair
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "LPPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]


class _Pool2d(Module):
    """Shared by the windowed pools: kernel_size, stride (None -> kernel_size), padding pairs."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", name, 1)
        self.padding = pair(padding, "padding", name, 0)
        self.dilation = (1, 1)          # for summaries and receptive fields; not a parameter

    def _args(self):
        return (self.kernel_size, self.stride, self.padding)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=4)
        out, self._cache = self._forward_op(x, *self._args())
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward_op(dout, self._saved())

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling over ``kernel_size`` windows (padding with -inf, at most half the kernel).

    Parameters
    ----------
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default ``kernel_size`` (non-overlapping windows).
    padding : int or (int, int), default 0

    Shapes: ``(N, C, H, W) -> (N, C, H_out, W_out)``, ``H_out = (H + 2*padding - kH) // stride + 1``.
    The backward routes each window's gradient to its first maximum.
    """

    _forward_op = staticmethod(F.max_pool2d_forward)
    _backward_op = staticmethod(F.max_pool2d_backward)


class AvgPool2d(_Pool2d):
    """Average pooling (zero padding counted in the average, as PyTorch's default).

    Same parameters and shapes as :class:`MaxPool2d`; the backward spreads each window's
    gradient evenly over it.
    """

    _forward_op = staticmethod(F.avg_pool2d_forward)
    _backward_op = staticmethod(F.avg_pool2d_backward)


class LPPool2d(_Pool2d):
    """Power-average pooling ``(sum |x|^p)^(1/p)`` over each window; ``norm_type=2`` is L2 pooling.

    Parameters
    ----------
    norm_type : float >= 1
    kernel_size, stride, padding : as :class:`MaxPool2d`

    PyTorch's ``LPPool2d`` raises ``x`` (not ``|x|``) to the power ``p``; the two agree for
    ``p = 2`` and on non-negative inputs (after a ReLU).
    """

    _forward_op = staticmethod(F.lp_pool2d_forward)
    _backward_op = staticmethod(F.lp_pool2d_backward)

    def __init__(self, norm_type: float, kernel_size, stride=None, padding=0):
        super().__init__(kernel_size, stride, padding)
        self.norm_type = float(norm_type)

    def _args(self):
        return (self.norm_type, *super()._args())

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type:g}, " + super().extra_repr()


class _AdaptivePool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        if isinstance(output_size, (tuple, list)):
            self.output_size = tuple(output_size)
        else:
            self.output_size = pair(output_size, "output_size", type(self).__name__, 1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=4)
        out, self._cache = self._forward_op(x, self.output_size)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward_op(dout, self._saved())

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool2d):
    """Average pooling to a fixed ``output_size`` (int or pair) whatever the input size.

    ``AdaptiveAvgPool2d(1)`` is global average pooling: ``(N, C, H, W) -> (N, C, 1, 1)``.
    """

    _forward_op = staticmethod(F.adaptive_avg_pool2d_forward)
    _backward_op = staticmethod(F.adaptive_avg_pool2d_backward)


class AdaptiveMaxPool2d(_AdaptivePool2d):
    """Max pooling to a fixed ``output_size`` (int or pair) whatever the input size."""

    _forward_op = staticmethod(F.adaptive_max_pool2d_forward)
    _backward_op = staticmethod(F.adaptive_max_pool2d_backward)
