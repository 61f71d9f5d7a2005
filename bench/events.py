"""Event trigger delivery: end-to-end events per second and commit-to-delivery latency.

Run by hand from the repository root (not a test):

    .venv/bin/python bench/events.py [--events 20000] [--rate 200] [--seconds 5] [--instances 1,3]

On a fresh database (a temporary embedded PostgreSQL, or a new database on the server at
``DATABASE_URL`` / ``--database-url``, dropped afterwards) it starts ``livegres serve``
processes, a webhook receiver in its own process (HTTP/1.1, answers 200 at once), and an
event trigger on inserts into ``bench_event``. For each number of instances:

- throughput: ``--events`` rows inserted as fast as possible (transactions of 200 rows); events
  per second from the first commit to the last event received (each event id counted once);
- latency: single-row transactions at ``--rate`` per second for ``--seconds``, the instances
  otherwise idle; each row carries the time just before its COMMIT, the receiver notes the
  time of arrival; p50 / p99 / max of the difference.

Baselines, in the same run: the same payloads POSTed to the same receiver by one process with
100 connections and nothing else, through Livegres's delivery client (``aiohttp``): the ceiling
of one Python process here; and through ``httpx``, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livegres.events import delivery
from tests.events.receiver import Received, Receiver
from tests.support.postgres import create_database, drop_database, postgres_server
from tests.support.server import LivegresProcess, free_port


def _receiver_process(port: int, pipe: multiprocessing.connection.Connection) -> None:
    seen: dict[str, float] = {}
    latencies: list[float] = []

    def note(item: Received) -> None:
        body = item.body
        if not isinstance(body, dict) or "id" not in body:
            return
        if body["id"] not in seen:
            seen[body["id"]] = item.at
            new = (body.get("event") or {}).get("data", {}).get("new") or {}
            if isinstance(new.get("sent_at"), float):
                latencies.append(item.at - new["sent_at"])

    receiver = Receiver(port=port, on_receive=note)
    receiver.start()
    pipe.send("ready")
    while True:
        command = pipe.recv()
        if command == "count":
            pipe.send((len(seen), max(seen.values(), default=0.0)))
        elif command == "reset":
            seen.clear()
            latencies.clear()
            receiver.received.clear()
            pipe.send("ok")
        elif command == "latencies":
            pipe.send(list(latencies))
        else:
            receiver.stop()
            pipe.send("bye")
            return


class RemoteReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        ctx = multiprocessing.get_context("fork")
        self._pipe, child = ctx.Pipe()
        self._proc = ctx.Process(target=_receiver_process, args=(self.port, child), daemon=True)
        self._proc.start()
        assert self._pipe.recv() == "ready"

    def ask(self, command: str) -> Any:
        self._pipe.send(command)
        return self._pipe.recv()

    def wait_count(self, n: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count, last = self.ask("count")
            if count >= n:
                return float(last)
            time.sleep(0.02)
        raise RuntimeError(f"only {self.ask('count')[0]} of {n} events arrived in {timeout:g} s")

    def stop(self) -> None:
        self.ask("stop")
        self._proc.join(5)


async def _sql(url: str, text: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.execute(text, *args)
    finally:
        await conn.close()


async def _throughput(url: str, receiver: RemoteReceiver, events: int) -> float:
    receiver.ask("reset")
    conn = await asyncpg.connect(url)
    start = time.time()
    try:
        for done in range(0, events, 200):
            n = min(200, events - done)
            await conn.execute("INSERT INTO bench_event (pad) SELECT 'x' FROM generate_series(1, $1)", n)
    finally:
        await conn.close()
    last = receiver.wait_count(events, 300)
    return events / (last - start)


async def _latency(url: str, receiver: RemoteReceiver, rate: float, seconds: float) -> list[float]:
    receiver.ask("reset")
    conn = await asyncpg.connect(url)
    total = int(rate * seconds)
    begin = time.monotonic()
    try:
        for i in range(total):
            delay = begin + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            async with conn.transaction():
                await conn.execute("INSERT INTO bench_event (pad, sent_at) VALUES ('y', $1)", time.time())
    finally:
        await conn.close()
    receiver.wait_count(total, 60)
    return list(receiver.ask("latencies"))


_PAYLOAD = {"id": "", "event": {"op": "INSERT", "data": {"old": None, "new": {"id": 1, "pad": "x"}}}}


async def _baseline_httpx(receiver: RemoteReceiver, events: int) -> float:
    receiver.ask("reset")
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:
        queue = list(range(events))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                await client.post(f"http://127.0.0.1:{receiver.port}/", json={**_PAYLOAD, "id": str(i)})

        start = time.time()
        await asyncio.gather(*(worker() for _ in range(100)))
    return events / (time.time() - start)


async def _baseline_aiohttp(receiver: RemoteReceiver, events: int) -> float:
    """The client Livegres delivers with, alone: the ceiling of one process here."""
    receiver.ask("reset")
    client = delivery.new_client(100)
    target = delivery.Target(f"http://127.0.0.1:{receiver.port}/", (), 60.0)
    try:
        queue = list(range(events))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                await delivery.post(client, target, {**_PAYLOAD, "id": str(i)})

        start = time.time()
        await asyncio.gather(*(worker() for _ in range(100)))
    finally:
        await client.close()
    return events / (time.time() - start)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--instances", default="1,3")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    counts = [int(x) for x in args.instances.split(",")]
    rows: list[tuple[str, str, str, str, str]] = []
    receiver = RemoteReceiver()
    with tempfile.TemporaryDirectory() as tmp, postgres_server(Path(tmp)) as admin:
        if args.database_url:
            admin = args.database_url
        try:
            baseline = await _baseline_aiohttp(receiver, args.events)
            rows.append(("delivery client alone, aiohttp (baseline)", "1", f"{baseline:,.0f}", "-", "-"))
            baseline = await _baseline_httpx(receiver, min(args.events, 2000))
            rows.append(("httpx client alone", "1", f"{baseline:,.0f}", "-", "-"))
            for n in counts:
                url = await create_database(admin, "lgbench")
                servers = [
                    LivegresProcess(["--database-url", url], log_path=Path(tmp) / f"livegres-{n}-{i}.log")
                    for i in range(n)
                ]
                try:
                    servers[0].start()
                    hook = f"http://127.0.0.1:{receiver.port}/"
                    base = servers[0].url
                    sql = "CREATE TABLE bench_event (id bigserial PRIMARY KEY, pad text, sent_at float8)"
                    httpx.post(base + "/v2/query", json={"type": "run_sql", "args": {"sql": sql}}, timeout=60)
                    track = {"type": "pg_track_table", "args": {"table": "bench_event"}}
                    httpx.post(base + "/v1/metadata", json=track, timeout=60).raise_for_status()
                    trigger = {"name": "bench", "table": "bench_event", "webhook": hook, "insert": {"columns": "*"}}
                    create = {"type": "pg_create_event_trigger", "args": trigger}
                    httpx.post(base + "/v1/metadata", json=create, timeout=60).raise_for_status()
                    for server in servers[1:]:
                        server.start()
                    await asyncio.sleep(1.5)  # every instance has the trigger in its metadata
                    eps = await _throughput(url, receiver, args.events)
                    latencies = await _latency(url, receiver, args.rate, args.seconds)
                    rows.append(
                        (
                            "livegres",
                            str(n),
                            f"{eps:,.0f}",
                            f"{_pct(latencies, 0.5):.1f} / {_pct(latencies, 0.99):.1f}",
                            f"{max(latencies) * 1000:.1f}",
                        )
                    )
                    print(
                        f"instances={n}: {eps:,.0f} events/s; latency at {args.rate:g}/s: "
                        f"median {statistics.median(latencies) * 1000:.1f} ms",
                        file=sys.stderr,
                    )
                finally:
                    for server in servers:
                        server.stop()
                    await drop_database(admin, url)
        finally:
            receiver.stop()
    print(f"\n{args.events} events (throughput), {args.rate:g} events/s for {args.seconds:g} s (latency)\n")
    header = ("system", "instances", "events/s", "latency p50 / p99 ms", "max ms")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    asyncio.run(main())
