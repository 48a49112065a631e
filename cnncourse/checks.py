"""The one validation policy of the package: ints, real numbers, arrays, dtypes, rng, backward
arguments and PyTorch keyword arguments we do not support.

Every public function of ``cnncourse`` validates its arguments with these checks, so a learner
meets one wording everywhere. Each check takes the value, then ``fn`` (the public function or
class that was called, e.g. ``"max_pool2d"`` or ``"LPPool2d"``) and ``name`` (the argument), and
raises a ``TypeError`` (wrong kind of value) or a ``ValueError`` (right kind, wrong value) whose
message names both, says what was expected and shows what came::

    >>> check_positive_int(True, "LPPool2d", "kernel_size")
    Traceback (most recent call last):
    ...
    TypeError: LPPool2d: kernel_size must be an int, got True (bool)

Policies fixed here, once:

* **ints**: ``bool`` is refused although it is an ``int`` subclass (``Flatten(True)`` is a
  mistake, not ``Flatten(1)``), and so are floats, even integral ones (``2.0``), and strings.
  numpy integers are accepted and returned as Python ints.
* **real numbers**: ints and floats (numpy's too); ``bool`` and strings are refused.
* **arrays**: an op takes a numpy ndarray of a floating dtype and keeps that dtype; nothing is
  converted silently.
* **rng**: everywhere randomness is used, the argument accepts an ``int`` seed, ``None`` (fresh
  OS entropy) or a ``numpy.random.Generator`` (used as is, so a caller can thread one generator
  through several calls): :func:`as_rng`.
* **backward**: ``dout`` must have exactly the forward output's shape and dtype
  (:func:`check_dout`); a wrong one is never broadcast or cast.
* **PyTorch arguments we do not support** (``ceil_mode``, ``groups``, ...) are named in the
  error instead of Python's plain "unexpected keyword argument" (:func:`reject_unsupported`).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = [
    "is_int", "is_real", "check_int", "check_positive_int", "check_non_negative_int", "pair",
    "check_real", "check_bool", "check_array", "check_floating_dtype", "check_same_dtype",
    "check_conv_inputs",
    "as_rng", "check_cache", "check_dout", "reject_unsupported",
]


# --------------------------------------------------------------------------------------------
# ints and numbers
# --------------------------------------------------------------------------------------------

def is_int(value) -> bool:
    """True for Python and numpy integers, False for ``bool``, floats and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """True for ints and floats (numpy's too), False for ``bool``, strings and complex."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _kind(value) -> str:
    return type(value).__name__


def check_int(value, fn: str, name: str, min_value: int | None = None) -> int:
    """Return ``value`` as an ``int``; refuse non-ints and values below ``min_value``."""
    if not is_int(value):
        raise TypeError(f"{fn}: {name} must be an int, got {value!r} ({_kind(value)})")
    value = int(value)
    if min_value is not None and value < min_value:
        what = "a positive int (>= 1)" if min_value == 1 else f"an int >= {min_value}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value}")
    return value


def check_positive_int(value, fn: str, name: str) -> int:
    """An ``int >= 1`` (sizes, strides, dilations, channel counts)."""
    return check_int(value, fn, name, min_value=1)


def check_non_negative_int(value, fn: str, name: str) -> int:
    """An ``int >= 0`` (paddings, indices)."""
    return check_int(value, fn, name, min_value=0)


def pair(value, fn: str, name: str, min_value: int | None = 0) -> tuple[int, int]:
    """An int ``v`` (meaning ``(v, v)``) or an ``(h, w)`` pair of ints, as a tuple of two ints.

    Like PyTorch's ``torch.nn.modules.utils._pair``, but validating: both entries must be ints
    (not bool, not float) and at least ``min_value``.
    """
    if is_int(value):
        values = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(is_int(v) for v in value):
        values = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints (h, w), got {value!r}")
    if min_value is not None and min(values) < min_value:
        what = "positive" if min_value == 1 else f">= {min_value}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value!r}")
    return values


def check_real(value, fn: str, name: str, *, low: float | None = None, high: float | None = None,
               low_open: bool = False, high_open: bool = False, finite: bool = True) -> float:
    """Return ``value`` as a ``float``; refuse bool/str/complex, NaN, inf and out-of-range values.

    ``low``/``high`` bound the value (inclusive unless ``low_open``/``high_open``).
    """
    if not is_real(value):
        raise TypeError(f"{fn}: {name} must be a real number, got {value!r} ({_kind(value)})")
    value = float(value)
    if math.isnan(value) or (finite and math.isinf(value)):
        raise ValueError(f"{fn}: {name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "" if low is None else ("(" if low_open else "[") + f"{low}"
        right = "" if high is None else f"{high}" + (")" if high_open else "]")
        if low is None:
            what = f"{'<' if high_open else '<='} {high}"
        elif high is None:
            what = f"{'>' if low_open else '>='} {low}"
        else:
            what = f"in {left}, {right}"
        raise ValueError(f"{fn}: {name} must be {what}, got {value}")
    return value


def check_bool(value, fn: str, name: str) -> bool:
    """A real ``bool`` (or numpy bool); ``0``/``1``/strings are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{fn}: {name} must be True or False, got {value!r} ({_kind(value)})")
    return bool(value)


