"""Convolution layers: thin modules over :mod:`cnncourse.functional.conv`."""
from __future__ import annotations

import numpy as np

from .. import checks, geometry
from ..checks import check_positive_int, pair
from .. import functional as F
from ..functional.conv import UNSUPPORTED_CONV
from ..functional.conv1d import _single
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


def _padding(padding, owner: str):
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{owner}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        return padding
    return pair(padding, owner, "padding", 0)


_UNSUPPORTED = {
    **UNSUPPORTED_CONV,                       # the op's table (groups), plus the layer's own
    "padding_mode": ("zeros", "only zero padding is implemented"),
    "device": (None, "numpy arrays live on the CPU"),
}


class _ConvBase(Module):
    def _init_common(self, name, in_channels, out_channels, kernel_size, stride, bias, rng,
                     dtype, kwargs):
        checks.reject_unsupported(name, kwargs, _UNSUPPORTED)
        self.in_channels = check_positive_int(in_channels, name, "in_channels")
        self.out_channels = check_positive_int(out_channels, name, "out_channels")
        self.kernel_size = pair(kernel_size, name, "kernel_size", 1)
        self.stride = pair(stride, name, "stride", 1)
        return (checks.check_bool(bias, name, "bias"), checks.as_rng(rng, name),
                checks.check_floating_dtype(dtype, name))

    def _init_parameters(self, shape, bias, rng, dtype):
        fan_in = init.calculate_fan_in_and_fan_out(shape)[0]
        self.weight = Parameter(init.default_weight(shape, rng=rng, dtype=dtype), "weight")
        self.bias = (Parameter(init.default_bias((self.out_channels,), fan_in, rng=rng, dtype=dtype),
                               "bias") if bias else None)

    def _grads(self, grads) -> np.ndarray:
        self.weight.grad += grads.dweight
        if self.bias is not None:
            self.bias.grad += grads.dbias
        return grads.dx

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = self._op_forward(x)
        self._push(cache)
        return out


