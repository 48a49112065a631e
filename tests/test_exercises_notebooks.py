"""Every registered exercise lives in exactly one notebook, and its worked solution passes there.

Static part (fast): each exercise has exactly one stub check cell, ``check("<id>", <name>)``,
in the notebook of its chapter; its solution cell calls ``run_solution("<id>")`` inside the
``{solution-start}``/``{solution-end}`` dropdown; no other cell calls ``check()`` with recording
on; every ``solution_code`` uses only names the notebook imports above the stub (no private
helpers of the package).

Executed part: every code cell above each stub is run in one IPython namespace per notebook
(in order, as "Run All" would), then the exercise's ``solution_code`` is executed in a COPY of
that namespace and must pass ``check(..., record=False)``. Only compute- or display-heavy cells
are skipped, by a rule written down in ``_heavy`` (animations rendered to HTML, training runs,
live widget explorers), together with the later cells that use a name only those cells define.
The notebooks' own ``run_solution`` cells above later stubs are executed too: afterwards the
learner's stub must still be the object the stub cell defined, and nothing may be recorded.
"""
from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

import cnncourse.exercises as exs  # noqa: E402
from cnncourse.exercises import check  # noqa: E402

BOOK = Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))
ALL = exs.exercises()
STUB_RE = re.compile(r'check\("([^"]+)", *([A-Za-z_]\w*)\)\s*')
CHECK_CALL = re.compile(r"(?<![\w.])check\(")
RUN_SOLUTION_RE = re.compile(r'run_solution\("([^"]+)"\)')


def _cells(path):
    return nbformat.read(path, 4).cells


def _stubs():
    """{exercise id: [(notebook, cell index, answer name), ...]}"""
    found = {}
    for path in NOTEBOOKS:
        for i, c in enumerate(_cells(path)):
            if c.cell_type == "code":
                m = STUB_RE.fullmatch(c.source)
                if m:
                    found.setdefault(m.group(1), []).append((path, i, m.group(2)))
    return found


STUBS = _stubs()


def test_every_exercise_has_exactly_one_stub_in_its_chapter():
    ids = {e.id for e in ALL}
    assert not set(STUBS) - ids, f"stub cells for unknown exercises: {set(STUBS) - ids}"
    for ex in ALL:
        where = STUBS.get(ex.id, [])
        assert len(where) == 1, f"{ex.id}: {len(where)} stub cells {where}"
        path, _, name = where[0]
        assert path.stem == ex.chapter, f"{ex.id} is registered for {ex.chapter} but its stub is in {path.name}"
        if ex.kind != "function":
            assert name == "answer", f"{ex.id}: a value/choice stub checks `answer`, got {name}"


def test_no_cell_records_except_the_learners_stub_check_cells():
    for path in NOTEBOOKS:
        for i, c in enumerate(_cells(path)):
            if c.cell_type != "code" or STUB_RE.fullmatch(c.source):
                continue
            try:
                calls = [n for n in ast.walk(ast.parse(c.source)) if isinstance(n, ast.Call)
                         and isinstance(n.func, ast.Name) and n.func.id == "check"]
            except SyntaxError:  # IPython magics: fall back to the text
                assert not CHECK_CALL.search(c.source), f"{path.name} cell {i} calls check()"
                continue
            for call in calls:
                off = [k for k in call.keywords if k.arg == "record"
                       and isinstance(k.value, ast.Constant) and k.value.value is False]
                assert off, (f"{path.name} cell {i} calls check() with recording on: "
                             f"{ast.get_source_segment(c.source, call)!r}")


def test_solution_cells_call_run_solution_inside_the_dropdown():
    for ex in ALL:
        path, stub_index, _ = STUBS[ex.id][0]
        cells = _cells(path)
        hits = [i for i, c in enumerate(cells)
                if c.cell_type == "code" and ex.id in RUN_SOLUTION_RE.findall(c.source)]
        assert len(hits) == 1, f"{ex.id}: {len(hits)} run_solution cells in {path.name}"
        i = hits[0]
        assert i > stub_index, f"{ex.id}: the solution cell comes before the stub"
        before = "\n".join(c.source for c in cells[stub_index:i] if c.cell_type == "markdown")
        after = next(c.source for c in cells[i + 1:] if c.cell_type == "markdown")
        assert before.rfind("{solution-start}") > before.rfind("{solution-end}"), ex.id
        assert "{solution-end}" in after, ex.id
        # the cell runs the worked solution, nothing that could redefine the learner's name
        tree = ast.parse(cells[i].source)
        assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not (assigned | defined), f"{ex.id}: the solution cell binds {assigned | defined}"


# --------------------------------------------------------------------------- names used by the solutions

def _imported_names(sources):
    names = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:  # IPython magics: not an import
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names |= {a.asname or a.name for a in node.names}
    return names


