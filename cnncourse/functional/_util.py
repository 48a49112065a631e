"""Former home of the shared helpers, kept so that old imports keep working.

Validation moved to :mod:`cnncourse.checks` (arguments in the order ``value, fn, name``),
windows and padding to :mod:`cnncourse.functional.window` (padding per side as
``((top, bottom), (left, right))``), output sizes to :mod:`cnncourse.geometry`. The functions
below only translate the old argument orders; import the new modules in new code.
"""
from __future__ import annotations

from .. import checks as _checks
from ..geometry import out_length as out_size  # noqa: F401  (old name)
from . import window as _window
from .window import windows  # noqa: F401

__all__ = ["pair", "check_array", "check_same_dtype", "pad2d", "windows", "out_size"]

check_same_dtype = _checks.check_same_dtype


def pair(value, name: str, fn: str, min_value: int = 0) -> tuple[int, int]:
    """:func:`cnncourse.checks.pair` with the old argument order ``(value, name, fn)``."""
    return _checks.pair(value, fn, name, min_value)


def check_array(x, name: str, fn: str, ndim: int | None = None):
    """:func:`cnncourse.checks.check_array` with the old argument order ``(x, name, fn)``."""
    return _checks.check_array(x, fn, name, ndim)


def pad2d(x, padding, value: float = 0.0):
    """:func:`cnncourse.functional.window.pad2d` taking ``(top, bottom, left, right)``."""
    top, bottom, left, right = padding
    return _window.pad2d(x, ((top, bottom), (left, right)), value)
