import numpy as np
import pytest

from qa.reader.spans import best_spans, null_score
from qa.reader.windows import answer_token_span, encode_windows


def test_best_spans_respects_mask_order_and_length():
    start = np.array([9.0, 1.0, 5.0, 0.0, 0.0])
    end = np.array([9.0, 0.0, 0.0, 4.0, 6.0])
    mask = np.array([False, True, True, True, True])
    spans = best_spans(start, end, mask, max_answer_tokens=2, top_k=3)
    assert spans[0][:2] == (2, 3) and spans[0][2] == pytest.approx(9.0)
    assert all(mask[s] and mask[e] and 0 <= e - s < 2 for s, e, _ in spans)
    assert null_score(start, end) == 18.0


def test_best_spans_empty_mask():
    assert best_spans(np.zeros(3), np.zeros(3), np.zeros(3, bool)) == []


@pytest.fixture(scope="module")
def tokenizer():
    from qa.models import minilm_path
    from qa.reader.windows import WindowTokenizer

    return WindowTokenizer(minilm_path())


def test_windows_cover_a_long_context_with_exact_offsets(tokenizer):
    context = " ".join(f"Fact {i}: the {i}th lighthouse stands at Cape Number{i}." for i in range(40))
    w = encode_windows(tokenizer, ["Where is the 17th lighthouse?"], [context], 64, 16)
    assert len(w) > 3 and set(w.pair) == {0}
    target = "Cape Number17"
    s = context.index(target)
    found = [answer_token_span(w.offsets[k], w.context_mask[k], s, s + len(target)) for k in range(len(w))]
    assert any(found)
    k = next(i for i, f in enumerate(found) if f)
    ts, te = found[k]
    assert context[w.offsets[k][ts][0] : w.offsets[k][te][1]] == target
    assert all(len(ids) <= 64 for ids in w.input_ids)


def test_very_long_question_is_clipped(tokenizer):
    w = encode_windows(tokenizer, ["why " * 500], ["A short context."], 128, 32)
    assert len(w) == 1 and w.context_mask[0].any()


def test_span_reader_maps_answers_to_document_offsets(article_qa):
    index, _ = article_qa.index()
    hits = article_qa.retriever().retrieve("Who led the Ukrainian officials in Florida?", top_k=3)
    spans = article_qa.reader.read("Who led the Ukrainian officials in Florida?", hits)
    text = (article_qa.settings.docs_dir / hits[0].passage.source).read_text(encoding="utf-8")
    assert spans
    for s in spans:
        assert text[s.start : s.end] == s.text
        assert s.hit.passage.start <= s.start < s.end <= s.hit.passage.end
    assert "Umerov" in spans[0].text


def test_window_tokenizer_matches_transformers(tokenizer):
    """Our windows equal transformers' overflowing-token windows (what training used to use)."""
    from transformers import AutoTokenizer

    from qa.models import minilm_path

    hf = AutoTokenizer.from_pretrained(str(minilm_path()))
    qs = ["Who opened the station?", "When?"]
    cs = ["The station was opened in 1901 by Ada Lovelace. " * 12, "It rained on Monday."]
    ours = encode_windows(tokenizer, qs, cs, 64, 16)
    ref = hf(qs, cs, truncation="only_second", max_length=64, stride=16, return_overflowing_tokens=True,
             return_offsets_mapping=True)
    assert ours.input_ids == ref["input_ids"]
    assert ours.pair == list(ref["overflow_to_sample_mapping"])
    assert [list(map(tuple, o)) for o in ours.offsets] == [list(map(tuple, o)) for o in ref["offset_mapping"]]


def test_a_given_graph_runs_in_place_of_the_weights_own(article_qa):
    """``SpanReader(model=...)`` reads with that runner: here the reader's own ONNX graph, counted."""
    from qa import onnx
    from qa.models import reader_path
    from qa.reader.span_reader import OnnxModel, SpanReader, export_onnx

    if not onnx.available():
        pytest.skip("onnxruntime is not installed")
    graph = export_onnx(reader_path())
    calls = []

    def runner(ids, types, mask, _model=OnnxModel(reader_path(), graph=graph)):
        calls.append(ids.shape)
        return _model(ids, types, mask)

    question = "Who led the Ukrainian officials in Florida?"
    hits = article_qa.retriever().retrieve(question, top_k=2)
    ours = SpanReader(model=runner).read(question, hits)
    assert calls and [s.text for s in ours] == [s.text for s in article_qa.reader.read(question, hits)]
