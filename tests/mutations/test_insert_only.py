"""A role that may insert into a table but not select from it gets Hasura's ``insert_<t>``
answering ``affected_rows`` only: no ``returning``, no ``insert_<t>_one``, no query fields."""

from __future__ import annotations

import asyncpg
import httpx

from tests.mutations.conftest import gql, metadata, run_sql

ANON = {"x-hasura-role": "anon"}


async def test_insert_without_select_permission(client: httpx.AsyncClient, database_url: str) -> None:
    await metadata(client, "clear_metadata", {})
    await run_sql(
        client,
        "DROP TABLE IF EXISTS feedback; CREATE TABLE feedback (id serial PRIMARY KEY, body text NOT NULL, "
        "secret text DEFAULT 'x', sender text)",
    )
    await metadata(client, "pg_track_table", {"table": "feedback"})
    permission = {"columns": ["body"], "check": {"body": {"_neq": ""}}, "set": {"sender": "X-Hasura-User-Id"}}
    await metadata(
        client, "pg_create_insert_permission", {"table": "feedback", "role": "anon", "permission": permission}
    )

    headers = {**ANON, "x-hasura-user-id": "u1"}
    answer = await gql(
        client, 'mutation { insert_feedback(objects: [{body: "hi"}]) { affected_rows } }', headers=headers
    )
    assert answer == {"data": {"insert_feedback": {"affected_rows": 1}}}
    refused = await gql(
        client, 'mutation { insert_feedback(objects: [{body: ""}]) { affected_rows } }', headers=headers
    )
    assert refused["errors"][0]["extensions"]["code"] == "permission-error"

    for query in (
        'mutation { insert_feedback(objects: [{body: "x"}]) { returning { id } } }',
        'mutation { insert_feedback_one(object: {body: "x"}) { id } }',
        "{ feedback { id } }",
        'mutation { insert_feedback(objects: [{body: "x", secret: "y"}]) { affected_rows } }',
    ):
        answer = await gql(client, query, headers=headers)
        assert answer["errors"][0]["extensions"]["code"] == "validation-failed", (query, answer)

    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetch("SELECT body, secret, sender FROM feedback") == [("hi", "x", "u1")]
    finally:
        await conn.close()
