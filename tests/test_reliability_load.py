"""Load: 8 threads asking at once get exactly the answers one thread gets, and every answer keeps
the contract. Latencies (p50/p95 per question, one thread vs eight) and wall times are printed
in the "figures" section of pytest's summary. The chat page serves 20 API clients at once.
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest

from qa import QA
from qa.types import Answer
from tests.conftest import ARTICLE_DIR, QUESTIONS, write_corpus
from tests.invariants import assert_contract

pytestmark = pytest.mark.slow

THREADS = 8
ITEMS = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()][:12]
FOLLOW_UPS = [  # (question, history): the follow-up resolver runs in every thread too
    ("Who did he meet there?", [("Who led the Ukrainian officials in Florida?", "Rustem Umerov")]),
    ("And when?", [("Where did the talks take place?", "Florida")]),
]
CASES = [(item["question"], None) for item in ITEMS] + FOLLOW_UPS


def key(ans: Answer) -> tuple:
    """Everything an answer says, for comparing runs (the score to float precision)."""
    cites = tuple((c.source, c.start, c.end, c.answer_start, c.answer_end) for c in ans.citations)
    return ans.answer, round(ans.score, 5), cites, ans.resolved_question


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_threads(n: int, work) -> tuple[list, list[BaseException], float]:
    barrier = threading.Barrier(n)
    results, errors = [], []
    lock = threading.Lock()

    def body(i: int) -> None:
        try:
            barrier.wait()
            out = work(i)
            with lock:
                results.append(out)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), name=f"asker-{i}") for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return results, errors, time.perf_counter() - t0


def test_eight_threads_give_the_same_answers_as_one(article_qa, report):
    qa = article_qa
    qa.ask(CASES[0][0])  # warm: models loaded, index loaded

    single: dict[int, tuple] = {}
    single_times: list[float] = []
    t0 = time.perf_counter()
    for i, (q, history) in enumerate(CASES):
        t = time.perf_counter()
        ans = qa.ask(q, history=history)
        single_times.append(time.perf_counter() - t)
        assert_contract(ans, ARTICLE_DIR)
        single[i] = key(ans)
    single_wall = time.perf_counter() - t0

    def asker(worker: int) -> list[tuple[int, tuple, float]]:
        order = list(range(len(CASES)))
        order = order[worker:] + order[:worker]  # each thread starts at a different question
        out = []
        for i in order:
            q, history = CASES[i]
            t = time.perf_counter()
            ans = qa.ask(q, history=history)
            out.append((i, ans, time.perf_counter() - t))
        return out

    results, errors, wall = run_threads(THREADS, asker)
    assert not errors, errors
    assert len(results) == THREADS
    multi_times = []
    for per_thread in results:
        for i, ans, seconds in per_thread:
            assert_contract(ans, ARTICLE_DIR)
            assert key(ans) == single[i], f"thread answer differs for {CASES[i][0]!r}"
            multi_times.append(seconds)

    n = len(CASES)
    answered = sum(1 for k in single.values() if k[0] is not None)
    report(
        f"load, ask() in one process: {n} questions ({answered} answered, {n - answered} abstained), {THREADS} threads × {n} = {THREADS * n} asks"
        f"\n  1 thread : p50 {pct(single_times, 50) * 1000:6.0f} ms  p95 {pct(single_times, 95) * 1000:6.0f} ms"
        f"  wall {single_wall:6.1f} s  ({n / single_wall:.1f} questions/s)"
        f"\n  {THREADS} threads: p50 {pct(multi_times, 50) * 1000:6.0f} ms  p95 {pct(multi_times, 95) * 1000:6.0f} ms"
        f"  wall {wall:6.1f} s  ({THREADS * n / wall:.1f} questions/s)"
        f"\n  mean 1 thread {statistics.mean(single_times) * 1000:.0f} ms, {THREADS} threads "
        f"{statistics.mean(multi_times) * 1000:.0f} ms"
    )


def test_eight_threads_asking_before_any_index_exists_build_it_once(tmp_path, report):
    """The very first questions arrive together: one thread builds the index, the rest wait for it."""
    docs = write_corpus(tmp_path / "docs")
    qa = QA(docs_dir=docs, index_dir=tmp_path / "index")
    builds = []
    real_apply = qa.store.apply

    def counting_apply(*args, **kwargs):
        builds.append(threading.current_thread().name)
        return real_apply(*args, **kwargs)

    qa.store.apply = counting_apply
    question = "Who founded the Corner Bakery?"
    results, errors, wall = run_threads(THREADS, lambda i: qa.ask(question))
    assert not errors, errors
    assert len(builds) == 1, builds
    assert len(results) == THREADS and len({key(a) for a in results}) == 1
    for ans in results:
        assert_contract(ans, docs)
    assert key(results[0]) == key(qa.ask(question))
    report(f"load: {THREADS} first questions at once, index built once: {wall:.1f} s")


UI_CLIENTS = 20


def test_the_chat_page_answers_twenty_clients_at_once(ui_app, article_qa, report):
    """20 gradio_client clients ask at the same moment: every one gets the answer ask() gives."""
    from gradio_client import Client

    questions = [CASES[i % len(ITEMS)][0] for i in range(UI_CLIENTS)]
    expected = {q: article_qa.ask(q).answer for q in set(questions)}
    clients = [Client(ui_app.url, verbose=False, download_files=False) for _ in range(UI_CLIENTS)]
    clients[0].predict(question=questions[0], history=None, api_name="/ask")  # the app loads its models

    def one(i: int) -> tuple[str, dict, float]:
        t = time.perf_counter()
        out = clients[i].predict(question=questions[i], history=None, api_name="/ask")
        return questions[i], out, time.perf_counter() - t

    results, errors, wall = run_threads(UI_CLIENTS, one)
    assert not errors, errors
    assert len(results) == UI_CLIENTS
    for question, out, _ in results:
        assert out["answer"] == expected[question], question
        assert 0.0 <= out["score"] <= 1.0
    times = [seconds for _, _, seconds in results]
    report(
        f"load, chat page: {UI_CLIENTS} gradio_client clients at once, all answered: latency p50 "
        f"{pct(times, 50) * 1000:.0f} ms, p95 {pct(times, 95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
        f"wall {wall:.1f} s ({UI_CLIENTS / wall:.1f} questions/s)"
    )
