"""Tests for cnncourse.datasets: shapes, shift_images, digits, read_idx and the (M)NIST loader.

The loader tests build small IDX files in tmp_path and serve them through file:// URLs or a
monkeypatched opener: they never touch the network.
"""
import gzip
import hashlib
import time
import urllib.error

import numpy as np
import pytest

from cnncourse import datasets
from cnncourse.datasets import idx as idx_module
from cnncourse.datasets import (SHAPE_CLASSES, DownloadError, Split, class_names, digits,
                                fashion_mnist, mnist, read_idx, shapes, shift_images)


def centre_of_mass(img):
    """(row, col) centre of mass of a 2D image."""
    rows, cols = np.indices(img.shape)
    total = img.sum()
    return (rows * img).sum() / total, (cols * img).sum() / total


# ---------------------------------------------------------------- shapes
def test_shapes_dtype_shape_range_balance():
    X, y = shapes(7, size=20)
    assert X.shape == (28, 1, 20, 20) and X.dtype == np.float32
    assert y.shape == (28,) and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y), [7, 7, 7, 7])
    assert not np.all(np.diff(y) >= 0), "labels should be shuffled"


def test_shapes_deterministic_for_seed_and_generator():
    a = shapes(5, max_shift=3, max_rotation=30, mirror=True, noise=0.1, scale=(0.6, 1.0), seed=3)
    b = shapes(5, max_shift=3, max_rotation=30, mirror=True, noise=0.1, scale=(0.6, 1.0), seed=3)
    c = shapes(5, max_shift=3, max_rotation=30, mirror=True, noise=0.1, scale=(0.6, 1.0), seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    d = shapes(5, seed=np.random.default_rng(3))
    e = shapes(5, seed=np.random.default_rng(3))
    np.testing.assert_array_equal(d[0], e[0])


def test_shapes_all_classes_distinct_and_centred():
    X, y = shapes(1, classes=SHAPE_CLASSES, size=32)
    assert len(y) == len(SHAPE_CLASSES)
    flat = X.reshape(len(y), -1)
    for i in range(len(y)):
        for j in range(i + 1, len(y)):
            assert np.abs(flat[i] - flat[j]).sum() > 10, "two classes draw the same picture"
    for img, label in zip(X[:, 0], y):
        r, c = centre_of_mass(img)
        assert abs(c - 15.5) < 0.3, SHAPE_CLASSES[label]           # symmetric left-right
        tol = 1.0 if SHAPE_CLASSES[label] == "triangle" else 0.3    # triangle: area centroid
        assert abs(r - 15.5) < tol, SHAPE_CLASSES[label]


def test_shapes_shift_moves_centre_of_mass():
    X0, y0 = shapes(10, max_shift=0, seed=1)
    X, y = shapes(10, max_shift=6, seed=1)
    centred = np.array([centre_of_mass(im) for im in X0[:, 0]])
    shifted = np.array([centre_of_mass(im) for im in X[:, 0]])
    # centred images are all at the middle (up to the triangle's centroid offset)
    assert np.all(np.abs(centred[:, 1] - 13.5) < 0.3)
    displacement = np.abs(shifted - 13.5).max(axis=1)
    assert displacement.max() > 3 and displacement.max() <= 6 + 1.0
    # shifts are whole pixels: each shifted image is a shifted centred one of its class
    rng = np.random.default_rng(1)
    rng.permutation(40)
    dx, dy = rng.integers(-6, 7, size=40), rng.integers(-6, 7, size=40)
    X0b, _ = shapes(10, max_shift=0, seed=1)
    np.testing.assert_allclose(shift_images(X0b, dx, dy), X, atol=1e-6)


def test_shapes_rotation_mirror_scale_noise():
    base, _ = shapes(1, classes=("square",), size=28)
    rot, _ = shapes(1, classes=("square",), size=28, max_rotation=45, seed=5)
    assert not np.allclose(base, rot)
    # area of a filled shape is (almost) preserved by rotation
    assert abs(base.sum() - rot.sum()) / base.sum() < 0.03
    # a mirrored rotated triangle is the mirror image of the unmirrored one
    tri, _ = shapes(1, classes=("triangle",), max_rotation=40, seed=2)
    tri_m, _ = shapes(1, classes=("triangle",), max_rotation=40, seed=2, mirror=True)
    assert np.allclose(tri_m, tri) or np.allclose(tri_m, tri[..., ::-1], atol=1e-5)
    flipped = [np.allclose(shapes(1, classes=("triangle",), max_rotation=40, seed=s,
                                  mirror=True)[0],
                           shapes(1, classes=("triangle",), max_rotation=40, seed=s)[0])
               for s in range(12)]
    assert 0 < sum(flipped) < 12, "mirror=True should flip about half of the images"
    big, _ = shapes(1, classes=("circle",))
    small, _ = shapes(1, classes=("circle",), scale=(0.5, 0.5))
    assert small.sum() == pytest.approx(big.sum() * 0.25, rel=0.05)   # area ~ scale**2
    assert big.sum() == pytest.approx(np.pi * (0.9 * 7) ** 2, rel=0.02)
    noisy, _ = shapes(200, classes=("circle",), noise=0.2, seed=0)
    clean, _ = shapes(200, classes=("circle",), seed=0)
    background = noisy[clean == 0]
    assert 0.05 < background.std() < 0.2 and background.min() == 0.0
    assert noisy.max() <= 1.0


def test_shapes_outline():
    filled, _ = shapes(1, classes=("circle",))
    outline, _ = shapes(1, classes=("circle",), filled=False, thickness=2.0)
    assert outline.sum() == pytest.approx(2 * np.pi * 0.9 * 7 * 2.0, rel=0.05)   # perimeter x width
    assert outline[0, 0, 14, 14] == 0.0 and filled[0, 0, 14, 14] == 1.0


def test_shapes_fast():
    start = time.perf_counter()
    shapes(500, max_shift=5, max_rotation=15, noise=0.05)
    assert time.perf_counter() - start < 1.5


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n_per_class=0), ValueError, "shapes: n_per_class"),
    (dict(n_per_class=2, size=4), ValueError, "shapes: size"),
    (dict(n_per_class=2, classes=("circle", "hexagon")), ValueError, "unknown class 'hexagon'"),
    (dict(n_per_class=2, classes="circle"), TypeError, "shapes: classes"),
    (dict(n_per_class=2, classes=("circle", "circle")), ValueError, "must not repeat"),
    (dict(n_per_class=2, max_shift=8), ValueError, "max_shift <= 7"),
    (dict(n_per_class=2, max_shift=-1), ValueError, "max_shift"),
    (dict(n_per_class=2, scale=(1.0, 0.5)), ValueError, "scale"),
    (dict(n_per_class=2, scale=0.5), TypeError, "scale"),
    (dict(n_per_class=2, noise=-0.1), ValueError, "noise"),
    (dict(n_per_class=2, max_rotation=-5), ValueError, "max_rotation"),
    (dict(n_per_class=2, seed=1.5), TypeError, "seed"),
], ids=["n0", "size", "unknown-class", "classes-str", "repeat", "shift-too-big", "shift-neg",
        "scale-order", "scale-type", "noise", "rotation", "seed"])
