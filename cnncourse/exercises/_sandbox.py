"""Run learner code where it cannot hang, flood or kill the notebook.

Two checking modes (see :func:`checking_mode`):

``'isolated'`` (Linux)
    The answer runs in a forked child process, one child for all cases of a check. The child
    ignores the notebook's interrupt, has its address space capped (``RLIMIT_AS``, see
    :data:`MEMORY_LIMIT`), prints into a bounded buffer, and streams each case's result (and
    the inputs after the call, for the in-place check) back through a pipe. At the time limit
    the child is stopped (a soft ``SIGALRM`` first, for the line where it was stopped, then
    ``SIGKILL`` after :data:`GRACE` seconds), so ``check`` returns within the limit plus a
    fraction of a second whatever the answer does, ``os._exit()`` and crashes included.
``'in-process'`` (macOS, Windows, Pyodide, or when chosen with :func:`set_checking_mode`)
    The answer runs in the notebook's own process under the :func:`time_limit` watchdog, with
    its output captured and cut. A single long call into compiled code can overrun the limit,
    and an answer can tamper with the process (``os._exit`` ends the kernel).

In both modes the answer runs with the ``cnncourse`` package (and numpy's namespace) as
imported, whatever a notebook cell rebound, and under numpy's default floating-point error
handling, whatever ``np.seterr`` set.

:func:`time_limit` is the watchdog. On the main thread (POSIX) it uses ``SIGALRM``; elsewhere
``sys.settrace``, plus a watchdog thread that raises asynchronously in the checked thread (so
even a one-line ``while True: pass``, which emits no line events, is stopped). After the
deadline it raises again on every line the learner's code executes, so a bare ``except:`` retry
loop cannot swallow it.

About 800 lines, in one module on purpose: both modes share the case protocol, the stop rules
and the verdict on what an answer did (raised, printed, timed out, was killed); the guarantees
the how-to-use page states are read off this one file.
"""
from __future__ import annotations

import builtins
import contextlib
import copy
import io
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

try:  # imported here, not in the forked child: an import there could wait on a lock that
    import resource  # another thread of the kernel held at the fork
except ImportError:  # pragma: no cover - Windows
    resource = None

import numpy as np

from ._compare import Opaque
from ._core import pristine

_np_errstate = np.errstate

__all__ = ["TimeLimitExceeded", "time_limit", "learner_traceback", "checking_mode",
           "set_checking_mode", "MODES", "run_calls", "cut"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
MODES = ("isolated", "in-process")
_STATE = {"mode": "auto"}
MEMORY_LIMIT = 1024 ** 3  # bytes the child may allocate beyond what it inherits
GRACE = 1.0  # seconds between the soft stop and the kill of the child (time to report where)
OUTPUT_KEEP = 4000  # characters of printed output kept for the verdict
MESSAGE_CHARS = 300  # an exception message in a summary line is cut to this
TRACEBACK_CHARS = 3000


class TimeLimitExceeded(BaseException):
    """Raised inside learner code when the time limit runs out.

    A ``BaseException`` so that the learner's ``except Exception:`` does not swallow it.

    Made in the thread it is raised in, it re-arms that thread's time-limit tracing (see
    ``_REARM``): CPython turns tracing off for a thread when an exception lands inside a trace
    function, and a bare ``except:`` retry loop would then catch every later one.
    """

    def __init__(self, *args):
        super().__init__(*args)
        expired = _REARM.get(threading.get_ident())
        if expired is not None and expired.state["active"]:
            with contextlib.suppress(Exception):
                expired.install(sys._getframe(1))


# thread id -> the _Expired of its time limit, once that limit has passed (the in-process,
# trace-based watchdog only)
_REARM: dict = {}


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... [{len(text) - limit:,} more characters cut]"


# --------------------------------------------------------------------------- modes

def _fork_usable() -> bool:
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and sys.platform != "emscripten")


def checking_mode() -> str:
    """The mode :func:`check` uses now: ``'isolated'`` (a forked child) or ``'in-process'``."""
    mode = _STATE["mode"]
    if mode == "auto":
        mode = os.environ.get("CNNCOURSE_CHECKING", "auto")
    if mode == "in-process" or not _fork_usable():
        return "in-process"
    return "isolated"


