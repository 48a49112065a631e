"""Single-channel convolution and cross-correlation, written with explicit loops.

These are the teaching versions shown in the convolution chapter: one signal, one kernel,
no batch and no channels. Each function slides the kernel over the zero-padded input and
takes one dot product per position (the *full* result), then crops the result to the
requested ``mode``:

``'full'``
    every position where the kernel and the input overlap by at least one sample,
    length ``N + M - 1`` (2D: ``(H + kH - 1, W + kW - 1)``);
``'valid'``
    only the positions where one of them lies entirely inside the other,
    length ``max(N, M) - min(N, M) + 1``;
``'same'``
    as long as the input (1D: ``max(N, M)``, numpy's rule), centred on the full result.

Convolution is cross-correlation with the kernel flipped (reversed in 1D, rotated by 180
degrees in 2D); :func:`convolve1d` and :func:`convolve2d` are written exactly that way.
Deep-learning libraries compute cross-correlation and call it "convolution"; since the
kernel is learned, the flip makes no difference (the network simply learns the flipped
kernel).

The results equal :func:`numpy.correlate` / :func:`numpy.convolve` (1D) and
:func:`scipy.signal.correlate2d` / :func:`scipy.signal.convolve2d` (2D) in every mode,
including their conventions for ``'same'`` with even kernels and for kernels longer than
the input (see each function's Notes). The batched NCHW versions used by networks live in
:mod:`cnncourse.functional`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["correlate1d", "convolve1d", "correlate2d", "convolve2d"]

_MODES = ("full", "valid", "same")


# --------------------------------------------------------------------------- validation
def _check_signal(a, name: str, fn: str, ndim: int) -> np.ndarray:
    """Return ``a`` as a non-empty real numeric ndarray with ``ndim`` dimensions."""
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{fn}: {name} must be a {ndim}-D array of numbers, got {a!r:.60}") from exc
    if arr.dtype == bool:
        raise TypeError(f"{fn}: {name} must have a numeric dtype (int or float), got bool; "
                        f"convert it with {name}.astype(int)")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: {name} must have a real numeric dtype (int or float), got {arr.dtype}")
    if arr.ndim != ndim:
        what = "a 1-D array (a signal)" if ndim == 1 else "a 2-D array (one channel, H x W)"
        raise ValueError(f"{fn}: {name} must be {what}, got {arr.ndim}-D with shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{fn}: {name} must not be empty, got shape {arr.shape}")
    return arr


def _check_mode(mode, fn: str) -> str:
    if not isinstance(mode, str):
        raise TypeError(f"{fn}: mode must be one of 'full', 'valid', 'same', got {mode!r}")
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode must be one of 'full', 'valid', 'same', got {mode!r}")
    return mode


def _check_valid_2d(x: np.ndarray, k: np.ndarray, fn: str) -> None:
    """scipy's rule: in 'valid' mode one array must fit inside the other along both axes."""
    fits = x.shape[0] >= k.shape[0] and x.shape[1] >= k.shape[1]
    contains = x.shape[0] <= k.shape[0] and x.shape[1] <= k.shape[1]
    if not (fits or contains):
        raise ValueError(f"{fn}: mode='valid' needs the kernel to fit inside x along both axes "
                         f"(or x inside the kernel along both, as scipy), got x.shape={x.shape}, "
                         f"k.shape={k.shape}; use mode='full' or 'same', or pad x")


def _valid_slice(n: int, m: int) -> slice:
    """Positions of the full result where one array lies entirely inside the other."""
    return slice(min(n, m) - 1, max(n, m))


