"""Where the package is running, and the few calls that differ there.

The book runs in four places: on your machine, on Binder, on Colab, and in the browser with
JupyterLite, whose Python is `Pyodide <https://pyodide.org>`_ (CPython compiled to WebAssembly).
Pyodide has no threads, no ``fork``, no subprocesses and no ``signal.setitimer``, and its numpy
has no optimised BLAS. Everything in ``cnncourse`` that would touch one of these asks this module
first:

- :data:`IS_PYODIDE`: ``True`` in the browser (``sys.platform == "emscripten"``).
- :func:`limit_threads`: ``threadpoolctl.threadpool_limits``, or nothing where there are no BLAS
  threads to limit (Pyodide) or threadpoolctl cannot probe the libraries.
- :func:`tqdm`: ``tqdm.auto.tqdm`` without its monitor thread where threads cannot start.

>>> from cnncourse._platform import IS_PYODIDE, limit_threads
>>> with limit_threads(1):   # one BLAS thread inside the block, on every platform
...     pass
"""
from __future__ import annotations

import contextlib
import sys

__all__ = ["IS_PYODIDE", "limit_threads", "tqdm"]

#: True under Pyodide (JupyterLite's kernel), whose ``sys.platform`` is ``"emscripten"``.
IS_PYODIDE: bool = sys.platform == "emscripten"


def limit_threads(limits: int | None = 1):
    """Limit the BLAS/OpenMP thread pools to ``limits`` threads; a no-op where that means nothing.

    Like ``threadpoolctl.threadpool_limits(limits)``, the limit applies at once and the returned
    object is a context manager that restores the previous limits on exit. Under Pyodide, where
    there are no threads (and threadpoolctl's probing of the loaded libraries is not meant to
    run), and wherever threadpoolctl is missing or cannot probe, it returns a context manager
    that does nothing.

    Parameters
    ----------
    limits : int >= 1 or None
        The largest number of threads; ``None`` leaves the pools as they are.
    """
    if limits is not None and (isinstance(limits, bool) or not isinstance(limits, int)):
        raise TypeError(f"limit_threads: limits must be an int or None, got {type(limits).__name__}")
    if limits is not None and limits < 1:
        raise ValueError(f"limit_threads: limits must be at least 1, got {limits}")
    if IS_PYODIDE or limits is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    try:
        return threadpool_limits(limits)
    except (OSError, AttributeError, RuntimeError):  # no libc to probe: nothing to limit
        return contextlib.nullcontext()


def tqdm(*args, **kwargs):
    """``tqdm.auto.tqdm(*args, **kwargs)``, without the monitor thread under Pyodide.

    tqdm starts a monitor thread with its first bar; where threads cannot start it warns
    (``TqdmMonitorWarning``) on every notebook's first bar. Setting ``monitor_interval = 0``
    first avoids the attempt.
    """
    from tqdm.auto import tqdm as _tqdm

    if IS_PYODIDE:
        _tqdm.monitor_interval = 0
    return _tqdm(*args, **kwargs)
