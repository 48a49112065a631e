"""Activation layers: thin modules over :mod:`cnncourse.functional.activation`.

Each caches what its op's backward takes (the input for ReLU, the output for the others) as a
named tuple, and lets the op validate ``x`` and ``dout``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import checks
from ..functional import activation as F
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]

_INPLACE = {"inplace": (False, "ops never modify x")}


class InputCache(NamedTuple):
    """The input ``x`` of the forward (ReLU, LeakyReLU)."""

    x: np.ndarray


class OutputCache(NamedTuple):
    """The output of the forward (Sigmoid, Tanh, Softmax, LogSoftmax: their backward uses it)."""

    out: np.ndarray


class ReLU(Module):
    """``max(x, 0)`` elementwise; any shape. Its backward lets the gradient through where x > 0."""

    def __init__(self, **kwargs):
        super().__init__()
        checks.reject_unsupported(type(self).__name__, kwargs, _INPLACE)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.relu(x)
        self._push(InputCache(x))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.relu_backward(dout, self._saved().x)


class LeakyReLU(Module):
    """``x`` where ``x > 0`` else ``negative_slope * x``; any shape."""

    def __init__(self, negative_slope: float = 0.01, **kwargs):
        super().__init__()
        checks.reject_unsupported("LeakyReLU", kwargs, _INPLACE)
        self.negative_slope = checks.check_real(negative_slope, "LeakyReLU", "negative_slope")

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.leaky_relu(x, self.negative_slope)
        self._push(InputCache(x))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.leaky_relu_backward(dout, self._saved().x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """Logistic sigmoid, numerically stable; any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.sigmoid(x)
        self._push(OutputCache(out))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.sigmoid_backward(dout, self._saved().out)


class Tanh(Module):
    """Hyperbolic tangent; any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.tanh(x)
        self._push(OutputCache(out))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.tanh_backward(dout, self._saved().out)


class Softmax(Module):
    """Softmax along ``dim`` (probabilities). For training use ``CrossEntropyLoss`` on logits."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = checks.check_int(dim, type(self).__name__, "dim")

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.softmax(x, axis=self.dim)
        self._push(OutputCache(out))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.softmax_backward(dout, self._saved().out, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim`` (log-sum-exp stable)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = F.log_softmax(x, axis=self.dim)
        self._push(OutputCache(out))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.log_softmax_backward(dout, self._saved().out, axis=self.dim)
