"""Fully connected layer, flattening and dropout: the classifier head of a CNN."""
from __future__ import annotations

import numbers

import numpy as np

from . import init
from .module import Module, Parameter

__all__ = ["Linear", "Flatten", "Dropout"]


def _positive_int(value, name: str, owner: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be positive, got {value}")
    return int(value)


class Linear(Module):
    """Fully connected layer ``out = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True
    rng : numpy.random.Generator, optional
        Source of the initial weights (PyTorch's default, ``U(-1/sqrt(in), 1/sqrt(in))``).
        Pass ``np.random.default_rng(seed)`` for reproducible weights.
    dtype : float dtype, default np.float32

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
    bias : Parameter, shape (out_features,), or None

    Shapes: ``x (*, in_features) -> out (*, out_features)``, usually ``(N, in) -> (N, out)``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        rng = init._rng(rng)
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(init.default_weight(shape, rng=rng, dtype=dtype), "weight")
        self.bias = (Parameter(init.default_bias((self.out_features,), self.in_features, rng=rng,
                                                 dtype=dtype), "bias") if bias else None)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            hint = ""
            if x.ndim > 2 and int(np.prod(x.shape[1:])) == self.in_features:
                hint = " (did you forget a Flatten() before this layer?)"
            raise ValueError(f"{self._short_repr()}: expected input of shape (N, {self.in_features}), "
                             f"got x.shape={x.shape}{hint}")
        self._check_dtype(x, self.weight)
        x2 = x.reshape(-1, self.in_features)
        out = x2 @ self.weight.data.T
        if self.bias is not None:
            out += self.bias.data
        self._cache = x2
        return out.reshape(*x.shape[:-1], self.out_features)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x2 = self._saved()
        d2 = dout.reshape(-1, self.out_features)
        self.weight.grad += d2.T @ x2
        if self.bias is not None:
            self.bias.grad += d2.sum(axis=0)
        return (d2 @ self.weight.data).reshape(*dout.shape[:-1], self.in_features)

    def _backward_params(self, dout: np.ndarray) -> None:
        x2 = self._saved()
        d2 = dout.reshape(-1, self.out_features)
        self.weight.grad += d2.T @ x2
        if self.bias is not None:
            self.bias.grad += d2.sum(axis=0)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)``.

    Its backward reshapes the gradient back; it copies nothing.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        start = self.start_dim % x.ndim if x.ndim else 0
        end = self.end_dim % x.ndim if x.ndim else 0
        if start > end:
            raise ValueError(f"{self._short_repr()}: start_dim comes after end_dim for "
                             f"x.shape={x.shape}")
        out = x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])
        self._cache = (x.shape, out.shape)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        in_shape, out_shape = self._saved()
        if getattr(dout, "shape", None) != out_shape:
            raise ValueError(f"{self._short_repr()}: dout must have the shape of the forward output "
                             f"{out_shape}, got {getattr(dout, 'shape', type(dout).__name__)}")
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
    rng : numpy.random.Generator, optional
        Source of the masks; pass ``np.random.default_rng(seed)`` for reproducible masks.

    Attributes
    ----------
    mask : ndarray or None
        The scaled mask of the last training forward pass (0 or ``1/(1-p)``).
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.rng = init._rng(rng)
        self.mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        if not self.training or self.p == 0:
            self.mask = None
            self._cache = (None,)
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype if x.dtype in (np.float32, np.float64)
                               else np.float64) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        self.mask = keep.astype(x.dtype) * x.dtype.type(scale)
        self._cache = (self.mask,)
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray:
        (mask,) = self._saved()
        return dout if mask is None else dout * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
