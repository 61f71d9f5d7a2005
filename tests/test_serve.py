"""The real ``livegres serve`` process: embedded PostgreSQL, restarts, several instances, bad input."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from livegres import migrations
from tests.support.postgres import create_database, drop_database
from tests.support.server import LivegresProcess, free_port


def _postgres_running(data_dir: Path) -> bool:
    """Whether any process is a PostgreSQL server on ``data_dir``."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"/postgres") and str(data_dir).encode() in b" ".join(args):
            return True
    return False


def _embedded_url(data_dir: Path) -> str:
    port = json.loads((data_dir / "livegres-postgres.json").read_text())["port"]
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _error_lines(proc: LivegresProcess) -> list[str]:
    return [ln for ln in proc.output().splitlines() if ln.startswith("livegres: error:")]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    parent = Path(tempfile.mkdtemp(prefix="livegres-data-"))
    parent.chmod(0o777)  # a normal user must be able to write here too
    yield parent / "data"
    shutil.rmtree(parent, ignore_errors=True)


async def test_embedded_postgres_keeps_data_across_restarts(data_dir: Path) -> None:
    with LivegresProcess(["--data-dir", str(data_dir)]) as proc:
        assert httpx.get(proc.url + "/healthz").text == "OK"
        assert any("embedded PostgreSQL is running" in ln for ln in proc.output().splitlines())
        conn = await asyncpg.connect(_embedded_url(data_dir))
        await conn.execute("CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)")
        await conn.close()
        assert _postgres_running(data_dir)
    assert proc.proc is not None and proc.proc.returncode == 0, proc.output()
    assert not _postgres_running(data_dir), "the embedded PostgreSQL outlived livegres"

    with LivegresProcess(["--data-dir", str(data_dir)]) as proc:
        conn = await asyncpg.connect(_embedded_url(data_dir))
        assert await conn.fetchval("SELECT id FROM kept") == 42
        await conn.close()
    assert not _postgres_running(data_dir)


def test_sigint_stops_the_embedded_postgres(data_dir: Path) -> None:
    proc = LivegresProcess(["--data-dir", str(data_dir)]).start()
    assert proc.stop(signal.SIGINT) == 0, proc.output()
    assert not _postgres_running(data_dir)
    assert "shutdown complete" in proc.output()


def test_a_killed_livegres_leaves_a_server_the_next_start_adopts(data_dir: Path) -> None:
    proc = LivegresProcess(["--data-dir", str(data_dir)]).start()
    proc.stop(signal.SIGKILL)
    assert _postgres_running(data_dir)
    with LivegresProcess(["--data-dir", str(data_dir)]) as again:
        assert httpx.get(again.url + "/healthz").text == "OK"
    assert not _postgres_running(data_dir)


def test_one_data_folder_serves_one_livegres(data_dir: Path) -> None:
    with LivegresProcess(["--data-dir", str(data_dir)]):
        second = LivegresProcess(["--data-dir", str(data_dir)])
        second.spawn()
        assert second.proc is not None
        assert second.proc.wait(60) == 1
        assert _error_lines(second) == [
            f"livegres: error: the data folder {data_dir} is in use by another Livegres process"
        ]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to a normal user")
def test_runs_as_a_normal_user(data_dir: Path) -> None:
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user on this machine")
    try:
        subprocess.run(
            [sys.executable, "-c", "import livegres"],
            user=nobody.pw_uid,
            group=nobody.pw_gid,
            extra_groups=[],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"user 'nobody' cannot run this Python ({sys.executable}) or import livegres")
    proc = LivegresProcess(
        ["--data-dir", str(data_dir)],
        env={"HOME": str(data_dir.parent)},
        cwd=data_dir.parent,
        run_as=(nobody.pw_uid, nobody.pw_gid),
    )
    try:
        proc.start()
        assert httpx.get(proc.url + "/healthz").text == "OK"
        assert (data_dir / "pgdata").stat().st_uid == nobody.pw_uid
    finally:
        assert proc.stop() == 0, proc.output()
    assert not _postgres_running(data_dir)


