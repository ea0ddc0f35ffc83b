"""The trained span reader: a MiniLM encoder with a start/end head, run over passage windows.

The weights ship in the Hugging Face layout (``qa/weights/reader``). At run time the model is
executed by ONNX Runtime when it is installed (see :mod:`qa.onnx`); otherwise by torch.

    >>> reader = SpanReader()                                   # doctest: +SKIP
    >>> spans = reader.read("Who met Macron?", hits)            # doctest: +SKIP
    >>> spans[0].text, spans[0].score > spans[0].null_score     # doctest: +SKIP
    ('Zelenskyy', True)
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from qa.models import reader_path
from qa.reader.spans import best_spans, log_partition, null_score
from qa.reader.windows import WindowTokenizer, encode_windows
from qa.types import Hit, Span


class SpanReader:
    """Reads hits in windows of ``max_length`` tokens and returns spans with document offsets."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        max_length: int = 128,
        stride: int = 48,
        max_answer_tokens: int = 30,
        spans_per_window: int = 3,
        backend: str = "auto",
        model=None,
    ) -> None:
        """``model``, when given, runs in place of the weights' own runner: any callable taking
        (input_ids, token_type_ids, attention_mask) int64 arrays and returning (start, end)
        logits, e.g. ``OnnxModel(model_dir, graph=quantized_graph)``."""
        path = Path(model_dir or reader_path())
        self.tokenizer = WindowTokenizer(path)
        self.model = model if model is not None else load_model(path, backend)
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.spans_per_window = spans_per_window
        self._lock = threading.Lock()

    def logits(self, questions: list[str], contexts: list[str]):
        """Windows over (question, context) pairs and their start/end logits (numpy)."""
        with self._lock:
            w = encode_windows(self.tokenizer, questions, contexts, self.max_length, self.stride)
            if not len(w):
                return w, [], []
            width = max(len(ids) for ids in w.input_ids)
            ids = np.full((len(w), width), self.tokenizer.pad_token_id, dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for i, (a, t) in enumerate(zip(w.input_ids, w.token_type_ids)):
                ids[i, : len(a)], types[i, : len(a)], mask[i, : len(a)] = a, t, 1
            starts, ends = self.model(ids, types, mask)
        lengths = [len(a) for a in w.input_ids]
        return w, [starts[i, :n] for i, n in enumerate(lengths)], [ends[i, :n] for i, n in enumerate(lengths)]

    def read(self, question: str, hits: list[Hit]) -> list[Span]:
        if not hits:
            return []
        w, starts, ends = self.logits([question] * len(hits), [h.passage.text for h in hits])
        found: dict[tuple[str, int, int], Span] = {}
        for k in range(len(w)):
            hit = hits[w.pair[k]]
            base = hit.passage.start
            null = null_score(starts[k], ends[k])
            norm = log_partition(starts[k], ends[k])
            for ts, te, score in best_spans(
                starts[k], ends[k], w.context_mask[k], self.max_answer_tokens, self.spans_per_window
            ):
                cs, ce = w.offsets[k][ts][0], w.offsets[k][te][1]
                key = (hit.passage.source, base + cs, base + ce)
                if key not in found or score - null > found[key].score - found[key].null_score:
                    found[key] = Span(hit.passage.text[cs:ce], base + cs, base + ce, hit, score, null,
                                      score - norm, null - norm)
        return sorted(found.values(), key=lambda s: s.score - s.null_score, reverse=True)


# ------------------------------------------------------------------------ backends


class TorchModel:
    """The span model run by torch (fp32)."""

    def __init__(self, path: Path) -> None:
        import torch
        from transformers import AutoModelForQuestionAnswering

        self._torch = torch
        self.model = AutoModelForQuestionAnswering.from_pretrained(str(path), dtype=torch.float32).eval()

    def __call__(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray):
        torch = self._torch
        with torch.inference_mode():
            out = self.model(input_ids=torch.from_numpy(ids), token_type_ids=torch.from_numpy(types),
                             attention_mask=torch.from_numpy(mask))
        return out.start_logits.numpy(), out.end_logits.numpy()


class OnnxModel:
    """The span model run by ONNX Runtime from a cached export of the weights (or ``graph``, an
    ONNX file of the same model, e.g. a quantised one)."""

    def __init__(self, model_dir: Path, graph: Path | None = None) -> None:
        from qa import onnx

        self.graph = Path(graph) if graph else export_onnx(Path(model_dir))
        self.session = onnx.session(self.graph)

    def __call__(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray):
        from qa.onnx import BERT_INPUTS

        start, end = self.session.run(None, dict(zip(BERT_INPUTS, (ids, types, mask))))
        return start, end


def export_onnx(model_dir: Path) -> Path:
    """The (cached) fp32 ONNX graph of the span model in ``model_dir``."""
    from qa import onnx

    return onnx.cached_export("reader", model_dir / "model.safetensors", lambda: _logits_module(model_dir),
                              onnx.BERT_INPUTS, ("start_logits", "end_logits"))


def _logits_module(model_dir: Path):
    """The torch span model with plain (start, end) tensor outputs, for export."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = TorchModel(model_dir).model

        def forward(self, input_ids, token_type_ids, attention_mask):
            out = self.m(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
            return out.start_logits, out.end_logits

    return LogitsOnly()


def load_model(model_dir: Path, backend: str = "auto"):
    """The fastest available runner for the span model: "onnx", "torch" or "auto"."""
    from qa import onnx

    if backend == "onnx" or (backend == "auto" and onnx.available()):
        return OnnxModel(model_dir)
    return TorchModel(model_dir)
