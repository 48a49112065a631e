"""Sphinx extension of the cnncourse book: how to check an exercise, and a self-check in the page.

The directive, placed in an exercise box (before ``exercise-end``)::

    ```{exercise-check} why.invariance
    ```

writes, for every exercise, how to get an answer checked (launch the page as a notebook, or
run it locally), and for ``choice`` and ``value`` exercises a small form that checks the answer
right in the static page, with the verdict and hint text of :func:`cnncourse.exercises.check`.

The verdicts are computed at build time by the real checker (every subset of options for a
``choice`` exercise; the right value and every registered wrong example and mistake for a
``value`` one) and stored encrypted: each is keyed by ``SHA-256(salt|id|normalised answer)``
and XOR-ed with a key stream derived from the same answer, so the page source does not show
the answer or which verdict is the right one; the browser recomputes the hash of what the
reader entered. ``normalise_choice`` and ``normalise_value`` here and ``normalise*`` in
``cnn-selfcheck.js`` must agree (tested in ``tests/test_book_ext.py``).
"""
from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import math
import os
import re
import secrets
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

HERE = Path(__file__).parent
JS_FILE = "cnn-selfcheck.js"

HOW_TO_CHECK = (
    "<strong>Check your answer:</strong> run this page as a notebook, either with the rocket "
    "button at the top of the page (Binder, Colab, or in your browser) or locally (see "
    "<em>How to use this book</em>), write your answer in the cell with the stub and run the "
    "<code>check(&quot;{id}&quot;, …)</code> cell below it."
)

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def normalise_choice(keys) -> str:
    """Option keys -> ``"a,c"`` (sorted, lower case, no duplicates)."""
    if isinstance(keys, str):
        keys = re.split(r"[\s,;]+", keys.strip())
    return ",".join(sorted({str(k).strip().lower() for k in keys if str(k).strip()}))


def _fmt_number(x: float) -> str:
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    return repr(math.floor(x * 1e4 + 0.5) / 1e4)


def normalise_value(value) -> str:
    """Any number, tuple, list or array (or the text a reader types) -> ``"8,16,16,14"``."""
    if isinstance(value, str):
        numbers = [float(m) for m in _NUMBER.findall(value)]
    else:
        import numpy as np

        def flat(v):
            if isinstance(v, (list, tuple)):
                for item in v:
                    yield from flat(item)
            else:
                yield from np.asarray(v, dtype=float).ravel().tolist()

        numbers = list(flat(value))
    return ",".join(_fmt_number(x) for x in numbers)