# --------------------------------------------------------------------------------------------
# arrays and dtypes
# --------------------------------------------------------------------------------------------

_LAYOUTS = {4: "(N, C, H, W)", 3: "(C, H, W)", 2: "(N, D)", 1: "(C,)"}


def check_array(x, fn: str, name: str, ndim: int | None = None, *,
                floating: bool = True) -> np.ndarray:
    """Check that ``x`` is an ndarray (of a floating dtype unless ``floating=False``) with
    ``ndim`` dimensions, and return it unchanged (no copy, no cast)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy ndarray, got {_kind(x)}")
    if floating and not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{fn}: {name} must have a floating dtype (float32 or float64), "
                        f"got {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        layout = _LAYOUTS.get(ndim, "")
        raise ValueError(f"{fn}: {name} must be {ndim}-D {layout}".rstrip()
                         + f", got shape {x.shape}")
    return x


def check_floating_dtype(dtype, fn: str, name: str = "dtype") -> np.dtype:
    """A floating numpy dtype (``np.float32``, ``'float64'``, ...) as a ``np.dtype``."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be a numpy floating dtype such as np.float32 or "
                        f"np.float64, got {dtype!r}") from None
    if not np.issubdtype(resolved, np.floating):
        raise TypeError(f"{fn}: {name} must be a floating dtype (float32 or float64), "
                        f"got {resolved}")
    return resolved


def check_same_dtype(fn: str, x: np.ndarray, **others) -> None:
    """Raise ``TypeError`` when an array in ``others`` (name=array) has another dtype than x."""
    for name, arr in others.items():
        if arr is not None and arr.dtype != x.dtype:
            raise TypeError(f"{fn}: {name} has dtype {arr.dtype} but x has dtype {x.dtype}; "
                            f"convert one of them with .astype()")


def check_conv_inputs(fn: str, x, weight, bias=None, weight_in_axis: int = 1):
    """Validate the arrays of a convolution and return ``(x, weight, bias)``.

    ``x`` is (N, C_in, H, W) and ``weight`` 4-D, both floating and of one dtype;
    ``weight.shape[weight_in_axis]`` must equal C_in (1 for conv2d's (C_out, C_in, kH, kW),
    0 for conv_transpose2d's (C_in, C_out, kH, kW)); ``bias``, if given, has one value per
    output channel.
    """
    x = check_array(x, fn, "x", ndim=4)
    weight = check_array(weight, fn, "weight", ndim=4)
    expected = weight.shape[weight_in_axis]
    if x.shape[1] != expected:
        plural = "" if x.shape[1] == 1 else "s"
        raise ValueError(f"{fn}: x has {x.shape[1]} channel{plural} but weight expects "
                         f"{expected} (x.shape={x.shape}, weight.shape={weight.shape})")
    check_same_dtype(fn, x, weight=weight)
    if bias is not None:
        bias = check_array(bias, fn, "bias")
        n_out = weight.shape[1 - weight_in_axis]
        if bias.shape != (n_out,):
            raise ValueError(f"{fn}: bias must have shape ({n_out},), one value per output "
                             f"channel of weight.shape={weight.shape}, got shape {bias.shape}")
        check_same_dtype(fn, x, bias=bias)
    return x, weight, bias


