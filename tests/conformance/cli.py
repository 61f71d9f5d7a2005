"""``python -m tests.conformance``: run Hasura's test cases against Livegres, print a table.

Exit status: 0 when every case of the ratchet (passing.txt) that was run passed (or when the
corpus is absent: there is nothing to run), 1 when one of them did not pass or the server did
not start, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.conformance import known, ratchet
from tests.conformance.corpus import locate_corpus
from tests.conformance.environment import ServerStartError
from tests.conformance.results import CaseResult
from tests.conformance.runner import Options, run
from tests.conformance.transport import DEFAULT_TIMEOUT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance",
        description="Run the Hasura v2 server test cases against a real livegres server and print "
        "a table of results per folder.",
    )
    parser.add_argument("--report", metavar="FILE", type=Path, help="write a JSON report to FILE")
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        help="the corpus folder [default: $LIVEGRES_HASURA_TESTS, else ../shared/hasura-tests next to the repository]",
    )
    parser.add_argument(
        "--folder",
        metavar="SUBSTRING",
        nargs="+",
        action="extend",
        default=[],
        help="run only the folders whose path contains one of these (repeatable)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="superuser URL of the PostgreSQL to use [default: $DATABASE_URL, else an embedded one]",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="require error responses to match exactly (by default, when both the expected and the "
        "actual response are errors, a difference is only noted, as Hasura's harness does)",
    )
    parser.add_argument(
        "--update-ratchet",
        action="store_true",
        help="add the cases that passed to tests/conformance/passing.txt (never removes any)",
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per request [default: 10]")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case that did not pass, with why")
    return parser


def _print_case(result: CaseResult) -> None:
    outcome = result.outcome
    if outcome.status != "passed":
        print(f"{outcome.status.upper():8} {result.path}: {outcome.reason}", file=sys.stderr)
    for note in outcome.notes:
        print(f"NOTE     {result.path}: {note}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    location = locate_corpus(args.corpus)
    if not location.path.is_dir():
        print(location.missing_message())
        return 0
    options = Options(
        corpus=location.path,
        folders=args.folder,
        admin_url=args.database_url,
        strict=args.strict,
        timeout=args.timeout,
        on_result=_print_case if args.verbose else None,
    )
    try:
        result = asyncio.run(run(options))
    except ServerStartError as exc:
        print(f"conformance: the server did not start: {exc}", file=sys.stderr)
        return 1
    print(result.table())
    print(f"{'strict' if args.strict else 'lenient'} mode, {result.seconds:.1f} s, corpus {result.corpus}")
    if result.crash:
        print(result.crash, file=sys.stderr)
    failing = sorted(p for p, r in result.cases.items() if r.status in ("failed", "errored"))
    listed, unexplained = known.explain(failing, known.load())
    if listed:
        print(f"known failures ({len(listed)}, from {known.KNOWN_FILE.name}):")
        for case, reason in listed:
            print(f"  {case}: {reason}")
    if unexplained:
        print(f"failures without a listed reason ({len(unexplained)}):")
        for case in unexplained:
            print(f"  {case}")
    if args.report:
        args.report.write_text(json.dumps(result.report(), indent=2) + "\n", encoding="utf-8")
        print(f"report written to {args.report}")
    if args.update_ratchet:
        added = ratchet.add(result.passed())
        print(f"ratchet: {len(added)} newly passing case(s) added to {ratchet.RATCHET_FILE}")
        for case in added:
            print(f"  + {case}")
    problems = ratchet.regressions(ratchet.load(), result)
    if problems:
        print(f"ratchet: {len(problems)} case(s) listed in passing.txt did not pass:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0
