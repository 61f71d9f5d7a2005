"""Live queries under load: push on change against 1 s polling.

N WebSocket subscribers (``graphql-transport-ws``), each running "my 10 latest articles"
as role ``user`` with its own ``x-hasura-user-id`` (one poller, N cohorts), while a writer
commits ``--rate`` updates per second to random users' latest articles with a plain SQL
connection. Each update writes a sequence number into the title; a subscriber that receives
it records the time from just before the writer's commit to the message's arrival.

Reported per mode and N: commit-to-client latency p50/p99, database statements per second
while idle and under load (``pg_stat_database`` transactions, minus the writer's own), the
statements per committed update, and the server's CPU (per cent of one core) and resident
memory. The server runs with ``--schema-sync-poll-interval`` of one hour so that its only
statements are the live queries'.

    .venv/bin/python bench/live.py                          # N = 1000, both modes
    .venv/bin/python bench/live.py --subscribers 1000,10000 --seconds 20
    DATABASE_URL=postgres://postgres@localhost:5432/postgres .venv/bin/python bench/live.py
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import websockets
from websockets.typing import Subprotocol

from livegres.embedded import EmbeddedPostgres

SETTLE = 11.0
PROTOCOL = Subprotocol("graphql-transport-ws")
QUERY = "subscription { article(order_by: {id: desc}, limit: 10) { id title } }"


@dataclass
class Result:
    mode: str
    subscribers: int
    connections: int
    latencies: list[float] = field(default_factory=list)
    idle_statements: float = 0.0
    load_statements: float = 0.0
    per_update: float = 0.0
    updates: int = 0
    cpu_idle: float = 0.0
    cpu_load: float = 0.0
    rss_mb: float = 0.0
    first_results_s: float = 0.0
    poller_statements: int = 0


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    folder = Path(tempfile.mkdtemp(prefix="livegres-bench-"))
    folder.chmod(0o755)
    pg = EmbeddedPostgres(folder / "pg")
    try:
        yield pg.start()
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def xacts(conn: asyncpg.Connection, name: str) -> int:
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    value = await conn.fetchval("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", name)
    return int(value)


async def setup(url: str, users: int, base: str) -> None:
    ddl = """
        CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE article (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES author(id), title text NOT NULL);
        CREATE INDEX ON article (author_id, id DESC);
    """
    httpx.post(base + "/v2/query", json={"type": "run_sql", "args": {"sql": ddl}}, timeout=60).raise_for_status()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("INSERT INTO author SELECT i, 'user ' || i FROM generate_series(1, $1) i", users)
        await conn.execute(
            "INSERT INTO article (author_id, title) "
            "SELECT a, 'start' FROM generate_series(1, $1) a, generate_series(1, 10)",
            users,
        )
    finally:
        await conn.close()

    def table(name: str) -> dict[str, Any]:
        return {"source": "default", "table": {"schema": "public", "name": name}}

    body = {
        "type": "bulk",
        "args": [
            {"type": "pg_track_table", "args": table("author")},
            {"type": "pg_track_table", "args": table("article")},
            {
                "type": "pg_create_select_permission",
                "args": {
                    **table("article"),
                    "role": "user",
                    "permission": {"columns": ["id", "title"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}},
                },
            },
        ],
    }
    reply = httpx.post(base + "/v1/metadata", json=body, timeout=60)
    reply.raise_for_status()


class Subscribers:
    """One WebSocket connection per subscriber (the user id is the connection's session)."""

    def __init__(self, base: str, n: int) -> None:
        self.ws_url = base.replace("http://", "ws://") + "/v1/graphql"
        self.n = n
        self.commits: dict[str, float] = {}
        self.latencies: list[float] = []
        self.seen: set[str] = set()
        self.first = 0
        self.retries = 0
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> float:
        started = time.perf_counter()
        gate = asyncio.Semaphore(25)
        self.tasks = [asyncio.create_task(self._subscriber(uid, gate)) for uid in range(1, self.n + 1)]
        while self.first < self.n:
            failed = [t for t in self.tasks if t.done() and t.exception() is not None]
            if failed:
                raise RuntimeError(f"subscriber failed: {failed[0].exception()!r}")
            await asyncio.sleep(0.05)
        return time.perf_counter() - started

    async def _subscriber(self, uid: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            for attempt in range(10):
                try:
                    conn = await websockets.connect(
                        self.ws_url, subprotocols=[PROTOCOL], open_timeout=60, ping_interval=None
                    )
                    break
                except (OSError, TimeoutError, websockets.InvalidHandshake):
                    if attempt == 9:
                        raise
                    self.retries += 1
                    await asyncio.sleep(1 + random.random())
            headers = {"x-hasura-role": "user", "x-hasura-user-id": str(uid)}
            await conn.send(json.dumps({"type": "connection_init", "payload": {"headers": headers}}))
            await conn.recv()
            await conn.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": QUERY}}))
        first = True
        try:
            async for raw in conn:
                now = time.perf_counter()
                message = json.loads(raw)
                if message["type"] == "ping":
                    await conn.send('{"type":"pong"}')
                    continue
                if message["type"] != "next":
                    continue
                if first:
                    first = False
                    self.first += 1
                for row in message["payload"]["data"]["article"]:
                    title = row["title"]
                    if title.startswith("w") and title not in self.seen:
                        self.seen.add(title)
                        committed = self.commits.get(title)
                        if committed is not None:
                            self.latencies.append(now - committed)
        finally:
            await conn.close()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def writer(url: str, subs: Subscribers, users: int, rate: float, seconds: float) -> int:
    conn = await asyncpg.connect(url)
    rows = await conn.fetch("SELECT id, author_id FROM article")
    by_user: dict[int, list[int]] = {}
    for r in rows:
        by_user.setdefault(r["author_id"], []).append(r["id"])
    statement = await conn.prepare("UPDATE article SET title = $1 WHERE id = $2")
    done = 0
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < seconds:
            title = f"w{done}"
            article = random.choice(by_user[random.randint(1, users)])
            subs.commits[title] = time.perf_counter()
            await statement.fetch(title, article)
            done += 1
            wait = start + done / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
    finally:
        await conn.close()
    return done


async def run_mode(
    admin_url: str, mode: str, n: int, rate: float, seconds: float, idle: float, keepalive: int
) -> Result:
    name = f"livebench_{os.getpid()}_{mode}_{n}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_db(admin_url, name)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASURA_GRAPHQL_")}
    args = [
        sys.executable, "-m", "livegres", "serve", "--database-url", url, "--server-host", "127.0.0.1",
        "--server-port", str(port), "--schema-sync-poll-interval", "3600000", "--live-queries-mode", mode,
        "--pg-connections", "20", "--log-level", "info", "--events-fetch-interval", "0",
        "--websocket-connection-init-timeout", "120", "--websocket-keepalive", str(keepalive),
    ]  # fmt: skip
    log_path = Path(tempfile.gettempdir()) / f"livegres-bench-live-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    result = Result(mode, n, n)
    subs = Subscribers(base, n)
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            await asyncio.sleep(0.1)
        await setup(url, n, base)
        result.first_results_s = await subs.start()
        # PostgreSQL flushes a backend's statistics when it has been idle for up to 10 s:
        # settle before every reading so that each phase's transactions are counted in it.
        await asyncio.sleep(SETTLE)
        x0, c0 = await xacts(admin, name), cpu_seconds(proc.pid)
        await asyncio.sleep(idle)
        c1 = cpu_seconds(proc.pid)
        await asyncio.sleep(SETTLE)
        x1 = await xacts(admin, name)
        result.idle_statements = pooled(x1 - x0) / (idle + SETTLE)
        result.cpu_idle = 100 * (c1 - c0) / idle
        t0 = time.perf_counter()
        updates = await writer(url, subs, n, rate, seconds)
        await asyncio.sleep(1.5)  # let the last pushes arrive
        elapsed = time.perf_counter() - t0
        c2 = cpu_seconds(proc.pid)
        await asyncio.sleep(SETTLE)
        x2 = await xacts(admin, name)
        live_statements = pooled((x2 - x1) - updates - 3)  # minus the writer's own transactions
        result.updates = updates
        result.load_statements = live_statements / elapsed
        result.per_update = live_statements / max(updates, 1)
        result.cpu_load = 100 * (c2 - c1) / elapsed
        result.rss_mb = rss_mb(proc.pid)
        result.latencies = sorted(subs.latencies)
    finally:
        await subs.stop()
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        if proc.poll() is None:
            proc.kill()
        log.close()
        for line in log_path.read_text(errors="replace").splitlines():
            if '"live queries stopped"' in line:
                result.poller_statements = int(json.loads(line)["detail"]["statements"])
        log_path.unlink(missing_ok=True)
        with contextlib.suppress(Exception):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return result


