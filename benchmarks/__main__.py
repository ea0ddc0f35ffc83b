"""``python -m benchmarks``: run the benchmarks and write BENCHMARKS.md (see benchmarks/run.py)."""

import sys

from benchmarks.run import main

sys.exit(main())