def set_checking_mode(mode: str = "auto") -> None:
    """Choose how answers run: ``'auto'`` (isolated where processes can be forked safely,
    Linux), ``'isolated'`` or ``'in-process'``."""
    if mode not in ("auto",) + MODES:
        raise ValueError(f"set_checking_mode: mode must be 'auto', 'isolated' or 'in-process', got {mode!r}")
    if mode == "isolated" and not _fork_usable():
        raise ValueError(f"set_checking_mode: the isolated mode needs os.fork on Linux; this is {sys.platform}")
    _STATE["mode"] = mode


# --------------------------------------------------------------------------- the watchdog

def _can_use_alarm() -> bool:
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return False
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    return remaining == 0.0  # someone else's timer is running: do not clobber it


def _ours(frame) -> bool:
    filename = frame.f_code.co_filename
    return filename.startswith(_PACKAGE_DIR) or filename == contextlib.__file__


class _Expired:
    """The trace function used after the deadline: on every line (and call) of the learner's
    code, post :class:`TimeLimitExceeded` to this thread again.

    Posting (an asynchronous exception, raised at the next bytecode boundary) rather than
    raising from the trace function keeps the trace installed: CPython turns tracing off when a
    trace function raises. So a bare ``except:`` around a retry loop catches one exception and
    gets the next on its very next line. Where async exceptions are unavailable it raises.
    """

    def __init__(self, seconds: float, state: dict, stop_frame=None):
        self.seconds, self.state, self.stop_frame = seconds, state, stop_frame
        self.raiser = _async_raiser()

    def __call__(self, frame, event, arg):
        if not self.state["active"] or _ours(frame):
            return None
        if event in ("line", "call", "opcode"):
            self.state["count"] = self.state.get("count", 0) + 1  # the watchdog sees lines run
            self.fire()
        return self

    def fire(self) -> None:
        if self.raiser is None:
            raise TimeLimitExceeded(self.seconds)
        self.raiser[0](threading.get_ident(), TimeLimitExceeded)

    def install(self, frame) -> None:
        """Trace the learner's frames of the stack: those below the frame that entered the
        ``with time_limit(...)`` block (``stop_frame``) and below the checker's own frame.

        The frame of the ``with`` itself is left alone: on CPython 3.11, tracing a frame from a
        point inside its ``try`` leaves ``sys.exc_info()`` set after its ``except`` block.
        """
        sys.settrace(self)
        seen_learner = False
        while frame is not None and frame is not self.stop_frame:
            if _ours(frame):
                if seen_learner:
                    break
            else:
                seen_learner = True
                frame.f_trace = self
            frame = frame.f_back

    def cancel(self) -> None:
        if self.raiser is not None:
            _drain()


@contextlib.contextmanager
def time_limit(seconds: float | None, method: str = "auto"):
    """Raise :class:`TimeLimitExceeded` in the body if it runs longer than ``seconds``.

    ``method`` is ``'auto'`` (alarm where possible, else trace), ``'alarm'`` or ``'trace'``.
    ``seconds=None`` means no limit.
    """
    if method not in ("auto", "alarm", "trace"):
        raise ValueError(f"time_limit: method must be 'auto', 'alarm' or 'trace', got {method!r}")
    if seconds is None:
        yield
        return
    seconds = max(float(seconds), 1e-3)
    if method == "alarm" or (method == "auto" and _can_use_alarm()):
        with _alarm(seconds):
            yield
    else:
        with _trace(seconds):
            yield


def _body_frame():
    """The frame running the body of the ``with time_limit(...)`` block."""
    frame = sys._getframe(1)
    while frame is not None and _ours(frame):
        frame = frame.f_back
    return frame


@contextlib.contextmanager
def _alarm(seconds: float):
    state = {"active": True}
    expired = _Expired(seconds, state, _body_frame())
    old_trace = sys.gettrace()

    def handler(signum, frame):
        if state["active"]:
            expired.install(frame)  # from now on every line of the learner's code raises
            raise TimeLimitExceeded(seconds)

    old_handler = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    def shutdown():
        state["active"] = False
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, old_handler if old_handler is not None else signal.SIG_DFL)
        sys.settrace(old_trace)
        expired.cancel()

    try:
        yield
    finally:
        _settle(shutdown)


_RAISER: list = []


