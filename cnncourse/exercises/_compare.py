"""Compare a learner's answer with the expected one and explain the first difference.

:func:`compare` returns ``None`` when the answer is right and otherwise one plain sentence
that says what was expected and what came ("expected an ndarray of shape (3, 3), got a list").
:func:`fmt` prints values compactly for the verdict box.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["compare", "same", "fmt", "describe_type"]


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def describe_type(v) -> str:
    """'a list', 'an ndarray of shape (3, 3) and dtype float64', 'None', ..."""
    if v is None:
        return "None"
    if v is Ellipsis:
        return "... (Ellipsis)"
    if isinstance(v, np.ndarray):
        return f"an ndarray of shape {v.shape} and dtype {v.dtype}"
    if isinstance(v, (bool, np.bool_)):
        return f"a bool ({v})"
    if isinstance(v, np.generic):
        return f"a numpy {type(v).__name__} ({v})"
    if callable(v):
        return f"a function ({getattr(v, '__name__', type(v).__name__)})"
    name = type(v).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


def compare(expected, got, rtol: float = 1e-7, atol: float = 0.0, check_dtype: bool = True,
            _where: str = "", reveal: bool = True) -> str | None:
    """Return ``None`` if ``got`` matches ``expected``, else a sentence describing the difference.

    Integers (and integer arrays) must be equal exactly; floats (and float arrays) must satisfy
    ``numpy.allclose(got, expected, rtol, atol)``. Arrays must also match in type, shape and,
    when ``check_dtype``, dtype. Tuples and lists are compared element by element (either
    sequence type is accepted); dicts key by key. With ``reveal=False`` the message never
    prints the expected values (only types, lengths and shapes), for questions whose answer is
    the value itself.
    """
    at = f" {_where}" if _where else ""
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            return f"expected an ndarray of shape {expected.shape}{at}, got {describe_type(got)}"
        if got.shape != expected.shape:
            msg = f"expected shape {expected.shape}{at}, got shape {got.shape}"
            if got.ndim == 2 and expected.ndim == 2 and got.shape == expected.shape[::-1]:
                msg += " (the two axes are swapped: H and W, or i and j, mixed up?)"
            elif got.ndim == expected.ndim and all(
                    abs(a - b) <= 1 for a, b in zip(got.shape, expected.shape)):
                msg += " (off by one in the output size?)"
            return msg
        if check_dtype and got.dtype != expected.dtype:
            return f"expected {expected.dtype}{at}, got {got.dtype} (the array's dtype)"
        return _compare_arrays(expected, got, rtol, atol, at, reveal)
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return f"expected a bool (True or False){at}, got {describe_type(got)}"
        return None if bool(got) == bool(expected) else _wrong(expected, got, at, reveal)
    if _is_int(expected):
        if isinstance(got, np.ndarray) and got.shape == ():
            got = got[()]
        if _is_real(got) and not _is_int(got):
            if float(got) == float(expected):
                return (f"expected an int{at}, got the float {got!r} "
                        "(use // for integer division, or int(...))")
            return _wrong(expected, got, at, reveal) + " (and it should be an int, not a float)"
        if not _is_int(got):
            return f"expected an int{at}, got {describe_type(got)}"
        return None if int(got) == int(expected) else _wrong(expected, got, at, reveal)
    if _is_real(expected):
        if isinstance(got, np.ndarray) and got.shape == ():
            got = got[()]
        if not _is_real(got):
            return f"expected a number{at}, got {describe_type(got)}"
        if math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol) or (
                math.isnan(float(got)) and math.isnan(float(expected))):
            return None
        if not reveal:
            return _wrong(expected, got, at, reveal)
        return f"expected {expected!r}{at}, got {got!r} (difference {float(got) - float(expected):.3g})"
    if isinstance(expected, (tuple, list)):
        kind = "tuple" if isinstance(expected, tuple) else "list"
        if isinstance(got, np.ndarray) or not isinstance(got, (tuple, list)):
            return f"expected a {kind} of length {len(expected)}{at}, got {describe_type(got)}"
        if len(got) != len(expected):
            return f"expected a {kind} of length {len(expected)}{at}, got length {len(got)}: {fmt(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            diff = compare(e, g, rtol, atol, check_dtype, reveal=reveal)
            if diff is not None:
                if not reveal:
                    why = "" if diff.startswith("got ") else f" ({diff})"
                    return f"got {fmt(got)}{at}: element {i} is not right{why}"
                return (f"expected {fmt(tuple(expected) if kind == 'tuple' else expected)}{at}, "
                        f"got {fmt(got)}: element {i} differs ({diff})")
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"expected a dict{at}, got {describe_type(got)}"
        if set(got) != set(expected):
            return f"expected keys {sorted(map(str, expected))}{at}, got {sorted(map(str, got))}"
        for key in expected:
            diff = compare(expected[key], got[key], rtol, atol, check_dtype, f"for key {key!r}", reveal)
            if diff is not None:
                return diff
        return None
    if expected is None:
        return None if got is None else f"expected None{at}, got {describe_type(got)}"
    try:
        equal = bool(got == expected)
    except Exception:  # noqa: BLE001 - an odd learner object
        equal = False
    return None if equal else _wrong(expected, got, at, reveal)


def _wrong(expected, got, at, reveal) -> str:
    if reveal:
        return f"expected {fmt(expected)}{at}, got {fmt(got)}"
    return f"got {fmt(got)}{at}, which is not right"


def _compare_arrays(expected, got, rtol, atol, at, reveal=True) -> str | None:
    if expected.dtype.kind in "iub" or got.dtype.kind not in "fc":
        if expected.dtype.kind in "fc":
            bad = ~np.isclose(got.astype(expected.dtype), expected, rtol=rtol, atol=atol, equal_nan=True)
        else:
            try:
                bad = got != expected
            except Exception:  # noqa: BLE001
                return f"expected an array like {fmt(expected)}{at}, got {fmt(got)}"
            bad = np.asarray(bad)
    else:
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    n_bad = int(bad.sum())
    tol = "" if expected.dtype.kind in "iub" else f" beyond rtol={rtol:g}, atol={atol:g}"
    msg = f"{n_bad} of {bad.size} values differ{tol}{at}; first at index {idx}: "
    e_val, g_val = _scalar(expected[idx]), _scalar(got[idx])
    msg += f"expected {e_val!r}, got {g_val!r}" if reveal else f"got {g_val!r}"
    if expected.ndim >= 2 and expected.shape[-1] == expected.shape[-2]:
        try:
            if np.allclose(np.swapaxes(got, -1, -2), expected, rtol=rtol, atol=atol):
                msg += " (your array is the transpose of the expected one: H and W, or i and j, swapped?)"
        except Exception:  # noqa: BLE001
            pass
    return msg


def _scalar(v):
    return v.item() if isinstance(v, np.generic) else v


def same(a, b) -> bool:
    """Strict equality used to detect mutation: same types, shapes, dtypes and values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return a is b


def fmt(v, width: int = 88) -> str:
    """Print a value compactly: arrays with few digits, summarised when large, with shape and dtype."""
    if isinstance(v, np.ndarray):
        body = np.array2string(v, precision=4, suppress_small=True, threshold=64, edgeitems=3,
                               max_line_width=width, separator=" ")
        return f"{body}  (shape {v.shape}, {v.dtype})"
    if isinstance(v, (tuple, list)) and any(isinstance(x, np.ndarray) for x in v):
        inner = ", ".join(fmt(x, width) for x in v)
        return f"({inner})" if isinstance(v, tuple) else f"[{inner}]"
    text = repr(v)
    return text if len(text) <= 400 else text[:400] + " ..."