def test_shapes_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        shapes(**kwargs)


# ---------------------------------------------------------------- shift_images
def test_shift_images_zero_fill_no_wrap():
    x = np.arange(12.0, dtype=np.float32).reshape(1, 1, 3, 4)
    out = shift_images(x, 1, -1)
    expected = np.array([[0, 4, 5, 6], [0, 8, 9, 10], [0, 0, 0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(out[0, 0], expected)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(shift_images(x, 0, 0), x)
    assert not shift_images(x, 4, 0).any() and not shift_images(x, 0, -3).any()
    # per-image shifts
    xs = np.repeat(x, 2, axis=0)
    per = shift_images(xs, np.array([1, 0]), np.array([-1, 0]))
    np.testing.assert_array_equal(per[0], out[0])
    np.testing.assert_array_equal(per[1], x[0])


def test_shift_images_errors():
    with pytest.raises(TypeError, match="shift_images: X"):
        shift_images([[1.0]], 1, 1)
    with pytest.raises(ValueError, match=r"shift_images: dx must .* shape \(2,\)"):
        shift_images(np.zeros((2, 1, 3, 3)), np.array([1, 2, 3]), 0)
    with pytest.raises(TypeError, match="shift_images: dy"):
        shift_images(np.zeros((2, 1, 3, 3)), 0, np.array([0.5, 1.0]))


# ---------------------------------------------------------------- digits
def test_digits_split_fixed_stratified():
    split = digits()
    assert isinstance(split, Split)
    X_train, y_train, X_test, y_test = split
    assert X_train.shape == (1347, 1, 8, 8) and X_test.shape == (450, 1, 8, 8)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert np.all(np.abs(np.bincount(y_test) - 0.25 * counts) <= 1)   # stratified
    again = digits(seed=0)
    np.testing.assert_array_equal(again.X_train, X_train)
    np.testing.assert_array_equal(again.y_test, y_test)
    other = digits(seed=1)
    assert not np.array_equal(other.y_train, y_train)
    assert class_names("digits") == tuple("0123456789")


@pytest.mark.parametrize("size", [12, 16, 28])
def test_digits_upsampled(size):
    small = digits(size=8)
    big = digits(size=size)
    assert big.X_train.shape == (1347, 1, size, size)
    k = size // 8
    pad = (size - 8 * k) // 2
    core = big.X_train[:, :, pad:pad + 8 * k, pad:pad + 8 * k]
    np.testing.assert_array_equal(core[:, :, ::k, ::k], small.X_train)
    assert big.X_train.sum() == pytest.approx(small.X_train.sum() * k * k, rel=1e-5)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(test_size=1.5), ValueError, "digits: test_size"),
    (dict(size=6), ValueError, "digits: size"),
    (dict(seed="a"), TypeError, "digits: seed"),
])
def test_digits_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        digits(**kwargs)


