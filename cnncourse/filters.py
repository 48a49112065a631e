"""Fixed kernels for image processing, and convolution written as one matrix multiplication.

Before networks learned their kernels, image processing chose them by hand: a Gaussian to
blur away noise, a sharpening kernel, Sobel derivatives for edges, and the Harris detector,
which builds corners out of those derivatives. This module has those kernels, a filter that
applies them to an image, and two ways of turning a convolution into a matrix product:
:func:`conv_matrix` (a doubly blocked Toeplitz matrix) and :func:`im2col`, which is
:func:`cnncourse.functional.window.im2col` (the matrix ``conv2d`` itself multiplies) in
PyTorch's ``unfold`` layout.
The convolution chapter of the book explains and uses all of them.

All filters here follow the deep-learning convention: they compute cross-correlation, the
same as :func:`cnncourse.functional.conv2d` (no kernel flip).
"""
from __future__ import annotations

import math

import numpy as np

from .checks import check_array, check_conv_inputs, check_real, is_int, pair
from .functional import window
from .functional.window import pad2d, windows
from .geometry import out_hw, resolve_padding, same_padding, symmetric_padding

__all__ = [
    "SOBEL_X", "SOBEL_Y", "SHARPEN", "LAPLACIAN", "box_kernel", "gaussian_kernel",
    "to_grayscale", "filter2d", "sobel", "harris_response", "harris_corners",
    "conv_matrix", "im2col", "conv2d_im2col",
]

#: Horizontal derivative (responds to vertical edges): positive where intensity grows to the right.
SOBEL_X = np.array([[-1.0, 0.0, 1.0],
                    [-2.0, 0.0, 2.0],
                    [-1.0, 0.0, 1.0]])
#: Vertical derivative (responds to horizontal edges): positive where intensity grows downwards.
SOBEL_Y = SOBEL_X.T.copy()
#: Sharpening: the image plus its (negative) Laplacian, ``identity - laplacian``; sums to 1.
SHARPEN = np.array([[0.0, -1.0, 0.0],
                    [-1.0, 5.0, -1.0],
                    [0.0, -1.0, 0.0]])
#: Discrete Laplacian (sum of second derivatives); sums to 0, so flat regions give 0.
LAPLACIAN = np.array([[0.0, 1.0, 0.0],
                      [1.0, -4.0, 1.0],
                      [0.0, 1.0, 0.0]])

for _k in (SOBEL_X, SOBEL_Y, SHARPEN, LAPLACIAN):
    _k.setflags(write=False)


def box_kernel(size: int) -> np.ndarray:
    """A ``size x size`` averaging kernel (all entries ``1/size**2``).

    Returns
    -------
    kernel : ndarray, shape (size, size), float64, sums to 1
    """
    size, _ = pair(size, "box_kernel", "size", min_value=1)
    return np.full((size, size), 1.0 / size**2)


def gaussian_kernel(sigma: float, size: int | None = None) -> np.ndarray:
    """A normalised 2D Gaussian kernel, ``exp(-(u**2 + v**2) / (2 sigma**2))`` summed to 1.

    Parameters
    ----------
    sigma : float
        Standard deviation in pixels (> 0).
    size : int, optional
        Side of the (square, odd) kernel. Default ``2 * ceil(3 * sigma) + 1``, which keeps
        more than 99.7 % of the mass along each axis.

    Returns
    -------
    kernel : ndarray, shape (size, size), float64

    Examples
    --------
    >>> gaussian_kernel(1.0).shape
    (7, 7)
    """
    sigma = check_real(sigma, "gaussian_kernel", "sigma", low=0, low_open=True)
    if size is None:
        size = 2 * math.ceil(3 * sigma) + 1
    size, _ = pair(size, "gaussian_kernel", "size", min_value=1)
    if size % 2 == 0:
        raise ValueError(f"gaussian_kernel: size must be odd so the kernel has a centre, got {size}")
    u = np.arange(size) - size // 2
    g = np.exp(-(u**2) / (2.0 * sigma**2))
    kernel = np.outer(g, g)
    return kernel / kernel.sum()


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image, ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601).

    Parameters
    ----------
    image : ndarray, shape (H, W, 3) or (H, W, 4), HWC as ``plt.imread`` returns it
        Integers (0-255) are converted to floats in [0, 1].

    Returns
    -------
    gray : ndarray, shape (H, W), float32 (or the input's float dtype)
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"to_grayscale: image must be a numpy ndarray, got {type(image).__name__}")
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"to_grayscale: image must have shape (H, W, 3) or (H, W, 4), got {image.shape}")
    if np.issubdtype(image.dtype, np.integer):
        image = image.astype(np.float32) / 255.0
    weights = np.array([0.299, 0.587, 0.114], dtype=image.dtype)
    return image[..., :3] @ weights


