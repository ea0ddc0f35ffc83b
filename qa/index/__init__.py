"""The index: one seam (:mod:`qa.index.base`) with two backends, local files (:mod:`qa.index.local`,
the embedded default) and PostgreSQL with pgvector (:mod:`qa.index.postgres`, when
``QA_DATABASE_URL`` is set); :mod:`qa.index.build` keeps either up to date with the corpus.

    >>> from qa.config import Settings
    >>> open_store(Settings(index_dir="index", database_url=None)).backend
    'local'
"""

from qa.config import Settings
from qa.index.base import (
    BuildReport,
    Changes,
    DatabaseUnavailable,
    DocumentPassages,
    EmptyCorpusError,
    IndexCorrupt,
    IndexMeta,
    IndexSummary,
    PassageStore,
    Progress,
    StoredDocument,
    StoreStatus,
    passage_id,
)
from qa.index.build import IndexBuilder, corpus_signature

BACKENDS = ("local", "postgresql")


def open_store(settings: Settings) -> PassageStore:
    """The backend ``settings`` choose: PostgreSQL when ``database_url`` is set, else the local folder.

    Opening connects to nothing yet: the first search or update does (and raises
    :class:`DatabaseUnavailable` if the database can't be reached)."""
    if settings.database_url:
        from qa.index.postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.database_schema)
    from qa.index.local import LocalStore

    return LocalStore(settings)


__all__ = ["BuildReport", "Changes", "DatabaseUnavailable", "DocumentPassages", "EmptyCorpusError", "IndexCorrupt",
           "IndexMeta", "IndexSummary", "PassageStore", "Progress", "StoredDocument", "StoreStatus", "passage_id", "IndexBuilder",
           "corpus_signature", "open_store", "BACKENDS"]
