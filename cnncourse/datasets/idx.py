"""IDX files (the format of MNIST) and the MNIST / Fashion-MNIST loaders: download once into a
cache, verify each file's SHA-256, read. Only for readers who are online; nothing the book
executes or the tests run needs the network."""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..checks import check_bool
from ..io import atomic_write

__all__ = ["MNIST_CLASSES", "FASHION_MNIST_CLASSES", "read_idx", "data_dir", "DownloadError",
           "mnist", "fashion_mnist", "MNIST_SHA256", "FASHION_MNIST_SHA256"]

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                         "Shirt", "Sneaker", "Bag", "Ankle boot")


def _check_path(path, fn: str, name: str = "path") -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fn}: {name} must be a str or a path-like object, got "
                        f"{type(path).__name__}")
    return Path(path)


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
    path = _check_path(path, "read_idx")
    if path.is_dir():
        raise IsADirectoryError(f"read_idx: {path} is a folder, not an IDX file")
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
        return _check_path(root, "data_dir", "root").expanduser()
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
    """Download ``url`` to ``dest`` atomically (:func:`cnncourse.io.atomic_write`)."""
    def write(out):
        with _urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                out.write(chunk)

    atomic_write(dest, write, fn="download")


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
    train = check_bool(train, fn, "train")
    download = check_bool(download, fn, "download")
    if root is not None:
        _check_path(root, fn, "root")
    expected_all = dict(sums)
    if sha256 is not None:
        if not isinstance(sha256, Mapping):
            raise TypeError(f"{fn}: sha256 must be a mapping {{file name: hex digest}}, "
                            f"got {type(sha256).__name__}")
        unknown = set(sha256) - set(sums)
        if unknown:
            raise ValueError(f"{fn}: sha256 has unknown file names {sorted(unknown)}; "
                             f"expected names from {sorted(sums)}")
        for k, v in sha256.items():
            if not isinstance(v, str):
                raise TypeError(f"{fn}: sha256[{k!r}] must be a hex string, got {v!r}")
        expected_all.update({k: v.lower() for k, v in sha256.items()})
    if mirrors is None:
        mirrors = default_mirrors
    elif isinstance(mirrors, str):
        mirrors = (mirrors,)
    elif not isinstance(mirrors, Sequence):
        raise TypeError(f"{fn}: mirrors must be a URL string or a sequence of them, got "
                        f"{type(mirrors).__name__}")
    for m in mirrors:
        if not isinstance(m, str):
            raise TypeError(f"{fn}: mirrors must be URL strings, got {m!r}")
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
