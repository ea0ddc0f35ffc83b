"""Fine-tune the extractive span reader on SQuAD v1.1 train, on a CPU, resumably.

One command reproduces a reader (the model card in ``qa/weights/reader/README.md`` gives the
shipped one's)::

    qa train --data ../shared/data/squad-v1.1-train.json.gz

It starts from the all-MiniLM-L6-v2 encoder (a 6-layer BERT) with a new start/end head, or
from an earlier reader (``--base-model qa/weights/reader``), and trains it on windows of
``max_length`` tokens: every question with one window that holds its answer, plus "no answer
here" windows whose target is the [CLS] token — other windows of the same paragraph, windows
of another paragraph of the same article, and the answer's own window paired with an
*unanswerable variant* of the question (:mod:`qa.training.unanswerable`, SQuAD 2.0's edits).
A held-out slice of the training articles (never the dev sets) measures progress at every
checkpoint: reading F1, and how well "no answer" is told apart from other paragraphs and from
the unanswerable variants (AUC).

Where the CPU has bf16 instructions (AVX512_BF16 or AMX) the forward and backward passes run
under ``torch.autocast("cpu", dtype=torch.bfloat16)`` with fp32 master weights, about twice
as fast; elsewhere in fp32 (``--precision`` overrides).

The run keeps ``checkpoint.pt`` in ``--out`` (model, optimizer, position in the data, RNG)
and resumes from it when started again with the same command. ``--export DIR`` writes the
final model in the Hugging Face layout, in fp16.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import math
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.metrics import best_over_golds
from qa.reader.spans import best_spans, null_score
from qa.reader.windows import WindowTokenizer, answer_token_span, encode_windows
from qa.squad import SquadArticle, load_squad


@dataclass
class TrainConfig:
    """Everything that determines a training run (saved with every checkpoint)."""

    data: str
    out: str = "runs/reader"
    export: str | None = None
    base_model: str | None = None  # default: the installed all-MiniLM-L6-v2
    ambiguous: str | None = None  # ids whose answer offset is a guess: dropped
    seed: int = 13
    epochs: float = 1.0
    batch_size: int = 32
    lr: float = 1e-4
    warmup: float = 0.05
    weight_decay: float = 0.01
    max_length: int = 128
    stride: int = 48
    neg_same_rate: float = 0.15  # share of answerless windows of the own paragraph kept
    neg_other_rate: float = 0.15  # chance per question of a window of another paragraph
    unanswerable_rate: float = 0.0  # chance per question of an unanswerable variant (answer window)
    holdout_every: int = 25  # every n-th article (sorted by title) is held out
    holdout_questions: int = 400
    limit: int | None = None  # train on the first n questions only (smoke tests)
    checkpoint_minutes: float = 20.0
    threads: int = 0  # 0 = all cores
    precision: str = "auto"  # auto (bf16 where the CPU has it), bf16 or fp32
    log_every: int = 50  # steps between progress lines (steps/s, ETA)


# ----------------------------------------------------------------------------- data


@dataclass
class Example:
    input_ids: list[int]
    token_type_ids: list[int]
    start: int  # 0 (the [CLS] token) for "no answer here"
    end: int


def split_articles(articles: list[SquadArticle], every: int):
    """Deterministic article-level split: every ``every``-th title (sorted) is held out."""
    ordered = sorted(articles, key=lambda a: a.title)
    train = [a for i, a in enumerate(ordered) if (i % every) != every - 1]
    held = [a for i, a in enumerate(ordered) if (i % every) == every - 1]
    return train, held


def read_ambiguous(path: str | None) -> set[str]:
    if not path:
        return set()
    with gzip.open(path, "rt") if path.endswith(".gz") else open(path) as fh:
        next(fh)
        return {line.split("\t", 1)[0] for line in fh if line.strip()}


def unanswerable_variants(cfg: TrainConfig, articles: list[SquadArticle], drop: set[str]) -> dict[str, str]:
    """Question id -> an unanswerable variant of it for its own paragraph, for about
    ``unanswerable_rate`` of the questions (spaCy finds the entities to swap)."""
    if cfg.unanswerable_rate <= 0:
        return {}
    from qa.models import load_spacy
    from qa.training.unanswerable import UnanswerableMaker, question_entities

    rng = random.Random(cfg.seed + 1)
    nlp = load_spacy(("tagger", "parser", "attribute_ruler", "lemmatizer", "senter"))
    maker = UnanswerableMaker(cfg.seed)
    out: dict[str, str] = {}
    for art in articles:
        qs = [(q, p.context) for p in art.paragraphs for q in p.questions if q.id not in drop and q.answers]
        ents = question_entities(nlp, [q.question for q, _ in qs])
        made = maker.article([q.question for q, _ in qs], [c for _, c in qs], ents)
        for (q, _), var in zip(qs, made):
            if var is not None and rng.random() < cfg.unanswerable_rate:
                out[q.id] = var.question
    return out


def build_pools(cfg: TrainConfig, tokenizer, articles: list[SquadArticle], drop: set[str]):
    """Tokenize once: per question, its answer windows, its answerless windows and the answer
    window paired with an unanswerable variant of the question (target [CLS])."""
    rng = random.Random(cfg.seed)
    variants = unanswerable_variants(cfg, articles, drop)
    questions, contexts, spans, others, variant_of = [], [], [], [], []
    for art in articles:
        for p_i, para in enumerate(art.paragraphs):
            for q in para.questions:
                if q.id in drop or not q.answers:
                    continue
                a = q.answers[0]
                questions.append(q.question)
                variant_of.append(variants.get(q.id))
                contexts.append(para.context)
                spans.append((a.start, a.start + len(a.text)))
                other = None
                if len(art.paragraphs) > 1 and rng.random() < cfg.neg_other_rate:
                    j = rng.randrange(len(art.paragraphs) - 1)
                    j = j + 1 if j >= p_i else j
                    cand = art.paragraphs[j].context
                    if a.text.lower() not in cand.lower():
                        other = cand
                others.append(other)
                if cfg.limit and len(questions) >= cfg.limit:
                    break
            if cfg.limit and len(questions) >= cfg.limit:
                break
        if cfg.limit and len(questions) >= cfg.limit:
            break

    pos: list[list[Example]] = [[] for _ in questions]
    neg: list[list[Example]] = [[] for _ in questions]
    hard: list[list[Example]] = [[] for _ in questions]
    chunk = 2000
    from tqdm import tqdm

    for lo in tqdm(range(0, len(questions), chunk), desc="tokenizing", unit="chunk"):
        qs, cs = questions[lo : lo + chunk], contexts[lo : lo + chunk]
        w = encode_windows(tokenizer, qs, cs, cfg.max_length, cfg.stride)
        for k in range(len(w)):
            qi = lo + w.pair[k]
            tok = answer_token_span(w.offsets[k], w.context_mask[k], *spans[qi])
            ex = Example(w.input_ids[k], w.token_type_ids[k], *(tok or (0, 0)))
            (pos if tok else neg)[qi].append(ex)
        idx = [i for i in range(lo, min(lo + chunk, len(questions))) if others[i]]
        if idx:
            w = encode_windows(
                tokenizer, [questions[i] for i in idx], [others[i] for i in idx],
                cfg.max_length, cfg.stride,
            )
            first: dict[int, int] = {}
            for k in range(len(w)):
                first.setdefault(w.pair[k], k)
            for pair, k in first.items():
                neg[idx[pair]].append(Example(w.input_ids[k], w.token_type_ids[k], 0, 0))
        idx = [i for i in range(lo, min(lo + chunk, len(questions))) if variant_of[i]]
        if idx:
            w = encode_windows(
                tokenizer, [variant_of[i] for i in idx], [contexts[i] for i in idx],
                cfg.max_length, cfg.stride,
            )
            for k in range(len(w)):
                qi = idx[w.pair[k]]
                if not hard[qi] and answer_token_span(w.offsets[k], w.context_mask[k], *spans[qi]):
                    hard[qi].append(Example(w.input_ids[k], w.token_type_ids[k], 0, 0))
    print(f"{len(variants)} unanswerable variants, {sum(map(bool, hard))} used", flush=True)
    return pos, neg, hard


def epoch_batches(cfg: TrainConfig, pos, neg, hard, epoch: int) -> list[list[Example]]:
    """The epoch's batches, fixed by (seed, epoch) so a resumed run sees the same data."""
    rng = random.Random(cfg.seed * 1000 + epoch)
    chosen: list[Example] = []
    for p, n, h in zip(pos, neg, hard):
        if p:
            chosen.append(rng.choice(p))
        chosen.extend(x for x in n if x.start == 0 and rng.random() < cfg.neg_same_rate)
        chosen.extend(h)
    rng.shuffle(chosen)
    # sort by length inside chunks of 50 batches to cut padding, then shuffle batch order
    bs, span = cfg.batch_size, cfg.batch_size * 50
    batches = []
    for lo in range(0, len(chosen), span):
        block = sorted(chosen[lo : lo + span], key=lambda x: len(x.input_ids))
        batches.extend(block[i : i + bs] for i in range(0, len(block), bs))
    rng.shuffle(batches)
    return batches


