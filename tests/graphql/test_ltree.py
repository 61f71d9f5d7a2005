"""ltree columns: Hasura's _ancestor/_descendant (and _any), _matches, _matches_any and
_matches_fulltext operators, in a where and in a permission filter."""

from __future__ import annotations

import httpx
import pytest

from tests.graphql.conftest import gql, metadata, post

SCHEMA = """
DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
CREATE EXTENSION IF NOT EXISTS ltree SCHEMA public;
CREATE TABLE node (id int PRIMARY KEY, path ltree NOT NULL);
INSERT INTO node VALUES (1, 'top'), (2, 'top.science'), (3, 'top.science.astronomy'), (4, 'top.hobbies'),
  (5, 'top.hobbies.amateur_astronomy');
"""


@pytest.fixture(scope="module")
async def tree(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await metadata(client, "clear_metadata", {})
    response = await post(client, "/v2/query", {"type": "run_sql", "args": {"sql": SCHEMA}})
    if response.status_code != 200:
        pytest.skip(f"the ltree extension is not available here: {response.text[:200]}")
    await metadata(client, "pg_track_table", {"table": "node"})
    return client


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        ('{path: {_ancestor: "top.science.astronomy"}}', [1, 2, 3]),
        ('{path: {_descendant: "top.science"}}', [2, 3]),
        # "does the array contain an ancestor of the column" (Hasura's wording), and a descendant
        ('{path: {_ancestor_any: ["top.hobbies.amateur_astronomy", "top.science"]}}', [2, 3, 5]),
        ('{path: {_descendant_any: ["top.science", "top.hobbies"]}}', [1, 2, 4]),
        ('{path: {_matches: "*.astronomy"}}', [3]),
        ('{path: {_matches_any: ["top", "*.hobbies"]}}', [1, 4]),
        ('{path: {_matches_fulltext: "astronomy*"}}', [3]),
    ],
)
async def test_ltree_operators(tree: httpx.AsyncClient, where: str, ids: list[int]) -> None:
    answer = await gql(tree, f"{{ node(where: {where}, order_by: {{id: asc}}) {{ id }} }}")
    assert answer == {"data": {"node": [{"id": i} for i in ids]}}


async def test_ltree_operator_in_a_permission_with_a_session_variable(tree: httpx.AsyncClient) -> None:
    await metadata(
        tree,
        "pg_create_select_permission",
        {
            "table": "node",
            "role": "reader",
            "permission": {"columns": ["id"], "filter": {"path": {"_descendant": "X-Hasura-Subtree"}}},
        },
    )
    answer = await gql(
        tree,
        "{ node(order_by: {id: asc}) { id } }",
        headers={"x-hasura-role": "reader", "x-hasura-subtree": "top.hobbies"},
    )
    assert answer == {"data": {"node": [{"id": 4}, {"id": 5}]}}