def filter2d(image: np.ndarray, kernel: np.ndarray, boundary: str = "zero") -> np.ndarray:
    """Cross-correlate an image with a kernel, keeping the image's size ("same" output).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
        A float image; a colour image (HWC) is filtered one channel at a time.
    kernel : ndarray, shape (kH, kW)
        Any size; even sizes put the extra padding row/column at the bottom/right (as PyTorch).
    boundary : {'zero', 'reflect'}
        Zero padding (what ``conv2d`` does) or mirror the image at its border, which avoids
        the dark frame that zero padding gives a blurred photo.

    Returns
    -------
    out : ndarray, same shape and dtype as ``image``
        ``out[i, j] = sum_{u, v} padded[i + u, j + v] * kernel[u, v]``
    """
    fn = "filter2d"
    check_array(image, fn, "image")
    if image.ndim not in (2, 3):
        raise ValueError(f"{fn}: image must be (H, W) or (H, W, C), got shape {image.shape}")
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"{fn}: kernel must be 2-D (kH, kW), got shape {kernel.shape}")
    if boundary not in ("zero", "reflect"):
        raise ValueError(f"{fn}: boundary must be 'zero' or 'reflect', got {boundary!r}")
    kh, kw = kernel.shape
    pads = (same_padding(kh), same_padding(kw))     # ((top, bottom), (left, right))
    x = image[None, None] if image.ndim == 2 else np.moveaxis(image, -1, 0)[None]
    if boundary == "zero":
        xp = pad2d(x, pads)
    else:
        xp = np.pad(x, [(0, 0), (0, 0), *pads], mode="reflect")
    out = np.einsum("nchwij,ij->nchw", windows(xp, (kh, kw), (1, 1)), kernel.astype(image.dtype))
    return out[0, 0] if image.ndim == 2 else np.moveaxis(out[0], 0, -1)


