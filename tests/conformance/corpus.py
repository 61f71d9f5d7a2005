"""The Hasura test corpus: where it is, its folders, how each is set up, and its case files.

A *folder* is a directory of the corpus that holds YAML files. Its *case files* are the YAML
files that are not setup or teardown files. Each folder gets a setup plan modelled on the
fixtures of Hasura's Python harness:

- ``FOLDER`` (``per_class_tests_db_state``): ``setup.yaml`` is sent to /v1/query once, before
  the folder's cases. Used by the query folders.
- ``CASE`` (``per_method_tests_db_state`` and the event-trigger tests): the database is reset
  and ``setup.yaml`` is sent before every case. Used by ``v1/`` and ``event_triggers/``.
- ``MUTATION`` (``use_mutation_fixtures``): ``schema_setup.yaml`` once, then
  ``values_setup.yaml`` before and ``values_teardown.yaml`` after every case.

Teardown files are never used: the runner resets the database instead.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "hasura-tests"
CORPUS_ENV = "LIVEGRES_HASURA_TESTS"

# Values for ``{{VAR}}`` placeholders when the environment has none.
PLACEHOLDER_DEFAULTS = {"EVENT_WEBHOOK_HANDLER": "http://127.0.0.1:5592"}

# Folders whose own setup file is absent from the corpus and whose Python class uses the same
# data as another folder (INDEX §6): folder -> setup file, both relative to the corpus root.
SETUP_OVERRIDES = {"queries/graphql_query/offset": "queries/graphql_query/limits/setup.yaml"}

_SETUP_STEMS = (
    "setup",
    "teardown",
    "schema_setup",
    "schema_teardown",
    "values_setup",
    "values_teardown",
    "pre_setup",
    "post_teardown",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_POSTGIS = re.compile(r"postgis|geometry|geography", re.IGNORECASE)
_XML = re.compile(r"\bxml\b", re.IGNORECASE)


class CorpusMissing(Exception):
    """The corpus folder does not exist; the message is one line saying where we looked."""


@dataclass(frozen=True)
class CorpusLocation:
    path: Path
    source: str

    def missing_message(self) -> str:
        return (
            f"Hasura test corpus not found: {self.path} does not exist ({self.source}); "
            f"set --corpus or ${CORPUS_ENV} to run the conformance suite"
        )


def locate_corpus(explicit: str | os.PathLike[str] | None = None) -> CorpusLocation:
    """The corpus folder: ``explicit``, else $LIVEGRES_HASURA_TESTS, else ../shared/hasura-tests."""
    if explicit:
        return CorpusLocation(Path(explicit).resolve(), "from --corpus")
    from_env = os.environ.get(CORPUS_ENV)
    if from_env:
        return CorpusLocation(Path(from_env).resolve(), f"from ${CORPUS_ENV}")
    return CorpusLocation(DEFAULT_CORPUS.resolve(), "the default, ../shared/hasura-tests")


# -- YAML -------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, except that timestamps stay strings, as JSON has no dates."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Fill ``{{VAR}}`` placeholders from ``env``; unknown ones are left as they are."""
    return _PLACEHOLDER.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def load_yaml(path: Path, env: Mapping[str, str]) -> Any:
    return yaml.load(substitute(path.read_text(encoding="utf-8"), env), Loader=_Loader)


def placeholder_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**PLACEHOLDER_DEFAULTS, **(os.environ if environ is None else environ)}


# -- Cases ------------------------------------------------------------------------------------


class CaseKind(enum.Enum):
    HTTP = "http"  # request file(s): url, status, query, ...
    SUBSCRIPTION = "subscription"  # driven by the subscription harness over WebSocket
    EVENT = "event"  # driven by the event-trigger harness, with a webhook receiver
    INVALID = "invalid"  # cannot be loaded or not understood


@dataclass(frozen=True)
class Expected:
    """One acceptable answer: a body (None: not checked) and a subset of response headers."""

    response: Any = None
    resp_headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One request of a case file, with what Hasura's ``check_query`` expects of its answer."""

    url: str
    status: int
    query: Any
    headers: Mapping[str, str]
    expected: tuple[Expected, ...]  # any one may match (``allowed_responses``); usually one
    description: str = ""
    method: str | None = None
    body: Any = None


@dataclass(frozen=True)
class Case:
    path: str  # relative to the corpus root, with forward slashes
    file: Path
    kind: CaseKind
    requests: tuple[Request, ...] = ()
    detail: str = ""  # what kind of file it is, or why it cannot be used
    data: Any = None  # the loaded YAML, for transports that read their own format


class SetupScope(enum.Enum):
    FOLDER = "folder"
    CASE = "case"
    MUTATION = "mutation"


@dataclass(frozen=True)
class SetupFile:
    path: str  # relative to the corpus root
    body: Any = None
    error: str = ""  # set when the file cannot be loaded
    text: str = ""


@dataclass(frozen=True)
class Folder:
    path: str  # relative to the corpus root
    scope: SetupScope
    setup: tuple[SetupFile, ...]  # sent to /v1/query once (FOLDER, MUTATION) or per case (CASE)
    values_setup: SetupFile | None
    values_teardown: SetupFile | None
    cases: tuple[Case, ...]

    @property
    def needs_postgis(self) -> bool:
        files = [*self.setup, *(f for f in (self.values_setup,) if f is not None)]
        return any(_POSTGIS.search(f.text) for f in files)

    @property
    def needs_xml(self) -> bool:
        files = [*self.setup, *(f for f in (self.values_setup,) if f is not None)]
        return any(_XML.search(f.text) for f in files)


