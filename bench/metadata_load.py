"""How long loading a large metadata document takes, against a plain read of the same document.

Run by hand from the repository root (not a test):

    .venv/bin/python bench/metadata_load.py [--tables 1000] [--repeat 15]

On a fresh database (a temporary embedded PostgreSQL, or a new database on the server at
``DATABASE_URL`` / ``--database-url``, dropped afterwards) it creates ``--tables`` tables of
8 columns, each pointing to the previous one by a foreign key, and stores a metadata document
that tracks all of them with an object relationship (``parent``), an array relationship
(``children``) and a ``user`` select permission each, through ``replace_metadata`` on a real
``livegres serve`` process. Then, in the same run, it times:

- the baseline: ``SELECT metadata FROM hdb_catalog.hdb_metadata`` and ``json.loads``;
- ``MetadataService.load()`` (what a server does at startup), and its parts: reading the
  stored document (``store.load``), loading the catalog (``load_catalog``), parsing the
  document (``parse_metadata``) and resolving it against the catalog (``resolve``);
- a ``reload_metadata`` round trip over HTTP to the server process.

The steps run in rounds (each round runs every step once, so a busy moment of the machine
weighs on all of them alike): ``--warmup`` untimed rounds, then ``--repeat`` timed ones. The
table shows the median and the 90th percentile (nearest rank) in milliseconds, and the median
as a multiple of the baseline's median.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from livegres import catalog as cat
from livegres import db, migrations
from livegres.embedded import EmbeddedPostgres
from livegres.metadata import model as m
from livegres.metadata import store
from livegres.metadata.resolve import resolve
from livegres.metadata.service import DEFAULT_SOURCE_CONFIGURATION, MetadataService

COLUMNS = ("id", "parent_id", "name", "email", "created_at", "amount", "active", "payload")
ROLE = "user"


# -- the database -------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_server(database_url: str | None) -> Iterator[str]:
    """An admin URL: the given server's, or a temporary embedded PostgreSQL's."""
    if database_url:
        yield database_url
        return
    with tempfile.TemporaryDirectory(prefix="livegres-bench-") as folder:
        server = EmbeddedPostgres(Path(folder) / "pg")
        url = server.start()
        try:
            yield url
        finally:
            server.stop()


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def create_database(admin_url: str) -> str:
    name = f"livegres_bench_{os.getpid()}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


def table_name(i: int) -> str:
    return f"t{i:05d}"


def schema_sql(tables: int) -> str:
    statements = []
    for i in range(tables):
        parent = f" REFERENCES {table_name(i - 1)} (id)" if i else ""
        statements.append(
            f"CREATE TABLE {table_name(i)} (id serial PRIMARY KEY, parent_id int{parent}, name text NOT NULL,"
            " email text, created_at timestamptz NOT NULL DEFAULT now(), amount numeric(12, 2),"
            " active boolean NOT NULL DEFAULT true, payload jsonb);"
        )
    return "\n".join(statements)


def metadata_document(tables: int) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for i in range(tables):
        entry: dict[str, Any] = {"table": {"schema": "public", "name": table_name(i)}}
        if i:
            entry["object_relationships"] = [{"name": "parent", "using": {"foreign_key_constraint_on": "parent_id"}}]
        if i + 1 < tables:
            child = {"schema": "public", "name": table_name(i + 1)}
            using = {"foreign_key_constraint_on": {"column": "parent_id", "table": child}}
            entry["array_relationships"] = [{"name": "children", "using": using}]
        entry["select_permissions"] = [
            {
                "role": ROLE,
                "permission": {
                    "columns": list(COLUMNS),
                    "filter": {"active": {"_eq": True}},
                    "limit": 100,
                    "allow_aggregations": True,
                },
            }
        ]
        entries.append(entry)
    source = {"name": "default", "kind": "postgres", "tables": entries, "configuration": DEFAULT_SOURCE_CONFIGURATION}
    return {"version": 3, "sources": [source]}


# -- the server process -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def livegres_server(database_url: str, log_path: Path) -> Iterator[str]:
    """A ``livegres serve`` process on ``database_url``; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASURA_GRAPHQL_")}
    env.pop("DATABASE_URL", None)
    env.pop("PORT", None)
    command = [sys.executable, "-m", "livegres", "serve", "--database-url", database_url]
    command += ["--server-host", "127.0.0.1", "--server-port", str(port), "--log-level", "warn"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"livegres exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"livegres did not become healthy:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def metadata_request(url: str, body: dict[str, Any]) -> Any:
    response = httpx.post(url + "/v1/metadata", json=body, timeout=600)
    if response.status_code != 200:
        raise SystemExit(f"{body['type']} failed: HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


# -- timing -------------------------------------------------------------------------------------


class Timings:
    """Steps timed in rounds: each round runs every step once, in order, so that a slow
    moment of the machine weighs on every step alike rather than on one."""

    def __init__(self, warmup: int, repeat: int) -> None:
        self.warmup = warmup
        self.repeat = repeat
        self.steps: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        self.samples: dict[str, list[float]] = {}

    def add(self, step: str, run: Callable[[], Awaitable[object]]) -> None:
        self.steps.append((step, run))
        self.samples[step] = []

    async def run(self) -> None:
        for round_ in range(self.warmup + self.repeat):
            for step, run in self.steps:
                started = time.perf_counter()
                await run()
                if round_ >= self.warmup:
                    self.samples[step].append((time.perf_counter() - started) * 1000)

    def table(self) -> str:
        baseline = statistics.median(self.samples[self.steps[0][0]])
        width = max(len(step) for step, _ in self.steps)
        lines = [f"{'step':<{width}}  {'median ms':>10}  {'p90 ms':>10}  {'vs baseline':>11}"]
        lines.append(f"{'-' * width}  {'-' * 10}  {'-' * 10}  {'-' * 11}")
        for step, _ in self.steps:
            samples = sorted(self.samples[step])
            median = statistics.median(samples)
            p90 = samples[math.ceil(0.9 * len(samples)) - 1]
            lines.append(f"{step:<{width}}  {median:>10.1f}  {p90:>10.1f}  {median / baseline:>10.1f}x")
        return "\n".join(lines)


async def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with postgres_server(args.database_url or os.environ.get("DATABASE_URL")) as admin_url:
        url = await create_database(admin_url)
        try:
            await benchmark(args, url)
        finally:
            await drop_database(admin_url, url)
    print(f"\n(total run time {time.perf_counter() - started:.0f} s)")


async def benchmark(args: argparse.Namespace, url: str) -> None:
    pool = await db.create_pool(url, 4)
    try:
        async with pool.acquire() as conn:
            await migrations.migrate(conn, "metadata")
            setup = time.perf_counter()
            await conn.execute(schema_sql(args.tables))
            version = await conn.fetchval("SHOW server_version")
        print(f"created {args.tables} tables of {len(COLUMNS)} columns in {time.perf_counter() - setup:.1f} s")
        document = metadata_document(args.tables)
        size = len(json.dumps(document))
        with (
            tempfile.TemporaryDirectory(prefix="livegres-bench-log-") as folder,
            livegres_server(url, Path(folder) / "livegres.log") as server,
        ):
            stored = time.perf_counter()
            answer = metadata_request(
                server,
                {"type": "replace_metadata", "version": 2, "args": {"metadata": document}},
            )
            replace_ms = (time.perf_counter() - stored) * 1000
            if not answer.get("is_consistent", False):
                raise SystemExit(f"the benchmark metadata is inconsistent: {json.dumps(answer)[:500]}")
            relationships = sum(
                len(t.get("object_relationships", ())) + len(t.get("array_relationships", ()))
                for t in document["sources"][0]["tables"]
            )
            print(
                f"metadata: {args.tables} tracked tables, {relationships} relationships, {args.tables} select "
                f"permissions, {size / 1e6:.2f} MB of JSON; stored with replace_metadata over HTTP in "
                f"{replace_ms:.0f} ms"
            )
            print(
                f"PostgreSQL {version}, Python {platform.python_version()}, {platform.machine()}, "
                f"{os.cpu_count()} CPUs; {args.warmup} warm-up + {args.repeat} timed runs per step\n"
            )
            await measure_all(args, pool, url, server)
    finally:
        await pool.close()


async def measure_all(args: argparse.Namespace, pool: asyncpg.Pool, url: str, server: str) -> None:
    timings = Timings(args.warmup, args.repeat)
    async with pool.acquire() as conn:

        async def baseline() -> object:
            text = await conn.fetchval("SELECT metadata FROM hdb_catalog.hdb_metadata")
            return json.loads(text)

        timings.add("baseline: SELECT metadata + json.loads", baseline)

        async def service_load() -> object:
            service = MetadataService(pool, pool, url)
            await service.load()
            return service.current

        timings.add("MetadataService.load() (total)", service_load)

        async def stored_read() -> object:
            return await store.load(conn)

        timings.add("  read stored metadata (store.load)", stored_read)

        async def catalog_load() -> object:
            return await cat.load_catalog(conn)

        timings.add("  catalog load (load_catalog)", catalog_load)
        _, document = await store.load(conn)
        catalog = await cat.load_catalog(conn)

        async def parse() -> object:
            return m.parse_metadata(document)

        timings.add("  metadata parse (parse_metadata)", parse)
        metadata = m.parse_metadata(document)

        async def resolve_step() -> object:
            cache = resolve(metadata, catalog)
            if not cache.is_consistent:
                raise SystemExit(f"inconsistent: {cache.inconsistencies[:3]}")
            return cache

        timings.add("  resolve (resolve)", resolve_step)

        async def reload_round_trip() -> object:
            return await asyncio.to_thread(metadata_request, server, {"type": "reload_metadata", "args": {}})

        timings.add("reload_metadata over HTTP", reload_round_trip)
        await timings.run()
    print(timings.table())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000, help="tables to create and track (default 1000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per step (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per step first (default 2)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server to create the benchmark database on (default: DATABASE_URL, else an embedded one)",
    )
    args = parser.parse_args()
    if args.tables < 2 or args.repeat < 1 or args.warmup < 0:
        parser.error("--tables must be at least 2, --repeat at least 1, --warmup at least 0")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
