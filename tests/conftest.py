"""Shared fixtures: small temporary corpora and one QA over the article for the whole session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DIR = ROOT / "source_docs"
QUESTIONS = Path(__file__).parent / "data" / "questions.jsonl"

DOCS = {
    "volcanoes.txt": (
        "Volcanoes of Iceland\n"
        "Iceland sits on the Mid-Atlantic Ridge, where the Eurasian and North American plates drift apart. "
        "The island has about 130 volcanic mountains, of which 30 are active.\n"
        "Eruptions:\n"
        "The 2010 eruption of Eyjafjallajökull grounded flights across Europe for six days. "
        "Its ash cloud rose nine kilometres into the sky.\n"
    ),
    "bakery.md": (
        "# The Corner Bakery\n\n"
        "The Corner Bakery was founded in 1987 by Maria Lopez in Valencia. "
        "It bakes sourdough bread every morning at four o'clock.\n\n"
        "## Staff\n\n"
        "The head baker, Tomas Ruiz, trained in Lyon for three years before joining in 2004.\n"
    ),
    "notes/chess.txt": (
        "The chess club meets on Tuesdays in the town library. "
        "Its champion this year is Anna Berg, who won eleven of her twelve games. "
        "Membership costs twenty euros a year.\n"
    ),
}


def write_corpus(root: Path, docs: dict[str, str] = DOCS) -> Path:
    for name, text in docs.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus of three documents (one Markdown, one in a subfolder)."""
    return write_corpus(tmp_path / "docs")


@pytest.fixture
def article_copy(tmp_path: Path) -> Path:
    """A writable copy of the article corpus."""
    dest = tmp_path / "docs"
    shutil.copytree(ARTICLE_DIR, dest)
    return dest


@pytest.fixture(scope="session")
def article_qa(tmp_path_factory):
    """One QA over the repository's article, with its index in a temporary folder."""
    from qa import QA

    qa = QA(docs_dir=ARTICLE_DIR, index_dir=tmp_path_factory.mktemp("article-index"))
    qa.index()
    return qa
