"""Procedurally drawn shapes (circles, squares, triangles, crosses, plusses) with controlled
translation, scale, rotation, mirroring and noise, and :func:`shift_images`; numpy only, so the
invariance experiments of the book are exact and reproducible."""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from ..checks import as_rng, check_bool, check_int, check_positive_int, check_real, is_int, is_real

__all__ = ["SHAPE_CLASSES", "shapes", "scenes", "Scenes", "boxes_from_masks", "shift_images"]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "plus")
"""Every shape :func:`shapes` can draw. All are mirror-symmetric about the vertical axis, so a
horizontally flipped shape keeps its label; ``cross`` is an X (diagonal bars), ``plus`` a +."""

class _Unset:
    """Marks an argument not given (``rng`` defaults to the seed 0 when ``seed`` is not given)."""

    def __repr__(self) -> str:
        return "0"


_UNSET = _Unset()
_MAX_BYTES = 4 * 2**30      # refuse to allocate more than 4 GiB of images

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
           rng=_UNSET, seed=_UNSET, with_boxes: bool = False, with_masks: bool = False):
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
    rng : int seed, None or numpy.random.Generator, default 0
        The package's one rng policy: the same seed gives the same images; ``None`` draws fresh
        ones; a Generator is used as is.
    seed : int or numpy.random.Generator, optional
        The older name of ``rng`` (the book's chapters use it); give one or the other.
    with_boxes : bool, default False
        Also return each shape's bounding box (for localisation).
    with_masks : bool, default False
        Also return each shape's mask (for segmentation).

    Returns
    -------
    X : ndarray of float32, shape (N, 1, size, size)
        Images in [0, 1].
    y : ndarray of int64, shape (N,)
        Labels, ``classes[y[i]]`` is the name of image ``i``; every class appears
        ``n_per_class`` times, in shuffled order.
    boxes : ndarray of float32, shape (N, 4), only with ``with_boxes=True``
        ``(x0, y0, x1, y1)`` in pixels: the tight box of the mask, pixel edges (``x1`` is one
        past the last column), so ``x1 - x0`` is the box's width in pixels.
    masks : ndarray of bool, shape (N, size, size), only with ``with_masks=True``
        The pixels at least half covered by the shape (before noise). The optional outputs
        come in this order, after ``X, y``; the images are the same as without them.

    See Also
    --------
    shift_images : translate images by a fixed amount (for invariance experiments).

    Examples
    --------
    >>> X, y = shapes(10, size=28, max_shift=4, rng=0)
    >>> X.shape, X.dtype, np.bincount(y)
    ((40, 1, 28, 28), dtype('float32'), array([10, 10, 10, 10]))
    """
    fn = "shapes"
    n_per_class = check_positive_int(n_per_class, fn, "n_per_class")
    size = check_int(size, fn, "size", min_value=8)
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) == 0:
        raise TypeError(f"{fn}: classes must be a non-empty sequence of names from "
                        f"{SHAPE_CLASSES}, got {classes!r}")
    for name in classes:
        if not isinstance(name, str) or name not in SHAPE_CLASSES:
            raise ValueError(f"{fn}: unknown class {name!r} in classes; expected names from "
                             f"{SHAPE_CLASSES}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"{fn}: classes must not repeat a name, got {tuple(classes)}")
    nbytes = n_per_class * len(classes) * size * size * 4
    if nbytes > _MAX_BYTES:
        raise ValueError(f"{fn}: n_per_class={n_per_class} would need {nbytes / 2**30:.1f} GiB "
                         f"for the images (more than {_MAX_BYTES // 2**30} GiB); draw fewer")
    if (not isinstance(scale, (tuple, list)) or len(scale) != 2
            or not all(is_real(s) for s in scale)):
        raise TypeError(f"{fn}: scale must be a pair (min, max) of numbers, got {scale!r}")
    lo, hi = float(scale[0]), float(scale[1])
    if not 0 < lo <= hi < float("inf"):
        raise ValueError(f"{fn}: scale must satisfy 0 < min <= max, got {scale!r}")
    max_shift = check_int(max_shift, fn, "max_shift", min_value=0)
    radius_max = _SHAPE_RADIUS * size * hi
    if radius_max + max_shift > size / 2 + 1e-9:
        limit = int(np.floor(size / 2 - radius_max + 1e-9))
        raise ValueError(f"{fn}: max_shift={max_shift} with scale max {hi} would push shapes "
                         f"out of a {size}x{size} image; use max_shift <= {max(limit, 0)} or a "
                         f"smaller scale (need size/4*scale[1] + max_shift <= size/2)")
    max_rotation = check_real(max_rotation, fn, "max_rotation", low=0.0)
    mirror = check_bool(mirror, fn, "mirror")
    noise = check_real(noise, fn, "noise", low=0.0)
    filled = check_bool(filled, fn, "filled")
    thickness = check_real(thickness, fn, "thickness", low=0.0, low_open=True)
    with_boxes = check_bool(with_boxes, fn, "with_boxes")
    with_masks = check_bool(with_masks, fn, "with_masks")
    if rng is not _UNSET and seed is not _UNSET:
        raise TypeError(f"{fn}: give rng or seed, not both (seed is the older name of rng)")
    if seed is not _UNSET:
        rng = as_rng(seed, fn, "seed")
    else:
        rng = as_rng(0 if rng is _UNSET else rng, fn)

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
    masks = X[:, 0] >= 0.5 if (with_boxes or with_masks) else None
    if noise > 0:
        X += rng.normal(0.0, noise, size=X.shape).astype(np.float32)
        np.clip(X, 0.0, 1.0, out=X)
    out = (X, y)
    if with_boxes:
        out += (boxes_from_masks(masks),)
    if with_masks:
        out += (masks,)
    return out


def boxes_from_masks(masks: np.ndarray) -> np.ndarray:
    """Tight boxes ``(x0, y0, x1, y1)`` (pixel edges, float32, shape (N, 4)) of boolean masks
    (N, H, W); an empty mask gives the box ``(0, 0, 0, 0)``."""
    fn = "boxes_from_masks"
    if not isinstance(masks, np.ndarray) or masks.dtype != np.bool_ or masks.ndim != 3:
        raise TypeError(f"{fn}: masks must be a bool ndarray of shape (N, H, W), got "
                        f"{type(masks).__name__} {getattr(masks, 'dtype', '')} "
                        f"{getattr(masks, 'shape', '')}")
    boxes = np.zeros((masks.shape[0], 4), dtype=np.float32)
    rows, cols = masks.any(axis=2), masks.any(axis=1)
    for i in range(masks.shape[0]):
        r, c = np.flatnonzero(rows[i]), np.flatnonzero(cols[i])
        if r.size:
            boxes[i] = (c[0], r[0], c[-1] + 1, r[-1] + 1)
    return boxes


class Scenes(NamedTuple):
    """Images of several shapes each, with every object's box and label and two kinds of mask."""

    X: np.ndarray            # (N, 1, size, size) float32 images
    boxes: list              # N arrays (k_i, 4) float32, (x0, y0, x1, y1) in pixels
    labels: list             # N arrays (k_i,) int64, class indices
    semantic: np.ndarray     # (N, size, size) int64: 0 background, 1 + class index per pixel
    instance: np.ndarray     # (N, size, size) int64: 0 background, 1..k_i the object's number


def scenes(n: int, *, size: int = 32, max_objects: int = 3, min_objects: int = 1,
           classes: Sequence[str] = ("circle", "square", "triangle"),
           scale: tuple[float, float] = (0.4, 0.6), noise: float = 0.0, rng=0) -> Scenes:
    """Draw ``n`` scenes of ``min_objects``..``max_objects`` non-overlapping shapes (detection
    and segmentation data; deterministic for a seed, no download).

    Each object is a shape of :func:`shapes` with a relative scale drawn from ``scale``
    (1.0 would fill half the image), placed by rejection so that the disks holding the shapes
    do not overlap; masks come before noise. Returns a :class:`Scenes` named tuple
    ``(X, boxes, labels, semantic, instance)``: ``semantic`` says *what* each pixel is (the
    same number for two circles), ``instance`` *which object* (a different number for each).

    >>> s = scenes(4, size=32, rng=0)
    >>> s.X.shape, s.semantic.shape, [len(b) for b in s.boxes]
    ((4, 1, 32, 32), (4, 32, 32), [3, 2, 1, 1])
    """
    fn = "scenes"
    n = check_positive_int(n, fn, "n")
    size = check_int(size, fn, "size", min_value=8)
    max_objects = check_positive_int(max_objects, fn, "max_objects")
    min_objects = check_int(min_objects, fn, "min_objects", min_value=0)
    if min_objects > max_objects:
        raise ValueError(f"{fn}: min_objects={min_objects} must be <= max_objects={max_objects}")
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) == 0:
        raise TypeError(f"{fn}: classes must be a non-empty sequence of names from "
                        f"{SHAPE_CLASSES}, got {classes!r}")
    for name in classes:
        if not isinstance(name, str) or name not in SHAPE_CLASSES:
            raise ValueError(f"{fn}: unknown class {name!r} in classes; expected names from "
                             f"{SHAPE_CLASSES}")
    if (not isinstance(scale, (tuple, list)) or len(scale) != 2
            or not all(is_real(s) for s in scale)):
        raise TypeError(f"{fn}: scale must be a pair (min, max) of numbers, got {scale!r}")
    lo, hi = float(scale[0]), float(scale[1])
    if not 0 < lo <= hi <= 1.0:
        raise ValueError(f"{fn}: scale must satisfy 0 < min <= max <= 1, got {scale!r}")
    noise = check_real(noise, fn, "noise", low=0.0)
    rng = as_rng(rng, fn)
    X = np.zeros((n, 1, size, size), dtype=np.float32)
    semantic = np.zeros((n, size, size), dtype=np.int64)
    instance = np.zeros((n, size, size), dtype=np.int64)
    all_boxes, all_labels = [], []
    for i in range(n):
        k = int(rng.integers(min_objects, max_objects + 1))
        placed = []                                  # (cx, cy, r, label)
        for _ in range(k):
            for _attempt in range(100):
                r = _SHAPE_RADIUS * size * rng.uniform(lo, hi)
                cx, cy = rng.uniform(r, size - r, size=2)
                if all(np.hypot(cx - c2, cy - c3) >= r + r2 + 1 for c2, c3, r2, _ in placed):
                    placed.append((cx, cy, r, int(rng.integers(len(classes)))))
                    break
        boxes, labels = [], []
        for j, (cx, cy, r, label) in enumerate(placed):
            img = _draw(classes[label], size, np.array([cx]), np.array([cy]), np.array([r]),
                        np.zeros(1), np.zeros(1, dtype=bool), True, 2.0)[0]
            X[i, 0] = np.maximum(X[i, 0], img)
            mask = img >= 0.5
            semantic[i][mask] = label + 1
            instance[i][mask] = j + 1
            boxes.append(boxes_from_masks(mask[None])[0])
            labels.append(label)
        all_boxes.append(np.array(boxes, dtype=np.float32).reshape(-1, 4))
        all_labels.append(np.array(labels, dtype=np.int64))
    if noise > 0:
        X += rng.normal(0.0, noise, size=X.shape).astype(np.float32)
        np.clip(X, 0.0, 1.0, out=X)
    return Scenes(X, all_boxes, all_labels, semantic, instance)


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
    for name, value in (("dx", dx), ("dy", dy)):
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{fn}: {name} must be an int or an int array, got {value!r}")
    if X.ndim < 2:
        raise ValueError(f"{fn}: X must have at least 2 dimensions (..., H, W), got shape {X.shape}")
    if is_int(dx) and is_int(dy):
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

