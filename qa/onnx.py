"""Run our transformer models with ONNX Runtime: export once from the weights, cache, load.

Question-time work (one question embedding, one reader pass) is dominated by fixed costs on a
2-core CPU; ONNX Runtime avoids importing torch/transformers in the serving process and runs
these small batches faster. The graph is exported from the installed weights on first use
(needs torch, a few seconds) and cached under ``$QA_CACHE_DIR`` (default
``~/.cache/articleqa``), keyed by the weights' hash, so a changed model is re-exported.

    >>> path = cached_export("reader", weights_file, build_module, ("input_ids",), ("logits",))  # doctest: +SKIP
    >>> session(path).run(None, {"input_ids": ids})                                              # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from pathlib import Path

BERT_INPUTS = ("input_ids", "token_type_ids", "attention_mask")


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    return Path(os.environ.get("QA_CACHE_DIR") or Path.home() / ".cache" / "articleqa")


def file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:16]


def cached_export(
    name: str,
    weights: Path,
    build_module: Callable[[], object],
    input_names: tuple[str, ...],
    output_names: tuple[str, ...],
) -> Path:
    """Path of the ONNX graph for ``weights``, exporting ``build_module()`` first if needed.

    ``build_module`` returns a torch module taking ``input_names`` (int64, [batch, tokens]) and
    returning ``output_names`` (per-token outputs: [batch, tokens, ...]). The export is written atomically under a file lock, so
    concurrent processes export once and never see a half-written file.
    """
    dest = cache_dir() / f"{name}-{file_digest(weights)}.onnx"
    if dest.exists():
        return dest
    import torch
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock"):
        if dest.exists():
            return dest
        module = build_module().eval()
        example = tuple(torch.ones((2, 16), dtype=torch.long) for _ in input_names)
        axes = {n: {0: "batch", 1: "tokens"} for n in (*input_names, *output_names)}
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
        with warnings.catch_warnings():  # the tracer's notes on BERT's mask code are harmless
            warnings.simplefilter("ignore")
            torch.onnx.export(module, example, str(tmp), input_names=list(input_names),
                              output_names=list(output_names), dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        os.replace(tmp, dest)
    return dest


def session(path: Path, threads: int | None = None):
    """An ONNX Runtime CPU session that shares the machine politely.

    Threads sleep instead of spin-waiting between operators: on a 2-core machine serving
    several requests, spinning threads steal the cores the other requests need.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
