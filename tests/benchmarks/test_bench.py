"""The benchmarks (benchmarks/) at a tiny size: it runs and reports every figure. Timings are not checked."""

from __future__ import annotations

import json
import math
import sys

import pytest

from benchmarks import article, backends, fresh, harness, report, run, scale, synthetic
from qa.types import Passage


def test_synthetic_corpus_is_deterministic_and_checkable():
    a = synthetic.synthetic_corpus(200, 5, seed=3)
    b = synthetic.synthetic_corpus(200, 5, seed=3)
    assert a == b
    assert a != synthetic.synthetic_corpus(200, 5, seed=4)
    assert len(a.documents) == 4 and a.passages == 200 and len(a.facts) == 5
    sections = {s.split("\n", 1)[0]: s for text in a.documents.values() for s in text.strip().split("\n\n")}
    assert len(sections) == 200  # one section (and passage) per person, names unique
    for fact in a.facts:
        assert fact.name in fact.question
        assert fact.answer in sections[fact.name]
    assert max(len(s.split()) for s in sections.values()) <= 90  # fits one passage


def test_synthetic_corpus_splits_into_one_passage_per_person(tmp_path):
    from qa.ingest.files import load_documents
    from qa.ingest.split import PassageSplitter, regex_sentences

    corpus = synthetic.synthetic_corpus(120, 0, seed=1)
    docs, skipped = load_documents(synthetic.write_corpus(corpus, tmp_path / "docs"))
    passages = PassageSplitter(sentences=regex_sentences).split(docs)
    assert not skipped and len(passages) == 120
    assert all(p.text.split("\n", 1)[0] in p.text.split("\n", 1)[1] for p in passages)


def test_sizes_and_options():
    assert harness.parse_sizes("1k, 10k,100000") == [1000, 10000, 100000]
    assert harness.parse_sizes("") == []
    quick = run.parse_args(["--quick"])
    assert harness.parse_sizes(quick.sizes) == [1000] and quick.rounds < run.FULL["rounds"]
    assert run.parse_args(["--quick", "--rounds", "7"]).rounds == 7


def test_import_qa_stays_light():
    result = fresh.measure_import(runs=1)
    assert result.clean, f"import qa loaded {result.modules}"
    rows = report.import_rows(result)
    assert rows[-1].status == "PASS"


