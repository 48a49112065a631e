"""Datasets for the course: procedurally drawn shapes, the bundled UCI digits, and (M)NIST loaders.

Everything the book executes and the tests run works offline:

* :func:`shapes` draws circles, squares, triangles, crosses and plusses with numpy only, with
  controlled translation, scale, rotation, mirroring and noise, so the invariance experiments
  of the book are exact and reproducible.
* :func:`digits` loads scikit-learn's copy of the UCI handwritten digits (1,797 images, 8x8),
  which ships with scikit-learn (no download), and can upsample them for LeNet-5.
* :func:`mnist` and :func:`fashion_mnist` download the official gzipped IDX files once, verify
  each file's SHA-256, and cache them (readers who are online only; nothing in the book needs
  them). :func:`read_idx` parses IDX files.

All image arrays are NCHW ``float32`` in ``[0, 1]``; labels are ``int64``.
"""
from __future__ import annotations

import gzip
import hashlib
import numbers
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, NamedTuple, Sequence

import numpy as np

__all__ = [
    "SHAPE_CLASSES", "DIGITS_CLASSES", "MNIST_CLASSES", "FASHION_MNIST_CLASSES",
    "Split", "shapes", "shift_images", "digits", "class_names",
    "mnist", "fashion_mnist", "read_idx", "data_dir", "DownloadError",
    "MNIST_SHA256", "FASHION_MNIST_SHA256",
]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "plus")
"""Every shape :func:`shapes` can draw. All are mirror-symmetric about the vertical axis, so a
horizontally flipped shape keeps its label; ``cross`` is an X (diagonal bars), ``plus`` a +."""

