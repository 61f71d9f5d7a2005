"""``extensions.internal`` (the PostgreSQL error) goes to admin requests only, and not even to
them with ``HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS=false`` (unless in dev mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import LivegresProcess

SETUP = "DROP TABLE IF EXISTS tag; CREATE TABLE tag (id int PRIMARY KEY, name text UNIQUE)"
DUPLICATE = """mutation {
  a: insert_tag_one(object: {id: 1, name: "x"}) { id }
  b: insert_tag_one(object: {id: 2, name: "x"}) { id }
}"""
OFF = {"HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS": "false"}


def _start(database_url: str, tmp: Path, env: dict[str, str]) -> LivegresProcess:
    proc = LivegresProcess(["--database-url", database_url], env, log_path=tmp / "livegres.log")
    proc.start()
    calls: list[tuple[str, dict[str, Any]]] = [
        ("/v1/metadata", {"type": "clear_metadata", "args": {}}),
        ("/v2/query", {"type": "run_sql", "args": {"sql": SETUP}}),
        ("/v1/metadata", {"type": "pg_track_table", "args": {"table": "tag"}}),
    ]
    for kind, permission in (("insert", {"columns": "*", "check": {}}), ("select", {"columns": "*", "filter": {}})):
        args = {"table": "tag", "role": "writer", "permission": permission}
        calls.append(("/v1/metadata", {"type": f"pg_create_{kind}_permission", "args": args}))
    for url, body in calls:
        response = httpx.post(proc.url + url, json=body, timeout=30)
        assert response.status_code == 200, response.text
    return proc


def _extensions(url: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = httpx.post(url + "/v1/graphql", json={"query": DUPLICATE}, headers=headers, timeout=30).json()
    extensions: dict[str, Any] = answer["errors"][0]["extensions"]
    assert extensions["code"] == "constraint-violation"
    return extensions


@pytest.mark.parametrize(("env", "admin_sees"), [({}, True), (OFF, False)])
def test_internal_error_details(database_url: str, tmp_path: Path, env: dict[str, str], admin_sees: bool) -> None:
    proc = _start(database_url, tmp_path, env)
    try:
        assert ("internal" in _extensions(proc.url, {})) is admin_sees
        assert "internal" not in _extensions(proc.url, {"x-hasura-role": "writer"})
    finally:
        proc.stop()
