"""The backend contract (tests/index/contract.py) on a real PostgreSQL 16 with pgvector (pgserver)."""

import pytest

from qa.config import Settings
from qa.index.postgres import PostgresStore
from tests.index.contract import QAContract, StoreContract


@pytest.fixture
def settings(corpus, tmp_path, pg_url):
    return Settings(docs_dir=corpus, index_dir=tmp_path / "index", database_url=pg_url)


@pytest.fixture
def store(settings):
    s = PostgresStore(settings.database_url)
    yield s
    s.close()


class TestPostgresStore(StoreContract):
    pass


class TestPostgresQA(QAContract):
    def test_nothing_is_written_to_the_index_folder(self, settings, corpus):
        from qa import QA

        QA(settings=settings).index()
        assert not settings.index_dir.exists()