def _async_raiser():
    """``(raise_in,)`` using CPython's async exceptions, or ``None`` where unavailable."""
    if not _RAISER:
        _RAISER.append(_make_async_raiser())
    return _RAISER[0]


def _make_async_raiser():
    try:
        import ctypes

        post = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
            ("PyThreadState_SetAsyncExc", ctypes.pythonapi))
    except (ImportError, AttributeError, OSError, TypeError):
        return None

    def raise_in(tid, exc):
        post(tid, exc)

    # Never "clear" with NULL: on CPython 3.11 that leaves the eval breaker set with nothing to
    # raise, and the thread spins. A pending exception is drained instead (see _drain).
    return (raise_in,)


def _drain() -> None:
    """Let an exception posted to this thread (and not yet raised) be raised, and drop it."""
    try:
        for _ in range(4):  # each backward jump checks for pending exceptions
            pass
    except TimeLimitExceeded:
        pass


@contextlib.contextmanager
def _trace(seconds: float):
    deadline = time.monotonic() + seconds
    state = {"active": True, "count": 0}
    caller = _body_frame()
    expired = _Expired(seconds, state, caller)

    # A one-line loop (``while True: pass``) emits no line events: a watchdog thread raises in
    # this thread asynchronously once the deadline has passed, every 20 ms until the body
    # exits -- but only while no line runs. While lines run, the trace functions stop the body
    # themselves; an exception posted from outside could land inside a trace function, and
    # CPython turns tracing off for good when one raises, which would leave a bare ``except:``
    # retry loop nothing but the watchdog's exceptions to swallow, forever.
    stop = threading.Event()
    raiser = expired.raiser
    tid = threading.get_ident()
    watchdog = None
    if raiser is not None:
        def watch():
            if stop.wait(max(0.0, deadline - time.monotonic())):
                return
            _REARM[tid] = expired
            last = state["count"]
            while not stop.wait(0.02):
                if state["count"] == last:  # no line event for 20 ms: nothing traced runs
                    raiser[0](tid, TimeLimitExceeded)
                last = state["count"]

        try:
            watchdog = threading.Thread(target=watch, name="cnncourse-watchdog", daemon=True)
            watchdog.start()
        except RuntimeError:  # no threads here (Pyodide): trace opcodes too
            watchdog = None
    if watchdog is None:
        state["opcodes"] = True

    def local(frame, event, arg):
        if not state["active"]:
            return None
        if event == "line" or event == "opcode":
            state["count"] += 1
            if (state["count"] & 63) == 0 and time.monotonic() > deadline:
                expired.install(frame)
                expired.fire()
                return expired
        return local

    def global_(frame, event, arg):
        if not state["active"] or _ours(frame):
            return None  # do not slow down (or interrupt) our own helpers
        if time.monotonic() > deadline:
            expired.install(frame)
            expired.fire()
            return expired
        if state.get("opcodes"):
            frame.f_trace_opcodes = True  # no watchdog thread: count opcodes, not only lines
        return local

    # The body of the ``with`` runs in a frame that already exists: trace it too.
    old = sys.gettrace()
    old_caller_trace = caller.f_trace if caller is not None else None
    if caller is not None:
        caller.f_trace = local
        if state.get("opcodes"):
            caller.f_trace_opcodes = True
    sys.settrace(global_)
    def shutdown():
        state["active"] = False
        stop.set()
        _REARM.pop(tid, None)
        sys.settrace(old)
        if watchdog is not None:
            watchdog.join()  # it posts nothing more once it has seen `stop`
        expired.cancel()  # drop an exception posted but not yet raised
        if caller is not None:
            caller.f_trace = old_caller_trace
            if state.get("opcodes"):
                caller.f_trace_opcodes = False

    try:
        yield
    finally:
        _settle(shutdown)


def _settle(shutdown) -> None:
    """Run ``shutdown`` to the end: an exception posted just before it may land inside it
    (it is the time limit of the body that just ended), so run it again until it completes."""
    for _ in range(1000):
        try:
            shutdown()
            return
        except TimeLimitExceeded:
            continue


def _is_ours(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep)