def test_class_names():
    assert class_names("shapes") == SHAPE_CLASSES
    assert len(class_names("fashion_mnist")) == 10
    with pytest.raises(ValueError, match="class_names: unknown dataset 'cifar'"):
        class_names("cifar")


# ---------------------------------------------------------------- IDX
def idx_bytes(arr, code=0x08):
    header = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">i4").tobytes()
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    return header + arr.astype(dtype).tobytes()


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_read_idx_roundtrip(tmp_path, compress):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    data = idx_bytes(images)
    path = tmp_path / "x.idx"
    path.write_bytes(gzip.compress(data) if compress else data)
    out = read_idx(path)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, images)


def test_read_idx_other_types(tmp_path):
    ints = np.array([[1, -2], [300000, 4]])
    (tmp_path / "i").write_bytes(idx_bytes(ints, 0x0C))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)
    floats = np.array([0.5, -1.25, 3.0])
    (tmp_path / "f").write_bytes(idx_bytes(floats, 0x0D))
    out = read_idx(tmp_path / "f")
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, floats)


@pytest.mark.parametrize("data, match", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "two zero bytes"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated inside its header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "should hold 3 bytes"),
    (b"\x00\x00", "too short"),
    (b"\x1f\x8b\x08\x00garbage", "cannot be decompressed"),
], ids=["magic", "type", "header", "length", "short", "bad-gzip"])
def test_read_idx_errors(tmp_path, data, match):
    path = tmp_path / "bad"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match):
        read_idx(path)


