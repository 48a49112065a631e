"""Compare a learner's answer with the expected one and explain the first difference.

:func:`compare` returns ``None`` when the answer is right and otherwise one plain sentence
that says what was expected and what came ("expected an ndarray of shape (3, 3), got a list").
The sentence is a :class:`Problem`, a ``str`` whose ``kind`` says what is wrong: ``'type'``,
``'shape'``, ``'dtype'`` or ``'value'`` (hints for known mistakes are only given for shape and
value problems). :func:`fmt` prints values compactly for the verdict box.

The numpy functions used here are bound when this module is imported, so a notebook cell that
rebinds ``np.isclose`` cannot change a verdict.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["compare", "same", "fmt", "describe_type", "Problem"]

_ndarray = np.ndarray
_generic = np.generic
_bool_ = np.bool_
_isclose = np.isclose
_allclose = np.allclose
_array_equal = np.array_equal
_argwhere = np.argwhere
_swapaxes = np.swapaxes
_asarray = np.asarray
_array2string = np.array2string
_errstate = np.errstate


class Problem(str):
    """A difference found by :func:`compare`: the sentence, with ``kind`` in
    ``{'type', 'shape', 'dtype', 'value'}``."""

    kind = "value"

    def __new__(cls, text: str, kind: str = "value"):
        obj = super().__new__(cls, text)
        obj.kind = kind
        return obj


class Opaque:
    """Stands for a learner's result that could not be brought back from the checking process."""

    def __init__(self, description: str):
        self.description = description

    def __repr__(self):
        return f"<{self.description}>"


def _p(text, kind="value") -> Problem:
    return Problem(text, kind)


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
    if isinstance(v, Opaque):
        return v.description
    if type(v) is _ndarray:
        return f"an ndarray of shape {v.shape} and dtype {v.dtype}"
    if isinstance(v, _ndarray):
        return f"a {type(v).__name__} (a subclass of ndarray) of shape {v.shape}"
    if isinstance(v, (bool, _bool_)):
        return f"a bool ({v})"
    if isinstance(v, _generic):
        return f"a numpy {type(v).__name__} ({v})"
    if callable(v):
        return f"a function ({getattr(v, '__name__', type(v).__name__)})"
    name = type(v).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"


def compare(expected, got, rtol: float = 1e-7, atol: float = 0.0, check_dtype: bool = True,
            _where: str = "", reveal: bool = True) -> Problem | None:
    """Return ``None`` if ``got`` matches ``expected``, else a :class:`Problem` describing it.

    Integers (and integer arrays) must be equal exactly; floats (and float arrays) must satisfy
    ``numpy.isclose(got, expected, rtol, atol)``. An array answer must be exactly a
    ``numpy.ndarray`` (not a masked array or another subclass) of the expected shape and dtype
    kind (integer, float, bool, complex) and, when ``check_dtype``, of the expected dtype.
    Numpy scalars count as numbers. Tuples and lists are compared element by element (either
    sequence type is accepted); dicts key by key. With ``reveal=False`` the message never
    prints the expected values (only types, lengths and shapes), for questions whose answer is
    the value itself.
    """
    with _errstate(all="ignore"):
        return _compare(expected, got, rtol, atol, check_dtype, _where, reveal)


_KIND_NAME = {"i": "integer", "u": "integer", "f": "float", "b": "bool", "c": "complex"}


def _kind(dtype) -> str:
    return {"u": "i"}.get(dtype.kind, dtype.kind)


