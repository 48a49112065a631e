"""Activation functions (the *detector stage*) and their gradients.

Each activation ``f`` comes with ``f_backward(dout, saved)`` that returns ``dL/dx`` given the
upstream gradient ``dout = dL/dout``. What ``saved`` is depends on what makes the gradient
cheapest, and each docstring says it:

* ``relu`` and ``leaky_relu`` need the **input** ``x`` (the gradient depends on its sign);
* ``sigmoid``, ``tanh``, ``softmax`` and ``log_softmax`` need their **output** ``out``
  (``sigmoid' = out * (1 - out)``, ``tanh' = 1 - out**2``, ...).

All functions work on arrays of any shape, keep the input's dtype (float32 in, float32 out)
and never emit overflow warnings: ``sigmoid`` and ``log_softmax`` are written in their
numerically stable forms. The chapter *The detector stage* explains why a non-linearity is
needed at all; *Backpropagation* derives these gradients.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_array, check_dout, is_int

__all__ = [
    "relu", "relu_backward",
    "leaky_relu", "leaky_relu_backward",
    "sigmoid", "sigmoid_backward",
    "tanh", "tanh_backward",
    "softmax", "softmax_backward",
    "log_softmax", "log_softmax_backward",
]


def _check_dout(dout, like: np.ndarray, fn: str) -> np.ndarray:
    """``dout`` must have the shape and dtype of ``like`` (the forward's input or output)."""
    return check_dout(dout, fn, like.shape, like.dtype)


def _check_axis(axis, x: np.ndarray, fn: str) -> int:
    if not is_int(axis):
        raise TypeError(f"{fn}: axis must be an int, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{fn}: axis {axis} is out of range for an input with {x.ndim} "
                         f"dimensions (x.shape={x.shape})")
    return int(axis)


# --- ReLU ------------------------------------------------------------------------------------

def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit, ``max(x, 0)`` elementwise.

    Parameters
    ----------
    x : ndarray, any shape, float

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    check_array(x, "relu", "x")
    return np.maximum(x, 0, dtype=x.dtype)


def relu_backward(dout: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`relu`: ``dout`` where ``x > 0``, else 0 (also at ``x == 0``, as PyTorch).

    Parameters
    ----------
    dout : ndarray, shape of ``x``
        Upstream gradient ``dL/d relu(x)``.
    x : ndarray
        The **input** of the forward pass.

    Returns
    -------
    dx : ndarray, same shape and dtype as ``dout``
    """
    check_array(x, "relu_backward", "x")
    _check_dout(dout, x, "relu_backward")
    return dout * (x > 0)


# --- Leaky ReLU ------------------------------------------------------------------------------

def _check_slope(negative_slope, fn: str) -> float:
    if not isinstance(negative_slope, (int, float, np.floating, np.integer)) or isinstance(negative_slope, bool):
        raise TypeError(f"{fn}: negative_slope must be a number, got {negative_slope!r}")
    return float(negative_slope)


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky ReLU: ``x`` where ``x > 0``, else ``negative_slope * x``.

    Parameters
    ----------
    x : ndarray, any shape, float
    negative_slope : float, default 0.01

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``
    """
    check_array(x, "leaky_relu", "x")
    slope = _check_slope(negative_slope, "leaky_relu")
    return np.where(x > 0, x, x * x.dtype.type(slope))


def leaky_relu_backward(dout: np.ndarray, x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """Gradient of :func:`leaky_relu`: ``dout`` where ``x > 0``, else ``negative_slope * dout``.

    Parameters
    ----------
    dout : ndarray, shape of ``x``
    x : ndarray
        The **input** of the forward pass.
    negative_slope : float, default 0.01

    Returns
    -------
    dx : ndarray, same shape and dtype as ``dout``
    """
    check_array(x, "leaky_relu_backward", "x")
    _check_dout(dout, x, "leaky_relu_backward")
    slope = _check_slope(negative_slope, "leaky_relu_backward")
    return np.where(x > 0, dout, dout * dout.dtype.type(slope))


# --- Sigmoid ---------------------------------------------------------------------------------

def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow.

    For ``x >= 0`` it evaluates ``1 / (1 + exp(-x))`` and for ``x < 0`` the equal
    ``exp(x) / (1 + exp(x))``, so ``exp`` only ever sees non-positive numbers.

    Parameters
    ----------
    x : ndarray, any shape, float

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``, values in [0, 1]
    """
    check_array(x, "sigmoid", "x")
    z = np.exp(-np.abs(x))               # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


def sigmoid_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Gradient of :func:`sigmoid`: ``dout * out * (1 - out)``.

    Parameters
    ----------
    dout : ndarray, shape of ``out``
    out : ndarray
        The **output** of the forward pass, ``sigmoid(x)``.

    Returns
    -------
    dx : ndarray, same shape and dtype as ``dout``
    """
    check_array(out, "sigmoid_backward", "out")
    _check_dout(dout, out, "sigmoid_backward")
    return dout * out * (1 - out)


# --- Tanh ------------------------------------------------------------------------------------

def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, elementwise (``np.tanh``; it is stable for large ``|x|``).

    Parameters
    ----------
    x : ndarray, any shape, float

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``, values in [-1, 1]
    """
    check_array(x, "tanh", "x")
    return np.tanh(x)


def tanh_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Gradient of :func:`tanh`: ``dout * (1 - out**2)``.

    Parameters
    ----------
    dout : ndarray, shape of ``out``
    out : ndarray
        The **output** of the forward pass, ``tanh(x)``.

    Returns
    -------
    dx : ndarray, same shape and dtype as ``dout``
    """
    check_array(out, "tanh_backward", "out")
    _check_dout(dout, out, "tanh_backward")
    return dout * (1 - out * out)


# --- Softmax and log-softmax -----------------------------------------------------------------

def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Logarithm of :func:`softmax`, by the log-sum-exp trick.

    ``log_softmax(x)_i = x_i - m - log(sum_j exp(x_j - m))`` with ``m = max_j x_j``: every
    exponent is ``<= 0``, so nothing overflows even for logits of magnitude ``1e4``.

    Parameters
    ----------
    x : ndarray, any shape, float
        Scores (logits); typically shape (N, C) with ``axis=-1``.
    axis : int, default -1
        The axis over which the probabilities sum to one.

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``, values <= 0
    """
    check_array(x, "log_softmax", "x")
    axis = _check_axis(axis, x, "log_softmax")
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(dout: np.ndarray, out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`log_softmax`: ``dout - softmax * sum(dout)`` along ``axis``.

    Parameters
    ----------
    dout : ndarray, shape of ``out``
    out : ndarray
        The **output** of the forward pass, ``log_softmax(x, axis)``.
    axis : int, default -1

    Returns
    -------
    dx : ndarray, same shape and dtype as ``dout``
    """
    check_array(out, "log_softmax_backward", "out")
    _check_dout(dout, out, "log_softmax_backward")
    axis = _check_axis(axis, out, "log_softmax_backward")
    return dout - np.exp(out) * dout.sum(axis=axis, keepdims=True)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax ``exp(x_i) / sum_j exp(x_j)`` along ``axis``, shifted by the max to avoid overflow.

    Parameters
    ----------
    x : ndarray, any shape, float
        Scores (logits); typically shape (N, C) with ``axis=-1``.
    axis : int, default -1

    Returns
    -------
    out : ndarray, same shape and dtype as ``x``
        Non-negative, summing to one along ``axis``.

    Examples
    --------
    >>> softmax(np.array([[1e4, 0.0]]))
    array([[1., 0.]])
    """
    check_array(x, "softmax", "x")
    axis = _check_axis(axis, x, "softmax")
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def softmax_backward(dout: np.ndarray, out: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gradient of :func:`softmax`: ``out * (dout - sum(dout * out))`` along ``axis``.

    This is the Jacobian-vector product of ``diag(s) - s s^T`` without building the matrix.

    Parameters
    ----------
    dout : ndarray, shape of ``out``
    out : ndarray
        The **output** of the forward pass, ``softmax(x, axis)``.
    axis : int, default -1

    Returns
    -------
    dx : ndarray, same shape and dtype as ``dout``
    """
    check_array(out, "softmax_backward", "out")
    _check_dout(dout, out, "softmax_backward")
    axis = _check_axis(axis, out, "softmax_backward")
    return out * (dout - (dout * out).sum(axis=axis, keepdims=True))
