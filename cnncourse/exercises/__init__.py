"""Exercises with automatic checking: ``check``, ``hint``, ``solution``, ``progress``.

In a notebook::

    from cnncourse.exercises import check, hint, solution

    def correlate2d_valid(x, k):
        ...                      # your code
    check("first.correlate2d-valid", correlate2d_valid)

``check`` runs your answer on every test case (fixed edge cases, then seeded random ones) and
returns a :class:`Result` whose ``status`` is ``'correct'``, ``'incorrect'``, ``'error'``,
``'timeout'`` or ``'not attempted'``. It shows the smallest failing case in full and, when the
answer matches a known mistake, a hint aimed at it. ``hint(id)`` reveals hints one at a time,
``solution(id)`` shows the worked solution, ``run_solution(id)`` shows it, runs it and checks it
(recording nothing), ``progress()`` the exercises passed per chapter. ``checking_mode()`` says
how answers run ('isolated' in a separate process on Linux, else 'in-process').

Chapter authors register exercises in ``cnncourse/exercises/<chapter>.py`` with
:func:`register` (see :class:`Exercise`); every module of this package is imported
automatically, so a new file registers itself.
"""
from __future__ import annotations

import importlib
import pkgutil
import warnings

from . import _core, _progress
from ._check import (Result, check, get_timeout, hint, reset_hints, run_solution, set_timeout,
                     solution)
from ._compare import compare, fmt
from ._core import KINDS, Case, Exercise, Mistake, exercises, get, register
from ._display import Message
from ._sandbox import TimeLimitExceeded, checking_mode, set_checking_mode, time_limit

__all__ = [
    "check", "hint", "solution", "run_solution", "checking_mode", "set_checking_mode", "progress", "reset_progress", "set_timeout", "get_timeout",
    "Result", "Exercise", "Case", "Mistake", "register", "get", "exercises", "KINDS",
    "compare", "fmt", "time_limit", "TimeLimitExceeded", "reset_hints", "Message",
]


class Progress(Message):
    """The table shown by :func:`progress`; ``.passed`` is ``{chapter: (passed, total)}``."""

    def __init__(self, rows, path: str):
        self.passed = {chapter: (p, t) for chapter, p, t, _ in rows}
        n_pass = sum(p for _, p, _, _ in rows)
        n_total = sum(t for _, _, t, _ in rows)
        width = max([len("chapter")] + [len(c) for c, *_ in rows])
        lines = [f"{'chapter'.ljust(width)}  passed  still to do"]
        for chapter, p, t, todo in rows:
            lines.append(f"{chapter.ljust(width)}  {f'{p}/{t}'.rjust(6)}  {', '.join(todo) or '-'}")
        super().__init__(f"Progress: {n_pass} of {n_total} exercises passed",
                         [("pre", "\n".join(lines)), ("p", f"(kept in {path})")],
                         style="correct" if n_total and n_pass == n_total else "info")


# The book's order (see _toc.yml); chapters not listed here come after, in registration order.
CHAPTER_ORDER = ("first-convolution", "why-convolutions", "convolution", "padding-stride",
                 "activations-pooling", "backprop", "training", "modern-cnns", "applications")


def progress() -> Progress:
    """Which exercises you have passed: a table by chapter (passed/total, and what is left)."""
    done = _progress.load()
    rows, chapters = [], {}
    for ex in exercises():
        chapters.setdefault(ex.chapter, []).append(ex)
    known = {c: i for i, c in enumerate(CHAPTER_ORDER)}
    ordered = sorted(chapters.items(), key=lambda item: known.get(item[0], len(known)))
    for chapter, exs in ordered:
        todo = [e.id for e in exs if e.id not in done]
        rows.append((chapter, len(exs) - len(todo), len(exs), todo))
    return Progress(rows, _progress.progress_path())


def reset_progress() -> None:
    """Forget every recorded pass."""
    _progress.reset()


# Import every chapter module of this package so that its exercises register themselves.
_IMPORT_ERRORS: dict[str, BaseException] = {}


def _import_chapters() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        try:
            importlib.import_module(f"{__name__}.{info.name}")
        except Exception as err:  # noqa: BLE001 - one broken chapter must not break the others
            _IMPORT_ERRORS[info.name] = err
            warnings.warn(f"cnncourse.exercises: could not import chapter module {info.name!r}: "
                          f"{type(err).__name__}: {err}", stacklevel=3)


_import_chapters()
_core.snapshot_modules()
