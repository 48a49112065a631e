"""``check``, ``hint``, ``solution`` and ``run_solution``: verdicts on a learner's answer.

Verdicts (``Result.status``):

``'correct'``
    Every case gave the reference's answer (within the stated tolerance) and no input was
    modified. The message says what was tested (and no seed: its text is stable).
``'incorrect'``
    The code ran but an answer was wrong: a wrong value, type, shape or dtype, or an input
    modified in place. The smallest failing case is shown in full, with a targeted hint when
    a known mistake reproduces the answer on every failing case.
``'error'``
    The learner's code raised an exception (any ``BaseException``, ``KeyboardInterrupt`` and
    ``SystemExit`` included) or ended its process. The verdict comes first, then the traceback
    with only the learner's own frames. (An exercise whose own reference fails says so: an
    internal error, not the learner's.)
``'timeout'``
    The code ran longer than the time limit, which is for all cases together (default 5 s, see
    :func:`set_timeout`), and was stopped; the verdict says how many cases passed before.
``'not attempted'``
    The stub is untouched: it raises ``NotImplementedError`` or returns ``None``/``...``, or an
    answer variable is still ``None``/``...``.

``check`` never raises because of the learner's code; only a mistake in calling it does (an
unknown exercise id: ``KeyError``; a bad ``timeout`` or ``seed``: ``TypeError``/``ValueError``),
and the notebook's stop button stops it as it stops any cell.

About 650 lines: the three exercise kinds share one comparison and one hint-matching rule, which
live here together so no kind can drift from the others (the rule used to be written three times).
"""
from __future__ import annotations

import ast
import copy
import inspect
import math
import numbers
import os
import re
import sys
import textwrap
import warnings
from collections import Counter

import numpy as np

from . import _progress
from ._compare import Problem, compare, describe_type, fmt, same
from ._core import Exercise, _choice_set, get, pristine
from ._display import Message
from ._sandbox import MESSAGE_CHARS, cut, run_calls

__all__ = ["Result", "check", "hint", "solution", "run_solution", "set_timeout", "get_timeout",
           "reset_hints"]

STATUSES = ("correct", "incorrect", "error", "timeout", "not attempted")
_ICON = {"correct": "✓ Correct", "incorrect": "✗ Incorrect", "error": "✗ Error",
         "timeout": "✗ Time limit exceeded", "not attempted": "○ Not attempted"}
_CONFIG = {"timeout": 5.0}
_HINTS_SHOWN: dict[str, int] = {}
_default_rng = np.random.default_rng
_PRINT_LINES = 8  # lines of the answer's printed output shown in a verdict


def _valid_timeout(where: str, seconds):
    """``seconds`` as a float, or ``None``; a clear TypeError/ValueError naming ``where``."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(f"{where}: timeout must be a number of seconds (or None for no limit), "
                        f"got {describe_type(seconds)} {seconds!r}")
    seconds = float(seconds)
    if math.isnan(seconds) or seconds <= 0:
        raise ValueError(f"{where}: timeout must be positive (or None for no limit), got {seconds!r}")
    return None if math.isinf(seconds) else seconds


def set_timeout(seconds: float | None) -> None:
    """Set the default time limit of :func:`check` in seconds (``None``: no limit).

    The limit is for all cases of a check together."""
    _CONFIG["timeout"] = _valid_timeout("set_timeout", seconds)


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
    seed : int or None
        The seed the random cases were drawn from (``check(..., seed=seed)`` repeats them).
    mode : str
        How the answer ran: ``'isolated'`` (a separate process) or ``'in-process'``.
    seconds : float
        How long the answer ran.
    internal : bool
        The exercise itself failed (its reference raised): not the learner's fault.
    """

    def __init__(self, exercise: Exercise, status: str, summary: str, details: str = "",
                 hint: str = "", traceback: str = "", tested: str = "", *, seed=None,
                 mode: str = "", printed: str = "", seconds: float = 0.0, internal: bool = False):
        assert status in STATUSES, status
        self.exercise_id = exercise.id
        self.title = exercise.title
        self.status = status
        self.summary = summary
        self.details = details
        self.hint = hint
        self.traceback = traceback
        self.tested = tested
        self.seed = seed
        self.mode = mode
        self.printed = printed
        self.seconds = seconds
        self.internal = internal
        blocks = [("p", summary), ("pre", details)]
        if hint:
            blocks.append(("p", f"Hint: {hint}"))
        if traceback:
            blocks.append(("pre", traceback))
        if printed:
            blocks.append(("pre", printed))
        if status not in ("correct", "not attempted") and seed is not None:
            blocks.append(("p", f"The random cases came from seed={seed}: "
                                f'check("{exercise.id}", ..., seed={seed}) repeats them '
                                "(and records nothing)."))
        if status != "correct" and not internal:
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


