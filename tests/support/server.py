"""The real ``livegres serve`` process on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LivegresProcess:
    """``python -m livegres serve`` with the given flags and environment.

    ``start()`` waits until /healthz answers 200 (or the process exits); ``stop()`` sends
    SIGTERM and waits. The output goes to a log file that failing tests can show."""

    def __init__(
        self,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        *,
        port: int | None = None,
        log_path: Path | None = None,
        cwd: Path | None = None,
        run_as: tuple[int, int] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.args = ["serve", "--server-host", "127.0.0.1", "--server-port", str(self.port), *args]
        base = {k: v for k, v in os.environ.items() if not k.startswith("HASURA_GRAPHQL_")}
        base.pop("DATABASE_URL", None)
        base.pop("PORT", None)
        self.env = {**base, **(env or {})}
        self.log_path = log_path or Path(f"/tmp/livegres-test-{self.port}.log")
        self.cwd = cwd
        self.run_as = run_as
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        log = open(self.log_path, "wb")  # noqa: SIM115 - owned by the child process
        user: dict[str, object] = {}
        if self.run_as is not None:
            user = {"user": self.run_as[0], "group": self.run_as[1], "extra_groups": []}
        self.proc = subprocess.Popen(  # type: ignore[call-overload]
            [sys.executable, "-m", "livegres", *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.cwd,
            **user,
        )
        log.close()
        return self.proc

    def start(self, timeout: float = 60.0) -> LivegresProcess:
        proc = self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"livegres exited with {proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"livegres did not become healthy in {timeout}s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> LivegresProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
