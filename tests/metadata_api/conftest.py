"""The metadata API tests talk to the real ``livegres serve`` process over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.server import LivegresProcess

# Environment of the server: event triggers may name these in webhook_from_env / value_from_env.
SERVER_ENV = {"LIVEGRES_TEST_HOOK": "http://127.0.0.1:5592", "LIVEGRES_TEST_HEADER": "MyEnvValue"}


@pytest.fixture(scope="module")
def metadata_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    log = tmp_path_factory.mktemp("server") / "livegres.log"
    proc = LivegresProcess(["--database-url", database_url], env=SERVER_ENV, log_path=log)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
async def client(metadata_server: LivegresProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=metadata_server.url, timeout=30) as c:
        yield c
