"""The ratchet: ``passing.txt`` lists the cases known to pass; none of them may stop passing.

The list only grows: ``--update-ratchet`` adds newly passing cases and never removes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from tests.conformance.results import RunResult

RATCHET_FILE = Path(__file__).with_name("passing.txt")

HEADER = """\
# Hasura conformance cases known to pass: paths relative to the corpus root, one a line, sorted.
# The conformance test fails when any of them does not pass. `python -m tests.conformance
# --update-ratchet` adds newly passing cases. The list only grows: a case that stops passing
# is a regression to fix in the server, never an entry to delete or a case to edit.
"""


def load(path: Path = RATCHET_FILE) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def _header(path: Path) -> str:
    """The comment lines at the top of the file, kept as they are."""
    if not path.exists():
        return HEADER
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line + "\n")
    return "".join(lines) or HEADER


def add(cases: Iterable[str], path: Path = RATCHET_FILE) -> list[str]:
    """Add ``cases`` to the ratchet file; return the ones that were not listed yet."""
    listed = load(path)
    new = sorted(set(cases) - listed)
    if new or not path.exists():
        body = "".join(f"{case}\n" for case in sorted(listed | set(new)))
        path.write_text(_header(path) + body, encoding="utf-8")
    return new


def regressions(listed: Iterable[str], result: RunResult) -> list[str]:
    """Listed cases that did not pass in ``result``, each with its status and reason.

    In a partial run (``--folder``), cases of folders that were not run are not checked. A
    listed case that was skipped because this PostgreSQL lacks what its folder needs (PostGIS,
    XML support) is not a regression: it is checked where the capability exists (CI)."""
    folders = set(result.folders)
    problems = []
    for case in sorted(listed):
        folder = PurePosixPath(case).parent.as_posix()
        found = result.cases.get(case)
        if found is None:
            if result.partial and folder not in folders:
                continue
            problems.append(f"{case}: not found in the corpus")
        elif found.status == "skipped":
            continue
        elif found.status != "passed":
            problems.append(f"{case}: {found.status}: {found.outcome.reason}")
    return problems
