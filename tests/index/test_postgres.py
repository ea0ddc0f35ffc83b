"""The PostgreSQL backend's faults and its many processes, on a real PostgreSQL 16 + pgvector (pgserver).

What the backend contract (tests/index/contract.py) doesn't cover: a database that can't be
reached or goes away and comes back, a server without pgvector, two ``qa index`` at once, a
writer killed mid-transaction, and two app processes over one database answering as one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from qa.cli import main as cli_main
from qa.config import Settings
from qa.index import Changes, DatabaseUnavailable
from qa.index.postgres import PgvectorMissing, PostgresStore, describe
from tests.conftest import ROOT, RunningApp, write_corpus
from tests.index.contract import corpus_changes
from tests.invariants import assert_contract

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
NOWHERE = "postgresql://qa_user:s3cr3t-pw@/qa?host=/nonexistent-socket-dir&connect_timeout=2"


def test_describe_names_the_database_never_the_password():
    assert describe("postgresql://qa:secret@db.internal:6432/qa") == "database 'qa' on db.internal:6432 as user 'qa'"
    assert describe("postgresql://postgres:@/postgres?host=/tmp/x") == "database 'postgres' on /tmp/x as user 'postgres'"
    assert "pw" not in describe("postgresql://u:pw@h/db") and "pw" not in describe("not a url pw")


def test_an_unreachable_database_is_a_runtime_error_naming_it_and_what_to_check(corpus, tmp_path):
    store = PostgresStore(NOWHERE)
    with pytest.raises(DatabaseUnavailable) as caught:
        store.documents()
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert "database 'qa' on /nonexistent-socket-dir as user 'qa_user'" in message
    assert "Check that PostgreSQL is running" in message and "QA_DATABASE_URL" in message
    assert "s3cr3t-pw" not in message


def test_the_command_line_prints_the_message_and_exits_non_zero(corpus, tmp_path, capsys):
    for command in (["index"], ["ask", "Who founded the Corner Bakery?"]):
        rc = cli_main(["--docs", str(corpus), "--index-dir", str(tmp_path / "index"), "--database-url", NOWHERE,
                       *command])
        err = capsys.readouterr().err
        assert rc == 2 and err.startswith("qa: error: Cannot use the index database 'qa'"), err
        assert "Traceback" not in err and "s3cr3t-pw" not in err
    assert not (tmp_path / "index").exists(), "nothing is written to the index folder when a database is set"


def test_a_server_without_pgvector_gets_a_message_saying_so(pg_url):
    # as on a managed server: a database of a plain role, which may not create the (untrusted) extension
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS qa_no_vector")
        conn.execute("DROP ROLE IF EXISTS qa_plain")
        conn.execute("CREATE ROLE qa_plain LOGIN")
        conn.execute("CREATE DATABASE qa_no_vector OWNER qa_plain")
    url = pg_url.replace("postgres:@", "qa_plain:@").replace("/postgres?", "/qa_no_vector?")
    with pytest.raises(PgvectorMissing, match="has no pgvector extension .*Install pgvector"):
        PostgresStore(url).documents()


def test_the_schema_is_made_once_with_its_version(pg_url):
    PostgresStore(pg_url).documents()
    PostgresStore(pg_url).documents()  # a second first use changes nothing
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM qa_schema").fetchall() == [(1,)]
        assert conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0] == "0.6.2"
        indexes = {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'qa_passages'")}
    assert any("USING hnsw (embedding vector_ip_ops)" in d for d in indexes)
    assert any("USING gin (tsv)" in d for d in indexes)


def test_collections_in_several_schemas_share_the_extension_and_nothing_else(pg_url):
    # a fresh database: the first collection's connection creates pgvector (in its own schema); the
    # others must find the vector type there, and keep tables of their own. Likewise where an
    # administrator put the extension apart.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for db in ("qa_schemas", "qa_ext_apart"):
            conn.execute(f"DROP DATABASE IF EXISTS {db}")
            conn.execute(f"CREATE DATABASE {db}")
    apart = pg_url.replace("/postgres?", "/qa_ext_apart?")
    with psycopg.connect(apart, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA extensions")
        conn.execute("CREATE EXTENSION vector SCHEMA extensions")
    everything = corpus_changes()
    for url, schemas in ((pg_url.replace("/postgres?", "/qa_schemas?"), ("qa_first", "qa_second", "public")),
                         (apart, ("public", "qa_other"))):
        stores = [PostgresStore(url, schema=schema) for schema in schemas]
        for i, store in enumerate(stores):  # collection i holds documents 0..i
            with store.writing():
                store.apply(Changes(everything.upserts[: i + 1], fingerprint="fp1"))
        for i, store in enumerate(stores):
            assert sorted(store.documents()) == sorted(d.source for d in everything.upserts[: i + 1])
            query = everything.upserts[i]
            assert store.dense_search(query.vectors[0], 1)[0][0] == query.passages[0].id
            assert store.status().disk_bytes > 0
            store.close()


def test_keyword_search_leaves_out_words_most_passages_hold_once_the_table_is_large(pg_url):
    from tests.index.contract import document

    texts = [f"Person {i} was born in a town and works as a baker." for i in range(60)]
    texts[17] = "Person 17 was born in Ulvaholm and works as a glassblower."
    store = PostgresStore(pg_url, keyword_budget=10)
    with store.writing():
        store.apply(Changes([document("people.txt", texts, "d" * 64)], fingerprint="fp1"))  # and ANALYZE
    hits = store.keyword_search("Which glassblower was born in a town?", 5)
    assert hits[0][0].endswith("-17") and len(hits) == 1, hits  # 'born' and 'town' (in all 60) choose nothing
    # ... but every word ranks what the rarest chose: of the two from Ulvaholm, the glassblower first,
    # though 'glassblower' (in 16 of 60) is too common to choose passages by
    texts = [f"Person {i} was born in a town and works as a {'glassblower' if i >= 45 else 'baker'}." for i in range(60)]
    texts[3] = "Person 3 was born in Ulvaholm and works as a glassblower."
    texts[17] = "Person 17 was born in a town near Ulvaholm and works as a baker."
    with store.writing():
        store.apply(Changes([document("people.txt", texts, "e" * 64)], fingerprint="fp1"))
    hits = store.keyword_search("Which glassblower was born in Ulvaholm?", 5)
    assert [pid.rsplit("-", 1)[1] for pid, _ in hits] == ["3", "17"], hits
    everything = PostgresStore(pg_url, keyword_budget=1000)  # a small table: every word counts
    assert len(everything.keyword_search("Which glassblower was born in a town?", 5)) == 5


KILL_MID_COPY = """
import os, signal, sys
from qa.index.postgres import PostgresStore
from tests.index.contract import document
from qa.index import Changes

