"""The runner's plumbing, on a small corpus written here and a fake in-process server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance import ratchet
from tests.conformance.corpus import CaseKind, SetupScope, discover, is_setup_file, locate_corpus
from tests.conformance.results import RunResult
from tests.conformance.runner import POSTGIS_REASON, Options, run_folders
from tests.conformance.transport import HttpClient, Reply

CORPUS = {
    "queries/graphql_query/things/setup.yaml": "type: run_sql\nargs: {sql: 'create table t (id int)'}\n",
    "queries/graphql_query/things/teardown.yaml": "type: run_sql\nargs: {sql: 'drop table t'}\n",
    "queries/graphql_query/things/ok.yaml": """
description: passes
url: /v1/graphql
status: 200
query: {query: '{ ok }'}
response: {data: {ok: true, when: 2020-01-01}}
""",
    "queries/graphql_query/things/wrong.yaml": """
url: /v1/graphql
status: 200
query: {query: '{ wrong }'}
response: {data: {wrong: 2}}
""",
    "queries/graphql_query/things/steps.yaml": """
- url: /v1/graphql
  status: 200
  query: {query: '{ ok }'}
- url: /v1/graphql
  status: 200
  query: {query: '{ bad }'}
  response: {errors: [{message: 'expected message', extensions: {code: validation-failed}}]}
