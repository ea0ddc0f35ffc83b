"""Readers side by side in one run: answer quality and warm latency over the article.

    python -m benchmarks.readers runs/reader-v1 qa/weights/reader
    python -m benchmarks.readers qa/weights/reader qa/weights/reader@runs/quantized/static.onnx
    python -m benchmarks.readers qa/weights/reader qa/weights/reader:256/128

For each reader folder (Hugging Face layout; ``DIR@GRAPH.onnx`` runs that ONNX graph of the
same model, e.g. a quantised one, with the folder's tokenizer; a ``:LENGTH/STRIDE`` suffix reads
in windows of that many tokens and overlap instead of the configured ones): F1 on the article question set
if it never abstained (the reader alone, whatever the calibration), evidence hit@1, with
``--reading FILE`` the reading-mode F1 over a SQuAD-format file, never abstaining, and the warm p50 of
``QA.ask`` beside its floor (question encoding + one reader pass over the passages it read),
alternating readers round by round so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from benchmarks.article import measure_warm_latency
from benchmarks.harness import ReadTrace, ms

ROOT = Path(__file__).resolve().parent.parent


def parse_spec(spec: str) -> tuple[str, str | None, dict[str, int]]:
    """``DIR[@GRAPH][:LENGTH/STRIDE]`` as (folder, graph or None, SpanReader window settings).

    >>> parse_spec("runs/r@q.onnx:256/128")
    ('runs/r', 'q.onnx', {'max_length': 256, 'stride': 128})
    >>> parse_spec("qa/weights/reader")
    ('qa/weights/reader', None, {})
    """
    windows = {}
    if m := re.search(r":(\d+)/(\d+)$", spec):
        spec, windows = spec[: m.start()], {"max_length": int(m[1]), "stride": int(m[2])}
    folder, _, graph = spec.partition("@")
    return folder, graph or None, windows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.readers", description=__doc__.split("\n\n")[0])
    p.add_argument("readers", nargs="+", help="reader folders (Hugging Face layout), DIR@GRAPH.onnx, "
                   "either with :LENGTH/STRIDE for other reading windows")
    p.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "questions.jsonl")
    p.add_argument("--docs", type=Path, default=ROOT / "source_docs")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--reading", type=Path, help="also reading-mode F1 over this SQuAD-format file "
                   "(held-out train questions, e.g. what `qa calibrate --heldout` wrote)")
    p.add_argument("--limit", type=int, help="questions of --reading (a fixed sample)")
    args = p.parse_args(argv)
    for spec in args.readers:  # before any model loads: a typo should cost a second, not a minute
        folder, graph, _ = parse_spec(spec)
        missing = [f for f in ("config.json", "tokenizer.json") if not (Path(folder) / f).is_file()]
        if missing:
            p.error(f"{folder}: not a reader folder (no {' or '.join(missing)})")
        if graph and not Path(graph).is_file():
            p.error(f"{graph}: no such ONNX graph")

    from qa.evaluate import evaluate, load_items
    from qa.pipeline import QA
    from qa.reader.span_reader import OnnxModel, SpanReader

    def reader(spec: str) -> SpanReader:
        folder, graph, windows = parse_spec(spec)
        return SpanReader(model_dir=folder, model=OnnxModel(Path(folder), Path(graph)) if graph else None, **windows)

    questions = [it.question for it in load_items(args.questions)[1]]
    with tempfile.TemporaryDirectory() as tmp:
        qas = {}
        for folder in args.readers:
            trace = ReadTrace(reader(folder))
            qas[folder] = (QA(docs_dir=args.docs, index_dir=Path(tmp) / "index", reader=trace), trace)
        rows = {folder: {"p50": [], "floor": [], "ratio": []} for folder in args.readers}
        for r in range(args.rounds):
            for folder, (qa, trace) in qas.items():
                lat = measure_warm_latency(qa, trace, questions, rounds=1)
                rows[folder]["p50"].append(lat.p50)
                rows[folder]["floor"].append(lat.floor_p50)
                rows[folder]["ratio"].append(lat.ratio)
        reading = f" {args.reading.name} reading F1 never abstaining |" if args.reading else ""
        print(f"| reader | F1 never abstaining |{reading} evidence hit@1 | warm p50 | floor p50 | p50 / floor |")
        print("|---|---:|" + ("---:|" if args.reading else "") + "---:|---:|---:|---:|")
        for folder, (qa, _) in qas.items():
            f = evaluate(args.questions, qa).figures()
            r = ""
            if args.reading:
                r = f" {evaluate(args.reading, qa, mode='reading', limit=args.limit).figures()['HasAns_f1_no_abstain']:.1f} |"
            row = rows[folder]
            best = min(range(args.rounds), key=lambda i: row["p50"][i])  # the quietest round
            print(f"| `{folder}` | {f['HasAns_f1_no_abstain']:.1f} |{r} {f.get('evidence_hit@1', float('nan')):.1f} % "
                  f"| {ms(row['p50'][best]):.1f} ms | {ms(row['floor'][best]):.1f} ms | {row['ratio'][best]:.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
