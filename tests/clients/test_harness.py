"""The JavaScript client harness itself: every pinned client library loads under this Node.js."""

from __future__ import annotations

import json

from tests.clients.conftest import JsClients


async def test_every_pinned_client_loads(js_clients: JsClients) -> None:
    manifest = json.loads((js_clients.directory / "package.json").read_text())
    # The scenario makes no request: the URL is only required by the runner.
    answer = await js_clients.run("versions", "http://127.0.0.1:9")
    assert answer["packages"] == manifest["dependencies"]
    assert set(manifest["dependencies"]) >= {"@apollo/client", "graphql", "graphql-ws", "graphql-sse", "ws"}
