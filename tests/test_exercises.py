"""Tests of cnncourse.exercises: every registered exercise, verdicts, the watchdog, display."""
import threading
import time

import numpy as np
import pytest

import cnncourse.exercises as exs
from cnncourse.exercises import (Case, Exercise, Mistake, TimeLimitExceeded, check, compare, hint,
                                 register, solution, time_limit)
from cnncourse.exercises import _core

ALL = exs.exercises()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_PROGRESS_DIR", str(tmp_path))
    exs.reset_hints()
    yield
    exs.reset_hints()


def _right_answer(ex):
    if ex.kind == "function":
        return ex.reference
    if ex.kind == "value":
        return ex.expected_answer()
    return set(ex.expected_answer())


def test_every_chapter_module_imports():
    assert exs._IMPORT_ERRORS == {}
    assert len(ALL) >= 3


# --------------------------------------------------------------------------- the whole registry

@pytest.mark.parametrize("ex", ALL, ids=[e.id for e in ALL])
def test_registered_exercise(ex):
    # the reference passes
    result = check(ex.id, _right_answer(ex), record=False)
    assert result.status == "correct", str(result)
    assert result.passed and result.tested
    # every realistic wrong answer fails with the message meant for it
    assert len(ex.examples_wrong) >= 2
    for answer, expected_text in ex.examples_wrong:
        result = check(ex.id, answer, record=False)
        assert result.status in ("incorrect", "error"), str(result)
        assert not result.passed
        assert expected_text in result.message, (expected_text, str(result))
    # the untouched stub is "not attempted"
    if ex.kind == "function":
        def raises(*args, **kwargs):
            raise NotImplementedError

        def returns_none(*args, **kwargs):
            pass

        def returns_ellipsis(*args, **kwargs):
            return ...

        stubs = [raises, returns_none, returns_ellipsis, None]
        cases = ex.cases(np.random.default_rng(ex.seed))
        assert cases, "an exercise needs at least one case"
        assert all(isinstance(c, Case) and c.description for c in cases)
        again = ex.cases(np.random.default_rng(ex.seed))
        assert all(compare(a.args, b.args) is None for a, b in zip(cases, again)), "cases not seeded"
    else:
        stubs = [None, ...]
    for stub in stubs:
        result = check(ex.id, stub, record=False)
        assert result.status == "not attempted", (stub, str(result))
    # hints are revealed one at a time, then run out
    for i in range(len(ex.hints)):
        assert ex.hints[i] in str(hint(ex.id))
    assert "No more hints" in str(hint(ex.id))
    shown = str(solution(ex.id))
    assert ex.title in shown
    for obj in ex.see_also:
        assert obj.__qualname__ in shown


MISTAKES = [(e, m) for e in ALL for m in e.mistakes if m.wrong is not None]


@pytest.mark.parametrize("ex, mistake", MISTAKES, ids=[f"{e.id}::{m.name}" for e, m in MISTAKES])
def test_each_known_mistake_is_recognised(ex, mistake):
    if ex.kind == "choice":
        wrong = set(_core._choice_set(mistake.wrong))
        answer = wrong if len(wrong) > 1 else set(ex.expected_answer()) | wrong
    else:
        answer = mistake.wrong
    result = check(ex.id, answer, record=False)
    assert not result.passed
    assert mistake.message in result.hint, str(result)


# --------------------------------------------------------------------------- a small test exercise

def _add_ref(x, y):
    return x + y


@pytest.fixture
def add_ex():
    ex = Exercise(
        id="test.add", title="Add two arrays", chapter="tests", kind="function",
        reference=_add_ref,
        cases=lambda rng: [Case((np.ones((2, 2)), np.eye(2)), description="2x2"),
                           Case((np.arange(6.0).reshape(2, 3), np.ones((2, 3))), description="non-square"),
                           *[Case((rng.standard_normal((3, 3)), rng.standard_normal((3, 3))),
                                  description="random") for _ in range(3)]],
        hints=["Use +.", "Really, x + y."],
        mistakes=[Mistake("minus", "You subtracted.", wrong=lambda x, y: x - y)],
        examples_wrong=[(lambda x, y: x - y, "subtracted"), (lambda x, y: x * y, "values differ")],
    )
    register(ex)
    yield ex
    _core._REGISTRY.pop("test.add", None)
    _core._OWNER.pop("test.add", None)


