"""The backend contract (tests/index/contract.py) on the local files: FAISS + bm25s in a folder."""

import pytest

from qa.config import Settings
from qa.index.local import LocalStore
from tests.index.contract import QAContract, StoreContract


@pytest.fixture
def settings(corpus, tmp_path):
    return Settings(docs_dir=corpus, index_dir=tmp_path / "index", database_url=None)


@pytest.fixture
def store(settings):
    s = LocalStore(settings)
    yield s
    s.close()


class TestLocalStore(StoreContract):
    pass


class TestLocalQA(QAContract):
    pass