def collate(batch: list[Example], pad_id: int):
    import torch

    width = max(len(x.input_ids) for x in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, x in enumerate(batch):
        n = len(x.input_ids)
        ids[i, :n] = torch.tensor(x.input_ids)
        types[i, :n] = torch.tensor(x.token_type_ids)
        mask[i, :n] = 1
    return {
        "input_ids": ids,
        "token_type_ids": types,
        "attention_mask": mask,
        "start_positions": torch.tensor([x.start for x in batch]),
        "end_positions": torch.tensor([x.end for x in batch]),
    }


# ------------------------------------------------------------------------ validation


def validate(cfg: TrainConfig, model, tokenizer, held: list[SquadArticle],
             variants: dict[str, str] | None = None) -> dict:
    """Reading-mode EM/F1 and no-answer AUCs on held-out training articles: the right paragraph
    against another paragraph (``noanswer_auc``) and against an unanswerable variant of the
    question on its own paragraph (``unanswerable_auc``, when ``variants`` are given)."""
    import torch

    rng = random.Random(cfg.seed)
    items = [(q, p.context) for a in held for p in a.paragraphs for q in p.questions]
    rng.shuffle(items)
    items = items[: cfg.holdout_questions]
    # each question also against a different held-out paragraph: should be "no answer"
    paras = [p.context for a in held for p in a.paragraphs]
    wrong = [rng.choice(paras) for _ in items]
    own = [c for _, c in items]
    passes = [("pos", [q.question for q, _ in items], own), ("neg", [q.question for q, _ in items], wrong)]
    if variants:
        kept = [i for i, (q, _) in enumerate(items) if q.id in variants]
        passes.append(("hard", [variants[items[i][0].id] for i in kept], [own[i] for i in kept]))
    model.eval()
    em = f1 = 0.0
    margins: dict[str, list[float]] = {"pos": [], "neg": [], "hard": []}
    with torch.inference_mode():
        for kind, questions, ctxs in passes:
            is_pos = kind == "pos"
            for lo in range(0, len(questions), 64):
                qs = questions[lo : lo + 64]
                cs = ctxs[lo : lo + 64]
                w = encode_windows(tokenizer, qs, cs, cfg.max_length, cfg.stride)
                batch = collate([Example(i, t, 0, 0) for i, t in zip(w.input_ids, w.token_type_ids)],
                                tokenizer.pad_token_id)
                out = model(**{k: batch[k] for k in ("input_ids", "token_type_ids", "attention_mask")})
                s_all, e_all = out.start_logits.numpy(), out.end_logits.numpy()
                best: dict[int, tuple[float, str, float]] = {}
                for k in range(len(w)):
                    n = len(w.input_ids[k])
                    s, e = s_all[k, :n], e_all[k, :n]
                    spans = best_spans(s, e, w.context_mask[k], top_k=1)
                    if not spans:
                        continue
                    ts, te, sc = spans[0]
                    margin = sc - null_score(s, e)
                    ctx = cs[w.pair[k]]
                    text = ctx[w.offsets[k][ts][0] : w.offsets[k][te][1]]
                    if w.pair[k] not in best or margin > best[w.pair[k]][0]:
                        best[w.pair[k]] = (margin, text, sc)
                for j in range(len(qs)):
                    margin, text, _ = best.get(j, (-1e9, "", 0.0))
                    margins[kind].append(margin)
                    if is_pos:
                        e_, f_ = best_over_golds(text, [a.text for a in items[lo + j][0].answers])
                        em, f1 = em + e_, f1 + f_
    model.train()
    pos = np.array(margins["pos"])
    n = max(len(items), 1)
    return {"em": 100 * em / n, "f1": 100 * f1 / n, "noanswer_auc": _auc(pos, np.array(margins["neg"])),
            "unanswerable_auc": _auc(pos, np.array(margins["hard"])), "n": len(items)}


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a right paragraph outscores a wrong one (Mann-Whitney)."""
    if not len(pos) or not len(neg):
        return float("nan")
    allv = np.concatenate([pos, neg])
    ranks = allv.argsort().argsort() + 1.0
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


# -------------------------------------------------------------------------- training


def lr_at(cfg: TrainConfig, step: int, total: int) -> float:
    """Linear warm-up then linear decay, computed from the step (so resume is exact)."""
    warm = max(1, int(cfg.warmup * total))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    return cfg.lr * max(0.0, (total - step) / max(1, total - warm))


def default_base_model() -> str:
    from qa.models import minilm_path

    return str(minilm_path())


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 matrix work natively (AVX512_BF16 or AMX-BF16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def choose_precision(requested: str) -> str:
    """``bf16`` or ``fp32`` for ``--precision auto|bf16|fp32``."""
    if requested not in ("auto", "bf16", "fp32"):
        raise ValueError(f"--precision must be auto, bf16 or fp32, not {requested!r}")
    if requested == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return requested


def progress_line(step: int, total: int, steps_done: int, seconds: float, loss: float) -> str:
    """``step 120/3000 (4.0 %), 1.23 steps/s, ETA 39 min, loss 1.234``.

    >>> progress_line(100, 1100, 100, 50.0, 1.0)
    'step 100/1100 (9.1 %), 2.00 steps/s, ETA 8 min, loss 1.000'
    """
    rate = steps_done / seconds if seconds > 0 else 0.0
    eta = (total - step) / rate / 60 if rate > 0 else float("inf")
    return (f"step {step}/{total} ({100 * step / max(total, 1):.1f} %), {rate:.2f} steps/s, "
            f"ETA {eta:.0f} min, loss {loss:.3f}")


def train_step(model, opt, batch: dict, precision: str):
    """One optimiser step on ``batch`` (bf16 autocast when ``precision`` is "bf16"); its loss."""
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss


def train(cfg: TrainConfig) -> dict:
    """Run (or resume) training; returns the last validation figures."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    base = cfg.base_model or default_base_model()
    tokenizer = WindowTokenizer(base)
    # fp32 master weights, whatever the base was saved in (the shipped reader is fp16)
    model = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32)
    precision = choose_precision(cfg.precision)
    print(f"precision: {precision} ({'bf16 autocast, fp32 master weights' if precision == 'bf16' else 'fp32'}"
          f"; CPU bf16 instructions: {'yes' if cpu_has_bf16() else 'no'}), threads {torch.get_num_threads()}",
          flush=True)

    articles = load_squad(cfg.data)
    train_articles, held = split_articles(articles, cfg.holdout_every)
    pos, neg, hard = build_pools(cfg, tokenizer, train_articles, read_ambiguous(cfg.ambiguous))
    n_batches = len(epoch_batches(cfg, pos, neg, hard, 0))
    held_variants = unanswerable_variants(dataclasses.replace(cfg, unanswerable_rate=1.0), held, set())
    total = int(math.ceil(cfg.epochs * n_batches))
    print(f"{sum(map(bool, pos))} questions, {n_batches} batches/epoch, {total} steps", flush=True)

    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.lr,
    )
    step, history = 0, []
    if ckpt_path.exists():
        state = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, history = state["step"], state.get("history", [])
        torch.set_rng_state(state["torch_rng"])
        print(f"resumed from step {step}", flush=True)

    def save() -> None:
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save(
            {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
             "history": history, "config": dataclasses.asdict(cfg),
             "torch_rng": torch.get_rng_state()},
            tmp,
        )
        os.replace(tmp, ckpt_path)

    stop = {"now": False}

    def on_signal(signum, frame):  # finish the current step, checkpoint, exit
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    model.train()
    last_save = time.time()
    bar = tqdm(total=total, initial=step, desc="training", unit="step", disable=not sys.stderr.isatty())
    started, first_step = time.time(), step
    while step < total and not stop["now"]:
        epoch, offset = divmod(step, n_batches)
        batches = epoch_batches(cfg, pos, neg, hard, epoch)
        for batch in batches[offset:]:
            if step >= total or stop["now"]:
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(cfg, step, total)
            loss = train_step(model, opt, collate(batch, tokenizer.pad_token_id), precision)
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", epoch=f"{step / n_batches:.2f}")
            if step % cfg.log_every == 0 or step == total:
                tqdm.write(progress_line(step, total, step - first_step, time.time() - started, loss.item()))
            if time.time() - last_save > cfg.checkpoint_minutes * 60:
                metrics = validate(cfg, model, tokenizer, held, held_variants)
                history.append({"step": step, "epoch": step / n_batches,
                                "seconds": time.time() - started, **metrics})
                tqdm.write(json.dumps(history[-1]))
                save()
                last_save = time.time()
    bar.close()
    metrics = validate(cfg, model, tokenizer, held, held_variants)
    history.append({"step": step, "epoch": step / n_batches, "seconds": time.time() - started, **metrics})
    print(json.dumps(history[-1]), flush=True)
    save()
    (out / "history.json").write_text(json.dumps(history, indent=1))
    if step >= total and cfg.export:
        export(model, base, cfg, history, Path(cfg.export))
    return history[-1]


