"""``livegres metadata export|apply`` against the real server, and the metadata diff on its own."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from livegres.metadata import cli
from livegres.metadata.service import DEFAULT_SOURCE_CONFIGURATION
from tests.support.server import LivegresProcess, free_port

# -- helpers ----------------------------------------------------------------------------------


def run_cli(
    *args: str, endpoint: str | None = None, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m livegres metadata ARGS`` as a separate process."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HASURA_GRAPHQL_", "LIVEGRES_"))}
    if endpoint is not None:
        base["LIVEGRES_ENDPOINT"] = endpoint
    return subprocess.run(
        [sys.executable, "-m", "livegres", "metadata", *args],
        env={**base, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def metadata_call(url: str, body: dict[str, Any], **headers: str) -> Any:
    response = httpx.post(url + "/v1/metadata", json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def run_sql(url: str, sql: str) -> None:
    response = httpx.post(url + "/v2/query", json={"type": "run_sql", "args": {"sql": sql}}, timeout=30)
    assert response.status_code == 200, response.text


def export(url: str) -> tuple[int, dict[str, Any]]:
    answer = metadata_call(url, {"type": "export_metadata", "version": 2, "args": {}})
    return answer["resource_version"], answer["metadata"]


def table_names(metadata: dict[str, Any]) -> list[str]:
    return [t["table"]["name"] for t in metadata["sources"][0]["tables"]]


def with_author(metadata: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` with ``author`` tracked (relationship and permission) and more on ``article``."""
    changed = copy.deepcopy(metadata)
    tables = changed["sources"][0]["tables"]
    tables.append(
        {
            "table": {"schema": "public", "name": "author"},
            "array_relationships": [
                {
                    "name": "articles",
                    "using": {"foreign_key_constraint_on": {"column": "author_id", "table": "article"}},
                }
            ],
            "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"], "filter": {}}}],
        }
    )
    article = next(t for t in tables if t["table"]["name"] == "article")
    article["object_relationships"] = [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}]
    article["select_permissions"] = [{"role": "user", "permission": {"columns": "*", "filter": {}}}]
    return changed


@pytest.fixture(autouse=True)
def base_metadata(server: LivegresProcess) -> None:
    """Every test starts with tables ``author`` and ``article``, and only ``article`` tracked."""
    metadata_call(server.url, {"type": "clear_metadata", "args": {}})
    run_sql(
        server.url,
        "DROP TABLE IF EXISTS article, author; "
        "CREATE TABLE author (id serial PRIMARY KEY, name text); "
        "CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));",
    )
    metadata_call(server.url, {"type": "pg_track_table", "args": {"table": {"schema": "public", "name": "article"}}})


# -- export -----------------------------------------------------------------------------------