def sobel(image: np.ndarray, boundary: str = "reflect") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image derivatives with the Sobel kernels.

    Parameters
    ----------
    image : ndarray, shape (H, W), float

    Returns
    -------
    gx, gy, magnitude : ndarray, shape (H, W) each
        ``gx = filter2d(image, SOBEL_X)``, ``gy = filter2d(image, SOBEL_Y)`` and
        ``magnitude = sqrt(gx**2 + gy**2)``, large on edges.
    """
    check_array(image, "sobel", "image", ndim=2)
    gx = filter2d(image, SOBEL_X, boundary)
    gy = filter2d(image, SOBEL_Y, boundary)
    return gx, gy, np.sqrt(gx**2 + gy**2)


def harris_response(image: np.ndarray, sigma: float = 1.5, k: float = 0.05) -> np.ndarray:
    """Harris corner response ``R = det(M) - k trace(M)**2`` at every pixel.

    ``M`` is the structure tensor: the Gaussian-weighted sums of ``Ix**2``, ``Iy**2`` and
    ``Ix*Iy`` around the pixel, with ``Ix, Iy`` the Sobel derivatives (Harris & Stephens, 1988).
    Both eigenvalues of ``M`` are large at a corner (``R > 0`` large), one is large on an edge
    (``R < 0``) and both are small in a flat region (``R`` near 0).

    Parameters
    ----------
    image : ndarray, shape (H, W), float
    sigma : float
        Width of the Gaussian window that sums the derivative products.
    k : float
        Sensitivity, usually 0.04-0.06.

    Returns
    -------
    response : ndarray, shape (H, W), same dtype as ``image``
    """
    check_array(image, "harris_response", "image", ndim=2)
    gx, gy, _ = sobel(image)
    g = gaussian_kernel(sigma)
    sxx = filter2d(gx * gx, g, "reflect")
    syy = filter2d(gy * gy, g, "reflect")
    sxy = filter2d(gx * gy, g, "reflect")
    return sxx * syy - sxy**2 - k * (sxx + syy) ** 2


def harris_corners(response: np.ndarray, threshold_rel: float = 0.01, min_distance: int = 5,
                   num_peaks: int | None = None) -> np.ndarray:
    """Corners as the local maxima of a Harris response.

    A pixel is a corner when its response is the largest within ``min_distance`` pixels
    (a ``(2 min_distance + 1)``-square window) and above ``threshold_rel * response.max()``.

    Returns
    -------
    corners : ndarray, shape (K, 2), int
        ``(row, col)`` pairs, strongest first (ties broken by position).
    """
    check_array(response, "harris_corners", "response", ndim=2)
    d = pair(min_distance, "harris_corners", "min_distance", min_value=0)[0]
    padded = pad2d(response[None, None], ((d, d), (d, d)), value=-np.inf)
    local_max = windows(padded, (2 * d + 1, 2 * d + 1), (1, 1)).max(axis=(-2, -1))[0, 0]
    peak = (response == local_max) & (response > threshold_rel * response.max())
    rows, cols = np.nonzero(peak)
    order = np.lexsort((cols, rows, -response[rows, cols]))
    corners = np.stack([rows[order], cols[order]], axis=1)
    return corners if num_peaks is None else corners[:num_peaks]


def conv_matrix(input_shape: tuple[int, int], kernel: np.ndarray, stride=1, padding=0) -> np.ndarray:
    """The matrix ``T`` with ``T @ x.ravel() == conv2d(x, kernel).ravel()`` (single channel).

    Each row holds the kernel's weights at the positions of one window, zeros elsewhere:
    a Toeplitz matrix made of Toeplitz blocks ("doubly blocked Toeplitz"). Zero padding is
    built in: a weight that would fall on a padding cell simply has no column.
    Multiplying by ``T.T`` is the transposed convolution.

    Parameters
    ----------
    input_shape : (H, W)
    kernel : ndarray, shape (kH, kW)
    stride, padding : int or (h, w) pair
        Padding is per side, as in :func:`cnncourse.functional.conv2d`.

    Returns
    -------
    T : ndarray, shape (H_out * W_out, H * W), dtype of ``kernel``
        ``H_out = (H + 2*padding - kH) // stride + 1``; row ``i * W_out + j`` computes
        output pixel ``(i, j)``.
    """
    fn = "conv_matrix"
    if not is_int(input_shape):
        input_shape = tuple(input_shape)
    h, w = pair(input_shape, fn, "input_shape", min_value=1)
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"{fn}: kernel must be 2-D (kH, kW), "
                         f"got shape {kernel.shape}")
    sh, sw = pair(stride, fn, "stride", 1)
    ph, pw = pair(padding, fn, "padding", 0)
    kh, kw = kernel.shape
    h_out, w_out = out_hw((h, w), (kh, kw), (sh, sw),
                          symmetric_padding((ph, pw)))
    if h_out <= 0 or w_out <= 0:
        raise ValueError(f"{fn}: kernel {kernel.shape} does not fit in "
                         f"input {(h, w)} with padding {(ph, pw)}")
    dtype = kernel.dtype if kernel.dtype.kind == "f" else float
    T = np.zeros((h_out * w_out, h * w), dtype=dtype)
    for i in range(h_out):              # output row
        for j in range(w_out):          # output column
            for u in range(kh):         # kernel row
                for v in range(kw):     # kernel column
                    # the input pixel; outside the image, a padding zero
                    r, c = i * sh + u - ph, j * sw + v - pw
                    if 0 <= r < h and 0 <= c < w:
                        T[i * w_out + j, r * w + c] = kernel[u, v]
    return T


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Unfold every window of a batch into a column (PyTorch's ``unfold`` layout).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size, stride, dilation : int or (h, w) pair
    padding : int, (h, w) pair, 'valid' or 'same'
        As in :func:`cnncourse.functional.conv2d`.

    Returns
    -------
    cols : ndarray, shape (N, C * kH * kW, H_out * W_out)
        Column ``i * W_out + j`` holds the window of output pixel ``(i, j)``, channel-major
        (``c * kH * kW + u * kW + v``), which is the order of ``weight.reshape(C_out, -1)``.
        A convolution is then one matrix product: ``weight.reshape(C_out, -1) @ cols``.

    See Also
    --------
    cnncourse.functional.window.im2col : the matrix of the whole batch that
        :func:`cnncourse.functional.conv2d` multiplies; this is the same matrix, one block
        per image.
    """
    fn = "im2col"
    check_array(x, fn, "x", ndim=4)
    k = pair(kernel_size, fn, "kernel_size", 1)
    s = pair(stride, fn, "stride", 1)
    d = pair(dilation, fn, "dilation", 1)
    # ((top, bottom), (left, right))
    p = resolve_padding(padding, k, s, d, fn)
    n, c = x.shape[:2]
    ho, wo = out_hw(x.shape[2:], k, s, p, d)
    if ho <= 0 or wo <= 0:
        raise ValueError(f"{fn}: kernel_size {k} with dilation {d} does "
                         f"not fit in input {x.shape[2:]} padded by {p}")
    # conv2d's im2col: one column per output pixel of the whole batch,
    # (C*kH*kW, N*H_out*W_out)
    cols = window.im2col(pad2d(x, p), k, s, d)
    # one block per image: (N, C*kH*kW, H_out*W_out)
    return cols.reshape(c * k[0] * k[1], n, ho * wo).transpose(1, 0, 2)


