"""Cut (question, context) pairs into overlapping token windows that keep character offsets.

Used both to train the span model and to run it, so the two see identical inputs.

    >>> from transformers import AutoTokenizer                       # doctest: +SKIP
    >>> w = encode_windows(tok, ["Who?"], ["Ann met Bob."], 128, 32) # doctest: +SKIP
    >>> w.offsets[0][w.context_mask[0].nonzero()[0][0]]              # doctest: +SKIP
    (0, 3)
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _clip_question(tokenizer, question: str) -> str:
    ids = tokenizer(question, add_special_tokens=False)["input_ids"]
    if len(ids) <= MAX_QUESTION_TOKENS:
        return question
    return tokenizer.decode(ids[:MAX_QUESTION_TOKENS])


def encode_windows(
    tokenizer,
    questions: list[str],
    contexts: list[str],
    max_length: int,
    stride: int,
) -> Windows:
    """Tokenize pairs into windows of ``max_length`` tokens, overlapping by ``stride``."""
    questions = [_clip_question(tokenizer, q.strip()) for q in questions]
    enc = tokenizer(
        questions,
        contexts,
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=False,
    )
    masks = []
    for i in range(len(enc["input_ids"])):
        seq = enc.sequence_ids(i)
        masks.append(np.array([s == 1 for s in seq], dtype=bool))
    return Windows(
        input_ids=enc["input_ids"],
        token_type_ids=enc["token_type_ids"],
        offsets=[[tuple(o) for o in offs] for offs in enc["offset_mapping"]],
        context_mask=masks,
        pair=list(enc["overflow_to_sample_mapping"]),
    )


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
