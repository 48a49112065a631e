"""``check``, ``hint`` and ``solution``: verdicts on a learner's answer.

Verdicts (``Result.status``):

``'correct'``
    Every case gave the reference's answer (within the stated tolerance) and no input was
    modified. The message says what was tested.
``'incorrect'``
    The code ran but an answer was wrong: a wrong value, type, shape or dtype, or an input
    modified in place. The smallest failing case is shown in full, with a targeted hint when
    the answer matches a known mistake.
``'error'``
    The learner's code raised an exception. The verdict comes first, then the traceback with
    only the learner's own frames.
``'timeout'``
    The code ran longer than the time limit (default 5 s, see :func:`set_timeout`) and was
    stopped, with the line where it was stopped.
``'not attempted'``
    The stub is untouched: it raises ``NotImplementedError`` or returns ``None``/``...``, or an
    answer variable is still ``None``/``...``.

``check`` never raises because of the learner's code; only an unknown exercise id raises
``KeyError`` (a typo in the notebook, not in the answer).
"""
from __future__ import annotations

import copy
import inspect
import re
import textwrap
import time
import warnings
from collections import Counter

import numpy as np

from . import _progress
from ._compare import compare, describe_type, fmt, same
from ._core import Exercise, _choice_set, get
from ._display import Message
from ._sandbox import TimeLimitExceeded, learner_traceback, time_limit

__all__ = ["Result", "check", "hint", "solution", "set_timeout", "get_timeout", "reset_hints"]

STATUSES = ("correct", "incorrect", "error", "timeout", "not attempted")
_ICON = {"correct": "✓ Correct", "incorrect": "✗ Incorrect", "error": "✗ Error",
         "timeout": "✗ Time limit exceeded", "not attempted": "○ Not attempted"}
_CONFIG = {"timeout": 5.0}
_HINTS_SHOWN: dict[str, int] = {}


def set_timeout(seconds: float | None) -> None:
    """Set the default time limit of :func:`check` in seconds (``None``: no limit)."""
    if seconds is not None and not seconds > 0:
        raise ValueError(f"set_timeout: seconds must be positive or None, got {seconds!r}")
    _CONFIG["timeout"] = seconds


def get_timeout() -> float | None:
    """The default time limit of :func:`check` in seconds."""
    return _CONFIG["timeout"]


class Result(Message):
    """The verdict of :func:`check`.

    Attributes
    ----------
    exercise_id, title : str
    status : {'correct', 'incorrect', 'error', 'timeout', 'not attempted'}
    passed : bool
        ``status == 'correct'``.
    message : str
        The full plain-text verdict (the same as ``str(result)``).
    details : str
        What failed: the case, expected and got (empty when correct).
    hint : str
        The targeted hint for a recognised mistake ('' if none).
    traceback : str
        The learner's frames of the exception ('' if none).
    tested : str
        What was tested ("11 cases: square image, ...").
    """

    def __init__(self, exercise: Exercise, status: str, summary: str, details: str = "",
                 hint: str = "", traceback: str = "", tested: str = ""):
        assert status in STATUSES, status
        self.exercise_id = exercise.id
        self.title = exercise.title
        self.status = status
        self.summary = summary
        self.details = details
        self.hint = hint
        self.traceback = traceback
        self.tested = tested
        blocks = [("p", summary), ("pre", details)]
        if hint:
            blocks.append(("p", f"Hint: {hint}"))
        if traceback:
            blocks.append(("pre", traceback))
        if status != "correct":
            blocks.append(("p", f'More help: hint("{exercise.id}") reveals a hint, '
                                f'solution("{exercise.id}") the worked solution.'))
        super().__init__(f"{_ICON[status]}: {exercise.id} ({exercise.title})", blocks, style=status)

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    @property
    def message(self) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return self.passed