async def write_cost(admin_url: str, updates: int, rounds: int) -> list[tuple[str, float]]:
    """Single-row updates by primary key per second on one connection, without and with the
    change-feed triggers (alternating rounds; medians)."""
    from livegres.catalog.model import QualifiedName
    from livegres.live import feed

    name = f"livebench_{os.getpid()}_writes"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(with_db(admin_url, name))
    try:
        await conn.execute(
            "CREATE TABLE article (id serial PRIMARY KEY, author_id int NOT NULL, title text NOT NULL);"
            "INSERT INTO article (author_id, title) SELECT i % 1000, 'start' FROM generate_series(1, 10000) i;"
        )
        await feed.install_function(conn)
        update = await conn.prepare("UPDATE article SET title = $1 WHERE id = $2")
        timings: dict[str, list[float]] = {"without triggers": [], "with change-feed triggers": []}
        for _ in range(rounds):
            for label in timings:
                if label.startswith("with "):
                    for statement in feed.trigger_sql(QualifiedName("public", "article"), ("author_id", "id")):
                        await conn.execute(statement)
                else:
                    for suffix in ("insert", "update", "delete", "truncate"):
                        await conn.execute(f"DROP TRIGGER IF EXISTS livegres_live_{suffix} ON article")
                started = time.perf_counter()
                for i in range(updates):
                    await update.fetch(f"t{i}", 1 + i % 10000)
                timings[label].append(updates / (time.perf_counter() - started))
        return [(label, statistics.median(values)) for label, values in timings.items()]
    finally:
        await conn.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def pooled(transactions: float) -> float:
    """Statements of the server's pool: asyncpg resets a connection when it goes back to the
    pool (one more transaction), so each pooled statement is two transactions."""
    return max(transactions, 0) / 2


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1000", help="comma-separated subscriber counts (default 1000)")
    parser.add_argument("--rate", type=float, default=50.0, help="committed updates per second (default 50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of writing per run (default 10)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle measurement (default 5)")
    parser.add_argument("--modes", default="push,poll", help="push, poll or both (default push,poll)")
    parser.add_argument(
        "--keepalive", type=int, default=5, help="the server's --websocket-keepalive in seconds (default 5)"
    )
    parser.add_argument(
        "--write-cost",
        type=int,
        default=0,
        metavar="N",
        help="instead: time N single-row updates without and with the change-feed triggers",
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    options = parser.parse_args()
    results: list[Result] = []
    with postgres(options.database_url) as admin_url:
        if options.write_cost:
            costs = await write_cost(admin_url, options.write_cost, 5)
            print("| writer (autocommit single-row UPDATE by primary key) | updates/s (median of 5) | ratio |")
            print("|---|---|---|")
            for label, rate in costs:
                print(f"| {label} | {rate:.0f} | {rate / costs[0][1]:.2f} |")
            return
        for n in [int(x) for x in options.subscribers.split(",")]:
            for mode in options.modes.split(","):
                print(f"running {mode} with {n} subscribers...", file=sys.stderr, flush=True)
                results.append(
                    await run_mode(admin_url, mode, n, options.rate, options.seconds, options.idle, options.keepalive)
                )
    header = (
        "| mode | subscribers | updates | latency p50 ms | latency p99 ms | samples | statements/s idle "
        "| statements/s load | statements/update | poller statements (whole run) | CPU % idle | CPU % load "
        "| RSS MB | all first results s |"
    )
    print(header)
    print("|" + "---|" * 14)
    for r in results:
        print(
            f"| {r.mode} | {r.subscribers} | {r.updates} | {pct(r.latencies, 0.5):.1f} | {pct(r.latencies, 0.99):.1f} "
            f"| {len(r.latencies)} | {r.idle_statements:.1f} | {r.load_statements:.1f} | {r.per_update:.2f} "
            f"| {r.poller_statements} "
            f"| {r.cpu_idle:.0f} | {r.cpu_load:.0f} | {r.rss_mb:.0f} | {r.first_results_s:.1f} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
