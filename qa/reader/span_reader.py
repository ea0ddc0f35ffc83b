"""The trained span reader: a MiniLM encoder with a start/end head, run over passage windows.

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
from qa.reader.spans import best_spans, null_score
from qa.reader.windows import encode_windows
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
    ) -> None:
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        path = str(model_dir or reader_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForQuestionAnswering.from_pretrained(path, dtype=torch.float32).eval()
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.spans_per_window = spans_per_window
        self._lock = threading.Lock()

    def logits(self, questions: list[str], contexts: list[str]):
        """Windows over (question, context) pairs and their start/end logits (numpy)."""
        import torch

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
            with torch.inference_mode():
                out = self.model(
                    input_ids=torch.from_numpy(ids),
                    token_type_ids=torch.from_numpy(types),
                    attention_mask=torch.from_numpy(mask),
                )
            starts, ends = out.start_logits.numpy(), out.end_logits.numpy()
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
            for ts, te, score in best_spans(
                starts[k], ends[k], w.context_mask[k], self.max_answer_tokens, self.spans_per_window
            ):
                cs, ce = w.offsets[k][ts][0], w.offsets[k][te][1]
                key = (hit.passage.source, base + cs, base + ce)
                if key not in found or score - null > found[key].score - found[key].null_score:
                    found[key] = Span(hit.passage.text[cs:ce], base + cs, base + ce, hit, score, null)
        return sorted(found.values(), key=lambda s: s.score - s.null_score, reverse=True)
