"""Choose the answer threshold (the P(right) at which ``ask()`` answers) by F1 on your questions.

    python -m qa.training.threshold tests/data/questions.jsonl --split dev --write

``qa calibrate`` fits P(right) on held-out SQuAD train questions; how sure an answer must be
before it is given is a product choice, best made on questions written the way users ask. This
asks every question once per threshold (the threshold also decides how far ``QA.read`` reads),
prints F1 and both abstention rates per threshold, and with ``--write`` stores the best one (the
highest F1; among equals the lowest threshold, which refuses fewer answerable questions) in the
calibration file. Choose on a split you do not report as a test figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.answer.confidence import DEFAULT_PATH, Calibrator

GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def best_threshold(rows: dict[float, dict[str, float]]) -> float:
    """The threshold of the highest F1; among equal F1 (to 0.05) the lowest.

    >>> best_threshold({0.1: {"f1": 60.0}, 0.2: {"f1": 63.0}, 0.3: {"f1": 63.02}})
    0.2
    """
    top = max(r["f1"] for r in rows.values())
    return min(t for t, r in rows.items() if r["f1"] >= top - 0.05)


def sweep(questions: Path, split: str | None, thresholds, qa=None) -> dict[float, dict[str, float]]:
    """Per threshold, ``qa eval``'s figures on ``questions`` (one shared index)."""
    from qa.evaluate import evaluate
    from qa.pipeline import QA

    qa = qa or QA()
    qa.index()
    saved = qa.calibrator.threshold
    rows = {}
    try:
        for t in thresholds:
            qa.calibrator.threshold = t
            rows[t] = evaluate(questions, qa, split=split).figures()
    finally:
        qa.calibrator.threshold = saved
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.training.threshold", description=__doc__.split("\n\n")[0])
    p.add_argument("questions", type=Path, help="JSON Lines question set (answerable and unanswerable)")
    p.add_argument("--split", help="keep questions whose 'split' is this (e.g. dev)")
    p.add_argument("--thresholds", default=",".join(map(str, GRID)), help="comma-separated P(right) values")
    p.add_argument("--calibration", type=Path, default=DEFAULT_PATH)
    p.add_argument("--write", action="store_true", help="store the best threshold in --calibration")
    args = p.parse_args(argv)
    try:
        grid = sorted({float(x) for x in args.thresholds.split(",") if x.strip()})
    except ValueError:
        p.error(f"--thresholds must be numbers separated by commas, not {args.thresholds!r}")
    if not grid or not all(0 < t < 1 for t in grid):
        p.error("--thresholds must lie strictly between 0 and 1")
    if not args.questions.exists():
        p.error(f"{args.questions}: no such file")

    from qa.pipeline import QA

    cal = Calibrator.load(args.calibration)
    rows = sweep(args.questions, args.split, grid, QA(calibrator=cal))
    print("| threshold | F1 | answerable abstained | unanswerable abstained |")
    print("|---:|---:|---:|---:|")
    for t, f in rows.items():
        print(f"| {t:g} | {f['f1']:.1f} | {f.get('answerable_abstained_pct', float('nan')):.1f} % "
              f"| {f.get('unanswerable_abstained_pct', float('nan')):.1f} % |")
    best = best_threshold(rows)
    print(f"best: {best:g} (F1 {rows[best]['f1']:.1f})")
    if args.write:
        where = f"{args.questions.name}" + (f" split {args.split}" if args.split else "")
        cal.threshold = best
        cal.fitted_on = cal.fitted_on.split("; threshold")[0] + f"; threshold {best:g} chosen on {where} (best F1)"
        cal.save(args.calibration)
        print(f"wrote {args.calibration}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
