"""The trained span reader: a MiniLM encoder with a start/end head, run over passage windows.

The weights ship in the Hugging Face layout (``qa/weights/reader``). At run time the model is
executed by ONNX Runtime when it is installed (about twice as fast as torch on 2 CPU cores for
these small batches): the ONNX graph is exported from the weights once and cached under
``$QA_CACHE_DIR`` (default ``~/.cache/articleqa``). Without onnxruntime, torch runs it.

    >>> reader = SpanReader()                                   # doctest: +SKIP
    >>> spans = reader.read("Who met Macron?", hits)            # doctest: +SKIP
    >>> spans[0].text, spans[0].score > spans[0].null_score     # doctest: +SKIP
    ('Zelenskyy', True)
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
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
        backend: str = "auto",
    ) -> None:
        from transformers import AutoTokenizer

        path = Path(model_dir or reader_path())
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = load_model(path, backend)
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
            for ts, te, score in best_spans(
                starts[k], ends[k], w.context_mask[k], self.max_answer_tokens, self.spans_per_window
            ):
                cs, ce = w.offsets[k][ts][0], w.offsets[k][te][1]
                key = (hit.passage.source, base + cs, base + ce)
                if key not in found or score - null > found[key].score - found[key].null_score:
                    found[key] = Span(hit.passage.text[cs:ce], base + cs, base + ce, hit, score, null)
        return sorted(found.values(), key=lambda s: s.score - s.null_score, reverse=True)


# ------------------------------------------------------------------------ backends

INPUTS = ("input_ids", "token_type_ids", "attention_mask")


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
    """The span model run by ONNX Runtime from a cached export of the weights."""

    def __init__(self, onnx_path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray):
        start, end = self.session.run(None, dict(zip(INPUTS, (ids, types, mask))))
        return start, end


def cache_dir() -> Path:
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "articleqa")


def onnx_path_for(model_dir: Path) -> Path:
    """Where the ONNX export of these weights is cached (keyed by the weights' hash)."""
    h = hashlib.sha256()
    with open(model_dir / "model.safetensors", "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return cache_dir() / f"reader-{h.hexdigest()[:16]}.onnx"


def export_onnx(model_dir: Path, dest: Path) -> Path:
    """Export the span model to ONNX (fp32, dynamic batch and length), atomically."""
    import torch
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        if dest.exists():
            return dest
        model = TorchModel(model_dir).model

        class Logits(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, input_ids, token_type_ids, attention_mask):
                out = self.m(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask)
                return out.start_logits, out.end_logits

        example = tuple(torch.ones((2, 16), dtype=torch.long) for _ in INPUTS)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "start_logits", "end_logits")}
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        with warnings.catch_warnings():  # the tracer's notes on BERT's mask code are harmless
            warnings.simplefilter("ignore")
            torch.onnx.export(Logits(model).eval(), example, str(tmp), input_names=list(INPUTS),
                              output_names=["start_logits", "end_logits"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        os.replace(tmp, dest)
    return dest


def load_model(model_dir: Path, backend: str = "auto"):
    """The fastest available runner for the span model: "onnx", "torch" or "auto"."""
    if backend in ("auto", "onnx"):
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            if backend == "onnx":
                raise
        else:
            path = onnx_path_for(model_dir)
            if not path.exists():
                export_onnx(model_dir, path)
            return OnnxModel(path)
    return TorchModel(model_dir)
