"""The exercise registry: :class:`Exercise`, :class:`Case`, :class:`Mistake` and :func:`register`.

Chapter authors describe each exercise once, in ``cnncourse/exercises/<chapter>.py``::

    from cnncourse.exercises import Case, Exercise, Mistake, register

    def _reference(H, F, P, S):
        from cnncourse.arithmetic import conv_output_size
        return conv_output_size(H, F, stride=S, padding=P)

    register(Exercise(
        id="padding.output-size", title="Output size of a convolution", chapter="padding",
        kind="function", reference=_reference,
        cases=lambda rng: [Case((5, 3, 0, 1), description="padding 0"), ...],
        hints=["Start from the formula ...", ...],
        mistakes=[Mistake("ceil", "You rounded up ...", wrong=lambda H, F, P, S: ...)],
        examples_wrong=[(lambda H, F, P, S: ..., "rounded up"), (..., "per side")],
    ))
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

__all__ = ["Case", "Mistake", "Exercise", "register", "get", "exercises", "KINDS"]

KINDS = ("function", "value", "choice")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")


@dataclass(frozen=True)
class Case:
    """One test case of a ``'function'`` exercise: ``reference(*args, **kwargs)``.

    ``description`` is a few words ("non-square image", "stride 2 does not divide") shown in
    the verdict; cases with the same description are grouped ("6 x random").
    """

    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the message that explains it.

    Give exactly one of:

    ``wrong``
        For ``'function'`` exercises a wrong reference with the reference's signature (the
        learner's output is compared with ``wrong(*case.args)``). For ``'value'`` exercises a
        wrong value; for ``'choice'`` a wrong option key or a set of keys.
    ``when``
        A predicate ``when(got, expected, case) -> bool`` (``case`` is ``None`` for value and
        choice exercises), for mistakes recognised by a property rather than a value.
    """

    name: str
    message: str
    wrong: Any = None
    when: Callable[[Any, Any, Case | None], bool] | None = None


@dataclass(frozen=True, kw_only=True)
class Exercise:
    """An exercise: what is asked, how to check it, and how to help.

    Parameters
    ----------
    id : str
        ``"<chapter-short-name>.<name>"``, lowercase, e.g. ``"padding.output-size"``.
    title : str
        One line shown in verdicts and in :func:`progress`.
    chapter : str
        The notebook's name without extension, e.g. ``"first-convolution"``.
    kind : {'function', 'value', 'choice'}
        ``'function'``: the learner writes a function, compared with ``reference`` on every
        case from ``cases``. ``'value'``: the learner gives a value compared with ``answer``.
        ``'choice'``: the learner picks option key(s) from ``options``; ``answer`` is the right
        key, or a set of keys when several are right.
    examples_wrong : sequence of (answer, str)
        Required, at least two: realistic wrong answers and a substring of the message each
        must produce. The test suite checks every one, so a hint cannot silently stop firing.
    reference : callable, optional
        The reference solution (``'function'`` only). :func:`solution` shows its source.
    cases : callable, optional
        ``cases(rng) -> list[Case]`` (``'function'`` only): fixed edge cases first, then
        random ones drawn from ``rng`` (a seeded ``np.random.Generator``).
    answer : object or callable, optional
        ``'value'``: the expected value, or a zero-argument function returning it (so it can be
        computed with cnncourse code when first needed). ``'choice'``: key or set of keys.
    options : mapping of str to str, optional
        ``'choice'`` only: ``{"a": "convolution", ...}``.
    hints : sequence of str
        Revealed one at a time by :func:`hint`. At least one.
    mistakes : sequence of Mistake
        Known mistakes recognised in wrong answers.
    rtol, atol : float
        Tolerance for floating-point results (``numpy.allclose``). Integers compare exactly.
    check_dtype : bool
        Whether an array answer must have the reference's dtype.
    prompt : str
        The question (shown with the solution).
    explanation : str
        Why the solution is right (shown by :func:`solution`).
    seed : int
        Seed of the ``rng`` passed to ``cases``.
    timeout : float, optional
        Time limit for this exercise (default: the global one, see :func:`set_timeout`).
    see_also : sequence of functions
        Package functions whose source :func:`solution` shows after the reference's (e.g.
        the loop the reference delegates to).
    solution_code : str
        The ONE worked solution, as source text, shown by :func:`solution` and run by
        :func:`run_solution`. ``'function'`` exercises: a ``def`` with the name the notebook's
        stub uses, using only names the notebook imports above the stub. ``'value'`` and
        ``'choice'``: code that assigns ``answer``. ``reference`` stays the checker's reference.
    """

    id: str
    title: str
    chapter: str
    kind: str
    examples_wrong: Sequence[tuple[Any, str]]
    reference: Callable | None = None
    cases: Callable[[Any], list[Case]] | None = None
    answer: Any = None
    options: Mapping[str, str] | None = None
    hints: Sequence[str] = ()
    mistakes: Sequence[Mistake] = ()
    rtol: float = 1e-7
    atol: float = 1e-10
    check_dtype: bool = True
    prompt: str = ""
    explanation: str = ""
    seed: int = 0
    timeout: float | None = None
    see_also: Sequence[Callable] = ()
    solution_code: str = ""

    def expected_answer(self):
        """The expected answer of a value/choice exercise (calls ``answer`` if it is a function)."""
        if self.kind == "value" and callable(self.answer):
            return self.answer()
        if self.kind == "choice":
            return _choice_set(self.answer)
        return self.answer