class DiesWhileWritten(list):
    def __iter__(self):
        for i, item in enumerate(list.__iter__(self)):
            if i == 3:
                os.kill(os.getpid(), signal.SIGKILL)  # inside the transaction, rows half copied
            yield item

doc = document("volcanoes.txt", [f"Replacement passage {i}." for i in range(6)], "c" * 64, seed=7)
doc = type(doc)(doc.source, doc.content_hash, DiesWhileWritten(doc.passages), doc.vectors)
store = PostgresStore(sys.argv[1])
with store.writing():
    store.apply(Changes([doc], removals=["bakery.md"], fingerprint="fp1"))
"""


def test_a_writer_killed_mid_transaction_leaves_the_previous_state(pg_url):
    store = PostgresStore(pg_url)
    store.apply(corpus_changes())
    before = (store.documents(), sorted(p.id for p in store.iter_passages()), store.meta())
    proc = subprocess.run([sys.executable, "-c", KILL_MID_COPY, pg_url], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert (store.documents(), sorted(p.id for p in store.iter_passages()), store.meta()) == before
    with store.writing():  # the killed writer's advisory lock went with its session
        store.apply(corpus_changes())
    assert store.documents() == before[0]


@pytest.mark.slow
def test_two_qa_index_at_once_leave_one_consistent_state(pg_url, corpus, tmp_path):
    cmd = [sys.executable, "-m", "qa", "--docs", str(corpus), "--index-dir", str(tmp_path / "index"),
           "--database-url", pg_url, "index"]
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=400) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-1500:] for _, err in outs]
    firsts = sorted(out.splitlines()[0].split(" (")[0] for out, _ in outs)
    assert firsts == ["Built the index", "The index"], firsts  # the second waited, then found it up to date
    store = PostgresStore(pg_url)
    docs = store.documents()
    passages = list(store.iter_passages())
    assert set(docs) == {"bakery.md", "notes/chess.txt", "volcanoes.txt"}
    assert len(passages) == len({p.id for p in passages}) == sum(d.passages for d in docs.values())
    assert not (tmp_path / "index").exists()


@pytest.mark.slow
def test_the_same_process_answers_again_once_the_database_is_back(corpus, tmp_path):
    """A database of its own, stopped and started again under a running QA."""
    import pgserver

    from qa import QA

    folder = Path(tempfile.mkdtemp(prefix="qa-pg-restart-"))
    server = pgserver.get_server(folder, cleanup_mode="stop")
    url = server.get_uri()
    qa = QA(settings=Settings(docs_dir=corpus, index_dir=tmp_path / "index", database_url=url), check_interval=0)
    question = "Who founded the Corner Bakery?"
    assert qa.ask(question).answer == "Maria Lopez"
    server.cleanup()  # the database goes away
    with pytest.raises(DatabaseUnavailable, match="Cannot use the index database 'postgres'"):
        qa.ask(question)
    pgserver.get_server(folder, cleanup_mode="delete")  # and comes back
    try:
        ans = qa.ask(question)
        assert ans.answer == "Maria Lopez"
        assert_contract(ans, corpus)
    finally:
        pgserver.get_server(folder, cleanup_mode="delete").cleanup()


QUESTIONS = ["Who founded the Corner Bakery?", "Where did the head baker train?", "How many volcanoes are active?",
             "Which eruption grounded flights across Europe?", "When does the chess club meet?",
             "How much does membership cost?", "Who is the chess champion?", "What is the recipe for banana bread?"]


@pytest.mark.slow
def test_two_app_processes_over_one_database_answer_as_one(pg_url, tmp_path, report):
    from gradio_client import Client

    from qa import QA

    docs = write_corpus(tmp_path / "docs")
    qa = QA(settings=Settings(docs_dir=docs, index_dir=tmp_path / "index", database_url=pg_url))
    qa.index()  # built once; the apps load it from the database
    one = {q: qa.ask(q) for q in QUESTIONS}
    apps = [RunningApp(docs, tmp_path / f"index-{i}", tmp_path / f"app{i}.log", env={"QA_DATABASE_URL": pg_url})
            for i in range(2)]
    try:
        clients = [Client(app.url, verbose=False) for app in apps]
        jobs = [(i % 2, q) for i, q in enumerate(QUESTIONS * 2)]
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda job: (job, clients[job[0]].predict(question=job[1], history=None,
                                                                               api_name="/ask")), jobs))
    finally:
        for app in apps:
            app.stop()
    for (which, q), reply in replies:
        expected = one[q]
        assert reply["answer"] == expected.answer, (which, q)
        assert [(c["source"], c["start"], c["end"]) for c in reply["citations"]] == \
            [(c.source, c.start, c.end) for c in expected.citations], (which, q)
    for i in range(2):
        assert not (tmp_path / f"index-{i}").exists(), "an app over a database writes nothing to its index folder"
    report(f"postgres: 2 app processes over one database, {len(jobs)} questions: same answers as one process")
