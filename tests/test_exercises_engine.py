"""The checker's engine (issue 9, points 3-7 and 9, and the verdict boxes' contrast).

Small exercises registered here are the vehicles, so these tests do not depend on the wording
of the course's own exercises.
"""
import re

import numpy as np
import pytest

import cnncourse.exercises as exs
from cnncourse.exercises import Case, Exercise, Mistake, _core, _progress, check, register
from cnncourse.exercises._compare import fmt
from cnncourse.exercises._display import COLOURS, TEXT_COLOUR, TITLE_COLOURS, contrast_ratio


def _double(x):
    return 2 * x


def _transposed(x):
    return (2 * x).T.copy()


def _cases(rng):
    return [Case((np.array([[1.5]]),), description="1x1"),
            Case((np.arange(6.0).reshape(2, 3),), description="non-square"),
            *[Case((rng.standard_normal((3, 3)),), description="random") for _ in range(3)]]


def _count(x):
    return np.array([int((x > 0).sum()), int((x <= 0).sum())])


EXERCISES = [
    Exercise(id="test.double", title="Double", chapter="tests", kind="function", reference=_double,
             cases=_cases, hints=["2 * x"],
             mistakes=[Mistake("transposed", "You transposed the output.", wrong=_transposed)],
             examples_wrong=[(_transposed, "transposed"), (lambda x: x, "differ")],
             solution_code="def double(x):\n    return x + x\n"),
    Exercise(id="test.count", title="Count", chapter="tests", kind="function", reference=_count,
             cases=lambda rng: [Case((rng.standard_normal(5),), description="random")],
             hints=["count"], examples_wrong=[(lambda x: x, "x"), (lambda x: x, "y")]),
    Exercise(id="test.shape", title="Shape", chapter="tests", kind="value", answer=(8, 16, 16, 14),
             hints=["h"], mistakes=[Mistake("ceil", "You rounded up.", wrong=(8, 16, 17, 15))],
             examples_wrong=[((8, 16, 17, 15), "rounded up"), (7, "tuple")],
             solution_code="answer = (8, 16, (33 + 2 - 5) // 2 + 1, (28 + 2 - 3) // 2 + 1)\n"),
    Exercise(id="test.pick", title="Pick", chapter="tests", kind="choice", answer={"a", "c"},
             options={"a": "one", "b": "two", "c": "three", "d": "four"}, hints=["h"],
             mistakes=[Mistake("b", "Option b is not shift-equivariant.", wrong="b")],
             examples_wrong=[({"a", "b"}, "Option b"), ({"d"}, "not right")],
             solution_code="answer = {'a', 'c'}\n"),
]


