"""``livegres metadata export|apply``: the metadata of a running Livegres, over HTTP.

Like Hasura's CLI, these commands talk to a server's ``/v1/metadata`` endpoint (``--endpoint``,
``--admin-secret``); they never open the database themselves.

- ``export [FILE]`` asks for ``export_metadata`` (version 2) and writes the document as JSON
  (indent 2), or as YAML when FILE ends in ``.yaml``/``.yml`` (or with ``--format yaml``), to
  FILE or to standard output.
- ``apply FILE`` reads a JSON or YAML metadata document (Hasura's exported shape, or the
  ``{"resource_version", "metadata"}`` answer of ``export_metadata`` version 2), reads the
  server's current metadata, prints what differs (``diff_metadata``) and sends
  ``replace_metadata`` (version 2) with the ``resource_version`` it read, so that a write made
  by someone else in between is refused (409) instead of being overwritten. ``--dry-run``
  stops after the summary.

Both sides are compared as the server will store them: each document goes through
``parse_metadata`` and ``Metadata.to_json`` first, so key order, list order and omitted
defaults never show up as changes. Failures are one ``livegres: error: ...`` line on stderr
and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

import yaml

from livegres.errors import QueryError
from livegres.metadata import model as m

DEFAULT_ENDPOINT = "http://localhost:8080"
ENDPOINT_ENVS = ("LIVEGRES_ENDPOINT", "HASURA_GRAPHQL_ENDPOINT")
ADMIN_SECRET_ENV = "HASURA_GRAPHQL_ADMIN_SECRET"
TIMEOUT = 120.0
"""Seconds to wait for one answer of the server (a large replace_metadata takes a while)."""

JsonObject = dict[str, Any]


class CliError(Exception):
    """A failure reported as one line (without the ``livegres: error:`` prefix)."""


# --------------------------------------------------------------------------------------------
# Arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``export`` and ``apply`` sub-commands to the ``metadata`` parser."""
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument(
        "--endpoint",
        metavar="URL",
        default=None,
        help=f"base URL of the Livegres server [env: {', '.join(ENDPOINT_ENVS)}] [default: {DEFAULT_ENDPOINT}]",
    )
    connection.add_argument(
        "--admin-secret",
        metavar="SECRET",
        default=None,
        help=f"admin secret, sent as x-hasura-admin-secret [env: {ADMIN_SECRET_ENV}]",
    )
    actions = parser.add_subparsers(dest="metadata_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        parents=[connection],
        help="write the server's metadata to FILE or standard output",
        description="Write the server's metadata (export_metadata) as JSON, or as YAML when FILE "
        "ends in .yaml or .yml, to FILE or to standard output.",
    )
    export.add_argument("file", metavar="FILE", nargs="?", help="where to write (default: standard output)")
    export.add_argument(
        "--format",
        choices=("json", "yaml"),
        default=None,
        help="output format (default: from FILE's extension, else json)",
    )
    apply = actions.add_parser(
        "apply",
        parents=[connection],
        help="replace the server's metadata with FILE and print what changed",
        description="Replace the server's metadata with the JSON or YAML document in FILE "
        "(replace_metadata, refused if the metadata changes meanwhile) and print a summary of "
        "what changed. FILE '-' reads standard input.",
    )
    apply.add_argument("file", metavar="FILE", help="metadata document to apply (JSON or YAML)")
    apply.add_argument("--dry-run", action="store_true", help="print the summary, apply nothing")


def main(args: argparse.Namespace) -> int:
    """Run ``livegres metadata ...`` with parsed ``args``; returns the exit status."""
    try:
        client = AdminClient(_endpoint(args.endpoint), _admin_secret(args.admin_secret))
        if args.metadata_command == "export":
            return export(client, args.file, args.format)
        return apply(client, args.file, dry_run=args.dry_run)
    except CliError as exc:
        print(f"livegres: error: {exc}", file=sys.stderr)
        return 1


def _endpoint(flag: str | None) -> str:
    value = flag or next((os.environ[env] for env in ENDPOINT_ENVS if os.environ.get(env)), DEFAULT_ENDPOINT)
    if "://" not in value:
        value = "http://" + value
    scheme = value.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise CliError(f"invalid endpoint {value!r}: expected an http:// or https:// URL")
    return value.rstrip("/")


