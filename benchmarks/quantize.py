"""int8 graphs of a span reader with ONNX Runtime's quantiser, to compare with the fp32 one.

    python -m benchmarks.quantize qa/weights/reader --calibration ../shared/data/squad-v1.1-train.json.gz
    python -m benchmarks.readers qa/weights/reader qa/weights/reader@runs/quantized/static.onnx ...

Writes ``OUT/static.onnx`` (static: int8 weights per output channel, uint8 activations with
ranges measured on ``--windows`` reader windows of SQuAD *train* questions, QDQ format) and
``OUT/dynamic.onnx`` (int8 weights per channel, activation ranges computed per batch at run
time). ``benchmarks.readers`` then sets each beside the fp32 reader in one run (F1 and warm
p50). The windows that set the activation ranges come from the last 50 articles of the train
file, never from a dev set.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
from pathlib import Path


def calibration_batches(model_dir: Path, squad: Path, windows: int, batch: int = 16, seed: int = 0):
    """Batches of reader inputs (dicts of int64 arrays) over SQuAD train questions and paragraphs."""
    import numpy as np

    from qa.onnx import BERT_INPUTS
    from qa.reader.windows import WindowTokenizer, encode_windows
    from qa.squad import load_squad

    tok = WindowTokenizer(model_dir)
    pairs = [(q.question, p.context) for a in load_squad(squad)[-50:] for p in a.paragraphs for q in p.questions]
    random.Random(seed).shuffle(pairs)
    w = encode_windows(tok, [q for q, _ in pairs[:windows]], [c for _, c in pairs[:windows]], 128, 48)
    rows = list(zip(w.input_ids, w.token_type_ids))[:windows]
    out = []
    for lo in range(0, len(rows), batch):
        chunk = rows[lo : lo + batch]
        width = max(len(ids) for ids, _ in chunk)
        ids = np.full((len(chunk), width), tok.pad_token_id, dtype=np.int64)
        types, mask = np.zeros_like(ids), np.zeros_like(ids)
        for i, (a, t) in enumerate(chunk):
            ids[i, : len(a)], types[i, : len(a)], mask[i, : len(a)] = a, t, 1
        out.append(dict(zip(BERT_INPUTS, (ids, types, mask))))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.quantize", description=__doc__.split("\n\n")[0])
    p.add_argument("reader", type=Path, help="reader folder (Hugging Face layout)")
    p.add_argument("--calibration", type=Path, required=True, help="SQuAD v1.1 train JSON (.json or .json.gz)")
    p.add_argument("--windows", type=int, default=256, help="windows that set the activation ranges")
    p.add_argument("--out", type=Path, default=Path("runs/quantized"))
    args = p.parse_args(argv)

    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quant_pre_process,
                                          quantize_dynamic, quantize_static)

    from qa.reader.span_reader import export_onnx

    fp32 = export_onnx(args.reader)
    args.out.mkdir(parents=True, exist_ok=True)
    batches = calibration_batches(args.reader, args.calibration, args.windows)

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(batches)

        def get_next(self):
            return next(self.it, None)

    out = args.out.resolve()
    # the pre-processor leaves scratch files in the working directory: give it the temporary one
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        pre = Path(tmp) / "pre.onnx"
        # ONNX shape inference and graph clean-up, as the quantiser asks (its symbolic shape
        # inference cannot follow the exported attention mask code, so that part is skipped)
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(out / "static.onnx"), Batches(), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)
        quantize_dynamic(str(pre), str(out / "dynamic.onnx"), per_channel=True, weight_type=QuantType.QInt8)
    for name in ("static", "dynamic"):
        f = args.out / f"{name}.onnx"
        print(f"wrote {f} ({f.stat().st_size / 2**20:.1f} MiB; fp32 {fp32.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
