"""Every chapter runs anywhere: Binder, Colab, the browser (JupyterLite) and locally.

- Binder: ``binder/`` pins Python 3.11 and a runtime-only set that holds every module the
  chapters import (a ``pip install --dry-run`` for Python 3.11 runs in CI, or with
  ``CNNCOURSE_NETWORK_TESTS=1``: it needs the package index).
- The first code cell of every chapter is the install cell, hidden from the book; it does
  nothing here, installs from git on Colab and the served wheel in JupyterLite; it,
  ``_config.yml`` and ``pyproject.toml`` agree on URL and version.
- The wheel that the lite site serves installs into a fresh venv and imports.
- Over the built book (``_build/html``; skipped when it is missing, failed in CI): every chapter
  has Binder, Colab and "Run in the browser" buttons with absolute URLs, and the lite site holds
  every chapter and the wheel.
"""
from __future__ import annotations

import ast
import asyncio
import html.parser
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import types
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CI = os.environ.get("CI") == "true"

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import cnncourse_lite  # noqa: E402
import install_cell  # noqa: E402

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REPO_URL = CONFIG["repository"]["url"]
BRANCH = CONFIG["repository"].get("branch", "main")
CHAPTERS = install_cell.chapters(ROOT)
# the top-level module a chapter imports -> the distribution that provides it
DISTRIBUTION = {"sklearn": "scikit-learn", "IPython": "ipython", "PIL": "pillow",
                "mpl_toolkits": "matplotlib", "cnncourse": "."}
TOOLCHAIN = {"jupyter-book", "sphinx", "myst-nb", "sphinx-book-theme", "sphinx-exercise",
             "sphinxcontrib-bibtex", "pytest", "pytest-xdist", "hypothesis", "nbval",
             "jupyterlite-core", "jupyterlite-pyodide-kernel", "jupyter-server"}


def _requirements(path: Path) -> dict[str, str]:
    """{name or '.': the whole line} of a requirements file (comments dropped)."""
    reqs = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name = "." if line in (".", "-e .") else re.split(r"[=<>!~\[; ]", line, 1)[0].lower()
        reqs[name] = line
    return reqs


def _code_cells(path: Path):
    return [c for c in nbformat.read(path, 4).cells if c.cell_type == "code"]


def _imported_modules(source: str) -> set[str]:
    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(source))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_there_are_chapters():
    assert len(CHAPTERS) >= 7
    assert all(p.suffix == ".ipynb" for p in CHAPTERS)


# --- Binder ------------------------------------------------------------------------------
def test_binder_pins_python_3_11():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_binder_requirements_are_the_runtime_only():
    binder = _requirements(ROOT / "binder" / "requirements.txt")
    assert "." in binder, "Binder must install the package itself"
    assert not TOOLCHAIN & set(binder), f"Binder installs book tooling: {TOOLCHAIN & set(binder)}"
    for name, line in binder.items():
        assert name == "." or "==" in line, f"binder/requirements.txt: {line!r} is not pinned"
    # the same pins as the full stack
    full = _requirements(ROOT / "requirements.txt")
    for name, line in binder.items():
        if name in full and name != ".":
            assert line == full[name], f"binder pins {line!r}, requirements.txt {full[name]!r}"
    # and the package's own dependencies are all there
    for dep in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["widgets"]:
        name = re.split(r"[=<>!~\[; ]", dep, 1)[0].lower()
        assert name in binder, f"binder/requirements.txt lacks {name} (a dependency of cnncourse)"


def test_binder_requirements_hold_every_module_the_chapters_import():
    binder = _requirements(ROOT / "binder" / "requirements.txt")
    stdlib = set(sys.stdlib_module_names)
    needed = {}
    for path in CHAPTERS:
        for cell in _code_cells(path):
            if install_cell.is_install_cell(cell):
                continue  # google.colab exists only on Colab
            for module in _imported_modules(cell.source) - stdlib:
                needed.setdefault(module, path.name)
    assert {"numpy", "cnncourse", "matplotlib"} <= set(needed)  # the parser found imports
    missing = {m: where for m, where in needed.items()
               if DISTRIBUTION.get(m, m.lower()) not in binder}
    assert not missing, f"imported by the chapters but not in binder/requirements.txt: {missing}"