def _choice_set(answer) -> frozenset[str]:
    if isinstance(answer, str):
        return frozenset({answer.strip().lower()})
    return frozenset(str(a).strip().lower() for a in answer)


_REGISTRY: dict[str, Exercise] = {}
_OWNER: dict[str, str] = {}


def _fail(ex_id, what):
    raise ValueError(f"register: exercise {ex_id!r}: {what}")


def _validate(ex: Exercise) -> None:
    if not isinstance(ex, Exercise):
        raise TypeError(f"register: expected an Exercise, got {type(ex).__name__}")
    if not isinstance(ex.id, str) or not _ID_RE.match(ex.id):
        _fail(ex.id, "id must look like 'chapter.name' (lowercase letters, digits, '-', '_', "
                     f"at least one dot), got {ex.id!r}")
    for name in ("title", "chapter"):
        if not isinstance(getattr(ex, name), str) or not getattr(ex, name).strip():
            _fail(ex.id, f"{name} must be a non-empty string, got {getattr(ex, name)!r}")
    if ex.kind not in KINDS:
        _fail(ex.id, f"kind must be one of {KINDS}, got {ex.kind!r}")
    if ex.kind == "function":
        if not callable(ex.reference):
            _fail(ex.id, f"kind 'function' needs a callable reference, got {ex.reference!r}")
        if not callable(ex.cases):
            _fail(ex.id, f"kind 'function' needs cases=callable(rng) -> list[Case], got {ex.cases!r}")
    elif ex.kind == "value":
        if ex.answer is None or ex.answer is Ellipsis:
            _fail(ex.id, "kind 'value' needs an answer (a value or a zero-argument function)")
    else:
        if not isinstance(ex.options, Mapping) or len(ex.options) < 2:
            _fail(ex.id, f"kind 'choice' needs options={{key: text}} with at least 2 entries, got {ex.options!r}")
        keys = {str(k).lower() for k in ex.options}
        if any(str(k) != str(k).lower() for k in ex.options):
            _fail(ex.id, f"option keys must be lowercase, got {list(ex.options)}")
        if ex.answer is None or not _choice_set(ex.answer) or not _choice_set(ex.answer) <= keys:
            _fail(ex.id, f"answer {ex.answer!r} must be a key (or set of keys) of options {sorted(keys)}")
    if isinstance(ex.hints, str) or not ex.hints or not all(isinstance(h, str) and h for h in ex.hints):
        _fail(ex.id, "hints must be a non-empty list of non-empty strings")
    for m in ex.mistakes:
        if not isinstance(m, Mistake):
            _fail(ex.id, f"mistakes must be Mistake objects, got {type(m).__name__}")
        if (m.wrong is None) == (m.when is None):
            _fail(ex.id, f"mistake {m.name!r} needs exactly one of wrong= or when=")
        if ex.kind == "function" and m.wrong is not None and not callable(m.wrong):
            _fail(ex.id, f"mistake {m.name!r}: for a function exercise wrong= must be a function")
    wrong = ex.examples_wrong
    if not isinstance(wrong, (list, tuple)) or len(wrong) < 2:
        _fail(ex.id, "examples_wrong must list at least 2 (wrong answer, expected message "
                     f"substring) pairs, got {wrong!r}")
    for item in wrong:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str) and item[1]):
            _fail(ex.id, f"each examples_wrong entry must be (answer, 'message substring'), got {item!r}")
    if not isinstance(ex.solution_code, str):
        _fail(ex.id, f"solution_code must be source text (a str), got {type(ex.solution_code).__name__}")
    if not (ex.rtol >= 0 and ex.atol >= 0):
        _fail(ex.id, f"rtol and atol must be >= 0, got {ex.rtol}, {ex.atol}")