# --------------------------------------------------------------------------- 1D
def correlate1d(x, k, mode: str = "full") -> np.ndarray:
    """Cross-correlation of a 1D signal with a 1D kernel (no flip), with explicit loops.

    Parameters
    ----------
    x : array_like, shape (N,)
        The signal. Any real numeric dtype.
    k : array_like, shape (M,)
        The kernel. ``M`` may be larger than ``N``.
    mode : {'full', 'valid', 'same'}, default 'full'
        Which part of the full result to return (see Returns).

    Returns
    -------
    out : ndarray, dtype ``np.result_type(x, k)``
        ``full[j] = sum_{m=0}^{M-1} x[j + m - (M - 1)] * k[m]`` (zero outside ``x``),
        shape ``(N + M - 1,)`` for 'full', ``(max(N, M) - min(N, M) + 1,)`` for 'valid',
        ``(max(N, M),)`` for 'same'.

    Raises
    ------
    TypeError
        If ``x`` or ``k`` is not real numeric, or ``mode`` is not a string.
    ValueError
        If ``x`` or ``k`` is not 1-D or is empty, or ``mode`` is unknown.

    See Also
    --------
    convolve1d : the same with the kernel flipped.
    numpy.correlate : the reference this function equals (numpy's default mode is 'valid').

    Notes
    -----
    'same' follows :func:`numpy.correlate`: the result is ``full[s:s + max(N, M)]`` with
    ``s = (M - 1) // 2`` when ``M <= N``; when the kernel is longer than the signal numpy
    swaps the two arguments internally, which gives ``s = N // 2``. For an even kernel
    (``M <= N``) the kernel's "centre" is therefore ``k[M // 2]``, the right one of the two
    middle taps.

    Examples
    --------
    >>> correlate1d([1, 2, 3], [0, 1, 0.5])
    array([0.5, 2. , 3.5, 3. , 0. ])
    >>> correlate1d([1, 2, 3], [0, 1, 0.5], mode="valid")
    array([3.5])
    """
    fn = "correlate1d"
    x = _check_signal(x, "x", fn, 1)
    k = _check_signal(k, "k", fn, 1)
    mode = _check_mode(mode, fn)
    n, m = len(x), len(k)

    # Zero-pad M - 1 samples on both sides so that the kernel can hang over either end.
    xp = np.zeros(n + 2 * (m - 1), dtype=np.result_type(x, k))
    xp[m - 1:m - 1 + n] = x
    full = np.zeros(n + m - 1, dtype=xp.dtype)
    for j in range(n + m - 1):          # every position of the kernel ...
        total = 0
        for i in range(m):              # ... is one dot product of the window with k
            total += xp[j + i] * k[i]
        full[j] = total

    if mode == "full":
        return full
    if mode == "valid":
        return full[_valid_slice(n, m)].copy()
    start = (m - 1) // 2 if m <= n else n // 2       # numpy.correlate's 'same' centring
    return full[start:start + max(n, m)].copy()


def convolve1d(x, k, mode: str = "full") -> np.ndarray:
    """Convolution of a 1D signal with a 1D kernel: correlation with the reversed kernel.

    Parameters
    ----------
    x : array_like, shape (N,)
        The signal. Any real numeric dtype.
    k : array_like, shape (M,)
        The kernel. ``M`` may be larger than ``N``.
    mode : {'full', 'valid', 'same'}, default 'full'

    Returns
    -------
    out : ndarray, dtype ``np.result_type(x, k)``
        ``full[j] = sum_m x[j - m] * k[m]`` (zero outside ``x``), shape ``(N + M - 1,)``
        for 'full', ``(max(N, M) - min(N, M) + 1,)`` for 'valid', ``(max(N, M),)`` for 'same'.

    Raises
    ------
    TypeError, ValueError
        As :func:`correlate1d`, naming ``convolve1d``.

    See Also
    --------
    correlate1d : the loop this function calls on ``k[::-1]``.
    numpy.convolve : the reference this function equals.

    Notes
    -----
    'full' and 'valid' are exactly ``correlate1d(x, k[::-1], mode)``. For 'same',
    :func:`numpy.convolve` crops the full result at ``s = (min(N, M) - 1) // 2``, which differs
    by one from correlation's centring when the kernel is longer than an even-length
    signal, so 'same' crops the full correlation itself.

    Examples
    --------
    >>> convolve1d([1, 2, 3], [0, 1, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> np.array_equal(convolve1d([1, 2, 3], [0, 1, 0.5]), correlate1d([1, 2, 3], [0.5, 1, 0]))
    True
    """
    fn = "convolve1d"
    x = _check_signal(x, "x", fn, 1)
    k = _check_signal(k, "k", fn, 1)
    mode = _check_mode(mode, fn)

    # convolution = correlation with the flipped kernel
    flipped = k[::-1]
    if mode != "same":
        return correlate1d(x, flipped, mode)
    full = correlate1d(x, flipped, "full")
    n, m = len(x), len(k)
    start = (min(n, m) - 1) // 2  # numpy.convolve's 'same' centring
    return full[start:start + max(n, m)].copy()


