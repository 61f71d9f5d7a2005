"""The metadata model: Hasura's export round-trips byte for byte, and bad input fails like Hasura."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from livegres.errors import QueryError
from livegres.metadata.model import (
    ColumnConfig,
    ComputedField,
    CronTrigger,
    DeletePermission,
    ForeignKeyUsing,
    InsertPermission,
    JsonObject,
    ManualUsing,
    Metadata,
    OtherSource,
    PermissionEntry,
    QualifiedName,
    Relationship,
    RetryConf,
    RootField,
    SelectPermission,
    Source,
    Table,
    TableConfiguration,
    UpdatePermission,
    parse_metadata,
)

FIXTURE = Path(__file__).parent / "fixtures" / "hasura_export.json"
CONNECTION: JsonObject = {"connection_info": {"database_url": {"from_env": "PG_DATABASE_URL"}}}


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def document(*tables: Any, **top_level: Any) -> dict[str, Any]:
    source = {"name": "default", "kind": "postgres", "tables": list(tables), "configuration": CONNECTION}
    return {"version": 3, "sources": [source], **top_level}


def only_table(metadata: Metadata) -> Table:
    (table,) = metadata.source().tables
    return table


def round_trip(value: dict[str, Any]) -> Any:
    """The printed form of ``value``, checking that it parses back to the same metadata."""
    metadata = parse_metadata(value)
    printed = metadata.to_json()
    assert parse_metadata(printed) == metadata
    return printed


# --- Round trips ------------------------------------------------------------------------------


def test_fixture_is_written_in_json_dumps_layout() -> None:
    text = FIXTURE.read_text()
    assert dumps(json.loads(text)) == text


def test_hasura_export_round_trips_byte_for_byte() -> None:
    text = FIXTURE.read_text()
    metadata = parse_metadata(json.loads(text))
    assert dumps(metadata.to_json()) == text
    compact = json.dumps(metadata.to_json(), separators=(",", ":"), ensure_ascii=False)
    assert compact == json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    assert parse_metadata(metadata.to_json()) == metadata


def test_fixture_is_typed() -> None:
    metadata = parse_metadata(json.loads(FIXTURE.read_text()))
    source = metadata.source()
    assert [str(t.table) for t in source.tables] == ["content.tags", "article_tags", "articles", "authors"]
    assert source.table("tags") is None
    assert source.table(QualifiedName("content", "tags")) is not None
    authors = source.table("authors")
    assert authors is not None
    assert authors.configuration.custom_name == "Writer"
    assert authors.configuration.column_config["last_name"] == ColumnConfig(custom_name="lastName", comment="")
    assert authors.configuration.custom_root_fields.select == RootField(name="writers")
    assert authors.configuration.custom_root_fields.select_by_pk == RootField(comment="")
    assert authors.computed_fields == (
        ComputedField(
            name="full_name",
            function=QualifiedName("public", "author_full_name"),
            table_argument="author_row",
            comment="First and last name",
        ),
    )
    articles = source.table("articles")
    assert articles is not None
    (published, deleted) = sorted(articles.event_triggers, key=lambda t: t.name, reverse=True)
    assert published.retry_conf == RetryConf(num_retries=3, interval_sec=15, timeout_sec=30)
    assert published.webhook_from_env == "ARTICLE_WEBHOOK_URL"
    assert [h.value_from_env or h.value for h in published.headers] == ["WEBHOOK_SECRET", "livegres"]
    assert published.definition.update is not None
    assert published.definition.update.payload == ("id", "title", "published")
    assert deleted.definition.enable_manual is False
    function = source.function("search_articles")
    assert function is not None
    assert function.configuration.exposed_as == "query"
    assert function.permissions == ("user", "anonymous")
    assert isinstance(metadata.sources[1], OtherSource)
    assert metadata.sources[1].kind == "mssql"
    (cron,) = metadata.cron_triggers
    assert cron.retry_conf.num_retries == 2
    assert metadata.inherited_roles[0].role_set == ("editor", "user")
    assert metadata.roles() == ("anonymous", "editor", "editor_or_user", "service", "user")


def test_minimal_metadata_round_trips() -> None:
    assert round_trip({"version": 3, "sources": []}) == {"version": 3, "sources": []}
    minimal = document()
    assert round_trip(minimal) == minimal
    assert Metadata().to_json() == {"version": 3, "sources": []}


def test_export_sorts_and_omits_defaults_like_hasura() -> None:
    tables = [
        {
            "table": "zebras",
            "is_enum": False,
            "configuration": {
                "custom_root_fields": {},
                "column_config": {"id": {}},
                "custom_column_names": {},
            },
            "object_relationships": [],
            "select_permissions": [
                {"role": "b", "permission": {"columns": "*", "filter": {}, "allow_aggregations": False}},
                {
                    "role": "a",
                    "permission": {"filter": {}, "columns": [], "computed_fields": [], "limit": None},
                },
            ],
        },
        {"table": {"schema": "aardvark", "name": "ants"}},
    ]
    source = {"tables": tables, "name": "second", "configuration": CONNECTION, "functions": []}
    printed = round_trip({"sources": [source, document()["sources"][0]], "version": 3, "inherited_roles": []})
    assert printed == {
        "version": 3,
        "sources": [
            document()["sources"][0],
            {
                "name": "second",
                "kind": "postgres",
                "tables": [
                    {"table": {"name": "ants", "schema": "aardvark"}},
                    {
                        "table": {"name": "zebras", "schema": "public"},
                        "select_permissions": [
                            {"role": "a", "permission": {"columns": [], "filter": {}}},
                            {"role": "b", "permission": {"columns": "*", "filter": {}}},
                        ],
                    },
                ],
                "configuration": CONNECTION,
            },
        ],
    }


def test_equality_does_not_depend_on_input_order() -> None:
    data = json.loads(FIXTURE.read_text())
    shuffled = copy.deepcopy(data)
    shuffled["sources"].reverse()
    default = shuffled["sources"][1]
    default["tables"].reverse()
    for table in default["tables"]:
        for key in ("select_permissions", "array_relationships", "event_triggers", "object_relationships"):
            table.get(key, []).reverse()
    assert parse_metadata(shuffled) == parse_metadata(data)
    assert dumps(parse_metadata(shuffled).to_json()) == FIXTURE.read_text()


def test_raw_lists_are_sorted_like_the_export() -> None:
    data = document(
        remote_schemas=[{"name": "b", "definition": {"url": "u"}}, {"name": "a", "definition": {"url": "u"}}],
        actions=[{"name": "z", "definition": {}}, {"name": "y", "definition": {}}],
        rest_endpoints=[{"url": "b/x", "name": "one"}, {"url": "a/y", "name": "two"}],
    )
    data["sources"][0]["tables"] = [
        {"table": "t", "remote_relationships": [{"name": "r2", "definition": {}}, {"name": "r1", "definition": {}}]}
    ]
    printed = round_trip(data)
    assert [s["name"] for s in printed["remote_schemas"]] == ["a", "b"]
    assert [a["name"] for a in printed["actions"]] == ["y", "z"]
    assert [e["url"] for e in printed["rest_endpoints"]] == ["a/y", "b/x"]
    assert [r["name"] for r in printed["sources"][0]["tables"][0]["remote_relationships"]] == ["r1", "r2"]


def test_version_2_is_upgraded_into_the_default_source() -> None:
    v2 = {
        "version": 2,
        "tables": [{"table": {"schema": "public", "name": "authors"}}, {"table": "articles"}],
        "functions": [{"function": {"schema": "public", "name": "search"}, "configuration": {"exposed_as": "query"}}],
        "remote_schemas": [{"name": "countries", "definition": {"url": "https://example.com"}}],
        "cron_triggers": [
            {
                "name": "c",
                "webhook": "https://example.com",
                "schedule": "* * * * *",
                "include_in_metadata": True,
            }
        ],
    }
    current = Source(name="default", configuration=CONNECTION, tables=(Table(table=QualifiedName("public", "old")),))
    metadata = parse_metadata(v2, default_source=current)
    source = metadata.source()
    assert source.configuration == CONNECTION
    assert [t.table.name for t in source.tables] == ["articles", "authors"]
    assert source.function("search") is not None
    printed = metadata.to_json()
    assert printed["version"] == 3
    assert list(printed) == ["version", "sources", "remote_schemas", "cron_triggers"]
    assert parse_metadata(printed) == metadata


def test_pg_is_another_name_for_postgres() -> None:
    data = document()
    data["sources"][0]["kind"] = "pg"
    assert round_trip(data) == document()


def test_version_1_functions_are_names() -> None:
    v1 = {"tables": [{"table": "authors"}], "functions": ["search", {"schema": "app", "name": "find"}]}
    metadata = parse_metadata(v1, default_source=Source(name="default", configuration=CONNECTION))
    assert [str(f.function) for f in metadata.source().functions] == ["app.find", "search"]


def test_upgrade_needs_a_default_source() -> None:
    with pytest.raises(QueryError) as caught:
        parse_metadata({"version": 2, "tables": []}, path=("args",))
    assert caught.value.to_metadata_json() == {
        "path": "$",
        "error": "cannot import metadata without sources since no default source is defined",
        "code": "not-supported",
    }


# --- Relationships ----------------------------------------------------------------------------


def test_every_relationship_form() -> None:
    articles = QualifiedName("public", "articles")
    table = {
        "table": "authors",
        "object_relationships": [
            {"name": "a_single", "using": {"foreign_key_constraint_on": "address_id"}},
            {"name": "b_one_of_list", "using": {"foreign_key_constraint_on": ["address_id"]}},
            {"name": "c_composite", "using": {"foreign_key_constraint_on": ["country", "code"]}},
            {
                "name": "d_remote",
                "using": {"foreign_key_constraint_on": {"table": "profiles", "column": "author_id"}},
            },
            {
                "name": "e_remote_composite",
                "using": {"foreign_key_constraint_on": {"table": "profiles", "columns": ["a", "b"]}},
            },
            {
                "name": "f_manual",
                "using": {
                    "manual_configuration": {
                        "remote_table": {"schema": "app", "name": "settings"},
                        "column_mapping": {"id": "author_id", "code": "author_code"},
                        "insertion_order": "before_parent",
                    }
                },
                "comment": "Settings",
            },
        ],
        "array_relationships": [
            {
                "name": "articles",
                "using": {"foreign_key_constraint_on": {"table": "articles", "column": "author_id"}},
            },
            {
                "name": "articles_by_pair",
                "using": {"foreign_key_constraint_on": {"table": "articles", "columns": ["a", "b"]}},
            },
            {
                "name": "drafts",
                "using": {
                    "manual_configuration": {
                        "remote_table": "articles",
                        "column_mapping": {"id": "author_id"},
                    }
                },
            },
        ],
    }
    parsed = only_table(parse_metadata(document(table)))
    usings = [r.using for r in parsed.object_relationships]
    assert usings[:5] == [
        ForeignKeyUsing(columns=("address_id",)),
        ForeignKeyUsing(columns=("address_id",)),
        ForeignKeyUsing(columns=("country", "code")),
        ForeignKeyUsing(columns=("author_id",), table=QualifiedName("public", "profiles")),
        ForeignKeyUsing(columns=("a", "b"), table=QualifiedName("public", "profiles")),
    ]
    assert usings[5] == ManualUsing(
        remote_table=QualifiedName("app", "settings"),
        column_mapping={"id": "author_id", "code": "author_code"},
        insertion_order="before_parent",
    )
    assert parsed.array_relationships[0].using == ForeignKeyUsing(columns=("author_id",), table=articles)
    assert parsed.relationship("drafts") == Relationship(
        name="drafts", using=ManualUsing(remote_table=articles, column_mapping={"id": "author_id"})
    )
    printed: Any = only_table(parse_metadata(round_trip(document(table)))).to_json()
    objects = printed["object_relationships"]
    assert objects[1]["using"] == {"foreign_key_constraint_on": "address_id"}  # a one-column list prints as a string
    assert objects[3]["using"] == {
        "foreign_key_constraint_on": {
            "column": "author_id",
            "table": {"name": "profiles", "schema": "public"},
        }
    }
    assert objects[5] == {
        "name": "f_manual",
        "using": {
            "manual_configuration": {
                "column_mapping": {"code": "author_code", "id": "author_id"},
                "insertion_order": "before_parent",
                "remote_table": {"name": "settings", "schema": "app"},
            }
        },
        "comment": "Settings",
    }
    assert printed["array_relationships"][2]["using"]["manual_configuration"]["insertion_order"] is None


# --- Permissions ------------------------------------------------------------------------------


def test_every_permission_kind() -> None:
    own: JsonObject = {"author_id": {"_eq": "X-Hasura-User-Id"}}
    table = {
        "table": "articles",
        "insert_permissions": [
            {
                "role": "user",
                "permission": {"check": own, "set": {}, "columns": ["title"], "backend_only": False},
            },
            {
                "role": "worker",
                "permission": {"check": {}, "validate_input": {"type": "http", "definition": {}}},
            },
        ],
        "select_permissions": [
            {
                "role": "user",
                "permission": {
                    "columns": ["id", "title"],
                    "filter": own,
                    "limit": 5,
                    "allow_aggregations": True,
                    "computed_fields": ["word_count"],
                    "query_root_fields": ["select", "select", "select_aggregate"],
                    "subscription_root_fields": ["select_stream"],
                },
                "comment": "own rows",
            }
        ],
        "update_permissions": [
            {
                "role": "user",
                "permission": {"columns": "*", "filter": own, "check": own, "backend_only": True},
            }
        ],
        "delete_permissions": [{"role": "user", "permission": {"filter": own}}],
    }
    parsed = only_table(parse_metadata(document(table)))
    user = parsed.permissions_for("user")
    assert user.insert == PermissionEntry(role="user", permission=InsertPermission(check=own, columns=("title",)))
    assert user.select == PermissionEntry(
        role="user",
        permission=SelectPermission(
            columns=("id", "title"),
            filter=own,
            limit=5,
            allow_aggregations=True,
            computed_fields=("word_count",),
            query_root_fields=("select", "select_aggregate"),
            subscription_root_fields=("select_stream",),
        ),
        comment="own rows",
    )
    assert user.update == PermissionEntry(
        role="user", permission=UpdatePermission(columns="*", filter=own, check=own, backend_only=True)
    )
    assert user.delete == PermissionEntry(role="user", permission=DeletePermission(filter=own))
    worker = parsed.permissions_for("worker")
    assert worker.select is None
    assert worker.insert is not None
    assert worker.insert.permission.validate_input == {"type": "http", "definition": {}}
    assert parsed.roles() == ("user", "worker")
    printed: Any = only_table(parse_metadata(round_trip(document(table)))).to_json()
    assert printed["insert_permissions"][0]["permission"] == {"check": own, "columns": ["title"]}
    assert printed["insert_permissions"][1]["permission"] == {
        "check": {},
        "validate_input": {"definition": {}, "type": "http"},
    }
    assert list(printed["select_permissions"][0]["permission"]) == [
        "columns",
        "computed_fields",
        "filter",
        "limit",
        "allow_aggregations",
        "query_root_fields",
        "subscription_root_fields",
    ]
    assert printed["update_permissions"][0]["permission"] == {
        "columns": "*",
        "filter": own,
        "check": own,
        "backend_only": True,
    }


def test_update_without_check_prints_null() -> None:
    permission = UpdatePermission(columns=("title",), filter={})
    assert permission.to_json() == {"columns": ["title"], "filter": {}, "check": None}


def test_boolean_expressions_are_normalised_like_hasura() -> None:
    filter_ = {
        "$or": [{"b": {"_eq": 1}, "a": {"$eq": 2}}, {"$not": {"c": {"_is_null": True}}}],
        "$exists": {"_table": "tokens", "_where": {"$and": []}},
    }
    table = {"table": "t", "delete_permissions": [{"role": "r", "permission": {"filter": filter_}}]}
    printed = round_trip(document(table))
    assert printed["sources"][0]["tables"][0]["delete_permissions"][0]["permission"]["filter"] == {
        "_exists": {"_table": {"name": "tokens", "schema": "public"}, "_where": {"_and": []}},
        "_or": [{"a": {"$eq": 2}, "b": {"_eq": 1}}, {"_not": {"c": {"_is_null": True}}}],
    }


# --- Table configuration, event triggers ------------------------------------------------------


def test_legacy_custom_column_names_merge_into_column_config() -> None:
    configuration = {
        "custom_column_names": {"first_name": "firstName", "last_name": "surname"},
        "column_config": {"last_name": {"custom_name": "lastName", "comment": "Family name"}},
    }
    parsed = only_table(parse_metadata(document({"table": "authors", "configuration": configuration})))
    assert parsed.configuration.column_config == {
        "first_name": ColumnConfig(custom_name="firstName"),
        "last_name": ColumnConfig(custom_name="lastName", comment="Family name"),
    }
    printed: Any = parsed.to_json()
    assert printed["configuration"] == {
        "column_config": {
            "first_name": {"custom_name": "firstName"},
            "last_name": {"comment": "Family name", "custom_name": "lastName"},
        },
        "custom_column_names": {"first_name": "firstName", "last_name": "lastName"},
        "custom_root_fields": {},
    }


def test_event_trigger_defaults_and_raw_parts() -> None:
    trigger = {
        "name": "t",
        "definition": {"insert": {"columns": "*"}},
        "retry_conf": {"num_retries": 0, "interval_sec": 10},
        "webhook": "https://example.com",
        "headers": [],
        "request_transform": {"version": 2, "body": {"action": "transform"}, "template_engine": "Kriti"},
        "cleanup_config": {"schedule": "0 0 * * *", "clear_older_than": 168},
        "trigger_on_replication": False,
    }
    printed = round_trip(document({"table": "t", "event_triggers": [trigger]}))
    assert printed["sources"][0]["tables"][0]["event_triggers"] == [
        {
            "name": "t",
            "definition": {"insert": {"columns": "*"}},
            "retry_conf": {"interval_sec": 10, "num_retries": 0},
            "webhook": "https://example.com",
            "request_transform": {"body": {"action": "transform"}, "template_engine": "Kriti", "version": 2},
            "cleanup_config": {"clear_older_than": 168, "schedule": "0 0 * * *"},
        }
    ]


# --- What Livegres does not implement is kept -------------------------------------------------


def test_unknown_and_unimplemented_parts_are_kept() -> None:
    table = {
        "table": "authors",
        "remote_relationships": [{"name": "profile", "definition": {"to_remote_schema": {"remote_schema": "x"}}}],
        "apollo_federation_config": {"enable": "v1"},
        "object_relationships": [
            {"name": "r", "using": {"foreign_key_constraint_on": "x_id"}, "x-note": "kept"},
        ],
        "select_permissions": [
            {"role": "u", "permission": {"columns": "*", "filter": {}, "future": [1]}, "note": True},
        ],
    }
    data = document(
        table,
        api_limits={"disabled": False, "depth_limit": {"global": 10, "per_role": {}}},
        metrics_config={"analyze_query_variables": True, "analyze_response_body": False},
        graphql_schema_introspection={"disabled_for_roles": ["anonymous"]},
        network={"tls_allowlist": [{"host": "example.com"}]},
        backend_configs={"dataconnector": {"sqlite": {"uri": "http://localhost:8100"}}},
        opentelemetry={
            "status": "disabled",
            "data_types": ["traces"],
            "exporter_otlp": {},
            "batch_span_processor": {},
        },
        some_future_key={"b": 1, "a": 2},
    )
    data["sources"][0]["customization"] = {"root_fields": {"namespace": "db"}}
    data["sources"][0]["x-source-note"] = "kept"
    data["sources"].append({"name": "dc", "kind": "sqlite", "tables": [["Album"]], "configuration": {"db": "x"}})
    metadata = parse_metadata(data)
    printed = round_trip(data)
    assert printed["api_limits"] == data["api_limits"]
    assert list(printed["opentelemetry"]) == ["status", "data_types", "exporter_otlp", "batch_span_processor"]
    assert list(printed)[-1] == "some_future_key"
    assert printed["sources"][1] == data["sources"][1]
    source = printed["sources"][0]
    assert source["customization"] == {"root_fields": {"namespace": "db"}}
    assert source["x-source-note"] == "kept"
    printed_table = source["tables"][0]
    assert printed_table["remote_relationships"] == table["remote_relationships"]
    assert printed_table["apollo_federation_config"] == {"enable": "v1"}
    assert printed_table["object_relationships"][0]["x-note"] == "kept"
    assert printed_table["select_permissions"][0] == {
        "role": "u",
        "permission": {"columns": "*", "filter": {}, "future": [1]},
        "note": True,
    }
    assert only_table(metadata).select_permissions[0].extra == {"note": True}


def test_cron_triggers_not_in_metadata_are_left_out_of_an_export() -> None:
    hidden = CronTrigger(name="hidden", webhook="https://example.com", schedule="* * * * *", include_in_metadata=False)
    metadata = Metadata(cron_triggers=(hidden,))
    printed: Any = metadata.to_json()
    assert [t["name"] for t in printed["cron_triggers"]] == ["hidden"]
    assert "cron_triggers" not in metadata.to_json(for_export=True)


# --- Building metadata ------------------------------------------------------------------------


def test_immutable_updates() -> None:
    metadata = parse_metadata(document({"table": "authors"}))
    articles = Table(table=QualifiedName("public", "articles"), is_enum=True)
    updated = metadata.with_table(articles)
    assert [t.table.name for t in updated.source().tables] == ["articles", "authors"]
    assert [t.table.name for t in metadata.source().tables] == ["authors"]
    renamed = dataclasses.replace(articles, configuration=TableConfiguration(custom_name="Posts"))
    assert updated.with_table(renamed).source().table("articles") == renamed
    assert updated.with_source(updated.source().without_table("articles")) == metadata
    assert parse_metadata(updated.to_json()) == updated
    with pytest.raises(dataclasses.FrozenInstanceError):
        articles.is_enum = False  # type: ignore[misc]
    with pytest.raises(KeyError):
        metadata.with_table(articles, source="other")


def test_constructed_collections_are_kept_in_export_order() -> None:
    entry = PermissionEntry(role="zed", permission=DeletePermission(filter={}))
    other = PermissionEntry(role="amy", permission=DeletePermission(filter={}))
    table = Table(table=QualifiedName("public", "t"), delete_permissions=(entry, other))
    assert [p.role for p in table.delete_permissions] == ["amy", "zed"]
    sources = (
        Source(name="zeta", configuration=CONNECTION),
        Source(name="default", configuration=CONNECTION),
    )
    assert [s.name for s in Metadata(sources=sources).sources] == ["default", "zeta"]


# --- Errors: Hasura's messages at Hasura's paths ----------------------------------------------


def fails(value: Any, at: str, message: str, **kwargs: Any) -> None:
    with pytest.raises(QueryError) as caught:
        parse_metadata(value, **kwargs)
    assert (caught.value.code, caught.value.path, caught.value.message) == ("parse-failed", at, message)
    assert caught.value.status == 400


def with_table(**fields: Any) -> dict[str, Any]:
    return document({"table": "articles", **fields})


T0 = "$.sources[0].tables[0]"

ERRORS: list[tuple[Any, str, str]] = [
    ([], "$", "parsing Metadata failed, expected Object, but encountered Array"),
    ({"version": 3}, "$", 'key "sources" not found'),
    ({"sources": []}, "$", 'key "tables" not found'),
    (
        {"version": "3", "sources": []},
        "$.version",
        "parsing Int failed, expected Number, but encountered String",
    ),
    ({"version": 4, "sources": []}, "$.version", "expected 1, 2 or 3, encountered 4"),
    ({"version": 3, "sources": {}}, "$.sources", "parsing [] failed, expected Array, but encountered Object"),
    ({"version": 3, "sources": [{"tables": []}]}, "$.sources[0]", 'key "name" not found'),
    (
        {"version": 3, "sources": [{"name": "", "tables": []}]},
        "$.sources[0].name",
        "empty string not allowed",
    ),
    (
        {"version": 3, "sources": [{"name": "default", "tables": []}]},
        "$.sources[0]",
        'key "configuration" not found',
    ),
    (
        {"version": 3, "sources": [{"name": "default", "tables": [], "configuration": {}}]},
        "$.sources[0].configuration",
        'key "connection_info" not found',
    ),
    (
        {"version": 3, "sources": document()["sources"] * 2},
        "$",
        "multiple declarations exist for the following sources: default",
    ),
    (
        document({"table": "a"}, {"table": {"name": "a"}}),
        "$.sources[0]",
        "multiple declarations exist for the following tables: a",
    ),
    (
        document({"table": {"schema": "s", "name": "a"}}, {"table": {"schema": "s", "name": "a"}}),
        "$.sources[0]",
        "multiple declarations exist for the following tables: s.a",
    ),
    (document(7), T0, "parsing Object failed, expected Object, but encountered Number"),
    (document({"is_enum": True}), T0, 'key "table" not found'),
    (with_table(nope=1, also=2), T0, 'unexpected keys when parsing TableMetadata: ["also","nope"]'),
    (document({"table": 5}), f"{T0}.table", "expecting a string/object for QualifiedObject"),
    (document({"table": {"schema": "s"}}), f"{T0}.table", 'key "name" not found'),
    (
        with_table(is_enum="yes"),
        f"{T0}.is_enum",
        "parsing Bool failed, expected Boolean, but encountered String",
    ),
    (
        with_table(configuration={"custom_name": "1st"}),
        f"{T0}.configuration.custom_name",
        "1st is not valid GraphQL name",
    ),
    (
        with_table(configuration={"custom_root_fields": {"select": "a", "insert": "a", "delete": "b", "update": "b"}}),
        f"{T0}.configuration.custom_root_fields",
        "the following custom root field names are duplicated: a and b",
    ),
    (
        with_table(configuration={"custom_root_fields": {"select": 1}}),
        f"{T0}.configuration.custom_root_fields.select",
        "parsing CustomRootField failed, expected Object, String or Null, but encountered Number",
    ),
    (
        with_table(object_relationships=[{"name": "a", "using": {"foreign_key_constraint_on": "x"}}] * 2),
        T0,
        "multiple declarations exist for the following object relationships: a",
    ),
    (
        with_table(object_relationships=[{"using": {"foreign_key_constraint_on": "x"}}]),
        f"{T0}.object_relationships[0]",
        "the key 'name' was not present",
    ),
    (
        with_table(object_relationships=["a"]),
        f"{T0}.object_relationships[0]",
        "When parsing the constructor RelDef of type Hasura.RQL.Types.Relationships.Local.RelDef"
        " expected Object but got String.",
    ),
    (
        with_table(object_relationships=[{"name": "a", "using": {}}]),
        f"{T0}.object_relationships[0].using",
        "atleast one of foreign_key_constraint_on/manual_configuration should be present",
    ),
    (
        with_table(
            object_relationships=[
                {"name": "a", "using": {"foreign_key_constraint_on": "x", "manual_configuration": {}}}
            ]
        ),
        f"{T0}.object_relationships[0].using",
        "only one of foreign_key_constraint_on/manual_configuration should be present",
    ),
    (
        with_table(object_relationships=[{"name": "a", "using": {"foreign_key_constraint_on": 3}}]),
        f"{T0}.object_relationships[0].using",
        "Expected string or array",
    ),
    (
        with_table(array_relationships=[{"name": "a", "using": {"foreign_key_constraint_on": "x"}}]),
        f"{T0}.array_relationships[0].using",
        "Expecting object { table, columns }.",
    ),
    (
        with_table(
            array_relationships=[
                {
                    "name": "a",
                    "using": {"foreign_key_constraint_on": {"table": "t", "column": "x", "columns": ["x"]}},
                }
            ]
        ),
        f"{T0}.array_relationships[0].using",
        "expected exactly one of 'column' or 'columns'",
    ),
    (
        with_table(array_relationships=[{"name": "a", "using": {"manual_configuration": "t"}}]),
        f"{T0}.array_relationships[0].using",
        "manual_configuration should be an object",
    ),
    (
        with_table(
            array_relationships=[
                {
                    "name": "a",
                    "using": {
                        "manual_configuration": {
                            "remote_table": "t",
                            "column_mapping": {},
                            "insertion_order": "first",
                        }
                    },
                }
            ]
        ),
        f"{T0}.array_relationships[0].using.insertion_order",
        "insertion_order should be 'before_parent' or 'after_parent'",
    ),
    (
        with_table(computed_fields=[{"name": "c", "definition": {"table_argument": "t"}}]),
        f"{T0}.computed_fields[0].definition",
        "parsing Hasura.Backends.Postgres.Types.ComputedField.ComputedFieldDefinition"
        '(ComputedFieldDefinition) failed, key "function" not found',
    ),
    (
        with_table(select_permissions=[{"permission": {"columns": "*", "filter": {}}}]),
        f"{T0}.select_permissions[0]",
        'parsing Hasura.RQL.Types.Permission.PermDef(PermDef) failed, key "role" not found',
    ),
    (
        with_table(select_permissions=[{"role": "u", "permission": {"columns": "*", "filter": {}}}] * 2),
        T0,
        "multiple declarations exist for the following select permissions: u",
    ),
    (
        with_table(select_permissions=[{"role": "u", "permission": {"columns": "*"}}]),
        f"{T0}.select_permissions[0].permission",
        'key "filter" not found',
    ),
    (
        with_table(select_permissions=[{"role": "u", "permission": {"columns": "id", "filter": {}}}]),
        f"{T0}.select_permissions[0].permission.columns",
        "parsing [] failed, expected Array, but encountered String",
    ),
    (
        with_table(select_permissions=[{"role": "u", "permission": {"columns": "*", "filter": []}}]),
        f"{T0}.select_permissions[0].permission.filter",
        "expecting an Object for boolean exp",
    ),
    (
        with_table(select_permissions=[{"role": "u", "permission": {"columns": "*", "filter": {"_and": {}}}}]),
        f"{T0}.select_permissions[0].permission.filter._and",
        "parsing [] failed, expected Array, but encountered Object",
    ),
    (
        with_table(
            select_permissions=[{"role": "u", "permission": {"columns": "*", "filter": {"_or": [{"_not": 1}]}}}]
        ),
        f"{T0}.select_permissions[0].permission.filter._or[0]._not",
        "expecting an Object for boolean exp",
    ),
    (
        with_table(select_permissions=[{"role": "u", "permission": {"columns": "*", "filter": {}, "limit": "9"}}]),
        f"{T0}.select_permissions[0].permission.limit",
        "parsing Int failed, expected Number, but encountered String",
    ),
    (
        with_table(
            select_permissions=[
                {
                    "role": "u",
                    "permission": {"columns": "*", "filter": {}, "query_root_fields": ["select_stream"]},
                }
            ]
        ),
        f"{T0}.select_permissions[0].permission.query_root_fields[0]",
        "parsing Hasura.RQL.Types.Permission.QueryRootFieldType failed, expected one of the tags"
        ' ["select","select_by_pk","select_aggregate"], but found tag "select_stream"',
    ),
    (
        with_table(insert_permissions=[{"role": "u", "permission": {"check": {}, "set": []}}]),
        f"{T0}.insert_permissions[0].permission.set",
        "parsing Object failed, expected Object, but encountered Array",
    ),
    (
        with_table(update_permissions=[{"role": "u", "permission": {"filter": {}}}]),
        f"{T0}.update_permissions[0].permission",
        'key "columns" not found',
    ),
    (
        with_table(delete_permissions=[{"role": "u", "permission": "all"}]),
        f"{T0}.delete_permissions[0].permission",
        "parsing DelPerm failed, expected Object, but encountered String",
    ),
    (
        with_table(event_triggers=[{"name": "e", "definition": {}}]),
        f"{T0}.event_triggers[0]",
        'key "retry_conf" not found',
    ),
    (
        with_table(event_triggers=[{"name": "e", "definition": {}, "retry_conf": {"interval_sec": 1}}]),
        f"{T0}.event_triggers[0].retry_conf",
        'parsing Hasura.RQL.Types.EventTrigger.RetryConf(RetryConf) failed, key "num_retries" not found',
    ),
    (
        with_table(
            event_triggers=[
                {
                    "name": "e",
                    "definition": {"update": {"columns": "id"}},
                    "retry_conf": {"interval_sec": 1, "num_retries": 1},
                }
            ]
        ),
        f"{T0}.event_triggers[0].definition.update.columns",
        "only * or [] allowed",
    ),
    (
        with_table(
            event_triggers=[
                {
                    "name": "e",
                    "definition": {},
                    "retry_conf": {"interval_sec": 1, "num_retries": 1},
                    "headers": [{"name": "h"}],
                }
            ]
        ),
        f"{T0}.event_triggers[0].headers[0]",
        "expecting value or value_from_env keys",
    ),
    (
        with_table(
            event_triggers=[
                {
                    "name": "e",
                    "definition": {},
                    "retry_conf": {"interval_sec": 1, "num_retries": 1},
                    "headers": [{"name": "h", "value_from_env": "HASURA_GRAPHQL_ADMIN_SECRET"}],
                }
            ]
        ),
        f"{T0}.event_triggers[0].headers[0]",
        'env variables starting with "HASURA_GRAPHQL_" are not allowed in value_from_env: HASURA_GRAPHQL_ADMIN_SECRET',
    ),
    (
        {**document(), "cron_triggers": [{"name": "c", "webhook": "w", "schedule": "* * * * *"}]},
        "$.cron_triggers[0]",
        'key "include_in_metadata" not found',
    ),
    (
        {
            **document(),
            "cron_triggers": [
                {
                    "name": "c",
                    "webhook": "w",
                    "schedule": "* * * * *",
                    "include_in_metadata": True,
                    "retry_conf": {"num_retries": -1},
                }
            ],
        },
        "$.cron_triggers[0].retry_conf",
        "num_retries cannot be a negative value",
    ),
    (
        {**document(), "inherited_roles": [{"role_name": "r"}]},
        "$.inherited_roles[0]",
        'parsing Hasura.RQL.Types.Roles.Internal.Role(Role) failed, key "role_set" not found',
    ),
    (
        {**document(), "inherited_roles": [{"role_name": "r", "role_set": []}] * 2},
        "$",
        "multiple declarations exist for the following inherited roles: r",
    ),
    (
        {**document(), "remote_schemas": [{"name": "x"}, {"name": "x"}]},
        "$",
        "multiple declarations exist for the following remote schemas: x",
    ),
    (
        {**document(), "allowlist": [{"collection": "c"}, {"collection": "c"}]},
        "$",
        "multiple declarations exist for the following allowlist entries: c",
    ),
    (
        {**document(), "remote_schemas": {}},
        "$.remote_schemas",
        "parsing [] failed, expected Array, but encountered Object",
    ),
]


@pytest.mark.parametrize(("value", "path", "message"), ERRORS, ids=[m for _, _, m in ERRORS])
def test_bad_metadata_fails_like_hasura(value: Any, path: str, message: str) -> None:
    fails(value, path, message)


def test_errors_carry_the_request_path() -> None:
    fails({"version": 3}, "$.args.metadata", 'key "sources" not found', path=("args", "metadata"))
    fails(
        with_table(is_enum=1),
        "$.args.sources[0].tables[0].is_enum",
        "parsing Bool failed, expected Boolean, but encountered Number",
        path=("args",),
    )


def test_unusual_keys_are_quoted_in_paths() -> None:
    configuration = {"column_config": {"first name": {"custom_name": "bad name"}}}
    fails(
        with_table(configuration=configuration),
        f"{T0}.configuration.column_config['first name'].custom_name",
        "bad name is not valid GraphQL name",
    )