@pytest.mark.skipif(not (CI or os.environ.get("CNNCOURSE_NETWORK_TESTS") == "1"),
                    reason="needs the package index: runs in CI or with CNNCOURSE_NETWORK_TESTS=1")
def test_binder_requirements_resolve_for_python_3_11(tmp_path):
    # The package itself ('.') is replaced by its declared dependencies: pip cannot build a
    # local source tree for another Python version; the wheel test below installs the package.
    lines = [line for name, line in _requirements(ROOT / "binder" / "requirements.txt").items()
             if name != "."]
    lines += PROJECT["dependencies"] + PROJECT["optional-dependencies"]["widgets"]
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--python-version", "3.11", "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
         "--platform", "manylinux_2_28_x86_64", "--target", str(tmp_path / "target"),
         "-r", str(reqs)],   # (pip before 24 takes --platform only with --target; nothing is written)
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]


# --- The install cell ----------------------------------------------------------------------
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_install_cell(path):
    cells = _code_cells(path)
    first = cells[0]
    assert first.source == install_cell.cell_source(ROOT), (
        f"{path.name}: the first code cell is not the install cell (run scripts/install_cell.py)")
    assert "remove-cell" in first.metadata.get("tags", []), "the install cell must be hidden in the book"
    assert not first.get("outputs"), "the install cell prints nothing outside Colab/JupyterLite"
    assert not any(install_cell.is_install_cell(c) for c in cells[1:]), "only one install cell"


def test_install_cell_url_and_version_agree_with_config_and_pyproject():
    import cnncourse

    source = install_cell.cell_source(ROOT)
    version = PROJECT["version"]
    assert cnncourse.__version__ == version
    assert f'"cnncourse[widgets] @ git+{REPO_URL}@v{version}"' in source
    assert f'"cnncourse[widgets]=={version}"' in source
    assert PROJECT["urls"]["Repository"] == REPO_URL
    assert PROJECT["urls"]["Homepage"] == cnncourse_lite.pages_url(REPO_URL)
    # one notebook, read back from disk, holds exactly these strings
    text = CHAPTERS[0].read_text()
    assert f"git+{REPO_URL}@v{version}" in text


class _Shell:
    def __init__(self):
        self.calls = []

    def run_line_magic(self, name, line):
        self.calls.append((name, line))


def _run_install_cell(monkeypatch, *, colab=False, platform=None):
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(install_cell.cell_source(ROOT))
    shell = _Shell()
    widget_manager = []
    if colab:
        google = types.ModuleType("google")
        colab_mod = types.ModuleType("google.colab")
        colab_mod.output = types.SimpleNamespace(
            enable_custom_widget_manager=lambda: widget_manager.append(True))
        google.colab = colab_mod
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab_mod)
    if platform:
        monkeypatch.setattr(sys, "platform", platform)
    exec(compile(code, "<install cell>", "exec"), {"get_ipython": lambda: shell})
    return shell.calls, widget_manager


def test_install_cell_does_nothing_here(monkeypatch):
    calls, widget_manager = _run_install_cell(monkeypatch)
    assert calls == [] and widget_manager == []


def test_install_cell_installs_from_git_on_colab(monkeypatch):
    calls, widget_manager = _run_install_cell(monkeypatch, colab=True)
    version = PROJECT["version"]
    assert calls == [("pip", f'install -q "cnncourse[widgets] @ git+{REPO_URL}@v{version}"')]
    assert widget_manager == [True]


def test_install_cell_installs_the_served_wheel_in_jupyterlite(monkeypatch):
    calls, _ = _run_install_cell(monkeypatch, platform="emscripten")
    assert calls == [("pip", f'install -q "cnncourse[widgets]=={PROJECT["version"]}"')]