def conv2d_im2col(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                  stride=1, padding=0, dilation=1) -> np.ndarray:
    """``conv2d`` as one matrix multiplication per image: ``weight.reshape(C_out, -1) @ im2col(x)``.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, H, W)
    weight : ndarray, shape (C_out, C_in, kH, kW)
    bias : ndarray, shape (C_out,), optional
    stride, padding, dilation
        As in :func:`cnncourse.functional.conv2d`.

    Returns
    -------
    out : ndarray, shape (N, C_out, H_out, W_out), equal to
        ``cnncourse.functional.conv2d(x, weight, bias, stride, padding, dilation)``.
    """
    fn = "conv2d_im2col"
    x, weight, bias = check_conv_inputs(fn, x, weight, bias)
    c_out = weight.shape[0]
    cols = im2col(x, weight.shape[2:], stride, padding, dilation)   # (N, C_in*kH*kW, Ho*Wo)
    out = weight.reshape(c_out, -1) @ cols                          # (N, C_out, Ho*Wo)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1)
    s, d = pair(stride, fn, "stride", 1), pair(dilation, fn, "dilation", 1)
    p = resolve_padding(padding, weight.shape[2:], s, d, fn)
    ho, wo = out_hw(x.shape[2:], weight.shape[2:], s, p, d)
    return out.reshape(x.shape[0], c_out, ho, wo).astype(x.dtype, copy=False)
