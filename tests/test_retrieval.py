import pytest

from qa import QA
from qa.retrieval import HybridRetriever, rrf


def test_rrf_rewards_agreement():
    fused = rrf([[1, 2, 3], [3, 2, 9]], k=60)
    assert max(fused, key=fused.get) in (2, 3)
    assert fused[2] > fused[1] and fused[2] > fused[9]


@pytest.fixture
def retriever(corpus, tmp_path):
    qa = QA(docs_dir=corpus, index_dir=tmp_path / "index")
    index, _ = qa.index()
    return HybridRetriever(qa.store, qa.embedder)


@pytest.mark.parametrize(
    "question, source, needle",
    [
        ("Which eruption stopped air travel in Europe?", "volcanoes.txt", "Eyjafjallajökull"),
        ("Who started the bakery?", "bakery.md", "Maria Lopez"),
        ("Where did the head baker learn his trade?", "bakery.md", "Lyon"),
        ("How much does it cost to join the club?", "notes/chess.txt", "twenty euros"),
        ("How many active volcanoes are there?", "volcanoes.txt", "30 are active"),
    ],
)
def test_finds_the_right_passage_first(retriever, question, source, needle):
    hits = retriever.retrieve(question, top_k=3)
    assert hits[0].passage.source == source and needle in hits[0].passage.text
    assert [h.rank for h in hits] == list(range(len(hits)))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_query_with_no_known_words_still_returns_dense_hits(retriever):
    hits = retriever.retrieve("zzzqqq xxyyzz", top_k=2)
    assert len(hits) == 2 and all(h.bm25_score == 0 for h in hits)


def test_retrieves_on_the_article(article_qa):
    hits = article_qa.retriever().retrieve("Who led the Ukrainian officials in Florida?", top_k=3)
    assert any("Rustem Umerov" in h.passage.text for h in hits[:2])
