"""Weight initialisation: He (Kaiming), Glorot (Xavier) and PyTorch's layer defaults.

Every function returns a **new** array of the given shape and dtype, drawn from ``rng``: the
package's one rng policy (:func:`cnncourse.checks.as_rng`), an int seed (reproducible
weights), ``None`` (a fresh, unseeded generator) or a ``numpy.random.Generator`` (used as is).

Fans follow PyTorch: for a weight of shape ``(d0, d1, *kernel)``,
``fan_in = d1 * prod(kernel)`` and ``fan_out = d0 * prod(kernel)``.
"""
from __future__ import annotations

import math

import numpy as np

from ..checks import as_rng, check_floating_dtype, check_int, check_real

__all__ = [
    "calculate_fan_in_and_fan_out", "calculate_gain",
    "uniform", "kaiming_uniform", "kaiming_normal", "xavier_uniform", "xavier_normal",
    "default_weight", "default_bias",
]


def _check_shape(shape, fn: str) -> tuple[int, ...]:
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{fn}: shape must be a tuple of ints such as (6, 1, 5, 5), got {shape!r}")
    return tuple(check_int(d, fn, "shape entry", min_value=0) for d in shape)


def calculate_fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(d0, d1, *kernel)`` (at least 2-D).

    For Linear ``(out, in)``: ``(in, out)``. For Conv2d ``(C_out, C_in, kH, kW)``:
    ``(C_in*kH*kW, C_out*kH*kW)``.
    """
    shape = _check_shape(shape, "calculate_fan_in_and_fan_out")
    if len(shape) < 2:
        raise ValueError(f"calculate_fan_in_and_fan_out: shape must have at least 2 dimensions, got {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str = "leaky_relu", param: float | None = None) -> float:
    """PyTorch's recommended gain: 1 for linear/sigmoid, 5/3 for tanh, sqrt(2) for relu,
    ``sqrt(2 / (1 + a**2))`` for leaky_relu with slope ``a`` (default 0.01)."""
    if nonlinearity in ("linear", "conv2d", "conv_transpose2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else check_real(param, "calculate_gain", "param")
        return math.sqrt(2.0 / (1 + a * a))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
                     f"'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu'")


def _fan(shape, mode: str, fn: str) -> int:
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan < 1:
        raise ValueError(f"{fn}: shape {tuple(shape)} has {mode} = 0; every dimension must be >= 1")
    return fan


def uniform(shape, bound: float, *, rng=None, dtype=np.float32) -> np.ndarray:
    """Samples from ``U(-bound, bound)``."""
    shape = _check_shape(shape, "uniform")
    bound = check_real(bound, "uniform", "bound", low=0.0)
    dtype = check_floating_dtype(dtype, "uniform")
    return as_rng(rng, "uniform").uniform(-bound, bound, size=shape).astype(dtype, copy=False)


def kaiming_uniform(shape, *, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    rng=None, dtype=np.float32) -> np.ndarray:
    """He initialisation, uniform: ``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``.

    With the defaults (``a=0``, leaky_relu) the gain is ``sqrt(2)``: the variance
    ``2 / fan_in`` keeps activations' scale through ReLU layers (He et al., 2015).
    """
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / _fan(shape, mode, "kaiming_uniform"))
    return uniform(shape, bound, rng=rng, dtype=dtype)


def kaiming_normal(shape, *, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                   rng=None, dtype=np.float32) -> np.ndarray:
    """He initialisation, normal: ``N(0, std**2)`` with ``std = gain / sqrt(fan)``."""
    dtype = check_floating_dtype(dtype, "kaiming_normal")
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(shape, mode, "kaiming_normal"))
    return as_rng(rng, "kaiming_normal").normal(0.0, std, size=shape).astype(dtype, copy=False)


def xavier_uniform(shape, *, gain: float = 1.0, rng=None, dtype=np.float32) -> np.ndarray:
    """Glorot initialisation, uniform: ``U(-b, b)``, ``b = gain * sqrt(6 / (fan_in + fan_out))``."""
    gain = check_real(gain, "xavier_uniform", "gain", low=0.0)
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return uniform(shape, gain * math.sqrt(6.0 / (fan_in + fan_out)), rng=rng, dtype=dtype)


def xavier_normal(shape, *, gain: float = 1.0, rng=None, dtype=np.float32) -> np.ndarray:
    """Glorot initialisation, normal: ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    gain = check_real(gain, "xavier_normal", "gain", low=0.0)
    dtype = check_floating_dtype(dtype, "xavier_normal")
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return as_rng(rng, "xavier_normal").normal(0.0, std, size=shape).astype(dtype, copy=False)


def default_weight(shape, *, rng=None, dtype=np.float32) -> np.ndarray:
    """PyTorch's default for Linear/Conv2d weights: ``kaiming_uniform(a=sqrt(5))``,
    which is ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``."""
    return kaiming_uniform(shape, a=math.sqrt(5), rng=rng, dtype=dtype)


def default_bias(shape, fan_in: int, *, rng=None, dtype=np.float32) -> np.ndarray:
    """PyTorch's default for biases: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``."""
    fan_in = check_int(fan_in, "default_bias", "fan_in", min_value=0)
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform(shape, bound, rng=rng, dtype=dtype)