def _key_stream(seed: str, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return out[:n]


def seal(salt: str, exercise_id: str, norm: str, verdict: dict) -> dict:
    """One stored entry: the answer's hash and the verdict encrypted with a key from the answer."""
    base = f"{salt}|{exercise_id}|{norm}"
    data = json.dumps(verdict, ensure_ascii=False).encode()
    stream = _key_stream(base + "|k", len(data))
    return {"h": hashlib.sha256(base.encode()).hexdigest(),
            "v": base64.b64encode(bytes(a ^ b for a, b in zip(data, stream))).decode()}


def unseal(salt: str, exercise_id: str, norm: str, entries) -> dict | None:
    """What the browser does: find the entry of an answer and decrypt its verdict."""
    base = f"{salt}|{exercise_id}|{norm}"
    h = hashlib.sha256(base.encode()).hexdigest()
    for e in entries:
        if e["h"] == h:
            data = base64.b64decode(e["v"])
            stream = _key_stream(base + "|k", len(data))
            return json.loads(bytes(a ^ b for a, b in zip(data, stream)).decode())
    return None


def _verdict(result) -> dict:
    return {"status": result.status, "message": result.message}


def selfcheck_data(exercise_id: str, salt: str | None = None) -> dict:
    """Everything the page needs to self-check ``exercise_id`` (a choice or value exercise)."""
    from cnncourse.exercises import check, get

    ex = get(exercise_id)
    salt = secrets.token_hex(8) if salt is None else salt
    entries = {}
    if ex.kind == "choice":
        keys = [str(k) for k in ex.options]
        for r in range(0, len(keys) + 1):
            for subset in itertools.combinations(keys, r):
                answer = set(subset) if subset else set()
                result = check(exercise_id, answer, record=False)
                entries[normalise_choice(subset)] = _verdict(result)
    elif ex.kind == "value":
        candidates = [ex.expected_answer()] + [w for w, _ in ex.examples_wrong]
        candidates += [m.wrong for m in ex.mistakes if m.wrong is not None and m.when is None]
        for answer in candidates:
            try:
                norm = normalise_value(answer)
            except (TypeError, ValueError):
                continue
            if norm and norm not in entries:
                entries[norm] = _verdict(check(exercise_id, answer, record=False))
    else:
        raise ValueError(f"selfcheck_data: {exercise_id!r} is a {ex.kind!r} exercise; only 'choice' "
                         f"and 'value' exercises can be checked in the static page")
    sealed = [seal(salt, exercise_id, norm, v) for norm, v in sorted(entries.items())]
    sealed.sort(key=lambda e: e["h"])   # the order gives nothing away
    return {"id": exercise_id, "kind": ex.kind, "salt": salt, "title": ex.title,
            "options": dict(ex.options or {}), "entries": sealed}


def selfcheck_html(exercise_id: str, salt: str | None = None) -> str:
    """The HTML of the how-to-check note, plus the self-check form for choice/value exercises."""
    from cnncourse.exercises import get

    ex = get(exercise_id)
    esc = html.escape
    parts = [f'<div class="cnn-exercise-check" data-exercise="{esc(ex.id)}" data-kind="{esc(ex.kind)}">',
             f'<p class="cnn-how-to-check">{HOW_TO_CHECK.format(id=esc(ex.id))}</p>']
    if ex.kind in ("choice", "value"):
        data = selfcheck_data(exercise_id, salt)
        fid = "cnn-sc-" + re.sub(r"[^a-z0-9]+", "-", ex.id.lower())
        parts.append(f'<form class="cnn-selfcheck" id="{fid}" data-exercise="{esc(ex.id)}" '
                     f'aria-label="Check your answer to {esc(ex.id)} in this page">')
        parts.append('<p class="cnn-selfcheck-intro"><strong>Or check it here, in the page:</strong> '
                     + ("tick every statement you think is true, then press Check."
                        if ex.kind == "choice" else "type your answer (numbers, e.g. as a tuple or a "
                        "nested list), then press Check.") + "</p>")
        if ex.kind == "choice":
            parts.append('<fieldset><legend>Options</legend>')
            for key, text in data["options"].items():
                parts.append(f'<label class="cnn-selfcheck-option"><input type="checkbox" name="choice" '
                             f'value="{esc(key)}"> <b>{esc(key)}</b>: {esc(text)}</label>')
            parts.append("</fieldset>")
        else:
            parts.append(f'<label for="{fid}-input">Your answer</label> '
                         f'<input type="text" id="{fid}-input" name="value" autocomplete="off" '
                         f'spellcheck="false" class="cnn-selfcheck-input">')
        parts.append('<button type="submit" class="cnn-selfcheck-button">Check</button>')
        parts.append('<div class="cnn-selfcheck-verdict" role="status" aria-live="polite" hidden></div>')
        payload = json.dumps(data).replace("</", "<\\/")
        parts.append(f'<script type="application/json" class="cnn-selfcheck-data">{payload}</script>')
        parts.append("</form>")
    parts.append("</div>")
    return "".join(parts)


class ExerciseCheck(Directive):
    """``{exercise-check} <exercise id>``: how to check this exercise (+ a self-check form)."""

    required_arguments = 1
    has_content = False

    def run(self):
        exercise_id = self.arguments[0].strip()
        try:
            markup = selfcheck_html(exercise_id)
        except (KeyError, ValueError) as exc:
            raise self.error(f"exercise-check: {exc}") from exc
        return [nodes.raw("", markup, format="html")]


def _drop_widget_state(app, env):
    """No ipywidgets state in the pages: explorers show their HTML fallback (see _config.yml)."""
    for data in getattr(env, "nb_metadata", {}).values():
        js_files = data.get("js_files", {})
        for key in [k for k in js_files if k.startswith("ipywidgets")]:
            del js_files[key]


def _add_static(app):
    app.config.html_static_path.append(str(HERE / "static"))


def setup(app):
    # The kernels that execute the chapters inherit this: progress bars become one plain final
    # line instead of a widget that would be frozen in the page (cnncourse.viz.progress).
    os.environ["CNNCOURSE_STATIC_OUTPUT"] = "1"
    app.add_directive("exercise-check", ExerciseCheck)
    app.connect("builder-inited", _add_static)
    app.connect("env-check-consistency", _drop_widget_state)
    app.add_js_file(JS_FILE)
    app.add_css_file("cnn-book.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