def _admin_secret(flag: str | None) -> str | None:
    return flag or os.environ.get(ADMIN_SECRET_ENV) or None


# --------------------------------------------------------------------------------------------
# The server


class AdminClient:
    """POSTs to ``{endpoint}/v1/metadata``; every failure becomes a one-line ``CliError``."""

    def __init__(self, endpoint: str, admin_secret: str | None = None, timeout: float = TIMEOUT) -> None:
        self.endpoint = endpoint
        self.url = f"{endpoint}/v1/metadata"
        self.headers = {"x-hasura-admin-secret": admin_secret} if admin_secret else {}
        self.timeout = timeout

    def call(self, body: JsonObject) -> Any:
        import httpx  # here, so that `livegres --help` does not pay for it

        try:
            response = httpx.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
        except httpx.TimeoutException:
            raise CliError(f"{self.endpoint} did not answer within {self.timeout:g} seconds") from None
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach Livegres at {self.endpoint}: {_reason(exc)}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400:
            raise CliError(self._refusal(response.status_code, answer, response.text, body))
        if answer is None:
            raise CliError(f"{self.url} answered HTTP {response.status_code} with a body that is not JSON")
        return answer

    def _refusal(self, status: int, answer: Any, text: str, body: JsonObject) -> str:
        if not (isinstance(answer, dict) and isinstance(answer.get("error"), str)):
            snippet = " ".join(text.split())[:200] or "(empty body)"
            return f"{self.url} answered HTTP {status}: {snippet}"
        message: str = answer["error"]
        code = answer.get("code", "unknown")
        if status == 409 or code == "conflict":
            return (
                f"the metadata on {self.endpoint} was changed by someone else while this command ran (it was read "
                f"at resource_version {body.get('resource_version')}); nothing was applied: run the command again "
                f"to compare with the new metadata [{code}: {message}]"
            )
        reasons = _inconsistency_reasons(answer.get("internal"))
        if reasons:
            message = f"{message}: {reasons}"
        where = f", path {answer['path']}" if isinstance(answer.get("path"), str) else ""
        return f"{self.endpoint} refused the request (HTTP {status}): {message} [code {code}{where}]"

    def export(self) -> tuple[int, JsonObject]:
        """(resource_version, metadata) of the server."""
        answer = self.call({"type": "export_metadata", "version": 2, "args": {}})
        if not (isinstance(answer, dict) and isinstance(answer.get("metadata"), dict)):
            raise CliError(f"{self.url} answered export_metadata with something that is not metadata")
        version = answer.get("resource_version")
        return (version if isinstance(version, int) else 0), answer["metadata"]

    def replace(self, metadata: JsonObject, resource_version: int) -> Any:
        return self.call(
            {
                "type": "replace_metadata",
                "version": 2,
                "resource_version": resource_version,
                "args": {"allow_inconsistent_metadata": False, "metadata": metadata},
            }
        )


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if text.startswith("[Errno"):  # "[Errno 111] Connection refused" -> "connection refused"
        text = text.split("]", 1)[-1].strip()
    return text[:1].lower() + text[1:]


def _inconsistency_reasons(internal: Any) -> str:
    """The reasons of Hasura's inconsistent objects (``internal`` of an error), on one line."""
    if not isinstance(internal, list):
        return ""
    reasons = [item["reason"] for item in internal if isinstance(item, dict) and isinstance(item.get("reason"), str)]
    return "; ".join(dict.fromkeys(reasons))


# --------------------------------------------------------------------------------------------
# Files


