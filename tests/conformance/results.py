"""Results of a conformance run: per case, per folder, as a table and as a JSON report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tests.conformance.compare import truncate

Status = Literal["passed", "failed", "errored", "skipped"]
STATUSES: tuple[Status, ...] = ("passed", "failed", "errored", "skipped")


@dataclass(frozen=True)
class Outcome:
    """What running one case gave: a status, why (unless passed), and notes (lenient passes)."""

    status: Status
    reason: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def passed(cls, notes: tuple[str, ...] = ()) -> Outcome:
        return cls("passed", notes=notes)

    @classmethod
    def failed(cls, reason: str) -> Outcome:
        return cls("failed", truncate(reason))

    @classmethod
    def errored(cls, reason: str) -> Outcome:
        return cls("errored", truncate(reason))

    @classmethod
    def skipped(cls, reason: str) -> Outcome:
        return cls("skipped", truncate(reason))


@dataclass(frozen=True)
class CaseResult:
    path: str
    folder: str
    outcome: Outcome

    @property
    def status(self) -> Status:
        return self.outcome.status


@dataclass
class RunResult:
    corpus: Path
    folders: list[str]  # every folder that was run, in order
    partial: bool  # only some folders were selected
    strict: bool = False
    cases: dict[str, CaseResult] = field(default_factory=dict)
    crash: str = ""  # how the server died, with the end of its log, if it did
    seconds: float = 0.0

    def add(self, result: CaseResult) -> None:
        self.cases[result.path] = result

    def passed(self) -> set[str]:
        return {path for path, r in self.cases.items() if r.status == "passed"}

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {folder: dict.fromkeys((*STATUSES, "total"), 0) for folder in self.folders}
        for r in self.cases.values():
            row = counts.setdefault(r.folder, dict.fromkeys((*STATUSES, "total"), 0))
            row[r.status] += 1
            row["total"] += 1
        return counts

    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys((*STATUSES, "total"), 0)
        for row in self.counts().values():
            for key, n in row.items():
                totals[key] += n
        return totals

    def table(self) -> str:
        counts = self.counts()
        columns = (*STATUSES, "total")
        width = max([len("folder"), len("total"), *map(len, counts)])
        lines = [f"{'folder':<{width}}  " + " ".join(f"{c:>7}" for c in columns)]
        lines.append("-" * len(lines[0]))
        for folder, row in counts.items():
            lines.append(f"{folder:<{width}}  " + " ".join(f"{row[c]:>7}" for c in columns))
        lines.append("-" * len(lines[0]))
        totals = self.totals()
        lines.append(f"{'total':<{width}}  " + " ".join(f"{totals[c]:>7}" for c in columns))
        return "\n".join(lines)

    def report(self) -> dict[str, Any]:
        """The JSON report: statuses, per-folder counts, a reason for every case not passed."""
        ordered = sorted(self.cases.values(), key=lambda r: r.path)
        return {
            "cases": {r.path: r.status for r in ordered},
            "folders": self.counts(),
            "reasons": {r.path: r.outcome.reason for r in ordered if r.status != "passed"},
            "notes": {r.path: list(r.outcome.notes) for r in ordered if r.outcome.notes},
            "totals": self.totals(),
            "mode": "strict" if self.strict else "lenient",
            "seconds": round(self.seconds, 2),
        }