DIGITS_CLASSES = tuple(str(d) for d in range(10))
MNIST_CLASSES = DIGITS_CLASSES
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_rng(seed, fn: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if _is_int(seed):
        return np.random.default_rng(int(seed))
    raise TypeError(f"{fn}: seed must be an int or a numpy Generator "
                    f"(np.random.default_rng(...)), got {type(seed).__name__}")


# --------------------------------------------------------------------------------------------
# Procedural shapes
# --------------------------------------------------------------------------------------------
# Each shape is a signed distance function (SDF) in "unit" coordinates: negative inside,
# positive outside, measured in units of the shape radius. Every shape fits inside the unit
# disk whatever its rotation, so a shape of radius r centred at c stays inside the image as
# long as the disk of radius r around c does.

_SHAPE_RADIUS = 0.25  # shape radius as a fraction of the image size (at scale 1)
_BAR = 0.22           # half-width of the bars of the cross and the plus (unit coordinates)


def _box_sdf(u, v, hu, hv):
    """Exact SDF of an axis-aligned box with half-extents (hu, hv)."""
    qu, qv = np.abs(u) - hu, np.abs(v) - hv
    outside = np.hypot(np.maximum(qu, 0.0), np.maximum(qv, 0.0))
    inside = np.minimum(np.maximum(qu, qv), 0.0)
    return outside + inside


def _sdf(name: str, u, v):
    """Signed distance to shape ``name`` at local coordinates (u right, v down), unit radius."""
    if name == "circle":
        return np.hypot(u, v) - 0.9
    if name == "square":
        return _box_sdf(u, v, 0.7, 0.7)
    if name == "triangle":
        # Equilateral, pointing up (v grows downwards), circumradius 1, centroid at the origin.
        # Each edge's outward normal n and offset 0.5 (the inradius): distance ~ n.p - 0.5.
        d = np.full_like(u, -np.inf)
        for angle in (np.pi / 2, np.pi / 2 + 2 * np.pi / 3, np.pi / 2 + 4 * np.pi / 3):
            nu, nv = np.cos(angle), np.sin(angle)   # normals point down, up-left, up-right
            d = np.maximum(d, nu * u + nv * v - 0.5)
        return d
    if name == "plus":
        return np.minimum(_box_sdf(u, v, 0.95, _BAR), _box_sdf(u, v, _BAR, 0.95))
    if name == "cross":
        c = np.sqrt(0.5)
        a, b = c * (u + v), c * (u - v)            # coordinates rotated by 45 degrees
        return np.minimum(_box_sdf(a, b, 0.95, _BAR), _box_sdf(a, b, _BAR, 0.95))
    raise ValueError(f"shapes: unknown class {name!r}; expected one of {SHAPE_CLASSES}")


def _draw(name, size, cx, cy, radius, angle, flip, filled, thickness):
    """Rasterize ``len(cx)`` copies of one shape; returns float64 (n, size, size) in [0, 1]."""
    centres = np.arange(size) + 0.5                  # pixel centres, in pixels
    x = centres[None, None, :] - cx[:, None, None]
    y = centres[None, :, None] - cy[:, None, None]
    x = np.where(flip[:, None, None], -x, x)         # mirror the image about the shape's centre
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    r = radius[:, None, None]
    u = (cos * x + sin * y) / r                      # rotate the grid by -angle into the shape
    v = (-sin * x + cos * y) / r
    dist = _sdf(name, u, v) * r                      # back to pixels
    if filled:
        coverage = 0.5 - dist                        # ~ fraction of the pixel inside the edge
    else:
        coverage = thickness / 2 + 0.5 - np.abs(dist)
    return np.clip(coverage, 0.0, 1.0)


def shapes(n_per_class: int, *, size: int = 28,
           classes: Sequence[str] = ("circle", "square", "triangle", "cross"),
           max_shift: int = 0, scale: tuple[float, float] = (1.0, 1.0),
           max_rotation: float = 0.0, mirror: bool = False, noise: float = 0.0,
           filled: bool = True, thickness: float = 2.0,
           seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw a balanced, shuffled set of antialiased geometric shapes.

    Each image is black (0) with one white (1) shape. The shape is rasterized from its signed
    distance function on the pixel grid, so edges are antialiased (a pixel half inside the
    edge gets 0.5). At ``scale=1`` a shape fits in a disk of radius ``size / 4`` around its
    centre, whatever its rotation.

    Parameters
    ----------
    n_per_class : int
        Number of images of each class (N = n_per_class * len(classes)).
    size : int, default 28
        Height and width of the images in pixels (>= 8).
    classes : sequence of str
        Class names from :data:`SHAPE_CLASSES`; label ``k`` is ``classes[k]``.
    max_shift : int, default 0
        The shape's centre moves by integers ``dx, dy`` drawn uniformly from
        ``[-max_shift, max_shift]`` (independently). Must keep the shape inside the image:
        ``size/4 * scale[1] + max_shift <= size/2`` (at size 28, scale 1: ``max_shift <= 7``).
    scale : (float, float), default (1.0, 1.0)
        Range of relative sizes; each shape's scale is drawn uniformly from it.
    max_rotation : float, default 0.0
        Rotation in degrees, drawn uniformly from ``[-max_rotation, max_rotation]``.
    mirror : bool, default False
        Flip each shape horizontally with probability 1/2 (label-preserving: all shapes are
        mirror-symmetric, so a flip only changes the direction of the rotation).
    noise : float, default 0.0
        Standard deviation of Gaussian pixel noise added after drawing (then clipped to [0, 1]).
    filled : bool, default True
        Filled shapes, or outlines ``thickness`` pixels wide when False.
    thickness : float, default 2.0
        Outline width in pixels, centred on the edge (only used when ``filled=False``).
    seed : int or numpy.random.Generator, default 0
        The same seed gives the same images.

    Returns
    -------
    X : ndarray of float32, shape (N, 1, size, size)
        Images in [0, 1].
    y : ndarray of int64, shape (N,)
        Labels, ``classes[y[i]]`` is the name of image ``i``; every class appears
        ``n_per_class`` times, in shuffled order.

    See Also
    --------
    shift_images : translate images by a fixed amount (for invariance experiments).

    Examples
    --------
    >>> X, y = shapes(10, size=28, max_shift=4, seed=0)
    >>> X.shape, X.dtype, np.bincount(y)
    ((40, 1, 28, 28), dtype('float32'), array([10, 10, 10, 10]))
    """
    fn = "shapes"
    if not _is_int(n_per_class) or n_per_class < 1:
        raise ValueError(f"{fn}: n_per_class must be a positive int, got {n_per_class!r}")
    if not _is_int(size) or size < 8:
        raise ValueError(f"{fn}: size must be an int >= 8, got {size!r}")
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) == 0:
        raise TypeError(f"{fn}: classes must be a non-empty sequence of names from "
                        f"{SHAPE_CLASSES}, got {classes!r}")
    for name in classes:
        if name not in SHAPE_CLASSES:
            raise ValueError(f"{fn}: unknown class {name!r} in classes; expected names from "
                             f"{SHAPE_CLASSES}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"{fn}: classes must not repeat a name, got {tuple(classes)}")
    if (not isinstance(scale, (tuple, list)) or len(scale) != 2
            or not all(_is_real(s) for s in scale)):
        raise TypeError(f"{fn}: scale must be a pair (min, max) of numbers, got {scale!r}")
    lo, hi = float(scale[0]), float(scale[1])
    if not 0 < lo <= hi:
        raise ValueError(f"{fn}: scale must satisfy 0 < min <= max, got {scale!r}")
    if not _is_int(max_shift) or max_shift < 0:
        raise ValueError(f"{fn}: max_shift must be an int >= 0 (pixels), got {max_shift!r}")
    radius_max = _SHAPE_RADIUS * size * hi
    if radius_max + max_shift > size / 2 + 1e-9:
        limit = int(np.floor(size / 2 - radius_max + 1e-9))
        raise ValueError(f"{fn}: max_shift={max_shift} with scale max {hi} would push shapes "
                         f"out of a {size}x{size} image; use max_shift <= {max(limit, 0)} or a "
                         f"smaller scale (need size/4*scale[1] + max_shift <= size/2)")
    if not _is_real(max_rotation) or max_rotation < 0:
        raise ValueError(f"{fn}: max_rotation must be a number >= 0 (degrees), got {max_rotation!r}")
    if not _is_real(noise) or noise < 0:
        raise ValueError(f"{fn}: noise must be a number >= 0 (a standard deviation), got {noise!r}")
    if not _is_real(thickness) or thickness <= 0:
        raise ValueError(f"{fn}: thickness must be a positive number of pixels, got {thickness!r}")
    rng = _as_rng(seed, fn)

    k = len(classes)
    n = n_per_class * k
    y = rng.permutation(np.repeat(np.arange(k, dtype=np.int64), n_per_class))
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    radius = _SHAPE_RADIUS * size * rng.uniform(lo, hi, size=n)
    angle = np.deg2rad(rng.uniform(-max_rotation, max_rotation, size=n))
    flip = rng.random(n) < 0.5 if mirror else np.zeros(n, dtype=bool)

    X = np.empty((n, 1, size, size), dtype=np.float32)
    for label, name in enumerate(classes):
        idx = np.flatnonzero(y == label)
        X[idx, 0] = _draw(name, size, size / 2 + dx[idx], size / 2 + dy[idx], radius[idx],
                          angle[idx], flip[idx], filled, float(thickness))
    if noise > 0:
        X += rng.normal(0.0, noise, size=X.shape).astype(np.float32)
        np.clip(X, 0.0, 1.0, out=X)
    return X, y


def shift_images(X: np.ndarray, dx, dy) -> np.ndarray:
    """Translate images by whole pixels, filling with zeros (no wrap-around).

    Parameters
    ----------
    X : ndarray, shape (N, C, H, W) (or any array whose last two axes are H, W)
    dx : int or ndarray of int, shape (N,)
        Shift to the right (negative: left), one value for all images or one per image.
    dy : int or ndarray of int, shape (N,)
        Shift downwards (negative: up).

    Returns
    -------
    out : ndarray, same shape and dtype as X
        ``out[..., i, j] = X[..., i - dy, j - dx]`` where that index exists, else 0.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> shift_images(x, 1, 0)[0, 0]
    array([[0., 0., 1.],
           [0., 3., 4.],
           [0., 6., 7.]])
    """
    fn = "shift_images"
    if not isinstance(X, np.ndarray):
        raise TypeError(f"{fn}: X must be a numpy ndarray, got {type(X).__name__}")
    if X.ndim < 2:
        raise ValueError(f"{fn}: X must have at least 2 dimensions (..., H, W), got shape {X.shape}")
    if _is_int(dx) and _is_int(dy):
        return _shift_one(X, int(dx), int(dy))
    dxs, dys = np.asarray(dx), np.asarray(dy)
    n = X.shape[0]
    for name, arr in (("dx", dxs), ("dy", dys)):
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{fn}: {name} must be an int or an int array, got dtype {arr.dtype}")
        if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
            raise ValueError(f"{fn}: {name} must be an int or have shape ({n},) (one per image), "
                             f"got shape {arr.shape}")
    dxs, dys = np.broadcast_to(dxs, (n,)), np.broadcast_to(dys, (n,))
    out = np.empty_like(X)
    for i in range(n):
        out[i] = _shift_one(X[i], int(dxs[i]), int(dys[i]))
    return out


def _shift_one(X: np.ndarray, dx: int, dy: int) -> np.ndarray:
    out = np.zeros_like(X)
    H, W = X.shape[-2:]
    if abs(dx) >= W or abs(dy) >= H:
        return out
    src_r = slice(max(0, -dy), H - max(0, dy))
    dst_r = slice(max(0, dy), H - max(0, -dy))
    src_c = slice(max(0, -dx), W - max(0, dx))
    dst_c = slice(max(0, dx), W - max(0, -dx))
    out[..., dst_r, dst_c] = X[..., src_r, src_c]
    return out


# --------------------------------------------------------------------------------------------
# UCI digits (bundled with scikit-learn)
# --------------------------------------------------------------------------------------------
class Split(NamedTuple):
    """A train/test split: ``X_train, y_train, X_test, y_test = split``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def digits(seed: int = 0, *, test_size: float = 0.25, size: int = 8) -> Split:
    """The UCI handwritten digits (scikit-learn's ``load_digits``), split into train and test.

    1,797 grayscale 8x8 images of the digits 0-9 (values 0..16 in the original), bundled with
    scikit-learn, so no download. Pixels are divided by 16 to lie in [0, 1].

    Larger sizes, for networks designed for bigger inputs such as LeNet-5: the 8x8 image is
    upsampled by the largest whole factor ``k = size // 8`` by repeating each pixel in a k x k
    block (``np.kron``, no interpolation, so the values stay exact), then zero-padded to
    ``size`` (equally on both sides, the odd pixel at the bottom/right). ``size=16`` doubles
    each pixel; ``size=28`` gives 24x24 digits in a 2-pixel border, like MNIST's layout.

    Parameters
    ----------
    seed : int, default 0
        Seed of the stratified split (scikit-learn's ``random_state``): the same seed gives
        the same split.
    test_size : float, default 0.25
        Fraction of the images in the test set (0 < test_size < 1); 0.25 gives 1,347 training
        and 450 test images.
    size : int, default 8
        Height and width of the returned images (>= 8).

    Returns
    -------
    Split
        ``X_train`` (N_train, 1, size, size) float32 in [0, 1], ``y_train`` (N_train,) int64,
        ``X_test``, ``y_test`` likewise. Each class is represented in the same proportion in
        both parts. :data:`DIGITS_CLASSES` names the labels.
    """
    fn = "digits"
    if not _is_int(seed):
        raise TypeError(f"digits: seed must be an int, got {type(seed).__name__}")
    if not _is_real(test_size) or not 0 < test_size < 1:
        raise ValueError(f"{fn}: test_size must be a fraction in (0, 1), got {test_size!r}")
    if not _is_int(size) or size < 8:
        raise ValueError(f"{fn}: size must be an int >= 8, got {size!r}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X = (data.images.astype(np.float32) / np.float32(16.0))[:, None]   # (1797, 1, 8, 8)
    X = _upsample_and_pad(X, size)
    y = data.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=float(test_size), random_state=int(seed), stratify=y)
    return Split(np.ascontiguousarray(X_train), y_train, np.ascontiguousarray(X_test), y_test)


def _upsample_and_pad(X: np.ndarray, size: int) -> np.ndarray:
    h = X.shape[-1]
    k = size // h
    if k > 1:
        X = np.kron(X, np.ones((1, 1, k, k), dtype=X.dtype))
    extra = size - X.shape[-1]
    if extra:
        before = extra // 2
        X = np.pad(X, ((0, 0), (0, 0), (before, extra - before), (before, extra - before)))
    return X


def class_names(dataset: str) -> tuple[str, ...]:
    """Names of the labels of ``dataset``: 'digits', 'mnist', 'fashion_mnist' or 'shapes'.

    For 'shapes' this is :data:`SHAPE_CLASSES`; with a custom ``classes=`` argument to
    :func:`shapes`, the names are that argument itself.
    """
    table = {"digits": DIGITS_CLASSES, "mnist": MNIST_CLASSES,
             "fashion_mnist": FASHION_MNIST_CLASSES, "shapes": SHAPE_CLASSES}
    if dataset not in table:
        raise ValueError(f"class_names: unknown dataset {dataset!r}; expected one of "
                         f"{tuple(table)}")
    return table[dataset]


# --------------------------------------------------------------------------------------------
# IDX files, MNIST and Fashion-MNIST
# --------------------------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (the format of MNIST), gzipped or raw.

    The header is two zero bytes, a type code (0x08 unsigned byte, 0x09 signed byte,
    0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions, then one
    big-endian int32 per dimension; the data follows in C order, big-endian.

    Parameters
    ----------
    path : str or path-like
        A file; gzip compression is detected from its first bytes, not its name.

    Returns
    -------
    data : ndarray, shape given by the header, native byte order
        ``uint8`` for MNIST images (N, 28, 28) and labels (N,).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the magic number, type code or length is wrong (the message says what was found).
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"read_idx: {path} looks gzipped but cannot be decompressed "
                             f"({exc}); the file is probably truncated, delete it and "
                             f"download it again") from None
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} is too short to be an IDX file "
                         f"({len(raw)} bytes, the header alone has at least 8)")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {path} is not an IDX file: its magic number must start "
                         f"with two zero bytes, got {raw[:4].hex()}")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} has unknown IDX type code 0x{code:02X}; expected "
                         f"one of {', '.join(f'0x{c:02X}' for c in _IDX_TYPES)}")
    if ndim < 1:
        raise ValueError(f"read_idx: {path} declares {ndim} dimensions; expected at least 1")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header "
                         f"({len(raw)} bytes, the header of a {ndim}-D file has {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {path} should hold {expected} bytes of data for shape "
                         f"{shape} and dtype {dtype.name}, got {len(raw) - header}; the file is "
                         f"truncated or corrupted")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


