"""The admin schema of a real database: Hasura's root fields, types, names and descriptions,
and the field lookup the compiler reads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    parse,
    print_schema,
    validate,
)

from livegres.catalog import QualifiedName
from livegres.metadata.resolve import SchemaCache
from livegres.schema import (
    AggregateColumn,
    ColumnField,
    ComputedField,
    Connective,
    FunctionRoot,
    RelationshipField,
    RoleSchema,
    TableRoot,
    TypeRef,
    build_schema,
)
from tests.schema.conftest import COLORS, METADATA, load, table

GOLDEN = Path(__file__).parent / "golden" / "author_article.graphql"
AUTHOR = QualifiedName("public", "author")
ARTICLE = QualifiedName("public", "article")


@pytest.fixture(scope="module")
def built(cache: SchemaCache) -> RoleSchema:
    return build_schema(cache, enum_values=COLORS)


def obj(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    found = schema.get_type(name)
    assert isinstance(found, GraphQLObjectType), name
    return found


def inp(schema: GraphQLSchema, name: str) -> GraphQLInputObjectType:
    found = schema.get_type(name)
    assert isinstance(found, GraphQLInputObjectType), name
    return found


def field_types(t: GraphQLObjectType | GraphQLInputObjectType) -> dict[str, str]:
    return {name: str(f.type) for name, f in t.fields.items()}


def arg_types(schema: GraphQLSchema, type_name: str, field_name: str) -> dict[str, str]:
    return {name: str(a.type) for name, a in obj(schema, type_name).fields[field_name].args.items()}


TABLE_ARGS = {
    "distinct_on": "[article_select_column!]",
    "limit": "Int",
    "offset": "Int",
    "order_by": "[article_order_by!]",
    "where": "article_bool_exp",
}


async def test_golden_schema_of_two_tables(database_url: str, cache: SchemaCache) -> None:
    """A small schema, printed: the whole shape at a glance (regenerate with LIVEGRES_UPDATE_GOLDEN=1)."""
    source = METADATA["sources"][0]
    small: dict[str, Any] = {
        "version": 3,
        "sources": [{**source, "tables": [t for t in source["tables"] if t["table"]["name"] in ("author", "article")]}],
    }
    small["sources"][0]["tables"][0] = table("author", array_relationships=source["tables"][0]["array_relationships"])
    small["sources"][0]["functions"] = []
    _, small_cache = await load(database_url, small)
    printed = print_schema(build_schema(small_cache).schema) + "\n"
    if os.environ.get("LIVEGRES_UPDATE_GOLDEN"):
        GOLDEN.write_text(printed)
    assert printed == GOLDEN.read_text()


def test_query_root_fields(built: RoleSchema) -> None:
    root = obj(built.schema, "query_root")
    assert {"article", "article_by_pk", "article_aggregate", "author", "author_by_pk", "author_aggregate"} <= set(
        root.fields
    )
    assert str(root.fields["article"].type) == "[article!]!"
    assert str(root.fields["article_aggregate"].type) == "article_aggregate!"
    assert str(root.fields["article_by_pk"].type) == "article"
    assert arg_types(built.schema, "query_root", "article") == TABLE_ARGS
    assert arg_types(built.schema, "query_root", "article_aggregate") == TABLE_ARGS
    assert arg_types(built.schema, "query_root", "article_by_pk") == {"id": "Int!"}
    assert root.fields["article"].description == 'fetch data from the table: "article"'
    assert root.fields["article_aggregate"].description == 'fetch aggregated fields from the table: "article"'
    assert root.fields["article_by_pk"].description == 'fetch data from the table: "article" using primary key columns'
    assert root.fields["article"].args["where"].description == "filter the rows returned"
    assert root.fields["article"].args["offset"].description == "skip the first n rows. Use only with order_by"
    # no primary key, no _by_pk; no stream in queries
    assert "no_key" in root.fields and "no_key_by_pk" not in root.fields
    assert not any(name.endswith("_stream") for name in root.fields)
    assert list(root.fields) == sorted(root.fields)


def test_subscription_root_adds_stream(built: RoleSchema) -> None:
    query, sub = obj(built.schema, "query_root"), obj(built.schema, "subscription_root")
    assert set(sub.fields) - set(query.fields) == {
        f"{t}_stream" for t in ("article", "author", "colors", "items", "no_key", "paint")
    }
    stream = sub.fields["author_stream"]
    assert stream.description == 'fetch data from the table in a streaming manner: "author"'
    assert str(stream.type) == "[author!]!"
    assert arg_types(built.schema, "subscription_root", "author_stream") == {
        "batch_size": "Int!",
        "cursor": "[author_stream_cursor_input]!",
        "where": "author_bool_exp",
    }
    cursor = inp(built.schema, "author_stream_cursor_input")
    assert cursor.description == 'Streaming cursor of the table "author"'
    assert field_types(cursor) == {"initial_value": "author_stream_cursor_value_input!", "ordering": "cursor_ordering"}
    assert field_types(inp(built.schema, "author_stream_cursor_value_input"))["tags"] == "[String!]"
    ordering = built.schema.get_type("cursor_ordering")
    assert isinstance(ordering, GraphQLEnumType) and list(ordering.values) == ["ASC", "DESC"]
    assert built.field("subscription_root", "author_stream") == TableRoot("select_stream", AUTHOR)


def test_object_type_columns_and_relationships(built: RoleSchema) -> None:
    author = obj(built.schema, "author")
    assert author.description == 'columns and relationships of "author"'
    assert field_types(author) == {
        "articles": "[article!]!",
        "articles_aggregate": "article_aggregate!",
        "articles_since": "[article!]!",
        "bio": "String",
        "createdAt": "timestamptz",
        "full_name": "String",
        "id": "Int!",
        "info": "jsonb",
        "is_active": "Boolean!",
        "name": "String!",
        "rating": "numeric",
        "scores": "[Int!]",
        "tags": "[String!]",
    }
    assert author.fields["bio"].description == "A few words"
    assert author.fields["articles"].description == "An array relationship"
    assert author.fields["articles_aggregate"].description == "An aggregate relationship"
    assert arg_types(built.schema, "author", "articles") == TABLE_ARGS
    assert arg_types(built.schema, "author", "info") == {"path": "String"}
    assert author.fields["info"].args["path"].description == "JSON select path"
    article = obj(built.schema, "article")
    assert str(article.fields["author"].type) == "author!"  # NOT NULL foreign key
    assert str(article.fields["editor"].type) == "author"  # nullable foreign key
    assert article.fields["author"].description == "An object relationship"


def test_scalars_per_postgres_type(built: RoleSchema) -> None:
    assert field_types(obj(built.schema, "paint")) == {
        "addr": "inet",
        "at": "time",
        "big": "bigint",
        "code": "bpchar",
        "color": "colors_enum!",
        "day": "date",
        "doc": "json",
        "e": "citext",
        "f4": "Float",
        "feeling": "mood",
        "id": "Int!",
        "price": "money",
        "raw": "bytea",
        "small": "smallint",
        "span": "interval",
        "ts": "timestamp",
        "tz": "timetz",
        "uid": "uuid",
        "z": "complex_scalar",
    }


GENERIC = {"_eq", "_neq", "_gt", "_gte", "_lt", "_lte", "_in", "_nin", "_is_null"}
TEXT = {"_like", "_nlike", "_ilike", "_nilike", "_similar", "_nsimilar", "_regex", "_nregex", "_iregex", "_niregex"}


def test_comparison_expressions(built: RoleSchema) -> None:
    s = built.schema
    ints = inp(s, "Int_comparison_exp")
    assert set(ints.fields) == GENERIC
    assert (
        ints.description
        == "Boolean expression to compare columns of type \"Int\". All fields are combined with logical 'AND'."
    )
    assert field_types(ints)["_in"] == "[Int!]" and field_types(ints)["_is_null"] == "Boolean"
    for name in ("String", "citext", "bpchar"):
        assert set(inp(s, f"{name}_comparison_exp").fields) == GENERIC | TEXT, name
    assert inp(s, "String_comparison_exp").fields["_ilike"].description == (
        "does the column match the given case-insensitive pattern"
    )
    jsonb = inp(s, "jsonb_comparison_exp")
    assert set(jsonb.fields) == GENERIC | {
        "_cast",
        "_contains",
        "_contained_in",
        "_has_key",
        "_has_keys_any",
        "_has_keys_all",
        "_jsonb_path_exists",
        "_jsonb_path_match",
    }
    assert field_types(jsonb)["_has_keys_any"] == "[String!]"
    assert field_types(inp(s, "jsonb_cast_exp")) == {"String": "String_comparison_exp"}
    assert set(inp(s, "json_comparison_exp").fields) == GENERIC
    arrays = inp(s, "String_array_comparison_exp")
    assert set(arrays.fields) == GENERIC | {"_contains", "_contained_in"}
    assert field_types(arrays)["_in"] == "[[String!]!]" and field_types(arrays)["_eq"] == "[String!]"
    assert set(inp(s, "mood_comparison_exp").fields) == GENERIC
    enum = inp(s, "colors_enum_comparison_exp")
    assert set(enum.fields) == {"_eq", "_neq", "_in", "_nin", "_is_null"}


def test_enum_table(built: RoleSchema, cache: SchemaCache) -> None:
    enum = built.schema.get_type("colors_enum")
    assert isinstance(enum, GraphQLEnumType)
    assert {name: v.description for name, v in enum.values.items()} == {"blue": None, "red": "Like fire"}
    assert str(inp(built.schema, "paint_bool_exp").fields["color"].type) == "colors_enum_comparison_exp"
    assert str(inp(built.schema, "paint_stream_cursor_value_input").fields["color"].type) == "colors_enum"
    assert built.types["colors_enum"] == TypeRef(QualifiedName("public", "colors"), "enum")
    # without values the column keeps its scalar
    assert str(obj(build_schema(cache).schema, "paint").fields["color"].type) == "String!"


def test_bool_exp_and_order_by(built: RoleSchema) -> None:
    s = built.schema
    author = inp(s, "author_bool_exp")
    assert author.description == (
        "Boolean expression to filter rows from the table \"author\". All fields are combined with a logical 'AND'."
    )
    types = field_types(author)
    assert types["_and"] == "[author_bool_exp!]" and types["_or"] == "[author_bool_exp!]"
    assert types["_not"] == "author_bool_exp"
    assert types["articles"] == "article_bool_exp"
    assert types["articles_aggregate"] == "article_aggregate_bool_exp"
    assert types["full_name"] == "String_comparison_exp"  # computed field without arguments
    assert "articles_since" not in types  # takes arguments
    assert types["tags"] == "String_array_comparison_exp"
    order = inp(s, "author_order_by")
    assert order.description == 'Ordering options when selecting data from "author".'
    assert field_types(order)["articles_aggregate"] == "article_aggregate_order_by"
    assert field_types(order)["name"] == "order_by"
    assert field_types(inp(s, "article_order_by"))["author"] == "author_order_by"
    order_by = s.get_type("order_by")
    assert isinstance(order_by, GraphQLEnumType) and order_by.description == "column ordering options"
    assert {k: v.description for k, v in order_by.values.items()} == {
        "asc": "in ascending order, nulls last",
        "asc_nulls_first": "in ascending order, nulls first",
        "asc_nulls_last": "in ascending order, nulls last",
        "desc": "in descending order, nulls first",
        "desc_nulls_first": "in descending order, nulls first",
        "desc_nulls_last": "in descending order, nulls last",
    }
    agg = inp(s, "article_aggregate_order_by")
    assert agg.description == 'order by aggregate values of table "article"'
    assert set(agg.fields) == {
        "avg",
        "count",
        "max",
        "min",
        "stddev",
        "stddev_pop",
        "stddev_samp",
        "sum",
        "var_pop",
        "var_samp",
        "variance",
    }
    assert inp(s, "article_avg_order_by").description == 'order by avg() on columns of table "article"'


def test_aggregate_types(built: RoleSchema) -> None:
    s = built.schema
    assert field_types(obj(s, "article_aggregate")) == {"aggregate": "article_aggregate_fields", "nodes": "[article!]!"}
    fields = obj(s, "article_aggregate_fields")
    assert fields.description == 'aggregate fields of "article"'
    assert str(fields.fields["count"].type) == "Int!"
    assert arg_types(s, "article_aggregate_fields", "count") == {
        "columns": "[article_select_column!]",
        "distinct": "Boolean",
    }
    assert field_types(obj(s, "article_sum_fields")) == {
        "author_id": "Int",
        "editor_id": "Int",
        "id": "Int",
        "score": "float8",
    }
    assert field_types(obj(s, "article_avg_fields")) == {
        "author_id": "Float",
        "editor_id": "Float",
        "id": "Float",
        "score": "Float",
    }
    assert obj(s, "article_avg_fields").description == "aggregate avg on columns"
    # max/min skip boolean; json/jsonb and unknown types are not comparable either
    assert "published" not in obj(s, "article_max_fields").fields
    assert "info" not in obj(s, "author_max_fields").fields and "tags" in obj(s, "author_max_fields").fields
    assert "span" not in obj(s, "paint_max_fields").fields and "e" in obj(s, "paint_max_fields").fields
    assert str(obj(s, "paint_sum_fields").fields["big"].type) == "bigint"
    # colors has no numeric column: no avg, sum...
    assert set(obj(s, "colors_aggregate_fields").fields) == {"count", "max", "min"}
    assert built.field("article_sum_fields", "score") == AggregateColumn(
        ARTICLE, "sum", obj_column(built, ARTICLE, "score")
    )


def obj_column(built: RoleSchema, table_name: QualifiedName, column: str) -> Any:
    ref = built.field(table_name.name, column)
    assert isinstance(ref, ColumnField)
    return ref.column


def test_aggregation_predicates(built: RoleSchema) -> None:
    s = built.schema
    agg = inp(s, "article_aggregate_bool_exp")
    assert set(agg.fields) == {
        "avg", "bool_and", "bool_or", "corr", "count", "covar_samp", "max", "min", "stddev_samp", "sum", "var_samp"
    }  # fmt: skip
    assert field_types(inp(s, "article_aggregate_bool_exp_count")) == {
        "arguments": "[article_select_column!]",
        "distinct": "Boolean",
        "filter": "article_bool_exp",
        "predicate": "Int_comparison_exp!",
    }
    assert field_types(inp(s, "article_aggregate_bool_exp_bool_and"))["arguments"] == (
        "article_select_column_article_aggregate_bool_exp_bool_and_arguments_columns!"
    )
    assert field_types(inp(s, "article_aggregate_bool_exp_avg"))["predicate"] == "float8_comparison_exp!"
    assert field_types(inp(s, "article_aggregate_bool_exp_corr_arguments")) == {
        "X": "article_select_column_article_aggregate_bool_exp_corr_arguments_columns!",
        "Y": "article_select_column_article_aggregate_bool_exp_corr_arguments_columns!",
    }
    enum = s.get_type("article_select_column_article_aggregate_bool_exp_bool_or_arguments_columns")
    assert isinstance(enum, GraphQLEnumType) and list(enum.values) == ["published"]
    assert enum.description == (
        'select "article_aggregate_bool_exp_bool_or_arguments_columns" columns of table "article"'
    )


def test_select_column(built: RoleSchema) -> None:
    enum = built.schema.get_type("author_select_column")
    assert isinstance(enum, GraphQLEnumType)
    assert enum.description == 'select columns of table "author"'
    assert enum.values["createdAt"].value == "createdAt" and enum.values["createdAt"].description == "column name"


def test_customisation(built: RoleSchema) -> None:
    s = built.schema
    root = obj(s, "query_root")
    assert "shop_item" not in root.fields
    assert str(root.fields["all_items"].type) == "[items!]!"
    assert root.fields["all_items"].description == 'fetch data from the table: "shop.item"'
    assert root.fields["one_item"].description == "An item by id"
    assert root.fields["items_aggregate"].description is None
    assert arg_types(s, "query_root", "one_item") == {"id": "bigint!"}
    items = obj(s, "items")
    assert set(items.fields) == {"id", "title", "qty"}
    assert items.fields["title"].description == "What it says"
    assert set(inp(s, "items_bool_exp").fields) == {"_and", "_not", "_or", "id", "qty", "title"}
    enum = s.get_type("items_select_column")
    assert isinstance(enum, GraphQLEnumType) and enum.values["title"].value == "label"
    ref = built.field("items", "title")
    assert isinstance(ref, ColumnField) and ref.column.name == "label"
    assert built.field("query_root", "one_item") == TableRoot("select_by_pk", QualifiedName("shop", "item"))


def test_computed_fields(built: RoleSchema) -> None:
    s = built.schema
    author = obj(s, "author")
    assert author.fields["full_name"].description == 'A computed field, executes function "author_full_name"'
    assert author.fields["full_name"].args == {}
    args = arg_types(s, "author", "articles_since")
    assert args == {**TABLE_ARGS, "args": "articles_since_author_args!"}
    assert author.fields["articles_since"].args["args"].description == (
        'input parameters for computed field "articles_since" defined on table "author"'
    )
    assert field_types(inp(s, "articles_since_author_args")) == {"min_id": "Int"}
    ref = built.field("author", "articles_since")
    assert isinstance(ref, ComputedField) and ref.returns_table == ARTICLE
    assert ref.computed_field.function.name.name == "author_articles_since"


def test_functions(built: RoleSchema) -> None:
    s = built.schema
    root = obj(s, "query_root")
    assert str(root.fields["search_articles"].type) == "[article!]!"
    assert root.fields["search_articles"].description == 'execute function "search_articles" which returns "article"'
    assert arg_types(s, "query_root", "search_articles") == {**TABLE_ARGS, "args": "search_articles_args!"}
    assert root.fields["search_articles"].args["args"].description == 'input parameters for function "search_articles"'
    assert field_types(inp(s, "search_articles_args")) == {"max_id": "Int", "search": "String"}
    assert str(root.fields["search_articles_aggregate"].type) == "article_aggregate!"
    assert "bump" not in root.fields  # VOLATILE: a mutation
    ref = built.field("query_root", "search_articles_aggregate")
    assert isinstance(ref, FunctionRoot) and ref.aggregate and ref.table == ARTICLE


def test_lookup(built: RoleSchema) -> None:
    assert built.field("query_root", "author") == TableRoot("select", AUTHOR)
    assert built.field("query_root", "author_aggregate") == TableRoot("select_aggregate", AUTHOR)
    ref = built.field("author", "articles")
    assert isinstance(ref, RelationshipField) and not ref.aggregate and ref.relationship.kind == "array"
    assert ref.relationship.mapping == (("id", "author_id"),)
    ref = built.field("author", "articles_aggregate")
    assert isinstance(ref, RelationshipField) and ref.aggregate
    ref = built.field("article", "author")
    assert isinstance(ref, RelationshipField) and ref.relationship.kind == "object"
    ref = built.field("author_bool_exp", "createdAt")
    assert isinstance(ref, ColumnField) and ref.table == AUTHOR and ref.column.type.name.name == "timestamptz"
    assert built.field("author_bool_exp", "_or") == Connective(AUTHOR, "_or")
    ref = built.field("author_order_by", "articles_aggregate")
    assert isinstance(ref, RelationshipField) and ref.aggregate
    assert built.types["author_bool_exp"] == TypeRef(AUTHOR, "bool_exp")
    assert built.types["article_aggregate_order_by"] == TypeRef(ARTICLE, "aggregate_order_by")


def errors(built: RoleSchema, query: str) -> list[str]:
    return [e.message for e in validate(built.schema, parse(query))]


def test_validation_of_unknown_fields(built: RoleSchema) -> None:
    assert errors(built, "{ author { id name articles { title } } }") == []
    assert errors(built, "{ author { notPresentCol } }") == ["Cannot query field 'notPresentCol' on type 'author'."]
    assert errors(built, "{ random }") == ["Cannot query field 'random' on type 'query_root'."]
    [message] = errors(built, '{ author(where: {name: {_ne: "x"}}) { id } }')
    assert message.startswith("Expected value of type 'String_comparison_exp' not to include unknown field '_ne'.")


def test_deterministic(cache: SchemaCache) -> None:
    first = print_schema(build_schema(cache, enum_values=COLORS).schema)
    assert first == print_schema(build_schema(cache, enum_values=COLORS).schema)
    names = [n for n in build_schema(cache).schema.type_map if not n.startswith("__")]
    assert names == sorted(names)
