"""Numerical gradient checking with centred differences.

A backward pass is easy to get subtly wrong, and a wrong gradient still trains (badly). The
check compares it with the definition of the derivative::

    df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2h)

whose error is O(h^2) from truncation plus O(eps / h) from rounding. In float64
(``eps ~ 1e-16``) with ``h = 1e-5`` both are around 1e-10, far below the 1e-7 tolerance used
here. In float32 (``eps ~ 1e-7``) the rounding term alone is around 1e-2, so a float32 check
proves nothing: every function here refuses anything but float64.

For an op with an array output ``y = f(x)`` and upstream gradient ``dout``, the quantity
differentiated is the scalar ``sum(f(x) * dout)``, whose gradient is exactly what the
op's backward returns for that ``dout``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["relative_error", "numerical_gradient", "check_gradient", "GradCheckReport"]

_TINY = np.finfo(np.float64).tiny


_LOW_PRECISION = (np.float32, np.float16)


def _precision_error(fn: str, what: str, dtype, fix: str) -> TypeError:
    """The one message for a gradient check asked to run in less than float64."""
    return TypeError(
        f"{fn}: {what} has dtype {dtype}, but a gradient check needs float64: {dtype}'s "
        f"resolution (~{np.finfo(dtype).eps:.0e} relative) swamps centred differences "
        f"with h=1e-5, so the numerical gradient would be meaningless; {fix}")


def _check_x(x, fn: str) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{fn}: x must be a numpy ndarray of float64, got {type(x).__name__}")
    if x.dtype != np.float64:
        if x.dtype in _LOW_PRECISION:
            raise _precision_error(fn, "x", x.dtype,
                                   "use x.astype(np.float64) (and float64 parameters)")
        raise TypeError(f"{fn}: x must have dtype float64, got {x.dtype}; use x.astype(np.float64)")
    if x.size == 0:
        raise ValueError(f"{fn}: x must not be empty, got shape {x.shape}")
    if not x.flags.writeable:
        raise ValueError(f"{fn}: x must be writeable (it is perturbed in place and restored); "
                         f"pass x.copy()")
    return x


def _check_h(h, fn: str) -> float:
    if isinstance(h, bool) or not isinstance(h, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: h must be a positive float, got {h!r}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"{fn}: h must be a positive finite float, got {h!r}")
    return float(h)


def relative_error(a, b) -> float:
    """Largest element-wise relative error between two arrays.

    Parameters
    ----------
    a, b : array_like, same shape

    Returns
    -------
    float
        ``max_i |a_i - b_i| / max(|a_i| + |b_i|, tiny)`` where ``tiny`` is the smallest
        positive float64 (so two exact zeros count as equal). 0 means identical, 1 means
        e.g. opposite signs or one of them zero. NaN if either array contains NaN.

    Raises
    ------
    ValueError
        If the shapes differ or the arrays are empty.

    Notes
    -----
    The error is relative per element, so an entry whose true gradient is almost zero
    (say 1e-9) can show a large relative error from rounding alone; use random inputs and a
    random ``dout`` so that no gradient entry is accidentally tiny.

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> relative_error([1.0, 2.0], [1.0, 2.2])
    0.04761904761904766
    """
    fn = "relative_error"
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"{fn}: a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError(f"{fn}: a and b must not be empty, got shape {a.shape}")
    return float(np.max(_elementwise_error(a, b)))


def _elementwise_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), _TINY)


def _scalar_objective(f, x: np.ndarray, dout, fn: str) -> float:
    y = f(x)
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype in _LOW_PRECISION:
        # x is float64 but f computed in float32 (a float32 layer): as meaningless as float32 x
        raise _precision_error(fn, "f(x)", dtype,
                               "f computes in lower precision (a float32 layer or weights?): "
                               "convert its parameters to float64 too")
    if dout is None:
        if np.ndim(y) != 0:
            raise ValueError(f"{fn}: f(x) returned an array of shape {np.shape(y)}, not a scalar; "
                             f"pass dout (the upstream gradient, same shape as f(x)) to check "
                             f"sum(f(x) * dout)")
        return float(y)
    if np.shape(y) != dout.shape:
        raise ValueError(f"{fn}: dout must have the shape of f(x), got dout.shape={dout.shape} "
                         f"and f(x).shape={np.shape(y)}")
    return float(np.sum(np.asarray(y, dtype=np.float64) * dout))


def numerical_gradient(f, x: np.ndarray, dout=None, h: float = 1e-5) -> np.ndarray:
    """Gradient of ``sum(f(x) * dout)`` (or of a scalar ``f(x)``) by centred differences.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a scalar (``dout=None``) or an array of the shape of ``dout``.
        It must not keep a reference to ``x``: ``x`` changes between calls.
    x : ndarray of float64, any shape
        The point. Perturbed **in place**, one element at a time, and restored exactly
        (also if ``f`` raises), so ``f`` may close over arrays that share memory with ``x``,
        such as a layer's weights.
    dout : array_like, optional
        Upstream gradient, same shape as ``f(x)``.
    h : float, default 1e-5
        Step.

    Returns
    -------
    grad : ndarray of float64, same shape as x
        ``grad[i] = (F(x + h e_i) - F(x - h e_i)) / (2h)`` with ``F = sum(f(.) * dout)``.

    Raises
    ------
    TypeError
        If ``x`` is not a float64 ndarray (float32 is refused, see the module docstring) or
        ``f`` is not callable.
    ValueError
        If ``x`` is empty, ``dout`` does not match ``f(x)``, ``f(x)`` is not a scalar and
        ``dout`` is None, or ``h`` is not positive.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> np.round(numerical_gradient(lambda x: np.sum(x ** 3), x), 6)   # 3 x^2
    array([ 3., 12.])
    >>> np.round(numerical_gradient(lambda x: 2 * x, x, dout=np.array([1.0, 10.0])), 6)
    array([ 2., 20.])
    """
    return _numerical_gradient(f, x, dout, h, "numerical_gradient")


def _numerical_gradient(f, x, dout, h, fn: str) -> np.ndarray:
    """:func:`numerical_gradient`, its errors naming ``fn`` (the public function called)."""
    if not callable(f):
        raise TypeError(f"{fn}: f must be callable, got {type(f).__name__}")
    x = _check_x(x, fn)
    h = _check_h(h, fn)
    if dout is not None:
        dout = np.asarray(dout, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readonly"]])
    while not it.finished:
        idx = it.multi_index
        old = x[idx]                    # a numpy float64 scalar: restored bit for bit
        try:
            x[idx] = old + h
            f_plus = _scalar_objective(f, x, dout, fn)
            x[idx] = old - h
            f_minus = _scalar_objective(f, x, dout, fn)
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad


@dataclass(repr=False)
class GradCheckReport:
    """Result of :func:`check_gradient`.

    Attributes
    ----------
    passed : bool
        ``max_rel_error <= tol``.
    max_rel_error : float
        Largest element-wise relative error (see :func:`relative_error`).
    index : tuple of int
        Index into ``x`` where it occurred.
    numerical, analytic : ndarray
        The two gradients, shape of ``x``.
    tol : float
        The tolerance used.
    """

    passed: bool
    max_rel_error: float
    index: tuple
    numerical: np.ndarray = field(compare=False)
    analytic: np.ndarray = field(compare=False)
    tol: float = 1e-7

    def __bool__(self) -> bool:
        return bool(self.passed)

    def __str__(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        text = (f"gradient check {verdict}: max relative error {self.max_rel_error:.1e} "
                f"at index {self.index} (tolerance {self.tol:g})")
        if not self.passed:
            num, ana = self.numerical[self.index], self.analytic[self.index]
            text += f": numerical {num:.6e}, analytic {ana:.6e}"
        return text

    def __repr__(self) -> str:
        return (f"GradCheckReport(passed={self.passed}, max_rel_error={self.max_rel_error:.3e}, "
                f"index={self.index}, tol={self.tol:g}, shape={self.numerical.shape})")

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#cf222e"
        verdict = "PASSED" if self.passed else "FAILED"
        rest = str(self).split(": ", 1)[1]
        return (f"<p><b style='color:{colour}'>gradient check {verdict}</b>: "
                f"{rest.replace('<', '&lt;')}</p>")


def check_gradient(f, x: np.ndarray, analytic, dout=None, h: float = 1e-5,
                   tol: float = 1e-7, *, relative_to: str = "element") -> GradCheckReport:
    """Compare an analytic gradient with the numerical one.

    Parameters
    ----------
    f : callable
        As :func:`numerical_gradient`.
    x : ndarray of float64
        The point (perturbed in place and restored).
    analytic : array_like, same shape as x
        The gradient to check, e.g. ``conv2d_backward(dout, cache).dx``.
    dout : array_like, optional
        Upstream gradient, same shape as ``f(x)``; ``None`` when ``f`` returns a scalar.
    h : float, default 1e-5
        Finite-difference step.
    tol : float, default 1e-7
        Largest relative error that passes.
    relative_to : {'element', 'max'}, default 'element'
        ``'element'``: each entry's error relative to that entry (:func:`relative_error`),
        the strict CS231n check. ``'max'``: ``|numerical - analytic|`` relative to the largest
        gradient entry, ``max(|numerical|, |analytic|)`` over all of ``x``; use it when some
        entries are near zero by chance, where rounding alone (~1e-10 absolute) makes their
        element-wise relative error large although nothing is wrong.

    Returns
    -------
    GradCheckReport
        Prints as ``gradient check PASSED: max relative error 3.2e-10 at index (0, 1, 2, 2)
        (tolerance 1e-07)``; a failure also shows both values at the worst index. Truthy iff
        the check passed.

    Raises
    ------
    TypeError
        If ``x`` is not a float64 ndarray (float32 and float16 are refused with the reason).
    ValueError
        If ``analytic`` does not have the shape of ``x``, ``relative_to`` is unknown, or as
        :func:`numerical_gradient`.

    Examples
    --------
    >>> x = np.array([[1.0, -2.0], [0.5, 3.0]])
    >>> print(check_gradient(lambda x: np.sum(x ** 3), x, 3 * x ** 2).passed)
    True
    >>> wrong = 3 * x ** 2
    >>> wrong[1, 0] += 0.01                                    # a bug in one entry
    >>> report = check_gradient(lambda x: np.sum(x ** 3), x, wrong)
    >>> report.passed, report.index
    (False, (1, 0))
    >>> print(report)
    gradient check FAILED: max relative error 6.6e-03 at index (1, 0) (tolerance 1e-07): numerical 7.500000e-01, analytic 7.600000e-01
    """
    fn = "check_gradient"
    x = _check_x(x, fn)
    analytic = np.asarray(analytic)
    if analytic.dtype in _LOW_PRECISION:
        raise _precision_error(fn, "analytic", analytic.dtype,
                               "compute the analytic gradient with float64 inputs and parameters")
    if analytic.shape != x.shape:
        raise ValueError(f"{fn}: analytic must have the shape of x, got analytic.shape="
                         f"{analytic.shape} and x.shape={x.shape}")
    if not (np.issubdtype(analytic.dtype, np.floating) or np.issubdtype(analytic.dtype, np.integer)):
        raise TypeError(f"{fn}: analytic must be a real numeric array, got dtype {analytic.dtype}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)) or not tol > 0:
        raise ValueError(f"{fn}: tol must be a positive float, got {tol!r}")
    if relative_to not in ("element", "max"):
        raise ValueError(f"{fn}: relative_to must be 'element' or 'max', got {relative_to!r}")
    analytic = analytic.astype(np.float64, copy=True)
    numerical = _numerical_gradient(f, x, dout, h, fn)
    if relative_to == "element":
        errors = _elementwise_error(numerical, analytic)
    else:
        scale = max(np.max(np.abs(numerical)), np.max(np.abs(analytic)), _TINY)
        errors = np.abs(numerical - analytic) / scale
    if np.isnan(errors).any():
        flat = int(np.argmax(np.isnan(errors)))
        worst = float("nan")
    else:
        flat = int(np.argmax(errors))
        worst = float(errors.flat[flat])
    index = tuple(int(i) for i in np.unravel_index(flat, x.shape))
    passed = bool(worst <= tol)         # False for NaN
    return GradCheckReport(passed=passed, max_rel_error=worst, index=index,
                           numerical=numerical, analytic=analytic, tol=float(tol))