def test_correct_says_what_was_tested(add_ex):
    result = check("test.add", lambda x, y: x + y)
    assert result.passed and result.status == "correct"
    assert "Tested 5 cases: 2x2, non-square, 3 x random." in str(result)


def test_exception_is_a_verdict_with_the_learners_traceback(add_ex):
    def add(x, y):
        scale = 0
        return (x + y) * (1 / len([])) if scale == 0 else x

    result = check("test.add", add)
    text = str(result)
    assert result.status == "error" and not result.passed
    assert "raised ZeroDivisionError" in text
    assert text.index("raised ZeroDivisionError") < text.index("Traceback")
    assert "in add" in result.traceback
    assert "cnncourse/exercises" not in result.traceback
    assert check("test.add", lambda x, y: x + y).passed  # execution carries on


@pytest.mark.parametrize("method", ["auto", "trace"])
@pytest.mark.parametrize("loop", ["infinite", "long"])
def test_time_limit_stops_a_loop(add_ex, method, loop):
    def forever(x, y):
        while True:
            pass

    def long(x, y):
        total = 0
        for i in range(10**12):
            total += i
        return total

    fn = forever if loop == "infinite" else long
    box = {}

    def run():
        box["result"] = check("test.add", fn, timeout=0.5)

    start = time.monotonic()
    if method == "auto":
        run()  # main thread: SIGALRM
    else:
        worker = threading.Thread(target=run)  # not the main thread: the trace fallback
        worker.start()
        worker.join(10)
        assert not worker.is_alive()
    elapsed = time.monotonic() - start
    result = box["result"]
    assert result.status == "timeout", str(result)
    assert elapsed < 3
    assert "within 0.5 s" in str(result)
    assert str(result).index("within 0.5 s") < str(result).index("Traceback")
    assert "(stopped here by the time limit)" in result.traceback
    assert check("test.add", lambda x, y: x + y).passed  # execution carries on


def _spin():
    while True:
        try:
            pass
        except Exception:  # a learner's catch-all does not swallow the time limit
            pass


@pytest.mark.parametrize("method", ["alarm", "trace"])
def test_time_limit_context_manager(method):
    start = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.2, method=method):
            _spin()
    assert time.monotonic() - start < 2
    with time_limit(1.0, method=method):  # no limit hit: nothing happens, state restored
        sum(range(1000))
    time.sleep(0.05)


def test_global_timeout_setting(add_ex):
    old = exs.get_timeout()
    try:
        exs.set_timeout(0.3)
        assert exs.get_timeout() == 0.3

        def forever(x, y):
            while True:
                pass

        result = check("test.add", forever)
        assert result.status == "timeout" and "within 0.3 s" in str(result)
        with pytest.raises(ValueError, match="set_timeout"):
            exs.set_timeout(-1)
    finally:
        exs.set_timeout(old)


def test_mutated_input_is_reported(add_ex):
    def add(x, y):
        x += y
        return x

    result = check("test.add", add)
    assert result.status == "incorrect"
    assert "modified its input `x` in place" in str(result)
    # the case shown is the original input, not the mutated one
    assert "[[1. 1.]" in result.details


def test_wrong_type_shape_and_dtype_are_reported_plainly(add_ex):
    result = check("test.add", lambda x, y: (x + y).tolist())
    assert result.status == "incorrect"
    assert "expected an ndarray of shape (2, 2), got a list" in str(result)
    result = check("test.add", lambda x, y: (x + y)[:1])
    assert "expected shape (2, 2), got shape (1, 2)" in str(result)
    result = check("test.add", lambda x, y: (x + y).astype(np.int64))
    assert "expected an array of floats (float64), got dtype int64" in str(result)
    result = check("test.add", lambda x, y: (x + y).T)
    assert "swapped" in str(result)
    assert check("test.add", lambda x, y: x + y).passed


def test_the_smallest_failing_case_is_shown(add_ex):
    result = check("test.add", lambda x, y: x + y + (x.shape[1] == 3))
    assert "case 2 of 5 (non-square)" in str(result)
    result = check("test.add", lambda x, y: x - y)
    assert "case 1 of 5 (2x2) — the smallest failing case" in str(result)
    assert "expected:" in result.details and "got:" in result.details
    assert "You subtracted." in result.hint


def test_not_attempted_and_forgotten_return(add_ex):
    def stub(x, y):
        ...

    result = check("test.add", stub)
    assert result.status == "not attempted" and "forget a `return`" in str(result)
    assert check("test.add", 42).status == "incorrect"
    assert "Expected a function, got an int" in str(check("test.add", 42))