def check(exercise_id: str, answer, *, timeout: float | None = None, record: bool = True,
          seed: int | None = None) -> Result:
    """Check ``answer`` for the exercise ``exercise_id`` and return a :class:`Result`.

    Parameters
    ----------
    exercise_id : str
        e.g. ``"first.correlate2d-valid"``.
    answer : function or value
        The learner's function (``'function'`` exercises), value, or chosen option key(s).
    timeout : float, optional
        Time limit in seconds for all cases of this call together (default: the exercise's,
        else :func:`get_timeout`). Validated like :func:`set_timeout`.
    record : bool
        Record a pass in the progress file (see :func:`progress`).
    seed : int, optional
        Draw the random cases from this seed (shown in a failing verdict) instead of a fresh
        one. A check with a seed never records a pass.

    Examples
    --------
    >>> from cnncourse.exercises import check
    >>> def correlate2d_valid(x, k):
    ...     raise NotImplementedError
    >>> check("first.correlate2d-valid", correlate2d_valid).status
    'not attempted'
    """
    ex = get(exercise_id)
    timeout = _valid_timeout("check", timeout)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise TypeError(f"check: seed must be a non-negative int (the one a failing verdict shows), "
                        f"got {seed!r}")
    limit = timeout if timeout is not None else (ex.timeout if ex.timeout is not None else _CONFIG["timeout"])
    try:
        if ex.kind == "function":
            result = _check_function(ex, answer, limit, seed)
        elif ex.kind == "value":
            result = _check_value(ex, answer)
        else:
            result = _check_choice(ex, answer)
    except KeyboardInterrupt:
        raise  # the stop button (the learner's own KeyboardInterrupt is a verdict, see _sandbox)
    except BaseException as err:  # noqa: BLE001 - check() never raises because of an answer
        result = Result(ex, "error", f"The checker could not judge this answer ({type(err).__name__}: "
                                     f"{cut(_safe_str(err), MESSAGE_CHARS)}).")
    if result.passed and record and seed is None:
        try:
            _progress.record_pass(ex.id)
        except Exception as err:  # noqa: BLE001 - progress must never break a check
            warnings.warn(f"cnncourse.exercises: could not record progress ({err})", stacklevel=2)
    return result


def _safe_str(obj) -> str:
    try:
        return str(obj)
    except Exception:  # noqa: BLE001
        return f"<{type(obj).__name__}>"


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


def _internal(ex, what: str, err: BaseException) -> Result:
    return Result(ex, "error", f"Internal error of the exercise, not of your answer: {what} raised "
                               f"{type(err).__name__}: {cut(_safe_str(err), MESSAGE_CHARS)}. "
                               "Please report it to the course's authors.", internal=True)


def _printed(report) -> str:
    if not report.output_chars:
        return ""
    lines = report.output.splitlines()
    shown = [cut(line, 200) for line in lines[:_PRINT_LINES]]
    n = report.output_lines
    head = (f"Your function printed {report.output_chars:,} characters on {n:,} line"
            f"{'s' if n != 1 else ''}")
    head += ":" if n <= len(shown) and report.output_chars <= len(report.output) else "; the first lines:"
    return "\n".join([head] + shown)


class _Failure:
    """One failing case: ``problem`` is a :class:`Problem` or 'exception' / 'in place'."""

    def __init__(self, index, case, expected, got, problem, category, outcome=None):
        self.index, self.case, self.expected, self.got = index, case, expected, got
        self.problem, self.category, self.outcome = problem, category, outcome