def register(exercise: Exercise) -> Exercise:
    """Validate ``exercise`` and add it to the registry; return it.

    Raises ``ValueError`` (naming the exercise and the field) when it is incomplete, and when
    another module already registered the same id. Re-registering from the same module (a
    reloaded chapter module) replaces the old entry.
    """
    _validate(exercise)
    owner = sys._getframe(1).f_globals.get("__name__", "?")
    if exercise.id in _REGISTRY and _OWNER[exercise.id] != owner:
        raise ValueError(f"register: exercise id {exercise.id!r} is already registered "
                         f"by {_OWNER[exercise.id]} (now from {owner})")
    _REGISTRY[exercise.id] = exercise
    _OWNER[exercise.id] = owner
    snapshot_modules()
    return exercise


def get(exercise_id: str) -> Exercise:
    """Return the registered exercise ``exercise_id``; ``KeyError`` with suggestions if unknown."""
    try:
        return _REGISTRY[exercise_id]
    except (KeyError, TypeError):
        import difflib

        close = difflib.get_close_matches(str(exercise_id), list(_REGISTRY), n=3)
        tip = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(f"no exercise with id {exercise_id!r}{tip}") from None


def exercises(chapter: str | None = None) -> list[Exercise]:
    """All registered exercises (of ``chapter`` if given), in registration order."""
    return [e for e in _REGISTRY.values() if chapter is None or e.chapter == chapter]


# --------------------------------------------------------------------------- a pristine package
#
# A notebook cell may rebind anything: ``cnncourse.signal.correlate2d = flipped``,
# ``filters.SOBEL_X = filters.SOBEL_X / 8``, even ``np.sum = ...``. The references, the cases and
# the comparison must not see it. The attributes of every ``cnncourse`` module (and of numpy's
# main namespaces) are recorded the first time the checker sees the module (at import of
# ``cnncourse.exercises``, at each registration, at each check for modules imported later), with
# private read-only copies of module-level arrays. :func:`pristine` puts that snapshot in place
# for the duration of a ``with`` block and then puts the learner's bindings back.

_MISSING = object()
_SNAPSHOT: dict[str, tuple[Any, dict[str, Any]]] = {}
_NUMPY_MODULES = ("numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma", "numpy.lib.stride_tricks")


def _watched(name: str) -> bool:
    if name in _NUMPY_MODULES:
        return True
    if name != "cnncourse" and not name.startswith("cnncourse."):
        return False
    return not name.startswith("cnncourse.exercises._")  # the checker's own state is not frozen


def _frozen(value):
    import numpy as np

    if type(value) is np.ndarray:
        copy = value.copy()
        copy.setflags(write=False)
        return copy
    return value


def snapshot_modules() -> None:
    """Record the attributes of every watched module not recorded yet (cheap when none is new)."""
    for name, module in list(sys.modules.items()):
        if module is None or name in _SNAPSHOT or not _watched(name):
            continue
        try:
            attrs = {k: _frozen(v) for k, v in vars(module).items()}
        except Exception:  # noqa: BLE001 - an odd module object
            continue
        _SNAPSHOT[name] = (module, attrs)


class pristine:
    """``with pristine():`` the package as it was imported, under a fixed ``np.errstate``.

    Used for everything the checker computes itself (cases, references, known mistakes,
    comparisons); the learner's own code never runs inside it.
    """

    def __enter__(self):
        import numpy as np

        snapshot_modules()
        self._saved = saved = []
        for module, attrs in _SNAPSHOT.values():
            namespace = vars(module)
            for key, value in attrs.items():
                current = namespace.get(key, _MISSING)
                if current is not value:
                    saved.append((namespace, key, current))
                    namespace[key] = value
        self._err = np.errstate(all="ignore")
        self._err.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            self._err.__exit__(*exc)
        finally:
            for namespace, key, current in reversed(self._saved):
                if current is _MISSING:
                    namespace.pop(key, None)
                else:
                    namespace[key] = current
        return False
