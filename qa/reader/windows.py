"""Cut (question, context) pairs into overlapping token windows that keep character offsets.

Used both to train the span model and to run it, so the two see identical inputs.

    >>> tok = WindowTokenizer(model_dir)                              # doctest: +SKIP
    >>> w = encode_windows(tok, ["Who?"], ["Ann met Bob."], 128, 32) # doctest: +SKIP
    >>> w.offsets[0][w.context_mask[0].nonzero()[0][0]]              # doctest: +SKIP
    (0, 3)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_QUESTION_TOKENS = 64


@dataclass
class Windows:
    """Token windows over one or more (question, context) pairs.

    ``offsets[w][t]`` is the (start, end) character span of token ``t`` in its context,
    meaningful only where ``context_mask[w][t]`` is true; ``pair[w]`` says which input
    pair window ``w`` came from.
    """

    input_ids: list[list[int]]
    token_type_ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]
    context_mask: list[np.ndarray]
    pair: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


class WindowTokenizer:
    """The reader's WordPiece tokenizer (Hugging Face ``tokenizers``, no transformers import).

    Loads ``tokenizer.json`` from a model folder. Each (max_length, stride) gets its own
    configured copy, so threads never change settings under each other.
    """

    def __init__(self, model_dir: str | Path) -> None:
        from tokenizers import Tokenizer

        self._json = (Path(model_dir) / "tokenizer.json").read_text(encoding="utf-8")
        self.plain = Tokenizer.from_str(self._json)
        self.plain.no_truncation()
        self.plain.no_padding()
        self.pad_token_id = self.plain.token_to_id("[PAD]") or 0
        self._windowed: dict[tuple[int, int], object] = {}
        self._lock = threading.Lock()

    def windowed(self, max_length: int, stride: int):
        key = (max_length, stride)
        with self._lock:
            if key not in self._windowed:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_str(self._json)
                tok.no_padding()
                tok.enable_truncation(max_length, stride=stride, strategy="only_second")
                self._windowed[key] = tok
            return self._windowed[key]

    def clip_question(self, question: str) -> str:
        """The question cut to ``MAX_QUESTION_TOKENS`` word pieces (at a character boundary)."""
        enc = self.plain.encode(question, add_special_tokens=False)
        if len(enc.ids) <= MAX_QUESTION_TOKENS:
            return question
        return question[: enc.offsets[MAX_QUESTION_TOKENS - 1][1]]


def encode_windows(
    tokenizer: WindowTokenizer,
    questions: list[str],
    contexts: list[str],
    max_length: int,
    stride: int,
) -> Windows:
    """Tokenize pairs into windows of ``max_length`` tokens, overlapping by ``stride``."""
    pairs = [(tokenizer.clip_question(q.strip()), c) for q, c in zip(questions, contexts)]
    encodings = tokenizer.windowed(max_length, stride).encode_batch(pairs)
    w = Windows([], [], [], [], [])
    for i, first in enumerate(encodings):
        for enc in [first, *first.overflowing]:
            w.input_ids.append(enc.ids)
            w.token_type_ids.append(enc.type_ids)
            w.offsets.append(enc.offsets)
            w.context_mask.append(np.array([s == 1 for s in enc.sequence_ids], dtype=bool))
            w.pair.append(i)
    return w


def answer_token_span(
    offsets: list[tuple[int, int]], context_mask: np.ndarray, char_start: int, char_end: int
) -> tuple[int, int] | None:
    """Token (start, end) covering characters [char_start, char_end) inside one window.

    ``None`` when the answer is not wholly inside the window's context.
    """
    idx = np.flatnonzero(context_mask)
    if idx.size == 0:
        return None
    first, last = idx[0], idx[-1]
    if offsets[first][0] > char_start or offsets[last][1] < char_end:
        return None
    start = first
    while start <= last and offsets[start][1] <= char_start:
        start += 1
    end = last
    while end >= start and offsets[end][0] >= char_end:
        end -= 1
    if start > end:
        return None
    return int(start), int(end)