def _check_function(ex: Exercise, answer, limit, seed) -> Result:
    if answer is None or answer is Ellipsis:
        return _not_attempted(ex, "The answer is still None: write the function, then pass it "
                                  "to check().")
    if not callable(answer):
        return Result(ex, "incorrect", f"Expected a function, got {describe_type(answer)}. "
                                       "Pass the function itself, without calling it.")
    seed = int.from_bytes(os.urandom(4), "little") % 1_000_000 if seed is None else int(seed)
    try:
        with pristine():
            cases = list(ex.cases(_default_rng(seed)))
    except Exception as err:  # noqa: BLE001
        return _internal(ex, "drawing the cases", err)
    expected_all = []
    for case in cases:
        try:
            with pristine():
                expected_all.append(ex.reference(*copy.deepcopy(case.args),
                                                 **copy.deepcopy(dict(case.kwargs))))
        except Exception as err:  # noqa: BLE001
            return _internal(ex, "the reference solution", err)
    fname = getattr(answer, "__name__", "your_function")
    if not isinstance(fname, str) or not fname.isidentifier():
        fname = "your_function"
    argnames = _arg_names(ex.reference, max([len(c.args) for c in cases] + [0]))
    calls = [(copy.deepcopy(c.args), copy.deepcopy(dict(c.kwargs))) for c in cases]
    report = run_calls(answer, calls, limit, expected_all[0] if expected_all else None)
    extra = {"seed": seed, "mode": report.mode, "printed": _printed(report), "seconds": report.seconds}
    n = len(cases)

    first = report.outcomes[0] if report.outcomes else None
    if first is not None and first.index == 0:
        if not first.returned and first.not_implemented:
            return _not_attempted(ex, "Your function still raises NotImplementedError: replace "
                                      "that line with your code, then run the cell again.")
        if first.returned and (first.got is None or first.got is Ellipsis) and expected_all[0] is not None:
            return _not_attempted(ex, f"Your function returned {'None' if first.got is None else '...'}: "
                                      "did you forget a `return`, or is it still the stub?")

    failures = []
    for outcome in report.outcomes:
        i = outcome.index
        case, expected = cases[i], expected_all[i]
        if not outcome.returned:
            failures.append(_Failure(i, case, expected, None, "exception", "exception", outcome))
            continue
        got = outcome.got
        with pristine():
            problem = compare(expected, got, ex.rtol, ex.atol, ex.check_dtype)
        if problem is not None and got is None:
            problem = Problem(problem + " (did you forget a `return`?)", "type")
        changed = []
        if outcome.args_after is not None:
            args_after, kwargs_after = outcome.args_after
            names = argnames[:len(case.args)] + list(case.kwargs)
            before = list(case.args) + list(dict(case.kwargs).values())
            after = list(args_after) + list(kwargs_after.values())
            changed = [name for name, b, a in zip(names, before, after) if not same(b, a)]
        if changed:
            what = ", ".join(f"`{m}`" for m in changed)
            mutation = (f"your function modified its input {what} in place; work on a copy "
                        f"(e.g. {changed[0]} = {changed[0]}.copy()) or write into a new array")
            problem = mutation if problem is None else f"{mutation}; also, {problem}"
            failures.append(_Failure(i, case, expected, got, problem, "in place"))
        elif problem is not None:
            failures.append(_Failure(i, case, expected, got, problem, problem.kind))

    n_done = len(report.outcomes)
    n_passed = n_done - len(failures)
    stopped_note = ""
    if report.stopped == "timeout":
        running = report.stopped_at if report.stopped_at >= 0 else n_done
        stopped_note = (f"The time limit of {limit:g} s is for all {n} cases together: "
                        f"{n_passed} of them passed, case {running + 1} of {n}"
                        + (f" ({cases[running].description})" if running < n else "")
                        + " was still running when your function was stopped.")
    elif report.stopped == "crashed":
        running = report.stopped_at if report.stopped_at >= 0 else n_done
        desc = f" ({cases[running].description})" if running < n else ""
        return Result(ex, "error",
                      f"Your function ended the process that ran it on case {running + 1} of {n}"
                      f"{desc}: {report.crash}. (It ran in a separate process, so your notebook is "
                      "fine.) Did it call os._exit() or sys.exit(), or run out of memory?",
                      _call_text(fname, cases[running], argnames) if running < n else "", **extra)

    if not failures and report.stopped == "timeout":
        running = report.stopped_at if report.stopped_at >= 0 else n_done
        return Result(
            ex, "timeout",
            f"Your function did not finish within {limit:g} s and was stopped. {stopped_note} "
            "An infinite loop (a `while` whose condition never becomes false, or a retry loop "
            "around `except:`)? Or a loop much longer than needed?",
            _call_text(fname, cases[running], argnames) if running < n else "",
            traceback=report.stop_traceback, **extra)
    if not failures:
        return Result(ex, "correct", _group(cases), tested=_group(cases), mode=report.mode,
                      seconds=report.seconds)

    shown = min(failures, key=lambda f: (_size(f.case), f.index))
    where = f"case {shown.index + 1} of {n} ({shown.case.description})"
    smallest = " — the smallest failing case" if len(failures) > 1 else ""
    also = f" ({stopped_note})" if stopped_note else ""
    if shown.category == "exception":
        o = shown.outcome
        memory = (" It ran out of memory: the checker allows your function a limited amount "
                  "(an array far too large, or a list that keeps growing?).") if o.memory else ""
        summary = f"Your function raised {o.exc_type} on {where}{smallest}: {o.exc_message}.{memory}{also}"
        return Result(ex, "error", summary, _call_text(fname, shown.case, argnames),
                      traceback=o.traceback, **extra)
    details = "\n".join([
        _call_text(fname, shown.case, argnames),
        "expected: " + textwrap.indent(fmt(shown.expected), " " * 10)[10:],
        "got:      " + textwrap.indent(fmt(shown.got), " " * 10)[10:],
    ])
    summary = f"Wrong answer on {where}{smallest}: {shown.problem}.{also}"
    return Result(ex, "incorrect", summary, details, hint=_mistake_hint(ex, failures), **extra)


