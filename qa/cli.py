"""Command line: ``qa ask | index | add | remove | docs | eval | train | calibrate`` (also ``python -m qa``).

    $ qa ask "Who led the Ukrainian officials in Florida?"
    $ qa ask --json "Who met Macron?"
    $ qa index
    $ qa add report.pdf minutes.docx      # copy into the corpus folder and index them
    $ qa remove report.pdf
    $ qa docs                             # documents, pages, passages, skipped files
    $ qa eval tests/data/questions.jsonl
    $ qa eval squad-v2.0-dev.json.gz --mode reading --limit 1000
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path


def _qa(args):
    from qa.pipeline import QA

    return QA(docs_dir=args.docs, index_dir=args.index_dir, database_url=args.database_url)


def _tqdm_progress():
    """A ``(stage, done, total)`` callback drawing one tqdm bar per stage on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            # disable=None: bars on a terminal only, so piped and captured output stays the messages
            bar = bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, leave=False, disable=None)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return progress


def _read_history(path: str) -> list[tuple[str, str | None]]:
    """Earlier turns from a JSON file: [[question, answer], ...], oldest first."""
    try:
        turns = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(turns, list) or not all(isinstance(t, list) and len(t) == 2 for t in turns):
            raise ValueError("expected a list of [question, answer] pairs")
    except (OSError, ValueError) as exc:
        raise HistoryError(f"--history {path}: {exc}") from exc
    return [(str(q), None if a is None else str(a)) for q, a in turns]


class HistoryError(ValueError):
    """The --history file can't be used; the message says why."""


def cmd_ask(args) -> int:
    qa = _qa(args)
    history = _read_history(args.history) if args.history else None
    ans = qa.ask(args.question, history=history)
    if args.json:
        out = asdict(ans)
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    if ans.answer is None:
        print(f"The documents don't say (confidence {ans.score:.2f}).")
        if ans.citations:
            c = ans.citations[0]
            print(f"\nClosest passage — {_where(c)}:\n{c.text}")
        return 0
    print(f"{ans.answer}    (confidence {ans.score:.2f})")
    for i, c in enumerate(ans.citations, 1):
        print(f"\n[{i}] {_where(c)}, answer at [{c.answer_start}:{c.answer_end}]")
        print(c.text)
    return 0


def _where(c) -> str:
    """``report.pdf, page 3 [120:410]`` (page only for paged documents)."""
    page = f", page {c.page}" if c.page else ""
    return f"{c.source}{page} [{c.start}:{c.end}]"


def cmd_index(args) -> int:
    qa = _qa(args)
    status = qa.status()
    index, report = qa.index(progress=_tqdm_progress(), force=args.force)
    if report is None:
        print(f"The index ({index.backend}: {index.where}) is up to date: "
              f"{len(index.sources)} document(s), {index.passage_count} passage(s). Nothing to do.")
        for s in index.skipped:
            print(f"Skipped {s.source}: {s.reason}")
    else:
        if report.reason == "requested" and status != "fresh":
            report.reason = status
        print(report.summary())
    return 0


def cmd_add(args) -> int:
    """Copy each file into the corpus folder (checked first: refused files change nothing), then index."""
    from qa.ingest.library import RefusedFile, add_file

    qa = _qa(args)
    refused = 0
    for f in args.files:
        try:
            a = add_file(f, qa.settings.docs_dir, qa.settings.max_file_bytes)
        except RefusedFile as exc:
            print(f"qa: refused {exc}", file=sys.stderr)
            refused += 1
            continue
        pages = f" ({a.pages} pages)" if a.pages else ""
        print(f"{'Replaced' if a.replaced else 'Added'} {a.source}{pages} in {qa.settings.docs_dir}")
        report = qa.add_document(a.source, progress=_tqdm_progress())  # this document alone
        if report is not None:
            print(report.summary())
    return 1 if refused else 0


def cmd_remove(args) -> int:
    from qa.ingest.library import RefusedFile, remove_file

    qa = _qa(args)
    try:
        remove_file(qa.settings.docs_dir, args.name)
    except RefusedFile as exc:
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    print(f"Removed {args.name} from {qa.settings.docs_dir}")
    from qa.index import EmptyCorpusError

    try:
        report = qa.remove_document(args.name, progress=_tqdm_progress())  # its passages alone
    except EmptyCorpusError as exc:  # the last document gone: said, not a traceback
        print(str(exc))
        return 0
    if report is not None:
        print(report.summary())
    return 0


