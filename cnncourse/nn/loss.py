"""Loss modules: ``loss = criterion(output, target)`` returns a float, ``criterion.backward()``
returns the gradient with respect to ``output``, to feed into ``model.backward``.

>>> import numpy as np
>>> criterion = CrossEntropyLoss()
>>> loss = criterion(np.zeros((2, 10)), np.array([3, 7]))   # log(10) = 2.3026
>>> criterion.backward().shape
(2, 10)
"""
from __future__ import annotations

import numpy as np

from ..functional import loss as F
from .module import Module

__all__ = ["CrossEntropyLoss", "MSELoss", "SmoothL1Loss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def __call__(self, input: np.ndarray, target: np.ndarray) -> float:
        return self.forward(input, target)

    def _last(self):
        """The cache of the last forward; a loss keeps it (``backward()`` may be called again,
        e.g. with another ``dloss``), as it is never shared inside a network."""
        stack = self._cache_stack()
        if not stack:
            self._saved()                       # raises: backward() called before forward()
        return stack[-1]

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood, fused and log-sum-exp stable (as PyTorch's).

    Parameters
    ----------
    reduction : {'mean', 'sum'}, default 'mean'

    ``criterion(logits, targets)``: logits (N, C) float, targets (N,) integer class indices in
    [0, C); returns the loss as a float. ``criterion.backward(dloss=1.0)`` returns
    ``dlogits = (softmax(logits) - onehot(targets)) / N``, shape (N, C), dtype of the logits.
    """

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        loss, cache = F.cross_entropy_forward(logits, targets, self.reduction)
        self._cache_stack()[:] = [cache]
        return loss

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        return F.cross_entropy_backward(dloss, self._last())


class MSELoss(_Loss):
    """Mean squared error over all elements: ``criterion(input, target)`` with equal shapes.

    ``criterion.backward(dloss=1.0)`` returns ``2 * (input - target) / input.size``.
    """

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        loss, cache = F.mse_forward(input, target, self.reduction)
        self._cache_stack()[:] = [cache]
        return loss

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        return F.mse_backward(dloss, self._last())


class SmoothL1Loss(_Loss):
    """Smooth L1 (Huber-like) loss for box regression: quadratic for ``|d| < beta``, linear beyond.

    ``criterion(input, target)`` with equal shapes; ``criterion.backward(dloss=1.0)`` returns
    ``clip(d / beta, -1, 1) / input.size``. Matches ``torch.nn.SmoothL1Loss``.
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta > 0:
            raise ValueError(f"SmoothL1Loss: beta must be a positive number, got {beta!r}")
        self.beta = float(beta)

    def forward(self, input: np.ndarray, target: np.ndarray) -> float:
        loss, cache = F.smooth_l1_forward(input, target, self.beta, self.reduction)
        self._cache_stack()[:] = [cache]
        return loss

    def backward(self, dloss: float = 1.0) -> np.ndarray:
        return F.smooth_l1_backward(dloss, self._last())