class _YamlLoader(yaml.SafeLoader):
    """YAML as JSON values: unquoted dates stay strings (JSON has no date)."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _is_yaml(name: str | None) -> bool:
    return name is not None and name.lower().endswith((".yaml", ".yml"))


def dump_document(document: Any, fmt: str) -> str:
    """``document`` as JSON (indent 2) or YAML text, ending with a newline."""
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_document(text: str, name: str) -> JsonObject:
    """The metadata document in ``text`` (JSON or YAML; ``name`` is for messages and the format).

    The ``{"resource_version", "metadata"}`` answer of ``export_metadata`` version 2 is unwrapped."""
    value: Any
    if _is_yaml(name):
        value = _load_yaml(text, name)
    else:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            if name.lower().endswith(".json"):
                raise CliError(f"{name}: invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
            value = _load_yaml(text, name)  # no telling extension: YAML is the other format
    if isinstance(value, dict) and "metadata" in value and set(value) <= {"metadata", "resource_version"}:
        value = value["metadata"]
    if not isinstance(value, dict):
        found = "nothing" if value is None else f"a {type(value).__name__}"
        raise CliError(f"{name}: expected a metadata document (an object), found {found}")
    return value


def _load_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        raise CliError(f"{name}: invalid {_formats(name)}: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise CliError(f"{name}: invalid {_formats(name)}: {' '.join(str(exc).split())}") from None


def _formats(name: str) -> str:
    return "YAML" if _is_yaml(name) else "JSON or YAML"


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"cannot read {path}: not UTF-8 text") from None


# --------------------------------------------------------------------------------------------
# The commands


def export(client: AdminClient, file: str | None, fmt: str | None, out: TextIO | None = None) -> int:
    version, metadata = client.export()
    fmt = fmt or ("yaml" if _is_yaml(file) else "json")
    text = dump_document(metadata, fmt)
    if file is None or file == "-":
        (out or sys.stdout).write(text)
        return 0
    try:
        Path(file).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {file}: {exc.strerror or exc}") from None
    print(f"metadata exported to {file} (resource_version {version})", file=out or sys.stdout)
    return 0


def apply(client: AdminClient, file: str, *, dry_run: bool = False, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    name = "standard input" if file == "-" else file
    document = load_document(_read(file), name)
    version, current = client.export()
    try:
        old = normalise(current)
    except QueryError:  # not ours to judge: compare it as the server gave it
        old = current
    try:
        new = normalise(document, current=old)
    except QueryError as exc:
        raise CliError(f"{name} is not valid metadata: {exc.message} (at {exc.path})") from None
    changes = diff_metadata(old, new)
    if dry_run:
        out.write(format_summary(changes))
        print("dry run: nothing was applied", file=out)
        return 0
    if not changes:
        print(f"no changes: the metadata on {client.endpoint} already matches {name}", file=out)
        return 0
    answer = client.replace(document, version)
    out.write(format_summary(changes))
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    print(f"metadata applied to {client.endpoint} ({count})", file=out)
    if isinstance(answer, dict) and answer.get("is_consistent") is False:
        reasons = _inconsistency_reasons(answer.get("inconsistent_objects"))
        print(f"warning: the applied metadata is inconsistent: {reasons}", file=sys.stderr)
    return 0


def normalise(document: Any, current: Mapping[str, Any] | None = None) -> JsonObject:
    """``document`` as the server stores and exports it; QueryError when it is not metadata.

    A version 1 or 2 document (no ``sources``) replaces the tables and functions of the
    ``default`` source of ``current``, as ``replace_metadata`` does."""
    default_source = None
    if current is not None:
        try:
            default_source = m.parse_metadata(current).find_source(m.DEFAULT_SOURCE)
        except QueryError:
            default_source = None
    return m.parse_metadata(document, default_source=default_source).to_json(for_export=True)


def format_summary(changes: list[str]) -> str:
    if not changes:
        return "no changes\n"
    return "".join(line + "\n" for line in changes)


# --------------------------------------------------------------------------------------------
# The diff


def diff_metadata(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What changes when metadata ``old`` is replaced by ``new``: one line per changed object.

    Both are version 3 documents (best normalised with ``normalise``, so that order and
    defaults do not count). Lines start with ``+`` (added), ``-`` (removed) or ``~`` (changed):

    - ``+ source NAME (3 tables, 1 function)``, ``- source NAME``, ``~ source NAME: ~ configuration``
    - ``+ table public.author``, ``- table public.author``,
      ``~ table public.article: + select permission user, - relationship author``
      (tables of a source other than ``default`` end with `` (source NAME)``)
    - ``+ function public.search``, ``~ function public.search: ~ configuration, + permission user``
    - named entries of the top-level sections: ``+ remote schema countries``, ``~ action login``,
      ``- cron trigger nightly``, ``+ inherited role manager`` ...
    - any other top-level section: ``~ api_limits``, ``+ network``
    """
    lines: list[str] = []
    old_sources, new_sources = _named(old.get("sources"), "name"), _named(new.get("sources"), "name")
    order = sorted(old_sources.keys() | new_sources.keys(), key=lambda name: (name != m.DEFAULT_SOURCE, name))
    for name in order:
        before, after = old_sources.get(name), new_sources.get(name)
        if before is None:
            lines.append(f"+ source {name}{_source_contents(after)}")
        elif after is None:
            lines.append(f"- source {name}")
        elif before != after:
            lines.extend(_diff_source(name, before, after))
    for key, (label, name_keys) in _NAMED_SECTIONS.items():
        lines.extend(_diff_entries(label, _named(old.get(key), *name_keys), _named(new.get(key), *name_keys)))
    ignored = {"version", "sources", *_NAMED_SECTIONS}
    for key in _ordered_keys(old, new, ignored):
        lines.extend(_diff_value(key, old.get(key), new.get(key)))
    return lines


