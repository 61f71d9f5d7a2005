"""Live queries over WebSocket: first result at once, pushes on change made by any client,
per-subscriber permissions, both protocols."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live.support import Client, connect_db
from tests.support.server import LivegresProcess

MY_ARTICLES = "subscription { article(order_by: {id: desc}, limit: 3) { id title } }"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_first_result_then_push_on_psql_update(blog: LivegresProcess, database_url: str, protocol: str) -> None:
    client = await Client.open(blog.url, protocol)
    try:
        await client.subscribe("1", "subscription { author(where: {id: {_eq: 2}}) { id name } }")
        first = await client.next_data("1")
        assert [row["id"] for row in first["data"]["author"]] == [2]
        db = await connect_db(database_url)
        try:
            await db.execute("UPDATE author SET name = $1 WHERE id = 2", f"renamed {protocol}")
        finally:
            await db.close()
        pushed = await client.next_data("1", timeout=3)
        assert pushed == {"data": {"author": [{"id": 2, "name": f"renamed {protocol}"}]}}
        await client.stop("1")
    finally:
        await client.close()


async def test_each_subscriber_sees_only_its_rows(blog: LivegresProcess, database_url: str) -> None:
    alice = await Client.open(blog.url, headers={"x-hasura-role": "user", "x-hasura-user-id": "1"})
    bob = await Client.open(blog.url, headers={"x-hasura-role": "user", "x-hasura-user-id": "2"})
    try:
        query = "subscription { article(order_by: {id: asc}) { id author_id } }"
        await alice.subscribe("a", query)
        await bob.subscribe("b", query)
        a0 = (await alice.next_data("a"))["data"]["article"]
        b0 = (await bob.next_data("b"))["data"]["article"]
        assert a0 and {r["author_id"] for r in a0} == {1}
        assert b0 and {r["author_id"] for r in b0} == {2}
        db = await connect_db(database_url)
        try:
            new_id = await db.fetchval("INSERT INTO article (title, author_id) VALUES ('for bob', 2) RETURNING id")
        finally:
            await db.close()
        b1 = (await bob.next_data("b", timeout=3))["data"]["article"]
        assert b1[-1] == {"id": new_id, "author_id": 2}
        await alice.nothing(0.5)
    finally:
        await alice.close()
        await bob.close()


async def test_two_instances_each_push_to_their_subscribers(
    blog: LivegresProcess, database_url: str, tmp_path: Path
) -> None:
    with LivegresProcess(["--database-url", database_url], log_path=tmp_path / "second.log") as second:
        query = "subscription { author(where: {id: {_eq: 5}}) { name } }"
        one = await Client.open(blog.url)
        two = await Client.open(second.url)
        try:
            await one.subscribe("1", query)
            await two.subscribe("1", query)
            await one.next_data("1")
            await two.next_data("1")
            db = await connect_db(database_url)
            try:
                await db.execute("UPDATE author SET name = 'seen by both' WHERE id = 5")
            finally:
                await db.close()
            want = {"data": {"author": [{"name": "seen by both"}]}}
            assert await one.next_data("1", timeout=3) == want
            assert await two.next_data("1", timeout=3) == want
        finally:
            await one.close()
            await two.close()
