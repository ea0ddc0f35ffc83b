"""Readers side by side in one run: answer quality and warm latency over the article.

    python -m benchmarks.readers runs/reader-v1 qa/weights/reader

For each reader folder (Hugging Face layout): F1 on the article question set if it never
abstained (the reader alone, whatever the calibration), evidence hit@1, and the warm p50 of
``QA.ask`` beside its floor (question encoding + one reader pass over the passages it read),
alternating readers round by round so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.article import measure_warm_latency
from benchmarks.harness import ReadTrace, ms

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.readers", description=__doc__.split("\n\n")[0])
    p.add_argument("readers", nargs="+", type=Path, help="reader folders (Hugging Face layout)")
    p.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "questions.jsonl")
    p.add_argument("--docs", type=Path, default=ROOT / "source_docs")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)

    from qa.evaluate import evaluate, load_items
    from qa.pipeline import QA
    from qa.reader.span_reader import SpanReader

    questions = [it.question for it in load_items(args.questions)[1]]
    with tempfile.TemporaryDirectory() as tmp:
        qas = {}
        for folder in args.readers:
            trace = ReadTrace(SpanReader(model_dir=folder))
            qas[folder] = (QA(docs_dir=args.docs, index_dir=Path(tmp) / "index", reader=trace), trace)
        rows = {folder: {"p50": [], "floor": [], "ratio": []} for folder in args.readers}
        for r in range(args.rounds):
            for folder, (qa, trace) in qas.items():
                lat = measure_warm_latency(qa, trace, questions, rounds=1)
                rows[folder]["p50"].append(lat.p50)
                rows[folder]["floor"].append(lat.floor_p50)
                rows[folder]["ratio"].append(lat.ratio)
        print("| reader | F1 never abstaining | evidence hit@1 | warm p50 | floor p50 | p50 / floor |")
        print("|---|---:|---:|---:|---:|---:|")
        for folder, (qa, _) in qas.items():
            f = evaluate(args.questions, qa).figures()
            row = rows[folder]
            best = min(range(args.rounds), key=lambda i: row["p50"][i])  # the quietest round
            print(f"| `{folder}` | {f['HasAns_f1_no_abstain']:.1f} | {f.get('evidence_hit@1', float('nan')):.1f} % "
                  f"| {ms(row['p50'][best]):.1f} ms | {ms(row['floor'][best]):.1f} ms | {row['ratio'][best]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