def _free_names(source):
    """Global names a snippet reads that it does not bind itself (module level only)."""
    tree = ast.parse(source)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            args = node.args
            bound |= {a.arg for a in args.args + args.kwonlyargs + args.posonlyargs}
            if isinstance(node, ast.FunctionDef):
                bound.add(node.name)
        elif isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return loaded - bound - set(dir(builtins))


@pytest.mark.parametrize("ex", ALL, ids=[e.id for e in ALL])
def test_solution_code_uses_only_names_the_notebook_imports(ex):
    assert ex.solution_code.strip(), f"{ex.id} has no solution_code"
    path, stub_index, name = STUBS[ex.id][0]
    cells = _cells(path)
    imported = _imported_names(c.source for c in cells[:stub_index] if c.cell_type == "code")
    missing = _free_names(ex.solution_code) - imported
    assert not missing, f"{ex.id}: solution_code uses {missing}, not imported above the stub in {path.name}"
    assert not re.search(r"\b_[a-z]\w*\(", ex.solution_code) and "._" not in ex.solution_code, (
        f"{ex.id}: solution_code calls a private helper")
    tree = ast.parse(ex.solution_code)
    if ex.kind == "function":
        defs = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert defs == [name], f"{ex.id}: solution_code must define exactly {name}(), defines {defs}"
    else:
        targets = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                   if isinstance(t, ast.Name)}
        assert "answer" in targets, f"{ex.id}: solution_code must assign `answer`"


# --------------------------------------------------------------------------- executed in the notebook

HEAVY = {
    "animation": re.compile(r"\banimate_\w+\(|to_jshtml\("),
    "training run": re.compile(r"\btrain\.(fit|cross_validate)\("),
    "live widget": re.compile(r"\w+Explorer\("),
}


def _heavy(source):
    return next((why for why, rx in HEAVY.items() if rx.search(source)), None)


def _stores_and_loads(source):
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    stores = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    stores |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return stores, loads


SKIPPED: dict[str, list[str]] = {}


@pytest.fixture
def _ipython_shell():
    """One IPython shell per test, removed afterwards with the interpreter hooks it set."""
    import sys

    from IPython.core.interactiveshell import InteractiveShell

    hooks = sys.displayhook, sys.excepthook
    shell = InteractiveShell.instance()
    try:
        yield shell
    finally:
        shell.reset(new_session=False)
        InteractiveShell.clear_instance()
        sys.displayhook, sys.excepthook = hooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solutions_pass_in_their_notebook(path, tmp_path, monkeypatch, _ipython_shell):
    stubs = {i: (ex_id, name) for ex_id, where in STUBS.items() for p, i, name in where if p == path}
    if not stubs:
        pytest.skip(f"{path.name} has no exercise")
    data_dir = tmp_path / "progress"
    monkeypatch.setenv("CNNCOURSE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(path.parent)
    import matplotlib.pyplot as plt

    shell = _ipython_shell
    cells = _cells(path)
    tainted, skipped, failures = set(), [], []
    stub_objects = {}
    solution_cells = {i: ex_id for i, c in enumerate(cells) if c.cell_type == "code"
                      for ex_id in RUN_SOLUTION_RE.findall(c.source)}
    for i, c in enumerate(cells[:max([*stubs, *solution_cells]) + 1]):
        if c.cell_type != "code":
            continue
        if i in stubs:
            ex_id, name = stubs[i]
            ex = exs.get(ex_id)
            assert not (_free_names(ex.solution_code) & tainted), (ex_id, tainted)
            namespace = dict(shell.user_ns)
            exec(compile(ex.solution_code, f"<solution_code of {ex_id}>", "exec"), namespace)
            result = check(ex_id, namespace[name], record=False, timeout=10)
            if not result.passed:
                failures.append(f"{ex_id}:\n{result}")
            stub_objects[ex_id] = (name, shell.user_ns.get(name))
        stores, loads = _stores_and_loads(c.source)
        why = _heavy(c.source) or ("uses " + ", ".join(sorted(loads & tainted)) if loads & tainted else None)
        if why:
            skipped.append(f"{path.stem}[{i}] ({why})")
            tainted |= stores
            continue
        tainted -= stores
        r = shell.run_cell(c.source, silent=True, store_history=False)
        plt.close("all")
        assert r.success, f"{path.name} cell {i} failed: {r.error_in_exec or r.error_before_exec}"
        if i in solution_cells and solution_cells[i] in stub_objects:
            # the worked solution ran and was checked without replacing the learner's answer
            name, obj = stub_objects[solution_cells[i]]
            assert shell.user_ns.get(name) is obj, f"{path.name} cell {i} rebound the learner's {name}"
    SKIPPED[path.stem] = skipped
    print(f"{path.name}: skipped {len(skipped)} cell(s): {skipped}")
    assert not failures, "\n\n".join(failures)
    # neither the stub checks (not attempted) nor the run_solution cells recorded a pass
    recorded = {chapter: p for chapter, (p, _) in exs.progress().passed.items() if p}
    assert not recorded, f"running {path.name} top to bottom recorded passes: {recorded}"
