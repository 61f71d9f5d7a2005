"""The plan cache: a repeated query is neither parsed nor normalised again; metadata changes
empty the cache."""

from __future__ import annotations

import httpx

from livegres.runtime import Runtime
from tests.graphql.conftest import gql, metadata


async def test_repeated_query_is_not_parsed_again(schema: httpx.AsyncClient, runtime: Runtime) -> None:
    stats = runtime.engine.stats
    query = "query ($id: Int!) { author_by_pk(id: $id) { name } }"
    assert (await gql(schema, query, {"id": 1}))["data"] == {"author_by_pk": {"name": "Ann"}}
    parses, normalisations = stats.parses, stats.normalisations
    assert (await gql(schema, query, {"id": 2}))["data"] == {"author_by_pk": {"name": "Bob"}}
    assert (stats.parses, stats.normalisations) == (parses, normalisations)


async def test_structural_variables_key_the_plans(schema: httpx.AsyncClient, runtime: Runtime) -> None:
    stats = runtime.engine.stats
    query = "query ($o: [author_order_by!]) { author(order_by: $o, limit: 1) { id } }"
    assert (await gql(schema, query, {"o": [{"id": "asc"}]}))["data"] == {"author": [{"id": 1}]}
    assert (await gql(schema, query, {"o": [{"id": "desc"}]}))["data"] == {"author": [{"id": 3}]}
    normalisations = stats.normalisations
    assert (await gql(schema, query, {"o": [{"id": "asc"}]}))["data"] == {"author": [{"id": 1}]}
    assert stats.normalisations == normalisations


async def test_metadata_change_empties_the_cache(schema: httpx.AsyncClient, runtime: Runtime) -> None:
    query = "{ author_by_pk(id: 1) { name writings { id } } }"
    answer = await gql(schema, query)
    assert answer["errors"][0]["message"] == "field \"writings\" not found in type: 'author'"
    version = runtime.engine.version
    await metadata(
        schema,
        "pg_create_array_relationship",
        {
            "table": "author",
            "name": "writings",
            "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}},
        },
    )
    assert runtime.engine.version > version
    answer = await gql(schema, query)
    assert answer["data"] == {"author_by_pk": {"name": "Ann", "writings": [{"id": 1}, {"id": 2}]}}
    await metadata(schema, "pg_drop_relationship", {"table": "author", "relationship": "writings"})


async def test_role_is_part_of_the_key(schema: httpx.AsyncClient) -> None:
    answer = await gql(schema, "{ author { id } }", headers={"x-hasura-role": "nobody"})
    assert answer["errors"][0]["extensions"]["code"] == "validation-failed"
    assert "data" in await gql(schema, "{ author { id } }")
