"""Shared fixtures: small temporary corpora and one QA over the article for the whole session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_DIR = ROOT / "source_docs"
QUESTIONS = Path(__file__).parent / "data" / "questions.jsonl"

FIGURES: list[str] = []  # measured figures (load tests), printed in pytest's closing summary


@pytest.fixture
def report():
    """``report(line)`` adds a measured figure to the "figures" section of pytest's summary."""
    return FIGURES.append


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)

DOCS = {
    "volcanoes.txt": (
        "Volcanoes of Iceland\n"
        "Iceland sits on the Mid-Atlantic Ridge, where the Eurasian and North American plates drift apart. "
        "The island has about 130 volcanic mountains, of which 30 are active.\n"
        "Eruptions:\n"
        "The 2010 eruption of Eyjafjallajökull grounded flights across Europe for six days. "
        "Its ash cloud rose nine kilometres into the sky.\n"
    ),
    "bakery.md": (
        "# The Corner Bakery\n\n"
        "The Corner Bakery was founded in 1987 by Maria Lopez in Valencia. "
        "It bakes sourdough bread every morning at four o'clock.\n\n"
        "## Staff\n\n"
        "The head baker, Tomas Ruiz, trained in Lyon for three years before joining in 2004.\n"
    ),
    "notes/chess.txt": (
        "The chess club meets on Tuesdays in the town library. "
        "Its champion this year is Anna Berg, who won eleven of her twelve games. "
        "Membership costs twenty euros a year.\n"
    ),
}


def write_corpus(root: Path, docs: dict[str, str] = DOCS) -> Path:
    for name, text in docs.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus of three documents (one Markdown, one in a subfolder)."""
    return write_corpus(tmp_path / "docs")


@pytest.fixture
def article_copy(tmp_path: Path) -> Path:
    """A writable copy of the article corpus."""
    dest = tmp_path / "docs"
    shutil.copytree(ARTICLE_DIR, dest)
    return dest


# ------------------------------------------------------------------- a real PostgreSQL (pgvector)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 16 with pgvector for the whole session (pgserver: a temporary folder,
    any user, no network). Gives its URI, ``postgresql://postgres:@/postgres?host=<folder>``."""
    import tempfile

    import pgserver

    # not under pytest's basetemp: another pytest run on the machine may prune that while we run
    folder = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")
    _check_pgvector(server.get_uri())
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def _check_pgvector(url: str) -> None:
    """pgvector computes a 384-dimension distance (a build for another CPU kills the backend: SIGILL)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            v = "[" + ",".join(["0.05"] * 384) + "]"
            conn.execute(f"SELECT '{v}'::vector <#> '{v}'::vector").fetchone()
    except psycopg.OperationalError as exc:
        pytest.fail(f"pgserver's pgvector does not run on this CPU ({exc}): install pgserver==0.1.4 "
                    "(make setup does), whose pgvector is built for any x86-64")


@pytest.fixture
def pg_url(pg_server):
    """The session's database, emptied of every articleqa table first (tests run one after another)."""
    import psycopg

    with psycopg.connect(pg_server, autocommit=True) as conn:
        for (schema,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'qa\\_%' "
                                      "OR nspname LIKE 't\\_%'").fetchall():
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.execute("DROP TABLE IF EXISTS qa_passages, qa_documents, qa_meta, qa_schema CASCADE")
    return pg_server


@pytest.fixture(scope="session")
def article_qa(tmp_path_factory):
    """One QA over the repository's article, with its index in a temporary folder."""
    from qa import QA

    qa = QA(docs_dir=ARTICLE_DIR, index_dir=tmp_path_factory.mktemp("article-index"))
    qa.index()
    return qa


# ----------------------------------------------------------------- the chat page (app.py)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-quic", "--disable-sync"]


class RunningApp:
    """``python app.py`` in a subprocess on a free port, over its own corpus and index folders."""

    def __init__(self, docs: Path, index: Path, log: Path, startup_timeout: float = 300.0,
                 env: dict[str, str] | None = None) -> None:
        import os
        import socket
        import subprocess
        import sys

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.docs, self.index, self.log = docs, index, log
        env = {**os.environ, "GRADIO_SERVER_PORT": str(self.port), "QA_DOCS_DIR": str(docs),
               "QA_INDEX_DIR": str(index), "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               **(env or {})}
        env.pop("GRADIO_SERVER_NAME", None)
        self._log = open(log, "w")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait(startup_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, timeout: float) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"app.py did not answer on {self.url} within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        self._log.flush()
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


@pytest.fixture(scope="module")
def ui_app(tmp_path_factory):
    """The real app (one per test module) over a temporary copy of the article and a temporary index."""
    root = tmp_path_factory.mktemp("ui")
    docs = root / "docs"
    shutil.copytree(ARTICLE_DIR, docs)
    app = RunningApp(docs, root / "index", root / "app.log")
    yield app
    app.stop()
