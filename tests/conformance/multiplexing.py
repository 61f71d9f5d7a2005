"""The ``subscriptions/multiplexing`` query files, checked as Hasura's harness checks them.

These files hold only a subscription (and its variables); Hasura's Python classes
``TestSubscriptionMultiplexingPostgresMSSQL`` and ``TestSubscriptionMultiplexingPostgres``
post each one to ``/v1/graphql/explain`` with chosen session variables and assert on the
``variables`` of the answer: the session variables a cohort is keyed by (only those the
permissions read: extraneous ones are discarded) and the ``synthetic`` parameters (the
GraphQL variables' values, an array as a PostgreSQL array literal). The checks below are
those classes' assertions, by file, as in Hasura's test module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.conformance.corpus import Case, CaseKind
from tests.conformance.results import Outcome
from tests.conformance.transport import CaseContext

DETAIL = "subscription query file for /v1/graphql/explain"

# file name -> [(session variables sent, key of the answer's "variables", expected value)]
CHECKS: Mapping[str, list[tuple[dict[str, str], str, Any]]] = {
    "articles_query.yaml": [
        ({"X-Hasura-Role": "public", "X-Hasura-User-Id": "1"}, "session", {}),
        (
            {"X-Hasura-Role": "user", "X-Hasura-User-Id": "1", "X-Hasura-Allowed-Ids": "{1,3,4}"},
            "session",
            {"x-hasura-user-id": "1"},
        ),
    ],
    "articles_query_simple_variable.yaml": [({}, "synthetic", ["1"])],
    "articles_query_array_variable.yaml": [({}, "synthetic", ["{1,2,3}"])],
}


class MultiplexingTransport:
    name = "explain"

    def handles(self, case: Case) -> bool:
        return case.kind is CaseKind.SUBSCRIPTION and case.detail == DETAIL

    async def run(self, case: Case, ctx: CaseContext) -> Outcome:
        checks = CHECKS.get(case.file.name)
        data = case.data if isinstance(case.data, Mapping) else {}
        if checks is None:
            return Outcome.skipped("no check of Hasura's harness is known for this file")
        query = {"query": data.get("query"), "variables": data.get("variables") or {}}
        for session, key, expected in checks:
            reply = await ctx.http.post_json("/v1/graphql/explain", {"query": query, "user": session})
            if reply.status != 200 or not isinstance(reply.body, dict):
                return Outcome.failed(f"/v1/graphql/explain: HTTP {reply.status}: {reply.text[:300]}")
            variables = reply.body.get("variables")
            found = variables.get(key) if isinstance(variables, dict) else None
            if found != expected:
                return Outcome.failed(f"session {session}: variables.{key}: expected {expected!r}, got {found!r}")
        return Outcome.passed()
