"""The book's Sphinx extension book/_ext/cnn_exercises.py: the static self-check data round trip.

The page must give the checker's own verdict for what the reader picks or types, without the
answer being readable in the page source. The JavaScript half is run with Node when available.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import cnn_exercises as ext  # noqa: E402

from cnncourse.exercises import check, exercises, get  # noqa: E402

STATIC = [e.id for e in exercises() if e.kind in ("choice", "value")]


def test_there_are_static_exercises():
    assert {get(i).kind for i in STATIC} == {"choice", "value"}


@pytest.mark.parametrize("exercise_id", STATIC)
def test_round_trip_gives_the_checkers_verdict(exercise_id):
    ex = get(exercise_id)
    data = ext.selfcheck_data(exercise_id, salt="testsalt")
    if ex.kind == "choice":
        right = ext.normalise_choice(ex.expected_answer())
        assert len(data["entries"]) == 2 ** len(ex.options)           # every subset, the empty one too
        wrong_keys = sorted(set(ex.options) - set(ex.expected_answer()))[:1]
        wrong_answer = set(wrong_keys)
    else:
        right = ext.normalise_value(ex.expected_answer())
        wrong_answer = ex.examples_wrong[0][0]
    got = ext.unseal("testsalt", exercise_id, right, data["entries"])
    assert got["status"] == "correct"
    assert got["message"] == check(exercise_id, ex.expected_answer(), record=False).message
    wrong_norm = ext.normalise_choice(wrong_answer) if ex.kind == "choice" else ext.normalise_value(wrong_answer)
    got = ext.unseal("testsalt", exercise_id, wrong_norm, data["entries"])
    assert got["status"] == "incorrect"
    assert got["message"] == check(exercise_id, wrong_answer, record=False).message
    # a different salt cannot open this data
    assert ext.unseal("other", exercise_id, right, data["entries"]) is None


@pytest.mark.parametrize("exercise_id", STATIC)
def test_answer_not_in_plain_sight(exercise_id):
    ex = get(exercise_id)
    page = ext.selfcheck_html(exercise_id)
    text = re.sub(r"<[^>]+>", " ", page)
    assert "is right" not in page and "Correct" not in page
    if ex.kind == "value":
        # as a token a reader could see: the page's random salt and sealed data are base64 and
        # hex, which contain any short number by chance ("400" inside "ab400f" is not readable)
        for answer in {ext.normalise_value(ex.expected_answer()), str(ex.expected_answer())}:
            token = rf"(?<![\w.+/=-]){re.escape(answer)}(?![\w+/=]|\.\d)"
            assert not re.search(token, text), f"{answer!r} readable in the page text"
            assert not re.search(token, page), f"{answer!r} readable in the page source"
    assert 'data-kind="%s"' % ex.kind in page and "form" in page


def test_how_to_check_for_function_exercises_and_errors():
    fn = next(e.id for e in exercises() if e.kind == "function")
    page = ext.selfcheck_html(fn)
    assert "Check your answer:" in page and "rocket" in page and "<form" not in page
    with pytest.raises(ValueError, match="selfcheck_data: .* 'function' exercise"):
        ext.selfcheck_data(fn)


def test_normalisation():
    assert ext.normalise_value("(8, 16, 16, 14)") == ext.normalise_value((8, 16, 16, 14)) == "8,16,16,14"
    assert ext.normalise_value("[[-2., -1.0], [3e0, .5]]") == "-2,-1,3,0.5"
    assert ext.normalise_choice({"C", "a"}) == ext.normalise_choice("a, c") == "a,c"


def test_javascript_agrees_with_python():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is needed to run the self-check script in CI")
        pytest.skip("node not installed: the browser tests cover the script")
    ex_id = next(i for i in STATIC if get(i).kind == "value")
    ex = get(ex_id)
    data = ext.selfcheck_data(ex_id, salt="s4lt")
    typed = str(ex.expected_answer().tolist() if hasattr(ex.expected_answer(), "tolist") else ex.expected_answer())
    script = (ROOT / "book/_ext/static/cnn-selfcheck.js").read_text()
    harness = ("var window = {}; var document = {readyState: 'complete', querySelectorAll: function () "
               "{ return []; }};\n" + script + "\nvar sc = window.cnnSelfcheck;\n"
               f"var data = {json.dumps(data)};\n"
               f"var norm = sc.normaliseValue({json.dumps(typed)});\n"
               "console.log(JSON.stringify({sha: sc.sha256('abc'), long: sc.sha256('a'.repeat(200)), "
               "norm: norm, verdict: sc.unseal(data, norm), choice: sc.normaliseChoice(['C', 'a', 'a'])}));")
    out = json.loads(subprocess.run([node, "-e", harness], capture_output=True, text=True, check=True).stdout)
    import hashlib
    assert out["sha"] == hashlib.sha256(b"abc").hexdigest()
    assert out["long"] == hashlib.sha256(b"a" * 200).hexdigest()
    assert out["norm"] == ext.normalise_value(ex.expected_answer())
    assert out["verdict"]["status"] == "correct"
    assert out["verdict"]["message"] == check(ex_id, ex.expected_answer(), record=False).message
    assert out["choice"] == "a,c"


def test_bibliography_labels_are_author_year_and_entries_have_links():
    import pybtex.database

    import bib_authoryear

    bib = pybtex.database.parse_file(str(ROOT / "references.bib"))
    style = bib_authoryear.AuthorYearStyle()
    formatted = list(style.format_entries(style.sort(bib.entries.values())))
    labels = {e.key: e.label for e in formatted}
    assert labels["hubel1962receptive"] == "Hubel and Wiesel, 1962"
    assert labels["lecun1998gradient"] == "LeCun et al., 1998"
    assert labels["scherer2010evaluation"] == "Scherer et al., 2010"
    assert len(set(labels.values())) == len(labels)
    for key, entry in bib.entries.items():
        assert {"doi", "url", "eprint"} & {f.lower() for f in entry.fields}, f"{key} has no DOI, arXiv id or URL"
    text = {e.key: e.text.render_as("html") for e in formatted}
    assert "https://doi.org/10.1109/5.726791" in text["lecun1998gradient"]
    assert "arxiv.org/abs/1603.07285" in text["dumoulin2016guide"]
