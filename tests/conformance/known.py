"""Known failures: cases that do not pass for a stated reason, listed in ``known_failures.txt``.

Each line is ``<case path><TAB><reason>``; ``#`` starts a comment. A reason says why the case
cannot pass yet: the feature belongs to another piece of work (mutations, subscriptions...),
or the corpus cannot pass as collected (its setup lacks an object the case uses; see the
corpus's INDEX.md). The runner prints every failing case with its listed reason, and the
failing cases that have none, so that nothing fails unexplained. Listing a case never makes
it pass: the counts are unchanged.
"""

from __future__ import annotations

from pathlib import Path

KNOWN_FILE = Path(__file__).with_name("known_failures.txt")


def load(path: Path = KNOWN_FILE) -> dict[str, str]:
    if not path.exists():
        return {}
    known: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        case, _, reason = line.partition("\t")
        known[case.strip()] = reason.strip() or "no reason given"
    return known


def explain(failing: list[str], known: dict[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(failing cases with their listed reason, failing cases with none)."""
    listed = [(case, known[case]) for case in failing if case in known]
    unexplained = [case for case in failing if case not in known]
    return listed, unexplained