def learner_traceback(exc: BaseException) -> str:
    """Format ``exc`` with only the learner's frames (frames inside cnncourse.exercises removed)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_ours(f.filename)]
    lines = []
    if frames:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames[-20:]))
    if isinstance(exc, TimeLimitExceeded):
        lines.append("(stopped here by the time limit)\n")
    else:
        try:
            only = "".join(traceback.format_exception_only(type(exc), exc))
        except Exception:  # noqa: BLE001 - an exception whose __str__ fails
            only = f"{type(exc).__name__}: (its message could not be shown)\n"
        lines.append(cut(only.rstrip("\n"), MESSAGE_CHARS * 3) + "\n")
    return cut("".join(lines).rstrip("\n"), TRACEBACK_CHARS)


def first_line(exc: BaseException) -> str:
    try:
        text = str(exc).strip().splitlines()
    except Exception:  # noqa: BLE001
        text = []
    return cut(text[0], MESSAGE_CHARS) if text else "(no message)"


# --------------------------------------------------------------------------- running the cases

@dataclass
class Outcome:
    """What one call of the answer did."""

    index: int
    returned: bool  # False: it raised
    got: Any = None
    args_after: Any = None  # (args, kwargs) after the call, for the in-place check
    exc_type: str = ""
    exc_message: str = ""
    traceback: str = ""
    not_implemented: bool = False
    memory: bool = False


@dataclass
class Report:
    """What a whole run did: one :class:`Outcome` per finished case, then how it ended."""

    mode: str
    outcomes: list = field(default_factory=list)
    stopped: str = ""  # '' | 'timeout' | 'crashed' | 'interrupted-stub'
    stopped_at: int = -1  # the case running when it was stopped
    stop_traceback: str = ""
    crash: str = ""  # how the child ended ("os._exit(3)", "signal SIGSEGV", ...)
    output: str = ""  # the first characters printed
    output_chars: int = 0
    output_lines: int = 0
    seconds: float = 0.0


class _Capture(io.TextIOBase):
    """A stdout/stderr that keeps the first characters, counts the rest, and may forward them."""

    def __init__(self, counts, forward=None):
        self.counts, self.forward = counts, forward

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        counts = self.counts
        room = OUTPUT_KEEP - counts["kept"]
        if room > 0:
            piece = text[:room]
            counts["kept"] += len(piece)
            counts["text"].append(piece)
            if self.forward is not None:
                self.forward(piece)
        counts["chars"] += len(text)
        counts["lines"] += text.count("\n")
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def _copy(value):
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an uncopyable learner object: keep it as it is
        return value


def _stub_end(outcome: Outcome, expected_first) -> bool:
    """Whether the first case shows an untouched stub (no need to run the other cases)."""
    if outcome.index != 0:
        return False
    if not outcome.returned:
        return outcome.not_implemented
    return expected_first is not None and (outcome.got is None or outcome.got is Ellipsis)


def _outcome_of(index, exc) -> Outcome:
    return Outcome(index, False, exc_type=type(exc).__name__, exc_message=first_line(exc),
                   traceback=learner_traceback(exc),
                   not_implemented=isinstance(exc, NotImplementedError),
                   memory=isinstance(exc, MemoryError))


def run_calls(answer, calls, limit: float | None, expected_first=None) -> Report:
    """Call ``answer(*args, **kwargs)`` for each ``(args, kwargs)`` of ``calls`` within ``limit``
    seconds for all of them together, in the current :func:`checking_mode`."""
    if checking_mode() == "isolated":
        return _run_forked(answer, calls, limit, expected_first)
    return _run_in_process(answer, calls, limit, expected_first)


# ----- in-process

class _SigintWatch:
    """Tell the learner's own ``raise KeyboardInterrupt`` from the stop button's SIGINT."""

    def __init__(self):
        self.hit = False
        self.old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            try:
                self.old = signal.getsignal(signal.SIGINT)

                def handler(signum, frame):
                    if self.old == signal.SIG_IGN:
                        return
                    self.hit = True
                    if callable(self.old):
                        self.old(signum, frame)
                    raise KeyboardInterrupt

                signal.signal(signal.SIGINT, handler)
            except (ValueError, OSError, TypeError):
                self.old = None
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(signal.SIGINT, self.old)
        return False


def _run_in_process(answer, calls, limit, expected_first) -> Report:
    report = Report("in-process")
    counts = {"kept": 0, "chars": 0, "lines": 0, "text": []}
    out = _Capture(counts)
    start = time.monotonic()
    deadline = None if limit is None else start + limit
    try:
        with _SigintWatch() as sigint, pristine():
            for i, (args, kwargs) in enumerate(calls):
                remaining = None if deadline is None else deadline - time.monotonic()
                try:
                    if remaining is not None and remaining <= 0:
                        raise TimeLimitExceeded(limit)
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), \
                            _default_errstate(), time_limit(remaining):
                        got = answer(*args, **kwargs)
                except TimeLimitExceeded as exc:
                    report.stopped, report.stopped_at = "timeout", i
                    report.stop_traceback = learner_traceback(exc)
                    break
                except KeyboardInterrupt:
                    if sigint.hit:
                        raise  # the learner pressed the stop button: stop the check as usual
                    outcome = _outcome_of(i, sys.exc_info()[1])
                except BaseException as exc:  # noqa: BLE001 - report, never raise
                    outcome = _outcome_of(i, exc)
                else:
                    # captured now: a later call must not change what this one returned
                    outcome = Outcome(i, True, got=_copy(got), args_after=_copy((args, kwargs)))
                report.outcomes.append(outcome)
                if _stub_end(outcome, expected_first):
                    break
    finally:
        _finish_output(report, counts)
        report.seconds = time.monotonic() - start
    return report


@contextlib.contextmanager
def _default_errstate():
    """The learner's code runs under numpy's default floating-point error handling, whatever an
    earlier cell set with ``np.seterr``."""
    with _np_errstate(divide="warn", over="warn", under="ignore", invalid="warn"):
        yield


def _finish_output(report: Report, counts) -> None:
    report.output = "".join(counts["text"])
    report.output_chars = counts["chars"]
    report.output_lines = counts["lines"] + (1 if counts["chars"] and not report.output.endswith("\n") else 0)


# ----- isolated (forked child)

_HEADER = struct.Struct("<Q")


def _send(fd, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = _HEADER.pack(len(data)) + data
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class _SafeUnpickler(pickle.Unpickler):
    """Unpickle only data (numpy, builtins, cnncourse): a learner's class comes back as a
    description, so unpickling cannot run the learner's code in the notebook's process."""

    _BUILTINS = {"list", "tuple", "dict", "set", "frozenset", "complex", "slice", "range",
                 "bytearray", "bytes", "int", "float", "bool", "str", "object", "getattr",
                 "Ellipsis", "NotImplemented"}

    def find_class(self, module, name):
        top = module.split(".")[0]
        if (top in ("numpy", "cnncourse", "collections", "copyreg", "_codecs")
                or (module == "builtins" and name in self._BUILTINS)):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def _loads(data: bytes, what: str):
    try:
        return _SafeUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as err:
        return Opaque(f"an object of type {err} (the checker only takes back numbers, strings, "
                      "arrays, tuples, lists, sets and dicts from your function)")
    except Exception as err:  # noqa: BLE001
        return Opaque(f"{what} that could not be read back ({type(err).__name__})")


def _child(answer, calls, limit, expected_first, fd) -> None:
    """The forked child: run every case, stream the results, never return."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the stop button is the parent's business
    with contextlib.suppress(Exception):
        null = os.open(os.devnull, os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(null, target)  # C-level output and input go nowhere
    with contextlib.suppress(Exception):
        used = _address_space()
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = used + MEMORY_LIMIT
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    _quiet_the_kernel()

    def forward(piece):
        for k in range(0, len(piece), 500):  # small messages: one atomic write each
            _send(fd, ("out", piece[k:k + 500]))

    counts = {"kept": 0, "chars": 0, "lines": 0, "text": []}
    out = _Capture(counts, forward)
    sys.stdout = sys.stderr = out
    sys.stdin = io.StringIO("")

    def no_input(*args, **kwargs):
        raise RuntimeError("input() is not available while your answer is checked")

    builtins.input = no_input
    pristine().__enter__()  # the package as imported, whatever a cell rebound (never undone here)
    deadline = None if limit is None else time.monotonic() + limit
    for i, (args, kwargs) in enumerate(calls):
        remaining = None if deadline is None else deadline - time.monotonic()
        _send(fd, ("start", i, counts["chars"], counts["lines"]))
        try:
            if remaining is not None and remaining <= 0:
                raise TimeLimitExceeded(limit)
            with _default_errstate(), time_limit(remaining):
                got = answer(*args, **kwargs)
        except TimeLimitExceeded as exc:
            _send(fd, ("timeout", i, learner_traceback(exc), counts["chars"], counts["lines"]))
            return
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt, SystemExit, custom ones
            outcome = _outcome_of(i, exc)
            message = ("case", i, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL), b"", b"")
        else:
            outcome = Outcome(i, True)
            try:
                got_bytes = pickle.dumps(got, protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001
                got_bytes = pickle.dumps(Opaque(f"an object of type {type(got).__name__} "
                                                f"(it cannot be pickled: {first_line(exc)})"))
            try:
                after_bytes = pickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # noqa: BLE001
                after_bytes = b""
            message = ("case", i, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL),
                       got_bytes, after_bytes)
            if i == 0:
                outcome.got = got  # only for the stub test below
        _send(fd, message + (counts["chars"], counts["lines"]))
        if _stub_end(outcome, expected_first):
            break
    _send(fd, ("done", counts["chars"], counts["lines"]))