def is_setup_file(name: str) -> bool:
    stem = name.rsplit(".", 1)[0]
    if stem.endswith(("-setup", "-teardown")):
        return True
    return any(stem == s or stem.startswith(s + "_") for s in _SETUP_STEMS)


class CaseFormatError(ValueError):
    pass


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CaseFormatError("headers is not a mapping")
    return {str(name): str(v) for name, v in value.items()}


def parse_request(item: Any) -> Request:
    if not isinstance(item, Mapping) or "url" not in item or "status" not in item:
        raise CaseFormatError("not a request (a mapping with url and status)")
    if "allowed_responses" in item:
        allowed = item["allowed_responses"]
        if not isinstance(allowed, list) or not allowed:
            raise CaseFormatError("allowed_responses is not a non-empty list")
        expected = tuple(
            Expected(a.get("response"), _headers(a.get("resp_headers"))) for a in allowed if isinstance(a, Mapping)
        )
    else:
        expected = (Expected(item.get("response"), _headers(item.get("resp_headers"))),)
    try:
        status = int(item["status"])
    except (TypeError, ValueError):
        raise CaseFormatError(f"status is not a number: {item['status']!r}") from None
    return Request(
        url=str(item["url"]),
        status=status,
        query=item.get("query"),
        headers=_headers(item.get("headers")),
        expected=expected,
        description=str(item.get("description") or item.get("descriptions") or ""),
        method=str(item["method"]) if item.get("method") else None,
        body=item.get("body"),
    )


def _is_request(item: Any) -> bool:
    return isinstance(item, Mapping) and "url" in item and "status" in item


def classify(path: str, file: Path, data: Any) -> Case:
    """Decide what a loaded case file is and which harness it needs."""
    parts = PurePosixPath(path).parts
    if "subscriptions" in parts:
        if isinstance(data, list) and data and all(_is_request(x) for x in data):
            detail = "request file run over WebSocket"
        elif isinstance(data, list):
            detail = "subscription steps file"
        elif isinstance(data, Mapping) and "query" in data and "url" not in data:
            detail = "subscription query file for /v1/graphql/explain"
        else:
            detail = "subscription case"
        return Case(path, file, CaseKind.SUBSCRIPTION, detail=detail, data=data)
    items = data if isinstance(data, list) else [data]
    if items and all(_is_request(x) for x in items):
        try:
            requests = tuple(parse_request(x) for x in items)
        except CaseFormatError as exc:
            return Case(path, file, CaseKind.INVALID, detail=str(exc), data=data)
        return Case(path, file, CaseKind.HTTP, requests, data=data)
    if "event_triggers" in parts:
        detail = "a bare request body, checked against the webhook deliveries"
        return Case(path, file, CaseKind.EVENT, detail=detail, data=data)
    keys = sorted(map(str, data)) if isinstance(data, Mapping) else type(data).__name__
    return Case(path, file, CaseKind.INVALID, detail=f"not a request file ({keys})", data=data)


def load_case(root: Path, file: Path, env: Mapping[str, str]) -> Case:
    path = file.relative_to(root).as_posix()
    try:
        data = load_yaml(file, env)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Case(path, file, CaseKind.INVALID, detail=f"cannot load: {first}")
    return classify(path, file, data)


# -- Folders ----------------------------------------------------------------------------------


def load_setup(root: Path, file: Path, env: Mapping[str, str]) -> SetupFile | None:
    if not file.is_file():
        return None
    path = file.relative_to(root).as_posix()
    try:
        text = substitute(file.read_text(encoding="utf-8"), env)
        return SetupFile(path, yaml.load(text, Loader=_Loader), text=text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return SetupFile(path, error=f"cannot load {path}: {first}")


def setup_scope(folder: str) -> SetupScope:
    parts = PurePosixPath(folder).parts
    if "graphql_mutation" in parts:
        return SetupScope.MUTATION
    if "event_triggers" in parts or parts[:2] == ("queries", "v1"):
        return SetupScope.CASE
    return SetupScope.FOLDER


def load_folder(root: Path, directory: Path, env: Mapping[str, str]) -> Folder:
    path = directory.relative_to(root).as_posix()
    scope = setup_scope(path)
    names = sorted(p.name for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    cases = tuple(load_case(root, directory / n, env) for n in names if not is_setup_file(n))
    values_setup = values_teardown = None
    if scope is SetupScope.MUTATION:
        setup_files = [directory / "schema_setup.yaml"]
        values_setup = load_setup(root, directory / "values_setup.yaml", env)
        values_teardown = load_setup(root, directory / "values_teardown.yaml", env)
    elif path in SETUP_OVERRIDES:
        setup_files = [root / SETUP_OVERRIDES[path]]
    else:
        setup_files = [directory / "setup.yaml"]
    setup = tuple(s for s in (load_setup(root, f, env) for f in setup_files) if s is not None)
    return Folder(path, scope, setup, values_setup, values_teardown, cases)


def selected(folder: str, patterns: Sequence[str]) -> bool:
    return not patterns or any(p in folder for p in patterns)


def discover(root: Path, patterns: Sequence[str] = (), environ: Mapping[str, str] | None = None) -> list[Folder]:
    """The corpus's folders (those holding YAML files) whose path contains one of ``patterns``."""
    if not root.is_dir():
        raise CorpusMissing(CorpusLocation(root, "as given").missing_message())
    env = placeholder_env(environ)
    directories: Iterable[Path] = sorted(
        {p.parent for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()}
    )
    folders = []
    for directory in directories:
        if selected(directory.relative_to(root).as_posix(), patterns):
            folders.append(load_folder(root, directory, env))
    return folders
