"""Batch normalisation for convolutional feature maps: a thin layer over
:func:`cnncourse.functional.batch_norm2d_forward`."""
from __future__ import annotations

import numpy as np

from .. import checks
from ..functional import norm as F
from .module import Module, Parameter

__all__ = ["BatchNorm2d"]

_UNSUPPORTED = {
    "affine": (True, "weight and bias are always learned"),
    "track_running_stats": (True, "running statistics are always tracked"),
    "device": (None, "numpy arrays live on the CPU"),
}


class BatchNorm2d(Module):
    """Batch normalisation over ``(N, H, W)`` for each channel, as ``torch.nn.BatchNorm2d``.

    In training mode each channel is normalised with the batch mean and (biased) variance,
    then scaled and shifted: ``out = weight * (x - mean) / sqrt(var + eps) + bias``; the
    running statistics are updated as ``running = (1 - momentum) * running + momentum * batch``
    with the **unbiased** batch variance. In evaluation mode the running statistics are used.
    The math is :func:`cnncourse.functional.batch_norm2d`.

    Parameters
    ----------
    num_features : int
        Number of channels C.
    eps : float > 0, default 1e-5
    momentum : float in [0, 1], default 0.1
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight, bias : Parameter, shape (C,)      (initialised to 1 and 0)
    running_mean, running_var : ndarray, shape (C,)   (buffers, saved in ``state_dict``)
    """

    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, *,
                 dtype=np.float32, **kwargs):
        super().__init__()
        name = "BatchNorm2d"
        checks.reject_unsupported(name, kwargs, _UNSUPPORTED)
        self.num_features = checks.check_positive_int(num_features, name, "num_features")
        self.eps = checks.check_real(eps, name, "eps", low=0.0, low_open=True)
        self.momentum = checks.check_real(momentum, name, "momentum", low=0.0, high=1.0)
        dtype = checks.check_floating_dtype(dtype, name)
        self.weight = Parameter(np.ones(num_features, dtype=dtype), "weight")
        self.bias = Parameter(np.zeros(num_features, dtype=dtype), "bias")
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = F.batch_norm2d_forward(x, self.running_mean, self.running_var,
                                            self.weight.data, self.bias.data, self.training,
                                            self.momentum, self.eps)
        self._push(cache)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        grads = F.batch_norm2d_backward(dout, self._saved())
        self.weight.grad += grads.dweight
        self.bias.grad += grads.dbias
        return grads.dx

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
