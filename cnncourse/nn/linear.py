"""Fully connected layer, flattening and dropout: the classifier head of a CNN.

Thin layers: ``Linear`` calls :func:`cnncourse.functional.linear_forward` and ``Dropout``
:func:`cnncourse.functional.dropout_forward`; the ops validate ``x`` and ``dout``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import checks
from ..functional.dropout import dropout_backward, dropout_forward
from ..functional.linear import linear_backward, linear_forward
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "Flatten", "Dropout"]

_DEVICE = {"device": (None, "numpy arrays live on the CPU")}


class Linear(Module):
    """Fully connected layer ``out = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : int seed, None or numpy.random.Generator
        Source of the initial weights (PyTorch's default, ``U(-1/sqrt(in), 1/sqrt(in))``).
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
    bias : Parameter, shape (out_features,), or None

    Shapes: ``x (*, in_features) -> out (*, out_features)``, usually ``(N, in) -> (N, out)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng=None, dtype=np.float32, **kwargs):
        super().__init__()
        name = "Linear"
        checks.reject_unsupported(name, kwargs, _DEVICE)
        self.in_features = checks.check_positive_int(in_features, name, "in_features")
        self.out_features = checks.check_positive_int(out_features, name, "out_features")
        bias = checks.check_bool(bias, name, "bias")
        dtype = checks.check_floating_dtype(dtype, name)
        rng = checks.as_rng(rng, name)
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(init.default_weight(shape, rng=rng, dtype=dtype), "weight")
        self.bias = (Parameter(init.default_bias((self.out_features,), self.in_features, rng=rng,
                                                 dtype=dtype), "bias") if bias else None)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = linear_forward(x, self.weight.data,
                                       None if self.bias is None else self.bias.data)
        self._push(cache)
        return out

    def _accumulate(self, grads) -> np.ndarray:
        self.weight.grad += grads.dweight
        if self.bias is not None:
            self.bias.grad += grads.dbias
        return grads.dx

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._accumulate(linear_backward(dout, self._saved()))

    def _backward_params(self, dout: np.ndarray) -> None:
        self._accumulate(linear_backward(dout, self._saved(), need_dx=False))

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class FlattenCache(NamedTuple):
    """What :class:`Flatten` saves: the shapes to reshape the gradient back, and the dtype."""

    in_shape: tuple
    out_shape: tuple
    dtype: np.dtype


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)``.

    Its backward reshapes the gradient back; it copies nothing.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = checks.check_int(start_dim, "Flatten", "start_dim")
        self.end_dim = checks.check_int(end_dim, "Flatten", "end_dim")

    def forward(self, x: np.ndarray) -> np.ndarray:
        fn = "flatten"
        x = checks.check_array(x, fn, "x", floating=False)
        ndim = max(x.ndim, 1)
        for name, dim in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -ndim <= dim < ndim:
                raise ValueError(f"{fn}: {name}={dim} is out of range for x.shape={x.shape}")
        start, end = self.start_dim % ndim, self.end_dim % ndim
        if x.ndim == 0:
            start = end = 0
        if start > end:
            raise ValueError(f"{fn}: start_dim comes after end_dim for x.shape={x.shape}")
        out = x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])
        self._push(FlattenCache(x.shape, out.shape, x.dtype))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        in_shape, out_shape, dtype = self._saved()
        dout = checks.check_dout(dout, "flatten_backward", out_shape, dtype)
        return dout.reshape(in_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the
    survivors by ``1 / (1 - p)``, so that evaluation (``model.eval()``) is the identity.

    Parameters
    ----------
    p : float in [0, 1], default 0.5
        Probability of dropping an element.
    rng : int seed, None or numpy.random.Generator
        Source of the masks; an int seed gives reproducible masks.

    Attributes
    ----------
    mask : ndarray or None
        The scaled mask of the last training forward pass (0 or ``1/(1-p)``).
    """

    def __init__(self, p: float = 0.5, *, rng=None, **kwargs):
        super().__init__()
        checks.reject_unsupported("Dropout", kwargs, {"inplace": (False, "ops never modify x")})
        self.p = checks.check_real(p, "Dropout", "p", low=0.0, high=1.0)
        self.rng = checks.as_rng(rng, "Dropout")
        self.mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, cache = dropout_forward(x, self.p, self.training, self.rng)
        self.mask = cache.mask
        self._push(cache)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dropout_backward(dout, self._saved())

    def extra_repr(self) -> str:
        return f"p={self.p}"
