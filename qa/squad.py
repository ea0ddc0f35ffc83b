"""Read SQuAD v1.1 / v2.0 files (plain or gzipped JSON) into plain dataclasses.

    >>> from qa.squad import load_squad
    >>> articles = load_squad("squad-v1.1-train.json.gz")      # doctest: +SKIP
    >>> articles[0].paragraphs[0].questions[0].answers[0]      # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SquadAnswer:
    text: str
    start: int


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    answers: tuple[SquadAnswer, ...]
    is_impossible: bool = False


@dataclass
class SquadParagraph:
    context: str
    questions: list[SquadQuestion] = field(default_factory=list)


@dataclass
class SquadArticle:
    title: str
    paragraphs: list[SquadParagraph] = field(default_factory=list)


def read_json(path: str | Path) -> dict:
    """Load a JSON file, transparently gunzipping ``*.gz``."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def is_squad(data: object) -> bool:
    """True for a parsed SQuAD-format document (``{"version": ..., "data": [...]}``)."""
    return isinstance(data, dict) and isinstance(data.get("data"), list)


def parse_squad(data: dict) -> list[SquadArticle]:
    """Turn parsed SQuAD JSON into articles; v2.0 ``is_impossible`` is kept."""
    articles = []
    for art in data["data"]:
        paragraphs = []
        for para in art["paragraphs"]:
            qs = [
                SquadQuestion(
                    id=qa["id"],
                    question=qa["question"],
                    answers=tuple(
                        SquadAnswer(a["text"], int(a.get("answer_start", -1)))
                        for a in qa.get("answers", [])
                    ),
                    is_impossible=bool(qa.get("is_impossible", False)),
                )
                for qa in para["qas"]
            ]
            paragraphs.append(SquadParagraph(para["context"], qs))
        articles.append(SquadArticle(art.get("title", ""), paragraphs))
    return articles


def load_squad(path: str | Path) -> list[SquadArticle]:
    """Load a SQuAD v1.1/v2.0 file (``.json`` or ``.json.gz``)."""
    return parse_squad(read_json(path))