def _address_space() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _quiet_the_kernel() -> None:
    """In the child, nothing may talk to the Jupyter kernel's sockets or open a window."""
    with contextlib.suppress(Exception):
        if "matplotlib" in sys.modules:
            import matplotlib

            matplotlib.use("agg", force=True)
    with contextlib.suppress(Exception):
        if "IPython" in sys.modules:
            ip = sys.modules["IPython"].get_ipython()
            if ip is not None and getattr(ip, "display_pub", None) is not None:
                ip.display_pub.publish = lambda *args, **kwargs: None


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return f"it was killed by signal {name}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"it ended the process with exit status {code} (os._exit or a crash)"


def _run_forked(answer, calls, limit, expected_first) -> Report:
    report = Report("isolated")
    start = time.monotonic()
    soft = None if limit is None else start + limit
    hard = None if limit is None else soft + GRACE
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be written twice
        with contextlib.suppress(Exception):
            stream.flush()
    _async_raiser()  # ctypes is imported here, not in the child
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded, use of fork()"
        pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            os.close(r)
            _child(answer, calls, limit, expected_first, w)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(w)
    buffer = bytearray()
    text, running, ended = [], -1, False
    chars = lines = 0
    status = None
    try:
        while True:
            timeout = None if hard is None else hard - time.monotonic()
            if timeout is not None and timeout <= 0:
                report.stopped, report.stopped_at = "timeout", running
                break
            ready, _, _ = select.select([r], [], [], timeout)
            if not ready:
                continue
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            while len(buffer) >= _HEADER.size:
                (size,) = _HEADER.unpack_from(buffer)
                if len(buffer) < _HEADER.size + size:
                    break
                message = pickle.loads(bytes(buffer[_HEADER.size:_HEADER.size + size]))
                del buffer[:_HEADER.size + size]
                kind = message[0]
                if kind == "out":
                    text.append(message[1])
                elif kind == "start":
                    running, chars, lines = message[1], message[2], message[3]
                elif kind == "case":
                    _, i, outcome_bytes, got_bytes, after_bytes, chars, lines = message
                    outcome = pickle.loads(outcome_bytes)
                    if outcome.returned:
                        outcome.got = _loads(got_bytes, "a result")
                        outcome.args_after = _loads(after_bytes, "the inputs") if after_bytes else None
                    report.outcomes.append(outcome)
                elif kind == "timeout":
                    _, i, tb, chars, lines = message
                    report.stopped, report.stopped_at, report.stop_traceback = "timeout", i, tb
                    ended = True
                elif kind == "done":
                    _, chars, lines = message
                    ended = True
            if ended:
                break
    finally:
        os.close(r)
        if not ended:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            _, status = os.waitpid(pid, 0)
        report.seconds = time.monotonic() - start
    if not ended and not report.stopped:
        report.stopped, report.stopped_at = "crashed", running
        report.crash = _describe_status(status) if status is not None else "it ended unexpectedly"
    report.output = "".join(text)
    chars = max(chars, len(report.output))  # a crash leaves only what was forwarded
    lines = max(lines, report.output.count("\n"))
    report.output_chars, report.output_lines = chars, lines + (
        1 if chars and not report.output.endswith("\n") else 0)
    return report