""",
    "queries/graphql_query/geo/setup.yaml": "type: run_sql\nargs: {sql: 'create table g (p geometry)'}\n",
    "queries/graphql_query/geo/case.yaml": "url: /v1/graphql\nstatus: 200\nquery: {query: '{ ok }'}\n",
    "queries/graphql_mutation/m/schema_setup.yaml": "type: run_sql\nargs: {sql: schema}\n",
    "queries/graphql_mutation/m/values_setup.yaml": "type: run_sql\nargs: {sql: values}\n",
    "queries/graphql_mutation/m/values_teardown.yaml": "type: run_sql\nargs: {sql: clean}\n",
    "queries/graphql_mutation/m/a.yaml": "url: /v1/graphql\nstatus: 200\nquery: {query: '{ ok }'}\n",
    "queries/graphql_mutation/m/b.yaml": "url: /v1/graphql\nstatus: 200\nquery: {query: '{ ok }'}\n",
    "queries/event_triggers/e/setup.yaml": "type: run_sql\nargs: {sql: '{{EVENT_WEBHOOK_HANDLER}}'}\n",
    "queries/event_triggers/e/run.yaml": "url: /v1/query\nstatus: 200\nquery: {type: x, args: {}}\n",
    "queries/event_triggers/e/body.yaml": "type: invoke_event_trigger\nargs: {name: t}\n",
    "queries/event_triggers/e/update-setup.yaml": "type: run_sql\nargs: {sql: x}\n",
    "queries/subscriptions/s/steps.yaml": "- {name: a, query: 'subscription { a }', response: '{}'}\n",
}

GRAPHQL = {
    "{ ok }": {"data": {"when": "2020-01-01", "ok": True}},
    "{ wrong }": {"data": {"wrong": 3}},
    "{ bad }": {"errors": [{"message": "another message", "extensions": {"code": "validation-failed"}}]},
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    for name, text in CORPUS.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@dataclass
class FakeServer:
    """Answers like a server that implements everything the small corpus needs."""

    query_status: int = 200
    crash_on: str | None = None  # a GraphQL query after which the server is gone
    exit: int | None = None
    log: list[tuple[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.log.append((request.url.path, body))
        if self.exit is not None:
            raise httpx.ConnectError("connection refused")
        if request.url.path == "/v1/graphql":
            if body["query"] == self.crash_on:
                self.exit = -11
                raise httpx.RemoteProtocolError("server disconnected")
            return httpx.Response(200, json=GRAPHQL[body["query"]])
        if request.url.path == "/v1/query":
            return httpx.Response(self.query_status, json={"result": "ok"})
        return httpx.Response(200, json={"message": "success"})


@dataclass
class FakeTarget:
    http: HttpClient
    server: FakeServer
    server_url: str = "http://fake"
    has_postgis: bool = False
    has_xml: bool = True
    resets: int = 0

    async def reset(self, *, postgis: bool = False) -> None:
        self.resets += 1

    async def clear_metadata(self) -> Reply:
        return await self.http.post_json("/v1/metadata", {"type": "clear_metadata", "args": {}})

    async def wait_exit(self, grace: float = 0.5) -> int | None:
        return self.server.exit

    def log_tail(self, lines: int = 30) -> str:
        return "segmentation fault"


async def _run(corpus: Path, server: FakeServer, *, strict: bool = False) -> tuple[RunResult, FakeTarget]:
    folders = discover(corpus, environ={})
    target = FakeTarget(HttpClient("http://fake", transport=httpx.MockTransport(server.handle)), server)
    result = RunResult(corpus, [f.path for f in folders], partial=False, strict=strict)
    await run_folders(target, folders, Options(corpus=corpus, strict=strict), result)
    await target.http.aclose()
    return result, target


def test_setup_file_names() -> None:
    for name in ("setup.yaml", "teardown.yaml", "schema_setup.yaml", "values_teardown.yaml"):
        assert is_setup_file(name)
    for name in ("setup_invalid_fkey_relationship.yaml", "create-setup.yaml", "pre_setup.yaml"):
        assert is_setup_file(name)
    for name in ("select_query_author.yaml", "steps.yaml", "author_setup_query.yaml"):
        assert not is_setup_file(name)


def test_discovery(corpus: Path) -> None:
    folders = {f.path: f for f in discover(corpus, environ={})}
    things = folders["queries/graphql_query/things"]
    assert things.scope is SetupScope.FOLDER
    assert [c.path.rsplit("/", 1)[1] for c in things.cases] == ["ok.yaml", "steps.yaml", "wrong.yaml"]
    assert folders["queries/graphql_mutation/m"].scope is SetupScope.MUTATION
    assert folders["queries/graphql_query/geo"].needs_postgis
    events = folders["queries/event_triggers/e"]
    assert events.scope is SetupScope.CASE
    assert "http://127.0.0.1:5592" in events.setup[0].body["args"]["sql"]
    assert {c.path.rsplit("/", 1)[1]: c.kind for c in events.cases} == {
        "body.yaml": CaseKind.EVENT,
        "run.yaml": CaseKind.HTTP,
    }
    only = discover(corpus, ["mutation", "geo"], environ={})
    assert [f.path for f in only] == ["queries/graphql_mutation/m", "queries/graphql_query/geo"]


async def test_statuses_and_reasons(corpus: Path) -> None:
    result, target = await _run(corpus, FakeServer())
    statuses = {path.removeprefix("queries/"): r.status for path, r in result.cases.items()}
    assert statuses == {
        "event_triggers/e/body.yaml": "skipped",
        "event_triggers/e/run.yaml": "passed",
        "graphql_mutation/m/a.yaml": "passed",
        "graphql_mutation/m/b.yaml": "passed",
        "graphql_query/geo/case.yaml": "skipped",
        "graphql_query/things/ok.yaml": "passed",
        "graphql_query/things/steps.yaml": "passed",
        "graphql_query/things/wrong.yaml": "failed",
        "subscriptions/s/steps.yaml": "skipped",
    }
    reasons = result.report()["reasons"]
    assert reasons["queries/graphql_query/things/wrong.yaml"] == ("/v1/graphql: $.data.wrong: expected 2, got 3")
    assert reasons["queries/graphql_query/geo/case.yaml"] == POSTGIS_REASON
    assert reasons["queries/subscriptions/s/steps.yaml"].startswith("needs the subscription harness")
    assert result.report()["notes"]["queries/graphql_query/things/steps.yaml"][0].startswith(
        "step 2/2: error response differs (lenient)"
    )
    assert result.counts()["queries/graphql_query/things"] == {
        "passed": 2,
        "failed": 1,
        "errored": 0,
        "skipped": 0,
        "total": 3,
    }
    assert "total" in result.table().splitlines()[-1]
    # One reset per folder that ran, and one per case of the per-case folder.
    assert target.resets == 3


async def test_strict_mode_fails_differing_errors(corpus: Path) -> None:
    result, _ = await _run(corpus, FakeServer(), strict=True)
    steps = result.cases["queries/graphql_query/things/steps.yaml"]
    assert steps.status == "failed"
    assert steps.outcome.reason.startswith("step 2/2: /v1/graphql: $.errors[0].message")


async def test_mutation_values_around_every_case(corpus: Path) -> None:
    server = FakeServer()
    await _run(corpus, server)
    sent = [
        body.get("args", {}).get("sql") or body.get("query")
        for path, body in server.log
        if path != "/v1/metadata" and (path == "/v1/graphql" or body.get("type") == "run_sql")
    ]
    start = sent.index("schema")
    assert sent[start : start + 7] == ["schema", "values", "{ ok }", "clean", "values", "{ ok }", "clean"]


async def test_setup_failure_errors_the_folder(corpus: Path) -> None:
    result, _ = await _run(corpus, FakeServer(query_status=404))
    case = result.cases["queries/graphql_query/things/ok.yaml"]
    assert case.status == "errored"
    assert case.outcome.reason == 'setup failed: 404 {"result":"ok"} (setup.yaml)'
    assert result.cases["queries/subscriptions/s/steps.yaml"].status == "skipped"


async def test_a_crash_errors_the_rest(corpus: Path) -> None:
    result, _ = await _run(corpus, FakeServer(crash_on="{ bad }"))
    assert result.cases["queries/graphql_query/things/ok.yaml"].status == "passed"
    for name in ("steps.yaml", "wrong.yaml"):
        crashed = result.cases[f"queries/graphql_query/things/{name}"]
        assert crashed.status == "errored"
        assert "crashed (exit code -11)" in crashed.outcome.reason
    # Folders are run in path order: graphql_query/things comes after event_triggers and mutations.
    assert result.cases["queries/graphql_mutation/m/a.yaml"].status == "passed"
    assert "segmentation fault" in result.crash


async def test_ratchet(corpus: Path, tmp_path: Path) -> None:
    result, _ = await _run(corpus, FakeServer())
    file = tmp_path / "passing.txt"
    assert ratchet.add(["queries/graphql_query/things/ok.yaml"], file) == ["queries/graphql_query/things/ok.yaml"]
    added = ratchet.add(result.passed(), file)
    assert "queries/graphql_query/things/steps.yaml" in added
    assert "queries/graphql_query/things/ok.yaml" not in added
    assert file.read_text().startswith("#")
    listed = ratchet.load(file) | {"queries/graphql_query/things/wrong.yaml", "queries/gone/x.yaml"}
    assert ratchet.regressions(listed, result) == [
        "queries/gone/x.yaml: not found in the corpus",
        "queries/graphql_query/things/wrong.yaml: failed: /v1/graphql: $.data.wrong: expected 2, got 3",
    ]
    result.partial = True
    assert len(ratchet.regressions(listed, result)) == 1


def test_missing_corpus_message(tmp_path: Path) -> None:
    location = locate_corpus(tmp_path / "nowhere")
    assert not location.path.exists()
    message = location.missing_message()
    assert str(tmp_path / "nowhere") in message
    assert "\n" not in message
