"""Pooling layers: thin modules over :mod:`cnncourse.functional` (pool, adaptive_pool). None has parameters."""
from __future__ import annotations

import numpy as np

from .. import checks
from .. import functional as F
from ..checks import pair
from ..functional.pool import UNSUPPORTED_POOL
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "LPPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d"]


class _Pool2d(Module):
    """Shared by the windowed pools: kernel_size, stride (None -> kernel_size), padding pairs."""

    _unsupported = UNSUPPORTED_POOL["lp_pool2d"]       # the op's table (ceil_mode)

    def __init__(self, kernel_size, stride=None, padding=0, **kwargs):
        super().__init__()
        name = type(self).__name__
        checks.reject_unsupported(name, kwargs, self._unsupported)
        self.kernel_size = pair(kernel_size, name, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else pair(stride, name, "stride", 1)
        self.padding = pair(padding, name, "padding", 0)
        self.dilation = (1, 1)          # for summaries and receptive fields; not a parameter

    def _args(self):
        return (self.kernel_size, self.stride, self.padding)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = self._forward_op(x, *self._args())
        self._push(cache)
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
    _unsupported = UNSUPPORTED_POOL["max_pool2d"]


class AvgPool2d(_Pool2d):
    """Average pooling (zero padding counted in the average, as PyTorch's default).

    Same parameters and shapes as :class:`MaxPool2d`; the backward spreads each window's
    gradient evenly over it.
    """

    _forward_op = staticmethod(F.avg_pool2d_forward)
    _backward_op = staticmethod(F.avg_pool2d_backward)
    _unsupported = UNSUPPORTED_POOL["avg_pool2d"]


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

    def __init__(self, norm_type: float, kernel_size, stride=None, padding=0, **kwargs):
        super().__init__(kernel_size, stride, padding, **kwargs)
        self.norm_type = checks.check_real(norm_type, "LPPool2d", "norm_type", low=1.0)

    def _args(self):
        return (self.norm_type, *super()._args())

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type:g}, " + super().extra_repr()


class _AdaptivePool2d(Module):
    _unsupported = {}

    def __init__(self, output_size, **kwargs):
        super().__init__()
        name = type(self).__name__
        checks.reject_unsupported(name, kwargs, self._unsupported)
        if isinstance(output_size, (tuple, list)) and len(output_size) == 2 and None in output_size:
            # PyTorch's None entry: keep that input size; the other entry must still be valid
            known = [v for v in output_size if v is not None]
            if known:
                pair(known[0], name, "output_size", 1)
            self.output_size = tuple(output_size)
        else:
            self.output_size = pair(output_size, name, "output_size", 1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = self._forward_op(x, self.output_size)
        self._push(cache)
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
    _unsupported = {"return_indices": (False, "the backward keeps the argmax in its cache")}
