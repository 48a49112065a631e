"""Activation layers: thin modules over :mod:`cnncourse.functional.activation`."""
from __future__ import annotations

import numpy as np

from ..functional import activation as F
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]


class ReLU(Module):
    """``max(x, 0)`` elementwise; any shape. Its backward lets the gradient through where x > 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        self._cache = x
        return F.relu(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.relu_backward(dout, self._saved())


class LeakyReLU(Module):
    """``x`` where ``x > 0`` else ``negative_slope * x``; any shape."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        self._cache = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.leaky_relu_backward(dout, self._saved(), self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """Logistic sigmoid, numerically stable; any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        self._cache = out = F.sigmoid(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.sigmoid_backward(dout, self._saved())


class Tanh(Module):
    """Hyperbolic tangent; any shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        self._cache = out = F.tanh(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.tanh_backward(dout, self._saved())


class Softmax(Module):
    """Softmax along ``dim`` (probabilities). For training use ``CrossEntropyLoss`` on logits."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = int(dim)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        self._cache = out = F.softmax(x, axis=self.dim)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.softmax_backward(dout, self._saved(), axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """Log-softmax along ``dim`` (log-sum-exp stable)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._check_input(x, ndim=None)
        self._cache = out = F.log_softmax(x, axis=self.dim)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.log_softmax_backward(dout, self._saved(), axis=self.dim)