def test_export_to_stdout_json_and_yaml_files(server: LivegresProcess, tmp_path: Path) -> None:
    version, expected = export(server.url)

    result = run_cli("export", endpoint=server.url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    assert result.stdout.startswith('{\n  "version": 3,\n  "sources": [\n')

    result = run_cli("export", str(tmp_path / "metadata.json"), "--endpoint", server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"metadata exported to {tmp_path / 'metadata.json'} (resource_version {version})\n"
    text = (tmp_path / "metadata.json").read_text()
    assert json.loads(text) == expected
    assert text == json.dumps(expected, indent=2) + "\n"  # Hasura's key order is kept

    result = run_cli("export", str(tmp_path / "metadata.yaml"), endpoint=server.url)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "metadata.yaml").read_text()
    assert text.startswith("version: 3\nsources:\n- name: default\n")
    assert yaml.safe_load(text) == expected

    result = run_cli("export", "--format", "yaml", endpoint=server.url)
    assert yaml.safe_load(result.stdout) == expected


# -- apply ------------------------------------------------------------------------------------


def test_apply_a_table_tracked_in_the_file(server: LivegresProcess, tmp_path: Path) -> None:
    version, current = export(server.url)
    assert table_names(current) == ["article"]
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(with_author(current), indent=2))

    result = run_cli("apply", str(path), endpoint=server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "~ table public.article: + relationship author, + select permission user\n"
        "+ table public.author\n"
        f"metadata applied to {server.url} (2 changes)\n"
    )
    assert result.stderr == ""

    new_version, after = export(server.url)
    assert new_version == version + 1
    assert table_names(after) == ["article", "author"]
    assert after == cli.normalise(with_author(current))
    # The CLI's own export shows it too.
    exported = json.loads(run_cli("export", endpoint=server.url).stdout)
    assert table_names(exported) == ["article", "author"]

    # Applying the same file again changes nothing and writes nothing.
    result = run_cli("apply", str(path), endpoint=server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"no changes: the metadata on {server.url} already matches {path}\n"
    assert export(server.url)[0] == new_version


def test_apply_yaml_with_the_export_v2_wrapper(server: LivegresProcess, tmp_path: Path) -> None:
    version, current = export(server.url)
    metadata_call(server.url, {"type": "replace_metadata", "args": with_author(current)})
    path = tmp_path / "metadata.yml"
    path.write_text(yaml.safe_dump({"resource_version": version, "metadata": current}, sort_keys=False))

    result = run_cli("apply", str(path), endpoint=server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "~ table public.article: - relationship author, - select permission user\n"
        "- table public.author\n"
        f"metadata applied to {server.url} (2 changes)\n"
    )
    assert table_names(export(server.url)[1]) == ["article"]


def test_apply_from_stdin(server: LivegresProcess) -> None:
    _, current = export(server.url)
    result = run_cli("apply", "-", endpoint=server.url, stdin=json.dumps(with_author(current)))
    assert result.returncode == 0, result.stderr
    assert "+ table public.author\n" in result.stdout
    assert table_names(export(server.url)[1]) == ["article", "author"]


def test_dry_run_changes_nothing(server: LivegresProcess, tmp_path: Path) -> None:
    version, current = export(server.url)
    path = tmp_path / "metadata.yaml"
    path.write_text(yaml.safe_dump(with_author(current)))

    result = run_cli("apply", "--dry-run", str(path), endpoint=server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "~ table public.article: + relationship author, + select permission user\n"
        "+ table public.author\n"
        "dry run: nothing was applied\n"
    )
    assert export(server.url) == (version, current)


def test_dead_endpoint_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps({"version": 3, "sources": []}))
    dead = f"http://127.0.0.1:{free_port()}"
    for args in (("apply", str(path)), ("export",)):
        result = run_cli(*args, endpoint=dead)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == f"livegres: error: cannot reach Livegres at {dead}: connection refused\n"


def test_a_refused_apply_is_one_error_line(server: LivegresProcess, tmp_path: Path) -> None:
    version, current = export(server.url)
    bad = copy.deepcopy(current)
    bad["sources"][0]["tables"].append({"table": {"schema": "public", "name": "missing"}})
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(bad))

    result = run_cli("apply", str(path), endpoint=server.url)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"livegres: error: {server.url} refused the request (HTTP 400): cannot continue due to inconsistent "
        'metadata: Inconsistent object: no such table/view exists in source: "missing" [code unexpected, path $.args]\n'
    )
    assert export(server.url)[0] == version


