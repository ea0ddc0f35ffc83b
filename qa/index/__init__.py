"""The index: one seam (:mod:`qa.index.base`) with two backends, local files (:mod:`qa.index.local`)
and PostgreSQL (:mod:`qa.index.postgres`); :mod:`qa.index.build` keeps either up to date."""

from qa.index.base import BuildReport, EmptyCorpusError, IndexCorrupt, Progress
from qa.index.build import corpus_signature
from qa.index.local import Index, IndexStore

__all__ = ["BuildReport", "EmptyCorpusError", "IndexCorrupt", "Progress", "corpus_signature", "Index", "IndexStore"]