async def test_two_instances_start_together_and_migrate_once(pg_admin_url: str, tmp_path: Path) -> None:
    url = await create_database(pg_admin_url)
    try:
        procs = [LivegresProcess(["--database-url", url], log_path=tmp_path / f"{i}.log") for i in range(2)]
        for p in procs:
            p.spawn()
        try:
            for p in procs:
                deadline = time.monotonic() + 60
                while True:
                    assert p.proc is not None and p.proc.poll() is None, p.output()
                    try:
                        if httpx.get(p.url + "/healthz", timeout=1).text == "OK":
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, p.output()
                    time.sleep(0.1)
        finally:
            for p in procs:
                p.stop()
        conn = await asyncpg.connect(url)
        try:
            count = await conn.fetchval("SELECT count(*) FROM hdb_catalog.livegres_migrations")
            assert count == len(migrations.load("metadata"))
            assert await conn.fetchval("SELECT count(*) FROM hdb_catalog.hdb_version") == 1
        finally:
            await conn.close()
        migrated = [p for p in procs if "hdb_catalog migrated" in p.output()]
        assert len(migrated) == 1
    finally:
        await drop_database(pg_admin_url, url)


async def test_with_a_database_url_only_hdb_catalog_is_created(pg_admin_url: str) -> None:
    url = await create_database(pg_admin_url)
    try:
        conn = await asyncpg.connect(url)
        before = await conn.fetch("SELECT nspname FROM pg_namespace ORDER BY 1")
        with LivegresProcess(["--database-url", url]):
            pass
        after = await conn.fetch("SELECT nspname FROM pg_namespace ORDER BY 1")
        await conn.close()
        assert {r[0] for r in after} - {r[0] for r in before} == {"hdb_catalog"}
    finally:
        await drop_database(pg_admin_url, url)


async def test_healthz_reports_error_when_the_database_goes_away(pg_admin_url: str) -> None:
    url = await create_database(pg_admin_url)
    with LivegresProcess(["--database-url", url]) as proc:
        await drop_database(pg_admin_url, url)
        response = httpx.get(proc.url + "/healthz", timeout=10)
        assert (response.status_code, response.text) == (500, "ERROR")


# -- bad input: one clear line, non-zero exit, nothing left behind --------------------------------


def _run_to_exit(args: list[str], env: dict[str, str] | None = None) -> LivegresProcess:
    proc = LivegresProcess(args, env=env)
    proc.spawn()
    assert proc.proc is not None
    proc.proc.wait(90)
    return proc


def test_unreachable_database_gives_up_after_the_timeout() -> None:
    port = free_port()
    proc = _run_to_exit(["--database-url", f"postgres://postgres@127.0.0.1:{port}/x", "--db-connect-timeout", "2"])
    assert proc.proc is not None and proc.proc.returncode == 1
    out = proc.output()
    assert "not reachable yet; retrying" in out
    [line] = _error_lines(proc)
    assert "did not answer within 2s" in line
    assert "Traceback" not in out


async def test_missing_database_is_reported_at_once(pg_admin_url: str) -> None:
    url = pg_admin_url.rsplit("/", 1)[0] + "/no_such_database"
    started = time.monotonic()
    proc = _run_to_exit(["--database-url", url])
    assert proc.proc is not None and proc.proc.returncode == 1
    assert time.monotonic() - started < 30
    [line] = _error_lines(proc)
    assert "refused the connection" in line and "no_such_database" in line


def test_occupied_port(data_dir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = LivegresProcess(["--data-dir", str(data_dir)], port=port)
        proc.spawn()
        assert proc.proc is not None and proc.proc.wait(60) == 1
    assert _error_lines(proc) == [f"livegres: error: port {port} on 127.0.0.1 is already in use"]
    assert not data_dir.exists()


def test_data_folder_that_cannot_be_created(data_dir: Path) -> None:
    data_dir.parent.joinpath("file").write_text("not a folder")
    target = data_dir.parent / "file" / "data"
    proc = _run_to_exit(["--data-dir", str(target)])
    assert proc.proc is not None and proc.proc.returncode == 1
    [line] = _error_lines(proc)
    assert line.startswith(f"livegres: error: cannot create the data folder {target}")


def test_data_folder_that_is_a_file(data_dir: Path) -> None:
    data_dir.write_text("not a folder")
    proc = _run_to_exit(["--data-dir", str(data_dir)])
    assert proc.proc is not None and proc.proc.returncode == 1
    assert _error_lines(proc) == [f"livegres: error: the data folder {data_dir} is not a folder"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any folder")
def test_data_folder_that_is_not_writable(data_dir: Path) -> None:
    data_dir.mkdir()
    data_dir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    proc = _run_to_exit(["--data-dir", str(data_dir)])
    assert proc.proc is not None and proc.proc.returncode == 1
    assert _error_lines(proc) == [f"livegres: error: the data folder {data_dir} is not writable"]
