"""Scratch buffers the fast paths reuse across calls, bounded by one chunk budget.

The fast convolution works on the batch in chunks (see :data:`CHUNK_BYTES`): each chunk's
im2col matrix, GEMM result, padded copy and gradient columns live in buffers taken from here,
so a training loop stops paying for fresh allocations (and their page faults) at every step,
and peak memory is one chunk's columns instead of the batch's. Only buffers of at most
:data:`CHUNK_BYTES` are kept (per thread, per name); a bigger request gets a fresh array that is
freed as usual. Nothing a public function returns may alias a workspace: callers copy out.
"""
from __future__ import annotations

import threading

import numpy as np

#: Target size in bytes of one chunk's im2col matrix (and the largest buffer kept here).
#: Measured on the benchmark machine (2 cores, OpenBLAS, shared with other jobs): 16 MiB chunks
#: were as fast as 8 MiB ones when the machine was quiet and faster when it was loaded (fewer,
#: larger GEMMs: each BLAS call is a point where both threads must meet), e.g. the stride-2
#: benchmark case 36 vs 56 ms at best; the (64, 64, 64, 64) memory case stays under PyTorch's
#: peak (six named buffers of at most this size are kept between calls).
CHUNK_BYTES = 16 << 20

_local = threading.local()


def workspace(name: str, shape, dtype) -> np.ndarray:
    """A C-contiguous array of ``shape`` and ``dtype`` with undefined contents.

    Reused across calls with the same ``name`` (grown when needed) when it fits in
    :data:`CHUNK_BYTES`; otherwise freshly allocated.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape, dtype=np.int64))
    nbytes = size * dtype.itemsize
    if nbytes > CHUNK_BYTES:
        return np.empty(shape, dtype)
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    buf = pool.get((name, dtype))
    if buf is None or buf.size < size:
        buf = pool[(name, dtype)] = np.empty(size, dtype)
    return buf[:size].reshape(shape)


def chunk_size(n: int, bytes_per_item: int, budget: int | None = None) -> int:
    """How many of ``n`` batch items fit in ``budget`` bytes (at least 1)."""
    budget = CHUNK_BYTES if budget is None else budget
    return max(1, min(n, budget // max(1, bytes_per_item)))


def pooled_bytes() -> int:
    """Bytes held by this thread's workspaces (for tests and the benchmark's notes)."""
    return sum(buf.nbytes for buf in getattr(_local, "pool", {}).values())
