"""``python -m qa.ingest.convert FILE [MAX_BYTES]``: convert one file, print the result as JSON;
``python -m qa.ingest.convert --stdin NAME [--limits MEMORY_MB CPU_S]``: convert the bytes on
standard input as file NAME, under those limits.

Used by :func:`qa.ingest.convert.isolate.convert_isolated` to convert untrusted files in a
child process with time and memory limits; also handy to see what a file converts to.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from qa.ingest.convert import ConversionError, convert, convert_bytes


def main(argv: list[str]) -> int:
    if "--limits" in argv:  # set by the parent (isolate.py): memory in MB, CPU seconds, before any parsing
        i = argv.index("--limits")
        memory_mb, cpu_s = int(argv[i + 1]), int(argv[i + 2])
        argv = argv[:i] + argv[i + 3:]
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    try:
        if argv[0] == "--stdin":
            converted = convert_bytes(sys.stdin.buffer.read(), argv[1])
        else:
            converted = convert(argv[0], int(argv[1]) if len(argv) > 1 else 10 * 2**20)
        result = {"converted": asdict(converted)}
    except ConversionError as exc:
        result = {"error": exc.reason}
    sys.stdout.write(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