# --------------------------------------------------------------------------- known mistakes

_HINTABLE = ("value", "shape")  # dtype, type, in-place and exception failures get no value hint


def _mistake_output(ex: Exercise, mistake, case):
    """What the known mistake answers on ``case`` (``case`` is None for value/choice)."""
    if ex.kind == "function":
        with pristine():
            return mistake.wrong(*copy.deepcopy(case.args), **copy.deepcopy(dict(case.kwargs)))
    if ex.kind == "choice":
        return _choice_set(mistake.wrong)
    return mistake.wrong


def _reproduces(ex: Exercise, mistake, failure) -> bool:
    """Whether ``mistake`` explains this failing case: it gives exactly the learner's answer
    there, and that answer is not the reference's."""
    try:
        if mistake.when is not None:
            with pristine():
                return bool(mistake.when(failure.got, failure.expected, failure.case))
        wrong = _mistake_output(ex, mistake, failure.case)
        if ex.kind == "choice":
            chosen = failure.got
            return (wrong == chosen if len(wrong) > 1 else wrong <= chosen) and wrong != failure.expected
        with pristine():
            return (compare(wrong, failure.got, ex.rtol, ex.atol, check_dtype=False) is None
                    and compare(failure.expected, wrong, ex.rtol, ex.atol, check_dtype=False) is not None)
    except Exception:  # noqa: BLE001 - a mistake that does not apply to this case
        return False


def _mistake_hint(ex: Exercise, failures) -> str:
    """The ONE hint matcher of every kind of exercise.

    A known mistake's message is given only when every failure is about values (or the shape
    of the output) and the mistake reproduces the learner's answer on EVERY failing case while
    differing from the reference there. For a choice exercise every matching mistake speaks
    (each names one wrong option); otherwise the first matching one.
    """
    if not failures or any(f.category not in _HINTABLE for f in failures):
        return ""
    found = [m.message for m in ex.mistakes if all(_reproduces(ex, m, f) for f in failures)]
    if not found:
        return ""
    return " ".join(found) if ex.kind == "choice" else found[0]


# --------------------------------------------------------------------------- value and choice

def _check_value(ex: Exercise, answer) -> Result:
    if answer is None or answer is Ellipsis:
        return _not_attempted(ex, "The answer is still None: replace None with your answer, then "
                                  "run the cell again.")
    if callable(answer) and not isinstance(answer, np.ndarray):
        return Result(ex, "incorrect", f"Expected a value, got {describe_type(answer)}; "
                                       "did you mean to call it?")
    try:
        with pristine():
            expected = ex.expected_answer()
    except Exception as err:  # noqa: BLE001
        return _internal(ex, "computing the expected answer", err)
    got = copy.deepcopy(answer) if isinstance(answer, (np.ndarray, list, dict, tuple)) else answer
    with pristine():
        problem = compare(expected, got, ex.rtol, ex.atol, ex.check_dtype, reveal=False)
    if problem is None:
        return Result(ex, "correct", f"{fmt(got)} is right.", tested="1 value checked")
    failure = _Failure(0, None, expected, got, problem, problem.kind)
    return Result(ex, "incorrect", f"Not right: {problem}.", hint=_mistake_hint(ex, [failure]))