_NAMED_SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "remote_schemas": ("remote schema", ("name",)),
    "query_collections": ("query collection", ("name",)),
    "allowlist": ("allowlist entry", ("collection",)),
    "actions": ("action", ("name",)),
    "cron_triggers": ("cron trigger", ("name",)),
    "rest_endpoints": ("REST endpoint", ("name", "url")),
    "inherited_roles": ("inherited role", ("role_name",)),
}
_TABLE_ENTRIES = (
    ("computed_fields", "computed field", "name"),
    ("remote_relationships", "remote relationship", "name"),
    ("insert_permissions", "insert permission", "role"),
    ("select_permissions", "select permission", "role"),
    ("update_permissions", "update permission", "role"),
    ("delete_permissions", "delete permission", "role"),
    ("event_triggers", "event trigger", "name"),
)
_SOURCE_ENTRIES = (
    ("native_queries", "native query", ("root_field_name", "name")),
    ("stored_procedures", "stored procedure", ("root_field_name", "name")),
    ("logical_models", "logical model", ("name",)),
)


def _diff_source(name: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    if before.get("kind", "postgres") != after.get("kind", "postgres") or before.get("kind", "postgres") != "postgres":
        return [f"~ source {name}"]
    suffix = "" if name == m.DEFAULT_SOURCE else f" (source {name})"
    details: list[str] = []
    for key, label, name_keys in _SOURCE_ENTRIES:
        details.extend(_diff_entries(label, _named(before.get(key), *name_keys), _named(after.get(key), *name_keys)))
    ignored = {"name", "kind", "tables", "functions", *(key for key, _, _ in _SOURCE_ENTRIES)}
    for key in _ordered_keys(before, after, ignored):
        details.extend(_diff_value(key, before.get(key), after.get(key)))
    lines = [f"~ source {name}: {', '.join(details)}"] if details else []
    tables = _diff_objects(
        "table", _qualified(before.get("tables"), "table"), _qualified(after.get("tables"), "table"), _table_details
    )
    functions = _diff_objects(
        "function",
        _qualified(before.get("functions"), "function"),
        _qualified(after.get("functions"), "function"),
        _function_details,
    )
    return lines + [line + suffix for line in (*tables, *functions)]


def _source_contents(source: Any) -> str:
    if not isinstance(source, dict) or source.get("kind", "postgres") != "postgres":
        return ""
    counts = [(len(source.get(key) or ()), word) for key, word in (("tables", "table"), ("functions", "function"))]
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n or word == "table"]
    return f" ({', '.join(parts)})"


def _diff_objects(
    kind: str,
    before: dict[Any, Any],
    after: dict[Any, Any],
    details: Callable[[Mapping[str, Any], Mapping[str, Any]], list[str]],
) -> list[str]:
    lines: list[str] = []
    for key in sorted(before.keys() | after.keys(), key=_sort_key):
        old, new = before.get(key), after.get(key)
        label = _label(key)
        if old is None:
            lines.append(f"+ {kind} {label}")
        elif new is None:
            lines.append(f"- {kind} {label}")
        elif old != new:
            if not (isinstance(old, dict) and isinstance(new, dict)):
                lines.append(f"~ {kind} {label}")
            elif found := details(old, new):  # none: the name is only spelled differently
                lines.append(f"~ {kind} {label}: {', '.join(found)}")
    return lines


