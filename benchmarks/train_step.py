"""Seconds per reader training step in fp32 and under bf16 autocast, alternated in one run.

    python -m benchmarks.train_step --lengths 128,256 --steps 8 --rounds 2

What ``qa train`` chooses (``--precision auto``: bf16 where the CPU has AVX512_BF16 or AMX)
is only worth it where bf16 is faster: this times full steps (forward, backward, clipping,
AdamW) of the shipped reader on batches of random word pieces, which cost what real windows of
the same shape cost. Rounds alternate the precisions so machine noise hits both alike; the
quietest round is reported.
"""

from __future__ import annotations

import argparse
import sys
import time


def time_steps(model, opt, batch, precision: str, steps: int) -> float:
    """Mean seconds per optimiser step (``qa train``'s own) over ``steps`` steps, after one warm-up."""
    from qa.training.reader import train_step

    train_step(model, opt, batch, precision)
    t0 = time.perf_counter()
    for _ in range(steps):
        train_step(model, opt, batch, precision)
    return (time.perf_counter() - t0) / steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.train_step", description=__doc__.split("\n\n")[0])
    p.add_argument("--lengths", default="128,256", help="window lengths, tokens, comma-separated")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = p.parse_args(argv)
    try:
        lengths = [int(x) for x in args.lengths.split(",")]
    except ValueError:
        p.error(f"--lengths must be integers separated by commas, not {args.lengths!r}")

    import torch
    from transformers import AutoModelForQuestionAnswering

    from qa.models import reader_path
    from qa.training.reader import cpu_has_bf16

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"CPU bf16 instructions: {'yes' if cpu_has_bf16() else 'no'}; threads {torch.get_num_threads()}")
    print("| window | batch | fp32 s/step | bf16 s/step | fp32 / bf16 |")
    print("|---:|---:|---:|---:|---:|")
    gen = torch.Generator().manual_seed(0)
    for length in lengths:
        model = AutoModelForQuestionAnswering.from_pretrained(str(reader_path()), dtype=torch.float32).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        n = args.batch_size
        batch = {
            "input_ids": torch.randint(1000, model.config.vocab_size, (n, length), generator=gen),
            "token_type_ids": (torch.arange(length) > length // 4).long().expand(n, length).contiguous(),
            "attention_mask": torch.ones(n, length, dtype=torch.long),
            "start_positions": torch.randint(0, length, (n,), generator=gen),
            "end_positions": torch.randint(0, length, (n,), generator=gen),
        }
        best = {"fp32": float("inf"), "bf16": float("inf")}
        for _ in range(args.rounds):
            for precision in best:
                best[precision] = min(best[precision], time_steps(model, opt, batch, precision, args.steps))
        print(f"| {length} | {n} | {best['fp32']:.2f} | {best['bf16']:.2f} | {best['fp32'] / best['bf16']:.2f}× |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
