"""Push on change, in process against the real database: which changes refresh which
cohorts, how many statements that costs, and the slow-consumer bound.

These read ``LiveQueries.stats`` (statements run by pollers) to check that a change only
costs the statements it should; everything else is what subscribers receive."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from livegres.auth.session import Session
from livegres.graphql import GraphQLRequest
from livegres.live import Message, Sink
from livegres.runtime import Runtime
from tests.live.support import SCHEMA_SQL

MY_LATEST = "subscription { article(order_by: {id: desc}, limit: 10) { id title } }"


@pytest.fixture(scope="module")
async def blog_runtime(runtime: Runtime, client: httpx.AsyncClient) -> AsyncIterator[Runtime]:
    from tests.live.support import blog_commands

    reply = await client.post("/v2/query", json={"type": "run_sql", "args": {"sql": SCHEMA_SQL}})
    assert reply.status_code == 200, reply.text
    reply = await client.post("/v1/metadata", json={"type": "bulk", "args": blog_commands()})
    assert reply.status_code == 200, reply.text
    await asyncio.sleep(0.2)
    yield runtime


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


def user(uid: int) -> Session:
    return Session("user", {"x-hasura-role": "user", "x-hasura-user-id": str(uid)})


async def _get(sink: Sink, timeout: float = 3.0) -> Message:
    return await asyncio.wait_for(sink.get(), timeout)


async def _quiet(sink: Sink, seconds: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sink.get(), seconds)


async def test_pinned_cohorts_only_matching_ones_rerun(blog_runtime: Runtime, db: asyncpg.Connection) -> None:
    live = blog_runtime.live
    saved = live.settings
    # one cohort per statement, so that the statement count tells how many cohorts re-ran
    live.settings = dataclasses.replace(saved, batch_size=1)
    sinks = {uid: Sink() for uid in range(1, 6)}
    subs = [await live.subscribe(GraphQLRequest(MY_LATEST), user(uid), sink) for uid, sink in sinks.items()]
    live.settings = saved
    try:
        assert len({id(s.poller) for s in subs}) == 1  # one poller, five cohorts
        for sink in sinks.values():
            await _get(sink)
        before = live.stats.statements
        await db.execute(
            "UPDATE article SET title = title || '!' WHERE id = (SELECT max(id) FROM article WHERE author_id = 3)"
        )
        pushed = await _get(sinks[3])
        assert b"!" in pushed.body
        for uid in (1, 2, 4, 5):
            await _quiet(sinks[uid], 0.1)
        assert live.stats.statements - before == 1
        # moving a row from author 4 to author 5 concerns both (old and new values)
        before = live.stats.statements
        await db.execute(
            "UPDATE article SET author_id = 5 WHERE id = (SELECT max(id) FROM article WHERE author_id = 4)"
        )
        await _get(sinks[4])
        await _get(sinks[5])
        await _quiet(sinks[1], 0.1)
        assert live.stats.statements - before == 2  # the cohorts of authors 4 and 5 only
    finally:
        for sub in subs:
            live.unsubscribe(sub)


async def test_unrelated_table_and_no_op_update_cost_nothing(blog_runtime: Runtime, db: asyncpg.Connection) -> None:
    live = blog_runtime.live
    sink = Sink()
    sub = await live.subscribe(GraphQLRequest(MY_LATEST), user(1), sink)
    try:
        await _get(sink)
        await asyncio.sleep(0.1)
        before = live.stats.statements
        await db.execute("UPDATE author SET name = name WHERE id = 1")  # the plan does not read author
        await db.execute("UPDATE article SET title = 'x' WHERE false")  # no row changed
        await asyncio.sleep(0.3)
        assert live.stats.statements == before
        await _quiet(sink, 0.05)
    finally:
        live.unsubscribe(sub)


async def test_change_through_relationship_refreshes(blog_runtime: Runtime, db: asyncpg.Connection) -> None:
    live = blog_runtime.live
    sink = Sink()
    query = "subscription { author(where: {id: {_eq: 2}}) { name articles(order_by: {id: asc}) { title } } }"
    sub = await live.subscribe(GraphQLRequest(query), Session("admin", {}), sink)
    try:
        await _get(sink)
        await db.execute(
            "UPDATE article SET title = 'via relationship' WHERE id = (SELECT min(id) FROM article WHERE author_id = 2)"
        )
        pushed = await _get(sink)
        assert b"via relationship" in pushed.body
        # and a permission filter through a relationship (user role on author -> articles)
    finally:
        live.unsubscribe(sub)


async def test_unchanged_result_is_not_pushed(blog_runtime: Runtime, db: asyncpg.Connection) -> None:
    live = blog_runtime.live
    sink = Sink()
    sub = await live.subscribe(GraphQLRequest("subscription { author(where: {id: {_eq: 1}}) { id } }"), user(1), sink)
    try:
        await _get(sink)
        await db.execute("UPDATE author SET name = name || '.' WHERE id = 1")  # id unchanged
        await _quiet(sink, 0.4)
    finally:
        live.unsubscribe(sub)


async def test_new_subscriber_of_existing_cohort_gets_current_result_at_once(blog_runtime: Runtime) -> None:
    live = blog_runtime.live
    first, second = Sink(), Sink()
    a = await live.subscribe(GraphQLRequest(MY_LATEST), user(2), first)
    try:
        one = await _get(first)
        before = live.stats.statements
        b = await live.subscribe(GraphQLRequest(MY_LATEST), user(2), second)
        two = await _get(second, 0.5)
        assert two.body == one.body
        assert live.stats.statements == before  # served from the cohort, no query
        live.unsubscribe(b)
    finally:
        live.unsubscribe(a)


async def test_slow_consumer_keeps_only_the_latest_result(blog_runtime: Runtime, db: asyncpg.Connection) -> None:
    live = blog_runtime.live
    sink = Sink()
    sub = await live.subscribe(GraphQLRequest("subscription { author(where: {id: {_eq: 5}}) { name } }"), user(1), sink)
    try:
        await _get(sink)
        for i in range(30):
            await db.execute("UPDATE author SET name = $1 WHERE id = 5", f"v{i}")
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert sink.replaced > 0  # results the consumer never took were dropped, not queued
        latest = await _get(sink)
        assert latest.body == b'{"data":{"author":[{"name":"v29"}]}}'
        await _quiet(sink, 0.1)
    finally:
        live.unsubscribe(sub)


async def test_unsubscribe_stops_the_poller(blog_runtime: Runtime, db: asyncpg.Connection) -> None:
    live = blog_runtime.live
    sink = Sink()
    sub = await live.subscribe(GraphQLRequest("subscription { author(where: {id: {_eq: 3}}) { name } }"), user(1), sink)
    await _get(sink)
    live.unsubscribe(sub)
    assert sub.poller is None
    before = live.stats.statements
    await db.execute("UPDATE author SET name = 'after unsubscribe' WHERE id = 3")
    await asyncio.sleep(0.3)
    assert live.stats.statements == before


async def test_bad_variable_value_fails_only_its_subscriber(blog_runtime: Runtime) -> None:
    live = blog_runtime.live
    good, bad = Sink(), Sink()
    q = "subscription ($id: Int!) { author(where: {id: {_eq: $id}}) { id } }"
    a = await live.subscribe(GraphQLRequest(q, {"id": 1}), user(1), good)
    try:
        assert (await _get(good)).body == b'{"data":{"author":[{"id":1}]}}'
        with pytest.raises(Exception) as caught:
            await live.subscribe(GraphQLRequest(q, {"id": "one"}), user(1), bad)
        assert getattr(caught.value, "code", None) == "validation-failed"
    finally:
        live.unsubscribe(a)


async def test_permission_filter_through_relationship_refreshes(
    blog_runtime: Runtime, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    """A role that sees the authors having a flagged article: flagging an article (a change to
    another table, read only through the permission filter) refreshes the author list."""
    permission = {"columns": ["id"], "filter": {"articles": {"title": {"_like": "%#flag#%"}}}}
    body = {
        "type": "pg_create_select_permission",
        "args": {"source": "default", "table": "author", "role": "reviewer", "permission": permission},
    }
    reply = await client.post("/v1/metadata", json=body)
    assert reply.status_code == 200, reply.text
    live = blog_runtime.live
    sink = Sink()
    reviewer = Session("reviewer", {"x-hasura-role": "reviewer"})
    sub = await live.subscribe(GraphQLRequest("subscription { author(order_by: {id: asc}) { id } }"), reviewer, sink)
    try:
        assert (await _get(sink)).body == b'{"data":{"author":[]}}'
        await db.execute(
            "UPDATE article SET title = title || ' #flag#' WHERE id = (SELECT min(id) FROM article WHERE author_id = 2)"
        )
        assert (await _get(sink)).body == b'{"data":{"author":[{"id":2}]}}'
    finally:
        live.unsubscribe(sub)


ADMIN = Session("admin", {"x-hasura-role": "admin"})


async def test_one_cohorts_failing_value_does_not_end_its_neighbours(
    blog_runtime: Runtime, db: asyncpg.Connection
) -> None:
    """A value that only fails on some data (a regex that is invalid once a row reaches it)
    ends its own subscription, not the others sharing the query."""
    live = blog_runtime.live
    query = (
        "subscription ($ids: [Int!]!, $re: String!) "
        "{ article(where: {_and: [{id: {_in: $ids}}, {title: {_regex: $re}}]}, order_by: {id: asc}) { id title } }"
    )
    good, bad = Sink(), Sink()
    a = await live.subscribe(GraphQLRequest(query, {"ids": [1], "re": "article"}), ADMIN, good)
    b = await live.subscribe(GraphQLRequest(query, {"ids": [1000], "re": "("}), ADMIN, bad)
    try:
        assert (await _get(good)).kind == "data"
        assert (await _get(bad)).kind == "data"  # no row 1000 yet: nothing evaluates the regex
        await db.execute("INSERT INTO article (id, title, author_id) VALUES (1000, 'late', 1)")
        await db.execute("UPDATE article SET title = 'article one' WHERE id = 1")
        assert (await _get(bad, 5.0)).kind == "error"
        pushed = await _get(good, 5.0)
        assert pushed.kind == "data" and b"article one" in pushed.body
    finally:
        live.unsubscribe(a)
        live.unsubscribe(b)
        await db.execute("DELETE FROM article WHERE id = 1000")


async def test_function_subscription_sees_changes_to_the_tables_the_function_reads(
    blog_runtime: Runtime, client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    sql = """CREATE OR REPLACE FUNCTION articles_by_author_name(pattern text) RETURNS SETOF article AS $$
      SELECT a.* FROM article a JOIN author w ON w.id = a.author_id WHERE w.name LIKE pattern
    $$ LANGUAGE sql STABLE"""
    reply = await client.post("/v2/query", json={"type": "run_sql", "args": {"sql": sql}})
    assert reply.status_code == 200, reply.text
    body = {"type": "pg_track_function", "args": {"function": "articles_by_author_name"}}
    reply = await client.post("/v1/metadata", json=body)
    assert reply.status_code == 200, reply.text
    live = blog_runtime.live
    sink = Sink()
    query = 'subscription { articles_by_author_name(args: {pattern: "author 2"}, order_by: {id: asc}) { id } }'
    sub = await live.subscribe(GraphQLRequest(query), ADMIN, sink)
    try:
        first = await _get(sink)
        assert first.kind == "data" and first.body != b'{"data":{"articles_by_author_name":[]}}'
        await db.execute("UPDATE author SET name = 'renamed' WHERE id = 2")  # only author changes
        changed = await _get(sink, 5.0)
        assert changed.body == b'{"data":{"articles_by_author_name":[]}}'
    finally:
        live.unsubscribe(sub)
        await db.execute("UPDATE author SET name = 'author 2' WHERE id = 2")
