"""Structural checks of the repository: README, CI, table of contents and saved notebooks agree."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def quick_start_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_quick_start_has_exactly_two_commands():
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    install, test = commands
    assert "pip install -r requirements.txt" in install and "jupyter-book build" in install
    assert "pytest" in test and "--nbval" in test


CI = (ROOT / ".ci" / "run").read_text()


def test_ci_runs_the_readme_commands_verbatim_and_in_order():
    """.ci/run runs the README's first command (install, build) and then its test command."""
    install, test = quick_start_commands()
    ci_lines = CI.splitlines()
    assert install in ci_lines, "the README's install-and-build command, word for word"
    assert test in ci_lines, "the README's test command, word for word"
    assert ci_lines.index(install) < ci_lines.index(test), "build first: the browser tests read _build/html"


def test_ci_runs_the_browser_tests_for_real():
    """CI=true turns the browser tests' skips into failures; Chromium comes from apt when missing."""
    assert re.search(r"^export CI=true", CI, flags=re.M)
    assert re.search(r"command -v chromium", CI) and "apt-get install -y -qq chromium" in CI
    for text in (CI, README, (ROOT / "requirements.txt").read_text()):
        assert "playwright install" not in text.replace("never `playwright install`", "").replace(
            "never run `playwright install`", ""), "browsers come from the system, never downloaded"
    assert (ROOT / "tests" / "test_browser.py").exists()


def test_browser_test_dependencies_are_pinned_or_vendored():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert any(re.fullmatch(r"playwright==[\d.]+", line) for line in lines)
    axe = ROOT / "tests" / "vendor" / "axe-core"
    assert (axe / "axe.min.js").stat().st_size < 700_000 and (axe / "LICENSE").exists()
    assert re.match(r"/\*! axe v\d+\.\d+\.\d+", (axe / "axe.min.js").read_text()[:40])


def test_requirements_install_the_package_itself():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ." in lines
    assert not any(line.startswith("torch") for line in lines), "torch must stay optional"


def toc_files():
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"(?:file|root):\s*(\S+)", text)


def test_every_toc_entry_exists_and_every_notebook_is_listed():
    entries = toc_files()
    for entry in entries:
        assert any((ROOT / (entry + ext)).exists() for ext in (".md", ".ipynb")), entry
    listed = set(entries)
    for nb in NOTEBOOKS:
        assert str(nb.relative_to(ROOT).with_suffix("")) in listed, nb.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_saved_executed_and_without_errors(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, "a chapter without code"
    assert any("cnncourse" in "".join(c["source"]) for c in code), "chapters import cnncourse"
    unexecuted = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not unexecuted, f"cells saved unexecuted (nbval would compare nothing there): {unexecuted}"
    errors = [o.get("ename") for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    assert path.stat().st_size < 3 * 1024 * 1024, "keep notebooks under 3 MiB"