def _pyodide_kernel_wheels():
    spec = importlib.util.find_spec("jupyterlite_pyodide_kernel")
    if spec is None:
        return None
    pypi = Path(sysconfig.get_paths()["data"]) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi"
    wheels = {w.name.split("-")[0]: w for w in pypi.glob("*.whl")}
    return wheels if {"piplite", "pyodide_kernel"} <= set(wheels) else None


def test_jupyterlite_kernel_turns_the_install_cell_into_a_piplite_install(tmp_path, monkeypatch):
    """The Pyodide kernel's own cell transformer (from its wheel) rewrites both %pip lines."""
    wheels = _pyodide_kernel_wheels()
    if wheels is None:
        pytest.skip("jupyterlite-pyodide-kernel is not installed")
    for wheel in wheels.values():
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(tmp_path)
    piplite = types.ModuleType("piplite")  # only piplite.cli is needed; its __init__ needs micropip
    piplite.__path__ = [str(tmp_path / "piplite")]
    monkeypatch.setitem(sys.modules, "piplite", piplite)
    spec = importlib.util.spec_from_file_location(
        "litetransform", tmp_path / "pyodide_kernel" / "litetransform.py")
    litetransform = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(litetransform)
    code = asyncio.run(litetransform.LiteTransformerManager().transform_cell(
        install_cell.cell_source(ROOT)))
    compile(code, "<lite cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    version = PROJECT["version"]
    assert f"""await __import__("piplite").install(**{{'requirements': ['cnncourse[widgets]=={version}']}})""" in code
    assert "%pip" not in code


# --- The wheel ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return cnncourse_lite.build_wheel(ROOT, tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_the_whole_package_and_its_metadata(wheel):
    assert wheel.name == f"cnncourse-{PROJECT['version']}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"cnncourse-{PROJECT['version']}.dist-info/METADATA").decode()
        record = zf.read(f"cnncourse-{PROJECT['version']}.dist-info/RECORD").decode()
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cnncourse").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert sources <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert len(record.splitlines()) == len(names)
    for dep in PROJECT["dependencies"]:
        assert f"Requires-Dist: {dep}\n" in metadata
    assert 'Requires-Dist: ipywidgets>=8; extra == "widgets"' in metadata
    assert f"Requires-Python: {PROJECT['requires-python']}" in metadata
    # the same sources give the same wheel
    again = cnncourse_lite.build_wheel(ROOT, wheel.parent / "again")
    assert again.read_bytes() == wheel.read_bytes()


def test_wheel_installs_into_a_fresh_venv_and_imports(wheel, tmp_path):
    venv = tmp_path / "venv"
    # without PYTHONPATH, which may point at this checkout (pip would find cnncourse there)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=env)
    python = venv / "bin" / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index",
                          "--quiet", str(wheel)], capture_output=True, text=True, timeout=120,
                         env=env, cwd=tmp_path)
    assert pip.returncode == 0, pip.stderr
    # cnncourse from the fresh venv; its dependencies (numpy, ...) from this environment,
    # appended after the venv's own site-packages
    deps = sysconfig.get_paths()["purelib"]
    script = (
        "import sys, importlib.metadata as md; sys.path.append(sys.argv[1]);"
        "import cnncourse, cnncourse.train, cnncourse.exercises, cnncourse.widgets, cnncourse._platform;"
        "print(cnncourse.__file__); print(cnncourse.__version__, md.version('cnncourse'))"
    )
    run = subprocess.run([str(python), "-c", script, deps], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    location, versions = run.stdout.splitlines()
    assert location.startswith(str(venv))
    assert versions == f"{PROJECT['version']} {PROJECT['version']}"


# --- Launch URLs ------------------------------------------------------------------------------
def test_lite_url_is_absolute_and_derived_from_the_repository():
    assert cnncourse_lite.pages_url("https://github.com/someone/some-book") == "https://someone.github.io/some-book/"
    assert cnncourse_lite.pages_url("https://github.com/Org/org.github.io") == "https://org.github.io/"
    assert cnncourse_lite.jupyterlite_url(REPO_URL).startswith("https://")
    with pytest.raises(ValueError, match="pages_url: repository_url"):
        cnncourse_lite.pages_url("https://gitlab.com/a/b")


# --- The built book ------------------------------------------------------------------------
def _need_html():
    if not (HTML / "index.html").is_file():
        if CI:
            pytest.fail("_build/html is missing: build the book first (jupyter-book build .)")
        pytest.skip("_build/html is missing: build the book to run this test")


class _LaunchMenu(html.parser.HTMLParser):
    """Collects (text, href) of the links inside the theme's launch-buttons dropdown."""

    def __init__(self):
        super().__init__()
        self.depth = 0       # > 0 inside the launch dropdown
        self.link = None
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag not in ("img", "br", "input", "meta", "link")
            if tag == "a":
                self.link = [attrs.get("href"), ""]
        elif tag == "div" and "dropdown-launch-buttons" in (attrs.get("class") or ""):
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            if tag == "a" and self.link:
                self.links.append((self.link[1].strip(), self.link[0]))
                self.link = None
            self.depth -= 1

    def handle_data(self, data):
        if self.link is not None:
            self.link[1] += data


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_page_has_the_three_launch_buttons(path):
    _need_html()
    page = HTML / path.relative_to(ROOT).with_suffix(".html")
    assert page.is_file(), f"{page} was not built"
    parser = _LaunchMenu()
    parser.feed(page.read_text())
    links = dict(parser.links)
    org, repo = REPO_URL.rstrip("/").split("/")[-2:]
    rel = path.relative_to(ROOT).as_posix()
    assert links.get("Binder") == f"https://mybinder.org/v2/gh/{org}/{repo}/{BRANCH}?urlpath=tree/{rel}"
    assert links.get("Colab") == f"https://colab.research.google.com/github/{org}/{repo}/blob/{BRANCH}/{rel}"
    lite = links.get("Run in the browser")
    assert lite == f"{cnncourse_lite.jupyterlite_url(REPO_URL)}?path={rel}", parser.links
    # the absolute URL points into this build: <site>/lite/notebooks/index.html, and the
    # notebook it names is in the lite site's files
    local = lite.split("?")[0].removeprefix(cnncourse_lite.pages_url(REPO_URL))
    assert (HTML / local).is_file()
    assert (HTML / "lite" / "files" / rel).is_file()


def test_the_install_cell_is_hidden_from_the_book():
    _need_html()
    page = (HTML / CHAPTERS[0].relative_to(ROOT).with_suffix(".html")).read_text()
    assert "enable_custom_widget_manager" not in page and "emscripten" not in page


def test_lite_site_holds_every_chapter_and_the_wheel():
    _need_html()
    lite = HTML / "lite"
    version = PROJECT["version"]
    wheel = lite / "pypi" / f"cnncourse-{version}-py3-none-any.whl"
    assert wheel.is_file()
    index = json.loads((lite / "pypi" / "all.json").read_text())
    assert [f["filename"] for f in index["cnncourse"]["releases"][version]] == [wheel.name]
    config = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    extensions = {e["name"] for e in config["federated_extensions"]}
    assert {"@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager"} <= extensions
    urls = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]["pipliteUrls"]
    assert any(u.startswith("./pypi/all.json") for u in urls)
    for path in CHAPTERS:
        served = lite / "files" / path.relative_to(ROOT)
        assert served.is_file(), f"the lite site lacks {served.name}"
        first = _code_cells(served)[0]
        assert install_cell.is_install_cell(first)
    contents = json.loads((lite / "api" / "contents" / "book" / "all.json").read_text())
    assert {c["name"] for c in contents["content"]} >= {p.name for p in CHAPTERS}
    # the budget: under 40 MB
    size = sum(p.stat().st_size for p in lite.rglob("*") if p.is_file())
    assert size < 40e6, f"the lite site is {size / 1e6:.1f} MB"
