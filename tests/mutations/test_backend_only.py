"""Backend-only insert, update and delete permissions (``backend_only: true``): usable only by
a request that carries the admin secret and ``x-hasura-use-backend-only-permissions: true``,
as Hasura requires; hidden from every other request of the role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.server import LivegresProcess

SECRET = "backend-secret"
ANON = {"x-hasura-role": "anonymous"}
USE_BACKEND = {"x-hasura-use-backend-only-permissions": "true"}


@pytest.fixture(scope="module")
def secured(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"HASURA_GRAPHQL_ADMIN_SECRET": SECRET, "HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anonymous"}
    log = tmp_path_factory.mktemp("backend") / "livegres.log"
    proc = LivegresProcess(["--database-url", database_url], env, log_path=Path(log))
    proc.start()
    admin = {"x-hasura-admin-secret": SECRET}

    def call(url: str, body: object) -> None:
        response = httpx.post(proc.url + url, json=body, headers=admin, timeout=30)
        assert response.status_code == 200, response.text

    sql = "DROP TABLE IF EXISTS event; CREATE TABLE event (id serial PRIMARY KEY, name text NOT NULL, seen bool)"
    call("/v2/query", {"type": "run_sql", "args": {"sql": sql}})
    call("/v1/metadata", {"type": "pg_track_table", "args": {"table": "event"}})
    for kind, permission in (
        ("select", {"columns": "*", "filter": {}}),
        ("insert", {"columns": ["name"], "check": {}, "backend_only": True}),
        ("update", {"columns": ["seen"], "filter": {}, "backend_only": True}),
        ("delete", {"filter": {}, "backend_only": True}),
    ):
        args = {"table": "event", "role": "anonymous", "permission": permission}
        call("/v1/metadata", {"type": f"pg_create_{kind}_permission", "args": args})
    yield proc.url
    proc.stop()


def gql(url: str, query: str, headers: dict[str, str]) -> dict[str, object]:
    response = httpx.post(url + "/v1/graphql", json={"query": query}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def _refused(answer: dict[str, object]) -> bool:
    """Validation refused it: the role's schema has no such mutation (or none at all)."""
    errors = answer.get("errors")
    assert isinstance(errors, list), answer
    message = str(errors[0]["message"])
    known = message == "no mutations exist" or "not found in type: 'mutation_root'" in message
    return errors[0]["extensions"]["code"] == "validation-failed" and known


INSERT = 'mutation { insert_event_one(object: {name: "x"}) { id } }'
UPDATE = "mutation { update_event(where: {}, _set: {seen: true}) { affected_rows } }"
DELETE = "mutation { delete_event(where: {}) { affected_rows } }"


async def test_backend_only_mutations_need_the_admin_secret_and_the_header(secured: str, database_url: str) -> None:
    # without the admin secret (the unauthorized role), even with the header: no mutation field
    for query in (INSERT, UPDATE, DELETE):
        assert _refused(gql(secured, query, {**ANON, **USE_BACKEND}))
    # with the admin secret but without the header: still hidden
    admin_as_anon = {"x-hasura-admin-secret": SECRET, **ANON}
    assert _refused(gql(secured, INSERT, admin_as_anon))
    # with both: allowed
    inserted = gql(secured, INSERT, {**admin_as_anon, **USE_BACKEND})
    assert inserted.get("errors") is None, inserted
    assert gql(secured, UPDATE, {**admin_as_anon, **USE_BACKEND}) == {"data": {"update_event": {"affected_rows": 1}}}
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetch("SELECT name, seen FROM event") == [("x", True)]
    finally:
        await conn.close()
    assert gql(secured, DELETE, {**admin_as_anon, **USE_BACKEND}) == {"data": {"delete_event": {"affected_rows": 1}}}
    # the role still reads without the header
    assert gql(secured, "{ event { id } }", ANON) == {"data": {"event": []}}