# --------------------------------------------------------------------------------------------
# randomness
# --------------------------------------------------------------------------------------------

def as_rng(seed, fn: str, name: str = "rng") -> np.random.Generator:
    """The package's one rng policy: an int seed, ``None`` or a ``numpy.random.Generator``.

    An int ``s >= 0`` gives ``np.random.default_rng(s)`` (reproducible), ``None`` a fresh
    generator, and a Generator is returned as is (the caller's stream advances).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if is_int(seed):
        if seed < 0:
            raise ValueError(f"{fn}: {name} must be a non-negative int seed, None or a "
                             f"numpy Generator, got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(f"{fn}: {name} must be an int seed, None or a numpy Generator "
                    f"(np.random.default_rng(seed)), got {seed!r} ({_kind(seed)})")


# --------------------------------------------------------------------------------------------
# backward arguments
# --------------------------------------------------------------------------------------------

def check_cache(cache, fn: str, kind: type, forward: str, name: str = "cache"):
    """``cache`` must be the named tuple ``kind`` that ``forward`` returned."""
    if not isinstance(cache, kind):
        raise TypeError(f"{fn}: {name} must be the {kind.__name__} returned by {forward}, "
                        f"got {_kind(cache)}")
    return cache


def check_dout(dout, fn: str, shape, dtype, name: str = "dout") -> np.ndarray:
    """The upstream gradient must have exactly the forward output's ``shape`` and ``dtype``.

    Nothing is broadcast or cast: a wrong ``dout`` is a bug in the caller, and silently
    reshaping it gives wrong gradients.
    """
    shape = tuple(shape)
    dout = check_array(dout, fn, name, len(shape))
    if dout.shape != shape:
        raise ValueError(f"{fn}: {name} must have the shape of the forward output {shape}, "
                         f"got {dout.shape}")
    if dout.dtype != np.dtype(dtype):
        raise TypeError(f"{fn}: {name} has dtype {dout.dtype} but the forward ran in "
                        f"{np.dtype(dtype)}; convert it with .astype()")
    return dout


# --------------------------------------------------------------------------------------------
# PyTorch keyword arguments that we do not implement
# --------------------------------------------------------------------------------------------

def _same_value(value, default) -> bool:
    """True when ``value`` is ``default`` given the PyTorch way (``1`` or ``(1, 1)`` for 1)."""
    if isinstance(default, bool):
        return isinstance(value, (bool, np.bool_)) and bool(value) is default
    if default is None:
        return value is None
    if is_int(default):
        if isinstance(value, (tuple, list)):
            return len(value) == 2 and all(is_int(v) and v == default for v in value)
        return is_int(value) and value == default
    return type(value) is type(default) and value == default


def reject_unsupported(fn: str, kwargs: Mapping, unsupported: Mapping) -> None:
    """Refuse keyword arguments that PyTorch's function takes and ours does not.

    ``kwargs`` are the extra keyword arguments the caller gave (``**kwargs`` of the op);
    ``unsupported`` maps each PyTorch argument we know about to ``(default, why)``: passing
    PyTorch's default (which is what we compute anyway, e.g. ``ceil_mode=False``) is accepted,
    anything else raises ``TypeError`` naming the argument and saying why. A name PyTorch does
    not have either gets Python's usual "unexpected keyword argument" wording.
    """
    for key, value in kwargs.items():
        if key not in unsupported:
            raise TypeError(f"{fn}() got an unexpected keyword argument {key!r}")
        default, why = unsupported[key]
        if not _same_value(value, default):
            raise TypeError(f"{fn}: argument {key!r} is not supported ({why}); "
                            f"got {key}={value!r}, only PyTorch's default {key}={default!r} "
                            f"is accepted")