def check(exercise_id: str, answer, *, timeout: float | None = None, record: bool = True) -> Result:
    """Check ``answer`` for the exercise ``exercise_id`` and return a :class:`Result`.

    Parameters
    ----------
    exercise_id : str
        e.g. ``"first.correlate2d-valid"``.
    answer : function or value
        The learner's function (``'function'`` exercises), value, or chosen option key(s).
    timeout : float, optional
        Time limit in seconds for this call (default: the exercise's, else :func:`get_timeout`).
    record : bool
        Record a pass in the progress file (see :func:`progress`).

    Examples
    --------
    >>> from cnncourse.exercises import check
    >>> def correlate2d_valid(x, k):
    ...     raise NotImplementedError
    >>> check("first.correlate2d-valid", correlate2d_valid).status
    'not attempted'
    """
    ex = get(exercise_id)
    limit = timeout if timeout is not None else (ex.timeout if ex.timeout is not None else _CONFIG["timeout"])
    if ex.kind == "function":
        result = _check_function(ex, answer, limit)
    elif ex.kind == "value":
        result = _check_value(ex, answer)
    else:
        result = _check_choice(ex, answer)
    if result.passed and record:
        try:
            _progress.record_pass(ex.id)
        except Exception as err:  # noqa: BLE001 - progress must never break a check
            warnings.warn(f"cnncourse.exercises: could not record progress ({err})", stacklevel=2)
    return result


# --------------------------------------------------------------------------- function exercises

def _arg_names(fn, n: int) -> list[str]:
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(n)]


def _call_text(name: str, case, argnames) -> str:
    pairs = list(zip(argnames, case.args)) + list(case.kwargs.items())
    shown = [(k, fmt(v)) for k, v in pairs]
    inline = ", ".join(f"{k}={v}" for k, v in shown)
    if all("\n" not in v for _, v in shown) and len(inline) <= 70:
        return f"{name}({inline})"
    lines = [f"{name}("]
    for k, v in shown:
        lines.append(f"  {k}=" + textwrap.indent(v, " " * (len(k) + 3))[len(k) + 3:] + ",")
    lines.append(")")
    return "\n".join(lines)


def _size(case) -> int:
    total = 0
    for v in list(case.args) + list(case.kwargs.values()):
        total += int(v.size) if isinstance(v, np.ndarray) else 1
    return total


def _group(cases) -> str:
    counts = Counter(c.description or "unnamed case" for c in cases)
    parts = [d if n == 1 else f"{n} x {d}" for d, n in counts.items()]
    word = "case" if len(cases) == 1 else "cases"
    return f"Tested {len(cases)} {word}: " + ", ".join(parts) + "."


def _not_attempted(ex, why: str) -> Result:
    return Result(ex, "not attempted", why)


