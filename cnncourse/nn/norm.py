"""Batch normalisation for convolutional feature maps."""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from .linear import _positive_int
from .module import Module, Parameter

__all__ = ["BatchNorm2d"]


class _BatchNormCache(NamedTuple):
    x_hat: np.ndarray       # (N, C, H, W) normalised input
    inv_std: np.ndarray     # (C,) 1 / sqrt(var + eps)
    training: bool


class BatchNorm2d(Module):
    """Batch normalisation over ``(N, H, W)`` for each channel, as ``torch.nn.BatchNorm2d``.

    In training mode each channel is normalised with the batch mean and (biased) variance,
    then scaled and shifted: ``out = weight * (x - mean) / sqrt(var + eps) + bias``; the
    running statistics are updated as ``running = (1 - momentum) * running + momentum * batch``
    with the **unbiased** batch variance. In evaluation mode the running statistics are used.

    Parameters
    ----------
    num_features : int
        Number of channels C.
    eps : float, default 1e-5
    momentum : float in [0, 1], default 0.1
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight, bias : Parameter, shape (C,)      (initialised to 1 and 0)
    running_mean, running_var : ndarray, shape (C,)   (buffers, saved in ``state_dict``)
    """

    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype=np.float32):
        super().__init__()
        self.num_features = _positive_int(num_features, "num_features", "BatchNorm2d")
        if not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"BatchNorm2d: eps must be a positive number, got {eps!r}")
        if not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm2d: momentum must be in [0, 1], got {momentum!r}")
        self.eps, self.momentum = float(eps), float(momentum)
        self.weight = Parameter(np.ones(num_features, dtype=dtype), "weight")
        self.bias = Parameter(np.zeros(num_features, dtype=dtype), "bias")
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=4, channels=self.num_features)
        self._check_dtype(x, self.weight)
        dt = x.dtype.type
        if self.training:
            m = x.shape[0] * x.shape[2] * x.shape[3]
            if m < 2:
                raise ValueError(f"{self._short_repr()}: training needs more than one value per "
                                 f"channel, got x.shape={x.shape}")
            mean = x.mean(axis=(0, 2, 3))
            x_c = x - mean[:, None, None]
            var = np.square(x_c).mean(axis=(0, 2, 3))
            mom = dt(self.momentum)
            self.running_mean *= 1 - mom
            self.running_mean += mom * mean
            self.running_var *= 1 - mom
            self.running_var += mom * var * dt(m / (m - 1))
        else:
            x_c = x - self.running_mean[:, None, None]
            var = self.running_var
        inv_std = 1 / np.sqrt(var + dt(self.eps))
        x_hat = x_c * inv_std[:, None, None]
        self._cache = _BatchNormCache(x_hat, inv_std, self.training)
        return x_hat * self.weight.data[:, None, None] + self.bias.data[:, None, None]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x_hat, inv_std, training = self._saved()
        dbias = dout.sum(axis=(0, 2, 3))
        dweight = (dout * x_hat).sum(axis=(0, 2, 3))
        self.weight.grad += dweight
        self.bias.grad += dbias
        scale = (self.weight.data * inv_std)[:, None, None]
        if not training:
            return dout * scale
        m = dout.shape[0] * dout.shape[2] * dout.shape[3]
        # d/dx of (x - mean) / std: subtract the gradient's mean and its projection on x_hat
        return scale * (dout - (dbias / m)[:, None, None] - x_hat * (dweight / m)[:, None, None])

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
