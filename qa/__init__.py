"""articleqa: verbatim, cited answers to questions about a folder of documents.

    >>> from qa import ask
    >>> ans = ask("Who led the Ukrainian officials in Florida?")   # doctest: +SKIP
    >>> ans.answer, ans.citations[0].source                        # doctest: +SKIP

Public API: :func:`ask`, :class:`QA`, :class:`Answer`, :class:`Citation`, :class:`Settings`,
:class:`InvalidQuestion`. Heavy libraries (torch, sentence-transformers) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["ask", "QA", "Answer", "Citation", "Settings", "InvalidQuestion"]

_WHERE = {
    "ask": "qa.pipeline",
    "QA": "qa.pipeline",
    "InvalidQuestion": "qa.pipeline",
    "Answer": "qa.types",
    "Citation": "qa.types",
    "Settings": "qa.config",
}

if TYPE_CHECKING:  # pragma: no cover
    from qa.config import Settings
    from qa.pipeline import QA, InvalidQuestion, ask
    from qa.types import Answer, Citation


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