def test_invalid_files_are_one_error_line(server: LivegresProcess, tmp_path: Path) -> None:
    cases = {
        "broken.json": (
            '{"version": 3,',
            "broken.json: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        "broken.yaml": ("sources: [\n", "broken.yaml: invalid YAML: expected the node content"),
        "list.json": ("[]", "list.json: expected a metadata document (an object), found a list"),
        "bad.yaml": (
            "version: 3\nsources:\n- name: default\n  kind: postgres\n  configuration: {}\n"
            "  tables: [{table: article, bogus: 1}]\n",
            'bad.yaml is not valid metadata: unexpected keys when parsing TableMetadata: ["bogus"] '
            "(at $.sources[0].tables[0])",
        ),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        result = run_cli("apply", str(tmp_path / name), "--dry-run", endpoint=server.url)
        assert result.returncode == 1, name
        assert result.stderr.startswith(f"livegres: error: {tmp_path}/{message}"), result.stderr
        assert result.stderr.count("\n") == 1
    result = run_cli("apply", str(tmp_path / "absent.json"), endpoint=server.url)
    assert result.stderr == f"livegres: error: cannot read {tmp_path / 'absent.json'}: No such file or directory\n"


def test_a_concurrent_change_is_a_conflict(server: LivegresProcess, tmp_path: Path) -> None:
    """Someone writes between the CLI's read and its replace_metadata: the server answers 409."""

    class Interrupted(cli.AdminClient):
        def export(self) -> tuple[int, dict[str, Any]]:
            read = super().export()
            metadata_call(server.url, {"type": "pg_track_table", "args": {"table": "author"}})
            return read

    _, current = export(server.url)
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(with_author(current)))
    with pytest.raises(cli.CliError) as failure:
        cli.apply(Interrupted(server.url), str(path))
    message = str(failure.value)
    assert message.startswith(f"the metadata on {server.url} was changed by someone else while this command ran")
    assert "nothing was applied" in message
    assert "[conflict: " in message
    after = export(server.url)[1]
    assert table_names(after) == ["article", "author"]
    assert "select_permissions" not in after["sources"][0]["tables"][0]


@pytest.fixture(scope="module")
def secret_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    """A second instance on the same database, with an admin secret."""
    log_path = tmp_path_factory.mktemp("secret") / "livegres.log"
    proc = LivegresProcess(["--database-url", database_url, "--admin-secret", "s3cret"], log_path=log_path)
    proc.start()
    yield proc
    proc.stop()


def test_admin_secret(secret_server: LivegresProcess) -> None:
    url = secret_server.url
    result = run_cli("export", endpoint=url)
    assert result.returncode == 1
    assert result.stderr == (
        f"livegres: error: {url} refused the request (HTTP 401): "
        "x-hasura-admin-secret/x-hasura-access-key required, but not found [code access-denied, path $]\n"
    )
    result = run_cli("export", "--admin-secret", "s3cret", endpoint=url)
    assert result.returncode == 0, result.stderr
    assert table_names(json.loads(result.stdout)) == ["article"]
    result = run_cli("export", endpoint=url, HASURA_GRAPHQL_ADMIN_SECRET="s3cret")
    assert result.returncode == 0, result.stderr
    # HASURA_GRAPHQL_ENDPOINT is read too, after LIVEGRES_ENDPOINT.
    result = run_cli("export", HASURA_GRAPHQL_ENDPOINT=url, HASURA_GRAPHQL_ADMIN_SECRET="s3cret")
    assert result.returncode == 0, result.stderr


# -- the diff, on its own ---------------------------------------------------------------------


def document(*tables: dict[str, Any], **top: Any) -> dict[str, Any]:
    source = {
        "name": "default",
        "kind": "postgres",
        "tables": list(tables),
        "configuration": DEFAULT_SOURCE_CONFIGURATION,
    }
    return {"version": 3, "sources": [source], **top}


def table(name: str, schema: str = "public", **entries: Any) -> dict[str, Any]:
    return {"table": {"schema": schema, "name": name}, **entries}


def rel(name: str, column: str) -> dict[str, Any]:
    return {"name": name, "using": {"foreign_key_constraint_on": column}}


def perm(role: str, columns: Any = "*", filter: Any = None) -> dict[str, Any]:
    return {"role": role, "permission": {"columns": columns, "filter": filter or {}}}


def test_diff_of_equal_documents_is_empty() -> None:
    doc = document(table("a", select_permissions=[perm("user")]))
    assert cli.diff_metadata(doc, copy.deepcopy(doc)) == []
    assert cli.format_summary([]) == "no changes\n"


def test_diff_tables_tracked_and_untracked() -> None:
    old = document(table("a"), table("b", "s"))
    new = document(table("a"), table("c"), table("b", "z"))
    assert cli.diff_metadata(old, new) == ["+ table public.c", "- table s.b", "+ table z.b"]


def test_diff_inside_a_table() -> None:
    old = document(
        table(
            "article",
            object_relationships=[rel("author", "author_id"), rel("editor", "editor_id")],
            select_permissions=[perm("user"), perm("guest")],
            insert_permissions=[{"role": "user", "permission": {"check": {}}}],
            event_triggers=[{"name": "notify", "definition": {}, "retry_conf": {}}],
        )
    )
    new = document(
        table(
            "article",
            configuration={"custom_name": "post"},
            object_relationships=[rel("author", "writer_id")],
            array_relationships=[rel("editor", "editor_id")],
            computed_fields=[{"name": "summary", "definition": {"function": "summary"}}],
            select_permissions=[perm("user"), perm("guest", ["id"]), perm("admin2")],
            event_triggers=[{"name": "audit", "definition": {}, "retry_conf": {}}],
        )
    )
    assert cli.diff_metadata(old, new) == [
        "~ table public.article: + configuration, ~ relationship author, ~ relationship editor, "
        "+ computed field summary, - insert permission user, + select permission admin2, "
        "~ select permission guest, + event trigger audit, - event trigger notify"
    ]


def test_diff_functions_sources_and_top_level_sections() -> None:
    old = document(
        remote_schemas=[{"name": "countries", "definition": {"url": "a"}}],
        cron_triggers=[{"name": "nightly", "webhook": "w", "schedule": "0 0 * * *", "include_in_metadata": True}],
        api_limits={"disabled": False},
    )
    old["sources"][0]["configuration"] = {"connection_info": {"database_url": "postgres://a"}}
    old["sources"][0]["functions"] = [{"function": {"schema": "public", "name": "search"}}]
    new = document(
        remote_schemas=[{"name": "countries", "definition": {"url": "b"}}, {"name": "weather", "definition": {}}],
        inherited_roles=[{"role_name": "staff", "role_set": ["a", "b"]}],
        network={"tls_allowlist": []},
    )
    new["sources"][0]["configuration"] = {"connection_info": {"database_url": "postgres://b"}}
    new["sources"][0]["functions"] = [
        {"function": {"schema": "public", "name": "search"}, "permissions": [{"role": "user"}]},
        {"function": "latest"},
    ]
    new["sources"].append({"name": "other", "kind": "postgres", "tables": [table("x"), table("y")]})
    new["sources"].append({"name": "mssql", "kind": "mssql", "tables": []})
    assert cli.diff_metadata(old, new) == [
        "~ source default: ~ configuration",
        "+ function public.latest",
        "~ function public.search: + permission user",
        "+ source mssql",
        "+ source other (2 tables)",
        "~ remote schema countries",
        "+ remote schema weather",
        "- cron trigger nightly",
        "+ inherited role staff",
        "- api_limits",
        "+ network",
    ]


def test_diff_of_a_second_source_names_it() -> None:
    other = {"name": "other", "kind": "postgres", "tables": [table("x")], "configuration": {}}
    old = document()
    old["sources"].append(other)
    new = copy.deepcopy(old)
    new["sources"][1]["tables"] = [table("x", select_permissions=[perm("user")])]
    assert cli.diff_metadata(old, new) == ["~ table public.x: + select permission user (source other)"]
    assert cli.diff_metadata(new, document()) == ["- source other"]


def test_normalise_ignores_order_and_defaults() -> None:
    old = document(table("b"), table("a", select_permissions=[perm("z"), perm("y")]))
    new = document(
        table("a", select_permissions=[perm("y"), perm("z")], is_enum=False, insert_permissions=[]), table("b")
    )
    assert cli.diff_metadata(old, new) != []
    assert cli.diff_metadata(cli.normalise(old), cli.normalise(new)) == []
    # A bare table name is the table in public, in raw documents too.
    assert cli.diff_metadata(document({"table": "a"}), document(table("a"))) == []


def test_normalise_upgrades_a_version_2_document() -> None:
    current = document()
    old = cli.normalise(current)
    new = cli.normalise({"version": 2, "tables": [{"table": {"schema": "public", "name": "a"}}]}, current=old)
    assert new["sources"][0]["configuration"] == old["sources"][0]["configuration"]
    assert cli.diff_metadata(old, new) == ["+ table public.a"]


def test_load_document() -> None:
    doc = {"version": 3, "sources": []}
    assert cli.load_document(json.dumps(doc), "m.json") == doc
    assert cli.load_document(json.dumps({"resource_version": 7, "metadata": doc}), "m.json") == doc
    assert cli.load_document(yaml.safe_dump(doc), "m.yaml") == doc
    assert cli.load_document(yaml.safe_dump(doc), "metadata") == doc  # no extension: JSON, else YAML
    # Dates stay text, as they would in JSON.
    loaded = cli.load_document("version: 3\nsources: []\ncron_triggers: [{payload: {at: 2024-01-02}}]\n", "m.yml")
    assert loaded["cron_triggers"] == [{"payload": {"at": "2024-01-02"}}]
    with pytest.raises(cli.CliError, match="expected a metadata document"):
        cli.load_document("", "m.yaml")
    assert cli.dump_document(doc, "json") == '{\n  "version": 3,\n  "sources": []\n}\n'
    assert cli.dump_document(doc, "yaml") == "version: 3\nsources: []\n"