def export(model, base: str, cfg: TrainConfig, history: list[dict], dest: Path) -> None:
    """Write the model in the Hugging Face layout (fp16 safetensors + the base's tokenizer)."""
    import copy

    from transformers import AutoTokenizer

    dest.mkdir(parents=True, exist_ok=True)
    half = copy.deepcopy(model).half()
    half.save_pretrained(dest, safe_serialization=True)
    AutoTokenizer.from_pretrained(base).save_pretrained(dest)
    cfg_dict = dataclasses.asdict(cfg)
    (dest / "training.json").write_text(json.dumps({"config": cfg_dict, "history": history}, indent=1))
    for f in dest.iterdir():
        f.chmod(0o644)  # safetensors writes owner-only files; the weights are meant to be shared
    print(f"exported to {dest}", flush=True)


def export_checkpoint(ckpt: Path, dest: Path) -> None:
    """Export a checkpoint written by :func:`train` (e.g. after an early stop)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForQuestionAnswering

    state = torch.load(ckpt, weights_only=False)
    cfg = TrainConfig(**state["config"])
    base = cfg.base_model or default_base_model()
    model = AutoModelForQuestionAnswering.from_pretrained(base)
    model.load_state_dict(state["model"])
    export(model, base, cfg, state.get("history", []), dest)


# ------------------------------------------------------------------------------ CLI


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of ``qa train`` / ``python -m qa.training.reader``: one per TrainConfig field."""
    for f in dataclasses.fields(TrainConfig):
        name = "--" + f.name.replace("_", "-")
        if f.name == "data":
            p.add_argument(name, required=True, help="SQuAD v1.1 training JSON (.json or .json.gz)")
            continue
        typ = {"int": int, "float": float}.get(str(f.type).split(" ")[0], str)
        p.add_argument(name, type=typ, default=f.default, help=f"(default: {f.default})")
    p.add_argument("--export-checkpoint", metavar="CKPT", help="only export CKPT to --export")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="qa train", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    args = vars(p.parse_args(argv))
    ckpt = args.pop("export_checkpoint")
    cfg = TrainConfig(**args)
    if ckpt:
        if not cfg.export:
            p.error("--export-checkpoint needs --export DIR")
        export_checkpoint(Path(ckpt), Path(cfg.export))
        return 0
    train(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
