"""Shared fixtures: a real PostgreSQL, fresh databases, the real server, an in-process client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from livegres.app import create_app
from livegres.config import Settings
from livegres.runtime import Runtime
from tests.support.postgres import create_database, drop_database, postgres_server
from tests.support.server import LivegresProcess


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the session's PostgreSQL server (a superuser connection)."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(scope="module")
async def database_url(pg_admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for this test module."""
    url = await create_database(pg_admin_url)
    yield url
    await drop_database(pg_admin_url, url)


@pytest.fixture(scope="module")
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    rt = Runtime(Settings(database_url=database_url, pg_connections=5))
    await rt.start()
    yield rt
    await rt.stop()


@pytest.fixture(scope="module")
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A fast in-process HTTP client of the app, sharing the module's database."""
    app = create_app(runtime, manage_runtime=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://livegres") as c:
        yield c


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    """The real ``livegres serve`` process on a free port, on the module's database."""
    log_dir: Path = tmp_path_factory.mktemp("server")
    proc = LivegresProcess(["--database-url", database_url], log_path=log_dir / "livegres.log")
    proc.start()
    yield proc
    proc.stop()