def test_html_escapes_learner_text(add_ex):
    def add(x, y):
        raise ValueError("<script>alert('x')</script> & more")

    result = check("test.add", add)
    page = result._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "&amp; more" in page
    assert "#c62828" in page  # red
    assert "#2e7d32" in check("test.add", _add_ref)._repr_html_()  # green
    assert "#f9a825" in check("test.add", None)._repr_html_()  # amber
    assert "<pre" in page and "Traceback" in page


def test_hints_one_at_a_time(add_ex):
    first = str(hint("test.add"))
    assert "Hint 1 of 2" in first and "Use +." in first
    second = str(hint("test.add"))
    assert "Hint 2 of 2" in second and "Really, x + y." in second and "last hint" in second
    assert "No more hints" in str(hint("test.add"))
    exs.reset_hints("test.add")
    assert "Hint 1 of 2" in str(hint("test.add"))


def test_solution_shows_reference_source(add_ex):
    assert "return x + y" in str(solution("test.add"))
    assert "<pre" in solution("test.add")._repr_html_()


def test_unknown_id_suggests_close_ones(add_ex):
    with pytest.raises(KeyError, match="did you mean 'test.add'"):
        check("test.ad", _add_ref)


def test_value_exercise_does_not_reveal_the_answer():
    ex = Exercise(id="test.value", title="A value", chapter="tests", kind="value",
                  answer=(8, 16, 16, 14), hints=["h"],
                  examples_wrong=[((8, 16, 16, 15), "not right"), (7, "tuple")])
    register(ex)
    try:
        assert check("test.value", [8, 16, 16, 14]).passed  # a list is fine for a shape
        text = str(check("test.value", (8, 16, 16, 15)))
        assert "element 3 of the tuple is not right" in text and "14" not in text
        assert "expected a tuple of length 4, got an int" in str(check("test.value", 7))
        assert "did you mean to call it" in str(check("test.value", lambda: 1))
    finally:
        _core._REGISTRY.pop("test.value")
        _core._OWNER.pop("test.value")


def test_choice_answers_are_parsed():
    assert check("first.equivariance", "a, b").passed
    assert check("first.equivariance", ["B", "a"]).passed
    assert "'z' is not one of the options" in str(check("first.equivariance", "z"))
    assert "Expected an option key" in str(check("first.equivariance", 3))


def test_compare_messages():
    assert compare(3, 3.0).startswith("expected an int, got the float 3.0 (use //")
    assert compare(3, np.int64(3)) is None
    assert compare(0.1 + 0.2, 0.3) is None
    assert compare((1, 2), [1, 2]) is None
    assert "length 2" in compare((1, 2), (1, 2, 3))
    assert compare(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])) is None
    assert "expected a bool" in compare(True, 1)
    assert "transpose" in compare(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 3.0], [2.0, 4.0]]))


def test_register_validates():
    good = dict(id="test.v", title="t", chapter="tests", kind="value", answer=1, hints=["h"],
                examples_wrong=[(2, "x"), (3, "y")])
    with pytest.raises(ValueError, match="examples_wrong must list at least 2"):
        register(Exercise(**{**good, "examples_wrong": [(2, "x")]}))
    with pytest.raises(ValueError, match="id must look like"):
        register(Exercise(**{**good, "id": "NoDot"}))
    with pytest.raises(ValueError, match="kind must be one of"):
        register(Exercise(**{**good, "kind": "essay"}))
    with pytest.raises(ValueError, match="needs a callable reference"):
        register(Exercise(**{**good, "kind": "function"}))
    with pytest.raises(ValueError, match="hints must be"):
        register(Exercise(**{**good, "hints": []}))
    with pytest.raises(ValueError, match="must be a key"):
        register(Exercise(**{**good, "kind": "choice", "options": {"a": "x", "b": "y"}, "answer": "c"}))
    with pytest.raises(ValueError, match="exactly one of wrong= or when="):
        register(Exercise(**{**good, "mistakes": [Mistake("m", "msg")]}))
    with pytest.raises(ValueError, match="already registered by cnncourse.exercises.first_convolution"):
        register(Exercise(**{**good, "id": "first.output-shape"}))
    with pytest.raises(TypeError, match="expected an Exercise"):
        register({"id": "x.y"})
    assert "test.v" not in _core._REGISTRY
