"""Run learner code safely: a time limit that cannot hang the notebook, and readable tracebacks.

:func:`time_limit` is a watchdog. On the main thread of a Linux process (a Jupyter kernel, a
pytest run) it uses ``signal.setitimer`` and ``SIGALRM``: the handler raises
:class:`TimeLimitExceeded` in the running Python code, and keeps re-raising every 0.1 s in case
the learner's code swallows it with a bare ``except:``. Elsewhere (a worker thread, Windows, a
timer already in use) it falls back to ``sys.settrace``: a trace function checks the clock on
every line the learner's code executes and raises there. Neither can interrupt one long call
into compiled code (a huge ``np.dot``); it stops at the next Python line. (With the trace
method, catch the exception in a frame outside the traced code: CPython 3.11 may skip the
handlers of the very frame in which a trace function raises. ``check`` always does.)
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback

__all__ = ["TimeLimitExceeded", "time_limit", "learner_traceback"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class TimeLimitExceeded(BaseException):
    """Raised inside learner code when the time limit runs out.

    A ``BaseException`` so that the learner's ``except Exception:`` does not swallow it.
    """


def _can_use_alarm() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    return remaining == 0.0  # someone else's timer is running: do not clobber it


@contextlib.contextmanager
def time_limit(seconds: float | None, method: str = "auto"):
    """Raise :class:`TimeLimitExceeded` in the body if it runs longer than ``seconds``.

    ``method`` is ``'auto'`` (alarm where possible, else trace), ``'alarm'`` or ``'trace'``.
    ``seconds=None`` means no limit.
    """
    if seconds is None:
        yield
        return
    if method not in ("auto", "alarm", "trace"):
        raise ValueError(f"time_limit: method must be 'auto', 'alarm' or 'trace', got {method!r}")
    seconds = max(float(seconds), 1e-3)
    if method == "alarm" or (method == "auto" and _can_use_alarm()):
        with _alarm(seconds):
            yield
    else:
        with _trace(seconds):
            yield


@contextlib.contextmanager
def _alarm(seconds: float):
    state = {"active": True}

    def handler(signum, frame):
        if state["active"]:
            raise TimeLimitExceeded(seconds)

    old_handler = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        yield
    finally:
        state["active"] = False
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, old_handler if old_handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def _trace(seconds: float):
    deadline = time.monotonic() + seconds
    state = {"active": True, "count": 0}

    def local(frame, event, arg):
        if state["active"] and event == "line":
            state["count"] += 1
            if (state["count"] & 63) == 0 and time.monotonic() > deadline:
                raise TimeLimitExceeded(seconds)
        return local

    def global_(frame, event, arg):
        if not state["active"]:
            return None
        if frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            return None  # do not slow down (or interrupt) our own helpers
        if time.monotonic() > deadline:
            raise TimeLimitExceeded(seconds)
        return local

    # The body of the ``with`` runs in a frame that already exists: trace it too.
    caller = sys._getframe(1)
    while caller is not None and (caller.f_code.co_filename.startswith(_PACKAGE_DIR)
                                  or caller.f_code.co_filename == contextlib.__file__):
        caller = caller.f_back
    old = sys.gettrace()
    old_caller_trace = caller.f_trace if caller is not None else None
    sys.settrace(global_)
    if caller is not None:
        caller.f_trace = local
    try:
        yield
    finally:
        state["active"] = False
        sys.settrace(old)
        if caller is not None:
            caller.f_trace = old_caller_trace


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep)


def learner_traceback(exc: BaseException) -> str:
    """Format ``exc`` with only the learner's frames (frames inside cnncourse.exercises removed)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_ours(f.filename)]
    lines = []
    if frames:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames))
    if isinstance(exc, TimeLimitExceeded):
        lines.append("(stopped here by the time limit)\n")
    else:
        lines.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(lines).rstrip("\n")
