"""Real JavaScript GraphQL clients (tests/clients/js) run by Node.js against the real server.

The ``js_clients`` fixture checks that node and npm are installed (else the tests are skipped),
installs the pinned packages with ``npm ci`` when node_modules is missing or older than
package-lock.json, and runs scenarios: ``node run.mjs <scenario>`` with the server's URL and
headers in the environment, a JSON input on stdin and the JSON result read from stdout.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.server import LivegresProcess

JS_DIR = Path(__file__).parent / "js"
MIN_NODE_MAJOR = 20
NPM_CI_TIMEOUT = 600.0


class ClientScenarioError(AssertionError):
    """A scenario that exited non-zero, timed out or printed something other than JSON."""


@dataclass(frozen=True)
class JsClients:
    node: str
    directory: Path

    async def run(
        self,
        scenario: str,
        url: str,
        payload: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 20.0,
    ) -> Any:
        """Run scenarios/<scenario>.mjs against the server at ``url`` with ``payload`` as its input."""
        env = {**os.environ, "LIVEGRES_URL": url, "LIVEGRES_HEADERS": json.dumps(dict(headers or {}))}
        proc = await asyncio.create_subprocess_exec(
            self.node,
            str(self.directory / "run.mjs"),
            scenario,
            cwd=self.directory,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(json.dumps(payload).encode()), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise ClientScenarioError(f"{scenario}: no result within {timeout}s") from None
        if proc.returncode != 0:
            raise ClientScenarioError(f"{scenario} exited with {proc.returncode}:\n{stderr.decode(errors='replace')}")
        try:
            return json.loads(stdout)
        except ValueError:
            raise ClientScenarioError(f"{scenario} printed no JSON:\n{stdout!r}\n{stderr.decode()}") from None


def _node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    return int(version.strip().lstrip("v").split(".")[0])


@contextmanager
def _install_lock(directory: Path) -> Iterator[None]:
    """One ``npm ci`` at a time for this directory, across concurrent test runs."""
    key = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"livegres-npm-ci-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _installed(directory: Path) -> bool:
    """npm writes node_modules/.package-lock.json at the end of every install."""
    stamp = directory / "node_modules" / ".package-lock.json"
    return stamp.exists() and stamp.stat().st_mtime >= (directory / "package-lock.json").stat().st_mtime


def ensure_installed(npm: str, directory: Path) -> None:
    with _install_lock(directory):
        if _installed(directory):
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT,
        )
        if result.returncode != 0:
            pytest.fail(f"npm ci failed in {directory}:\n{result.stdout}\n{result.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def js_clients() -> JsClients:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the JavaScript client tests need node and npm on PATH (Node.js 20 or newer)")
    if _node_major(node) < MIN_NODE_MAJOR:
        pytest.skip(f"the JavaScript client tests need Node.js {MIN_NODE_MAJOR} or newer")
    ensure_installed(npm, JS_DIR)
    return JsClients(node=node, directory=JS_DIR)


BLOG = """
DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, age int);
CREATE TABLE article (
  id serial PRIMARY KEY, title text NOT NULL, rating int,
  published boolean NOT NULL DEFAULT false, author_id int NOT NULL REFERENCES author(id)
);
CREATE TABLE comment (
  id serial PRIMARY KEY, body text NOT NULL,
  article_id int NOT NULL REFERENCES article(id), commenter_id int REFERENCES author(id)
);
INSERT INTO author (name, age) VALUES ('Ann', 30), ('Bob', 41), ('Cid', NULL), ('Dee', 25);
INSERT INTO article (title, rating, published, author_id) VALUES
  ('Tables', 5, true, 1), ('Indexes', 3, false, 1), ('Joins', 4, true, 2),
  ('Views', 4, true, 2), ('Locks', 1, false, 2), ('Vacuum', NULL, true, 4);
INSERT INTO comment (body, article_id, commenter_id) VALUES
  ('Clear', 1, 2), ('More please', 1, 3), ('Typo in 2', 1, NULL), ('Useful', 3, 1),
  ('Agreed', 4, 4), ('Old', 6, 2);
"""

RELATIONSHIPS: list[tuple[str, str, str, Any]] = [
    ("pg_create_object_relationship", "article", "author", {"foreign_key_constraint_on": "author_id"}),
    ("pg_create_object_relationship", "comment", "article", {"foreign_key_constraint_on": "article_id"}),
    ("pg_create_object_relationship", "comment", "commenter", {"foreign_key_constraint_on": "commenter_id"}),
    (
        "pg_create_array_relationship",
        "author",
        "articles",
        {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}},
    ),
    (
        "pg_create_array_relationship",
        "article",
        "comments",
        {"foreign_key_constraint_on": {"table": "comment", "column": "article_id"}},
    ),
]


async def _call(client: httpx.AsyncClient, path: str, kind: str, args: Any) -> None:
    response = await client.post(path, json={"type": kind, "args": args})
    assert response.status_code == 200, response.text


async def setup_blog(url: str) -> None:
    """Create and track the blog tables (authors, articles, comments) through the server's own API."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await _call(client, "/v1/metadata", "clear_metadata", {})
        await _call(client, "/v2/query", "run_sql", {"sql": BLOG})
        for table in ("author", "article", "comment"):
            await _call(client, "/v1/metadata", "pg_track_table", {"table": table})
        for kind, table, name, using in RELATIONSHIPS:
            await _call(client, "/v1/metadata", kind, {"table": table, "name": name, "using": using})


@pytest.fixture(scope="module")
async def blog(server: LivegresProcess) -> LivegresProcess:
    """The module's real server, serving the blog tables."""
    await setup_blog(server.url)
    return server


@pytest.fixture(scope="module")
async def pg(database_url: str) -> AsyncIterator[Any]:
    """A plain asyncpg connection to the module's database, to check results against."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()