@pytest.fixture(autouse=True)
def _registered(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNCOURSE_PROGRESS_DIR", str(tmp_path))
    for ex in EXERCISES:
        register(ex)
    yield
    for ex in EXERCISES:
        _core._REGISTRY.pop(ex.id, None)
        _core._OWNER.pop(ex.id, None)


# --------------------------------------------------------------------------- 3. strict comparison

def test_masked_arrays_and_subclasses_are_rejected():
    result = check("test.double", lambda x: np.ma.masked_all(x.shape))
    assert result.status == "incorrect"
    assert "expected a plain numpy array, got MaskedArray" in str(result)

    class Liar(np.ndarray):
        def __array_function__(self, func, types, args, kwargs):
            return True if func is np.isclose else NotImplemented

    result = check("test.double", lambda x: (2 * x).view(Liar))  # isolated: not even unpickled
    assert result.status == "incorrect" and "Liar" in str(result)
    assert result.hint == ""
    exs.set_checking_mode("in-process")
    try:
        result = check("test.double", lambda x: (2 * x).view(Liar))
    finally:
        exs.set_checking_mode("auto")
    assert result.status == "incorrect" and "expected a plain numpy array, got Liar" in str(result)


def test_int_counts_must_be_ints_and_numpy_scalars_are_numbers():
    result = check("test.count", lambda x: _count(x).astype(float))
    assert result.status == "incorrect"
    assert "expected an array of integers" in str(result)
    assert check("test.count", lambda x: _count(x).astype(np.int32)).status == "incorrect"  # dtype
    register(Exercise(id="test.number", title="A number", chapter="tests", kind="function",
                      reference=lambda n: n + 1, cases=lambda rng: [Case((3,), description="3")],
                      hints=["h"], examples_wrong=[(lambda n: n, "x"), (lambda n: n, "y")]))
    try:
        assert check("test.number", lambda n: np.int64(n + 1)).passed
        assert check("test.number", lambda n: np.array(n + 1)).passed
        assert "expected an int" in str(check("test.number", lambda n: float(n + 1)))
    finally:
        _core._REGISTRY.pop("test.number", None)
        _core._OWNER.pop("test.number", None)


# --------------------------------------------------------------------------- 4. seeds

def test_fresh_seed_on_each_call_shown_and_reusable():
    wrong = lambda x: x + 1  # noqa: E731
    seeds = set()
    for _ in range(3):
        result = check("test.double", wrong)
        assert result.seed is not None and f"seed={result.seed}" in str(result)
        seeds.add(result.seed)
    assert len(seeds) > 1  # fresh each time (a collision of three draws in 10**6 is negligible)
    only_random = lambda x: x + 1 if x.shape == (3, 3) else 2 * x  # noqa: E731
    first = check("test.double", only_random, seed=123)
    again = check("test.double", only_random, seed=123)
    other = check("test.double", only_random, seed=124)
    assert first.details and first.details == again.details and first.seed == again.seed == 123
    assert other.details != first.details


def test_passing_verdicts_print_no_seed_and_are_stable():
    texts = {str(check("test.double", _double)) for _ in range(3)}
    assert len(texts) == 1
    assert "seed" not in texts.pop()


def test_a_seeded_check_never_records():
    assert check("test.double", _double, seed=7).passed
    assert _progress.load() == {}
    assert check("test.double", _double).passed
    assert list(_progress.load()) == ["test.double"]


# --------------------------------------------------------------------------- 5. hints

def test_hint_when_the_mistake_reproduces_every_failing_case():
    result = check("test.double", _transposed)
    assert result.hint == "You transposed the output."


def test_no_value_hint_for_dtype_type_or_in_place_failures():
    result = check("test.double", lambda x: _transposed(x).astype(np.float32))
    assert result.status == "incorrect" and result.hint == ""
    assert "float" in result.summary

    def in_place(x):
        x *= 2
        return x.T.copy() if x.shape[0] != x.shape[1] else x

    result = check("test.double", in_place)
    assert "modified its input `x` in place" in str(result) and result.hint == ""
    result = check("test.double", lambda x: _transposed(x).tolist())
    assert result.hint == ""


def test_no_hint_when_the_mistake_explains_only_some_failing_cases():
    # transposed on the non-square case, but also wrong (+1) on the random ones
    def partly(x):
        return _transposed(x) if x.shape == (2, 3) else 2 * x + 1

    result = check("test.double", partly)
    assert result.status == "incorrect" and result.hint == ""
    # wrong on the 1x1 case too, where the mistake coincides with the reference: no hint
    result = check("test.double", lambda x: _transposed(x) + 1)
    assert result.hint == ""


def test_one_matcher_for_value_and_choice():
    assert check("test.shape", (8, 16, 17, 15)).hint == "You rounded up."
    assert check("test.shape", (8, 16, 17, 14)).hint == ""
    assert check("test.pick", {"a", "b"}).hint == "Option b is not shift-equivariant."
    assert check("test.pick", {"d"}).hint == ""


# --------------------------------------------------------------------------- 6. no leaks

def test_value_and_choice_verdicts_never_show_the_answer():
    for answer in [(8, 16, 17, 15), (8, 16, 16), 7, [8, 16, 16, 15.5], "x"]:
        text = str(check("test.shape", answer))
        assert "(8, 16, 16, 14)" not in text and "14" not in text, text
    for answer in [{"a"}, {"c"}, {"a", "b"}, {"b", "c", "d"}, "a b c d", {"d"}]:
        text = str(check("test.pick", answer))
        assert "{'a', 'c'}" not in text and "'a', 'c'" not in text, text


@pytest.mark.parametrize("ex", [e for e in exs.exercises() if e.kind in ("value", "choice")],
                         ids=lambda e: e.id)
def test_registered_value_and_choice_verdicts_do_not_leak(ex):
    expected = ex.expected_answer()
    shown = fmt(expected) if ex.kind == "value" else "{" + ", ".join(map(repr, sorted(expected))) + "}"
    if ex.kind == "choice" and len(expected) == 1:
        pytest.skip("a single key cannot be told apart from the learner's own")
    for answer, _ in ex.examples_wrong:
        text = str(check(ex.id, answer, record=False))
        assert shown not in text, (answer, text)


# --------------------------------------------------------------------------- 9. messages

def test_tuple_answers_name_the_wrong_element_first():
    text = check("test.shape", (8, 16, 17, 14)).summary
    assert text.index("element 2 of the tuple") < text.index("(8, 16, 17, 14)")


def test_got_is_captured_when_the_call_returns():
    buffer = np.zeros((3, 3))

    def shares_a_buffer(x):  # returns the same array every time, overwritten by later calls
        buffer[...] = 0
        if x.shape == (3, 3):
            buffer[...] = 2 * x + 1
            return buffer
        return 2 * x

    for mode in ("isolated", "in-process"):
        exs.set_checking_mode(mode)
        try:
            result = check("test.double", shares_a_buffer, record=False)
        finally:
            exs.set_checking_mode("auto")
        assert result.status == "incorrect"
        got_text = result.details.split("got:")[1]
        assert "0. 0. 0." not in got_text, (mode, result.details)


@pytest.mark.parametrize("bad, error", [("5", TypeError), (True, TypeError), (0, ValueError),
                                        (-1, ValueError), (float("nan"), ValueError)])
def test_timeout_is_validated_like_set_timeout(bad, error):
    with pytest.raises(error, match=r"check: timeout"):
        check("test.double", _double, timeout=bad)
    with pytest.raises(error, match=r"set_timeout: timeout"):
        exs.set_timeout(bad)
    assert check("test.double", _double, timeout=2.5).passed
    with pytest.raises(TypeError, match="check: seed"):
        check("test.double", _double, seed="1")


# --------------------------------------------------------------------------- the contract

def test_solution_shows_the_worked_solution_code():
    text = str(exs.solution("test.double"))
    assert "def double(x):" in text and "return x + x" in text
    assert "answer = {'a', 'c'}" in str(exs.solution("test.pick"))


def test_run_solution_uses_a_copy_of_the_callers_namespace():
    namespace = {"double": "the learner's own", "np": np}
    result = exs.run_solution("test.double", show=False, namespace=namespace)
    assert result.passed and namespace == {"double": "the learner's own", "np": np}
    assert exs.run_solution("test.shape", show=False, namespace={}).passed
    assert exs.run_solution("test.pick", show=False, namespace={}).passed
    assert _progress.load() == {}

    double = "mine"  # noqa: F841 - run_solution must not overwrite the caller's name
    assert exs.run_solution("test.double", show=False).passed
    assert double == "mine"


def test_run_solution_displays_the_solution(capsys):
    assert exs.run_solution("test.double").passed
    assert "def double(x):" in capsys.readouterr().out


def test_a_broken_worked_solution_is_an_internal_error():
    broken = Exercise(id="test.broken-solution", title="Broken", chapter="tests", kind="value",
                      answer=3, hints=["h"], examples_wrong=[(4, "x"), (5, "y")],
                      solution_code="answer = undefined_name\n")
    register(broken)
    try:
        result = exs.run_solution("test.broken-solution", show=False, namespace={})
        assert result.status == "error" and result.internal and "NameError" in str(result)
    finally:
        _core._REGISTRY.pop("test.broken-solution", None)
        _core._OWNER.pop("test.broken-solution", None)


# --------------------------------------------------------------------------- contrast (issue 11)

@pytest.mark.parametrize("style", sorted(COLOURS))
def test_verdict_text_contrast_is_at_least_4_5(style):
    background = COLOURS[style][1]
    assert contrast_ratio(TITLE_COLOURS[style], background) >= 4.5
    assert contrast_ratio(TEXT_COLOUR, background) >= 4.5
    html = exs.Message("title", [("p", "text"), ("pre", "code")], style=style)._repr_html_()
    colours = re.findall(r"(?<![-\w])color: (#[0-9a-f]{6})", html)
    assert colours and all(contrast_ratio(c, background) >= 4.5 for c in colours), colours


def test_contrast_ratio_matches_wcag():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#f9a825", "#fffde7") == pytest.approx(1.92, abs=0.01)  # the old title