def _table_details(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    details: list[str] = []
    for key in ("is_enum", "configuration"):
        details.extend(_diff_value(key, before.get(key), after.get(key)))
    details.extend(_diff_entries("relationship", _relationships(before), _relationships(after)))
    for key, label, name_key in _TABLE_ENTRIES:
        details.extend(_diff_entries(label, _named(before.get(key), name_key), _named(after.get(key), name_key)))
    known = {"table", "is_enum", "configuration", "object_relationships", "array_relationships"}
    for key in _ordered_keys(before, after, known | {key for key, _, _ in _TABLE_ENTRIES}):
        details.extend(_diff_value(key, before.get(key), after.get(key)))
    return details


def _relationships(table: Mapping[str, Any]) -> dict[Any, Any]:
    """Object and array relationships by name; the kind counts as part of the definition."""
    found: dict[Any, Any] = {}
    for kind in ("object", "array"):
        for name, entry in _named(table.get(f"{kind}_relationships"), "name").items():
            found[name] = (kind, entry)
    return found


def _function_details(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    details = _diff_value("configuration", before.get("configuration"), after.get("configuration"))
    details.extend(
        _diff_entries("permission", _named(before.get("permissions"), "role"), _named(after.get("permissions"), "role"))
    )
    for key in _ordered_keys(before, after, {"function", "configuration", "permissions"}):
        details.extend(_diff_value(key, before.get(key), after.get(key)))
    return details


def _diff_entries(label: str, before: dict[Any, Any], after: dict[Any, Any]) -> list[str]:
    out: list[str] = []
    for key in sorted(before.keys() | after.keys(), key=_sort_key):
        if key not in after:
            out.append(f"- {label} {_label(key)}")
        elif key not in before:
            out.append(f"+ {label} {_label(key)}")
        elif before[key] != after[key]:
            out.append(f"~ {label} {_label(key)}")
    return out


def _diff_value(label: str, before: Any, after: Any) -> list[str]:
    """A section compared as a whole; absent, null and empty are the same."""
    had, has = before not in (None, [], {}), after not in (None, [], {})
    if had and not has:
        return [f"- {label}"]
    if has and not had:
        return [f"+ {label}"]
    return [f"~ {label}"] if before != after and had else []


def _ordered_keys(before: Mapping[str, Any], after: Mapping[str, Any], ignored: Iterable[str]) -> list[str]:
    skip = set(ignored)
    keys = [key for key in before if key not in skip]
    keys += [key for key in after if key not in skip and key not in before]
    return keys


def _named(items: Any, *keys: str) -> dict[Any, Any]:
    """The entries of a JSON list by their name: the first of ``keys`` that is a string.

    An entry without one stands for itself (its JSON text)."""
    found: dict[Any, Any] = {}
    for item in items if isinstance(items, list) else ():
        name = next((item[k] for k in keys if isinstance(item, dict) and isinstance(item.get(k), str)), None)
        found[name if name is not None else json.dumps(item, sort_keys=True)] = item
    return found


def _qualified(items: Any, key: str) -> dict[Any, Any]:
    """Table or function entries by ``(schema, name)`` of their ``key``; a bare name is in ``public``."""
    found: dict[Any, Any] = {}
    for item in items if isinstance(items, list) else ():
        value = item.get(key) if isinstance(item, dict) else None
        name: Any = json.dumps(item, sort_keys=True)
        if isinstance(value, str):
            name = (m.PUBLIC, value)
        elif isinstance(value, dict) and isinstance(value.get("name"), str):
            schema = value.get("schema")
            name = (schema if isinstance(schema, str) else m.PUBLIC, value["name"])
        found[name] = item
    return found


def _label(key: Any) -> str:
    if isinstance(key, tuple):
        return ".".join(key)
    return str(key)


def _sort_key(key: Any) -> tuple[str, ...]:
    return key if isinstance(key, tuple) else (str(key),)