# --------------------------------------------------------------------------- 2D
# The book includes this function's source (first-convolution and convolution chapters,
# ``:pyobject: _correlate2d_full``): keep its name and keep it a plain loop.
def _correlate2d_full(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The full 2D cross-correlation: one window-times-kernel dot
    product per position."""
    H, W = x.shape
    kH, kW = k.shape
    # Zero-pad kH - 1 rows above and below, kW - 1 columns left and
    # right.
    xp = np.zeros((H + 2 * (kH - 1), W + 2 * (kW - 1)),
                  dtype=np.result_type(x, k))
    xp[kH - 1:kH - 1 + H, kW - 1:kW - 1 + W] = x
    out = np.zeros((H + kH - 1, W + kW - 1), dtype=xp.dtype)
    for i in range(H + kH - 1):         # rows of the output
        for j in range(W + kW - 1):     # columns of the output
            window = xp[i:i + kH, j:j + kW]
            # = sum_u sum_v xp[i+u, j+v] * k[u, v]
            out[i, j] = np.sum(window * k)
    return out


def _crop2d(full: np.ndarray, x_shape, k_shape, mode: str, starts) -> np.ndarray:
    if mode == "full":
        return full
    if mode == "valid":
        rows = _valid_slice(x_shape[0], k_shape[0])
        cols = _valid_slice(x_shape[1], k_shape[1])
        return full[rows, cols].copy()
    (r0, c0), (H, W) = starts, x_shape
    return full[r0:r0 + H, c0:c0 + W].copy()


def correlate2d(x, k, mode: str = "full") -> np.ndarray:
    """Cross-correlation of a single-channel image with a 2D kernel (no flip), with loops.

    This is what deep-learning libraries call "convolution".

    Parameters
    ----------
    x : array_like, shape (H, W)
        The image (one channel). Any real numeric dtype.
    k : array_like, shape (kH, kW)
        The kernel; need not be square.
    mode : {'full', 'valid', 'same'}, default 'full'

    Returns
    -------
    out : ndarray, dtype ``np.result_type(x, k)``
        ``full[i, j] = sum_u sum_v x[i + u - (kH - 1), j + v - (kW - 1)] * k[u, v]`` (zero
        outside ``x``). Shape ``(H + kH - 1, W + kW - 1)`` for 'full',
        ``(H - kH + 1, W - kW + 1)`` for 'valid', ``(H, W)`` for 'same'.

    Raises
    ------
    TypeError
        If ``x`` or ``k`` is not real numeric, or ``mode`` is not a string.
    ValueError
        If ``x`` or ``k`` is not 2-D or is empty, ``mode`` is unknown, or ``mode='valid'``
        and the kernel is larger than ``x`` along one axis but not the other.

    See Also
    --------
    convolve2d : the same with the kernel rotated by 180 degrees.
    scipy.signal.correlate2d : the reference this function equals.
    cnncourse.functional.conv2d : the batched, multi-channel version used by networks.

    Notes
    -----
    'valid' follows scipy: the positions where one array lies entirely inside the other.
    When the kernel is larger than ``x`` along *both* axes the result is
    ``(kH - H + 1, kW - W + 1)`` (the positions of ``x`` inside the kernel); when it is
    larger along only one axis there is no such position and a ``ValueError`` is raised,
    as scipy does. (:func:`cnncourse.arithmetic.conv_output_size` follows the deep-learning
    convention instead and rejects any kernel larger than the padded input.)

    'same' follows scipy: ``out = full[kH // 2 : kH // 2 + H, kW // 2 : kW // 2 + W]``,
    i.e. ``x`` is zero-padded by ``(k - 1) // 2`` before and ``k // 2`` after on each axis,
    exactly PyTorch's ``padding='same'`` (the extra row/column of an even kernel goes to the
    bottom/right).

    Examples
    --------
    >>> x = np.array([[1, 2, 0], [0, 1, 3], [4, 0, 1]])
    >>> k = np.array([[1, 0], [0, -1]])
    >>> correlate2d(x, k, mode="valid")
    array([[ 0, -1],
           [ 0,  0]])
    """
    fn = "correlate2d"
    x = _check_signal(x, "x", fn, 2)
    k = _check_signal(k, "k", fn, 2)
    mode = _check_mode(mode, fn)
    if mode == "valid":
        _check_valid_2d(x, k, fn)
    full = _correlate2d_full(x, k)
    starts = (k.shape[0] // 2, k.shape[1] // 2)        # scipy.signal.correlate2d's 'same'
    return _crop2d(full, x.shape, k.shape, mode, starts)


def convolve2d(x, k, mode: str = "full") -> np.ndarray:
    """Convolution of a single-channel image with a 2D kernel: correlation with ``k`` rotated 180 degrees.

    Parameters
    ----------
    x : array_like, shape (H, W)
        The image (one channel). Any real numeric dtype.
    k : array_like, shape (kH, kW)
        The kernel; need not be square.
    mode : {'full', 'valid', 'same'}, default 'full'

    Returns
    -------
    out : ndarray, dtype ``np.result_type(x, k)``
        ``full[i, j] = sum_u sum_v x[i - u, j - v] * k[u, v]`` (zero outside ``x``).
        Shapes as :func:`correlate2d`.

    Raises
    ------
    TypeError, ValueError
        As :func:`correlate2d`, naming ``convolve2d``.

    See Also
    --------
    correlate2d : the loop this function calls on ``k[::-1, ::-1]``.
    scipy.signal.convolve2d : the reference this function equals.

    Notes
    -----
    'full' and 'valid' are exactly ``correlate2d(x, k[::-1, ::-1], mode)``. For 'same', scipy
    crops the full convolution at ``((kH - 1) // 2, (kW - 1) // 2)``, which for an even
    kernel is one row/column earlier than correlation's crop of the flipped kernel, so
    'same' crops the full correlation itself. Either way the kernel's centre tap
    (``k[(kH - 1) // 2, (kW - 1) // 2]``) lands on ``x[i, j]`` for ``out[i, j]``.

    Examples
    --------
    >>> x = np.array([[1, 2, 0], [0, 1, 3], [4, 0, 1]])
    >>> k = np.array([[1, 0], [0, -1]])
    >>> convolve2d(x, k, mode="valid")
    array([[0, 1],
           [0, 0]])
    """
    fn = "convolve2d"
    x = _check_signal(x, "x", fn, 2)
    k = _check_signal(k, "k", fn, 2)
    mode = _check_mode(mode, fn)
    if mode == "valid":
        _check_valid_2d(x, k, fn)

    flipped = k[::-1, ::-1]             # convolution = correlation with the kernel rotated 180
    if mode != "same":
        return correlate2d(x, flipped, mode)
    full = correlate2d(x, flipped, "full")
    starts = ((k.shape[0] - 1) // 2, (k.shape[1] - 1) // 2)   # scipy.signal.convolve2d's 'same'
    return _crop2d(full, x.shape, k.shape, mode, starts)
