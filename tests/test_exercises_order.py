"""The exercises' chapter order is the book's: ``exercises.CHAPTER_ORDER`` must follow ``_toc.yml``.

The package keeps its own copy of the order (an installed wheel has no ``_toc.yml``), so this
test is what keeps the two from drifting apart.
"""
from pathlib import Path

import yaml

from cnncourse import exercises

ROOT = Path(__file__).resolve().parents[1]


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return [Path(p).stem for p in pages]


def test_chapter_order_follows_the_table_of_contents():
    with_exercises = {ex.chapter for ex in exercises.exercises()}
    toc_order = [page for page in _toc_pages() if page in with_exercises]
    assert list(exercises.CHAPTER_ORDER) == toc_order


def test_every_exercise_chapter_is_a_page_of_the_book():
    missing = {ex.chapter for ex in exercises.exercises()} - set(_toc_pages())
    assert not missing, f"exercises registered for chapters not in _toc.yml: {sorted(missing)}"