class Conv1d(_ConvBase):
    """1D convolution (cross-correlation) over NCL input: signals and time series.

    Parameters
    ----------
    in_channels, out_channels, kernel_size : int
    stride : int, default 1
    padding : int, 'valid' or 'same', default 0
        Zeros added at **each** end.
    dilation : int, default 1
    bias : bool, default True
    rng : int seed, None or numpy.random.Generator
        PyTorch's default init, ``fan_in = in_channels * kernel_size``.
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels, kernel_size)
    bias : Parameter, shape (out_channels,), or None

    Shapes: ``x (N, C_in, L) -> out (N, C_out, L_out)`` with
    ``L_out = (L + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, *, rng=None, dtype=np.float32, **kwargs):
        super().__init__()
        name = "Conv1d"
        checks.reject_unsupported(name, kwargs, _UNSUPPORTED)
        self.in_channels = check_positive_int(in_channels, name, "in_channels")
        self.out_channels = check_positive_int(out_channels, name, "out_channels")
        self.kernel_size = _single(kernel_size, name, "kernel_size", 1)
        self.stride = _single(stride, name, "stride", 1)
        self.dilation = _single(dilation, name, "dilation", 1)
        if isinstance(padding, str):
            self.padding = _padding(padding, name)
            if padding == "same" and self.stride != 1:
                raise ValueError(f"Conv1d: padding='same' needs stride 1, got stride={self.stride}")
        else:
            self.padding = _single(padding, name, "padding", 0)
        bias = checks.check_bool(bias, name, "bias")
        rng, dtype = checks.as_rng(rng, name), checks.check_floating_dtype(dtype, name)
        self._init_parameters((self.out_channels, self.in_channels, self.kernel_size), bias,
                              rng, dtype)

    def _op_forward(self, x):
        return F.conv1d_forward(x, self.weight.data, None if self.bias is None else self.bias.data,
                                self.stride, self.padding, self.dilation, keep_cols=self.training)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._grads(F.conv1d_backward(dout, self._saved()))

    def _backward_params(self, dout: np.ndarray) -> None:
        self._grads(F.conv1d_backward(dout, self._saved(), need_dx=False))

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != 0:
            text += f", padding={self.padding!r}"
        if self.dilation != 1:
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvBase):
    """2D convolution (cross-correlation, as in every deep-learning library) over NCHW input.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int), default 1
    padding : int, (int, int), 'valid' or 'same', default 0
        Zeros added on **each** side.
    dilation : int or (int, int), default 1
    bias : bool, default True
    rng : int seed, None or numpy.random.Generator
        Source of the initial weights (PyTorch's default: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
        ``fan_in = in_channels * kH * kW``).
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight : Parameter, shape (out_channels, in_channels, kH, kW)
    bias : Parameter, shape (out_channels,), or None
    kernel_size, stride, dilation : (int, int)
    padding : (int, int) or str

    Shapes: ``x (N, C_in, H, W) -> out (N, C_out, H_out, W_out)`` with
    ``H_out = (H + 2*padding[0] - dilation[0]*(kH - 1) - 1) // stride[0] + 1``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, bias: bool = True, *, rng=None, dtype=np.float32, **kwargs):
        super().__init__()
        name = "Conv2d"
        bias, rng, dtype = self._init_common(name, in_channels, out_channels, kernel_size,
                                             stride, bias, rng, dtype, kwargs)
        self.padding = _padding(padding, name)
        self.dilation = pair(dilation, name, "dilation", 1)
        if isinstance(self.padding, str):   # 'same' needs stride 1: the one rule, in geometry
            geometry.resolve_padding(self.padding, self.kernel_size, self.stride, self.dilation, name)
        self._init_parameters((self.out_channels, self.in_channels, *self.kernel_size), bias,
                              rng, dtype)

    def _op_forward(self, x):
        # eval mode keeps no im2col matrix (an eval backward rebuilds it)
        return F.conv2d_forward(x, self.weight.data, None if self.bias is None else self.bias.data,
                                self.stride, self.padding, self.dilation, keep_cols=self.training)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._grads(F.conv2d_backward(dout, self._saved()))

    def _backward_params(self, dout: np.ndarray) -> None:
        """``dweight`` and ``dbias`` only: ``conv2d_backward`` skips ``dx`` (a col2im)."""
        self._grads(F.conv2d_backward(dout, self._saved(), need_dx=False))

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


class ConvTranspose2d(_ConvBase):
    """2D transposed convolution (upsampling; the gradient of ``Conv2d`` with respect to its input).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride, padding, output_padding, dilation : int or (int, int)
        ``output_padding`` (less than stride or dilation) adds rows/columns at the bottom/right
        to pick one of the input sizes a strided ``Conv2d`` maps to the same output size.
    bias : bool, default True
    rng : int seed, None or numpy.random.Generator
        PyTorch's default init, with ``fan_in = out_channels * kH * kW``.
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight : Parameter, shape (in_channels, out_channels, kH, kW)   (as PyTorch)
    bias : Parameter, shape (out_channels,), or None

    Shapes: ``x (N, C_in, H, W) -> out (N, C_out, H_out, W_out)`` with
    ``H_out = (H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, dilation=1, bias: bool = True, *, rng=None, dtype=np.float32,
                 **kwargs):
        super().__init__()
        name = "ConvTranspose2d"
        bias, rng, dtype = self._init_common(name, in_channels, out_channels, kernel_size,
                                             stride, bias, rng, dtype, kwargs)
        self.padding = pair(padding, name, "padding", 0)
        self.output_padding = pair(output_padding, name, "output_padding", 0)
        self.dilation = pair(dilation, name, "dilation", 1)
        self._init_parameters((self.in_channels, self.out_channels, *self.kernel_size), bias,
                              rng, dtype)

    def _op_forward(self, x):
        return F.conv_transpose2d_forward(x, self.weight.data,
                                          None if self.bias is None else self.bias.data,
                                          self.stride, self.padding, self.output_padding,
                                          self.dilation)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._grads(F.conv_transpose2d_backward(dout, self._saved()))

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.output_padding != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
