"""Event tests: real ``livegres serve`` processes, a real PostgreSQL and a real webhook receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.events.receiver import Receiver
from tests.support.server import LivegresProcess

# Fast polling and a short shutdown grace keep the tests quick.
FAST = {
    "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL": "200",
    "HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT": "5",
    "HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE": "32",
    "LIVEGRES_TEST_HEADER": "MyEnvValue",
}


def livegres(database_url: str, log_dir: Path, name: str = "livegres", **env: str) -> LivegresProcess:
    return LivegresProcess(["--database-url", database_url], env={**FAST, **env}, log_path=log_dir / f"{name}.log")


def start_all(processes: list[LivegresProcess], timeout: float = 60.0) -> list[LivegresProcess]:
    """Start several servers at once (their start-ups overlap) and wait until all are healthy."""
    for proc in processes:
        proc.spawn()
    deadline = time.monotonic() + timeout
    waiting = list(processes)
    while waiting and time.monotonic() < deadline:
        for proc in list(waiting):
            assert proc.proc is not None
            if proc.proc.poll() is not None:
                raise RuntimeError(f"livegres exited with {proc.proc.returncode}:\n{proc.output()}")
            try:
                if httpx.get(proc.url + "/healthz", timeout=1.0).status_code == 200:
                    waiting.remove(proc)
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    if waiting:
        raise RuntimeError(f"livegres did not become healthy in {timeout}s:\n{waiting[0].output()}")
    return processes


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture(scope="module")
def events_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivegresProcess]:
    proc = livegres(database_url, tmp_path_factory.mktemp("events"))
    proc.start()
    yield proc
    proc.stop()


def query(url: str, body: Any, path: str = "/v1/query", status: int = 200) -> Any:
    response = httpx.post(url + path, json=body, timeout=30)
    assert response.status_code == status, response.text
    return response.json()


def run_sql(url: str, sql: str) -> Any:
    return query(url, {"type": "run_sql", "args": {"sql": sql}})


def sql(database_url: str, text: str) -> Any:
    async def run() -> Any:
        conn = await asyncpg.connect(database_url)
        try:
            return await conn.fetch(text)
        finally:
            await conn.close()

    return asyncio.run(run())


def wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())
