"""End to end: the real ``livegres serve`` process answering a GraphQL client."""

from __future__ import annotations

import httpx
import pytest

from tests.graphql.conftest import setup_schema
from tests.support.server import LivegresProcess


async def test_a_graphql_client_against_the_server(server: LivegresProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await setup_schema(client)
    gql = pytest.importorskip("gql")
    from gql.transport.httpx import HTTPXAsyncTransport

    transport = HTTPXAsyncTransport(url=server.url + "/v1/graphql")
    async with gql.Client(transport=transport, fetch_schema_from_transport=True) as session:
        query = gql.gql("{ author_by_pk(id: 1) { name articles(order_by: {id: asc}) { title } } }")
        result = await session.execute(query)
    assert result == {"author_by_pk": {"name": "Ann", "articles": [{"title": "A1"}, {"title": "A2"}]}}