def test_read_idx_missing(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


# ---------------------------------------------------------------- downloader
@pytest.fixture
def fake_mirror(tmp_path):
    """A folder of small gzipped MNIST-format files, their SHA-256 and a file:// URL."""
    src = tmp_path / "mirror"
    src.mkdir()
    rng = np.random.default_rng(0)
    sums = {}
    for prefix, n in (("train", 6), ("t10k", 4)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{prefix}-{kind}-ubyte.gz"
            blob = gzip.compress(idx_bytes(arr), mtime=0)
            (src / name).write_bytes(blob)
            sums[name] = hashlib.sha256(blob).hexdigest()
    return src, sums, src.as_uri() + "/"


def test_mnist_download_verify_cache(tmp_path, fake_mirror, monkeypatch):
    src, sums, url = fake_mirror
    calls = []
    real_open = idx_module._urlopen
    monkeypatch.setattr(idx_module, "_urlopen", lambda u, timeout=None: calls.append(u) or real_open(u))
    cache = tmp_path / "cache"
    X, y = mnist(cache, train=True, sha256=sums, mirrors=[url])
    assert X.shape == (6, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int64
    assert 0.0 <= X.min() and X.max() <= 1.0
    expected = read_idx(src / "train-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(X[:, 0], expected / np.float32(255))
    assert len(calls) == 2
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]   # no temp files left
    # cache hit: no download at all
    X2, y2 = mnist(cache, train=True, sha256=sums, mirrors=[url])
    assert len(calls) == 2
    np.testing.assert_array_equal(X2, X)
    Xt, yt = mnist(cache, train=False, sha256=sums, mirrors=[url])
    assert Xt.shape == (4, 1, 28, 28) and len(calls) == 4


def test_mnist_env_var_and_fallback_mirror(tmp_path, fake_mirror, monkeypatch):
    _, sums, url = fake_mirror
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(tmp_path / "env"))
    dead = (tmp_path / "dead").as_uri() + "/"
    X, _ = fashion_mnist(train=False, sha256=sums, mirrors=[dead, url])
    assert X.shape == (4, 1, 28, 28)
    assert (tmp_path / "env" / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz").exists()


def test_mnist_checksum_mismatch(tmp_path, fake_mirror):
    _, sums, url = fake_mirror
    wrong = dict(sums, **{"train-images-idx3-ubyte.gz": "0" * 64})
    with pytest.raises(ValueError, match="checksum mismatch for train-images-idx3-ubyte.gz"):
        mnist(tmp_path / "c", sha256=wrong, mirrors=[url])
    assert not (tmp_path / "c" / "mnist" / "train-images-idx3-ubyte.gz").exists()
    assert [p.name for p in (tmp_path / "c" / "mnist").iterdir()] == []


def test_mnist_corrupted_cache_is_refetched(tmp_path, fake_mirror):
    _, sums, url = fake_mirror
    cache = tmp_path / "c"
    mnist(cache, sha256=sums, mirrors=[url])
    victim = cache / "mnist" / "train-labels-idx1-ubyte.gz"
    victim.write_bytes(b"corrupted")
    mnist(cache, sha256=sums, mirrors=[url])
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == sums[victim.name]


def test_mnist_offline_message(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(idx_module, "_urlopen", offline)
    with pytest.raises(DownloadError, match=r"(?s)are you offline.*by hand into .*digits\(\)"):
        mnist(tmp_path / "c")
    assert not any((tmp_path / "c" / "mnist").iterdir())


def test_mnist_interrupted_download_leaves_nothing(tmp_path, monkeypatch):
    class Broken:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            raise ConnectionResetError("connection reset mid-download")

    monkeypatch.setattr(idx_module, "_urlopen", lambda url, timeout=None: Broken())
    with pytest.raises(DownloadError, match="connection reset"):
        mnist(tmp_path / "c", mirrors=["https://example.invalid/"])
    assert list((tmp_path / "c" / "mnist").iterdir()) == []


def test_mnist_no_download_and_bad_args(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=False"):
        mnist(tmp_path, download=False)
    with pytest.raises(TypeError, match="mnist: train"):
        mnist(tmp_path, train="yes")
    with pytest.raises(ValueError, match="mnist: sha256 has unknown file names"):
        mnist(tmp_path, sha256={"foo.gz": "00"})


def test_known_checksums_look_right():
    for sums in (datasets.MNIST_SHA256, datasets.FASHION_MNIST_SHA256):
        assert len(sums) == 4
        assert all(len(v) == 64 and int(v, 16) >= 0 for v in sums.values())


# ---------------------------------------------------------------- issue 13: bad inputs, rng
@pytest.mark.parametrize("call, error, match", [
    (lambda: shapes(1, noise=float("nan")), ValueError, r"shapes: noise must be a finite number, got nan"),
    (lambda: shapes(1, max_rotation=float("inf")), ValueError, r"shapes: max_rotation must be a finite number, got inf"),
    (lambda: shapes(1, mirror=1), TypeError, r"shapes: mirror must be True or False, got 1"),
    (lambda: shapes(1, filled=None), TypeError, r"shapes: filled must be True or False, got None"),
    (lambda: shapes(1, thickness=float("inf"), filled=False), ValueError, r"shapes: thickness must be a finite"),
    (lambda: shapes(1, seed=-1), ValueError, r"shapes: seed must be a non-negative int seed, None or a numpy Generator, got -1"),
    (lambda: shapes(1, rng=-1), ValueError, r"shapes: rng must be a non-negative int seed, None or a numpy Generator, got -1"),
    (lambda: shapes(1, rng=1.5), TypeError, r"shapes: rng must be an int seed, None or a numpy Generator"),
    (lambda: shapes(10**12), ValueError, r"shapes: n_per_class=1000000000000 would need .* GiB for the images"),
    (lambda: shapes(1, seed=1, rng=2), TypeError, r"shapes: give rng or seed, not both"),
    (lambda: digits(-1), ValueError, r"digits: seed must be a non-negative int seed, None or a numpy Generator, got -1"),
    (lambda: digits(2**40), ValueError, r"digits: seed must be < 2\*\*32"),
    (lambda: digits(test_size=1e-6), ValueError, r"digits: test_size=1e-06 leaves 1 test image; "
                                                 r"need at least one per class \(10\)"),
    (lambda: class_names(["mnist"]), TypeError, r"class_names: dataset must be a str, got list"),
    (lambda: read_idx(None), TypeError, r"read_idx: path must be a str or a path-like object, got NoneType"),
    (lambda: read_idx(5), TypeError, r"read_idx: path must be a str or a path-like object, got int"),
    (lambda: datasets.data_dir(5), TypeError, r"data_dir: root must be a str or a path-like object, got int"),
    (lambda: mnist(root=5, download=False), TypeError, r"mnist: root must be a str or a path-like object"),
    (lambda: mnist(root="unused", mirrors=[1]), TypeError, r"mnist: mirrors must be URL strings, got 1"),
    (lambda: mnist(root="unused", mirrors=5), TypeError, r"mnist: mirrors must be a URL string or a sequence"),
    (lambda: mnist(root="unused", download=1), TypeError, r"mnist: download must be True or False, got 1"),
    (lambda: fashion_mnist(root="unused", sha256={"train-images-idx3-ubyte.gz": 5}), TypeError,
     r"fashion_mnist: sha256\['train-images-idx3-ubyte.gz'\] must be a hex string, got 5"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_inputs_get_the_packages_message(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_read_idx_folder_is_a_clear_error(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"read_idx: .* is a folder, not an IDX file"):
        read_idx(tmp_path)


def test_one_rng_policy_in_datasets():
    a = shapes(3, rng=5)
    b = shapes(3, seed=5)                                     # the book's name keeps working
    c = shapes(3, rng=np.random.default_rng(5))
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(a, c):
        np.testing.assert_array_equal(u, v)
    assert shapes(2, rng=None)[0].shape == (8, 1, 28, 28)
    assert digits(rng=np.random.default_rng(0)).X_train.shape == (1347, 1, 8, 8)
    np.testing.assert_array_equal(digits(rng=3).y_train, digits(3).y_train)


# ---------------------------------------------------------------- boxes, masks and scenes
from cnncourse.datasets import boxes_from_masks, scenes  # noqa: E402


def test_shapes_boxes_and_masks_keep_the_images_and_agree():
    X, y = shapes(4, size=20, max_shift=3, noise=0.1, seed=2)
    X2, y2, boxes, masks = shapes(4, size=20, max_shift=3, noise=0.1, seed=2, with_boxes=True, with_masks=True)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert boxes.shape == (16, 4) and boxes.dtype == np.float32
    assert masks.shape == (16, 20, 20) and masks.dtype == np.bool_
    clean, _ = shapes(4, size=20, max_shift=3, seed=2)
    np.testing.assert_array_equal(masks, clean[:, 0] >= 0.5)      # masks come before the noise
    for box, mask in zip(boxes, masks):
        x0, y0, x1, y1 = box.astype(int)
        assert mask[y0:y1, x0:x1].sum() == mask.sum()             # the box holds the whole mask
        assert mask[y0].any() and mask[y1 - 1].any() and mask[:, x0].any() and mask[:, x1 - 1].any()
    only_boxes = shapes(4, size=20, seed=2, with_boxes=True)
    assert len(only_boxes) == 3 and only_boxes[2].shape == (16, 4)


def test_boxes_from_masks_hand_case_and_errors():
    m = np.zeros((2, 5, 6), dtype=bool)
    m[0, 1:3, 2:5] = True
    np.testing.assert_array_equal(boxes_from_masks(m), [[2, 1, 5, 3], [0, 0, 0, 0]])
    with pytest.raises(TypeError, match="boxes_from_masks: masks must be a bool ndarray"):
        boxes_from_masks(m.astype(int))
    with pytest.raises(TypeError, match="shapes: with_boxes"):
        shapes(1, with_boxes=1)


def test_scenes_deterministic_consistent_and_non_overlapping():
    a, b = scenes(6, size=24, max_objects=3, rng=3), scenes(6, size=24, max_objects=3, rng=3)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.X.shape == (6, 1, 24, 24) and a.semantic.shape == a.instance.shape == (6, 24, 24)
    for i in range(6):
        k = len(a.boxes[i])
        assert 1 <= k <= 3 and a.labels[i].shape == (k,) and a.boxes[i].shape == (k, 4)
        assert set(np.unique(a.instance[i])) == set(range(k + 1))   # one number per object
        for j in range(k):
            obj = a.instance[i] == j + 1
            np.testing.assert_array_equal(boxes_from_masks(obj[None])[0], a.boxes[i][j])
            assert np.all(a.semantic[i][obj] == a.labels[i][j] + 1)
        np.testing.assert_array_equal(a.semantic[i] > 0, a.instance[i] > 0)
    assert not np.array_equal(scenes(6, size=24, rng=4).X, a.X)


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(n=0), ValueError, "scenes: n"),
    (dict(n=2, min_objects=4, max_objects=3), ValueError, "min_objects=4 must be <= max_objects=3"),
    (dict(n=2, classes=("hexagon",)), ValueError, "unknown class 'hexagon'"),
    (dict(n=2, classes="circle"), TypeError, "classes must be a non-empty sequence"),
    (dict(n=2, scale=(0.5, 2.0)), ValueError, "scale must satisfy"),
])
def test_scenes_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        scenes(**kwargs)