def cmd_docs(args) -> int:
    from qa.ingest.library import describe

    qa = _qa(args)
    index, _ = qa.index(progress=_tqdm_progress())
    rows = describe(index, qa.settings.docs_dir, qa.settings.max_file_bytes)
    width = max([len(r.source) for r in rows] + [8])
    print(f"{'document':<{width}}  {'pages':>5}  {'passages':>8}")
    for r in rows:
        print(f"{r.source:<{width}}  {r.pages if r.pages else '-':>5}  {r.passages:>8}")
    print(f"{len(rows)} document(s), {sum(r.passages for r in rows)} passage(s) in {qa.settings.docs_dir}")
    for s in index.skipped:
        print(f"Skipped {s.source}: {s.reason}")
    return 0


def cmd_eval(args) -> int:
    from tqdm import tqdm

    from qa.evaluate import evaluate, plot, write_results

    qa = _qa(args)
    bar = tqdm(desc="questions", file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    report = evaluate(args.file, qa, mode=args.mode, limit=args.limit, split=args.split, progress=progress)
    bar.close()
    print(report.table())
    if args.json:
        write_results(report, args.json)
        print(f"per-question results: {args.json}")
    if args.plot:
        plot(report, args.plot)
        print(f"plot: {args.plot}")
    if args.figures:
        Path(args.figures).write_text(json.dumps(report.figures(), indent=1))
    return 0


def cmd_train(args) -> int:
    from qa.training import reader

    return reader.main(args.rest)


def cmd_calibrate(args) -> int:
    from qa.training import calibrate

    return calibrate.main(args.rest)


# commands whose flags belong to their own parser (``qa train --help`` shows those)
PASS_THROUGH = {"train": cmd_train, "calibrate": cmd_calibrate}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="Verbatim, cited answers from your documents.")
    p.add_argument("--docs", help="corpus folder (default: $QA_DOCS_DIR or source_docs/)")
    p.add_argument("--index-dir", help="index folder (default: $QA_INDEX_DIR or index/)")
    p.add_argument("--database-url", help="keep the index in this PostgreSQL database (pgvector) instead of the "
                                          "index folder (default: $QA_DATABASE_URL; '' for the index folder)")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("ask", help="answer one question")
    a.add_argument("question")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.add_argument("--history", help="JSON file with earlier [question, answer] turns, oldest first")
    a.set_defaults(func=cmd_ask)

    i = sub.add_parser("index", help="build or refresh the index")
    i.add_argument("--force", action="store_true", help="rebuild even if up to date")
    i.set_defaults(func=cmd_index)

    ad = sub.add_parser("add", help="copy documents into the corpus folder and index them")
    ad.add_argument("files", nargs="+", metavar="FILE", help=".pdf, .html, .htm, .docx, .txt or .md")
    ad.set_defaults(func=cmd_add)
    rm = sub.add_parser("remove", help="remove a document from the corpus folder and the index")
    rm.add_argument("name", help="the document's name as `qa docs` lists it")
    rm.set_defaults(func=cmd_remove)
    d = sub.add_parser("docs", help="list the documents (pages, passages) and skipped files")
    d.set_defaults(func=cmd_docs)

    e = sub.add_parser("eval", help="score the system on a question set")
    e.add_argument("file", help="JSON Lines question set, or SQuAD v1.1/v2.0 JSON (.json/.json.gz)")
    e.add_argument("--mode", choices=["open", "reading"], default="open",
                   help="SQuAD only: open = all paragraphs one corpus; reading = own paragraph")
    e.add_argument("--limit", type=int, help="a fixed sample of N questions")
    e.add_argument("--split", help="JSON Lines only: keep questions whose 'split' is this")
    e.add_argument("--json", metavar="OUT", help="write per-question results (JSON Lines)")
    e.add_argument("--plot", metavar="PNG", help="reliability diagram and accuracy per question type")
    e.add_argument("--figures", metavar="OUT", help="write the summary figures as JSON")
    e.set_defaults(func=cmd_eval)

    t = sub.add_parser("train", help="train the span reader (see qa train --help)", add_help=False)
    t.add_argument("rest", nargs=argparse.REMAINDER)
    t.set_defaults(func=cmd_train)
    c = sub.add_parser("calibrate", help="fit the answer/abstain calibration", add_help=False)
    c.add_argument("rest", nargs=argparse.REMAINDER)
    c.set_defaults(func=cmd_calibrate)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in PASS_THROUGH:  # argparse's REMAINDER would swallow no leading --help
        return PASS_THROUGH[argv[0]](argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    from qa.config import ConfigError
    from qa.index import DatabaseUnavailable, EmptyCorpusError
    from qa.models import ModelNotInstalled
    from qa.pipeline import InvalidQuestion

    try:
        return args.func(args)
    except (InvalidQuestion, HistoryError, EmptyCorpusError, ModelNotInstalled, ConfigError, DatabaseUnavailable,
            OSError) as exc:
        # OSError: a missing corpus folder, an index folder that can't be written, a full disk
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