_SPLIT = re.compile(r"[\s,;]+")


def _example_keys(keys, expected) -> str:
    """An example set of two keys that is NOT the answer (a verdict never gives it away)."""
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            pair = frozenset({keys[a], keys[b]})
            if pair != expected:
                return "{" + f"{keys[a]!r}, {keys[b]!r}" + "}"
    return "{'x', 'y'}"


def _check_choice(ex: Exercise, answer) -> Result:
    if answer is None or answer is Ellipsis:
        return _not_attempted(ex, "The answer is still None: replace None with the key of your "
                                  "choice (e.g. 'a', or a set of keys when several are right).")
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
    summary = f"{_fmt_keys(chosen)} is not right."
    example = _example_keys(keys, expected)
    if len(expected) > 1 and chosen < expected:
        summary += (" Some of your choices are right, but more are: give all the right keys in "
                    f"one set (written like {example}).")
    elif len(expected) > 1:
        summary += f" More than one option is right; give them all in one set (written like {example})."
    failure = _Failure(0, None, expected, frozenset(chosen), Problem(summary), "value")
    return Result(ex, "incorrect", summary, hint=_mistake_hint(ex, [failure]))


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
    """Show the worked solution of ``exercise_id``: the question, the solution's code (the
    exercise's ``solution_code``, the same text the notebook's solution cell shows and runs)
    and the explanation."""
    ex = get(exercise_id)
    blocks = [("p", ex.prompt)]
    if ex.kind == "choice":
        lines = [f"{k}) {text}" + ("   <- right" if k in ex.expected_answer() else "")
                 for k, text in ex.options.items()]
        blocks.append(("pre", "\n".join(lines)))
    if ex.solution_code.strip():
        blocks.append(("pre", textwrap.dedent(ex.solution_code).strip("\n")))
    else:  # an exercise without a worked solution yet: show the checker's reference
        if ex.kind == "function":
            blocks.append(("pre", _source(ex.reference)))
        elif ex.kind == "value":
            if callable(ex.answer):
                blocks.append(("pre", _source(ex.answer)))
            with pristine():
                blocks.append(("p", f"Answer: {fmt(ex.expected_answer())}"))
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


def _show(message) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(message)
            return
    except ImportError:
        pass
    print(str(message))


def _solution_object(ex: Exercise, namespace: dict):
    """Run ``ex.solution_code`` in ``namespace``; return what it defines (the function, or
    ``answer``)."""
    code = textwrap.dedent(ex.solution_code)
    tree = ast.parse(code, filename=f"<solution of {ex.id}>")
    exec(compile(tree, f"<solution of {ex.id}>", "exec"), namespace)  # noqa: S102 - our own text
    if ex.kind == "function":
        names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        if not names:
            raise ValueError("solution_code defines no function")
        return namespace[names[-1]]
    if "answer" not in namespace:
        raise ValueError("solution_code does not assign `answer`")
    return namespace["answer"]


def run_solution(exercise_id: str, *, show: bool = True, namespace: dict | None = None) -> Result:
    """Show the worked solution of ``exercise_id``, run it and check it; return the verdict.

    The solution's code runs in a COPY of the caller's globals (a notebook's namespace), so the
    learner's own function or ``answer`` is never overwritten, and the check records nothing:
    running the notebook's solution cells is not passing the exercises.
    """
    ex = get(exercise_id)
    if show:
        _show(solution(ex.id))
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    scratch = dict(namespace)
    if not ex.solution_code.strip():
        if ex.kind == "function":
            obj = ex.reference
        else:
            with pristine():
                obj = ex.expected_answer()
            if ex.kind == "choice":
                obj = set(obj)
    else:
        try:
            obj = _solution_object(ex, scratch)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # noqa: BLE001
            return _internal(ex, "the worked solution", err)
    return check(ex.id, obj, record=False)
