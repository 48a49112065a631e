"""Loss functions: softmax cross-entropy for classification and mean squared error.

Like the other ops, each loss comes as ``loss(...) -> float``, ``loss_forward(...) ->
(loss, cache)`` and ``loss_backward(dloss, cache) -> grad``, where ``dloss`` is the upstream
gradient of the (scalar) loss, ``1.0`` when the loss is what you minimise. The chapter
*Softmax and cross-entropy* derives ``(softmax(logits) - onehot(targets)) / N``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..checks import check_array
from .activation import log_softmax

__all__ = [
    "cross_entropy", "cross_entropy_forward", "cross_entropy_backward", "CrossEntropyCache",
    "mse", "mse_forward", "mse_backward", "MSECache",
    "smooth_l1", "smooth_l1_forward", "smooth_l1_backward", "SmoothL1Cache",
]

_REDUCTIONS = ("mean", "sum")


def _check_reduction(reduction, fn: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean' or 'sum', got {reduction!r}")
    return reduction


def _check_dloss(dloss, fn: str) -> float:
    if isinstance(dloss, np.ndarray) and dloss.ndim == 0:
        dloss = dloss.item()
    if not isinstance(dloss, (int, float, np.floating, np.integer)) or isinstance(dloss, bool):
        raise TypeError(f"{fn}: dloss must be a number (the gradient of the scalar loss, "
                        f"usually 1.0), got {type(dloss).__name__}")
    return float(dloss)


def _check_targets(targets, logits: np.ndarray, fn: str) -> np.ndarray:
    """Validate integer class labels ``targets`` of shape (N,) for ``logits`` of shape (N, C)."""
    if not isinstance(targets, np.ndarray):
        raise TypeError(f"{fn}: targets must be a numpy ndarray of integer class labels, "
                        f"got {type(targets).__name__}")
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"{fn}: targets must hold integer class labels, got dtype {targets.dtype} "
                        f"(convert with targets.astype(np.int64))")
    n, c = logits.shape
    if targets.shape != (n,):
        raise ValueError(f"{fn}: targets must have shape (N,) = ({n},) to match "
                         f"logits.shape={logits.shape}, got targets.shape={targets.shape}")
    if n and (targets.min() < 0 or targets.max() >= c):
        bad = targets[(targets < 0) | (targets >= c)][0]
        raise ValueError(f"{fn}: targets must be class indices in [0, {c - 1}] for {c} classes, "
                         f"got {bad}")
    return targets


# --- Cross-entropy ---------------------------------------------------------------------------

class CrossEntropyCache(NamedTuple):
    """What :func:`cross_entropy_backward` needs from the forward pass."""

    log_probs: np.ndarray   # (M, C) log_softmax(logits), M = N (or N*H*W for per-pixel logits)
    targets: np.ndarray     # (M,) integer labels
    reduction: str
    shape: tuple = ()       # the logits' shape when they were (N, C, H, W) (per-pixel), else ()


def cross_entropy_forward(logits: np.ndarray, targets: np.ndarray,
                          reduction: str = "mean") -> tuple[float, CrossEntropyCache]:
    """Softmax cross-entropy (softmax + negative log-likelihood fused), with a cache.

    ``loss_n = -log softmax(logits_n)[targets_n] = logsumexp(logits_n) - logits_n[targets_n]``,
    computed by the log-sum-exp trick so that logits of magnitude ``1e4`` give a finite loss.

    Parameters
    ----------
    logits : ndarray, shape (N, C) or (N, C, H, W), float
        Unnormalised class scores; (N, C, H, W) scores every pixel (segmentation), as PyTorch.
    targets : ndarray of int, shape (N,) or (N, H, W)
        Class indices in ``[0, C)``.
    reduction : {'mean', 'sum'}, default 'mean'
        'mean' averages over the N (or N*H*W) terms.

    Returns
    -------
    loss : float
    cache : CrossEntropyCache
    """
    fn = "cross_entropy"
    check_array(logits, fn, "logits")
    shape = ()
    if logits.ndim == 4:
        # per-pixel: every pixel is one classification problem over the C channels
        if not isinstance(targets, np.ndarray) or targets.shape != logits.shape[:1] + logits.shape[2:]:
            raise ValueError(f"{fn}: with per-pixel logits (N, C, H, W) = {logits.shape}, targets "
                             f"must have shape (N, H, W) = {logits.shape[:1] + logits.shape[2:]}, "
                             f"got {getattr(targets, 'shape', type(targets).__name__)}")
        shape = logits.shape
        logits = logits.transpose(0, 2, 3, 1).reshape(-1, shape[1])
        targets = targets.reshape(-1)
    if logits.ndim != 2:
        raise ValueError(f"{fn}: logits must be 2-D (N, C) or 4-D (N, C, H, W), got "
                         f"logits.shape={logits.shape}")
    _check_targets(targets, logits, fn)
    _check_reduction(reduction, fn)
    n = logits.shape[0]
    if n == 0:
        raise ValueError(f"{fn}: logits must hold at least one sample, got logits.shape={logits.shape}")
    log_probs = log_softmax(logits, axis=1)
    total = -log_probs[np.arange(n), targets].sum(dtype=np.float64)
    loss = total / n if reduction == "mean" else total
    return float(loss), CrossEntropyCache(log_probs, targets, reduction, shape)


def cross_entropy(logits: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> float:
    """Softmax cross-entropy of ``logits`` (N, C) against integer ``targets`` (N,).

    See :func:`cross_entropy_forward` for the formula. Matches
    ``torch.nn.functional.cross_entropy``.

    Examples
    --------
    >>> round(cross_entropy(np.zeros((4, 10)), np.array([0, 1, 2, 3])), 4)  # log(10)
    2.3026
    """
    return cross_entropy_forward(logits, targets, reduction)[0]


def cross_entropy_backward(dloss: float, cache: CrossEntropyCache) -> np.ndarray:
    """Gradient of the cross-entropy with respect to the logits.

    Parameters
    ----------
    dloss : float
        Upstream gradient of the scalar loss (1.0 when this loss is minimised directly).
    cache : CrossEntropyCache
        From :func:`cross_entropy_forward`.

    Returns
    -------
    dlogits : ndarray, shape and dtype of the logits
        ``dloss * (softmax(logits) - onehot(targets)) / N`` (without the ``/ N`` for 'sum').
    """
    dloss = _check_dloss(dloss, "cross_entropy_backward")
    log_probs, targets, reduction, shape = cache
    n = log_probs.shape[0]
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), targets] -= 1
    scale = dloss / n if reduction == "mean" else dloss
    if scale != 1.0:
        dlogits *= dlogits.dtype.type(scale)
    if shape:
        N, C, H, W = shape
        dlogits = np.ascontiguousarray(dlogits.reshape(N, H, W, C).transpose(0, 3, 1, 2))
    return dlogits


# --- Mean squared error ----------------------------------------------------------------------

class MSECache(NamedTuple):
    """What :func:`mse_backward` needs from the forward pass."""

    diff: np.ndarray        # input - target
    reduction: str


def mse_forward(input: np.ndarray, target: np.ndarray,
                reduction: str = "mean") -> tuple[float, MSECache]:
    """Mean squared error ``mean((input - target)**2)`` over all elements, with a cache.

    Parameters
    ----------
    input : ndarray, any shape, float
    target : ndarray, same shape as ``input``, float
    reduction : {'mean', 'sum'}, default 'mean'

    Returns
    -------
    loss : float
    cache : MSECache
    """
    fn = "mse"
    check_array(input, fn, "input")
    check_array(target, fn, "target")
    if input.shape != target.shape:
        raise ValueError(f"{fn}: target must have the shape of input, got input.shape={input.shape} "
                         f"and target.shape={target.shape}")
    _check_reduction(reduction, fn)
    if input.size == 0:
        raise ValueError(f"{fn}: input must not be empty, got input.shape={input.shape}")
    diff = input - target.astype(input.dtype, copy=False)
    total = np.square(diff).sum(dtype=np.float64)
    loss = total / diff.size if reduction == "mean" else total
    return float(loss), MSECache(diff, reduction)


def mse(input: np.ndarray, target: np.ndarray, reduction: str = "mean") -> float:
    """Mean squared error; see :func:`mse_forward`. Matches ``torch.nn.functional.mse_loss``."""
    return mse_forward(input, target, reduction)[0]


def mse_backward(dloss: float, cache: MSECache) -> np.ndarray:
    """Gradient of :func:`mse` with respect to ``input``.

    Returns
    -------
    dinput : ndarray, shape and dtype of ``input``
        ``dloss * 2 * (input - target) / size`` (without ``/ size`` for 'sum').
    """
    dloss = _check_dloss(dloss, "mse_backward")
    diff, reduction = cache
    scale = 2 * dloss / diff.size if reduction == "mean" else 2 * dloss
    return diff * diff.dtype.type(scale)


# --- Smooth L1 (Huber) -----------------------------------------------------------------------

class SmoothL1Cache(NamedTuple):
    """What :func:`smooth_l1_backward` needs from the forward pass."""

    diff: np.ndarray        # input - target
    beta: float
    reduction: str


def smooth_l1_forward(input: np.ndarray, target: np.ndarray, beta: float = 1.0,
                      reduction: str = "mean") -> tuple[float, SmoothL1Cache]:
    """Smooth L1 loss (a box-regression loss), with a cache.

    Per element, with ``d = input - target``: ``0.5 * d**2 / beta`` where ``|d| < beta``, else
    ``|d| - 0.5 * beta``: quadratic near zero (smooth gradient), linear far away (an outlier box
    does not dominate, as it would with MSE). Matches ``torch.nn.functional.smooth_l1_loss``.

    Parameters
    ----------
    input, target : ndarray, same shape, float
    beta : float > 0, default 1.0
        Where the quadratic part hands over to the linear one.
    reduction : {'mean', 'sum'}, default 'mean'
    """
    fn = "smooth_l1"
    check_array(input, fn, "input")
    check_array(target, fn, "target")
    if input.shape != target.shape:
        raise ValueError(f"{fn}: target must have the shape of input, got input.shape={input.shape} "
                         f"and target.shape={target.shape}")
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: beta must be a positive number, got {type(beta).__name__}")
    if not 0 < float(beta) < float("inf"):
        raise ValueError(f"{fn}: beta must be a positive number, got {beta!r}")
    beta = float(beta)
    _check_reduction(reduction, fn)
    if input.size == 0:
        raise ValueError(f"{fn}: input must not be empty, got input.shape={input.shape}")
    diff = input - target.astype(input.dtype, copy=False)
    a = np.abs(diff)
    per = np.where(a < beta, 0.5 * np.square(diff) / beta, a - 0.5 * beta)
    total = per.sum(dtype=np.float64)
    loss = total / diff.size if reduction == "mean" else total
    return float(loss), SmoothL1Cache(diff, beta, reduction)


def smooth_l1(input: np.ndarray, target: np.ndarray, beta: float = 1.0,
              reduction: str = "mean") -> float:
    """Smooth L1 loss; see :func:`smooth_l1_forward`.

    >>> smooth_l1(np.array([0.0, 3.0]), np.array([0.5, 0.0]))   # (0.125 + 2.5) / 2
    1.3125
    """
    return smooth_l1_forward(input, target, beta, reduction)[0]


def smooth_l1_backward(dloss: float, cache: SmoothL1Cache) -> np.ndarray:
    """Gradient of :func:`smooth_l1` with respect to ``input``: ``d / beta`` where
    ``|d| < beta``, else ``sign(d)``, times ``dloss`` (and ``/ size`` for 'mean')."""
    dloss = _check_dloss(dloss, "smooth_l1_backward")
    diff, beta, reduction = cache
    grad = np.where(np.abs(diff) < beta, diff / diff.dtype.type(beta), np.sign(diff))
    scale = dloss / diff.size if reduction == "mean" else dloss
    return (grad * scale).astype(diff.dtype, copy=False)