class VectorStore:
    """Just the two store methods recall@10 uses, over a FAISS index (exact or HNSW)."""

    def __init__(self, index, vectors):
        self.index, self._vectors = index, vectors

    def vectors(self):
        return [f"p{i}" for i in range(len(self._vectors))], self._vectors

    def dense_search(self, q, k):
        scores, rows = self.index.search(q.reshape(1, -1), k)
        return [(f"p{r}", float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]


def test_recall_against_exact_search():
    import faiss
    import numpy as np

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    flat = faiss.IndexFlatIP(16)
    flat.add(vectors)
    assert scale.recall_at_k(VectorStore(flat, vectors), vectors[:20]) == 1.0
    hnsw = faiss.IndexHNSWFlat(16, 4, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efSearch = 4
    hnsw.add(vectors)
    assert 0.0 < scale.recall_at_k(VectorStore(hnsw, vectors), vectors[:20]) < 1.0


def test_read_trace_records_the_passages_read():
    class Reader:
        max_length = 128

        def read(self, question, hits):
            return []

    class Hit:
        def __init__(self, text):
            self.passage = Passage(0, "a.txt", 0, len(text), text)

    trace = harness.ReadTrace(Reader())
    trace.read("q", [Hit("not recorded")])
    trace.recording = True
    trace.read("q", [Hit("one"), Hit("two")])
    trace.read("q", [Hit("three")])
    assert trace.calls == [["one", "two"], ["three"]] and trace.max_length == 128


@pytest.fixture
def one_torch_thread():
    """torch on one thread: on 2 cores shared with other work, two threads make it several times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_benchmark_functions_at_a_tiny_size(tmp_path, one_torch_thread, pg_url):
    """Article latency and floor over 5 questions, and a 200-passage synthetic corpus (HNSW path) on both backends."""
    results = report.Results()
    qa, trace = harness.make_qa(harness.ARTICLE_DIR, tmp_path / "article-index")
    results.model_load_s = harness.load_models(qa)
    results.warm_build = article.measure_warm_build(qa, runs=1)
    questions = harness.load_questions(limit=5)
    results.latency = lat = article.measure_warm_latency(qa, trace, questions, rounds=1)
    results.status_s = article.measure_status(qa, runs=1)
    results.memory = article.measure_memory()
    settings = qa.settings.with_(hnsw_threshold=100)
    results.scale.append(scale.measure_scale(200, tmp_path, questions=5, rounds=1, settings=settings, isolated=False))
    results.scale.append(scale.measure_scale(200, tmp_path, questions=5, rounds=1, settings=settings, isolated=False,
                                             backend=backends.Backend("postgresql", pg_url)))

    assert len(lat.totals) == 1 and len(lat.totals[0]) == 5 and len(lat.floors()[0]) == 5
    assert set(lat.stages) == set(harness.STAGES) and all(len(v) == 5 for v in lat.stages.values())
    assert lat.p50 > 0 and lat.floor_p50 > 0 and lat.passages_read >= 1
    for result, kind in zip(results.scale, ("FAISS HNSW", "pgvector HNSW")):
        build, query = result.build, result.query
        assert build.passages == 200 and build.documents == 4 and build.index_bytes > 0
        assert build.floor_pps > 0 and 0 < build.update_s < build.seconds and 0 < build.update_embedded < 60
        assert query.index_kind.startswith(kind) and len(query.totals) == 5
        assert 0 <= query.recall_at_10 <= 1 and 0 <= query.hit_at_k <= 1 and 0 <= query.exact <= 1
    assert results.scale[1].query.server_mb > 0

    rows = report.rows(results)
    names = [r.measure for r in rows]
    for expected in ("warm latency p50", "warm latency p95", "p50 / floor", "article index build, warm",
                     "200 local: build throughput", "200 postgresql: recall@10 vs exact search",
                     "200 postgresql: query p50", "200 local: one changed file, indexed again",
                     "200 local: build / the embedder's own speed"):
        assert expected in names
    assert all(r.ok is None for r in rows if r.measure.startswith("200 ") and "embedder" not in r.measure)
    text = report.report(results, "python -m benchmarks --test", report.Background(0.0, (1.0,) * 3, (1.0,) * 3))
    for heading in ("# Benchmarks", "## Results", "## Where the time goes", "- Machine:", "- Command:"):
        assert heading in text
    assert report.table(rows).count("\n") == len(rows) + 1


def _fake_results() -> "report.Results":
    """Made-up figures, to check the report without loading any model."""
    stages = {s: [0.001, 0.002] for s in harness.STAGES}
    lat = article.WarmLatency(2, [[0.03, 0.05]], stages, [[0.01, 0.01]], [[0.02, 0.02]], 0.5, 2.5)
    query = scale.ScaleQuery(0.5, 600.0, 700.0, [0.04, 0.06], stages, [0.001], [0.002], 0.01, 0.99,
                             "FAISS HNSW (M 32, efConstruction 80, efSearch 128)", 0.9, 0.5, 0.6, 2)
    return report.Results(
        imports=fresh.ImportResult([0.01], [0.05], []),
        first=fresh.FirstAnswer([4.0], [{"import": 0.1, **{s: 0.5 for s in harness.STAGES}}], [900.0], ["torch"], "x"),
        libraries={"torch": 1.0, "numpy": 0.1},
        warm_build=fresh.BuildResult("warm", 25, [1.0, 2.0, 4.0]),
        cold_build=fresh.BuildResult("cold", 25, [9.0]),
        model_load_s=5.0, latency=lat, status_s=0.001, memory=article.Memory(800.0, 900.0),
        scale=[scale.ScaleResult(100_000, scale.ScaleBuild(100_000, 2000, 500.0, 2**28, 3000.0, floor_pps=220.0,
                                                           update_s=4.0, update_embedded=50), query)],
    )


def test_report_renders_every_section_and_judges_targets():
    results = _fake_results()
    rows = {r.measure: r for r in report.rows(results)}
    assert rows["warm latency p50"].status == "PASS"  # 40 ms
    assert rows["p50 / floor"].status == "PASS" and rows["p50 / floor"].value == "1.33×"
    assert rows["first answer, fresh process"].status == "PASS"
    assert rows["article index build, warm"].value == "2.00 s"
    assert rows["100k local: build throughput"].status == "PASS"  # 200 passages/s
    assert rows["100k local: build / the embedder's own speed"].status == "PASS"  # 91%
    assert rows["100k local: one changed file, indexed again"].status == "PASS"  # 0.8% of the build
    assert rows["100k local: recall@10 vs exact search"].status == "PASS"
    text = report.report(results, "python -m benchmarks", report.Background(0.02, (0.1,) * 3, (2.0,) * 3))
    for part in ("# Benchmarks", "- Date:", "- Machine:", "- Command: `python -m benchmarks`", "## Results",
                 "## Where the time goes", "- encode:", "100000 synthetic passages (local)", "## How it is measured"):
        assert part in text
    assert "not meaningful" not in text  # other processes took 2% of the CPUs
    busy = report.report(results, "python -m benchmarks", report.Background(0.5, (2.0,) * 3, (2.0,) * 3))
    assert "not meaningful" in busy


def test_background_watch_sees_other_processes():
    watch = report.BackgroundWatch()
    sum(range(10**6))  # this process's own work does not count
    background = watch.stop()
    assert math.isnan(background.others_share) or 0.0 <= background.others_share <= 1.0


def test_a_reader_spec_names_its_graph_and_reading_windows():
    from benchmarks.readers import parse_spec

    assert parse_spec("runs/r@q.onnx:256/128") == ("runs/r", "q.onnx", {"max_length": 256, "stride": 128})
    assert parse_spec("runs/r:384/128") == ("runs/r", None, {"max_length": 384, "stride": 128})
    assert parse_spec("qa/weights/reader") == ("qa/weights/reader", None, {})


def test_a_folder_that_is_not_a_reader_is_refused_with_a_message(tmp_path, capsys):
    from benchmarks.readers import main

    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path)])
    assert exc.value.code == 2 and "not a reader folder (no config.json or tokenizer.json)" in capsys.readouterr().err


def test_training_steps_are_timed_in_both_precisions(capsys):
    from benchmarks.train_step import main

    assert main(["--lengths", "16", "--batch-size", "2", "--steps", "1", "--rounds", "1"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:2] == ["16", "2"] and float(cells[2]) > 0 and float(cells[3]) > 0 and cells[4].endswith("×")


def test_the_peer_comparison_refuses_missing_parts_with_a_message(tmp_path, capsys):
    from benchmarks.peer import main

    article = tmp_path / "a.txt"
    article.write_text("Some text.", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["--harness", str(tmp_path), "--peer-python", sys.executable, "--article", str(article)])
    assert exc.value.code == 2 and "peer_haystack.py: no such file" in capsys.readouterr().err
    for name in ("peer_haystack.py", "score.py"):
        (tmp_path / name).write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["--harness", str(tmp_path), "--peer-python", str(tmp_path / "nope"), "--article", str(article)])
    assert exc.value.code == 2 and "no such interpreter" in capsys.readouterr().err


def test_our_side_of_the_peer_comparison_scores_abstentions_as_misses(tmp_path):
    """``Ours`` over the article with SQuAD's scorer standing in for the harness's ``score.py``."""
    from types import SimpleNamespace

    from benchmarks.peer import Ours
    from qa.metrics import best_over_golds
    from tests.conftest import ARTICLE_DIR, QUESTIONS

    scorer = SimpleNamespace(em=lambda p, g: best_over_golds(p, g)[0], f1=lambda p, g: best_over_golds(p, g)[1],
                             evidence_hit=lambda passage, evidence: evidence in passage)
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["answerable"]][:6] + [r for r in rows if not r["answerable"]][:3]
    article = next(ARTICLE_DIR.glob("*.txt"))
    side = Ours(article, tmp_path).run(rows, scorer)
    abstained, total = map(int, side.answerable_abstained.split("/"))
    assert total == 6 and side.unanswerable_abstained.endswith("/3")
    assert 0.0 <= side.em <= side.f1 <= 100.0 * (total - abstained) / total
    assert side.evidence_hit <= 100.0 * (total - abstained) / total
    assert side.p50_ms > 0 and side.row("x").startswith("| x | ")