# SHA-256 of the official gzipped IDX files. MNIST: the files served by the mirrors below
# (identical to Yann LeCun's originals; the same values are used by TensorFlow Datasets and
# many other loaders). Fashion-MNIST: Zalando Research's release (its README lists MD5s
# 8d4fb7e6..., 25c81989..., bef4ecab..., bb300cfd..., which these files match).
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}
_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                  "https://storage.googleapis.com/cvdf-datasets/mnist/")
_FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")

# The function used to open URLs; tests replace it (monkeypatch) so they never touch the network.
_urlopen = urllib.request.urlopen


class DownloadError(OSError):
    """A dataset file could not be downloaded from any mirror (usually: no network)."""


def data_dir(root=None) -> Path:
    """The folder where downloaded datasets are cached.

    ``root`` when given, else the environment variable ``CNNCOURSE_DATA_DIR``, else the
    per-user cache folder of your system (``platformdirs.user_cache_dir("cnncourse")``,
    e.g. ``~/.cache/cnncourse`` on Linux).
    """
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("CNNCOURSE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return Path(platformdirs.user_cache_dir("cnncourse"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` atomically: a temp file in the same folder, then rename."""
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _fetch(name: str, folder: Path, mirrors: Sequence[str], expected: str, fn: str,
           dataset: str, download: bool) -> Path:
    """Return the verified cached file ``folder/name``, downloading it if needed."""
    path = folder / name
    if path.exists():
        if _sha256(path) == expected:
            return path                               # cache hit: no network at all
        os.remove(path)                               # stale or corrupted: fetch it again
    if not download:
        raise FileNotFoundError(f"{fn}: {path} is missing (download=False); call {fn}() with "
                                f"download=True or copy {name} there")
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for base in mirrors:
        url = base + name
        try:
            _download(url, path)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        got = _sha256(path)
        if got != expected:
            os.remove(path)
            raise ValueError(f"{fn}: checksum mismatch for {name} downloaded from {url}: "
                             f"expected SHA-256 {expected}, got {got}; the file was deleted. "
                             f"Try again later, or pass sha256={{{name!r}: ...}} if you "
                             f"trust a different release")
        return path
    raise DownloadError(
        f"{fn}: could not download {name} (are you offline?). Tried:\n  " + "\n  ".join(errors)
        + f"\nDownload the four {dataset} .gz files by hand into {folder} (they are checked "
        f"against their SHA-256 when loaded), or use cnncourse.datasets.digits(), which needs "
        f"no network.")


def _load_idx_pair(fn, dataset, subdir, sums, default_mirrors, root, train, download,
                   sha256, mirrors):
    if not isinstance(train, bool):
        raise TypeError(f"{fn}: train must be True or False, got {train!r}")
    expected_all = dict(sums)
    if sha256 is not None:
        if not isinstance(sha256, Mapping):
            raise TypeError(f"{fn}: sha256 must be a mapping {{file name: hex digest}}, "
                            f"got {type(sha256).__name__}")
        unknown = set(sha256) - set(sums)
        if unknown:
            raise ValueError(f"{fn}: sha256 has unknown file names {sorted(unknown)}; "
                             f"expected names from {sorted(sums)}")
        expected_all.update({k: str(v).lower() for k, v in sha256.items()})
    if mirrors is None:
        mirrors = default_mirrors
    elif isinstance(mirrors, str):
        mirrors = (mirrors,)
    mirrors = tuple(m if m.endswith("/") else m + "/" for m in mirrors)
    folder = data_dir(root) / subdir
    prefix = "train" if train else "t10k"
    files = [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"]
    paths = [_fetch(f, folder, mirrors, expected_all[f], fn, dataset, download) for f in files]
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{fn}: inconsistent files in {folder}: images {images.shape}, "
                         f"labels {labels.shape}")
    X = (images.astype(np.float32) / np.float32(255.0))[:, None]
    return X, labels.astype(np.int64)


_LOADER_DOC = """Load {title} ({n_train:,} training or {n_test:,} test images, 28x28, 10 classes).

    The official gzipped IDX files are downloaded on first use into ``data_dir(root) / "{subdir}"``
    (atomically: a temporary file renamed when complete), then verified against their known
    SHA-256 (:data:`{sums}`) every time they are loaded; a cached file that fails the check is
    downloaded again. Nothing in the book depends on this function: offline, use
    :func:`digits`.

    Parameters
    ----------
    root : str or path-like, optional
        Cache folder; default :func:`data_dir` (``$CNNCOURSE_DATA_DIR`` or the user cache).
    train : bool, default True
        The training set, or the test set when False.
    download : bool, default True
        When False, a missing file raises ``FileNotFoundError`` instead of being downloaded.
    sha256 : mapping, optional
        Override expected digests by file name (for a different release of the files).
    mirrors : sequence of str, optional
        Base URLs to try in order (each + file name); default: the official mirrors.

    Returns
    -------
    X : ndarray of float32, shape (N, 1, 28, 28)
        Pixels divided by 255, in [0, 1].
    y : ndarray of int64, shape (N,)
        Labels 0-9; :data:`{classes}` names them.

    Raises
    ------
    DownloadError
        No mirror could be reached; the message says where to put the files by hand.
    ValueError
        A downloaded file does not match its SHA-256, or an IDX file is malformed.
    """


def mnist(root=None, train: bool = True, *, download: bool = True,
          sha256: Mapping[str, str] | None = None, mirrors: Sequence[str] | None = None):
    return _load_idx_pair("mnist", "MNIST", "mnist", MNIST_SHA256, _MNIST_MIRRORS, root,
                          train, download, sha256, mirrors)


def fashion_mnist(root=None, train: bool = True, *, download: bool = True,
                  sha256: Mapping[str, str] | None = None, mirrors: Sequence[str] | None = None):
    return _load_idx_pair("fashion_mnist", "Fashion-MNIST", "fashion_mnist",
                          FASHION_MNIST_SHA256, _FASHION_MIRRORS, root, train, download,
                          sha256, mirrors)


mnist.__doc__ = _LOADER_DOC.format(title="MNIST handwritten digits", n_train=60000,
                                   n_test=10000, subdir="mnist", sums="MNIST_SHA256",
                                   classes="MNIST_CLASSES")
fashion_mnist.__doc__ = _LOADER_DOC.format(title="Fashion-MNIST (Zalando's article images)",
                                           n_train=60000, n_test=10000, subdir="fashion_mnist",
                                           sums="FASHION_MNIST_SHA256",
                                           classes="FASHION_MNIST_CLASSES")
