"""A role's schema from a view: hidden tables, columns, aggregates and root fields disappear."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInputObjectType, GraphQLObjectType

from livegres.catalog import QualifiedName
from livegres.metadata.resolve import SchemaCache
from livegres.schema import RoleView, TableView, admin_view, build_schema, select_view
from tests.schema.conftest import METADATA, load

AUTHOR = QualifiedName("public", "author")
ARTICLE = QualifiedName("public", "article")


def fields(schema: Any, name: str) -> set[str]:
    found = schema.get_type(name)
    assert isinstance(found, GraphQLObjectType | GraphQLInputObjectType), name
    return set(found.fields)


def test_view_restricts_columns_aggregates_and_roots(cache: SchemaCache) -> None:
    view = RoleView(
        "user",
        {
            AUTHOR: TableView(columns=frozenset({"id", "name"}), allow_aggregations=False),
            ARTICLE: TableView(
                columns=frozenset({"id", "title", "author_id"}), query_root_fields=frozenset({"select_by_pk"})
            ),
        },
    )
    schema = build_schema(cache, view).schema
    assert fields(schema, "query_root") == {"author", "author_by_pk", "article_by_pk"}
    assert fields(schema, "subscription_root") == {
        "author",
        "author_by_pk",
        "author_stream",
        "article",
        "article_by_pk",
        "article_aggregate",
        "article_stream",
    }
    # articles_aggregate depends on the target's allow_aggregations (article: allowed)
    assert fields(schema, "author") == {"id", "name", "articles", "articles_aggregate"}
    assert fields(schema, "article") == {"id", "title", "author_id", "author", "editor"}  # editor_id hidden
    assert "articles_aggregate" in fields(schema, "author_bool_exp")
    assert "articles_aggregate" in fields(schema, "author_order_by")
    assert "author_aggregate" not in fields(schema, "subscription_root")
    # the other way round: author forbids aggregation, so article's filters cannot aggregate over authors
    assert "author" in fields(schema, "article_bool_exp")
    assert schema.get_type("author_aggregate") is None
    assert schema.get_type("colors") is None and schema.get_type("paint") is None


def test_no_table_means_placeholder(cache: SchemaCache) -> None:
    schema = build_schema(cache, RoleView("nobody")).schema
    assert fields(schema, "query_root") == {"no_queries_available"}
    assert schema.subscription_type is None


def test_admin_view_sees_everything(cache: SchemaCache) -> None:
    view = admin_view(cache)
    assert view.is_admin and set(view.tables) == set(cache.tables)


async def test_select_view_from_permissions(database_url: str) -> None:
    source = METADATA["sources"][0]
    permission = {
        "role": "user",
        "permission": {"columns": ["id", "title"], "filter": {}, "allow_aggregations": True},
    }
    tables = [t for t in source["tables"] if t["table"]["name"] == "article"]
    tables = [{**tables[0], "object_relationships": [], "select_permissions": [permission]}]
    metadata: dict[str, Any] = {"version": 3, "sources": [{**source, "tables": tables, "functions": []}]}
    _, cache = await load(database_url, metadata)
    schema = build_schema(cache, select_view("user", cache)).schema
    assert fields(schema, "article") == {"id", "title"}
    assert "article_aggregate" in fields(schema, "query_root")
    assert build_schema(cache, select_view("other", cache)).schema.get_type("article") is None