def _compare(expected, got, rtol, atol, check_dtype, _where, reveal):
    at = f" {_where}" if _where else ""
    if isinstance(expected, _ndarray):
        if isinstance(got, _ndarray) and type(got) is not _ndarray:
            return _p(f"expected a plain numpy array{at}, got {type(got).__name__}", "type")
        if type(got) is not _ndarray:
            return _p(f"expected an ndarray of shape {expected.shape}{at}, got {describe_type(got)}", "type")
        if got.shape != expected.shape:
            msg = f"expected shape {expected.shape}{at}, got shape {got.shape}"
            if got.ndim == 2 and expected.ndim == 2 and got.shape == expected.shape[::-1]:
                msg += " (the two axes are swapped: H and W, or i and j, mixed up?)"
            elif got.ndim == expected.ndim and all(
                    abs(a - b) <= 1 for a, b in zip(got.shape, expected.shape)):
                msg += " (off by one in the output size?)"
            return _p(msg, "shape")
        ek, gk = _kind(expected.dtype), _kind(got.dtype)
        if ek in _KIND_NAME and ek != gk:
            return _p(f"expected an array of {_KIND_NAME[ek]}s ({expected.dtype}){at}, got dtype "
                      f"{got.dtype}" + (" (counts are integers: use an int dtype)" if ek == "i" else ""),
                      "dtype")
        if check_dtype and got.dtype != expected.dtype:
            return _p(f"expected {expected.dtype}{at}, got {got.dtype} (the array's dtype)", "dtype")
        return _compare_arrays(expected, got, rtol, atol, at, reveal)
    if isinstance(expected, (bool, _bool_)):
        if not isinstance(got, (bool, _bool_)):
            return _p(f"expected a bool (True or False){at}, got {describe_type(got)}", "type")
        return None if bool(got) == bool(expected) else _wrong(expected, got, at, reveal)
    if _is_int(expected):
        if type(got) is _ndarray and got.shape == ():
            got = got[()]
        if _is_real(got) and not _is_int(got):
            if float(got) == float(expected):
                return _p(f"expected an int{at}, got the float {got!r} "
                          "(use // for integer division, or int(...))", "type")
            return _p(_wrong(expected, got, at, reveal) + " (and it should be an int, not a float)")
        if not _is_int(got):
            return _p(f"expected an int{at}, got {describe_type(got)}", "type")
        return None if int(got) == int(expected) else _wrong(expected, got, at, reveal)
    if _is_real(expected):
        if type(got) is _ndarray and got.shape == ():
            got = got[()]
        if not _is_real(got):
            return _p(f"expected a number{at}, got {describe_type(got)}", "type")
        if math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol) or (
                math.isnan(float(got)) and math.isnan(float(expected))):
            return None
        if not reveal:
            return _wrong(expected, got, at, reveal)
        return _p(f"expected {expected!r}{at}, got {got!r} (difference {float(got) - float(expected):.3g})")
    if isinstance(expected, (tuple, list)):
        kind = "tuple" if isinstance(expected, tuple) else "list"
        if isinstance(got, _ndarray) or not isinstance(got, (tuple, list)):
            return _p(f"expected a {kind} of length {len(expected)}{at}, got {describe_type(got)}", "type")
        if len(got) != len(expected):
            return _p(f"expected a {kind} of length {len(expected)}{at}, got length {len(got)}: "
                      f"{fmt(got)}", "shape")
        for i, (e, g) in enumerate(zip(expected, got)):
            diff = _compare(e, g, rtol, atol, check_dtype, "", reveal)
            if diff is not None:
                whole = fmt(got)
                tail = f" (your {kind}: {whole})" if len(whole) <= 200 else ""
                return _p(f"element {i} of the {kind}{at} is not right: {diff}{tail}", diff.kind)
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return _p(f"expected a dict{at}, got {describe_type(got)}", "type")
        if set(got) != set(expected):
            return _p(f"expected keys {sorted(map(str, expected))}{at}, got {sorted(map(str, got))}", "shape")
        for key in expected:
            diff = _compare(expected[key], got[key], rtol, atol, check_dtype, f"for key {key!r}", reveal)
            if diff is not None:
                return diff
        return None
    if expected is None:
        return None if got is None else _p(f"expected None{at}, got {describe_type(got)}", "type")
    try:
        equal = bool(got == expected)
    except Exception:  # noqa: BLE001 - an odd learner object
        equal = False
    return None if equal else _wrong(expected, got, at, reveal)


def _wrong(expected, got, at, reveal) -> Problem:
    if reveal:
        return _p(f"expected {fmt(expected)}{at}, got {fmt(got)}")
    return _p(f"got {fmt(got)}{at}, which is not right")


def _compare_arrays(expected, got, rtol, atol, at, reveal=True) -> Problem | None:
    if expected.dtype.kind in "fc" or got.dtype.kind in "fc":
        try:
            bad = ~_isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
        except Exception:  # noqa: BLE001
            return _p(f"the values{at} could not be compared with the expected ones", "type")
    else:
        try:
            bad = _asarray(got != expected)
        except Exception:  # noqa: BLE001
            return _p(f"the values{at} could not be compared with the expected ones", "type")
    if type(bad) is not _ndarray or bad.shape != expected.shape:
        return _p(f"the values{at} could not be compared with the expected ones", "type")
    if not bad.any():
        return None
    idx = tuple(int(i) for i in _argwhere(bad)[0])
    n_bad = int(bad.sum())
    tol = "" if expected.dtype.kind in "iub" else f" beyond rtol={rtol:g}, atol={atol:g}"
    msg = f"{n_bad} of {bad.size} values differ{tol}{at}; first at index {idx}: "
    e_val, g_val = _scalar(expected[idx]), _scalar(got[idx])
    msg += f"expected {e_val!r}, got {g_val!r}" if reveal else f"got {g_val!r}"
    if expected.ndim >= 2 and expected.shape[-1] == expected.shape[-2] and expected.shape[-1] > 1:
        try:
            if _allclose(_swapaxes(got, -1, -2), expected, rtol=rtol, atol=atol):
                msg += " (your array is the transpose of the expected one: H and W, or i and j, swapped?)"
        except Exception:  # noqa: BLE001
            pass
    return _p(msg)


def _scalar(v):
    return v.item() if isinstance(v, _generic) else v


def same(a, b) -> bool:
    """Strict equality used to detect mutation: same types, shapes, dtypes and values."""
    if type(a) is not type(b):
        return False
    if isinstance(a, _ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            _array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
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
    if isinstance(v, _ndarray):
        try:
            v = _asarray(v)
        except Exception:  # noqa: BLE001
            return f"<{type(v).__name__}>"
        body = _array2string(v, precision=4, suppress_small=True, threshold=64, edgeitems=3,
                               max_line_width=width, separator=" ")
        return f"{body}  (shape {v.shape}, {v.dtype})"
    if isinstance(v, (tuple, list)) and any(isinstance(x, _ndarray) for x in v):
        inner = ", ".join(fmt(x, width) for x in v)
        return f"({inner})" if isinstance(v, tuple) else f"[{inner}]"
    try:
        text = repr(v)
    except Exception:  # noqa: BLE001 - a learner object whose repr fails
        text = f"<{type(v).__name__}>"
    return text if len(text) <= 400 else text[:400] + " ..."
