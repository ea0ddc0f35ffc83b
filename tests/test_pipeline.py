"""End-to-end: ask() and `qa ask --json` on a temporary corpus of several documents."""

import json
import os
import subprocess
import sys
import threading

import pytest

from qa import QA, InvalidQuestion
from tests.invariants import assert_contract

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    from tests.conftest import write_corpus

    root = tmp_path_factory.mktemp("multi")
    docs = write_corpus(root / "docs")
    qa = QA(docs_dir=docs, index_dir=root / "index")
    qa.index()
    return qa


@pytest.mark.parametrize(
    "question, expected, source",
    [
        ("Who founded the Corner Bakery?", "Maria Lopez", "bakery.md"),
        ("How much does membership of the chess club cost?", "twenty euros", "notes/chess.txt"),
        ("Which volcano erupted in 2010?", "Eyjafjallajökull", "volcanoes.txt"),
        ("Where did Tomas Ruiz train?", "Lyon", "bakery.md"),
    ],
)
def test_answers_verbatim_with_citation(qa, question, expected, source):
    ans = qa.ask(question)
    assert_contract(ans, qa.settings.docs_dir)
    assert ans.answer is not None and expected in ans.answer
    assert ans.citations[0].source == source


def test_abstains_when_the_documents_do_not_say(qa):
    ans = qa.ask("What is the population of Mars?")
    assert_contract(ans, qa.settings.docs_dir)
    assert ans.answer is None
    assert 0.5 <= ans.score <= 1.0


class RecordingReader:
    """The real reader, noting the passage ids of each call."""

    def __init__(self, reader):
        self.reader, self.calls = reader, []

    def read(self, question, hits):
        self.calls.append([h.passage.id for h in hits])
        return self.reader.read(question, hits)


def _reads(qa, question):
    """Ask, and return the passage ids of each reader call."""
    recorder = RecordingReader(qa.reader)
    traced = QA(settings=qa.settings, reader=recorder, calibrator=qa.calibrator)  # same index, traced reader
    return traced.ask(question), recorder.calls


def test_a_sure_answer_from_the_top_passage_stops_the_reading(qa):
    ans, calls = _reads(qa, "Who founded the Corner Bakery?")
    assert ans.answer and ans.score >= qa.settings.sure_enough
    assert len(calls) == 1 and len(calls[0]) == 1


def test_no_answer_reads_further_passages_each_once(qa):
    ans, calls = _reads(qa, "What is the population of Mars?")
    read = [pid for call in calls for pid in call]
    assert ans.answer is None
    assert len(calls) > 1 and len(read) == len(set(read)) == qa.settings.read_more


@pytest.mark.parametrize("bad", ["", "   \n\t ", "x" * 5000])
def test_bad_questions_raise_a_clear_value_error(qa, bad):
    with pytest.raises(ValueError) as err:
        qa.ask(bad)
    assert isinstance(err.value, InvalidQuestion)
    assert "question" in str(err.value).lower()


def test_follow_up_uses_history(qa):
    first = qa.ask("Who is the head baker?")
    assert first.answer and "Tomas Ruiz" in first.answer
    follow = qa.ask("Where did he train?", history=[("Who is the head baker?", first.answer)])
    assert follow.resolved_question != "Where did he train?"
    assert follow.answer == "Lyon"


def test_threads_get_the_same_answers(qa):
    questions = ["Who founded the Corner Bakery?", "Which volcano erupted in 2010?",
                 "When does the chess club meet?", "What is the population of Mars?"] * 2
    expected = {q: qa.ask(q).answer for q in set(questions)}
    got: dict[int, str | None] = {}

    def work(i, q):
        got[i] = qa.ask(q).answer

    threads = [threading.Thread(target=work, args=(i, q)) for i, q in enumerate(questions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(len(questions))] == [expected[q] for q in questions]


def run_cli(*args, env_extra):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_ask_json(qa):
    env = {"QA_DOCS_DIR": str(qa.settings.docs_dir), "QA_INDEX_DIR": str(qa.settings.index_dir)}
    out = run_cli("ask", "--json", "Who founded the Corner Bakery?", env_extra=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "Maria Lopez" in data["answer"]
    c = data["citations"][0]
    text = (qa.settings.docs_dir / c["source"]).read_text(encoding="utf-8")
    assert text[c["start"] : c["end"]] == c["text"]
    assert text[c["answer_start"] : c["answer_end"]] == data["answer"]


def test_cli_index_says_what_it_did(qa, tmp_path):
    env = {"QA_DOCS_DIR": str(qa.settings.docs_dir), "QA_INDEX_DIR": str(tmp_path / "idx")}
    out = run_cli("index", env_extra=env)
    assert out.returncode == 0, out.stderr
    assert "Built the index" in out.stdout and "3 document(s)" in out.stdout
    again = run_cli("index", env_extra=env)
    assert "up to date" in again.stdout


def test_cli_empty_question_is_an_error_not_a_traceback(qa):
    env = {"QA_DOCS_DIR": str(qa.settings.docs_dir), "QA_INDEX_DIR": str(qa.settings.index_dir)}
    out = run_cli("ask", "   ", env_extra=env)
    assert out.returncode == 2 and "empty" in out.stderr and "Traceback" not in out.stderr
