"""The contract's promises about every Answer, checked in one place."""

from __future__ import annotations

from pathlib import Path

from qa.types import Answer


def assert_contract(ans: Answer, docs_dir: Path) -> None:
    assert isinstance(ans, Answer)
    assert 0.0 <= ans.score <= 1.0
    texts: dict[str, str] = {}
    for c in ans.citations:
        path = Path(docs_dir) / c.source
        doc = texts.setdefault(c.source, path.read_bytes().decode("utf-8-sig"))
        assert doc[c.start : c.end] == c.text, "citation text is the document's text at its offsets"
        if c.answer_start is not None:
            assert c.start <= c.answer_start < c.answer_end <= c.end
    if ans.answer is not None:
        assert isinstance(ans.answer, str) and ans.answer.strip()
        assert ans.citations, "an answer always has a citation"
        first = ans.citations[0]
        doc = texts[first.source]
        assert first.answer_start is not None
        assert doc[first.answer_start : first.answer_end] == ans.answer, "the answer is verbatim"
