import numpy as np
import pytest

from qa.embedding import Embedder


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


@pytest.fixture(scope="module")
def reference_embedder():
    """sentence-transformers itself (torch), the reference the ONNX path must agree with."""
    return Embedder(backend="torch")


def test_onnx_question_vectors_equal_sentence_transformers(embedder, reference_embedder):
    texts = ["Who led the Ukrainian officials in Florida?", "x", "A much longer sentence " * 40, "émoji 🚀 ok"]
    fast = embedder.encode(texts)  # the ONNX path
    reference = reference_embedder.encode(texts)
    assert fast.shape == reference.shape == (4, 384)
    assert np.abs(fast - reference).max() < 1e-4
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_passage_batches_keep_their_order(embedder, reference_embedder):
    texts = [f"Passage {i}: " + "words of a longer passage " * (i % 7) for i in range(21)]
    fast = embedder.encode(texts)  # several length-sorted ONNX batches
    reference = reference_embedder.encode(texts)
    assert np.abs(fast - reference).max() < 1e-4


def test_empty_input(embedder):
    assert embedder.encode([]).shape == (0, 384)
