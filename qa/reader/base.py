"""The reader interface: given a question and retrieved hits, propose answer spans."""

from __future__ import annotations

from typing import Protocol

from qa.types import Hit, Span


class Reader(Protocol):
    """Anything that finds answer spans inside retrieved passages.

    ``read`` returns candidate spans, best first, each with document offsets
    (``span.text == document_text[span.start:span.end]``) and the reader's
    "no answer in this window" score, so the caller can decide to abstain.
    """

    def read(self, question: str, hits: list[Hit]) -> list[Span]: ...
