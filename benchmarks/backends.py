"""The index backends a scale run measures: the local folder, or a PostgreSQL database.

``BenchDatabase`` starts a PostgreSQL 16 with pgvector from the ``pgserver`` package in a
temporary folder for the run; each corpus size gets a schema of its own. ``server_mb``
says what the database server processes hold in memory (``store.status()`` gives the disk).

    >>> Backend("local").settings(Path("docs"), Path("index"), 1000).database_url is None
    True
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa.config import Settings


@dataclass(frozen=True)
class Backend:
    """``name`` is "local" or "postgresql"; ``url`` the database for "postgresql"."""

    name: str
    url: str | None = None

    def settings(self, docs: Path, index_dir: Path, size: int, base: Settings | None = None) -> Settings:
        base = base or Settings()
        if self.name == "local":
            return base.with_(docs_dir=docs, index_dir=index_dir, database_url=None)
        return base.with_(docs_dir=docs, index_dir=index_dir, database_url=self.url, database_schema=f"bench_{size}")


def server_mb() -> float:
    """Unique memory (USS) of every PostgreSQL server process on the machine, in MB."""
    import psutil

    total = 0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] in ("postgres", "postmaster"):
            try:
                total += p.memory_full_info().uss
            except (psutil.Error, OSError):
                pass
    return total / 2**20


class BenchDatabase:
    """A PostgreSQL with pgvector for one benchmark run (``with BenchDatabase() as url: ...``)."""

    def __enter__(self) -> str:
        import pgserver

        self.folder = Path(tempfile.mkdtemp(prefix="qa-bench-pg-"))
        self.server = pgserver.get_server(self.folder, cleanup_mode="delete")
        return self.server.get_uri()

    def __exit__(self, *exc) -> None:
        self.server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)
