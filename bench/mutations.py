"""Throughput of two mutations: Livegres over HTTP, against the same statements through pgbench.

Run by hand from the repository root (not a test):

    .venv/bin/python bench/mutations.py [--duration 5] [--repeat 3] [--concurrency 16]

On a fresh database (a temporary embedded PostgreSQL, or a new database on the server at
``DATABASE_URL`` / ``--database-url``, dropped afterwards) it creates ``item`` (10,000 rows:
``id serial`` primary key, ``name text``, ``qty int``), tracks it through the metadata API of a
real ``livegres serve`` process, and measures:

- ``insert``: ``insert_item_one(object: {name: $name, qty: $qty}) { id }`` (a random qty);
- ``update``: ``update_item_by_pk(pk_columns: {id: $id}, _set: {qty: $qty}) { id qty }`` (a
  random id and qty).

Each mutation is run, at each concurrency, by:

- ``livegres``: ``wrk`` POSTing the GraphQL request to ``/v1/graphql``;
- ``pgbench``: what Livegres runs for it, ``-M prepared``: ``BEGIN``, ``set_config('hasura.user',
  ...)``, the write statement Livegres compiles (read by compiling the same request in this
  process), ``COMMIT``; the most this machine's PostgreSQL can do for the same work, with no
  HTTP server in between;
- ``pgbench plain``: the bare statement a hand-written client would send (``INSERT ...
  RETURNING id``, ``UPDATE ... RETURNING id, qty``), one statement per transaction.

For reference, ``read`` is Livegres answering ``item_by_pk(id: $id) { id qty }`` on the same
server: what a request costs it without a write.

Every point runs ``--repeat`` times (the rounds interleave the systems, so that a busy moment
of the machine weighs on all of them alike) and the table shows the medians, then Livegres's
throughput as a fraction of each pgbench's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from graphql_queries import (
    PgbenchScript,
    Sample,
    create_database,
    drop_database,
    ensure_wrk,
    fmt,
    livegres_server,
    postgres_server,
    ratio,
    run_pgbench,
    run_wrk,
)

from livegres import db
from livegres.graphql import QueryEngine, parse_request
from livegres.ir.values import Variable
from livegres.metadata.service import MetadataService

ROWS = 10_000
SYSTEMS = ("livegres", "pgbench", "pgbench plain")
SCHEMA = f"""
CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0);
INSERT INTO item (name, qty) SELECT 'item ' || i, i % 100 FROM generate_series(1, {ROWS}) AS i;
"""

QUERY = ("query Read($id: Int!) { item_by_pk(id: $id) { id qty } }", "SELECT id, qty FROM item WHERE id = :id")
"""A read of one row by primary key, for reference: what the same server does without a write."""

MUTATIONS: dict[str, tuple[str, str]] = {
    "insert": (
        "mutation Insert($name: String!, $qty: Int!) { insert_item_one(object: {name: $name, qty: $qty}) { id } }",
        "INSERT INTO item (name, qty) VALUES (:name, :qty) RETURNING id",
    ),
    "update": (
        "mutation Update($id: Int!, $qty: Int!) { update_item_by_pk(pk_columns: {id: $id}, _set: {qty: $qty}) "
        "{ id qty } }",
        "UPDATE item SET qty = :qty WHERE id = :id RETURNING id, qty",
    ),
}

WRK_SCRIPT = """
-- POSTs one mutation with random values per request; counts answers that are not HTTP 200
-- or that carry "errors".
local prefix = [==[{prefix}]==]
local rows = {rows}
local threads = {{}}
local thread_id = 0
failed = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed({seed} + id)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local variables = '{{"name":"bench","id":' .. math.random(1, rows) .. ',"qty":' .. math.random(1, 1000) .. '}}'
  return wrk.format(nil, nil, nil, prefix .. variables .. "}}")
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then failed = failed + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("failed") end
  bad = bad + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("LGBENCH %d %d %.3f %.3f %.3f\\n", summary.requests, bad, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk_script(text: str, seed: int) -> str:
    prefix = json.dumps({"query": text}, separators=(",", ":"))[:-1] + ',"variables":'
    assert "]==]" not in prefix
    return WRK_SCRIPT.format(prefix=prefix, rows=ROWS, seed=seed)


async def compiled_write(url: str, text: str) -> tuple[str, list[str]]:
    """The write statement Livegres runs for ``text``, and the variable each ``$n`` reads."""
    pool = await db.create_pool(url, 2)
    try:
        service = MetadataService(pool, pool, url)
        await service.load()
        engine = QueryEngine(service.current)
        variables = {"name": "bench", "id": 1, "qty": 1}
        prepared = engine.prepare(parse_request({"query": text, "variables": variables}), "admin")
        mutation = prepared.plan.mutation
        assert mutation is not None
        writes = mutation.fields[0][1].writes
        assert len(writes) == 1 and writes[0].output is None, "expected one statement"
        compiled = writes[0].write
        names: list[str] = []
        for p in compiled.params:
            assert isinstance(p.source, Variable), p
            names.append(p.source.name)
        return compiled.text, names
    finally:
        await pool.close()


def pgbench_scripts(name: str, sql: str, slots: Sequence[str], plain: str, folder: Path) -> dict[str, PgbenchScript]:
    header = [f"\\set id random(1, {ROWS})", "\\set qty random(1, 1000)"]
    same = re.sub(r"\$(\d+)\b", lambda m: ":" + slots[int(m.group(1)) - 1], sql)
    user = json.dumps({"x-hasura-role": "admin"})
    body = [*header, "BEGIN;", f"SELECT set_config('hasura.user', '{user}', true);", same + ";", "COMMIT;"]
    same_path = folder / f"{name}.sql"
    same_path.write_text("\n".join(body) + "\n")
    plain_path = folder / f"{name}_plain.sql"
    plain_path.write_text("\n".join([*header, plain + ";"]) + "\n")
    return {
        "pgbench": PgbenchScript(same_path, ["name=bench"]),
        "pgbench plain": PgbenchScript(plain_path, ["name=bench"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per point (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per point (default 3)")
    parser.add_argument("--concurrency", default="16", help="comma-separated connection counts (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk / pgbench threads (default 2)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    with postgres_server(args.database_url or os.environ.get("DATABASE_URL")) as admin_url:
        url = asyncio.run(create_database(admin_url))
        try:
            benchmark(args, url)
        finally:
            asyncio.run(drop_database(admin_url, url))
    print(f"\n(total run time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end)")


def benchmark(args: argparse.Namespace, url: str) -> None:
    wrk = ensure_wrk()
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise SystemExit("pgbench is missing: install PostgreSQL's client programs")
    concurrency = [int(c) for c in str(args.concurrency).split(",")]
    asyncio.run(_schema(url))
    samples: dict[tuple[str, int, str], list[Sample]] = {}
    with tempfile.TemporaryDirectory(prefix="livegres-bench-") as tmp:
        folder = Path(tmp)
        with livegres_server(url, max(concurrency) + 4, folder / "livegres.log") as server:
            for kind in ("pg_track_table",):
                response = httpx.post(
                    server.url.removesuffix("/v1/graphql") + "/v1/metadata",
                    json={"type": kind, "args": {"table": "item"}},
                    timeout=60,
                )
                if response.status_code != 200:
                    raise SystemExit(f"{kind}: {response.text}")
            scripts: dict[str, dict[str, Any]] = {}
            for name, (text, plain) in MUTATIONS.items():
                sql, slots = asyncio.run(compiled_write(url, text))
                wrk_path = folder / f"{name}.lua"
                wrk_path.write_text(wrk_script(text, 1))
                check = httpx.post(server.url, json={"query": text, "variables": {"name": "x", "id": 1, "qty": 5}})
                if check.status_code != 200 or "errors" in check.json():
                    raise SystemExit(f"{name}: {check.text}")
                scripts[name] = {"livegres": wrk_path, **pgbench_scripts(name, sql, slots, plain, folder)}
            read_path = folder / "read.lua"
            read_path.write_text(wrk_script(QUERY[0], 1))
            scripts["read"] = {"livegres": read_path}
            for _ in range(args.repeat):
                for name in scripts:
                    for conc in concurrency:
                        for system in SYSTEMS:
                            script = scripts[name].get(system)
                            if script is None:
                                continue
                            if system == "livegres":
                                sample = run_wrk(wrk, server.url, script, conc, args.threads, args.duration,
                                                 server.proc.pid)  # fmt: skip
                            else:
                                sample = run_pgbench(pgbench, url, script, conc, args.threads, args.duration, folder)
                            samples.setdefault((name, conc, system), []).append(sample)
    print_table(samples, concurrency)


async def _schema(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
        await conn.execute("VACUUM ANALYZE item")
    finally:
        await conn.close()


def _median(values: Sequence[Sample], attr: str) -> float:
    found = [getattr(v, attr) for v in values if not math.isnan(getattr(v, attr))]
    return statistics.median(found) if found else math.nan


def print_table(samples: dict[tuple[str, int, str], list[Sample]], concurrency: Sequence[int]) -> None:
    header = f"{'request':<8} {'conc':>4}  {'system':<14} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    header += f" {'server CPU':>10} {'failed':>6}"
    print(header)
    print("-" * len(header))
    for name in (*MUTATIONS, "read"):
        for conc in concurrency:
            for system in SYSTEMS:
                points = samples.get((name, conc, system), [])
                if not points:
                    continue
                failed = sum(p.failed for p in points)
                print(
                    f"{name:<8} {conc:>4}  {system:<14} {fmt(_median(points, 'rps'), 0):>9}"
                    f" {fmt(_median(points, 'p50_ms'), 2):>8} {fmt(_median(points, 'p99_ms'), 2):>8}"
                    f" {fmt(_median(points, 'server_cpu'), 2):>10} {failed:>6}"
                )
    print()
    header = f"{'mutation':<8} {'conc':>4}  {'livegres/pgbench':>16} {'livegres/pgbench plain':>22}"
    print(header)
    print("-" * len(header))
    for name in MUTATIONS:
        for conc in concurrency:

            def rps(system: str, n: str = name, c: int = conc) -> float:
                return _median(samples.get((n, c, system), []), "rps")

            print(
                f"{name:<8} {conc:>4}  {ratio(rps('livegres'), rps('pgbench')):>16}"
                f" {ratio(rps('livegres'), rps('pgbench plain')):>22}"
            )


if __name__ == "__main__":
    main()
