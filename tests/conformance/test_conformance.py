"""The whole Hasura corpus against the real server; no case of passing.txt may stop passing."""

from __future__ import annotations

import pytest

from tests.conformance import ratchet
from tests.conformance.corpus import locate_corpus
from tests.conformance.runner import Options, run


async def test_conformance(request: pytest.FixtureRequest) -> None:
    location = locate_corpus()
    if not location.path.is_dir():
        pytest.skip(location.missing_message())
    admin_url: str = request.getfixturevalue("pg_admin_url")
    result = await run(Options(corpus=location.path, admin_url=admin_url))
    print()
    print(result.table())
    print(f"{result.seconds:.1f} s")
    problems = ratchet.regressions(ratchet.load(), result)
    detail = "\n".join(f"  {p}" for p in problems)
    crash = f"\n{result.crash}" if result.crash else ""
    assert not problems, f"{len(problems)} case(s) of passing.txt did not pass:\n{detail}{crash}"
