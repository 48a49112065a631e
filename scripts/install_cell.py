"""The install cell: the first code cell of every chapter notebook, generated from one source.

On Colab and in the browser (JupyterLite) a chapter starts without ``cnncourse``; this cell
installs it there and does nothing anywhere else (your machine, Binder, nbval, the book build).
Its text is generated from ``repository.url`` in ``_config.yml`` and ``version`` in
``pyproject.toml``, so the Colab install and the release tag ``v<version>`` cannot drift apart.

    python scripts/install_cell.py            # write or update the cell in every chapter
    python scripts/install_cell.py --check    # exit 1 if a chapter's first code cell differs

Only the cell's source and tags are written (nbformat round trip), never another cell.
"""
from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
TAGS = ["remove-cell"]  # hidden from the HTML book
MARKER = "# cnncourse install cell"


def project_info(root: Path = ROOT) -> tuple[str, str, str]:
    """(repository URL from _config.yml, package name and version from pyproject.toml)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return url, project["name"], project["version"]


def cell_source(root: Path = ROOT) -> str:
    url, name, version = project_info(root)
    return f"""\
{MARKER}: Colab and "Run in the browser" (JupyterLite)
# start without {name}, so this cell installs it there. On your machine
# and on Binder it does nothing.
import sys

if "google.colab" in sys.modules:
    %pip install -q "{name}[widgets] @ git+{url}@v{version}"
    from google.colab import output
    # Colab shows ipywidgets 8 widgets with it
    output.enable_custom_widget_manager()
elif sys.platform == "emscripten":
    # JupyterLite: the wheel that the lite site serves (its pypi/ index)
    %pip install -q "{name}[widgets]=={version}\""""


def chapters(root: Path = ROOT) -> list[Path]:
    """Every chapter notebook listed in _toc.yml."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = []
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
    return [root / f"{f}.ipynb" for f in files if (root / f"{f}.ipynb").is_file()]


def first_code_cell(nb):
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)


def is_install_cell(cell) -> bool:
    return cell.cell_type == "code" and cell.source.startswith(MARKER)


def update(path: Path, source: str) -> bool:
    """Make ``source`` the first code cell of ``path``; return True if the file changed."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, 4)
    first = first_code_cell(nb)
    if first is not None and is_install_cell(nb.cells[first]):
        cell = nb.cells[first]
        if cell.source == source and cell.metadata.get("tags") == TAGS:
            return False
        cell.source = source
        cell.metadata["tags"] = list(TAGS)
    else:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(TAGS)})
        if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
            cell["id"] = "cnncourse-install"  # a stable id rather than a random one
        else:
            cell.pop("id", None)  # cell ids exist from nbformat 4.5 on
        nb.cells.insert(first if first is not None else len(nb.cells), cell)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 on a difference")
    args = parser.parse_args(argv)
    source = cell_source()
    bad = []
    for path in chapters():
        if args.check:
            nb = nbformat.read(path, 4)
            first = first_code_cell(nb)
            if first is None or nb.cells[first].source != source:
                bad.append(path.name)
        elif update(path, source):
            print(f"updated {path.relative_to(ROOT)}")
    if bad:
        print("install cell missing or out of date in: " + ", ".join(bad)
              + " (run python scripts/install_cell.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
