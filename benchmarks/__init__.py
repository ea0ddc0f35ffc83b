"""articleqa's benchmarks (not part of the package): ``python -m benchmarks`` writes BENCHMARKS.md.

One job per file: ``harness`` (timing, memory, fresh processes, the traced QA), ``fresh``
(fresh-interpreter figures), ``article`` (warm figures over the article), ``synthetic``
(invented corpora with known answers), ``scale`` (builds and queries at 1k-100k passages),
``report`` (the table and BENCHMARKS.md), ``run`` (the command line).
"""
