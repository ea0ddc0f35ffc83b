"""The index seam: what every backend stores and answers, and the errors and reports it raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from qa.ingest.files import Skipped

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class EmptyCorpusError(RuntimeError):
    """The corpus folder holds no readable document; the message says what to do."""


class IndexCorrupt(RuntimeError):
    """The stored index can't be trusted (missing file, bad checksum, unreadable data)."""


@dataclass
class BuildReport:
    """What a build did, for the CLI and UI to show."""

    action: str  # "built" or "rebuilt"
    reason: str
    documents: int
    passages: int
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per build stage

    def summary(self) -> str:
        stages = ", ".join(f"{name} {sec:.1f} s" for name, sec in self.stages.items())
        lines = [
            f"{self.action.capitalize()} the index ({self.reason}): {self.documents} document(s), "
            f"{self.passages} passage(s) in {self.seconds:.1f} s" + (f" ({stages})." if stages else ".")
        ]
        lines += [f"Skipped {s.source}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)