def _check_function(ex: Exercise, answer, limit) -> Result:
    if answer is None or answer is Ellipsis:
        return _not_attempted(ex, "The answer is still None: write the function, then pass it "
                                  "to check().")
    if not callable(answer):
        return Result(ex, "incorrect", f"Expected a function, got {describe_type(answer)}. "
                                       "Pass the function itself, without calling it.")
    cases = list(ex.cases(np.random.default_rng(ex.seed)))
    fname = getattr(answer, "__name__", "your_function")
    argnames = _arg_names(ex.reference, max([len(c.args) for c in cases] + [0]))
    deadline = None if limit is None else time.monotonic() + limit
    runs = []  # (index, case, expected, got, problem) for every case run
    failures = []
    timed_out = None
    for i, case in enumerate(cases):
        expected = ex.reference(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
        args, kwargs = copy.deepcopy(case.args), copy.deepcopy(dict(case.kwargs))
        pristine = copy.deepcopy((case.args, dict(case.kwargs)))
        remaining = None if deadline is None else deadline - time.monotonic()
        try:
            if remaining is not None and remaining <= 0:
                raise TimeLimitExceeded(limit)
            with time_limit(remaining):
                got = answer(*args, **kwargs)
        except TimeLimitExceeded as exc:
            timed_out = (i, case, exc)
            break
        except NotImplementedError as exc:
            if i == 0:
                return _not_attempted(ex, "Your function still raises NotImplementedError: replace "
                                          "that line with your code, then run the cell again.")
            failures.append((i, case, expected, exc, "exception"))
            continue
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - report, never raise
            failures.append((i, case, expected, exc, "exception"))
            continue
        if i == 0 and (got is None or got is Ellipsis) and expected is not None:
            return _not_attempted(ex, f"Your function returned {'None' if got is None else '...'}: "
                                      "did you forget a `return`, or is it still the stub?")
        problem = compare(expected, got, ex.rtol, ex.atol, ex.check_dtype)
        if problem is not None and got is None:
            problem += " (did you forget a `return`?)"
        changed = [name for name, before, after in
                   zip(argnames[:len(args)] + list(kwargs), list(pristine[0]) + list(pristine[1].values()),
                       list(args) + list(kwargs.values())) if not same(before, after)]
        if changed:
            what = ", ".join(f"`{n}`" for n in changed)
            mutation = (f"your function modified its input {what} in place; work on a copy "
                        f"(e.g. {changed[0]} = {changed[0]}.copy()) or write into a new array")
            problem = mutation if problem is None else f"{mutation}; also, {problem}"
        runs.append((i, case, expected, got))
        if problem is not None:
            failures.append((i, case, expected, got, problem))

    n = len(cases)
    if not failures and timed_out is not None:
        i, case, exc = timed_out
        return Result(
            ex, "timeout",
            f"Your function did not finish case {i + 1} of {n} ({case.description}) within "
            f"{limit:g} s and was stopped. An infinite loop (a `while` whose condition never "
            "becomes false)? Or a loop much longer than needed?",
            _call_text(fname, case, argnames), traceback=learner_traceback(exc))
    if not failures:
        return Result(ex, "correct", _group(cases), tested=_group(cases))

    i, case, expected, got, problem = min(failures, key=lambda f: (_size(f[1]), f[0]))
    where = f"case {i + 1} of {n} ({case.description})"
    smallest = " — the smallest failing case" if len(failures) > 1 else ""
    also = ""
    if timed_out is not None:
        also = f" (Also, case {timed_out[0] + 1} ran past the time limit of {limit:g} s.)"
    if problem == "exception":
        exc = got
        summary = (f"Your function raised {type(exc).__name__} on {where}{smallest}: "
                   f"{_first_line(exc)}{also}")
        return Result(ex, "error", summary, _call_text(fname, case, argnames),
                      traceback=learner_traceback(exc))
    details = "\n".join([
        _call_text(fname, case, argnames),
        "expected: " + textwrap.indent(fmt(expected), " " * 10)[10:],
        "got:      " + textwrap.indent(fmt(got), " " * 10)[10:],
    ])
    summary = f"Wrong answer on {where}{smallest}: {problem}.{also}"
    return Result(ex, "incorrect", summary, details, hint=_function_mistake(ex, case, expected, got, runs))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else "(no message)"


def _matches(ex, mistake, case, expected, got) -> bool:
    try:
        if mistake.when is not None:
            return bool(mistake.when(got, expected, case))
        wrong = mistake.wrong(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
        return compare(wrong, got, ex.rtol, ex.atol, check_dtype=False) is None
    except Exception:  # noqa: BLE001 - a mistake that does not apply to this case
        return False


def _function_mistake(ex, case, expected, got, runs) -> str:
    best, best_score = "", 0
    for mistake in ex.mistakes:
        if not _matches(ex, mistake, case, expected, got):
            continue
        score = 1 + sum(_matches(ex, mistake, c, e, g) for _, c, e, g in runs if c is not case)
        if score > best_score:
            best, best_score = mistake.message, score
    return best


# --------------------------------------------------------------------------- value and choice

def _check_value(ex: Exercise, answer) -> Result:
    if answer is None or answer is Ellipsis:
        return _not_attempted(ex, "The answer is still None: replace None with your answer, then "
                                  "run the cell again.")
    if callable(answer) and not isinstance(answer, np.ndarray):
        return Result(ex, "incorrect", f"Expected a value, got {describe_type(answer)}; "
                                       "did you mean to call it?")
    expected = ex.expected_answer()
    problem = compare(expected, answer, ex.rtol, ex.atol, ex.check_dtype, reveal=False)
    if problem is None:
        return Result(ex, "correct", f"{fmt(answer)} is right.", tested="1 value checked")
    found = ""
    for mistake in ex.mistakes:
        try:
            if mistake.when is not None:
                hit = bool(mistake.when(answer, expected, None))
            else:
                hit = compare(mistake.wrong, answer, ex.rtol, ex.atol, check_dtype=False) is None
        except Exception:  # noqa: BLE001
            hit = False
        if hit:
            found = mistake.message
            break
    return Result(ex, "incorrect", f"Not right: {problem}.", hint=found)


_SPLIT = re.compile(r"[\s,;]+")


def _check_choice(ex: Exercise, answer) -> Result:
    if answer is None or answer is Ellipsis:
        return _not_attempted(ex, "The answer is still None: replace None with the key of your "
                                  "choice (e.g. 'a', or {'a', 'c'} when several are right).")
    keys = [str(k) for k in ex.options]
    if isinstance(answer, str):
        chosen = {p.lower() for p in _SPLIT.split(answer.strip()) if p}
    elif isinstance(answer, (set, frozenset, list, tuple)) and all(isinstance(a, str) for a in answer):
        chosen = {a.strip().lower() for a in answer}
    else:
        return Result(ex, "incorrect", f"Expected an option key such as {keys[0]!r} (or a set of "
                                       f"keys), got {describe_type(answer)}.")
    unknown = sorted(chosen - set(keys))
    if unknown or not chosen:
        return Result(ex, "incorrect", f"{', '.join(map(repr, unknown)) or 'Nothing'} is not one "
                                       f"of the options {', '.join(map(repr, keys))}.")
    expected = ex.expected_answer()
    if chosen == expected:
        return Result(ex, "correct", f"{_fmt_keys(chosen)} is right.", tested="1 choice checked")
    messages = []
    for mistake in ex.mistakes:
        try:
            if mistake.when is not None:
                hit = bool(mistake.when(frozenset(chosen), expected, None))
            else:
                wrong = _choice_set(mistake.wrong)
                hit = wrong == chosen if len(wrong) > 1 else wrong <= chosen
        except Exception:  # noqa: BLE001
            hit = False
        if hit:
            messages.append(mistake.message)
    summary = f"{_fmt_keys(chosen)} is not right."
    if len(expected) > 1 and len(chosen) < len(expected) and chosen < expected:
        summary += " Some of your choices are right, but more than one option is; give a set like {'a', 'c'}."
    elif len(expected) > 1:
        summary += " More than one option is right; give them all as a set like {'a', 'c'}."
    return Result(ex, "incorrect", summary, hint=" ".join(messages))


def _fmt_keys(keys) -> str:
    keys = sorted(keys)
    return repr(keys[0]) if len(keys) == 1 else "{" + ", ".join(map(repr, keys)) + "}"


# --------------------------------------------------------------------------- hints and solutions

def hint(exercise_id: str) -> Message:
    """Reveal the next hint of ``exercise_id`` (one more per call; state kept per process)."""
    ex = get(exercise_id)
    shown = _HINTS_SHOWN.get(ex.id, 0)
    total = len(ex.hints)
    if shown >= total:
        return Message(f"No more hints for {ex.id}",
                       [("p", f"You have seen all {total} hint{'s' if total > 1 else ''}. "
                              f'solution("{ex.id}") shows the worked solution.')], style="hint")
    _HINTS_SHOWN[ex.id] = shown + 1
    more = (f'Run hint("{ex.id}") again for the next one.' if shown + 1 < total
            else f'That was the last hint; solution("{ex.id}") shows the worked solution.')
    return Message(f"Hint {shown + 1} of {total} for {ex.id} ({ex.title})",
                   [("p", ex.hints[shown]), ("p", more)], style="hint")


def reset_hints(exercise_id: str | None = None) -> None:
    """Forget which hints were shown (for ``exercise_id``, or all)."""
    if exercise_id is None:
        _HINTS_SHOWN.clear()
    else:
        _HINTS_SHOWN.pop(exercise_id, None)


def solution(exercise_id: str) -> Message:
    """Show the reference solution of ``exercise_id`` (its source code) and the explanation."""
    ex = get(exercise_id)
    blocks = [("p", ex.prompt)]
    if ex.kind == "function":
        blocks.append(("pre", _source(ex.reference)))
    elif ex.kind == "value":
        if callable(ex.answer):
            blocks.append(("pre", _source(ex.answer)))
        blocks.append(("p", f"Answer: {fmt(ex.expected_answer())}"))
    else:
        lines = [f"{k}) {text}" + ("   <- right" if k in ex.expected_answer() else "")
                 for k, text in ex.options.items()]
        blocks.append(("pre", "\n".join(lines)))
    for obj in ex.see_also:
        where = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
        blocks.append(("p", f"It uses {where}:"))
        blocks.append(("pre", _source(obj)))
    blocks.append(("p", ex.explanation))
    return Message(f"Solution of {ex.id} ({ex.title})", blocks, style="solution")


def _source(obj) -> str:
    try:
        return textwrap.dedent(inspect.getsource(obj)).rstrip()
    except (OSError, TypeError):
        return repr(obj)
